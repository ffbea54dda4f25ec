"""Fractional max pooling (Graham, 2014): max pooling whose window starts advance by a
pseudo-random, non-integer stride, so that the output can be any size between
`input - kernel + 1` and 1.

Each (sample, channel) plane has its own random numbers `u` in [0, 1) (one per pooled
dimension); the window starts along a dimension of size `n`, for `m` outputs and a kernel of
`k`, are

    alpha = (n - k) / (m - 1)
    start[i] = int((i + u) * alpha) - int(u * alpha)      (i < m - 1)
    start[m - 1] = n - k

computed, as PyTorch's CPU kernel does, in the input's floating type (float32 arithmetic for
float32 input, half for half, ...), so the same `u` give the same windows. Within a window the
maximum is found in row-major order (the first maximum wins; a NaN wins over any number, and
the last NaN over earlier ones), and the index returned is the flat position in the plane.

The gradient adds each output gradient into its maximum's position (output order); the second
derivative picks the incoming gradient at those positions again. Both are recorded nodes
named as PyTorch names them (`FractionalMaxPool2DBackward0`, ...).
"""
import math

import numpy as np

from .. import _backend
from .._tensor import Tensor
from ._util import attach as _attach, recording as _recording, upload_like
from ..autograd.graph import Node
from .conv_ops import _gather_at, _scatter_max_grad

_xp = _backend.xp


def _host(a):
    return _backend.of(a).to_host(a)


def _starts(samples, size, out, pool):
    """The window starts, shape `samples.shape + (out,)`, in the samples' dtype arithmetic."""
    dt = samples.dtype.type
    seq = np.zeros(samples.shape + (out,), np.int64)
    if out > 1:
        alpha = dt(dt(size - pool) / dt(out - 1))
        i = np.arange(out - 1).astype(samples.dtype)
        first = ((i + samples[..., None]) * alpha).astype(np.float64)
        base = (samples * alpha).astype(np.float64)
        # C's int(): truncation toward zero
        seq[..., :out - 1] = np.trunc(first).astype(np.int64) - \
            np.trunc(base).astype(np.int64)[..., None]
    if out > 0:
        seq[..., out - 1] = size - pool
    return seq


def fractional_max_pool_kernel(x, samples, kernel, out):
    """Values and flat indices of fractional max pooling over the last `len(kernel)` dims of
    the batched array `x` (N, C, *spatial), with `samples` (>= N, C, nd) on the host."""
    nd = len(kernel)
    n, c = x.shape[:2]
    size = x.shape[2:]
    samples = samples[:n]
    # PyTorch's sample order: 2-d uses u[0] for the width and u[1] for the height; 3-d uses
    # u[0], u[1], u[2] for time, height, width
    which = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [_starts(samples[..., which[d]], size[d], out[d], kernel[d]) for d in range(nd)]
    strides = [math.prod(size[d + 1:]) for d in range(nd)]
    # flat window positions: (N, C, *out, *kernel), row-major over the kernel offsets
    flat = np.zeros((n, c) + tuple(out) + tuple(max(k, 0) for k in kernel), np.int64)
    for d in range(nd):
        s = starts[d].reshape((n, c) + tuple(out[d] if e == d else 1 for e in range(nd))
                              + (1,) * nd)
        off = np.arange(max(kernel[d], 0)).reshape(
            (1, 1) + (1,) * nd + tuple(max(kernel[d], 0) if e == d else 1 for e in range(nd)))
        flat = flat + (s + off) * strides[d]
    start_index = sum(starts[d].reshape((n, c) + tuple(out[d] if e == d else 1
                                                       for e in range(nd))) * strides[d]
                      for d in range(nd))
    start_index = np.broadcast_to(start_index, (n, c) + tuple(out)).astype(np.int64)
    xp = _xp(x)
    window = math.prod(max(k, 0) for k in kernel)
    if window == 0 or math.prod(out) == 0 or n * c == 0:
        # an empty window keeps the initial -inf and the window's first position
        values = xp.full((n, c) + tuple(out), -np.inf, x.dtype)
        return values, upload_like(x, np.ascontiguousarray(start_index))
    flat = flat.reshape(n, c, -1, window)
    planes = x.reshape(n, c, -1)
    dflat = upload_like(x, flat)
    g = xp.take_along_axis(planes, dflat.reshape(n, c, -1), -1).reshape(flat.shape)
    arg = xp.argmax(g, axis=-1)
    values = xp.take_along_axis(g, arg[..., None], -1)[..., 0]
    if x.dtype.kind == "f":
        nan = xp.isnan(values)
        if nan.any():
            last = window - 1 - xp.argmax(xp.isnan(g[..., ::-1]), axis=-1)
            arg = xp.where(nan, last, arg)
    idx = xp.take_along_axis(dflat, arg[..., None], -1)[..., 0]
    values = values.reshape((n, c) + tuple(out))
    return xp.ascontiguousarray(values), xp.ascontiguousarray(
        idx.reshape((n, c) + tuple(out)))


class FractionalMaxPool2DBackward0(Node):
    """Each window's maximum receives that window's gradient."""

    def apply(self, grad):
        x, = self.saved
        return (fractional_max_pool_backward(grad, x, self.indices, self.nd),)


class FractionalMaxPool3DBackward0(FractionalMaxPool2DBackward0):
    pass


class FractionalMaxPool2DBackwardBackward0(Node):
    def apply(self, gg):            # linear in the gradient: pick gg at the maxima again
        picked = _gather_at(gg, self.indices, self.out_shape, self.nd)
        return picked, (Tensor._make(_xp(gg._data).zeros(self.in_shape, gg._data.dtype))
                        if self.needs_grad(1) else None)


class FractionalMaxPool3DBackwardBackward0(FractionalMaxPool2DBackwardBackward0):
    pass


_NODES = {2: (FractionalMaxPool2DBackward0, FractionalMaxPool2DBackwardBackward0),
          3: (FractionalMaxPool3DBackward0, FractionalMaxPool3DBackwardBackward0)}


def fractional_max_pool_backward(grad, input, indices, nd):
    """The gradient with respect to the input (recorded, for second derivatives); the adds
    run in the gradient's own dtype, in output order, as PyTorch's kernel does."""
    g = grad._data
    result = Tensor._make(_scatter_max_grad(g, indices, input._data.shape, nd))
    if _recording(grad, input):
        node = _NODES[nd][1](grad, input)
        node.indices, node.out_shape, node.in_shape, node.nd = (indices, g.shape,
                                                               input._data.shape, nd)
        _attach(result, node)
    return result


def fractional_max_pool(input, kernel, output_size, samples):
    """Fractional max pooling of the last `len(kernel)` dims of a batched or unbatched input
    with the given random samples: `(output, indices)` (indices flat in each plane)."""
    x = input._data
    nd = len(kernel)
    batched = x.ndim == nd + 2
    xb = x if batched else x[None]
    values, idx = fractional_max_pool_kernel(xb, _host(samples._data), tuple(kernel),
                                             tuple(output_size))
    if not batched:
        values, idx = values[0], idx[0]
    result = Tensor._make(values)
    if _recording(input):
        node = _NODES[nd][0](input)
        node.indices, node.nd = idx, nd
        node.save_for_backward(input)
        _attach(result, node)
    return result, Tensor._make(idx)

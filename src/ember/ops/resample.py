"""Padding and resampling: constant / reflection / replication padding, nearest and linear
interpolation, pixel shuffle. Each op records ONE backward node named as PyTorch names it
(`ConstantPadNdBackward0`, `ReflectionPad2DBackward0`, `UpsampleBilinear2DBackward0`, ...).

Most of these ops only move values: every output element is read from one input element
(reflection, replication, nearest) or from a few, weighted (linear). So they are written as
separable gathers over the last 1 to 3 dims, and their backward passes as scatter-adds, made
in the output's row-major order (the order of PyTorch's CPU kernels, so float32 gradients add
up the same way). A backward is itself a recorded op (`...BackwardBackward0`) whose
derivative is the forward gather again, so second derivatives work.

The float32 arithmetic of linear interpolation follows PyTorch's compiled CPU kernels, which
fuse multiply-adds (FMA): an FMA of float32 values is computed exactly in float64 and rounded
once (see `_fma`, and ember/_fma.py).

The public entry points are in `ember.nn.functional` (pad, interpolate, pixel_shuffle, ...).
"""
import math

import numpy as np

from .. import _backend
from .._fma import fma32, fma64
from .._tensor import Tensor
from ..autograd.graph import Node
from ._util import attach as _attach, contiguous, recording as _recording, upload_like

_HALF = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_xp = _backend.xp


def _wrap(array, dtype=None):
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    if isinstance(array, np.generic):
        array = np.asarray(array)
    return Tensor._make(array)


def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


# -- constant padding -----------------------------------------------------------------------------


class ConstantPadNdBackward0(Node):
    def apply(self, grad):          # the gradient is the output gradient, cropped back
        return (constant_pad_nd(grad, [-p for p in self.pad]),)


def _padded_shape(shape, pad):
    out = list(shape)
    for k in range(len(pad) // 2):
        out[len(shape) - 1 - k] += pad[2 * k] + pad[2 * k + 1]
    return out


def constant_pad_nd(input, pad, value=0):
    """Pad (or, with negative amounts, crop) the last `len(pad) // 2` dims with `value`;
    `pad` lists (before, after) for the last dim first.

    >>> import ember
    >>> ember.constant_pad_nd(ember.tensor([1., 2.]), (1, 2), 9.)
    tensor([9., 1., 2., 9., 9.])
    """
    pad = [int(p) for p in pad]
    x = input._data
    shape = x.shape
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) > 2 * len(shape):
        raise RuntimeError("Length of pad should be no more than twice the number of dimensions "
                           f"of the input. Pad length is {len(pad)}while the input has "
                           f"{len(shape)}dimensions.")
    out_shape = _padded_shape(shape, pad)
    src, dst = [Ellipsis], [Ellipsis]
    for k in range(len(pad) // 2):
        lo, hi, size = pad[2 * k], pad[2 * k + 1], shape[len(shape) - 1 - k]
        if size + min(lo, 0) + min(hi, 0) < 0 or out_shape[len(shape) - 1 - k] < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        src.insert(1, slice(max(-lo, 0), size - max(-hi, 0)))
        dst.insert(1, slice(max(lo, 0), out_shape[len(shape) - 1 - k] - max(hi, 0)))
    # the fill value in the tensor's dtype, as PyTorch's `fill_` converts it
    out = _xp(x).full(tuple(out_shape), np.asarray(value).astype(x.dtype)[()]
                      if x.dtype.kind not in "fc" else value, x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    result = _wrap(out)
    if _recording(input):
        node = ConstantPadNdBackward0(input)
        node.pad = pad
        _attach(result, node)
    return result


# -- gathers: reflection / replication padding and nearest interpolation ------------------------


def _gather(x, index):
    """`x` read at the separable positions `index` (one int array per trailing dim)."""
    n = len(index)
    key = [Ellipsis]
    for i, ix in enumerate(index):
        shape = [1] * n
        shape[i] = -1
        key.append(upload_like(x, ix.reshape(shape)))
    return x[tuple(key)]


def _flat_positions(index, in_sizes):
    """The flat input position of every output element (row-major over the output)."""
    flat = np.zeros((), np.int64)
    for ix, size in zip(index, in_sizes):
        flat = flat[..., None] * size + ix
    return flat.reshape(-1)


def _scatter(g, index, in_shape):
    """The adjoint of `_gather`: every output gradient added into its input position, in the
    output's row-major order."""
    n = len(index)
    lead = in_shape[:-n] if n else in_shape
    in_sizes = in_shape[len(in_shape) - n:]
    m = math.prod(lead)
    gx = _xp(g).zeros((m, math.prod(in_sizes)), g.dtype)
    flat = upload_like(g, _flat_positions(index, in_sizes))
    _backend.of(gx).scatter_add(gx, (slice(None), flat), g.reshape(m, -1))
    return gx.reshape(in_shape)


def _compute(x):
    return x.astype(_F32) if x.dtype == _HALF else x


class _GatherBackward(Node):
    """d(gather) = scatter-add of the gradient back to the input positions."""

    def apply(self, grad):
        x, = self.saved if self._saves_input else (None,)
        return (_gather_backward(grad, x, self.spec),)


class _GatherBackwardBackward(Node):
    """The scatter is linear in the gradient: its derivative is the gather again (and zero
    for the input, whose values it does not read)."""

    def apply(self, gg):
        d_grad = _gather_op(gg, self.spec)
        if len(self.next_functions) > 1:
            return d_grad, (Tensor._make(_xp(gg._data).zeros(self.spec.in_shape,
                                                             gg._data.dtype))
                            if self.needs_grad(1) else None)
        return (d_grad,)


class _GatherSpec:
    """What a gather op reads: the index arrays and the names of its two nodes."""

    def __init__(self, index, in_shape, forward_cls, backward_cls, takes_input):
        self.index, self.in_shape = index, tuple(in_shape)
        self.forward_cls, self.backward_cls, self.takes_input = (forward_cls, backward_cls,
                                                                 takes_input)


def _gather_op(input, spec):
    x = input._data
    result = _wrap(contiguous(_gather(x, spec.index)))
    if _recording(input):
        node = spec.forward_cls(input)
        node.spec = spec
        node._saves_input = spec.takes_input
        if spec.takes_input:
            node.save_for_backward(input)
        _attach(result, node)
    return result


def _gather_backward(grad, input, spec):
    g = grad._data
    result = _wrap(_scatter(_compute(g), spec.index, spec.in_shape), g.dtype)
    inputs = (grad, input) if spec.takes_input else (grad,)
    if _recording(*inputs):
        node = spec.backward_cls(*inputs)
        node.spec = spec
        _attach(result, node)
    return result


def _node_pair(name):
    forward = type(name + "Backward0", (_GatherBackward,), {"__module__": __name__})
    backward = type(name + "BackwardBackward0", (_GatherBackwardBackward,),
                    {"__module__": __name__})
    return forward, backward


ReflectionPad1DBackward0, ReflectionPad1DBackwardBackward0 = _node_pair("ReflectionPad1D")
ReflectionPad2DBackward0, ReflectionPad2DBackwardBackward0 = _node_pair("ReflectionPad2D")
ReflectionPad3DBackward0, ReflectionPad3DBackwardBackward0 = _node_pair("ReflectionPad3D")
ReplicationPad1DBackward0, ReplicationPad1DBackwardBackward0 = _node_pair("ReplicationPad1D")
ReplicationPad2DBackward0, ReplicationPad2DBackwardBackward0 = _node_pair("ReplicationPad2D")
ReplicationPad3DBackward0, ReplicationPad3DBackwardBackward0 = _node_pair("ReplicationPad3D")
UpsampleNearest1DBackward0, UpsampleNearest1DBackwardBackward0 = _node_pair("UpsampleNearest1D")
UpsampleNearest2DBackward0, UpsampleNearest2DBackwardBackward0 = _node_pair("UpsampleNearest2D")
UpsampleNearest3DBackward0, UpsampleNearest3DBackwardBackward0 = _node_pair("UpsampleNearest3D")
(UpsampleNearestExact1DBackward0,
 UpsampleNearestExact1DBackwardBackward0) = _node_pair("UpsampleNearestExact1D")
(UpsampleNearestExact2DBackward0,
 UpsampleNearestExact2DBackwardBackward0) = _node_pair("UpsampleNearestExact2D")
(UpsampleNearestExact3DBackward0,
 UpsampleNearestExact3DBackwardBackward0) = _node_pair("UpsampleNearestExact3D")

_PAD_NODES = {
    ("reflect", 1): (ReflectionPad1DBackward0, ReflectionPad1DBackwardBackward0),
    ("reflect", 2): (ReflectionPad2DBackward0, ReflectionPad2DBackwardBackward0),
    ("reflect", 3): (ReflectionPad3DBackward0, ReflectionPad3DBackwardBackward0),
    ("replicate", 1): (ReplicationPad1DBackward0, ReplicationPad1DBackwardBackward0),
    ("replicate", 2): (ReplicationPad2DBackward0, ReplicationPad2DBackwardBackward0),
    ("replicate", 3): (ReplicationPad3DBackward0, ReplicationPad3DBackwardBackward0),
}
_NEAREST_NODES = {
    ("nearest", 1): (UpsampleNearest1DBackward0, UpsampleNearest1DBackwardBackward0),
    ("nearest", 2): (UpsampleNearest2DBackward0, UpsampleNearest2DBackwardBackward0),
    ("nearest", 3): (UpsampleNearest3DBackward0, UpsampleNearest3DBackwardBackward0),
    ("nearest-exact", 1): (UpsampleNearestExact1DBackward0,
                           UpsampleNearestExact1DBackwardBackward0),
    ("nearest-exact", 2): (UpsampleNearestExact2DBackward0,
                           UpsampleNearestExact2DBackwardBackward0),
    ("nearest-exact", 3): (UpsampleNearestExact3DBackward0,
                           UpsampleNearestExact3DBackwardBackward0),
}
_DIM_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def index_pad(input, pad, mode):
    """'reflect' or 'replicate' padding of the last `len(pad) // 2` dims (1 to 3; `pad` lists
    (before, after) for the last dim first; negative amounts crop).

    >>> import ember
    >>> from ember.ops.resample import index_pad
    >>> index_pad(ember.tensor([[1., 2., 3.]]), (2, 1), "reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    x = input._data
    shape = x.shape
    n = len(pad) // 2
    ndim = len(shape)
    # PyTorch's shape check: the non-padded dims (batch allowed to be empty) are non-empty
    if any(s == 0 for s in shape[1:]) or (ndim == n + 1 and shape[0] == 0):
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{_fmt(shape)}")
    index = []
    sizes = []
    for i in range(n):
        d = ndim - n + i
        size = shape[d]
        lo, hi = pad[2 * (n - 1 - i)], pad[2 * (n - 1 - i) + 1]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                               f"{d} of input {_fmt(shape)}")
        out = size + lo + hi
        sizes.append(out)
        positions = np.arange(-lo, size + hi)
        if mode == "reflect":
            period = max(2 * (size - 1), 1)
            positions = positions % period
            positions = np.where(positions >= size, period - positions, positions)
        else:
            positions = np.clip(positions, 0, size - 1)
        index.append(positions.astype(np.int64))
    if any(s < 1 for s in sizes):
        names = _DIM_NAMES[n]
        ins = ", ".join(f"{a}: {shape[ndim - n + i]}" for i, a in enumerate(names))
        outs = ", ".join(f"{a}: {sizes[i]}" for i, a in enumerate(names))
        raise RuntimeError(f"input ({ins}) is too small. Calculated output {outs}")
    fwd, bwd = _PAD_NODES[(mode, n)]
    return _gather_op(input, _GatherSpec(index, shape, fwd, bwd, True))


# -- interpolation: sizes, scales and source positions -------------------------------------------


def _f32(v):
    return np.float32(v)


def _fma(a, b, c):
    """a * b + c with one rounding, as the fused multiply-adds PyTorch's kernels compile to
    (float32 and float64: ember/_fma.py; other dtypes: plain arithmetic)."""
    if a.dtype == _F32:
        return fma32(a, b, c)
    if a.dtype == np.float64:
        return fma64(a, b, c)
    return a * b + c


def _scale_value(scale, in_size, out_size, dtype):
    """PyTorch's `compute_scales_value`: 1/scale when a scale is given, else in/out."""
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(in_size) / dtype.type(out_size)


def nearest_index(in_size, out_size, scale, exact):
    """The input position read by each output position (float arithmetic as PyTorch's)."""
    i = np.arange(out_size)
    if not exact:
        if out_size == in_size:
            return i
        if out_size == 2 * in_size:
            return i >> 1
        s = _scale_value(scale, in_size, out_size, _F32)
        src = np.floor(i.astype(_F32) * s)
    else:
        s = _scale_value(scale, in_size, out_size, _F32)
        # (i + 0.5) is a double, so is the product; floorf reads it as a float
        src = np.floor(((i + 0.5) * np.float64(s)).astype(_F32))
    return np.minimum(src.astype(np.int64), in_size - 1)


def upsample_nearest(input, output_size, scales, exact):
    """Nearest-neighbour resampling of the last `len(output_size)` dims."""
    x = input._data
    n = len(output_size)
    if x.dtype.kind not in "fc" and not exact:
        name = {1: "upsample_nearest1d", 2: "upsample_nearest2d_channels_last",
                3: "upsample_nearest3d_channels_last"}[n]
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    in_sizes = x.shape[x.ndim - n:]
    _check_sizes(x.shape, in_sizes, output_size)
    index = [nearest_index(in_sizes[i], output_size[i], scales[i], exact) for i in range(n)]
    fwd, bwd = _NEAREST_NODES[("nearest-exact" if exact else "nearest", n)]
    return _gather_op(input, _GatherSpec(index, x.shape, fwd, bwd, False))


def _check_sizes(shape, in_sizes, out_sizes):
    n = len(in_sizes)
    names = _DIM_NAMES[n]
    if any(s <= 0 for s in in_sizes) or any(s <= 0 for s in out_sizes):
        ins = ", ".join(f"{a}: {s}" for a, s in zip(names, in_sizes))
        outs = ", ".join(f"{a}: {s}" for a, s in zip(names, out_sizes))
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"({ins}) output ({outs})")
    if len(shape) > 1 and math.prod(shape[1:]) == 0:
        raise RuntimeError(f"Non-empty {len(shape)}D data tensor expected but got a tensor "
                           f"with sizes {_fmt(shape)}")


# -- linear interpolation -------------------------------------------------------------------------


def linear_taps(in_size, out_size, align_corners, scale, dtype):
    """`(i0, i1, l0, l1)`: the two input positions each output position reads, and their
    weights, as PyTorch's `compute_source_index_and_lambda` computes them (in `dtype`, the
    op's float type; float32 source positions use a fused multiply-add)."""
    t = dtype.type
    i = np.arange(out_size)
    if out_size == in_size:
        return i, i, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    if align_corners:
        s = t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
        real = s * i.astype(dtype)
    else:
        s = _scale_value(scale, in_size, out_size, dtype)
        real = _fma(np.full(out_size, s, dtype), i.astype(dtype) + t(0.5),
                    np.full(out_size, -0.5, dtype))
        real = np.where(real < 0, t(0), real).astype(dtype)
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    l1 = np.minimum(np.maximum(real - i0.astype(dtype), t(0)), t(1)).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (t(1) - l1).astype(dtype), l1


_VEC_LANES = {4: 8, 8: 4}     # AVX2 vector lanes of PyTorch's CPU kernels, by item size


def _use_channels_last(x, out_sizes):
    """PyTorch's CPU bilinear kernel uses its channels-last loop for small outputs (and for
    3-channel images when single-threaded); it computes the four-term sum in another order."""
    if sum(out_sizes) <= 128:
        return True
    from .. import get_num_threads
    return get_num_threads() == 1 and x.shape[1] == 3


def _linear_value(x, taps):
    """The linear interpolation of `x` (computed in its dtype) over the trailing dims."""
    n = len(taps)
    if n == 1:
        (i0, i1, l0, l1), = taps
        return _fma(x[..., i0], l0, x[..., i1] * l1)
    if n == 2:
        (h0, h1, a, b), (w0, w1, c, d) = taps
        def at(hi, wi):
            return x[..., hi[:, None], wi[None, :]]
        a, b, c, d = a[:, None], b[:, None], c[None, :], d[None, :]
        if x.ndim == 4 and _use_channels_last(x, (len(h0), len(w0))):
            w00, w01, w10, w11 = a * c, a * d, b * c, b * d
            x00, x01, x10, x11 = at(h0, w0), at(h0, w1), at(h1, w0), at(h1, w1)
            # channels in whole vectors: x00*w00 + (x01*w01 + (x10*w10 + x11*w11)); the
            # remaining channels in a scalar loop, summed from the left (both fused)
            vec = _fma(x00, w00, _fma(x01, w01, _fma(x11, w11, x10 * w10)))
            tail = _fma(x11, w11, _fma(x10, w10, _fma(x00, w00, x01 * w01)))
            channels = x.shape[1]
            split = channels - channels % _VEC_LANES.get(x.dtype.itemsize, 1)
            return _xp(vec).concatenate([vec[:, :split], tail[:, split:]], axis=1)
        t0 = _fma(at(h0, w0), c, at(h0, w1) * d)
        t1 = _fma(at(h1, w0), c, at(h1, w1) * d)
        return _fma(t0, a, t1 * b)
    # trilinear: the same nesting one level deeper
    (d0, d1, p, q) = taps[0]
    p, q = p[:, None, None], q[:, None, None]
    inner0 = _linear_value(x[..., d0, :, :], taps[1:])
    inner1 = _linear_value(x[..., d1, :, :], taps[1:])
    return _fma(inner0, p, inner1 * q)


def _linear_backward_value(g, taps, in_shape):
    """Every output gradient added, times its weights, into its input positions: output by
    output in row-major order, the taps of each in the kernel's order."""
    n = len(taps)
    in_sizes = in_shape[len(in_shape) - n:]
    out_sizes = g.shape[g.ndim - n:]
    lead = math.prod(in_shape[:-n])
    flats, weights = [], []
    for corner in np.ndindex(*(2,) * n):
        flat = np.zeros((), np.int64)
        weight = None
        for k, c in enumerate(corner):
            i0, i1, l0, l1 = taps[k]
            flat = flat[..., None] * in_sizes[k] + (i1 if c else i0)
            w = l1 if c else l0
            weight = w if weight is None else weight[..., None] * w
        flats.append(flat.reshape(-1))
        weights.append(weight.reshape(-1))
    flat = np.stack(flats, axis=-1).reshape(-1)              # (outputs * corners,)
    weight = np.stack(weights, axis=-1).reshape(-1)           # the same order
    corners = 2 ** n
    gm = g.reshape(lead, math.prod(out_sizes))
    # each contribution is a fused multiply-add into the running sum (PyTorch's kernel), so
    # they are added one "round" at a time: round r adds the r-th contribution of every input
    # position (within a round the positions are distinct)
    order = np.argsort(flat, kind="stable")
    sorted_flat = flat[order]
    starts = np.searchsorted(sorted_flat, sorted_flat, side="left")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order)) - starts
    gx = _xp(g).zeros((lead, math.prod(in_sizes)), g.dtype)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = np.nonzero(rank == r)[0]
        dest = flat[sel]
        w = upload_like(g, weight[sel])
        gx[:, dest] = _fma(gm[:, sel // corners], w, gx[:, dest])
    return gx.reshape(in_shape)


class _LinearBackward(Node):
    def apply(self, grad):
        return (_linear_backward(grad, self.spec),)


class _LinearBackwardBackward(Node):
    def apply(self, gg):            # linear in the gradient: interpolate gg again
        return (_linear_op(gg, self.spec),)


def _linear_pair(name):
    return (type(name + "Backward0", (_LinearBackward,), {"__module__": __name__}),
            type(name + "BackwardBackward0", (_LinearBackwardBackward,),
                 {"__module__": __name__}))


UpsampleLinear1DBackward0, UpsampleLinear1DBackwardBackward0 = _linear_pair("UpsampleLinear1D")
UpsampleBilinear2DBackward0, UpsampleBilinear2DBackwardBackward0 = _linear_pair(
    "UpsampleBilinear2D")
UpsampleTrilinear3DBackward0, UpsampleTrilinear3DBackwardBackward0 = _linear_pair(
    "UpsampleTrilinear3D")
_LINEAR_NODES = {1: (UpsampleLinear1DBackward0, UpsampleLinear1DBackwardBackward0),
                 2: (UpsampleBilinear2DBackward0, UpsampleBilinear2DBackwardBackward0),
                 3: (UpsampleTrilinear3DBackward0, UpsampleTrilinear3DBackwardBackward0)}


class _LinearSpec:
    def __init__(self, in_shape, out_sizes, align_corners, scales):
        self.in_shape, self.out_sizes = tuple(in_shape), tuple(out_sizes)
        self.align_corners, self.scales = align_corners, scales

    def taps(self, dtype):
        n = len(self.out_sizes)
        ins = self.in_shape[len(self.in_shape) - n:]
        return [linear_taps(ins[i], self.out_sizes[i], self.align_corners, self.scales[i],
                            dtype) for i in range(n)]


def _linear_op(input, spec):
    x = input._data
    xc = _compute(x)
    # index arrays stay on the host (they index any array), weights go to x's device
    taps = [(i0, i1, upload_like(xc, l0), upload_like(xc, l1))
            for i0, i1, l0, l1 in spec.taps(xc.dtype)]
    value = _linear_value(xc, taps)
    result = _wrap(contiguous(value), x.dtype)
    if _recording(input):
        node = _LINEAR_NODES[len(spec.out_sizes)][0](input)
        node.spec = spec
        _attach(result, node)
    return result


def _linear_backward(grad, spec):
    g = grad._data
    gc = _compute(g)
    result = _wrap(_linear_backward_value(gc, spec.taps(gc.dtype), spec.in_shape), g.dtype)
    if _recording(grad):
        node = _LINEAR_NODES[len(spec.out_sizes)][1](grad)
        node.spec = spec
        _attach(result, node)
    return result


_LINEAR_KERNELS = {1: "upsample_linear1d", 2: "upsample_bilinear2d_channels_last",
                   3: "upsample_trilinear3d_channels_last"}


def upsample_linear(input, output_size, align_corners, scales):
    """Linear (1 dim), bilinear (2) or trilinear (3) resampling of the trailing dims."""
    x = input._data
    n = len(output_size)
    if x.dtype.kind != "f":
        name = _LINEAR_KERNELS[n] if n != 2 or sum(output_size) <= 128 else \
            "upsample_bilinear2d"
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    _check_sizes(x.shape, x.shape[x.ndim - n:], output_size)
    return _linear_op(input, _LinearSpec(x.shape, output_size, align_corners, scales))


# -- pixel shuffle ----------------------------------------------------------------------------------


class PixelShuffleBackward0(Node):
    def apply(self, grad):
        return (pixel_unshuffle(grad, self.factor),)


class PixelUnshuffleBackward0(Node):
    def apply(self, grad):
        return (pixel_shuffle(grad, self.factor),)


class ChannelShuffleBackward0(Node):
    def apply(self, grad):          # undo: shuffle again with the other factor
        return (channel_shuffle(grad, grad._data.shape[1] // self.groups),)


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): channels become sub-pixel positions.

    >>> import ember
    >>> from ember.ops.resample import pixel_shuffle
    >>> pixel_shuffle(ember.arange(4.).view(1, 4, 1, 1), 2)
    tensor([[[[0., 1.],
              [2., 3.]]]])
    """
    x = input._data
    r = int(upscale_factor)
    if x.ndim < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = x.shape[-3:]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           "divisible by the square of upscale_factor, but input.size(-3)="
                           f"{c} is not divisible by {r * r}")
    lead = x.shape[:-3]
    n = len(lead)
    y = x.reshape(lead + (c // (r * r), r, r, h, w))
    y = y.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    result = _wrap(contiguous(y).reshape(lead + (c // (r * r), h * r, w * r)))
    if _recording(input):
        node = PixelShuffleBackward0(input)
        node.factor = r
        _attach(result, node)
    return result


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of `pixel_shuffle`."""
    x = input._data
    r = int(downscale_factor)
    if x.ndim < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = x.shape[-3:]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    lead = x.shape[:-3]
    n = len(lead)
    y = x.reshape(lead + (c, h // r, r, w // r, r))
    y = y.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    result = _wrap(contiguous(y).reshape(lead + (c * r * r, h // r, w // r)))
    if _recording(input):
        node = PixelUnshuffleBackward0(input)
        node.factor = r
        _attach(result, node)
    return result


def channel_shuffle(input, groups):
    """(N, g*k, *) -> (N, k*g, *): interleave the channels of `groups` groups."""
    x = input._data
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    if x.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {_fmt(x.shape)}")
    c = x.shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    y = x.reshape((x.shape[0], g, c // g) + x.shape[2:]).swapaxes(1, 2)
    result = _wrap(contiguous(y).reshape(x.shape))
    if _recording(input):
        node = ChannelShuffleBackward0(input)
        node.groups = g
        _attach(result, node)
    return result


# -- max unpooling ------------------------------------------------------------------------------
#
# `max_unpool2d` / `max_unpool3d` put every input value at the flat position its index names
# in an output plane (H*W) or volume (D*H*W) of zeros: the inverse of max pooling with
# indices. Nothing is added up, so values are exact; the gradient reads the output gradient
# back at those positions, written (as PyTorch writes it) as flatten -> gather -> view, so the
# double-backward graph shows PyTorch's nodes.


class MaxUnpool2DBackward0(Node):
    def apply(self, grad):
        return (_max_unpool_grad(grad, self.indices, 2),)


class MaxUnpool3DBackward0(Node):
    def apply(self, grad):
        return (_max_unpool_grad(grad, self.indices, 3),)


def _max_unpool_grad(grad, indices, dims):
    return grad.flatten(-dims).gather(-1, indices.flatten(-dims)).view(tuple(indices.shape))


def max_unpool(input, indices, output_size, dims, stride=None):
    """Scatter `input` into zeros of spatial size `output_size` (2 or 3 ints) at the flat
    per-plane positions `indices` (as max pooling with indices returns them).

    >>> import ember
    >>> from ember.ops.resample import max_unpool
    >>> max_unpool(ember.tensor([[[[5.0]]]]), ember.tensor([[[[3]]]]), (2, 2), 2)
    tensor([[[[0., 0.],
              [0., 5.]]]])
    """
    name = f"max_unpooling{dims}d"
    if indices.dtype.scalar_name != "Long":
        raise RuntimeError("elements in indices should be type int64" + (
            f" but got: {indices.dtype.scalar_name}" if dims == 2 else ""))
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({_fmt(input.shape)}) but got indices tensor with shape: "
                           f"{_fmt(indices.shape)}")
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"Input to {name} should be a {dims + 1}d or {dims + 2}d Tensor, "
                           f"but got a tensor with {input.dim()} dimensions.")
    for d in range(1, input.dim()) if input.dim() == dims + 2 else range(input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"{name}_forward_out_cpu(): Expected input to have non-zero "
                               "size for non-batch dimensions, but got "
                               f"{_fmt(input.shape)} with dimension {d} being empty.")
    if dims == 3 and stride is not None and any(s <= 0 for s in stride):
        raise RuntimeError("strides should be greater than zero, but got stride: "
                           f"{_fmt(stride)}")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f'"max_unpool{dims}d" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    out_sizes = tuple(int(s) for s in output_size)
    plane = math.prod(out_sizes)
    x, idx = input._data, indices._data
    lead = x.shape[:x.ndim - dims]
    flat_x = x.reshape(math.prod(lead), math.prod(x.shape[len(lead):]))
    flat_i = idx.reshape(flat_x.shape)
    if flat_i.size:
        bad = (flat_i < 0) | (flat_i >= plane)
        if bad.any():
            first = flat_i.reshape(-1)[int(np.argmax(bad.reshape(-1)))]
            raise RuntimeError(f"Found an invalid max index: {int(first)} (output volumes are "
                               f"of size {'x'.join(map(str, out_sizes))})")
    out = _xp(x).zeros((flat_x.shape[0], plane), x.dtype)
    # a plain assignment: a repeated index (overlapping windows) holds the same value
    out[_xp(x).arange(flat_x.shape[0])[:, None], flat_i] = flat_x
    result = _wrap(out.reshape(lead + out_sizes))
    if _recording(input):
        node = (MaxUnpool2DBackward0 if dims == 2 else MaxUnpool3DBackward0)(input)
        node.indices = indices.detach()
        _attach(result, node)
    return result

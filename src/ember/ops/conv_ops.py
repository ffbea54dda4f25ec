"""Fused ops of convolutional networks: convolution (and its transpose), pooling and the
normalisation layers, each recording ONE backward node named as PyTorch names it
(`ConvolutionBackward0`, `MaxPool2DWithIndicesBackward0`, `NativeBatchNormBackward0`, ...).

Convolution
-----------
A convolution is a bilinear map of its input X and weight W. Three NumPy kernels compute it
and its two adjoints, all with one GEMM over the whole batch (no Python loop over samples or
pixels):

- `F(X, W)`:  the convolution itself. The windows of the padded input are gathered with
  `as_strided` into "columns" laid out (C*kh*kw, N*Ho*Wo), so the product with the weight
  (O, C*kh*kw) is a single large GEMM (groups: one GEMM per group);
- `BI(G, W)`: the adjoint in X (the gradient of the input, and the transposed convolution):
  the GEMM W^T G gives the columns' gradient, added back into the input's place for each
  kernel offset (kh*kw vectorised adds);
- `BW(X, G)`: the adjoint in W (the gradient of the weight): one GEMM G X_cols^T.

The derivative of each of the three is again made of the three (`<A_W X, G>` is linear in
each argument), so backward passes are recorded ops too and can be differentiated again
(second derivatives of convolutions work, as in PyTorch). A transposed convolution is `BI`
run forwards.

Pooling and normalisation
-------------------------
Pooling windows come from the same strided views; sums and maxima are taken one kernel offset
at a time in PyTorch's loop order (row-major), so values, indices and gradients are
PyTorch's, bit for bit. Batch normalisation follows PyTorch's CPU arithmetic (sums in double,
running averages in the parameters' dtype, fused multiply-adds) and agrees bit for bit on
(N, C, *) inputs with spatial dims; layer and group normalisation compute their statistics in
double (PyTorch uses a float32 Welford pass: agreement to rounding). The normalisations'
backward passes are written twice: with NumPy for first derivatives, and with ember's own ops
when a graph of the backward is recorded, so that they can be differentiated again.

The public entry points are `ember.nn.functional` (conv2d, max_pool2d, batch_norm, ...); this
module holds the math.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided as _np_as_strided

from .. import _backend
from .._tensor import Tensor
from ._util import (
    attach as _attach, check_devices, contiguous, recording as _recording, upload_like)
from ..autograd import grad_mode
from ..autograd.graph import Node

_HALF = np.dtype(np.float16)
_xp = _backend.xp


# -- helpers ------------------------------------------------------------------------------------


def as_strided(array, shape, strides, writeable=True):
    """A strided view of `array` (a NumPy or a device array)."""
    if type(array) is np.ndarray:
        return _np_as_strided(array, shape, strides, writeable=writeable)
    return _backend.of(array).as_strided(array, shape, strides)


def _wrap(array, dtype=None):
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    if isinstance(array, np.generic):
        array = np.asarray(array)
    return Tensor._make(array)


def _compute(x):
    """The array to compute with: float16 is computed in float32 (rounded at the end)."""
    return x.astype(np.float32) if x.dtype == _HALF else x


def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


# -- convolution: geometry and the three kernels ------------------------------------------------


class ConvGeometry:
    """Kernel size, stride, padding before/after, dilation and groups of a convolution."""

    __slots__ = ("kernel", "stride", "pad_lo", "pad_hi", "dilation", "groups")

    def __init__(self, kernel, stride, pad_lo, pad_hi, dilation, groups):
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        self.pad_lo, self.pad_hi = tuple(pad_lo), tuple(pad_hi)
        self.dilation, self.groups = tuple(dilation), groups

    def out_size(self, size):
        return tuple((size[i] + self.pad_lo[i] + self.pad_hi[i]
                      - self.dilation[i] * (self.kernel[i] - 1) - 1) // self.stride[i] + 1
                     for i in range(len(size)))


def _windows(xp, out, kernel, stride, dilation):
    """The read-only view `(N, C, *out, *kernel)` of the windows of the padded `xp`."""
    nsp = len(out)
    st = xp.strides
    shape = xp.shape[:2] + tuple(out) + tuple(kernel)
    strides = (st[:2] + tuple(st[2 + i] * stride[i] for i in range(nsp))
               + tuple(st[2 + i] * dilation[i] for i in range(nsp)))
    return as_strided(xp, shape, strides, writeable=False)


def _pad(x, lo, hi, value=0):
    if not any(lo) and not any(hi):
        return x
    widths = [(0, 0)] * (x.ndim - len(lo)) + list(zip(lo, hi))
    return np.pad(x, widths, constant_values=value)


# Two layouts of the columns, both `(groups, C/groups * prod(kernel), N * positions)`:
# - "flat" (2-d, stride 1 along the width): the padded input is flattened per channel and
#   sample to (C, N, Hp * Wp), and the positions are all (row, column) pairs of the padded
#   width: every window row is then a contiguous run of Wp values (one long copy instead of
#   many short ones); the columns past the output width are computed and dropped. Used when
#   that costs at most twice the work.
# - "plain": the positions are the output positions (N, *out).


class _Columns:
    __slots__ = ("array", "flat_width")

    def __init__(self, array, flat_width):
        self.array, self.flat_width = array, flat_width


def _padded_size(size, geom, out):
    """The padded input size (large enough for every window)."""
    return tuple(max(size[i] + geom.pad_lo[i] + geom.pad_hi[i],
                     (out[i] - 1) * geom.stride[i] + geom.dilation[i] * (geom.kernel[i] - 1) + 1)
                 for i in range(len(size)))


def _use_flat(geom, padded, out):
    return len(out) == 2 and geom.stride[1] == 1 and out[1] > 0 and padded[1] <= 2 * out[1]


def _flat_strides(xf, geom, wp):
    """Strides (in bytes) of the window view of a flat (C, N, Hp * Wp + extra) array."""
    e = xf.itemsize
    (dh, dw), (sh, _) = geom.dilation, geom.stride
    return (xf.strides[0], dh * wp * e, dw * e, xf.strides[1], sh * wp * e, e)


def _flat_input(x, geom, padded):
    """x (N, C, H, W) as the zero-padded (C, N, Hp * Wp + extra) array."""
    n, c, h, w = x.shape
    hp, wp = padded
    extra = (geom.kernel[1] - 1) * geom.dilation[1]
    xf = _xp(x).zeros((c, n, hp * wp + extra), x.dtype)
    inner = xf[:, :, :hp * wp].reshape(c, n, hp, wp)
    inner[:, :, geom.pad_lo[0]:geom.pad_lo[0] + h, geom.pad_lo[1]:geom.pad_lo[1] + w] = \
        x.transpose(1, 0, 2, 3)
    return xf


def _im2col(x, geom, out):
    n, c = x.shape[:2]
    nsp = len(out)
    padded = _padded_size(x.shape[2:], geom, out)
    if _use_flat(geom, padded, out):
        wp = padded[1]
        xf = _flat_input(x, geom, padded)
        kh, kw = geom.kernel
        view = as_strided(xf, (c, kh, kw, n, out[0], wp), _flat_strides(xf, geom, wp),
                          writeable=False)
        cols = contiguous(view).reshape(geom.groups, c // geom.groups * kh * kw,
                                                  n * out[0] * wp)
        return _Columns(cols, wp)
    hi = tuple(padded[i] - x.shape[2 + i] - geom.pad_lo[i] for i in range(nsp))
    win = _windows(_pad(x, geom.pad_lo, hi), out, geom.kernel, geom.stride, geom.dilation)
    perm = (1,) + tuple(range(2 + nsp, 2 + 2 * nsp)) + (0,) + tuple(range(2, 2 + nsp))
    cols = contiguous(win.transpose(perm))          # (C, *kernel, N, *out)
    rows = c // geom.groups * math.prod(geom.kernel)
    return _Columns(cols.reshape(geom.groups, rows, n * math.prod(out)), None)


def _grad_matrix(g, groups, flat_width):
    """The output gradient (N, O, *out) as `(groups, O/groups, N * positions)` in the
    columns' layout (zeros at the flat layout's extra columns)."""
    n, o = g.shape[:2]
    if flat_width is not None:
        ho, wo = g.shape[2:]
        m = _xp(g).zeros((o, n, ho, flat_width), g.dtype)
        m[..., :wo] = g.transpose(1, 0, 2, 3)
        return m.reshape(groups, o // groups, n * ho * flat_width)
    p = math.prod(g.shape[2:])
    m = g.reshape(n, o, p).transpose(1, 0, 2)
    return contiguous(m).reshape(groups, o // groups, n * p)


def _batched_matmul(a, b):
    return (a[0] @ b[0])[None] if a.shape[0] == 1 else np.matmul(a, b)


def conv_forward_kernel(x, w, geom, cols=None, out=None):
    """`F(X, W)`: the convolution (cross-correlation) of `x` (N, C, *size) with `w`
    (O, C/groups, *kernel), without bias; `out`: the output's spatial size (by default all
    the windows that fit). Returns `(y, columns)`."""
    n = x.shape[0]
    o = w.shape[0]
    if out is None:
        out = geom.out_size(x.shape[2:])
    if cols is None:
        cols = _im2col(x, geom, out)
    wm = w.reshape(geom.groups, o // geom.groups, -1)
    y = _batched_matmul(wm, cols.array)                      # (G, O/G, N * positions)
    if cols.flat_width is not None:
        y = y.reshape(o, n, out[0], cols.flat_width)[..., :out[1]]
    else:
        y = y.reshape((o, n) + tuple(out))
    return contiguous(np.moveaxis(y, 0, 1)), cols


def conv_input_kernel(g, w, size, geom):
    """`BI(G, W)`: the adjoint of the convolution in its input, for an output gradient `g`
    (N, O, *out); `size` is the input's spatial size. (The transposed convolution.)"""
    n, o = g.shape[:2]
    out = g.shape[2:]
    nsp = len(out)
    c = w.shape[1] * geom.groups
    padded = _padded_size(size, geom, out)
    flat = _use_flat(geom, padded, out)
    gm = _grad_matrix(g, geom.groups, padded[1] if flat else None)
    wm = w.reshape(geom.groups, o // geom.groups, -1)
    dcols = _batched_matmul(wm.transpose(0, 2, 1), gm)       # (G, C/G * K, N * positions)
    if flat:
        # each kernel offset adds its block into the flat input gradient at a shifted place
        hp, wp = padded
        kh, kw = geom.kernel
        dcols = dcols.reshape(c, kh, kw, n, out[0], wp)
        extra = (kw - 1) * geom.dilation[1]
        gxf = _xp(dcols).zeros((c, n, hp * wp + extra), dcols.dtype)
        if type(gxf) is not np.ndarray:
            _add_blocks_on_device(gxf, dcols, geom, out[0], wp)
        else:
            _add_blocks(gxf, dcols, geom, out[0], wp)
        inner = gxf[:, :, :hp * wp].reshape(c, n, hp, wp)
        crop = inner[:, :, geom.pad_lo[0]:geom.pad_lo[0] + size[0],
                     geom.pad_lo[1]:geom.pad_lo[1] + size[1]]
        return contiguous(crop.transpose(1, 0, 2, 3))
    dcols = dcols.reshape((c,) + geom.kernel + (n,) + tuple(out))
    gxp = _xp(dcols).zeros((c, n) + padded, dcols.dtype)              # channels first, like dcols
    for offset in np.ndindex(*geom.kernel):
        window = tuple(slice(offset[i] * geom.dilation[i],
                             offset[i] * geom.dilation[i] + geom.stride[i] * (out[i] - 1) + 1,
                             geom.stride[i]) for i in range(nsp))
        gxp[(slice(None), slice(None)) + window] += dcols[(slice(None),) + offset]
    crop = tuple(slice(geom.pad_lo[i], geom.pad_lo[i] + size[i]) for i in range(nsp))
    return contiguous(np.moveaxis(gxp[(slice(None), slice(None)) + crop], 0, 1))


def _add_blocks(gxf, dcols, geom, out_h, wp):
    """Add each kernel offset's block of `dcols` (C, kh, kw, N, out_h, wp) into the flat input
    gradient `gxf` (C, N, Hp * Wp + extra) at its shifted place, offset by offset."""
    c, kh, kw, n = dcols.shape[:4]
    strides = _flat_strides(gxf, geom, wp)
    for i, j in np.ndindex(kh, kw):
        start = i * geom.dilation[0] * wp + j * geom.dilation[1]
        target = as_strided(gxf[:, :, start:], (c, n, out_h, wp),
                            (strides[0], strides[3], strides[4], strides[5]))
        target += dcols[:, i, j]


def _add_blocks_on_device(gxf, dcols, geom, out_h, wp):
    """`_add_blocks` as one scatter-add (one kernel launch instead of one per offset): the
    values go in offset by offset, so each element gets its shares in the same order."""
    c, kh, kw, n = dcols.shape[:4]
    xp = _xp(gxf)
    i = xp.arange(kh).reshape(kh, 1, 1, 1, 1, 1)
    j = xp.arange(kw).reshape(1, kw, 1, 1, 1, 1)
    row = xp.arange(out_h).reshape(1, 1, 1, 1, out_h, 1)
    col = xp.arange(wp).reshape(1, 1, 1, 1, 1, wp)
    place = (i * geom.dilation[0] * wp + j * geom.dilation[1]
             + row * geom.stride[0] * wp + col)
    channel = xp.arange(c).reshape(1, 1, c, 1, 1, 1)
    image = xp.arange(n).reshape(1, 1, 1, n, 1, 1)
    _backend.of(gxf).scatter_add(gxf, (channel, image, place),
                                 dcols.transpose(1, 2, 0, 3, 4, 5))


def conv_weight_kernel(x, g, wshape, geom, cols=None):
    """`BW(X, G)`: the adjoint of the convolution in its weight: the weight gradient for the
    input `x` and the output gradient `g`."""
    out = g.shape[2:]
    if cols is None:
        cols = _im2col(x, geom, out)
    gm = _grad_matrix(g, geom.groups, cols.flat_width)
    gw = _batched_matmul(gm, cols.array.transpose(0, 2, 1))
    return gw.reshape(wshape)


# -- convolution: the recorded ops --------------------------------------------------------------
#
# Three roles, each bilinear in its two tensor operands (a, b):
#   "F":  y = conv(a=X, b=W)                  (+ bias)
#   "BI": the input-shaped adjoint  BI(a=G, b=W)   (+ bias: the transposed convolution)
#   "BW": the weight-shaped adjoint BW(a=X, b=G)
# With upstream gradient H:
#   F:  dX = BI(H, W),  dW = BW(X, H)
#   BI: dG = F(H, W),   dW = BW(H, G)
#   BW: dX = BI(G, H),  dG = F(X, H)


class ConvolutionBackward0(Node):
    """The backward of a convolution or transposed convolution: the input's gradient is the
    other kind of convolution of the output gradient, the weight's is a correlation of the
    input with the output gradient, the bias' the output gradient summed over all but the
    channels."""

    def apply(self, grad):
        a, b, cols = self.saved
        role, geom = self.role, self.geom
        d_a = d_b = d_bias = None
        if role == "F":
            if self.needs_grad(0):
                d_a = _conv_op("BI", grad, b, geom, self.a_shape[2:], None, _BACKWARD_NODE)
            if self.needs_grad(1):
                d_b = _conv_op("BW", a, grad, geom, self.b_shape, None, _BACKWARD_NODE, cols)
        elif role == "BI":
            if self.needs_grad(0):
                d_a = _conv_op("F", grad, b, geom, self.a_shape[2:], None, _BACKWARD_NODE)
            if self.needs_grad(1):
                d_b = _conv_op("BW", grad, a, geom, self.b_shape, None, _BACKWARD_NODE)
        else:
            if self.needs_grad(0):
                d_a = _conv_op("BI", b, grad, geom, self.a_shape[2:], None, _BACKWARD_NODE)
            if self.needs_grad(1):
                d_b = _conv_op("F", a, grad, geom, self.b_shape[2:], None, _BACKWARD_NODE, cols)
        if self.needs_grad(2):
            d_bias = grad.sum((0,) + tuple(range(2, grad.dim())))
        return d_a, d_b, d_bias


class ConvolutionBackwardBackward0(ConvolutionBackward0):
    """A convolution recorded while differentiating a convolution (`create_graph=True`)."""


_BACKWARD_NODE = ConvolutionBackwardBackward0


def _conv_op(role, a, b, geom, shape, bias=None, node_cls=ConvolutionBackward0, cols=None):
    """Run one of the three kernels on tensors `a`, `b` (and add `bias` along dim 1), and
    record the node. `shape`: the spatial output size for "F" (None: every window that
    fits), the spatial input size for "BI", the weight shape for "BW"."""
    x, y = a._data, b._data
    dtype = x.dtype
    xc, yc = _compute(x), _compute(y)
    if role == "F":
        value, cols_f = conv_forward_kernel(xc, yc, geom, cols,
                                            None if shape is None else tuple(shape))
        keep_cols = cols_f
    elif role == "BI":
        value = conv_input_kernel(xc, yc, tuple(shape), geom)
        keep_cols = None
    else:
        value = conv_weight_kernel(xc, yc, tuple(shape), geom, cols)
        keep_cols = cols
    if bias is not None:
        value += _compute(bias._data).reshape((1, -1) + (1,) * (value.ndim - 2))
    result = _wrap(value, dtype)
    inputs = (a, b, bias)
    if _recording(*inputs):
        node = node_cls(*inputs)
        node.role, node.geom = role, geom
        node.a_shape, node.b_shape = x.shape, y.shape
        # the columns of X, reused by the weight gradient (roles F and BW read X's windows)
        needs_cols = (role == "F" and node.needs_grad(1)) or (role == "BW" and node.needs_grad(1))
        node.save_for_backward(a, b, keep_cols if needs_cols else None)
        _attach(result, node)
    return result


def _dtype_name(t):
    return t.dtype.scalar_name


def _c_type(dtype):
    """The C++ name of a dtype, as some PyTorch messages print it ("float", "double")."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "int64": "long int", "int32": "int"}.get(dtype.name, dtype.name)


def _conv_checks(input, weight, bias, geom, transposed):
    """PyTorch's argument checks (same messages)."""
    x, w = input._data, weight._data
    if x.dtype != w.dtype:
        if x.dtype == np.float64:
            raise RuntimeError(f"expected scalar type {_dtype_name(input)} but found "
                               f"{_dtype_name(weight)}")
        raise RuntimeError(f"Input type ({input.type()}) and weight type ({weight.type()}) "
                           "should be the same or input should be a MKLDNN tensor and weight "
                           "is a dense tensor")
    if bias is not None and bias._data.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_c_type(x.dtype)}) and bias type "
                           f"({_c_type(bias._data.dtype)}) should be the same")
    nsp = len(geom.kernel)
    groups = geom.groups
    if transposed:
        if x.shape[1] != w.shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {_fmt(w.shape)}, expected "
                               f"input{_fmt(x.shape)} to have {w.shape[0]} channels, but got "
                               f"{x.shape[1]} channels instead")
        out_channels = w.shape[1] * groups
    else:
        if w.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                               f"{groups} at dimension 0, but got weight of size "
                               f"[{_fmt(w.shape)}] instead")
        if x.shape[1] != w.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {_fmt(w.shape)}, "
                               f"expected input{_fmt(x.shape)} to have {w.shape[1] * groups} "
                               f"channels, but got {x.shape[1]} channels instead")
        out_channels = w.shape[0]
        padded = tuple(x.shape[2 + i] + geom.pad_lo[i] + geom.pad_hi[i] for i in range(nsp))
        effective = tuple(geom.dilation[i] * (w.shape[2 + i] - 1) + 1 for i in range(nsp))
        if any(p < k for p, k in zip(padded, effective)):
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(map(str, padded))}). Kernel size: "
                               f"({' x '.join(map(str, effective))}). Kernel size can't be "
                               "greater than actual input size")
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {_fmt(w.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size "
                           f"{_fmt(bias._data.shape)} instead")


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups, pad_hi=None):
    """PyTorch's `convolution`: `input` (N, C, *size) batched, `weight` (O, C/groups, *k)
    (transposed: (C, O/groups, *k)); `padding` on both sides (or before, with `pad_hi`
    after: the asymmetric padding of `padding='same'`)."""
    nsp = weight._data.ndim - 2
    kernel = weight._data.shape[2:]
    pad_hi = padding if pad_hi is None else pad_hi
    geom = ConvGeometry(kernel, stride, padding, pad_hi, dilation, groups)
    _conv_checks(input, weight, bias, geom, transposed)
    if not transposed:
        return _conv_op("F", input, weight, geom, None, bias)
    # transposed: the input-shaped adjoint of the convolution whose output is `input`
    size = tuple((input._data.shape[2 + i] - 1) * stride[i] - padding[i] - pad_hi[i]
                 + dilation[i] * (kernel[i] - 1) + output_padding[i] + 1 for i in range(nsp))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: "
                           f"({' x '.join(map(str, input._data.shape[2:]))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, size))}). Output size is "
                           "too small")
    return _conv_op("BI", input, weight, geom, size, bias)


# -- max pooling ----------------------------------------------------------------------------------
#
# The kernels take (N, C, *spatial) arrays with 2 or 3 spatial dimensions (the number is
# `len(kernel)`); the 3-d ops run the same loops as the 2-d ones, in PyTorch's (row-major)
# order over the kernel and the outputs.


def pooling_output_size(size, kernel, pad_l, pad_r, stride, dilation, ceil_mode):
    """PyTorch's `pooling_output_shape_pad_lr`."""
    out = (size + pad_l + pad_r - dilation * (kernel - 1) - 1
           + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad_l:
        out -= 1
    return out


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _pool_windows(x, out, kernel, stride, padding, dilation, value):
    """Padded `x` (N, C, *spatial) and the view of its windows (N, C, *out, *kernel)."""
    nd = len(kernel)
    hi = tuple(max(0, (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
                   - x.shape[2 + i] - padding[i]) for i in range(nd))
    xp = _pad(x, padding, hi, value)
    return _windows(xp, out, kernel, stride, dilation)


def _kernel_offsets(kernel):
    """The multi-indices of the kernel's elements, in row-major order."""
    return [(Ellipsis,) + idx for idx in np.ndindex(*kernel)]


def _first_valid_offsets(out, kernel, stride, padding, dilation, xp=np):
    """For each output position: the kernel offset (row-major) of the first window element
    inside the input (where PyTorch's loop starts)."""
    nd = len(out)
    flat = 0
    for i in range(nd):
        start = xp.arange(out[i]) * stride[i] - padding[i]
        first = np.maximum(0, (-start + dilation[i] - 1) // dilation[i])
        flat = flat * kernel[i] + first.reshape((1,) * i + (out[i],) + (1,) * (nd - 1 - i))
    return flat


def max_pool2d_kernel(x, kernel, stride, padding, dilation, ceil_mode):
    """Max pooling of `x` (N, C, H, W) (or (N, C, D, H, W)): `(values, offsets)`, where
    `offsets` numbers each maximum's place in its window (row-major over the kernel).

    PyTorch's loop visits a window's elements in row-major order and takes an element when
    it is greater than the maximum so far, or nan: the first maximum wins, and the last nan.
    Here the maxima come from one `maximum` per kernel offset over all windows at once, and
    the offsets of the first maxima from comparisons with them."""
    nd = len(kernel)
    out = tuple(pooling_output_size(x.shape[2 + i], kernel[i], padding[i], padding[i],
                                    stride[i], dilation[i], ceil_mode) for i in range(nd))
    low = _lowest(x.dtype)
    win = _pool_windows(x, out, kernel, stride, padding, dilation, low)
    if type(win) is not np.ndarray:
        return _max_pool_on_device(win, out, kernel, stride, padding, dilation, low)
    offs = _kernel_offsets(kernel)
    count = len(offs)
    best = win[offs[0]].copy()
    for k in range(1, count):
        # (the running maximum second: on a tie NumPy's maximum returns its second argument,
        # so the first of equal maxima keeps its place, and its sign of zero, as in PyTorch)
        np.maximum(win[offs[k]], best, out=best)
    small = count <= 127
    arg = _xp(best).zeros(best.shape, np.int8 if small else np.int64)
    found = win[offs[0]] == best
    for k in range(1, count):
        first = np.greater(win[offs[k]] == best, found)   # equal, none before
        found |= first
        arg += (first.view(np.int8) if small else first) * arg.dtype.type(k)
    # (on a device the fix-ups run unconditionally: asking whether they are needed would
    # wait for the device)
    host = type(best) is np.ndarray
    if x.dtype.kind == "f":
        nan = np.isnan(best)
        if not host or nan.any():
            # a window with nans: PyTorch keeps the last of them
            last = np.zeros_like(arg)
            for k in range(count):
                np.copyto(last, k, where=np.isnan(win[offs[k]]))
            arg = np.where(nan, last, arg)
    empty = best == low
    if not host or empty.any():
        # nothing above the lowest value (or only padding first): PyTorch reports the
        # window's first element inside the input
        first = _first_valid_offsets(out, kernel, stride, padding, dilation, _xp(arg))
        arg = np.where(empty, first, arg)
    return best, arg


def _max_pool_on_device(win, out, kernel, stride, padding, dilation, low):
    """max_pool2d_kernel's `(values, offsets)` from a few reductions over whole windows
    instead of passes per kernel offset: on a GPU every pass is a kernel launch, and
    launches are what a small training step spends its time on. The same answer: argmax
    finds the first maximum, a window with nans reports its last nan, and the value is the
    element found (its sign of zero too)."""
    nd = len(kernel)
    count = math.prod(kernel)
    w = win.reshape(win.shape[:-nd] + (count,))              # the windows side by side
    arg = np.argmax(w, axis=-1)
    if w.dtype.kind == "f":
        nan = np.isnan(w)
        last_nan = (count - 1) - np.argmax(nan[..., ::-1], axis=-1)
        arg = np.where(nan.any(axis=-1), last_nan, arg)
    best = np.take_along_axis(w, arg[..., None], axis=-1)[..., 0]
    # nothing above the lowest value: PyTorch reports the window's first element inside the
    # input (and the lowest value)
    empty = best == low
    first = _first_valid_offsets(out, kernel, stride, padding, dilation, _xp(arg))
    return np.where(empty, best.dtype.type(low), best), np.where(empty, first, arg)


def max_pool2d_indices(arg, kernel, stride, padding, dilation, size):
    """The maxima's positions as flat indices into each input plane (row-major over the
    spatial `size`), from their kernel offsets."""
    nd = len(kernel)
    out = arg.shape[-nd:]
    arg = arg.astype(np.int64)
    xp = _xp(arg)
    flat = 0
    for i in range(nd):
        digit = (arg // math.prod(kernel[i + 1:])) % kernel[i]
        start = (xp.arange(out[i]) * stride[i] - padding[i]).reshape(
            (out[i],) + (1,) * (nd - 1 - i))
        flat = flat * size[i] + (start + digit * dilation[i])
    return flat


def max_pool2d_backward_kernel(g, arg, in_shape, kernel, stride, padding, dilation):
    """Each window's gradient added to its maximum, in PyTorch's order (outputs in order)."""
    nd = len(kernel)
    out = g.shape[2:]
    size = in_shape[2:]
    extent = tuple(max(size[i] + padding[i], (out[i] - 1) * stride[i]
                       + dilation[i] * (kernel[i] - 1) + 1) for i in range(nd))
    if type(g) is not np.ndarray:
        # one scatter-add instead of a masked pass per kernel offset (see _max_pool_on_device);
        # it adds in output order, the order PyTorch's loop adds in
        planes = math.prod(in_shape[:2])
        where = max_pool2d_indices(arg, kernel, stride, padding, dilation, size)
        gx = _xp(g).zeros((planes, math.prod(size)), g.dtype)
        rows = _xp(g).arange(planes).reshape(planes, 1)
        _backend.of(gx).scatter_add(gx, (rows, where.reshape(planes, -1)),
                                    g.reshape(planes, -1))
        return gx.reshape(in_shape)
    gxp = _xp(g).zeros(tuple(in_shape[:2]) + extent, g.dtype)
    zero = g.dtype.type(0)
    # (on a device `where` always: the test would wait for the device; both add the same
    # values, as a -0.0 from the product never changes a sum that starts at +0.0)
    finite = g.dtype.kind != "f" or (type(g) is np.ndarray and bool(np.isfinite(g).all()))
    offs = list(np.ndindex(*kernel))
    # an input element gets the shares of its windows from the first output to the last:
    # the last kernel offset belongs to the first of them
    for k in range(len(offs) - 1, -1, -1):
        view = gxp[(slice(None), slice(None)) + tuple(
            slice(o * dilation[i], o * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
            for i, o in enumerate(offs[k]))]
        mask = arg == arg.dtype.type(k)
        # (a product with the mask is much faster than `where`; not with infinities)
        view += g * mask if finite else np.where(mask, g, zero)
    return contiguous(gxp[(slice(None), slice(None)) + tuple(
        slice(padding[i], padding[i] + size[i]) for i in range(nd))])


def _scatter_max_grad(g, indices, in_shape, nd=2):
    """Add the output gradient `g` into the input positions `indices` (flat in each plane
    of the last `nd` dimensions), in PyTorch's order (output positions in order)."""
    planes = math.prod(in_shape[:-nd])
    positions = math.prod(indices.shape[-nd:])
    xp = _xp(g)
    gx = xp.zeros((planes, math.prod(in_shape[-nd:])), g.dtype)
    idx = indices.reshape(planes, positions)
    rows = np.broadcast_to(xp.arange(planes)[:, None], idx.shape)
    _backend.of(gx).scatter_add(gx, (rows, idx), g.reshape(planes, positions))
    return gx.reshape(in_shape)


def _gather_at(gg, indices, out_shape, nd=2):
    """`gg` (input-shaped) picked at the flat indices of each plane (differentiable)."""
    planes = math.prod(out_shape[:-nd])
    flat = gg.reshape(planes, math.prod(gg.shape[-nd:]))
    rows = Tensor._make(_xp(gg._data).arange(planes)[:, None])
    idx = Tensor._make(indices.reshape(planes, math.prod(out_shape[-nd:])))
    return flat[rows, idx].reshape(*out_shape)


class _MaxPoolRecord:
    """What max pooling's backward needs: the maxima's kernel offsets and the geometry."""

    def __init__(self, arg, params, in_shape):
        self.arg, self.params, self.in_shape = arg, params, in_shape
        self.nd = len(params[0])
        self._indices = None

    def indices(self):
        if self._indices is None:
            kernel, stride, padding, dilation = self.params
            self._indices = max_pool2d_indices(self.arg, kernel, stride, padding, dilation,
                                               self.in_shape[-self.nd:])
        return self._indices


class MaxPool2DWithIndicesBackward0(Node):
    """Each input element that was a window's maximum receives that window's gradient."""

    def apply(self, grad):
        x, = self.saved
        return (max_pool2d_with_indices_backward(grad, x, self.record),)


class MaxPool3DWithIndicesBackward0(MaxPool2DWithIndicesBackward0):
    """3-d max pooling's backward (the same rule)."""


class MaxPool2DWithIndicesBackwardBackward0(Node):
    def apply(self, gg):            # linear in the gradient: pick gg at the maxima again
        record = self.record
        picked = _gather_at(gg, record.indices(), self.out_shape, record.nd)
        return picked, (Tensor._make(_xp(gg._data).zeros(record.in_shape, gg._data.dtype))
                        if self.needs_grad(1) else None)


class MaxPool3DWithIndicesBackwardBackward0(MaxPool2DWithIndicesBackwardBackward0):
    pass


def max_pool2d_with_indices_backward(grad, input, record):
    """The gradient of max pooling with respect to its input (recorded, for second
    derivatives)."""
    g = _compute(grad._data)
    batched = g.ndim == record.nd + 2
    shape4 = record.in_shape if batched else (1,) + tuple(record.in_shape)
    arg = record.arg if batched else record.arg[None]
    value = max_pool2d_backward_kernel(g if batched else g[None], arg, shape4, *record.params)
    result = _wrap(value if batched else value[0], grad._data.dtype)
    if _recording(grad, input):
        node = (MaxPool3DWithIndicesBackwardBackward0 if record.nd == 3
                else MaxPool2DWithIndicesBackwardBackward0)(grad, input)
        node.record, node.out_shape = record, grad._data.shape
        _attach(result, node)
    return result


def max_pool2d_with_indices(input, kernel, stride, padding, dilation, ceil_mode,
                            return_indices=True):
    """2-d (or, with 3-element parameters, 3-d) max pooling of an unbatched or batched input:
    `(output, indices)` (indices None unless `return_indices`)."""
    x = input._data
    nd = len(kernel)
    batched = x.ndim == nd + 2
    x4 = x if batched else x[None]
    params = (tuple(kernel), tuple(stride), tuple(padding), tuple(dilation))
    values, arg = max_pool2d_kernel(_compute(x4), *params[:4], ceil_mode)
    if not batched:
        values, arg = values[0], arg[0]
    record = _MaxPoolRecord(arg, params, x.shape)
    result = _wrap(values, x.dtype)
    if _recording(input):
        node = (MaxPool3DWithIndicesBackward0 if nd == 3
                else MaxPool2DWithIndicesBackward0)(input)
        node.record = record
        node.save_for_backward(input)
        _attach(result, node)
    return result, (Tensor._make(record.indices()) if return_indices else None)


def max_pool3d_with_indices(input, kernel, stride, padding, dilation, ceil_mode,
                            return_indices=True):
    """3-d max pooling of a 4-d (C, D, H, W) or 5-d (N, C, D, H, W) input."""
    return max_pool2d_with_indices(input, kernel, stride, padding, dilation, ceil_mode,
                                   return_indices)


# -- average pooling ----------------------------------------------------------------------------


def _avg_divisors(size, out, kernel, stride, padding, count_include_pad):
    """Per spatial dimension: each output position's count of window elements (PyTorch's
    `pool_size` factors; the divisor is their product)."""
    result = []
    for i in range(len(kernel)):
        start = np.arange(out[i]) * stride[i] - padding[i]
        end = np.minimum(start + kernel[i], size[i] + padding[i])
        if count_include_pad:
            result.append(end - start)
        else:
            result.append(np.minimum(end, size[i]) - np.maximum(start, 0))
    return result


def _avg_geometry(shape, kernel, stride, padding, ceil_mode):
    return tuple(pooling_output_size(shape[2 + i], kernel[i], padding[i], padding[i],
                                     stride[i], 1, ceil_mode) for i in range(len(kernel)))


def _divide(s, divisor, dtype):
    if dtype.kind == "f":
        return s / divisor.astype(s.dtype)
    q = np.abs(s) // divisor                                 # C++ integer division
    return (np.sign(s) * q).astype(s.dtype)


def _divisor_array(size, out, kernel, stride, padding, ceil_mode, count_include_pad,
                   divisor_override):
    if divisor_override:
        return np.full(out, divisor_override, np.int64)
    parts = _avg_divisors(size, out, kernel, stride, padding, count_include_pad)
    nd = len(parts)
    result = 1
    for i, d in enumerate(parts):
        result = result * d.reshape((1,) * i + (out[i],) + (1,) * (nd - 1 - i))
    return result


def avg_pool2d_kernel(x, kernel, stride, padding, ceil_mode, count_include_pad,
                      divisor_override):
    nd = len(kernel)
    out = _avg_geometry(x.shape, kernel, stride, padding, ceil_mode)
    win = _pool_windows(x, out, kernel, stride, padding, (1,) * nd, 0)
    total = None
    for idx in _kernel_offsets(kernel):          # PyTorch's loop order, one add per offset
        part = win[idx]
        total = part.copy() if total is None else np.add(total, part, out=total)
    divisor = upload_like(x, _divisor_array(x.shape[2:], out, kernel, stride, padding,
                                            ceil_mode, count_include_pad, divisor_override))
    return _divide(total, divisor, x.dtype)


def avg_pool2d_backward_kernel(g, in_shape, kernel, stride, padding, ceil_mode,
                               count_include_pad, divisor_override):
    nd = len(kernel)
    out = g.shape[2:]
    size = in_shape[2:]
    divisor = upload_like(g, _divisor_array(size, out, kernel, stride, padding, ceil_mode,
                                            count_include_pad, divisor_override))
    delta = _divide(g, divisor, g.dtype)
    padded = tuple(max(size[i] + 2 * padding[i], (out[i] - 1) * stride[i] + kernel[i])
                   for i in range(nd))
    gxp = _xp(g).zeros(tuple(in_shape[:2]) + padded, g.dtype)
    # each input element gets its windows' shares in the order of the outputs (PyTorch's
    # order): the last kernel offset belongs to the first output
    for offs in reversed(list(np.ndindex(*kernel))):
        gxp[(slice(None), slice(None)) + tuple(
            slice(o, o + stride[i] * (out[i] - 1) + 1, stride[i])
            for i, o in enumerate(offs))] += delta
    return contiguous(gxp[(slice(None), slice(None)) + tuple(
        slice(padding[i], padding[i] + size[i]) for i in range(nd))])


class AvgPool2DBackward0(Node):
    """Each input element receives the output gradients of the windows it is in, divided by
    the windows' divisors."""

    def apply(self, grad):
        x, = self.saved
        return (avg_pool2d_backward(grad, x, self.params),)


class AvgPool3DBackward0(AvgPool2DBackward0):
    """3-d average pooling's backward (the same rule)."""


class AvgPool2DBackwardBackward0(Node):
    def apply(self, gg):            # linear in the gradient: average-pool gg again
        return (avg_pool2d(gg, *self.params),
                Tensor._make(_xp(gg._data).zeros(self.in_shape, gg._data.dtype))
                if len(self.next_functions) > 1 and self.needs_grad(1) else None)


class AvgPool3DBackwardBackward0(AvgPool2DBackwardBackward0):
    pass


def avg_pool2d_backward(grad, input, params):
    """The gradient of average pooling with respect to its input (recorded: it depends on
    the input only through its shape, as in PyTorch, whose node takes the input too)."""
    in_shape = input._data.shape
    g = grad._data
    nd = len(params[0])
    batched = g.ndim == nd + 2
    g4 = g if batched else g[None]
    shape4 = in_shape if batched else (1,) + tuple(in_shape)
    value = avg_pool2d_backward_kernel(_compute(g4), shape4, *params)
    result = _wrap(value if batched else value[0], g.dtype)
    if _recording(grad, input):
        node = (AvgPool3DBackwardBackward0 if nd == 3
                else AvgPool2DBackwardBackward0)(grad, input)
        node.params, node.in_shape = params, in_shape
        _attach(result, node)
    return result


def avg_pool2d(input, kernel, stride, padding, ceil_mode, count_include_pad,
               divisor_override):
    """2-d (or, with 3-element parameters, 3-d) average pooling of an unbatched or batched
    input."""
    x = input._data
    nd = len(kernel)
    batched = x.ndim == nd + 2
    x4 = x if batched else x[None]
    params = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    value = avg_pool2d_kernel(_compute(x4), *params)
    result = _wrap(value if batched else value[0], x.dtype)
    if _recording(input):
        node = (AvgPool3DBackward0 if nd == 3 else AvgPool2DBackward0)(input)
        node.params = params
        node.save_for_backward(input)
        _attach(result, node)
    return result


def avg_pool3d(input, kernel, stride, padding, ceil_mode, count_include_pad,
               divisor_override):
    """3-d average pooling of a 4-d or 5-d input."""
    return avg_pool2d(input, tuple(kernel), tuple(stride), tuple(padding), ceil_mode,
                      count_include_pad, divisor_override)


# -- adaptive pooling -----------------------------------------------------------------------------


def _adaptive_ranges(size, out):
    """PyTorch's windows: start floor(i * size / out), end ceil((i + 1) * size / out)."""
    i = np.arange(out)
    start = (i * size) // out
    end = ((i + 1) * size + out - 1) // out
    return start, end


def _adaptive_index(size, out):
    """`(index (out, kmax), valid (out, kmax), lengths (out,))`: each window's positions,
    padded to the longest window with repeats of its last position."""
    start, end = _adaptive_ranges(size, out)
    length = end - start
    kmax = int(length.max()) if out else 0
    offsets = np.arange(kmax)
    valid = offsets[None, :] < length[:, None]
    index = np.minimum(start[:, None] + offsets[None, :], end[:, None] - 1)
    return index, valid, length


def adaptive_avg_pool2d_kernel(x, out):
    (ih, vh, lh), (iw, vw, lw) = _adaptive_index(x.shape[-2], out[0]), \
        _adaptive_index(x.shape[-1], out[1])
    vh, lh, vw, lw = (upload_like(x, a) for a in (vh, lh, vw, lw))
    total = _xp(x).zeros(x.shape[:-2] + tuple(out), x.dtype)
    for a in range(ih.shape[1]):                  # PyTorch's order: rows, then columns
        rows = x[..., ih[:, a], :]
        for b in range(iw.shape[1]):
            mask = vh[:, a][:, None] & vw[:, b][None, :]
            part = rows[..., iw[:, b]]
            total += np.where(mask, part, x.dtype.type(0))
    return total / lh[:, None].astype(x.dtype) / lw[None, :].astype(x.dtype)


def _window_positions(size_h, size_w, out):
    """For each output position, in order, its window's flat input indices (a list of
    (output flat index, input flat index) pairs as two arrays)."""
    sh, eh = _adaptive_ranges(size_h, out[0])
    sw, ew = _adaptive_ranges(size_w, out[1])
    outs, ins = [], []
    for oh in range(out[0]):
        for ow in range(out[1]):
            hh, ww = np.meshgrid(np.arange(sh[oh], eh[oh]), np.arange(sw[ow], ew[ow]),
                                 indexing="ij")
            ins.append((hh * size_w + ww).reshape(-1))
            outs.append(np.full(hh.size, oh * out[1] + ow))
    return np.concatenate(outs), np.concatenate(ins)


def adaptive_avg_pool2d_backward_kernel(g, in_shape):
    out = g.shape[-2:]
    h, w = in_shape[-2:]
    sh, eh = _adaptive_ranges(h, out[0])
    sw, ew = _adaptive_ranges(w, out[1])
    delta = (g / upload_like(g, (eh - sh)[:, None].astype(g.dtype))
             / upload_like(g, (ew - sw)[None, :].astype(g.dtype)))
    lead = math.prod(in_shape[:-2])
    outs, ins = _window_positions(h, w, out)
    gx = _xp(g).zeros((lead, h * w), g.dtype)
    _backend.of(gx).scatter_add(gx, (slice(None), ins),
                                delta.reshape(lead, out[0] * out[1])[:, outs])
    return gx.reshape(in_shape)


# adaptive average pooling over the last 2 or 3 dims: one implementation, the kernels and
# PyTorch's node names by the number of pooled dims (the tables `_ADAPTIVE_AVG`, `_ADAPTIVE_MAX`,
# after the 3-d kernels)
class AdaptiveAvgPool2DBackward0(Node):
    def apply(self, grad):
        x, = self.saved
        return (_adaptive_avg_pool_backward(grad, x, len(self.out)),)


class AdaptiveAvgPool2DBackwardBackward0(Node):
    def apply(self, gg):            # linear in the gradient: pool gg again
        return (_adaptive_avg_pool(gg, self.out),
                Tensor._make(_xp(gg._data).zeros(self.in_shape, gg._data.dtype))
                if len(self.next_functions) > 1 and self.needs_grad(1) else None)


class AdaptiveAvgPool3DBackward0(AdaptiveAvgPool2DBackward0):
    pass


class AdaptiveAvgPool3DBackwardBackward0(AdaptiveAvgPool2DBackwardBackward0):
    pass


def _adaptive_avg_pool_backward(grad, input, nd):
    in_shape = input._data.shape
    g = grad._data
    _, backward_kernel, _, node_cls = _ADAPTIVE_AVG[nd]
    result = _wrap(backward_kernel(_compute(g), in_shape), g.dtype)
    if _recording(grad, input):
        node = node_cls(grad, input)
        node.out, node.in_shape = g.shape[-nd:], in_shape
        _attach(result, node)
    return result


def _adaptive_avg_pool(input, output_size):
    """Average pooling of the last len(output_size) dims into that size (windows as PyTorch
    chooses them)."""
    x = input._data
    out = tuple(output_size)
    kernel, _, node_cls, _ = _ADAPTIVE_AVG[len(out)]
    result = _wrap(kernel(_compute(x), out), x.dtype)
    if _recording(input):
        node = node_cls(input)
        node.out = out
        node.save_for_backward(input)
        _attach(result, node)
    return result


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of the last 2 dims into a fixed output size."""
    return _adaptive_avg_pool(input, output_size)


def adaptive_max_pool2d_kernel(x, out):
    ih, _, _ = _adaptive_index(x.shape[-2], out[0])
    iw, _, _ = _adaptive_index(x.shape[-1], out[1])
    kh, kw = ih.shape[1], iw.shape[1]
    # (..., Ho, kh, Wo, kw) -> (..., Ho, Wo, kh * kw); repeated last positions never win
    g = x[..., ih[:, :, None, None], iw[None, None, :, :]]
    g = np.moveaxis(g, -3, -2).reshape(x.shape[:-2] + tuple(out) + (kh * kw,))
    arg = np.argmax(g, axis=-1)
    values = np.take_along_axis(g, arg[..., None], -1)[..., 0]
    if x.dtype.kind == "f":
        nan = np.isnan(values)
        if nan.any():
            last = kh * kw - 1 - np.argmax(np.isnan(g[..., ::-1]), axis=-1)
            arg = np.where(nan, last, arg)
    a, b = arg // kw, arg % kw
    rows = upload_like(x, ih)[np.arange(out[0])[:, None], a]
    cols = upload_like(x, iw)[np.arange(out[1])[None, :], b]
    return contiguous(values), (rows * x.shape[-1] + cols).astype(np.int64)


# adaptive max pooling over the last 2 or 3 dims: one implementation, the kernels and
# PyTorch's node names by the number of pooled dims (the tables `_ADAPTIVE_AVG`, `_ADAPTIVE_MAX`,
# after the 3-d kernels)
class AdaptiveMaxPool2DBackward0(Node):
    def apply(self, grad):
        x, = self.saved
        return (_adaptive_max_pool_backward(grad, x, self.indices, self.nd),)


class AdaptiveMaxPool2DBackwardBackward0(Node):
    def apply(self, gg):            # pick gg at the maxima again
        picked = _gather_at(gg, self.indices, self.out_shape, self.nd)
        return picked, (Tensor._make(_xp(gg._data).zeros(self.in_shape, gg._data.dtype))
                        if self.needs_grad(1) else None)


class AdaptiveMaxPool3DBackward0(AdaptiveMaxPool2DBackward0):
    pass


class AdaptiveMaxPool3DBackwardBackward0(AdaptiveMaxPool2DBackwardBackward0):
    pass


def _adaptive_max_pool_backward(grad, input, indices, nd):
    g = grad._data
    result = _wrap(_scatter_max_grad(_compute(g), indices, input._data.shape, nd), g.dtype)
    if _recording(grad, input):
        node = _ADAPTIVE_MAX[nd][2](grad, input)
        node.indices, node.out_shape, node.in_shape = indices, g.shape, input._data.shape
        node.nd = nd
        _attach(result, node)
    return result


def _adaptive_max_pool(input, output_size):
    """Max pooling of the last len(output_size) dims into that size: `(output, indices)`
    (indices flat in each pooled plane or volume)."""
    x = input._data
    out = tuple(output_size)
    kernel, node_cls, _ = _ADAPTIVE_MAX[len(out)]
    values, indices = kernel(_compute(x), out)
    result = _wrap(values, x.dtype)
    if _recording(input):
        node = node_cls(input)
        node.indices, node.nd = indices, len(out)
        node.save_for_backward(input)
        _attach(result, node)
    return result, Tensor._make(indices)


def adaptive_max_pool2d(input, output_size):
    """Max pooling of the last 2 dims into a fixed output size: `(output, indices)`."""
    return _adaptive_max_pool(input, output_size)


# 3-d adaptive pooling: the windows per dimension as in 2-d; the loops over a window run
# depth, then rows, then columns (PyTorch's order).


def _along(i, nd, n):
    """A shape that puts a length-`n` vector on spatial axis `i` of `nd`."""
    return (1,) * i + (n,) + (1,) * (nd - 1 - i)


def adaptive_avg_pool3d_kernel(x, out):
    nd = len(out)
    idx = [_adaptive_index(x.shape[x.ndim - nd + i], out[i]) for i in range(nd)]
    total = _xp(x).zeros(x.shape[:-nd] + tuple(out), x.dtype)
    zero = x.dtype.type(0)
    for offs in np.ndindex(*(ix.shape[1] for ix, _, _ in idx)):
        part, mask = x, None
        for i, o in enumerate(offs):
            part = part[(Ellipsis, idx[i][0][:, o]) + (slice(None),) * (nd - 1 - i)]
            m = upload_like(x, idx[i][1][:, o].reshape(_along(i, nd, out[i])))
            mask = m if mask is None else mask & m
        total += np.where(mask, part, zero)
    for i in range(nd):
        total = total / upload_like(x, idx[i][2].reshape(_along(i, nd, out[i])).astype(x.dtype))
    return total


def adaptive_avg_pool3d_backward_kernel(g, in_shape):
    nd = 3
    out = g.shape[-nd:]
    size = in_shape[-nd:]
    ranges = [_adaptive_ranges(size[i], out[i]) for i in range(nd)]
    delta = g
    for i, (s, e) in enumerate(ranges):
        delta = delta / upload_like(g, (e - s).reshape(_along(i, nd, out[i])).astype(g.dtype))
    # each output position's window, as flat input indices, in output order
    outs, ins = [], []
    for n, pos in enumerate(np.ndindex(*out)):
        axes = np.meshgrid(*(np.arange(ranges[i][0][p], ranges[i][1][p])
                             for i, p in enumerate(pos)), indexing="ij")
        ins.append(np.ravel_multi_index([a.reshape(-1) for a in axes], size))
        outs.append(np.full(axes[0].size, n))
    outs, ins = np.concatenate(outs), np.concatenate(ins)
    lead = math.prod(in_shape[:-nd])
    gx = _xp(g).zeros((lead, math.prod(size)), g.dtype)
    _backend.of(gx).scatter_add(gx, (slice(None), ins),
                                delta.reshape(lead, math.prod(out))[:, outs])
    return gx.reshape(in_shape)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of the last 3 dims into a fixed output size (D_out, H_out, W_out)."""
    return _adaptive_avg_pool(input, output_size)


def adaptive_max_pool3d_kernel(x, out):
    nd = len(out)
    idx = [_adaptive_index(x.shape[x.ndim - nd + i], out[i])[0] for i in range(nd)]
    ks = [ix.shape[1] for ix in idx]
    # gather (..., Do, kd, Ho, kh, Wo, kw); repeated last positions never win
    index = tuple(ix.reshape((1,) * (2 * i) + ix.shape + (1,) * (2 * (nd - 1 - i)))
                  for i, ix in enumerate(idx))
    g = x[(Ellipsis,) + index]
    lead = g.ndim - 2 * nd
    order = (tuple(range(lead)) + tuple(lead + 2 * i for i in range(nd))
             + tuple(lead + 2 * i + 1 for i in range(nd)))
    g = g.transpose(order).reshape(x.shape[:-nd] + tuple(out) + (math.prod(ks),))
    arg = np.argmax(g, axis=-1)
    values = np.take_along_axis(g, arg[..., None], -1)[..., 0]
    if x.dtype.kind == "f":
        nan = np.isnan(values)
        if type(values) is not np.ndarray or nan.any():
            last = g.shape[-1] - 1 - np.argmax(np.isnan(g[..., ::-1]), axis=-1)
            arg = np.where(nan, last, arg)
    flat = 0
    for i in range(nd):
        digit = (arg // math.prod(ks[i + 1:])) % ks[i]
        pos = upload_like(x, idx[i])[np.arange(out[i]).reshape(_along(i, nd, out[i])), digit]
        flat = flat * x.shape[x.ndim - nd + i] + pos
    return contiguous(values), flat.astype(np.int64)


def adaptive_max_pool3d(input, output_size):
    """Max pooling of the last 3 dims into a fixed output size: `(output, indices)` (flat in
    D*H*W)."""
    return _adaptive_max_pool(input, output_size)


_ADAPTIVE_AVG = {   # pooled dims: (forward kernel, backward kernel, node, node of the backward)
    2: (adaptive_avg_pool2d_kernel, adaptive_avg_pool2d_backward_kernel,
        AdaptiveAvgPool2DBackward0, AdaptiveAvgPool2DBackwardBackward0),
    3: (adaptive_avg_pool3d_kernel, adaptive_avg_pool3d_backward_kernel,
        AdaptiveAvgPool3DBackward0, AdaptiveAvgPool3DBackwardBackward0),
}
_ADAPTIVE_MAX = {   # pooled dims: (kernel, node, node of the backward)
    2: (adaptive_max_pool2d_kernel, AdaptiveMaxPool2DBackward0,
        AdaptiveMaxPool2DBackwardBackward0),
    3: (adaptive_max_pool3d_kernel, AdaptiveMaxPool3DBackward0,
        AdaptiveMaxPool3DBackwardBackward0),
}


# -- normalisation --------------------------------------------------------------------------------
#
# Statistics are computed in float64 for float32 (and float16) inputs, as PyTorch's CPU
# kernels accumulate in double, then rounded to the input's dtype. The output is
# `x * alpha + beta` per channel (alpha = invstd * weight, beta = bias - mean * alpha), the
# form PyTorch's kernels evaluate. Backward passes are written twice: with NumPy from the
# saved statistics (first derivatives), and with ember's ops from the input itself when a
# graph of the backward pass is being recorded (`create_graph=True`), so that second
# derivatives flow through the statistics too.


def _acc(x):
    return np.float64 if x.dtype.kind == "f" and x.dtype.itemsize <= 4 else x.dtype


def _moments(x, axes):
    """`(mean, biased variance)` over `axes`, keepdims, accumulated in double."""
    xa = x.astype(_acc(x), copy=False)
    mean = xa.mean(axis=axes, keepdims=True)
    d = xa - mean
    return mean, (d * d).mean(axis=axes, keepdims=True)


def _invstd(var, eps):
    with np.errstate(divide="ignore"):
        inv = 1.0 / np.sqrt(var + eps)
    return np.where((var == 0) & (eps == 0), 0.0, inv) if eps == 0 else inv


def _fma(a, b, c):
    """`a * b + c` rounded once, as PyTorch's CPU kernels compute it (compiled to fused
    multiply-adds): exact for float32 through float64 (the product of two float32 values is
    exact in float64); plain float64 arithmetic otherwise."""
    if a.dtype == np.float32:
        return (a.astype(np.float64) * b + c).astype(np.float32)
    return a * b + c


def _param_shape(ndim, axis=1):
    shape = [1] * ndim
    shape[axis] = -1
    return shape


class NativeBatchNormBackward0(Node):
    """Batch normalisation's backward: `dx = w invstd (g - mean(g) - xhat mean(g xhat))` in
    training (invstd * w * g with running statistics), `dw = sum(g xhat)`, `db = sum(g)`."""

    def apply(self, grad):
        x, w = self.saved
        if grad_mode.enabled:
            return _batch_norm_backward_graph(self, grad, x, w)
        g = _compute(grad._data)
        xd = _compute(x._data)
        axes, dt = self.axes, x._data.dtype
        acc = _acc(xd)
        mean = self.mean.astype(acc)
        invstd = self.invstd.astype(acc)
        ga = g.astype(acc)
        xhat_g = ((xd.astype(acc) - mean) * ga).sum(axis=axes, keepdims=True)   # dotp
        g_sum = ga.sum(axis=axes, keepdims=True)
        d_x = d_w = d_b = None
        if self.needs_grad(0):
            wv = (w._data.astype(acc).reshape(_param_shape(xd.ndim)) if w is not None
                  else np.dtype(acc).type(1))
            if self.training:
                n = self.count
                k = xhat_g * invstd * invstd / n
                value = (ga - g_sum / n - (xd.astype(acc) - mean) * k) * (invstd * wv)
            else:
                value = ga * (invstd * wv)
            d_x = _wrap(value.astype(dt), dt)
        if len(self.next_functions) > 1 and self.needs_grad(1):
            d_w = _wrap((xhat_g * invstd).reshape(-1).astype(dt), dt)
        if len(self.next_functions) > 2 and self.needs_grad(2):
            d_b = _wrap(g_sum.reshape(-1).astype(dt), dt)
        return d_x, d_w, d_b


def _batch_norm_backward_graph(node, grad, x, w):
    """The same derivatives with ember's ops (recorded: differentiable again)."""
    axes = node.axes
    shape = _param_shape(x.dim())
    if node.training:
        mean = x.mean(axes, keepdim=True)
        xc = x - mean
        invstd = ((xc * xc).mean(axes, keepdim=True) + node.eps) ** -0.5
    else:
        mean = Tensor._make(node.mean.astype(x._data.dtype))
        xc = x - mean
        invstd = Tensor._make(node.invstd.astype(x._data.dtype))
    xhat = xc * invstd
    d_x = d_w = d_b = None
    if node.needs_grad(0):
        scale = invstd if w is None else invstd * w.reshape(shape)
        if node.training:
            d_x = (grad - grad.mean(axes, keepdim=True)
                   - xhat * (grad * xhat).mean(axes, keepdim=True)) * scale
        else:
            d_x = grad * scale
    if len(node.next_functions) > 1 and node.needs_grad(1):
        d_w = (grad * xhat).sum(axes)
    if len(node.next_functions) > 2 and node.needs_grad(2):
        d_b = grad.sum(axes)
    return d_x, d_w, d_b


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """PyTorch's `native_batch_norm` on (N, C, *) input; updates the running statistics in
    place when training. Returns the output."""
    x = input._data
    check_devices(x, weight, bias, running_mean, running_var)
    dt = x.dtype
    xc = _compute(x)
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.size // x.shape[1] if x.shape[1] else 0
    pshape = _param_shape(x.ndim)
    acc = _acc(xc)
    if training:
        # PyTorch's kernel: the mean summed in double and rounded to the input's dtype; the
        # squared deviations (in that dtype) summed in double and rounded; the divisions by
        # n and n - 1 in the input's dtype; invstd = 1 / sqrt(var + eps) in double
        pt = xc.dtype.type
        mean = (xc.astype(acc).sum(axis=axes, keepdims=True) / count).astype(xc.dtype)
        dev = xc - mean
        var_sum = (dev * dev).astype(acc).sum(axis=axes, keepdims=True).astype(xc.dtype)
        invstd = _invstd((var_sum / pt(count)).astype(acc), eps).astype(xc.dtype)
        m = pt(momentum)
        if running_mean is not None:
            rm = running_mean._data
            rm[...] = (m * mean.reshape(-1).astype(rm.dtype)
                       + (pt(1) - m) * rm).astype(rm.dtype)
            running_mean._bump_version()
        if running_var is not None:
            rv = running_var._data
            unbiased = (var_sum.reshape(-1) / pt(count - 1)).astype(acc)
            rv[...] = (np.dtype(acc).type(m) * unbiased
                       + ((pt(1) - m) * rv).astype(acc)).astype(rv.dtype)
            running_var._bump_version()
    else:
        mean = _compute(running_mean._data).reshape(pshape)
        rv = _compute(running_var._data).reshape(pshape)
        eps_c = rv.dtype.type(eps)
        invstd = (rv.dtype.type(1) / np.sqrt(rv + eps_c)).astype(xc.dtype)
        mean = mean.astype(xc.dtype)
    wv = _compute(weight._data).reshape(pshape) if weight is not None else None
    bv = _compute(bias._data).reshape(pshape) if bias is not None else None
    alpha = invstd * wv if wv is not None else invstd
    beta = _fma(-mean, alpha, bv if bv is not None else alpha.dtype.type(0))
    result = _wrap(_fma(xc, alpha, beta), dt)
    inputs = (input, weight, bias)
    if _recording(*inputs):
        node = NativeBatchNormBackward0(*inputs)
        node.axes, node.count, node.training, node.eps = axes, count, training, eps
        node.mean, node.invstd = mean, invstd
        node.save_for_backward(input, weight)
        _attach(result, node)
    return result


class NativeLayerNormBackward0(Node):
    """Layer normalisation's backward (statistics over the last dimensions)."""

    def apply(self, grad):
        x, w = self.saved
        if grad_mode.enabled:
            return _instance_norm_backward_graph(self, grad, x, w, self.axes, None)
        g = _compute(grad._data)
        xd = _compute(x._data)
        dt = x._data.dtype
        acc = _acc(xd)
        axes = self.axes
        mean, rstd = self.mean.astype(acc), self.rstd.astype(acc)
        xhat = (xd.astype(acc) - mean) * rstd
        lead = tuple(range(xd.ndim - len(axes)))
        d_x = d_w = d_b = None
        if self.needs_grad(0):
            gw = g.astype(acc) * (w._data.astype(acc) if w is not None else 1.0)
            value = (gw - gw.mean(axis=axes, keepdims=True)
                     - xhat * (gw * xhat).mean(axis=axes, keepdims=True)) * rstd
            d_x = _wrap(value.astype(dt), dt)
        if len(self.next_functions) > 1 and self.needs_grad(1):
            d_w = _wrap((g.astype(acc) * xhat).sum(axis=lead).astype(dt), dt)
        if len(self.next_functions) > 2 and self.needs_grad(2):
            d_b = _wrap(g.astype(acc).sum(axis=lead).astype(dt), dt)
        return d_x, d_w, d_b


def _instance_norm_backward_graph(node, grad, x, w, axes, group_view):
    """Layer and group normalisation's derivatives with ember's ops (recorded).
    `group_view`: for group norm, `(grouped shape, channel-param shape)`."""
    if group_view is not None:
        grouped, pshape = group_view
        xg = x.reshape(*grouped)
        mean = xg.mean(axes, keepdim=True)
        xc = xg - mean
        rstd = ((xc * xc).mean(axes, keepdim=True) + node.eps) ** -0.5
        xhat = (xc * rstd).reshape(*x.shape)
        gw = grad if w is None else grad * w.reshape(pshape)
        d_x = d_w = d_b = None
        if node.needs_grad(0):
            gwg = gw.reshape(*grouped)
            xhg = xhat.reshape(*grouped)
            d_x = ((gwg - gwg.mean(axes, keepdim=True)
                    - xhg * (gwg * xhg).mean(axes, keepdim=True)) * rstd).reshape(*x.shape)
        reduce = (0,) + tuple(range(2, x.dim()))
    else:
        mean = x.mean(axes, keepdim=True)
        xc = x - mean
        rstd = ((xc * xc).mean(axes, keepdim=True) + node.eps) ** -0.5
        xhat = xc * rstd
        gw = grad if w is None else grad * w
        d_x = d_w = d_b = None
        if node.needs_grad(0):
            d_x = (gw - gw.mean(axes, keepdim=True)
                   - xhat * (gw * xhat).mean(axes, keepdim=True)) * rstd
        reduce = tuple(range(x.dim() - len(axes)))
    if len(node.next_functions) > 1 and node.needs_grad(1):
        d_w = (grad * xhat).sum(reduce) if reduce else grad * xhat
    if len(node.next_functions) > 2 and node.needs_grad(2):
        d_b = grad.sum(reduce) if reduce else grad
    return d_x, d_w, d_b


def layer_norm(input, normalized_shape, weight, bias, eps):
    """PyTorch's `native_layer_norm`: normalise over the last `len(normalized_shape)` dims."""
    x = input._data
    dt = x.dtype
    xc = _compute(x)
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean_acc, var_acc = _moments(xc, axes)
    mean = mean_acc.astype(xc.dtype)
    rstd = _invstd(var_acc, eps).astype(xc.dtype)
    y = xc * rstd + (-rstd * mean)
    if weight is not None:
        y = y * _compute(weight._data)
    if bias is not None:
        y = y + _compute(bias._data)
    result = _wrap(y, dt)
    inputs = (input, weight, bias)
    if _recording(*inputs):
        node = NativeLayerNormBackward0(*inputs)
        node.axes, node.eps, node.mean, node.rstd = axes, eps, mean, rstd
        node.save_for_backward(input, weight)
        _attach(result, node)
    return result


class NativeGroupNormBackward0(Node):
    """Group normalisation's backward (statistics per sample and group of channels)."""

    def apply(self, grad):
        x, w = self.saved
        n, c = x._data.shape[:2]
        grouped = (n, self.groups, -1)
        pshape = _param_shape(x._data.ndim)
        if grad_mode.enabled:
            return _instance_norm_backward_graph(self, grad, x, w, (2,), (grouped, pshape))
        g = _compute(grad._data)
        xd = _compute(x._data)
        dt = x._data.dtype
        acc = _acc(xd)
        mean, rstd = self.mean.astype(acc), self.rstd.astype(acc)
        xhat = ((xd.astype(acc).reshape(grouped) - mean) * rstd).reshape(xd.shape)
        reduce = (0,) + tuple(range(2, xd.ndim))
        d_x = d_w = d_b = None
        if self.needs_grad(0):
            gw = g.astype(acc)
            if w is not None:
                gw = gw * w._data.astype(acc).reshape(pshape)
            gwg, xhg = gw.reshape(grouped), xhat.reshape(grouped)
            value = (gwg - gwg.mean(axis=2, keepdims=True)
                     - xhg * (gwg * xhg).mean(axis=2, keepdims=True)) * rstd
            d_x = _wrap(value.reshape(xd.shape).astype(dt), dt)
        if len(self.next_functions) > 1 and self.needs_grad(1):
            d_w = _wrap((g.astype(acc) * xhat).sum(axis=reduce).astype(dt), dt)
        if len(self.next_functions) > 2 and self.needs_grad(2):
            d_b = _wrap(g.astype(acc).sum(axis=reduce).astype(dt), dt)
        return d_x, d_w, d_b


def group_norm(input, num_groups, weight, bias, eps):
    """PyTorch's `native_group_norm` on (N, C, *) input."""
    x = input._data
    dt = x.dtype
    xc = _compute(x)
    n, c = x.shape[:2]
    grouped = (n, num_groups, -1)
    mean_acc, var_acc = _moments(xc.reshape(grouped), (2,))
    mean = mean_acc.astype(xc.dtype)
    rstd = _invstd(var_acc, eps).astype(xc.dtype)
    # per (sample, channel): scale = rstd * gamma, shift = beta - scale * mean
    per_group = c // num_groups
    rstd_c = np.repeat(rstd.reshape(n, num_groups), per_group, axis=1)
    mean_c = np.repeat(mean.reshape(n, num_groups), per_group, axis=1)
    scale = rstd_c * _compute(weight._data)[None, :] if weight is not None else rstd_c
    shift = -scale * mean_c
    if bias is not None:
        shift = shift + _compute(bias._data)[None, :]
    tail = (1,) * (x.ndim - 2)
    y = xc * scale.reshape((n, c) + tail) + shift.reshape((n, c) + tail)
    result = _wrap(y, dt)
    inputs = (input, weight, bias)
    if _recording(*inputs):
        node = NativeGroupNormBackward0(*inputs)
        node.groups, node.eps, node.mean, node.rstd = num_groups, eps, mean, rstd
        node.save_for_backward(input, weight)
        _attach(result, node)
    return result

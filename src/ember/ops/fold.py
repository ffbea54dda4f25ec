"""im2col and col2im (`F.unfold` / `F.fold`), each recording one node named as PyTorch names
it (`Im2ColBackward0`, `Col2ImBackward0`).

The two ops are adjoint linear maps, so each one's backward is the other one (recorded in turn
when a graph of the backward is built: second derivatives work). im2col only copies values
(the windows come from `conv_ops`' strided view); col2im adds every column back into its place,
one kernel offset at a time in row-major order, which is the order PyTorch's CPU loop adds
them, so overlapping sums agree bit for bit. Both work in the input's own dtype (float16 sums
round after each add, as PyTorch's do).
"""
import numpy as np

from .. import _backend
from .._tensor import Tensor
from ..autograd.graph import Node
from ._util import attach as _attach, contiguous, recording as _recording
from .conv_ops import _pad, _windows

_xp = _backend.xp


def _blocks(size, kernel, dilation, padding, stride):
    # floor division, as PyTorch's shape checks round (a negative span gives 0 or less)
    return tuple((size[i] + 2 * padding[i] - (dilation[i] * (kernel[i] - 1) + 1)) // stride[i]
                 + 1 for i in range(2))


def _check_params(kernel, dilation, padding, stride):
    if kernel[0] <= 0 or kernel[1] <= 0:
        raise RuntimeError("kernel size should be greater than zero, but got kernel_height: "
                           f"{kernel[0]} kernel_width: {kernel[1]}")
    if dilation[0] <= 0 or dilation[1] <= 0:
        raise RuntimeError("dilation should be greater than zero, but got dilation_height: "
                           f"{dilation[0]} dilation_width: {dilation[1]}")
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError("padding should be non-negative, but got pad_height: "
                           f"{padding[0]} pad_width: {padding[1]}")
    if stride[0] <= 0 or stride[1] <= 0:
        raise RuntimeError("stride should be greater than zero, but got stride_height: "
                           f"{stride[0]} stride_width: {stride[1]}")


def _check_dtype(x, name):
    if x.dtype.kind in "iu":
        from .. import _dtype
        raise NotImplementedError(f'"{name}_out_cpu" not implemented for '
                                  f"'{_dtype._BY_NP[x.dtype].scalar_name}'")


def _shape(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _pairs(name, values):
    return ", ".join(f"{n}=({v[0]}, {v[1]})" for n, v in zip(name, values))


# -- the kernels (arrays in, arrays out; batched 4-d / 3-d) ---------------------------------------


def im2col_kernel(x, kernel, dilation, padding, stride):
    """(N, C, H, W) -> (N, C*kh*kw, L): every window, channel-major then kernel row, column."""
    n, c, h, w = x.shape
    out = _blocks((h, w), kernel, dilation, padding, stride)
    xp = _pad(x, padding, padding)
    win = _windows(xp, out, kernel, stride, dilation)          # (N, C, oh, ow, kh, kw)
    cols = contiguous(win.transpose(0, 1, 4, 5, 2, 3))
    return cols.reshape(n, c * kernel[0] * kernel[1], out[0] * out[1])


def col2im_kernel(cols, size, kernel, dilation, padding, stride):
    """(N, C*kh*kw, L) -> (N, C, H, W): each column added back into its window, offset by
    offset (PyTorch's order of the overlapping adds)."""
    n = cols.shape[0]
    kh, kw = kernel
    c = cols.shape[1] // (kh * kw)
    out = _blocks(size, kernel, dilation, padding, stride)
    blocks = cols.reshape(n, c, kh, kw, out[0], out[1])
    padded = tuple(max(size[i] + 2 * padding[i],
                       (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1)
                   for i in range(2))
    img = _xp(cols).zeros((n, c) + padded, cols.dtype)
    for i, j in np.ndindex(kh, kw):
        r, s = i * dilation[0], j * dilation[1]
        img[:, :, r:r + stride[0] * (out[0] - 1) + 1:stride[0],
            s:s + stride[1] * (out[1] - 1) + 1:stride[1]] += blocks[:, :, i, j]
    return contiguous(img[:, :, padding[0]:padding[0] + size[0],
                          padding[1]:padding[1] + size[1]])


# -- the recorded ops -----------------------------------------------------------------------------


class Im2ColBackward0(Node):
    """im2col's backward: col2im of the gradient (its adjoint)."""

    def apply(self, grad):
        return (col2im(grad, self.size, *self.params),)


class Col2ImBackward0(Node):
    """col2im's backward: im2col of the gradient (its adjoint)."""

    def apply(self, grad):
        return (im2col(grad, *self.params),)


def im2col(input, kernel, dilation, padding, stride):
    """`torch._C._nn.im2col`: the sliding blocks of a (C, H, W) or (N, C, H, W) input."""
    _check_params(kernel, dilation, padding, stride)
    x = input._data
    if x.ndim == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    if x.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{x.ndim}, "
                         f"{x.ndim - 1}], but got {x.ndim})")
    if x.ndim not in (3, 4) or any(d == 0 for d in x.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {_shape(x.shape)}")
    size = x.shape[-2:]
    out = _blocks(size, kernel, dilation, padding, stride)
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size ({size[0]}, {size[1]}), "
            + _pairs(("kernel_size", "dilation", "padding"), (kernel, dilation, padding))
            + f", calculated shape of the array of sliding blocks as ({out[0]}, {out[1]}), "
            "but its components must be at least one.")
    _check_dtype(x, "im2col")
    batched = x.ndim == 4
    value = im2col_kernel(x if batched else x[None], kernel, dilation, padding, stride)
    result = Tensor._make(value if batched else value[0])
    if _recording(input):
        node = Im2ColBackward0(input)
        node.size, node.params = tuple(size), (kernel, dilation, padding, stride)
        _attach(result, node)
    return result


def col2im(input, output_size, kernel, dilation, padding, stride):
    """`torch._C._nn.col2im`: sums (C*kh*kw, L) or (N, C*kh*kw, L) blocks into an image."""
    _check_params(kernel, dilation, padding, stride)
    x = input._data
    if x.ndim not in (2, 3) or any(d == 0 for d in x.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{_shape(x.shape)}")
    k = kernel[0] * kernel[1]
    if x.shape[-2] % k:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[-2]} and "
                           f"kernel_size=({kernel[0]}, {kernel[1]}).")
    out = _blocks(output_size, kernel, dilation, padding, stride)
    if out[0] * out[1] != x.shape[-1]:
        raise RuntimeError(
            "Given " + _pairs(("output_size", "kernel_size", "dilation", "padding", "stride"),
                              (output_size, kernel, dilation, padding, stride))
            + ", expected size of input's dimension 2 to match the calculated number of "
            f"sliding blocks {out[0]} * {out[1]} = {out[0] * out[1]}, but got "
            f"input.size(2)={x.shape[-1]}.")
    _check_dtype(x, "col2im")
    batched = x.ndim == 3
    value = col2im_kernel(x if batched else x[None], tuple(output_size), kernel, dilation,
                          padding, stride)
    result = Tensor._make(value if batched else value[0])
    if _recording(input):
        node = Col2ImBackward0(input)
        node.params = (kernel, dilation, padding, stride)
        _attach(result, node)
    return result

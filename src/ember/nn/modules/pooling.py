"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d,
AdaptiveMaxPool1d/2d/3d, and
their functional forms (`max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`, ...).

Pooling summarises each window of a feature map by its maximum or its average, shrinking the
map. The 1-d forms run the 2-d ops on a height-1 image (`unsqueeze(-2)`), as PyTorch does,
so their gradients show the same nodes. The math is in `ember/ops/conv_ops.py`.
"""
from ...ops import conv_ops
from .conv import _single
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
           "AdaptiveMaxPool3d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d",
           "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices"]


def _shape_str(t):
    return "[" + ", ".join(map(str, t.shape)) + "]"


def _two(value, what, name, allow_empty=False):
    """An int or a 1- or 2-sequence as a pair (PyTorch's message otherwise)."""
    if value is None or (allow_empty and isinstance(value, (tuple, list)) and len(value) == 0):
        return None
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * 2
        if len(value) == 2:
            return tuple(int(v) for v in value)
        omitted = "be omitted, " if allow_empty else ""
        raise RuntimeError(f"{name}: {what} must either {omitted}be a single int, or a tuple of "
                           "two ints")
    return (int(value),) * 2


def _pool2d_params(name, kernel_size, stride, padding, dilation):
    kernel = _two(kernel_size, "kernel_size", name)
    stride = _two(stride, "stride", name, allow_empty=True) or kernel
    padding = _two(padding, "padding", name)
    dilation = _two(dilation, "dilation", name)
    return kernel, stride, padding, dilation


def _pool2d_checks(input, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's `pool2d_shape_check`; returns the output size."""
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kernel[0]} "
                           f"kW: {kernel[1]}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: "
                           f"{dilation[0]} dilationW: {dilation[1]}")
    shape = input.shape
    dim = len(shape)
    if not (dim in (3, 4) and all(s != 0 for s in shape[dim - 3:])):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{_shape_str(input)}")
    for i in range(2):
        if padding[i] > (dilation[i] * (kernel[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={padding[i]}, kernel_size={kernel[i]} and "
                               f"dilation={dilation[i]}")
    size = shape[-2:]
    out = tuple(conv_ops.pooling_output_size(size[i], kernel[i], padding[i], padding[i],
                                             stride[i], dilation[i], ceil_mode)
                for i in range(2))
    if out[0] < 1 or out[1] < 1:
        c = shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{size[0]}x{size[1]}). Calculated output "
                           f"size: ({c}x{out[0]}x{out[1]}). Output size is too small")
    return out


# -- max pooling ----------------------------------------------------------------------------------


def _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    kernel, stride, padding, dilation = _pool2d_params("max_pool2d", kernel_size, stride,
                                                       padding, dilation)
    if input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    _pool2d_checks(input, kernel, stride, padding, dilation, ceil_mode)
    return conv_ops.max_pool2d_with_indices(input, kernel, stride, padding, dilation, ceil_mode,
                                            return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """2-d max pooling: `(output, indices)`; the indices count positions in each input plane
    (row * W + column), as `max_unpool2d` expects them."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each `kernel_size` window of (N, C, H, W) (or (C, H, W)) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.max_pool2d(ember.arange(16.0).view(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    out, indices = _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                               return_indices)
    return (out, indices) if return_indices else out


def _one(value, what, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise RuntimeError(f"{name}() {what} must be an int, list of ints or tuple of ints "
                               f"of size 1 but got size {len(value)}")
        return int(value[0])
    return int(value)


def _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if input.dim() not in (2, 3) or any(s == 0 for s in input.shape[-2:]):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{_shape_str(input)}")
    k = _one(kernel_size, "kernel_size", "max_pool1d")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _one(stride, "stride", "max_pool1d")
    p = _one(padding, "padding", "max_pool1d")
    d = _one(dilation, "dilation", "max_pool1d")
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but "
                           f"got padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out_size = conv_ops.pooling_output_size(input.shape[-1], k, p, p, s, d, ceil_mode)
    if out_size <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out_size}")
    out, indices = conv_ops.max_pool2d_with_indices(input.unsqueeze(-2), (1, k), (1, s), (0, p),
                                                    (1, d), ceil_mode, return_indices)
    return out.squeeze(-2), (indices.squeeze(-2) if indices is not None else None)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """1-d max pooling of (N, C, L) (or (C, L)): `(output, indices)`."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each `kernel_size` window of (N, C, L) (or (C, L)) input."""
    out, indices = _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode,
                               return_indices)
    return (out, indices) if return_indices else out


# -- average pooling ------------------------------------------------------------------------------


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The average of each `kernel_size` window of (N, C, H, W) (or (C, H, W)) input; the
    zero padding counts in the divisor unless `count_include_pad=False`."""
    kernel = _two(kernel_size, "kernel_size", "avg_pool2d")
    stride = _two(stride, "stride", "avg_pool2d", allow_empty=True) or kernel
    padding = _two(padding, "padding", "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(input.dim(), 1)}, {max(input.dim(), 1) - 1}], but got -3)")
    _pool2d_checks(input, kernel, stride, padding, (1, 1), ceil_mode)
    return conv_ops.avg_pool2d(input, kernel, stride, padding, ceil_mode, count_include_pad,
                               divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """The average of each `kernel_size` window of (N, C, L) (or (C, L)) input."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    k = _one(kernel_size, "kernel_size", "avg_pool1d")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _one(stride, "stride", "avg_pool1d")
    p = _one(padding, "padding", "avg_pool1d")
    x = input.unsqueeze(-2)
    _pool2d_checks(x, (1, k), (1, s), (0, p), (1, 1), ceil_mode)
    out = conv_ops.avg_pool2d(x, (1, k), (1, s), (0, p), ceil_mode, count_include_pad, None)
    return out.squeeze(-2)


# -- adaptive pooling -----------------------------------------------------------------------------


def _adaptive_size(output_size, input, nsp, name):
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nsp:
            raise RuntimeError(f"{name}: output_size must be {nsp}")
        sizes = list(output_size)
    else:
        sizes = [output_size] * nsp
    shape = input.shape
    return tuple(int(shape[len(shape) - nsp + i]) if v is None else int(v)
                 for i, v in enumerate(sizes))


def _adaptive_checks(input, name, dims=(3, 4)):
    if input.dim() not in dims:
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {_shape_str(input)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_shape_str(input)} with "
                               f"dimension {i} being empty")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (H_out, W_out) (None keeps that input size);
    the windows are `[floor(i * H / H_out), ceil((i + 1) * H / H_out))`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.adaptive_avg_pool2d(ember.ones(1, 2, 5, 7), (2, 3)).shape
    torch.Size([1, 2, 2, 3])
    """
    size = _adaptive_size(output_size, input, 2, "adaptive_avg_pool2d")
    _adaptive_checks(input, "adaptive_avg_pool2d")
    if size == (1, 1):
        return input.mean((-1, -2), keepdim=True)     # PyTorch's shortcut (MeanBackward1)
    return conv_ops.adaptive_avg_pool2d(input, size)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) (or (C, L)) to a fixed output length."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "adaptive_avg_pool1d)")
    size = _adaptive_size(output_size, input, 1, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size[0])).squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """Max pooling to a fixed output size: `(output, indices)`."""
    size = _adaptive_size(output_size, input, 2, "adaptive_max_pool2d")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{_shape_str(input)}")
    _adaptive_checks(input, "adaptive_max_pool2d")
    return conv_ops.adaptive_max_pool2d(input, size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (H_out, W_out)."""
    out, indices = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "adaptive_max_pool1d)")
    size = _adaptive_size(output_size, input, 1, "adaptive_max_pool1d")
    out, indices = conv_ops.adaptive_max_pool2d(input.unsqueeze(-2), (1, size[0]))
    return out.squeeze(-2), indices.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) (or (C, L)) to a fixed output length."""
    out, indices = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


# -- 3-d pooling -----------------------------------------------------------------------------------


def _three(value, message, allow_empty=False):
    """An int or a 1- or 3-sequence as a triple (`message` otherwise)."""
    if value is None or (allow_empty and isinstance(value, (tuple, list)) and len(value) == 0):
        return None
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * 3
        if len(value) == 3:
            return tuple(int(v) for v in value)
        raise RuntimeError(message)
    return (int(value),) * 3


def _pool3d_checks(input, name, kernel, stride, padding, dilation, ceil_mode, check_size):
    """PyTorch's `pool3d_shape_check`; returns the output size."""
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        raise RuntimeError("kernel size should be greater than zero, but got kT: {} kH: {} "
                           "kW: {}".format(*kernel))
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero, but got dilationT: {} "
                           "dilationH: {} dilationW: {}".format(*dilation))
    shape = input.shape
    if len(shape) not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input's non-batch dimensions to have "
                               f"positive length, but input has a shape of "
                               f"{_shape_str(input)} and non-batch dimension {i - 1} has "
                               "length zero!")
    for i in range(3):
        if padding[i] > (dilation[i] * (kernel[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={padding[i]}, kernel_size={kernel[i]} and "
                               f"dilation={dilation[i]}")
    size = shape[-3:]
    if check_size and any(size[i] < kernel[i] for i in range(3)):
        raise RuntimeError("input image (T: {} H: {} W: {}) smaller than kernel size (kT: {} "
                           "kH: {} kW: {})".format(*size, *kernel))
    out = tuple(conv_ops.pooling_output_size(size[i], kernel[i], padding[i], padding[i],
                                             stride[i], dilation[i], ceil_mode)
                for i in range(3))
    if min(out) < 1:
        c = shape[-4]
        raise RuntimeError("Given input size: ({}x{}x{}x{}). Calculated output size: "
                           "({}x{}x{}x{}). Output size is too small".format(c, *size, c, *out))
    return out


def _float_only(input, what):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{what}" not implemented for '
                                  f"'{_dtype_name(input)}'")


def _dtype_name(t):
    return conv_ops._dtype_name(t)


def _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    kernel = _three(kernel_size, "max_pool3d: kernel_size must either be a single int, or a "
                    "tuple of three ints")
    stride = _three(stride, "max_pool3d: stride must either be omitted, a single int, or a "
                    "tuple of three ints", allow_empty=True) or kernel
    padding = _three(padding, "max_pool3d: padding must either be a single int, or a tuple of "
                     "three ints")
    dilation = _three(dilation, "max_pool3d: dilation must be either a single int, or a tuple "
                      "of three ints")
    _pool3d_checks(input, "max_pool3d_with_indices_out_cpu_template", kernel, stride, padding,
                   dilation, ceil_mode, False)
    return conv_ops.max_pool3d_with_indices(input, kernel, stride, padding, dilation,
                                            ceil_mode, return_indices)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """3-d max pooling: `(output, indices)`; the indices count positions in each input
    volume (flat in D*H*W), as `max_unpool3d` expects them."""
    return _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each `kernel_size` window of (N, C, D, H, W) (or (C, D, H, W)) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.max_pool3d(ember.arange(8.0).view(1, 1, 2, 2, 2), 2)
    tensor([[[[[7.]]]]])
    """
    out, indices = _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode,
                               return_indices)
    return (out, indices) if return_indices else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The average of each `kernel_size` window of (N, C, D, H, W) (or (C, D, H, W)) input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.avg_pool3d(ember.arange(8.0).view(1, 1, 2, 2, 2), 2)
    tensor([[[[[3.5000]]]]])
    """
    kernel = _three(kernel_size, "avg_pool3d: kernel_size must be a single int, or a tuple of "
                    "three ints")
    stride = _three(stride, "avg_pool3d: stride must be omitted, a single int, or a tuple of "
                    "three ints", allow_empty=True) or kernel
    padding = _three(padding, "avg_pool3d: padding must be a single int, or a tuple of three "
                     "ints")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _pool3d_checks(input, "avg_pool3d", kernel, stride, padding, (1, 1, 1), ceil_mode, True)
    _float_only(input, "avg_pool3d_out_frame")
    return conv_ops.avg_pool3d(input, kernel, stride, padding, ceil_mode, count_include_pad,
                               divisor_override)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed output size (D_out, H_out, W_out) (None keeps that input
    size).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.adaptive_avg_pool3d(ember.ones(1, 2, 5, 7, 3), (2, 3, 1)).shape
    torch.Size([1, 2, 2, 3, 1])
    """
    size = _adaptive_size(output_size, input, 3, "adaptive_avg_pool3d")
    if input.dim() not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got "
                           f"{_shape_str(input)}")
    _adaptive_checks(input, "adaptive_avg_pool3d", (4, 5))
    if size == (1, 1, 1):
        return input.mean((-1, -2, -3), keepdim=True)   # PyTorch's shortcut (MeanBackward1)
    _float_only(input, "adaptive_avg_pool3d_cpu")
    return conv_ops.adaptive_avg_pool3d(input, size)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """3-d max pooling to a fixed output size: `(output, indices)`."""
    if isinstance(output_size, (tuple, list)) and len(output_size) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must "
                           "be 3")
    size = _adaptive_size(output_size, input, 3, "adaptive_max_pool3d")
    if input.dim() not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: "
                           f"{_shape_str(input)}")
    _adaptive_checks(input, "adaptive_max_pool3d", (4, 5))
    _float_only(input, "adaptive_max_pool3d_cpu")
    return conv_ops.adaptive_max_pool3d(input, size)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (D_out, H_out, W_out)."""
    out, indices = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


# -- modules ---------------------------------------------------------------------------------------


class _MaxPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "dilation", "return_indices",
                     "ceil_mode"]

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return ("kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                "dilation={dilation}, ceil_mode={ceil_mode}".format(**self.__dict__))


class MaxPool1d(_MaxPoolNd):
    """Max pooling over (N, C, L) inputs.

    >>> from ember import nn
    >>> nn.MaxPool1d(3, stride=2)
    MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    def forward(self, input):
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max pooling over (N, C, H, W) inputs.

    >>> from ember import nn
    >>> nn.MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class _AvgPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """Average pooling over (N, C, L) inputs.

    >>> from ember import nn
    >>> nn.AvgPool1d(3, stride=2)
    AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)


class _AvgPoolWithDivisor(_AvgPoolNd):
    """AvgPool2d and AvgPool3d: the settings they share; `_pool` is the function."""
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                     "divisor_override"]

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return self._pool(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPoolWithDivisor):
    """Average pooling over (N, C, H, W) inputs.

    >>> from ember import nn
    >>> nn.AvgPool2d(2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """
    _pool = staticmethod(avg_pool2d)


class _AdaptiveMaxPoolNd(Module):
    __constants__ = ["output_size", "return_indices"]

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, L) inputs to a fixed length."""

    def forward(self, input):
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, H, W) inputs to a fixed size.

    >>> from ember import nn
    >>> nn.AdaptiveMaxPool2d((5, 7))
    AdaptiveMaxPool2d(output_size=(5, 7))
    """

    def forward(self, input):
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)


class _AdaptiveAvgPoolNd(Module):
    __constants__ = ["output_size"]

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, L) inputs to a fixed length."""

    def forward(self, input):
        return adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, H, W) inputs to a fixed size (`(1, 1)`: global average
    pooling).

    >>> from ember import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))
    AdaptiveAvgPool2d(output_size=(1, 1))
    """

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)


class MaxPool3d(_MaxPoolNd):
    """Max pooling over (N, C, D, H, W) inputs.

    >>> from ember import nn
    >>> nn.MaxPool3d(2)
    MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    def forward(self, input):
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool3d(_AvgPoolWithDivisor):
    """Average pooling over (N, C, D, H, W) inputs.

    >>> from ember import nn
    >>> nn.AvgPool3d(2)
    AvgPool3d(kernel_size=2, stride=2, padding=0)
    """
    _pool = staticmethod(avg_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, D, H, W) inputs to a fixed size.

    >>> from ember import nn
    >>> nn.AdaptiveMaxPool3d((2, None, 3))
    AdaptiveMaxPool3d(output_size=(2, None, 3))
    """

    def forward(self, input):
        return adaptive_max_pool3d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, D, H, W) inputs to a fixed size.

    >>> from ember import nn
    >>> nn.AdaptiveAvgPool3d(1)
    AdaptiveAvgPool3d(output_size=1)
    """

    def forward(self, input):
        return adaptive_avg_pool3d(input, self.output_size)


# -- max unpooling ---------------------------------------------------------------------------------
#
# The partial inverse of max pooling: each pooled value goes back to the position its index
# names, zeros elsewhere. The math is in `ember/ops/resample.py` (`max_unpool`); the 1-d form
# runs the 2-d op on a width-1 image, as PyTorch does (so its graph ends in SqueezeBackward1).

from ...ops import resample  # noqa: E402 (this section was appended)
from .conv import _pair, _triple  # noqa: E402

__all__ += ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "max_unpool1d", "max_unpool2d",
            "max_unpool3d"]


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """The spatial output size: the default inverse of the pooling arithmetic, or the
    requested `output_size` (its last dims), which must lie within a stride of it."""
    input_size = input.size()
    default_size = []
    for d in range(len(kernel_size)):
        default_size.append((input_size[-len(kernel_size) + d] - 1) * stride[d]
                            + kernel_size[d] - 2 * padding[d])
    if output_size is None:
        ret = default_size
    else:
        if len(output_size) == len(kernel_size) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(kernel_size):
            raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} "
                             f"or {len(kernel_size) + 2} elements, but it has a length of "
                             f"'{len(output_size)}'")
        for d in range(len(kernel_size)):
            min_size = default_size[d] - stride[d]
            max_size = default_size[d] + stride[d]
            if not (min_size < output_size[d] < max_size):
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be '
                                 f"between {min_size} and {max_size})")
        ret = output_size
    for d in range(len(kernel_size)):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={ret[d]}")
    return [int(s) for s in ret]


def _unpool_args(parse, kernel_size, stride, padding):
    kernel = parse(kernel_size)
    return kernel, (parse(stride) if stride is not None else kernel), parse(padding)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of `max_pool1d`: values back at their indices, zeros elsewhere.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> out, idx = F.max_pool1d(ember.tensor([[[1., 3., 2., 0.]]]), 2, return_indices=True)
    >>> F.max_unpool1d(out, idx, 2)
    tensor([[[0., 3., 2., 0.]]])
    """
    kernel, stride, padding = _unpool_args(_single, kernel_size, stride, padding)
    size = _unpool_output_size(input, kernel, stride, padding, output_size)
    return resample.max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1],
                               2).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of `max_pool2d`: values back at their indices, zeros elsewhere.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> out, idx = F.max_pool2d(ember.arange(4.0).view(1, 1, 2, 2), 2, return_indices=True)
    >>> F.max_unpool2d(out, idx, 2)
    tensor([[[[0., 0.],
              [0., 3.]]]])
    """
    kernel, stride, padding = _unpool_args(_pair, kernel_size, stride, padding)
    size = _unpool_output_size(input, kernel, stride, padding, output_size)
    return resample.max_unpool(input, indices, size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of `max_pool3d`: values back at their indices, zeros elsewhere.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> out, idx = F.max_pool3d(ember.arange(8.0).view(1, 1, 2, 2, 2), 2,
    ...                         return_indices=True)
    >>> F.max_unpool3d(out, idx, 2).flatten()
    tensor([0., 0., 0., 0., 0., 0., 0., 7.])
    """
    kernel, stride, padding = _unpool_args(_triple, kernel_size, stride, padding)
    size = _unpool_output_size(input, kernel, stride, padding, output_size)
    return resample.max_unpool(input, indices, size, 3, stride)


class _MaxUnpoolNd(Module):
    _parse = staticmethod(_single)

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = self._parse(kernel_size)
        self.stride = self._parse(stride if stride is not None else kernel_size)
        self.padding = self._parse(padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Undoes `MaxPool1d(return_indices=True)`: `unpool(output, indices)`.

    >>> from ember import nn
    >>> nn.MaxUnpool1d(2)
    MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    def forward(self, input, indices, output_size=None):
        return max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Undoes `MaxPool2d(return_indices=True)`: `unpool(output, indices)`.

    >>> from ember import nn
    >>> nn.MaxUnpool2d(2)
    MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    _parse = staticmethod(_pair)

    def forward(self, input, indices, output_size=None):
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """Undoes `MaxPool3d(return_indices=True)`: `unpool(output, indices)`.

    >>> from ember import nn
    >>> nn.MaxUnpool3d(2)
    MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))
    """

    _parse = staticmethod(_triple)

    def forward(self, input, indices, output_size=None):
        return max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


# -- power-average (LP) pooling -------------------------------------------------------------------
# PyTorch composes these in Python from avg_pool, pow, sign, abs and relu; the same composition
# here gives the same values, gradients and grad_fn chain (PowBackward, MulBackward, ...).


def _lp_finish(out, size, norm_type):
    from ..functional import relu
    from ... import abs as _abs, sign as _sign
    return (_sign(out) * relu(_abs(out))).mul(size).pow(1.0 / norm_type)


def _is_inf(norm_type, sign):
    return isinstance(norm_type, (int, float)) and norm_type == sign * float("inf")


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, L): `(sum of x**p over each window) ** (1/p)`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.lp_pool1d(ember.tensor([[[3., 4.]]]), 2, 2)
    tensor([[[5.]]])
    """
    if _is_inf(norm_type, 1):
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if _is_inf(norm_type, -1):
        return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_finish(out, kernel_size, norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, H, W) over `kernel_size` windows.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.lp_pool2d(ember.ones(1, 1, 2, 2), 1, 2)
    tensor([[[[4.]]]])
    """
    kw, kh = _pair(kernel_size)
    if _is_inf(norm_type, 1):
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if _is_inf(norm_type, -1):
        return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_finish(out, kw * kh, norm_type)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, D, H, W) over `kernel_size` windows.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.lp_pool3d(ember.ones(1, 1, 2, 2, 2), 1, 2)
    tensor([[[[[8.]]]]])
    """
    kd, kw, kh = _triple(kernel_size)
    if _is_inf(norm_type, 1):
        return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if _is_inf(norm_type, -1):
        return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool3d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_finish(out, kd * kw * kh, norm_type)


class _LPPoolNd(Module):
    __constants__ = ["norm_type", "kernel_size", "stride", "ceil_mode"]

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """1-d power-average pooling (see `lp_pool1d`).

    >>> import ember
    >>> ember.nn.LPPool1d(2, 2)(ember.tensor([[[3., 4.]]]))
    tensor([[[5.]]])
    """

    def forward(self, input):
        return lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """2-d power-average pooling (see `lp_pool2d`).

    >>> import ember
    >>> ember.nn.LPPool2d(1, 2)(ember.ones(1, 1, 2, 2))
    tensor([[[[4.]]]])
    """

    def forward(self, input):
        return lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """3-d power-average pooling (see `lp_pool3d`).

    >>> import ember
    >>> ember.nn.LPPool3d(1, 2)(ember.ones(1, 1, 2, 2, 2))
    tensor([[[[[8.]]]]])
    """

    def forward(self, input):
        return lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)


__all__ += ["LPPool1d", "LPPool2d", "LPPool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


# -- fractional max pooling -----------------------------------------------------------------------
#
# Max pooling with pseudo-random window starts (see `ember/ops/fractional_pool.py`). When no
# `_random_samples` are given they are drawn with `rand(N, C, nd)` in the input's dtype, as
# PyTorch does, so the same seed gives the same windows.

from ... import _random_ops  # noqa: E402 (this section was appended)
from ...ops import fractional_pool as _fractional  # noqa: E402

__all__ += ["FractionalMaxPool2d", "FractionalMaxPool3d", "fractional_max_pool2d",
            "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
            "fractional_max_pool3d_with_indices"]

_FRACTIONAL_NAMES = {2: ("fractional_max_pool2d", "fractional_max_pool2d():", "3D or 4D",
                         ("height", "width"), "tuple of Ints"),
                     3: ("fractional_max_pool3d", "fractional_max_pool3d_out():", "4D or 5D",
                         ("time", "height", "width"), "tuple of three Ints")}


def _fractional_sizes(value, nd, what, name, tail):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * nd
        if len(value) == nd:
            return tuple(int(v) for v in value)
        raise RuntimeError(f"{name}: {what} must either be a single Int or {tail}")
    return (int(value),) * nd


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, samples, nd):
    name, where, dims, axes, tail = _FRACTIONAL_NAMES[nd]
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a "
                             "single Int or tuple of Ints.")
        ratio = (_pair if nd == 2 else _triple)(output_ratio)
        output_size = [int(input.size(i - nd) * ratio[i]) for i in range(nd)]
    if samples is None:
        n_batch = 1 if input.dim() == nd + 1 else input.size(0)
        samples = _random_ops.rand(n_batch, input.size(-nd - 1), nd, dtype=input.dtype,
                                   device=input.device)
    kernel = _fractional_sizes(kernel_size, nd, "kernel_size", name, tail)
    out = _fractional_sizes(output_size, nd, "output_size", name, tail)
    shape = input.shape
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where} Expected {dims} tensor, but got: {_shape_str(input)}")
    for i in range(1, len(shape)):
        if shape[i] <= 0:
            raise RuntimeError(f"{where} Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{_shape_str(input)} with dimension {i} "
                               "being empty.")
    size = shape[-nd:]
    for i in range(nd):
        # the 3-d check is strict in PyTorch (one input row more than the 2-d form needs)
        fits = (out[i] + kernel[i] - 1 <= size[i]) if nd == 2 else \
            (out[i] + kernel[i] - 1 < size[i])
        if not fits:
            raise RuntimeError(f"{where} pool {axes[i]} {kernel[i]} too large relative to "
                               f"input {axes[i]} {size[i]}")
    full = tuple(shape[:-nd]) + out
    if any(s < 0 for s in full):
        bad = next(s for s in full if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           "[" + ", ".join(map(str, full)) + "]")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    batch, channels = (1, shape[0]) if len(shape) == nd + 1 else (shape[0], shape[1])
    if samples.size(0) < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.size(1) != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.size(2) != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got "
                           f"{samples.size(2)}.")
    _float_only(input, f"{name}_out_frame")
    return _fractional.fractional_max_pool(input, kernel, out, samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """2-d fractional max pooling: `(output, indices)` (indices flat in each plane)."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio,
                                _random_samples, 2)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max pooling of (N, C, H, W) (or (C, H, W)) input with pseudo-random window strides,
    to `output_size` or `output_ratio` times the input size.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.fractional_max_pool2d(ember.randn(1, 2, 9, 9), 2, output_size=5).shape
    torch.Size([1, 2, 5, 5])
    """
    out, indices = fractional_max_pool2d_with_indices(input, kernel_size, output_size,
                                                      output_ratio, return_indices,
                                                      _random_samples)
    return (out, indices) if return_indices else out


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """3-d fractional max pooling: `(output, indices)` (indices flat in each volume)."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio,
                                _random_samples, 3)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max pooling of (N, C, T, H, W) (or (C, T, H, W)) input with pseudo-random window
    strides.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.fractional_max_pool3d(ember.randn(1, 2, 9, 9, 9), 2, output_ratio=0.5).shape
    torch.Size([1, 2, 4, 4, 4])
    """
    out, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size,
                                                      output_ratio, return_indices,
                                                      _random_samples)
    return (out, indices) if return_indices else out


class _FractionalMaxPoolNd(Module):
    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        nd = self._nd
        expand = _pair if nd == 2 else _triple
        if nd == 3 and ((isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size))):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = expand(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = expand(output_size) if output_size is not None else None
        self.output_ratio = expand(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{type(self).__name__} requires specifying either an output "
                             "size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None:
            if not all(0 < r < 1 for r in self.output_ratio):
                raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return self._pool(input, self.kernel_size, self.output_size, self.output_ratio,
                          self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-d fractional max pooling (fresh random windows per call unless `_random_samples`).

    >>> from ember import nn
    >>> nn.FractionalMaxPool2d(3, output_ratio=0.5)
    FractionalMaxPool2d()
    """
    _nd = 2
    _pool = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-d fractional max pooling (fresh random windows per call unless `_random_samples`).

    >>> from ember import nn
    >>> nn.FractionalMaxPool3d(2, output_size=(4, 4, 4))
    FractionalMaxPool3d()
    """
    _nd = 3
    _pool = staticmethod(fractional_max_pool3d)

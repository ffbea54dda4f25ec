"""Convolution layers: Conv1d, Conv2d, Conv3d and their transposes, and the functional forms
(`conv1d`, `conv2d`, `conv_transpose2d`, ...).

A convolution slides a small weight kernel over the input and takes a dot product at every
position: for an input (N, C_in, H, W) and a weight (C_out, C_in/groups, kh, kw) the output
is (N, C_out, H_out, W_out) with

    H_out = floor((H + 2 * padding - dilation * (kh - 1) - 1) / stride) + 1.

The computation (one large matrix product over the whole batch, and its backward passes) is
in `ember/ops/conv_ops.py`.
"""
import collections.abc
import math
import warnings
from itertools import repeat

import numpy as np

from ... import _creation
from ...ops import conv_ops
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d"]


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")


def _reverse_repeat_tuple(t, n):
    return tuple(x for x in reversed(t) for _ in range(n))


# -- functional forms -----------------------------------------------------------------------------


def _expand_param(value, name, nsp):
    """An int or a sequence of `nsp` ints, as a tuple (PyTorch's message otherwise)."""
    if isinstance(value, collections.abc.Iterable) and not isinstance(value, str):
        items = tuple(int(v) for v in value)
        if len(items) == 1:
            return items * nsp
        if len(items) != nsp:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of "
                               f"{nsp} values to match the convolution dimensions, but got "
                               f"{name}=[{', '.join(map(str, items))}]")
        return items
    return (int(value),) * nsp


def _batchify(input, nsp, name):
    dim = input.dim()
    if dim == nsp + 2:
        return input, True
    if dim == nsp + 1:
        return input.unsqueeze(0), False
    raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to "
                       f"{name}, but got input of size: [{', '.join(map(str, input.shape))}]")


def _same_padding(kernel, dilation, nsp):
    lo, hi = [], []
    for i in range(nsp):
        total = dilation[i] * (kernel[i] - 1)
        lo.append(total // 2)
        hi.append(total - total // 2)
    if lo != hi:
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                      "require a zero-padded copy of the input be created", stacklevel=4)
    return tuple(lo), tuple(hi)


def _conv(input, weight, bias, stride, padding, dilation, groups, nsp, name):
    batched_input, batched = _batchify(input, nsp, name)
    stride = _expand_param(stride, "stride", nsp)
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if weight.dim() != nsp + 2:
        # (PyTorch counts the spatial dims from the weight and finds the stride too long)
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{weight.dim() - 2} values to match the convolution dimensions, but "
                           f"got stride=[{', '.join(map(str, stride))}]")
    dilation = _expand_param(dilation, "dilation", nsp)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nsp
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            lo, hi = _same_padding(kernel, dilation, nsp)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = _expand_param(padding, "padding", nsp)
        if any(p < 0 for p in lo):
            raise RuntimeError("negative padding is not supported")
    out = conv_ops.convolution(batched_input, weight, bias, stride, lo, dilation, False,
                               (0,) * nsp, groups, pad_hi=hi)
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of (N, C_in, L) (or (C_in, L)) with weight (C_out, C_in/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of (N, C_in, H, W) (or (C_in, H, W)) with weight
    (C_out, C_in/groups, kh, kw); `padding` may be 'valid' or 'same'.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2))
    tensor([[[[4., 4.],
              [4., 4.]]]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of (N, C_in, D, H, W) with weight (C_out, C_in/groups, kd, kh, kw)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nsp,
                    name):
    batched_input, batched = _batchify(input, nsp, name)
    stride = _expand_param(stride, "stride", nsp)
    padding = _expand_param(padding, "padding", nsp)
    dilation = _expand_param(dilation, "dilation", nsp)
    output_padding = _expand_param(output_padding, "output_padding", nsp)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        if nsp == 2:
            raise RuntimeError(
                "output padding must be smaller than either stride or dilation, but got "
                f"output_padding_height: {output_padding[0]} output_padding_width: "
                f"{output_padding[1]} stride_height: {stride[0]} stride_width: {stride[1]} "
                f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           f"but got output_padding: {list(output_padding)} stride: "
                           f"{list(stride)} dilation: {list(dilation)}")
    out = conv_ops.convolution(batched_input, weight, bias, stride, padding, dilation, True,
                               output_padding, groups)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-d transposed convolution ("deconvolution"): the gradient of conv1d with respect to
    its input; weight (C_in, C_out/groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-d transposed convolution: the gradient of conv2d with respect to its input, used to
    upsample; weight (C_in, C_out/groups, kh, kw). Output size:
    `(H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1`."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-d transposed convolution."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")


def _pad_by_mode(input, reversed_padding, mode):
    """Pad the last dims of `input` with 'reflect', 'replicate' or 'circular' values (the
    padding is PyTorch's `_reversed_padding_repeated_twice`: last dim first, (before, after)
    each); the padded input is gathered from the input, so gradients flow back into it."""
    from ... import _creation
    nsp = len(reversed_padding) // 2
    shape = tuple(input.shape)
    indices = []
    for i in range(nsp):
        size = shape[len(shape) - nsp + i]
        before, after = reversed_padding[2 * (nsp - 1 - i)], reversed_padding[2 * (nsp - 1 - i) + 1]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({before}, {after}) at "
                               f"dimension {len(shape) - nsp + i} of input {list(shape)}")
        positions = np.arange(-before, size + after)
        if mode == "reflect":                   # mirrored at the edges (padding < size)
            period = max(2 * (size - 1), 1)
            positions = (positions + period) % period
            positions = np.where(positions >= size, period - positions, positions)
        elif mode == "replicate":
            positions = np.clip(positions, 0, size - 1)
        elif mode == "circular":
            positions = positions % size
        else:
            raise NotImplementedError(f"padding mode {mode} is not supported")
        shape_i = [1] * nsp
        shape_i[i] = -1
        indices.append(_creation.tensor(positions.reshape(shape_i)))
    return input[(Ellipsis,) + tuple(indices)]


# -- modules ---------------------------------------------------------------------------------------


class _ConvNd(Module):

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
                     "in_channels", "out_channels", "kernel_size"]

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(self.padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total_padding = d * (k - 1)
                    left_pad = total_padding // 2
                    self._reversed_padding_repeated_twice[2 * i] = left_pad
                    self._reversed_padding_repeated_twice[2 * i + 1] = total_padding - left_pad
        else:
            self._reversed_padding_repeated_twice = _reverse_repeat_tuple(self.padding, 2)
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(_creation.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw fresh initial weights, as PyTorch does: `kaiming_uniform_(a=sqrt(5))` for the
        weight (uniform on +-1/sqrt(fan_in)), then the bias uniform on +-1/sqrt(fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"



class _Conv(_ConvNd):
    _nsp = 2
    _parse = staticmethod(_pair)
    _functional = staticmethod(conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        parse = self._parse
        kernel_size_ = parse(kernel_size)
        stride_ = parse(stride)
        padding_ = padding if isinstance(padding, str) else parse(padding)
        dilation_ = parse(dilation)
        super().__init__(in_channels, out_channels, kernel_size_, stride_, padding_, dilation_,
                         False, parse(0), groups, bias, padding_mode, device=device, dtype=dtype)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            return type(self)._functional(
                _pad_by_mode(input, self._reversed_padding_repeated_twice, self.padding_mode),
                weight, bias, self.stride, self._parse(0), self.dilation, self.groups)
        return type(self)._functional(input, weight, bias, self.stride, self.padding,
                                      self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution over (N, C_in, L) inputs.

    >>> from ember import nn
    >>> nn.Conv1d(16, 33, 3, stride=2)
    Conv1d(16, 33, kernel_size=(3,), stride=(2,))
    """
    _nsp = 1
    _parse = staticmethod(_single)
    _functional = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-d convolution over (N, C_in, H, W) images.

    >>> import ember
    >>> from ember import nn
    >>> conv = nn.Conv2d(1, 10, kernel_size=5)
    >>> conv
    Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))
    >>> conv(ember.zeros(64, 1, 28, 28)).shape
    torch.Size([64, 10, 24, 24])
    """
    _nsp = 2
    _parse = staticmethod(_pair)
    _functional = staticmethod(conv2d)


class Conv3d(_Conv):
    """3-d convolution over (N, C_in, D, H, W) volumes."""
    _nsp = 3
    _parse = staticmethod(_triple)
    _functional = staticmethod(conv3d)


class _ConvTransposeNd(_ConvNd):

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{self.__class__.__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         transposed, output_padding, groups, bias, padding_mode, device=device,
                         dtype=dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size,
                        num_spatial_dims, dilation=None):
        if output_size is None:
            return _single(self.output_padding)
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial_dims = 2 if has_batch_dim else 1
        output_size = list(output_size)
        if len(output_size) == num_non_spatial_dims + num_spatial_dims:
            output_size = output_size[num_non_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, "
                             f"output_size must have {num_spatial_dims} or "
                             f"{num_non_spatial_dims + num_spatial_dims} elements (got "
                             f"{len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dim_size = ((input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d]
                        + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1)
                        + 1)
            min_sizes.append(dim_size)
            max_sizes.append(min_sizes[d] + stride[d] - 1)
        for i in range(len(output_size)):
            size, min_size, max_size = output_size[i], min_sizes[i], max_sizes[i]
            if size < min_size or size > max_size:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {min_sizes} to {max_sizes} (for an input of "
                                 f"{input.size()[2:]})")
        return [output_size[d] - min_sizes[d] for d in range(num_spatial_dims)]


class _ConvTranspose(_ConvTransposeNd):
    _nsp = 2
    _parse = staticmethod(_pair)
    _functional = staticmethod(conv_transpose2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        parse = self._parse
        super().__init__(in_channels, out_channels, parse(kernel_size), parse(stride),
                         parse(padding), parse(dilation), True, parse(output_padding), groups,
                         bias, padding_mode, device=device, dtype=dtype)

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for "
                             f"{type(self).__name__}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, self._nsp, self.dilation)
        return type(self)._functional(input, self.weight, self.bias, self.stride, self.padding,
                                      output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution over (N, C_in, L) inputs."""
    _nsp = 1
    _parse = staticmethod(_single)
    _functional = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution (learned upsampling) over (N, C_in, H, W) inputs.

    >>> from ember import nn
    >>> nn.ConvTranspose2d(16, 33, 3, stride=2)
    ConvTranspose2d(16, 33, kernel_size=(3, 3), stride=(2, 2))
    """
    _nsp = 2
    _parse = staticmethod(_pair)
    _functional = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution over (N, C_in, D, H, W) inputs."""
    _nsp = 3
    _parse = staticmethod(_triple)
    _functional = staticmethod(conv_transpose3d)

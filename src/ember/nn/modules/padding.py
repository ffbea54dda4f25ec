"""Padding layers (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad in 1, 2
and 3 dims) and their functional form `pad`.

`padding` lists (before, after) amounts for the LAST dim first: `(left, right, top, bottom)`
pads width, then height. Negative amounts crop. The math is in `ember/ops/resample.py`;
circular padding is composed of slice copies, as PyTorch composes it.
"""
import collections.abc

from ...ops import resample
from .module import Module

__all__ = ["pad", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_list(pad):
    pad = list(pad)
    for i, p in enumerate(pad):
        if not isinstance(p, int) and not (hasattr(p, "__index__") and not isinstance(p, float)):
            raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(p).__name__} at pos {i}")
    return [int(p) for p in pad]


def _slice(t, dim, start, stop):
    return t[(slice(None),) * dim + (slice(start, stop),)]


def _pad_circular(input, pad):
    """Circular padding as PyTorch composes it: the input copied into the middle of a new
    tensor, then, dim by dim from the last, the wrap-around strips copied from the padded
    tensor itself (so the graph is PyTorch's CopySlices chain)."""
    in_shape = tuple(input.shape)
    ndim = len(in_shape)
    n = len(pad) // 2
    lead = ndim - n
    if lead not in (1, 2):
        raise RuntimeError("Invalid padding size, expected 1 or 2 non-padded dimensions, which "
                           f"would be equivalent to padding of length {(ndim - 1) * 2} or "
                           f"{(ndim - 2) * 2} respectively but got {len(pad)}")
    out_shape = list(in_shape)
    for i in range(n):
        lo, hi = pad[2 * (n - 1 - i)], pad[2 * (n - 1 - i) + 1]
        size = in_shape[lead + i]
        out_shape[lead + i] = size + lo + hi
        if lo > size or hi > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if out_shape[lead + i] < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = input.new_empty(tuple(out_shape))
    out_part, in_part = out, input
    for i in range(n):
        dim = n - i + lead - 1
        lo, hi = pad[2 * i], pad[2 * i + 1]
        out_part = _slice(out_part, dim, max(lo, 0), out_shape[dim] - max(hi, 0))
        in_part = _slice(in_part, dim, max(-lo, 0), in_shape[dim] - max(-hi, 0))
    out_part.copy_(in_part)
    for i in range(n):
        dim = n - i + lead - 1
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if lo > 0:
            _slice(out, dim, 0, lo).copy_(
                _slice(out, dim, out_shape[dim] - lo - max(hi, 0), out_shape[dim] - max(hi, 0)))
        if hi > 0:
            _slice(out, dim, out_shape[dim] - hi, out_shape[dim]).copy_(
                _slice(out, dim, max(lo, 0), max(lo, 0) + hi))
    return out


def pad(input, pad, mode="constant", value=None):
    """Pad the last `len(pad) // 2` dims of `input`; `pad` is (before, after) per dim, last
    dim first. Modes: 'constant' (with `value`, default 0), 'reflect', 'replicate',
    'circular' (these three pad 1 to 3 dims of a batched or unbatched input).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pad(ember.tensor([[1., 2., 3.]]), (1, 2), mode="replicate")
    tensor([[1., 1., 2., 3., 3., 3.]])
    """
    pad = _pad_list(pad)
    ndim = input.dim()
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{ndim}")
    if mode == "constant":
        return resample.constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pad) // 2
    if not (1 <= n <= 3 and ndim in (n + 1, n + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "circular":
        return _pad_circular(input, pad)
    return resample.index_pad(input, pad, mode)


def _ntuple(n, x):
    if isinstance(x, collections.abc.Iterable):
        return tuple(x)
    return (x,) * n


# -- modules ------------------------------------------------------------------------------------


class _ConstantPadNd(Module):
    __constants__ = ["padding", "value"]

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant.

    >>> import ember
    >>> from ember import nn
    >>> nn.ConstantPad1d((1, 2), 9.)(ember.tensor([[1., 2.]]))
    tensor([[9., 1., 2., 9., 9.]])
    """

    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _ntuple(2, padding)


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant: `padding` is (left, right, top, bottom) or an
    int. `nn.ConstantPad2d(1, 0.5)(ember.zeros(1, 2, 2)).shape` is `(1, 4, 4)`."""

    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _ntuple(4, padding)


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant (`padding`: an int or 6 amounts)."""

    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _ntuple(6, padding)


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros: `nn.ZeroPad1d(2)(ember.ones(1, 3))` has 7 columns."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: `nn.ZeroPad2d((1, 1, 2, 0))` (left, right, top,
    bottom)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros: `nn.ZeroPad3d(1)`."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ModePadNd(Module):
    __constants__ = ["padding"]
    _mode = None

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ReflectionPadNd(_ModePadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pad the last dim with its mirror image (the edge not repeated).

    >>> import ember
    >>> from ember import nn
    >>> nn.ReflectionPad1d(2)(ember.tensor([[1., 2., 3.]]))
    tensor([[3., 2., 1., 2., 3., 2., 1.]])
    """
    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2, padding)


class ReflectionPad2d(_ReflectionPadNd):
    """Reflection padding of the last two dims (`padding`: an int or (left, right, top,
    bottom)): `nn.ReflectionPad2d(1)(ember.zeros(1, 3, 3)).shape` is `(1, 5, 5)`."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(4, padding)


class ReflectionPad3d(_ReflectionPadNd):
    """Reflection padding of the last three dims (`padding`: an int or 6 amounts)."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(6, padding)


class _ReplicationPadNd(_ModePadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pad the last dim by repeating its edge values.

    >>> import ember
    >>> from ember import nn
    >>> nn.ReplicationPad1d((1, 2))(ember.tensor([[1., 2.]]))
    tensor([[1., 1., 2., 2., 2.]])
    """
    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2, padding)


class ReplicationPad2d(_ReplicationPadNd):
    """Replication padding of the last two dims: `nn.ReplicationPad2d((1, 1, 2, 0))`."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(4, padding)


class ReplicationPad3d(_ReplicationPadNd):
    """Replication padding of the last three dims: `nn.ReplicationPad3d(1)`."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(6, padding)


class _CircularPadNd(_ModePadNd):
    _mode = "circular"
    _dims = 1

    def forward(self, input):
        d = input.dim()
        if d not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got {d}D "
                             "input)")
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim with values wrapped around from the other end.

    >>> import ember
    >>> from ember import nn
    >>> nn.CircularPad1d(1)(ember.tensor([[1., 2., 3.]]))
    tensor([[3., 1., 2., 3., 1.]])
    """

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2, padding)


class CircularPad2d(_CircularPadNd):
    """Circular padding of the last two dims: `nn.CircularPad2d((1, 1, 2, 0))`."""
    _dims = 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(4, padding)


class CircularPad3d(_CircularPadNd):
    """Circular padding of the last three dims: `nn.CircularPad3d(1)`."""
    _dims = 3

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(6, padding)

"""Fold and Unfold (col2im / im2col) and their functional forms `fold` and `unfold`.

Unfold takes every sliding (kh, kw) block of an image (N, C, H, W) as a column of
(N, C*kh*kw, L); Fold is its adjoint, adding the columns back into an image (overlapping
blocks are summed). The math is in `ember/ops/fold.py`.
"""
from ...ops import fold as _fold_ops
from .conv import _pair
from .module import Module

__all__ = ["Fold", "Unfold", "fold", "unfold"]


def _two(value, name):
    """`_pair`, then the argument parser's checks of an int pair (PyTorch's messages)."""
    t = _pair(value)
    if len(t) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(t)}")
    for i, v in enumerate(t):
        if isinstance(v, bool) or not isinstance(v, int) and not hasattr(v, "__index__"):
            raise TypeError(f"{'im2col' if name != 'output_size' else 'col2im'}(): argument "
                            f"'{name}' must be tuple of ints, but found element of type "
                            f"{type(v).__name__} at pos {i}")
    return tuple(int(v) for v in t)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of a batched (or unbatched) image as columns (im2col).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.unfold(ember.ones(1, 2, 3, 3), 2).shape
    torch.Size([1, 8, 4])
    """
    return _fold_ops.im2col(input, _two(kernel_size, "kernel_size"), _two(dilation, "dilation"),
                            _two(padding, "padding"), _two(stride, "stride"))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns of sliding blocks back into an image (col2im, the adjoint of `unfold`).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.fold(ember.ones(1, 4, 4), (3, 3), 2)[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    return _fold_ops.col2im(input, _two(output_size, "output_size"),
                            _two(kernel_size, "kernel_size"), _two(dilation, "dilation"),
                            _two(padding, "padding"), _two(stride, "stride"))


class Fold(Module):
    """Combine an array of sliding local blocks into an image (see `fold`).

    >>> import ember
    >>> ember.nn.Fold(output_size=(3, 3), kernel_size=2)(ember.ones(1, 4, 4)).shape
    torch.Size([1, 1, 3, 3])
    """

    __constants__ = ["output_size", "kernel_size", "dilation", "padding", "stride"]

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Extract sliding local blocks of a batched image as columns (see `unfold`).

    >>> import ember
    >>> ember.nn.Unfold(kernel_size=2)(ember.ones(1, 3, 4, 4)).shape
    torch.Size([1, 12, 9])
    """

    __constants__ = ["kernel_size", "dilation", "padding", "stride"]

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")

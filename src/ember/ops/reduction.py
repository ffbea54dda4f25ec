"""Reductions: sum and mean over all elements or over chosen dimensions."""
import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import as_array


def _dims(dim, ndim):
    """`dim` (None, an int, or a sequence of ints) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (_wrap_dim(dim, ndim),)
    axes = tuple(_wrap_dim(d, ndim) for d in dim)
    if len(set(axes)) != len(axes):
        repeated = next(d for d in axes if axes.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return tuple(sorted(axes)) if axes else tuple(range(ndim))


def _expand_back(grad, shape, axes, keepdim):
    """Undo a reduction's shape change: put the reduced axes back (size 1), then broadcast."""
    if not keepdim and axes and len(shape) > 0:
        kept = list(shape)
        for a in axes:
            kept[a] = 1
        grad = grad.reshape(kept)
    return grad.expand(shape)


class SumBackward0(Node):

    def apply(self, grad):                          # every input element counts once
        return (grad.expand(self.shape),)


class SumBackward1(Node):

    def apply(self, grad):
        return (_expand_back(grad, self.shape, self.axes, self.keepdim),)


def _sum_dtype(input, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype)
    dt = input.dtype
    return _dtype.int64 if dt.category <= _dtype.INT else dt


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of all elements, or over `dim` (an int or a tuple), keeping reduced axes if asked.

    >>> import ember
    >>> ember.tensor([[1., 2.], [3., 4.]]).sum(0)
    tensor([4., 6.])
    """
    dt = _sum_dtype(input, dtype)
    x = input._data
    ndim = x.ndim
    if dim is None:
        value = np.sum(x, dtype=dt.np)
        result = Tensor._make(as_array(value))
        if grad_mode.enabled and input._requires_grad:
            node = SumBackward0(input)
            node.shape = x.shape
            result._requires_grad, result._grad_fn = True, node
        return result
    axes = _dims(dim, ndim) if (not isinstance(dim, (tuple, list)) or dim) else tuple(range(ndim))
    value = np.sum(x, axis=axes if ndim else None, dtype=dt.np, keepdims=keepdim and ndim > 0)
    result = Tensor._make(as_array(value))
    if grad_mode.enabled and input._requires_grad:
        node = SumBackward1(input)
        node.shape, node.axes, node.keepdim = x.shape, axes, keepdim
        result._requires_grad, result._grad_fn = True, node
    return result


class MeanBackward0(Node):

    def apply(self, grad):                          # each element contributes 1/n
        return (grad.expand(self.shape) / self.count,)


class MeanBackward1(Node):

    def apply(self, grad):
        return (_expand_back(grad, self.shape, self.axes, self.keepdim) / self.count,)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Average of all elements, or over `dim`; only for floating (or complex) tensors."""
    dt = input.dtype if dtype is None else _dtype.to_dtype(dtype)
    if dt.category < _dtype.FLOAT:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {dt.scalar_name}")
    x = input._data
    if x.dtype != dt.np:
        x = x.astype(dt.np)
    ndim = x.ndim
    axes = _dims(None if isinstance(dim, (tuple, list)) and not dim else dim, ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    # PyTorch divides the sum by the count (0/0 gives nan for an empty tensor)
    total = np.sum(x, axis=axes if ndim else None, keepdims=keepdim and ndim > 0)
    value = as_array(total / np.array(count, dtype=total.dtype))
    result = Tensor._make(value)
    if grad_mode.enabled and input._requires_grad:
        if dim is None:
            node = MeanBackward0(input)
            node.shape, node.count = x.shape, count
        else:
            node = MeanBackward1(input)
            node.shape, node.axes, node.keepdim, node.count = x.shape, axes, keepdim, count
        result._requires_grad, result._grad_fn = True, node
    return result


def sum_to_size(input, *size):
    """Sum `input` down to `size` (the shape it was broadcast from): the gradient of a
    broadcast is the sum over the copies it made."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(size)
    x_shape = input._data.shape
    if x_shape == shape:
        return input
    lead = len(x_shape) - len(shape)
    if lead < 0 or any(s != 1 and s != x_shape[lead + i] for i, s in enumerate(shape)):
        raise RuntimeError(f"size {{{', '.join(map(str, shape))}}} is not expandable to size "
                           f"{{{', '.join(map(str, x_shape))}}}.")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and x_shape[lead + i] != 1)
    out = sum(input, axes, keepdim=True) if axes else input
    return out.view(shape) if lead else out

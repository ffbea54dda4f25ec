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


# -- PyTorch's summation order ------------------------------------------------------------------
#
# A float sum is only reproducible bit for bit when it adds in PyTorch's order. PyTorch's CPU
# `sum` (`cascade_sum` in ReduceOps) walks the input with a TensorIterator: reduced dimensions
# innermost (sorted by stride), adjacent dimensions coalesced, then a 2-d loop that sums each
# row either "cascaded" (sequential blocks of 16, block sums pushed up 4 levels), "row-wise"
# (4 interleaved cascades, then the tail, then the 4 partial sums), or with AVX2 vectors
# (8 float / 4 double lanes, each lane row-wise, then the tail and the lanes in order).
# Accumulators start at +0.0. Below PyTorch's grain size (32768 elements) this runs on one
# thread, so the order is fixed; `_ordered_sum` reproduces it with a few NumPy calls. Larger
# inputs (split over threads by PyTorch) use NumPy's pairwise sum: equally accurate, but not
# bit-identical.

_GRAIN = 32768
_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}
_accumulate = np.add.accumulate
_concatenate = np.concatenate
_reduce = np.add.reduce
_contiguous = np.ascontiguousarray

# Sign of zero: PyTorch's accumulators start at +0.0 (so its sums are never -0.0), ember's
# chains start at their first element; the two can only differ in the sign of a zero result,
# which the final `+ 0.0` fixes.


def _seq(a):
    """Left-to-right sum over the last axis. NumPy adds strictly in order when it reduces
    the outer axis of a C-contiguous (n, rows) array with rows > 1 (the inner loop is then
    elementwise), and in `accumulate`; its inner-axis `reduce` is pairwise instead."""
    n = a.shape[-1]
    if n <= 2:
        if n == 2:
            return a[..., 0] + a[..., 1]
        return a[..., 0] if n else np.zeros(a.shape[:-1], a.dtype)
    lead = a.shape[:-1]
    rows = a.size // n
    if rows == 1:
        return _accumulate(a, axis=-1)[..., -1]
    return _reduce(_contiguous(a.reshape(rows, n).T), axis=0).reshape(lead)


def _blocks(a, size):
    """Sequential sums of consecutive `size`-element blocks of the last axis, and what is left."""
    n = a.shape[-1] // size
    return _seq(a[..., :n * size].reshape(a.shape[:-1] + (n, size))), a[..., n * size:]


def _cascade(a):
    """PyTorch's `multi_row_sum` over the last axis: sequential blocks of 16 (level 0), their
    sums added in blocks of 16 (levels 1, 2) and on (level 3); then the levels' leftovers."""
    if a.shape[-1] < 16:
        return _seq(a)
    level0, tail = _blocks(a, 16)
    parts = [_seq(tail)[..., None]] if tail.shape[-1] else []
    if level0.shape[-1] < 16:
        parts.append(_seq(level0)[..., None])
    else:
        level1, rest1 = _blocks(level0, 16)
        level2, rest2 = _blocks(level1, 16)
        parts += [_seq(rest1)[..., None], _seq(rest2)[..., None], _seq(level2)[..., None]]
    return parts[0][..., 0] if len(parts) == 1 else _seq(_concatenate(parts, -1))


def _row_sum(a):
    """PyTorch's `row_sum`: 4 interleaved cascades, the tail added to the first, then the
    other three."""
    n = a.shape[-1]
    m = n // 4
    if m == 0:
        return _seq(a)
    head = a[..., :4 * m].reshape(a.shape[:-1] + (m, 4))
    if m < 16:
        parts = _seq(np.swapaxes(head, -1, -2))
    else:
        parts = _cascade(np.swapaxes(head, -1, -2))
    return _seq(_concatenate([parts[..., :1], a[..., 4 * m:], parts[..., 1:]], -1))


def _vector_sum(a, lanes):
    """PyTorch's `vectorized_inner_sum`: each lane row-wise, then from zero the tail and the
    lanes in order."""
    n = a.shape[-1]
    m = n // lanes
    lane_sums = _row_sum(np.swapaxes(a[..., :m * lanes].reshape(a.shape[:-1] + (m, lanes)),
                                     -1, -2))
    if m * lanes == n:
        return _seq(lane_sums)
    return _seq(_concatenate([a[..., m * lanes:], lane_sums], -1))


def _columns(a, cascaded):
    """Each row of `a` (its last axis) summed: the first `cascaded` cascaded, the rest
    row-wise."""
    if cascaded == 0:
        return _row_sum(a)
    if cascaded == a.shape[-2]:
        return _cascade(a)
    return _concatenate([_cascade(a[..., :cascaded, :]), _row_sum(a[..., cascaded:, :])], -1)


_plans = {}


_VECTOR, _ROWS, _COLUMNS, _COPY = range(4)


def _plan(shape, strides, item, axes, lanes):
    """How PyTorch's TensorIterator walks a sum of an array of this layout: the transpose and
    reshape that give the iterator's dimensions (outermost first, the reduced ones last),
    which of its 2-d loops runs, and whether several reduced dimensions add into each output.
    None for layouts not modelled."""
    if any(st <= 0 or st % item for d, st in enumerate(strides) if shape[d] != 1):
        return None
    # innermost first: the reduced dimensions by stride, then the kept ones (the output is
    # contiguous, so they come in their logical order)
    reduced = sorted((d for d in axes if shape[d] != 1), key=lambda d: (strides[d], shape[d]))
    kept = [d for d in range(len(shape) - 1, -1, -1) if d not in axes and shape[d] != 1]

    def coalesce(dims):
        groups = []                                 # [size, element stride, [dims]]
        for d in dims:
            st = strides[d] // item
            if groups and groups[-1][0] * groups[-1][1] == st:
                groups[-1][0] *= shape[d]
                groups[-1][2].append(d)
            else:
                groups.append([shape[d], st, [d]])
        return groups
    red, kep = coalesce(reduced), coalesce(kept)
    groups = red + kep
    perm = [d for d in range(len(shape)) if shape[d] == 1]
    for g in reversed(groups):
        perm.extend(reversed(g[2]))
    perm = None if perm == sorted(perm) else tuple(perm)
    view_shape = tuple(g[0] for g in reversed(groups))
    kept_shape = tuple(n for d, n in enumerate(shape) if d not in axes)
    n_outputs = 1
    for n in kept_shape:
        n_outputs *= n
    common = (perm, view_shape, kept_shape)
    if not red:
        return common + (_COPY, 0, 0)
    n0, s0 = red[0][0], red[0][1]
    if len(red) == 1:
        size1, s1 = (kep[0][0], kep[0][1]) if kep else (1, 0)
        if s0 == 1 and n0 >= lanes:
            return common + (_VECTOR, 0, 0)
        if s1 == 1 and size1 >= lanes:
            return common + (_COLUMNS, size1 // (4 * lanes) * 4 * lanes, 0)
        if s0 < s1:
            return common + (_ROWS, 0, 0)
        return common + (_COLUMNS, size1 // 4 * 4, 0)
    # the two innermost reduced dims make the 2-d loop; its rows and the outer reduced
    # indices all add into the same output, in order
    n1, s1 = red[1][0], red[1][1]
    if s0 == 1 and n0 >= lanes:
        return common + (_VECTOR, 0, n_outputs)
    if s1 == 1 and n1 >= lanes:
        return None
    if s0 < s1:
        return common + (_ROWS, 0, n_outputs)
    return common + (_COLUMNS, n1 // 4 * 4, n_outputs)


def _ordered_sum(x, axes):
    """The sum of float32/float64 array `x` over `axes` (sorted, keepdim=False), added in
    PyTorch's order; None where that order is not modelled (large or overlapping inputs)."""
    lanes = _LANES.get(x.dtype)
    if lanes is None or x.size >= _GRAIN or x.size == 0:
        return None
    key = (x.shape, x.strides, axes, lanes)
    plan = _plans.get(key, False)
    if plan is False:
        if len(_plans) > 512:
            _plans.clear()
        plan = _plans[key] = _plan(x.shape, x.strides, x.itemsize, axes, lanes)
    if plan is None:
        return None
    perm, view_shape, kept_shape, kind, cascaded, outer = plan
    view = (x if perm is None else x.transpose(perm)).reshape(view_shape)
    if kind == _COPY:
        return (view + x.dtype.type(0)).reshape(kept_shape)
    if not outer and len(view_shape) == 1:
        view = view[None, :]                        # (kept..., k0, n0): one row per output
    if kind == _VECTOR:
        value = _vector_sum(view, lanes)
    elif kind == _ROWS:
        value = _row_sum(view)
    else:
        value = _columns(view, cascaded)
    if outer:
        value = _seq(value.reshape(outer, -1))
    return (value + x.dtype.type(0)).reshape(kept_shape)


def _float_sum(x, axes, keepdim, dt):
    """Sum of a float array over `axes` (a tuple; all axes for a full sum) in dtype `dt`,
    float16 accumulated in float32 as PyTorch does."""
    np_dt = dt.np
    if x.dtype != np_dt:
        x = x.astype(np_dt)
    half = np_dt == np.float16
    if half:
        x = x.astype(np.float32)
    value = _ordered_sum(x, axes)
    if value is None:
        value = np.add.reduce(x, axis=axes) + x.dtype.type(0)
    if keepdim:
        value = np.asarray(value).reshape(
            tuple(1 if d in axes else n for d, n in enumerate(x.shape)))
    if half:
        value = value.astype(np.float16)
    return as_array(value)


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
        if dt.category == _dtype.FLOAT:
            value = _float_sum(x, tuple(range(ndim)), False, dt)
        else:
            value = as_array(np.sum(x, dtype=dt.np))
        result = Tensor._make(value)
        if grad_mode.enabled and input._requires_grad:
            node = SumBackward0(input)
            node.shape = x.shape
            result._requires_grad, result._grad_fn = True, node
        return result
    axes = _dims(dim, ndim) if (not isinstance(dim, (tuple, list)) or dim) else tuple(range(ndim))
    if dt.category == _dtype.FLOAT:
        value = _float_sum(x, axes if ndim else (), keepdim and ndim > 0, dt)
    elif ndim == 0:
        value = as_array(np.sum(x, dtype=dt.np))
    else:
        value = as_array(np.sum(x, axis=axes, dtype=dt.np, keepdims=keepdim))
    result = Tensor._make(value)
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
    ndim = x.ndim
    axes = _dims(None if isinstance(dim, (tuple, list)) and not dim else dim, ndim)
    count = 1
    if ndim:
        for a in axes:
            count *= x.shape[a]
    # PyTorch sums (float16 in float32), divides by the count (0/0 gives nan for an empty
    # tensor) and rounds once to the result dtype
    work = dt if dt is not _dtype.float16 else _dtype.float32
    if dt.category == _dtype.FLOAT:
        total = _float_sum(x, axes if ndim else (), keepdim and ndim > 0, work)
    elif ndim == 0:
        total = x.astype(work.np)
    else:
        total = np.sum(x.astype(work.np), axis=axes, keepdims=keepdim)
    value = as_array((total / np.array(count, dtype=total.dtype)).astype(dt.np))
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

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["mean", "sum"]

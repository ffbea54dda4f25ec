"""Reductions: sums, means, products, extremes, statistics, norms, scans, order statistics,
sorting and unique, each with its derivative (written with ember's ops, so that it can itself be
differentiated)."""
import builtins as _builtins
import math as _math
import types as _types
import warnings

import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.graph import Node
from . import pointwise as _pw
from ._util import (
    as_array, attach as _record, contiguous, new_like, recording as _recording, upload_like)


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
_contiguous = contiguous

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
        return a[..., 0] if n else _backend.xp(a).zeros(a.shape[:-1], a.dtype)
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
    if _builtins.any(st <= 0 or st % item for d, st in enumerate(strides) if shape[d] != 1):
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
        value = as_array(value).reshape(
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
    value = as_array((total / total.dtype.type(count)).astype(dt.np))
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
    if lead < 0 or _builtins.any(s != 1 and s != x_shape[lead + i] for i, s in enumerate(shape)):
        raise RuntimeError(f"size {{{', '.join(map(str, shape))}}} is not expandable to size "
                           f"{{{', '.join(map(str, x_shape))}}}.")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and x_shape[lead + i] != 1)
    out = sum(input, axes, keepdim=True) if axes else input
    return out.view(shape) if lead else out


# =============================================================================================
# More reductions: products, extremes, statistics, norms, scans, order statistics, sorting
# =============================================================================================


_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_NP_BOOL = np.dtype(np.bool_)


# -- PyTorch's named tuples: torch.return_types.max(values=..., indices=...) -------------------


class _ReturnType(tuple):
    """A structseq like PyTorch's `torch.return_types.*`: a tuple whose items also have names,
    printed one per line."""

    _names = ("values", "indices")
    n_sequence_fields = n_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, sequence):
        sequence = tuple(sequence)
        if len(sequence) != len(cls._names):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a {len(cls._names)}-"
                            f"sequence ({len(sequence)}-sequence given)")
        return tuple.__new__(cls, sequence)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._names, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _return_type(name, names=("values", "indices")):
    fields = {"_names": names, "__module__": "torch.return_types",
              "__qualname__": name, "n_fields": len(names), "n_sequence_fields": len(names)}
    for i, field in enumerate(names):
        fields[field] = property(lambda self, i=i: self[i])
    return type(name, (_ReturnType,), fields)


return_types = _types.ModuleType("torch.return_types",
                                 "PyTorch's named tuples of the results of several ops.")
for _name in ("max", "min", "median", "nanmedian", "kthvalue", "mode", "topk", "sort",
              "cummax", "cummin"):
    setattr(return_types, _name, _return_type(_name))
    setattr(return_types, _name + "_out", _return_type(_name + "_out"))   # with out=
return_types.aminmax = _return_type("aminmax", ("min", "max"))
return_types.aminmax_out = _return_type("aminmax_out", ("min", "max"))
return_types.frexp = _return_type("frexp", ("mantissa", "exponent"))
return_types.svd = _return_type("svd", ("U", "S", "V"))
del _name


# -- helpers ------------------------------------------------------------------------------------


def _axes(dim, ndim):
    """`dim` (None, an int, or a sequence; an empty sequence means every dim) as a sorted
    tuple of axes. A 0-d tensor accepts dims 0 and -1 (and has no axes)."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    axes = _dims(dim, ndim)
    return axes if ndim else ()


def _kept_shape(shape, axes, keepdim):
    if keepdim:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def _restore(t, shape, axes, keepdim):
    """A reduced tensor with its reduced axes put back as size 1 (a view), ready to broadcast
    against the input of shape `shape`."""
    if keepdim or not axes or not shape:
        return t
    return t.reshape(_kept_shape(shape, axes, True))


def _check_nonzero_size(x, dim, name):
    """PyTorch's IndexError for reducing over an empty dim, named as the caller wrote it."""
    dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    for raw in dims:
        if x.shape[_wrap_dim(raw, x.ndim)] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {raw} to have non-zero size.")


def _out(out, result):
    return result if out is None else _pw._into(out, result)


def _out_pair(out, result):
    """`out=(values, indices)` for the ops that return a named tuple."""
    if out is None:
        return result
    values, indices = out
    _pw._into(values, result[0])
    _pw._into(indices, result[1])
    return getattr(return_types, type(result).__name__ + "_out")((values, indices))


# -- differentiable helpers for derivative formulas ---------------------------------------------


class _ScatterNode(Node):
    """zeros(shape).scatter_add(dim, index, src), differentiated w.r.t. src: a gather."""

    def name(self):
        return "ScatterAddBackward0"

    def apply(self, grad):
        return (_gather(grad, self.dim, self.index, self.unique),)


class _GatherNode(Node):
    def name(self):
        return "GatherBackward0"

    def apply(self, grad):
        return (_scatter_add(grad, self.dim, self.index, self.shape, self.unique),)


def _scatter_add(src, dim, index, shape, unique=False):
    """A tensor of `shape`, zero except `src` added at `index` along `dim` (PyTorch's
    `zeros.scatter_add(dim, index, src)`); `unique` when no index repeats along `dim`."""
    s = src._data
    out = _backend.xp(s).zeros(shape, s.dtype)
    if unique:
        np.put_along_axis(out, index, s, axis=dim)
    elif index.size:
        full = list(np.ogrid[tuple(slice(0, n) for n in index.shape)])
        full[dim] = index
        _backend.of(out).scatter_add(out, tuple(full), s)
    result = Tensor._make(out)
    if grad_mode.enabled and src._requires_grad:
        node = _ScatterNode(src)
        node.dim, node.index, node.unique = dim, index, unique
        _record(result, node)
    return result


def _gather(src, dim, index, unique=False):
    result = Tensor._make(as_array(np.take_along_axis(src._data, index, axis=dim)))
    if grad_mode.enabled and src._requires_grad:
        node = _GatherNode(src)
        node.dim, node.index, node.shape, node.unique = dim, index, src._data.shape, unique
        _record(result, node)
    return result


def _value_selecting_backward(grad, dim, indices, shape, keepdim):
    """PyTorch's `value_selecting_reduction_backward`: the gradient of values picked out of
    the input (max/min/median/kthvalue/mode along a dim, topk, sort) scattered back to where
    they came from."""
    if not shape:
        return grad.reshape(())
    if not keepdim:
        indices = np.expand_dims(indices, dim)
        grad = grad.unsqueeze(dim)
    return _scatter_add(grad, dim, indices, shape, unique=True)


class _FlipNode(Node):
    def name(self):
        return "FlipBackward0"

    def apply(self, grad):
        return (_flip(grad, self.dim),)


def _flip(t, dim):
    result = Tensor._make(np.flip(t._data, dim).copy())
    if grad_mode.enabled and t._requires_grad:
        node = _FlipNode(t)
        node.dim = dim
        _record(result, node)
    return result


class _ShiftNode(Node):
    """Shift by one along a dim, a constant entering at one end: its adjoint shifts back."""

    def name(self):
        return "CatBackward0"

    def apply(self, grad):
        return (_shift(grad, self.dim, -self.step, 0),)


def _shift(t, dim, step, fill):
    """`t` moved one place along `dim` (towards higher indices for step 1), `fill` entering."""
    x = t._data
    out = np.empty_like(x)
    n = x.shape[dim]
    lead = (slice(None),) * dim
    if step > 0:
        out[lead + (slice(1, None),)] = x[lead + (slice(0, n - 1),)]
        out[lead + (slice(0, 1),)] = fill
    else:
        out[lead + (slice(0, n - 1),)] = x[lead + (slice(1, None),)]
        out[lead + (slice(n - 1, n),)] = fill
    result = Tensor._make(out)
    if grad_mode.enabled and t._requires_grad:
        node = _ShiftNode(t)
        node.dim, node.step = dim, step
        _record(result, node)
    return result


def _evenly_distribute(grad, input, value):
    """PyTorch's `evenly_distribute_backward`: the gradient of a single value chosen from the
    input (max, min, median without dim) shared equally by every element equal to it."""
    x, v = input._data, value._data
    mask = np.isnan(x) if (v.dtype.kind == "f" and np.isnan(v)) else (x == v)
    zeros = Tensor._make(_backend.xp(x).zeros(x.shape, grad._data.dtype))
    return _pw.where(Tensor._make(as_array(mask)), grad / int(mask.sum()), zeros)


# -- prod ---------------------------------------------------------------------------------------
#
# PyTorch multiplies a contiguous run with AVX2 vectors: 4 accumulators of 8 float32 (4 double,
# 16 half) lanes, combined as (a0*a1)*(a2*a3), then lane by lane, then the tail one element at
# a time; down a column it multiplies in order. `_ordered_prod` reproduces both (other layouts
# and large inputs use NumPy's order: as accurate, not always bit-identical).

_PROD_LANES = {_F32: 8, _F64: 4, _F16: 16}


def _seq_prod(a, axis):
    """Left-to-right product along `axis` (strictly in order)."""
    if a.shape[axis] == 0:
        return _backend.xp(a).ones(tuple(np.delete(a.shape, axis)), a.dtype)
    return np.take(np.multiply.accumulate(a, axis=axis), -1, axis=axis)


def _prod_rows(a, lanes):
    """PyTorch's vectorised product of each row of the 2-d array `a`."""
    rows, n = a.shape
    chunk = 4 * lanes
    count = n // chunk
    out = _backend.xp(a).ones((rows, 1), a.dtype)
    if count:
        acc = _seq_prod(a[:, :count * chunk].reshape(rows, count, 4, lanes), 1)
        acc = (acc[:, 0] * acc[:, 1]) * (acc[:, 2] * acc[:, 3])
        out = _seq_prod(acc, 1)[:, None]
    return _seq_prod(np.concatenate([out, a[:, count * chunk:]], 1), 1)


def _ordered_prod(x, axes):
    """The product of a float array over sorted `axes`, in PyTorch's order where modelled."""
    lanes = _PROD_LANES.get(x.dtype)
    kept = tuple(n for d, n in enumerate(x.shape) if d not in axes)
    if lanes is None or x.size >= _GRAIN or not x.flags.c_contiguous or x.size == 0:
        return np.multiply.reduce(x, axis=axes) if axes else x.copy()
    k = len(axes)
    nd = x.ndim
    rows = 1
    for n in kept:
        rows *= n
    if axes == tuple(range(nd - k, nd)):            # reduced dims innermost: vectorised rows
        return _prod_rows(x.reshape(rows, -1), lanes).reshape(kept)
    if axes == tuple(range(k)):                     # reduced dims outermost: down the columns
        return _seq_prod(x.reshape(-1, rows), 0).reshape(kept)
    return np.multiply.reduce(x, axis=axes)


def _prod_safe_zeros_backward(grad, x, dim):
    """Each element's gradient is the product of all the others: an exclusive cumulative
    product from the front times one from the back (no division, so zeros are safe)."""
    if x._data.size == 0:
        return grad.expand(x._data.shape)
    if x._data.shape[dim] == 1:
        return grad
    front = _shift(cumprod(x, dim), dim, 1, 1)
    back = _shift(_flip(cumprod(_flip(x, dim), dim), dim), dim, -1, 1)
    return grad * (front * back)


def _prod_backward(grad, x, result, dim, keepdim):
    if x._data.ndim == 0:
        return grad
    if dim is None:
        if not (x._data == 0).any():
            return grad * (result / x)
        flat = x.reshape(-1)
        return _prod_safe_zeros_backward(grad, flat, 0).reshape(x._data.shape)
    if not keepdim:
        grad, result = grad.unsqueeze(dim), result.unsqueeze(dim)
    if not (x._data == 0).any():
        return grad * (result / x)
    return _prod_safe_zeros_backward(grad, x, dim)


class ProdBackward0(Node):
    def apply(self, grad):                          # d prod = prod / a (zeros handled)
        a, result = self.saved
        return (_prod_backward(grad, a.to(grad.dtype), result, None, False),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


class ProdBackward1(Node):
    def apply(self, grad):
        a, result = self.saved
        return (_prod_backward(grad, a.to(grad.dtype), result, self.dim, self.keepdim),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product of all elements, or along the int `dim` (integers multiply in int64)."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod() received an invalid combination of arguments - got "
                        f"({type(dim).__name__}), but expected one of:\n"
                        " * (*, torch.dtype dtype = None)\n"
                        " * (int dim, bool keepdim = False, *, torch.dtype dtype = None)\n")
    dt = _sum_dtype(input, dtype)
    x = input._data
    if x.dtype is not dt.np:
        x = x.astype(dt.np)
    axes = tuple(range(x.ndim)) if dim is None else ((_wrap_dim(dim, x.ndim),) if x.ndim else ())
    if dim is not None and not x.ndim:
        _wrap_dim(dim, 0)
    if dt.category == _dtype.FLOAT:
        value = _ordered_prod(x, axes)
    else:
        value = np.prod(x, axis=axes, dtype=dt.np) if axes else x.copy()
    value = as_array(value).astype(dt.np, copy=False)
    if keepdim and dim is not None:
        value = value.reshape(_kept_shape(x.shape, axes, True))
    result = Tensor._make(as_array(value))
    if _recording(input):
        if dim is None:
            node = ProdBackward0(input)
        else:
            node = ProdBackward1(input)
            node.dim, node.keepdim = (axes[0] if axes else 0), keepdim
        node.save_for_backward(input)
        node.save_output(result)
        _record(result, node)
    return _out(out, result)


# -- max, min, amax, amin, argmax, argmin ---------------------------------------------------------


class MaxBackward1(Node):
    def apply(self, grad):                          # shared by every element equal to the max
        a, result = self.saved
        return (_evenly_distribute(grad, a, result),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


class MinBackward1(MaxBackward1):
    pass


class MaxBackward0(Node):
    def apply(self, grad):                          # to the element each value came from
        return (_value_selecting_backward(grad, self.dim, self.indices, self.shape,
                                          self.keepdim),)

    @property
    def _saved_indices(self):
        return Tensor._make(self.indices)


class MinBackward0(MaxBackward0):
    pass


def _extreme_all(input, name, np_fn, node_cls):
    x = input._data
    if x.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    result = Tensor._make(as_array(np_fn(x)))
    if _recording(input):
        node = node_cls(input)
        node.save_for_backward(input)
        node.save_output(result)
        _record(result, node)
    return result


def _select_along(input, dim, keepdim, name, pick, node_cls, result_cls, check_size=True):
    """Values picked along one dim by `pick(array, axis) -> indices` (keepdims indices)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    x1 = x if x.ndim else x.reshape(1)
    if check_size:
        _check_nonzero_size(x1, d, name)
    idx = pick(x1, d)                               # keepdims indices
    values = np.take_along_axis(x1, idx, axis=d)
    if not keepdim or not x.ndim:
        idx, values = np.squeeze(idx, d), np.squeeze(values, d)
    if not x.ndim:
        idx, values = idx.reshape(()), values.reshape(())
    vt = Tensor._make(as_array(values))
    it = Tensor._make(as_array(idx.astype(np.int64)))
    if node_cls is not None and _recording(input):
        node = node_cls(input)
        node.dim, node.indices, node.shape, node.keepdim = d, it._data, x.shape, keepdim
        _record(vt, node)
    return result_cls((vt, it))


def _argmax_keep(x, d):
    return np.expand_dims(np.argmax(x, axis=d), d)


def _argmin_keep(x, d):
    return np.expand_dims(np.argmin(x, axis=d), d)


def max(input, dim=None, keepdim=False, *, out=None):  # noqa: A001 - PyTorch's name
    """The largest element; along `dim`, `(values, indices)` (the first index of the maximum;
    nan counts as the largest); `max(a, b)` of two tensors is `maximum`."""
    if isinstance(dim, Tensor):
        return _pw.maximum(input, dim, out=out)
    if dim is None:
        if keepdim:
            raise TypeError("max() received an invalid combination of arguments - got (Tensor, "
                            "keepdim=bool), but expected one of:\n"
                            " * (Tensor input, *, Tensor out = None)\n"
                            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                            " * (Tensor input, int dim, bool keepdim = False, *, tuple of "
                            "Tensors out = None)\n")
        return _out(out, _extreme_all(input, "max", np.max, MaxBackward1))
    return _out_pair(out, _select_along(input, dim, keepdim, "max", _argmax_keep, MaxBackward0,
                                        return_types.max))


def min(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """The smallest element; along `dim`, `(values, indices)`; `min(a, b)` is `minimum`."""
    if isinstance(dim, Tensor):
        return _pw.minimum(input, dim, out=out)
    if dim is None:
        if keepdim:
            raise TypeError("min() received an invalid combination of arguments - got (Tensor, "
                            "keepdim=bool), but expected one of:\n"
                            " * (Tensor input, *, Tensor out = None)\n"
                            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                            " * (Tensor input, int dim, bool keepdim = False, *, tuple of "
                            "Tensors out = None)\n")
        return _out(out, _extreme_all(input, "min", np.min, MinBackward1))
    return _out_pair(out, _select_along(input, dim, keepdim, "min", _argmin_keep, MinBackward0,
                                        return_types.min))


class AmaxBackward0(Node):
    def apply(self, grad):                          # split equally among the tied maxima
        a, result = self.saved
        shape = a._data.shape
        g = _restore(grad, shape, self.axes, self.keepdim)
        mask = _restore(result, shape, self.axes, self.keepdim) == a
        return ((g / sum(mask, self.axes, keepdim=True)) * mask,)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


class AminBackward0(AmaxBackward0):
    pass


def _amax_amin(input, dim, keepdim, name, np_fn, node_cls, out):
    x = input._data
    axes = _axes(dim, x.ndim)
    if x.size == 0 and len(axes) == x.ndim and (dim is None or dim == () or dim == []):
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")
    if dim is not None and not (isinstance(dim, (tuple, list)) and not dim) and x.ndim:
        _check_nonzero_size(x, dim, name)
    value = np_fn(x, axis=axes, keepdims=keepdim) if x.ndim else x.copy()
    result = Tensor._make(as_array(value))
    if _recording(input):
        node = node_cls(input)
        node.axes, node.keepdim = axes, keepdim
        node.save_for_backward(input)
        node.save_output(result)
        _record(result, node)
    return _out(out, result)


def amax(input, dim=(), keepdim=False, *, out=None):
    """The largest elements over `dim` (all dims by default); ties share the gradient."""
    return _amax_amin(input, dim, keepdim, "amax", np.max, AmaxBackward0, out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """The smallest elements over `dim` (all dims by default)."""
    return _amax_amin(input, dim, keepdim, "amin", np.min, AminBackward0, out)


class AminmaxBackward0(Node):
    num_outputs = 2

    def apply(self, grads):
        a, lo, hi = self.saved
        shape = a._data.shape
        total = None
        for g, value in zip(grads, (lo, hi)):
            if g is None:
                continue
            g = _restore(g, shape, self.axes, self.keepdim)
            mask = _restore(value, shape, self.axes, self.keepdim) == a
            part = (g / sum(mask, self.axes, keepdim=True)) * mask
            total = part if total is None else total + part
        return (total,)


def aminmax(input, *, dim=None, keepdim=False):
    """`(min, max)` over `dim` (all elements by default), as `torch.return_types.aminmax`."""
    x = input._data
    axes = _axes(dim, x.ndim)
    if dim is not None and x.ndim and x.shape[axes[0]] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {axes[0]} to have non-zero size.")
    if x.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    lo, hi = np.min(x, axis=axes, keepdims=keepdim), np.max(x, axis=axes, keepdims=keepdim)
    lo_t, hi_t = Tensor._make(as_array(lo)), Tensor._make(as_array(hi))
    if _recording(input):
        node = AminmaxBackward0(input)
        node.axes, node.keepdim = axes, keepdim
        node.save_for_backward(input)
        node.save_output(lo_t)
        node.save_output(hi_t)
        lo_t._requires_grad, lo_t._grad_fn = True, node
        hi_t._requires_grad, hi_t._grad_fn, hi_t._output_nr = True, node, 1
    return return_types.aminmax((lo_t, hi_t))


def _arg_extreme(input, dim, keepdim, name, np_fn, out):
    x = input._data
    if x.dtype is _NP_BOOL:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        value = as_array(np_fn(x.reshape(-1))).astype(np.int64, copy=False)
        if keepdim:
            value = value.reshape((1,) * x.ndim)
        return _out(out, Tensor._make(value))
    d = _wrap_dim(dim, x.ndim)
    x1 = x if x.ndim else x.reshape(1)
    _check_nonzero_size(x1, d, name)
    value = np_fn(x1, axis=d)
    if keepdim and x.ndim:
        value = np.expand_dims(value, d)
    if not x.ndim:
        value = value.reshape(())
    return _out(out, Tensor._make(as_array(value).astype(np.int64, copy=False)))


def argmax(input, dim=None, keepdim=False, *, out=None):
    """The index of the first maximum (of the flattened tensor when `dim` is None)."""
    return _arg_extreme(input, dim, keepdim, "argmax", np.argmax, out)


def argmin(input, dim=None, keepdim=False, *, out=None):
    """The index of the first minimum."""
    return _arg_extreme(input, dim, keepdim, "argmin", np.argmin, out)


# -- var, std, std_mean, var_mean ------------------------------------------------------------------


def _correction_of(dim, unbiased, correction, name):
    """(dim, correction) from PyTorch's overloads: `var(x, unbiased)`, `var(x, dim, unbiased,
    keepdim)` and `var(x, dim, *, correction, keepdim)`."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        got = ([type(dim).__name__] if dim is not None else []) + [
            f"correction={type(correction).__name__}", f"unbiased={type(unbiased).__name__}"]
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({', '.join(got)}), but expected one of:\n"
                        " * (tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
                        "      didn't match because some of the keywords were incorrect: "
                        "correction, unbiased\n"
                        " * (tuple of ints dim = None, *, Number correction = None, "
                        "bool keepdim = False)\n * (bool unbiased = True)\n")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _var_values(input, axes, correction, keepdim, name):
    """Variance (two passes, in float64, rounded once to the input's dtype) and the count of
    elements each value summarises."""
    x = input._data
    if x.dtype.kind != "f":
        kind = name if name.endswith("_mean") else "std and var"
        raise RuntimeError(f"{kind} only support floating point and complex dtypes")
    n = 1
    for a in axes:
        n *= x.shape[a]
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    w = x.astype(_F64)
    if x.ndim:
        mean_ = np.mean(w, axis=axes, keepdims=True) if w.size else _backend.xp(w).full(
            _kept_shape(x.shape, axes, True), np.nan)
        m2 = np.sum((w - mean_) ** 2, axis=axes, keepdims=keepdim)
    else:
        m2 = (w - w) ** 2                           # 0, or nan for an infinite element
    divisor = n - correction if n - correction > 0 else 0
    return m2 / divisor, n


def _var_backward(grad, a, axes, correction, keepdim, n):
    """`2 / (n - correction) * grad * (a - mean(a))`."""
    if not keepdim and a._data.ndim > 1:
        grad = _restore(grad, a._data.shape, axes, False)
    d = n - correction
    factor = 2.0 / d if d != 0 else _math.inf
    return grad * factor * (a - mean(a, axes if a._data.ndim else None, keepdim=True))


def _std_backward(grad, result, a, axes, correction, keepdim, n):
    grad_var = _pw.where(result == 0, _pw.zeros_like_tensor(grad), grad / (result * 2))
    return _var_backward(grad_var, a, axes, correction, keepdim, n)


class VarBackward0(Node):
    def apply(self, grad):
        a, = self.saved
        return (_var_backward(grad, a, self.axes, self.correction, self.keepdim, self.n),)

    _saved_self = property(lambda self: self.saved[0])


class StdBackward0(Node):
    def apply(self, grad):
        a, result = self.saved
        return (_std_backward(grad, result, a, self.axes, self.correction, self.keepdim,
                              self.n),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


def _mean_backward(grad, a, axes, keepdim, n):
    return _restore(grad, a._data.shape, axes, keepdim).expand(a._data.shape) / n


class VarMeanBackward0(Node):
    num_outputs = 2

    def apply(self, grads):
        a, = self.saved
        g_var, g_mean = grads
        total = None
        if g_var is not None:
            total = _var_backward(g_var, a, self.axes, self.correction, self.keepdim, self.n)
        if g_mean is not None:
            part = _mean_backward(g_mean, a, self.axes, self.keepdim, self.n)
            total = part if total is None else total + part
        return (total,)


class StdMeanBackward0(Node):
    num_outputs = 2

    def apply(self, grads):
        a, result = self.saved
        g_std, g_mean = grads
        total = None
        if g_std is not None:
            total = _std_backward(g_std, result, a, self.axes, self.correction, self.keepdim,
                                  self.n)
        if g_mean is not None:
            part = _mean_backward(g_mean, a, self.axes, self.keepdim, self.n)
            total = part if total is None else total + part
        return (total,)


def _var_std(input, dim, unbiased, keepdim, correction, name, take_sqrt, out):
    dim, correction = _correction_of(dim, unbiased, correction, name)
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _axes(dim, x.ndim)
    value, n = _var_values(input, axes, correction, keepdim, name)
    if take_sqrt:
        value = np.sqrt(value)
    result = Tensor._make(as_array(value).astype(x.dtype))
    if _recording(input):
        node = (StdBackward0 if take_sqrt else VarBackward0)(input)
        node.axes, node.correction, node.keepdim, node.n = axes, correction, keepdim, n
        node.save_for_backward(input)
        if take_sqrt:
            node.save_output(result)
        _record(result, node)
    return _out(out, result)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance over `dim` (all elements by default), divided by `n - correction` (Bessel's
    `correction=1` by default; `unbiased=False` means 0)."""
    return _var_std(input, dim, unbiased, keepdim, correction, "var", False, out)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation: the square root of `var`."""
    return _var_std(input, dim, unbiased, keepdim, correction, "std", True, out)


def _var_std_mean(input, dim, unbiased, keepdim, correction, name, take_sqrt):
    dim, correction = _correction_of(dim, unbiased, correction, name)
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    axes = _axes(dim, x.ndim)
    value, n = _var_values(input, axes, correction, keepdim, name)
    if take_sqrt:
        value = np.sqrt(value)
    first = Tensor._make(as_array(value).astype(x.dtype))
    w = x.astype(_F64)
    m = np.mean(w, axis=axes, keepdims=keepdim) if x.ndim else w.copy()
    if x.ndim and x.size and np.isinf(w).any():
        # PyTorch's running (Welford) mean turns nan once an infinity meets a later element
        moved = np.moveaxis(np.isinf(w), axes, tuple(range(x.ndim - len(axes), x.ndim)))
        moved = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
        bad = moved[..., :-1].any(-1)
        if keepdim:
            bad = bad.reshape(_kept_shape(x.shape, axes, True))
        m = np.where(bad, np.nan, m)
    second = Tensor._make(as_array(m).astype(x.dtype))
    if _recording(input):
        node = (StdMeanBackward0 if take_sqrt else VarMeanBackward0)(input)
        node.axes, node.correction, node.keepdim, node.n = axes, correction, keepdim, n
        node.save_for_backward(input)
        if take_sqrt:
            node.save_output(first)
        first._requires_grad, first._grad_fn = True, node
        second._requires_grad, second._grad_fn, second._output_nr = True, node, 1
    return first, second


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """`(var, mean)` over `dim`, computed together."""
    return _var_std_mean(input, dim, unbiased, keepdim, correction, "var_mean", False)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """`(std, mean)` over `dim`, computed together."""
    return _var_std_mean(input, dim, unbiased, keepdim, correction, "std_mean", True)


# -- norm ---------------------------------------------------------------------------------------


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """`linalg.vector_norm` (one implementation, in ops/linalg.py)."""
    from .linalg import vector_norm as linalg_vector_norm
    return linalg_vector_norm(x, ord, dim, keepdim, dtype=dtype)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """`torch.norm`: the Frobenius / 2-norm by default, else the `p`-norm of the elements over
    `dim` (a vector norm, PyTorch's LinalgVectorNormBackward0)."""
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if isinstance(p, str):
        if p == "fro":
            if dim is not None and len(dim) > 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                                   f"{' '.join(map(str, dim))}")
            return _out(out, vector_norm(input, 2, dim, keepdim, dtype=dtype))
        if p == "nuc":
            raise NotImplementedError("ember: the nuclear norm is not implemented")
        raise RuntimeError(f"linalg.vector_norm: Expected a valid norm, got {p}")
    return _out(out, vector_norm(input, p, dim, keepdim, dtype=dtype))


# -- logsumexp ------------------------------------------------------------------------------------


class LogsumexpBackward0(Node):
    def apply(self, grad):                          # softmax of the input along dim
        a, result = self.saved
        shape = a._data.shape
        g = _restore(grad, shape, self.axes, self.keepdim)
        r = _restore(result, shape, self.axes, self.keepdim)
        return (g * _pw.exp(a - r),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


def logsumexp(input, dim=None, keepdim=False, *, out=None):
    """`log(sum(exp(input), dim))`, computed stably as PyTorch does: the maximum is taken out
    first (and an infinite maximum is not)."""
    _require_dim(dim, "logsumexp")
    x = input._data
    source = input if x.dtype.kind == "f" else input.to(_dtype.get_default_dtype())
    axes = _axes(dim, x.ndim)
    with grad_mode.no_grad():
        plain = source.detach()
        if x.size:
            maxes = amax(plain, axes, keepdim=True)
            maxes = Tensor._make(np.where(np.abs(maxes._data) == np.inf,
                                          maxes._data.dtype.type(0), maxes._data))
            total = sum(_pw.exp(plain - maxes), axes if x.ndim else None, keepdim=keepdim)
            value = _pw.log(total) + (maxes if keepdim or not x.ndim else
                                      maxes.reshape(total._data.shape))
        else:
            value = _pw.log(sum(_pw.exp(plain), axes, keepdim=keepdim))
    result = Tensor._make(value._data)
    if _recording(input):
        node = LogsumexpBackward0(input)
        node.axes, node.keepdim = axes, keepdim
        node.save_for_backward(input)
        node.save_output(result)
        _record(result, node)
    return _out(out, result)


# -- cumulative sums and products -----------------------------------------------------------------


def _require_dim(dim, name):
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')


def _scan(input, dim, dtype, name, np_fn):
    """cumsum/cumprod values: float32 accumulates in float64 and float16 in float32 (PyTorch's
    CPU accumulator types), each partial result rounded to the output dtype."""
    _require_dim(dim, name)
    dt = _sum_dtype(input, dtype)
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    if not x.ndim:
        return x.astype(dt.np), d, dt
    work = {_F32: _F64, _F16: _F32}.get(dt.np, dt.np)
    value = np_fn(x.astype(work), axis=d)
    if name == "cumsum" and work.kind == "f":
        value += work.type(0)                       # PyTorch's running sum starts at +0.0
    return value.astype(dt.np), d, dt


class CumsumBackward0(Node):
    def apply(self, grad):                          # each input adds into every later output
        g = grad.to(self.dtype) if grad._data.dtype is not self.dtype.np else grad
        d = self.dim
        if g._data.size <= 1 or g._data.shape[d] == 1:
            return (g,)
        return (_flip(cumsum(_flip(g, d), d), d),)


def cumsum(input, dim=None, *, dtype=None, out=None):
    """Running sums along `dim` (integers accumulate in int64)."""
    value, d, _ = _scan(input, dim, dtype, "cumsum", np.cumsum)
    result = Tensor._make(as_array(value))
    if _recording(input):
        node = CumsumBackward0(input)
        node.dim, node.dtype = d, input.dtype
        _record(result, node)
    return _out(out, result)


class CumprodBackward0(Node):
    def apply(self, grad):
        a, result = self.saved
        g = grad.to(a.dtype) if grad._data.dtype is not a._data.dtype else grad
        return (_cumprod_backward(g, a, self.dim, result),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


def _cumprod_backward(grad, a, dim, result):
    """PyTorch's `cumprod_backward`: `reversed_cumsum(result * grad) / a` without zeros; with
    zeros, the products that leave each element out, one row at a time (differentiable)."""
    x = a._data
    if x.size <= 1 or x.shape[dim] == 1:
        return grad
    if not (x == 0).any():
        w = result * grad
        return _flip(cumsum(_flip(w, dim), dim), dim) / a
    n = x.shape[dim]
    # move dim last: rows k of M are `a` with a[k] replaced by 1; cumprod along the row gives
    # prod_{i <= j, i != k} a_i, which weighs grad_j for every j >= k
    at = a.transpose(dim, -1) if dim != x.ndim - 1 else a
    gt = grad.transpose(dim, -1) if dim != x.ndim - 1 else grad
    xp = _backend.xp(x)
    eye = Tensor._make(xp.eye(n, dtype=bool))
    upper = Tensor._make(xp.triu(xp.ones((n, n), bool)))
    rows = _pw.where(eye, Tensor._make(xp.ones((), x.dtype)), at.unsqueeze(-2))
    terms = cumprod(rows, -1) * gt.unsqueeze(-2)
    value = sum(_pw.where(upper, terms, Tensor._make(xp.zeros((), x.dtype))), -1)
    return value.transpose(dim, -1) if dim != x.ndim - 1 else value


def cumprod(input, dim=None, *, dtype=None, out=None):
    """Running products along `dim`."""
    value, d, _ = _scan(input, dim, dtype, "cumprod", np.cumprod)
    result = Tensor._make(as_array(value))
    if _recording(input):
        node = CumprodBackward0(input)
        node.dim = d
        node.save_for_backward(input)
        node.save_output(result)
        _record(result, node)
    return _out(out, result)


class CummaxBackward0(Node):
    def apply(self, grad):                          # each output's gradient to its source
        return (_scatter_add(grad, self.dim, self.indices, self.shape),)

    @property
    def _saved_indices(self):
        return Tensor._make(self.indices)


class CumminBackward0(CummaxBackward0):
    pass


def _cum_extreme(input, dim, greater, node_cls, result_cls):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    if not x.ndim:
        return result_cls((Tensor._make(x.copy()),
                           Tensor._make(_backend.xp(x).zeros((), np.int64))))
    n = x.shape[d]
    positions = _backend.xp(x).arange(n).reshape((n,) + (1,) * (x.ndim - 1 - d))
    if x.dtype is _NP_BOOL:
        run = _backend.accumulate(np.logical_or if greater else np.logical_and, x, d)
    else:
        run = _backend.accumulate(np.maximum if greater else np.minimum, x, d)
    # PyTorch moves to a new element when it is >= (<=) the running one or nan: the index is
    # the last position that holds the running value
    hit = (x == run)
    if x.dtype.kind == "f":
        hit = hit | np.isnan(x)
    idx = _backend.accumulate(np.maximum, np.where(hit, positions, -1), d) if n else \
        _backend.xp(x).zeros(x.shape, np.int64)
    idx = idx.astype(np.int64)
    values = np.take_along_axis(x, idx, axis=d)
    vt, it = Tensor._make(as_array(values)), Tensor._make(as_array(idx))
    if _recording(input):
        node = node_cls(input)
        node.dim, node.indices, node.shape = d, idx, x.shape
        _record(vt, node)
    return result_cls((vt, it))


def cummax(input, dim):
    """Running maxima along `dim` and where each came from (the latest of equal values)."""
    return _cum_extreme(input, dim, True, CummaxBackward0, return_types.cummax)


def cummin(input, dim):
    """Running minima along `dim` and where each came from."""
    return _cum_extreme(input, dim, False, CumminBackward0, return_types.cummin)


# -- all, any, count_nonzero, nansum, nanmean ------------------------------------------------------


def _logical_reduce(input, dim, keepdim, np_fn, out):
    x = input._data
    axes = _axes(dim, x.ndim)
    value = np_fn(x != 0, axis=axes, keepdims=keepdim) if x.ndim else (x != 0)
    if dim is None and keepdim and x.ndim:
        value = value.reshape((1,) * x.ndim)
    value = as_array(value)
    if x.dtype == np.uint8:
        value = value.astype(np.uint8)
    return _out(out, Tensor._make(as_array(value)))


def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Whether every element (over `dim`) is nonzero (uint8 tensors give uint8)."""
    return _logical_reduce(input, dim, keepdim, np.all, out)


def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Whether some element (over `dim`) is nonzero."""
    return _logical_reduce(input, dim, keepdim, np.any, out)


def count_nonzero(input, dim=None):
    """How many elements (over `dim`, an int or a tuple) are nonzero, as int64."""
    x = input._data
    axes = _axes(dim, x.ndim)
    value = np.count_nonzero(x, axis=axes) if x.ndim else as_array(x != 0)
    return Tensor._make(as_array(value).astype(np.int64, copy=False))


class NansumBackward0(Node):
    def apply(self, grad):                          # 1 where the input is not nan
        a, = self.saved
        g = _restore(grad, a._data.shape, self.axes, self.keepdim)
        return (g * _pw.logical_not(_pw.isnan(a)),)

    _saved_self = property(lambda self: self.saved[0])


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """`sum`, treating nan as zero."""
    x = input._data
    cleaned = input.detach()
    if x.dtype.kind == "f":
        cleaned = Tensor._make(np.where(np.isnan(x), x.dtype.type(0), x))
    with grad_mode.no_grad():
        if dim is None and not keepdim:
            result = sum(cleaned, dtype=dtype)
        else:
            result = sum(cleaned, _axes(dim, x.ndim) or None, keepdim=keepdim, dtype=dtype)
    result = Tensor._make(result._data)
    if _recording(input):
        node = NansumBackward0(input)
        node.axes, node.keepdim = _axes(dim, x.ndim), keepdim
        node.save_for_backward(input)
        _record(result, node)
    return result


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the elements that are not nan."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype.scalar_name}")
    count = sum(_pw.logical_not(_pw.isnan(input.detach())), dim, keepdim=keepdim) \
        if dim is not None else sum(_pw.logical_not(_pw.isnan(input.detach())))
    return nansum(input, dim, keepdim, dtype=dtype) / count


# -- order statistics: median, kthvalue, topk -----------------------------------------------------
#
# Which index PyTorch reports among equal values depends on the selection algorithm its CPU
# kernels run: median orders by (value, index); kthvalue runs its own quickselect; topk runs
# libstdc++'s partial_sort / nth_element / sort. Rows where no selected value repeats have
# only one answer and are done with NumPy; the others replay the same algorithm (below).


def _gt_nan(x, y):
    """PyTorch's `gt_or_nan`: x > y, nan above everything."""
    return (x != x and y == y) or x > y


def _lt_nan(x, y):
    return (x == x and y != y) or x < y


def _quick_select(vals, idx, k, gt):
    """PyTorch's `quick_select_template` (SortingUtils.h), moving `idx` along with `vals`."""
    lo, hi = 0, len(vals) - 1

    def swap(i, j):
        vals[i], vals[j] = vals[j], vals[i]
        idx[i], idx[j] = idx[j], idx[i]
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if gt(vals[lo], vals[hi]):
                swap(lo, hi)
            return
        mid = lo + (hi - lo) // 2
        swap(mid, lo + 1)
        if gt(vals[lo + 1], vals[hi]):
            swap(lo + 1, hi)
        if gt(vals[lo], vals[hi]):
            swap(lo, hi)
        if gt(vals[lo + 1], vals[lo]):
            swap(lo + 1, lo)
        i, j = lo + 1, hi
        pivot = vals[lo]
        while True:
            i += 1
            while gt(pivot, vals[i]):
                i += 1
            j -= 1
            while gt(vals[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


class _Libstdcxx:
    """libstdc++'s std::sort, std::partial_sort and std::nth_element on a list of items,
    step for step (the order they leave equal items in is what PyTorch reports)."""

    def __init__(self, items, less):
        self.a, self.less = items, less

    # heaps (stl_heap.h)
    def adjust_heap(self, first, hole, length, value):
        a, less = self.a, self.less
        top = hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if less(a[first + child], a[first + child - 1]):
                child -= 1
            a[first + hole] = a[first + child]
            hole = child
        if (length & 1) == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and less(a[first + parent], value):
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[first + hole] = value

    def make_heap(self, first, last):
        length = last - first
        if length < 2:
            return
        parent = (length - 2) // 2
        while True:
            self.adjust_heap(first, parent, length, self.a[first + parent])
            if parent == 0:
                return
            parent -= 1

    def pop_heap(self, first, last, result):
        a = self.a
        value = a[result]
        a[result] = a[first]
        self.adjust_heap(first, 0, last - first, value)

    def heap_select(self, first, middle, last):
        self.make_heap(first, middle)
        for i in range(middle, last):
            if self.less(self.a[i], self.a[first]):
                self.pop_heap(first, middle, i)

    def sort_heap(self, first, last):
        while last - first > 1:
            last -= 1
            self.pop_heap(first, last, last)

    def partial_sort(self, first, middle, last):
        self.heap_select(first, middle, last)
        self.sort_heap(first, middle)

    # quicksort pieces (stl_algo.h)
    def move_median_to_first(self, result, x, y, z):
        a, less = self.a, self.less
        if less(a[x], a[y]):
            if less(a[y], a[z]):
                pick = y
            elif less(a[x], a[z]):
                pick = z
            else:
                pick = x
        elif less(a[x], a[z]):
            pick = x
        elif less(a[y], a[z]):
            pick = z
        else:
            pick = y
        a[result], a[pick] = a[pick], a[result]

    def unguarded_partition(self, first, last, pivot):
        a, less = self.a, self.less
        while True:
            while less(a[first], a[pivot]):
                first += 1
            last -= 1
            while less(a[pivot], a[last]):
                last -= 1
            if not first < last:
                return first
            a[first], a[last] = a[last], a[first]
            first += 1

    def partition_pivot(self, first, last):
        mid = first + (last - first) // 2
        self.move_median_to_first(first, first + 1, mid, last - 1)
        return self.unguarded_partition(first + 1, last, first)

    def insertion_sort(self, first, last):
        a, less = self.a, self.less
        if first == last:
            return
        for i in range(first + 1, last):
            value = a[i]
            if less(value, a[first]):
                a[first + 1:i + 1] = a[first:i]
                a[first] = value
            else:
                self.unguarded_linear_insert(i)

    def unguarded_linear_insert(self, last):
        a, less = self.a, self.less
        value = a[last]
        nxt = last - 1
        while less(value, a[nxt]):
            a[last] = a[nxt]
            last = nxt
            nxt -= 1
        a[last] = value

    def introsort_loop(self, first, last, depth):
        while last - first > 16:
            if depth == 0:
                self.partial_sort(first, last, last)
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            self.introsort_loop(cut, last, depth)
            last = cut

    def sort(self, first, last):
        if first == last:
            return
        self.introsort_loop(first, last, 2 * ((last - first).bit_length() - 1))
        if last - first > 16:
            self.insertion_sort(first, first + 16)
            for i in range(first + 16, last):
                self.unguarded_linear_insert(i)
        else:
            self.insertion_sort(first, last)

    def nth_element(self, first, nth, last):
        if first == last or nth == last:
            return
        depth = 2 * ((last - first).bit_length() - 1)
        while last - first > 3:
            if depth == 0:
                self.heap_select(first, nth + 1, last)
                self.a[first], self.a[nth] = self.a[nth], self.a[first]
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)


def _repeats(x, axis, largest, k):
    """Per row along `axis`: whether one of the k values topk chooses also occurs elsewhere
    among the chosen or just outside them (equal values are adjacent once sorted; nan equals
    nan here)."""
    ordered = np.moveaxis(np.sort(x, axis=axis), axis, -1)
    n = ordered.shape[-1]
    window = ordered[..., n - k - 1 if k < n else 0:] if largest else ordered[..., :k + 1]
    same = window[..., 1:] == window[..., :-1]
    if x.dtype.kind == "f":
        same |= np.isnan(window[..., 1:]) & np.isnan(window[..., :-1])
    return same.any(-1)


def _rows_of(x, axis):
    """The rows along `axis` as a 2-d array (a copy), and how to put results back."""
    moved = np.moveaxis(x, axis, -1)
    return moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(
        -1, moved.shape[-1]), moved.shape[:-1]


def _stable_order(x, axis, descending):
    """Indices that sort `x` along `axis` stably, nan as the largest value."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    if x.dtype.kind == "f":
        # nan first, then the values from the largest down: two stable sorts, the minor key
        # first (np.lexsort would do it in one, but CuPy's takes no axis)
        nan = np.isnan(x)
        order = np.argsort(np.where(nan, 0, -x), axis=axis, kind="stable")
        by_nan = np.argsort(~np.take_along_axis(nan, order, axis), axis=axis, kind="stable")
        return np.take_along_axis(order, by_nan, axis)
    return np.argsort(~x if x.dtype.kind in "biu" else -x, axis=axis, kind="stable")


class MedianBackward0(MaxBackward1):
    pass


class NanmedianBackward0(MaxBackward1):
    pass


class MedianBackward1(MaxBackward0):
    pass


class NanmedianBackward1(MaxBackward0):
    pass


class KthvalueBackward0(MaxBackward0):
    pass


def _median_all(input, ignore_nan):
    x = input._data
    flat = x.reshape(-1)
    if flat.size == 0:                              # PyTorch: full((), nan) in the dtype
        with np.errstate(invalid="ignore"):
            value = np.array(np.nan).astype(x.dtype)[()]
    elif x.dtype is _NP_BOOL:
        raise _pw._not_implemented("median_cpu", input.dtype)
    else:
        ordered = np.sort(flat)                     # nan last
        if x.dtype.kind == "f" and not ignore_nan and np.isnan(ordered[-1]):
            value = ordered[-1]
        else:
            valid = flat.size - (int(np.isnan(flat).sum()) if x.dtype.kind == "f" else 0)
            k = int((valid - 1) / 2)                # C's division: -1 / 2 is 0
            value = ordered[k]
            if value == 0 and x.dtype.kind == "f" and np.signbit(ordered[ordered == 0]).any() \
                    and not np.signbit(ordered[ordered == 0]).all():
                # 0.0 or -0.0: whichever libstdc++'s nth_element leaves there
                if ignore_nan:
                    less = (lambda a, b: a < b or (b != b and a == a))
                else:
                    less = (lambda a, b: a < b)
                items = flat.tolist()
                _Libstdcxx(items, less).nth_element(0, k, len(items))
                value = x.dtype.type(items[k])
    result = Tensor._make(new_like(x, value, x.dtype))
    if _recording(input):
        node = (NanmedianBackward0 if ignore_nan else MedianBackward0)(input)
        node.save_for_backward(input)
        node.save_output(result)
        _record(result, node)
    return result


def _median_dim(input, dim, keepdim, ignore_nan):
    x = input._data
    name = "median"                                 # nanmedian's messages say median too
    if x.dtype is _NP_BOOL:
        if x.ndim:
            _check_nonzero_size(x, _wrap_dim(dim, x.ndim), name)
        raise _pw._not_implemented("median_out", input.dtype)

    def pick(a, d):
        order = np.argsort(a, axis=d, kind="stable")    # by (value, index), nan last
        n = a.shape[d]
        if a.dtype.kind == "f":
            nans = np.isnan(a).sum(axis=d, keepdims=True)
        else:
            nans = np.zeros_like(_slice_along(a, d, 0), dtype=np.int64)
        if ignore_nan:
            pos = np.where(nans == n, (n - 1) // 2, (n - nans - 1) // 2)
        else:
            pos = _backend.xp(a).full(nans.shape, (n - 1) // 2)
        idx = np.take_along_axis(order, pos, axis=d)
        if not ignore_nan and a.dtype.kind == "f":
            first_nan = np.expand_dims(np.argmax(np.isnan(a), axis=d), d)
            idx = np.where(nans > 0, first_nan, idx)
        return idx
    node_cls = NanmedianBackward1 if ignore_nan else MedianBackward1
    return _select_along(input, dim, keepdim, name, pick, node_cls,
                         return_types.nanmedian if ignore_nan else return_types.median)


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median (of all elements: the value; along `dim`: `(values, indices)`, the
    index of the median in (value, index) order); nan if any element is nan."""
    if dim is None:
        return _out(out, _median_all(input, False))
    return _out_pair(out, _median_dim(input, dim, keepdim, False))


def nanmedian(input, dim=None, keepdim=False):
    """`median` of the elements that are not nan."""
    if dim is None:
        return _median_all(input, True)
    return _median_dim(input, dim, keepdim, True)


def _slice_along(a, axis, i):
    """`np.take(a, [i], axis)` as a view: element i along `axis`, the axis kept (no index list,
    which a GPU library would have to copy over from the host)."""
    return a[(slice(None),) * axis + (slice(i, i + 1),)]


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The k-th smallest element along `dim` (1-based), as `(values, indices)`."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    if x.ndim:
        _check_nonzero_size(x, d, "kthvalue")
    size = x.shape[d] if x.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.dtype is _NP_BOOL and x.ndim:
        raise _pw._not_implemented("kthvalue_cpu", input.dtype)

    def pick(a, axis):
        part = np.partition(a, k - 1, axis=axis)    # nan last, as PyTorch's comparison
        kth = _slice_along(part, axis, k - 1)
        same = (a == kth) | ((a != a) & (kth != kth)) if a.dtype.kind == "f" else (a == kth)
        idx = np.expand_dims(np.argmax(same, axis=axis), axis)
        ties = same.sum(axis=axis, keepdims=True) > 1
        if ties.any():
            rows, lead = _rows_of(a, axis)
            flat_ties = np.moveaxis(ties, axis, -1).reshape(-1)
            flat_idx = np.moveaxis(idx, axis, -1).reshape(-1).copy()
            for r in np.nonzero(flat_ties)[0]:
                vals = rows[r].tolist()
                order = list(range(len(vals)))
                _quick_select(vals, order, k - 1, _gt_nan)
                flat_idx[r] = order[k - 1]
            idx = np.moveaxis(flat_idx.reshape(lead + (1,)), -1, axis)
        return idx
    return _out_pair(out, _select_along(input, d, keepdim, "kthvalue", pick, KthvalueBackward0,
                                        return_types.kthvalue, check_size=False))


class TopkBackward0(MaxBackward0):
    pass


def _topk_row(vals, k, largest, sorted_):
    """PyTorch's topk of one row (TopKImpl.h): the indices of the k chosen values."""
    items = list(zip(vals, range(len(vals))))
    if largest:
        less = (lambda a, b: (a[0] != a[0] and b[0] == b[0]) or a[0] > b[0])
    else:
        less = (lambda a, b: (a[0] == a[0] and b[0] != b[0]) or a[0] < b[0])
    algo = _Libstdcxx(items, less)
    n = len(items)
    if k * 64 <= n:
        algo.partial_sort(0, k, n)
    else:
        algo.nth_element(0, k - 1, n)
        if sorted_:
            algo.sort(0, k - 1)
    return [i for _, i in items[:k]]


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):  # noqa: A002
    """The k largest (or smallest) elements along `dim` and their indices, largest first (nan
    counts as the largest)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    x1 = x if x.ndim else x.reshape(1)
    n = x1.shape[d]
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if x.dtype is _NP_BOOL:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    order = _stable_order(x1, d, largest)
    idx = np.take(order, _backend.xp(order).arange(k), axis=d)
    values = np.take_along_axis(x1, idx, axis=d)
    if k:
        # rows whose answer depends on the algorithm: a chosen value repeats in the row, or
        # an unsorted result (nth_element leaves its own order)
        if sorted or k * 64 <= n:
            redo = _repeats(x1, d, largest, k)
        else:
            redo = _backend.xp(x1).ones(tuple(np.delete(x1.shape, d)), bool)
        if redo.any():
            rows, lead = _rows_of(x1, d)
            flat_idx = np.moveaxis(idx, d, -1).reshape(-1, k).copy()
            for r in np.nonzero(redo.reshape(-1))[0]:
                flat_idx[r] = _topk_row(rows[r].tolist(), k, largest, sorted)
            idx = np.moveaxis(flat_idx.reshape(lead + (k,)), -1, d)
            values = np.take_along_axis(x1, idx, axis=d)
    if not x.ndim:
        idx, values = idx.reshape(()), values.reshape(())
    vt = Tensor._make(as_array(values))
    it = Tensor._make(as_array(idx.astype(np.int64)))
    if _recording(input):
        node = TopkBackward0(input)
        node.dim, node.indices, node.shape, node.keepdim = d, it._data, x.shape, True
        _record(vt, node)
    return _out_pair(out, return_types.topk((vt, it)))


# -- sorting --------------------------------------------------------------------------------------


class SortBackward0(MaxBackward0):
    pass


# Rows longer than 16 with repeated values are sorted by libstdc++'s introsort, which is not
# stable; replaying it in Python costs about a microsecond per comparison, so it is done up to
# this many elements in all (beyond it, equal values keep their input order, as stable=True).
_REPLAY_LIMIT = 200_000


def _sort_order(x, d, descending, stable):
    """PyTorch's CPU sort: std::stable_sort when `stable`, else std::sort (insertion sort up to
    16 elements, so stable there too) on (value, index) pairs compared by value, nan largest."""
    order = _stable_order(x, d, descending)
    n = x.shape[d]
    if stable or n <= 16 or x.size == 0:
        return order
    ordered = np.moveaxis(np.take_along_axis(x, order, axis=d), d, -1)
    same = ordered[..., 1:] == ordered[..., :-1]
    if x.dtype.kind == "f":
        same |= np.isnan(ordered[..., 1:]) & np.isnan(ordered[..., :-1])
    redo = same.any(-1).reshape(-1)
    if not redo.any() or redo.sum() * n > _REPLAY_LIMIT:
        return order
    rows, lead = _rows_of(x, d)
    flat = np.moveaxis(order, d, -1).reshape(-1, n).copy()
    if descending:
        less = (lambda a, b: (a[0] != a[0] and b[0] == b[0]) or a[0] > b[0])
    else:
        less = (lambda a, b: (a[0] == a[0] and b[0] != b[0]) or a[0] < b[0])
    for r in np.nonzero(redo)[0]:
        items = list(zip(rows[r].tolist(), range(n)))
        _Libstdcxx(items, less).sort(0, n)
        flat[r] = [i for _, i in items]
    return np.moveaxis(flat.reshape(lead + (n,)), -1, d)


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Sorted along `dim` (nan as the largest value), with the indices; equal values in the
    order PyTorch's sort leaves them (their input order with `stable=True`)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    x1 = x if x.ndim else x.reshape(1)
    idx = _sort_order(x1, d, descending, stable)
    values = np.take_along_axis(x1, idx, axis=d)
    if not x.ndim:
        idx, values = idx.reshape(()), values.reshape(())
    vt = Tensor._make(as_array(values))
    it = Tensor._make(as_array(idx.astype(np.int64)))
    if _recording(input):
        node = SortBackward0(input)
        node.dim, node.indices, node.shape, node.keepdim = d, it._data, x.shape, True
        _record(vt, node)
    return _out_pair(out, return_types.sort((vt, it)))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `input` along `dim`."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    if not x.ndim:
        return Tensor._make(_backend.xp(x).zeros((), np.int64))
    return Tensor._make(as_array(_sort_order(x, d, descending, stable).astype(np.int64)))


def msort(input):
    """Sorted along the first dim."""
    return sort(input, 0)[0]


class _UniqueBackward(_pw._NotDifferentiable):
    """unique has no derivative: PyTorch records a node and refuses to run it."""

    def apply(self, grad):
        raise NotImplementedError(f"the derivative for '{self.op_name}' is not implemented.")


# PyTorch's names for the two. Like pointwise's `NotImplemented` these stand for a missing
# derivative, so there is nothing to gradcheck (tests/test_gradcheck_api.py lists them in
# NOT_GRADCHECKED).
Unique2Backward0 = type("Unique2Backward0", (_UniqueBackward,), {"op_name": "_unique2"})
UniqueDimBackward0 = type("UniqueDimBackward0", (_UniqueBackward,), {"op_name": "unique_dim"})


def unique(input, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
           dim=None):
    """The distinct elements in ascending order (each nan distinct), optionally with the
    index of each input element's value and each value's count; with `dim`, distinct slices."""
    x = input._data
    if dim is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(x.shape)
        node_cls = Unique2Backward0
    else:
        if x.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        d = _wrap_dim(dim, x.ndim)
        if _builtins.any(n == 0 for i, n in enumerate(x.shape) if i != d):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        if x.shape[d] == 0:
            zeros = _backend.xp(x).zeros
            values, inverse, counts = x.copy(), zeros(0, np.int64), zeros(0, np.int64)
        else:
            values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True,
                                                axis=d, equal_nan=False)
            inverse = inverse.reshape(-1)
        node_cls = UniqueDimBackward0
    result = Tensor._make(as_array(values).astype(x.dtype, copy=False))
    if _recording(input):
        _record(result, node_cls(input))
    outputs = [result]
    if return_inverse:
        outputs.append(Tensor._make(as_array(inverse).astype(np.int64, copy=False)))
    if return_counts:
        outputs.append(Tensor._make(as_array(counts).astype(np.int64, copy=False)))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


# -- more: mode, logcumsumexp, dist, diff, unique_consecutive, bincount, searchsorted -------------


class ModeBackward0(MaxBackward0):
    pass


def _mode_row(vals):
    """PyTorch's CPU mode of one row: (value, index) pairs sorted by value with std::sort, the
    longest run wins (the first such, i.e. the smallest value), reported by its last pair."""
    items = list(zip(vals, range(len(vals))))
    _Libstdcxx(items, lambda a, b: a[0] < b[0]).sort(0, len(items))
    best_index = None
    best_count = count = 0
    for i, (value, index) in enumerate(items):
        count += 1
        if i == len(items) - 1 or value != items[i + 1][0]:
            if count > best_count:
                best_index, best_count = index, count
            count = 0
    return best_index


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along `dim` (the smallest of equally frequent ones) and an index
    where it occurs, as `torch.return_types.mode`."""
    x = input._data

    def pick(a, d):
        # host round trip: PyTorch's std::sort order, row by row in Python
        rows, lead = _rows_of(_backend.of(a).to_host(a), d)
        idx = np.array([_mode_row(r.tolist()) for r in rows], np.int64)
        return upload_like(a, np.moveaxis(idx.reshape(lead + (1,)), -1, d))
    return _select_along(input, dim, keepdim, "mode", pick, ModeBackward0, return_types.mode) \
        if x.ndim else _select_along(input, dim, keepdim, "mode", lambda a, d: _backend.xp(
            a).zeros((1,), np.int64), ModeBackward0, return_types.mode)


class LogcumsumexpBackward0(Node):
    def apply(self, grad):
        # sum over later outputs j of grad_j exp(a_k - result_j), split by the sign of grad_j so
        # that each part is a logcumsumexp (PyTorch's formula)
        a, result = self.saved
        d = self.dim
        lowest = Tensor._make(new_like(grad._data, np.finfo(grad._data.dtype).min,
                                       grad._data.dtype))
        log_abs = _pw.log(_pw.abs(grad))
        pos = _pw.where(grad > 0, log_abs, lowest)
        neg = _pw.where(grad < 0, log_abs, lowest)

        def reverse(t):
            return _flip(logcumsumexp(_flip(t, d), d), d)
        return (_pw.exp(reverse(pos - result) + a) - _pw.exp(reverse(neg - result) + a),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


def logcumsumexp(input, dim):
    """`log(cumsum(exp(input), dim))`, computed without overflow."""
    x = input._data
    if x.dtype.kind != "f":
        raise _pw._not_implemented("logcumsumexp_out_cpu", input.dtype)
    d = _wrap_dim(dim, x.ndim)
    if x.ndim and x.shape[d]:
        w = x.astype(_F64)
        # PyTorch's running value starts at -inf: the first step adds +0.0 to the element
        first = (slice(None),) * d + (slice(0, 1),)
        w[first] = w[first] + 0.0
        value = _backend.accumulate(np.logaddexp, w, d)
    else:
        value = x.astype(_F64)
    result = Tensor._make(as_array(value).astype(x.dtype))
    if _recording(input):
        node = LogcumsumexpBackward0(input)
        node.dim = d
        node.save_for_backward(input)
        node.save_output(result)
        _record(result, node)
    return result


class DistBackward0(_pw._Binary):
    def apply(self, grad):                          # the norm's gradient at a - b, and minus it
        a, b, result = self.saved
        diff = a - b
        from .linalg import norm_backward
        g = norm_backward(grad, diff, self.p, result, tuple(range(diff._data.ndim)), False)
        if g is None:                               # p = 0: a count, zero gradient
            g = _pw.zeros_like_tensor(diff)
        return self.fitted(g if self.wants[0] else None, -g if self.wants[1] else None)


def dist(input, other, p=2):
    """The p-norm of `input - other` (broadcast)."""
    if input._data.dtype.kind != "f" or other._data.dtype.kind != "f":
        dt = _pw.result_dtype(input, other)
        if dt.category < _dtype.FLOAT:
            raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                               f"Got {dt.scalar_name} instead.")
    with grad_mode.no_grad():
        result = vector_norm(input - other, p)
    result = Tensor._make(result._data)
    if _recording(input, other):
        node = DistBackward0(input, other)
        node.p = float(p)
        node.save_for_backward(input, other)
        node.save_output(result)
        _record(result, node)
    return result


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """Differences of neighbours along `dim`, `n` times (`prepend`/`append` joined first);
    for bools, whether neighbours differ."""
    if not input._data.ndim:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if prepend is not None or append is not None:
        from . import shape as _shape
        parts = [t if t._data.ndim else t.expand(*(input._data.shape[:-1] + (1,)))
                 for t in (prepend, input, append) if t is not None]
        input = _shape.cat(parts, dim)
    x = input
    d = _wrap_dim(dim, x._data.ndim)
    for _ in range(n):
        size = x._data.shape[d]
        lead = (slice(None),) * d
        later, earlier = x[lead + (slice(1, size),)], x[lead + (slice(0, size - 1),)]
        x = _pw.logical_xor(later, earlier) if x._data.dtype is _NP_BOOL else later - earlier
    return x


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive elements (or slices along `dim`) kept once."""
    x = input._data
    xp = _backend.xp(x)

    def run_starts(differs):
        # whether each element starts a run: the first, and each that differs from the last
        starts = xp.ones(differs.shape[0] + 1, bool)
        starts[1:] = differs
        return starts
    if dim is None:
        flat = x.reshape(-1)
        starts = run_starts(flat[1:] != flat[:-1]) if flat.size else xp.zeros(0, bool)
        values = flat[starts]
        inverse = (np.cumsum(starts) - 1).reshape(x.shape)
    else:
        if not x.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = _wrap_dim(dim, x.ndim)
        moved = np.moveaxis(x, d, 0).reshape(x.shape[d], -1) if x.size else xp.zeros(
            (x.shape[d], 0), x.dtype)
        starts = run_starts((moved[1:] != moved[:-1]).any(1)) if len(moved) else \
            xp.zeros(0, bool)
        values = np.compress(starts, x, axis=d)
        inverse = np.cumsum(starts) - 1
    first = np.nonzero(starts)[0]
    counts = np.diff(np.concatenate([first, xp.full(1, starts.size, first.dtype)]))
    outputs = [Tensor._make(as_array(values).astype(x.dtype, copy=False))]
    if return_inverse:
        outputs.append(Tensor._make(as_array(inverse).astype(np.int64, copy=False)))
    if return_counts:
        outputs.append(Tensor._make(as_array(counts).astype(np.int64, copy=False)))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in a 1-d non-negative integer tensor (or the sum
    of its `weights`: float64 results, as PyTorch's)."""
    x = input._data
    if x.dtype.kind not in "iu" and x.dtype is not _NP_BOOL:
        raise _pw._not_implemented("bincount_cpu", input.dtype)
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._make(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.dtype is _F32:                             # added up in float32, one at a time
        value = _backend.xp(w).zeros(_builtins.max(int(x.max()) + 1 if x.size else 0, minlength),
                                     _F32)
        _backend.of(value).scatter_add(value, x, w)
        return Tensor._make(value)
    return Tensor._make(np.bincount(x, weights=w.astype(_F64), minlength=minlength))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value would be inserted into the (last dim of) `sorted_sequence` to keep it
    sorted: the first such place, or the last one with `right=True` / `side='right'`."""
    b = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    v = new_like(b, input) if scalar else input._data      # a number: on b's device
    if side is not None:
        right = side == "right"
    if sorter is not None:
        b = np.take_along_axis(b, sorter._data, axis=-1)
    how = "right" if right else "left"
    if b.ndim <= 1:
        value = np.searchsorted(b, v, side=how)
    else:
        if scalar or v.shape[:-1] != b.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor [{', '.join(map(str, b.shape))}] and input value tensor "
                f"[{', '.join(map(str, v.shape))}]")
        rows_b = b.reshape(-1, b.shape[-1])
        rows_v = v.reshape(-1, v.shape[-1])
        value = np.stack([np.searchsorted(rb, rv, side=how) for rb, rv in zip(rows_b, rows_v)]
                         ).reshape(v.shape) if rows_b.size else _backend.xp(b).zeros(v.shape,
                                                                                      np.int64)
    return Tensor._make(as_array(value).astype(np.int32 if out_int32 else np.int64, copy=False))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value among the sorted 1-d `boundaries` (searchsorted's index)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# -- quantiles, histograms, covariance -------------------------------------------------------------
#
# quantile, cov and corrcoef are composite in PyTorch: built from sort, gather, lerp, mm, ...
# They are built here from the same ops, so their graphs (and gradients) are PyTorch's.


class UnsqueezeBackward1(Node):
    """`unsqueeze_(dim)` (in place), which quantile applies to its result."""

    def apply(self, grad):
        return (grad.squeeze(self.dim),)


class TransposeBackward1(Node):
    """`transpose_(dim0, dim1)` (in place), which quantile applies to its result."""

    def apply(self, grad):
        return (grad.transpose(self.dim0, self.dim1),)


def _unsqueeze_(t, dim):
    out = Tensor._make(np.expand_dims(t._data, dim))
    if t._requires_grad:
        node = UnsqueezeBackward1(t)
        node.dim = dim
        out._requires_grad, out._grad_fn = True, node
    return out


def _transpose_(t, dim0, dim1):
    out = Tensor._make(np.swapaxes(t._data, dim0, dim1))
    if t._requires_grad:
        node = TransposeBackward1(t)
        node.dim0, node.dim1 = dim0, dim1
        out._requires_grad, out._grad_fn = True, node
    return out


class MulBackward1(Node):
    """`tensor * number` as PyTorch's C++ code writes it (quantile's `q * (n - 1)`)."""

    def apply(self, grad):                          # d(a * c) = c
        return (grad * self.other,)

    _saved_other = property(lambda self: self.other)


def _mul_number(t, number):
    out = Tensor._make(t._data * t._data.dtype.type(number))
    if grad_mode.enabled and t._requires_grad:
        node = MulBackward1(t)
        node.other = number
        out._requires_grad, out._grad_fn = True, node
    return out


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_checks(input, q, dim, interpolation):
    """PyTorch's checks, in its order; returns q as a tensor of input's dtype."""
    if not isinstance(q, Tensor):
        if isinstance(q, (list, tuple)) or not isinstance(q, (int, float, np.number)):
            raise TypeError(
                f"quantile() received an invalid combination of arguments - got (Tensor, "
                f"{type(q).__name__}), but expected one of:\n"
                " * (Tensor input, Tensor q, int dim = None, bool keepdim = False, *, str "
                "interpolation = \"linear\", Tensor out = None)\n"
                " * (Tensor input, float q, int dim = None, bool keepdim = False, *, str "
                "interpolation = \"linear\", Tensor out = None)\n")
        if not 0 <= float(q) <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {float(q):g}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    x = input._data
    if x.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q._data.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if x.dtype != np.float32 and x.dtype != np.float64:
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor) and q._data.dtype != x.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if dim is not None:
        _wrap_dim(dim, x.ndim)
    if not isinstance(q, Tensor):
        return Tensor._make(_backend.xp(x).full((), float(q), x.dtype))
    qd = q._data
    if not bool(np.all((qd >= 0) & (qd <= 1))):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    return q


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    qt = _quantile_checks(input, q, dim, interpolation)
    shape = input._data.shape
    # the reduced values along the last dimension, sorted (nan last)
    if dim is None:
        sorted_ = input.flatten().sort()[0]
        batch = [1] * len(shape) if keepdim else []
    else:
        d = _wrap_dim(dim, len(shape))
        if d == len(shape) - 1:
            sorted_ = input.sort()[0]
        else:
            sorted_ = input.unsqueeze(-1).transpose(d, -1).sort()[0]
        batch = [1 if i == d else s for i, s in enumerate(shape) if keepdim or i != d]
    n = sorted_._data.shape[-1]
    sorted_ = sorted_.view(batch + [n])
    # the rank of each quantile among the sorted values: [*batch, len(q)]
    nan = sorted_.isnan()
    if ignore_nan:
        ranks = qt * (nan.logical_not().sum(-1, keepdim=True) - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)     # all nan: rank 0, whose value is nan
    else:
        scaled = _mul_number(qt, n - 1)
        nan_any = nan.any(-1, keepdim=True)
        out_shape = tuple(np.broadcast_shapes(scaled._data.shape, nan_any._data.shape))
        if scaled._data.shape != out_shape:
            scaled = scaled.expand(out_shape)
        ranks = scaled.masked_fill(nan_any.expand(out_shape), n - 1)  # a nan: the last (nan)
    r = ranks._data
    if interpolation == "lower":
        r = np.floor(r)
    elif interpolation == "higher":
        r = np.ceil(r)
    elif interpolation == "nearest":
        r = np.round(r)
    below = Tensor._make(r.astype(np.int64))
    values = sorted_.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = (ranks - below if interpolation == "linear"
                   else Tensor._make(_backend.xp(r).full(r.shape, 0.5, r.dtype)))
        above = Tensor._make(np.ceil(r).astype(np.int64))
        values = values.lerp_(sorted_.gather(-1, above), weights)
    from .linalg import _squeeze_
    if qt._data.ndim == 0:
        return _squeeze_(values, -1)
    return _squeeze_(_transpose_(_unsqueeze_(values, 0), 0, -1), -1)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The q-th quantiles of `input` (all of it, or along `dim`): the value at rank
    `q * (n - 1)` among the sorted values, interpolated between its neighbours; nan wherever
    the values hold a nan. A 1-d `q` puts its quantiles in a new first dimension.

    >>> ember.quantile(ember.tensor([1.0, 2.0, 4.0, 8.0]), 0.5)
    tensor(3.)
    """
    return _out(out, _quantile(input, q, dim, keepdim, interpolation, False))


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """quantile, ignoring nan values (nan only where every value is nan).

    >>> ember.nanquantile(ember.tensor([1.0, float("nan"), 3.0]), 0.5)
    tensor(2.)
    """
    return _out(out, _quantile(input, q, dim, keepdim, interpolation, True))


def _c_double(v):
    """A float as C++'s ostream prints it (PyTorch's messages)."""
    if v != v:
        return "-nan" if np.signbit(v) else "nan"
    return f"{v:g}"


def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002 - PyTorch's names
    """A histogram of `input`'s values: `bins` equal bins between `min` and `max` (the data's
    own range when both are equal), in input's dtype; values outside are left out.

    >>> ember.histc(ember.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    x = input._data
    if x.dtype.kind == "b":
        raise _pw._not_implemented("linspace_cpu", input.dtype)
    if x.dtype.kind != "f":
        raise _pw._not_implemented("histogram_cpu", input.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
        if lo != lo or hi != hi:                    # PyTorch's min/max of data with a nan
            lo = hi = -np.nan
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (_math.isfinite(lo) and _math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_c_double(lo)}, {_c_double(hi)}] is not "
                           "finite")
    T = x.dtype.type
    left, right = T(lo), T(hi)
    with np.errstate(all="ignore"):
        inside = (x >= left) & (x <= right)
        v = np.where(inside, x, left)
        # PyTorch's arithmetic, in the input's precision: (x - min) * bins / (max - min)
        position = ((v - left) * T(bins) / (right - left)).astype(np.int64)
    position = np.where(position == bins, bins - 1, position)
    counts = np.bincount(position[inside].reshape(-1), minlength=bins)
    return _out(out, Tensor._make(counts.astype(x.dtype)))


def _check_weights(w, name, n_obs, integral):
    if w._data.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w._data.ndim} dimensions")
    kind = w._data.dtype.kind
    if integral and kind not in "iu":
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} "
                           f"with {w.dtype.scalar_name} dtype")
    if not integral and kind != "f":
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got "
                           f"{name} with {w.dtype.scalar_name} dtype")
    if w._data.size != n_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w._data.size} != {n_obs}")
    if n_obs and bool(np.any(w._data < 0)):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in `input`'s rows (observations in its
    columns), optionally weighted by observation frequencies and importance weights.

    >>> ember.cov(ember.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    x = input._data
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    if x.dtype.kind == "b":
        raise RuntimeError("cov(): bool dtype is not supported for input")
    if type(correction) is not int and not isinstance(correction, np.integer):
        raise TypeError(f"cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    rows = input.view(1, -1) if x.ndim < 2 else input
    n_obs = rows._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweights", n_obs, True)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweights", n_obs, False)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = Tensor._make(_backend.xp(x).full((), n_obs, np.int64))
    else:
        w_sum = w.sum()
        if not bool(w_sum._data != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (rows if w is None else rows * w).sum(1) / w_sum
    if w is not None and correction != 0 and aweights is not None:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool(norm._data <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = Tensor._make(_backend.xp(norm._data).zeros((), norm._data.dtype))
    from .linalg import mm
    centred = rows - avg.unsqueeze(1)
    return (mm(centred, (centred if w is None else centred * w).t()) / norm).squeeze()


def corrcoef(input):
    """Pearson's correlation coefficients of the variables in `input`'s rows (clipped to
    [-1, 1]).

    >>> ember.corrcoef(ember.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but "
                           f"got an input with {input._data.ndim} dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.view(-1, 1)
    c = c / std.view(1, -1)
    return c.clip(-1, 1)


# -- methods and exports --------------------------------------------------------------------------

_EXPORTS = ("prod max min amax amin aminmax argmax argmin var std var_mean std_mean norm "
            "logsumexp cumsum cumprod cummax cummin all any count_nonzero nansum nanmean median "
            "nanmedian kthvalue topk sort argsort msort unique mode logcumsumexp dist diff "
            "unique_consecutive bincount searchsorted bucketize quantile nanquantile histc cov "
            "corrcoef").split()
METHODS = {name: globals()[name] for name in _EXPORTS
           if name not in ("var_mean", "std_mean", "searchsorted", "bucketize")}
INPLACE = {"cumsum_": cumsum, "cumprod_": cumprod}

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["mean", "sum", "return_types"] + _EXPORTS

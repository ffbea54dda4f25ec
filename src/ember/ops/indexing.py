"""The gather/scatter family: ops that read or write a tensor at places given by an index
tensor or a boolean mask (gather, scatter*, index_*, masked_*, take, put, nonzero, one_hot).

Each differentiable op records a node named as PyTorch's; the backward formulas are written
with these same ops, so second derivatives flow through them as well.
"""
import warnings

import numpy as np

from .. import _backend, _dtype
from .._tensor import _C_NAMES, Tensor, _wrap_dim
from ..autograd.graph import Node
from ._util import (
    attach as _attach, broadcast_error, check_devices, contiguous, fit, meta,
    recording as _recording)
from .inplace import inplace
from .shape import _shape_str, expand, reshape

_INDEX_INTS = (np.dtype(np.int64), np.dtype(np.int32))


def _zeros(shape, like):
    """Zeros of `shape` with the dtype and on the device of the tensor `like`."""
    return Tensor._make(_backend.xp(like._data).zeros(shape, like._data.dtype))


def _first_bad(idx, low, high):
    """The first index (in memory order) outside [low, high)."""
    bad = idx[(idx < low) | (idx >= high)]
    return int(bad.reshape(-1)[0]) if bad.size else None


def _as_1d(array):
    return array.reshape(1) if array.ndim == 0 else array


def _dim_index(idx, d):
    """The NumPy index that reads, for every place `p` of `idx`, the element of a tensor at
    `p` with coordinate `d` replaced by `idx[p]` (gather's and scatter's addressing)."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return tuple(grids)


def _at(ufunc, out, where, values):
    """`ufunc.at(out, where, values)`; for float16, computed in float32 and rounded once (as
    PyTorch's scatter kernels accumulate)."""
    if out.dtype == np.float16:
        wide = out.astype(np.float32)
        _at(ufunc, wide, where, values.astype(np.float32))
        out[...] = wide.astype(np.float16)
    elif type(out) is np.ndarray:
        ufunc.at(out, where, values)
    elif ufunc is np.add:
        _backend.of(out).scatter_add(out, where, values)
    else:
        # host round trip: the device backends have no unbuffered multiply, maximum, minimum
        b = _backend.of(out)
        host = b.to_host(out)
        on_device = b.array_types
        ufunc.at(host, tuple(b.to_host(w) if isinstance(w, on_device) else w for w in where),
                 b.to_host(values) if isinstance(values, on_device) else values)
        out[...] = b.from_host(host, b.device_index(out))


def _number(value):
    return value.item() if isinstance(value, Tensor) else value


# -- gather ----------------------------------------------------------------------------------------


class GatherBackward0(Node):
    def apply(self, grad):                          # each read element gets its gradients added
        zeros = _zeros(self.shape, grad)
        return (scatter_add(zeros, self.dim, self.index, grad),)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """`out[p] = input[p with coordinate dim replaced by index[p]]`; `out` has index's shape."""
    x, idx = input._data, index._data
    if idx.dtype not in _INDEX_INTS:
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    d = _wrap_dim(dim, x.ndim)
    xs, ids = _as_1d(x), _as_1d(idx)
    if ids.ndim != xs.ndim and not (x.ndim <= 1 and idx.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(ids.ndim):
        if k != d and ids.shape[k] > xs.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{_shape_str(idx.shape)} to be no larger than self "
                               f"{_shape_str(x.shape)} apart from dimension {d}")
    bad = _first_bad(ids, 0, xs.shape[d])
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size "
                           f"{xs.shape[d]}")
    result = Tensor._make(contiguous(xs[_dim_index(ids, d)]).reshape(idx.shape))
    if _recording(input):
        node = GatherBackward0(input)
        node.dim, node.index, node.shape = d, index, x.shape
        _attach(result, node)
    return _out(out, result)


def _out(out, result):
    if out is None:
        return result
    from .shape import _into
    return _into(out, result)


# -- scatter -----------------------------------------------------------------------------------


def _scatter_checks(name, x, d, idx, src):
    if idx.dtype not in _INDEX_INTS:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    xs, ids = _as_1d(x), _as_1d(idx)
    if src is not None and src.dtype != x.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if idx.size == 0:
        return xs, ids
    if ids.ndim != xs.ndim and not (x.ndim <= 1 and idx.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and _as_1d(src).ndim != ids.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k in range(ids.ndim):
        too_big = (k != d and ids.shape[k] > xs.shape[k]) or (
            src is not None and ids.shape[k] > _as_1d(src).shape[k])
        if too_big:
            if src is None:
                raise RuntimeError(f"Expected index {_shape_str(idx.shape)} to be no larger than "
                                   f"self {_shape_str(x.shape)} apart from dimension {d}")
            raise RuntimeError(f"Expected index {_shape_str(idx.shape)} to be no larger than "
                               f"self {_shape_str(x.shape)} apart from dimension {d} and to be "
                               f"no larger size than src {_shape_str(src.shape)}")
    bad = _first_bad(ids, 0, xs.shape[d])
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size "
                           f"{xs.shape[d]}")
    return xs, ids


def _src_part(src, ids):
    """The part of `src` that index `ids` covers (src may be larger in every dim)."""
    s = _as_1d(src)
    return s[tuple(slice(0, n) for n in ids.shape)]


def _gathered_grad(node, grad, i):
    """`grad.gather(dim, index)`, the gradient of a scattered `src` (PyTorch refuses, as here,
    when src is larger than index)."""
    g = gather(grad, node.dim, node.index)
    if g._data.shape != node.src_shape:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - "
                           f"got {_shape_str(g._data.shape)} but expected shape compatible "
                           f"with {_shape_str(node.src_shape)}")
    return g


class ScatterBackward0(Node):
    def apply(self, grad):                          # overwritten places give no gradient
        nf = self.next_functions
        grad_self = scatter(grad, self.dim, self.index, 0) if nf[0][0] is not None else None
        grad_src = _gathered_grad(self, grad, 1) if nf[1][0] is not None else None
        return (grad_self, grad_src)


class ScatterBackward1(Node):
    def apply(self, grad):
        return (scatter(grad, self.dim, self.index, 0),)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of `input` with `src[p]` (or the number `value`) written at `p` with coordinate
    `dim` replaced by `index[p]`; `reduce="add"` / `"multiply"` combine instead."""
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    x, idx = input._data, index._data
    d = _wrap_dim(dim, x.ndim)
    xs, ids = _scatter_checks("scatter", x, d, idx, None if src is None else src._data)
    out = xs.copy()
    where = _dim_index(ids, d)
    values = _src_part(src._data, ids) if src is not None else \
        np.asarray(_number(value)).astype(x.dtype)[()]
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if src is not None:
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                          "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                          "instead for more reduction options.", UserWarning, stacklevel=2)
        ufunc = np.add if reduce == "add" else np.multiply
        _at(ufunc, out, where, np.broadcast_to(values, ids.shape))
    else:
        out[where] = values
    result = Tensor._make(out.reshape(x.shape))
    if reduce is not None:
        from .pointwise import _not_differentiable
        return _not_differentiable(result, "scatter", *(t for t in (input, src) if t is not None))
    if src is not None and _recording(input, src):
        node = ScatterBackward0(input, src)
        node.dim, node.index, node.src_shape = d, index, src._data.shape
        _attach(result, node)
    elif src is None and _recording(input):
        node = ScatterBackward1(input)
        node.dim, node.index = d, index
        _attach(result, node)
    return result


class ScatterAddBackward0(Node):
    def apply(self, grad):
        nf = self.next_functions
        grad_src = _gathered_grad(self, grad, 1) if nf[1][0] is not None else None
        return (grad if nf[0][0] is not None else None, grad_src)


def scatter_add(input, dim, index, src):
    """A copy of `input` with each `src[p]` added at `p` with coordinate `dim` replaced by
    `index[p]` (repeated places add up)."""
    x, idx = input._data, index._data
    d = _wrap_dim(dim, x.ndim)
    xs, ids = _scatter_checks("scatter_add", x, d, idx, src._data)
    out = xs.copy()
    _at(np.add, out, _dim_index(ids, d), _src_part(src._data, ids))
    result = Tensor._make(out.reshape(x.shape))
    if _recording(input, src):
        node = ScatterAddBackward0(input, src)
        node.dim, node.index, node.src_shape = d, index, src._data.shape
        _attach(result, node)
    return result


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_array(x, d, ids, values, reduce, include_self):
    out = _as_1d(x).copy()
    where = _dim_index(ids, d)
    if not include_self:
        out[where] = _identity(reduce, x.dtype)
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[reduce]
    _at(ufunc, out, where, values)
    if reduce == "mean":
        count = _backend.xp(out).full(out.shape, 1 if include_self else 0, np.int64)
        _at(np.add, count, where, np.int64(1))
        count[count == 0] = 1
        if out.dtype.kind == "f":
            out = (out / count).astype(x.dtype)
        else:
            out = np.floor_divide(out, count).astype(out.dtype)
    return out.reshape(x.shape)


class ScatterReduceBackward0(Node):

    def apply(self, grad):
        from . import pointwise as pw
        self_, src = self.saved
        d, index, reduce = self.dim, self.index, self.reduce
        nf = self.next_functions
        if reduce == "sum":
            grad_self = grad
            grad_src = gather(grad, d, index)
        elif reduce == "mean":
            counts = _backend.xp(grad._data).full(grad._data.shape, 1 if self.include_self else 0,
                                                  grad._data.dtype)
            _at(np.add, _as_1d(counts), _dim_index(_as_1d(index._data), d),
                np.ones_like(_as_1d(index._data), dtype=counts.dtype))
            counts[counts == 0] = 1
            n = Tensor._make(counts)
            grad_self = grad / n
            grad_src = gather(grad, d, index) / gather(n, d, index)
        elif reduce in ("amax", "amin"):
            result = Tensor._make(_scatter_reduce_array(
                self_._data, d, _as_1d(index._data), _src_part(src._data, _as_1d(index._data)),
                reduce, self.include_self))
            value = gather(result, d, index)
            self_is = (Tensor._make(self_._data) == result).to(grad.dtype)
            src_is = (Tensor._make(_src_part(src._data, _as_1d(index._data)).reshape(
                index._data.shape)) == value).to(grad.dtype)
            spread = grad / scatter_add(self_is, d, index, src_is)
            grad_self = self_is * spread
            grad_src = src_is * gather(spread, d, index)
        else:                                       # prod, with zeros handled exactly
            masked_self = masked_fill(self_, self_ == 0, 1)
            masked_self_result = scatter_reduce(masked_self, d, index, src, "prod",
                                                include_self=self.include_self)
            grad_self = grad * masked_self_result / masked_self
            src_zero = src == 0
            src_num_zeros = gather(scatter_add(_zeros(self_._data.shape, grad), d,
                                               index, src_zero.to(grad.dtype)), d, index)
            src_single_zero = src_zero & (src_num_zeros == 1)
            masked_src = masked_fill(src, src_single_zero, 1)
            masked_src_result = scatter_reduce(self_, d, index, masked_src, "prod",
                                               include_self=self.include_self)
            result = scatter_reduce(self_, d, index, src, "prod",
                                    include_self=self.include_self)
            grad_src = pw.where(src_single_zero, gather(grad * masked_src_result, d, index),
                                gather(grad * result, d, index) / masked_fill(src, src_zero, 1))
        if not self.include_self:
            grad_self = scatter(grad_self, d, index, 0)
        if grad_src._data.shape != src._data.shape:
            raise RuntimeError(f"Function ScatterReduceBackward0 returned an invalid gradient at "
                               f"index 1 - got {_shape_str(grad_src._data.shape)} but expected "
                               f"shape compatible with {_shape_str(src._data.shape)}")
        return (grad_self if nf[0][0] is not None else None,
                grad_src if nf[1][0] is not None else None)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of `input` where each `src[p]` is combined, by `reduce` ("sum", "prod", "mean",
    "amax", "amin"), into the place `p` with coordinate `dim` replaced by `index[p]`
    (`include_self=False`: the places written to start from src's values alone)."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    x, idx = input._data, index._data
    d = _wrap_dim(dim, x.ndim)
    _, ids = _scatter_checks("scatter_reduce", x, d, idx, src._data)
    result = Tensor._make(_scatter_reduce_array(x, d, ids, _src_part(src._data, ids), reduce,
                                                include_self))
    if _recording(input, src):
        node = ScatterReduceBackward0(input, src)
        node.save_for_backward(input, src)
        node.dim, node.index, node.reduce, node.include_self = d, index, reduce, include_self
        _attach(result, node)
    return result


# -- index_* along one dim -------------------------------------------------------------------------


def _vector_index(name, index, message_dtype):
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if idx.dtype not in _INDEX_INTS:
        raise RuntimeError(message_dtype)
    return idx.reshape(-1)


def _front(array, d):
    """`array` with dim `d` first (a view; 0-d arrays as 1-d)."""
    return np.moveaxis(_as_1d(array), d, 0)


class IndexSelectBackward0(Node):
    def apply(self, grad):
        zeros = _zeros(self.shape, grad)
        return (index_add(zeros, self.dim, self.index, grad),)


def index_select(input, dim, index, *, out=None):
    """The slices of `input` at positions `index` (a vector) along `dim`."""
    x = input._data
    check_devices(x, index)
    idx = _vector_index("index_select", index,
                        "index_select(): Expected dtype int32 or int64 for index")
    d = _wrap_dim(dim, x.ndim)
    n = _as_1d(x).shape[d]
    bad = _first_bad(idx, 0, n)
    if bad is not None:
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
    array = np.take(_as_1d(x), idx, axis=d)
    if x.ndim == 0:
        array = array.reshape(())
    result = Tensor._make(array)
    if _recording(input):
        node = IndexSelectBackward0(input)
        node.dim, node.index, node.shape = d, index, x.shape
        _attach(result, node)
    return _out(out, result)


def _index_source_checks(name, x, d, idx, source):
    s = source._data
    if s.dtype != x.dtype:
        if name == "index_copy_":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                               f"but got (self) {_dtype._BY_NP[x.dtype].scalar_name} and "
                               f"(source) {source.dtype.scalar_name}")
        raise RuntimeError(f"{name}(): self ({_dtype._BY_NP[x.dtype].scalar_name}) and source "
                           f"({source.dtype.scalar_name}) must have the same scalar type")
    count = s.shape[d] if s.ndim else 1
    if idx.size != count:
        if name == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                             f"source.size(dim) ({count})")
        raise RuntimeError(f"{name}(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({count}), for dim: {d}")
    xs, ss = _as_1d(x), _as_1d(s)
    if xs.ndim != ss.ndim or any(a != b for k, (a, b) in enumerate(zip(xs.shape, ss.shape))
                                 if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {_shape_str(x.shape)} "
                           f"source.shape = {_shape_str(s.shape)}")


class IndexAddBackward0(Node):
    def apply(self, grad):
        nf = self.next_functions
        grad_source = None
        if nf[1][0] is not None:
            grad_source = index_select(grad, self.dim, self.index)
            if grad_source._data.shape != self.source_shape:
                grad_source = expand(grad_source, self.source_shape)
            if self.alpha != 1:
                grad_source = grad_source * self.alpha
        return (grad if nf[0][0] is not None else None, grad_source)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of `input` with `alpha * source`'s slices added at positions `index` of `dim`."""
    x = input._data
    check_devices(x, index, source)
    idx = _vector_index("index_add_", index, "index_add_(): Expected dtype int32/int64 for index")
    d = _wrap_dim(dim, x.ndim)
    _index_source_checks("index_add_", x, d, idx, source)
    n = _as_1d(x).shape[d]
    bad = _first_bad(idx, 0, n)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    out = x.copy()
    values = _front(source._data, d)
    if alpha != 1:
        values = (values * x.dtype.type(alpha)).astype(x.dtype)
    if x.ndim > 1:
        _at(np.add, _front(out, d), idx, values)
    else:                                           # one element per index: rounded each time
        _backend.of(out).scatter_add(_front(out, d), idx, values)
    result = Tensor._make(out)
    if _recording(input, source):
        node = IndexAddBackward0(input, source)
        node.dim, node.index, node.alpha = d, index, alpha
        node.source_shape = source._data.shape
        _attach(result, node)
    return result


class IndexFillBackward0(Node):
    def apply(self, grad):
        return (index_fill(grad, self.dim, self.index, 0),)


class IndexFillBackward1(Node):
    def apply(self, grad):
        nf = self.next_functions
        grad_self = index_fill(grad, self.dim, self.index, 0) if nf[0][0] is not None else None
        grad_value = None
        if nf[1][0] is not None:
            unique = Tensor._make(np.unique(self.index._data.reshape(-1)))
            grad_value = fit(index_select(grad, self.dim, unique).sum(), self.value_meta)
        return (grad_self, grad_value)


def _wrapped_index(name, idx, n, d):
    bad = _first_bad(idx, -n, n)
    if bad is not None:
        prefix = "index_copy_(): " if name == "index_copy_" else ""
        raise IndexError(f"{prefix}index {bad} is out of bounds for dimension {d} with size {n}")
    return np.where(idx < 0, idx + n, idx)


def index_fill(input, dim, index, value):
    """A copy of `input` with the slices at positions `index` of `dim` set to `value` (a number
    or a 0-d tensor)."""
    x = input._data
    check_devices(x, index, value)
    idx = index._data
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise IndexError("index_fill_(): Index is supposed to be a vector")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    d = _wrap_dim(dim, x.ndim)
    n = _as_1d(x).shape[d]
    idx = _wrapped_index("index_fill_", idx.reshape(-1), n, d)
    out = x.copy()
    _front(out, d)[idx] = np.asarray(_number(value)).astype(x.dtype)[()]
    result = Tensor._make(out)
    if isinstance(value, Tensor):
        if _recording(input, value):
            node = IndexFillBackward1(input, value)
            node.dim, node.index, node.value_meta = d, index, meta(value)
            _attach(result, node)
    elif _recording(input):
        node = IndexFillBackward0(input)
        node.dim, node.index = d, index
        _attach(result, node)
    return result


class IndexCopyBackward0(Node):
    def apply(self, grad):
        nf = self.next_functions
        grad_self = index_fill(grad, self.dim, self.index, 0) if nf[0][0] is not None else None
        grad_source = None
        if nf[1][0] is not None:
            grad_source = index_select(grad, self.dim, self.index)
            if grad_source._data.shape != self.source_shape:
                grad_source = reshape(grad_source, self.source_shape)
        return (grad_self, grad_source)


def index_copy(input, dim, index, source):
    """A copy of `input` with `source`'s slices written at positions `index` of `dim`."""
    x = input._data
    check_devices(x, index, source)
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{index.dtype.scalar_name}")
    if idx.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{idx.ndim})")
    idx = idx.reshape(-1)
    d = _wrap_dim(dim, x.ndim)
    _index_source_checks("index_copy_", x, d, idx, source)
    n = _as_1d(x).shape[d]
    idx = _wrapped_index("index_copy_", idx, n, d)
    out = x.copy()
    _front(out, d)[idx] = _front(source._data, d)
    result = Tensor._make(out)
    if _recording(input, source):
        node = IndexCopyBackward0(input, source)
        node.dim, node.index, node.source_shape = d, index, source._data.shape
        _attach(result, node)
    return result


# -- masks ----------------------------------------------------------------------------------------


def _bool_mask(mask, message):
    m = mask._data
    if m.dtype != np.bool_:
        raise RuntimeError(message.format(_C_NAMES.get(mask.dtype.name, mask.dtype.name),
                                          mask.dtype.scalar_name))
    return m


def _broadcast(*arrays):
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise broadcast_error(*(a.shape for a in arrays)) from None


class MaskedFillBackward0(Node):
    def apply(self, grad):
        return (fit(masked_fill(grad, self.mask, 0), self.input_meta),)


class MaskedFillBackward1(Node):
    def apply(self, grad):
        nf = self.next_functions
        grad_self = grad_value = None
        if nf[0][0] is not None:
            grad_self = fit(masked_fill(grad, self.mask, 0), self.input_meta)
        if nf[1][0] is not None:
            grad_value = fit(masked_select(grad, self.mask).sum(), self.value_meta)
        return (grad_self, grad_value)


def masked_fill(input, mask, value):
    """A copy of `input` with `value` (a number or a 0-d tensor) where `mask` is True
    (broadcast together)."""
    x = input._data
    check_devices(x, mask, value)
    m = _bool_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype {0}")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    shape = _broadcast(x, m)
    fill = np.asarray(_number(value)).astype(x.dtype)[()]
    result = Tensor._make(np.where(m, fill, x).astype(x.dtype, copy=False).reshape(shape))
    if isinstance(value, Tensor):
        if _recording(input, value):
            node = MaskedFillBackward1(input, value)
            node.mask, node.input_meta, node.value_meta = mask, meta(input), meta(value)
            _attach(result, node)
    elif _recording(input):
        node = MaskedFillBackward0(input)
        node.mask, node.input_meta = mask, meta(input)
        _attach(result, node)
    return result


class MaskedScatterBackward0(Node):
    def apply(self, grad):
        from .shape import cat
        nf = self.next_functions
        grad_self = grad_source = None
        if nf[0][0] is not None:
            grad_self = fit(masked_fill(grad, self.mask, 0), self.input_meta)
        if nf[1][0] is not None:
            selected = masked_select(grad, self.mask)
            missing = int(np.prod(self.source_shape)) - selected._data.size
            if missing > 0:
                selected = cat([selected, _zeros((missing,), grad)])
            grad_source = reshape(selected, self.source_shape)
        return (grad_self, grad_source)


def masked_scatter(input, mask, source):
    """A copy of `input` where the places `mask` selects take `source`'s elements in order."""
    check_devices(input, mask, source)
    x, s = input._data, source._data
    m = mask._data
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.scalar_name}")
    if s.dtype != x.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{input.dtype.scalar_name} and {source.dtype.scalar_name}")
    shape = _broadcast(x, m)
    mb = np.broadcast_to(m, shape)
    count = int(mb.sum())
    if s.size < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = np.broadcast_to(x, shape).copy()
    out[mb] = s.reshape(-1)[:count]
    result = Tensor._make(out)
    if _recording(input, source):
        node = MaskedScatterBackward0(input, source)
        node.mask, node.input_meta, node.source_shape = mask, meta(input), s.shape
        _attach(result, node)
    return result


class MaskedSelectBackward0(Node):
    def apply(self, grad):
        zeros = _zeros(self.shape, grad)
        return (fit(masked_scatter(zeros, self.mask, grad), self.input_meta),)


def masked_select(input, mask, *, out=None):
    """The elements of `input` where `mask` is True (broadcast together), as a 1-d tensor."""
    x = input._data
    m = _bool_mask(mask, "masked_select: expected BoolTensor for mask")
    shape = _broadcast(m, x)
    result = Tensor._make(np.broadcast_to(x, shape)[np.broadcast_to(m, shape)])
    if _recording(input):
        node = MaskedSelectBackward0(input)
        node.mask, node.shape, node.input_meta = mask, shape, meta(input)
        _attach(result, node)
    return _out(out, result)


# -- flat indices ---------------------------------------------------------------------------------


class TakeBackward0(Node):
    def apply(self, grad):
        zeros = _zeros(self.shape, grad)
        return (put(zeros, self.index, grad, accumulate=True),)


def _flat_index(name, index, size):
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got "
                           f"{index.dtype.scalar_name}")
    bad = _first_bad(idx, -size, size)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {size} "
                         f"elements.")
    return np.where(idx < 0, idx + size, idx)


def take(input, index):
    """The elements of the flattened `input` at `index` (negative counts from the end)."""
    x = input._data
    idx = _flat_index("take", index, x.size)
    result = Tensor._make(contiguous(x.reshape(-1)[idx]).reshape(idx.shape))
    if _recording(input):
        node = TakeBackward0(input)
        node.index, node.shape = index, x.shape
        _attach(result, node)
    return result


class PutBackward0(Node):
    def apply(self, grad):
        nf = self.next_functions
        grad_self = grad_source = None
        if nf[0][0] is not None:
            grad_self = grad if self.accumulate else put(
                grad, self.index, _zeros(self.source_shape, grad))
        if nf[1][0] is not None:
            grad_source = reshape(take(grad, self.index), self.source_shape)
        return (grad_self, grad_source)


def put(input, index, source, accumulate=False):
    """A copy of `input` whose flattened elements at `index` are set to (or, with
    `accumulate`, increased by) `source`'s elements."""
    x, s = input._data, source._data
    if s.dtype != x.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {input.dtype.scalar_name} and source.dtype = "
                           f"{source.dtype.scalar_name}")
    if s.size != index._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {s.size}, index.numel() = "
                           f"{index._data.size}")
    idx = _flat_index("put_", index, x.size).reshape(-1)
    out = x.copy()
    flat = out.reshape(-1)
    if accumulate:
        _backend.of(flat).scatter_add(flat, idx, s.reshape(-1))
    else:
        flat[idx] = s.reshape(-1)
    result = Tensor._make(out)
    if _recording(input, source):
        node = PutBackward0(input, source)
        node.index, node.accumulate, node.source_shape = index, accumulate, s.shape
        _attach(result, node)
    return result


def take_along_dim(input, indices, dim=None, *, out=None):
    """`gather` along `dim` after broadcasting `input` and `indices` in the other dims (with
    `dim=None`, from the flattened tensor)."""
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.scalar_name}")
    if dim is None:
        return _out(out, gather(reshape(input, (-1,)), 0, reshape(indices, (-1,))))
    x, idx = input._data, indices._data
    if x.ndim != idx.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{idx.ndim} dimensions for indices")
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if n and idx.size:
        indices = Tensor._make(np.mod(idx, n))      # PyTorch wraps the indices around
    self_sizes = list(x.shape)
    if x.ndim:
        self_sizes[d] = idx.shape[d]
    shape = list(_broadcast(np.empty(self_sizes, bool), idx))
    indices = expand(indices, tuple(shape))
    if x.ndim:
        shape[d] = x.shape[d]
    return _out(out, gather(expand(input, tuple(shape)), d, indices))


# -- positions ------------------------------------------------------------------------------------


def nonzero(input, *, out=None, as_tuple=False):
    """The coordinates of the nonzero elements: an (n, ndim) int64 tensor, or with `as_tuple`
    one int64 vector per dim."""
    x = input._data
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64)) for a in np.nonzero(_as_1d(x)))
    if x.ndim == 0:
        result = Tensor._make(_backend.xp(x).zeros((1 if x.item() else 0, 0), np.int64))
    else:
        result = Tensor._make(np.argwhere(x).astype(np.int64))
    return _out(out, result)


def argwhere(input):
    return nonzero(input)


def where(condition, input=None, other=None, *, out=None):
    """`where(condition)`: `nonzero(condition, as_tuple=True)`; with `input` and `other`,
    the elementwise choice (ops/pointwise.py)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    from . import pointwise
    result = pointwise.where(condition, input, other)
    return _out(out, result)


def one_hot(tensor, num_classes=-1):
    """Class indices as one-hot rows: shape `tensor.shape + (num_classes,)`, int64."""
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size and x.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if x.size and x.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = _backend.xp(x).arange(max(num_classes, 0))
    return Tensor._make((x[..., None] == classes).astype(np.int64))


# -- methods ---------------------------------------------------------------------------------------

METHODS = {
    "gather": gather, "scatter": scatter, "scatter_add": scatter_add,
    "scatter_reduce": scatter_reduce, "index_select": index_select, "index_add": index_add,
    "index_fill": index_fill, "index_copy": index_copy, "masked_fill": masked_fill,
    "masked_scatter": masked_scatter, "masked_select": masked_select, "take": take, "put": put,
    "take_along_dim": take_along_dim, "nonzero": nonzero, "argwhere": argwhere,
}
INPLACE = {
    "scatter_": scatter, "scatter_add_": scatter_add, "scatter_reduce_": scatter_reduce,
    "index_add_": index_add, "index_fill_": index_fill, "index_copy_": index_copy,
    "masked_fill_": masked_fill, "masked_scatter_": masked_scatter, "put_": put,
}


def _bind_methods():
    # ember/_methods.py binds the METHODS of the modules it knows; this one binds its own, so
    # the methods exist as soon as ops/shape.py (which imports this module) is loaded.
    for name, function in METHODS.items():
        setattr(Tensor, name, function)
    for name, function in INPLACE.items():
        setattr(Tensor, name, inplace(function))


_bind_methods()

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
           "index_fill", "index_copy", "masked_fill", "masked_scatter", "masked_select", "take",
           "put", "take_along_dim", "nonzero", "argwhere", "where"]

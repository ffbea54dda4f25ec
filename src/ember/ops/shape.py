"""Shape ops: views (view, reshape, expand, squeeze, transpose, indexing), casts and copies.

A view shares its base's storage and version counter, as in PyTorch: writing through a view
changes the base, and autograd notices when either was modified after being saved.
"""
import numpy as np

from .. import _dtype
from .._device import check_cpu
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import as_array
from .inplace import copy_, inplace


def _as_view(base, array, node, replay):
    """A tensor viewing `array` (a NumPy view of `base`'s storage).

    `replay(t)` applies the same view op to another tensor `t`; composed with the base's own,
    it rebuilds this view from the root base, which is how an in-place op on the view is
    recorded on the base (see ops/inplace.py).
    """
    out = Tensor._make(array)
    out._version_counter = base._shared_version()
    if base._base is None:
        out._base, out._view_fn = base, replay
    else:
        outer = base._view_fn
        out._base, out._view_fn = base._base, lambda t: replay(outer(t))
    if node is not None:
        out._requires_grad, out._grad_fn = True, node
    return out


def _recording(t):
    return grad_mode.enabled and t._requires_grad


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel):
    """Resolve one -1 in `shape`, with PyTorch's errors for impossible shapes."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of "
                               f"size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size "
                           f"{numel}")
    return shape


class ViewBackward0(Node):

    def apply(self, grad):                          # a view only rearranges: reshape back
        return (grad.reshape(self.shape),)


class UnsafeViewBackward0(ViewBackward0):
    """Same rule as its base class; PyTorch names this variant separately."""


def view(input, *shape):
    """The same storage seen with another shape (which must fit its strides)."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    x = input._data
    shape = _infer_shape(_shape_args(shape), x.size)
    array = x.view()
    try:
        array.shape = shape
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    node = None
    if _recording(input):
        node = ViewBackward0(input)
        node.shape = x.shape
    return _as_view(input, array, node, lambda t: view(t, shape))


def _view_dtype(input, dt):
    if dt.itemsize != input._data.itemsize:
        raise RuntimeError("ember supports view(dtype) only between dtypes of the same size")
    return _as_view(input, input._data.view(dt.np), None, lambda t: _view_dtype(t, dt))


def reshape(input, *shape):
    """Like `view` when the strides allow it, otherwise a copy."""
    x = input._data
    shape = _infer_shape(_shape_args(shape), x.size)
    array = x.reshape(shape)
    is_view = np.shares_memory(array, x) if x.size else True
    node = None
    if _recording(input):
        node = (ViewBackward0 if is_view else UnsafeViewBackward0)(input)
        node.shape = x.shape
    if is_view:
        return _as_view(input, array, node, lambda t: reshape(t, shape))
    out = Tensor._make(array)
    if node is not None:
        out._requires_grad, out._grad_fn = True, node
    return out


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims `start_dim..end_dim` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    start, end = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


class ExpandBackward0(Node):

    def apply(self, grad):                          # each copy adds to the original element
        return (grad.sum_to_size(self.shape),)


def expand(input, *sizes):
    """A broadcast view: size-1 dims (and new leading dims) repeated without copying."""
    sizes = _shape_args(sizes)
    x = input._data
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{[{', '.join(map(str, x.shape))}]}}, "
                           f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({x.ndim})")
    lead = len(sizes) - x.ndim
    target = list(sizes)
    for i, s in enumerate(x.shape):
        want = sizes[lead + i]
        if want == -1:
            target[lead + i] = s
        elif s != want and s != 1:
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing "
                               f"size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                               f"[{', '.join(map(str, sizes))}].  Tensor sizes: "
                               f"[{', '.join(map(str, x.shape))}]")
    target = tuple(target)
    if target == x.shape:
        array = x.view()
    else:
        array = np.broadcast_to(x, target)
    node = None
    if _recording(input):
        node = ExpandBackward0(input)
        node.shape = x.shape
    return _as_view(input, array, node, lambda t: expand(t, target))


def expand_as(input, other):
    return expand(input, other._data.shape)


class SqueezeBackward0(Node):

    def apply(self, grad):
        return (grad.reshape(self.shape),)


class SqueezeBackward1(SqueezeBackward0):
    """Same rule as its base class; PyTorch names this variant separately."""


class SqueezeBackward2(SqueezeBackward0):
    """Same rule as its base class; PyTorch names this variant separately."""


def squeeze(input, dim=None):
    """Drop size-1 dims (all of them, or those in `dim`)."""
    x = input._data
    if dim is None:
        axes, cls = tuple(i for i, s in enumerate(x.shape) if s == 1), SqueezeBackward0
    elif isinstance(dim, (tuple, list)):
        axes = tuple(_wrap_dim(d, x.ndim) for d in dim)
        axes, cls = tuple(a for a in axes if x.ndim and x.shape[a] == 1), SqueezeBackward2
    else:
        a = _wrap_dim(dim, x.ndim)
        axes, cls = ((a,) if x.ndim and x.shape[a] == 1 else ()), SqueezeBackward1
    node = None
    if _recording(input):
        node = cls(input)
        node.shape = x.shape
    return _as_view(input, np.squeeze(x, axis=axes) if axes else x.view(), node,
                    lambda t: squeeze(t, dim))


class UnsqueezeBackward0(Node):

    def apply(self, grad):
        return (grad.squeeze(self.dim),)


def unsqueeze(input, dim):
    """Insert a size-1 dim at `dim`."""
    x = input._data
    d = _wrap_dim(dim, x.ndim + 1)
    node = None
    if _recording(input):
        node = UnsqueezeBackward0(input)
        node.dim = d
    return _as_view(input, np.expand_dims(x, d), node, lambda t: unsqueeze(t, d))


class PermuteBackward0(Node):

    def apply(self, grad):                          # undo the permutation
        return (grad.permute(tuple(np.argsort(self.dims))),)


def permute(input, *dims):
    dims = _shape_args(dims)
    x = input._data
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    node = None
    if _recording(input):
        node = PermuteBackward0(input)
        node.dims = dims
    return _as_view(input, np.transpose(x, dims), node, lambda t: permute(t, dims))


class TransposeBackward0(Node):

    def apply(self, grad):
        return (grad.transpose(*self.dims),)


def transpose(input, dim0, dim1):
    """Swap two dims (a view)."""
    x = input._data
    d0, d1 = _wrap_dim(dim0, x.ndim), _wrap_dim(dim1, x.ndim)
    node = None
    if _recording(input):
        node = TransposeBackward0(input)
        node.dims = (d0, d1)
    return _as_view(input, np.swapaxes(x, d0, d1) if x.ndim else x.view(), node,
                    lambda t: transpose(t, d0, d1))


class TBackward0(Node):
    def apply(self, grad):
        return (grad.t(),)


def t(input):
    """Transpose of a matrix (1-d and 0-d tensors come back unchanged)."""
    x = input._data
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    node = TBackward0(input) if _recording(input) else None
    return _as_view(input, x.T, node, t)


# -- indexing ---------------------------------------------------------------------------------


def _index_key(key):
    """A tensor index as a NumPy one: tensors become arrays (a 0-d integer tensor counts as
    an int, as in PyTorch), with PyTorch's checks."""
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    if isinstance(key, Tensor):
        array = key._data
        if array.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if array.ndim == 0 and array.dtype.kind in "iu":
            return int(array)
        return array
    if isinstance(key, list):
        return np.asarray([k.item() if isinstance(k, Tensor) else k for k in key]) if key else \
            np.zeros(0, np.int64)
    if isinstance(key, slice) and key.step is not None and key.step <= 0:
        raise ValueError("step must be greater than zero")
    return key


def _is_advanced(key):
    items = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (np.ndarray, list)) or (isinstance(k, bool)) for k in items)


def _view_node_name(key):
    """The PyTorch node of the last step of a basic index: PyTorch applies one op per index
    item, skipping full slices inside a tuple (so `x[:, :]` is an alias but `x[:]` a slice)."""
    if not isinstance(key, tuple):
        key = (key,) if key != slice(None) else ()
        if not key:
            return "SliceBackward0"
    name = "AliasBackward0"
    for k in key:
        if k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, slice):
            if k != slice(None):
                name = "SliceBackward0"
        elif k is not Ellipsis:
            name = "SelectBackward0"
    return name


class _IndexBackward(Node):
    """Gradient of `x[key]`: the output gradient put back at the indexed places of zeros."""


    def apply(self, grad):
        return (_index_scatter(grad, self.key, self.shape, self.accumulate),)


_INDEX_NODES = {name: type(name, (_IndexBackward,), {})
                for name in ("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0",
                             "AliasBackward0", "IndexBackward0")}


def getitem(input, key):
    """`x[key]`: a view for ints, slices, None and `...`; a copy for tensor/list/bool indices."""
    np_key = _index_key(key)
    x = input._data
    advanced = _is_advanced(np_key)
    view_key = np_key
    if not advanced:
        # NumPy returns a copied scalar for an all-integer key; a trailing `...` keeps it a
        # 0-d view, as PyTorch's `t[1]` is (writing to it writes into `t`).
        items = np_key if isinstance(np_key, tuple) else (np_key,)
        if not any(k is Ellipsis for k in items):
            view_key = items + (Ellipsis,)
    try:
        array = x[view_key]
    except IndexError as error:
        raise IndexError(_index_error_message(x, np_key, error)) from None
    node = None
    if _recording(input):
        node = _INDEX_NODES["IndexBackward0" if advanced else _view_node_name(np_key)](input)
        node.key, node.shape, node.accumulate = np_key, x.shape, advanced
    if advanced:
        out = Tensor._make(as_array(array))
        if node is not None:
            out._requires_grad, out._grad_fn = True, node
        return out
    return _as_view(input, as_array(array), node, lambda t: getitem(t, np_key))


def _index_error_message(x, key, error):
    items = key if isinstance(key, tuple) else (key,)
    dim = 0
    for k in items:
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            if dim < x.ndim and not -x.shape[dim] <= k < x.shape[dim]:
                return (f"index {k} is out of bounds for dimension {dim} with size "
                        f"{x.shape[dim]}")
            if dim >= x.ndim:
                return f"too many indices for tensor of dimension {x.ndim}"
        if k is not None:
            dim += 1
    return str(error)


class IndexPutBackward(Node):
    """Gradient of the scatter used by indexing's backward: index the gradient again."""


    def apply(self, grad):
        return (getitem(grad, self.key),)


def _index_scatter(grad, key, shape, accumulate):
    """Zeros of `shape` with `grad` placed (added, for repeated advanced indices) at `key`."""
    array = np.zeros(shape, grad._data.dtype)
    if accumulate:
        np.add.at(array, key, grad._data)
    else:
        array[key] = grad._data
    out = Tensor._make(array)
    if _recording(grad):
        node = IndexPutBackward(grad)
        node.key = key
        out._requires_grad, out._grad_fn = True, node
    return out


class IndexPutBackward0(Node):
    """Gradient of `x[key] = value` for a tensor or boolean key: the overwritten places get
    none, `value` gets theirs (summed where it was broadcast)."""

    def apply(self, grad):
        from ._util import fit
        nf = self.next_functions
        grad_x = grad_value = None
        if nf[0][0] is not None:
            grad_x = _index_put(grad, self.key, 0.0)     # differentiable, for double backward
        if nf[1][0] is not None:
            grad_value = fit(getitem(grad, self.key), self.value_meta)
        return (grad_x, grad_value)


def _index_put(source, key, value):
    """`source` with `value` written at the advanced-index `key` (a new tensor)."""
    from ._util import meta
    array = source._data.copy()
    try:
        array[key] = value._data if isinstance(value, Tensor) else value
    except ValueError as error:
        raise RuntimeError(str(error)) from None
    result = Tensor._make(array)
    if grad_mode.enabled and (source._requires_grad or getattr(value, "_requires_grad", False)):
        node = IndexPutBackward0(source, value if isinstance(value, Tensor) else None)
        node.key, node.value_meta = key, meta(value)
        result._requires_grad, result._grad_fn = True, node
    return result


_index_put_ = inplace(_index_put)


def setitem(input, key, value):
    """`x[key] = value`, in place: for ints and slices, a copy into the view `x[key]` (so the
    graph shows CopySlices); for tensor or boolean keys, an index_put."""
    np_key = _index_key(key)
    recording = grad_mode.enabled and (input._requires_grad or
                                       getattr(value, "_requires_grad", False))
    if _is_advanced(np_key):
        _index_put_(input, np_key, value)
    elif recording:
        copy_(getitem(input, key), value)
    else:
        input._check_inplace()
        try:
            input._data[np_key] = value._data if isinstance(value, Tensor) else value
        except ValueError as error:
            raise RuntimeError(str(error)) from None
        input._bump_version()


class UnbindBackward0(Node):
    """One node for all the slices `unbind` returns: their gradients are stacked back
    (zeros for slices that got none)."""

    def apply(self, grads):
        import numpy as np
        like = next(g for g in grads if g is not None)
        parts = [g if g is not None else Tensor._make(np.zeros(like._data.shape, like._data.dtype))
                 for g in grads]
        return (_stack(parts, self.dim),)


class StackBackward0(Node):
    def apply(self, grad):                          # each input gets its slice back
        return tuple(select(grad, self.dim, i) for i in range(len(self.next_functions)))


def _stack(tensors, dim):
    """Join equally-shaped tensors along a new dim `dim`."""
    import numpy as np
    out = Tensor._make(np.stack([t._data for t in tensors], axis=dim))
    if grad_mode.enabled and any(t._requires_grad for t in tensors):
        node = StackBackward0(*tensors)
        node.dim = dim
        out._requires_grad, out._grad_fn = True, node
    return out


def select(input, dim, index):
    """The slice at `index` along `dim` (a view; one dim fewer)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    key = (slice(None),) * d + (int(index),)
    return getitem(input, key)


def unbind(input, dim=0):
    """All slices along `dim`, as a tuple of views; in the graph they share one node."""
    x = input._data
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, x.ndim)
    recording = _recording(input)
    if recording:
        node = UnbindBackward0(input)
        node.dim, node.num_outputs = d, x.shape[d]
    with grad_mode.no_grad():
        parts = [select(input, d, i) for i in range(x.shape[d])]
    if recording:
        for i, part in enumerate(parts):
            part._requires_grad, part._grad_fn, part._output_nr = True, node, i
    return tuple(parts)


# -- casts and copies ---------------------------------------------------------------------------


class ToCopyBackward0(Node):

    def apply(self, grad):                          # cast the gradient back
        return (grad.to(self.dtype),)


def to(input, *args, **kwargs):
    """`.to(dtype)`, `.to(device)`, `.to(other)`, `.to(device, dtype)`; returns `input` itself
    when nothing changes (unless `copy=True`)."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, _dtype.dtype) or arg in (float, int, bool):
            dtype = _dtype.to_dtype(arg)
        elif arg is not None and not isinstance(arg, bool):
            device = arg
    check_cpu(device)
    if dtype is None or _dtype.to_dtype(dtype).np == input._data.dtype:
        if not copy:
            return input
        dtype = input.dtype                          # a copy is a cast to the same dtype
    dt = _dtype.to_dtype(dtype)
    out = Tensor._make(input._data.astype(dt.np))
    if _recording(input):
        if dt.category < _dtype.FLOAT:
            return out                               # an integer result leaves the graph
        node = ToCopyBackward0(input)
        node.dtype = input.dtype
        out._requires_grad, out._grad_fn = True, node
    return out


class CloneBackward0(Node):
    def apply(self, grad):
        return (grad,)


def clone(input, *, memory_format=None):
    """A copy with its own storage, still in the graph (its gradient flows to `input`)."""
    out = Tensor._make(input._data.copy())
    if _recording(input):
        out._requires_grad, out._grad_fn = True, CloneBackward0(input)
    return out


def contiguous(input, memory_format=None):
    return input if input._data.flags.c_contiguous else clone(input)

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["clone", "expand", "flatten", "permute", "reshape", "squeeze", "t", "transpose",
           "unsqueeze", "select", "unbind"]

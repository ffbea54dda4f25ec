"""Shape ops: views (view, reshape, expand, squeeze, transpose, indexing), casts and copies.

A view shares its base's storage and version counter, as in PyTorch: writing through a view
changes the base, and autograd notices when either was modified after being saved.
"""
import re
import warnings

import numpy as np

from .. import _backend, _dtype
from .._tensor import Size, Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import as_array, new_like as _new_like, upload_like as _upload_like
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


def _strides(array):
    return tuple(s // array.itemsize for s in array.strides)


def _restride(array, strides):
    """`array` with PyTorch's strides (in elements) where NumPy picks others for size-1 or
    inserted dims; the memory it addresses is the same."""
    nbytes = tuple(s * array.itemsize for s in strides)
    if nbytes == array.strides:
        return array
    if type(array) is not np.ndarray:
        return _backend.of(array).as_strided(array, array.shape, nbytes)
    if not array.flags.c_contiguous:
        return np.lib.stride_tricks.as_strided(array, array.shape, nbytes,
                                               writeable=array.flags.writeable)
    # the fast way: the same memory (only size-1 dims change their stride) as a new array
    out = np.ndarray(array.shape, array.dtype, array, 0, nbytes)
    if not array.flags.writeable:
        out.flags.writeable = False
    return out


def _expand_strides(x, target):
    """PyTorch's strides for `x` expanded to `target` (inferExpandGeometry)."""
    strides = [0] * len(target)
    lead = len(target) - x.ndim
    own = _strides(x)
    for i in range(len(target) - 1, -1, -1):
        k = i - lead
        if k >= 0:
            strides[i] = own[k] if x.shape[k] == target[i] else 0
        else:
            strides[i] = target[i + 1] * strides[i + 1] if i + 1 < len(target) else 1
            if target[i] != 1:
                strides[i] = 0
    return tuple(strides)


def _getitem_strides(x, key, array):
    """The strides PyTorch gives `array = x[key]` (a basic key with None): a None is an
    unsqueeze of the tensor indexed so far, whose new dim steps over the next dim of `x` (1
    past the last); NumPy's other strides are PyTorch's."""
    items = key if type(key) is tuple else (key,)
    strides = list(array.strides)
    shape, own, ndim = x.shape, x.strides, x.ndim
    j = p = 0
    for k in items:
        if k is None:
            strides[p] = shape[j] * own[j] if j < ndim else x.itemsize
            p += 1
        elif k is Ellipsis:
            skipped = ndim - sum(1 for k in items if k is not None and k is not Ellipsis)
            j += skipped
            p += skipped
        elif type(k) is slice:
            j += 1
            p += 1
        else:
            j += 1
    return tuple(s // x.itemsize for s in strides)


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


class ReshapeAliasBackward0(ViewBackward0):
    """`reshape` of a non-contiguous tensor that is still a view (PyTorch's `_reshape_alias`);
    the same rule as a view."""


def view(input, *shape):
    """The same storage seen with another shape (which must fit its strides)."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    x = input._data
    shape = _infer_shape(_shape_args(shape), x.size)
    try:
        array = np.reshape(x, shape, copy=False)
    except ValueError:
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
    """Like `view` when the strides allow it, otherwise a copy. PyTorch's graph shows which:
    ViewBackward0 for a contiguous input, ReshapeAliasBackward0 for a non-contiguous one that
    can still be viewed, and for a copy CloneBackward0 (into contiguous memory) followed by
    UnsafeViewBackward0."""
    x = input._data
    shape = _infer_shape(_shape_args(shape), x.size)
    array = x.reshape(shape)
    # a copy is new memory, so overlapping bounds mean a view (and, unlike shares_memory,
    # checking bounds never waits for a GPU)
    is_view = np.may_share_memory(array, x) if x.size else True
    if not is_view:
        if not _recording(input):
            return Tensor._make(array)
        copied = clone(input)                     # the copy reshape makes, as its own node
        node = UnsafeViewBackward0(copied)
        node.shape = x.shape
        out = Tensor._make(copied._data.reshape(shape))
        out._requires_grad, out._grad_fn = True, node
        return out
    node = None
    if _recording(input):
        node = (ViewBackward0 if x.flags.c_contiguous else ReshapeAliasBackward0)(input)
        node.shape = x.shape
    return _as_view(input, array, node, lambda t: reshape(t, shape))


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
        if lead and 1 in target[:lead]:
            array = _restride(array, _expand_strides(x, target))
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
    own = _strides(x)
    stride = x.shape[d] * own[d] if d < x.ndim else 1          # PyTorch's stride for the new dim
    array = _restride(np.expand_dims(x, d), own[:d] + (stride,) + own[d:])
    return _as_view(input, array, node, lambda t: unsqueeze(t, d))


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


def ravel(input):
    """The elements as a 1-d tensor: a view when the tensor is contiguous, else a copy."""
    return contiguous(input).view(-1)


def _strided_view(x, shape, strides):
    """A view of `x`'s memory with `shape` and `strides` (in elements), writable as `x` is."""
    nbytes = tuple(s * x.itemsize for s in strides)
    if type(x) is not np.ndarray:
        return _backend.of(x).as_strided(x, shape, nbytes)
    return np.lib.stride_tricks.as_strided(x, shape, nbytes, writeable=x.flags.writeable)


class UnfoldBackward0(Node):
    def apply(self, grad):                  # each window's gradient goes back where it came from
        return (_unfold_backward(grad, self.shape, self.dim, self.size, self.step),)


class UnfoldBackwardBackward0(Node):
    def apply(self, grad):
        return (unfold(grad, self.dim, self.size, self.step),)


def _unfold_backward(grad, shape, d, size, step):
    g = grad._data
    if not shape:                           # a 0-d input was unfolded into one window of 1
        out = Tensor._make(g.reshape(()).copy())
    else:
        array = _backend.xp(g).zeros(shape, g.dtype)
        n = g.shape[d]
        for k in range(size):               # element k of every window: no overlaps within
            array[(slice(None),) * d + (slice(k, k + (n - 1) * step + 1, step),)] += g[..., k]
        out = Tensor._make(array)
    if _recording(grad):
        node = UnfoldBackwardBackward0(grad)
        node.dim, node.size, node.step = d, size, step
        out._requires_grad, out._grad_fn = True, node
    return out


def unfold(input, dimension, size, step):
    """Every window of `size` elements along `dimension`, `step` apart, as a new last dim
    (a view: windows that overlap share memory)."""
    x = input._data
    d = _wrap_dim(dimension, max(x.ndim, 1))
    length = x.shape[d] if x.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is "
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if x.ndim == 0:
        array = x.reshape(1)
    else:
        own = _strides(x)
        n = (length - size) // step + 1
        array = _strided_view(x, x.shape[:d] + (n,) + x.shape[d + 1:] + (size,),
                              own[:d] + (own[d] * step,) + own[d + 1:] + (own[d],))
    node = None
    if _recording(input):
        node = UnfoldBackward0(input)
        node.shape, node.dim, node.size, node.step = x.shape, d, size, step
    return _as_view(input, array, node, lambda t: unfold(t, d, size, step))


# In-place view ops (`y.squeeze_()`): the tensor itself becomes the view. PyTorch names their
# backward nodes apart from the out-of-place ones; the derivatives are the same.
class SqueezeBackward3(SqueezeBackward0):
    """`squeeze_()`."""


class SqueezeBackward4(SqueezeBackward0):
    """`squeeze_(dim)`."""


class SqueezeBackward5(SqueezeBackward0):
    """`squeeze_(dims)`."""


class UnsqueezeBackward1(UnsqueezeBackward0):
    """`unsqueeze_(dim)`."""


class TransposeBackward1(TransposeBackward0):
    """`transpose_`, `swapaxes_`, `swapdims_`."""


class TBackward1(TBackward0):
    """`t_()`."""


def _view_inplace(op, renamed):
    """The in-place form of view op `op`; `renamed` maps its node classes to PyTorch's names
    for the in-place form."""
    def method(self, *args):
        self._check_inplace()
        result = op(self, *args)
        self._data = result._data
        self._bump_version()
        if self._base is not None:
            self._view_fn = result._view_fn      # rebuilds the new view from the same base
        node = result._grad_fn
        if node is not None:
            node.__class__ = renamed[type(node)]
            self._requires_grad, self._grad_fn = True, node
        return self
    method.__name__ = op.__name__ + "_"
    return method


squeeze_ = _view_inplace(squeeze, {SqueezeBackward0: SqueezeBackward3,
                                   SqueezeBackward1: SqueezeBackward4,
                                   SqueezeBackward2: SqueezeBackward5})
unsqueeze_ = _view_inplace(unsqueeze, {UnsqueezeBackward0: UnsqueezeBackward1})
transpose_ = _view_inplace(transpose, {TransposeBackward0: TransposeBackward1})
t_ = _view_inplace(t, {TBackward0: TBackward1})


def _t_inplace(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return t_(input)


# -- indexing ---------------------------------------------------------------------------------

_SEQUENCE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
    "a different result")


def _sequence_as_tuple(key):
    """PyTorch's (and old NumPy's) rule: a short list holding a sequence, a slice, `...`,
    None or a tensor is read as a tuple of indices."""
    if len(key) >= 32:
        return False
    return any(isinstance(k, (list, tuple, slice, Tensor, np.ndarray)) or type(k) in _arrays
               or k is None or k is Ellipsis for k in key)


def _index_key(key):
    """A tensor index as a NumPy one: tensors become arrays (a 0-d integer tensor counts as
    an int, as in PyTorch), with PyTorch's checks."""
    kind = type(key)
    if kind is int:
        return key
    if kind is tuple:
        items = tuple(k if type(k) is int else _index_item(k) for k in key)
        if sum(k is Ellipsis for k in items) > 1:
            first = items.index(Ellipsis)               # PyTorch expands the first `...` only
            items = items[:first + 1] + tuple(k for k in items[first + 1:] if k is not Ellipsis)
        return items
    if kind is list and _sequence_as_tuple(key):
        warnings.warn(_SEQUENCE_WARNING, UserWarning, stacklevel=4)
        return _index_key(tuple(key))
    return _index_item(key)


def _index_item(key):
    kind = type(key)
    if kind is slice:
        if key.step is not None and int(key.step) <= 0:
            raise ValueError("step must be greater than zero")
        return key
    if key is None or key is Ellipsis or kind is bool or kind is np.bool_:
        return key
    if isinstance(key, (Tensor, np.ndarray)) or kind in _arrays:
        array = key._data if isinstance(key, Tensor) else key
        if array.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if array.dtype == np.uint8:
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                          "torch.bool instead.", UserWarning, stacklevel=5)
            array = array.astype(np.bool_)
        if array.ndim == 0 and array.dtype.kind in "iu":
            return int(array)
        return array
    if kind is list:
        if not key:
            return np.zeros(0, np.int64)
        array = np.asarray([k.item() if isinstance(k, Tensor) else k for k in key])
        if array.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return array
    if isinstance(key, (int, np.integer)):
        return int(key)
    if isinstance(key, (float, np.floating)):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         "Variables are valid indices (got float)")
    if hasattr(key, "__index__"):
        return key.__index__()
    raise TypeError(f"new(): invalid data type '{type(key).__name__}'")


_bool_types = (bool, np.bool_)
_arrays = _backend._by_type     # the array types of every backend (index arrays of any device)


def _is_advanced(key):
    if type(key) is not tuple:
        return type(key) in _arrays or type(key) in _bool_types
    for k in key:
        if type(k) in _arrays or type(k) in _bool_types:
            return True
    return False


def _needs_split(items):
    """Whether NumPy would place the indexed dims otherwise than PyTorch: an int, a bool or a
    None next to tensor indices."""
    for k in items:
        if k is None or type(k) is int or type(k) in _bool_types or (
                type(k) in _arrays and k.ndim == 0):
            return True
    return False


def _split_key(key):
    """An advanced key as (basic, advanced): PyTorch first applies the ints, slices and None
    (a view), then the tensor indices to what is left, so an int never counts as an advanced
    index when NumPy decides where the indexed dims go."""
    items = key if isinstance(key, tuple) else (key,)
    basic, adv = [], []
    for k in items:
        if type(k) in _arrays:
            if k.dtype.kind == "b" and k.ndim == 0:
                basic.append(None)
                adv.append(np.zeros(int(bool(k)), np.int64))
            else:
                basic.extend([slice(None)] * (k.ndim if k.dtype.kind == "b" else 1))
                adv.append(k)
        elif isinstance(k, (bool, np.bool_)):
            basic.append(None)
            adv.append(np.zeros(int(k), np.int64))
        elif k is None or isinstance(k, slice):
            basic.append(k)
            adv.append(slice(None))
        elif k is Ellipsis:
            basic.append(k)
            adv.append(k)
        else:                                   # an int: a select, gone from the view
            basic.append(k)
    if Ellipsis not in basic:
        basic.append(Ellipsis)
    return tuple(basic), tuple(adv)


def _trivial(items):
    """A basic key that leaves the tensor as it is (only `:` and `...`)."""
    return all(k is Ellipsis or k == slice(None) for k in items)


def _check_masks(shape, key):
    """PyTorch's IndexError for a boolean mask whose shape does not fit."""
    items = key if isinstance(key, tuple) else (key,)
    n_ell = sum(k is Ellipsis for k in items)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(0 if (k is None or k is Ellipsis or isinstance(k, (bool, np.bool_))) else
               (k.ndim if type(k) in _arrays and k.dtype.kind == "b" else 1)
               for k in items)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    for k in items:
        if k is Ellipsis:
            dim += len(shape) - used
        elif type(k) in _arrays and k.dtype.kind == "b" and k.ndim:
            for j, s in enumerate(k.shape):
                if s != shape[dim + j]:
                    raise IndexError(f"The shape of the mask [{', '.join(map(str, k.shape))}] "
                                     f"at index {j} does not match the shape of the indexed "
                                     f"tensor [{', '.join(map(str, shape))}] at index {dim + j}")
            dim += k.ndim
        elif k is not None and not isinstance(k, (bool, np.bool_)):
            if isinstance(k, int) and not -shape[dim] <= k < shape[dim]:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{shape[dim]}")
            if type(k) in _arrays and k.size and (
                    k.max() >= shape[dim] or k.min() < -shape[dim]):
                bad = k.max() if k.max() >= shape[dim] else k.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size "
                                 f"{shape[dim]}")
            dim += 1


def _index_array(x, key, advanced=None):
    """`x[key]` with PyTorch's semantics (a NumPy view for a basic key)."""
    items = key if type(key) is tuple else (key,)
    if advanced is None:
        advanced = _is_advanced(key)
    try:
        if not advanced:
            # NumPy returns a copied scalar for an all-integer key; a trailing `...` keeps it a
            # 0-d view, as PyTorch's `t[1]` is (writing to it writes into `t`).
            if Ellipsis not in items:
                items = items + (Ellipsis,)
            return x[items]
        if _needs_split(items):
            _check_masks(x.shape, key)
            basic, adv = _split_key(key)
            return x[basic][adv]
        return x[key]
    except IndexError as error:
        if advanced:
            _check_masks(x.shape, key)
        raise IndexError(_index_error_message(x, key, error)) from None


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
    message = str(error)
    if message.startswith("shape mismatch: indexing arrays could not be broadcast"):
        shapes = re.findall(r"\(([^)]*)\)", message)
        return ("shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join("[" + s.rstrip(",") + "]" for s in shapes))
    return message.replace(" axis ", " dimension ")


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
    array = _index_array(x, np_key, advanced)
    node = None
    if grad_mode.enabled and input._requires_grad:
        node = _INDEX_NODES["IndexBackward0" if advanced else _view_node_name(np_key)](input)
        node.key, node.shape, node.accumulate = np_key, x.shape, advanced
    if advanced:
        out = Tensor._make(as_array(array))
        if node is not None:
            out._requires_grad, out._grad_fn = True, node
        return out
    if np_key is None or (type(np_key) is tuple and None in np_key):
        array = _restride(array, _getitem_strides(x, np_key, array))
    return _as_view(input, array, node, lambda t: getitem(t, np_key))


class IndexPutBackward(Node):
    """Gradient of the scatter used by indexing's backward: index the gradient again."""


    def apply(self, grad):
        return (getitem(grad, self.key),)


def _advanced_target(array, key):
    """(view, index): `view[index]` addresses what `array[key]` does, as PyTorch reads `key`."""
    if _is_advanced(key) and _needs_split(key if type(key) is tuple else (key,)):
        _check_masks(array.shape, key)
        basic, adv = _split_key(key)
        return array[basic], adv
    return array, key


def _index_scatter(grad, key, shape, accumulate):
    """Zeros of `shape` with `grad` placed (added, for repeated advanced indices) at `key`."""
    array = _backend.xp(grad._data).zeros(shape, grad._data.dtype)
    if accumulate:
        target, adv = _advanced_target(array, key)
        _backend.of(array).scatter_add(target, adv, grad._data)
    else:
        items = key if isinstance(key, tuple) else (key,)
        if not any(k is Ellipsis for k in items):
            items = items + (Ellipsis,)
        array[items] = grad._data
    out = Tensor._make(array)
    if _recording(grad):
        node = IndexPutBackward(grad)
        node.key = key
        out._requires_grad, out._grad_fn = True, node
    return out


class IndexPutBackward0(Node):
    """Gradient of `x[key] = value` for a tensor or boolean key: the overwritten places get
    none (all of it, with `accumulate`), `value` gets theirs (summed where it was broadcast)."""

    def apply(self, grad):
        from ._util import fit
        nf = self.next_functions
        grad_x = grad_value = None
        if nf[0][0] is not None:
            # differentiable, for double backward
            grad_x = grad if self.accumulate else _index_put(grad, self.key, 0.0)
        if nf[1][0] is not None:
            grad_value = fit(getitem(grad, self.key), self.value_meta)
        return (grad_x, grad_value)


def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _written(array, value, copy):
    """What to write into `array` for `value` (a tensor or a number): a tensor's array; a 0-d
    CPU tensor beside a GPU array as the number it holds (PyTorch's rule for CPU scalars); a
    tensor of another device moved there when the write is a copy (`copy`, as PyTorch's
    copy_ does), else PyTorch's device error."""
    if not isinstance(value, Tensor):
        return value
    v = value._data
    if type(v) is type(array):
        return v
    if type(v) is np.ndarray and v.ndim == 0:
        return v[()]
    if not copy:
        _backend.same_device(array, v)
    b = _backend.of(array)
    return _backend.move(v, b, b.device_index(array))


def _index_put(source, key, value, accumulate=False):
    """`source` with `value` written (or added) at the advanced-index `key` (a new tensor)."""
    from ._util import meta
    array = source._data.copy()
    values = _written(array, value, copy=False)
    try:
        target, adv = _advanced_target(array, key)
        if accumulate:
            selected = target[adv].shape
            values = values.astype(array.dtype, copy=False) if hasattr(values, "astype") else \
                _new_like(array, values, array.dtype)
            _backend.of(array).scatter_add(target, adv, np.broadcast_to(values, selected))
        else:
            target[adv] = values
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_str(np.shape(values))}"
                           f" cannot be broadcast to indexing result of shape "
                           f"{_shape_str(target[adv].shape)}") from None
    except IndexError as error:
        _check_masks(array.shape, key)
        raise IndexError(_index_error_message(array, key, error)) from None
    result = Tensor._make(array)
    if grad_mode.enabled and (source._requires_grad or getattr(value, "_requires_grad", False)):
        node = IndexPutBackward0(source, value if isinstance(value, Tensor) else None)
        node.key, node.value_meta, node.accumulate = key, meta(value), accumulate
        result._requires_grad, result._grad_fn = True, node
    return result


_index_put_ = inplace(_index_put)


def _check_put_dtype(input, value):
    if isinstance(value, Tensor) and value._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype.scalar_name} for the destination and "
                           f"{value.dtype.scalar_name} for the source.")


def index_put(input, indices, values, accumulate=False):
    """`input` with `values` written (or added, `accumulate=True`) at `input[indices]`."""
    key = _index_key(tuple(indices))
    _check_put_dtype(input, values)
    return _index_put(input, key, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    key = _index_key(tuple(indices))
    _check_put_dtype(input, values)
    return _index_put_(input, key, values, accumulate)


def setitem(input, key, value):
    """`x[key] = value`, in place: for ints and slices, a copy into the view `x[key]` (so the
    graph shows CopySlices); for tensor or boolean keys, an index_put."""
    if not isinstance(value, (Tensor, int, float, bool, complex, np.number, np.bool_)):
        raise TypeError(f"can't assign a {type(value).__name__} to a "
                        f"{input.dtype.tensor_type}")
    np_key = _index_key(key)
    if isinstance(value, Tensor) and value._data.ndim and value._data.shape[0] == 1:
        # PyTorch drops the value's leading size-1 dims (`x[0] = ones(1, 4)` fits a row)
        lead = 0
        while lead < value._data.ndim and value._data.shape[lead] == 1:
            lead += 1
        value = reshape(value, value._data.shape[lead:])
    recording = grad_mode.enabled and (input._requires_grad or
                                       getattr(value, "_requires_grad", False))
    if _is_advanced(np_key):
        _check_put_dtype(input, value)
        basic, adv = _split_key(np_key)
        if _trivial(basic):
            _index_put_(input, np_key, value)
        else:
            _check_masks(input._data.shape, np_key)
            _index_put_(getitem(input, basic), adv, value)
    elif recording:
        items = np_key if isinstance(np_key, tuple) else (np_key,)
        target = input if _trivial(items) else getitem(input, key)
        if not isinstance(value, Tensor):
            value = Tensor._make(_new_like(input._data, value, input._data.dtype))
        elif type(value._data) is not type(input._data):
            value = value.to(input.device)          # recorded: the gradient goes back
        if value._data.ndim == 0 and target is input:
            from .inplace import fill_
            fill_(target, value)
        else:
            copy_(target, value)
    else:
        input._check_inplace()
        values = _written(input._data, value, copy=True)
        try:
            input._data[np_key] = values
        except ValueError:
            target = _index_array(input._data, np_key, False)
            raise RuntimeError(_expand_message(np.shape(values), target.shape)) from None
        except IndexError as error:
            raise IndexError(_index_error_message(input._data, np_key, error)) from None
        input._bump_version()


def _expand_message(shape, target):
    """PyTorch's error when a value does not broadcast to where it is written."""
    lead = len(target) - len(shape)
    for i, s in enumerate(shape):
        want = target[lead + i] if lead + i >= 0 else None
        if want is not None and s != want and s != 1:
            return (f"The expanded size of the tensor ({want}) must match the existing size "
                    f"({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                    f"{_shape_str(target)}.  Tensor sizes: {_shape_str(shape)}")
    return f"shape mismatch: value of shape {_shape_str(shape)} cannot be broadcast to " \
           f"{_shape_str(target)}"


class UnbindBackward0(Node):
    """One node for all the slices `unbind` returns: their gradients are stacked back
    (zeros for slices that got none)."""

    def apply(self, grads):
        if self.num_outputs == 1:                   # the engine hands a single output's alone
            grads = (grads,)
        like = next(g for g in grads if g is not None)
        zeros = _backend.xp(like._data).zeros
        parts = [g if g is not None else Tensor._make(zeros(like._data.shape, like._data.dtype))
                 for g in grads]
        return (_stack(parts, self.dim),)


def select(input, dim, index):
    """The slice at `index` along `dim` (a view; one dim fewer)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    key = (slice(None),) * d + (int(index),)
    return getitem(input, key)


# -- the *_scatter ops: a copy of `input` with `src` written into one of its views -------------


def _scatter_into(input, src, view_fn, node_cls):
    """`input` copied, with `src` written into `view_fn(copy)` (PyTorch's size check first)."""
    out = Tensor._make(input._data.copy())
    target = view_fn(out)
    if target._data.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{_shape_list(src._data.shape)}, slice size = "
                           f"{_shape_list(target._data.shape)}")
    target._data[...] = src._data
    if grad_mode.enabled and (input._requires_grad or src._requires_grad):
        node = node_cls(input, src)
        node.view_fn, node.src_meta = view_fn, (src._data.shape, src._data.dtype)
        out._requires_grad, out._grad_fn = True, node
    return out


def _shape_list(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


class _ScatterBackward(Node):
    def apply(self, grad):
        # input: the gradient with the overwritten part zeroed; src: the gradient of that part
        grad_input = grad_src = None
        if self.needs_grad(0):
            shape, dtype = self.src_meta
            zeros = Tensor._make(_backend.xp(grad._data).zeros(shape, grad._data.dtype))
            grad_input = _scatter_into(grad, zeros, self.view_fn, type(self))
        if self.needs_grad(1):
            grad_src = self.view_fn(grad)
            if grad_src._data.dtype != self.src_meta[1]:
                grad_src = grad_src.to(_dtype._BY_NP[self.src_meta[1]])
        return grad_input, grad_src


class SelectScatterBackward0(_ScatterBackward):
    """`select_scatter`."""


class SliceScatterBackward0(_ScatterBackward):
    """`slice_scatter`."""


def select_scatter(input, src, dim, index):
    """A copy of `input` with `src` written into `input.select(dim, index)`."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{_shape_list(input._data.shape)} at dimension {d}")
    return _scatter_into(input, src, lambda t: select(t, d, index), SelectScatterBackward0)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of `input` with `src` written into `input[..., start:end:step, ...]` (at `dim`)."""
    d = _wrap_dim(dim, input._data.ndim)
    key = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, lambda t: getitem(t, key), SliceScatterBackward0)


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
    for i, part in enumerate(parts):
        part._multi_output_view = "Unbind"  # PyTorch refuses in-place ops on these (with grad)
        if recording:
            part._requires_grad, part._grad_fn, part._output_nr = True, node, i
    return tuple(parts)



# -- joining and splitting ----------------------------------------------------------------------


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def _common_dtype(tensors):
    dt = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype is not dt:
            dt = _dtype.promote_types(dt, t.dtype)
    return dt


def _any_recording(tensors):
    return grad_mode.enabled and any(t._requires_grad for t in tensors)


def _cast_grad(grad, dtype):
    return grad if grad._data.dtype == dtype.np else grad.to(dtype)


def _into(out, result):
    """Honour `out=`: write the result into a given tensor (resized when its shape differs)."""
    if out is None:
        return result
    if result._requires_grad and grad_mode.enabled:
        name = re.sub(r"Backward[0-9]*$", "", result._grad_fn.name()).lower()
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    out._check_inplace()
    if out._data.shape != result._data.shape:
        out._data = _backend.xp(out._data).empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._bump_version()
    return out


class CatBackward0(Node):
    def apply(self, grad):          # each input gets back its own slice of the gradient
        grads, start = [], 0
        for i, (size, dt) in enumerate(zip(self.sizes, self.dtypes)):
            if size is None:        # a skipped empty 1-d input
                grads.append(Tensor._make(_backend.xp(grad._data).zeros(0, dt.np))
                             if self.needs_grad(i) else None)
                continue
            if self.needs_grad(i):
                grads.append(_cast_grad(narrow(grad, self.dim, start, size), dt))
            else:
                grads.append(None)
            start += size
        return tuple(grads)


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim `dim` (their other sizes must match). 1-d empty
    tensors are skipped, as PyTorch's legacy rule has it."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    dt = _common_dtype(tensors)
    kept = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)]
    if not kept:
        d = _wrap_dim(dim, 1)
        result = Tensor._make(_backend.xp(tensors[0]._data).zeros(0, dt.np))
    else:
        ref = kept[0]._data
        d = _wrap_dim(dim, ref.ndim)
        for i, t in enumerate(tensors):
            x = t._data
            if x.ndim == 1 and x.size == 0:
                continue
            if x.ndim != ref.ndim:
                raise RuntimeError(f"Tensors must have same number of dimensions: got "
                                   f"{ref.ndim} and {x.ndim}")
            for k in range(ref.ndim):
                if k != d and x.shape[k] != ref.shape[k]:
                    raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                       f"Expected size {ref.shape[k]} but got size "
                                       f"{x.shape[k]} for tensor number {i} in the list.")
        result = Tensor._make(np.concatenate([t._data for t in kept], axis=d, dtype=dt.np))
    if _any_recording(tensors):
        node = CatBackward0(*tensors)
        node.dim = d
        node.sizes = [None if (t._data.ndim == 1 and t._data.size == 0) else t._data.shape[d]
                      for t in tensors]
        node.dtypes = [t.dtype for t in tensors]
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


def concat(tensors, dim=0, *, out=None):
    return cat(tensors, dim, out=out)


def concatenate(tensors, axis=0, out=None, *, dim=None):
    return cat(tensors, axis if dim is None else dim, out=out)


class StackBackward0(Node):
    def apply(self, grad):                          # each input gets its slice back
        return tuple(_cast_grad(select(grad, self.dim, i), self.dtypes[i])
                     if self.needs_grad(i) else None
                     for i in range(len(self.next_functions)))


def stack(tensors, dim=0, *, out=None):
    """Join equally-shaped tensors along a new dim `dim`."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{_shape_str(shape)} at entry 0 and "
                               f"{_shape_str(t._data.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shape) + 1)
    dt = _common_dtype(tensors)
    result = Tensor._make(np.stack([t._data for t in tensors], axis=d, dtype=dt.np))
    if _any_recording(tensors):
        node = StackBackward0(*tensors)
        node.dim = d
        node.dtypes = [t.dtype for t in tensors]
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


def _stack(tensors, dim):
    """Kept for ember's own callers (autograd.functional)."""
    return stack(tensors, dim)


def _at_least(fn, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    if len(tensors) == 1:
        tensors = tensors[0]
    return tuple(fn(t) for t in tensors)


def _atleast_1d(t):
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _atleast_2d(t):
    n = t._data.ndim
    return reshape(t, (1, 1)) if n == 0 else unsqueeze(t, 0) if n == 1 else t


def _atleast_3d(t):
    n = t._data.ndim
    if n == 0:
        return reshape(t, (1, 1, 1))
    if n == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if n == 2 else t


def atleast_1d(*tensors):
    """Each tensor with at least one dim (0-d tensors become shape (1,))."""
    return _at_least(_atleast_1d, tensors)


def atleast_2d(*tensors):
    return _at_least(_atleast_2d, tensors)


def atleast_3d(*tensors):
    return _at_least(_atleast_3d, tensors)


def hstack(tensors, *, out=None):
    """Join along dim 1 (dim 0 for 1-d tensors)."""
    tensors = [_atleast_1d(t) for t in _tensor_list(tensors, "hstack")]
    if tensors and tensors[0]._data.ndim == 1:
        return cat(tensors, 0, out=out)
    return cat(tensors, 1, out=out)


def vstack(tensors, *, out=None):
    """Join along dim 0, 1-d tensors as rows."""
    return cat([_atleast_2d(t) for t in _tensor_list(tensors, "vstack")], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Join along dim 2 (depth), after making every tensor at least 3-d."""
    return cat([_atleast_3d(t) for t in _tensor_list(tensors, "dstack")], 2, out=out)


def column_stack(tensors, *, out=None):
    """Join as columns: 0-d and 1-d tensors become (n, 1) columns, then cat along dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


class SplitBackward0(Node):
    """One node for all the pieces `split` returns: their gradients are concatenated back
    (zeros for pieces that got none)."""

    def apply(self, grads):
        if self.num_outputs == 1:                   # the engine hands a single output's alone
            grads = (grads,)
        like = next(g for g in grads if g is not None)
        parts = []
        for g, size in zip(grads, self.sizes):
            if g is None:
                shape = list(like._data.shape)
                shape[self.dim] = size
                g = Tensor._make(_backend.xp(like._data).zeros(shape, like._data.dtype))
            parts.append(g)
        return (cat(parts, self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    """Same rule as its base class; PyTorch names this variant separately."""


def _pieces(input, d, sizes, node_cls):
    """Views of consecutive `sizes` along dim `d`, sharing one multi-output node."""
    recording = _recording(input)
    if recording:
        node = node_cls(input)
        node.dim, node.sizes, node.num_outputs = d, list(sizes), len(sizes)
    parts, start = [], 0
    with grad_mode.no_grad():
        for size in sizes:
            parts.append(narrow(input, d, start, size))
            start += size
    name = "SplitWithSizes" if node_cls is SplitWithSizesBackward0 else "Split"
    for i, part in enumerate(parts):
        part._multi_output_view = name      # PyTorch refuses in-place ops on these (with grad)
        if recording:
            part._requires_grad, part._grad_fn, part._output_nr = True, node, i
    return tuple(parts)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the given sizes."""
    x = tensor._data
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        return split_with_sizes(tensor, split_size_or_sections, d)
    size = int(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    count = max(-(-n // size), 1) if size else 1
    sizes = [size] * (count - 1) + [n - size * (count - 1)]
    return _pieces(tensor, d, sizes, SplitBackward0)


def _split_method(self, split_size, dim=0):
    """`Tensor.split(split_size, dim=0)` (the function names its argument otherwise)."""
    return split(self, split_size, dim)


def split_with_sizes(input, split_sizes, dim=0):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={_shape_str(sizes)}")
    if sum(sizes) != x.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {x.shape[d]} "
                           f"(input tensor's size at dimension {d}), but got "
                           f"split_sizes={_shape_str(sizes)}")
    return _pieces(input, d, sizes, SplitWithSizesBackward0)


def chunk(input, chunks, dim=0):
    """At most `chunks` pieces of equal size along `dim` (the last may be smaller)."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    size = -(-n // chunks)
    if size == 0 and n == 0:
        return split_with_sizes(input, [0] * chunks, d)
    return split(input, size, d)


def tensor_split(input, indices_or_sections, dim=0):
    """Views split at the given indices, or into `sections` nearly equal parts."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have "
                               f"dtype of long, but got {spec.dtype.scalar_name}")
        if spec._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {spec._data.ndim} dims")
        spec = int(spec._data) if spec._data.ndim == 0 else spec._data.tolist()
    if isinstance(spec, (list, tuple)):
        bounds = [int(i) for i in spec]
        starts = [0] + bounds
        stops = bounds + [n]
        pieces = []
        for a, b in zip(starts, stops):
            a = min(max(a + n if a < 0 else a, 0), n)
            b = min(max(b + n if b < 0 else b, 0), n)
            pieces.append(narrow(input, d, a, max(b - a, 0)))
        return tuple(pieces)
    sections = int(spec)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    small, extra = divmod(n, sections)
    pieces, start = [], 0
    for i in range(sections):
        size = small + (1 if i < extra else 0)
        pieces.append(narrow(input, d, start, size))
        start += size
    return tuple(pieces)


def _split_at(name, input, spec, dim, min_dims):
    x = input._data
    if x.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {x.ndim} dimensions!")
    if isinstance(spec, int) and not isinstance(spec, bool):
        if spec == 0 or x.shape[dim] % spec:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {x.shape[dim]} is not divisible by the "
                               f"split_size {spec}!")
    return tensor_split(input, spec, dim)


def hsplit(input, indices_or_sections):
    return _split_at("hsplit", input, indices_or_sections, 1 if input._data.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    return _split_at("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _split_at("dsplit", input, indices_or_sections, 2, 3)


# -- more views ----------------------------------------------------------------------------------


def narrow(input, dim, start, length):
    """The view of `length` elements of `dim` from `start`."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, x.ndim)
    start, length, n = int(start), int(length), x.shape[d]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def unflatten(input, dim, sizes):
    """Dim `dim` viewed as several dims of `sizes` (one may be -1)."""
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d]
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in sizes:
        if known == 0 or n % known:
            raise RuntimeError(f"unflatten: Provided sizes {_shape_str(sizes)} don't multiply up "
                               f"to the size of dim {dim} ({n}) in the input tensor")
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    elif known != n:
        raise RuntimeError(f"unflatten: Provided sizes {_shape_str(sizes)} don't multiply up to "
                           f"the size of dim {dim} ({n}) in the input tensor")
    return view(input, x.shape[:d] + sizes + x.shape[d + 1:])


def movedim(input, source, destination):
    """The dims at `source` moved to `destination` (ints or sequences), the others in order."""
    x = input._data
    src = list(source) if isinstance(source, (list, tuple)) else [source]
    dst = list(destination) if isinstance(destination, (list, tuple)) else [destination]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                           f"({_shape_str(src)} dims) should contain the same number of dims as "
                           f"destination ({_shape_str(dst)} dims)")
    src = [_wrap_dim(s, x.ndim) for s in src]
    dst = [_wrap_dim(s, x.ndim) for s in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({_shape_str(src)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({_shape_str(dst)})")
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def swapaxes(input, axis0, axis1):
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    return transpose(input, dim0, dim1)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def broadcast_to(input, *size):
    return expand(input, _shape_args(size))


def broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to (PyTorch's error when they do not)."""
    from ._util import broadcast_error
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError:
        if len(shapes) < 2:
            raise
        raise broadcast_error(*shapes) from None


def broadcast_tensors(*tensors):
    """Each tensor expanded (a view) to the common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t._data.shape for t in tensors)) if tensors else ()
    return tuple(t if t._data.shape == tuple(shape) else expand(t, tuple(shape))
                 for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: output `i` holds input `i`'s values along dim `i` (dims 0 and 1
    swapped with `indexing="xy"`), as expanded views."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("xy", "ij"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    if not tensors:
        raise RuntimeError("torch.meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    shape = [t._data.size for t in tensors]
    places = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
        places[0], places[1] = 1, 0
    grids = []
    for t, place in zip(tensors, places):
        view_shape = [1] * len(tensors)
        view_shape[place] = -1
        grids.append(expand(view(t, view_shape), shape))
    return tuple(grids)


# -- copies that rearrange -----------------------------------------------------------------------


class RepeatBackward0(Node):
    def apply(self, grad):                          # each copy adds its gradient back
        if not self.repeats:
            return (grad,)
        shape = []
        for r, s in zip(self.repeats, self.padded):
            shape += [r, s]
        g = _sum_dims(reshape(grad, shape), tuple(range(0, 2 * len(self.repeats), 2)))
        return (reshape(g, self.shape),)


def _sum_dims(t, dims):
    from .reduction import sum as _sum
    return _sum(t, dims)


def repeat(input, *sizes):
    """The tensor tiled `sizes[i]` times along each dim (new leading dims for extra sizes)."""
    sizes = _shape_args(sizes)
    x = input._data
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    padded = (1,) * (len(sizes) - x.ndim) + x.shape
    target = tuple(r * s for r, s in zip(sizes, padded))
    for s in target:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{_shape_str(target)}")
    result = Tensor._make(np.tile(x.reshape(padded), sizes) if sizes else x.copy())
    if _recording(input):
        node = RepeatBackward0(input)
        node.repeats, node.padded, node.shape = sizes, padded, x.shape
        result._requires_grad, result._grad_fn = True, node
    return result


def tile(input, *dims_args, dims=None):
    """`repeat` with `dims` padded with leading 1s to the tensor's rank."""
    dims = _shape_args(dims_args if dims is None else (dims,))
    ndim = input._data.ndim
    if len(dims) < ndim:
        dims = (1,) * (ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element repeated `repeats` times (an int, or one count per element) along `dim`
    (the flattened tensor when `dim` is None). With only a tensor of counts, the indices
    `0, 0, 1, ...` each repeated its count."""
    if repeats is None:
        counts = input._data
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        # host round trip: the result's size depends on the counts (PyTorch syncs too)
        host = _backend.of(counts).to_host(counts)
        return Tensor._make(_upload_like(counts, np.repeat(
            np.arange(host.size, dtype=host.dtype.type), host.reshape(-1)).astype(host.dtype)))
    if dim is None:
        input = flatten(input)
        dim = 0
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    if isinstance(repeats, Tensor):
        counts = repeats._data
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        n = x.shape[d] if x.ndim else 1
        device = counts
        counts = _backend.of(counts).to_host(counts)     # host round trip: as above
        if counts.size == 1:
            counts = np.full(n, counts.reshape(()), counts.dtype)
        elif counts.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = {n}")
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        from .indexing import index_select
        index = Tensor._make(_upload_like(device, np.repeat(np.arange(n, dtype=np.int64), counts)))
        return index_select(input, d, index)
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if x.ndim == 0:
        input, x, d = reshape(input, (1,)), x.reshape(1), 0
    shape = list(x.shape)
    shape.insert(d + 1, repeats)
    return flatten(clone(expand(unsqueeze(input, d + 1), shape)), d, d + 1)


class FlipBackward0(Node):
    def apply(self, grad):
        return (flip(grad, self.dims),)


def flip(input, *dims_args, dims=None):
    """A copy with the order of elements reversed along `dims`."""
    if dims is not None:
        dims_args = (dims,)
    if not dims_args:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = _shape_args(dims_args)
    x = input._data
    axes = tuple(_wrap_dim(d, x.ndim) for d in dims)
    for a in axes:
        if axes.count(a) > 1:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    result = Tensor._make(np.flip(x, axes).copy() if x.ndim else x.copy())
    if _recording(input):
        node = FlipBackward0(input)
        node.dims = axes
        result._requires_grad, result._grad_fn = True, node
    return result


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Rot90Backward0(Node):
    def apply(self, grad):                          # rotate back
        return (rot90(grad, -self.k, self.dims),)


def rot90(input, k=1, dims=(0, 1)):
    """The (dims[0], dims[1]) planes turned by 90 degrees `k` times, from the first dim towards
    the second (a copy)."""
    x = input._data
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = _wrap_dim(dims[0], x.ndim), _wrap_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k = int(k) % 4
    # as PyTorch: a flip copied into new memory, then a transposed view of it for odd k
    if k == 1:
        array = np.swapaxes(_contiguous_copy(np.flip(x, d1)), d0, d1)
    elif k == 2:
        array = _contiguous_copy(np.flip(x, (d0, d1)))
    elif k == 3:
        array = np.swapaxes(_contiguous_copy(np.flip(x, d0)), d0, d1)
    else:
        array = _contiguous_copy(x)
    result = Tensor._make(array)
    if _recording(input):
        node = Rot90Backward0(input)
        node.k, node.dims = k, (d0, d1)
        result._requires_grad, result._grad_fn = True, node
    return result


def _contiguous_copy(a):
    return a.copy() if type(a) is np.ndarray else _backend.xp(a).ascontiguousarray(a).copy()


class RollBackward0(Node):
    def apply(self, grad):
        return (roll(grad, tuple(-s for s in self.shifts), self.dims),)


def roll(input, shifts, dims=None):
    """Elements shifted along `dims` (the flattened tensor when None), wrapping around."""
    shifts = tuple(int(s) for s in shifts) if isinstance(shifts, (list, tuple)) else \
        (int(shifts),)
    given = dims
    dims = () if dims is None else tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    x = input._data
    if given is None and len(shifts) == 1:
        flat = np.roll(x.reshape(-1), shifts[0]).reshape(x.shape) if x.size else x.copy()
        result = Tensor._make(flat)
    else:
        if len(shifts) != len(dims) or not dims:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:{len(dims)}")
        dims = tuple(_wrap_dim(d, x.ndim) for d in dims)
        result = Tensor._make(np.roll(x, shifts, dims) if x.size else x.copy())
    if _recording(input):
        node = RollBackward0(input)
        node.shifts, node.dims = shifts, given
        result._requires_grad, result._grad_fn = True, node
    return result


def storage_offset(input):
    """Where the tensor starts in its storage, in elements."""
    base = input._base
    if base is None:
        return 0
    return (address(input._data) - address(base._data)) // input._data.itemsize


def address(array):
    """Where `array`'s first element lives in its device's memory (NumPy's array interface, or
    the CUDA array interface of a GPU array, CuPy's and others')."""
    if type(array) is np.ndarray:
        return array.__array_interface__["data"][0]
    return array.__cuda_array_interface__["data"][0]


# -- casts and copies ---------------------------------------------------------------------------


class ToCopyBackward0(Node):

    def apply(self, grad):                          # cast (and move) the gradient back
        return (grad.to(self.device, self.dtype),)


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
            device = arg.device
        elif isinstance(arg, _dtype.dtype) or arg in (float, int, bool):
            dtype = _dtype.to_dtype(arg)
        elif arg is not None and not isinstance(arg, bool):
            device = arg
    x = input._data
    if device is not None:
        x = _backend.move(x, *_backend.resolve(device))
    if dtype is None or _dtype.to_dtype(dtype).np == x.dtype:
        if x is input._data and not copy:
            return input
        dtype = input.dtype                          # a copy is a cast to the same dtype
    dt = _dtype.to_dtype(dtype)
    if dt.np == np.uint8 and x.dtype.kind == "f":
        # PyTorch converts floats to uint8 through int64, so that -1.0 becomes 255 on every
        # machine (a direct conversion is undefined in C: x86 wraps, a GPU saturates to 0)
        out = Tensor._make(x.astype(np.int64).astype(np.uint8))
    else:
        out = Tensor._make(x.astype(dt.np, copy=x is input._data))
    if _recording(input):
        if dt.category < _dtype.FLOAT:
            return out                               # an integer result leaves the graph
        node = ToCopyBackward0(input)
        node.dtype, node.device = input.dtype, input.device
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

# Tensor methods (bound by _methods.py).
METHODS = {
    "repeat": repeat, "tile": tile, "repeat_interleave": repeat_interleave,
    "unflatten": unflatten, "narrow": narrow, "split": _split_method,
    "split_with_sizes": split_with_sizes, "chunk": chunk, "tensor_split": tensor_split,
    "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit, "flip": flip, "fliplr": fliplr,
    "flipud": flipud, "roll": roll, "movedim": movedim, "moveaxis": moveaxis,
    "swapaxes": swapaxes, "swapdims": swapdims, "view_as": view_as, "reshape_as": reshape_as,
    "broadcast_to": broadcast_to, "storage_offset": storage_offset, "index_put": index_put,
    "index_put_": index_put_, "ravel": ravel, "unfold": unfold, "squeeze_": squeeze_,
    "unsqueeze_": unsqueeze_, "transpose_": transpose_, "swapaxes_": transpose_,
    "swapdims_": transpose_, "t_": _t_inplace, "rot90": rot90, "select_scatter": select_scatter,
    "slice_scatter": slice_scatter,
}

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["clone", "expand", "flatten", "permute", "reshape", "squeeze", "t", "transpose",
           "unsqueeze", "select", "unbind", "cat", "concat", "concatenate", "stack", "hstack",
           "vstack", "dstack", "row_stack", "column_stack", "atleast_1d", "atleast_2d",
           "atleast_3d", "split", "split_with_sizes", "chunk", "tensor_split", "hsplit",
           "vsplit", "dsplit", "narrow", "unflatten", "movedim", "moveaxis", "swapaxes",
           "swapdims", "broadcast_to", "broadcast_shapes", "broadcast_tensors", "meshgrid",
           "repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll", "index_put",
           "ravel", "rot90", "select_scatter", "slice_scatter"]

# The gather/scatter family lives in ops/indexing.py; importing it here binds its methods.
from . import indexing as _indexing  # noqa: E402,F401

"""In-place ops (`a.add_(b)`, `a += b`, `a.zero_()`, `a[0] = v`) and how autograd records them.

An in-place op is its out-of-place op whose value is written back into `a`'s storage:
- the derivative needs `a`'s value from before the write, so the op runs on a copy of it that
  stands at the same place in the graph, and `a` then becomes the op's output;
- `a`'s version counter is bumped, so a node that saved the old value refuses to use it;
- when `a` is a view, its base changes too: the base's new grad_fn is a `CopySlices` node that
  sends the gradient of the viewed part through the op's derivative and the rest unchanged.
"""
from .. import _backend, _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node, _SavedOutput, _sequence, edge_to


def inplace(op):
    """The in-place form of an out-of-place op."""
    def method(self, *args, **kwargs):
        self._check_inplace()
        if not (grad_mode.enabled and (self._requires_grad or any(
                isinstance(t, Tensor) and t._requires_grad for t in args))):
            return _write(self, op(self, *args, **kwargs))
        # The value before the write, at the same place in the graph.
        source = Tensor._make(self._data.copy(), self._requires_grad, self._grad_fn)
        args = tuple(source if a is self else a for a in args)
        result = op(source, *args, **kwargs)
        _write(self, result)
        _saved_output_is_self(result, self)
        if self._base is None:
            self._requires_grad, self._grad_fn = True, result._grad_fn
        else:
            _rebase_view(self, result._grad_fn)
        return self
    method.__name__ = op.__name__ + "_"
    return method


def _saved_output_is_self(result, self):
    """If the op's node saved its output (exp_ does), that output now lives in `self`: point
    the node at `self`'s storage and version, so a later in-place change to `self` is caught."""
    node = result._grad_fn
    if node is None or not node._saved:
        return
    saved, versions = list(node._saved), list(node._versions)
    for i, value in enumerate(saved):
        if type(value) is _SavedOutput and value.data is result._data:
            saved[i] = _SavedOutput(self._data, self._shared_version(), type(self))
            versions[i] = self._version_counter[0]
    node._saved, node._versions = tuple(saved), tuple(versions)


def _write(self, result):
    """Write `result`'s values into `self`'s storage (PyTorch's checks first)."""
    if result._data.dtype != self._data.dtype and not _dtype.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {result.dtype.scalar_name} can't be cast to the "
                           f"desired output type {self.dtype.scalar_name}")
    if result._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape [{', '.join(map(str, self._data.shape))}] "
                           f"doesn't match the broadcast shape "
                           f"[{', '.join(map(str, result._data.shape))}]")
    self._data[...] = result._data
    self._bump_version()
    return self


class CopySlices(Node):
    """The base's node after an in-place op on one of its views.

    d(base after)/d(base before): the identity outside the view; inside it, the in-place op's
    own derivative `fn` (whose other inputs get their gradients as usual).
    """

    def __init__(self, base, fn, view_fn):
        self._sequence_nr = next(_sequence)
        self.next_functions = (edge_to(base),) + fn.next_functions[1:]
        self.fn, self.view_fn = fn, view_fn

    def name(self):
        return "torch::autograd::CopySlices"

    def apply(self, grad):
        result = grad.clone()
        grad_slice = self.view_fn(result)
        grads = self.fn.apply(grad_slice.clone())
        if grads[0] is None:
            grad_slice.zero_()
        else:
            grad_slice.copy_(grads[0])
        return (result,) + tuple(grads[1:])


def _rebase_view(view, fn):
    """Record that writing `fn`'s result into `view` also changed the view's base."""
    base = view._base
    node = CopySlices(base, fn, view._view_fn)
    base._requires_grad, base._grad_fn = True, node
    # the view is now the same view of the base's new value
    fresh = view._view_fn(base)
    view._requires_grad, view._grad_fn = True, fresh._grad_fn


# -- writing constants and copies ----------------------------------------------------------------


class ZeroBackward0(Node):
    def apply(self, grad):                          # the old values are gone: no gradient
        return (_zeros(grad),)


class FillBackward2(ZeroBackward0):
    """`fill_(number)`: like zero_, nothing flows back to the overwritten values."""


class FillBackward3(Node):
    def apply(self, grad):                          # fill_(0-d tensor v): v got every element
        return (_zeros(grad), grad.sum() if self.next_functions[1][0] is not None else None)


class CopyBackwards(Node):
    def name(self):
        return "torch::autograd::CopyBackwards"

    def apply(self, grad):                          # copy_(src): src's values, broadcast + cast
        from ._util import fit
        if self.next_functions[1][0] is None:
            return (_zeros(grad), None)
        grad_src = fit(grad, self.src_meta)
        if grad_src.device != self.src_device:      # src came from another device
            grad_src = grad_src.to(self.src_device)
        return (_zeros(grad), grad_src)


def _zeros(like):
    import numpy as np
    return Tensor._make(np.zeros_like(like._data))


def _constant_like(source, value, node_cls, *extra_inputs):
    import numpy as np
    result = Tensor._make(np.full_like(source._data, value))     # on the source's device
    if grad_mode.enabled:
        result._requires_grad, result._grad_fn = True, node_cls(source, *extra_inputs)
    return result


def zero_(self):
    """Set every element to zero, in place (how the lecture clears `w.grad`)."""
    self._check_inplace()
    if not (grad_mode.enabled and self._requires_grad):
        self._data.fill(0)                      # the common case, kept fast
        self._bump_version()
        return self
    return _recorded_zero(self)


_recorded_zero = inplace(lambda source: _constant_like(source, 0, ZeroBackward0))


def fill_(self, value):
    """Write `value` (a number or a 0-d tensor) into every element, in place."""
    self._check_inplace()
    value_requires_grad = isinstance(value, Tensor) and value._requires_grad
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    if not (grad_mode.enabled and (self._requires_grad or value_requires_grad)):
        self._data.fill(_fill_value(value, self))
        self._bump_version()
        return self
    if isinstance(value, Tensor):
        return _recorded_fill_tensor(self, value)
    return _recorded_fill(self, value)


def _fill_value(value, like):
    """What to fill `like` with: a 0-d tensor on the same device as its array (a GPU fills
    from its own memory without waiting), one on another device as a number."""
    if not isinstance(value, Tensor):
        return value
    if type(value._data) is type(like._data):
        return value._data
    return value.item()


_recorded_fill = inplace(lambda source, value: _constant_like(source, value, FillBackward2))
_recorded_fill_tensor = inplace(lambda source, value: _constant_like(
    source, _fill_value(value, source), FillBackward3, value))


def _copied(source, src):
    """`src` broadcast to `source`'s shape and cast to its dtype (copy_'s new value)."""
    import numpy as np
    from ._util import meta
    src_array = src._data if isinstance(src, Tensor) else np.asarray(src)
    # copy_ is how values cross devices (load_state_dict into a GPU model, say)
    target = _backend.of(source._data)
    src_array = _backend.move(src_array, target, target.device_index(source._data))
    try:
        value = np.broadcast_to(src_array, source._data.shape).astype(source._data.dtype)
    except ValueError:
        shape_a, shape_b = source._data.shape, src_array.shape
        raise RuntimeError(_broadcast_message(shape_a, shape_b)) from None
    result = Tensor._make(value)
    if grad_mode.enabled and (source._requires_grad or getattr(src, "_requires_grad", False)):
        node = CopyBackwards(source, src if isinstance(src, Tensor) else None)
        node.src_meta = meta(src)
        node.src_device = src.device if isinstance(src, Tensor) else None
        result._requires_grad, result._grad_fn = True, node
    return result


def _broadcast_message(a, b):
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and x != 1 and y != 1:
            return (f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                    f"non-singleton dimension {max(len(a), len(b)) - i}")
    return f"shapes {list(a)} and {list(b)} cannot be broadcast"


def copy_(self, src, non_blocking=False):
    """Copy `src`'s values into this tensor, in place (broadcast, cast to this dtype)."""
    self._check_inplace()
    if not (grad_mode.enabled and (self._requires_grad or getattr(src, "_requires_grad", False))):
        result = _copied(self, src)
        self._data[...] = result._data
        self._bump_version()
        return self
    return _recorded_copy(self, src)


_recorded_copy = inplace(_copied)

"""The nodes of the backward graph.

Every differentiable op that runs while grad mode is on creates one `Node` (PyTorch calls it
the tensor's `grad_fn`). The node remembers
- `next_functions`: for each input, `(node that produced it, 0)`; a leaf that requires grad is
  reached through its `AccumulateGrad` node, an input that needs no grad is `(None, 0)`;
- the values its derivative formula needs (`save_for_backward`), checked against in-place
  changes when backward unpacks them;
- `apply(grad)`: the chain rule for this op, returning one gradient per input.

Under `saved_tensors_hooks(pack, unpack)` a saved tensor is replaced by whatever `pack`
returned, and `unpack` turns it back into a tensor when backward needs it (see the end of
this file).
"""
import contextlib
import itertools
import re
import weakref
from sys import getrefcount

from . import anomaly_mode, grad_mode

_sequence = itertools.count()  # creation order; backward runs later-created nodes first
_LEAF_SEQUENCE = 1 << 62
_NO_EDGE = (None, 0)
_NUMBERS = frozenset((float, int, bool, complex))
_NOT_A_TENSOR = object()


class Node:
    """One recorded op in the backward graph; subclasses are named like PyTorch's
    (`MulBackward0`) and implement `apply`."""

    # class-level defaults: most nodes never set these, so creating a node stays cheap
    _saved = ()
    _versions = ()
    _pre_hooks = None
    _post_hooks = None
    _tensor_hooks = None          # hooks registered on the tensor this node made
    _retain_grad_hook = None      # set by Tensor.retain_grad; runs after the pre-hooks
    _hooked = False               # any of the three above: the engine's one check per node
    _packed = False               # saved under saved_tensors_hooks: `saved` calls unpack
    _pack_order = None            # PyTorch's order of the save_for_backward values, if not ours
    num_outputs = 1               # a node with several outputs gets a list of their gradients

    def __init__(self, *inputs):
        self._sequence_nr = next(_sequence)
        self.next_functions = tuple(map(edge_to, inputs))
        if anomaly_mode.enabled:
            self._anomaly_trace = anomaly_mode.forward_trace()

    def name(self):
        """The node's PyTorch name, e.g. `'MulBackward0'`."""
        return type(self).__name__

    def apply(self, grad):
        """Given d(output), return d(input) for each input (None where none is needed)."""
        raise NotImplementedError

    def __call__(self, *grads):
        return self.apply(*grads)

    # -- saved values ---------------------------------------------------------------------

    def save_for_backward(self, *values):
        """Keep what the derivative needs. Tensors remember their version, so an in-place
        change made before backward is caught instead of giving a silently wrong gradient."""
        if _hook_stack:
            self._save_packed(values)
            return
        self._saved = values
        versions = []
        for value in values:
            counter = getattr(value, "_version_counter", _NOT_A_TENSOR)
            if counter is _NOT_A_TENSOR:
                versions.append(None)         # a Python number, a shape, None: no version
                continue
            if value._inference:
                _raise_inference()
            versions.append(0 if counter is None else counter[0])
        self._versions = tuple(versions)

    def _save_packed(self, values):
        """save_for_backward under saved_tensors_hooks: each tensor goes through `pack` (in
        the order PyTorch saves them) and only what `pack` returned is kept."""
        saved = list(values)
        for i in self._packing_order(len(values)):
            value = values[i]
            if getattr(value, "_version_counter", _NOT_A_TENSOR) is not _NOT_A_TENSOR:
                if value._inference:
                    _raise_inference()
                saved[i] = _PackedTensor(value, self)
        self._saved = tuple(saved)
        self._versions = (None,) * len(saved)
        self._packed = True

    def _packing_order(self, n):
        first = self._pack_order or ()
        return [*first, *(i for i in range(n) if i not in first)]

    def save_output(self, out):
        """Keep this node's own output. Only its array and version counter are stored (the
        tensor itself would point back at this node, a reference cycle); backward rebuilds a
        tensor whose grad_fn is this node, so higher-order gradients still flow through it."""
        if _hook_stack:
            if out._grad_fn is None:      # `pack` sees the output as PyTorch shows it
                out._requires_grad, out._grad_fn = True, self
            self._saved = self._saved + (_PackedTensor(out, self),)
            self._versions = (None,) * len(self._saved)
            self._packed = True
            return
        if out._version_counter is None:
            out._version_counter = [0]
        self._saved = self._saved + (_SavedOutput(out._data, out._version_counter, type(out)),)
        self._versions = self._versions + (out._version_counter[0],)

    @property
    def saved(self):
        """The saved values, after checking they were neither freed nor modified in place."""
        values = self._saved
        if values is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        if self._packed:
            unpacked = list(values)
            for i in self._packing_order(len(values)):      # unpack in the order of packing
                if type(values[i]) is _PackedTensor:
                    unpacked[i] = values[i].unpack(self)
            return unpacked
        unpacked = []
        for value, version in zip(values, self._versions):
            if version is not None:
                if type(value) is _SavedOutput:
                    if value.version[0] != version:
                        _raise_modified(value.unpack(self), version, self.name())
                    value = value.unpack(self)
                elif value._version_counter is not None and value._version_counter[0] != version:
                    grad_fn = value._grad_fn
                    _raise_modified(value, version, grad_fn.name() if grad_fn else None)
            unpacked.append(value)
        return unpacked

    def needs_grad(self, i):
        return self.next_functions[i][0] is not None

    # -- hooks ----------------------------------------------------------------------------

    def register_hook(self, fn):
        """`fn(grad_inputs, grad_outputs)` runs after this node; it may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        self._hooked = True
        return _RemovableHandle(self._post_hooks, fn)

    def _add_tensor_hook(self, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = []
        self._tensor_hooks.append(fn)
        self._hooked = True
        return _RemovableHandle(self._tensor_hooks, fn)

    def register_prehook(self, fn):
        """`fn(grad_outputs)` runs before this node (a tuple of the gradients of its outputs);
        it may return a new tuple."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        self._hooked = True
        return _RemovableHandle(self._pre_hooks, fn)

    @property
    def metadata(self):
        """A dict for the user's own notes about this node."""
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"


class AccumulateGrad(Node):
    """The end of the graph at a leaf: adds the arriving gradient into `variable.grad`."""

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __init__(self, variable):
        # after every op node: an AccumulateGrad runs as soon as it is ready, as in PyTorch
        self._sequence_nr = _LEAF_SEQUENCE + next(_sequence)
        self.next_functions = ()
        self.variable = variable

    def apply(self, grad):
        create_graph = grad_mode.enabled        # backward runs in grad mode iff create_graph
        var = self.variable
        hooked = False
        for hook in var._hooks or ():
            new = hook(grad)
            if new is not None:
                grad, hooked = new, True
        old = var._grad
        if old is None:
            if create_graph:
                # a copy that stays in the graph (PyTorch shows CopyBackwards here)
                var._grad = type(grad)._make(grad._data.copy()).copy_(grad)
            elif not hooked and _is_ours_alone(grad):
                var._grad = grad                  # a fresh result: take it, as PyTorch does
            else:
                # `.grad` must not alias another leaf's gradient or the user's own tensor
                var._grad = grad._detached_copy()
        elif create_graph:
            var._grad = old + grad
        else:
            old._data += grad._data           # in place, as PyTorch does outside create_graph
        for hook in var._post_accumulate_hooks or ():
            hook(var)
        return ()


def _is_ours_alone(grad):
    """True when nothing outside the engine can see `grad`: an array owning its memory, held
    by this one tensor, which only the engine's own variables reference (at most four: the
    loop's `grad` and `g`, the producing node's result tuple, and this call's argument; plus
    getrefcount's). A user's tensor, a saved tensor kept for another pass, or a gradient that
    also goes to another leaf is always referenced more, and gets copied."""
    array = grad._data
    return (array.base is None and getrefcount(array) == 2 and getrefcount(grad) <= 5
            and grad._grad_fn is None)


def edge_to(value):
    """The `(node, output_nr)` pair through which a gradient flows back into `value`."""
    if type(value) in _NUMBERS or value is None:
        return _NO_EDGE                  # a Python number needs no gradient
    grad_fn = value._grad_fn
    if grad_fn is not None:
        return (grad_fn, value._output_nr)
    if value._requires_grad:
        return (value._grad_accumulator(), 0)
    return _NO_EDGE


class _SavedOutput:
    __slots__ = ("data", "version", "cls")

    def __init__(self, data, version, cls):
        self.data, self.version, self.cls = data, version, cls

    def unpack(self, node):
        out = self.cls._make(self.data, True, node)
        out._version_counter = self.version
        return out


def _raise_inference():
    raise RuntimeError(
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
        "inference mode in computation tracked by autograd. To work around this, you can make "
        "a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` "
        "instead of `torch.inference_mode()`.")


def _version_of(value):
    version = getattr(value, "_version_counter", False)
    if version is False:
        return None                      # not a tensor: a Python scalar, a shape, ...
    return 0 if version is None else version[0]


def _raise_modified(value, expected, producer_name):
    where = ""
    if producer_name is not None:
        where = f", which is output 0 of {re.sub(r'Backward[0-9]*$', '', producer_name)},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{value.type()} [{', '.join(map(str, value.shape))}]]{where} is at version "
        f"{_version_of(value)}; expected version {expected} instead. Hint: enable anomaly "
        "detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False).")


class _RemovableHandle:
    def __init__(self, hooks, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


# -- saved-tensor hooks ----------------------------------------------------------------------

_hook_stack = []                  # (pack_hook, unpack_hook) pairs, innermost last
_hooks_disabled_message = None    # set by disable_saved_tensors_hooks


class _PackedTensor:
    """A saved tensor as `pack_hook` left it, with what the unpacked tensor must carry: the
    original's place in the graph (its grad_fn, or for a leaf its AccumulateGrad)."""

    __slots__ = ("packed", "unpack_hook", "requires_grad", "grad_fn", "accumulator",
                 "output_nr")

    def __init__(self, tensor, node):
        pack_hook, self.unpack_hook = _hook_stack[-1]
        self.requires_grad = tensor._requires_grad
        grad_fn = tensor._grad_fn
        # the node's own output points back at the node: keep no reference (no cycle)
        self.grad_fn = None if grad_fn is node else grad_fn
        self.output_nr = tensor._output_nr
        self.accumulator = (tensor._grad_accumulator()
                            if grad_fn is None and tensor._requires_grad else None)
        version = _version_of(tensor)
        previous = grad_mode.enabled
        grad_mode.enabled = False         # PyTorch runs pack_hook in no-grad mode
        try:
            self.packed = pack_hook(tensor)
        finally:
            grad_mode.enabled = previous
        if _version_of(tensor) != version:
            raise RuntimeError(
                "A saved tensor pack hook is modifying its input in place. Tensors provided as "
                "input to pack hook cannot be modified by in-place operations as this can lead "
                "to unexpected side-effects. Please open an issue if you need to perform "
                "in-place operations on the input to a pack hook.")

    def unpack(self, node):
        """What `unpack_hook` returns, placed where the original stood in the graph. As in
        PyTorch, no version check happens here: the hooks decide what was kept."""
        data = self.unpack_hook(self.packed)
        if getattr(data, "_version_counter", _NOT_A_TENSOR) is _NOT_A_TENSOR:
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(data).__name__}")
        from .._tensor import Tensor
        grad_fn = self.grad_fn
        if grad_fn is None and self.accumulator is None and self.requires_grad:
            grad_fn = node                # this node's own output
        out = Tensor._make(data._data, self.requires_grad, grad_fn)
        if grad_fn is not None:
            out._output_nr = self.output_nr
        elif self.accumulator is not None:
            out._accumulator = weakref.ref(self.accumulator)
        out._version_counter = data._shared_version()
        return out


class saved_tensors_hooks:
    """Within this context, every tensor an op saves for backward is passed to
    `pack_hook(tensor)` and only its result is kept; backward (or `grad_fn._saved_self`)
    gets the tensor back from `unpack_hook(packed)`. The innermost context wins.

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> with ember.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
    ...     y = x.exp()
    >>> y.sum().backward()
    >>> x.grad
    tensor([2.7183, 2.7183])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _hooks_disabled_message is not None:
            raise RuntimeError(_hooks_disabled_message)
        _hook_stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc):
        _hook_stack.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept on the CPU and moved back to their device for backward (on the
    CPU they are kept as they are; with `pin_memory=True`, as a copy).

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> with ember.autograd.graph.save_on_cpu():
    ...     y = x * x
    >>> y.sum().backward()
    >>> x.grad
    tensor([2., 2.])
    """

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            return (tensor.device, tensor.to("cpu", copy=True))

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Within this context, using saved_tensors_hooks raises `RuntimeError(error_message)`
    (so does entering it while such hooks are active).

    >>> import ember
    >>> with ember.autograd.graph.disable_saved_tensors_hooks("not here"):
    ...     ember.autograd.graph.save_on_cpu().__enter__()
    Traceback (most recent call last):
    RuntimeError: not here
    """
    global _hooks_disabled_message
    previous = _hooks_disabled_message
    try:
        _hooks_disabled_message = error_message
        if _hook_stack:
            raise RuntimeError(error_message)
        yield
    finally:
        _hooks_disabled_message = previous

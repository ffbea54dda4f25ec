"""The nodes of the backward graph.

Every differentiable op that runs while grad mode is on creates one `Node` (PyTorch calls it
the tensor's `grad_fn`). The node remembers
- `next_functions`: for each input, `(node that produced it, 0)`; a leaf that requires grad is
  reached through its `AccumulateGrad` node, an input that needs no grad is `(None, 0)`;
- the values its derivative formula needs (`save_for_backward`), checked against in-place
  changes when backward unpacks them;
- `apply(grad)`: the chain rule for this op, returning one gradient per input.
"""
import itertools
import re
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
        self._saved = values
        versions = []
        for value in values:
            counter = getattr(value, "_version_counter", _NOT_A_TENSOR)
            if counter is _NOT_A_TENSOR:
                versions.append(None)         # a Python number, a shape, None: no version
                continue
            if value._inference:
                raise RuntimeError(
                    "Inference tensors cannot be saved for backward. Please do not use Tensors "
                    "created in inference mode in computation tracked by autograd. To work "
                    "around this, you can make a clone to get a normal tensor and use it in "
                    "autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")
            versions.append(0 if counter is None else counter[0])
        self._versions = tuple(versions)

    def save_output(self, out):
        """Keep this node's own output. Only its array and version counter are stored (the
        tensor itself would point back at this node, a reference cycle); backward rebuilds a
        tensor whose grad_fn is this node, so higher-order gradients still flow through it."""
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

"""`nn.Parameter`: a tensor that a Module registers as one of its learnable weights.

A Parameter is an ordinary tensor (a `Tensor` subclass sharing the given tensor's storage)
that asks for gradients by default. Assigning one to a Module attribute (`self.w =
Parameter(...)`) registers it, so that `module.parameters()` finds it for the optimizer.
"""
from .._tensor import Tensor


class Parameter(Tensor):
    """A tensor registered as a module's weight; `requires_grad=True` unless told otherwise.

    >>> import ember
    >>> from ember import nn
    >>> nn.Parameter(ember.tensor([1.0, 2.0]))
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        # the same storage and version counter as `data`, but a fresh leaf of the graph
        param = cls._make(data._data, bool(requires_grad))
        param._version_counter = data._shared_version()
        return param

    def __init__(self, data=None, requires_grad=True):
        pass                        # everything happened in __new__ (Tensor.__init__ would
        #                             build a tensor from `data` again)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    # `isinstance(t, Buffer)` is true for tensors made by `Buffer(...)`, as in PyTorch
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor as a buffer when assigned to a Module attribute (`self.b = Buffer(t)`).

    >>> import ember
    >>> from ember import nn
    >>> m = nn.Module()
    >>> m.steps = nn.Buffer(ember.zeros(1))
    >>> list(dict(m.named_buffers()))
    ['steps']
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


def is_lazy(param):
    """ember has no lazy modules: always False."""
    return False


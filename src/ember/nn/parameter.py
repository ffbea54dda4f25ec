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


class UninitializedTensorMixin:
    """A parameter or buffer whose shape is not known yet (a lazy module's, before its first
    forward). It holds an empty array for its dtype and device; anything that reads its
    values raises, until `materialize(shape)` gives it storage and turns it into the class
    `cls_to_become`. Its array lives in the instance dict, hidden behind the `_data` property
    below, so every ember op that reads `t._data` refuses it."""

    _keeps_class = False            # what the dtype/device conversions return

    @property
    def _data(self):
        import sys
        where = sys._getframe(1).f_code.co_name
        raise ValueError(f"Attempted to use an uninitialized parameter in {where}. This error "
                         "happens when you are using a `LazyModule` or explicitly manipulating "
                         f"`torch.nn.parameter.{type(self).__name__}` objects. When using "
                         "LazyModules Call `forward` with a dummy batch to initialize the "
                         "parameters before calling torch functions")

    @_data.setter
    def _data(self, value):
        self.__dict__["_data"] = value

    def _empty(self):
        return Tensor._make(self.__dict__["_data"])

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor storage of `shape` (uninitialised values) and make it a real
        Parameter (or buffer tensor).

        >>> from ember.nn.parameter import UninitializedParameter
        >>> p = UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> p.shape
        torch.Size([2, 3])
        """
        from .._creation import empty
        current = self._empty()
        self.__dict__["_data"] = empty(shape, device=device if device is not None
                                       else current.device,
                                       dtype=dtype if dtype is not None else current.dtype)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This "
                           "error usually happens in `load_state_dict` when trying to load an "
                           "uninitialized parameter into an initialized one. Call `forward` to "
                           "initialize the parameters before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    # what may be asked of it: its dtype and device, and conversions of them
    dtype = property(lambda self: self._empty().dtype)
    device = property(lambda self: self._empty().device)
    is_cuda = property(lambda self: self._empty().is_cuda)

    def size(self, dim=None):
        return self._empty().size() if dim is None else self._empty().size(dim)

    def is_floating_point(self):
        return self._empty().is_floating_point()

    def is_complex(self):
        return self._empty().is_complex()

    def get_device(self):
        return self._empty().get_device()

    def _converted(self, fn):
        t = fn(self._empty())
        if self._keeps_class:
            return type(self)(self.requires_grad, t.device, t.dtype)
        return t

    def to(self, *args, **kwargs):
        return self._converted(lambda t: t.to(*args, **kwargs))

    def cuda(self, *args, **kwargs):
        return self._converted(lambda t: t.cuda(*args, **kwargs))

    def cpu(self, *args, **kwargs):
        return self._converted(lambda t: t.cpu(*args, **kwargs))

    def half(self):
        return self._converted(lambda t: t.half())

    def float(self):
        return self._converted(lambda t: t.float())

    def double(self):
        return self._converted(lambda t: t.double())

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            e = self._empty()
            memo[id(self)] = type(self)(self.requires_grad, e.device, e.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape a lazy module learns at its first forward.

    >>> from ember.nn.parameter import UninitializedParameter
    >>> UninitializedParameter()
    <UninitializedParameter>
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._creation import empty
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape a lazy module learns at its first forward.

    >>> from ember.nn.parameter import UninitializedBuffer
    >>> UninitializedBuffer()
    <UninitializedBuffer>
    """

    cls_to_become = Tensor
    _keeps_class = True

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._creation import empty
        t = cls._make(empty(0, device=device, dtype=dtype)._data, bool(requires_grad))
        t.persistent = persistent
        t._is_buffer = True
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(param):
    """True for an UninitializedParameter or UninitializedBuffer (a lazy module's, before
    its first forward).

    >>> from ember.nn.parameter import is_lazy, UninitializedParameter
    >>> is_lazy(UninitializedParameter())
    True
    """
    return isinstance(param, UninitializedTensorMixin)


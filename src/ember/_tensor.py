"""The Tensor: a NumPy array plus the fields autograd needs.

- `_data`: the values (a NumPy array; tensors that share storage share this array or a view of it)
- `_requires_grad`: True for a leaf that asked for gradients and for every result computed from one
- `_grad_fn`: the backward node that made this tensor (None for a leaf)
- `_grad`: the accumulated gradient of a leaf (`.grad`)
- `_version_counter`: a one-item list shared with views, bumped by every in-place op, so that
  backward can tell when a value it saved was overwritten (None until first needed)

The Python operators and most methods are attached in `_methods.py` from `ops/`, where each op
sits next to its derivative.
"""
import warnings
import weakref

import numpy as np

from . import _backend, _dtype
from ._device import CPU
from . import autograd
from .autograd import grad_mode
from .autograd.engine import run_backward
from .autograd.graph import AccumulateGrad

_new = object.__new__


class Tensor:
    """A multi-dimensional array that can record the ops applied to it, for backpropagation.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> loss = (w * 3 - 2) ** 2
    >>> loss.backward()
    >>> w.grad
    tensor([6.])
    """

    # Defaults at class level: a new tensor only sets `_data` (and its graph fields when an op
    # records it), which keeps tensor creation, the hottest path of all, cheap.
    _requires_grad = False
    _grad_fn = None
    _grad = None
    _version_counter = None
    _accumulator = None
    _output_nr = 0          # which output of its grad_fn this tensor is (unbind: several)
    _multi_output_view = None  # the node's name for a piece of split/unbind (no in-place)
    _custom_function_view = None  # the Function's name for an input it returned as is (same)
    _base = None            # for a view: the tensor whose storage it views
    _view_fn = None         # for a view: rebuilds it from `_base` (see ops/inplace.py)
    _hooks = None
    _post_accumulate_hooks = None
    _retains_grad = False
    _inference = False      # made inside inference_mode: never to be saved for backward

    # NumPy must hand mixed expressions (`np.float32(2) * t`) back to Tensor's operators.
    __array_ufunc__ = None

    def __init__(self, *args, device=None):
        # The legacy constructor `torch.Tensor(...)`: a list, sizes, or nothing, as float32.
        self._data = _placed(_legacy_array(args, _dtype.get_default_dtype()), device)

    @classmethod
    def _make(cls, array, requires_grad=False, grad_fn=None):
        """The fast internal constructor: wrap an array without copying or checking it."""
        t = _new(cls)
        t._data = array
        if grad_mode.inference_enabled:
            t._inference = True
        if requires_grad:
            t._requires_grad = True
            if grad_fn is not None:
                t._grad_fn = grad_fn
        return t

    # -- what a tensor is -------------------------------------------------------------------

    @property
    def dtype(self):
        return _dtype._BY_NP[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape as an `ember.Size`, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def device(self):
        """Where the values live: `device(type='cpu')`, or a GPU (`cuda:0`) via CuPy."""
        return CPU if type(self._data) is np.ndarray else _backend.device_of(self._data)

    @property
    def is_cuda(self):
        return type(self._data) is not np.ndarray

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def data_ptr(self):
        from .ops.shape import address
        return address(self._data)

    def type(self, dtype=None, non_blocking=False):
        """Without an argument, the legacy type name (`'torch.FloatTensor'`); with one, a cast."""
        if dtype is None:
            return self.dtype.tensor_type
        if isinstance(dtype, _LegacyTypeMeta):
            dtype = dtype._dtype
        return self.to(_dtype.to_dtype(dtype))

    def type_as(self, other):
        """This tensor cast to `other`'s dtype (itself when they already match)."""
        return self.to(other.dtype)

    @property
    def itemsize(self):
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self):
        """Bytes the elements take (`numel() * itemsize`, whatever the strides)."""
        return self._data.size * self._data.itemsize

    @property
    def is_cpu(self):
        return type(self._data) is np.ndarray

    def get_device(self):
        """The GPU's index, or -1 for a CPU tensor."""
        return -1 if type(self._data) is np.ndarray else self.device.index

    @property
    def layout(self):
        from ._creation import strided
        return strided

    def is_pinned(self, device=None):
        return False

    def pin_memory(self, device=None):
        """A copy in page-locked host memory, which needs an accelerator (PyTorch's error
        without one)."""
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("Cannot access accelerator device when none is available.")
        return self if not self.is_cpu else Tensor._make(self._data.copy())

    def new(self, *args):
        """The legacy constructor with this tensor's dtype: `x.new(2, 3)` (uninitialised
        values), `x.new([1, 2])`, `x.new()`."""
        return Tensor._make(_legacy_array(args, self.dtype))

    # -- complex views of real tensors ------------------------------------------------------

    def is_conj(self):
        return False

    def is_neg(self):
        return False

    def conj(self):
        """The complex conjugate; a real tensor is its own conjugate (returned as is)."""
        if self._data.dtype.kind == "c":
            raise NotImplementedError("ember: conj() of complex tensors is not supported yet")
        return self

    def resolve_conj(self):
        return self.conj()

    def resolve_neg(self):
        return self

    @property
    def real(self):
        if self._data.dtype.kind == "c":
            raise NotImplementedError("ember: .real of complex tensors is not supported yet")
        return self

    @property
    def imag(self):
        if self._data.dtype.kind != "c":
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        raise NotImplementedError("ember: .imag of complex tensors is not supported yet")

    def adjoint(self):
        """The conjugate transpose of the last two dims."""
        if self._data.ndim < 2:
            raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                               f"matrices. Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1).conj()

    @property
    def mH(self):  # noqa: N802 - PyTorch's name
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1).conj()

    @property
    def H(self):  # noqa: N802 - PyTorch's name
        if self._data.ndim != 2:
            raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self._data.ndim}-D tensor."
                               + (" For batches of matrices, consider using tensor.mH"
                                  if self._data.ndim > 2 else ""))
        return self.transpose(0, 1).conj()

    # -- Python callables over the elements (CPU only, no autograd) --------------------------

    def apply_(self, callable):
        """Replace each element `v` by `callable(v)`, in place."""
        self._check_python_callable("apply_")
        flat = self._data.reshape(-1).tolist()
        self._write_python_values([callable(v) for v in flat])
        return self

    def map_(self, tensor, callable):
        """Replace each element `v` by `callable(v, w)`, `w` from `tensor` (broadcast), in
        place."""
        self._check_python_callable("map_")
        other = tensor.expand(self._data.shape)._data.reshape(-1).tolist()
        flat = self._data.reshape(-1).tolist()
        self._write_python_values([callable(v, w) for v, w in zip(flat, other)])
        return self

    def _check_python_callable(self, name):
        if self._requires_grad:
            raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                               f"var.detach().{name}() instead.")
        if type(self._data) is not np.ndarray:
            raise RuntimeError(f"{name}_ is only implemented on CPU tensors")

    def _write_python_values(self, values):
        kind = self._data.dtype.kind
        for v in values:                        # PyTorch converts each result to a C number
            if not isinstance(v, (int, float, bool, np.number, np.bool_)):
                raise TypeError(f"must be real number, not {type(v).__name__}")
        if kind in "iu":
            values = [int(v) for v in values]   # C's conversion: toward zero
        self._data[...] = np.asarray(values).reshape(self._data.shape).astype(self._data.dtype)
        self._bump_version()

    # -- autograd fields --------------------------------------------------------------------

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag, _setter=True)

    def requires_grad_(self, requires_grad=True, _setter=False):
        """Ask (or stop asking) for this leaf's gradient; returns self."""
        if self._grad_fn is not None:
            if _setter or not requires_grad:
                message = "you can only change requires_grad flags of leaf variables."
                if not requires_grad:
                    message += (" If you want to use a computed variable in a subgraph that "
                                "doesn't require differentiation use var_no_grad = var.detach().")
                raise RuntimeError(message)
            return self
        if requires_grad and self._inference and not grad_mode.inference_enabled:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients"
                               if not _setter else
                               "only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = bool(requires_grad)
        return self

    def is_inference(self):
        """True for a tensor made inside `inference_mode`."""
        return self._inference

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
                "for more information.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value.dtype.name]}' "
                    f"to a tensor with grad_dtype '{self.dtype.scalar_name}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype).")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{_dims_str(value.shape)}' to a "
                    f"tensor of size '{_dims_str(self.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size")
        self._grad = value

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in `.grad` during backward."""
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        me = weakref.ref(self)

        def keep(grad):
            t = me()
            if t is not None:
                t._grad = grad._detached_copy() if t._grad is None else t._grad + grad
        # runs after the tensor's hooks, whenever they were registered, as in PyTorch
        self._grad_fn._retain_grad_hook = keep
        self._grad_fn._hooked = True

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; a returned tensor
        replaces the gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_tensor_hook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        from .autograd.graph import _RemovableHandle
        return _RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(tensor)` on this leaf each time backward has added into its `.grad`."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        from .autograd.graph import _RemovableHandle
        return _RemovableHandle(self._post_accumulate_hooks, hook)

    @property
    def output_nr(self):
        """Which output of its `grad_fn` this tensor is (0 for a leaf)."""
        return self._output_nr

    def _grad_accumulator(self):
        """The leaf's AccumulateGrad node, shared by every op that uses this leaf so gradients
        from several paths are summed before they are added to `.grad` (held weakly, as the
        graph owns it)."""
        node = self._accumulator() if self._accumulator is not None else None
        if node is None:
            node = AccumulateGrad(self)
            self._accumulator = weakref.ref(node)
        return node

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to every leaf that requires grad,
        adding it into each leaf's `.grad`."""
        x = self._data
        if (gradient is None and inputs is None and not create_graph and x.size == 1
                and self._grad_fn is not None and x.dtype.kind == "f"):
            # the lecture's `loss.backward()`: a scalar loss starts backward with gradient 1
            one = np.ones_like(x)
            run_backward(((self._grad_fn, self._output_nr),), (Tensor._make(one),),
                         bool(retain_graph), False)
            return
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- storage: .data, detach, copies -----------------------------------------------------

    @property
    def data(self):
        """The same values (shared storage) outside the graph: changes to it are not tracked."""
        t = _new(Tensor)
        t._data = self._data
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and value._data.dtype.kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._data = value._data

    def detach(self):
        """A tensor sharing this one's storage and version counter, cut from the graph."""
        out = Tensor._make(self._data)
        out._version_counter = self._shared_version()
        return out

    def detach_(self):
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    def _detached_copy(self):
        return Tensor._make(self._data.copy())

    def numpy(self, force=False):
        """The values as a NumPy array sharing storage (PyTorch's rule: not while recording)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if type(self._data) is not np.ndarray:
            if force:
                return _backend.of(self._data).to_host(self._data)
            self._not_on_host()
        return self._data

    def _not_on_host(self):
        raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                        "Tensor.cpu() to copy the tensor to host memory first.")

    def __array__(self, dtype=None, copy=None):
        if type(self._data) is not np.ndarray:
            self._not_on_host()
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if dtype is not None:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def tolist(self):
        return self._data.tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def cpu(self, memory_format=None):
        """This tensor on the CPU (itself when it is there already)."""
        return self if type(self._data) is np.ndarray else self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """This tensor on a GPU (`device`: an index or "cuda:N"; the current GPU by default)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    # -- version counting and in-place checks -----------------------------------------------

    @property
    def _version(self):
        """How many in-place changes this tensor's storage has seen (PyTorch's `_version`)."""
        return 0 if self._version_counter is None else self._version_counter[0]

    def _shared_version(self):
        if self._version_counter is None:
            self._version_counter = [0]
        return self._version_counter

    def _check_inplace(self):
        """PyTorch's refusals before an in-place op (checked before anything is written)."""
        if self._inference and not grad_mode.inference_enabled:
            raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                               "allowed.You can make a clone to get a normal tensor before doing "
                               "inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
                               "more details.")
        if grad_mode.enabled and self._requires_grad:
            if self._multi_output_view is not None:
                raise RuntimeError(
                    f"Output {self._output_nr} of {self._multi_output_view} is a view and is "
                    "being modified inplace. This view is the output of a function that returns "
                    "multiple views. Such functions do not allow the output views to be modified "
                    "inplace. You should replace the inplace operation by an out-of-place one.")
            if self._custom_function_view is not None:
                raise RuntimeError(
                    f"Output {self._output_nr} of {self._custom_function_view} is a view and is "
                    "being modified inplace. This view was created inside a custom Function (or "
                    "because an input was returned as-is) and the autograd logic to handle "
                    "view+inplace would override the custom backward associated with the custom "
                    "Function, leading to incorrect gradients. This behavior is forbidden. You "
                    "can fix this by cloning the output of the custom Function.")
            if self._grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            base = self._base
            if base is not None and base._grad_fn is None and base._requires_grad:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used "
                                   "in an in-place operation.")

    def _bump_version(self):
        if self._version_counter is None:
            self._version_counter = [1]
        else:
            self._version_counter[0] += 1

    # -- Python protocol --------------------------------------------------------------------

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, complex, np.number, np.bool_)):
            return bool((self == element).any())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed "
                           f"in a {type(element)}.")

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous"
                               if self._data.size == 0 else
                               "Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.item() if self._data.ndim == 0 else self._data.reshape(()))

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._requires_grad:
            warn_once("Converting a tensor with requires_grad=True to a scalar may lead to "
                      "unexpected behavior.\nConsider using tensor.detach() first.")
        return float(self._data.reshape(()).item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self._data.reshape(()).item())

    def __complex__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return complex(self._data.reshape(()).item())

    def __index__(self):
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(()).item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        out = type(self)._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            out._grad = self._grad._detached_copy()
        memo[id(self)] = out
        return out


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


def _dims_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


_warned = set()


def warn_once(message, category=UserWarning):
    """Warn the first time only, in this process (PyTorch's TORCH_WARN_ONCE)."""
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, category, stacklevel=3)


def _rebuild(array, requires_grad):
    return Tensor._make(array, requires_grad)


class Size(tuple):
    """A tensor's shape: a tuple that prints as `torch.Size([2, 3])`."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for i, s in enumerate(sizes):
            if not hasattr(s, "__index__"):
                raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(s).__name__}')")
        return tuple.__new__(cls, (s.__index__() for s in sizes))

    def __repr__(self):
        return f"torch.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


def _wrap_dim(dim, ndim):
    """A possibly negative dimension index as a non-negative one, with PyTorch's IndexError."""
    dim = int(dim)
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-bound}, "
                         f"{bound - 1}], but got {dim})")
    return dim + bound if dim < 0 else dim


def _legacy_array(args, dt):
    """The array for `Tensor(list)` / `Tensor(*sizes)` / `FloatTensor(...)`."""
    if not args:
        return np.zeros((0,), dt.np)
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0]._data.dtype != dt.np:
            raise TypeError(f"expected TensorOptions(dtype={_C_NAMES[dt.name]}, device=cpu, "
                            "layout=Strided, requires_grad=false (default), pinned_memory=false "
                            "(default), memory_format=(nullopt)) (got TensorOptions(dtype="
                            f"{_C_NAMES[args[0].dtype.name]}, device=cpu, layout=Strided, "
                            "requires_grad=false (default), pinned_memory=false (default), "
                            "memory_format=(nullopt)))")
        return args[0]._data
    if len(args) == 1 and isinstance(args[0], (float, complex, bool)):
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        from ._creation import array_from_data
        return array_from_data(args[0], dt)
    if not all(isinstance(a, (int, np.integer)) for a in args):
        raise TypeError(f"new(): argument 'size' must be tuple of ints, but found element of "
                        f"type {type(args[-1]).__name__}")
    return np.zeros(tuple(int(a) for a in args), dt.np)


def _placed(array, device):
    """A legacy constructor's host array on `device` (PyTorch's errors for a missing GPU)."""
    return array if device is None else _backend.move(array, *_backend.resolve(device))


class _LegacyTypeMeta(type):
    # isinstance(t, FloatTensor) asks whether t is a float32 tensor, as in PyTorch.
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype


def _legacy_type(name, dt):
    def __new__(cls, *args, device=None):
        return Tensor._make(_placed(_legacy_array(args, dt), device))
    return _LegacyTypeMeta(name, (), {"__new__": __new__, "_dtype": dt,
                                      "__doc__": f"Legacy constructor of {dt!r} tensors."})


FloatTensor = _legacy_type("FloatTensor", _dtype.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtype.float64)
HalfTensor = _legacy_type("HalfTensor", _dtype.float16)
LongTensor = _legacy_type("LongTensor", _dtype.int64)
IntTensor = _legacy_type("IntTensor", _dtype.int32)
ShortTensor = _legacy_type("ShortTensor", _dtype.int16)
CharTensor = _legacy_type("CharTensor", _dtype.int8)
ByteTensor = _legacy_type("ByteTensor", _dtype.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtype.bool_)

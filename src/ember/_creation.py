"""Making tensors: from Python data, from NumPy, and filled with a constant."""
import math
import os
import warnings

import numpy as np

from . import _backend, _dtype
from ._device import device as _device_cls
from ._dtype import finfo, iinfo
from ._fma import fma32, fma64
from ._tensor import Tensor
from .autograd import grad_mode

_pycomplex = complex     # the built-in type (this module defines ember.complex)


def _on_device(factory):
    """`factory` with `device=`: the tensor is made on the host, as on the CPU, then copied to
    the device once (so a GPU tensor holds exactly the values a CPU one would)."""
    def made(*args, device=None, **kwargs):
        if device is None:
            device = _backend.default_device          # set_default_device, or None: the CPU
            if device is None:
                return factory(*args, **kwargs)
        backend, index = _backend.resolve(device)
        t = factory(*args, **kwargs)
        if backend is not _backend.CPU_BACKEND or type(t._data) is not np.ndarray:
            t._data = _backend.move(t._data, backend, index)
        return t
    made.__name__, made.__qualname__, made.__doc__ = \
        factory.__name__, factory.__qualname__, factory.__doc__
    made.__wrapped__ = factory
    return made

def array_from_data(data, dtype=None):
    """A fresh array holding `data` (numbers, nested sequences, arrays, tensors).

    Without `dtype`, Python data follows PyTorch's inference: the elements' types are promoted
    together, a Python float counting as the default float dtype, an int as int64, a bool as
    bool, and a NumPy scalar or tensor element as its own dtype; a NumPy array keeps its dtype.
    """
    if isinstance(data, Tensor):
        array = data._data
        return array.copy() if dtype is None else array.astype(dtype.np)
    if isinstance(data, np.ndarray):
        if dtype is None:
            _dtype.from_numpy_dtype(data.dtype)       # raises for dtypes torch has no type for
            return data.copy()
        return data.astype(dtype.np)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    _check_first_elements(data)
    leaves = []
    _collect(data, 0, leaves)
    inferred = None
    for leaf in leaves:
        kind = _leaf_dtype(leaf)
        inferred = kind if inferred is None else _dtype.promote_types(inferred, kind)
    target = dtype or inferred or _dtype.get_default_dtype()   # [] is a float tensor
    _check_range(leaves, target)
    # NumPy's own inference first, then a cast: a cast wraps integers as C++ (and PyTorch) do
    array = np.array(_plain(data))
    return array if array.dtype == target.np else array.astype(target.np)


def _leaf_dtype(leaf):
    if isinstance(leaf, Tensor):
        return leaf.dtype
    if isinstance(leaf, np.generic):
        return _dtype.from_numpy_dtype(leaf.dtype)
    return _dtype.scalar_dtype(leaf)


_SEQUENCES = (list, tuple)


def _check_first_elements(data):
    """PyTorch measures the shape along the first elements first: a string there is a
    sequence of strings without end ("too many dimensions 'str'")."""
    while isinstance(data, _SEQUENCES) and len(data):
        data = data[0]
        if isinstance(data, str):
            raise ValueError("too many dimensions 'str'")


def _collect(data, dim, leaves):
    """Check that `data` is a rectangular nest of sequences of numbers; gather its numbers.
    The errors are PyTorch's, for ragged lists and for things that are not numbers."""
    if isinstance(data, _SEQUENCES):
        first_len = None
        first_is_seq = None
        for item in data:
            is_seq = isinstance(item, _SEQUENCES) or (isinstance(item, (Tensor, np.ndarray))
                                                      and np.ndim(item) > 0)
            if first_is_seq is None:
                first_is_seq = is_seq
                first_len = len(item) if is_seq else None
            elif is_seq != first_is_seq:
                if isinstance(item, (str, bytes)):      # dtype inference fails first
                    raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
                raise TypeError("not a sequence" if first_is_seq else
                                f"'{type(item).__name__}' object cannot be interpreted as an "
                                "integer")
            elif is_seq and len(item) != first_len:
                raise ValueError(f"expected sequence of length {first_len} at dim {dim + 1} "
                                 f"(got {len(item)})")
            _collect(item, dim + 1, leaves)
        return
    if isinstance(data, Tensor):
        leaves.append(data)
        return
    if isinstance(data, np.ndarray):
        leaves.append(data.reshape(())[()])
        return
    if isinstance(data, (bool, int, float, _pycomplex, np.generic)):
        leaves.append(data)
        return
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _check_range(leaves, target):
    """PyTorch refuses Python numbers that do not fit the target integer type."""
    if target.category > _dtype.INT:
        return
    info = np.iinfo(target.np) if target is not _dtype.bool_ else None
    for leaf in leaves:
        if isinstance(leaf, (float, int)) and not isinstance(leaf, bool):
            if isinstance(leaf, int) and not -2 ** 63 <= leaf < 2 ** 63:
                raise ValueError("Overflow when unpacking long long")
            if info is None:
                continue
            too_big = leaf != leaf or leaf > info.max      # nan counts as too big
            # unsigned types take negatives down to -max, wrapping them (C++'s rule)
            too_small = leaf < (info.min if info.min < 0 else -info.max)
            if too_big or too_small:
                raise RuntimeError(f"value cannot be converted to type {target.name} without "
                                   "overflow")


def _plain(data):
    """Replace tensors inside nested lists by NumPy values (a tensor that requires grad may
    appear in the data; its value is copied, as PyTorch does)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


@_on_device
def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data`.

    >>> import ember
    >>> ember.tensor([1, 2]).dtype, ember.tensor([1.0, 2]).dtype
    (torch.int64, torch.float32)
    """
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    dt = None if dtype is None else _dtype.to_dtype(dtype)
    array = array_from_data(data, dt)
    if requires_grad and array.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return Tensor._make(array, bool(requires_grad))


@_on_device
def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a NumPy array or tensor when no cast is needed."""
    dt = None if dtype is None else _dtype.to_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dt is None or dt is data.dtype else data.to(dt)
    if isinstance(data, np.ndarray) and (dt is None or dt.np == data.dtype):
        _dtype.from_numpy_dtype(data.dtype)
        return Tensor._make(data)
    return Tensor._make(array_from_data(data, dt))


def from_numpy(array):
    """A tensor sharing memory with a NumPy array: writes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


# -- layouts and memory formats ------------------------------------------------------------------


class layout:
    """How a tensor's elements are laid out: ember has only `ember.strided`."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


class memory_format:
    """A memory format argument (`ember.contiguous_format`, `ember.preserve_format`, ...)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


# -- sizes, dtypes and the out= argument ---------------------------------------------------------

_INT = int
_SEQ = (tuple, list)


def _size(size, name="zeros"):
    """Sizes given as `f(2, 3)` or `f((2, 3))` or `f([2, 3])`, with PyTorch's errors."""
    if len(size) == 1 and type(size[0]) is not _INT:
        only = size[0]
        if isinstance(only, _SEQ):
            size = only
        elif isinstance(only, Tensor) and only._data.ndim == 0 and only._data.dtype.kind in "iu":
            size = (int(only._data),)
        elif not hasattr(only, "__index__") or isinstance(only, bool):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(only).__name__}")
    for s in size:
        if type(s) is not _INT or s < 0:
            break
    else:
        return size                     # the common case: non-negative Python ints
    shape = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor) and s._data.ndim == 0 and s._data.dtype.kind in "iu":
            s = int(s._data)
        if not hasattr(s, "__index__") or isinstance(s, bool):
            if i == 0:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                f"but found element of type {type(s).__name__} at pos 0")
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(s).__name__}\"")
        shape.append(s.__index__())
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{name}: Dimension size must be non-negative.")
    return tuple(shape)


def _dtype_of(dtype, out, default=None):
    """The dtype of a factory's result: `dtype=`, else the `out=` tensor's, else the default."""
    if dtype is not None:
        dt = dtype if isinstance(dtype, _dtype.dtype) else _dtype.to_dtype(dtype)
        if out is not None and out.dtype is not dt:
            raise RuntimeError(f"dtype {dt.scalar_name} does not match dtype of out parameter "
                               f"({out.dtype.scalar_name})")
        return dt
    if out is not None:
        return out.dtype
    return default if default is not None else _dtype._default_float


_new = object.__new__


def _result(array, requires_grad, out=None):
    """Wrap a factory's array (or write it into `out`), honouring `requires_grad`."""
    if out is None and not requires_grad:
        t = _new(Tensor)
        t._data = array
        if grad_mode.inference_enabled:
            t._inference = True
        return t
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
        out._check_inplace()
        if out._data.shape == array.shape:
            out._data[...] = array
        else:
            out._data = array
        out._bump_version()
        return out
    t = Tensor._make(array)
    if array.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    t._requires_grad = True
    return t


_C_FLOAT = {"float16": "c10::Half", "float32": "float", "float64": "double"}


_FLOAT_MAX = {"float16": 65504.0, "float32": 3.4028234663852886e38}


def _check_fill(fill, dt):
    """PyTorch refuses a fill value that does not fit the dtype (Scalar.to<scalar_t>())."""
    kind = type(fill)
    if dt.category == _dtype.FLOAT:
        if kind is float or kind is int:
            limit = _FLOAT_MAX.get(dt.name)
            if limit is not None and abs(fill) > limit and math.isfinite(fill):
                with np.errstate(over="ignore"):
                    if not math.isfinite(float(np.array(fill, np.float64).astype(dt.np))):
                        raise RuntimeError(f"value cannot be converted to type "
                                           f"{_C_FLOAT[dt.name]} without overflow")
        return
    if dt.category == _dtype.INT and (kind is float or kind is int):
        _to_scalar_type(fill, dt)


# -- constant-filled tensors -----------------------------------------------------------------------


@_on_device
def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, names=None):
    """A tensor of zeros; float32 unless `dtype` says otherwise.

    >>> import ember
    >>> ember.zeros(2, 3).shape
    torch.Size([2, 3])
    """
    dt = _dtype._default_float if dtype is None and out is None else _dtype_of(dtype, out)
    shape = _size(sizes if size is None else (size,), "zeros")
    return _result(np.zeros(shape, dt.np), requires_grad, out)


@_on_device
def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, names=None):
    """A tensor of ones; float32 unless `dtype` says otherwise."""
    dt = _dtype._default_float if dtype is None and out is None else _dtype_of(dtype, out)
    array = np.empty(_size(sizes if size is None else (size,), "ones"), dt.np)
    array.fill(1)
    return _result(array, requires_grad, out)


@_on_device
def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, names=None):
    """An uninitialised tensor in PyTorch; zeros in ember (reading it is still a bug)."""
    dt = _dtype._default_float if dtype is None and out is None else _dtype_of(dtype, out)
    shape = _size(sizes if size is None else (size,), "empty")
    return _result(np.zeros(shape, dt.np), requires_grad, out)


_NUMBER_TYPES = (int, float, _pycomplex, np.generic)


@_on_device
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, names=None):
    """A tensor filled with `fill_value`, whose dtype follows the fill value's type."""
    if type(size) is not tuple and not isinstance(size, (tuple, list, Tensor)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    kind = type(fill_value)
    if kind is not float and kind is not int:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        elif not isinstance(fill_value, _NUMBER_TYPES):
            raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                            f"{type(fill_value).__name__}")
    if dtype is None and out is None:
        dt = _dtype._default_float if kind is float else _dtype.scalar_dtype(fill_value)
    else:
        dt = _dtype_of(dtype, out)
    _check_fill(fill_value, dt)
    array = np.empty(_size((size,), "full"), dt.np)
    array.fill(fill_value)
    return _result(array, requires_grad, out)


@_on_device
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised (in ember: zero) tensor with the given sizes and strides (in elements)."""
    shape = _size((size,), "empty_strided")
    strides = tuple(int(s) for s in stride)
    if len(strides) != len(shape):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in strides):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: [{', '.join(map(str, strides))}]")
    dt = _dtype_of(dtype, None)
    extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides)) if all(shape) else 0
    buffer = np.zeros(extent, dt.np)
    array = np.lib.stride_tricks.as_strided(buffer, shape, tuple(s * dt.itemsize
                                                                 for s in strides))
    return _result(array, requires_grad)


@_on_device
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    """The n x m identity matrix (ones on the diagonal)."""
    for name, position, value in (("n", 1, n), ("m", 2, m)):
        if value is not None and (not hasattr(value, "__index__") or isinstance(value, bool)):
            raise TypeError(f"eye(): argument '{name}' (position {position}) must be int, not "
                            f"{type(value).__name__}")
    n = n.__index__()
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    m = n if m is None else m.__index__()
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = _dtype_of(dtype, out)
    return _result(np.eye(n, m, dtype=dt.np), requires_grad, out)


# -- *_like and Tensor.new_* -----------------------------------------------------------------------


def _like_array(name, input, dtype, memory_format, fill):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    dt = input.dtype if dtype is None else _dtype.to_dtype(dtype)
    x = input._data
    # preserve_format (the default) keeps the input's layout; contiguous_format asks for C order
    order = None if memory_format is contiguous_format else _like_order(x)
    if order is None:
        array = (np.zeros_like if fill == 0 else np.empty_like)(x, dt.np, order="C")
    else:
        xp = _backend.xp(x)
        array = (xp.zeros if fill == 0 else xp.empty)([x.shape[d] for d in order], dt.np)
        array = array.transpose(np.argsort(order))
    if fill not in (0, None):
        array.fill(fill)
    return array


def _like_order(x):
    """The axis order (outermost first) of an `empty_like(x)` result, or None for C order.

    PyTorch keeps the layout of a dense input and gives a strided non-dense one (an expanded
    or sliced view) a dense layout with the same permutation (`infer_dense_strides`): the
    axes are sorted by stride, innermost first, by a stable insertion sort in which an axis
    of stride 0 never moves. The order matters to the random fills (`bernoulli(p)`, dropout's
    mask), which draw in memory order."""
    if x.ndim < 2 or x.flags.c_contiguous:
        return None
    strides, shape = [abs(s) for s in x.strides], x.shape

    def should_swap(d0, d1):
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    perm = list(range(x.ndim - 1, -1, -1))          # innermost first
    for i in range(1, x.ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    order = perm[::-1]
    return None if order == list(range(x.ndim)) else order


@_on_device
def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, pin_memory=False):
    """Zeros of `input`'s shape (and dtype, unless `dtype` is given)."""
    return _result(_like_array("zeros_like", input, dtype, memory_format, 0), requires_grad)


@_on_device
def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, pin_memory=False):
    """Ones of `input`'s shape (and dtype, unless `dtype` is given)."""
    return _result(_like_array("ones_like", input, dtype, memory_format, 1), requires_grad)


@_on_device
def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, pin_memory=False):
    """An uninitialised (in ember: zero) tensor of `input`'s shape and dtype."""
    return _result(_like_array("empty_like", input, dtype, memory_format, 0), requires_grad)


@_on_device
def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, pin_memory=False):
    """`fill_value` in `input`'s shape and dtype (unless `dtype` is given)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    elif not isinstance(fill_value, (int, float, _pycomplex, np.generic)):
        raise TypeError(f"full_like(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    dt = input.dtype if dtype is None and isinstance(input, Tensor) else (
        _dtype.to_dtype(dtype) if dtype is not None else None)
    if dt is not None:
        _check_fill(fill_value, dt)
    array = _like_array("full_like", input, dtype, memory_format, None)
    array.fill(fill_value)
    return _result(array, requires_grad)


def _own(self, device):
    """The device of a `Tensor.new_*` result: the tensor's own unless told otherwise."""
    return device if device is not None or type(self._data) is np.ndarray else self.device


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    """A new tensor holding a copy of `data`, with this tensor's dtype and device unless told
    otherwise."""
    device = _own(self, device)
    place = None if device is None else _backend.resolve(device)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    dt = self.dtype if dtype is None else _dtype.to_dtype(dtype)
    array = array_from_data(data, dt)
    if place is not None:
        array = _backend.move(array, *place)
    return _result(array, requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):
    """Zeros of the given size, with this tensor's dtype unless told otherwise."""
    return zeros(*size, dtype=self.dtype if dtype is None else dtype, device=_own(self, device),
                 requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    """Ones of the given size, with this tensor's dtype unless told otherwise."""
    return ones(*size, dtype=self.dtype if dtype is None else dtype, device=_own(self, device),
                requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):
    """An uninitialised (in ember: zero) tensor of the given size and this tensor's dtype."""
    return empty(*size, dtype=self.dtype if dtype is None else dtype, device=_own(self, device),
                 requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """`fill_value` in the given size, with this tensor's dtype unless told otherwise."""
    if not isinstance(size, (tuple, list, Tensor)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                device=_own(self, device),
                requires_grad=requires_grad)


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                         device=_own(self, device), requires_grad=requires_grad)


# -- the fused multiply-add PyTorch's range kernels compile to ---------------------------------
#
# PyTorch's CPU kernels for arange and linspace compute `start + step * i`; built with FMA
# (AVX2/AVX512 kernels), the compiler fuses that into one correctly rounded fma(step, i, start),
# which ember/_fma.py computes exactly.


def _plain_madd(a, b, c, np_type):
    with np.errstate(all="ignore"):
        return (np.asarray(a, np_type) * np.asarray(b, np_type) + np.asarray(c, np_type)
                ).astype(np_type)


_CPU = None


def _cpu_kernel_shape():
    """(vector width in bytes, whether FMA is used) of the PyTorch CPU kernels on this machine:
    AVX512 kernels (64-byte vectors) where the CPU has AVX512 F/BW/VL/DQ, else AVX2 (32 bytes),
    both compiled with FMA; the portable DEFAULT kernels (32-byte emulated vectors, no FMA)
    elsewhere. ATEN_CPU_CAPABILITY overrides the choice, as it does in PyTorch."""
    global _CPU
    if _CPU is None:
        flags = set()
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("flags"):
                        flags = set(line.split(":", 1)[1].split())
                        break
        except OSError:
            pass
        avx2 = "avx2" in flags and "fma" in flags
        avx512 = avx2 and {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags
        wanted = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
        if wanted == "default" or not flags and not avx2:
            _CPU = (32, not flags)      # non-x86 (no cpu flags): compilers fuse by default
        elif wanted == "avx2" or (avx2 and not avx512):
            _CPU = (32, True)
        elif avx512:
            _CPU = (64, True)
        else:
            _CPU = (32, False)
    return _CPU


_GRAIN_SIZE = 32768


def _intra_op_threads():
    value = os.environ.get("OMP_NUM_THREADS")
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _chunks(n):
    """The [begin, end) pieces at::parallel_for splits n elements into."""
    if n < _GRAIN_SIZE:
        return [(0, n)]
    threads = min(_intra_op_threads(), -(-n // _GRAIN_SIZE))
    if threads <= 1:
        return [(0, n)]
    size = -(-n // threads)
    return [(b, min(n, b + size)) for b in range(0, n, size)]


def _arange_values(start, step, n, dt):
    """PyTorch's arange kernel: per chunk, blocks of two vectors computed as
    `base + k * step` from `base = start + step * block_start` (rounded to the dtype), and the
    remaining elements as `start + step * i`, all in the accumulate type."""
    width, fused = _cpu_kernel_shape()
    lanes = width // dt.itemsize
    if dt is _dtype.float16:
        acc, start, step = np.float32, float(np.float32(start)), float(np.float32(step))
        madd = fma32 if fused else (lambda a, b, c: _plain_madd(a, b, c, np.float32))
    else:
        acc = np.float64
        madd = fma64 if fused else (lambda a, b, c: _plain_madd(a, b, c, np.float64))
    out = np.empty(n, dt.np)
    idx = np.arange(n, dtype=np.float64)
    for begin, end in _chunks(n):
        vector_end = begin + (end - begin) // (2 * lanes) * (2 * lanes)
        if vector_end > begin:
            block_starts = idx[begin:vector_end:lanes]
            base = madd(step, block_starts, start).astype(dt.np).astype(acc)
            k = np.arange(lanes, dtype=np.float64)
            values = madd(k[None, :], step, base[:, None])
            out[begin:vector_end] = values.reshape(-1).astype(dt.np)
        if end > vector_end:
            out[vector_end:end] = madd(step, idx[vector_end:end], start).astype(dt.np)
    return out


def _number(value, name, position, function="arange"):
    if isinstance(value, Tensor):
        if value._data.ndim != 0 and function == "arange":
            raise TypeError(f"{function}(): argument '{name}' (position {position}) must be "
                            "Number, not Tensor")
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, (int, float, _pycomplex)):
        raise TypeError(f"{function}(): argument '{name}' (position {position}) must be Number, "
                        f"not {type(value).__name__}")
    return value


def _cfmt(x):
    """A double as C++'s ostream prints it (6 significant digits)."""
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return f"{x:g}"


def _to_int64(value):
    """Scalar.to<int64_t>(): truncation toward zero, with PyTorch's overflow error."""
    if isinstance(value, float):
        if not math.isfinite(value) or not -2.0 ** 63 <= value < 2.0 ** 63:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        return int(value)
    return int(value)


@_on_device
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """`arange(end)` or `arange(start, end, step)`: int64 for integer arguments, else float32.

    Computed as PyTorch computes it: the size is ceil((end - start) / step) in double, and the
    values come from PyTorch's vectorised kernel, bit for bit.

    >>> import ember
    >>> ember.arange(5), ember.arange(1, 2, 0.25)
    (tensor([0, 1, 2, 3, 4]), tensor([1.0000, 1.2500, 1.5000, 1.7500]))
    """
    if (type(start) is int and dtype is None and out is None and not requires_grad
            and type(step) is int and (end is None or type(end) is int)
            and step > 0):
        # the common case, integers counting up: NumPy's arange computes exactly what PyTorch does
        if end is None:
            start, end = 0, start
        if end >= start and -2 ** 63 <= start and end < 2 ** 63:
            return _result(np.arange(start, end, step, dtype=np.int64), False)
    if end is None:
        start, end = 0, _number(start, "end", 1)
    else:
        start, end = _number(start, "start", 1), _number(end, "end", 2)
    step = _number(step, "step", 3)
    values = (start, end, step)
    if any(isinstance(v, _pycomplex) for v in values):
        raise RuntimeError("value cannot be converted to type double without overflow")
    integer_args = all(isinstance(v, int) for v in values)
    for v in values:
        if isinstance(v, int) and not -2 ** 63 <= v < 2 ** 63:
            raise OverflowError("int too big to convert")
    dt = _dtype_of(dtype, out, _dtype.int64 if integer_args else None)
    if dt is _dtype.bool_ or dt in _dtype._UNPROMOTABLE or dt.category == _dtype.COMPLEX:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dt.scalar_name}'")
    dstart, dend, dstep = float(start), float(end), float(step)
    if not (dstep > 0 or dstep < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(dstart) and math.isfinite(dend)):
        raise RuntimeError(f"unsupported range: {_cfmt(dstart)} -> {_cfmt(dend)}")
    if not ((dstep > 0 and dend >= dstart) or (dstep < 0 and dend <= dstart)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt.category != _dtype.FLOAT:
        istart, iend, istep = _to_int64(start), _to_int64(end), _to_int64(step)
    if dt is _dtype.int64:
        if istep == 0:
            raise ValueError("step must be nonzero")
        sign = (istep > 0) - (istep < 0)
        numerator = iend - istart + istep - sign
        size = abs(numerator) // abs(istep) * (1 if (numerator >= 0) == (istep > 0) else -1)
    else:
        size_d = math.ceil((dend - dstart) / dstep) if dstep else 0
        if not 0 <= size_d <= 2 ** 63 - 1:
            raise RuntimeError("invalid size, possible overflow?")
        size = int(size_d)
    if size < 0:
        raise RuntimeError("invalid size, possible overflow?")
    if dt.category == _dtype.FLOAT:
        array = _arange_values(dstart, dstep, size, dt)
    else:
        with np.errstate(over="ignore"):
            array = (np.arange(size, dtype=np.int64) * np.int64(istep) + np.int64(istart))
        array = array.astype(dt.np)
    return _result(array, requires_grad, out)


# -- linspace / logspace -------------------------------------------------------------------------


def _range_endpoint(value, name, position, function):
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"{function} only supports 0-dimensional start and end tensors, "
                               f"but got {name} with {value._data.ndim} dimension(s).")
        return value.item()
    return _number(value, name, position, function)


def _steps_arg(steps, function):
    if isinstance(steps, Tensor) and steps._data.ndim == 0 and steps._data.dtype.kind in "iu":
        steps = int(steps._data)
    if not isinstance(steps, int) or isinstance(steps, bool):
        raise TypeError(f"{function}() received an invalid combination of arguments - got "
                        f"steps of type {type(steps).__name__}, but expected int steps")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


_C_INT_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                "int64": "int64_t", "bool": "bool"}


def _to_scalar_type(value, dt):
    """Scalar.to<scalar_t>(): a Python number converted to the dtype, refusing overflow."""
    if dt.category == _dtype.FLOAT:
        # c10 converts a double to Half through float (rounding twice)
        via = np.float32 if dt is _dtype.float16 else np.float64
        return np.array(value, np.float64).astype(via).astype(dt.np)[()]
    if dt is _dtype.bool_:
        return np.bool_(value != 0)
    info = np.iinfo(dt.np)
    if isinstance(value, float):
        fits = info.min <= value <= info.max              # nan and inf never fit
    else:
        # an integer may be negative down to -max for an unsigned type: it wraps, as in C++
        fits = (-int(info.max) if info.min == 0 else int(info.min)) <= value <= info.max
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[dt.name]} "
                           "without overflow")
    return np.array(int(value), np.int64).astype(dt.np)[()]


def _filled_one(value, dt):
    """A one-element array of `value`, converted as `fill_` converts a Scalar (with its
    overflow errors)."""
    if dt.category == _dtype.COMPLEX:
        return np.array([value], dt.np)
    if isinstance(value, _pycomplex):
        value = value.real
    if dt is _dtype.float16:                # converted through float, unchecked
        with np.errstate(over="ignore"):
            return np.array([value], np.float64).astype(np.float32).astype(np.float16)
    if dt.category == _dtype.FLOAT:
        _check_fill(float(value), dt)
    return np.array([_to_scalar_type(value, dt)], dt.np)


def _c_float_to_int(values, dt):
    """`static_cast<scalar_t>(double)` as x86 compiles it: truncation; a value out of range
    (or nan) gives the 'integer indefinite' INT_MIN of the 32-bit (or, for int64, 64-bit)
    conversion, and the narrow types keep the low bits of the 32-bit result."""
    values = np.trunc(np.asarray(values, np.float64))
    bits = 64 if dt is _dtype.int64 else 32
    low, high = -2.0 ** (bits - 1), 2.0 ** (bits - 1)
    bad = ~((values >= low) & (values < high))
    with np.errstate(invalid="ignore"):
        ints = np.where(bad, 0.0, values).astype(np.int64)
    ints[bad] = -2 ** (bits - 1)
    return ints.astype(dt.np)


def _half_op(x):
    return np.float32(np.float16(x))


@_on_device
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """`steps` evenly spaced values from `start` to `end` (both included), as PyTorch
    computes them: the first half as `start + step * i`, the second as
    `end - step * (steps - 1 - i)`, each a fused multiply-add, bit for bit.

    >>> import ember
    >>> ember.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    start = _range_endpoint(start, "start", 1, "linspace")
    end = _range_endpoint(end, "end", 2, "linspace")
    steps = _steps_arg(steps, "linspace")
    is_complex = isinstance(start, _pycomplex) or isinstance(end, _pycomplex)
    default = _dtype.default_for_category(_dtype.COMPLEX) if is_complex else None
    dt = _dtype_of(dtype, out, default)
    if dt is _dtype.bool_ or dt in _dtype._UNPROMOTABLE:
        raise NotImplementedError(f"\"linspace_cpu\" not implemented for '{dt.scalar_name}'")
    if steps == 0:
        return _result(np.empty(0, dt.np), requires_grad, out)
    if steps == 1:
        return _result(_filled_one(start, dt), requires_grad, out)
    _, fused = _cpu_kernel_shape()
    i = np.arange(steps, dtype=np.float64)
    halfway = steps // 2
    low, high = i[:halfway], float(steps - 1) - i[halfway:]
    if dt.category == _dtype.COMPLEX:
        s, e = _pycomplex(start), _pycomplex(end)
        step = (e - s) / (steps - 1)
        array = np.concatenate([s + step * low, e - step * high]).astype(dt.np)
    elif dt is _dtype.float16:
        s, e = _half_op(_to_scalar_type(start, dt)), _half_op(_to_scalar_type(end, dt))
        step = _half_op(_half_op(e - s) / _half_op(steps - 1))
        ilow = _half_op(low.astype(np.float32))
        ihigh = _half_op(high.astype(np.float32))
        array = np.concatenate([_half_op(s + _half_op(step * ilow)),
                                _half_op(e - _half_op(step * ihigh))]).astype(np.float16)
    elif dt.category == _dtype.FLOAT:
        s, e = _to_scalar_type(start, dt), _to_scalar_type(end, dt)
        if dt is _dtype.float32:
            step = np.float32((e - s) / np.float32(steps - 1))
            madd = fma32 if fused else (lambda a, b, c: _plain_madd(a, b, c, np.float32))
        else:
            step = (float(e) - float(s)) / (steps - 1)
            madd = fma64 if fused else (lambda a, b, c: _plain_madd(a, b, c, np.float64))
        array = np.concatenate([madd(step, low, s), madd(-step, high, e)]).astype(dt.np)
    else:
        s, e = _to_scalar_type(start, dt), _to_scalar_type(end, dt)
        step = (float(e) - float(s)) / (steps - 1)
        madd = fma64 if fused else (lambda a, b, c: _plain_madd(a, b, c, np.float64))
        values = np.concatenate([madd(step, low, float(s)), madd(-step, high, float(e))])
        array = _c_float_to_int(values, dt)
    return _result(array, requires_grad, out)


@_on_device
def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """`steps` values from `base ** start` to `base ** end`, evenly spaced in the exponent
    (computed as PyTorch does: `pow(base, start + step * i)` in double, the second half
    from the end)."""
    start = _range_endpoint(start, "start", 1, "logspace")
    end = _range_endpoint(end, "end", 2, "logspace")
    steps = _steps_arg(steps, "logspace")
    is_complex = isinstance(start, _pycomplex) or isinstance(end, _pycomplex)
    default = _dtype.default_for_category(_dtype.COMPLEX) if is_complex else None
    dt = _dtype_of(dtype, out, default)
    if dt is _dtype.bool_ or dt in _dtype._UNPROMOTABLE:
        raise NotImplementedError(f"\"logspace_cpu\" not implemented for '{dt.scalar_name}'")
    base = float(base)
    with np.errstate(all="ignore"):
        if steps == 0:
            array = np.empty(0, dt.np)
        elif steps == 1:
            value = (base ** _pycomplex(start) if dt.category == _dtype.COMPLEX
                     else float(np.power(base, float(start.real if is_complex else start))))
            array = _filled_one(value, dt)
        elif dt.category == _dtype.COMPLEX:
            s, e = _pycomplex(start), _pycomplex(end)
            step = (e - s) / (steps - 1)
            i = np.arange(steps, dtype=np.float64)
            halfway = steps // 2
            exponent = np.concatenate([s + step * i[:halfway],
                                       e - step * (steps - 1 - i[halfway:])])
            array = np.power(_pycomplex(base), exponent).astype(dt.np)
        else:
            s, e = _to_scalar_type(start, dt), _to_scalar_type(end, dt)
            if dt.category == _dtype.FLOAT:
                difference = float(_half_op(e - s) if dt is _dtype.float16 else e - s)
            else:
                difference = float(int(e) - int(s))
            step = difference / (steps - 1)
            # (this loop is not in a per-CPU kernel file: compiled without FMA)
            i = np.arange(steps, dtype=np.float64)
            halfway = steps // 2
            exponent = np.concatenate([float(s) + step * i[:halfway],
                                       float(e) - step * (steps - 1 - i[halfway:])])
            values = np.power(base, exponent)
            if dt.category == _dtype.FLOAT:
                array = values.astype(dt.np)
            else:
                array = _c_float_to_int(values, dt)
    return _result(array, requires_grad, out)


# -- complex numbers -----------------------------------------------------------------------------


def _complex_parts_check(real, imag, name):
    for t in (real, imag):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{'real' if t is real else 'imag'}' must be "
                            f"Tensor, not {type(t).__name__}")
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {real.dtype.scalar_name} but got "
                           f"scalar type {imag.dtype.scalar_name} for second argument")
    if real.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{real.dtype.scalar_name} and {imag.dtype.scalar_name}")
    if grad_mode.enabled and (real._requires_grad or imag._requires_grad):
        raise RuntimeError(f"ember: {name}() is not differentiable (complex autograd is not "
                           "implemented)")


def complex(real, imag, *, out=None):
    """The complex tensor `real + imag * 1j` (broadcast; complex64 from float32 parts)."""
    _complex_parts_check(real, imag, "complex")
    dt = real.dtype.to_complex()
    _backend.same_device(real._data, imag._data)
    array = _backend.xp(real._data).empty(
        np.broadcast_shapes(real._data.shape, imag._data.shape), dt.np)
    array.real[...] = real._data            # views of the parts (on the parts' device)
    array.imag[...] = imag._data
    return _result(array, False, out)


def polar(abs, angle, *, out=None):
    """The complex tensor `abs * (cos(angle) + 1j * sin(angle))`."""
    _complex_parts_check(abs, angle, "polar")
    dt = abs.dtype.to_complex()
    a, t = abs._data, angle._data
    _backend.same_device(a, t)
    array = _backend.xp(a).empty(np.broadcast_shapes(a.shape, t.shape), dt.np)
    array.real[...] = a * np.cos(t)
    array.imag[...] = a * np.sin(t)
    return _result(array, False, out)


# -- dtype queries ---------------------------------------------------------------------------------


def result_type(tensor1, tensor2):
    """The dtype PyTorch's arithmetic gives for these two operands (tensors or numbers)."""
    from .ops._util import result_dtype
    for value in (tensor1, tensor2):
        if not isinstance(value, (Tensor, bool, int, float, _pycomplex, np.generic)):
            raise TypeError(f"result_type() received an invalid combination of arguments - got "
                            f"({type(tensor1).__name__}, {type(tensor2).__name__}), but "
                            "expected one of:\n * (Tensor tensor, Tensor other)\n"
                            " * (Number scalar, Tensor tensor)\n * (Tensor tensor, Number other)"
                            "\n * (Number scalar1, Number scalar2)\n")
    if isinstance(tensor1, Tensor):
        return result_dtype(tensor1, tensor2)
    if isinstance(tensor2, Tensor):
        return result_dtype(tensor2, tensor1)
    return _dtype.combine_categories(_dtype.scalar_dtype(tensor1), _dtype.scalar_dtype(tensor2))


def _tensor_arg(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def is_floating_point(input):
    """Whether `input` holds floating-point numbers."""
    _tensor_arg(input, "is_floating_point")
    return input._data.dtype.kind == "f"


def is_complex(input):
    """Whether `input` holds complex numbers."""
    _tensor_arg(input, "is_complex")
    return input._data.dtype.kind == "c"


def is_signed(input):
    """Whether `input`'s dtype is signed (every dtype but bool and the unsigned ones)."""
    _tensor_arg(input, "is_signed")
    return input.dtype.is_signed


def is_nonzero(input):
    """The truth value of a one-element tensor (PyTorch's errors for other sizes)."""
    _tensor_arg(input, "is_nonzero")
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(-1)[0] != 0)


def is_same_size(input, other):
    return input._data.shape == other._data.shape


# Tensor methods that live here (PyTorch binds them to Tensor too).
Tensor.new_tensor = new_tensor
Tensor.new_zeros = new_zeros
Tensor.new_ones = new_ones
Tensor.new_full = new_full
Tensor.new_empty = new_empty
Tensor.new_empty_strided = new_empty_strided
Tensor.is_signed = lambda self: self.dtype.is_signed
Tensor.is_nonzero = is_nonzero
Tensor.is_same_size = is_same_size

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["set_default_device", "get_default_device",
           "arange", "as_tensor", "channels_last", "channels_last_3d", "complex",
           "contiguous_format", "empty", "empty_like", "empty_strided", "eye", "finfo",
           "from_numpy", "full", "full_like", "iinfo", "is_complex", "is_floating_point",
           "is_nonzero", "is_same_size", "is_signed", "layout", "linspace", "logspace",
           "memory_format", "ones", "ones_like", "polar", "preserve_format", "result_type",
           "strided", "tensor", "zeros", "zeros_like"]


def set_default_device(device):
    """Make factories (`zeros`, `tensor`, `arange`, ...) create tensors on `device` when they
    are not told where (None: back to the CPU).

    >>> import ember
    >>> ember.set_default_device("cpu"); ember.get_default_device()
    device(type='cpu')
    >>> ember.set_default_device(None)
    """
    if device is not None:
        _backend.resolve(device)
        device = device if isinstance(device, _device_cls) else _device_cls(device)
        if device.type == "cpu":
            device = None
    _backend.default_device = device


def get_default_device():
    """Where factories put tensors when not told: `device(type='cpu')` unless
    `set_default_device` said otherwise."""
    return _backend.default_device or _device_cls("cpu")

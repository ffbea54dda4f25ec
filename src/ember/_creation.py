"""Making tensors: from Python data, from NumPy, and filled with a constant."""
import warnings

import numpy as np

from . import _dtype
from ._device import check_cpu
from ._tensor import Tensor

_KIND_TO_CATEGORY = {"b": _dtype.BOOL, "i": _dtype.INT, "u": _dtype.INT, "f": _dtype.FLOAT,
                     "c": _dtype.COMPLEX}


def array_from_data(data, dtype=None):
    """A fresh array holding `data` (numbers, nested sequences, arrays, tensors).

    Without `dtype`, Python data follows PyTorch's inference: any float makes the default float
    dtype, otherwise ints make int64 and bools make bool; a NumPy array keeps its own dtype.
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
    try:
        array = np.array(_plain(data))
    except ValueError as error:
        raise ValueError(_ragged_message(data)) from error
    except OverflowError:
        raise RuntimeError("Overflow when unpacking long") from None
    kind = array.dtype.kind
    if kind not in _KIND_TO_CATEGORY:
        if array.dtype == object and _has_big_int(array):
            raise RuntimeError("Overflow when unpacking long")
        raise TypeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")
    if dtype is None:
        dtype = _dtype.default_for_category(_KIND_TO_CATEGORY[kind])
    if array.dtype != dtype.np:
        if dtype.category < _dtype.FLOAT and kind in "fc" and not np.isfinite(array).all():
            raise RuntimeError("value cannot be converted to type "
                               f"{dtype.name} without overflow")
        array = array.astype(dtype.np)
    return array


def _plain(data):
    """Replace tensors inside nested lists by NumPy values (a tensor that requires grad may
    appear in the data; its value is copied, as PyTorch does)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _has_big_int(array):
    return any(isinstance(v, int) for v in array.flat)


def _ragged_message(data):
    """PyTorch's message for nested lists of unequal lengths."""
    def walk(seq, dim):
        if not isinstance(seq, (list, tuple)) or not seq:
            return None
        first = seq[0]
        if isinstance(first, (list, tuple)):
            for item in seq[1:]:
                if not isinstance(item, (list, tuple)) or len(item) != len(first):
                    got = len(item) if isinstance(item, (list, tuple)) else type(item).__name__
                    return f"expected sequence of length {len(first)} at dim {dim + 1} (got {got})"
            for item in seq:
                found = walk(item, dim + 1)
                if found:
                    return found
        return None
    return walk(data, 0) or "could not convert data to a tensor"


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data`.

    >>> import ember
    >>> ember.tensor([1, 2]).dtype, ember.tensor([1.0, 2]).dtype
    (torch.int64, torch.float32)
    """
    check_cpu(device)
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


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a NumPy array or tensor when no cast is needed."""
    check_cpu(device)
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


def _size(size):
    """Sizes given as `f(2, 3)` or `f((2, 3))` or `f([2, 3])`."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        shape = tuple(int(s.__index__()) for s in size)
    except AttributeError:
        bad = next(s for s in size if not hasattr(s, "__index__"))
        raise TypeError(f"zeros(): argument 'size' (position 1) must be tuple of ints, but "
                        f"found element of type {type(bad).__name__} at pos 0") from None
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"[{', '.join(map(str, shape))}]")
    return shape


def _filled(fill, size, dtype, device, requires_grad, default=None):
    check_cpu(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else (default or _dtype.get_default_dtype())
    out = Tensor._make(np.full(_size(size), fill, dt.np))
    if requires_grad:
        out.requires_grad_(True)
    return out


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of zeros; float32 unless `dtype` says otherwise."""
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of ones; float32 unless `dtype` says otherwise."""
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          memory_format=None):
    """An uninitialised tensor in PyTorch; zeros in ember (reading it is still a bug)."""
    return _filled(0, size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor filled with `fill_value`, whose dtype follows the fill value's type."""
    default = None if dtype is not None else _dtype.scalar_dtype(
        fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled(fill_value, (tuple(size),), dtype, device, requires_grad, default)


def _like(t, fill, dtype, requires_grad):
    dt = t.dtype if dtype is None else _dtype.to_dtype(dtype)
    out = Tensor._make(np.full(t._data.shape, fill, dt.np))
    if requires_grad:
        out.requires_grad_(True)
    return out


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None):
    return _like(input, 0, dtype, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None):
    return _like(input, 1, dtype, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None):
    return _like(input, 0, dtype, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False,
              memory_format=None, layout=None):
    return _like(input, fill_value, dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False, out=None,
           layout=None):
    """`arange(n)` or `arange(start, end, step)`: int64 for integer arguments, else float32."""
    check_cpu(device)
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        dt = _dtype.get_default_dtype() if is_float else _dtype.int64
    else:
        dt = _dtype.to_dtype(dtype)
    start, end, step = values
    count = max(int(np.ceil((end - start) / step)), 0)
    # PyTorch computes each element as start + i * step (in double for floats).
    array = (start + np.arange(count, dtype=np.float64 if dt.category >= _dtype.FLOAT
                               else np.int64) * step).astype(dt.np)
    out = Tensor._make(array)
    if requires_grad:
        out.requires_grad_(True)
    return out

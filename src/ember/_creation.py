"""Making tensors: from Python data, from NumPy, and filled with a constant."""
import math
import warnings

import numpy as np

from . import _dtype
from ._device import check_cpu
from ._tensor import Tensor

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
    if isinstance(data, (bool, int, float, complex, np.generic)):
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


def _size(size, name="zeros"):
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
        raise RuntimeError(f"{name}: Dimension size must be non-negative.")
    return shape


def _filled(fill, size, dtype, device, requires_grad, default=None, name="zeros"):
    check_cpu(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else (default or _dtype.get_default_dtype())
    if isinstance(fill, (int, float)) and not isinstance(fill, bool):
        _check_range([fill], dt)
        if dt.category == _dtype.FLOAT and math.isfinite(fill) and not math.isfinite(
                float(np.array(fill, dt.np))):
            raise RuntimeError(f"value cannot be converted to type {_C_FLOAT[dt.name]} without "
                               "overflow")
    out = Tensor._make(np.full(_size(size, name), fill, dt.np))
    if requires_grad:
        if dt.category < _dtype.FLOAT:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        out._requires_grad = True
    return out


_C_FLOAT = {"float16": "c10::Half", "float32": "float", "float64": "double"}


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of zeros; float32 unless `dtype` says otherwise."""
    return _filled(0, size, dtype, device, requires_grad, name="zeros")


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of ones; float32 unless `dtype` says otherwise."""
    return _filled(1, size, dtype, device, requires_grad, name="ones")


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          memory_format=None):
    """An uninitialised tensor in PyTorch; zeros in ember (reading it is still a bug)."""
    return _filled(0, size, dtype, device, requires_grad, name="empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor filled with `fill_value`, whose dtype follows the fill value's type."""
    if not isinstance(size, (tuple, list, Tensor)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    default = None if dtype is not None else _dtype.scalar_dtype(fill_value)
    return _filled(fill_value, (tuple(size),), dtype, device, requires_grad, default, "full")


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
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = max(int(np.ceil((end - start) / step)), 0)
    # PyTorch computes each element as start + i * step (in double for floats).
    array = (start + np.arange(count, dtype=np.float64 if dt.category >= _dtype.FLOAT
                               else np.int64) * step).astype(dt.np)
    out = Tensor._make(array)
    if requires_grad:
        out.requires_grad_(True)
    return out

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["arange", "as_tensor", "empty", "empty_like", "from_numpy", "full", "full_like", "ones",
           "ones_like", "tensor", "zeros", "zeros_like"]

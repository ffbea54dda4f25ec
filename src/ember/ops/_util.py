"""Helpers shared by the ops: PyTorch's result dtype, NumPy operands, and gradient fitting."""
import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor
from ..autograd import grad_mode as _grad_mode

_HALF = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_BY_NP = _dtype._BY_NP
_ndarray = np.ndarray
_asarray = np.asarray
_ascontiguous = np.ascontiguousarray
_new = object.__new__


def result_dtype(a, b):
    """PyTorch's result dtype of a binary op on a tensor `a` and a tensor or Python scalar `b`.

    Dimensioned tensors decide first; a 0-d tensor, then a Python scalar, only matter when they
    are of a higher category (a Python float makes an int tensor float32, never float64).
    """
    da = _BY_NP[a._data.dtype]
    if isinstance(b, Tensor):
        db = _BY_NP[b._data.dtype]
        if da is db:
            return da
        a0, b0 = a._data.ndim == 0, b._data.ndim == 0
        if a0 == b0:
            return _dtype.promote_types(da, db)
        dims, zero = (db, da) if a0 else (da, db)
        return _dtype.combine_categories(dims, zero)
    return _dtype.combine_categories(da, _dtype.scalar_dtype(b))


def operands(a, b, dt=None, direct=False):
    """`(x, y, dt)`: `a` and `b` as NumPy operands, and the op's result dtype `dt` (PyTorch's,
    unless the caller passes one).

    Half precision is computed in float32, as PyTorch does, and rounded once by `finish`; its
    operands are first converted to float16 (PyTorch casts every input to the common dtype),
    except a scalar second operand of an op that reads it at float32 precision (`direct`:
    PyTorch's mul, div and floor_divide kernels read such a scalar as float32).
    A Python scalar stays a Python scalar: NumPy then converts it to the array's dtype (the
    same rounding PyTorch applies), except small integer types, where PyTorch wraps around.
    """
    x = a._data
    if dt is None:
        # Fast path for the common cases: same-dtype tensors, a float tensor and a number.
        xd = x.dtype
        kind = type(b)
        if kind is float or kind is int:
            if xd is _F32 or xd is _F64 or (xd is _I64 and kind is int):
                return x, b, _BY_NP[xd]
        elif isinstance(b, Tensor):
            y = b._data
            if y.dtype is xd and xd is not _HALF and type(y) is type(x):
                return x, y, _BY_NP[xd]
        if type(b) is _ndarray:
            b = Tensor._make(b)             # PyTorch treats a NumPy array as a tensor here
        dt = result_dtype(a, b)
    compute = dt.np
    if compute is _HALF:
        x, y, dt = _half_operands(x, b, dt, direct)
        if isinstance(b, Tensor) and type(y) is not type(x):
            x, y = on_one_device(x, y)
        return x, y, dt
    if x.dtype is not compute:
        x = x.astype(compute)
    if isinstance(b, Tensor):
        y = b._data
        if type(y) is not type(x):
            x, y = on_one_device(x, y)
        if y.dtype is not compute:
            y = y.astype(compute)
    elif type(b) is int and compute.kind in "iu" and compute is not _I64:
        y = np.array(b, dtype=np.int64).astype(compute)[()]
    elif isinstance(b, np.generic):
        y = b.item()
    else:
        y = b
    return x, y, dt


def on_one_device(x, y):
    """Two arrays of one op, on one device: a 0-d CPU tensor goes along with a GPU tensor as
    a number does (PyTorch's rule), any other mix is PyTorch's error."""
    if type(y) is _ndarray and y.ndim == 0:
        return x, _backend.xp(x).full((), y[()], y.dtype)     # filled in on x's device
    if type(x) is _ndarray and x.ndim == 0:
        return _backend.xp(y).full((), x[()], x.dtype), y
    _backend.same_device(x, y)
    return x, y


def all_on_one_device(arrays):
    """The arrays of one op (None allowed) on one device: 0-d CPU arrays go along with GPU
    arrays as numbers do (made there as 0-d arrays), any other mix is PyTorch's error."""
    ref = None
    for a in arrays:
        if a is not None and type(a) is not _ndarray:
            ref = a
            break
    if ref is None:
        return list(arrays)
    out = []
    for a in arrays:
        if a is not None and type(a) is not type(ref):
            if type(a) is _ndarray and a.ndim == 0:
                a = _backend.xp(ref).full((), a[()], a.dtype)
            else:
                _backend.same_device(ref, a)
        out.append(a)
    return out


def check_devices(*values):
    """PyTorch's error when the tensors (or arrays) of one op live on different devices;
    None and 0-d CPU values go along anywhere, as numbers do."""
    first = None
    for v in values:
        a = v._data if isinstance(v, Tensor) else v
        if a is None or not hasattr(a, "ndim") or isinstance(a, np.generic) or (
                type(a) is _ndarray and a.ndim == 0):
            continue
        if first is None:
            first = a
        elif type(a) is not type(first):
            _backend.same_device(first, a)


def _half_operands(x, b, dt, direct):
    """float16 operands as float32 arrays holding float16 values (PyTorch's Half kernels
    convert to float, compute, and round back)."""
    if x.dtype is not _HALF:
        x = x.astype(_HALF)
    x = x.astype(_F32)
    if isinstance(b, np.generic):
        b = b.item()
    if isinstance(b, Tensor):
        y = b._data
        if direct and y.size == 1:
            y = y.astype(_F32)              # the scalar's own value, read as float
        else:
            if y.dtype is not _HALF:
                y = y.astype(_HALF)
            y = y.astype(_F32)
    elif direct:
        y = _F32.type(b)
    else:
        y = _F32.type(_HALF.type(b))
    return x, y, dt


def broadcast_error(*shapes):
    """PyTorch's RuntimeError for shapes that do not broadcast (the first clash from the
    right, as PyTorch's `infer_size` reports it)."""
    a, b = shapes[0], shapes[1]
    for k in range(2, len(shapes) + 1):
        n = max(len(a), len(b))
        for i in range(n - 1, -1, -1):
            off = n - 1 - i
            x = a[len(a) - 1 - off] if len(a) - 1 - off >= 0 else 1
            y = b[len(b) - 1 - off] if len(b) - 1 - off >= 0 else 1
            if x != y and x != 1 and y != 1:
                return RuntimeError(f"The size of tensor a ({x}) must match the size of "
                                    f"tensor b ({y}) at non-singleton dimension {i}")
        if k < len(shapes):
            a, b = np.broadcast_shapes(a, b), shapes[k]
    return RuntimeError(f"shapes {[list(s) for s in shapes]} cannot be broadcast")


def shape_of(value):
    return value._data.shape if isinstance(value, Tensor) else np.shape(value)


def finish(result, dt):
    """The op's NumPy result as an array of dtype `dt` (0-d results come back as NumPy
    scalars, which have no storage to share, so they are wrapped again)."""
    if result.dtype is not dt.np:
        result = result.astype(dt.np)
    if type(result) is not _ndarray and isinstance(result, np.generic):
        result = _asarray(result)
    return result


def wrap(result, dt):
    """A new tensor holding the op's NumPy result, as an array of dtype `dt`."""
    if result.dtype is not dt.np:
        result = result.astype(dt.np)
    if type(result) is not _ndarray and isinstance(result, np.generic):
        result = _asarray(result)
    t = _new(Tensor)
    t._data = result
    if _grad_mode.inference_enabled:
        t._inference = True
    return t


def as_array(result):
    """A NumPy scalar (what NumPy returns for a 0-d result) as a 0-d array; arrays as they are."""
    return _asarray(result) if isinstance(result, np.generic) else result


def contiguous(a):
    """`np.ascontiguousarray(a)` made on `a`'s own device."""
    return _ascontiguous(a) if type(a) is _ndarray else _backend.xp(a).ascontiguousarray(a)


def array_or_number(v, dtype=None):
    """`np.asarray(v, dtype)` for an op's operand, kept on its device: an array stays an
    array (cast to `dtype`), a number becomes a NumPy scalar, which mixes with the arrays of
    any device (a 0-d host array would not)."""
    if isinstance(v, (np.generic, int, float, complex)):
        return _asarray(v, dtype)[()]
    return v if dtype is None or v.dtype == dtype else v.astype(dtype)


def new_like(a, value, dtype=None):
    """`value` (a number, or a list of numbers) as an array on `a`'s device (a number is
    filled in on the device, a list is copied over)."""
    if type(a) is _ndarray:
        return _asarray(value, dtype)
    if isinstance(value, (np.generic, int, float, complex)):
        dtype = dtype if dtype is not None else np.result_type(value)
        return _backend.xp(a).full((), value, dtype)
    return _backend.xp(a).asarray(value, dtype)


def upload_like(a, host):
    """The host array `host` on `a`'s device (itself when `a` is a host array)."""
    if type(a) is _ndarray:
        return host
    b = _backend.of(a)
    return b.from_host(host, b.device_index(a))


def meta(value):
    """What a gradient must be fitted back to: the input's shape and dtype."""
    if isinstance(value, Tensor):
        return (value._data.shape, value._data.dtype)
    return None


def fit(grad, meta):
    """Sum a broadcast gradient back to the input's shape and cast it to the input's dtype
    (the engine's job in PyTorch; done here for the ops that broadcast or promote)."""
    shape, dtype = meta
    if grad._data.shape != shape:
        grad = grad.sum_to_size(shape)
    if grad._data.dtype != dtype:
        grad = grad.to(_BY_NP[dtype])
    return grad


def tensor_like(value, dtype=None):
    """A Python scalar as a 0-d tensor (to reuse tensor code paths)."""
    if isinstance(value, Tensor):
        return value
    dt = dtype or _dtype.scalar_dtype(value)
    return Tensor._make(np.array(value, dtype=dt.np))


def recording(*tensors):
    """True when an op must record a node: grad mode is on and a tensor input requires grad."""
    return _grad_mode.enabled and any(isinstance(t, Tensor) and t._requires_grad
                                      for t in tensors)


def attach(result, node):
    """Make `node` the grad_fn of the op's `result` (which then requires grad)."""
    result._requires_grad, result._grad_fn = True, node
    return result


def reduce_loss(loss, reduction):
    """ATen's apply_loss_reduction: the elementwise losses (a tensor), their `mean()` or
    their `sum()`."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss

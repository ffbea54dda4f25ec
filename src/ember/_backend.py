"""Where a tensor's values live: the array library behind each device type.

A tensor's values (`t._data`) are an array of some array library: a NumPy array on the CPU,
a CuPy array on a GPU. The ops are written with NumPy's functions (`np.add`, `np.matmul`,
`np.sum`, ...), and NumPy hands any such call whose arguments are CuPy arrays over to CuPy
(the `__array_ufunc__` / `__array_function__` protocols of NEP 13 and NEP 18), so one op's
code runs on either device. What NumPy cannot hand over is asked of the array's *backend*,
found here from the array's type:

- making a new array on the same device as another (`xp(array).zeros(...)`),
- moving values between the host and a device (`to_host`, `from_host`),
- the few kernels outside the common NumPy/CuPy API (`scatter_add`, `as_strided`,
  running maxima and the like: `accumulate`),
- random numbers on the device (a GPU draws from its own library's generator).

A backend whose library is missing (no CuPy, or CuPy without a GPU) is simply absent, and
asking for its device raises what a PyTorch built without CUDA raises.
"""
import contextlib

import numpy as np

from ._device import device as _device

NOT_COMPILED = "Torch not compiled with CUDA enabled"


class NumpyBackend:
    """The CPU: NumPy arrays in the host's memory."""

    type = "cpu"
    xp = np
    array_types = (np.ndarray,)

    def device_index(self, array):
        return None

    def device_count(self):
        return 1

    def to_host(self, array):
        return array

    def from_host(self, array, index=None):
        return array

    def scatter_add(self, target, index, values):
        """target[index] += values, adding every repeated index (NumPy's unbuffered add)."""
        np.add.at(target, index, values)

    def as_strided(self, array, shape, strides):
        return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=False)

    def accumulate(self, ufunc, array, axis):
        """The running `ufunc` along `axis` (`np.maximum.accumulate(array, axis=axis)`)."""
        return ufunc.accumulate(array, axis=axis)

    def linalg_errors(self):
        """A context in which np.linalg raises LinAlgError for singular input (NumPy's does
        anyway)."""
        return contextlib.nullcontext()

    def synchronize(self, index=None):
        pass


class CupyBackend:
    """A GPU through CuPy: CuPy arrays in the memory of CUDA device `array.device.id`.

    Moving values to and from the host happens only in `to_host` and `from_host`: CuPy refuses
    to turn a GPU array into a NumPy array implicitly, so a hidden copy in an op fails loudly.
    """

    type = "cuda"

    def __init__(self, cupy, cupyx=None):
        if cupyx is None:
            import cupyx
        self.xp = cupy
        self._cupyx = cupyx
        self.array_types = (cupy.ndarray,)

    def device_index(self, array):
        return array.device.id

    def device_count(self):
        return self.xp.cuda.runtime.getDeviceCount()

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def from_host(self, array, index=None):
        with self.xp.cuda.Device(current_index if index is None else index):
            return self.xp.asarray(array)

    # the dtypes cupy.add.at adds; the others add in int64 and wrap back, as C's integers do
    _ADDS_AT = frozenset(np.dtype(t) for t in (np.int32, np.int64, np.uint32, np.uint64,
                                               np.float16, np.float32, np.float64))

    def scatter_add(self, target, index, values):
        if target.dtype in self._ADDS_AT:
            self.xp.add.at(target, index, values)
            return
        wide = target.astype(np.int64)      # bool: any nonzero sum is True, as logical or
        self.xp.add.at(wide, index, values.astype(np.int64))
        target[...] = wide.astype(target.dtype)

    def as_strided(self, array, shape, strides):
        return self.xp.lib.stride_tricks.as_strided(array, shape, strides)

    def linalg_errors(self):
        # cuSOLVER reports a singular matrix in a flag on the device; CuPy reads it (waiting
        # for the GPU, as PyTorch's CUDA linalg.inv does) only when asked to raise
        return self._cupyx.errstate(linalg="raise")

    def accumulate(self, ufunc, array, axis):
        # CuPy runs `accumulate` for add and multiply only (as cumsum and cumprod)
        if ufunc is np.add or ufunc is np.multiply:
            return ufunc.accumulate(array, axis=axis)
        return scan_by_doubling(ufunc, array, axis)

    def synchronize(self, index=None):
        with self.xp.cuda.Device(index or 0):
            self.xp.cuda.Device().synchronize()

    def seed(self, seed):
        self.xp.random.seed(seed % 2**64)

    def draw(self, kind, n, dtype, a=0.0, b=1.0):
        """`n` random values from CuPy's generator (see `_random_ops._gpu_draw`)."""
        return draw_with(self.xp.random, kind, n, dtype, a, b)


def scan_by_doubling(ufunc, array, axis):
    """`ufunc.accumulate(array, axis=axis)` for an associative `ufunc`, with whole-array
    operations only (for libraries without `accumulate`): after the step with offset s, each
    element holds the ufunc of the up to 2s elements ending at it, so log2(n) steps do it.
    Exact for maximum, minimum, logical_or/and; for logaddexp the grouping, and so the
    rounding, differs from a left-to-right pass."""
    out = array.copy()
    rows = np.moveaxis(out, axis, -1)           # a view: writing to it writes to `out`
    n, step = rows.shape[-1], 1
    while step < n:
        rows[..., step:] = ufunc(rows[..., step:], rows[..., :-step])
        step *= 2
    return out


def draw_with(random, kind, n, dtype, a=0.0, b=1.0):
    """`n` values from `random`, a generator with NumPy's RandomState interface (CuPy's
    `cupy.random` has the same): what a GPU backend's `draw` computes."""
    if kind == "uniform":
        values = random.uniform(a, b, n)
    elif kind == "normal":
        values = random.normal(a, b, n)
    elif kind == "integers":
        values = random.randint(a, b, n, dtype=np.int64)
    elif kind == "bernoulli":                 # a: the probability, a number or an array
        values = random.random_sample(n) < a
    elif kind == "exponential":               # a: the rate
        values = random.exponential(1.0 / a, n)
    elif kind == "permutation":
        values = random.permutation(n)
    else:
        raise ValueError(f"unknown distribution {kind!r}")
    return values.astype(dtype, copy=False)


CPU_BACKEND = NumpyBackend()
_by_type = {np.ndarray: CPU_BACKEND}
_cuda = None            # the GPU backend once looked for: a backend, or False when there is none
current_index = 0       # the GPU that "cuda" without an index means (`ember.cuda.set_device`)
default_device = None   # where factories put tensors when not told (`set_default_device`)


def cuda_backend():
    """The GPU backend, or None when CuPy is not installed or sees no GPU (looked for once)."""
    global _cuda
    if _cuda is None:
        _cuda = False
        try:
            import cupy
            if cupy.cuda.runtime.getDeviceCount() > 0:
                install_cuda(CupyBackend(cupy))
        except Exception:       # no CuPy, no driver, no device: all mean "no GPU here"
            pass
    return _cuda or None


def install_cuda(backend):
    """Make `backend` the one behind device "cuda" (None removes it). The tests install a
    simulated GPU this way on machines without one."""
    global _cuda
    for kind, b in list(_by_type.items()):
        if b is _cuda:
            del _by_type[kind]
    _cuda = backend or False
    if backend:
        for kind in backend.array_types:
            _by_type[kind] = backend


def of(array):
    """The backend an array belongs to."""
    b = _by_type.get(type(array))
    if b is None:
        if isinstance(array, (np.generic, bool, int, float, complex)):
            return CPU_BACKEND
        raise TypeError(f"ember cannot hold a {type(array).__module__}.{type(array).__name__}")
    return b


def accumulate(ufunc, array, axis):
    """`ufunc.accumulate(array, axis=axis)` on the array's own device."""
    return of(array).accumulate(ufunc, array, axis)


def linalg_errors(array):
    """A context in which np.linalg on `array` raises LinAlgError for singular input."""
    return of(array).linalg_errors()


def xp(array):
    """The array library of `array` (NumPy for host arrays), to make arrays beside it."""
    return np if type(array) is np.ndarray else of(array).xp


def device_of(array):
    """The `ember.device` where `array` lives."""
    if type(array) is np.ndarray:
        return _CPU
    b = of(array)
    return _device(b.type, b.device_index(array))


_CPU = _device("cpu")


def resolve(where):
    """(backend, index) for a device argument (a string, an ember.device or an int index of a
    GPU), with PyTorch's errors for a device this machine does not have."""
    if isinstance(where, _device):
        d = where
    elif isinstance(where, str):
        d = _device(where)
    elif isinstance(where, int) and not isinstance(where, bool):
        if where < 0:
            raise RuntimeError("Device index must not be negative")
        d = _device("cuda", where)
    else:
        raise TypeError(f"to() received an invalid combination of arguments - got ({where!r})")
    if d.type == "cpu":
        return CPU_BACKEND, None
    if d.type == "cuda":
        b = cuda_backend()
        if b is None:
            raise AssertionError(NOT_COMPILED)
        index = current_index if d.index is None else d.index
        if index >= b.device_count():
            raise RuntimeError("CUDA error: invalid device ordinal")
        return b, index
    raise RuntimeError(f"ember has no backend for device type {d.type!r}")


def move(array, backend, index):
    """`array` on (backend, index): the array itself when it is already there."""
    src = of(array)
    if src is backend and (backend is CPU_BACKEND or src.device_index(array) == (index or 0)):
        return array
    host = src.to_host(array)
    return backend.from_host(host, index)


def same_device(*arrays):
    """PyTorch's error when the arrays of one op live on different devices."""
    first = type(arrays[0])
    for a in arrays[1:]:
        if type(a) is not first:
            devices = [str(device_of(x)) for x in arrays]
            other = next(d for d in devices if d != devices[0])
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               f"least two devices, {devices[0]} and {other}!")

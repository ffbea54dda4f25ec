"""A simulated GPU for machines without one: arrays that behave, at the API's edges, as CuPy's do.

`DeviceArray` holds a NumPy array and pretends it lives in a GPU's memory. Like a CuPy array
it refuses every implicit trip to the host: NumPy cannot turn it into a NumPy array
(`np.asarray` raises TypeError, as with CuPy), and NumPy functions called on a mix of device
arrays and host arrays raise TypeError (CuPy's "Unsupported type <class 'numpy.ndarray'>").
Explicit transfers (`to_host` / `from_host`) and the implicit syncs CuPy allows
(`bool(a)`, `float(a)`, `a.item()`, `a.tolist()`) are counted in `TRANSFERS`, so a test can
check that a training step moves nothing to or from the device but what the program asked for.

Computation itself is NumPy's, so results on the simulated device must be bit-identical to
ember's CPU results: any difference is a device-handling bug.

`install()` plugs it into ember as the backend of device "cuda" (one simulated GPU, or as many
as `count`); `uninstall()` takes it away again.
"""
import collections
import contextlib
import types

import numpy as np

import ember._backend as backend

TRANSFERS = collections.Counter()     # "to_host", "from_host", "sync" (item/bool/float/...)

_UNSUPPORTED = "Unsupported type <class 'numpy.ndarray'>"

# ufunc methods CuPy runs: `accumulate` only for add and multiply (cumsum, cumprod), and
# `add.at` for these dtypes
_ACCUMULATES = (np.add, np.multiply)
_ADDS_AT = ("int32", "int64", "float16", "float32", "float64", "uint32", "uint64")

# functions whose result's size depends on the values: CuPy reads that size back from the
# device, so each call waits for the GPU (counted as a sync)
_SIZED_BY_VALUES = {np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.compress,
                    np.extract}


def _unwrap(value, device):
    """A NumPy argument from a device argument; TypeError for host arrays (CuPy's refusal)."""
    if type(value) is DeviceArray:
        if device[0] is None:
            device[0] = value.device_id
        elif value.device_id != device[0]:
            raise ValueError(f"Array device must be same as the current device: "
                             f"array device = {value.device_id} while current = {device[0]}")
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(_UNSUPPORTED)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, device) for k, v in value.items()}
    return value


def _uploaded(key, device_id):
    """An index (or value) for indexing: host arrays in it are uploaded, as CuPy does."""
    if isinstance(key, np.ndarray):
        TRANSFERS["from_host"] += 1
        return key
    if isinstance(key, tuple):
        return tuple(_uploaded(k, device_id) for k in key)
    return _unwrap(key, [device_id])


def _has_mask(key):
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (DeviceArray, np.ndarray)) and k.dtype == bool for k in keys)


def _wrap(value, device_id):
    if isinstance(value, np.ndarray):
        return DeviceArray(value, device_id)
    if isinstance(value, np.generic):          # CuPy has no scalars: a 0-d array instead
        return DeviceArray(np.asarray(value), device_id)
    if isinstance(value, tuple):
        return tuple(_wrap(v, device_id) for v in value)
    if isinstance(value, list):
        return [_wrap(v, device_id) for v in value]
    return value


class DeviceArray(np.lib.mixins.NDArrayOperatorsMixin):
    """An array on simulated GPU `device_id`."""

    __slots__ = ("_a", "device_id")

    def __init__(self, a, device_id=0):
        self._a = a
        self.device_id = device_id

    # -- NumPy's protocols: compute with NumPy on the unwrapped arrays ------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if getattr(np, ufunc.__name__, None) is not ufunc:
            # CuPy maps NumPy's own ufuncs to its kernels; a Python-level ufunc
            # (np.frompyfunc, np.vectorize) has no GPU counterpart
            raise TypeError(f"no GPU kernel for the ufunc {ufunc.__name__!r}")
        if method == "accumulate" and ufunc not in _ACCUMULATES:
            raise NotImplementedError(f"`cupy_{ufunc.__name__}.accumulate` is not supported yet")
        device = [None]
        args = _unwrap(inputs, device)
        out = kwargs.get("out")
        result = getattr(ufunc, method)(*args, **_unwrap(kwargs, device))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result, device[0])

    def __array_function__(self, func, types, args, kwargs):
        if func is np.lexsort and "axis" in kwargs:
            raise TypeError("lexsort() got an unexpected keyword argument 'axis'")
        if func is np.shares_memory or func in _SIZED_BY_VALUES:
            TRANSFERS["sync"] += 1          # CuPy waits for the device to learn the answer
        device = [None]
        result = func(*_unwrap(args, device), **_unwrap(kwargs, device))
        return _wrap(result, device[0])

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")

    # -- attributes and methods of the array: NumPy's, results kept on the device --------------

    def __getattr__(self, name):
        if name.startswith("__"):
            # NumPy reads memory through __array_interface__ / __array_struct__: a GPU array
            # has neither, so every implicit conversion goes through __array__ and fails
            raise AttributeError(name)
        value = getattr(self._a, name)
        if name == "nonzero":
            TRANSFERS["sync"] += 1
        if callable(value):
            def method(*args, **kwargs):
                device = [self.device_id]
                return _wrap(value(*_unwrap(args, device), **_unwrap(kwargs, device)),
                             self.device_id)
            return method
        return _wrap(value, self.device_id)

    @property
    def device(self):
        return _Device(self.device_id)

    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    @property
    def __cuda_array_interface__(self):
        # where the values live (data_ptr, storage_offset read it): the simulated device's
        # memory is the host array's
        return {"data": (self._a.__array_interface__["data"][0], False), "version": 3,
                "shape": self._a.shape, "typestr": self._a.dtype.str,
                "strides": self._a.strides}

    def get(self):
        TRANSFERS["to_host"] += 1
        return self._a.copy()

    # CuPy uploads host index arrays (and lists) and host values given to indexing itself
    def __getitem__(self, key):
        if _has_mask(key):
            TRANSFERS["sync"] += 1              # a boolean mask: the result's size is read back
        return _wrap(self._a[_uploaded(key, self.device_id)], self.device_id)

    def __setitem__(self, key, value):
        # host index arrays are uploaded; a host array as the *value* is refused (CuPy: "non-
        # scalar numpy.ndarray cannot be used for fill" for a 0-d one)
        self._a[_uploaded(key, self.device_id)] = _unwrap(value, [self.device_id])

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (DeviceArray(np.asarray(v), self.device_id) for v in self._a)

    # implicit syncs with the host, which CuPy allows and a test may want to count
    def _sync(self):
        TRANSFERS["sync"] += 1
        return self._a

    def __bool__(self):
        return bool(self._sync())

    def __float__(self):
        return float(self._sync())

    def __int__(self):
        return int(self._sync())

    def __index__(self):
        return self._sync().__index__()

    def __complex__(self):
        return complex(self._sync())

    def item(self):
        return self._sync().item()

    def tolist(self):
        return self._sync().tolist()

    def __repr__(self):
        return f"DeviceArray({self._a!r}, device={self.device_id})"


class _Device:
    def __init__(self, id):
        self.id = id


class _Namespace:
    """`xp` of the simulated device: NumPy's functions, results made on the current device."""

    def __init__(self, owner):
        self._owner = owner

    def asarray(self, array, dtype=None):
        # host data made into a device array is a copy to the device (unlike creating an
        # array from a shape and a fill value, which the device does by itself)
        if type(array) is DeviceArray:
            return array if dtype is None else array.astype(dtype)
        TRANSFERS["from_host"] += 1
        return DeviceArray(np.array(array, dtype=dtype, copy=True), self._owner.current)

    def __getattr__(self, name):
        value = getattr(np, name)
        if callable(value) and not isinstance(value, type):
            def function(*args, **kwargs):
                device = [self._owner.current]
                return _wrap(value(*_unwrap(args, device), **_unwrap(kwargs, device)),
                             device[0])
            return function
        return value


class SimulatedGPU:
    """ember's backend interface (see ember/_backend.py) over `DeviceArray`."""

    type = "cuda"
    array_types = (DeviceArray,)

    def __init__(self, count=1):
        self.count = count
        self.current = 0
        self.xp = _Namespace(self)
        self.seeds = []
        self.random = np.random.RandomState(0)

    def device_index(self, array):
        return array.device_id

    def device_count(self):
        return self.count

    def to_host(self, array):
        return array.get()

    def from_host(self, array, index=None):
        if isinstance(array, DeviceArray):
            raise TypeError("from_host expects a host array")
        TRANSFERS["from_host"] += 1
        return DeviceArray(np.array(array, copy=True), index or 0)

    def scatter_add(self, target, index, values):
        # cupy.add.at reads its index as `target[index] = values` does: host index arrays
        # are uploaded, host values refused
        np.add.at(target._a, _uploaded(index, target.device_id),
                  _unwrap(values, [target.device_id]))

    def linalg_errors(self):
        return contextlib.nullcontext()

    def accumulate(self, ufunc, array, axis):
        if ufunc in _ACCUMULATES:
            return ufunc.accumulate(array, axis=axis)
        return backend.scan_by_doubling(ufunc, array, axis)

    def as_strided(self, array, shape, strides):
        # CuPy's strided views are writable (CuPy has no read-only arrays)
        return DeviceArray(np.lib.stride_tricks.as_strided(array._a, shape, strides),
                           array.device_id)

    def synchronize(self, index=None):
        pass

    def seed(self, seed):
        self.seeds.append(seed)
        self.random = np.random.RandomState(seed % 2**32)

    def draw(self, kind, n, dtype, a=0.0, b=1.0):
        # the simulated GPU's generator: NumPy's RandomState, drawn on the device
        a = a._a if type(a) is DeviceArray else a
        return DeviceArray(backend.draw_with(self.random, kind, n, dtype, a, b), self.current)


def install(count=1, through_cupy_backend=False):
    """Plug a simulated GPU in as device "cuda". With `through_cupy_backend`, ember's own
    CuPy backend (`_backend.CupyBackend`) drives it through `FakeCupy`, so the glue code that
    a real GPU would run is exercised too."""
    gpu = SimulatedGPU(count)
    if through_cupy_backend:
        fake = FakeCupy(gpu)
        gpu = backend.CupyBackend(fake, fake.cupyx)
    backend.install_cuda(gpu)
    TRANSFERS.clear()
    return gpu


class FakeCupy(_Namespace):
    """The parts of the `cupy` module that ember's CupyBackend uses, over DeviceArray:
    NumPy's namespace with results on the device, plus `ndarray`, `asnumpy`, `asarray`,
    `cuda.Device`, `cuda.runtime.getDeviceCount`, `lib.stride_tricks.as_strided`, `add.at`
    and `random` (a RandomState whose draws land on the device); and of `cupyx`, `errstate`
    (NumPy's linalg raises anyway)."""

    def __init__(self, gpu):
        super().__init__(gpu)
        self.ndarray = DeviceArray
        fake = self

        class Device:
            def __init__(self, index=None):
                self.id = gpu.current if index is None else index

            def __enter__(self):
                self.previous, gpu.current = gpu.current, self.id
                return self

            def __exit__(self, *exc):
                gpu.current = self.previous

            def synchronize(self):
                pass

        runtime = types.SimpleNamespace(getDeviceCount=lambda: gpu.count)
        self.cuda = types.SimpleNamespace(Device=Device, runtime=runtime)
        self.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
            as_strided=lambda a, shape, strides: gpu.as_strided(a, shape, strides)))
        def add_at(target, index, values):       # cupy.add.at: the unbuffered scatter-add
            if target.dtype.name not in _ADDS_AT:
                raise TypeError(f"cupy.add.at only supports {', '.join(_ADDS_AT)} as data type")
            gpu.scatter_add(target, index, values)

        add = self.__getattr__("add")
        add.at = add_at
        self.add = add
        self.cupyx = types.SimpleNamespace(errstate=lambda **kw: contextlib.nullcontext())
        self.random = _FakeRandom(fake, gpu)

    def asnumpy(self, array):
        return array.get()



class _FakeRandom:
    """`cupy.random`: RandomState's methods, results on the current device."""

    def __init__(self, fake, gpu):
        self._gpu = gpu
        self._state = np.random.RandomState(0)

    def seed(self, seed):
        self._state = np.random.RandomState(seed % 2**32)

    def __getattr__(self, name):
        method = getattr(self._state, name)

        def draw(*args, **kwargs):
            device = [self._gpu.current]
            return _wrap(method(*_unwrap(args, device), **_unwrap(kwargs, device)), device[0])
        return draw


def uninstall():
    backend.install_cuda(None)
    backend._cuda = None          # look for a real GPU again next time


"""`ember.save` and `ember.load`, in PyTorch's file format.

A `.pt` file written by `torch.save` is a zip archive (stored, not compressed):

    archive/data.pkl                 the object, pickled (protocol 2); each tensor is a call to
                                     `torch._utils._rebuild_tensor_v2(storage, offset, size,
                                     stride, requires_grad, hooks)` whose storage is a
                                     *persistent id* ('storage', torch.FloatStorage, key,
                                     'cpu', numel) instead of the bytes themselves
    archive/.format_version          "1"
    archive/.storage_alignment       "64": each storage's bytes start at a multiple of 64
    archive/byteorder                "little"
    archive/data/<key>               each storage's raw bytes, little-endian
    archive/version                  "3"
    archive/.data/serialization_id   an id for the file

Tensors that view one storage (a slice, a transpose) share one `data/<key>` entry and keep
their offsets and strides, so views stay views after loading, in either library.

`load` reads with a restricted unpickler (PyTorch's `weights_only=True`, the default): only
tensors, storages, dtypes, containers, numbers and strings can come out of the file, never
arbitrary classes, because unpickling a class can run any code.

>>> import io, ember
>>> buffer = io.BytesIO()
>>> ember.serialization.save({"w": ember.ones(2)}, buffer)
>>> _ = buffer.seek(0)
>>> ember.serialization.load(buffer)
{'w': tensor([1., 1.])}
"""
import collections
import io
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

from . import _dtype
from . import _backend
from ._device import device as _device_cls
from ._tensor import Size, Tensor

__all__ = ["save", "load"]

# The storage class PyTorch names for each dtype (new dtypes use UntypedStorage, see below)
_STORAGE_NAMES = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage",
    "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
    "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
    "complex128": "ComplexDoubleStorage", "complex64": "ComplexFloatStorage",
}
_DTYPE_OF_STORAGE = {v: _dtype._BY_NAME[k] for k, v in _STORAGE_NAMES.items()}
# torch types ember does not have: named in errors
_UNSUPPORTED_STORAGES = {"BFloat16Storage": "bfloat16", "QInt8Storage": "qint8",
                         "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
                         "ComplexHalfStorage": "complex32"}
_ALIGNMENT = 64


# ---------------------------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------------------------

class _Global:
    """Stands for a PyTorch global (`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`,
    `torch.float32`...) that the pickle must name without ember importing torch."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):       # callable, as pickle requires of a reduce function
        raise TypeError(f"{self.module}.{self.name} is a PyTorch name written by ember.save")


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_V3 = _Global("torch._utils", "_rebuild_tensor_v3")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _Global("torch", "Size")
_TORCH_DEVICE = _Global("torch", "device")
_UNTYPED_STORAGE = _Global("torch.storage", "UntypedStorage")
_STORAGE_GLOBALS = {name: _Global("torch", name) for name in _STORAGE_NAMES.values()}
_DTYPE_GLOBALS = {d.name: _Global("torch", d.name) for d in _dtype.ALL}


class _StorageRef:
    """A storage in the pickle: written as a persistent id, its bytes go to `data/<key>`."""

    def __init__(self, key, array, dtype_name, location="cpu"):
        self.key, self.array, self.dtype_name = key, array, dtype_name
        self.location = location            # where the tensor lived: "cpu" or "cuda:N"


class _TorchPickler(pickle._Pickler):
    """Python's pickler, taught to write ember objects as the PyTorch objects they mirror."""

    def __init__(self, file, storages):
        super().__init__(file, protocol=2)
        self._storages = storages           # key -> _StorageRef, in order of first use
        self._storage_keys = {}             # id(root array) -> key
        self._keep_alive = []

    def save_global(self, obj, name=None):
        if isinstance(obj, _Global):
            # GLOBAL 'module name', memoised like any global
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def _save_dtype(self, obj, name=None):
        # ember dtypes are written as PyTorch's: GLOBAL 'torch float32'
        self.save_global(_DTYPE_GLOBALS[obj.name])

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[_Global] = save_global
    dispatch[_dtype.dtype] = _save_dtype

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            itemsize = obj.array.itemsize
            if obj.dtype_name in _STORAGE_NAMES:
                return ("storage", _STORAGE_GLOBALS[_STORAGE_NAMES[obj.dtype_name]], obj.key,
                        obj.location, obj.array.size)
            # uint16/32/64 have no typed storage class: an untyped one, sized in bytes
            return ("storage", _UNTYPED_STORAGE, obj.key, obj.location,
                    obj.array.size * itemsize)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, Size):
            return (_TORCH_SIZE, (tuple(int(s) for s in obj),))
        if isinstance(obj, _device_cls):
            return (_TORCH_DEVICE, (str(obj),))
        return NotImplemented

    def _reduce_tensor(self, t):
        array = t._data
        location = "cpu"
        if type(array) is not np.ndarray:
            # a GPU tensor: its values are written from a host copy, its device recorded
            location = str(t.device)
            array = _backend.of(array).to_host(array)
        storage, offset, strides = self._storage_of(array, location)
        dtype_name = array.dtype.name
        hooks = collections.OrderedDict()
        if dtype_name in _STORAGE_NAMES:
            rebuilt = (_REBUILD_V2, (storage, offset, tuple(array.shape), strides,
                                     bool(t.requires_grad), hooks))
        else:
            rebuilt = (_REBUILD_V3, (storage, offset, tuple(array.shape), strides,
                                     bool(t.requires_grad), hooks, _DTYPE_GLOBALS[dtype_name]))
        if type(t).__name__ == "Parameter":
            # nn.Parameter: PyTorch wraps the rebuilt tensor in _rebuild_parameter
            plain = Tensor._make(array)
            self._keep_alive.append(plain)
            return (_REBUILD_PARAMETER, (plain, bool(t.requires_grad), hooks))
        return rebuilt

    def _storage_of(self, array, location="cpu"):
        """The storage a tensor's array views, its element offset and its strides.

        Views of one NumPy array share its memory; the storage is the outermost base array of
        the same dtype, written once. Arrays that cannot be described as (offset, strides) in
        whole elements over such a base (negative strides, a reinterpreted dtype) are saved
        as a contiguous copy."""
        root = array
        while isinstance(root.base, np.ndarray) and root.base.dtype == array.dtype:
            root = root.base
        itemsize = array.itemsize
        byte_offset = (array.__array_interface__["data"][0]
                       - root.__array_interface__["data"][0])
        usable = (root.flags.c_contiguous and byte_offset % itemsize == 0
                  and all(s >= 0 and s % itemsize == 0 for s in array.strides))
        if usable:
            offset = byte_offset // itemsize
            strides = tuple(s // itemsize for s in array.strides)
        else:
            root = np.ascontiguousarray(array)
            offset = 0
            strides = tuple(s // itemsize for s in root.strides)
        key = self._storage_keys.get(id(root))
        if key is None:
            key = str(len(self._storages))
            self._storage_keys[id(root)] = key
            self._keep_alive.append(root)
            self._storages[key] = _StorageRef(key, root.reshape(-1), array.dtype.name,
                                              location)
        return self._storages[key], offset, strides


def _archive_name(f):
    if isinstance(f, (str, os.PathLike)):
        name = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        return name or "archive"
    return "archive"


def _write_record(zf, name, data):
    """Write one stored zip entry whose bytes start at a multiple of 64 in the file, padding
    the local header's extra field as PyTorch's writer does (id 'FB')."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    header_start = zf.fp.tell()
    # local header: 30 bytes + name + extra (id, size, padding)
    unpadded = header_start + 30 + len(name.encode("utf-8")) + 4
    pad = (-unpadded) % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, data)


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Save `obj` (tensors, state dicts, optimizer state dicts, containers of them, numbers,
    strings) to a path or binary file, in the format of `torch.save`: `torch.load` reads it.

    >>> import io, ember
    >>> buffer = io.BytesIO()
    >>> ember.serialization.save([ember.tensor([1, 2])], buffer)
    >>> buffer.getvalue()[:2]           # a zip archive
    b'PK'
    """
    if pickle_module is not None or pickle_protocol != 2 or not _use_new_zipfile_serialization:
        raise NotImplementedError("ember.save writes PyTorch's default format only (zip, "
                                  "pickle protocol 2)")
    storages = {}
    data = io.BytesIO()
    _TorchPickler(data, storages).dump(obj)

    name = _archive_name(f)
    opened = isinstance(f, (str, os.PathLike))
    stream = open(f, "wb") if opened else f
    try:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            _write_record(zf, f"{name}/data.pkl", data.getvalue())
            _write_record(zf, f"{name}/.format_version", b"1")
            _write_record(zf, f"{name}/.storage_alignment", b"64")
            _write_record(zf, f"{name}/byteorder", b"little")
            for key, ref in storages.items():
                array = ref.array
                if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and
                                                    sys.byteorder == "big"):
                    array = array.astype(array.dtype.newbyteorder("<"))
                _write_record(zf, f"{name}/data/{key}", np.ascontiguousarray(array).tobytes())
            _write_record(zf, f"{name}/version", b"3\n")
            _write_record(zf, f"{name}/.data/serialization_id", _serialization_id())
    finally:
        if opened:
            stream.close()


def _serialization_id():
    """40 decimal digits identifying the file (PyTorch writes a random id of this form)."""
    return str(int.from_bytes(os.urandom(16), "little")).zfill(40)[:40].encode()


# ---------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------

class _StorageType:
    """`torch.FloatStorage` and friends, as read from a pickle: only their dtype matters."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"torch.{self.name}"


class _LoadedStorage:
    """A storage read from the archive: its bytes, viewed in each tensor's dtype (one view
    per dtype, shared by all tensors on this storage, so that they stay views of one array)."""

    def __init__(self, raw, dtype, location=None):
        self.raw, self.dtype = raw, dtype       # dtype None: an UntypedStorage
        self.location = location                # None: the CPU; else (backend, index)
        self._typed = {}

    def typed(self, dt):
        if dt.np not in self._typed:
            self._typed[dt.np] = self.raw.view(dt.np)
        return self._typed[dt.np]


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                    dtype=None):
    dt = storage.dtype if dtype is None else dtype
    if dt is None:
        raise pickle.UnpicklingError("a tensor on an untyped storage needs a dtype")
    flat = storage.typed(dt)
    itemsize = flat.itemsize
    size, stride = tuple(size), tuple(stride)
    if any(n == 0 for n in size):
        # no elements: keep the strides, point at the storage's start (or at nothing)
        array = np.ndarray(size, dt.np, buffer=flat if flat.size else np.zeros(1, dt.np),
                           strides=tuple(s * itemsize for s in stride))
    else:
        needed = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if storage_offset < 0 or needed > flat.size or any(s < 0 for s in stride):
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, "
                               f"storage offset {storage_offset}, and itemsize {itemsize} "
                               f"requiring a storage size of {needed * itemsize} are out of "
                               f"bounds for storage of size {flat.size * itemsize}")
        # a view into the storage: tensors saved as views of one tensor stay views
        array = np.ndarray(size, dt.np, buffer=flat, offset=storage_offset * itemsize,
                           strides=tuple(s * itemsize for s in stride))
    if storage.location is not None:
        array = _backend.move(array, *storage.location)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    return _rebuild_tensor(storage, storage_offset, size, stride, requires_grad, backward_hooks)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    return _rebuild_tensor(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                           dtype)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    try:
        from .nn import Parameter
    except ImportError:                          # before ember.nn exists: a leaf tensor
        out = Tensor._make(data._data)
        if requires_grad:
            out.requires_grad_(True)
        return out
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    out = _rebuild_parameter(data, requires_grad, backward_hooks)
    if state:
        for k, v in (state.items() if isinstance(state, dict) else []):
            setattr(out, k, v)
    return out


def _torch_device(spec, index=None):
    from ._device import device
    return device(spec) if index is None else device(spec, index)


def _encode(text, encoding="latin1"):
    # protocol 2 pickles bytes as _codecs.encode(str, 'latin1')
    return text.encode(encoding)


def _safe_globals():
    """What a weights-only load may name, mapped to ember's equivalents (PyTorch's list)."""
    table = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "Counter"): collections.Counter,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch", "Size"): Size,
        ("torch", "device"): _torch_device,
        ("torch", "Tensor"): Tensor,
        ("_codecs", "encode"): _encode,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "complex"): complex,
        ("builtins", "bytearray"): bytearray,
        ("torch.storage", "UntypedStorage"): _StorageType("UntypedStorage", None),
        ("torch", "UntypedStorage"): _StorageType("UntypedStorage", None),
    }
    for name, dt in _DTYPE_OF_STORAGE.items():
        table[("torch", name)] = _StorageType(name, dt)
    for d in _dtype.ALL:
        table[("torch", d.name)] = d
    return table


_SAFE_GLOBALS = _safe_globals()

_UNSAFE_MESSAGE = (
    "Weights only load failed. This file can still be loaded, to do so you have two options, "
    "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. \n\t(1) "
    "Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source."
    "\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps "
    "in the following error message.\n\tWeightsUnpickler error: ")


class _ArchiveUnpickler(pickle.Unpickler):
    """Unpickles `data.pkl`, reading storages from the archive as their ids come up."""

    def __init__(self, file, archive, prefix, weights_only, map_location=None):
        super().__init__(file, encoding="utf-8")
        self._archive, self._prefix = archive, prefix
        self._weights_only = weights_only
        self._map_location = map_location
        self._loaded = {}

    def find_class(self, module, name):
        # protocol 2 writes Python 2's module names
        if module == "__builtin__":
            module = "builtins"
        key = (module, name)
        if key in _SAFE_GLOBALS:
            return _SAFE_GLOBALS[key]
        if module == "torch" and name in _UNSUPPORTED_STORAGES:
            raise pickle.UnpicklingError(f"the file holds a {_UNSUPPORTED_STORAGES[name]} "
                                         "tensor; ember has no such dtype")
        if module == "torch" and name in ("bfloat16", "complex32"):
            raise pickle.UnpicklingError(f"the file uses torch.{name}; ember has no such dtype")
        if self._weights_only:
            full_path = f"{module}.{name}"
            raise pickle.UnpicklingError(
                _UNSAFE_MESSAGE + f"Unsupported global: GLOBAL {full_path} was not an allowed "
                "global by default. Only tensors, state dicts and plain Python containers, "
                "numbers and strings can be loaded with weights_only=True; load with "
                "`weights_only=False` to allow this global if you trust this class/function.")
        if module.startswith("torch"):
            raise pickle.UnpicklingError(f"ember cannot load the PyTorch object {module}.{name}")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        typename, storage_type, key, location, numel = pid[:5]
        if typename != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {typename!r}")
        if key not in self._loaded:
            raw = self._archive.read(f"{self._prefix}data/{key}")
            self._loaded[key] = _LoadedStorage(np.frombuffer(raw, np.uint8).copy(),
                                               storage_type.dtype,
                                               _placement(location, self._map_location))
        return self._loaded[key]


def _placement(location, map_location):
    """Where a storage saved at `location` ("cpu", "cuda:0") goes: None for the CPU, else the
    (backend, index) of its device. `map_location` as in PyTorch: None keeps the saved
    device, a device or string moves everything there, a dict maps saved locations, a
    callable is not supported (everything stays on the CPU)."""
    target = location
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif isinstance(map_location, (str, _device_cls)):
        target = map_location
    elif map_location is not None:
        return None
    target = str(target)
    if target.split(":")[0] == "cpu":
        return None
    if target.startswith("cuda") and _backend.cuda_backend() is None:
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use torch.load with "
            "map_location=torch.device('cpu') to map your storages to the CPU.")
    return _backend.resolve(target)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load an object saved by `ember.save` or by `torch.save` (PyTorch's zip format).

    With `weights_only=True` (the default, as in PyTorch) only tensors, dtypes, sizes and
    plain Python data can be loaded; anything else raises `pickle.UnpicklingError` naming the
    offending class. `map_location`: None (each tensor back on the device it was saved
    from), a device ("cpu", "cuda:0"), or a dict from saved to new locations.

    >>> import io, ember
    >>> buffer = io.BytesIO()
    >>> ember.serialization.save({"step": 3}, buffer)
    >>> _ = buffer.seek(0)
    >>> ember.serialization.load(buffer, map_location="cpu")
    {'step': 3}
    """
    if pickle_module is not None:
        raise NotImplementedError("ember.load uses its own unpickler; pickle_module is not "
                                  "supported")
    opened = isinstance(f, (str, os.PathLike))
    stream = open(f, "rb") if opened else f
    try:
        if not zipfile.is_zipfile(stream):
            raise RuntimeError("ember.load reads PyTorch's zip format (torch.save's default "
                               "since PyTorch 1.6); this file is not a zip archive")
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            pkl = next((n for n in names if n.endswith("data.pkl") and n.count("/") == 1), None)
            if pkl is None:
                raise RuntimeError("the archive has no data.pkl: not a PyTorch checkpoint")
            prefix = pkl[: -len("data.pkl")]
            byteorder = prefix + "byteorder"
            if byteorder in names and archive.read(byteorder).strip() != b"little":
                raise RuntimeError("ember reads little-endian checkpoints only")
            unpickler = _ArchiveUnpickler(io.BytesIO(archive.read(pkl)), archive, prefix,
                                          weights_only, map_location)
            try:
                return unpickler.load()
            except pickle.UnpicklingError:
                raise
            except (AttributeError, TypeError, ValueError, KeyError) as e:
                if weights_only:
                    raise pickle.UnpicklingError(_UNSAFE_MESSAGE + str(e)) from None
                raise
    finally:
        if opened:
            stream.close()

"""dtypes, PyTorch's type-promotion rules and the legacy `type()` names.

Each ember dtype wraps the NumPy dtype its tensors are stored in. A tensor's dtype is never
stored separately: it is read off its array, so the two can never disagree.
"""
import numpy as np

# Categories order the kinds of number: an op mixing two categories computes in the higher one.
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, printed as PyTorch prints it (`torch.float32`).

    >>> import ember
    >>> ember.tensor([1.0]).dtype
    torch.float32
    """

    __slots__ = ("name", "np", "category", "itemsize", "tensor_type", "scalar_name",
                 "is_floating_point", "is_complex", "is_signed")

    def __init__(self, name, np_dtype, category, tensor_type):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.tensor_type = tensor_type          # the legacy class name `Tensor.type()` returns
        self.scalar_name = tensor_type[6:-6]    # 'Float', 'Long': how PyTorch's errors name it
        self.is_floating_point = category == FLOAT
        self.is_complex = category == COMPLEX
        self.is_signed = self.np.kind != "u" and self.np.kind != "b"

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float32: complex64, float64: complex128, float16: complex64}.get(self, self)


bool_ = dtype("bool", np.bool_, BOOL, "torch.BoolTensor")
uint8 = dtype("uint8", np.uint8, INT, "torch.ByteTensor")
int8 = dtype("int8", np.int8, INT, "torch.CharTensor")
# PyTorch has these three for storage and interop only: it refuses to promote them
uint16 = dtype("uint16", np.uint16, INT, "torch.UInt16Tensor")
uint32 = dtype("uint32", np.uint32, INT, "torch.UInt32Tensor")
uint64 = dtype("uint64", np.uint64, INT, "torch.UInt64Tensor")
int16 = dtype("int16", np.int16, INT, "torch.ShortTensor")
int32 = dtype("int32", np.int32, INT, "torch.IntTensor")
int64 = dtype("int64", np.int64, INT, "torch.LongTensor")
float16 = dtype("float16", np.float16, FLOAT, "torch.HalfTensor")
float32 = dtype("float32", np.float32, FLOAT, "torch.FloatTensor")
float64 = dtype("float64", np.float64, FLOAT, "torch.DoubleTensor")
complex64 = dtype("complex64", np.complex64, COMPLEX, "torch.ComplexFloatTensor")
complex128 = dtype("complex128", np.complex128, COMPLEX, "torch.ComplexDoubleTensor")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128,
       uint16, uint32, uint64)
_UNPROMOTABLE = (uint16, uint32, uint64)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_TENSOR_TYPE = {d.tensor_type: d for d in ALL}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The ember dtype stored as `np_dtype`; TypeError for one PyTorch has no tensor type for."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only supported "
            "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
            "int8, uint64, uint32, uint16, uint8, and bool.") from None


# The dtype a Python float (or a floating tensor made from Python numbers) gets.
_default_float = float32


def get_default_dtype():
    """The dtype of floating tensors made from Python numbers (float32 unless changed)."""
    return _default_float


def set_default_dtype(d):
    """Make `d` (a floating dtype) the dtype of tensors created from Python floats."""
    global _default_float
    if not isinstance(d, dtype):
        raise TypeError("invalid dtype object: only floating-point types are supported as the "
                        "default type")
    if d.category != FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def default_for_category(category):
    """The dtype a Python scalar of this category has when it decides a result's type."""
    if category == FLOAT:
        return _default_float
    if category == COMPLEX:
        return complex128 if _default_float is float64 else complex64
    return int64 if category == INT else bool_


def promote_types(a, b):
    """The smallest dtype both `a` and `b` convert to without losing their category.

    >>> import ember
    >>> ember.promote_types(ember.uint8, ember.int8)
    torch.int16
    """
    if a is b:
        return a
    if not isinstance(a, dtype) or not isinstance(b, dtype):
        a, b = _dtype_arg(a, "promote_types", "type1", 1), _dtype_arg(b, "promote_types",
                                                                      "type2", 2)
        if a is b:
            return a
    if a in _UNPROMOTABLE or b in _UNPROMOTABLE:
        # only a floating type absorbs them (uint16 + float32 is float32)
        other = b if a in _UNPROMOTABLE else a
        if other.category == FLOAT and other not in _UNPROMOTABLE:
            return other
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {a.scalar_name} and {b.scalar_name}")
    if a.category != b.category:
        high, low = (a, b) if a.category > b.category else (b, a)
        if high.category == COMPLEX and low.category == FLOAT and low.itemsize == 8:
            return complex128
        return high                         # int + float16 is float16: the float type wins
    return _BY_NP[np.promote_types(a.np, b.np)]


_PY_TYPES = {float: "float64", int: "int64", bool: "bool", complex: "complex128"}


def _dtype_arg(value, function, name, position):
    """A dtype argument as PyTorch's argument parser takes it: a dtype or a Python type."""
    if isinstance(value, dtype):
        return value
    if value in _PY_TYPES:
        return _BY_NAME[_PY_TYPES[value]]
    raise TypeError(f"{function}(): argument '{name}' (position {position}) must be torch.dtype, "
                    f"not {type(value).__name__}")


def combine_categories(higher, lower):
    """PyTorch's rule for letting a lower-priority operand (a 0-d tensor or a Python scalar)
    decide the result: it only counts when it is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category >= FLOAT:
        if higher.category == FLOAT and lower.category == COMPLEX:
            return higher.to_complex()
        return higher
    if lower.category == COMPLEX:
        return lower
    if higher is bool_ or lower.category == FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype a Python scalar takes part in type promotion with (a 'wrapped number')."""
    kind = type(value)
    if kind is float:
        return _default_float
    if kind is int:
        return int64
    if kind is bool:
        return bool_
    if kind is complex:
        return default_for_category(COMPLEX)
    if isinstance(value, np.generic):
        return scalar_dtype(value.item())
    raise TypeError(f"unsupported operand type(s) for a tensor op: 'Tensor' and '{kind.__name__}'")


def can_cast(from_, to):
    """Whether PyTorch allows casting `from_` to `to` in an in-place op or an `out=` argument:
    never to a lower category (complex to float, float to integer, anything but bool to bool).

    >>> import ember
    >>> ember.can_cast(ember.float64, ember.float16), ember.can_cast(ember.float32, ember.int64)
    (True, False)
    """
    if not isinstance(from_, dtype) or not isinstance(to, dtype):
        from_ = _dtype_arg(from_, "can_cast", "from_", 1)
        to = _dtype_arg(to, "can_cast", "to", 2)
    return from_.category <= to.category


# -- finfo / iinfo -------------------------------------------------------------------------------


class finfo:
    """Machine limits of a floating dtype (`ember.finfo(ember.float32).eps`), as PyTorch's.

    >>> import ember
    >>> ember.finfo(ember.float16)
    finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)
    """

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):
        if type is None:
            type = get_default_dtype()
        d = _dtype_arg(type, "finfo", "type", 1)
        if d.category == COMPLEX:
            d = d.to_real()
        if d.category != FLOAT:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        info = np.finfo(d.np)
        set_ = object.__setattr__
        set_(self, "bits", int(info.bits))
        set_(self, "eps", float(info.eps))
        set_(self, "max", float(info.max))
        set_(self, "min", float(info.min))
        set_(self, "tiny", float(info.smallest_normal))
        set_(self, "smallest_normal", float(info.smallest_normal))
        set_(self, "resolution", 10.0 ** -int(info.precision))
        set_(self, "dtype", d.name)

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.finfo' objects is not writable")

    def __eq__(self, other):
        if not isinstance(other, finfo):
            return False
        return all(getattr(self, a) == getattr(other, a) for a in self.__slots__)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype (`ember.iinfo(ember.int32).max`), as PyTorch's.

    >>> import ember
    >>> ember.iinfo(ember.uint8)
    iinfo(min=0, max=255, dtype=uint8)
    """

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):
        d = _dtype_arg(type, "iinfo", "type", 1)
        if d is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.category != INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(d.np)
        set_ = object.__setattr__
        set_(self, "bits", int(info.bits))
        set_(self, "max", int(info.max))
        set_(self, "min", int(info.min))
        set_(self, "dtype", d.name)

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.iinfo' objects is not writable")

    def __eq__(self, other):
        if not isinstance(other, iinfo):
            return False
        return all(getattr(self, a) == getattr(other, a) for a in self.__slots__)

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


ALIASES = {
    "bool": bool_, "uint8": uint8, "int8": int8, "int16": int16, "short": int16,
    "int32": int32, "int": int32, "int64": int64, "uint16": uint16, "uint32": uint32,
    "uint64": uint64, "long": int64, "float16": float16,
    "half": float16, "float32": float32, "float": float32, "float64": float64,
    "double": float64, "complex64": complex64, "cfloat": complex64, "complex128": complex128,
    "cdouble": complex128,
}


def to_dtype(d):
    """Accept an ember dtype, a Python type (`float`, `int`, `bool`) or a NumPy dtype."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d
        if name in ALIASES:
            return ALIASES[name]
        if d in _BY_TENSOR_TYPE:
            return _BY_TENSOR_TYPE[d]
    try:
        return _BY_NP[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"invalid dtype: {d!r}") from None

"""`make_tensor`: a random tensor drawn from the default generator the way PyTorch draws it
(`uniform_` for floating dtypes, `randint` for integral and bool), so the same seed gives the
same values."""
import functools
import math
import warnings



def _dtype_sets():
    import ember
    integral = [ember.uint8, ember.int8, ember.int16, ember.int32, ember.int64]
    for name in ("uint16", "uint32", "uint64"):
        if hasattr(ember, name):
            integral.append(getattr(ember, name))
    floating = [getattr(ember, n) for n in ("float16", "bfloat16", "float32", "float64")
                if hasattr(ember, n)]
    complex_ = [getattr(ember, n) for n in ("complex64", "complex128") if hasattr(ember, n)]
    return integral, floating, complex_


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of `shape` filled with values drawn uniformly from `[low, high)` (defaults by
    dtype: floats `[-9, 9)`, signed ints `[-9, 10)`, unsigned `[0, 10)`, bool `[0, 2)`).

    >>> import ember
    >>> _ = ember.manual_seed(0)
    >>> make_tensor((3,), dtype=ember.float32, device="cpu", low=-1, high=1)
    tensor([-0.0075,  0.5364, -0.8230])
    """
    import ember
    integral, floating, complex_ = _dtype_sets()
    float_or_complex = floating + complex_
    bool_or_integral = [ember.bool] + integral

    def modify_low_high(low, high, *, lowest_inclusive, highest_exclusive, default_low,
                        default_high):
        low = default_low if low is None else low
        high = default_high if high is None else high
        if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
        elif low == high and dtype in float_or_complex:
            warnings.warn(
                "Passing `low==high` to `torch.testing.make_tensor` for floating or complex types "
                "is deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                FutureWarning, stacklevel=3)
        elif low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        elif high < lowest_inclusive or low >= highest_exclusive:
            raise ValueError(
                f"The value interval specified by `low` and `high` is [{low}, {high}), "
                f"but {dtype} only supports [{lowest_inclusive}, {highest_exclusive})")
        low = min(max(low, lowest_inclusive), highest_exclusive)
        high = min(max(high, lowest_inclusive), highest_exclusive)
        if dtype in bool_or_integral:
            return math.ceil(low), math.ceil(high)
        return low, high

    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(
            f"The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
            f"but got noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and dtype in bool_or_integral:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and functools.reduce(lambda x, y: x * y, shape, 1) > 1
    if noncontiguous:
        # twice as wide, then every other column from 1: also catches offset bugs
        shape = (*shape[:-1], 2 * shape[-1])

    if dtype is ember.bool:
        low, high = modify_low_high(low, high, lowest_inclusive=0, highest_exclusive=2,
                                    default_low=0, default_high=2)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in integral:
        info = ember.iinfo(dtype)
        # randint works in int64, so int64's own maximum cannot be drawn
        low, high = modify_low_high(low, high, lowest_inclusive=info.min,
                                    highest_exclusive=info.max + (dtype is not ember.int64),
                                    default_low=-9, default_high=10)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in float_or_complex:
        info = ember.finfo(dtype)
        low, high = modify_low_high(low, high, lowest_inclusive=info.min,
                                    highest_exclusive=info.max, default_low=-9,
                                    default_high=9)
        # complex: PyTorch fills the (real, imag) pairs of view_as_real in memory order
        part = {ember.complex64: ember.float32, ember.complex128: ember.float64}.get(dtype)
        target = ember.empty((*shape, 2) if part else shape, device=device, dtype=part or dtype)
        if high - low >= ember.finfo(target.dtype).max:
            # uniform_ needs high - low to be finite: draw half the range, then double
            target.uniform_(low / 2, high / 2).mul_(2)
        else:
            target.uniform_(low, high)
        result = ember.complex(target[..., 0], target[..., 1]) if part else target
    else:
        raise TypeError(
            f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor()."
            " To request support, file an issue at: https://github.com/pytorch/pytorch/issues")

    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if dtype in bool_or_integral else ember.finfo(dtype).tiny
    if dtype in float_or_complex:
        result.requires_grad = requires_grad
    return result



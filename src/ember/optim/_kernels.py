"""PyTorch's CPU arithmetic for optimizer updates, on NumPy arrays, rounding as PyTorch rounds.

An optimizer update is a handful of in-place tensor ops (`add_`, `mul_`, `addcmul_`,
`addcdiv_`, `lerp_`, ...). To leave the parameters bit-identical to PyTorch's after many steps,
each op here rounds exactly where PyTorch's CPU kernel rounds. What that takes (measured against
torch 2.13 on x86-64 with AVX2, and read off ATen's kernels):

- A Python-number argument (`alpha`, `value`, `weight`) is first rounded to the tensor's dtype.
- `x.add_(y, alpha=a)` is a fused multiply-add, `fma(y, a, x)`: `a * y + x` with ONE rounding.
  So are `x.addcmul_(t1, t2, value=v)` = `fma(v * t1, t2, x)` and `lerp_` (see `lerp_`).
  NumPy has no fma, so `fma` below computes in float64, where the product of two float32
  numbers is exact, then rounds once to float32 (with a fix for the rare double rounding).
- `x.addcdiv_(t1, t2, value=v)` is `x + (v * t1) / t2`, every op rounded (no fma).
- `mul_`, `div`, `add_` of a number, `maximum`, `abs`, `sign`, `clamp` are the plain IEEE ops.
- `sqrt` is the one op ember cannot match everywhere: PyTorch computes it with Intel MKL's
  vector library, which on some CPUs (AMD, for one) is off by up to 0.75 ulp. ember uses the
  correctly rounded `np.sqrt`, so optimizers that take square roots (Adam, AdamW, RMSprop,
  Adagrad, Adadelta) can differ from PyTorch in the last bit of some elements.

All functions work in place on their first argument (like PyTorch's trailing-underscore ops) and
return it. float64 arrays use `np.longdouble` for the fma where it is wider than float64
(x86's 80-bit format), which is exact except in astronomically rare cases.

The cost of exactness: emulating one fma through float64 takes about four passes over memory
where `x -= lr * g` in float32 takes two, so an SGD step is a few times slower than the
hand-written NumPy update (still a small part of a training step).
"""
import numpy as np

from .. import _backend
from .._fma import round_to_odd, two_sum_err

# Low 29 bits of a float64's mantissa are what float32 drops; this pattern is exactly halfway.
_LOW29 = np.uint64(0x1FFFFFFF)
_HALF29 = np.uint64(0x10000000)
_LONG_IS_WIDER = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant

# Scratch buffers, grown as needed and reused: allocating fresh float64 arrays for every
# parameter on every step costs more than the arithmetic itself.
_scratch = {}


def _buffer(n, dtype, like):
    """A scratch array of `n` elements on the device of `like` (one buffer per device kind)."""
    xp = _backend.xp(like)
    buf = _scratch.get((xp, dtype))
    if buf is None or buf.size < n:
        buf = xp.empty(max(n, 2 * (0 if buf is None else buf.size)), dtype)
        _scratch[(xp, dtype)] = buf
    return buf[:n]


def _scratch64(n, like):
    return _buffer(n, np.float64, like)


def scalar(value, array):
    """A Python number rounded to the array's dtype, as ATen converts a Scalar argument."""
    return array.dtype.type(value)


def fma(a, b, c, out):
    """`out = a * b + c` rounded once (PyTorch's vectorised `fmadd`); `b` may be a number.

    >>> import numpy as np
    >>> x = np.float32([1.0]); fma(np.float32([3.0]), np.float32(0.5), x, x)
    array([2.5], dtype=float32)
    """
    dt = out.dtype
    if dt == np.float32:
        n = out.size
        s = _scratch64(n, out).reshape(out.shape)
        if np.ndim(b) == 0 and s.shape == np.shape(a):
            # widen first, then multiply float64 by float64: the same exact product, and
            # NumPy's two plain loops beat its casting multiply loop (~10% of the fma)
            np.copyto(s, a)
            np.multiply(s, np.float64(b), out=s)
        else:
            np.multiply(a, np.float64(b) if np.ndim(b) == 0 else b, out=s, dtype=np.float64)
        if np.ndim(c) == 0:
            s += np.float64(c)
        else:
            np.add(s, c, out=s, dtype=np.float64)
        if type(s) is np.ndarray:
            # (on a GPU the halfway test would stop the device for every parameter: GPU
            # updates may differ from a fused multiply-add in the last bit, very rarely)
            _fix_double_rounding(s, a, b, c)
        np.copyto(out, s, casting="unsafe")
        return out
    if dt == np.float64 and _LONG_IS_WIDER and type(out) is np.ndarray:
        wide = np.multiply(a, np.longdouble(b) if np.ndim(b) == 0 else b, dtype=np.longdouble)
        wide += c
        np.copyto(out, wide, casting="unsafe")
        return out
    # float16 (PyTorch computes in float32, then rounds): float64 is exact enough here
    np.copyto(out, np.multiply(a, b, dtype=np.float64) + c, casting="unsafe")
    return out


def _fix_double_rounding(s, a, b, c):
    """`s` holds `a*b + c` rounded to float64; rounding it again to float32 is wrong only when
    `s` fell exactly halfway between two float32 numbers while the exact sum did not. Find those
    elements (a bit test on the mantissa) and nudge them toward the exact value."""
    flat = s.reshape(-1)
    low_bits = np.bitwise_and(flat.view(np.uint64), _LOW29,
                              out=_buffer(flat.size, np.uint64, flat))
    is_halfway = np.equal(low_bits, _HALF29, out=_buffer(flat.size, np.bool_, flat))
    if not is_halfway.any():
        return
    halfway = np.flatnonzero(is_halfway)
    av = np.broadcast_to(a, s.shape).reshape(-1)[halfway].astype(np.float64)
    bv = np.broadcast_to(b, s.shape).reshape(-1)[halfway].astype(np.float64)
    cv = np.broadcast_to(c, s.shape).reshape(-1)[halfway].astype(np.float64)
    product = av * bv                                   # exact: 24 + 24 bits fit in 53
    total = flat[halfway]
    # the sum rounded to odd instead: off the halfway point, towards the exact value, so the
    # final rounding to float32 is the fused one (see ember/_fma.py)
    flat[halfway] = round_to_odd(total, two_sum_err(product, cv, total))


def add_(x, y, alpha=1):
    """PyTorch's `x.add_(y, alpha=alpha)`: `x + alpha * y` with a single rounding."""
    if alpha == 1:
        return np.add(x, y, out=x)
    return fma(y, scalar(alpha, x), x, x)


def added(x, y, alpha=1):
    """PyTorch's out-of-place `x.add(y, alpha=alpha)`."""
    out = np.empty_like(x)
    if alpha == 1:
        return np.add(x, y, out=out)
    return fma(y, scalar(alpha, x), x, out)


def mul_(x, value):
    """`x.mul_(value)` for a number or an array."""
    return np.multiply(x, scalar(value, x) if np.ndim(value) == 0 else value, out=x)


def addcmul_(x, t1, t2, value=1, out=None):
    """`x.addcmul_(t1, t2, value=value)`: `fma(value * t1, t2, x)`."""
    out = x if out is None else out
    v = scalar(value, x)
    first = t1 if v == 1 else (t1 * v if v != -1 else np.negative(t1))
    return fma(first, t2, x, out)


def addcdiv_(x, t1, t2, value=1):
    """`x.addcdiv_(t1, t2, value=value)`: `x + (value * t1) / t2`, each op rounded."""
    v = scalar(value, x)
    q = np.multiply(t1, v, out=np.empty_like(x))
    np.divide(q, t2, out=q)
    return np.add(x, q, out=x)


def lerp_(x, end, weight):
    """`x.lerp_(end, weight)` with a number weight, as ATen's vectorised kernel computes it:
    `fma(w, end - x, x)` for |w| < 0.5, else `fma(w - 1, end - x, end)` (exact at w = 1)."""
    w = scalar(weight, x)
    diff = end - x
    if abs(w) < 0.5:
        return fma(diff, w, x, x)
    return fma(diff, w - x.dtype.type(1), end, x)


def sqrt(x):
    """`x.sqrt()` (correctly rounded; see the module docstring for PyTorch's MKL difference)."""
    return np.sqrt(x, out=np.empty_like(x))


def neg(x):
    """`-x` as a new array (NumPy would give a scalar for a 0-d array)."""
    return np.negative(x, out=np.empty_like(x))

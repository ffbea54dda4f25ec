"""`a * b + c` rounded once: the fused multiply-add PyTorch's CPU kernels compile to.

PyTorch's vectorised CPU kernels (arange, linspace, lerp, addcmul, cross, the normal and
uniform distributions, ...) are built with FMA contraction, so `a * b + c` there is rounded
once, not twice. NumPy has no fused multiply-add; these functions compute its result exactly,
on host and device arrays alike:

- `fma32`, float32: the product of two float32 values is exact in double, so the double sum
  is a*b + c rounded once to 53 bits, and rounding that to float32 is right, except when it
  lands exactly halfway between two float32 numbers or below float32's normal range. Those
  rare lanes are redone with the sum rounded to odd, which makes the second rounding exact
  (Boldo & Melquiond).
- `fma64`, float64: Dekker's exact product and Knuth's exact sum, their low parts added with
  rounding to odd, then one final rounding. Lanes of extreme magnitude, where Dekker's split
  overflows or its error terms underflow, are redone in exact rational arithmetic.

The optimizers' in-place step (ember/optim/_kernels.py `fma`) is the same float32 method over
reused scratch buffers, with the repair done by `round_to_odd` from here.

>>> import numpy as np
>>> float(fma32(np.float32(0.1), np.float32(10.0), np.float32(-1.0)))   # not 0.0
1.4901161193847656e-08
"""
import math
from fractions import Fraction

import numpy as np

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)

_SPLITTER = 134217729.0                 # 2**27 + 1: Veltkamp's split of a double in halves
_LOW29 = np.int64(0x1FFFFFFF)           # the 29 bits a double has beyond a float32
_MID29 = np.int64(0x10000000)           # ... and their value at a float32 halfway point
_FLT_MIN = 2.0 ** -126                  # the smallest normal float32
_FMA_HIGH = 2.0 ** 995                  # above: Dekker's split overflows
_FMA_LOW = 2.0 ** -960                  # below: its error terms lose bits to underflow


def _on_host(array):
    return isinstance(array, (np.ndarray, np.generic))


def two_sum_err(a, b, s):
    """The exact error of `s = RN(a + b)`: a + b == s + err (Knuth's TwoSum)."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def round_to_odd(s, err):
    """Given s = RN(x) and err = x - s exactly: the double nearest x with an odd last bit
    when x is not a double (x rounded to odd), else s."""
    fix = (err != 0) & ((s.view(np.int64) & 1) == 0)
    toward = np.where(err > 0, np.inf, -np.inf)
    if not _on_host(s):                 # (on a device: no asking which lanes, it would wait)
        return np.where(fix, np.nextafter(s, toward), s)
    if fix.any():
        s = s.copy()
        s[fix] = np.nextafter(s[fix], toward[fix])
    return s


def _as(values, dtype):
    """`values` (an array on any device, or a number) as `dtype`."""
    return values.astype(dtype, copy=False) if hasattr(values, "astype") else dtype.type(values)


def fma32(a, b, c):
    """RN32(a*b + c) for float32 values (arrays or numbers; numbers are rounded to float32
    first), rounded once as a hardware FMA rounds it."""
    a, b, c = _as(a, F32), _as(b, F32), _as(c, F32)
    p = np.multiply(a, b, dtype=F64)    # exact: 24-bit times 24-bit significands fit 53 bits
    p, c64 = np.broadcast_arrays(p, _as(c, F64))
    s = p + c64
    bad = ((s.view(np.int64) & _LOW29) == _MID29) | (np.abs(s) < _FLT_MIN)
    if not _on_host(s):
        s = np.where(bad, round_to_odd(s, two_sum_err(p, c64, s)), s)
    elif bad.any():
        idx = np.nonzero(bad)
        part = s[idx]
        s = s.copy()
        s[idx] = round_to_odd(part, two_sum_err(p[idx], c64[idx], part))
    return s.astype(F32)


def fma64(a, b, c):
    """RN64(a*b + c) for doubles (arrays or numbers), rounded once."""
    a, b, c = np.broadcast_arrays(_as(a, F64), _as(b, F64), _as(c, F64))
    p = a * b
    t = _SPLITTER * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLITTER * b
    bh = t - (t - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl        # a*b == p + e exactly
    th = c + p
    tl = two_sum_err(c, p, th)                                # c + p == th + tl exactly
    v = tl + e
    if _on_host(v):
        v = round_to_odd(np.atleast_1d(v), np.atleast_1d(two_sum_err(tl, e, v))).reshape(v.shape)
    else:
        v = round_to_odd(v, two_sum_err(tl, e, v))
    z = th + v
    z = np.where(z == 0, p + c, z)      # an exact zero takes the sign of RN(p + c)
    extreme = ~(np.abs(p) < _FMA_HIGH) | ~(np.abs(c) < _FMA_HIGH) | (
        (np.abs(p) < _FMA_LOW) & (a != 0) & (b != 0))
    extreme |= ~(np.abs(a) < _FMA_HIGH) | ~(np.abs(b) < _FMA_HIGH)
    if not _on_host(z):
        # (a device keeps its lanes: astronomically large or tiny arguments get the plain,
        # twice-rounded result rather than a wait for the device and a trip to the host)
        return np.where(extreme, p + c, z)
    if extreme.any():
        z = np.array(z, dtype=F64)
        flat, fa, fb, fc = z.reshape(-1), a.reshape(-1), b.reshape(-1), c.reshape(-1)
        for i in np.flatnonzero(extreme).tolist():
            flat[i] = fma_exact(float(fa[i]), float(fb[i]), float(fc[i]))
    return z


def fma_exact(a, b, c):
    """a*b + c rounded once, in exact rational arithmetic (the slow path of `fma64`)."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c                          # inf/nan: no rounding question
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return a * b + c                          # the sign of an exact zero: RN(a*b + c)'s
    try:
        return float(exact)                       # Fraction -> float rounds correctly
    except OverflowError:
        return math.inf if exact > 0 else -math.inf

"""Random sampling that reproduces PyTorch's CPU kernels bit for bit.

Every sampler here draws its words from an `ember.random.Generator` (the default one unless
`generator=` is given) in exactly the order and amount PyTorch's CPU kernels do, and turns them
into values with the same floating-point operations, so that `ember.manual_seed(s)` followed by
the same calls gives the same bits as `torch.manual_seed(s)`. The algorithms are those of the
specification `pytorch-cpu-rng.md` (torch 2.13, x86-64 Linux, AVX2 kernels), written here in
NumPy:

- outputs are filled one element after another in memory order (a non-contiguous tensor in the
  order PyTorch's TensorIterator visits it: storage order);
- uniforms: `U24 = (w & 0xFFFFFF) * 2**-24` from one word (float32, float16), or
  `U53 = (d & (2**53-1)) * 2**-53` from a 64-bit draw of two words (float64); `uniform_(a, b)`
  is the fused `a + x*(b-a)`, with a value equal to `b` replaced by `a`;
- normals: tensors with at least 16 elements that are contiguous use PyTorch's block
  Box-Muller (float32: the AVX2 kernel, whose single-precision `log` and `sincos` are emulated
  operation by operation below; float64: the C library's `log`, `cos`, `sin` through `math`);
  smaller or non-contiguous tensors use the scalar Box-Muller in double with the generator's
  cached spare value. float16 (not in the specification; found by experiment against torch
  2.13): ceil(n/16)*16 float32 uniforms go through the float32 AVX2 kernel, the last block's
  results overwrite the last 16 outputs, and the values are rounded to float16;
- integers: `(draw mod range) + low`, with a 64-bit draw once the range reaches 2**28;
- `randperm`: the forward Fisher-Yates shuffle, `perm[i] <-> perm[i + w_i mod (n - i)]`.

Where PyTorch itself depends on the build (non-AVX2 CPUs, other platforms' libm), ember
reproduces the x86-64 Linux AVX2 wheel: see `ember.random` and the specification's section 11.

Exactness of the float emulation: NumPy has no fused multiply-add; `fma32` and `fma64`
(ember/_fma.py) compute it exactly.
Inside the AVX2 `log`/`sincos` the unrepaired double-then-float rounding is used: its inputs
come from 2**24 possible uniforms only, and it was checked against the repaired version on
every one of them (see tests/test_random.py, `test_fast_fma_exhaustive`).
"""
import math
import threading
import warnings
from fractions import Fraction

import numpy as np

from . import _dtype
from . import _backend
from ._tensor import _C_NAMES as _CPP_TYPE_NAMES, Tensor
from .autograd import grad_mode, no_grad
from .autograd.graph import Node
from .ops._util import upload_like
from .ops.inplace import inplace
from .random import _get
from ._fma import fma32, fma64

F16 = np.dtype(np.float16)
F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
C64 = np.dtype(np.complex64)
C128 = np.dtype(np.complex128)
I64 = np.dtype(np.int64)

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_TWO_PI_D = 6.283185307179586            # the double nearest 2*pi, as PyTorch's kernels use
_RANDPERM_SMALL = 214748364              # floor((2**32 - 1) / 20): above it, the 64-bit shuffle

# ================================================================================================
# Exact float32 / float64 fused multiply-add (ember/_fma.py)
# ================================================================================================

def _sum_is_exact(width_a, b, c):
    """Whether x*b + c is exact in double for every float32 x with at most `width_a`
    significant bits below 1 (x = k * 2**-width_a, k < 2**width_a) and float32 numbers b, c:
    then rounding the double sum to float32 is the fused result."""
    b, c = float(b), float(c)
    if b == 0 or c == 0:
        return True
    top_b, top_c = math.frexp(b)[1], math.frexp(c)[1]
    low_b = max(top_b - 24, -149) - width_a
    low_c = max(top_c - 24, -149)
    return max(top_b, top_c) + 1 - min(low_b, low_c) <= 53


# ================================================================================================
# The AVX2 float32 normal kernel: Box-Muller on blocks of 16 with single-precision log and
# sincos (Pommier and Garberoglio's avx_mathfun, as GCC compiled it with FMA contraction)
# ================================================================================================

def _f32_const(bits):
    return float(np.array(bits, np.uint32).view(np.float32))


_LOG_P = [_f32_const(b) for b in (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF,
                                  0xBE2AAE50, 0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)]
_LOG_Q1 = np.float32(_f32_const(0xB95E8083))
_LOG_Q2 = _f32_const(0x3F318000)
_SQRTHF = np.float32(_f32_const(0x3F3504F3))
_TWO_PI_F = np.float32(_f32_const(0x40C90FDB))
_FOPI = np.float32(_f32_const(0x3FA2F983))
_DP = [_f32_const(b) for b in (0xBF490000, 0xB97DA000, 0xB3222169)]
_COS_C = [_f32_const(b) for b in (0x37CCF5CE, 0xBAB6061A, 0x3D2AAAA5)]
_SIN_C = [_f32_const(b) for b in (0xB94CA1F9, 0x3C08839E, 0xBE2AAAA3)]
_ONE = np.float32(1)
_HALF = np.float32(0.5)
_MANT_MASK = np.int32(-0x7F800001)                # 0x807FFFFF
_HALF_BITS = np.int32(0x3F000000)


def _fma_double_rounded(a, b, c, t, out):
    """out = RN32(RN64(a*b + c)) for float32 values a, b, c (arrays or exact Python floats):
    the product is exact in double, and for this kernel's inputs rounding the double sum to
    float32 equals the fused operation (see the module docstring). `t` is float64 scratch."""
    np.multiply(a, b, out=t, dtype=F64)
    np.add(t, c, out=out, dtype=F64, casting="same_kind")
    return out


def _log_ps(x, fma=_fma_double_rounded):
    """The AVX2 single-precision log of float32 values in (0, 1] (spec steps L1-L12)."""
    n = x.shape[0]
    t = np.empty(n, F64)
    bits = x.view(np.int32)
    e = (bits >> 23).astype(F32)
    e -= np.float32(126)                          # float32(exponent - 127) + 1, exactly
    m = ((bits & _MANT_MASK) | _HALF_BITS).view(F32)
    mask = m < _SQRTHF
    xr = m - _ONE
    np.add(xr, m, out=xr, where=mask)
    e -= mask
    z = xr * xr
    y = np.empty(n, F32)
    fma(xr, _LOG_P[0], _LOG_P[1], t, y)
    for k in range(2, 9):
        fma(y, xr, _LOG_P[k], t, y)
    y *= xr
    fma(y, z, e * _LOG_Q1, t, y)
    y -= z * _HALF
    xr += y
    return fma(e, _LOG_Q2, xr, t, y)


def _sincos_ps(theta, fma=_fma_double_rounded):
    """The AVX2 single-precision sincos of float32 values >= 0 (spec steps S1-S9)."""
    n = theta.shape[0]
    t = np.empty(n, F64)
    j = (theta * _FOPI).astype(np.int32)
    j += 1
    j &= np.int32(~1)
    y = j.astype(F32)
    sgn_s = (j & 4) << 29
    sgn_c = (~(j - 2) & 4) << 29
    sel = (j & 2) == 0
    r = np.empty(n, F32)
    fma(y, _DP[0], theta, t, r)
    fma(y, _DP[1], r, t, r)
    fma(y, _DP[2], r, t, r)
    z = r * r
    c = np.empty(n, F32)
    fma(z, _COS_C[0], _COS_C[1], t, c)
    fma(c, z, _COS_C[2], t, c)
    c *= z
    fma(z, c, -(z * _HALF), t, c)
    c += _ONE
    s = np.empty(n, F32)
    fma(z, _SIN_C[0], _SIN_C[1], t, s)
    fma(s, z, _SIN_C[2], t, s)
    s *= z
    fma(r, s, r, t, s)
    sin = np.where(sel, s, c)
    cos = np.where(sel, c, s)
    sin.view(np.int32)[...] ^= sgn_s
    cos.view(np.int32)[...] ^= sgn_c
    return sin, cos


# -- the fast kernel: the same operations, fewer and cheaper NumPy passes -------------------------
#
# `_log_ps` and `_sincos_ps` above follow the specification step by step; the sampler runs the
# version below, which gives the same bits on every one of the 2**24 possible inputs
# (tests/test_random.py, `test_fast_kernel_matches_the_reference`) and differs in three ways:
# - an FMA whose product is exact in float32 (`e*Q2`, `y*DP0`, `y*DP1`: a small integer times
#   a constant with few significant bits) is a float32 multiply and add, rounded once anyway;
# - the remaining FMAs multiply in float64 (exact) and round the sum to float32 once, as
#   `_fma_double_rounded` does;
# - everything runs in preallocated arrays, `_LANES` lanes at a time, so that no pass
#   allocates: a fresh array above 128 KiB is new pages from the kernel each time, and those
#   page faults cost more than the arithmetic.

_LANES = 16384                                    # lanes per pass (log and sincos: 8 per block)
_THETA_STEP = np.float32(float(_TWO_PI_F) * 2.0 ** -24)   # 2pi_f * U24 == k * this, exactly
_DP0, _DP1 = np.float32(_DP[0]), np.float32(_DP[1])
_LOG_Q2_F = np.float32(_LOG_Q2)
_MINUS_TWO = np.float32(-2)
_LOG_OFFSET = 0x3F800000 - 0x3F3504F3             # moves mantissas >= sqrt(1/2) up one binade


class _Scratch(threading.local):
    """Per-thread arrays of `_LANES` lanes, reused by every call of the float32 kernel."""

    def __init__(self):
        n = _LANES
        self.words = np.empty(16 * (n // 8), np.uint32)
        self.split = np.empty(2 * n, np.uint32)
        self.ints = [np.empty(n, np.int32) for _ in range(2)]
        self.f32 = [np.empty(n, F32) for _ in range(8)]
        self.f64 = [np.empty(n, F64) for _ in range(2)]
        self.res = np.empty(2 * n, F32)


_scratch = _Scratch()


def _log_radius_lanes(k, s):
    """sqrt(-2 * log_ps(1 - k * 2**-24)) for the masked words k (int32, overwritten)."""
    L = k.shape[0]
    x, e, z, y, tmp = (a[:L] for a in s.f32[:5])
    ei = s.ints[0][:L]
    x64, t = s.f64[0][:L], s.f64[1][:L]
    np.subtract(1 << 24, k, out=k)                # x = (2**24 - k) * 2**-24, exactly
    np.copyto(x, k, casting="unsafe")
    x *= np.float32(2.0 ** -24)
    # steps L1-L4 on the bits: e and the mantissa m reduced to [sqrt(1/2), sqrt(2)) at once
    ix = k
    np.add(x.view(np.int32), _LOG_OFFSET, out=ix)
    np.right_shift(ix, 23, out=ei)
    ei -= 127
    np.copyto(e, ei, casting="unsafe")
    np.bitwise_and(ix, 0x7FFFFF, out=ix)
    ix += 0x3F3504F3
    xr = x
    np.subtract(ix.view(F32), _ONE, out=xr)
    np.multiply(xr, xr, out=z)
    np.copyto(x64, xr)
    np.multiply(x64, _LOG_P[0], out=t)            # Horner, steps L5-L6
    np.add(t, _LOG_P[1], out=y, casting="same_kind")
    for p in _LOG_P[2:]:
        np.multiply(y, x64, out=t)
        np.add(t, p, out=y, casting="same_kind")
    y *= xr
    np.multiply(e, _LOG_Q1, out=tmp)              # L7: fma(y, z, e*Q1)
    np.multiply(y, z, out=t, dtype=F64)
    np.add(t, tmp, out=y, casting="same_kind")
    np.multiply(z, _HALF, out=tmp)
    y -= tmp
    xr += y
    e *= _LOG_Q2_F                                # exact: |e| <= 24, Q2 has 9 bits
    e += xr
    e *= _MINUS_TWO
    return np.sqrt(e, out=e)


def _sincos_lanes(k, s):
    """(sin, cos) of 2pi_f * (k * 2**-24) for the masked words k (int32), as sincos_ps."""
    L = k.shape[0]
    th, r, z, c, sn, tmp = (a[:L] for a in s.f32[2:8])
    j, ti = s.ints[0][:L], s.ints[1][:L]
    z64, t = s.f64[0][:L], s.f64[1][:L]
    np.copyto(th, k, casting="unsafe")
    th *= _THETA_STEP
    np.multiply(th, _FOPI, out=tmp)               # S1: the octant
    np.copyto(j, tmp, casting="unsafe")           # truncation, as cvttps2dq
    j += 1
    j &= ~1
    yv = tmp
    np.copyto(yv, j, casting="unsafe")
    np.multiply(yv, _DP0, out=r)                  # S2: y is 0, 2, 4, 6 or 8, so y*DP0 and
    r += th                                       # y*DP1 are exact in float32
    np.multiply(yv, _DP1, out=th)
    r += th
    np.multiply(yv, _DP[2], out=t, dtype=F64)
    np.add(t, r, out=r, casting="same_kind")
    np.multiply(r, r, out=z)
    np.copyto(z64, z)
    np.multiply(z64, _COS_C[0], out=t)            # S3: the cosine polynomial
    np.add(t, _COS_C[1], out=c, casting="same_kind")
    np.multiply(c, z64, out=t)
    np.add(t, _COS_C[2], out=c, casting="same_kind")
    c *= z
    np.multiply(c, z64, out=t)
    np.multiply(z, _HALF, out=th)
    np.subtract(t, th, out=c, casting="same_kind")
    c += _ONE
    np.multiply(z64, _SIN_C[0], out=t)            # S4: the sine polynomial
    np.add(t, _SIN_C[1], out=sn, casting="same_kind")
    np.multiply(sn, z64, out=t)
    np.add(t, _SIN_C[2], out=sn, casting="same_kind")
    sn *= z
    np.multiply(r, sn, out=t, dtype=F64)
    np.add(t, r, out=sn, casting="same_kind")
    # S5-S9: where j & 2 the two polynomials trade places (a bitwise select: np.where and
    # copyto(where=) are several times slower), then the signs
    ci, si = c.view(np.int32), sn.view(np.int32)
    np.left_shift(j, 30, out=ti)
    ti >>= 31                                     # all ones where j & 2
    diff = tmp.view(np.int32)
    np.bitwise_xor(ci, si, out=diff)
    diff &= ti
    ci ^= diff
    si ^= diff
    np.bitwise_and(j, 4, out=ti)                  # sin's sign: j & 4
    ti <<= 29
    si ^= ti
    j += 2                                        # cos's sign: ~(j - 2) & 4 == (j + 2) & 4
    j &= 4
    j <<= 29
    ci ^= j
    return sn, c


def _normal32_fill(gen, out):
    """Fill `out` (float32, contiguous, a multiple of 16 long) with standard normals, drawing
    one word per value: PyTorch's AVX2 Box-Muller block by block (cos of the first 8
    uniforms' radius, then sin), before mean and std."""
    s = _scratch
    rows_per_pass = _LANES // 8
    blocks = out.shape[0] // 16
    for r0 in range(0, blocks, rows_per_pass):
        rows = min(rows_per_pass, blocks - r0)
        L = 8 * rows
        words = gen._fill32(s.words[:16 * rows])
        # first halves of the blocks (log lanes), then second halves (sincos lanes)
        k = s.split[:2 * L]
        np.copyto(k.view("V32").reshape(2, rows), words.view("V32").reshape(rows, 2).T)
        k &= np.uint32(0xFFFFFF)
        ki = k.view(np.int32)
        radius = _log_radius_lanes(ki[:L], s)
        sin, cos = _sincos_lanes(ki[L:], s)
        res = s.res[:2 * L]
        np.multiply(cos, radius, out=res[:L])
        np.multiply(sin, radius, out=res[L:])
        part = out[16 * r0:16 * (r0 + rows)]
        np.copyto(part.view("V32").reshape(rows, 2), res.view("V32").reshape(2, rows).T)
    return out


def _scale32(v, mean, std):
    """FMA32(v, std, mean) in place on float32 normals (v + 0 when std is 1 and mean 0: the
    kernel's FMA turns -0 into +0)."""
    mean32, std32 = np.float32(mean), np.float32(std)
    if mean32 == 0:
        if std32 != 1:                            # v*std rounded once, as FMA(v, std, 0)
            v *= std32
        v += mean32                               # +0 or -0, as the FMA adds it
        return v
    v[...] = fma32(v, std32, mean32)
    return v


def _numpy_uses_libm():
    """Whether NumPy's float64 log, cos and sin give the C library's results, as PyTorch's
    float64 kernel calls them. NumPy calls the C library unless it has SIMD loops of its own
    for the CPU (AVX-512 builds); the check runs once, on 4096 values of each input kind."""
    global _LIBM_NUMPY
    if _LIBM_NUMPY is None:
        u = np.random.Generator(np.random.MT19937(12345)).random(4096)
        x = (1.0 - u).tolist()
        theta = (_TWO_PI_D * u).tolist()
        _LIBM_NUMPY = (np.array_equal(np.log(x), list(map(math.log, x)))
                       and np.array_equal(np.cos(theta), list(map(math.cos, theta)))
                       and np.array_equal(np.sin(theta), list(map(math.sin, theta))))
    return _LIBM_NUMPY


_LIBM_NUMPY = None


def _box_muller_blocks64(blocks, mean, std):
    """The float64 block kernel (C library log/cos/sin, through NumPy when it calls them,
    else through `math`)."""
    a = blocks[:, :8].reshape(-1)
    b = blocks[:, 8:].reshape(-1)
    k = a.shape[0]
    if _numpy_uses_libm():
        radius = np.subtract(1.0, a)
        np.log(radius, out=radius)
        radius *= -2.0
        np.sqrt(radius, out=radius)
        theta = np.multiply(b, _TWO_PI_D)
        cos = np.cos(theta)
        cos *= radius
        sin = np.sin(theta, out=theta)
        sin *= radius
    else:
        lg = np.fromiter(map(math.log, (1.0 - a).tolist()), F64, k)
        radius = np.sqrt(-2.0 * lg)
        theta = (_TWO_PI_D * b).tolist()
        cos = radius * np.fromiter(map(math.cos, theta), F64, k)
        sin = radius * np.fromiter(map(math.sin, theta), F64, k)
    if std == 1 and mean == 0:
        cos += 0.0
        sin += 0.0
    else:
        cos = fma64(cos, std, mean)
        sin = fma64(sin, std, mean)
    blocks[:, :8] = cos.reshape(-1, 8)
    blocks[:, 8:] = sin.reshape(-1, 8)
    return blocks


# ================================================================================================
# float64 uniform_(lo, hi): FMA64(x, hi - lo, lo) with x = k * 2**-53, without the general FMA
# ================================================================================================
#
# The general `fma64` costs about 30 NumPy passes plus allocations per value. Here the
# multiplier d = hi - lo and the addend lo are constants and x = k * 2**-53 with k an integer
# below 2**53, so `_uniform64_plan` picks, once per call, the cheapest exact method:
# - "shift": lo == m * c exactly for an integer m in [-2**53, 1], c = d * 2**-53. Then
#   x*d + lo == (k + m) * c, k + m is an exact double, and one multiply rounds once: the fused
#   result. This is lo == 0, symmetric bounds (m = -2**52: nn.init's case) and more.
# - "int": c = C * 2**-q and lo = L * 2**-q with integers such that k*C + L stays below 2**63:
#   then x*d + lo == (k*C + L) * 2**-q, the int64 -> float64 cast rounds once (to nearest
#   even, as every conversion instruction does by default), and the scaling is exact while
#   q <= 1022. This covers d with few significant bits, such as (2, 5) or (10, 11).
# - "general": the exact product error e (Dekker, with c split once in Python) and the exact
#   sum error tl (TwoSum, or Fast2Sum when |lo| >= d) give th + (tl + e) == x*d + lo up to the
#   rounding of v = tl + e. z = RN(th + v) is then the fused result except, possibly, where
#   th + v lies exactly halfway between two doubles (proof in `_uniform64_general`); those
#   lanes have a v with at most 3 significant bits, are flagged by a bit test and recomputed
#   with `fma64`.
# - "exact": anything else (bounds near the ends of the float64 range, where the splits could
#   overflow or underflow): Python integers, a value at a time.
# Everything runs in per-thread buffers `_U64_LANES` values at a time (no large temporaries).

_U64_LANES = 8192
_MASK53 = np.uint64((1 << 53) - 1)
_LOW50 = np.int64((1 << 50) - 1)
_VELTKAMP = 134217729.0                           # 2**27 + 1


class _Scratch64(threading.local):
    """Per-thread float64 buffers of `_U64_LANES` lanes for the float64 uniform kernel."""

    def __init__(self):
        self.f = [np.empty(_U64_LANES, F64) for _ in range(6)]


_scratch64 = _Scratch64()


def _uniform64_plan(lo, d):
    """How to compute RN(k * 2**-53 * d + lo) for every k < 2**53 (see above)."""
    c = d * 2.0 ** -53
    c_exact = c >= 2.0 ** -1022 and c * 2.0 ** 53 == d
    if c_exact:
        m = Fraction(lo) / Fraction(c)
        if m.denominator == 1 and -(1 << 53) <= m <= 1:
            return ("shift", int(m), c)
    dn, dd = d.as_integer_ratio()
    ln, ld = lo.as_integer_ratio()
    cd = dd << 53                                 # c == dn / cd; both denominators are 2**j
    q = max(cd, ld)
    C, L = dn * (q // cd), ln * (q // ld)
    if (q.bit_length() - 1 <= 1022 and abs(L) < 1 << 63
            and abs(C * ((1 << 53) - 1) + L) < 1 << 63):
        return ("int", C, L, 2.0 ** -(q.bit_length() - 1))
    if c_exact and 2.0 ** -900 <= d <= 2.0 ** 900 and abs(lo) <= 2.0 ** 900:
        t = _VELTKAMP * c                         # Veltkamp: c == ch + cl, 26 bits each
        ch = t - (t - c)
        return ("general", c, ch, c - ch, abs(lo) >= d)
    # bounds near the ends of the range: x*d + lo == (k*A + B) / Q in integers, and Python's
    # int / int is correctly rounded (subnormal results included)
    return ("exact", dn * ld, ln * cd, cd * ld)


def _uniform64_general(X, out, lo, c, ch, cl, fast_two_sum, f):
    """out = RN(X*c + lo) for integer-valued doubles 0 <= X < 2**53, except in the lanes
    returned (a boolean array, or None), which may be 1 ulp off and must be recomputed.

    Why the others are exact (p = RN(X*c), e = X*c - p exactly, th = RN(p + lo),
    tl = p + lo - th exactly, U = ulp(th), v = RN(tl + e), z = RN(th + v)):
    - if th and p have opposite signs... precisely, if |th| < p/2, then lo is in (-2p, -p/2)
      and p + lo is exact (Sterbenz), so tl = 0, v = e exactly and z = RN(X*c + lo);
    - otherwise ulp(p) <= 2U, |e| <= U, |tl| <= U/2, so |v| <= 1.5U and v is a multiple of
      g = ulp(v) <= 2**-52 U, with |tl + e - v| <= g/2. th + v is a multiple of g, and so is
      every midpoint between two doubles within 1.5U of th (their spacing is at least U/2), so
      unless th + v is such a midpoint, no midpoint lies within g/2 of it and rounding
      th + (tl + e) gives z. A midpoint means v = j*U/4 with |j| <= 6: at most 3 significant
      bits, which the returned mask (low 50 mantissa bits of v all zero) includes.
    With 2**-900 <= c*2**53 <= 2**900 and |lo| <= 2**900 no step overflows or underflows."""
    n = X.shape[0]
    xh, xl, p, e, tl = (a[:n] for a in f[:5])
    np.multiply(X, _VELTKAMP, out=xh)             # Veltkamp split of X (Dekker's product)
    np.subtract(xh, X, out=xl)
    xh -= xl
    np.subtract(X, xh, out=xl)
    np.multiply(X, c, out=p)
    np.multiply(xh, ch, out=e)                    # e = ((xh*ch - p) + xh*cl + xl*ch) + xl*cl
    e -= p
    np.multiply(xh, cl, out=tl)
    e += tl
    np.multiply(xl, ch, out=tl)
    e += tl
    np.multiply(xl, cl, out=tl)
    e += tl
    th = out
    np.add(p, lo, out=th)
    if fast_two_sum:                              # |lo| >= d > p: tl = p - (th - lo)
        np.subtract(th, lo, out=tl)
        np.subtract(p, tl, out=tl)
    else:                                         # TwoSum(p, lo)
        bb = xh
        np.subtract(th, p, out=bb)
        np.subtract(th, bb, out=tl)
        np.subtract(p, tl, out=tl)
        np.subtract(lo, bb, out=bb)
        tl += bb
    tl += e                                       # v
    th += tl                                      # z
    low = xl.view(np.int64)
    np.bitwise_and(tl.view(np.int64), _LOW50, out=low)
    flag = low == 0
    return flag if flag.any() else None


def _uniform64_array(gen, n, lo, hi):
    """n float64 uniforms: FMA64(U53, hi - lo, lo), a value equal to hi becoming lo."""
    d = hi - lo
    out = np.empty(n, F64)
    if d == 0:                                    # FMA(x, 0, lo) == lo (or +0 for lo == -0.0)
        gen._words64(n)
        out[...] = lo
        return out
    plan = _uniform64_plan(lo, d)
    kind = plan[0]
    f = _scratch64.f
    for i in range(0, n, _U64_LANES):
        w = gen._words64(min(_U64_LANES, n - i))
        L = w.shape[0]
        w &= _MASK53
        k = w.view(np.int64)
        o = out[i:i + L]
        if kind == "shift":
            k += plan[1]
            np.copyto(o, k, casting="unsafe")     # exact: |k + m| <= 2**53
            o *= plan[2]
        elif kind == "int":
            if plan[1] != 1:
                k *= plan[1]
            k += plan[2]
            np.copyto(o, k, casting="unsafe")     # the one rounding
            o *= plan[3]                          # a power of two: exact
        else:
            X = f[5][:L]
            np.copyto(X, k, casting="unsafe")     # exact: k < 2**53
            flag = None
            if kind == "general":
                flag = _uniform64_general(X, o, lo, plan[1], plan[2], plan[3], plan[4], f)
            else:                                 # exact rationals: slow, never common
                A, B, Q = plan[1:]
                o[...] = [(kk * A + B) / Q for kk in k.tolist()]
            if flag is not None:
                idx = np.flatnonzero(flag)
                o[idx] = fma64(X[idx] * 2.0 ** -53, d, lo)
    # values are nondecreasing in k, so only the largest k can reach hi
    if float(Fraction((1 << 53) - 1, 1 << 53) * Fraction(d) + Fraction(lo)) >= hi:
        out[out == hi] = lo
    return out


# ================================================================================================
# Array-level samplers: each returns a 1-D array of n values in fill order, drawn from `gen`
# ================================================================================================

def _normal_block(gen, n, np_dtype, mean, std):
    """PyTorch's `normal_fill` for a contiguous tensor of n >= 16 elements.

    float32 / float64: n uniforms, then (if n % 16) 16 more forming an extra block whose
    results overwrite the last 16 outputs. float16: ceil(n/16)*16 float32 uniforms go through
    the float32 kernel; the last block's results again land on the last 16 outputs.
    """
    tail = n % 16
    if np_dtype is F64:
        u = gen._u53(n + (16 if tail else 0))
        if tail:
            u = np.concatenate((u[:n - tail], u[n:]))
        res = _box_muller_blocks64(u.reshape(-1, 16), mean, std).reshape(-1)
        if not tail:
            return res
        out = res[:n].copy()
        out[n - 16:] = res[-16:]
        return out
    if np_dtype is F16:
        res = _normal32_fill(gen, np.empty(n + (16 - tail if tail else 0), F32))
        out = res[:n].copy() if tail else res
        if tail:
            out[n - 16:] = res[-16:]
        return _scale32(out, mean, std).astype(F16)
    out = np.empty(n, F32)
    _normal32_fill(gen, out[:n - tail])
    if tail:
        gen._fill32(np.empty(tail, np.uint32))    # drawn by PyTorch, then overwritten
        out[n - 16:] = _normal32_fill(gen, np.empty(16, F32))
    return _scale32(out, mean, std)


def _normal_scalar(gen, n, mean, std):
    """PyTorch's scalar `normal_distribution<double>`: Box-Muller in double, one pair of
    64-bit uniforms per two values, the sine kept in the generator's cache. Returns doubles
    FMA64(v, std, mean)."""
    vals = np.empty(n, F64)
    i = 0
    if n and gen._normal_cache is not None:
        vals[0] = gen._normal_cache
        gen._normal_cache = None
        i = 1
    rest = n - i
    if rest:
        pairs = (rest + 1) // 2
        u = gen._u53(2 * pairs)
        lg = np.fromiter(map(math.log1p, (-u[1::2]).tolist()), F64, pairs)
        r = np.sqrt(-2.0 * lg)
        theta = (_TWO_PI_D * u[0::2]).tolist()
        both = np.empty(2 * pairs, F64)
        both[0::2] = r * np.fromiter(map(math.cos, theta), F64, pairs)
        both[1::2] = r * np.fromiter(map(math.sin, theta), F64, pairs)
        vals[i:] = both[:rest]
        if rest % 2:
            gen._normal_cache = float(both[-1])
    if std == 1 and mean == 0:
        return vals + 0.0
    return fma64(vals, std, mean)


def _double_to(values, np_dtype):
    """Cast doubles as C++ `static_cast<T>(double)` does: to float16 through float32."""
    if np_dtype is F16:
        return values.astype(F32).astype(F16)
    return values.astype(np_dtype)


def _normal_array(gen, n, np_dtype, mean=0.0, std=1.0, contiguous=True):
    """n normals of a float dtype (complex: real and imaginary parts, std / sqrt(2))."""
    if np_dtype.kind == "c":
        part = F32 if np_dtype is C64 else F64
        vals = _normal_array(gen, 2 * n, part, mean, std / math.sqrt(2), contiguous)
        return vals.view(np_dtype)
    if n >= 16 and contiguous:
        return _normal_block(gen, n, np_dtype, mean, std)
    return _double_to(_normal_scalar(gen, n, mean, std), np_dtype)


def _uniform_array(gen, n, np_dtype, low=0.0, high=1.0):
    """n uniforms in [low, high): FMA(x, high - low, low), a result equal to high becoming low.
    float32 and float16 use float32 bounds and a 24-bit x; float64 doubles and a 53-bit x."""
    if np_dtype.kind == "c":
        part = F32 if np_dtype is C64 else F64
        return _uniform_array(gen, 2 * n, part, low, high).view(np_dtype)
    if np_dtype is F64:
        if low == 0 and high == 1:
            return gen._u53(n)
        return _uniform64_array(gen, n, float(low), float(high))
    x = gen._u24(n)
    lo, hi = np.float32(low), np.float32(high)
    if lo == 0 and hi == 1:
        v = x
    else:
        span = hi - lo
        if _sum_is_exact(24, span, lo):           # e.g. symmetric bounds (nn.init)
            t = np.empty(min(n, _LANES), F64)     # in place, a pass at a time: no big temporary
            for i in range(0, n, _LANES):
                xc = x[i:i + _LANES]
                tc = t[:xc.shape[0]]
                np.multiply(xc, span, out=tc, dtype=F64)
                tc += float(lo)
                np.copyto(xc, tc, casting="same_kind")
            v = x
        else:
            v = fma32(x, span, lo)
        v[v == hi] = lo
    if np_dtype is F16:
        v = v.astype(F16)
        v[v == np.float16(hi)] = np.float16(lo)
    return v


def _int_to(values, np_dtype):
    """int64 values cast as C++ `static_cast<T>(int64_t)` (float16 through float32)."""
    if np_dtype is F16:
        return values.astype(F32).astype(F16)
    if np_dtype is I64:
        return values
    return values.astype(np_dtype)


def _randint_array(gen, n, low, high, np_dtype):
    """n values `(draw mod (high - low)) + low` (uint64 arithmetic), cast to the dtype; a
    64-bit draw per value once the range reaches 2**28, else one word."""
    rng = (high - low) & 0xFFFFFFFFFFFFFFFF
    if rng >= 1 << 28:
        d = gen._words64(n)
    else:
        d = gen._words(n)
    d %= np.uint64(rng)
    d += np.uint64(low & 0xFFFFFFFFFFFFFFFF)
    return _int_to(d.view(I64), np_dtype)


def _random_full_array(gen, n, np_dtype):
    """`Tensor.random_()` without bounds (spec 5.2)."""
    kind = np_dtype
    if kind is I64:
        return (gen._words64(n) & np.uint64(_INT64_MAX)).view(I64)
    if kind is F64:
        return (gen._words64(n) % np.uint64((1 << 53) + 1)).astype(F64)
    w = gen._words(n)
    if kind is F32:
        return (w % np.uint64((1 << 24) + 1)).astype(F32)
    if kind is F16:
        return (w % np.uint64((1 << 11) + 1)).astype(F32).astype(F16)
    if kind == np.bool_:
        return (w & np.uint64(1)).astype(np.bool_)
    bits = {np.dtype(np.int32): 31, np.dtype(np.int16): 15, np.dtype(np.int8): 7,
            np.dtype(np.uint8): 8}[kind]
    return (w & np.uint64((1 << bits) - 1)).astype(kind)


def _random_full64_array(gen, n, np_dtype):
    """`random_(-2**63, None)`: the whole int64 range, `int64(random64())`."""
    return _int_to(gen._words64(n).view(I64), np_dtype)


def _randperm_array(gen, n):
    """`randperm(n)` as int64: forward Fisher-Yates with `w_i mod (n - i)` (n - 1 words), or for
    n >= 214748364 the inside-out shuffle with 64-bit draws."""
    if n <= 1:
        return np.arange(n, dtype=I64)
    if n >= _RANDPERM_SMALL:
        d = gen._words64(n)
        perm = np.arange(n, dtype=I64)
        for i, di in enumerate(d.tolist()):
            z = di % (i + 1)
            perm[i] = perm[z]
            perm[z] = i
        return perm
    return _forward_shuffle(gen, n)


class _PermScratch(threading.local):
    """Per-thread work arrays for `_forward_shuffle`, grown on demand and reused: a fresh array
    above 128 KiB costs a page fault per 4 KiB page on first touch, more than the work."""

    def __init__(self):
        self.size = 0

    def get(self, n):
        if n > self.size:
            self.size = n
            self.iota = np.arange(n + 1, dtype=np.uint32)
            self.u = [np.empty(n + 1, np.uint32) for _ in range(4)]
            self.b = [np.empty(n + 1, np.bool_) for _ in range(2)]
            self.p = [np.empty(n + 1, np.intp) for _ in range(2)]
        return self


_perm_scratch = _PermScratch()


def _forward_shuffle(gen, n):
    """randperm(n) for 2 <= n < 214748364: forward Fisher-Yates, step i swapping positions i
    and t_i = i + (w_i mod (n - i)), resolved without a loop over the steps.

    A self-swap (t_i == i) moves nothing and is dropped. Sorting the other steps by
    (target, step) lists, for each position x, the steps j_1 < ... < j_r aimed at it (all
    before x). Position x holds x until j_1, which takes it (out[j_1] = x) and leaves A[j_1],
    the value its own position held just before step j_1; j_2 takes that, and so on, and
    A[x] = A[j_r] (x itself if no step aimed at x). A[x] = A[W(x)] with W(x) = j_r < x is a
    chain to smaller indices, resolved by pointer jumping (chains are short: about 13 links
    at most for n = 60000, so 4-5 rounds)."""
    m = n - 1
    s = _perm_scratch.get(n)
    iota = s.iota
    z = gen._fill32(s.u[0][:m])
    z %= iota[n:1:-1]                             # n - i for step i
    self_steps = np.flatnonzero(z == 0)
    steps = iota[:m]
    z += steps                                    # the targets, < n
    bits = max(1, (m - 1).bit_length())
    if n.bit_length() + bits <= 32:               # (target, step) packed in 32 bits
        key = z
        key <<= np.uint32(bits)
    else:
        key = z.astype(np.uint64)
        key <<= np.uint64(bits)
    key |= steps
    key[self_steps] = key.dtype.type(n) << key.dtype.type(bits)   # sorted last, dropped
    key.sort()
    k = m - self_steps.shape[0]
    if k == 0:                                    # every step swapped a position with itself
        return np.arange(n, dtype=I64)
    key = key[:k]
    st = s.u[1][:k].view(np.int32)                # targets, grouped
    np.right_shift(key, bits, out=st, casting="unsafe")
    order = s.u[2][:k].view(np.int32)             # steps, ascending within a group
    np.bitwise_and(key, (1 << bits) - 1, out=order, casting="unsafe")
    first = s.b[0][:k]                            # first step of its group
    first[0] = True
    np.not_equal(st[1:], st[:-1], out=first[1:])
    # W(x) for each aimed-at x: the group's last step. Other steps write to a spare slot n.
    # (blends by arithmetic: copyto(where=) is several times slower)
    idx = s.u[3][:k].view(np.int32)
    np.subtract(st, n, out=idx)
    idx[:-1] *= first[1:]
    idx += n
    ptr, nxt = s.p[0][:n + 1], s.p[1][:n + 1]
    np.copyto(ptr, iota[:n + 1])
    ptr[idx] = order
    ptr, nxt = ptr[:n], nxt[:n]
    while True:                                   # pointer jumping to the chain roots
        np.take(ptr, ptr, out=nxt)
        if (nxt == ptr).all():
            break
        ptr, nxt = nxt, ptr
    A = ptr
    val = idx                                     # the value each step takes
    val[0] = 0
    np.take(A, order[:-1], out=val[1:])
    np.subtract(st, val, out=st)                  # st is not needed after this
    st *= first
    val += st
    out = np.empty(n, I64)
    out[order] = val
    out[self_steps] = A[self_steps]
    out[m] = A[m]
    return out


def _bernoulli_scalar_array(gen, n, p, np_dtype):
    """`bernoulli_(p)` with a number p: `U53 < p`, two words per element."""
    return (gen._u53(n) < p).astype(np_dtype)


def _bernoulli_tensor_array(gen, probs, np_dtype):
    """`bernoulli_(probs)`: per element, float64 probabilities compare a 53-bit uniform, the
    others a 24-bit float32 uniform. `probs` is 1-D, in fill order."""
    if probs.dtype == F64:
        return (gen._u53(probs.shape[0]) < probs).astype(np_dtype)
    return (gen._u24(probs.shape[0]) < probs.astype(F32)).astype(np_dtype)


def _exponential_array(gen, n, lambd, np_dtype):
    """`exponential_(lambd)`: `(-1/lambd) * log1p(-U53)` in double."""
    u = gen._u53(n)
    scale = -1.0 / lambd
    vals = scale * np.fromiter(map(math.log1p, (-u).tolist()), F64, n)
    return _double_to(vals, np_dtype)


def _log_or_ninf(x):
    return math.log(x) if x > 0 else -math.inf


def _geometric_array(gen, n, p, np_dtype):
    """`geometric_(p)`: `ceil(log(U53) / log1p(-p))`."""
    u = gen._u53(n)
    denom = math.log1p(-p)
    vals = np.ceil(np.fromiter(map(_log_or_ninf, u.tolist()), F64, n) / denom)
    if np_dtype.kind in "iub":
        with np.errstate(invalid="ignore"):
            return vals.astype(I64).astype(np_dtype)
    return _double_to(vals, np_dtype)


def _log_normal_array(gen, n, mean, std, np_dtype):
    """`log_normal_(mean, std)`: exp of the scalar Box-Muller normal (which uses the cache)."""
    vals = _normal_scalar(gen, n, mean, std)
    return _double_to(np.fromiter(map(_exp, vals.tolist()), F64, n), np_dtype)


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _cauchy_array(gen, n, median, sigma, np_dtype):
    """`cauchy_(median, sigma)`: `median + sigma * tan(pi * (U53 - 0.5))`, fused."""
    u = gen._u53(n)
    t = np.fromiter(map(math.tan, (math.pi * (u - 0.5)).tolist()), F64, n)
    return _double_to(fma64(sigma, t, median), np_dtype)


def _poisson_one(gen, lam):
    """One Poisson sample as PyTorch's CPU kernel draws it: the product of uniforms for
    rates below 10, Hormann's transformed rejection (PTRS) from 10 on; uniforms are U53."""
    if lam >= 10:
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = gen._u53_scalar() - 0.5
            v = gen._u53_scalar()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            lhs = _log_or_ninf(v) + math.log(invalpha) - math.log(a / (us * us) + b)
            if lhs <= -lam + k * loglam - math.lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    enlam = math.exp(-lam)
    x = 0
    prod = 1.0
    while True:
        prod *= gen._u53_scalar()
        if prod > enlam:
            x += 1
        else:
            return x


# ================================================================================================
# Filling tensors in PyTorch's order, and autograd for the in-place samplers
# ================================================================================================

def _fill_order(a):
    """The axis order (outermost first) in which PyTorch's TensorIterator visits the array,
    or None for C order: decreasing stride, so a transposed view is filled in storage order."""
    if a.flags.c_contiguous or a.ndim < 2:
        return None
    perm = sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]) if a.shape[d] > 1 else 0)
    return None if perm == list(range(a.ndim)) else perm


def _arrange(flat, a):
    """`flat` (values in fill order) as an array of a's logical shape."""
    perm = _fill_order(a)
    if perm is None:
        return flat.reshape(a.shape)
    return np.transpose(flat.reshape([a.shape[d] for d in perm]), np.argsort(perm))


def _in_fill_order(x, a):
    """The elements of x (broadcast to a's shape) listed in a's fill order."""
    x = np.broadcast_to(x, a.shape)
    perm = _fill_order(a)
    return (x if perm is None else np.transpose(x, perm)).reshape(-1)


class _ZeroGrad(Node):
    """The backward of an in-place sampler: the old values no longer matter."""

    def apply(self, grad):
        return (Tensor._make(np.zeros_like(grad._data)),)


def _zero_node(name):
    return type(name, (_ZeroGrad,), {})


_NODES = {name: _zero_node(name) for name in (
    "UniformBackward0", "NormalBackward0", "RandomBackward0", "RandomBackward1",
    "RandomBackward2", "BernoulliBackward1", "BernoulliBackward2", "ExponentialBackward0",
    "GeometricBackward0", "LogNormalBackward0", "CauchyBackward0")}


def _recorded_result(source, values, node_name):
    result = Tensor._make(values)
    result._requires_grad, result._grad_fn = True, _NODES[node_name](source)
    return result


_recorded_store = inplace(_recorded_result)


def _store(self, flat, node_name):
    """Write `flat` (values in fill order, self's dtype) into self, as an in-place op."""
    values = _arrange(flat, self._data)
    if grad_mode.enabled and self._requires_grad:
        return _recorded_store(self, values, node_name)
    self._data[...] = values
    self._bump_version()
    return self


def _like_layout(input, memory_format=None):
    """The axis order (outermost first) of `empty_like(input, memory_format=...)`, or None
    for C order."""
    from ._creation import _like_order, contiguous_format
    return None if memory_format is contiguous_format else _like_order(input._data)


def _laid_out_like(values, input, memory_format=None):
    """`values` (drawn in order) shaped like `input`, in the layout `empty_like(input)` has:
    PyTorch's *_like samplers fill that tensor in memory order, so a transposed input gets
    its draws transposed."""
    order = _like_layout(input, memory_format)
    if order is None:
        return values.reshape(input._data.shape)
    return values.reshape([input._data.shape[d] for d in order]).transpose(np.argsort(order))


def _new(values, shape, requires_grad=False, out=None):
    """A fresh tensor of `shape` holding `values` (C order), or `out` refilled."""
    array = values.reshape(shape)
    if out is not None:
        if out._data.shape == array.shape:
            out._data[...] = array
        else:
            out._data = array
        out._bump_version()
        return out
    t = Tensor._make(array)
    if requires_grad:
        if array.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


# ================================================================================================
# Argument checks shared by the public functions
# ================================================================================================

def _parse_size(size, name, size_kw=None):
    if size_kw is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (size_kw,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif not size:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (), but "
                        f"expected one of:\n * (tuple of ints size, *, torch.Generator generator, "
                        f"Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                        f"Device device = None, bool pin_memory = False, bool requires_grad = "
                        f"False)")
    dims = []
    for i, s in enumerate(size):
        if isinstance(s, (tuple, list)):
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got tuple\"")
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(s).__name__}")
        dims.append(s.__index__())
    for d in dims:
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: "
                               f"[{', '.join(map(str, dims))}]")
    return tuple(dims)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _resolve_dtype(dtype, default=None):
    if dtype is None:
        return default if default is not None else _dtype.get_default_dtype()
    return _dtype.to_dtype(dtype)


def _need_float(dt, kernel):
    if dt.category not in (_dtype.FLOAT, _dtype.COMPLEX):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dt.scalar_name}'")


_C_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
            "int64": "long", "bool": "bool", "float16": "c10::Half", "float32": "float",
            "float64": "double"}
_DIGITS = {"float16": 11, "float32": 24, "float64": 53}
# the largest value of `random_()` without bounds (its values are 0 ... this, spec 5.2)
_FULL_RANGE = {"float16": 1 << 11, "float32": 1 << 24, "float64": 1 << 53, "bool": 1,
               "uint8": 255, "int8": 127, "int16": 2 ** 15 - 1, "int32": 2 ** 31 - 1,
               "int64": 2 ** 63 - 1}
_INT_RANGE = {"bool": (0, 1), "uint8": (0, 255), "int8": (-128, 127), "int16": (-32768, 32767),
              "int32": (-2 ** 31, 2 ** 31 - 1), "int64": (_INT64_MIN, _INT64_MAX)}


def _check_int64(value, name):
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name}(): argument '{'high' if name == 'randint' else 'to'}' must be "
                        f"int, not {type(value).__name__}")
    value = value.__index__()
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return value


def _round_int(value, digits):
    """An integer rounded to `digits` significant bits, to nearest, ties to even."""
    a = abs(value)
    if a < (1 << digits):
        return value
    shift = a.bit_length() - digits
    q, r = divmod(a, 1 << shift)
    half = 1 << (shift - 1)
    if r > half or (r == half and q & 1):
        q += 1
    return (q << shift) if value > 0 else -(q << shift)


def _float_cast_int(value, dt):
    """`int64_t(scalar_t(value))` for an int64 value: C++ converts to float or double by
    rounding to nearest, and to float16 through float (two roundings)."""
    if dt.name == "float16":
        return _round_int(_round_int(value, 24), 11)
    return _round_int(value, _DIGITS[dt.name])


def _update_to(to, dt):
    """PyTorch's `update_to`: lower `to` so that values below it stay below it once cast."""
    cast = _float_cast_int(to - 1, dt)
    if cast >= to:
        n = (abs(to - 1)).bit_length() - 1            # floor(log2(|to - 1|))
        to = cast - (1 << (n - _DIGITS[dt.name] + 1))
    return to


def _update_from(frm, dt):
    """PyTorch's `update_from`: raise `from` so that values above it stay above it once cast."""
    cast = _float_cast_int(frm + 1, dt)
    if cast < frm:
        n = (abs(frm + 1)).bit_length() - 1
        frm = cast + (1 << (n - _DIGITS[dt.name] + 1))
    return frm


def _check_from_to_in_range(frm, to_inc, dt):
    if dt.category == _dtype.FLOAT:
        digits = _DIGITS[dt.name]
        bound = 1 << digits
        name = _C_NAMES[dt.name]
        for value, label in ((frm, "from"), (to_inc, "to - 1")):
            if value < -bound or value > bound:
                warnings.warn(f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to "
                              f"precision limitations {name} can support discrete uniform "
                              "distribution only within this range. This warning will become an "
                              "error in version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)
        return
    lo, hi = _INT_RANGE[dt.name]
    name = _C_NAMES[dt.name]
    if not lo <= frm <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= to_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _random_values(gen, n, dt, frm=None, to=None, gpu=None, generator=None):
    """The values of `random_` for a tensor of n elements, after PyTorch's checks:
    `frm is None`: `random_()` (spec 5.2); `to is None`: [frm, the dtype's largest value];
    else [frm, to). With a GPU backend `gpu`, the same ranges from the device's generator."""
    if gpu is not None:
        def ints(low, high, _):
            return _gpu_draw(gpu, generator, "integers", n, dt.np, low, high)

        def full(_, n, np_dtype):
            return ints(0, _FULL_RANGE[np.dtype(np_dtype).name] + 1, None)

        def full64(_, n, np_dtype):
            return ints(_INT64_MIN, _INT64_MAX + 1, None)
    else:
        def ints(low, high, np_dtype):
            return _randint_array(gen, n, low, high, np_dtype)
        full, full64 = _random_full_array, _random_full64_array
    if dt.category == _dtype.COMPLEX:
        if frm is None:
            raise NotImplementedError(f"\"random_kernel_cpu\" not implemented for "
                                      f"'{dt.scalar_name}'")
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    np_dtype = dt.np
    if frm is None:
        return full(gen, n, np_dtype)
    if to is not None:
        if frm >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={frm} >= to={to}")
        if dt.category == _dtype.FLOAT:
            frm = _update_from(frm, dt)
            to = _update_to(to, dt)
            if frm >= to:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' "
                                   f"casted to dtype, but got from={frm} >= to={to}")
        _check_from_to_in_range(frm, to - 1, dt)
        return ints(frm, to, np_dtype)
    if frm == _INT64_MIN:
        if dt is _dtype.float16:
            raise NotImplementedError("\"random_full_64_bits_range_kernel_cpu\" not "
                                      "implemented for 'Half'")
        if dt.name not in ("int64", "float32", "float64"):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                               "double, float and bfloat16")
        return full64(gen, n, np_dtype)
    if dt.category == _dtype.FLOAT:
        to_inc = 1 << _DIGITS[dt.name]
        frm = _update_from(frm, dt)
        if frm >= to_inc:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to_inc' casted to dtype, but got from={frm} > "
                               f"to_inc={to_inc}")
    else:
        to_inc = _INT_RANGE[dt.name][1]
    _check_from_to_in_range(frm, to_inc, dt)
    return ints(frm, to_inc + 1, np_dtype)


# ================================================================================================
# On a GPU: the device's own generator (CuPy's), not PyTorch's numbers
# ================================================================================================

def _gpu_of(device):
    """The GPU backend when `device=` asks for a GPU tensor; None for the CPU (and after
    PyTorch's checks of the argument)."""
    if device is None:
        device = _backend.default_device              # set_default_device, or the CPU
        if device is None:
            return None
    backend, _ = _backend.resolve(device)
    return None if backend is _backend.CPU_BACKEND else backend


def _gpu_draw(backend, generator, kind, n, np_dtype, a=0.0, b=1.0):
    """`n` values (flat) drawn on the GPU by its backend: "uniform" in [a, b), "normal" with
    mean a and std b, "integers" in [a, b), "bernoulli" with probability a, "exponential" of
    rate a, "permutation" of range(n). A CPU `generator` cannot draw GPU numbers."""
    if generator is not None:
        raise RuntimeError("Expected a 'cuda' device type for generator but found 'cpu'")
    return backend.draw(kind, n, np_dtype, a, b)


def _gpu_of_tensor(t):
    return None if type(t._data) is np.ndarray else _backend.of(t._data)


# ================================================================================================
# Public functions: torch.rand, randn, randint, randperm, normal, bernoulli, multinomial, ...
# ================================================================================================

def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kwargs):
    """Uniform numbers in [0, 1), bit for bit PyTorch's for the same seed.

    >>> import ember
    >>> _ = ember.manual_seed(0)
    >>> ember.rand(3)
    tensor([0.4963, 0.7682, 0.0885])
    """
    gpu = _gpu_of(device)
    shape = _parse_size(size, "rand", kwargs.pop("size", None))
    dt = _resolve_dtype(dtype, out.dtype if out is not None else None)
    _need_float(dt, "check_uniform_bounds")
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "uniform", _numel(shape), dt.np)
    else:
        values = _uniform_array(_get(generator), _numel(shape), dt.np)
    return _new(values, shape, requires_grad, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kwargs):
    """Standard normal numbers, bit for bit PyTorch's for the same seed.

    >>> import ember
    >>> _ = ember.manual_seed(0)
    >>> ember.randn(3)
    tensor([ 1.5410, -0.2934, -2.1788])
    """
    gpu = _gpu_of(device)
    shape = _parse_size(size, "randn", kwargs.pop("size", None))
    dt = _resolve_dtype(dtype, out.dtype if out is not None else None)
    _need_float(dt, "normal_kernel_cpu")
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "normal", _numel(shape), dt.np)
    else:
        values = _normal_array(_get(generator), _numel(shape), dt.np)
    return _new(values, shape, requires_grad, out)


def _like_dtype(input, dtype):
    return input.dtype if dtype is None else _dtype.to_dtype(dtype)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    """`rand` with the shape (and by default the dtype) of `input`."""
    gpu = _gpu_of(device) if device is not None else _gpu_of_tensor(input)
    dt = _like_dtype(input, dtype)
    _need_float(dt, "check_uniform_bounds")
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "uniform", input._data.size, dt.np)
    else:
        values = _uniform_array(_get(generator), input._data.size, dt.np)
    return _new(_laid_out_like(values, input, memory_format), input._data.shape,
                requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    """`randn` with the shape (and by default the dtype) of `input`."""
    gpu = _gpu_of(device) if device is not None else _gpu_of_tensor(input)
    dt = _like_dtype(input, dtype)
    _need_float(dt, "normal_kernel_cpu")
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "normal", input._data.size, dt.np)
    elif _like_layout(input, memory_format) is not None:
        # PyTorch fills empty_like(input) in place; its vectorised normal kernel is for
        # contiguous tensors only, so a permuted layout gets the element-wise draws
        from ._creation import empty_like
        result = empty_like(input, dtype=dt, memory_format=memory_format)
        normal_(result, 0.0, 1.0, generator=generator)
        return result.requires_grad_(requires_grad)
    else:
        values = _normal_array(_get(generator), input._data.size, dt.np)
    return _new(_laid_out_like(values, input, memory_format), input._data.shape,
                requires_grad)


def randint(*args, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False, **kwargs):
    """`randint(high, size)` or `randint(low, high, size)`: integers in [low, high), int64
    unless `dtype` says otherwise.

    >>> import ember
    >>> _ = ember.manual_seed(0)
    >>> ember.randint(0, 10, (5,))
    tensor([4, 9, 3, 0, 3])
    """
    gpu = _gpu_of(device)
    low, high, size = _randint_args(args, kwargs)
    shape = _parse_size((size,), "randint")
    dt = _resolve_dtype(dtype, out.dtype if out is not None else _dtype.int64)
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "integers", _numel(shape), dt.np, low, high)
    else:
        values = _random_values(_get(generator), _numel(shape), dt, low, high)
    return _new(values, shape, requires_grad, out)


def _randint_args(args, kwargs):
    low = kwargs.pop("low", None)
    high = kwargs.pop("high", None)
    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"randint() got an unexpected keyword argument '{next(iter(kwargs))}'")
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif len(args) > 2:
        raise TypeError("randint() received an invalid combination of arguments")
    if high is None or size is None:
        if size is None and len(args) >= 2 and not isinstance(args[-1], (tuple, list)):
            raise TypeError(f"randint(): argument 'size' (position {len(args)}) must be tuple "
                            f"of ints, not {type(args[-1]).__name__}")
        raise TypeError("randint() received an invalid combination of arguments - missing "
                        "'high' or 'size'")
    for v in (low, high):
        if isinstance(v, float):
            raise TypeError(f"randint(): argument 'high' (position 1) must be int, not float")
    low = 0 if low is None else _check_int64(low, "randint")
    high = _check_int64(high, "randint")
    return low, high, size


def randint_like(input, *args, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, **kwargs):
    """`randint_like(input, high)` or `randint_like(input, low, high)`."""
    gpu = _gpu_of(device) if device is not None else _gpu_of_tensor(input)
    low = kwargs.pop("low", None)
    high = kwargs.pop("high", None)
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    if high is None:
        raise TypeError("randint_like() missing required argument 'high'")
    low = 0 if low is None else _check_int64(low, "randint")
    high = _check_int64(high, "randint")
    dt = _like_dtype(input, dtype)
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "integers", input._data.size, dt.np, low, high)
    else:
        values = _random_values(_get(generator), input._data.size, dt, low, high)
    return _new(_laid_out_like(values, input, memory_format), input._data.shape,
                requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0 .. n-1 (int64 unless `dtype` says otherwise).

    >>> import ember
    >>> _ = ember.manual_seed(0)
    >>> ember.randperm(5)
    tensor([4, 0, 1, 3, 2])
    """
    gpu = _gpu_of(device)
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    n = n.__index__()
    dt = _resolve_dtype(dtype, out.dtype if out is not None else _dtype.int64)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dt is _dtype.bool_ or dt.category == _dtype.COMPLEX:
        raise NotImplementedError(f"\"randperm\" not implemented for '{dt.scalar_name}'")
    if dt.category == _dtype.FLOAT:
        digits = _DIGITS[dt.name]
        if n > (1 << digits) + 1:
            what = {"float16": "2049", "float32": "2^24+1", "float64": "2^53+1"}[dt.name]
            raise RuntimeError(f"n cannot be greater than {what} for {dt.scalar_name} type.")
    elif n - 1 > _INT_RANGE[dt.name][1]:
        raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "permutation", n, dt.np)
    else:
        values = _int_to(_randperm_array(_get(generator), n), dt.np)
    return _new(values, (n,), requires_grad, out)


class _ZeroInputGrads(Node):
    """The backward of `normal(mean, std)` with tensor arguments, and of `bernoulli(probs)`:
    PyTorch gives these inputs zero gradients."""

    def __init__(self, *inputs):
        super().__init__(*inputs)
        self._metas = [(i._data.shape, i._data.dtype) for i in inputs]

    def apply(self, grad):
        zeros = _backend.xp(grad._data).zeros          # on the gradient's device
        return tuple(Tensor._make(zeros(shape, dtype)) for shape, dtype in self._metas)


_SAMPLE_NODES = {name: type(name, (_ZeroInputGrads,), {}) for name in (
    "NormalBackward1", "NormalBackward2", "NormalBackward3", "BernoulliBackward0")}


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """Normal numbers: `normal(mean, std, size)` with numbers, or elementwise means/stds
    from tensors (`normal(mean_t, std_t)`, `normal(mean_t, std)`, `normal(mean, std_t)`)."""
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if mean_t or std_t:                 # the tensors' device (the tensor overloads ignore it)
        gpu = _gpu_of_tensor(mean if mean_t else std)
    else:
        gpu = _gpu_of(device)
    gen = _get(generator) if gpu is None else None
    if not mean_t and not std_t:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                            "of:\n * (Tensor mean, Tensor std, *, torch.Generator generator = "
                            "None, Tensor out = None)")
        shape = _parse_size((size,), "normal")
        dt = _resolve_dtype(dtype, out.dtype if out is not None else None)
        _need_float(dt, "normal_kernel_cpu")
        _check_std(std)
        if gpu is not None:
            values = _gpu_draw(gpu, generator, "normal", _numel(shape), dt.np, float(mean),
                               float(std))
        else:
            values = _normal_array(gen, _numel(shape), dt.np, float(mean), float(std))
        return _new(values, shape, requires_grad, out)
    # tensor overloads, as PyTorch composes them: an output shaped like the broadcast of the
    # arguments and typed like the mean tensor (else the std tensor), then
    # normal_(0, std).add_(mean) or normal_(0, 1).mul_(std).add_(mean)
    if std_t:
        if std._data.size and (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        _check_std(std)
    dt = mean.dtype if mean_t else std.dtype
    if mean_t and std_t:
        try:
            shape = np.broadcast_shapes(mean._data.shape, std._data.shape)
        except ValueError:
            from .ops._util import broadcast_error
            raise broadcast_error(mean._data.shape, std._data.shape) from None
    else:
        shape = (mean if mean_t else std)._data.shape
    _need_float(dt, "normal_kernel_cpu")
    n = _numel(shape)

    def draw(sd):
        if gpu is not None:
            return _gpu_draw(gpu, generator, "normal", n, dt.np, 0.0, sd)
        return _normal_array(gen, n, dt.np, 0.0, sd)
    with no_grad():
        if mean_t and not std_t:
            result = Tensor._make(draw(float(std)).reshape(shape))
        else:
            result = Tensor._make(draw(1.0).reshape(shape))
            result.mul_(std.detach())
        result.add_(mean.detach() if mean_t else mean)
    if out is not None:
        return _new(result._data, shape, False, out)
    if grad_mode.enabled and ((mean_t and mean._requires_grad) or (std_t and std._requires_grad)):
        name = ("NormalBackward3" if mean_t and std_t else
                "NormalBackward1" if mean_t else "NormalBackward2")
        inputs = [x for x, is_t in ((mean, mean_t), (std, std_t)) if is_t]
        result._requires_grad = True
        result._grad_fn = _SAMPLE_NODES[name](*inputs)
    return result


def _arith_dtype(np_dtype):
    return F32 if np_dtype is F16 else np_dtype


def _check_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")


def _fmt(x):
    """A number as C++ streams print it (`-1`, `0.5`, `1e+10`)."""
    x = float(x)
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    s = f"{x:.6g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{exp[0]}{exp[1:].lstrip('0').zfill(2)}"
    return s


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples: `bernoulli(probs)` draws each element with probability `probs[i]`;
    `bernoulli(input, p)` draws with the number p, shaped and typed like `input`."""
    # PyTorch's result is contiguous whatever the input's layout (LEGACY_CONTIGUOUS_MEMORY_
    # FORMAT), so the draws fill it in row-major order
    template = Tensor._make(_backend.xp(input._data).zeros(input._data.shape, input._data.dtype))
    if p is None:
        result = bernoulli_(template, input, generator=generator)
        if grad_mode.enabled and input._requires_grad:
            result._requires_grad = True
            result._grad_fn = _SAMPLE_NODES["BernoulliBackward0"](input)
    else:
        result = bernoulli_(template, p, generator=generator)
    if out is not None:
        return _new(result._data, result._data.shape, False, out)
    return result


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices sampled from the rows of `input` (non-negative weights), as PyTorch draws them:
    without replacement (or one sample) by `argmax/topk(probs / Exponential(1))`, with
    replacement by inverting the normalised running sum with one U53 per sample."""
    gen = _get(generator)
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype.scalar_name}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = probs.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = probs.reshape(-1, n_cat)
    gpu = _gpu_of_tensor(input)
    if gpu is not None:
        idx = _multinomial_gpu(gpu, generator, rows, num_samples, replacement)
        idx = idx.reshape(probs.shape[:-1] + (num_samples,))
        return _new(idx, idx.shape, False, out)
    if not replacement or num_samples == 1:
        if rows.size and not (np.all(rows < np.inf) and np.all(rows >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(axis=1, dtype=np.float64) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = _exponential_array(gen, probs.size, 1.0, probs.dtype).reshape(rows.shape)
        c = _arith_dtype(probs.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (rows.astype(c) / q.astype(c)).astype(probs.dtype)
        if num_samples == 1:
            idx = np.argmax(ratio, axis=1)[:, None]
        else:
            idx = np.argsort(-ratio.astype(F64), axis=1, kind="stable")[:, :num_samples]
    else:
        idx = np.empty((rows.shape[0], num_samples), I64)
        c = _arith_dtype(probs.dtype)
        for r in range(rows.shape[0]):
            row = rows[r].astype(c)
            bad = ~((row >= 0) & np.isfinite(row))
            if bad.any():
                first = row[np.argmax(bad)]
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry < 0)" if not first >= 0 else
                                   "invalid multinomial distribution (encountering probability "
                                   "entry = infinity or NaN)")
            cum = np.cumsum(row, dtype=c)
            total = cum[-1]
            if not total > 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= "
                                   "0)")
            cum = (cum / total).astype(probs.dtype).astype(F64)
            cum[-1] = 1.0
            u = gen._u53(num_samples)
            idx[r] = np.searchsorted(cum, u, side="left")
    idx = idx.astype(I64).reshape(probs.shape[:-1] + (num_samples,))
    return _new(idx, idx.shape, False, out)


def _multinomial_gpu(gpu, generator, rows, num_samples, replacement):
    """multinomial's indices (int64, one row of samples per row of weights) drawn on the GPU
    from its own generator: without replacement (or one sample) the largest
    `probs / Exponential(1)`, as PyTorch's kernels; with replacement by inverting the
    normalised running sums with uniforms."""
    # PyTorch's checks, in the CPU kernel's order (the flags come to the host)
    bad = ~((rows >= 0) & np.isfinite(rows))
    total = rows.sum(axis=1, dtype=F64)
    if not replacement or num_samples == 1:
        if bool(bad.any()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if bool((total == 0).any()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    else:
        negative = (~(rows >= 0)).tolist()     # nan too: PyTorch checks `p >= 0` first
        for r, (row_bad, row_total) in enumerate(zip(bad.any(axis=1).tolist(),
                                                     (total > 0).tolist())):
            if row_bad:
                first = negative[r][bad[r].tolist().index(True)]
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry < 0)" if first else
                                   "invalid multinomial distribution (encountering probability "
                                   "entry = infinity or NaN)")
            if not row_total:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= "
                                   "0)")
    if not replacement or num_samples == 1:
        q = _gpu_draw(gpu, generator, "exponential", rows.size, F64, 1.0).reshape(rows.shape)
        ratio = rows.astype(F64) / q
        if num_samples == 1:
            return np.argmax(ratio, axis=1)[:, None].astype(I64)
        return np.argsort(-ratio, axis=1, kind="stable")[:, :num_samples].astype(I64)
    cum = np.cumsum(rows.astype(F64), axis=1) / total[:, None]
    cum[:, -1] = 1.0
    u = _gpu_draw(gpu, generator, "uniform", rows.shape[0] * num_samples, F64)
    u = u.reshape(rows.shape[0], num_samples)
    # searchsorted(cum, u, "left") row by row: how many running sums lie below each uniform
    return (cum[:, None, :] < u[:, :, None]).sum(axis=2).astype(I64)


class _DeviceUniforms:
    """What the scalar samplers (`_poisson_one`) read as a generator, drawing uniforms on
    the GPU in batches, which come to the host to drive the Python loop."""

    def __init__(self, gpu, generator, batch):
        self._gpu, self._generator, self._batch = gpu, generator, max(batch, 64)
        self._values, self._next = [], 0

    def _u53_scalar(self):
        if self._next == len(self._values):
            drawn = _gpu_draw(self._gpu, self._generator, "uniform", self._batch, F64)
            self._values, self._next = self._gpu.to_host(drawn).tolist(), 0
        self._next += 1
        return self._values[self._next - 1]


def poisson(input, generator=None):
    """Poisson samples with the rates in `input` (float32 or float64), element by element."""
    gen = _get(generator) if _gpu_of_tensor(input) is None else None
    rates = input._data
    if rates.dtype.kind != "f" or rates.dtype == F16:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    flat = _in_fill_order(rates, rates).astype(F64)
    if (flat < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    gpu = _gpu_of_tensor(input)
    if gpu is not None:
        # the rates come to the host (a sampler loop in Python), the uniforms from the GPU's
        # generator; the samples go back to the GPU
        gen = _DeviceUniforms(gpu, generator, flat.size)
        flat = gpu.to_host(flat)
    vals = np.array([_poisson_one(gen, lam) for lam in flat.tolist()], dtype=F64)
    if gpu is not None:
        vals = upload_like(rates, vals)
    return Tensor._make(_arrange(vals.astype(rates.dtype), rates))


# ================================================================================================
# In-place samplers (Tensor methods)
# ================================================================================================

def _contiguous(a):
    return a.flags.c_contiguous


def uniform_(self, from_=0, to=1, *, generator=None, **kwargs):
    """Fill with uniform numbers in [from, to), in place (what nn.init.uniform_ calls)."""
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    self._check_inplace()
    dt = self.dtype
    _need_float(dt, "check_uniform_bounds")
    lo, hi = float(from_), float(to)
    real = dt.to_real() if dt.category == _dtype.COMPLEX else dt
    name = _C_NAMES[real.name]
    if not math.isfinite(lo):
        raise RuntimeError(f"from is out of bounds for {name}")
    if not math.isfinite(hi):
        raise RuntimeError(f"to is out of bounds for {name}")
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(lo)} > to={_fmt(hi)}")
    if hi - lo > float(np.finfo(real.np).max):
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<"
                           f"{real.scalar_name}>::max(), but found to={_fmt(hi)} and "
                           f"from={_fmt(lo)} which result in to-from to exceed the limit")
    gpu = _gpu_of_tensor(self)
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "uniform", self._data.size, dt.np, lo, hi)
    else:
        values = _uniform_array(_get(generator), self._data.size, dt.np, lo, hi)
    return _store(self, values, "UniformBackward0")


def normal_(self, mean=0, std=1, *, generator=None):
    """Fill with normal numbers, in place (what nn.init.normal_ and nn.Embedding call)."""
    self._check_inplace()
    dt = self.dtype
    _need_float(dt, "normal_kernel_cpu")
    _check_std(std)
    gpu = _gpu_of_tensor(self)
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "normal", self._data.size, dt.np, float(mean),
                           float(std))
    else:
        values = _normal_array(_get(generator), self._data.size, dt.np, float(mean),
                               float(std), _contiguous(self._data))
    return _store(self, values, "NormalBackward0")


_MISSING = object()


def random_(self, *args, generator=None, **kwargs):
    """`random_()`, `random_(to)`, `random_(from, to)` (`to=None`: up to the dtype's largest
    value): integers drawn as PyTorch draws them."""
    frm = kwargs.pop("from", _MISSING)
    to = kwargs.pop("to", _MISSING)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) > 2 or (len(args) == 2 and (frm is not _MISSING or to is not _MISSING)):
        raise TypeError("random_() received an invalid combination of arguments")
    if len(args) == 2:
        frm, to = args
    elif len(args) == 1:
        if frm is _MISSING and to is _MISSING:
            to = args[0]
        else:
            frm = args[0]
    for v in (frm, to):
        if v is not _MISSING and v is not None and (
                isinstance(v, (float, bool)) or not hasattr(v, "__index__")):
            raise TypeError(f"random_() received an invalid combination of arguments - got "
                            f"({type(v).__name__}), but expected one of:\n * (*, "
                            "torch.Generator generator = None)\n * (int from, int to, *, "
                            "torch.Generator generator = None)\n * (int to, *, "
                            "torch.Generator generator = None)")
    self._check_inplace()
    if frm is _MISSING and (to is _MISSING or to is None):
        frm = to = None
        node = "RandomBackward2"
    elif frm is _MISSING:
        frm, to, node = 0, _check_int64(to, "random_"), "RandomBackward1"
    else:
        frm = _check_int64(frm, "random_")
        to = None if to is _MISSING or to is None else _check_int64(to, "random_")
        node = "RandomBackward0"
    gpu = _gpu_of_tensor(self)
    values = _random_values(_get(generator) if gpu is None else None, self._data.size,
                            self.dtype, frm, to, gpu, generator)
    return _store(self, values, node)


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1: each element is 1 with probability p (a number, or a tensor of
    probabilities broadcast to this shape). Dropout masks are `bernoulli_(1 - p)`."""
    self._check_inplace()
    gpu = _gpu_of_tensor(self)
    gen = _get(generator) if gpu is None else None
    if isinstance(p, Tensor):
        _need_kernel(self, "bernoulli_tensor_cpu_self_", "fiub")
        probs = p._data
        if probs.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                      f"'{p.dtype.scalar_name}'")
        try:
            np.broadcast_to(probs, self._data.shape)
        except ValueError:
            raise RuntimeError(_expand_message(self._data.shape, probs.shape)) from None
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
        if gpu is not None:
            values = _gpu_draw(gpu, generator, "bernoulli", self._data.size, self._data.dtype,
                               _in_fill_order(probs, self._data))
        else:
            values = _bernoulli_tensor_array(gen, _in_fill_order(probs, self._data),
                                             self._data.dtype)
        return _store(self, values, "BernoulliBackward1")
    _need_kernel(self, "bernoulli_scalar_cpu_", "fiub")
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "bernoulli", self._data.size, self._data.dtype, p)
    else:
        values = _bernoulli_scalar_array(gen, self._data.size, p, self._data.dtype)
    return _store(self, values, "BernoulliBackward2")


def _expand_message(target, shape):
    nt, ns = len(target), len(shape)
    for i in range(1, ns + 1):
        s, t = shape[-i], target[-i] if i <= nt else None
        if t is not None and s != 1 and s != t:
            return (f"The expanded size of the tensor ({t}) must match the existing size ({s}) "
                    f"at non-singleton dimension {nt - i}.  Target sizes: "
                    f"[{', '.join(map(str, target))}].  Tensor sizes: "
                    f"[{', '.join(map(str, shape))}]")
    return (f"expand: the number of sizes provided ({nt}) must be greater or equal to the "
            f"number of dimensions in the tensor ({ns})")


def _bernoulli_method(self, p=None, *, generator=None):
    if p is None:
        return bernoulli(self, generator=generator)
    return bernoulli(self, p, generator=generator)


def _need_float_dist(self, what, c_name=False):
    if self._data.dtype.kind != "f":
        kind = _CPP_TYPE_NAMES[self.dtype.name] if c_name else self.dtype.scalar_name
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {kind}")


def _need_kernel(self, kernel, kinds="f"):
    if self._data.dtype.kind not in kinds:
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{self.dtype.scalar_name}'")


def exponential_(self, lambd=1, *, generator=None):
    """Fill with exponential numbers of rate `lambd`, in place."""
    self._check_inplace()
    _need_float_dist(self, "Exponential")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    gpu = _gpu_of_tensor(self)
    if gpu is not None:
        values = _gpu_draw(gpu, generator, "exponential", self._data.size, self._data.dtype,
                           float(lambd))
    else:
        values = _exponential_array(_get(generator), self._data.size, float(lambd),
                                    self._data.dtype)
    return _store(self, values, "ExponentialBackward0")


def geometric_(self, p, *, generator=None):
    """Fill with geometric numbers (trials until the first success, probability p)."""
    self._check_inplace()
    _need_kernel(self, "geometric_cpu", "fiu")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    gpu = _gpu_of_tensor(self)
    if gpu is not None:
        u = _gpu_draw(gpu, generator, "uniform", self._data.size, F64)
        vals = np.ceil(np.log(u) / math.log1p(-p))
        dtype = self._data.dtype
        values = vals.astype(I64).astype(dtype) if dtype.kind in "iub" else vals.astype(dtype)
    else:
        values = _geometric_array(_get(generator), self._data.size, float(p),
                                  self._data.dtype)
    return _store(self, values, "GeometricBackward0")


def log_normal_(self, mean=1, std=2, *, generator=None):
    """Fill with exp(normal(mean, std)), in place."""
    self._check_inplace()
    _need_kernel(self, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    gpu = _gpu_of_tensor(self)
    if gpu is not None:
        values = np.exp(_gpu_draw(gpu, generator, "normal", self._data.size, F64, float(mean),
                                  float(std))).astype(self._data.dtype)
    else:
        values = _log_normal_array(_get(generator), self._data.size, float(mean), float(std),
                                   self._data.dtype)
    return _store(self, values, "LogNormalBackward0")


def cauchy_(self, median=0, sigma=1, *, generator=None):
    """Fill with Cauchy numbers, in place."""
    self._check_inplace()
    _need_float_dist(self, "Cauchy", c_name=True)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    gpu = _gpu_of_tensor(self)
    if gpu is not None:
        u = _gpu_draw(gpu, generator, "uniform", self._data.size, F64)
        values = (float(median) + float(sigma) * np.tan(math.pi * (u - 0.5))).astype(
            self._data.dtype)
    else:
        values = _cauchy_array(_get(generator), self._data.size, float(median), float(sigma),
                               self._data.dtype)
    return _store(self, values, "CauchyBackward0")


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


Tensor.uniform_ = uniform_
Tensor.normal_ = normal_
Tensor.random_ = random_
Tensor.bernoulli_ = bernoulli_
Tensor.bernoulli = _bernoulli_method
Tensor.exponential_ = exponential_
Tensor.geometric_ = geometric_
Tensor.log_normal_ = log_normal_
Tensor.cauchy_ = cauchy_
Tensor.multinomial = _multinomial_method

__all__ = ["rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial", "poisson"]


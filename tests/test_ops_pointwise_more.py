"""Differential tests of the pointwise ops beyond the arithmetic core (issue 3's Pointwise list):
transcendental functions, rounding, clamping, maximum/minimum, fmod, lerp, nan_to_num, tests of
values, logic and closeness, and a few more binary functions.

Each op runs on the same data in ember and PyTorch: values (bit for bit for the exact ops,
within an ulp for the transcendental ones), dtype, shape, grad_fn name, float32 gradients
against PyTorch's, float64 gradients against numerical ones (`ember.autograd.gradcheck`), the
method, in-place and `out=` forms, and the errors PyTorch raises.
"""
import math
import warnings
import zlib

import numpy as np
import pytest

from helpers import assert_same as _assert_same
from helpers import assert_same_error, backward_both, ember_and_torch, sample, torch

import ember


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def lib_of(x):
    return torch if isinstance(x, torch.Tensor) else ember


def run_both(fn, *arrays, requires_grad=False):
    """`fn(lib, *tensors)` in both libraries on the same data. When torch raises, ember must
    raise the same exception type with the same message; returns (ember, torch, leaves) or
    None."""
    pairs = [ember_and_torch(a, requires_grad) if isinstance(a, np.ndarray) else (a, a)
             for a in arrays]
    e_in, t_in = [p[0] for p in pairs], [p[1] for p in pairs]
    try:
        t_out = fn(torch, *t_in)
    except Exception as t_error:  # noqa: BLE001
        e_error, _ = assert_same_error(lambda: fn(ember, *e_in), lambda: fn(torch, *t_in))
        assert str(e_error) == str(t_error), f"ember: {e_error}\ntorch: {t_error}"
        return None
    return fn(ember, *e_in), t_out, (e_in, t_in)


def grad_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def assert_same(e, t, ulp=None, **tol):
    """helpers.assert_same; an ulp tolerance on float64 is given as a relative one (the
    helper counts float64 ulps through float64 arithmetic, which rounds them)."""
    if ulp is not None and isinstance(t, torch.Tensor) and t.dtype == torch.float64:
        return _assert_same(e, t, rtol=2.3e-16 * ulp * 2, atol=1e-300)
    return _assert_same(e, t, ulp=ulp, **tol)


# ================================================================================================
# unary floating functions
# ================================================================================================

# name -> the NumPy sampler's options (domain) for float inputs
UNARY = {
    "rsqrt": {"positive": True}, "exp2": {}, "expm1": {}, "log2": {"positive": True},
    "log10": {"positive": True}, "log1p": {"low": -0.9, "high": 5}, "tan": {},
    "asin": {"low": -1, "high": 1}, "acos": {"low": -1, "high": 1}, "atan": {},
    "sinh": {}, "cosh": {}, "asinh": {}, "acosh": {"low": 1.01, "high": 9},
    "atanh": {"low": -0.99, "high": 0.99}, "erf": {}, "erfc": {},
    "logit": {"low": 0.01, "high": 0.99}, "sinc": {},
}
ALL_DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "int8", "bool"]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_values(op, dtype):
    """Within an ulp of PyTorch for every dtype (integers compute in the default float dtype),
    including nan, infinities and signed zeros (`specials`)."""
    rng = rng_for(op, dtype)
    a = sample((48,), dtype, rng, specials=True)
    if dtype.startswith("float"):
        a[:24] = sample((24,), dtype, rng, **UNARY[op])
    r = run_both(lambda T, x: getattr(T, op)(x), a)
    if r:
        assert_same(r[0], r[1], ulp=1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_wide_range(op, dtype):
    """Many magnitudes: overflow to inf, underflow, tiny arguments."""
    a = np.concatenate([np.linspace(-100, 100, 201), np.geomspace(1e-30, 1e30, 61),
                        -np.geomspace(1e-30, 1e30, 61), np.linspace(-1, 1, 41)]).astype(dtype)
    r = run_both(lambda T, x: getattr(T, op)(x), a)
    # sinc: PyTorch's sinf(pi x) is an ulp off near the zeros of large arguments
    assert_same(r[0], r[1], ulp=2 if op == "sinc" else 1)


def test_erf_is_math_erf():
    """float64 erf and erfc are the C library's, as Python's math module gives them."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(20000) * 2, rng.standard_normal(2000) * 1e-3,
                        np.linspace(-30, 30, 6001), [0.0, -0.0, 1e-310, -1e-310, 1e-20,
                                                     0.84375, 1.25, 6.0, 28.0, -28.0]])
    e = ember.tensor(x, dtype=ember.float64)
    assert_same(ember.erf(e), torch.from_numpy(np.array([math.erf(v) for v in x])))
    assert_same(ember.erfc(e), torch.from_numpy(np.array([math.erfc(v) for v in x])))
    assert_same(ember.erf(ember.tensor([math.inf, -math.inf, math.nan], dtype=ember.float64)),
                torch.tensor([1.0, -1.0, math.nan], dtype=torch.float64))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", sorted(UNARY) + ["square", "deg2rad", "rad2deg", "frac"])
def test_unary_grad(op, dtype):
    """grad_fn names and the gradients of a weighted sum, against PyTorch's."""
    a = sample((3, 4), dtype, rng_for("grad", op, dtype), **UNARY.get(op, {}))
    e_out, t_out, ((e,), (t,)) = run_both(lambda T, x: getattr(T, op)(x), a, requires_grad=True)
    assert grad_name(e_out) == grad_name(t_out)
    backward_both(e_out, t_out)
    assert_same(e.grad, t.grad, exact=False)


@pytest.mark.parametrize("op", sorted(UNARY) + ["square", "frac", "deg2rad", "rad2deg"])
def test_unary_gradcheck(op):
    """float64 derivatives against central differences (first and second order)."""
    a = sample((5,), "float64", rng_for("gc", op), **UNARY.get(op, {}))
    x = ember.tensor(a, requires_grad=True)
    fn = getattr(ember, op)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("op", ["floor", "ceil", "round", "trunc", "frac", "sgn", "nan_to_num",
                                "square", "isnan", "isinf", "isfinite", "isposinf",
                                "isneginf", "signbit", "logical_not", "deg2rad", "rad2deg"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_exact_unary(op, dtype):
    """Exact ops agree bit for bit (or raise PyTorch's error, e.g. floor of a bool)."""
    a = sample((40,), dtype, rng_for("exact", op, dtype), specials=True)
    if dtype.startswith("float"):
        a[:6] = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1e30], a.dtype)   # halves round to even
    r = run_both(lambda T, x: getattr(T, op)(x), a)
    if r:
        assert_same(r[0], r[1])


@pytest.mark.parametrize("decimals", [1, 2, 3, -1, -2])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64"])
def test_round_decimals(dtype, decimals):
    a = sample((30,), dtype, rng_for("round", dtype, decimals)) * 37
    if dtype.startswith("float"):
        a[:4] = np.array([1.005, 2.675, 0.125, 1234.5678], a.dtype)
    r = run_both(lambda T, x: T.round(x, decimals=decimals), a, requires_grad=dtype == "float32")
    if r:
        assert_same(r[0], r[1])
        assert grad_name(r[0]) == grad_name(r[1])


@pytest.mark.parametrize("kwargs", [{}, {"nan": 2.5}, {"nan": 1.0, "posinf": 7.0, "neginf": -7.0},
                                    {"posinf": 1e10}], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32"])
def test_nan_to_num(dtype, kwargs):
    a = sample((30,), dtype, rng_for("n2n", dtype, str(kwargs)), specials=True)
    r = run_both(lambda T, x: T.nan_to_num(x, **kwargs), a)
    assert_same(r[0], r[1])


# ================================================================================================
# binary functions
# ================================================================================================

BINARY = {
    "atan2": ({"ulp": 1}, lambda T, a, b: T.atan2(a, b)),
    "maximum": ({}, lambda T, a, b: T.maximum(a, b)),
    "minimum": ({}, lambda T, a, b: T.minimum(a, b)),
    "max_binary": ({}, lambda T, a, b: T.max(a, b)),
    "min_binary": ({}, lambda T, a, b: T.min(a, b)),
    "fmax": ({}, lambda T, a, b: T.fmax(a, b)),
    "fmin": ({}, lambda T, a, b: T.fmin(a, b)),
    "fmod": ({}, lambda T, a, b: T.fmod(a, b)),
    "hypot": ({"ulp": 1}, lambda T, a, b: T.hypot(a, b)),
    "copysign": ({}, lambda T, a, b: T.copysign(a, b)),
    "xlogy": ({"ulp": 1}, lambda T, a, b: T.xlogy(a, b)),
    "logical_and": ({}, lambda T, a, b: T.logical_and(a, b)),
    "logical_or": ({}, lambda T, a, b: T.logical_or(a, b)),
    "logical_xor": ({}, lambda T, a, b: T.logical_xor(a, b)),
    "clamp_tensors": ({}, lambda T, a, b: T.clamp(a, b, b + 1)),
    "clamp_tensor_min": ({}, lambda T, a, b: T.clamp(a, min=b)),
    "clamp_tensor_max": ({}, lambda T, a, b: a.clamp(max=b)),
    "clamp_min": ({}, lambda T, a, b: T.clamp_min(a, b)),
    "clamp_max": ({}, lambda T, a, b: T.clamp_max(a, b)),
    "isclose": ({}, lambda T, a, b: T.isclose(a, b)),
    "isclose_tolerances": ({}, lambda T, a, b: T.isclose(a, b, rtol=0.5, atol=0.1,
                                                        equal_nan=True)),
    "lerp_small_weight": ({}, lambda T, a, b: T.lerp(a, b, 0.3)),
    "lerp_large_weight": ({}, lambda T, a, b: T.lerp(a, b, 0.7)),
    "lerp_tensor_weight": ({}, lambda T, a, b: T.lerp(a, b, b)),
    "addcmul": ({}, lambda T, a, b: T.addcmul(a, b, a, value=0.5)),
    "addcdiv": ({}, lambda T, a, b: T.addcdiv(a, a, b, value=-1.5)),
    "heaviside": ({}, lambda T, a, b: T.heaviside(a, b)),
    "gcd": ({}, lambda T, a, b: T.gcd(a, b)),
    "lcm": ({}, lambda T, a, b: T.lcm(a, b)),
    "isin": ({}, lambda T, a, b: T.isin(a, b)),
    "isin_invert": ({}, lambda T, a, b: T.isin(a, b, invert=True)),
}
DTYPE_PAIRS = [("float32", "float32"), ("float64", "float64"), ("float16", "float16"),
               ("int64", "int64"), ("int32", "float32"), ("bool", "bool"), ("uint8", "int8"),
               ("float32", "float64"), ("int64", "float16"), ("bool", "float32")]
SHAPE_PAIRS = [((40,), (40,)), ((3, 1), (1, 4)), ((), (5,)), ((37,), ()), ((2, 3), (4,))]


@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids="-".join)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_values(op, dtypes, shapes):
    """Values, dtype (PyTorch's promotion) and shape (broadcasting), or PyTorch's error."""
    rng = rng_for(op, dtypes, shapes)
    a = sample(shapes[0], dtypes[0], rng, specials=True)
    b = sample(shapes[1], dtypes[1], rng, specials=True)
    tol, fn = BINARY[op]
    r = run_both(fn, a, b)
    if r is None:
        return
    e_out, t_out, _ = r
    if isinstance(t_out, torch.Tensor) and not t_out.dtype.is_floating_point:
        tol = {}
    assert_same(e_out, t_out, **tol)


def test_signed_zero_ties_follow_the_vector_and_scalar_loops():
    """maximum/minimum/clamp of 0.0 and -0.0: PyTorch's vector code returns the second operand,
    its scalar code (the tail of each run) the first."""
    zeros = np.zeros(45, np.float32)
    for fn in (lambda T, a, b: T.maximum(a, b), lambda T, a, b: T.minimum(a, b),
               lambda T, a, b: T.clamp(a, min=b), lambda T, a, b: T.clamp(a, b, b),
               lambda T, a, b: T.clamp(a, -0.0, 0.0), lambda T, a, b: T.maximum(a, b[:1])):
        for first, second in ((zeros, -zeros), (-zeros, zeros)):
            e, t, _ = run_both(fn, first, second)
            assert_same(e, t)
        e, t, _ = run_both(fn, zeros.reshape(5, 9), -zeros.reshape(5, 9)[:1])
        assert_same(e, t)


def test_logaddexp_values():
    """logaddexp(2) round each step as PyTorch does; where the two terms nearly cancel the
    result can differ by an ulp of the inputs (PyTorch's exp/log1p are not correctly rounded)."""
    rng = rng_for("logaddexp")
    for dtype in ("float32", "float64", "float16"):
        a, b = sample((60,), dtype, rng, specials=True), sample((60,), dtype, rng, specials=True)
        for op in ("logaddexp", "logaddexp2"):
            e, t, _ = run_both(lambda T, x, y: getattr(T, op)(x, y), a, b)
            scale = np.nan_to_num(np.maximum(np.abs(a), np.abs(b)).astype(np.float64), posinf=0)
            tol = np.finfo(np.dtype(dtype)).eps * 4 * (scale.max() + 1)
            assert_same(e, t, rtol=1e-6 if dtype != "float16" else 1e-3, atol=tol)
    r = run_both(lambda T, x, y: T.logaddexp(x, y), np.array([1, 2]), np.array([3, 4]))
    assert r is None                                # integer inputs: NotImplementedError


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_lerp_is_fused(dtype):
    """PyTorch's lerp is one fused multiply-add from the nearer end: bit for bit in float32 and
    float16 (float64's fma is emulated, within an ulp)."""
    rng = rng_for("lerp", dtype)
    a, b = sample((200,), dtype, rng), sample((200,), dtype, rng)
    w = rng.uniform(-1, 2, size=200).astype(dtype)
    tol = {} if dtype != "float64" else {"ulp": 1}
    for weight in (0.25, 0.5, 0.75, -0.3, 1.5):
        e, t, _ = run_both(lambda T, x, y: T.lerp(x, y, weight), a, b)
        assert_same(e, t, **tol)
    e, t, _ = run_both(lambda T, x, y, z: T.lerp(x, y, z), a, b, w)
    assert_same(e, t, **tol)
    e, t, _ = run_both(lambda T, x, y, z: T.addcmul(x, y, z, value=0.7), a, b, w)
    assert_same(e, t, **tol)


# gradients of the binary ops: (fn, ember-and-torch samplers of the two operands)
BINARY_GRAD = {
    "atan2": (lambda T, a, b: T.atan2(a, b), {}, {}),
    "maximum": (lambda T, a, b: T.maximum(a, b), {}, {}),
    "minimum": (lambda T, a, b: T.minimum(a, b), {}, {}),
    "fmax": (lambda T, a, b: T.fmax(a, b), {}, {}),
    "fmin": (lambda T, a, b: T.fmin(a, b), {}, {}),
    "fmod": (lambda T, a, b: T.fmod(a, b), {}, {"positive": True}),
    "fmod_scalar": (lambda T, a, b: T.fmod(a, 1.5) * b, {}, {}),
    "hypot": (lambda T, a, b: T.hypot(a, b), {}, {}),
    "logaddexp": (lambda T, a, b: T.logaddexp(a, b), {}, {}),
    "logaddexp2": (lambda T, a, b: T.logaddexp2(a, b), {}, {}),
    "copysign": (lambda T, a, b: T.copysign(a, b), {}, {}),
    "copysign_scalar": (lambda T, a, b: T.copysign(a, -2.0) * b, {}, {}),
    "xlogy": (lambda T, a, b: T.xlogy(a, b), {}, {"positive": True}),
    "xlogy_scalar_other": (lambda T, a, b: T.xlogy(a, 3.0) + b, {}, {}),
    "xlogy_scalar_self": (lambda T, a, b: T.xlogy(2.0, b) + a, {}, {"positive": True}),
    "clamp_scalars": (lambda T, a, b: T.clamp(a, -0.5, 0.5) * b, {}, {}),
    "clamp_min_only": (lambda T, a, b: T.clamp(a, min=0.1) * b, {}, {}),
    "clamp_max_only": (lambda T, a, b: a.clip(max=0.1) * b, {}, {}),
    "clamp_tensors": (lambda T, a, b: T.clamp(a, b, b + 1), {}, {}),
    "clamp_min_tensor": (lambda T, a, b: T.clamp(a, min=b), {}, {}),
    "clamp_max_tensor": (lambda T, a, b: T.clamp(a, max=b), {}, {}),
    "clamp_min_fn": (lambda T, a, b: T.clamp_min(a, b) + T.clamp_min(b, 0.2), {}, {}),
    "clamp_max_fn": (lambda T, a, b: T.clamp_max(a, b) + T.clamp_max(b, 0.2), {}, {}),
    "lerp": (lambda T, a, b: T.lerp(a, b, 0.3), {}, {}),
    "lerp_tensor": (lambda T, a, b: T.lerp(a, b, b.sigmoid()), {}, {}),
    "nan_to_num": (lambda T, a, b: T.nan_to_num(a / b), {}, {}),
    "addcmul": (lambda T, a, b: T.addcmul(a, b, b * 2, value=0.5), {}, {}),
    "addcdiv": (lambda T, a, b: T.addcdiv(a, a, b, value=0.5), {}, {"positive": True}),
    "rounding": (lambda T, a, b: a.floor() + a.ceil() * b + a.trunc() + a.round() + a.frac(),
                 {}, {}),
    "sgn": (lambda T, a, b: a.sgn() * b, {}, {}),
    "float_power": (lambda T, a, b: T.float_power(a.abs(), b), {}, {}),
    "logit": (lambda T, a, b: T.logit(a.sigmoid()) * b + T.logit(b.sigmoid(), eps=0.3), {}, {}),
    "sinc": (lambda T, a, b: T.sinc(a) * b, {}, {}),
}


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (4,))], ids=str)
@pytest.mark.parametrize("op", sorted(BINARY_GRAD))
def test_binary_grad(op, shapes):
    """float32 gradients (and grad_fn names) against PyTorch's, with broadcasting."""
    fn, sa, sb = BINARY_GRAD[op]
    rng = rng_for("bgrad", op, shapes)
    a, b = sample(shapes[0], "float32", rng, **sa), sample(shapes[1], "float32", rng, **sb)
    a[0, 0] = b.reshape(-1)[0]                      # one tie for maximum/minimum/fmax/fmin
    e_out, t_out, (e_in, t_in) = run_both(fn, a, b, requires_grad=True)
    assert grad_name(e_out) == grad_name(t_out)
    backward_both(e_out, t_out)
    for e, t in zip(e_in, t_in):
        assert_same(e.grad, plain(t.grad), exact=False)


def plain(g):
    """PyTorch may hand back an efficient ZeroTensor as a gradient."""
    return torch.zeros(g.shape, dtype=g.dtype) if g._is_zerotensor() else g


@pytest.mark.parametrize("op", sorted(BINARY_GRAD))
def test_binary_gradcheck(op):
    fn, sa, sb = BINARY_GRAD[op]
    rng = rng_for("bgc", op)
    a = ember.tensor(sample((3, 1), "float64", rng, **sa) * 0.7 + 0.05, requires_grad=True)
    b = ember.tensor(sample((4,), "float64", rng, **sb) * 0.9 + 0.03, requires_grad=True)
    f = (lambda x, y: fn(ember, x, y))
    assert ember.autograd.gradcheck(f, (a, b))
    assert ember.autograd.gradgradcheck(f, (a, b))


# ================================================================================================
# forms: methods, in-place, out=, aliases
# ================================================================================================

METHOD_CALLS = [
    ("rsqrt", ()), ("square", ()), ("exp2", ()), ("expm1", ()), ("log2", ()), ("log10", ()),
    ("log1p", ()), ("tan", ()), ("asin", ()), ("acos", ()), ("atan", ()), ("sinh", ()),
    ("cosh", ()), ("asinh", ()), ("atanh", ()), ("erf", ()), ("erfc", ()), ("floor", ()),
    ("ceil", ()), ("round", ()), ("trunc", ()), ("frac", ()), ("fix", ()), ("sgn", ()),
    ("nan_to_num", ()), ("deg2rad", ()), ("rad2deg", ()), ("clamp", (0.1, 0.4)),
    ("clip", (0.1, 0.4)), ("clamp_min", (0.3,)), ("clamp_max", (0.3,)), ("fmod", (0.3,)),
    ("copysign", (-1.0,)), ("xlogy", (2.0,)), ("absolute", ()), ("arcsin", ()),
    ("logit", ()), ("logit", (0.2,)), ("sinc", ()),
    ("arccos", ()), ("arctan", ()), ("arcsinh", ()), ("arctanh", ()),
]


@pytest.mark.parametrize("name,args", METHOD_CALLS, ids=[m[0] for m in METHOD_CALLS])
def test_method_inplace_and_out_forms(name, args):
    a = sample((2, 3), "float32", rng_for("forms", name), low=0.05, high=0.9)
    e, t = ember_and_torch(a)
    assert_same(getattr(e, name)(*args), getattr(t, name)(*args), ulp=1)
    assert_same(getattr(ember, name)(e, *args), getattr(torch, name)(t, *args), ulp=1)
    e2, t2 = e.clone(), t.clone()
    assert getattr(e2, name + "_")(*args) is e2
    getattr(t2, name + "_")(*args)
    assert_same(e2, t2, ulp=1)
    assert e2._version == t2._version
    if name not in ("absolute", "fix", "clip", "arcsin", "arccos", "arctan", "arcsinh",
                    "arctanh"):
        e_out, t_out = ember.empty(0), torch.empty(0)
        assert getattr(ember, name)(e, *args, out=e_out) is e_out
        getattr(torch, name)(t, *args, out=t_out)
        assert_same(e_out, t_out, ulp=1)


def test_binary_method_and_inplace_forms():
    rng = rng_for("binary forms")
    a, b = sample((3, 4), "float32", rng), sample((4,), "float32", rng, positive=True)
    for name, args in [("atan2", ("b",)), ("maximum", ("b",)), ("minimum", ("b",)),
                       ("fmax", ("b",)), ("fmin", ("b",)), ("fmod", ("b",)),
                       ("hypot", ("b",)), ("logaddexp", ("b",)), ("copysign", ("b",)),
                       ("xlogy", ("b",)), ("lerp", ("b", 0.3)), ("clamp", ("b",)),
                       ("logical_and", ("b",)), ("logical_or", ("b",)),
                       ("logical_xor", ("b",)), ("addcmul", ("b", "b")),
                       ("addcdiv", ("b", "b")), ("arctan2", ("b",)), ("greater", ("b",)),
                       ("greater_equal", ("b",)), ("less", ("b",)), ("less_equal", ("b",)),
                       ("not_equal", ("b",)), ("eq", ("b",)), ("lt", ("b",)),
                       ("multiply", ("b",)), ("subtract", ("b",)), ("true_divide", ("b",))]:
        e, t = ember_and_torch(a)
        eb, tb = ember_and_torch(b)
        e_args = [eb if x == "b" else x for x in args]
        t_args = [tb if x == "b" else x for x in args]
        assert_same(getattr(e, name)(*e_args), getattr(t, name)(*t_args), ulp=1)
        if hasattr(t, name + "_"):
            getattr(e, name + "_")(*e_args)
            getattr(t, name + "_")(*t_args)
            assert_same(e, t, ulp=1)
    e, t = ember_and_torch(a)
    assert_same(e.where(e > 0, 0.5), t.where(t > 0, 0.5))
    ei, ti = ember_and_torch(np.array([5, 6, 7]))
    ei &= ember.tensor(3)
    ti &= torch.tensor(3)
    assert_same(ei, ti)
    ei |= ember.tensor([8, 0, 1])
    ti |= torch.tensor([8, 0, 1])
    ei ^= ember.tensor(1)
    ti ^= torch.tensor(1)
    assert_same(ei, ti)


def test_predicates_and_closeness():
    rng = rng_for("predicates")
    a = sample((30,), "float32", rng, specials=True)
    b = a + sample((30,), "float32", rng) * np.float32(1e-6)
    e, t = ember_and_torch(a)
    eb, tb = ember_and_torch(b)
    assert ember.equal(e, e.clone()) is torch.equal(t, t.clone())
    assert ember.equal(e, eb) is torch.equal(t, tb)
    assert ember.equal(e[:3], e) is torch.equal(t[:3], t) is False
    ei, ti = ember_and_torch(np.array([1, 2, 3]))
    assert ember.equal(ei, ember.tensor([1.0, 2.0, 3.0])) is torch.equal(
        ti, torch.tensor([1.0, 2.0, 3.0])) is True
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0, "atol": 0}, {"rtol": 1e-3}):
        assert_same(ember.isclose(e, eb, **kwargs), torch.isclose(t, tb, **kwargs))
        assert ember.allclose(e, eb, **kwargs) is torch.allclose(t, tb, **kwargs)
    finite = np.nan_to_num(a, posinf=0, neginf=0)
    e, t = ember_and_torch(finite)
    assert ember.allclose(e, e + 1e-9) is torch.allclose(t, t + 1e-9) is True
    assert e.allclose(e) is True and bool(e.isclose(e).all())
    for dtype in ("int64", "bool", "uint8"):
        x = sample((10,), dtype, rng)
        y = sample((10,), dtype, rng)
        r = run_both(lambda T, p, q: T.isclose(p, q, rtol=0.1, atol=1), x, y)
        assert_same(r[0], r[1])


def test_errors():
    f32 = np.array([1.0, 2.0], np.float32)
    i64 = np.array([1, 2])
    b = np.array([True, False])
    cases = [
        (lambda T, x: T.clamp(x), f32),
        (lambda T, x: T.clamp(x, T.tensor([1.0]), 2.0), f32),
        (lambda T, x: T.clamp(x, 1000), np.array([1, 2], np.int8)),
        (lambda T, x: T.clamp(x, max=1e10), f32.astype(np.float16)),
        (lambda T, x: T.clamp(x, min=True), b),
        (lambda T, x: T.clamp(x, True, True), b),
        (lambda T, x: T.clamp(x, T.zeros(3)), f32),
        (lambda T, x: x.clone().clamp_(T.zeros(3, 2)), f32),
        (lambda T, x: T.maximum(x, 2), f32),
        (lambda T, x: T.atan2(x, 2.0), f32),
        (lambda T, x: T.fmod(x, 0), i64),
        (lambda T, x: T.fmod(x, x), b),
        (lambda T, x: T.lerp(x, x, 0.5), i64),
        (lambda T, x: T.lerp(x, x.double(), 0.5), f32),
        (lambda T, x: T.lerp(x, x, x.double()), f32),
        (lambda T, x: T.lerp(x, T.ones(3), 0.5), f32),
        (lambda T, x: T.floor(x), b),
        (lambda T, x: T.frac(x), i64),
        (lambda T, x: T.round(x, decimals=2), i64),
        (lambda T, x: T.isclose(x, x.double()), f32),
        (lambda T, x: T.isclose(x, x, rtol=-1), f32),
        (lambda T, x: T.logical_xor(x, 2), i64),
        (lambda T, x: T.hypot(x, x), i64),
        (lambda T, x: T.addcdiv(x, x, x), i64),
        (lambda T, x: T.addcmul(x, x, x), b),
        (lambda T, x: T.heaviside(x, T.tensor([1])), f32),
        (lambda T, x: T.positive(x), b),
        (lambda T, x: x.clone().exp2_(), i64),
    ]
    for fn, a in cases:
        assert run_both(fn, a) is None, fn


def test_out_with_grad_raises_and_inplace_version():
    e = ember.tensor([0.5, 1.5], requires_grad=True)
    t = torch.tensor([0.5, 1.5], requires_grad=True)
    assert_same_error(lambda: ember.erf(e, out=ember.empty(2)),
                      lambda: torch.erf(t, out=torch.empty(2)), match="erf")
    # an in-place op on a leaf that requires grad
    assert_same_error(lambda: e.clamp_(0, 1), lambda: t.clamp_(0, 1))
    # in-place op through autograd: the gradient of the op's input
    for name, args in [("clamp_", (0.0, 1.0)), ("erf_", ()), ("rsqrt_", ()), ("lerp_", (2.0, 0.3)),
                       ("atan2_", (1.5,))]:
        e = ember.tensor([0.5, 1.5, 2.5], requires_grad=True)
        t = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)
        ea = tuple(ember.full((3,), a) if name in ("lerp_", "atan2_") and i == 0 else a
                   for i, a in enumerate(args))
        ta = tuple(torch.full((3,), a) if name in ("lerp_", "atan2_") and i == 0 else a
                   for i, a in enumerate(args))
        ye, yt = e * 1, t * 1
        getattr(ye, name)(*ea)
        getattr(yt, name)(*ta)
        assert grad_name(ye) == grad_name(yt)
        backward_both(ye, yt)
        assert_same(e.grad, t.grad, exact=False)


def test_integer_promotion_of_float_ops():
    """Integer inputs of a floating op take the default dtype; a 0-d tensor promotes as a
    tensor; a Python float as a wrapped number."""
    cases = [
        (lambda T: T.atan2(T.tensor([1, 2], dtype=T.uint8), T.tensor(-3, dtype=T.int8)),),
        (lambda T: T.xlogy(T.tensor([1, 2], dtype=T.uint8), T.tensor(-3, dtype=T.int8)),),
        (lambda T: T.clamp(T.tensor([1, 2, 3]), T.tensor(1.5, dtype=T.float64)),),
        (lambda T: T.clamp(T.tensor([1, 2, 3]), 1.5),),
        (lambda T: T.clamp(T.tensor([1, 2], dtype=T.uint8), -1),),
        (lambda T: T.clamp(T.tensor([True, False]), 0, 1),),
        (lambda T: T.fmod(T.tensor([5, -5]), 1.5),),
        (lambda T: T.fmod(T.tensor([5, -5]), T.tensor(2.5, dtype=T.float64)),),
        (lambda T: T.copysign(T.tensor([5, -5]), -1),),
        (lambda T: T.square(T.tensor([True])),),
        (lambda T: T.square(T.tensor([100], dtype=T.int8)),),
        (lambda T: T.maximum(T.tensor([1, 5]), T.tensor([2.5, 0.5])),),
        (lambda T: T.deg2rad(T.tensor([180, 90])),),
        (lambda T: T.exp2(T.tensor([3, -2])),),
        (lambda T: T.float_power(T.tensor([2, 3]), 2),),
    ]
    for (fn,) in cases:
        assert_same(fn(ember), fn(torch), ulp=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.set_default_dtype(ember.float64)
        try:
            assert ember.erf(ember.tensor([1, 2])).dtype is ember.float64
        finally:
            ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int32"), ("int8", "int8"),
                                    ("uint8", "uint8"), ("int16", "int64"), ("bool", "bool"),
                                    ("float32", "int64"), ("bool", "int64")], ids="-".join)
def test_bit_shifts(dtypes):
    """Shifts past the width or by negative counts give 0 (left) or the sign (right)."""
    a = np.array([1, -8, 100, -1, 5, 7, 0, 3]).astype(dtypes[0])
    b = np.array([1, 2, 70, -1, 3, 200, 5, 8]).astype(dtypes[1])
    for fn in (lambda T, x, y: x << y, lambda T, x, y: x >> y,
               lambda T, x, y: T.bitwise_left_shift(x, y), lambda T, x, y: x.bitwise_right_shift(y),
               lambda T, x, y: x << 3, lambda T, x, y: x >> 1, lambda T, x, y: 3 << y.abs()):
        r = run_both(fn, a, b)
        if r:
            assert_same(r[0], r[1])
    if dtypes[0] == dtypes[1] and dtypes[0] != "bool":
        e, t = ember_and_torch(a)
        e <<= ember.tensor(2, dtype=e.dtype)
        t <<= torch.tensor(2, dtype=t.dtype)
        e >>= 1
        t >>= 1
        assert_same(e, t)


def test_namespace_aliases():
    for name in ("absolute", "arccos", "arcsin", "arctan", "arctan2", "arccosh", "arcsinh",
                 "arctanh", "fix", "clip", "greater", "greater_equal", "less", "less_equal",
                 "not_equal", "isreal", "positive", "signbit", "isposinf", "isneginf"):
        assert callable(getattr(ember, name)), name
    x = ember.tensor([1.0, -2.0])
    assert ember.positive(x) is x
    assert_same(ember.isreal(x), torch.isreal(torch.tensor([1.0, -2.0])))

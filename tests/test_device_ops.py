"""The non-differentiable, integer and bool tensor API on a GPU, checked on the simulated one.

tests/test_device.py runs every differentiable op (the gradcheck table: float64 inputs) on the
simulated GPU of tests/sim_gpu.py. This file covers the rest of the tensor API: comparisons and
predicates, integer and bool arithmetic, sorting and searching, counting, scatter/gather and
indexing, conversions between dtypes, factories with `device=`, `__setitem__`, float16 and the
float32 special functions, over float32, float64, int64, int32, uint8 and bool inputs.

Each entry of `OPS_CASES` (`name: (fn(T, *tensors), [input makers])`) runs on the CPU and on
the device (the same inputs moved there, and the default device set to "cuda", so constants the
entry makes go there too); the results must agree bit for bit (the simulated device computes
with NumPy too) in values, dtype and shape, and every tensor result must be on the device the
inputs were. Entries in `SHAPE_ONLY` (random draws, `empty`) compare device, dtype and shape only:
a GPU draws from its own generator.

`compare_op_on_devices(name, exact)` is what tests/test_cupy.py reuses on a real GPU (to a
tolerance for floats there: other kernels).
"""
import numpy as np
import pytest

import ember



# -- input makers: each returns a new CPU tensor ------------------------------------------------

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]
FLOATS = ["float32", "float64"]
INTS = ["int64", "int32", "uint8"]


def _values(dtype, shape, seed, special=False):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype == "uint8":
        return rng.integers(0, 9, shape)
    if dtype in ("int64", "int32"):
        return rng.integers(-5, 6, shape)
    v = np.round(rng.standard_normal(shape) * 3, 2)
    if special:
        flat = v.reshape(-1)
        flat[:5] = [np.nan, np.inf, -np.inf, -0.0, 0.0][:flat.size]
    return v


def t(dtype="float32", shape=(3, 4), seed=0, special=False):
    """A maker of a tensor of `dtype` with random values (nan, +-inf, -0.0 first if `special`)."""
    def make():
        return ember.tensor(_values(dtype, shape, seed, special), dtype=getattr(ember, dtype))
    return make


def c(values, dtype=None):
    """A maker of a tensor with the given values."""
    def make():
        return ember.tensor(values, dtype=None if dtype is None else getattr(ember, dtype))
    return make


def nonzero_ints(dtype, shape=(3, 4), seed=1):
    def make():
        v = _values(dtype, shape, seed)
        v[v == 0] = 3
        return ember.tensor(v, dtype=getattr(ember, dtype))
    return make


OPS_CASES = {}
SHAPE_ONLY = set()      # random or uninitialised values: device, dtype and shape only
RAISES = set()          # entries that raise: the same error on both devices


def case(name, fn, *makers, values=True, raises=False):
    assert name not in OPS_CASES, name
    OPS_CASES[name] = (fn, list(makers))
    if not values:
        SHAPE_ONLY.add(name)
    if raises:
        RAISES.add(name)


# -- comparisons ------------------------------------------------------------------------------

for _dt in DTYPES:
    _a, _b = t(_dt, seed=0, special=True), t(_dt, seed=1)
    for _op in ["eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum"]:
        case(f"{_op}_{_dt}", lambda T, a, b, op=_op: getattr(T, op)(a, b), _a, _b)
    case(f"eq_scalar_{_dt}", lambda T, a: a == 1, _a)
    case(f"gt_scalar_{_dt}", lambda T, a: a > 0.5, _a)
    case(f"lt_broadcast_{_dt}", lambda T, a, b: a < b[0], _a, _b)
    case(f"equal_{_dt}", lambda T, a, b: (T.equal(a, b), T.equal(a, a.clone()),
                                          a.equal(b[:2])), _a, _b)
for _dt in FLOATS + ["int64", "int32"]:
    _a, _b = t(_dt, seed=0, special=True), t(_dt, seed=1, special=True)
    case(f"fmax_{_dt}", lambda T, a, b: T.fmax(a, b.flip(0)), _a, _b)
    case(f"fmin_{_dt}", lambda T, a, b: T.fmin(a, b.flip(0)), _a, _b)
    case(f"isclose_{_dt}", lambda T, a, b: (T.isclose(a, b), T.isclose(a, a, equal_nan=True),
                                            T.isclose(a, a + 1, atol=2)), _a, _b)
    case(f"allclose_{_dt}", lambda T, a, b: (T.allclose(a, b), T.allclose(a, a),
                                             T.allclose(a, a, equal_nan=True),
                                             a.allclose(a + 1, atol=2)), _a, _b)
case("eq_mixed_dtypes", lambda T, a, b: (a == b, a < b, T.maximum(a, b)), t("int64"),
     t("float32", seed=1))
case("eq_int_float_scalar", lambda T, a: (a == 1.0, a != 2.5, a >= -1.5), t("int32"))
for _dt in DTYPES + ["float16"]:
    case(f"with_cpu_scalar_tensor_{_dt}", lambda T, a: (
        a > T.tensor(0.5, device="cpu"), T.maximum(a, T.tensor(1, dtype=a.dtype, device="cpu")),
        a * T.tensor(2, device="cpu"), T.tensor(3.0, dtype=T.float16, device="cpu") * a,
        a + T.tensor(True, device="cpu"), T.where(a > 0, a, T.tensor(0, dtype=a.dtype,
                                                                     device="cpu")),
        a == T.tensor(1, dtype=a.dtype, device="cpu"),
        T.tensor(2.5, dtype=T.float64, device="cpu") - a.float()),
        t(_dt))
case("cpu_scalar_tensor_arguments", lambda T, a, b: (
    T.clamp(a, min=T.tensor(-0.5, device="cpu")), T.clamp(a, T.tensor(-1.0, device="cpu"),
                                                          T.tensor(1.0, device="cpu")),
    T.pow(a, T.tensor(2.0, device="cpu")), T.pow(T.tensor(2.0, device="cpu"), a),
    T.lerp(a, b, T.tensor(0.25, device="cpu")), T.atan2(a, T.tensor(1.0, device="cpu")),
    T.fmod(a, T.tensor(1.5, device="cpu")), T.remainder(a, T.tensor(-1.5, device="cpu")),
    T.floor_divide(a, T.tensor(0.7, device="cpu")), T.div(a, T.tensor(3.0, device="cpu"),
                                                          rounding_mode="floor"),
    T.hypot(a, T.tensor(1.0, device="cpu")), T.copysign(a, T.tensor(-1.0, device="cpu")),
    T.fmax(a, T.tensor(0.0, device="cpu")), T.xlogy(a.abs(), T.tensor(2.0, device="cpu")),
    T.logical_and(a, T.tensor(True, device="cpu")), T.isclose(a, T.tensor(0.0, device="cpu")),
    T.addcmul(a, b, T.tensor(2.0, device="cpu")), T.heaviside(a, T.tensor(0.5, device="cpu")),
    a.clone().add_(T.tensor(1.0, device="cpu")), a.clone().mul_(T.tensor(2, device="cpu")),
    a.clone().clamp_(max=T.tensor(0.1, device="cpu"))),
    t("float32", seed=26), t("float32", seed=27))
case("normal_backward_zero", lambda T, m: _normal_grads(T, m), c([0.5, 1.5, -2.0]))


def _normal_grads(T, m):
    m = m.clone().requires_grad_()
    s = (m.abs() + 1).detach().requires_grad_()
    (T.normal(m, 1.0).sum() + T.normal(m, s).sum() + T.normal(0.5, s).sum()).backward()
    return m.grad, s.grad

# -- predicates on floats and integers ---------------------------------------------------------

for _dt in DTYPES + ["float16"]:
    _a = t(_dt, special=True)
    for _op in ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit"]:
        if _op == "signbit" and _dt == "bool":
            continue
        case(f"{_op}_{_dt}", lambda T, a, op=_op: getattr(T, op)(a), _a)
    case(f"is_nonzero_{_dt}", lambda T, a: (a[0, 0].is_nonzero(), a[1, 1].is_nonzero()), _a)

# -- logical and bitwise ops -------------------------------------------------------------------

for _dt in ["bool", "int64", "uint8", "float32"]:
    _a, _b = t(_dt, seed=0, special=True), t(_dt, seed=1)
    for _op in ["logical_and", "logical_or", "logical_xor"]:
        case(f"{_op}_{_dt}", lambda T, a, b, op=_op: getattr(T, op)(a, b), _a, _b)
    case(f"logical_not_{_dt}", lambda T, a: T.logical_not(a), _a)
case("logical_and_mixed", lambda T, a, b: T.logical_and(a, b), t("int32"), t("float64", seed=1))
for _dt in ["bool", "int64", "int32", "uint8"]:
    _a, _b = t(_dt, seed=0), t(_dt, seed=1)
    for _op in ["bitwise_and", "bitwise_or", "bitwise_xor"]:
        case(f"{_op}_{_dt}", lambda T, a, b, op=_op: getattr(T, op)(a, b), _a, _b)
    case(f"bitwise_not_{_dt}", lambda T, a: (T.bitwise_not(a), ~a), _a)
    case(f"bitwise_operators_{_dt}", lambda T, a, b: (a & b, a | b, a ^ b, a & True,
                                                      a ^ (a.dtype != T.bool)), _a, _b)
for _dt in INTS:
    _a, _s = t(_dt), c([[0, 1, 2, 3]], _dt)
    case(f"shifts_{_dt}", lambda T, a, s: (T.bitwise_left_shift(a, s), T.bitwise_right_shift(a, s),
                                           a << 2, a >> 1, a << s, a >> s), _a, _s)

# -- integer arithmetic ------------------------------------------------------------------------

for _dt in INTS:
    _a, _d = t(_dt, seed=0), nonzero_ints(_dt)
    case(f"add_sub_mul_{_dt}", lambda T, a, d: (a + d, a - d, a * d, a + 3, 7 - a, a * -2,
                                                T.add(a, d, alpha=3), T.sub(a, d, alpha=2)),
         _a, _d)
    case(f"floor_divide_{_dt}", lambda T, a, d: (T.floor_divide(a, d), a // d, a // 3,
                                                 T.floor_divide(a, -2)), _a, _d)
    case(f"remainder_{_dt}", lambda T, a, d: (T.remainder(a, d), a % d, a % 3, a % -4), _a, _d)
    case(f"fmod_{_dt}", lambda T, a, d: (T.fmod(a, d), T.fmod(a, 3), T.fmod(a, -4)), _a, _d)
    case(f"div_{_dt}", lambda T, a, d: (a / d, T.div(a, d), a / 3, T.true_divide(a, 2)), _a, _d)
    case(f"div_rounding_{_dt}", lambda T, a, d: (T.div(a, d, rounding_mode="trunc"),
                                                 T.div(a, d, rounding_mode="floor"),
                                                 T.div(a, 3, rounding_mode="floor"),
                                                 a.div(-2, rounding_mode="trunc")), _a, _d)
    case(f"pow_{_dt}", lambda T, a, e: (T.pow(a, 2), a ** 3, T.pow(a, e.abs() % 4),
                                        T.pow(2, e.abs() % 5), a ** 0.5), _a, t(_dt, seed=3))
    case(f"abs_neg_sign_{_dt}", lambda T, a: (T.abs(a), -a, T.neg(a), T.sign(a), T.sgn(a),
                                              a.abs(), T.positive(a)), _a)
    case(f"square_{_dt}", lambda T, a: (T.square(a), a * a), _a)
    case(f"clamp_{_dt}", lambda T, a, lo: (T.clamp(a, 1, 4), T.clamp(a, min=2), a.clamp(max=3),
                                           T.clamp(a, min=lo), T.clamp(a, lo, lo + 2),
                                           T.clip(a, 0, 2), a.clamp_min(1), a.clamp_max(2)),
         _a, t(_dt, seed=4, shape=(4,)))
    case(f"clamp_float_bounds_{_dt}", lambda T, a: (T.clamp(a, 0.5, 3.5), T.clamp(a, max=2.5)),
         _a)
    case(f"gcd_lcm_{_dt}", lambda T, a, d: (T.gcd(a, d), T.lcm(a, d)), _a, _d)
    case(f"round_floor_ceil_trunc_{_dt}", lambda T, a: (T.round(a), T.floor(a), T.ceil(a),
                                                        T.trunc(a), T.fix(a), T.frac(a.double())),
         _a)
    case(f"reciprocal_sqrt_exp_{_dt}", lambda T, a: (T.reciprocal(a), T.sqrt(a.abs()),
                                                     T.exp(a), T.sin(a), T.sigmoid(a)), _a)
    case(f"int_mixed_with_float_{_dt}", lambda T, a, f: (a + f, a * 1.5, a - f.double(),
                                                         f / a.clamp(min=1)),
         _a, t("float32", seed=5))
    case(f"int_mixed_dtypes_{_dt}", lambda T, a: (a + a.long(), a * a.int(), a - a.to(T.int8),
                                                  a + True), _a)
case("bool_arithmetic", lambda T, a, b: (a + b, a * b, a + 1, a * 2.5, a.sum(), T.sign(a),
                                         a.float() + b), t("bool"), t("bool", seed=1))
case("int_overflow_wraps", lambda T, a: (a * 100, a + 250, a.to(T.int32) * 2 ** 30),
     t("uint8"))
case("heaviside_copysign_ints", lambda T, a, b: (T.heaviside(a, b), T.copysign(a, b)),
     t("int64"), t("int64", seed=2))

# -- sorting and searching ---------------------------------------------------------------------

for _dt in ["float32", "float64", "int64", "int32", "uint8", "bool"]:
    _a = t(_dt, shape=(4, 6), special=True)
    if _dt != "bool":
        case(f"argmax_argmin_{_dt}", lambda T, a: (T.argmax(a), T.argmin(a), a.argmax(1),
                                                   a.argmin(0, keepdim=True),
                                                   T.argmax(a, dim=-1, keepdim=True)), _a)
        case(f"max_min_dim_{_dt}", lambda T, a: (T.max(a, 1), T.min(a, 0), T.max(a), T.min(a),
                                                 T.amax(a, 1), T.amin(a, (0, 1)),
                                                 T.aminmax(a, dim=0)), _a)
        case(f"topk_{_dt}", lambda T, a: (T.topk(a, 3), T.topk(a, 2, dim=0, largest=False),
                                          a.topk(4, sorted=True)), _a)
        case(f"kthvalue_{_dt}", lambda T, a: (T.kthvalue(a, 2), T.kthvalue(a, 1, 0, True)), _a)
        case(f"median_mode_{_dt}", lambda T, a: (T.median(a), T.median(a, 1), T.mode(a, 1),
                                                 T.mode(a, 0), T.nanmedian(a, 0)), _a)
    case(f"sort_{_dt}", lambda T, a: (T.sort(a), T.sort(a, 0, descending=True),
                                      T.sort(a, stable=True), a.sort(descending=True,
                                                                     stable=True),
                                      T.sort(a.flatten(), stable=True, descending=True)), _a)
    case(f"argsort_{_dt}", lambda T, a: (T.argsort(a, stable=True),
                                         T.argsort(a, dim=0, descending=True, stable=True),
                                         a.argsort(descending=True, stable=True)), _a)
    case(f"msort_{_dt}", lambda T, a: T.msort(a), _a)
case("sort_0d", lambda T, a: (T.sort(a[0, 0]), T.argsort(a[0, 0]), T.argmax(a[0, 0])),
     t("float32"))
case("sort_ties_stable", lambda T, a: (T.sort(a, stable=True), T.sort(a, descending=True,
                                                                      stable=True)),
     c([3, 1, 3, 1, 2, 2, 3, 1, 1, 3], "int64"))
case("topk_unsorted_large", lambda T, a: T.topk(a, 3, sorted=False), t("float32", shape=(2, 300)))

# -- counting and selection --------------------------------------------------------------------

for _dt in ["float32", "int64", "uint8", "bool"]:
    _a = t(_dt, shape=(3, 5), special=True)
    case(f"any_all_{_dt}", lambda T, a: (T.any(a), T.all(a), a.any(1), a.all(0, keepdim=True),
                                         T.any(a, dim=(0, 1)), (a != 0).all(), bool(a.any())), _a)
    case(f"count_nonzero_{_dt}", lambda T, a: (T.count_nonzero(a), T.count_nonzero(a, 1),
                                               a.count_nonzero(dim=(0, 1))), _a)
    case(f"nonzero_{_dt}", lambda T, a: (T.nonzero(a), T.nonzero(a, as_tuple=True),
                                         a.nonzero(), T.argwhere(a), T.where(a),
                                         T.nonzero(a.flatten(), as_tuple=True)), _a)
    case(f"sum_prod_{_dt}", lambda T, a: (a.sum(), a.sum(0), a.prod(1), T.nansum(a, 1),
                                          a.sum(dtype=T.float64), a.sum(1, keepdim=True)), _a)
    case(f"where_{_dt}", lambda T, a, b: (T.where(b, a, a), T.where(b, a, 0), T.where(b, 1, 0),
                                          T.where(b, 2.5, a), T.where(a > 0, 1.0, -1.0)),
         _a, t("bool", shape=(3, 5), seed=2))
case("mean_var_of_ints_as_float", lambda T, a: (a.float().mean(1), a.double().var(0),
                                                a.float().std()), t("int64"))
case("diff_ints", lambda T, a: (T.diff(a), T.diff(a, dim=0), T.diff(a, n=2)), t("int64"))
case("diff_bool", lambda T, a: T.diff(a), t("bool"))

# -- unique and friends ------------------------------------------------------------------------

_dups = c([[3, 1, 2], [1, 1, 2], [3, 1, 2], [0, 5, 5]], "int64")
for _dt in ["int64", "float32", "uint8", "bool"]:
    _a = t(_dt, shape=(12,), seed=6)
    if _dt != "bool":
        _a = c([3, 1, 2, 3, 3, 0, 2, 7, 1, 1, 5, 0], _dt)
    case(f"unique_{_dt}", lambda T, a: (T.unique(a), T.unique(a, sorted=True),
                                        T.unique(a, return_inverse=True),
                                        T.unique(a, return_counts=True),
                                        T.unique(a, return_inverse=True, return_counts=True),
                                        a.unique()), _a)
    case(f"unique_consecutive_{_dt}", lambda T, a: (
        T.unique_consecutive(a), T.unique_consecutive(a, return_inverse=True),
        T.unique_consecutive(a, return_counts=True),
        T.unique_consecutive(a, return_inverse=True, return_counts=True)), _a)
case("unique_dim", lambda T, a: (T.unique(a, dim=0), T.unique(a, dim=1),
                                 T.unique(a, dim=0, return_inverse=True, return_counts=True)),
     _dups)
case("unique_consecutive_dim", lambda T, a: (
    T.unique_consecutive(a, dim=0), T.unique_consecutive(a, dim=1),
    T.unique_consecutive(a, dim=0, return_inverse=True, return_counts=True)),
    c([[1, 1, 2], [1, 1, 2], [3, 1, 2], [3, 1, 2], [0, 5, 5]], "int64"))
case("unique_float_nan", lambda T, a: (T.unique(a), T.unique(a, return_counts=True)),
     c([1.0, float("nan"), 2.0, 1.0, -0.0, 0.0], "float32"))
case("unique_2d_flattened", lambda T, a: T.unique(a, return_inverse=True), _dups)

# -- histograms, bincount, bucketize, isin -----------------------------------------------------

case("bincount", lambda T, a: (T.bincount(a), T.bincount(a, minlength=12), a.bincount()),
     c([0, 3, 1, 3, 7, 1, 1], "int64"))
case("bincount_weights", lambda T, a, w: (T.bincount(a, w), T.bincount(a, w.double(), 10)),
     c([0, 3, 1, 3, 2, 1, 1], "int64"), t("float32", shape=(7,)))
case("bincount_int32_uint8", lambda T, a: (T.bincount(a.int()), T.bincount(a.byte())),
     c([0, 3, 1, 3, 7, 1, 1], "int64"))
case("bincount_empty", lambda T, a: (T.bincount(a[:0]), T.bincount(a[:0], minlength=3)),
     c([1, 2], "int64"))
for _dt in ["float32", "float64"]:
    case(f"histc_{_dt}", lambda T, a: (T.histc(a), T.histc(a, 5, -2, 2), a.histc(bins=4)),
         t(_dt, shape=(40,)))
case("histc_ints", lambda T, a: T.histc(a.float(), 6, 0, 6), t("int64", shape=(20,)))
if hasattr(ember, "histogram"):
    case("histogram", lambda T, a: T.histogram(a, 5), t("float32", shape=(40,)))
_bounds = c([-2.0, -1.0, 0.0, 0.5, 3.0], "float32")
case("bucketize", lambda T, a, b: (T.bucketize(a, b), T.bucketize(a, b, right=True),
                                   T.bucketize(a, b, out_int32=True), T.bucketize(1.0, b)),
     t("float32"), _bounds)
case("bucketize_ints", lambda T, a, b: (T.bucketize(a, b), T.bucketize(a, b, right=True)),
     t("int64"), c([-3, 0, 0, 2, 4], "int64"))
case("searchsorted", lambda T, s, v: (T.searchsorted(s, v), T.searchsorted(s, v, right=True),
                                      T.searchsorted(s, v, side="right"),
                                      T.searchsorted(s, v, out_int32=True),
                                      T.searchsorted(s, 0.5)),
     _bounds, t("float32"))
case("searchsorted_rows", lambda T, s, v: (T.searchsorted(s, v), T.searchsorted(s, v, right=True)),
     c([[0, 1, 2, 4], [-3, -1, 5, 5], [1, 1, 1, 9]], "int64"), t("int64", shape=(3, 5)))
case("searchsorted_sorter", lambda T, s, v: T.searchsorted(s, v, sorter=T.argsort(s)),
     c([3.0, -1.0, 2.0, 0.0], "float32"), t("float32", shape=(6,)))
for _dt in ["int64", "float32", "uint8"]:
    _a = t(_dt, shape=(3, 4))
    case(f"isin_{_dt}", lambda T, a, e: (T.isin(a, e), T.isin(a, e, invert=True),
                                         T.isin(a, 2), T.isin(a, [1, 2, 3]),
                                         T.isin(a, e, assume_unique=False)),
         _a, c([0, 2, 4, 7], _dt))
case("isin_scalar_elements", lambda T, e: (T.isin(3, e), T.isin(5, e)), c([1, 3], "int64"))

# -- cumulative ops on integers and bools ------------------------------------------------------

for _dt in ["int64", "int32", "uint8", "bool"]:
    _a = t(_dt, shape=(3, 5))
    case(f"cumsum_cumprod_{_dt}", lambda T, a: (T.cumsum(a, 0), a.cumsum(1), T.cumprod(a, 1),
                                                a.cumsum(0, dtype=T.float32),
                                                T.cumsum(a.flatten(), 0)), _a)
    case(f"cummax_cummin_{_dt}", lambda T, a: (T.cummax(a, 0), T.cummin(a, 1), a.cummax(-1)), _a)
case("cummax_cummin_nan", lambda T, a: (T.cummax(a, 1), T.cummin(a, 0)),
     t("float32", shape=(3, 5), special=True))
case("logcumsumexp_f32", lambda T, a: T.logcumsumexp(a, 1), t("float32", shape=(3, 5)))

# -- index helpers -----------------------------------------------------------------------------

for _name in ["tril_indices", "triu_indices"]:
    if hasattr(ember, _name):
        case(_name, lambda T, n=_name: (getattr(T, n)(3, 4), getattr(T, n)(4, 3, 1),
                                        getattr(T, n)(3, 3, -1)))
if hasattr(ember, "combinations"):
    case("combinations", lambda T, a: (T.combinations(a), T.combinations(a, 3),
                                       T.combinations(a, with_replacement=True)), t("int64", (5,)))
if hasattr(ember, "cartesian_prod"):
    case("cartesian_prod", lambda T, a, b: T.cartesian_prod(a, b), t("int64", (3,)),
         t("int64", (2,), 1))
case("meshgrid", lambda T, a, b: (T.meshgrid(a, b, indexing="ij"),
                                  T.meshgrid(a, b, indexing="xy")),
     t("int64", (3,)), t("int64", (4,), 1))
case("meshgrid_floats", lambda T, a, b, d: T.meshgrid(a, b, d), t("float32", (3,)),
     t("float32", (2,), 1), t("float32", (4,), 2))

# -- factories (the default device is "cuda" in the device run; `x.device` names it) ----------

_where = c([0.0])
case("arange", lambda T, x: (T.arange(5), T.arange(1, 7, 2, device=x.device),
                             T.arange(0.0, 1.0, 0.25), T.arange(-3, 3, dtype=T.float32),
                             T.arange(10, dtype=T.uint8, device=x.device)), _where)
case("linspace_logspace", lambda T, x: (T.linspace(0, 1, 5), T.linspace(-2, 7, 4, dtype=T.int64),
                                        T.linspace(0, 1, 7, device=x.device, dtype=T.float64),
                                        T.logspace(0, 2, 5), T.logspace(-1, 1, 3, base=2,
                                                                        device=x.device)),
     _where)
case("eye", lambda T, x: (T.eye(3), T.eye(2, 4, dtype=T.int64), T.eye(3, device=x.device,
                                                                      dtype=T.bool)), _where)
case("full_zeros_ones", lambda T, x: (T.full((2, 3), 7), T.full((2,), 1.5), T.full((2,), True),
                                      T.full((3,), 4, dtype=T.uint8, device=x.device),
                                      T.zeros(2, 3, dtype=T.int32), T.ones(4, dtype=T.bool),
                                      T.zeros((), device=x.device), T.ones(2, 2)), _where)
case("like_factories", lambda T, a: (T.zeros_like(a), T.ones_like(a), T.full_like(a, 3),
                                     T.full_like(a, 2.5, dtype=T.float32),
                                     T.zeros_like(a, dtype=T.bool), T.ones_like(a, dtype=T.int8)),
     t("int64"))
case("tensor_and_as_tensor", lambda T, x: (T.tensor([1, 2, 3]), T.tensor([[True], [False]]),
                                           T.tensor(2.5), T.as_tensor([1.0, 2.0]),
                                           T.tensor([1, 2], dtype=T.uint8, device=x.device)),
     _where)
case("empty", lambda T, x: (T.empty(2, 3), T.empty(4, dtype=T.int64, device=x.device),
                            T.empty_like(x), T.empty_like(x, dtype=T.bool)), _where,
     values=False)
case("rand_randn", lambda T, x: (T.rand(3, 4), T.randn(2, 3, dtype=T.float64),
                                 T.rand(5, device=x.device), T.randn(2, device=x.device),
                                 T.rand_like(x), T.randn_like(x)), _where, values=False)
case("randint_randperm", lambda T, x: (T.randint(0, 10, (3, 4)), T.randint(5, (2,)),
                                       T.randint(0, 3, (4,), dtype=T.int32, device=x.device),
                                       T.randperm(8), T.randperm(5, device=x.device),
                                       T.randint_like(x, 4)), _where, values=False)
case("bernoulli_multinomial_normal", lambda T, p: (
    T.bernoulli(p), T.multinomial(p, 2), T.multinomial(p, 5, replacement=True),
    T.normal(p, 1.0), T.normal(0.0, 1.0, (3,)), T.normal(p, p), T.bernoulli(p, 0.3),
    T.poisson(p * 4), T.poisson(p.double() * 40), T.multinomial(p.expand(3, 4), 3),
    T.multinomial(p.expand(2, 4) * 2, 6, replacement=True), p.multinomial(1)),
    c([0.1, 0.5, 0.9, 0.3], "float32"), values=False)
case("multinomial_certain", lambda T, p: (T.multinomial(p, 1), T.multinomial(p, 4, True),
                                          T.multinomial(p[:, 1:], 1)),
     c([[0.0, 0.0, 1.0], [0.0, 2.0, 0.0]], "float64"))
case("random_inplace", lambda T, a: (a.clone().uniform_(), a.clone().normal_(),
                                     a.clone().random_(0, 5), a.clone().bernoulli_(0.5),
                                     a.clone().exponential_(), a.clone().geometric_(0.5),
                                     a.clone().cauchy_(), a.clone().log_normal_()),
     t("float32"), values=False)
case("random_inplace_ints", lambda T, a: (a.clone().random_(0, 5), a.clone().random_(7),
                                          a.clone().bernoulli_(0.5)), t("int64"), values=False)

# -- one_hot, masks, index_put, scatter/gather, take, index_* ----------------------------------

case("one_hot", lambda T, a: (T.nn.functional.one_hot(a), T.nn.functional.one_hot(a, 9)),
     c([0, 3, 1, 3, 7], "int64"))
for _dt in ["float32", "int64", "uint8", "bool"]:
    _a, _m = t(_dt, shape=(3, 4)), t("bool", shape=(3, 4), seed=3)
    case(f"masked_select_{_dt}", lambda T, a, m: (T.masked_select(a, m), a[m],
                                                  a.masked_select(m[0])), _a, _m)
    case(f"masked_fill_{_dt}", lambda T, a, m: (a.masked_fill(m, 1), T.masked_fill(a, m, 0),
                                                a.masked_fill(m[0], True),
                                                a.masked_fill(m, T.tensor(2, dtype=a.dtype)),
                                                a.clone().masked_fill_(m, 3)), _a, _m)
    case(f"masked_scatter_{_dt}", lambda T, a, m: a.masked_scatter(m, a.flip(1)), _a, _m)
for _dt in ["float32", "int64", "int32", "bool"]:
    _a = t(_dt, shape=(4, 3))
    case(f"index_put_{_dt}", lambda T, a, v: (
        a.clone().index_put_((T.tensor([0, 2, 0]),), v[:3], accumulate=True),
        a.clone().index_put_((T.tensor([0, 2, 0]), T.tensor([1, 1, 1])), v[0],
                             accumulate=True),
        a.clone().index_put_((T.tensor([3, 1]),), v[:2]),
        a.index_put((T.tensor([1, 1]), T.tensor([2, 2])), v[0, 0], accumulate=True),
        a.clone().index_put_((T.tensor([True, False, True, False]),), v[0, 0])),
        _a, t(_dt, shape=(4, 3), seed=2))
for _dt in ["float32", "float64", "int64", "int32"]:
    _a, _src = t(_dt, shape=(3, 5)), t(_dt, shape=(3, 5), seed=2)
    _idx = c([[0, 1, 2, 0, 1], [2, 0, 1, 1, 0]], "int64")
    case(f"scatter_{_dt}", lambda T, a, i, s: (
        a.scatter(0, i, s), a.scatter(1, i, 7), T.scatter(a, 1, i[:, :3], s),
        a.clone().scatter_(0, i, s), a.scatter(0, i, s, reduce="add"),
        a.scatter(1, i, 2, reduce="multiply")), _a, _idx, _src)
    case(f"scatter_add_{_dt}", lambda T, a, i, s: (a.scatter_add(0, i, s),
                                                   T.scatter_add(a, 1, i, s),
                                                   a.clone().scatter_add_(1, i[:1], s)),
         _a, _idx, _src)
    for _red in ["sum", "prod", "amax", "amin", "mean"]:
        if _red == "mean" and _dt in ("int64", "int32"):
            _fn = lambda T, a, i, s, r=_red: (a.scatter_reduce(0, i, s, r),         # noqa: E731
                                              a.scatter_reduce(1, i, s, r,
                                                               include_self=False))
        else:
            _fn = lambda T, a, i, s, r=_red: (a.scatter_reduce(0, i, s, r),         # noqa: E731
                                              a.scatter_reduce(1, i, s, r,
                                                               include_self=False),
                                              T.scatter_reduce(a, 0, i[:1], s, r),
                                              a.clone().scatter_reduce_(1, i, s, r))
        case(f"scatter_reduce_{_red}_{_dt}", _fn, _a, _idx, _src)
    case(f"gather_{_dt}", lambda T, a, i: (T.gather(a, 0, i), a.gather(1, i[:, :2]),
                                           T.take_along_dim(a, i, 0),
                                           T.take_along_dim(a, T.argsort(a, 1), 1),
                                           T.take_along_dim(a, T.tensor([3, 0, 1]))), _a, _idx)
    case(f"take_put_{_dt}", lambda T, a, v: (
        T.take(a, T.tensor([[0, 14], [3, -1]])), a.take(T.tensor([2])),
        # (repeated indices only with accumulate: PyTorch leaves which write wins undefined,
        # and a GPU's threads do not write in order)
        a.clone().put_(T.tensor([0, 3, 5]), v[0, :3]),
        a.clone().put_(T.tensor([0, 3, 0]), v[0, :3], accumulate=True),
        a.put(T.tensor([1, -1]), v[1, :2])), _a, _src)
    case(f"index_ops_{_dt}", lambda T, a, v: (
        T.index_select(a, 0, T.tensor([2, 0, 2])), a.index_select(1, T.tensor([4, 1])),
        a.index_add(0, T.tensor([0, 2, 0]), v), a.index_add(1, T.tensor([1, 1]), v[:, :2],
                                                            alpha=2),
        a.index_copy(0, T.tensor([2, 0, 1]), v), a.clone().index_copy_(1, T.tensor([3]),
                                                                       v[:, :1]),
        a.index_fill(1, T.tensor([0, 3]), 5), a.clone().index_fill_(0, T.tensor([1]), -1),
        a.index_fill(0, T.tensor([2]), T.tensor(4, dtype=a.dtype))), _a, _src)
case("index_select_int32_index", lambda T, a: a.index_select(0, T.tensor([1, 0], dtype=T.int32)),
     t("int64"))

# -- rounding and nan_to_num -------------------------------------------------------------------

for _dt in FLOATS + ["float16"]:
    _a = t(_dt, special=True)
    case(f"nan_to_num_{_dt}", lambda T, a: (T.nan_to_num(a), a.nan_to_num(nan=1.5),
                                            T.nan_to_num(a, 0.0, 100.0, -100.0),
                                            a.clone().nan_to_num_(posinf=2.0)), _a)
    case(f"round_{_dt}", lambda T, a: (T.round(a), T.round(a, decimals=1),
                                       a.round(decimals=2), T.round(a, decimals=-1),
                                       T.floor(a), T.ceil(a), T.trunc(a), T.frac(a)), _a)
case("round_half_even", lambda T, a: (T.round(a), T.round(a * 10, decimals=-1)),
     c([0.5, 1.5, 2.5, -0.5, -1.5, 0.25, 1e20], "float32"))
case("nan_to_num_ints", lambda T, a: (T.nan_to_num(a), a.nan_to_num(nan=2.0)), t("int64"))

# -- copies and dtype conversions --------------------------------------------------------------

_CONV = DTYPES + ["float16", "int8", "int16"]
for _src in _CONV:
    for _dst in _CONV:
        case(f"to_{_src}_{_dst}", lambda T, a, d=_dst: a.to(getattr(T, d)),
             t(_src, shape=(2, 5), seed=9) if _src not in FLOATS + ["float16"] else
             c([[0.0, 1.5, 2.7, 3.0, 100.2], [0.25, 7.0, 126.9, 1.0, 0.0]], _src))
case("to_float_to_signed_negative", lambda T, a: (a.long(), a.int(), a.short(), a.char()),
     c([-2.7, -0.5, 3.9, -100.2], "float32"))
case("to_float_special_to_bool", lambda T, a: (a.bool(), a.to(T.float16)),
     t("float32", special=True))
for _dt in DTYPES + ["float16"]:
    _a = t(_dt, shape=(3, 4), seed=11)
    case(f"conversions_{_dt}", lambda T, a: (a.int(), a.long(), a.bool(), a.half(), a.float(),
                                             a.double(), a.byte(), a.short(), a.char(),
                                             a.type(T.int32), a.type_as(T.tensor([1.0])),
                                             a.to(T.float64, copy=True)), _a)
    case(f"clone_contiguous_{_dt}", lambda T, a: (a.clone(), a.t().contiguous(), a.t().clone(),
                                                  a[:, ::2].contiguous(), a.detach()), _a)

# -- shape ops on integers and bools -----------------------------------------------------------

for _dt in ["int64", "int32", "uint8", "bool"]:
    _a = t(_dt, shape=(3, 4), seed=12)
    case(f"flip_roll_rot90_{_dt}", lambda T, a: (T.flip(a, [0]), a.flip(0, 1), T.fliplr(a),
                                                 T.flipud(a), T.roll(a, 2), T.roll(a, -1, 1),
                                                 T.roll(a, (1, 2), (0, 1)), T.rot90(a),
                                                 T.rot90(a, 2, [0, 1]), a.rot90(-1)), _a)
    case(f"tril_triu_diag_{_dt}", lambda T, a: (T.tril(a), T.triu(a, 1), a.tril(-1),
                                                T.diag(a), T.diag(a, 1), T.diag(a[0]),
                                                T.diag(a[1], -1), T.diagonal(a),
                                                a.diagonal(1), T.diag_embed(a),
                                                T.diag_embed(a, 1), T.diagflat(a[0]),
                                                a.clone().tril_(), a.clone().triu_(-1)), _a)
    case(f"split_family_{_dt}", lambda T, a: (T.chunk(a, 2), a.chunk(3, 1), T.split(a, 2),
                                              a.split([1, 3], 1), T.tensor_split(a, 3),
                                              T.tensor_split(a, [1, 3], dim=1),
                                              T.tensor_split(a, T.tensor([1, 2]), dim=1),
                                              T.unbind(a), a.unbind(1), T.hsplit(a, 2),
                                              T.vsplit(a, [1])), _a)
    case(f"stack_cat_{_dt}", lambda T, a, b: (T.stack([a, b]), T.stack([a, b], 2),
                                              T.cat([a, b]), T.cat([a, b], 1),
                                              T.concat([a, b[:1]]), T.hstack([a, b]),
                                              T.vstack([a, b]), T.dstack([a, b]),
                                              T.column_stack([a[0], b[0]]),
                                              T.row_stack([a, b])),
         _a, t(_dt, shape=(3, 4), seed=13))
    case(f"repeat_tile_expand_{_dt}", lambda T, a: (
        a.repeat(2, 1), a.repeat(1, 2, 2), T.tile(a, (2,)), a.tile((1, 1, 2)),
        a[:1].expand(3, 4), a[:, :1].expand(-1, 5), a.expand(2, 3, 4).contiguous(),
        a.reshape(4, 3), a.view(-1), a.flatten(), a.unsqueeze(0), a[None].squeeze(0),
        a.permute(1, 0), a.transpose(0, 1), a.movedim(0, 1), a.unflatten(1, (2, 2)),
        T.broadcast_to(a[0], (2, 4)), T.atleast_3d(a), a.narrow(1, 1, 2),
        T.select(a, 1, 2), a.unfold(1, 2, 1)), _a)
    case(f"repeat_interleave_{_dt}", lambda T, a, r: (
        T.repeat_interleave(a, 2), a.repeat_interleave(2, dim=0), T.repeat_interleave(a, r, 1),
        a.repeat_interleave(r[:3], dim=0), T.repeat_interleave(r)), _a, c([1, 0, 3, 2], "int64"))
case("cat_mixed_dtypes", lambda T, a, b: (T.cat([a, b]), T.stack([a.float(), b.float()]),
                                          T.cat([a, b.bool()])), t("int64"), t("int32", seed=1))
case("cat_empty", lambda T, a: (T.cat([a, a[:0]]), T.cat([a[:0], a[:0]])), t("int64"))
case("scatter_family_ints", lambda T, a, v: (T.diagonal_scatter(a[:, :3], v[0, :3]),
                                             T.select_scatter(a, v[0], 0, 1),
                                             T.slice_scatter(a, v[:1], 0, 2)),
     t("int64"), t("int64", seed=2))

# -- host values: tolist, item, equal ----------------------------------------------------------

for _dt in DTYPES + ["float16"]:
    _a = t(_dt, shape=(2, 3), seed=14)
    case(f"tolist_item_{_dt}", lambda T, a: (a.tolist(), a[0, 1].item(), a.sum().item(),
                                             a[1].tolist(), a[0, 0].tolist(), T.equal(a, a),
                                             bool(a[0, 0] == a[0, 0]), int(a[1, 2].long()),
                                             float(a[0, 2].double())), _a)
for _dt in ["float32", "int64", "bool"]:
    case(f"iterate_format_contains_{_dt}", lambda T, a: (
        [r for r in a], list(a[0]), len(a), f"{a[0, 1]:}", f"{a.float()[1, 1]:.3f}", 1 in a,
        a[0, 0] in a, str(a.dtype), a[0, 2].__index__() if a.dtype == T.int64 else None,
        hash(a.shape), a.shape, tuple(a.size())), t(_dt, shape=(3, 4)))
case("metadata", lambda T, a: (a.stride(), a.t().stride(), a.expand(2, 3, 4).stride(),
                               a[:, ::2].stride(), a.is_contiguous(), a.t().is_contiguous(),
                               a.element_size(), a.nbytes, a.numel(), a.dim(), a.ndim,
                               a[1:].storage_offset(), a.unsqueeze(1).stride(),
                               a.is_floating_point(), a.is_signed(), a.get_device() >= -1,
                               a.is_cuda == (a.device.type == "cuda"),
                               a[1:].data_ptr() - a.data_ptr(),
                               a.t().data_ptr() == a.data_ptr()), t("float32"))
case("item_and_int_indexing", lambda T, a, i: (a[i[0]], a[int(i[1])], a[i[0].item()],
                                               a[:, i[1]]), t("float32"), c([2, 1], "int64"))

# -- __setitem__ --------------------------------------------------------------------------------


def _setitems(T, a, v):
    out = []
    b = a.clone()
    b[0] = 1
    out.append(b)
    b = a.clone()
    b[1, 2] = 0
    b[:, 0] = True
    out.append(b)
    b = a.clone()
    b[0] = v[1]
    b[:, 1:3] = v[:, :2]
    out.append(b)
    b = a.clone()
    b[b > 2] = 0
    out.append(b)
    b = a.clone()
    b[v.bool()] = v[v.bool()]
    out.append(b)
    b = a.clone()
    b[[0, 2]] = v[0]
    b[[1, 1], [0, 3]] = 5
    out.append(b)
    b = a.clone()
    b[T.tensor([2, 0])] = v[:2]
    b[T.tensor([0, 1]), T.tensor([3, 3])] = v[2, :2]
    out.append(b)
    b = a.clone()
    b[T.tensor([True, False, True])] = v[0]
    b[..., -1] = T.tensor(3, dtype=a.dtype)
    b[1][b[1] > 1] = 2
    out.append(b)
    b = a.clone()
    b[:] = v
    b[0, :] = 7
    b[T.tensor(1)] = v[0, 0]
    out.append(b)
    b = a.clone()
    b[:, None, 1] = 4
    b[1:, [0, 2]] = v[1:, [1, 3]]
    out.append(b)
    return out


for _dt in ["float32", "float64", "int64", "int32", "uint8", "bool", "float16"]:
    case(f"setitem_{_dt}", _setitems, t(_dt, shape=(3, 4), seed=15),
         t(_dt, shape=(3, 4), seed=16))
case("setitem_from_cpu_scalar_tensor", lambda T, a: _setitem_cpu_scalar(T, a), t("float32"))


def _setitem_cpu_scalar(T, a):
    b = a.clone()
    b[0] = T.tensor(2.5, device="cpu")
    b[b < 0] = T.tensor(-1.0, device="cpu")
    return b


# -- fill_ and zero_, new_* --------------------------------------------------------------------


def _fills(T, a):
    out = [a.clone().fill_(3), a.clone().zero_(), a.clone().fill_(T.tensor(2)),
           a.clone().fill_(T.tensor(1.5, device="cpu"))]
    if a.is_floating_point():
        w = a.clone().requires_grad_()
        y = w * 1
        y.fill_(2.5)
        z = w * 2
        z.zero_()
        u = w * 3
        u.fill_(T.tensor(1.0, requires_grad=True))
        (y.sum() + z.sum() + u.sum()).backward()
        out += [y.detach(), z.detach(), u.detach(), w.grad]
        leaf = a.clone().requires_grad_()
        with T.no_grad():
            leaf.fill_(4)
            leaf.zero_()
        out.append(leaf.detach())
    return out


for _dt in ["float32", "float64", "int64", "uint8", "bool", "float16"]:
    case(f"fill_zero_{_dt}", _fills, t(_dt, seed=17))
    case(f"new_{_dt}", lambda T, a: (a.new_tensor([1, 2]), a.new_tensor([[1.5]], dtype=T.float64),
                                     a.new_full((2, 2), 3), a.new_full((2,), 2.5,
                                                                       dtype=T.float32),
                                     a.new_zeros(3), a.new_ones((2, 1)),
                                     a.new_zeros(2, dtype=T.bool), a.new_tensor(a[0])),
         t(_dt, seed=18))
    case(f"new_empty_{_dt}", lambda T, a: (a.new_empty(3), a.new_empty((2, 2), dtype=T.int8)),
         t(_dt, seed=18), values=False)
case("fill_diagonal", lambda T, a: (a.clone().fill_diagonal_(0), a.clone().fill_diagonal_(9,
                                                                                         True)),
     t("int64", shape=(5, 3)))

# -- float16 -----------------------------------------------------------------------------------

_h, _h2 = t("float16", seed=19), t("float16", seed=20)
case("half_arithmetic", lambda T, a, b: (a + b, a - b, a * b, a / b, a * 0.1, a + 1, -a,
                                         a ** 2, T.abs(a), a.sum(), a.mean(), a.sum(1),
                                         a.max(), a.prod(0), a.cumsum(1)), _h, _h2)
case("half_math", lambda T, a: (T.exp(a), T.log(a.abs()), T.sqrt(a.abs()), T.tanh(a),
                                T.sigmoid(a), T.sin(a), a.softmax(1), T.erf(a), a.reciprocal(),
                                T.clamp(a, -1, 1)), _h)
case("half_compare_sort", lambda T, a, b: (a < b, a == b, T.maximum(a, b), T.sort(a),
                                           T.argmax(a), T.topk(a, 2), a.float()), _h, _h2)
case("maximum_minimum_signed_zeros", lambda T, a, b: (
    T.maximum(a, b), T.minimum(b, a), T.maximum(a, b[0]), T.clamp(a, min=b),
    T.clamp(a, min=0.0), T.clamp(b, max=-0.0), T.fmax(a, b), T.minimum(a[0], b)),
    c(np.tile([0.0, -0.0, 1.0, -0.0], (3, 10)), "float32"),
    c(np.tile([-0.0, 0.0, -0.0, 2.0], (3, 10)), "float32"))
case("half_mixed_with_float32", lambda T, a, b: (a + b, a * b.double(), T.where(a > 0, a, b)),
     _h, t("float32", seed=21))

# -- float32 special functions and unary math --------------------------------------------------

_f32 = c([[-3.5, -1.0, -0.25, 0.0, 0.3, 1.0], [2.5, 7.0, 20.0, 88.5, 89.5, 95.0]], "float32")
_f32_big = c([[-100.0, -90.0, -89.2, -88.9, 0.5, 88.9], [89.2, 89.8, 90.0, 100.0, -95.0, 10.0]],
             "float32")
_f32_unit = c([[-0.99, -0.5, -0.1, 0.0, 0.2, 0.75], [0.9, 0.999, -0.3, 0.45, 0.01, -0.75]],
              "float32")
_f32_pos = c([[0.01, 0.25, 0.5, 1.0, 1.5, 3.0], [7.5, 12.0, 30.0, 100.0, 1e-5, 0.9]], "float32")
# |x| in (log(float32 max), 89.4]: finite sinh/cosh, inf in PyTorch's vectorised loop
_f32_big_long = c(np.tile([88.8, -89.0, 89.3, 0.5, 95.0, -88.75, 1.0, 89.1, 2.0, -89.35],
                          (3, 2)), "float32")
for _op in ["sinh", "cosh", "exp", "expm1", "exp2", "tanh", "sigmoid", "erf", "erfc", "sin",
            "cos", "atan", "asinh", "abs", "sign", "i0", "frac", "deg2rad", "rad2deg",
            "square", "relu", "sinc", "logaddexp"]:
    _fn = (lambda T, a, op=_op: getattr(T, op)(a, a.flip(1))) if _op == "logaddexp" else \
        (lambda T, a, op=_op: getattr(T, op)(a))
    case(f"{_op}_float32", _fn, _f32)
    if _op in ("sinh", "cosh", "exp", "tanh", "sigmoid"):
        case(f"{_op}_float32_big", _fn, _f32_big)
        case(f"{_op}_float32_big_vectorised", _fn, _f32_big_long)
        case(f"{_op}_float32_big_strided", lambda T, a, op=_op: getattr(T, op)(a.t()),
             _f32_big_long)
        case(f"{_op}_float32_big_1d", lambda T, a, op=_op: getattr(T, op)(a.flatten()),
             _f32_big)
        case(f"{_op}_float32_big_0d", lambda T, a, op=_op: getattr(T, op)(a[1, 1]), _f32_big)
for _op in ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "lgamma", "digamma", "reciprocal",
            "acosh"]:
    case(f"{_op}_float32", lambda T, a, op=_op: getattr(T, op)(a + (1 if op == "acosh" else 0)),
         _f32_pos)
for _op in ["asin", "acos", "atanh", "erfinv", "tan", "logit"]:
    case(f"{_op}_float32", lambda T, a, op=_op: getattr(T, op)(a.abs() if op == "logit" else a),
         _f32_unit)
for _name in ["erf", "erfc", "erfinv", "expit", "exp2", "expm1", "log1p", "i0", "i0e", "i1",
              "i1e", "digamma", "psi", "gammaln", "sinc", "round", "logit"]:
    _maker = _f32_unit if _name in ("erfinv", "logit") else _f32
    if _name in ("digamma", "psi", "gammaln", "logit"):
        _maker = _f32_pos if _name != "logit" else _f32_unit
    case(f"special_{_name}_float32", lambda T, a, n=_name: getattr(T.special, n)(
        a.abs() if n == "logit" else a), _maker)
case("special_reductions_float32", lambda T, a: (T.special.logsumexp(a, 1),
                                                 T.special.softmax(a, 1),
                                                 T.special.log_softmax(a, 0),
                                                 T.logsumexp(a, 0)), _f32)
case("special_binary_float32", lambda T, a, b: (T.special.xlogy(a, b), T.xlogy(a, 2.0),
                                                T.special.polygamma(1, b),
                                                T.special.multigammaln(b + 2, 2),
                                                T.polygamma(2, b), T.mvlgamma(b + 2, 3),
                                                T.atan2(a, b), T.hypot(a, b), T.fmod(a, b),
                                                T.remainder(a, b), T.nextafter(a, b),
                                                T.ldexp(a, T.tensor([2])),
                                                T.float_power(b, 2), T.frexp(a),
                                                T.lerp(a, b, 0.3), T.copysign(a, -b)),
     _f32_unit, _f32_pos)
case("complex_polar", lambda T, a, b: (T.complex(a, b), T.polar(a.abs(), b),
                                       T.complex(a, b).abs(), T.complex(a, b) * 2),
     t("float32", seed=24), t("float32", seed=25))
case("special_float32_with_nan", lambda T, a: (T.exp(a), T.sinh(a), T.cosh(a), T.erf(a),
                                               T.special.i0e(a), T.special.expit(a),
                                               T.log1p(a), T.tanh(a)),
     t("float32", special=True))


# -- empty inputs ------------------------------------------------------------------------------

_empty = c([], "int64")
case("unique_empty", lambda T, a: (T.unique(a, return_inverse=True, return_counts=True),
                                   T.unique_consecutive(a, return_inverse=True,
                                                        return_counts=True),
                                   T.unique(a.reshape(0, 3), dim=0, return_inverse=True,
                                            return_counts=True),
                                   T.unique_consecutive(a.reshape(3, 0), dim=0,
                                                        return_counts=True)), _empty)
case("reductions_empty", lambda T, a: (a.sum(), a.prod(), a.any(), a.all(), T.count_nonzero(a),
                                       T.nonzero(a), a.cumsum(0), T.sort(a), T.argsort(a),
                                       T.topk(a, 0), T.bincount(a), T.cat([a, a]),
                                       T.stack([a, a]), a.float().mean(), T.isin(a, a),
                                       T.searchsorted(a, a), a.float().histc(3)), _empty)
case("cat_1d_empty_only", lambda T, a: (T.cat([a, a]), T.cat([a, a.float()])), _empty)

# -- recorded writes (autograd) ----------------------------------------------------------------


def _recorded_writes(T, a, v):
    w = a.clone().requires_grad_()
    y = w * 1
    y[0] = v[1]
    y[y > 1] = 0.5
    y[T.tensor([2, 0]), T.tensor([1, 1])] = v[0, :2]
    y[:, 1] = T.tensor(2.0, device="cpu")
    y.index_put_((T.tensor([1, 1]),), v[2], accumulate=True)
    z = y.masked_fill(v > 0, 3.0).index_fill(1, T.tensor([0]), -1.0)
    (z * z).sum().backward()
    return y.detach(), z.detach(), w.grad


case("setitem_recorded_float32", _recorded_writes, t("float32", seed=22), t("float32", seed=23))
case("setitem_recorded_float64", _recorded_writes, t("float64", seed=22), t("float64", seed=23))

def _copies_across_devices(T, a):
    b = a.clone()
    b.copy_(a.cpu())                        # a CPU source: PyTorch copies it over
    c = a.clone()
    c[1:] = a[:2].cpu()
    d = a.cpu().clone()
    d.copy_(a)                              # the other way
    d[0] = a[1]
    return b, c, d.to(a.device)


case("copy_across_devices", _copies_across_devices, t("float32"))

# -- errors: the same on both devices ----------------------------------------------------------

case("error_singular_inverse", lambda T, a: T.linalg.inv(a), c([[1.0, 2.0], [2.0, 4.0]]),
     raises=True)
case("error_bincount_negative", lambda T, a: T.bincount(a), c([1, -1], "int64"), raises=True)
case("error_multinomial_negative", lambda T, p: T.multinomial(p, 1), c([0.5, -0.1]),
     raises=True)
case("error_multinomial_replacement_nan", lambda T, p: T.multinomial(p, 3, True),
     c([[0.5, 0.2], [0.1, float("nan")]]), raises=True)
case("error_multinomial_zero_rows", lambda T, p: (T.multinomial(p, 3, True)),
     c([[0.0, 0.0], [0.1, -1.0]]), raises=True)
case("error_isin_bool", lambda T, a: T.isin(a, a), t("bool"), raises=True)
case("error_setitem_shape", lambda T, a: a.clone().__setitem__(0, a[:2]), t("int64"),
     raises=True)
case("error_repeat_interleave_negative", lambda T, a: T.repeat_interleave(a),
     c([1, -2], "int64"), raises=True)
case("error_bool_sub", lambda T, a: a - a, t("bool"), raises=True)
case("error_int_div_by_zero", lambda T, a: a // T.zeros_like(a), t("int64"), raises=True)

# -- running the table -------------------------------------------------------------------------


def _flatten(result, out, path="result"):
    """(path, value) for each tensor or Python value in a (nested) result."""
    if isinstance(result, ember.Tensor):
        out.append((path, result))
    elif isinstance(result, (tuple, list)) and not (
            isinstance(result, list) and result and not isinstance(result[0], ember.Tensor)
            and not isinstance(result[0], (tuple, list))):
        for i, r in enumerate(result):
            _flatten(r, out, f"{path}[{i}]")
    else:
        out.append((path, result))          # a Python value (bool, number, list of numbers)
    return out


def run_on(name, device):
    """The entry's results with its inputs (and the default device) on `device`:
    [(path, value)] with tensors checked to be on `device` and brought to the host."""
    fn, makers = OPS_CASES[name]
    inputs = [m() for m in makers]
    if device != "cpu":
        inputs = [x.to(device) for x in inputs]
    ember.set_default_device(device)
    try:
        result = fn(ember, *inputs)
    except Exception as error:          # an entry may check an error: the same on both devices
        if name not in RAISES:
            raise
        return [("raised", f"{type(error).__name__}: {error}")]
    finally:
        ember.set_default_device(None)
    assert name not in RAISES, "expected an error"
    flat = []
    for path, value in _flatten(result, []):
        if isinstance(value, ember.Tensor):
            assert value.device.type == device, f"{path} is on {value.device}"
            value = value.detach().cpu().numpy()
        flat.append((path, value))
    return flat


def _has_floats(value):
    if isinstance(value, (list, tuple)):
        return any(_has_floats(v) for v in value)
    return isinstance(value, float)


def compare_op_on_devices(name, exact=True):
    """The entry's results on "cuda" against the CPU's: bit for bit when `exact` (the
    simulated GPU), else floats to rtol 1e-6 (a real GPU's kernels), integers and bools
    exactly."""
    expected = run_on(name, "cpu")
    got = run_on(name, "cuda")
    assert [p for p, _ in got] == [p for p, _ in expected]
    if name in RAISES:
        assert got == expected
        return
    for (path, a), (_, b) in zip(got, expected):
        if not isinstance(b, np.ndarray):
            assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
            if name in SHAPE_ONLY:
                continue
            if exact or not _has_floats(b):
                np.testing.assert_equal(a, b, err_msg=path)
            else:
                np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                           rtol=1e-6, err_msg=path)
            continue
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        if name in SHAPE_ONLY:
            continue
        if exact or b.dtype.kind not in "fc":
            np.testing.assert_array_equal(a, b, err_msg=path, strict=True)
        else:
            # float16 is computed in float32 and rounded: a last-bit difference there can
            # move the float16 result by one of its own steps
            # (and a GPU may flush subnormal results to zero: atol is the smallest normal)
            np.testing.assert_allclose(a, b, rtol=1e-3 if b.dtype == np.float16 else 1e-6,
                                       atol=np.finfo(b.dtype).tiny, err_msg=path)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(OPS_CASES))
def test_op_on_the_device(gpu, name):
    compare_op_on_devices(name, exact=True)


def test_the_table_covers_every_dtype():
    assert len(OPS_CASES) > 300
    for dt in DTYPES:
        assert sum(dt in name for name in OPS_CASES) > 20, dt

"""dtype rules against PyTorch: inference in `tensor(...)`, `promote_types`, `result_type`,
the result dtype (and values) of arithmetic on every mix of operand kinds, and broadcasting.
"""
import itertools
import operator
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from helpers import (REAL_DTYPE_NAMES, assert_same, assert_same_error, assert_same_grads,
                     ember_and_torch, sample, torch)

import ember

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def lib_dtype(lib, name):
    return getattr(lib, name)


# ================================================================================================
# tensor(...) dtype inference
# ================================================================================================

INFERENCE_DATA = [
    ("ints", [1, 2, 3]), ("floats", [1.0, 2.5]), ("bools", [True, False]),
    ("int_float", [1, 2.0]), ("bool_int", [True, 2]), ("bool_float", [True, 1.5]),
    ("nested_ints", [[1, 2], [3, 4]]), ("nested_mixed", [[1, 2], [3.5, 4]]),
    ("nested_bool_int", [[True], [0]]), ("int_scalar", 7), ("float_scalar", 7.0),
    ("bool_scalar", False), ("negative", [-1, -2]), ("big_int", [2 ** 40]),
    ("empty", []), ("empty_nested", [[], []]), ("tuple", (1, 2.0)),
    ("deep", [[[1], [2]], [[3], [4]]]), ("inf_nan", [float("inf"), float("nan")]),
    ("neg_zero", [-0.0]),
]


@pytest.mark.parametrize("name,data", INFERENCE_DATA, ids=[d[0] for d in INFERENCE_DATA])
def test_tensor_inference(name, data):
    assert_same(ember.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", REAL_DTYPE_NAMES)
def test_tensor_from_numpy_array_keeps_dtype(dtype):
    a = sample((2, 3), dtype, np.random.default_rng(0))
    assert_same(ember.tensor(a), torch.tensor(a))
    assert_same(ember.as_tensor(a), torch.as_tensor(a))
    assert_same(ember.from_numpy(a), torch.from_numpy(a))


@pytest.mark.parametrize("value", [np.float64(1.5), np.float32(1.5), np.int64(3), np.int32(3),
                                   np.bool_(True), np.float16(0.5), np.uint8(7)],
                         ids=lambda v: type(v).__name__)
def test_tensor_from_numpy_scalar(value):
    assert_same(ember.tensor(value), torch.tensor(value))


def test_tensor_from_list_of_numpy_scalars():
    for data in ([np.float64(1.5), np.float64(2.0)], [np.int32(1), np.int32(2)],
                 [np.float32(1.0), 2.0]):
        assert_same(ember.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", REAL_DTYPE_NAMES)
@pytest.mark.parametrize("name,data", [("ints", [1, 0, 3]), ("floats", [1.5, -0.0, 2.25]),
                                       ("bools", [True, False, True])], ids=lambda v: str(v))
def test_tensor_with_dtype_argument(name, data, dtype):
    if dtype in ("uint8",) and name == "floats":
        data = [1.5, 0.0, 2.25]
    assert_same(ember.tensor(data, dtype=getattr(ember, dtype)),
                torch.tensor(data, dtype=getattr(torch, dtype)))


def test_tensor_from_tensor_keeps_dtype_and_copies():
    for dtype in ("int32", "float64", "bool"):
        e, t = ember_and_torch(sample((3,), dtype, np.random.default_rng(1)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e2, t2 = ember.tensor(e), torch.tensor(t)
        assert_same(e2, t2)


@pytest.mark.parametrize("data", [[[1, 2], [3]], [[1], 2], "abc", [1, "a"], [None]],
                         ids=str)
def test_tensor_inference_errors(data):
    assert_same_error(lambda: ember.tensor(data), lambda: torch.tensor(data))


def test_default_dtype_float64_changes_inference():
    old_e, old_t = ember.get_default_dtype(), torch.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        assert_same(ember.tensor([1.5]), torch.tensor([1.5]))
        assert_same(ember.tensor([1, 2]), torch.tensor([1, 2]))
        ei, ti = ember_and_torch(np.array([1, 2], np.int64))
        assert_same(ei / 3, ti / 3)
        assert_same(ei * 1.5, ti * 1.5)
        ef, tf = ember_and_torch(np.array([1, 2], np.float32))
        assert_same(ef * 1.5, tf * 1.5)          # a Python float never widens a float tensor
        assert_same(ember.arange(3.0), torch.arange(3.0))
        assert_same(ember.zeros(2), torch.zeros(2))
    finally:
        ember.set_default_dtype(old_e)
        torch.set_default_dtype(old_t)
    assert repr(ember.get_default_dtype()) == repr(torch.get_default_dtype()) == "torch.float32"


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_factory_dtypes(fn):
    e, t = getattr(ember, fn)(2, 3), getattr(torch, fn)(2, 3)
    assert repr(e.dtype) == repr(t.dtype) and tuple(e.shape) == tuple(t.shape)
    if fn != "empty":                           # empty's values are undefined
        assert_same(e, t)
    e = getattr(ember, fn)(2, dtype=ember.int32)
    t = getattr(torch, fn)(2, dtype=torch.int32)
    assert repr(e.dtype) == repr(t.dtype) and tuple(e.shape) == tuple(t.shape)


@pytest.mark.parametrize("fill", [1, 1.5, True], ids=repr)
def test_full_infers_from_fill_value(fill):
    assert_same(ember.full((2,), fill), torch.full((2,), fill))


@pytest.mark.parametrize("args", [(5,), (1, 4), (0, 1, 0.25), (1.0, 3), (0, 5, 2)], ids=str)
def test_arange_dtype(args):
    assert_same(ember.arange(*args), torch.arange(*args))


# ================================================================================================
# promote_types and result_type
# ================================================================================================

@pytest.mark.parametrize("a,b", list(itertools.product(REAL_DTYPE_NAMES, repeat=2)))
def test_promote_types_all_pairs(a, b):
    e = ember.promote_types(getattr(ember, a), getattr(ember, b))
    t = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert repr(e) == repr(t), f"promote_types({a}, {b}): ember {e!r}, torch {t!r}"


def _operand(lib, kind, dtype, value=1):
    """kind: 'dim' (a 1-d tensor), 'zero' (a 0-d tensor), or a Python scalar of type kind."""
    if kind == "dim":
        return lib.tensor([value, value], dtype=getattr(lib, dtype))
    if kind == "zero":
        return lib.tensor(value, dtype=getattr(lib, dtype))
    return {"int": 2, "float": 2.5, "bool": True}[kind]


OPERAND_KINDS = [("dim", d) for d in REAL_DTYPE_NAMES] + [("zero", d) for d in REAL_DTYPE_NAMES] \
    + [("int", None), ("float", None), ("bool", None)]


def _kind_id(k):
    return k[0] if k[1] is None else f"{k[0]}-{k[1]}"


@pytest.mark.parametrize("left", OPERAND_KINDS, ids=_kind_id)
@pytest.mark.parametrize("right", OPERAND_KINDS, ids=_kind_id)
def test_result_type(left, right):
    tl, tr = _operand(torch, *left), _operand(torch, *right)
    el, er = _operand(ember, *left), _operand(ember, *right)
    try:
        t = torch.result_type(tl, tr)
    except Exception:  # noqa: BLE001
        assert_same_error(lambda: ember.result_type(el, er), lambda: torch.result_type(tl, tr))
        return
    e = ember.result_type(el, er)
    assert repr(e) == repr(t), f"result_type: ember {e!r}, torch {t!r}"


def test_can_cast():
    for a, b in itertools.product(REAL_DTYPE_NAMES, repeat=2):
        assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == \
            torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)


def test_dtype_attributes():
    for name in REAL_DTYPE_NAMES:
        e, t = getattr(ember, name), getattr(torch, name)
        assert repr(e) == repr(t)
        assert e.is_floating_point == t.is_floating_point
        assert e.is_signed == t.is_signed, name
        assert e.itemsize == t.itemsize
        assert ember.tensor([], dtype=e).type() == torch.tensor([], dtype=t).type()
    for alias in ("float", "double", "half", "long", "int", "short", "bool"):
        assert repr(getattr(ember, alias)) == repr(getattr(torch, alias))


# ================================================================================================
# Hypothesis: arithmetic on every mix of operand kinds
# ================================================================================================

ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
         "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
         "pow": operator.pow}

operand_kind = st.sampled_from(["dim", "zero", "scalar"])
dtype_name = st.sampled_from(REAL_DTYPE_NAMES)
scalar_value = st.one_of(st.integers(-4, 4), st.sampled_from([0.5, -1.5, 2.0, 3.25, -0.0, 1e-3]),
                         st.booleans())


def _array(dtype, shape, seed, op, divisor):
    rng = np.random.default_rng(seed)
    if op == "pow" and divisor:                      # an exponent: small and non-negative
        if dtype.startswith("float"):
            return sample(shape, dtype, rng, low=-2, high=2)
        return sample(shape, dtype, rng, low=0, high=3)
    if op == "pow" and dtype.startswith("float"):
        return sample(shape, dtype, rng, positive=True)
    return sample(shape, dtype, rng, nonzero=divisor and op in ("floordiv", "mod"))


def _tolerance(op, t_out):
    if not t_out.dtype.is_floating_point:
        return {}
    if op in ("add", "sub", "mul", "truediv") and t_out.dtype in (torch.float32, torch.float64):
        return {}
    return {"ulp": 1}


@pytest.mark.parametrize("op", list(ARITH))          # one Hypothesis run per op, so that
@SETTINGS                                             # one op's failure hides no other's
@given(lkind=operand_kind, rkind=operand_kind,
       ldtype=dtype_name, rdtype=dtype_name, lscalar=scalar_value, rscalar=scalar_value,
       seed=st.integers(0, 2 ** 16))
def test_arithmetic_dtype_and_values(op, lkind, rkind, ldtype, rdtype, lscalar, rscalar, seed):
    assume(not (lkind == "scalar" and rkind == "scalar"))
    shape = {"dim": (3,), "zero": ()}

    def make(kind, dtype, scalar, divisor):
        if kind == "scalar":
            return scalar, scalar
        return ember_and_torch(_array(dtype, shape[kind], seed + divisor, op, divisor))
    le, lt = make(lkind, ldtype, lscalar, False)
    re, rt = make(rkind, rdtype, rscalar, True)
    fn = ARITH[op]
    try:
        t_out = fn(lt, rt)
    except Exception:  # noqa: BLE001
        assert_same_error(lambda: fn(le, re), lambda: fn(lt, rt))
        return
    e_out = fn(le, re)
    assert_same(e_out, t_out, **_tolerance(op, t_out))


@SETTINGS
@given(op=st.sampled_from(["add", "sub", "mul", "truediv"]),
       ldtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2 ** 16),
       data=st.data())
def test_float_arithmetic_bit_exact(op, ldtype, seed, data):
    """+ - * / on float32/float64, including specials, tensor-tensor and tensor-scalar."""
    floats = st.floats(allow_nan=True, allow_infinity=True,
                       width=32 if ldtype == "float32" else 64)
    a = np.array(data.draw(st.lists(floats, min_size=1, max_size=6)), dtype=ldtype)
    b = np.array(data.draw(st.lists(floats, min_size=len(a), max_size=len(a))), dtype=ldtype)
    ae, at = ember_and_torch(a)
    be, bt = ember_and_torch(b)
    assert_same(ARITH[op](ae, be), ARITH[op](at, bt))
    s = data.draw(st.floats(allow_nan=False, width=64) | st.integers(-10 ** 6, 10 ** 6))
    assert_same(ARITH[op](ae, s), ARITH[op](at, s))
    assert_same(ARITH[op](s, ae), ARITH[op](s, at))


@SETTINGS
@given(op=st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), ldtype=dtype_name,
       rdtype=dtype_name, lkind=operand_kind, rkind=operand_kind, rscalar=scalar_value,
       seed=st.integers(0, 2 ** 16))
def test_comparison_promotion(op, ldtype, rdtype, lkind, rkind, rscalar, seed):
    assume(lkind != "scalar")
    shape = {"dim": (4,), "zero": ()}
    le, lt = ember_and_torch(sample(shape[lkind], ldtype, np.random.default_rng(seed)))
    if rkind == "scalar":
        re = rt = rscalar
    else:
        re, rt = ember_and_torch(sample(shape[rkind], rdtype, np.random.default_rng(seed + 1)))
    fn = getattr(operator, op)
    assert_same(fn(le, re), fn(lt, rt))


# ================================================================================================
# Hypothesis: broadcasting
# ================================================================================================

@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                 max_side=4),
       op=st.sampled_from(["add", "sub", "mul", "truediv"]), seed=st.integers(0, 2 ** 16))
def test_broadcast_shapes_and_gradients(shapes, op, seed):
    sa, sb = shapes.input_shapes
    rng = np.random.default_rng(seed)
    ae, at = ember_and_torch(sample(sa, "float64", rng), requires_grad=True)
    be, bt = ember_and_torch(sample(sb, "float64", rng, nonzero=True), requires_grad=True)
    e_out, t_out = ARITH[op](ae, be), ARITH[op](at, bt)
    assert tuple(e_out.shape) == tuple(t_out.shape) == shapes.result_shape
    assert_same(e_out, t_out)
    w = rng.standard_normal(shapes.result_shape)
    we, wt = ember_and_torch(w)
    (e_out * we).sum().backward()
    (t_out * wt).sum().backward()
    assert tuple(ae.grad.shape) == sa and tuple(be.grad.shape) == sb
    assert_same_grads([ae, be], [at, bt], exact=False)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                 max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_broadcast_where(shapes, seed):
    sc, sa, sb = shapes.input_shapes
    rng = np.random.default_rng(seed)
    ce, ct = ember_and_torch(rng.random(sc) < 0.5)
    ae, at = ember_and_torch(sample(sa, "float32", rng), requires_grad=True)
    be, bt = ember_and_torch(sample(sb, "float32", rng), requires_grad=True)
    e_out, t_out = ember.where(ce, ae, be), torch.where(ct, at, bt)
    assert_same(e_out, t_out)
    e_out.sum().backward()
    t_out.sum().backward()
    assert_same_grads([ae, be], [at, bt], exact=False)


@st.composite
def non_broadcastable_shapes(draw):
    a = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    b = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return a, b
    # make one aligned dimension clash (both sizes > 1 and different)
    k = draw(st.integers(1, min(len(a), len(b))))
    a = list(a)
    b = list(b)
    a[-k] = 2
    b[-k] = 3
    return tuple(a), tuple(b)


@SETTINGS
@given(shapes=non_broadcastable_shapes(),
       op=st.sampled_from(["add", "sub", "mul", "truediv", "eq", "lt", "pow"]),
       seed=st.integers(0, 2 ** 16))
def test_non_broadcastable_raise_runtime_error(shapes, op, seed):
    sa, sb = shapes
    rng = np.random.default_rng(seed)
    ae, at = ember_and_torch(sample(sa, "float32", rng, positive=True))
    be, bt = ember_and_torch(sample(sb, "float32", rng))
    fn = getattr(operator, op)
    e_error, t_error = assert_same_error(lambda: fn(ae, be), lambda: fn(at, bt))
    assert isinstance(t_error, RuntimeError) and isinstance(e_error, RuntimeError)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_broadcast_expand_matches(shapes, seed):
    sa, _ = shapes.input_shapes
    target = shapes.result_shape
    ae, at = ember_and_torch(sample(sa, "float32", np.random.default_rng(seed)),
                             requires_grad=True)
    e_out, t_out = ae.expand(target), at.expand(target)
    assert_same(e_out, t_out)
    assert e_out.grad_fn.name() == t_out.grad_fn.name()
    w = np.random.default_rng(seed + 1).integers(-3, 4, size=target).astype(np.float32)
    we, wt = ember_and_torch(w)
    (e_out * we).sum().backward()
    (t_out * wt).sum().backward()
    assert_same_grads([ae], [at])      # small-integer weights: exact in any order


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                 max_side=4),
       ldtype=dtype_name, rdtype=dtype_name, seed=st.integers(0, 2 ** 16))
def test_broadcast_mixed_dtypes(shapes, ldtype, rdtype, seed):
    sa, sb = shapes.input_shapes
    rng = np.random.default_rng(seed)
    ae, at = ember_and_torch(sample(sa, ldtype, rng))
    be, bt = ember_and_torch(sample(sb, rdtype, rng))
    for fn in (operator.add, operator.mul, operator.eq):
        try:
            t_out = fn(at, bt)
        except Exception:  # noqa: BLE001
            assert_same_error(lambda: fn(ae, be), lambda: fn(at, bt))
            continue
        assert_same(fn(ae, be), t_out, **({"ulp": 1} if t_out.dtype == torch.float16 else {}))

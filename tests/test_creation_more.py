"""Creation ops and dtype queries against PyTorch: arange/linspace/logspace bit for bit, eye,
the *_like and Tensor.new_* factories, empty_strided, complex/polar, finfo/iinfo,
can_cast/promote_types/result_type, default dtypes, and triangles/diagonals (tril, triu, diag,
diagonal, diag_embed) with their gradients and views.
"""
import itertools
import warnings

import numpy as np
import pytest

from helpers import assert_same, assert_same_error, ember_and_torch, numerical_gradcheck

import ember
import ember.linalg  # noqa: F401  (until ember/__init__.py imports it)

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NUMERIC = [d for d in DTYPES if d != "bool"]


def both(fn):
    """fn(ember) and fn(torch), or the exceptions they raise."""
    out = []
    for T in (ember, torch):
        try:
            out.append(fn(T))
        except Exception as error:  # noqa: BLE001 - compared below
            out.append(error)
    return out


def assert_same_complex(e, t, exact=True):
    """assert_same for complex tensors (compared as their real and imaginary parts)."""
    assert repr(e.dtype) == repr(t.dtype) and tuple(e.shape) == tuple(t.shape)
    a, b = e.detach().numpy(), t.detach().numpy()
    real = np.float32 if a.dtype == np.complex64 else np.float64
    if exact:
        np.testing.assert_array_equal(a.view(real), b.view(real))
    else:
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def assert_same_outcome(fn, exact=True, **tol):
    """Both raise the same exception type with the same message, or give the same tensor."""
    e, t = both(fn)
    if isinstance(t, Exception):
        assert isinstance(e, Exception), f"ember returned {e!r}, torch raised {t!r}"
        assert type(e).__name__ == type(t).__name__, f"ember {e!r}, torch {t!r}"
        assert str(e).split("\n")[0] == str(t).split("\n")[0], f"ember {e}, torch {t}"
        return
    assert not isinstance(e, Exception), f"ember raised {e!r}, torch returned {t!r}"
    assert_same(e, t, exact=exact, **tol)


# -- arange / linspace / logspace, bit for bit -----------------------------------------------------


def _random_ranges(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        start = float(rng.uniform(-50, 50))
        step = float(rng.uniform(1e-3, 3)) * float(rng.choice([-1, 1]))
        n = int(rng.integers(0, 120))
        yield start, start + step * n + step * float(rng.uniform(0.01, 0.99)), step


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_arange_float_steps_bit_for_bit(dtype):
    """PyTorch's kernel: vector blocks of `base + k*step` and a scalar tail `start + i*step`,
    each a fused multiply-add; ember reproduces every bit."""
    for start, end, step in _random_ranges(hash(dtype) % 1000, 150):
        assert_same(ember.arange(start, end, step, dtype=getattr(ember, dtype)),
                    torch.arange(start, end, step, dtype=getattr(torch, dtype)))


def test_arange_long_range_bit_for_bit():
    for args in [(0.0, 1.0, 1e-4), (-3.3, 7.1, 0.0013), (0, 100000, 1.0)]:
        assert_same(ember.arange(*args), torch.arange(*args))
        assert_same(ember.arange(*args, dtype=ember.float64),
                    torch.arange(*args, dtype=torch.float64))


ARANGE_CASES = [
    (5,), (0,), (2, 9), (9, 2, -2), (1, 10, 3), (-5, 5), (0.5, 3), (0, 1, 0.1), (1, 2.5, 0.5),
    (True,), (3.0,), (-3, 3, 2.5), (0, 5.5, 0.5), (0.7, 5.5, 1.5), (-0.5, -5.7, -1.5),
    (0, 300), (5, 0), (5, 0, 0), (0, float("inf")), (0, float("nan")), (0, 1, 1e-300),
    (0, 1e30, 1e28), (0, 2 ** 62, 2 ** 61),
]


@pytest.mark.parametrize("args", ARANGE_CASES, ids=str)
@pytest.mark.parametrize("dtype", [None, "int64", "int32", "uint8", "int8", "float32", "float16",
                                   "bool"])
def test_arange_cases(args, dtype):
    def run(T):
        kw = {} if dtype is None else {"dtype": getattr(T, dtype)}
        return T.arange(*args, **kw)
    assert_same_outcome(run)


@pytest.mark.filterwarnings("ignore:The number of elements in the out tensor")
def test_arange_arguments():
    assert_same_outcome(lambda T: T.arange(start=1, end=5))
    assert_same_outcome(lambda T: T.arange(end=5))
    assert_same_outcome(lambda T: T.arange(T.tensor(5)))
    assert_same_outcome(lambda T: T.arange(T.tensor(2.5), 6))
    assert_same_outcome(lambda T: T.arange(np.int64(3)))
    assert_same_outcome(lambda T: T.arange(5.0, requires_grad=True))
    assert_same_outcome(lambda T: T.arange(5, requires_grad=True))
    assert_same_outcome(lambda T: T.arange(T.tensor([5.0, 6.0])))
    assert_same_outcome(lambda T: T.arange("a"))
    assert_same_outcome(lambda T: T.arange(0, 3, dtype=T.complex64))
    assert_same_outcome(lambda T: T.arange(0, 10 ** 20))
    out_e, out_t = ember.zeros(2, dtype=ember.int64), torch.zeros(2, dtype=torch.int64)
    assert_same(ember.arange(4, out=out_e), torch.arange(4, out=out_t))
    assert_same(out_e, out_t)
    assert ember.arange(5.0, requires_grad=True).requires_grad


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "int16",
                                   "uint8", "int8"])
def test_linspace_bit_for_bit(dtype):
    rng = np.random.default_rng(3)
    for k in range(120):
        low, high = (0, 120) if dtype == "uint8" else (-100, 100)
        start, end = (float(v) for v in rng.uniform(low, high, 2))
        if k % 3 == 0:
            start, end = int(start), int(end)
        steps = int(rng.integers(0, 90)) if k % 7 else 1
        assert_same_outcome(lambda T: T.linspace(start, end, steps, dtype=getattr(T, dtype)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "uint8"])
def test_logspace_bit_for_bit(dtype):
    rng = np.random.default_rng(4)
    for k in range(100):
        start, end = (float(v) for v in rng.uniform(-4, 4, 2))
        if k % 4 == 0:
            start, end = int(start * 5), int(end * 5)
        steps = int(rng.integers(0, 60)) if k % 6 else 1
        base = float(rng.choice([10.0, 2.0, 2.5, np.e]))
        assert_same_outcome(lambda T: T.logspace(start, end, steps, base=base,
                                                 dtype=getattr(T, dtype)))


def test_linspace_logspace_arguments():
    assert_same_outcome(lambda T: T.linspace(0, 1, 5))
    assert_same_outcome(lambda T: T.linspace(0, 10, 5, dtype=T.int64))
    assert_same_outcome(lambda T: T.linspace(T.tensor(0.0), T.tensor(1.0), 3))
    assert_same_outcome(lambda T: T.linspace(T.tensor([0.0]), 1, 3))
    assert_same_outcome(lambda T: T.linspace(0, 10, -1))
    assert_same_outcome(lambda T: T.linspace(0, 1, 3, requires_grad=True))
    assert_same_outcome(lambda T: T.linspace(0, 1, 3, dtype=T.bool))
    assert_same_outcome(lambda T: T.linspace(-1, 300, 3, dtype=T.uint8))
    assert_same_outcome(lambda T: T.logspace(0, 2, 3))
    assert_same_outcome(lambda T: T.logspace(0, 2, 3, base=2))
    assert_same_outcome(lambda T: T.logspace(0, 40, 1, dtype=T.float16))
    assert_same_outcome(lambda T: T.logspace(T.tensor([0.0]), 1, 3))
    assert_same_complex(ember.linspace(0j, 1 + 2j, 4), torch.linspace(0j, 1 + 2j, 4), False)


# -- constant factories ----------------------------------------------------------------------------


FACTORY_CASES = [
    lambda T: T.zeros(2, 3), lambda T: T.zeros((2, 3)), lambda T: T.zeros([2, 3]),
    lambda T: T.zeros(()), lambda T: T.zeros([]), lambda T: T.zeros(T.Size([2])),
    lambda T: T.zeros(size=(2, 3)), lambda T: T.zeros(T.tensor(2)),
    lambda T: T.ones(2, dtype=T.int8), lambda T: T.ones(2, 3, dtype=T.bool),
    lambda T: T.empty(2, 3).shape, lambda T: T.full((2,), 1.5), lambda T: T.full((2,), 3),
    lambda T: T.full((2,), True), lambda T: T.full([2, 1], 2, dtype=T.float16),
    lambda T: T.full((2,), 1.5, dtype=T.int32), lambda T: T.full((2,), 1e10, dtype=T.int32),
    lambda T: T.full((2,), 1e39, dtype=T.float32), lambda T: T.full((2,), 7e4, dtype=T.half),
    lambda T: T.full((2,), float("inf"), dtype=T.float16), lambda T: T.full((2,), 1j).dtype,
    lambda T: T.full((2,), T.tensor(2.5)),
    # errors
    lambda T: T.zeros(-1), lambda T: T.zeros(2, -1), lambda T: T.ones(2, "a"),
    lambda T: T.ones((2, 3.0)), lambda T: T.zeros("a"), lambda T: T.zeros(["a"]),
    lambda T: T.zeros(2.0), lambda T: T.zeros(None), lambda T: T.full(3, 1.0),
    lambda T: T.full([2, "a"], 1.0), lambda T: T.full((2,), "a"),
    lambda T: T.zeros(2, requires_grad=True, dtype=T.int64),
    lambda T: T.zeros(2, dtype=T.float32, out=T.zeros(3, dtype=T.int64)),
    lambda T: T.eye(3), lambda T: T.eye(2, 3, dtype=T.int32), lambda T: T.eye(3, 2),
    lambda T: T.eye(0), lambda T: T.eye(-1), lambda T: T.eye(2, -1), lambda T: T.eye(2.0),
    lambda T: T.eye(2, dtype=T.bool), lambda T: T.eye(2, requires_grad=True),
]


@pytest.mark.parametrize("case", range(len(FACTORY_CASES)))
def test_constant_factories(case):
    fn = FACTORY_CASES[case]
    e, t = both(fn)
    if isinstance(t, torch.Size):
        assert tuple(e) == tuple(t)
        return
    if isinstance(t, torch.dtype):
        assert repr(e) == repr(t)
        return
    assert_same_outcome(fn)


def test_factories_out_and_requires_grad():
    for name in ("zeros", "ones", "empty"):
        out_e, out_t = ember.ones(3, dtype=ember.int64), torch.ones(3, dtype=torch.int64)
        r_e = getattr(ember, name)(2, out=out_e)
        r_t = getattr(torch, name)(2, out=out_t)
        assert r_e is out_e and r_t is out_t
        if name != "empty":
            assert_same(out_e, out_t)
        e = getattr(ember, name)(2, 2, requires_grad=True)
        assert e.requires_grad and e.is_leaf and e.dtype is ember.float32


def test_factories_follow_the_default_dtype():
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        for fn in (lambda T: T.zeros(2), lambda T: T.ones(1), lambda T: T.full((1,), 2.0),
                   lambda T: T.arange(0.0, 2), lambda T: T.linspace(0, 1, 3), lambda T: T.eye(2),
                   lambda T: T.tensor([1.5])):
            assert_same_outcome(fn)
        assert repr(ember.full((1,), 1j).dtype) == repr(torch.full((1,), 1j).dtype)
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


# -- *_like and new_* -------------------------------------------------------------------------------


LIKE_CASES = [
    lambda T, x: T.zeros_like(x), lambda T, x: T.ones_like(x, dtype=T.float64),
    lambda T, x: T.empty_like(x).shape, lambda T, x: T.full_like(x, 2.7),
    lambda T, x: T.full_like(x, 2.7, dtype=T.float32), lambda T, x: T.full_like(x, True),
    lambda T, x: T.full_like(x, 300, dtype=T.int8),
    lambda T, x: T.zeros_like(x, requires_grad=True),
    lambda T, x: T.ones_like(x, dtype=T.float16, requires_grad=True),
    lambda T, x: x.new_tensor([1.5, 2]), lambda T, x: x.new_tensor([[1, 2]], dtype=T.float64),
    lambda T, x: x.new_zeros(2, 3), lambda T, x: x.new_zeros((2, 3)),
    lambda T, x: x.new_ones(2, dtype=T.float32), lambda T, x: x.new_full((2,), 3.5),
    lambda T, x: x.new_full(2, 3.5), lambda T, x: x.new_empty(2).shape,
    lambda T, x: x.new_ones((), requires_grad=True),
    lambda T, x: T.zeros_like(1.0),
]


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64", "bool"])
@pytest.mark.parametrize("case", range(len(LIKE_CASES)))
def test_like_and_new(case, dtype):
    fn = LIKE_CASES[case]
    xe, xt = ember_and_torch(np.array([[1, 0, 3]]).astype(dtype))
    e, t = both(lambda T: fn(T, xe if T is ember else xt))
    if isinstance(t, torch.Size):
        assert tuple(e) == tuple(t)
        return
    assert_same_outcome(lambda T: fn(T, xe if T is ember else xt))
    if not isinstance(t, Exception):
        assert e.requires_grad == t.requires_grad and e.is_leaf


def test_like_keeps_strides_of_a_dense_input():
    x_e, x_t = ember_and_torch(np.arange(12.0).reshape(3, 4))
    for fn in (lambda T, x: T.zeros_like(x.t()), lambda T, x: T.ones_like(x.t()[1:]),
               lambda T, x: T.full_like(x.permute(1, 0), 2.0),
               lambda T, x: T.empty_like(x.t(), memory_format=T.contiguous_format)):
        e, t = fn(ember, x_e), fn(torch, x_t)
        assert e.stride() == t.stride() and tuple(e.shape) == tuple(t.shape)


def test_new_tensor_copies_and_warns_like_pytorch():
    x_e, x_t = ember.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0],
                                                                          requires_grad=True)
    with warnings.catch_warnings(record=True) as w_e:
        warnings.simplefilter("always")
        e = ember.tensor([1]).new_tensor(x_e)
    with warnings.catch_warnings(record=True) as w_t:
        warnings.simplefilter("always")
        t = torch.tensor([1]).new_tensor(x_t)
    assert_same(e, t)
    assert str(w_e[0].message) == str(w_t[0].message)
    assert not e.requires_grad
    # a copy, not a view
    base = np.array([1.0, 2.0])
    y = ember.zeros(1).new_tensor(base)
    base[0] = 9
    assert y.tolist() == [1.0, 2.0]


def test_empty_strided():
    e = ember.empty_strided((2, 3), (1, 2))
    t = torch.empty_strided((2, 3), (1, 2))
    assert e.stride() == t.stride() and tuple(e.shape) == tuple(t.shape)
    assert e.dtype is ember.float32 and not e.is_contiguous()
    e2 = ember.empty_strided((2, 3), (3, 1), dtype=ember.int32)
    assert e2.is_contiguous() and e2.dtype is ember.int32


def test_layout_and_memory_format_objects():
    assert repr(ember.strided) == repr(torch.strided)
    assert repr(ember.contiguous_format) == repr(torch.contiguous_format)
    assert repr(ember.preserve_format) == repr(torch.preserve_format)
    assert repr(ember.channels_last) == repr(torch.channels_last)


# -- complex / polar -----------------------------------------------------------------------------


def test_complex_and_polar():
    re_e, re_t = ember_and_torch(np.array([1.0, -2.0, 0.5], np.float32))
    im_e, im_t = ember_and_torch(np.array([[0.5], [-1.0]], np.float32))
    assert_same_complex(ember.complex(re_e, im_e), torch.complex(re_t, im_t))
    a_e, a_t = ember_and_torch(np.array([1.0, 2.0, 0.5]))
    th_e, th_t = ember_and_torch(np.array([0.3, -2.0, 4.0]))
    assert_same_complex(ember.polar(a_e, th_e), torch.polar(a_t, th_t), exact=False)
    assert_same_error(lambda: ember.complex(re_e, a_e), lambda: torch.complex(re_t, a_t))
    assert_same_error(lambda: ember.complex(re_e.long(), re_e.long()),
                      lambda: torch.complex(re_t.long(), re_t.long()))


# -- dtypes: finfo / iinfo / can_cast / promote_types / result_type --------------------------------


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64", "complex128"])
def test_finfo(dtype):
    e, t = ember.finfo(getattr(ember, dtype)), torch.finfo(getattr(torch, dtype))
    assert repr(e) == repr(t) and str(e) == str(t)
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
        assert type(getattr(e, attr)) is type(getattr(t, attr)), attr
    assert e == ember.finfo(getattr(ember, dtype))
    with pytest.raises(AttributeError):
        e.eps = 1.0


def test_finfo_defaults_and_errors():
    assert repr(ember.finfo()) == repr(torch.finfo())
    assert repr(ember.finfo(float)) == repr(torch.finfo(float))
    assert ember.finfo(ember.float32) != ember.finfo(ember.float64)
    assert (ember.finfo(ember.float32) == 3) is False
    for bad in ("int32", "bool", "uint8"):
        assert_same_error(lambda: ember.finfo(getattr(ember, bad)),
                          lambda: torch.finfo(getattr(torch, bad)),
                          match="requires a floating point input type")
    assert_same_error(lambda: ember.finfo("float32"), lambda: torch.finfo("float32"))
    with pytest.raises(TypeError):
        hash(ember.finfo(ember.float32))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "uint16",
                                   "uint32", "uint64"])
def test_iinfo(dtype):
    e, t = ember.iinfo(getattr(ember, dtype)), torch.iinfo(getattr(torch, dtype))
    assert repr(e) == repr(t)
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(e, attr) == getattr(t, attr) and type(getattr(e, attr)) is type(
            getattr(t, attr)), attr


def test_iinfo_errors():
    assert repr(ember.iinfo(int)) == repr(torch.iinfo(int))
    assert_same_error(lambda: ember.iinfo(ember.bool), lambda: torch.iinfo(torch.bool),
                      match="torch.bool is not supported by torch.iinfo")
    assert_same_error(lambda: ember.iinfo(ember.float32), lambda: torch.iinfo(torch.float32),
                      match="requires an integer input type")


ALL_DTYPES = DTYPES + ["complex64", "complex128", "uint16", "uint32", "uint64"]


def test_can_cast_and_promote_types_over_every_pair():
    for a, b in itertools.product(ALL_DTYPES, repeat=2):
        ea, eb, ta, tb = getattr(ember, a), getattr(ember, b), getattr(torch, a), getattr(torch, b)
        assert ember.can_cast(ea, eb) == torch.can_cast(ta, tb), (a, b)
        e, t = both(lambda T: T.promote_types(getattr(T, a), getattr(T, b)))
        if isinstance(t, Exception):
            assert type(e) is type(t) and str(e) == str(t), (a, b, e, t)
        else:
            assert repr(e) == repr(t), (a, b)


def test_dtype_argument_errors():
    for fn in (lambda T: T.can_cast(T.float32, "a"), lambda T: T.can_cast(float, T.int32),
               lambda T: T.promote_types(1, 2), lambda T: T.promote_types(T.int32, float),
               lambda T: T.can_cast(from_=T.float32, to=T.int32)):
        e, t = both(fn)
        if isinstance(t, Exception):
            assert type(e) is type(t) and str(e) == str(t)
        else:
            assert repr(e) == repr(t)


RESULT_TYPE_OPERANDS = [1, 2.0, True, 1j, "t_int", "t_float", "t_0d_double", "t_uint8", "t_bool"]


def _operand(T, spec):
    if spec == "t_int":
        return T.tensor([1, 2])
    if spec == "t_float":
        return T.tensor([1.0])
    if spec == "t_0d_double":
        return T.tensor(1.0, dtype=T.float64)
    if spec == "t_uint8":
        return T.tensor([1], dtype=T.uint8)
    if spec == "t_bool":
        return T.tensor([True])
    return spec


@pytest.mark.parametrize("a,b", list(itertools.product(RESULT_TYPE_OPERANDS, repeat=2)))
def test_result_type(a, b):
    e = ember.result_type(_operand(ember, a), _operand(ember, b))
    t = torch.result_type(_operand(torch, a), _operand(torch, b))
    assert repr(e) == repr(t)


def test_dtype_predicates():
    for values, dtype in (([1.0], "float32"), ([1], "int64"), ([True], "bool"), ([1], "uint8"),
                          ([1j], "complex64"), ([1], "int8")):
        e = ember.tensor(values, dtype=getattr(ember, dtype))
        t = torch.tensor(values, dtype=getattr(torch, dtype))
        for name in ("is_floating_point", "is_complex", "is_signed"):
            assert getattr(ember, name)(e) == getattr(torch, name)(t), (name, dtype)
            assert getattr(e, name)() == getattr(t, name)(), (name, dtype)
        for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
            assert getattr(e.dtype, attr) == getattr(t.dtype, attr), (attr, dtype)
    assert ember.is_nonzero(ember.tensor([2.0])) is torch.is_nonzero(torch.tensor([2.0]))
    assert ember.tensor(0).is_nonzero() is False
    for fn in (lambda T: T.is_nonzero(T.tensor([1.0, 2.0])), lambda T: T.is_nonzero(T.tensor([])),
               lambda T: T.is_complex(1.0)):
        assert_same_error(lambda: fn(ember), lambda: fn(torch))


def test_set_default_dtype():
    try:
        for d in ("float16", "float64", "float32"):
            ember.set_default_dtype(getattr(ember, d))
            torch.set_default_dtype(getattr(torch, d))
            assert repr(ember.get_default_dtype()) == repr(torch.get_default_dtype())
            assert_same(ember.tensor([1.5]), torch.tensor([1.5]))
        for bad in (lambda T: T.int32, lambda T: float, lambda T: "float64",
                    lambda T: T.complex64):
            assert_same_error(lambda: ember.set_default_dtype(bad(ember)),
                              lambda: torch.set_default_dtype(bad(torch)))
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


# -- triangles and diagonals -----------------------------------------------------------------------


def _grad_names(t):
    return None if t.grad_fn is None else t.grad_fn.name()


@pytest.mark.parametrize("dtype", DTYPES)
def test_tril_triu_values(dtype):
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((2, 3, 4)) * 5).astype(dtype)
    xe, xt = ember_and_torch(data)
    for k in (-4, -1, 0, 2, 5):
        assert_same(ember.tril(xe, k), torch.tril(xt, k))
        assert_same(xe.triu(diagonal=k), xt.triu(diagonal=k))
    ye, yt = xe.clone(), xt.clone()
    ye.tril_(1)
    yt.tril_(1)
    assert_same(ye, yt)
    assert_same_error(lambda: ember.tril(xe[0, 0]), lambda: torch.tril(xt[0, 0]))


def test_tril_triu_gradients():
    for fn in (lambda T, x: T.tril(x, -1), lambda T, x: x.triu(1), lambda T, x: (x * 1).triu_()):
        xe, xt = ember_and_torch(np.random.default_rng(1).standard_normal((3, 4)), True)
        e, t = fn(ember, xe), fn(torch, xt)
        assert _grad_names(e) == _grad_names(t)
        w = np.arange(12.0).reshape(3, 4)
        (e * ember.tensor(w)).sum().backward()
        (t * torch.tensor(w)).sum().backward()
        assert_same(xe.grad, xt.grad)


@pytest.mark.parametrize("dtype", ["int64", "float32", "bool"])
def test_diag_diagonal_diag_embed_values(dtype):
    rng = np.random.default_rng(2)
    m = (rng.standard_normal((3, 4)) * 4).astype(dtype)
    v = (rng.standard_normal(3) * 4).astype(dtype)
    t3 = (rng.standard_normal((2, 3, 4)) * 4).astype(dtype)
    for data, fn in [(v, lambda T, x: T.diag(x)), (v, lambda T, x: T.diag(x, 2)),
                     (v, lambda T, x: T.diag(x, -1)), (m, lambda T, x: T.diag(x)),
                     (m, lambda T, x: T.diag(x, 1)), (m, lambda T, x: x.diag(-2)),
                     (m, lambda T, x: T.diag(x, 7)), (t3, lambda T, x: T.diagonal(x)),
                     (t3, lambda T, x: T.diagonal(x, 1, 2, 0)),
                     (t3, lambda T, x: x.diagonal(offset=-1, dim1=-1, dim2=1)),
                     (m, lambda T, x: T.diag_embed(x)), (m, lambda T, x: T.diag_embed(x, 1, 0, 2)),
                     (v, lambda T, x: T.diag_embed(x, -2)),
                     (t3, lambda T, x: T.diag_embed(x, 0, -1, 0)),
                     (t3, lambda T, x: T.diag(x)), (t3, lambda T, x: T.diagonal(x, 0, 1, 1)),
                     (t3, lambda T, x: T.diagonal(x, 0, 0, 3))]:
        xe, xt = ember_and_torch(data)
        assert_same_outcome(lambda T: fn(T, xe if T is ember else xt))


def test_diagonal_is_a_view():
    xe, xt = ember_and_torch(np.arange(12.0).reshape(3, 4))
    de, dt = xe.diagonal(1), xt.diagonal(1)
    de.mul_(10)
    dt.mul_(10)
    assert_same(xe, xt)
    assert de._base is xe
    assert de.stride() == dt.stride()


def test_diagonal_family_gradients_and_names():
    rng = np.random.default_rng(3)
    cases = [((4,), lambda T, x: T.diag(x, 1)), ((3, 4), lambda T, x: T.diag(x, -1)),
             ((3, 4), lambda T, x: T.diagonal(x, 1)), ((2, 3, 4), lambda T, x: x.diagonal(0, 2, 0)),
             ((2, 3), lambda T, x: T.diag_embed(x, 1)), ((3, 4), lambda T, x: x.diag_embed(0, 0, 2))]
    for shape, fn in cases:
        xe, xt = ember_and_torch(rng.standard_normal(shape), True)
        e, t = fn(ember, xe), fn(torch, xt)
        assert _grad_names(e) == _grad_names(t)
        w = rng.standard_normal(tuple(t.shape))
        (e * ember.tensor(w)).sum().backward()
        (t * torch.tensor(w)).sum().backward()
        assert_same(xe.grad, xt.grad)
        xn = ember.tensor(rng.standard_normal(shape), requires_grad=True)
        assert numerical_gradcheck(lambda x: fn(ember, x), [xn])


def test_like_factories_keep_pytorchs_layout_for_views():
    # preserve_format: a dense input's strides; an expanded or sliced view gets a dense
    # layout with the same permutation (PyTorch's infer_dense_strides)
    def views(T):
        x = T.arange(24.0).reshape(2, 3, 4)
        return [x.permute(2, 0, 1), x[:, ::2].transpose(0, 2), x.transpose(1, 2)[:, :, 1:],
                T.tensor([0.3, 0.6, 0.9]).expand(3, 3), T.tensor([[1.0], [2.0]]).expand(2, 5),
                x[:, :1].expand(2, 4, 4), x.permute(1, 2, 0)]
    for a, b in zip(views(torch), views(ember)):
        for make in ("empty_like", "zeros_like", "ones_like", "rand_like"):
            assert getattr(ember, make)(b).stride() == getattr(torch, make)(a).stride(), make
        assert ember.zeros_like(b, memory_format=ember.contiguous_format).stride() == \
            torch.zeros_like(a, memory_format=torch.contiguous_format).stride()

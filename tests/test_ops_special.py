"""Differential tests of the special functions and statistics a course uses: lgamma, digamma,
polygamma, mvlgamma, erfinv (values over wide ranges with poles, infinities and nan; dtypes;
gradients; methods and in-place forms), quantile / nanquantile (every interpolation, dims,
keepdim, tensor q, nan, gradients and graph node names, PyTorch's errors), histc, cov and
corrcoef. PyTorch is the oracle throughout."""
import warnings
import zlib

import numpy as np
import pytest

from helpers import assert_same, torch

import ember


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def both(array, dtype=None, requires_grad=False):
    a = np.array(array, dtype=dtype)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    if requires_grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


def graph(fn):
    """The names of a graph's nodes, depth first (PyTorch's names)."""
    if fn is None:
        return None
    return [fn.name()] + [graph(f) for f, _ in fn.next_functions]


def same_error(fn):
    """`fn(lib)` raises in torch; ember raises the same type with the same message."""
    with pytest.raises(Exception) as t_error:
        fn(torch)
    with pytest.raises(type(t_error.value)) as e_error:
        fn(ember)
    assert str(e_error.value) == str(t_error.value)


WIDE = np.concatenate([
    np.linspace(-20, 20, 4001), np.linspace(1e-3, 3, 500), 10.0 ** np.linspace(-30, 30, 121),
    -(10.0 ** np.linspace(-30, 2, 65)) + 0.25,
    [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -3.0, np.inf, -np.inf, np.nan, 1 + 1e-9, 2 - 1e-9,
     1.4616321449683623, -0.5, -1.5, 0.5, 1e-310]])
ROOTS_OF_LGAMMA = np.array([-2.457024738220800, -2.747682646727412, -3.143580888349980])

# rtol/atol per dtype: float32 within a few ulps of PyTorch's kernels, float64 within 1e-12
TOL = {"float32": dict(rtol=1e-6, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-13)}


# -- lgamma, digamma, polygamma, erfinv, mvlgamma ----------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lgamma_matches_torch_over_a_wide_range_with_poles_and_specials(dtype):
    e, t = both(np.concatenate([WIDE, ROOTS_OF_LGAMMA]), dtype)
    assert_same(ember.lgamma(e), torch.lgamma(t), rtol=TOL[dtype]["rtol"],
                atol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_digamma_matches_torch_including_poles_and_signed_zeros(dtype):
    e, t = both(WIDE, dtype)
    assert_same(ember.digamma(e), torch.digamma(t), **TOL[dtype])
    z_e, z_t = both([0.0, -0.0, -1.0, -7.0, -np.inf, np.inf], dtype)
    assert_same(ember.digamma(z_e), torch.digamma(z_t))       # -inf, inf, nan, nan, nan, inf


@pytest.mark.parametrize("n", [1, 2, 3, 6])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_polygamma_matches_torch(n, dtype):
    # PyTorch's zeta series steps one by one up from a negative x: keep x >= -100
    x = WIDE[(WIDE > -100) | ~np.isfinite(WIDE)]
    e, t = both(x, dtype)
    tol = dict(rtol=4e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    assert_same(ember.polygamma(n, e), torch.polygamma(n, t), **tol)


def test_polygamma_zero_is_digamma_and_far_negative_values_use_reflection():
    e, t = both(np.linspace(-5, 5, 101))
    assert_same(ember.polygamma(0, e), torch.polygamma(0, t))
    e, t = both([-200.25, -120.7, -75.5], "float64")
    assert_same(ember.polygamma(2, e), torch.polygamma(2, t), rtol=1e-10)
    assert_same(ember.polygamma(3, e), torch.polygamma(3, t), rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfinv_matches_torch_up_to_the_edges(dtype):
    rng = rng_for("erfinv", dtype)
    x = np.concatenate([rng.uniform(-1, 1, 5000), np.linspace(-0.999, 0.999, 999),
                        [0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan, np.inf, 1e-30, -1e-310]])
    e, t = both(x, dtype)
    assert_same(ember.erfinv(e), torch.erfinv(t), **TOL[dtype])
    # near +-1 erfinv is ill-conditioned: float64 kernels agree to a few parts in 1e10
    tail = 1 - 10.0 ** -np.linspace(3, 15.5, 60)
    e, t = both(np.concatenate([tail, -tail]), "float64")
    assert_same(ember.erfinv(e), torch.erfinv(t), rtol=1e-9)


def test_erfinv_inverts_erf():
    x = ember.linspace(-0.99, 0.99, 199, dtype=ember.float64)
    assert_same(ember.erf(ember.erfinv(x)), torch.erf(torch.erfinv(torch.tensor(x.numpy()))),
                rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize("p", [1, 2, 3, 5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mvlgamma_matches_torch(p, dtype):
    x = np.linspace(0.5 * (p - 1) + 0.01, 30, 301)
    e, t = both(x, dtype)
    assert_same(ember.mvlgamma(e, p), torch.mvlgamma(t, p), rtol=TOL[dtype]["rtol"] * 2,
                atol=TOL[dtype]["atol"])


def test_mvlgamma_errors():
    same_error(lambda T: T.mvlgamma(T.tensor([1.0, 2.0]), 0))
    # (no domain check: PyTorch 2.13 computes below (p - 1) / 2 as well)
    e, t = both([0.1, 2.0])
    assert_same(ember.mvlgamma(e, 3), torch.mvlgamma(t, 3), rtol=1e-6)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv", "polygamma1", "mvlgamma"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16"])
def test_integer_and_half_inputs_promote_as_in_torch(name, dtype):
    values = [0, 1, 1, 0] if dtype == "bool" else [1, 2, 3, 7]
    if name == "erfinv" and dtype != "bool":
        values = [0, 0, 1, 0] if dtype != "float16" else [0.25, -0.5, 0.0, 0.75]
    e, t = both(values, dtype)

    def call(T, x):
        if name == "polygamma1":
            return T.polygamma(1, x)
        if name == "mvlgamma":
            return T.mvlgamma(x + 2 if dtype != "bool" else x.float() + 2, 2)
        return getattr(T, name)(x)
    r_e, r_t = call(ember, e), call(torch, t)
    assert repr(r_e.dtype) == repr(r_t.dtype)
    assert_same(r_e, r_t, rtol=2e-3 if dtype == "float16" else 1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv", "polygamma", "mvlgamma"])
def test_methods_inplace_forms_and_node_names(name):
    x = np.array([0.3, 1.7, 2.5, 4.0]) if name != "erfinv" else np.array([-0.7, 0.1, 0.5, 0.9])
    args = {"polygamma": (2,), "mvlgamma": (2,)}.get(name, ())
    e, t = both(x, "float32", requires_grad=True)
    r_e, r_t = getattr(e, name)(*args), getattr(t, name)(*args)
    assert_same(r_e, r_t, rtol=1e-6, check_grad_fn=True)
    for T, src in ((ember, e), (torch, t)):
        y = src.detach().clone()
        assert getattr(y, name + "_")(*args) is y
    y_e, y_t = e.detach().clone(), t.detach().clone()
    getattr(y_e, name + "_")(*args)
    getattr(y_t, name + "_")(*args)
    assert_same(y_e, y_t, rtol=1e-6)
    # in place on a non-leaf records the op's node
    z_e, z_t = e * 1, t * 1
    getattr(z_e, name + "_")(*args)
    getattr(z_t, name + "_")(*args)
    assert z_e.grad_fn.name() == z_t.grad_fn.name()
    # an integer tensor cannot hold the float result
    same_error(lambda T: getattr(T.tensor([1, 2]), name + "_")(*args))


def test_out_argument_and_grad_refusal():
    for name in ("lgamma", "digamma", "erfinv"):
        e, t = both([0.25, 0.5])
        o_e, o_t = ember.empty(2), torch.empty(2)
        getattr(ember, name)(e, out=o_e)
        getattr(torch, name)(t, out=o_t)
        assert_same(o_e, o_t, rtol=1e-6)
        same_error(lambda T: getattr(T, name)(T.tensor([0.25], requires_grad=True),
                                              out=T.empty(1)))


def test_polygamma_errors():
    same_error(lambda T: T.polygamma(-1, T.tensor([1.0])))
    same_error(lambda T: T.polygamma(1.5, T.tensor([1.0])))


@pytest.mark.parametrize("name,fn", [
    ("lgamma", lambda T, x: T.lgamma(x)),
    ("digamma", lambda T, x: T.digamma(x)),
    ("trigamma", lambda T, x: T.polygamma(1, x)),
    ("polygamma3", lambda T, x: T.polygamma(3, x)),
    ("erfinv", lambda T, x: T.erfinv(x / 3)),
    ("mvlgamma", lambda T, x: T.mvlgamma(x + 1, 3)),
])
def test_first_and_second_derivatives_match_torch(name, fn):
    x = np.array([0.3, 0.9, 1.7, 2.5, -0.4, -1.3])
    results = []
    for T in (ember, torch):
        a = T.tensor(x, requires_grad=True)
        y = fn(T, a)
        g, = T.autograd.grad(y.sum(), a, create_graph=True)
        g2, = T.autograd.grad((g * T.arange(6.0, dtype=T.float64)).sum(), a)
        results.append((y, g, g2))
    for e, t in zip(*results):
        assert_same(e.detach(), t.detach(), rtol=1e-11, atol=1e-12)
    assert results[0][0].grad_fn.name() == results[1][0].grad_fn.name()
    assert results[0][1].grad_fn.name() == results[1][1].grad_fn.name()


def test_float32_gradients_match_torch():
    x = np.array([0.3, 0.9, 1.7, 2.5], dtype=np.float32)
    for fn in (lambda T, a: T.lgamma(a), lambda T, a: T.digamma(a),
               lambda T, a: T.erfinv(a / 3), lambda T, a: T.polygamma(2, a)):
        grads = []
        for T in (ember, torch):
            a = T.tensor(x, requires_grad=True)
            fn(T, a).sum().backward()
            grads.append(a.grad)
        assert_same(grads[0], grads[1], rtol=2e-6)


# -- quantile, nanquantile -----------------------------------------------------------------------

INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]
QUANTILE_CALLS = [
    dict(q=0.3), dict(q=0.3, dim=1), dict(q=0.5, dim=0, keepdim=True), dict(q=0.0, dim=-1),
    dict(q=1.0), dict(q=[0.1, 0.5, 0.9]), dict(q=[0.25, 0.75], dim=0),
    dict(q=[0.3, 0.6], dim=1, keepdim=True), dict(q=[0.2], keepdim=True), dict(q=[]),
    dict(q="0-d", dim=1),
]


def _q(T, q, dtype):
    if q == "0-d":
        return T.tensor(0.4, dtype=dtype)
    return T.tensor(q, dtype=dtype) if isinstance(q, list) else q


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("call", range(len(QUANTILE_CALLS)))
def test_quantile_values_grads_and_graph(fn, interpolation, call):
    kw = dict(QUANTILE_CALLS[call])
    q = kw.pop("q")
    rng = rng_for(fn, interpolation, call)
    x = rng.standard_normal((3, 5))
    outs = []
    for T in (ember, torch):
        a = T.tensor(x, requires_grad=True)
        y = getattr(T, fn)(a, _q(T, q, T.float64), interpolation=interpolation, **kw)
        weights = T.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        g, = T.autograd.grad((y * weights).sum(), a, allow_unused=True)
        outs.append((y, g, graph(y.grad_fn)))
    (y_e, g_e, n_e), (y_t, g_t, n_t) = outs
    assert_same(y_e.detach(), y_t.detach())
    assert_same(g_e, g_t)
    assert n_e == n_t


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_quantile_with_nan_and_float32(fn, dtype):
    x = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan] * 4, [2.0, 4.0, -1.0, 0.0]])
    for kw in (dict(dim=1), dict(dim=0), {}):
        for interpolation in INTERPOLATIONS:
            e, t = both(x, dtype)
            q_e, q_t = ember.tensor([0.0, 0.3, 0.5, 1.0], dtype=e.dtype), \
                torch.tensor([0.0, 0.3, 0.5, 1.0], dtype=t.dtype)
            assert_same(getattr(ember, fn)(e, q_e, interpolation=interpolation, **kw),
                        getattr(torch, fn)(t, q_t, interpolation=interpolation, **kw))
            assert_same(getattr(e, fn)(0.3, interpolation=interpolation, **kw),
                        getattr(t, fn)(0.3, interpolation=interpolation, **kw))


def test_quantile_gradient_flows_to_q_as_in_torch():
    outs = []
    for T in (ember, torch):
        x = T.tensor([[1.0, 4.0, 2.0, 8.0], [3.0, 0.0, 5.0, 1.0]], dtype=T.float64,
                     requires_grad=True)
        q = T.tensor([0.3, 0.6], dtype=T.float64, requires_grad=True)
        y = T.quantile(x, q, dim=1)
        z = T.nanquantile(x, q, dim=0, keepdim=True)
        outs.append(T.autograd.grad(y.sum() + (z * z).sum(), (x, q)) +
                    (graph(y.grad_fn), graph(z.grad_fn)))
    for e, t in zip(*outs):
        if isinstance(t, list):
            assert e == t
        else:
            assert_same(e, t)


def test_quantile_of_a_0d_tensor_and_ties():
    for kw in ({}, dict(dim=0), dict(dim=0, keepdim=True)):
        e, t = both(3.0)
        assert_same(ember.quantile(e, 0.5, **kw), torch.quantile(t, 0.5, **kw))
    e, t = both([2.0, 1.0, 2.0, 2.0, 1.0], requires_grad=True)
    y_e, y_t = e.quantile(0.6), t.quantile(0.6)
    y_e.backward()
    y_t.backward()
    assert_same(y_e.detach(), y_t.detach())
    assert_same(e.grad, t.grad)


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("call", [
    lambda T, f: f(T.tensor([1, 2]), 0.5),
    lambda T, f: f(T.tensor([1.0, 2.0]), T.tensor([0.5], dtype=T.float64)),
    lambda T, f: f(T.tensor([1.0, 2.0]), T.tensor([[0.5]])),
    lambda T, f: f(T.tensor([1.0, 2.0]), 1.5),
    lambda T, f: f(T.tensor([1.0, 2.0]), -0.1),
    lambda T, f: f(T.tensor([1.0, 2.0]), float("nan")),
    lambda T, f: f(T.tensor([1.0, 2.0]), T.tensor([0.5, 1.5])),
    lambda T, f: f(T.tensor([1.0, 2.0]), 0.5, interpolation="cubic"),
    lambda T, f: f(T.ones(2, 2), 0.5, dim=2),
    lambda T, f: f(T.empty(0), 0.5),
    lambda T, f: f(T.empty(3, 0), 0.5, dim=0),
    lambda T, f: f(T.tensor([1, 2]), 2.0),
    lambda T, f: f(T.tensor([1, 2]), 0.5, interpolation="cubic"),
    lambda T, f: f(T.ones(2, 2), T.tensor([2.0]), dim=5),
    lambda T, f: f(T.empty(0, dtype=T.long), T.tensor([[2.0]])),
    lambda T, f: f(T.tensor([1.0, 2.0]).half(), 0.5),
])
def test_quantile_errors(fn, call):
    same_error(lambda T: call(T, getattr(T, fn)))


def test_quantile_q_as_a_list_is_a_type_error():
    for T in (ember, torch):
        with pytest.raises(TypeError):
            T.quantile(T.tensor([1.0, 2.0]), [0.5])


# -- histc ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_histc_matches_torch(dtype):
    rng = rng_for("histc", dtype)
    x = rng.standard_normal(20000)
    if dtype == "float16":
        x = x[:500]
    e, t = both(x, dtype)
    for kw in ({}, dict(bins=7), dict(bins=10, min=-1, max=1), dict(bins=3, min=0.5, max=0.5),
               dict(bins=137), dict(bins=1)):
        assert_same(ember.histc(e, **kw), torch.histc(t, **kw))
    grid_e, grid_t = both(np.round(rng.uniform(0, 1, 5000), 1), dtype)   # values on the edges
    assert_same(ember.histc(grid_e, bins=10, min=0, max=1), torch.histc(grid_t, 10, 0, 1))
    assert_same(e.reshape(4, -1).histc(5, -2, 2), t.reshape(4, -1).histc(5, -2, 2))


def test_histc_special_inputs():
    for x in ([2.0, 2.0, 2.0], [], [1.0, np.nan, 3.0], 3.0):
        for kw in ({}, dict(bins=4, min=0, max=2)):
            e, t = both(x, "float32")
            try:
                expected = torch.histc(t, **kw)
            except RuntimeError:
                same_error(lambda T: T.histc(T.tensor(x, dtype=T.float32), **kw))
                continue
            assert_same(ember.histc(e, **kw), expected)


@pytest.mark.parametrize("call", [
    lambda T: T.histc(T.tensor([1.0, 2.0]), bins=0),
    lambda T: T.histc(T.tensor([1.0, 2.0]), bins=-3),
    lambda T: T.histc(T.tensor([1.0, 2.0]), bins=3, min=3, max=1),
    lambda T: T.histc(T.tensor([1.0, float("inf")]), bins=3),
    lambda T: T.histc(T.tensor([1.0, 2.0]), bins=3, min=0, max=float("inf")),
    lambda T: T.histc(T.tensor([1.0, float("nan")]), bins=3),
    lambda T: T.histc(T.tensor([1, 2]), bins=3),
    lambda T: T.histc(T.tensor([True]), bins=3),
])
def test_histc_errors(call):
    same_error(call)


def test_histc_result_does_not_require_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = ember.histc(x, bins=3)
    assert not h.requires_grad and h.grad_fn is None


# -- cov, corrcoef --------------------------------------------------------------------------------

COV_CALLS = [
    dict(), dict(correction=0), dict(correction=2), dict(fweights=[1, 2, 1, 3, 1]),
    dict(aweights=[0.5, 1.0, 2.0, 1.0, 0.25]),
    dict(fweights=[1, 2, 1, 3, 1], aweights=[0.5, 1.0, 2.0, 1.0, 0.25]),
    dict(fweights=[1, 2, 1, 3, 1], aweights=[0.5, 1.0, 2.0, 1.0, 0.25], correction=0),
]


@pytest.mark.parametrize("shape", [(3, 5), (5,), (1, 5)])
@pytest.mark.parametrize("call", range(len(COV_CALLS)))
def test_cov_values_grads_and_graph(shape, call):
    x = rng_for("cov", shape, call).standard_normal(shape)
    outs = []
    for T in (ember, torch):
        kw = dict(COV_CALLS[call])
        if "fweights" in kw:
            kw["fweights"] = T.tensor(kw["fweights"])
        if "aweights" in kw:
            kw["aweights"] = T.tensor(kw["aweights"], dtype=T.float64)
        a = T.tensor(x, requires_grad=True)
        y = T.cov(a, **kw)
        g, = T.autograd.grad((y * y).sum(), a)
        outs.append((y, g, graph(y.grad_fn)))
    (y_e, g_e, n_e), (y_t, g_t, n_t) = outs
    assert_same(y_e.detach(), y_t.detach(), rtol=1e-13, atol=1e-15)
    assert_same(g_e, g_t, rtol=1e-12, atol=1e-14)
    assert n_e == n_t


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "float16"])
def test_cov_and_corrcoef_dtypes(dtype):
    x = np.array([[1, 2, 4, 7], [3, 1, 0, 2], [5, 5, 6, 1]])
    e, t = both(x, dtype)
    tol = dict(rtol=2e-3) if dtype == "float16" else dict(rtol=1e-6)
    assert_same(ember.cov(e), torch.cov(t), **tol)
    assert_same(e.corrcoef(), t.corrcoef(), **tol)
    w_e, w_t = both([0.5, 1.0, 2.0, 1.0], "float64")
    assert_same(e.cov(aweights=w_e), t.cov(aweights=w_t), **tol)


def test_cov_edge_cases_and_warning():
    for x in ([1.0, 2.0, 4.0], 3.0, np.empty((2, 0)), np.empty((0, 3)), np.empty(0)):
        for kw in ({}, dict(correction=3)):
            e, t = both(x, "float32")
            with warnings.catch_warnings(record=True) as t_warn:
                warnings.simplefilter("always")
                expected = torch.cov(t, **kw)
            with warnings.catch_warnings(record=True) as e_warn:
                warnings.simplefilter("always")
                got = ember.cov(e, **kw)
            assert_same(got, expected)
            assert [str(w.message) for w in e_warn] == [
                str(w.message).split(" (Triggered")[0] for w in t_warn]


@pytest.mark.parametrize("call", [
    lambda T: T.cov(T.ones(2, 2, 2)),
    lambda T: T.cov(T.tensor([True, False])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), fweights=T.tensor([1.0, 2.0, 1.0])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), fweights=T.tensor([1, 2])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), fweights=T.tensor([[1, 2, 1]])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), fweights=T.tensor([1, -2, 1])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), fweights=T.tensor([0, 0, 0])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), aweights=T.tensor([1, 2, 1])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), aweights=T.tensor([1.0, 2.0])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), aweights=T.tensor([1.0, -2.0, 1.0])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), aweights=T.tensor([[1.0, 2.0, 1.0]])),
    lambda T: T.cov(T.tensor([1.0, 2.0, 4.0]), correction=1.5),
    lambda T: T.corrcoef(T.ones(2, 2, 2)),
])
def test_cov_errors(call):
    same_error(call)


def test_corrcoef_values_grads_graph_and_constant_rows():
    x = rng_for("corrcoef").standard_normal((4, 6))
    outs = []
    for T in (ember, torch):
        a = T.tensor(x, requires_grad=True)
        y = T.corrcoef(a)
        g, = T.autograd.grad((y * T.arange(16.0, dtype=T.float64).view(4, 4)).sum(), a)
        outs.append((y, g, graph(y.grad_fn)))
    (y_e, g_e, n_e), (y_t, g_t, n_t) = outs
    assert_same(y_e.detach(), y_t.detach(), rtol=1e-13, atol=1e-15)
    assert_same(g_e, g_t, rtol=1e-11, atol=1e-13)
    assert n_e == n_t
    for x in ([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], [1.0, 2.0, 4.0], [1.0, 1.0, 1.0],
              [[1.0, 2.0, 4.0]]):
        e, t = both(x, "float32")
        assert_same(ember.corrcoef(e), torch.corrcoef(t), rtol=1e-6)


def test_bincount_still_matches():
    e, t = both([0, 3, 1, 3, 3])
    assert_same(ember.bincount(e, minlength=6), torch.bincount(t, minlength=6))


SPECIAL_CALLS = {
    "digamma": lambda S, x: S.digamma(x), "psi": lambda S, x: S.psi(x),
    "erf": lambda S, x: S.erf(x), "erfc": lambda S, x: S.erfc(x),
    "erfinv": lambda S, x: S.erfinv(x * 0.3), "exp2": lambda S, x: S.exp2(x),
    "expit": lambda S, x: S.expit(x), "expm1": lambda S, x: S.expm1(x),
    "gammaln": lambda S, x: S.gammaln(x), "log1p": lambda S, x: S.log1p(x.abs()),
    "logit": lambda S, x: S.logit(x.sigmoid()), "multigammaln": lambda S, x: S.multigammaln(
        x.abs() + 2, 2), "polygamma": lambda S, x: S.polygamma(1, x), "round": lambda S, x:
    S.round(x), "sinc": lambda S, x: S.sinc(x), "xlogy": lambda S, x: S.xlogy(x, x.abs()),
    "logsumexp": lambda S, x: S.logsumexp(x, 1), "softmax": lambda S, x: S.softmax(x, 1),
    "log_softmax": lambda S, x: S.log_softmax(x, 0),
}


@pytest.mark.parametrize("name", sorted(SPECIAL_CALLS))
def test_special_namespace_matches_torch_special(name):
    values = np.random.default_rng(3).uniform(0.1, 2.5, (3, 4))
    results = []
    for T in (torch, ember):
        x = T.tensor(values, requires_grad=True)
        out = SPECIAL_CALLS[name](T.special, x)
        out.sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy(), type(out.grad_fn).__name__))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-10, atol=1e-12)
    assert results[1][2] == results[0][2]


def test_special_names_are_torch_special_names():
    import ember.special
    assert set(ember.special.__all__) <= set(dir(torch.special))


def test_round_overloads_record_pytorchs_nodes():
    # decimals given, even 0, is the other overload: RoundBackward1 (and float tensors only)
    for decimals in (None, 0, 1, -1):
        kwargs = {} if decimals is None else {"decimals": decimals}
        names = []
        for T in (torch, ember):
            x = T.tensor([1.26, 2.5, -0.5], requires_grad=True)
            out = T.round(x, **kwargs)
            names.append((type(out.grad_fn).__name__, out.detach().numpy().tolist()))
        assert names[0] == names[1], decimals
        if decimals is not None:
            same_error(lambda T: T.round(T.tensor([3]), decimals=decimals))

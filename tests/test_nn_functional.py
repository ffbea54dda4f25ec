"""nn.functional's activations, softmax, linear, bilinear, embedding, one_hot and dropout
against PyTorch: values, input gradients (for a random upstream gradient), grad_fn names and
errors; plus gradcheck (and gradgradcheck) of every fused op in float64.

Tolerances: ops made only of IEEE arithmetic (+, -, *, /, comparisons) in PyTorch's order are
compared bit for bit; ops using exp/log/tanh/erf within a few float32 ulps (NumPy's and
PyTorch's vectorised transcendental functions round differently in the last bit); matrix
products within 1e-5 (the two libraries' BLAS add the dot products in different orders).
"""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.nn.functional as EF  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember.autograd import gradcheck, gradgradcheck  # noqa: E402

EXACT = dict(rtol=0, atol=0)
TRANSCENDENTAL = {np.float32: dict(rtol=2e-6, atol=1e-7), np.float64: dict(rtol=1e-12,
                                                                           atol=1e-14)}
GELU_TOL = {np.float32: dict(rtol=2e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
MATMUL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def run_both(fe, ft, arrays, requires_grad=None, seed=0):
    """Apply `fe` to ember copies and `ft` to torch copies of `arrays`, backpropagate the same
    random upstream gradient through both; returns ((out_e, grads_e), (out_t, grads_t))."""
    rg = requires_grad or [True] * len(arrays)
    es = [ember.tensor(a, requires_grad=r) for a, r in zip(arrays, rg)]
    ts = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, rg)]
    oe, ot = fe(*es), ft(*ts)
    assert oe.grad_fn is not None and ot.grad_fn is not None
    assert oe.grad_fn.name() == ot.grad_fn.name(), (oe.grad_fn.name(), ot.grad_fn.name())
    g = np.random.default_rng(seed).standard_normal(tuple(ot.shape)).astype(arrays[0].dtype)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    return ((oe.detach().numpy(), [e.grad.numpy() if r else None for e, r in zip(es, rg)]),
            (ot.detach().numpy(), [t.grad.numpy() if r else None for t, r in zip(ts, rg)]))


def assert_close(a, b, tol):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    if tol == EXACT:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, **tol)


def compare(fe, ft, arrays, tol, requires_grad=None):
    (oe, ge), (ot, gt) = run_both(fe, ft, arrays, requires_grad)
    dtype = arrays[0].dtype.type
    t = tol.get(dtype, tol) if isinstance(tol, dict) and dtype in tol else tol
    assert_close(oe, ot, t)
    for a, b in zip(ge, gt):
        if a is not None:
            assert_close(a, b, t)


def data(shape, dtype=np.float32, seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


# -- activations ----------------------------------------------------------------------------------

ACTIVATIONS = {
    # name: (ember fn, torch fn, tolerance)
    "relu": (EF.relu, TF.relu, EXACT),
    "leaky_relu": (lambda x: EF.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), EXACT),
    "leaky_relu_default": (EF.leaky_relu, TF.leaky_relu, EXACT),
    "elu": (EF.elu, TF.elu, TRANSCENDENTAL),
    "elu_alpha": (lambda x: EF.elu(x, 0.7), lambda x: TF.elu(x, 0.7), TRANSCENDENTAL),
    "gelu": (EF.gelu, TF.gelu, GELU_TOL),
    "gelu_tanh": (lambda x: EF.gelu(x, approximate="tanh"),
                  lambda x: TF.gelu(x, approximate="tanh"), GELU_TOL),
    "silu": (EF.silu, TF.silu, TRANSCENDENTAL),
    "softplus": (EF.softplus, TF.softplus, TRANSCENDENTAL),
    "softplus_beta": (lambda x: EF.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0),
                      TRANSCENDENTAL),
    "hardtanh": (EF.hardtanh, TF.hardtanh, EXACT),
    "hardtanh_range": (lambda x: EF.hardtanh(x, -2.5, 0.5), lambda x: TF.hardtanh(x, -2.5, 0.5),
                       EXACT),
    "relu6": (EF.relu6, TF.relu6, EXACT),
    "threshold": (lambda x: EF.threshold(x, 0.3, -7.0), lambda x: TF.threshold(x, 0.3, -7.0),
                  EXACT),
    "logsigmoid": (EF.logsigmoid, TF.logsigmoid, TRANSCENDENTAL),
    "sigmoid": (EF.sigmoid, TF.sigmoid, TRANSCENDENTAL),
    "tanh": (EF.tanh, TF.tanh, TRANSCENDENTAL),
    "softmax_last": (lambda x: EF.softmax(x, -1), lambda x: TF.softmax(x, -1), TRANSCENDENTAL),
    "softmax_0": (lambda x: EF.softmax(x, 0), lambda x: TF.softmax(x, 0), TRANSCENDENTAL),
    "softmin_1": (lambda x: EF.softmin(x, 1), lambda x: TF.softmin(x, 1), TRANSCENDENTAL),
    "log_softmax_last": (lambda x: EF.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1),
                         TRANSCENDENTAL),
    "log_softmax_0": (lambda x: EF.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0),
                      TRANSCENDENTAL),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_torch(name, dtype):
    fe, ft, tol = ACTIVATIONS[name]
    x = data((5, 7, 3), dtype)
    x.reshape(-1)[:4] = [0.0, -0.0, 25.0, -25.0]          # zero, and beyond softplus' threshold
    compare(fe, ft, [x], tol.get(dtype, tol) if tol is not EXACT else EXACT)


def test_activation_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-30, 88.0, -104.0], np.float32)
    for name in ("relu", "leaky_relu", "elu", "silu", "softplus", "hardtanh", "relu6",
                 "threshold", "logsigmoid", "gelu", "gelu_tanh"):
        fe, ft, _ = ACTIVATIONS[name]
        e = fe(ember.tensor(x)).numpy()
        t = ft(torch.tensor(x)).numpy()
        np.testing.assert_allclose(e, t, rtol=2e-6, atol=1e-6, err_msg=name)


def test_activation_rejects_integers_like_torch():
    i = ember.tensor([1, -2, 3])
    ti = torch.tensor([1, -2, 3])
    for name in ("elu", "leaky_relu", "gelu", "silu", "softplus", "logsigmoid", "log_softmax_0"):
        fe, ft, _ = ACTIVATIONS[name]
        with pytest.raises(NotImplementedError) as te:
            ft(ti)
        with pytest.raises(NotImplementedError) as ee:
            fe(i)
        assert str(ee.value) == str(te.value)
    # clamp-like ones work on integers
    for name in ("hardtanh", "relu6", "relu"):
        fe, ft, _ = ACTIVATIONS[name]
        assert fe(i).tolist() == ft(ti).tolist() and fe(i).dtype == ember.int64
    assert EF.threshold(i, 0, 5).tolist() == TF.threshold(ti, 0, 5).tolist()


def test_float16_activations_compute_in_float32():
    x = data((4, 5), np.float16, scale=2.0)
    for name in ("gelu", "silu", "softplus", "elu", "leaky_relu", "softmax_last",
                 "log_softmax_last"):
        fe, ft, _ = ACTIVATIONS[name]
        e, t = fe(ember.tensor(x)), ft(torch.tensor(x))
        assert e.dtype == ember.float16
        np.testing.assert_allclose(e.numpy().astype(np.float32), t.numpy().astype(np.float32),
                                   rtol=2e-3, atol=2e-3, err_msg=name)


@pytest.mark.parametrize("name, kwargs", [("relu", {}), ("leaky_relu", {"negative_slope": 0.3}),
                                          ("elu", {"alpha": 0.5}), ("hardtanh", {}),
                                          ("relu6", {}), ("silu", {}),
                                          ("threshold", {"threshold": 0.1, "value": 2.0})])
def test_inplace_activations(name, kwargs):
    x = data((3, 4))

    def run(lib, F):
        leaf = lib.tensor(x, requires_grad=True)
        y = leaf * 1.5
        out = getattr(F, name)(y, inplace=True, **kwargs)
        assert out is y
        out.backward(lib.ones_like(out))
        return out.detach().numpy(), leaf.grad.numpy(), out.grad_fn is not None
    e, t = run(ember, EF), run(torch, TF)
    np.testing.assert_allclose(e[0], t[0], rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(e[1], t[1], rtol=2e-6, atol=1e-7)
    assert e[2] and t[2]
    # on a leaf that requires grad: PyTorch's refusal
    with pytest.raises(RuntimeError) as te:
        getattr(TF, name)(torch.tensor(x, requires_grad=True), inplace=True, **kwargs)
    with pytest.raises(RuntimeError) as ee:
        getattr(EF, name)(ember.tensor(x, requires_grad=True), inplace=True, **kwargs)
    assert str(ee.value) == str(te.value)


def test_activation_argument_errors():
    x, tx = ember.zeros(2), torch.zeros(2)
    for call in (lambda F, t: F.gelu(t, approximate="foo"),
                 lambda F, t: F.hardtanh(t, 2.0, 1.0)):
        with pytest.raises(Exception) as te:
            call(TF, tx)
        with pytest.raises(Exception) as ee:
            call(EF, x)
        assert type(ee.value) is type(te.value) and str(ee.value) == str(te.value)


# -- softmax details ------------------------------------------------------------------------------


def test_softmax_implicit_dim_warns_and_picks_torchs_dim():
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = data(shape)
        with warnings.catch_warnings(record=True) as we:
            warnings.simplefilter("always")
            e = EF.softmax(ember.tensor(x))
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            t = TF.softmax(torch.tensor(x))
        assert [str(w.message) for w in we] == [str(w.message) for w in wt]
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=2e-6, atol=1e-7)


def test_softmax_dtype_argument_zero_dim_and_extremes():
    x = data((3, 4))
    e = EF.softmax(ember.tensor(x), 1, dtype=ember.float64)
    t = TF.softmax(torch.tensor(x), 1, dtype=torch.float64)
    assert e.dtype == ember.float64
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-13)
    s = ember.tensor(2.0, requires_grad=True)
    out = EF.softmax(s, 0)
    assert out.item() == 1.0 and out.shape == ()
    out.backward()
    assert s.grad.item() == 0.0
    big = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0]], np.float32)
    for fe, ft in [(EF.softmax, TF.softmax), (EF.log_softmax, TF.log_softmax)]:
        np.testing.assert_allclose(fe(ember.tensor(big), 1).numpy(),
                                   ft(torch.tensor(big), 1).numpy(), rtol=2e-6)
    with pytest.raises(IndexError) as ee:
        EF.softmax(ember.zeros(2, 3), 2)
    with pytest.raises(IndexError) as te:
        TF.softmax(torch.zeros(2, 3), 2)
    assert str(ee.value) == str(te.value)


# -- linear, bilinear -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("input_shape, bias", [((6, 5), True), ((6, 5), False),
                                               ((2, 3, 5), True), ((2, 3, 5), False),
                                               ((5,), True), ((5,), False),
                                               ((2, 1, 3, 5), True)])
def test_linear_matches_torch(input_shape, bias, dtype):
    arrays = [data(input_shape, dtype, 1), data((4, 5), dtype, 2)]
    if bias:
        arrays.append(data((4,), dtype, 3))
    compare(EF.linear, TF.linear, arrays, MATMUL[dtype])


def test_linear_records_addmm_like_torch():
    x = ember.ones(2, 3, requires_grad=True)
    w = ember.ones(4, 3, requires_grad=True)
    b = ember.ones(4, requires_grad=True)
    y = EF.linear(x, w, b)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert [n[0].name() if n[0] else None for n in y.grad_fn.next_functions] == \
        ["torch::autograd::AccumulateGrad", "torch::autograd::AccumulateGrad", "TBackward0"]
    assert EF.linear(x, w).grad_fn.name() == "MmBackward0"
    assert EF.linear(x.detach(), w.detach(), b.detach()).grad_fn is None


def test_linear_errors_match_torch():
    cases = [((3, 5), (2, 4), (2,)), ((2, 3, 5), (2, 4), (2,)), ((5,), (2, 4), (2,)),
             ((3, 5), (2, 4), None)]
    for xs, ws, bs in cases:
        def call(lib, F):
            return F.linear(lib.zeros(*xs), lib.zeros(*ws),
                            None if bs is None else lib.zeros(*bs))
        with pytest.raises(RuntimeError) as te:
            call(torch, TF)
        with pytest.raises(RuntimeError) as ee:
            call(ember, EF)
        assert str(ee.value) == str(te.value)
    with pytest.raises(RuntimeError) as te:
        TF.linear(torch.zeros(2, 3), torch.zeros(4, 3, dtype=torch.float64), torch.zeros(4))
    with pytest.raises(RuntimeError) as ee:
        EF.linear(ember.zeros(2, 3), ember.zeros(4, 3, dtype=ember.float64), ember.zeros(4))
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias, dtype):
    arrays = [data((2, 3, 4), dtype, 1), data((2, 3, 5), dtype, 2), data((6, 4, 5), dtype, 3)]
    if bias:
        arrays.append(data((6,), dtype, 4))
    (oe, ge), (ot, gt) = run_both(lambda *a: EF.bilinear(*a) * 1, lambda *a: TF.bilinear(*a) * 1,
                                  arrays)
    tol = {np.float32: dict(rtol=1e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}
    assert_close(oe, ot, tol[dtype])
    for a, b in zip(ge, gt):
        assert_close(a, b, tol[dtype])


def test_bilinear_errors_match_torch():
    cases = [((2, 4), (3, 5), (6, 4, 5), None), ((2, 3), (2, 5), (6, 4, 5), None),
             ((2, 4), (2, 3), (6, 4, 5), None), ((2, 4), (2, 5), (6, 4, 5), (5,)),
             ((2, 4), (2, 2, 5), (6, 4, 5), None)]
    for a, b, w, bias in cases:
        def call(lib, F):
            return F.bilinear(lib.zeros(*a), lib.zeros(*b), lib.zeros(*w),
                              None if bias is None else lib.zeros(*bias))
        with pytest.raises(RuntimeError) as te:
            call(torch, TF)
        with pytest.raises(RuntimeError) as ee:
            call(ember, EF)
        assert str(ee.value) == str(te.value)


# -- embedding, one_hot ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_matches_torch(kwargs):
    weight = data((10, 4), np.float32, 5)
    idx = np.random.default_rng(6).integers(0, 10, (3, 7))
    idx[0, :3] = [2, 2, 9]
    compare(lambda w: EF.embedding(ember.tensor(idx), w, **kwargs),
            lambda w: TF.embedding(torch.tensor(idx), w, **kwargs), [weight],
            dict(rtol=1e-7, atol=1e-7) if kwargs.get("scale_grad_by_freq") else EXACT)


def test_embedding_int32_indices_and_max_norm():
    weight = data((6, 3), np.float32, 7)
    idx = np.array([[0, 5, 5], [2, 1, 0]])
    we, wt = ember.tensor(weight), torch.tensor(weight)
    e = EF.embedding(ember.tensor(idx.astype(np.int32)), we, max_norm=1.5)
    t = TF.embedding(torch.tensor(idx.astype(np.int32)), wt, max_norm=1.5)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(we.numpy(), wt.numpy(), rtol=1e-6)    # rows renormed in place


def test_embedding_errors_match_torch():
    for idx_e, idx_t, w in [(ember.tensor([0.0]), torch.tensor([0.0]), (3, 2)),
                            (ember.tensor([5]), torch.tensor([5]), (3, 2)),
                            (ember.tensor([-1]), torch.tensor([-1]), (3, 2))]:
        with pytest.raises(Exception) as te:
            TF.embedding(idx_t, torch.zeros(*w))
        with pytest.raises(Exception) as ee:
            EF.embedding(idx_e, ember.zeros(*w))
        assert type(ee.value) is type(te.value) and str(ee.value) == str(te.value)
    for p in (3, -4):
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            EF.embedding(ember.tensor([0]), ember.zeros(3, 2), padding_idx=p)


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    assert EF.one_hot(ember.tensor(idx)).tolist() == TF.one_hot(torch.tensor(idx)).tolist()
    e = EF.one_hot(ember.tensor(idx), 6)
    assert e.tolist() == TF.one_hot(torch.tensor(idx), 6).tolist() and e.dtype == ember.int64
    for args_e, args_t in [((ember.tensor([1, 5]), 3), (torch.tensor([1, 5]), 3)),
                           ((ember.tensor([-1]), 3), (torch.tensor([-1]), 3)),
                           ((ember.tensor([1.0]), 3), (torch.tensor([1.0]), 3)),
                           ((ember.tensor([], dtype=ember.int64),),
                            (torch.tensor([], dtype=torch.int64),))]:
        with pytest.raises(RuntimeError) as te:
            TF.one_hot(*args_t)
        with pytest.raises(RuntimeError) as ee:
            EF.one_hot(*args_e)
        assert str(ee.value) == str(te.value)


# -- dropout --------------------------------------------------------------------------------------

HAS_RNG = hasattr(ember.Tensor, "bernoulli_") and hasattr(ember, "manual_seed")


def test_dropout_identity_cases():
    x = ember.tensor(data((4, 5)), requires_grad=True)
    assert EF.dropout(x, 0.5, training=False) is x
    assert EF.dropout(x, 0.0) is x
    y = EF.dropout(x, 1.0)
    assert y.grad_fn.name() == "MulBackward0" and not y.detach().numpy().any()
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError) as te:
            TF.dropout(torch.zeros(2), p)
        with pytest.raises(ValueError) as ee:
            EF.dropout(ember.zeros(2), p)
        assert str(ee.value) == str(te.value)


def test_dropout_zeroes_and_rescales():
    x = ember.ones(200, 100, requires_grad=True)
    y = EF.dropout(x, 0.3)
    values = y.detach().numpy()
    kept = values != 0
    assert y.grad_fn.name() == "MulBackward0"
    np.testing.assert_allclose(values[kept], np.float32(1) / np.float32(0.7), rtol=1e-6)
    assert 0.27 < 1 - kept.mean() < 0.33
    y.sum().backward()
    assert ((x.grad.numpy() != 0) == kept).all()
    z = ember.ones(3, 4) * 1
    assert EF.dropout(z, 0.5, inplace=True) is z


def test_feature_dropout_zeroes_whole_channels():
    x = ember.ones(8, 16, 5, 5)
    y = EF.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert ((per_channel == 0).all(-1) | (per_channel != 0).all(-1)).all()
    y1 = EF.dropout1d(ember.ones(16, 30), 0.5).numpy()
    assert ((y1 == 0).all(-1) | (y1 != 0).all(-1)).all()
    with pytest.raises(RuntimeError) as te:
        TF.dropout1d(torch.zeros(2, 3, 4, 5))
    with pytest.raises(RuntimeError) as ee:
        EF.dropout1d(ember.zeros(2, 3, 4, 5))
    assert str(ee.value) == str(te.value)
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        EF.dropout2d(ember.ones(2, 3, 4), training=False)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        TF.dropout2d(torch.ones(2, 3, 4), training=False)
    assert [str(w.message) for w in we] == [str(w.message) for w in wt]


@pytest.mark.skipif(not HAS_RNG, reason="ember's random generator (bernoulli_) is not there yet")
@pytest.mark.parametrize("fn, shape", [("dropout", (7, 9)), ("dropout2d", (3, 4, 2, 2)),
                                       ("dropout1d", (3, 4, 5))])
def test_dropout_masks_equal_torch_after_manual_seed(fn, shape):
    x = data(shape)
    ember.manual_seed(123)
    torch.manual_seed(123)
    e = getattr(EF, fn)(ember.tensor(x), 0.4)
    t = getattr(TF, fn)(torch.tensor(x), 0.4)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# -- gradcheck of the fused ops (float64) ---------------------------------------------------------


def leaf(shape, seed=0, low=-2.0, high=2.0):
    a = np.random.default_rng(seed).uniform(low, high, size=shape)
    a = np.where(np.abs(a) < 0.1, 0.3, a)          # away from the kinks at 0
    return ember.tensor(a, dtype=ember.float64, requires_grad=True)


GRADCHECK = {
    "leaky_relu": (lambda x: EF.leaky_relu(x, 0.2), lambda: [leaf((3, 4))]),
    "elu": (lambda x: EF.elu(x, 0.7), lambda: [leaf((3, 4))]),
    "gelu": (EF.gelu, lambda: [leaf((3, 4))]),
    "gelu_tanh": (lambda x: EF.gelu(x, approximate="tanh"), lambda: [leaf((3, 4))]),
    "silu": (EF.silu, lambda: [leaf((3, 4))]),
    "softplus": (lambda x: EF.softplus(x, 1.5, 2.0), lambda: [leaf((3, 4))]),
    "hardtanh": (lambda x: EF.hardtanh(x, -1.5, 1.5), lambda: [leaf((3, 4))]),
    "threshold": (lambda x: EF.threshold(x, 0.5, 3.0), lambda: [leaf((3, 4), 1)]),
    "logsigmoid": (EF.logsigmoid, lambda: [leaf((3, 4))]),
    "softmax": (lambda x: EF.softmax(x, 1), lambda: [leaf((3, 4))]),
    "softmax_dim0": (lambda x: EF.softmax(x, 0), lambda: [leaf((3, 4, 2))]),
    "log_softmax": (lambda x: EF.log_softmax(x, -1), lambda: [leaf((3, 4))]),
    "linear": (EF.linear, lambda: [leaf((3, 4), 1), leaf((2, 4), 2), leaf((2,), 3)]),
    "linear_3d": (EF.linear, lambda: [leaf((2, 3, 4), 1), leaf((2, 4), 2), leaf((2,), 3)]),
    "bilinear": (EF.bilinear, lambda: [leaf((2, 3), 1), leaf((2, 2), 2), leaf((2, 3, 2), 3),
                                       leaf((2,), 4)]),
    # (the padding row gets no gradient on purpose, so it is not looked up here)
    "embedding": (lambda w: EF.embedding(ember.tensor([[0, 2, 2], [1, 0, 3]]), w,
                                         padding_idx=4), lambda: [leaf((5, 3))]),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    fn, inputs = GRADCHECK[name]
    assert gradcheck(fn, tuple(inputs()))


@pytest.mark.parametrize("name", ["elu", "gelu", "gelu_tanh", "silu", "softplus", "logsigmoid",
                                  "softmax", "log_softmax", "linear"])
def test_gradgradcheck(name):
    fn, inputs = GRADCHECK[name]
    assert gradgradcheck(fn, tuple(inputs()))


@pytest.mark.parametrize("call", [
    lambda T, x: T.softmax(x, 1),
    lambda T, x: T.softmax(x, dim=0, dtype=T.float64),
    lambda T, x: x.softmax(-1),
    lambda T, x: x.log_softmax(dim=1, dtype=T.float64),
    lambda T, x: T.log_softmax(x, 0),
    lambda T, x: T.dropout(x, 0.5, False),
])
def test_softmax_and_dropout_in_the_torch_and_tensor_namespaces(call):
    values = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    results = []
    for T in (torch, ember):
        x = T.tensor(values, requires_grad=True)
        out = call(T, x)
        results.append((out.detach().numpy(), str(out.dtype), type(out.grad_fn).__name__))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6, atol=1e-7)
    assert results[1][1:] == results[0][1:]
    for T in (torch, ember):
        with pytest.raises(TypeError):
            T.softmax(T.ones(2))

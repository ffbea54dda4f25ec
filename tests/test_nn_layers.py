"""The layers (Linear, Bilinear, Embedding, Dropout, Flatten, activations as modules), their
reprs and default initialisation, `nn.init`, and `nn.utils` against PyTorch; and a few steps
of training a small model, ember and torch side by side.

Layer comparisons copy torch's weights into ember, so they do not depend on the random
generator; the tests of initial values seed both generators and need ember's generator
(they are skipped without it).
"""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
import torch.nn as tnn  # noqa: E402

HAS_RNG = all(hasattr(ember.Tensor, m) for m in ("uniform_", "normal_", "bernoulli_")) and \
    hasattr(ember, "manual_seed")
needs_rng = pytest.mark.skipif(not HAS_RNG, reason="ember's random generator is not there yet")
MATMUL = dict(rtol=1e-5, atol=1e-5)


def copy_weights(e_model, t_model):
    with ember.no_grad():
        for (name, pe), (_, pt) in zip(e_model.named_parameters(), t_model.named_parameters()):
            pe.copy_(ember.tensor(pt.detach().numpy()))


def data(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def run_layer(e_layer, t_layer, *arrays, tol=MATMUL, integer_inputs=False):
    """Same weights, same inputs: compare outputs, input gradients and parameter gradients."""
    copy_weights(e_layer, t_layer)
    rg = not integer_inputs
    es = [ember.tensor(a, requires_grad=rg) for a in arrays]
    ts = [torch.tensor(a, requires_grad=rg) for a in arrays]
    oe, ot = e_layer(*es), t_layer(*ts)
    assert oe.grad_fn.name() == ot.grad_fn.name()
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), **tol)
    g = data(tuple(ot.shape), 42, ot.detach().numpy().dtype)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    if rg:
        for e, t in zip(es, ts):
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), **tol)
    for (name, pe), (_, pt) in zip(e_layer.named_parameters(), t_layer.named_parameters()):
        if pt.grad is None:
            assert pe.grad is None, name
        else:
            np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), err_msg=name, **tol)


# -- layers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(7, 5), (2, 3, 5), (5,)])
def test_linear(shape, bias):
    run_layer(enn.Linear(5, 4, bias=bias), tnn.Linear(5, 4, bias=bias), data(shape))


def test_linear_float64_and_dtype_argument():
    e = enn.Linear(3, 2, dtype=ember.float64)
    t = tnn.Linear(3, 2, dtype=torch.float64)
    assert e.weight.dtype == ember.float64 and e.bias.dtype == ember.float64
    run_layer(e, t, data((4, 3), dtype=np.float64), tol=dict(rtol=1e-12, atol=1e-12))


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(bias):
    run_layer(enn.Bilinear(3, 4, 2, bias=bias), tnn.Bilinear(3, 4, 2, bias=bias),
              data((5, 3), 1), data((5, 4), 2), tol=dict(rtol=1e-5, atol=2e-5))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"padding_idx": -2},
                                    {"scale_grad_by_freq": True}])
def test_embedding(kwargs):
    idx = np.array([[0, 1, 4, 4], [3, 1, 2, 0]])
    e, t = enn.Embedding(6, 3, **kwargs), tnn.Embedding(6, 3, **kwargs)
    assert e.padding_idx == t.padding_idx
    run_layer(e, t, idx, integer_inputs=True, tol=dict(rtol=1e-7, atol=1e-7))


def test_embedding_padding_row_starts_at_zero_and_from_pretrained():
    e = enn.Embedding(5, 2, padding_idx=3)
    assert e.weight[3].tolist() == [0.0, 0.0]
    table = data((4, 3))
    fe = enn.Embedding.from_pretrained(ember.tensor(table))
    ft = tnn.Embedding.from_pretrained(torch.tensor(table))
    assert repr(fe) == repr(ft) and not fe.weight.requires_grad
    idx = np.array([3, 0])
    np.testing.assert_array_equal(fe(ember.tensor(idx)).numpy(), ft(torch.tensor(idx)).numpy())
    fe2 = enn.Embedding.from_pretrained(ember.tensor(table), freeze=False, padding_idx=0)
    assert fe2.weight.requires_grad and fe2.weight[0].tolist() != [0.0, 0.0, 0.0]
    with pytest.raises(AssertionError, match="2-dimensional"):
        enn.Embedding.from_pretrained(ember.zeros(3))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        enn.Embedding(3, 2, padding_idx=5)


def test_embedding_max_norm_renormalises_rows_in_place():
    e, t = enn.Embedding(6, 3, max_norm=1.0), tnn.Embedding(6, 3, max_norm=1.0)
    copy_weights(e, t)
    idx = np.array([[0, 2], [5, 2]])
    np.testing.assert_allclose(e(ember.tensor(idx)).detach().numpy(),
                               t(torch.tensor(idx)).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)


def test_flatten_unflatten_identity():
    x = data((2, 3, 4, 5))
    for e, t in [(enn.Flatten(), tnn.Flatten()), (enn.Flatten(0, 2), tnn.Flatten(0, 2)),
                 (enn.Flatten(-2), tnn.Flatten(-2))]:
        assert repr(e) == repr(t)
        np.testing.assert_array_equal(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy())
    for e, t in [(enn.Unflatten(1, (3, 1)), tnn.Unflatten(1, (3, 1))),
                 (enn.Unflatten(-1, [5, 1]), tnn.Unflatten(-1, [5, 1])),
                 (enn.Unflatten(2, (2, -1)), tnn.Unflatten(2, (2, -1)))]:
        assert repr(e) == repr(t)
        assert tuple(e(ember.tensor(x)).shape) == tuple(t(torch.tensor(x)).shape)
    for bad in ((2, 2.0), 5):
        with pytest.raises(TypeError) as te:
            tnn.Unflatten(1, bad)
        with pytest.raises(TypeError) as ee:
            enn.Unflatten(1, bad)
        assert str(ee.value) == str(te.value)
    ident = enn.Identity(3, key="ignored")
    x_e = ember.tensor(x)
    assert ident(x_e) is x_e and repr(ident) == repr(tnn.Identity(3, key="ignored"))


@pytest.mark.parametrize("build", [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True), lambda nn: nn.LeakyReLU(),
    lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.ELU(), lambda nn: nn.ELU(0.5, True),
    lambda nn: nn.GELU(), lambda nn: nn.GELU("tanh"), lambda nn: nn.SiLU(),
    lambda nn: nn.SiLU(inplace=True), lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(),
    lambda nn: nn.Softmax(dim=1), lambda nn: nn.Softmax(), lambda nn: nn.LogSoftmax(dim=-1),
    lambda nn: nn.Softmin(dim=0), lambda nn: nn.Softplus(), lambda nn: nn.Softplus(2, 10),
    lambda nn: nn.Hardtanh(), lambda nn: nn.Hardtanh(-2.0, 3.0, True), lambda nn: nn.ReLU6(),
    lambda nn: nn.ReLU6(inplace=True), lambda nn: nn.Threshold(0.1, 20),
    lambda nn: nn.Threshold(0.1, 20.0, inplace=True), lambda nn: nn.LogSigmoid(),
    lambda nn: nn.Dropout(), lambda nn: nn.Dropout(0.3, inplace=True), lambda nn: nn.Dropout2d(),
    lambda nn: nn.Dropout1d(0.1), lambda nn: nn.Flatten(), lambda nn: nn.Identity(),
    lambda nn: nn.Linear(3, 4), lambda nn: nn.Linear(3, 4, bias=False),
    lambda nn: nn.Bilinear(2, 3, 4, bias=False), lambda nn: nn.Embedding(10, 3),
    lambda nn: nn.Embedding(10, 3, padding_idx=2, max_norm=1.0, norm_type=1.0,
                            scale_grad_by_freq=True, sparse=True),
    lambda nn: nn.MSELoss(), lambda nn: nn.L1Loss(reduction="sum"),
    lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1), lambda nn: nn.NLLLoss(),
    lambda nn: nn.BCELoss(), lambda nn: nn.BCEWithLogitsLoss(), lambda nn: nn.HuberLoss(),
    lambda nn: nn.SmoothL1Loss(beta=0.5), lambda nn: nn.KLDivLoss(),
])
def test_module_reprs_match_torch(build):
    e, t = build(enn), build(tnn)
    assert repr(e) == repr(t)


def test_activation_modules_match_functions():
    x = data((4, 6)) * 3
    for build in (lambda nn: nn.ELU(0.5), lambda nn: nn.GELU("tanh"), lambda nn: nn.SiLU(),
                  lambda nn: nn.Softplus(2.0, 5.0), lambda nn: nn.LeakyReLU(0.3),
                  lambda nn: nn.Hardtanh(-0.5, 0.5), lambda nn: nn.ReLU6(),
                  lambda nn: nn.Threshold(0.2, -1.0), lambda nn: nn.LogSoftmax(1),
                  lambda nn: nn.Softmax(0), lambda nn: nn.Softmin(1), lambda nn: nn.Sigmoid(),
                  lambda nn: nn.Tanh(), lambda nn: nn.LogSigmoid(), lambda nn: nn.ReLU()):
        e, t = build(enn), build(tnn)
        np.testing.assert_allclose(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy(),
                                   rtol=2e-6, atol=1e-6, err_msg=repr(t))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        enn.Softmax()(ember.tensor(x))
    assert "Implicit dimension choice for softmax" in str(w[0].message)
    for kwargs in ({"min_value": -2.0}, {"max_value": 2.0}):
        with pytest.warns(FutureWarning):
            enn.Hardtanh(**kwargs)
    with pytest.raises(AssertionError) as te:
        tnn.Hardtanh(1.0, 1.0)
    with pytest.raises(AssertionError) as ee:
        enn.Hardtanh(1.0, 1.0)
    assert str(ee.value) == str(te.value)


def test_dropout_modules_follow_train_and_eval():
    x = ember.ones(50, 40)
    drop = enn.Dropout(0.5)
    y = drop(x)
    assert (y.numpy() == 0).any() and set(np.unique(y.numpy())) <= {0.0, 2.0}
    drop.eval()
    assert drop(x) is x
    seq = enn.Sequential(enn.Linear(40, 40), enn.Dropout(0.9)).eval()
    assert not (seq(x).detach().numpy() == 0).all()
    for cls in ("Dropout", "Dropout2d", "Dropout1d"):
        with pytest.raises(ValueError) as te:
            getattr(tnn, cls)(1.5)
        with pytest.raises(ValueError) as ee:
            getattr(enn, cls)(1.5)
        assert str(ee.value) == str(te.value)


@needs_rng
def test_dropout_modules_draw_torchs_masks():
    x = data((6, 4, 3, 3))
    for cls in ("Dropout", "Dropout2d"):
        ember.manual_seed(7)
        torch.manual_seed(7)
        e, t = getattr(enn, cls)(0.35)(ember.tensor(x)), getattr(tnn, cls)(0.35)(torch.tensor(x))
        np.testing.assert_array_equal(e.numpy(), t.numpy())


# -- default initialisation and nn.init -----------------------------------------------------------


@needs_rng
@pytest.mark.parametrize("build", [
    lambda nn: nn.Linear(7, 5), lambda nn: nn.Linear(3, 2, bias=False),
    lambda nn: nn.Bilinear(3, 4, 2), lambda nn: nn.Embedding(9, 4),
    lambda nn: nn.Embedding(9, 4, padding_idx=2),
    lambda nn: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)),
])
def test_default_initialisation_draws_like_torch(build):
    ember.manual_seed(3)
    torch.manual_seed(3)
    e, t = build(enn), build(tnn)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy(), err_msg=name)


@needs_rng
@pytest.mark.parametrize("call", [
    lambda init, w: init.uniform_(w, -0.3, 0.7),
    lambda init, w: init.normal_(w, 1.0, 0.5),
    lambda init, w: init.xavier_uniform_(w, gain=2.0),
    lambda init, w: init.xavier_normal_(w),
    lambda init, w: init.kaiming_uniform_(w, a=math.sqrt(5)),
    lambda init, w: init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"),
    lambda init, w: init.kaiming_normal_(w, nonlinearity="tanh"),
    lambda init, w: init.trunc_normal_(w, 0.0, 1.0, -2.0, 2.0),
    lambda init, w: init.trunc_normal_(w, 0.5, 1.0, 0.0, 0.3),
])
def test_random_init_functions_draw_like_torch(call):
    ember.manual_seed(11)
    torch.manual_seed(11)
    we, wt = ember.empty(6, 5, 2), torch.empty(6, 5, 2)
    assert call(enn.init, we) is we
    call(tnn.init, wt)
    np.testing.assert_allclose(we.numpy(), wt.numpy(), rtol=1e-6, atol=1e-7)


@needs_rng
def test_orthogonal_init_draws_like_torch():
    # the same normal draws, then LAPACK's QR in both (they agree to rounding)
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        ember.manual_seed(5)
        torch.manual_seed(5)
        we = enn.init.orthogonal_(ember.empty(*shape), gain=1.5)
        wt = tnn.init.orthogonal_(torch.empty(*shape), gain=1.5)
        np.testing.assert_allclose(we.numpy(), wt.numpy(), atol=2e-6)


def test_init_functions_without_randomness():
    for name, args in [("constant_", (0.25,)), ("ones_", ()), ("zeros_", ())]:
        we, wt = ember.empty(3, 4), torch.empty(3, 4)
        getattr(enn.init, name)(we, *args)
        getattr(tnn.init, name)(wt, *args)
        np.testing.assert_array_equal(we.numpy(), wt.numpy())
    we, wt = ember.empty(3, 5), torch.empty(3, 5)
    np.testing.assert_array_equal(enn.init.eye_(we).numpy(), tnn.init.eye_(wt).numpy())
    for shape, groups in [((4, 2, 3), 1), ((4, 2, 3, 3), 2), ((2, 2, 1, 3, 3), 1)]:
        np.testing.assert_array_equal(enn.init.dirac_(ember.empty(*shape), groups).numpy(),
                                      tnn.init.dirac_(torch.empty(*shape), groups).numpy())
    # the weight of a Parameter is filled in place without recording a gradient
    p = enn.Parameter(ember.zeros(2, 2))
    enn.init.ones_(p)
    assert p.is_leaf and p.requires_grad and p.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(ValueError) as te:
        tnn.init.eye_(torch.empty(2))
    with pytest.raises(ValueError) as ee:
        enn.init.eye_(ember.empty(2))
    assert str(ee.value) == str(te.value)


def test_calculate_gain_and_fans():
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                 ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",)]:
        assert enn.init.calculate_gain(*args) == tnn.init.calculate_gain(*args)
    for args in [("softmax",), ("leaky_relu", True)]:
        with pytest.raises(ValueError) as te:
            tnn.init.calculate_gain(*args)
        with pytest.raises(ValueError) as ee:
            enn.init.calculate_gain(*args)
        assert str(ee.value) == str(te.value)
    for shape in [(3, 4), (5, 2, 3), (6, 3, 2, 2)]:
        assert enn.init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError) as te:
        tnn.init._calculate_fan_in_and_fan_out(torch.empty(3))
    with pytest.raises(ValueError) as ee:
        enn.init._calculate_fan_in_and_fan_out(ember.empty(3))
    assert str(ee.value) == str(te.value)
    with pytest.raises(ValueError) as te:
        tnn.init.kaiming_uniform_(torch.empty(2, 2), mode="fan_avg")
    with pytest.raises(ValueError) as ee:
        enn.init.kaiming_uniform_(ember.empty(2, 2), mode="fan_avg")
    assert str(ee.value) == str(te.value)


def test_init_bounds_and_statistics():
    w = enn.init.kaiming_uniform_(ember.empty(200, 50), nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 50)
    assert np.abs(w.numpy()).max() <= bound
    w = enn.init.xavier_normal_(ember.empty(300, 200))
    assert abs(w.numpy().std() - math.sqrt(2.0 / 500)) < 0.003
    w = enn.init.trunc_normal_(ember.empty(1000), 0.0, 1.0, -0.5, 0.5)
    assert np.abs(w.numpy()).max() <= 0.5
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        enn.init.kaiming_normal_(ember.empty(0, 3))
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        enn.init.trunc_normal_(ember.empty(3), mean=10.0)


def test_orthogonal_init_gives_orthonormal_rows_or_columns():
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        w = enn.init.orthogonal_(ember.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        small = min(w.shape)
        gram = w @ w.T if w.shape[0] == small else w.T @ w
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_deprecated_init_names_warn():
    with pytest.warns(FutureWarning, match="`nn.init.uniform` is now deprecated in favor of "
                                           "`nn.init.uniform_`."):
        enn.init.uniform(ember.empty(2))


# -- nn.utils -------------------------------------------------------------------------------------


def _models_with_grads(seed=0):
    def build(nn):
        return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    e, t = build(enn), build(tnn)
    copy_weights(e, t)
    x = data((5, 4), seed) * 4
    (e(ember.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    return e, t


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0),
                                                 (0.5, float("inf")), (2.0, 3.0)])
def test_clip_grad_norm(max_norm, norm_type):
    e, t = _models_with_grads()
    ne = enn.utils.clip_grad_norm_(e.parameters(), max_norm, norm_type)
    nt = tnn.utils.clip_grad_norm_(t.parameters(), max_norm, norm_type)
    assert ne.dtype == ember.float32 and ne.shape == ()
    np.testing.assert_allclose(ne.numpy(), nt.numpy(), rtol=1e-5)
    for pe, pt in zip(e.parameters(), t.parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_edge_cases():
    p = enn.Parameter(ember.tensor([3.0, 4.0]))
    p.grad = ember.tensor([3.0, 4.0])
    assert enn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    assert enn.utils.clip_grad_norm_([enn.Parameter(ember.zeros(2))], 1.0).item() == 0.0
    q = enn.Parameter(ember.zeros(2))
    q.grad = ember.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        enn.utils.clip_grad_norm_([q], 1.0, error_if_nonfinite=True)
    with pytest.warns(UserWarning, match="empty generator"):
        enn.utils.clip_grad_norm_((x for x in []), 1.0)


def test_clip_grad_value():
    e, t = _models_with_grads(1)
    enn.utils.clip_grad_value_(e.parameters(), 0.5)
    tnn.utils.clip_grad_value_(t.parameters(), 0.5)
    for pe, pt in zip(e.parameters(), t.parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), **MATMUL)
        assert np.abs(pe.grad.numpy()).max() <= 0.5


def test_parameters_to_vector_and_back():
    e, t = _models_with_grads()
    ve, vt = enn.utils.parameters_to_vector(e.parameters()), \
        tnn.utils.parameters_to_vector(t.parameters())
    np.testing.assert_array_equal(ve.detach().numpy(), vt.detach().numpy())
    assert ve.grad_fn.name() == vt.grad_fn.name() == "CatBackward0"
    ve.sum().backward()                             # differentiable
    new = np.arange(ve.numel(), dtype=np.float32)
    enn.utils.vector_to_parameters(ember.tensor(new), e.parameters())
    tnn.utils.vector_to_parameters(torch.tensor(new), t.parameters())
    for pe, pt in zip(e.parameters(), t.parameters()):
        np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy())
        assert isinstance(pe, enn.Parameter)
    with pytest.raises(TypeError) as te:
        tnn.utils.vector_to_parameters([1.0], t.parameters())
    with pytest.raises(TypeError) as ee:
        enn.utils.vector_to_parameters([1.0], e.parameters())
    assert str(ee.value) == str(te.value)


# -- training, ember and torch side by side -------------------------------------------------------


def _train(lib, nn, model, x, y, loss_fn, steps=5, lr=0.1):
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = loss_fn(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        with lib.no_grad():
            for p in model.parameters():
                p -= lr * p.grad                     # plain SGD, by hand
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("case", ["classifier", "regressor", "embedding_bag"])
def test_training_steps_match_torch(case):
    rng = np.random.default_rng(5)
    if case == "classifier":
        def build(nn):
            return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.0), nn.Linear(16, 16),
                                 nn.GELU(), nn.Linear(16, 3))
        x = rng.standard_normal((32, 8)).astype(np.float32)
        y = rng.integers(0, 3, 32)

        def loss_fn(lib, nn):
            return nn.CrossEntropyLoss(label_smoothing=0.05)
    elif case == "regressor":
        def build(nn):
            return nn.Sequential(nn.Linear(5, 10), nn.Tanh(), nn.Linear(10, 10), nn.SiLU(),
                                 nn.Linear(10, 1), nn.Flatten(0))
        x = rng.standard_normal((20, 5)).astype(np.float32)
        y = rng.standard_normal(20).astype(np.float32)

        def loss_fn(lib, nn):
            return nn.MSELoss()
    else:
        def build(nn):
            return nn.Sequential(nn.Embedding(12, 4, padding_idx=0), nn.Flatten(),
                                 nn.Linear(12, 2))
        x = rng.integers(0, 12, (16, 3))
        y = rng.integers(0, 2, 16)

        def loss_fn(lib, nn):
            return nn.CrossEntropyLoss()
    e, t = build(enn), build(tnn)
    copy_weights(e, t)
    le = _train(ember, enn, e, x, y, loss_fn(ember, enn))
    lt = _train(torch, tnn, t, x, y, loss_fn(torch, tnn))
    np.testing.assert_allclose(le, lt, rtol=1e-5)
    assert le[-1] < le[0]
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)

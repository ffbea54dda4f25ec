"""Differential tests (against PyTorch) of the margin, ranking, Poisson and Gaussian losses:
F.* functions, nn.* modules and the torch.* spellings.

Values are compared bit for bit where ember's ops are; a few composites go through ops whose
float32 results can differ from PyTorch's in the last bit (logsigmoid, log, the vector norm
behind pairwise_distance): those are compared with a tight tolerance, noted at the case.
"""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((5, 7)).astype(np.float32)
Y = RNG.standard_normal((5, 7)).astype(np.float32)
Z = RNG.standard_normal((5, 7)).astype(np.float32)
SIGN5 = np.sign(RNG.standard_normal(5)).astype(np.float32)
SIGN57 = np.sign(RNG.standard_normal((5, 7))).astype(np.float32)
BITS57 = (SIGN57 > 0).astype(np.float32)
IDX5 = np.array([0, 3, 6, 2, 2])
W7 = RNG.uniform(0.5, 2.0, 7).astype(np.float32)
MULTI = np.array([[0, 3, -1, 1, 2, 2, 2], [6, -1, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 0],
                  [-1] * 7, [4, 4, -1, 0, 0, 0, 0]])


def _F(T):
    return T.nn.functional


class G:
    """A float input that requires grad (the others are plain tensors)."""

    def __init__(self, value):
        self.value = value


def _run(T, fn, args, gout_seed=0):
    tensors, leaves = [], []
    for a in args:
        if isinstance(a, G):
            t = T.tensor(a.value, requires_grad=True)
            leaves.append(t)
        elif isinstance(a, np.ndarray):
            t = T.tensor(a)
        else:
            t = a
        tensors.append(t)
    out = fn(T, *tensors)
    grads = []
    if leaves:
        g = np.random.default_rng(gout_seed).standard_normal(tuple(out.shape))
        grads = T.autograd.grad(out, leaves, T.tensor(g.astype(np.float32)).to(out.dtype))
    return out, grads


def _compare(fn, args, exact=True, rtol=2e-6, atol=1e-7):
    t_out, t_grads = _run(torch, fn, args)
    e_out, e_grads = _run(ember, fn, args)
    assert str(e_out.dtype) == str(t_out.dtype)
    assert tuple(e_out.shape) == tuple(t_out.shape)
    assert (e_out.grad_fn is None) == (t_out.grad_fn is None)
    if t_out.grad_fn is not None:
        assert e_out.grad_fn.name() == t_out.grad_fn.name()
    pairs = [(e_out, t_out)] + list(zip(e_grads, t_grads))
    for e, t in pairs:
        if exact:
            np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        else:
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol,
                                       atol=atol)


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(reduction):
    _compare(lambda T, a, b, y: _F(T).margin_ranking_loss(a, b, y, margin=0.3,
                                                          reduction=reduction),
             [G(X[:, 0]), G(Y[:, 0]), SIGN5])
    _compare(lambda T, a, b, y: T.margin_ranking_loss(a, b, y, 0.1, {"none": 0, "mean": 1,
                                                                     "sum": 2}[reduction]),
             [G(X), G(Y), SIGN57])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction):
    _compare(lambda T, a, y: _F(T).hinge_embedding_loss(a, y, margin=0.5, reduction=reduction),
             [G(X), SIGN57])
    _compare(lambda T, a, y: T.hinge_embedding_loss(a, y), [G(X), SIGN57])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(reduction):
    # PyTorch's float32 sqrt is not always correctly rounded (ember's, NumPy's, is): the
    # denominator can be 1 ulp apart, so a tolerance
    _compare(lambda T, a, b, y: _F(T).cosine_embedding_loss(a, b, y, margin=0.2,
                                                            reduction=reduction),
             [G(X), G(Y), SIGN5], exact=False)
    _compare(lambda T, a, b, y: _F(T).cosine_embedding_loss(a, b, y, reduction=reduction),
             [G(X[0]), G(Y[0]), np.array(-1.0, dtype=np.float32)], exact=False)
    _compare(lambda T, a, b, y: T.cosine_embedding_loss(a, b, y, -0.5, 2), [G(X), G(Y), SIGN5],
             exact=False)
    _compare(lambda T, a, b, y: _F(T).cosine_embedding_loss(a, b, y, reduction=reduction),
             [G(X.astype(np.float64)), G(Y.astype(np.float64)), SIGN5], exact=False, rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    _compare(lambda T, a, y: _F(T).soft_margin_loss(a, y, reduction=reduction), [G(X), SIGN57])
    # float64 exp/log1p: NumPy's and PyTorch's can differ in the last bit
    _compare(lambda T, a, y: _F(T).soft_margin_loss(a, y, reduction=reduction),
             [G(X.astype(np.float64)), SIGN57[0]], exact=False, rtol=1e-15, atol=0)


def test_soft_margin_loss_double_backward():
    for T in (torch, ember):
        x = T.tensor(X.astype(np.float64), requires_grad=True)
        assert T.autograd.gradgradcheck(lambda a: _F(T).soft_margin_loss(a, T.tensor(SIGN57)),
                                        (x,))
    results = []
    for T in (torch, ember):
        x = T.tensor(X.astype(np.float64), requires_grad=True)
        g, = T.autograd.grad(_F(T).soft_margin_loss(x, T.tensor(SIGN57), reduction="sum"), x,
                             create_graph=True)
        assert g.grad_fn.name() == "SoftMarginLossBackwardBackward0"
        gg, = T.autograd.grad((g * g).sum(), x)
        results.append(gg.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(reduction):
    # logsigmoid's float32 result can differ from PyTorch's in the last bit: a tolerance
    _compare(lambda T, a, y: _F(T).multilabel_soft_margin_loss(a, y, reduction=reduction),
             [G(X), BITS57], exact=False)
    _compare(lambda T, a, y: _F(T).multilabel_soft_margin_loss(a, y, weight=T.tensor(W7),
                                                               reduction=reduction),
             [G(X), BITS57], exact=False)
    _compare(lambda T, a, y: _F(T).multilabel_soft_margin_loss(a, y, reduction=reduction),
             [G(X.astype(np.float64)), BITS57.astype(np.float64)], exact=False, rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(reduction):
    _compare(lambda T, a, y: _F(T).multi_margin_loss(a, y, reduction=reduction), [G(X), IDX5])
    _compare(lambda T, a, y: _F(T).multi_margin_loss(a, y, p=2, margin=0.7, weight=T.tensor(W7),
                                                     reduction=reduction), [G(X), IDX5])
    _compare(lambda T, a, y: _F(T).multi_margin_loss(a, y, reduction=reduction),
             [G(X[1].astype(np.float64)), np.array(4)])
    _compare(lambda T, a, y: _F(T).multi_margin_loss(a, y, reduction=reduction),
             [G(X[1]), np.array([4])])


def test_multi_margin_loss_random_bits():
    """The per-sample float sums and the double accumulation of the reduction, exactly."""
    rng = np.random.default_rng(5)
    for _ in range(30):
        n, c = rng.integers(1, 9), rng.integers(2, 12)
        x = (rng.standard_normal((n, c)) * 2).astype(np.float32)
        y = rng.integers(0, c, n)
        w = rng.uniform(0.1, 3, c).astype(np.float32)
        p = int(rng.integers(1, 3))
        for reduction in REDUCTIONS:
            _compare(lambda T, a, t: _F(T).multi_margin_loss(a, t, p, 0.8, T.tensor(w),
                                                             reduction=reduction), [G(x), y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    _compare(lambda T, a, y: _F(T).multilabel_margin_loss(a, y, reduction=reduction),
             [G(X), MULTI])
    _compare(lambda T, a, y: _F(T).multilabel_margin_loss(a, y, reduction=reduction),
             [G(X[2].astype(np.float64)), MULTI[0]])


def test_multilabel_margin_loss_random_bits():
    rng = np.random.default_rng(6)
    for _ in range(30):
        n, c = rng.integers(1, 9), rng.integers(2, 12)
        x = (rng.standard_normal((n, c)) * 3).astype(np.float32)
        y = rng.integers(-1, c, (n, c))
        for reduction in REDUCTIONS:
            _compare(lambda T, a, t: _F(T).multilabel_margin_loss(a, t, reduction=reduction),
                     [G(x), y])


def test_margin_kernels_have_no_second_derivative():
    """PyTorch defines none: the gradient's node is NotImplemented, and refuses backward."""
    for fn, target in [(lambda T, a, t: _F(T).multi_margin_loss(a, t, p=2), IDX5),
                       (lambda T, a, t: _F(T).multilabel_margin_loss(a, t), MULTI)]:
        messages = []
        for T in (torch, ember):
            x = T.tensor(X.astype(np.float64), requires_grad=True)
            g, = T.autograd.grad(fn(T, x, T.tensor(target)), x, create_graph=True)
            assert g.grad_fn.name() == "torch::autograd::NotImplemented"
            with pytest.raises(RuntimeError) as info:
                g.sum().backward()
            messages.append(str(info.value))
        assert messages[0] == messages[1]


def test_margin_kernels_gradcheck():
    for fn, target in [(lambda a, t: ember.nn.functional.multi_margin_loss(a, t, p=2), IDX5),
                       (lambda a, t: ember.nn.functional.multi_margin_loss(
                           a, t, weight=ember.tensor(W7, dtype=ember.float64),
                           reduction="none"), IDX5),
                       (lambda a, t: ember.nn.functional.multilabel_margin_loss(a, t), MULTI)]:
        x = ember.tensor(X.astype(np.float64), requires_grad=True)
        assert ember.autograd.gradcheck(lambda a: fn(a, ember.tensor(target)), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss(reduction):
    # pairwise_distance's norm: ember's vector norm may differ from PyTorch's float32
    # kernel in the last bit, so a tolerance (float64 agrees to rounding)
    args = [G(X), G(Y), G(Z)]
    _compare(lambda T, a, p, n: _F(T).triplet_margin_loss(a, p, n, reduction=reduction), args,
             exact=False)
    _compare(lambda T, a, p, n: _F(T).triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                          reduction=reduction), args,
             exact=False)
    _compare(lambda T, a, p, n: _F(T).triplet_margin_loss(a, p, n, p=3, eps=0.1, swap=True,
                                                          reduction=reduction),
             [G(X.astype(np.float64)), G(Y.astype(np.float64)), G(Z.astype(np.float64))],
             exact=False, rtol=1e-13)
    _compare(lambda T, a, p, n: T.triplet_margin_loss(a, p, n, 1.0, 2, 1e-6, False, 0), args,
             exact=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_with_distance_loss(reduction):
    args = [G(X), G(Y), G(Z)]
    _compare(lambda T, a, p, n: _F(T).triplet_margin_with_distance_loss(a, p, n,
                                                                        reduction=reduction),
             args, exact=False)

    def l1(a, b):
        return (a - b).abs().sum(-1)
    _compare(lambda T, a, p, n: _F(T).triplet_margin_with_distance_loss(
        a, p, n, distance_function=l1, margin=3.0, swap=True, reduction=reduction), args)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss(reduction):
    rates = np.abs(Y) * 3
    _compare(lambda T, a, t: _F(T).poisson_nll_loss(a, t, reduction=reduction),
             [G(X), rates])
    # log's float32 result can be 1 ulp off PyTorch's: a tolerance where it is used
    _compare(lambda T, a, t: _F(T).poisson_nll_loss(a, t, log_input=False, reduction=reduction),
             [G(np.abs(X)), rates], exact=False, atol=1e-6)
    # full: Stirling's term goes through log, which can be 1 ulp off PyTorch's in float32
    _compare(lambda T, a, t: _F(T).poisson_nll_loss(a, t, log_input=False, full=True,
                                                    reduction=reduction),
             [G(np.abs(X)), rates], exact=False, atol=1e-6)
    _compare(lambda T, a, t: T.poisson_nll_loss(a, t, True, True, 1e-8, 2),
             [G(X.astype(np.float64)), rates.astype(np.float64)], exact=False, rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss(reduction):
    # log(var)'s float32 result can be 1 ulp off PyTorch's: a tolerance
    var = np.abs(Z) + 0.1
    _compare(lambda T, a, t, v: _F(T).gaussian_nll_loss(a, t, v, reduction=reduction),
             [G(X), G(Y), G(var)], exact=False)
    _compare(lambda T, a, t, v: _F(T).gaussian_nll_loss(a, t, v, full=True, eps=0.5,
                                                        reduction=reduction),
             [G(X), G(Y), G(var[:, 0])], exact=False)    # one variance per row
    _compare(lambda T, a, t, v: _F(T).gaussian_nll_loss(a, t, v, reduction=reduction),
             [G(X), G(Y), G(var[:, :1])], exact=False)   # broadcast over one dimension
    _compare(lambda T, a, t: _F(T).gaussian_nll_loss(a, t, 0.7, reduction=reduction),
             [G(X), G(Y)], exact=False)


def _errors(fn):
    out = []
    for T in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fn(T)
            except Exception as error:  # noqa: BLE001 - compared below
                out.append((type(error).__name__, str(error).split("\n")[0]))
            else:
                out.append(None)
    return out


T_ = lambda T, a: T.tensor(a)  # noqa: E731

ERROR_CASES = {
    "mrl_dims": lambda T: _F(T).margin_ranking_loss(T_(T, X), T_(T, X), T_(T, X[0])),
    "mrl_reduction": lambda T: _F(T).margin_ranking_loss(T_(T, X), T_(T, X), T_(T, X),
                                                         reduction="foo"),
    "cos_target_2d": lambda T: _F(T).cosine_embedding_loss(T_(T, X), T_(T, X),
                                                           T_(T, np.ones((5, 1), np.float32))),
    "cos_0d_target": lambda T: _F(T).cosine_embedding_loss(T_(T, X), T_(T, X),
                                                           T_(T, np.float32(1))),
    "cos_1d_target": lambda T: _F(T).cosine_embedding_loss(T_(T, X[0]), T_(T, X[0]),
                                                           T_(T, SIGN5)),
    "soft_broadcast": lambda T: _F(T).soft_margin_loss(T_(T, X), T_(T, X[:, :2])),
    "soft_output_shape": lambda T: _F(T).soft_margin_loss(T_(T, X[0]), T_(T, X),
                                                          reduction="none"),
    "soft_target_grad": lambda T: _F(T).soft_margin_loss(
        T_(T, X), T.tensor(SIGN57, requires_grad=True)),
    "mlsm_reduction": lambda T: _F(T).multilabel_soft_margin_loss(T_(T, X), T_(T, BITS57),
                                                                  reduction="foo"),
    "mm_p": lambda T: _F(T).multi_margin_loss(T_(T, X), T_(T, IDX5), p=3),
    "mm_weight_dim": lambda T: _F(T).multi_margin_loss(T_(T, X), T_(T, IDX5),
                                                       weight=T_(T, X)),
    "mm_weight_size": lambda T: _F(T).multi_margin_loss(T_(T, X), T_(T, IDX5),
                                                        weight=T_(T, W7[:3])),
    "mm_target_range": lambda T: _F(T).multi_margin_loss(T_(T, X), T_(T, IDX5 + 3)),
    "mm_target_size": lambda T: _F(T).multi_margin_loss(T_(T, X), T_(T, IDX5[:2])),
    "mm_3d": lambda T: _F(T).multi_margin_loss(T_(T, np.zeros((2, 3, 4), np.float32)),
                                               T_(T, IDX5[:2])),
    "mm_empty": lambda T: _F(T).multi_margin_loss(T_(T, np.zeros((3, 0), np.float32)),
                                                  T_(T, IDX5[:3])),
    "mm_float_target": lambda T: _F(T).multi_margin_loss(T_(T, X), T_(T, IDX5 * 1.0)),
    "mm_half": lambda T: _F(T).multi_margin_loss(T_(T, X).half(), T_(T, IDX5)),
    "mlm_target_size": lambda T: _F(T).multilabel_margin_loss(T_(T, X), T_(T, MULTI[:2])),
    "mlm_target_range": lambda T: _F(T).multilabel_margin_loss(T_(T, X), T_(T, MULTI + 7)),
    "mlm_target_below": lambda T: _F(T).multilabel_margin_loss(T_(T, X), T_(T, MULTI - 2)),
    "mlm_int_target": lambda T: _F(T).multilabel_margin_loss(T_(T, X),
                                                             T_(T, MULTI.astype(np.int32))),
    "triplet_dims": lambda T: _F(T).triplet_margin_loss(T_(T, X), T_(T, X), T_(T, X[0])),
    "triplet_margin": lambda T: _F(T).triplet_margin_loss(T_(T, X), T_(T, X), T_(T, X),
                                                          margin=0),
    "twd_reduction": lambda T: _F(T).triplet_margin_with_distance_loss(
        T_(T, X), T_(T, X), T_(T, X), reduction="foo"),
    "twd_margin": lambda T: _F(T).triplet_margin_with_distance_loss(
        T_(T, X), T_(T, X), T_(T, X), margin=-1.0),
    "twd_dims": lambda T: _F(T).triplet_margin_with_distance_loss(T_(T, X), T_(T, X),
                                                                  T_(T, X[0])),
    "poisson_reduction": lambda T: _F(T).poisson_nll_loss(T_(T, X), T_(T, X), reduction="foo"),
    "gauss_negative": lambda T: _F(T).gaussian_nll_loss(T_(T, X), T_(T, X), T_(T, -np.abs(X))),
    "gauss_negative_float": lambda T: _F(T).gaussian_nll_loss(T_(T, X), T_(T, X), -1.0),
    "gauss_size": lambda T: _F(T).gaussian_nll_loss(T_(T, X), T_(T, X), T_(T, np.abs(X[:3]))),
    "gauss_reduction": lambda T: _F(T).gaussian_nll_loss(T_(T, X), T_(T, X), 1.0,
                                                         reduction="foo"),
    "module_multi_margin_p": lambda T: T.nn.MultiMarginLoss(p=3),
    "module_multi_margin_weight": lambda T: T.nn.MultiMarginLoss(weight=T_(T, X)),
    "module_triplet_margin": lambda T: T.nn.TripletMarginLoss(margin=0.0),
    "module_twd_margin": lambda T: T.nn.TripletMarginWithDistanceLoss(margin=0.0),
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_errors(name):
    t, e = _errors(ERROR_CASES[name])
    assert t is not None
    assert e == t


def test_legacy_size_average_and_reduce():
    for kwargs, expected in [({"size_average": False}, "sum"), ({"reduce": False}, "none")]:
        for fn, args in [(lambda T, a, y, **k: _F(T).soft_margin_loss(a, y, **k), (X, SIGN57)),
                         (lambda T, a, y, **k: _F(T).hinge_embedding_loss(a, y, **k),
                          (X, SIGN57)),
                         (lambda T, a, y, **k: _F(T).multi_margin_loss(a, y, **k), (X, IDX5)),
                         (lambda T, a, y, **k: _F(T).poisson_nll_loss(a, y, **k),
                          (X, np.abs(Y)))]:
            with pytest.warns(UserWarning, match="size_average and reduce args will be "
                                                 "deprecated"):
                got = fn(ember, *[ember.tensor(a) for a in args], **kwargs)
            ref = fn(ember, *[ember.tensor(a) for a in args], reduction=expected)
            np.testing.assert_array_equal(got.numpy(), ref.numpy())
        with pytest.warns(UserWarning):
            module = ember.nn.MarginRankingLoss(**kwargs)
        assert module.reduction == expected


MODULES = {
    "MarginRankingLoss": (lambda T: T.nn.MarginRankingLoss(margin=0.2, reduction="sum"),
                          [G(X[:, 0]), G(Y[:, 0]), SIGN5], True),
    "HingeEmbeddingLoss": (lambda T: T.nn.HingeEmbeddingLoss(margin=2.0), [G(X), SIGN57], True),
    "CosineEmbeddingLoss": (lambda T: T.nn.CosineEmbeddingLoss(margin=0.1),
                            [G(X), G(Y), SIGN5], False),
    "SoftMarginLoss": (lambda T: T.nn.SoftMarginLoss(reduction="none"), [G(X), SIGN57], True),
    "MultiLabelSoftMarginLoss": (lambda T: T.nn.MultiLabelSoftMarginLoss(weight=T.tensor(W7)),
                                 [G(X), BITS57], False),
    "MultiMarginLoss": (lambda T: T.nn.MultiMarginLoss(p=2, margin=0.5, weight=T.tensor(W7)),
                        [G(X), IDX5], True),
    "MultiLabelMarginLoss": (lambda T: T.nn.MultiLabelMarginLoss(), [G(X), MULTI], True),
    "TripletMarginLoss": (lambda T: T.nn.TripletMarginLoss(margin=0.5, p=1.0, swap=True),
                          [G(X), G(Y), G(Z)], False),
    "TripletMarginWithDistanceLoss": (lambda T: T.nn.TripletMarginWithDistanceLoss(),
                                      [G(X), G(Y), G(Z)], False),
    "PoissonNLLLoss": (lambda T: T.nn.PoissonNLLLoss(log_input=False, eps=1e-4),
                       [G(np.abs(X)), np.abs(Y)], False),
    "GaussianNLLLoss": (lambda T: T.nn.GaussianNLLLoss(full=True),
                        [G(X), G(Y), G(np.abs(Z) + 0.1)], False),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules(name):
    make, args, exact = MODULES[name]
    _compare(lambda T, *a: make(T)(*a), args, exact=exact)
    t, e = make(torch), make(ember)
    assert repr(e) == repr(t)
    assert e.extra_repr() == t.extra_repr()
    assert list(e.state_dict()) == list(t.state_dict())
    assert getattr(type(e), "__constants__", None) == getattr(type(t), "__constants__", None)
    for key in ("reduction", "margin", "p", "eps", "swap", "full", "log_input"):
        if hasattr(t, key):
            assert getattr(e, key) == getattr(t, key)


def test_exports():
    for name in ("MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
                 "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
                 "MultiLabelMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
                 "PoissonNLLLoss", "GaussianNLLLoss"):
        assert name in ember.nn.__all__ and hasattr(ember.nn, name)
    for name in ("margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
                 "triplet_margin_loss", "poisson_nll_loss"):
        assert callable(getattr(ember, name))

"""The losses, as functions and as modules, against PyTorch: values, gradients of the input
(and of the target where PyTorch has one), grad_fn names, every reduction, class weights,
ignore_index, label smoothing, probability targets, spatial inputs, the deprecated
size_average/reduce flags, warnings and error messages; plus gradcheck in float64.

nll_loss and cross_entropy with class indices add the picked log-probabilities in PyTorch's
cascade order, so their values are compared bit for bit.
"""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
import ember.nn.functional as EF  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember.autograd import gradcheck, gradgradcheck  # noqa: E402

TOL = {np.float32: dict(rtol=2e-6, atol=2e-7), np.float64: dict(rtol=1e-12, atol=1e-14)}
REDUCTIONS = ["mean", "sum", "none"]


def rng(seed=0):
    return np.random.default_rng(seed)


def normal(shape, dtype=np.float32, seed=0, scale=2.0):
    return (rng(seed).standard_normal(shape) * scale).astype(dtype)


def probs(shape, dtype=np.float32, seed=1):
    return rng(seed).uniform(0.02, 0.98, shape).astype(dtype)


def compare(fe, ft, inputs, grads_for=None, tol=None, exact_value=False):
    """Run ember's and torch's loss on the same inputs, backpropagate a random upstream
    gradient, compare values and the gradients of the inputs listed in `grads_for`."""
    grads_for = grads_for if grads_for is not None else [True] + [False] * (len(inputs) - 1)
    es, ts = [], []
    for a, g in zip(inputs, grads_for):
        if isinstance(a, np.ndarray):
            es.append(ember.tensor(a, requires_grad=g))
            ts.append(torch.tensor(a, requires_grad=g))
        else:
            es.append(a)
            ts.append(a)
    oe, ot = fe(*es), ft(*ts)
    assert oe.dtype.name == str(ot.dtype).replace("torch.", ""), (oe.dtype, ot.dtype)
    assert tuple(oe.shape) == tuple(ot.shape)
    dtype = next(a for a in inputs if isinstance(a, np.ndarray) and a.dtype.kind == "f").dtype
    tol = tol or TOL[dtype.type]
    if exact_value:
        np.testing.assert_array_equal(oe.detach().numpy(), ot.detach().numpy())
    else:
        np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), **tol)
    if ot.grad_fn is not None:
        assert oe.grad_fn is not None
        # (ember's pointwise ops name a division by a Python number DivBackward0 for now)
        name_t = ot.grad_fn.name().replace("DivBackward1", "DivBackward0")
        assert oe.grad_fn.name() == name_t, (oe.grad_fn.name(), ot.grad_fn.name())
        g = rng(9).standard_normal(tuple(ot.shape)).astype(ot.detach().numpy().dtype)
        oe.backward(ember.tensor(g))
        ot.backward(torch.tensor(g))
        for e, t, want in zip(es, ts, grads_for):
            if want:
                np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), **tol)
    return oe, ot


def same_error(fe, ft, exc=Exception):
    with pytest.raises(exc) as te:
        ft()
    with pytest.raises(exc) as ee:
        fe()
    assert type(ee.value) is type(te.value), (ee.value, te.value)
    assert str(ee.value) == str(te.value)


def same_warnings(fe, ft):
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        fe()
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        ft()
    assert [str(w.message) for w in we] == [str(w.message) for w in wt]
    assert [w.category for w in we] == [w.category for w in wt]
    return we


# -- regression losses ----------------------------------------------------------------------------

REGRESSION = {
    "mse_loss": {},
    "l1_loss": {},
    "smooth_l1_loss": {"beta": 0.8},
    "smooth_l1_loss_beta0": {"beta": 0.0},
    "huber_loss": {"delta": 1.7},
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_losses(name, reduction, dtype):
    fname = name.replace("_beta0", "")
    kwargs = dict(REGRESSION[name], reduction=reduction)
    x, y = normal((4, 5, 3), dtype, 1), normal((4, 5, 3), dtype, 2)
    x.reshape(-1)[0] = y.reshape(-1)[0]                # a zero difference
    compare(lambda a, b: getattr(EF, fname)(a, b, **kwargs),
            lambda a, b: getattr(TF, fname)(a, b, **kwargs), [x, y], grads_for=[True, True])


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_broadcast_target_with_warning(name):
    x, y = normal((4, 5)), normal((5,), seed=3)
    we = same_warnings(lambda: getattr(EF, name)(ember.tensor(x), ember.tensor(y)),
                       lambda: getattr(TF, name)(torch.tensor(x), torch.tensor(y)))
    assert len(we) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(getattr(EF, name), getattr(TF, name), [x, y], grads_for=[True, True])
        same_error(lambda: getattr(EF, name)(ember.zeros(3, 5), ember.zeros(4)),
                   lambda: getattr(TF, name)(torch.zeros(3, 5), torch.zeros(4)))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_with_elementwise_weight(name, reduction):
    x, y, w = normal((3, 4), seed=1), normal((3, 4), seed=2), probs((3, 4))
    compare(lambda a, b, c: getattr(EF, name)(a, b, reduction=reduction, weight=c),
            lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c), [x, y, w])
    same_error(lambda: getattr(EF, name)(ember.zeros(2), ember.zeros(2), weight=ember.ones(3)),
               lambda: getattr(TF, name)(torch.zeros(2), torch.zeros(2), weight=torch.ones(3)))


def test_mse_promotes_mixed_dtypes_and_rejects_integers():
    x, y = normal((3,)), normal((3,), np.float64, 1)
    compare(EF.mse_loss, TF.mse_loss, [x, y])
    same_error(lambda: EF.mse_loss(ember.tensor([1, 2]), ember.tensor([1, 2])),
               lambda: TF.mse_loss(torch.tensor([1, 2]), torch.tensor([1, 2])))
    same_error(lambda: EF.smooth_l1_loss(ember.tensor([1, 2]), ember.tensor([1, 2])),
               lambda: TF.smooth_l1_loss(torch.tensor([1, 2]), torch.tensor([1, 2])))


def test_mse_value_is_bit_identical():
    x, y = normal((6, 7), seed=3), normal((6, 7), seed=4)
    for reduction in REDUCTIONS:
        compare(lambda a, b: EF.mse_loss(a, b, reduction=reduction),
                lambda a, b: TF.mse_loss(a, b, reduction=reduction), [x, y],
                grads_for=[True, True], exact_value=reduction == "none")


# -- binary cross-entropy -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted, dtype):
    x, t = probs((4, 3), dtype, 1), probs((4, 3), dtype, 2)
    x[0, :2] = [0.0, 1.0]                            # log clamped at -100
    t[1, :2] = [0.0, 1.0]
    inputs = [x, t] + ([probs((3,), dtype, 3)] if weighted else [])
    compare(lambda *a: EF.binary_cross_entropy(*a, reduction=reduction),
            lambda *a: TF.binary_cross_entropy(*a, reduction=reduction), inputs,
            grads_for=[True, True, False][:len(inputs)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted, pos_weighted", [(False, False), (True, False),
                                                    (False, True), (True, True)])
def test_binary_cross_entropy_with_logits(reduction, weighted, pos_weighted, dtype):
    x, t = normal((4, 3), dtype, 1, scale=4.0), probs((4, 3), dtype, 2)
    x[0, :2] = [80.0, -80.0]                          # stable for large logits
    weight = ember.tensor(probs((3,), dtype, 3)) if weighted else None
    pos = probs((3,), dtype, 4) * 3 if pos_weighted else None

    def fe(a, b):
        return EF.binary_cross_entropy_with_logits(
            a, b, weight=weight, reduction=reduction,
            pos_weight=None if pos is None else ember.tensor(pos))

    def ft(a, b):
        return TF.binary_cross_entropy_with_logits(
            a, b, weight=None if weight is None else torch.tensor(weight.numpy()),
            reduction=reduction, pos_weight=None if pos is None else torch.tensor(pos))
    compare(fe, ft, [x, t], grads_for=[True, True])


def test_binary_cross_entropy_errors():
    same_error(lambda: EF.binary_cross_entropy(ember.tensor([0.5, 0.5]), ember.tensor([1.0])),
               lambda: TF.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([1.0])))
    same_error(lambda: EF.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0])),
               lambda: TF.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])))
    same_error(lambda: EF.binary_cross_entropy(ember.tensor([0.5]), ember.tensor([-1.0])),
               lambda: TF.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([-1.0])))
    same_error(lambda: EF.binary_cross_entropy_with_logits(ember.zeros(2, 3), ember.zeros(3)),
               lambda: TF.binary_cross_entropy_with_logits(torch.zeros(2, 3), torch.zeros(3)))
    w_e, w_t = ember.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    same_error(lambda: EF.binary_cross_entropy(ember.full((2, 3), 0.5), ember.ones(2, 3),
                                               weight=w_e),
               lambda: TF.binary_cross_entropy(torch.full((2, 3), 0.5), torch.ones(2, 3),
                                               weight=w_t))
    same_error(lambda: EF.binary_cross_entropy_with_logits(ember.zeros(2, 3), ember.ones(2, 3),
                                                           pos_weight=w_e),
               lambda: TF.binary_cross_entropy_with_logits(torch.zeros(2, 3), torch.ones(2, 3),
                                                           pos_weight=w_t))


# -- nll_loss and cross_entropy with class indices ------------------------------------------------


def targets(shape, n_classes, seed=5, ignore=None, fraction=0.25):
    t = rng(seed).integers(0, n_classes, shape)
    if ignore is not None:
        t[rng(seed + 1).random(shape) < fraction] = ignore
    return t


def with_target(f, target, **kwargs):
    return lambda x: f(x, ember.tensor(target) if f.__module__.startswith("ember")
                       else torch.tensor(target), **kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
def test_class_index_losses(fn, ignore_index, weighted, reduction, dtype):
    x = normal((9, 5), dtype, 1)
    t = targets((9,), 5, ignore=ignore_index)
    w = probs((5,), dtype, 3)
    kwargs = dict(reduction=reduction, ignore_index=ignore_index)
    compare(lambda a: getattr(EF, fn)(a, ember.tensor(t), weight=ember.tensor(w) if weighted
                                      else None, **kwargs),
            lambda a: getattr(TF, fn)(a, torch.tensor(t), weight=torch.tensor(w) if weighted
                                      else None, **kwargs),
            [x], exact_value=fn == "nll_loss")


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 5, 4), (2, 5, 3, 4), (2, 5, 2, 2, 3)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
def test_class_index_losses_any_shape(fn, reduction, shape):
    x = normal(shape, seed=2)
    t = targets(shape[:1] + shape[2:] if len(shape) > 1 else (), 5, ignore=-100)
    if len(shape) == 1:
        t = np.array(3)
    compare(lambda a: getattr(EF, fn)(a, ember.tensor(t), reduction=reduction),
            lambda a: getattr(TF, fn)(a, torch.tensor(t), reduction=reduction), [x],
            exact_value=fn == "nll_loss")


def test_nll_loss_value_bit_identical_for_many_batch_sizes():
    # PyTorch adds the picked values in a cascade of partial sums (every 16, 256, ... items);
    # with ignored targets skipping their turn. ember reproduces that order exactly.
    for n in list(range(1, 40)) + [255, 256, 257, 1000, 4113]:
        for weighted in (False, True):
            x = normal((n, 4), seed=n, scale=10.0)
            t = targets((n,), 4, seed=n, ignore=-100, fraction=0.2)
            w = probs((4,), seed=n) * 3 if weighted else None
            for reduction in ("mean", "sum"):
                e = EF.nll_loss(ember.tensor(x), ember.tensor(t), reduction=reduction,
                                weight=None if w is None else ember.tensor(w))
                r = TF.nll_loss(torch.tensor(x), torch.tensor(t), reduction=reduction,
                                weight=None if w is None else torch.tensor(w))
                assert e.numpy().tobytes() == r.numpy().tobytes(), (n, weighted, reduction)


def test_nll_loss_uint8_targets_and_all_ignored():
    x = normal((3, 4))
    t = np.array([0, 3, 1], np.uint8)
    compare(lambda a: EF.nll_loss(a, ember.tensor(t)), lambda a: TF.nll_loss(a, torch.tensor(t)),
            [x], exact_value=True)
    ign = np.array([-100, -100, -100])
    for reduction in REDUCTIONS:
        compare(lambda a: EF.nll_loss(a, ember.tensor(ign), reduction=reduction),
                lambda a: TF.nll_loss(a, torch.tensor(ign), reduction=reduction), [x])


def test_class_index_loss_errors():
    x_e, x_t = ember.zeros(3, 5), torch.zeros(3, 5)
    cases = [
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0, 1, 7]))),
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0, 1, -1]))),
        (lambda F, lib, x: F.cross_entropy(x, lib.tensor([0, 1, 5]))),
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0, 1]))),
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0.0, 1.0, 2.0]))),
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0, 1, 2], dtype=lib.int32))),
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0, 1, 2]), weight=lib.ones(4))),
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0, 1, 2]), reduction="avg")),
        (lambda F, lib, x: F.nll_loss(lib.tensor(1.0), lib.tensor(0))),
        (lambda F, lib, x: F.nll_loss(x.reshape(3, 5, 1), lib.zeros(3, 2, dtype=lib.int64))),
        (lambda F, lib, x: F.nll_loss(x.reshape(1, 3, 5, 1), lib.zeros(1, 5, 2,
                                                                        dtype=lib.int64))),
        (lambda F, lib, x: F.nll_loss(x.reshape(1, 3, 5, 1), lib.zeros(1, 5,
                                                                        dtype=lib.int64))),
        (lambda F, lib, x: F.nll_loss(x, lib.zeros(3, 1, dtype=lib.int64))),
        (lambda F, lib, x: F.cross_entropy(x, lib.tensor([0, 1, 2]), label_smoothing=1.5)),
        (lambda F, lib, x: F.cross_entropy(x, lib.zeros(3, 5, dtype=lib.int64))),
        (lambda F, lib, x: F.cross_entropy(x, lib.ones(3, 5), ignore_index=1)),
        (lambda F, lib, x: F.cross_entropy(x, lib.ones(3, 5), weight=lib.ones(4))),
        (lambda F, lib, x: F.nll_loss(x, lib.tensor([0, 1, 2]),
                                      weight=lib.ones(5, requires_grad=True))),
    ]
    for case in cases:
        same_error(lambda: case(EF, ember, x_e), lambda: case(TF, torch, x_t))


# -- cross_entropy: label smoothing and probability targets ---------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2)])
def test_cross_entropy_label_smoothing(shape, weighted, reduction, dtype):
    x = normal(shape, dtype, 1)
    t = targets(shape[:1] + shape[2:], 4, ignore=-100)
    w = probs((4,), dtype, 3)
    kwargs = dict(reduction=reduction, label_smoothing=0.15)
    compare(lambda a: EF.cross_entropy(a, ember.tensor(t), weight=ember.tensor(w) if weighted
                                       else None, **kwargs),
            lambda a: TF.cross_entropy(a, torch.tensor(t), weight=torch.tensor(w) if weighted
                                       else None, **kwargs), [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4), (3,)])
def test_cross_entropy_probability_targets(shape, smoothing, weighted, reduction, dtype):
    x = normal(shape, dtype, 1)
    p = probs(shape, dtype, 2)
    w = probs((3,), dtype, 3)
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    compare(lambda a, b: EF.cross_entropy(a, b, weight=ember.tensor(w) if weighted else None,
                                          **kwargs),
            lambda a, b: TF.cross_entropy(a, b, weight=torch.tensor(w) if weighted else None,
                                          **kwargs), [x, p], grads_for=[True, True])


def test_cross_entropy_is_log_softmax_then_nll():
    x = normal((4, 6))
    t = targets((4,), 6)
    e = EF.cross_entropy(ember.tensor(x, requires_grad=True), ember.tensor(t))
    assert e.grad_fn.name() == "NllLossBackward0"
    assert e.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    manual = EF.nll_loss(EF.log_softmax(ember.tensor(x), 1), ember.tensor(t))
    assert e.item() == manual.item()


# -- KL divergence --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, dtype):
    x = np.log(probs((4, 5), dtype, 1))
    t = probs((4, 5), dtype, 2)
    t[0, 0] = 0.0                                      # 0 * log 0 counts as 0
    if log_target:
        t = np.log(probs((4, 5), dtype, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda a, b: EF.kl_div(a, b, reduction=reduction, log_target=log_target),
                lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
                [x, t], grads_for=[True, True],
                tol=dict(rtol=5e-6, atol=1e-6) if dtype == np.float32 else None)


def test_kl_div_warning_and_errors():
    same_warnings(lambda: EF.kl_div(ember.zeros(2), ember.ones(2)),
                  lambda: TF.kl_div(torch.zeros(2), torch.ones(2)))
    same_error(lambda: EF.kl_div(ember.tensor([1]), ember.tensor([1]), reduction="sum"),
               lambda: TF.kl_div(torch.tensor([1]), torch.tensor([1]), reduction="sum"))


# -- deprecated flags and warnings ----------------------------------------------------------------


@pytest.mark.parametrize("size_average, reduce", [(False, None), (None, False), (True, True),
                                                  (False, True), (True, False)])
def test_size_average_and_reduce_flags(size_average, reduce):
    x, y = normal((3, 4), seed=1), normal((3, 4), seed=2)
    t = targets((3,), 4)
    cases = [("mse_loss", lambda lib: (lib.tensor(x), lib.tensor(y))),
             ("l1_loss", lambda lib: (lib.tensor(x), lib.tensor(y))),
             ("nll_loss", lambda lib: (lib.tensor(x), lib.tensor(t))),
             ("cross_entropy", lambda lib: (lib.tensor(x), lib.tensor(t))),
             ("binary_cross_entropy", lambda lib: (lib.tensor(x).sigmoid(),
                                                   lib.tensor(y).sigmoid())),
             ("kl_div", lambda lib: (lib.tensor(x), lib.tensor(y).sigmoid()))]
    for name, args in cases:
        kwargs = dict(size_average=size_average, reduce=reduce)
        with warnings.catch_warnings(record=True) as we:
            warnings.simplefilter("always")
            e = getattr(EF, name)(*args(ember), **kwargs)
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            t_ = getattr(TF, name)(*args(torch), **kwargs)
        assert [str(w.message) for w in we] == [str(w.message) for w in wt], name
        np.testing.assert_allclose(e.numpy(), t_.numpy(), rtol=2e-6, atol=1e-7, err_msg=name)


def test_loss_module_legacy_flags_warn_and_set_reduction():
    for cls in ("MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "KLDivLoss",
                "SmoothL1Loss", "BCEWithLogitsLoss"):
        we = same_warnings(lambda: getattr(enn, cls)(size_average=False),
                           lambda: getattr(tnn, cls)(size_average=False))
        assert len(we) == 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert getattr(enn, cls)(reduce=False).reduction == \
                getattr(tnn, cls)(reduce=False).reduction


# -- loss modules ---------------------------------------------------------------------------------

MODULES = [
    ("MSELoss", {}), ("MSELoss", {"reduction": "sum"}), ("L1Loss", {"reduction": "none"}),
    ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}), ("BCELoss", {}),
    ("BCEWithLogitsLoss", {}), ("NLLLoss", {"ignore_index": 1}), ("CrossEntropyLoss", {}),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "reduction": "sum"}),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}),
]


@pytest.mark.parametrize("cls, kwargs", MODULES)
def test_loss_modules_match_functions_and_torch(cls, kwargs):
    em, tm = getattr(enn, cls)(**kwargs), getattr(tnn, cls)(**kwargs)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    x = normal((4, 3), seed=1)
    if cls in ("NLLLoss", "CrossEntropyLoss"):
        y = targets((4,), 3)
    elif cls == "BCELoss":
        x, y = probs((4, 3), seed=1), probs((4, 3), seed=2)
    elif cls == "KLDivLoss":
        y = normal((4, 3), seed=2)
    else:
        y = probs((4, 3), seed=2)
    compare(em, tm, [x, y])


def test_weighted_loss_modules_keep_weights_as_buffers():
    w = probs((3,))
    for cls, kwargs in [("CrossEntropyLoss", {"weight": w}), ("NLLLoss", {"weight": w}),
                        ("BCELoss", {"weight": w}),
                        ("BCEWithLogitsLoss", {"weight": w, "pos_weight": w * 2})]:
        em = getattr(enn, cls)(**{k: ember.tensor(v) for k, v in kwargs.items()})
        tm = getattr(tnn, cls)(**{k: torch.tensor(v) for k, v in kwargs.items()})
        assert repr(em) == repr(tm)
        assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]
        assert list(em.state_dict()) == list(tm.state_dict())
        x = normal((4, 3), seed=1)
        y = targets((4,), 3) if "L" in cls[:3] or cls.startswith("Cross") else probs((4, 3))
        if cls == "BCELoss":
            x = probs((4, 3), seed=3)
        compare(em, tm, [x, y])
    with pytest.raises(TypeError) as te:
        tnn.HuberLoss(delta="1")
    with pytest.raises(TypeError) as ee:
        enn.HuberLoss(delta="1")
    assert str(ee.value) == str(te.value)


# -- gradcheck (float64) --------------------------------------------------------------------------


def leaf(shape, seed=0, low=-2.0, high=2.0):
    a = np.random.default_rng(seed).uniform(low, high, size=shape)
    return ember.tensor(a, dtype=ember.float64, requires_grad=True)


def const(a):
    return ember.tensor(np.asarray(a), dtype=None)


T3 = ember.tensor([0, 2, 1])
T3_IGNORE = ember.tensor([0, -100, 1])
W3 = ember.tensor([0.5, 2.0, 1.5], dtype=ember.float64)

GRADCHECK = {
    "mse": (lambda a, b: EF.mse_loss(a, b), lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "mse_none": (lambda a, b: EF.mse_loss(a, b, reduction="none"),
                 lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "smooth_l1": (lambda a, b: EF.smooth_l1_loss(a, b, beta=0.5),
                  lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "huber": (lambda a, b: EF.huber_loss(a, b, delta=0.7, reduction="sum"),
              lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "bce": (lambda a, b: EF.binary_cross_entropy(a, b, weight=W3),
            lambda: [leaf((2, 3), 1, 0.1, 0.9), leaf((2, 3), 2, 0.1, 0.9)]),
    "bce_logits": (lambda a, b: EF.binary_cross_entropy_with_logits(a, b, weight=W3),
                   lambda: [leaf((2, 3), 1), leaf((2, 3), 2, 0.0, 1.0)]),
    "bce_logits_pos": (lambda a, b: EF.binary_cross_entropy_with_logits(a, b, pos_weight=W3,
                                                                        reduction="sum"),
                       lambda: [leaf((2, 3), 1), leaf((2, 3), 2, 0.0, 1.0)]),
    "nll": (lambda a: EF.nll_loss(a, T3, weight=W3), lambda: [leaf((3, 3), 1)]),
    "nll_none_ignore": (lambda a: EF.nll_loss(a, T3_IGNORE, reduction="none"),
                        lambda: [leaf((3, 3), 1)]),
    "nll_2d": (lambda a: EF.nll_loss(a, ember.tensor([[[0, 2], [1, 1]]])),
               lambda: [leaf((1, 3, 2, 2), 1)]),
    "cross_entropy": (lambda a: EF.cross_entropy(a, T3), lambda: [leaf((3, 3), 1)]),
    "cross_entropy_smooth": (lambda a: EF.cross_entropy(a, T3_IGNORE, weight=W3,
                                                        label_smoothing=0.2),
                             lambda: [leaf((3, 3), 1)]),
    "cross_entropy_probs": (lambda a, b: EF.cross_entropy(a, b),
                            lambda: [leaf((3, 3), 1), leaf((3, 3), 2, 0.0, 1.0)]),
    "kl_div": (lambda a, b: EF.kl_div(a, b, reduction="batchmean"),
               lambda: [leaf((2, 3), 1), leaf((2, 3), 2, 0.1, 1.0)]),
    "kl_div_log_target": (lambda a, b: EF.kl_div(a, b, reduction="sum", log_target=True),
                          lambda: [leaf((2, 3), 1), leaf((2, 3), 2)]),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    fn, inputs = GRADCHECK[name]
    assert gradcheck(fn, tuple(inputs()))


@pytest.mark.parametrize("name", ["mse", "bce_logits", "cross_entropy", "cross_entropy_probs",
                                  "nll"])
def test_gradgradcheck(name):
    fn, inputs = GRADCHECK[name]
    assert gradgradcheck(fn, tuple(inputs()))

"""Normalisation layers against PyTorch: BatchNorm1d/2d/3d (running statistics, momentum,
cumulative averages, eval mode, affine, track_running_stats), LayerNorm, GroupNorm; their
functional forms, reprs, state dicts, errors, and first and second derivatives."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember.nn.modules import normalization as N  # noqa: E402

F32 = dict(rtol=1e-5, atol=1e-6)
F64 = dict(rtol=1e-12, atol=1e-12)


def data(shape, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 2 + 1).astype(dtype)


def copy_weights(e, t):
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 1.5)
    with ember.no_grad():
        for (n, pe), (m, pt) in zip(e.named_parameters(), t.named_parameters()):
            assert n == m
            pe.copy_(ember.tensor(pt.detach().numpy()))


def steps(e, t, shape, n=3, dtype=np.float32, tol=F32, exact_buffers=False):
    """`n` forward/backward passes with fresh inputs: outputs, input and parameter gradients,
    and the buffers (running statistics) after each."""
    copy_weights(e, t)
    for step in range(n):
        x = data(shape, step, dtype)
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        oe, ot = e(xe), t(xt)
        assert oe.grad_fn.name() == ot.grad_fn.name()
        if exact_buffers:
            np.testing.assert_array_equal(oe.detach().numpy(), ot.detach().numpy())
        np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), **tol)
        g = data(shape, 100 + step, dtype)
        oe.backward(ember.tensor(g))
        ot.backward(torch.tensor(g))
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=tol["rtol"] * 10,
                                   atol=tol["atol"] * 10)
        for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
            np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), err_msg=name,
                                       rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)
        for (name, be), (_, bt) in zip(e.named_buffers(), t.named_buffers()):
            if exact_buffers or name == "num_batches_tracked":
                np.testing.assert_array_equal(be.numpy(), bt.numpy(), err_msg=name)
            else:
                np.testing.assert_allclose(be.numpy(), bt.numpy(), err_msg=name, **tol)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())


# -- batch norm ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (4, 3, 5, 5)),
                                        ("BatchNorm3d", (2, 3, 3, 4, 2))])
@pytest.mark.parametrize("kw", [dict(), dict(momentum=0.3), dict(momentum=None),
                                dict(affine=False), dict(bias=False),
                                dict(track_running_stats=False), dict(eps=1e-3)], ids=str)
def test_batch_norm_training(name, shape, kw):
    steps(getattr(N, name)(3, **kw), getattr(tnn, name)(3, **kw), shape)


def test_batch_norm_running_statistics_are_bit_exact():
    """PyTorch's arithmetic (sums in double, the updates in float32, fused multiply-adds in
    the output): outputs and running averages agree bit for bit after several steps (for
    (N, C, L) and (N, C, H, W) inputs; for (N, C) PyTorch's sums depend on its thread count)."""
    steps(N.BatchNorm2d(3), tnn.BatchNorm2d(3), (8, 3, 6, 6), n=5, exact_buffers=True)
    steps(N.BatchNorm1d(3, momentum=None), tnn.BatchNorm1d(3, momentum=None), (16, 3, 4),
          n=5, exact_buffers=True)


def test_batch_norm_eval_mode_uses_running_statistics():
    e, t = N.BatchNorm2d(3), tnn.BatchNorm2d(3)
    steps(e, t, (4, 3, 5, 5), n=2)
    e.eval()
    t.eval()
    steps(e, t, (4, 3, 5, 5), n=2)
    # without running statistics, evaluation mode normalises with the batch's
    e, t = N.BatchNorm2d(3, track_running_stats=False).eval(), \
        tnn.BatchNorm2d(3, track_running_stats=False).eval()
    steps(e, t, (4, 3, 5, 5), n=1)


def test_batch_norm_float64():
    steps(N.BatchNorm2d(3, dtype=ember.float64), tnn.BatchNorm2d(3, dtype=torch.float64),
          (4, 3, 5, 5), dtype=np.float64, tol=F64)


def test_batch_norm_state_dict_and_buffers():
    e, t = N.BatchNorm2d(4), tnn.BatchNorm2d(4)
    assert repr(e) == repr(t) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, "
                                  "bias=True, track_running_stats=True)")
    assert list(e.state_dict()) == list(t.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert e.num_batches_tracked.dtype == ember.int64
    steps(e, t, (4, 4, 3, 3), n=2)
    assert int(e.num_batches_tracked.item()) == 2
    # load PyTorch's state dict
    f = N.BatchNorm2d(4)
    f.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    for (k, a), b in zip(f.state_dict().items(), t.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    # an old state dict without num_batches_tracked (version 1) still loads
    old = {k: v for k, v in f.state_dict().items() if k != "num_batches_tracked"}
    old = type(f.state_dict())(old)
    old._metadata = {"": {"version": 1}}
    f.load_state_dict(old)
    f.reset_running_stats()
    assert float(f.running_var.sum().item()) == 4.0


@pytest.mark.parametrize("call", [
    lambda T, F: F.batch_norm(T.ones(1, 3), None, None, training=True),
    lambda T, F: F.batch_norm(T.ones(4, 3), T.zeros(4), T.ones(3), training=True),
    lambda T, F: F.batch_norm(T.ones(4, 3), None, None, training=True, eps=0.0),
])
def test_batch_norm_errors(call):
    with pytest.raises(Exception) as te:
        call(torch, TF)
    with pytest.raises(type(te.value)) as ee:
        call(ember, N)
    assert str(ee.value) == str(te.value)


def test_batch_norm_module_input_dims():
    for e, t, x in ((N.BatchNorm2d(3), tnn.BatchNorm2d(3), np.ones((2, 3, 4), np.float32)),
                    (N.BatchNorm1d(3), tnn.BatchNorm1d(3), np.ones((2, 3, 4, 4), np.float32))):
        with pytest.raises(ValueError) as te:
            t(torch.tensor(x))
        with pytest.raises(ValueError) as ee:
            e(ember.tensor(x))
        assert str(ee.value) == str(te.value)


# -- layer norm and group norm --------------------------------------------------------------------


@pytest.mark.parametrize("args,kw,shape", [
    ((5,), dict(), (4, 3, 5)),
    ((5,), dict(eps=1e-3), (7, 5)),
    (((3, 5),), dict(elementwise_affine=False), (4, 3, 5)),
    (((3, 5),), dict(bias=False), (2, 4, 3, 5)),
], ids=str)
def test_layer_norm(args, kw, shape):
    steps(N.LayerNorm(*args, **kw), tnn.LayerNorm(*args, **kw), shape)


def test_layer_norm_float64():
    steps(N.LayerNorm(6, dtype=ember.float64), tnn.LayerNorm(6, dtype=torch.float64), (3, 4, 6),
          dtype=np.float64, tol=F64)


@pytest.mark.parametrize("args,kw,shape", [
    ((2, 4), dict(), (3, 4, 5, 5)),
    ((4, 4), dict(), (3, 4, 5)),
    ((1, 6), dict(affine=False), (2, 6, 3)),
    ((3, 6), dict(bias=False, eps=1e-3), (2, 6, 2, 2)),
], ids=str)
def test_group_norm(args, kw, shape):
    steps(N.GroupNorm(*args, **kw), tnn.GroupNorm(*args, **kw), shape)


def test_group_norm_float64():
    steps(N.GroupNorm(2, 4, dtype=ember.float64), tnn.GroupNorm(2, 4, dtype=torch.float64),
          (3, 4, 5), dtype=np.float64, tol=F64)


@pytest.mark.parametrize("call", [
    lambda T, F: F.layer_norm(T.ones(2, 3, 8), (7,)),
    lambda T, F: F.layer_norm(T.ones(2, 3, 8), (8,), T.ones(5)),
    lambda T, F: F.group_norm(T.ones(2, 3, 8), 2),
    lambda T, F: F.group_norm(T.ones(2, 4, 8), 2, T.ones(3)),
    lambda T, F: F.group_norm(T.ones(1, 4), 4),
])
def test_layer_and_group_norm_errors(call):
    with pytest.raises(Exception) as te:
        call(torch, TF)
    with pytest.raises(type(te.value)) as ee:
        call(ember, N)
    assert str(ee.value) == str(te.value)


def test_norm_module_reprs_and_constructor_errors():
    assert repr(N.LayerNorm(10)) == repr(tnn.LayerNorm(10))
    assert repr(N.GroupNorm(3, 6, affine=False)) == repr(tnn.GroupNorm(3, 6, affine=False))
    assert repr(N.BatchNorm1d(5, momentum=None, affine=False)) == \
        repr(tnn.BatchNorm1d(5, momentum=None, affine=False))
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups"):
        N.GroupNorm(2, 5)


# -- derivatives ----------------------------------------------------------------------------------


def _second(T, fn, arrays):
    ins = [T.tensor(a, requires_grad=True) for a in arrays]
    y = fn(T, *ins)
    grads = T.autograd.grad((y * y.sin()).sum(), ins, create_graph=True)
    z = sum((g * g).sum() for g in grads)
    return [g.detach().numpy() for g in grads] + [g.numpy() for g in T.autograd.grad(z, ins)]


def _norm_fn(name):
    rm, rv = np.linspace(-1, 1, 3), np.linspace(0.5, 2, 3)
    return {
        "batch_train": lambda T, F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        "batch_eval": lambda T, F, x, w, b: F.batch_norm(x, T.tensor(rm), T.tensor(rv), w, b),
        "layer": lambda T, F, x, w, b: F.layer_norm(x, (3, 2), w.view(3, 1).expand(3, 2),
                                                    b.view(3, 1).expand(3, 2)),
        "group": lambda T, F, x, w, b: F.group_norm(x, 3, w, b),
    }[name]


@pytest.mark.parametrize("name", ["batch_train", "batch_eval", "layer", "group"])
def test_norm_first_and_second_derivatives_match_pytorch(name):
    fn = _norm_fn(name)
    arrays = [data((4, 3, 2), 1, np.float64), data((3,), 2, np.float64),
              data((3,), 3, np.float64)]
    e = _second(ember, lambda T, *a: fn(T, N, *a), arrays)
    t = _second(torch, lambda T, *a: fn(T, TF, *a), arrays)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    ins = tuple(ember.tensor(a, requires_grad=True) for a in arrays)
    assert ember.autograd.gradcheck(lambda *a: fn(ember, N, *a), ins)
    assert ember.autograd.gradgradcheck(lambda *a: fn(ember, N, *a), ins)

"""ember.testing (assert_close, make_tensor), ember.utils.checkpoint and
ember.optim.swa_utils, compared with PyTorch."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.optim import swa_utils as e_swa
from ember.utils import checkpoint as e_cp
import torch.utils.checkpoint as t_cp
import torch.optim.swa_utils as t_swa


# -- assert_close --------------------------------------------------------------------------

def _close_cases(L):
    nan = float("nan")
    return [
        (L.tensor([1., 2., 3.]), L.tensor([1., 2.5, 3.]), {}),
        (L.tensor([[1., 2.], [3., 4.]]), L.tensor([[1., 2.], [3., 5.]]), {}),
        (L.tensor([1, 2, 3]), L.tensor([1, 2, 4]), {}),
        (L.tensor([1., 2.]), L.tensor([1., 2.], dtype=L.float64), {}),
        (L.tensor([1., 2.]), L.tensor([1., 2., 3.]), {}),
        (1.0, 1.1, {}), (1, 2, {}), ([1., 2.], [1., 3.], {}),
        ({"a": L.tensor(1.)}, {"a": L.tensor(2.)}, {}),
        ([1., 2.], [1.], {}), ({"a": 1.}, {"b": 1.}, {}),
        (L.tensor([1., nan]), L.tensor([1., nan]), {}),
        (L.tensor([1., nan]), L.tensor([1., nan]), dict(equal_nan=True)),
        (L.tensor([True, False]), L.tensor([True, True]), {}),
        ("a", "a", {}), ((1, 2), [1, 2], {}), (1, 1.0, {}), (1, 1.0, dict(check_dtype=False)),
        (True, False, {}), (None, 1, {}), (None, None, {}),
        (L.tensor([1., 2.]), L.tensor([1., 3.]), dict(msg="custom")),
        (L.tensor([1., 2.]), L.tensor([1., 3.]), dict(msg=lambda m: "X" + m)),
        (L.tensor([1., 2.]), L.tensor([1., 3.]), dict(rtol=1e-3)),
        (L.tensor([1., 2.]), L.tensor([1., 2.001]), dict(rtol=1e-3, atol=0)),
        (L.tensor([0., 2.]), L.tensor([1., 3.]), {}), (L.tensor(0.), L.tensor(1.), {}),
        (L.zeros(3, 4), L.ones(3, 4), {}),
        (L.ones(2, 2), L.ones(2, 2).t(), dict(check_stride=True)),
        (L.ones(2, 2), L.ones(2, 2).t(), {}),
        (L.ones(2, 2), L.ones(2, 2, dtype=L.float64), dict(check_dtype=False)),
        (L.ones(2), L.ones(2, dtype=L.float64) * 1.0000001, dict(check_dtype=False)),
        (L.tensor([1., 2.], requires_grad=True), L.tensor([1., 2.]), {}),
        (np.ones(3), np.zeros(3), {}), (np.float32(1), np.float32(2), {}),
        ([L.tensor([1.]), {"x": [1, 2.5]}], [L.tensor([1.]), {"x": [1, 2.0]}], {}),
        (L.tensor([1., 2.]), L.tensor([1., 2. + 1e-6]), {}),
        (L.tensor([1., 2.], dtype=L.float16), L.tensor([1., 2.003], dtype=L.float16), {}),
        (L.tensor([-1., 0.]), L.tensor([1., 0.]), {}),
        (L.tensor([1, 5], dtype=L.uint8), L.tensor([1, 3], dtype=L.uint8), {}),
    ]


def _outcome(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        return "OK"
    except Exception as e:      # the exception type and the whole message must match
        return f"{type(e).__name__}: {e}".replace("ember._tensor.Tensor", "torch.Tensor")


@pytest.mark.parametrize("i", range(len(_close_cases(torch))))
def test_assert_close_matches_torch(i):
    ta, tb, tkw = _close_cases(torch)[i]
    ea, eb, ekw = _close_cases(ember)[i]
    assert (_outcome(ember.testing.assert_close, ea, eb, **ekw)
            == _outcome(torch.testing.assert_close, ta, tb, **tkw))


def test_assert_close_tensor_vs_number_type_error():
    # the only difference from PyTorch: the class path in the message
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs of type "
                                        "<class 'ember._tensor.Tensor'> and <class 'float'>."):
        ember.testing.assert_close(ember.tensor(1.), 1.0)


def test_assert_allclose_deprecated():
    for L in (torch, ember):
        cases = [(L.tensor([1.]), L.tensor([2.])), ([1., 2.], [1., 2.00001]),
                 (L.tensor([1.]), [1.00001]), (L.tensor([1.]), L.tensor([1.], dtype=L.float64))]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = [_outcome(L.testing.assert_allclose, a, b) for a, b in cases]
        msgs = [(x.category, str(x.message)) for x in w]
        if L is torch:
            expected = (got, msgs)
        else:
            assert (got, msgs) == expected


# -- make_tensor ---------------------------------------------------------------------------

def _make_specs(L):
    return [((3, 4), dict(dtype=L.float32)), ((5,), dict(dtype=L.int64)),
            ((2, 3), dict(dtype=L.bool)), ((4,), dict(dtype=L.uint8)),
            (((3, 3),), dict(dtype=L.float64, low=-1, high=1)),
            ((2, 3), dict(dtype=L.float32, noncontiguous=True)),
            ((6,), dict(dtype=L.int32, low=-1, high=1, exclude_zero=True)),
            ((2, 2), dict(dtype=L.float32, requires_grad=True)),
            ((3,), dict(dtype=L.int8, low=-1000, high=1000)),
            ((3,), dict(dtype=L.float32, low=-1e39, high=1e39)),
            ((2,), dict(dtype=L.complex64)), ((2,), dict(dtype=L.float16)),
            ((0, 3), dict(dtype=L.float32)), ((), dict(dtype=L.float32))]


@pytest.mark.parametrize("i", range(len(_make_specs(torch))))
def test_make_tensor_same_values_for_same_seed(i):
    out = []
    for L in (torch, ember):
        shape, kw = _make_specs(L)[i]
        L.manual_seed(3)
        r = L.testing.make_tensor(*shape, device="cpu", **kw)
        after = L.rand(1).item()          # the generator advanced by the same amount
        out.append((r.detach().numpy(), str(r.dtype), r.is_contiguous(), r.requires_grad,
                    tuple(r.shape), r.stride() if r.numel() else None, after))
    # (an empty tensor's stride() is ember core's, (0, 0) where PyTorch says (3, 1))
    t, e = out
    np.testing.assert_array_equal(e[0], t[0])
    assert e[1:] == t[1:]


@pytest.mark.parametrize("kw", [dict(dtype="int64", requires_grad=True),
                                dict(dtype="float32", low=2, high=1),
                                dict(dtype="float32", low=float("nan")),
                                dict(dtype="uint8", low=-5, high=-1),
                                dict(dtype="float32", noncontiguous=True, memory_format=1)])
def test_make_tensor_errors(kw):
    got = []
    for L in (torch, ember):
        k = dict(kw, dtype=getattr(L, kw["dtype"]))
        if "memory_format" in k:
            k["memory_format"] = L.contiguous_format if hasattr(L, "contiguous_format") else 1
        got.append(_outcome(L.testing.make_tensor, 3, device="cpu", **k)
                   .replace("torch.", "").replace("ember.", "").split(" and memory_format")[0])
    assert got[0] == got[1]


# -- checkpoint ----------------------------------------------------------------------------

def _ck_run(L, mode, dtype="float64"):
    cp = t_cp if L is torch else e_cp
    nn = L.nn
    L.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 8),
                          nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2)).to(getattr(L, dtype))
    x = L.randn(5, 4, dtype=getattr(L, dtype), requires_grad=True)
    L.manual_seed(1)
    if mode == "plain":
        out = model(x)
    elif mode == "seq":
        out = cp.checkpoint_sequential(model, 2, x, use_reentrant=False)
    elif mode == "seqr":
        out = cp.checkpoint_sequential(model, 3, x, use_reentrant=True)
    else:
        out = cp.checkpoint(lambda t, scale=1.0: model[:6](t) * scale, x,
                            use_reentrant=(mode == "reentrant"))
        out = model[6](out)
    (out * out).sum().backward()
    after = L.rand(2)    # the recompute restored the RNG state it borrowed
    return ([out.detach().numpy(), x.grad.numpy(), after.numpy()]
            + [p.grad.numpy() for p in model.parameters()]), out.grad_fn.name()


@pytest.mark.parametrize("mode", ["nonreentrant", "reentrant", "seq", "seqr"])
def test_checkpoint_gradients_bit_identical(mode):
    base, _ = _ck_run(ember, "plain")
    got, name = _ck_run(ember, mode)
    for a, b in zip(base, got):
        np.testing.assert_array_equal(b, a)
    ref, tname = _ck_run(torch, mode)
    assert name == tname
    # same dropout masks and RNG stream as torch; matmuls in ember's BLAS order differ from
    # PyTorch's in the last bits, so values against torch get a tight tolerance
    np.testing.assert_array_equal(got[2], ref[2])
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_checkpoint_kwargs_and_retain_graph():
    for L, cp in ((torch, t_cp), (ember, e_cp)):
        x = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = cp.checkpoint(lambda t, k: (t * k).exp() * t, x, k=3.0, use_reentrant=False)
        y.sum().backward(retain_graph=True)
        y.sum().backward()          # recomputes again
        if L is torch:
            expected = x.grad.numpy()
        else:
            np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_checkpoint_use_reentrant_warning_and_errors():
    for L, cp in ((torch, t_cp), (ember, e_cp)):
        x = L.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                             "explicitly"):
            cp.checkpoint(lambda t: t * 2, x)
        with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant"):
            cp.checkpoint_sequential([lambda t: t * 2, lambda t: t + 1], 2, x)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
            cp.checkpoint(lambda t: t, x, use_reentrant=True, foo=1)
        with pytest.raises(ValueError, match="Passing `context_fn` or `debug` is only"):
            cp.checkpoint(lambda t: t, x, use_reentrant=True, debug=True)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
            cp.checkpoint_sequential([lambda t: t], 1, x, use_reentrant=False, foo=1)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            cp.checkpoint(lambda t: t * 2, L.ones(2), use_reentrant=True)


def test_checkpoint_determinism_check():
    state = {"n": 2}

    def f(t):
        state["n"] += 1
        return (t[: state["n"]] * 2).sin()

    for L, cp in ((torch, t_cp), (ember, e_cp)):
        state["n"] = 2
        x = L.ones(6, requires_grad=True)
        y = cp.checkpoint(f, x, use_reentrant=False)
        with pytest.raises(cp.CheckpointError):
            y.sum().backward()


# -- swa_utils -----------------------------------------------------------------------------

def _set(model_e, model_t, seed):
    rng = np.random.default_rng(seed)
    for (_, pe), (_, pt) in zip(model_e.state_dict().items(), model_t.state_dict().items()):
        v = rng.standard_normal(tuple(pt.shape)).astype(pt.numpy().dtype) if pt.is_floating_point() \
            else np.asarray(rng.integers(0, 5, tuple(pt.shape)), pt.numpy().dtype)
        pt.copy_(torch.from_numpy(v.copy()))
        pe.copy_(ember.tensor(v.copy()))


@pytest.mark.parametrize("kind", ["swa", "ema", "emab", "swam", "avgfn", "swafn"])
def test_averaged_model_matches_torch(kind):
    models, avgs = {}, {}
    for L, su in ((torch, t_swa), (ember, e_swa)):
        nn = L.nn
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
        kw = {"swa": {}, "ema": dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
              "emab": dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.9), use_buffers=True),
              "swam": dict(multi_avg_fn=su.get_swa_multi_avg_fn()),
              "avgfn": dict(avg_fn=su.get_ema_avg_fn(0.8)),
              "swafn": dict(avg_fn=su.get_swa_avg_fn())}[kind]
        models[L], avgs[L] = model, su.AveragedModel(model, **kw)
    for step in range(4):
        _set(models[ember], models[torch], step)
        avgs[torch].update_parameters(models[torch])
        avgs[ember].update_parameters(models[ember])
    sd_t, sd_e = avgs[torch].state_dict(), avgs[ember].state_dict()
    assert list(sd_e) == list(sd_t)
    for k in sd_t:
        assert str(sd_e[k].dtype) == str(sd_t[k].dtype)
        np.testing.assert_array_equal(sd_e[k].numpy(), sd_t[k].numpy())
    assert repr(avgs[ember]) == repr(avgs[torch])


@pytest.mark.parametrize("strategy,epochs", [("cos", 3), ("linear", 4), ("cos", 0),
                                             ("linear", 1)])
def test_swalr_lrs_match_torch(strategy, epochs):
    got = []
    for L, su in ((torch, t_swa), (ember, e_swa)):
        p = L.zeros(1, requires_grad=True)
        opt = L.optim.SGD([{"params": [p]}, {"params": [L.zeros(1, requires_grad=True)],
                                             "lr": 0.3}], lr=1.0)
        sched = su.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=epochs,
                         anneal_strategy=strategy)
        lrs = [sched.get_last_lr()]
        for _ in range(7):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        got.append((lrs, sorted(sched.state_dict())))
    assert got[0] == got[1]


def test_swalr_errors():
    for L, su in ((torch, t_swa), (ember, e_swa)):
        opt = L.optim.SGD([L.zeros(1, requires_grad=True)], lr=1.0)
        with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or "
                                             "'linear', instead got exp"):
            su.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, "
                                             "got -1"):
            su.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
        with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
            su.get_ema_multi_avg_fn(1.5)
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
            su.AveragedModel(L.nn.Linear(1, 1), avg_fn=su.get_swa_avg_fn(),
                             multi_avg_fn=su.get_swa_multi_avg_fn())


def test_update_bn_matches_torch():
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((6, 3, 4)).astype(np.float32) for _ in range(3)]
    out = []
    for L, su in ((torch, t_swa), (ember, e_swa)):
        model = L.nn.Sequential(L.nn.BatchNorm1d(3, momentum=0.3), L.nn.ReLU(),
                                L.nn.BatchNorm1d(3))
        model.eval()
        su.update_bn([(L.tensor(d), 0) for d in data], model)
        out.append(({k: v.numpy().copy() for k, v in model.state_dict().items()},
                    model.training, model[0].momentum, model[2].momentum))
    (t, *t_rest), (e, *e_rest) = out
    assert t_rest == e_rest
    for k in t:
        # running stats average batch statistics in float32; the per-batch mean/var
        # reductions follow ember's BatchNorm kernel (already compared with torch elsewhere)
        np.testing.assert_allclose(e[k], t[k], rtol=1e-6, atol=1e-7)

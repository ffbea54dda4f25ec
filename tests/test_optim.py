"""ember.optim against torch.optim: the same parameters and the same gradients each step give
the same parameters, state, reprs, state dicts and learning-rate schedules.

PyTorch's CPU `sqrt` comes from Intel MKL, which on some CPUs is off by up to 0.75 ulp, while
ember's is correctly rounded. Optimizers that take square roots (Adam, AdamW, RMSprop, Adagrad,
Adadelta) are therefore compared twice: with torch as it is, to 1e-6 relative, and with torch's
`sqrt` replaced by a correctly rounded one, bit for bit, which checks every other operation's
order and rounding.
"""
import copy
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember import optim  # noqa: E402
from ember.optim import lr_scheduler  # noqa: E402

SHAPES = [(7, 5), (33,), (3,), ()]
STEPS = 8

# (optimizer name, options, uses sqrt)
CONFIGS = [
    ("SGD", dict(lr=0.1), False),
    ("SGD", dict(lr=0.1, momentum=0.9), False),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01), False),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, maximize=True), False),
    ("SGD", dict(lr=0.1, weight_decay=0.1, maximize=True), False),
    ("Adam", dict(lr=0.01), True),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), True),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True), True),
    ("AdamW", dict(lr=0.01), True),
    ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True), True),
    ("RMSprop", dict(lr=0.01), True),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, maximize=True), True),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9), True),
    ("Adagrad", dict(lr=0.1), True),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1,
                     maximize=True), True),
    ("Adadelta", dict(), True),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True), True),
    ("Adamax", dict(lr=0.01), False),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.9), weight_decay=0.1, maximize=True), False),
    ("ASGD", dict(lr=0.01), False),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1, maximize=True), False),
    ("Rprop", dict(lr=0.01), False),
    ("Rprop", dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05), maximize=True), False),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
       for name, kw, _ in CONFIGS]


def _data(seed, dtype=np.float32, steps=STEPS, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    # a zero and a sign flip here and there exercise Rprop's and Adamax's branches
    grads[1][0][0] = 0
    grads[2][1][:5] = -grads[1][1][:5]
    return init, grads


def _run_both(name, kw, seed=0, dtype=np.float32, steps=STEPS):
    init, grads = _data(seed, dtype, steps)
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    ep = [ember.tensor(a, requires_grad=True) for a in init]
    topt = getattr(torch.optim, name)(tp, **kw)
    eopt = getattr(optim, name)(ep, **kw)
    for gs in grads:
        for t, e, g in zip(tp, ep, gs):
            t.grad = torch.tensor(g)
            e.grad = ember.tensor(g)
        topt.step()
        eopt.step()
    return tp, ep, topt, eopt


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view({4: np.int32, 8: np.int64, 2: np.int16}[a.itemsize])


def _assert_bitwise(t, e):
    t = t.detach().numpy()
    assert t.dtype == e._data.dtype and t.shape == e._data.shape
    np.testing.assert_array_equal(_bits(t), _bits(e._data))


def _assert_close(t, e, rtol=1e-6):
    t = t.detach().numpy()
    assert t.dtype == e._data.dtype and t.shape == e._data.shape
    scale = max(1.0, float(np.abs(t).max(initial=0)))
    assert float(np.abs(t.astype(np.float64) - e._data).max(initial=0)) <= rtol * scale


def _compare(topt, eopt, tp, ep, check):
    for t, e in zip(tp, ep):
        check(t, e)
    tstate, estate = topt.state_dict(), eopt.state_dict()
    assert tstate["state"].keys() == estate["state"].keys()
    for k, ts in tstate["state"].items():
        es = estate["state"][k]
        assert list(ts.keys()) == list(es.keys())
        for key, tv in ts.items():
            ev = es[key]
            if key in ("step", "eta", "mu"):
                assert tv.dtype == getattr(torch, ev.dtype.name) and tv.item() == ev.item(), key
            else:
                check(tv, ev)


@pytest.fixture
def correctly_rounded_torch_sqrt(monkeypatch):
    """torch's Tensor.sqrt / sqrt_ replaced by NumPy's correctly rounded square root."""
    def sqrt(self):
        a = np.asarray(self.detach().numpy())
        return torch.from_numpy(np.sqrt(a, out=np.empty_like(a)))

    def sqrt_(self):
        self.copy_(sqrt(self))
        return self
    monkeypatch.setattr(torch.Tensor, "sqrt", sqrt)
    monkeypatch.setattr(torch.Tensor, "sqrt_", sqrt_)


@pytest.mark.parametrize("name,kw,uses_sqrt", CONFIGS, ids=IDS)
def test_steps_match_torch(name, kw, uses_sqrt):
    tp, ep, topt, eopt = _run_both(name, kw)
    _compare(topt, eopt, tp, ep, _assert_close if uses_sqrt else _assert_bitwise)


@pytest.mark.parametrize("name,kw,uses_sqrt", [c for c in CONFIGS if c[2]],
                         ids=[i for i, c in zip(IDS, CONFIGS) if c[2]])
def test_steps_are_bit_identical_given_the_same_sqrt(name, kw, uses_sqrt,
                                                     correctly_rounded_torch_sqrt):
    tp, ep, topt, eopt = _run_both(name, kw, seed=1)
    _compare(topt, eopt, tp, ep, _assert_bitwise)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
                                     ("Adamax", dict(lr=0.01)), ("Rprop", dict()),
                                     ("ASGD", dict(t0=2))])
def test_float64_parameters_match_torch(name, kw):
    tp, ep, topt, eopt = _run_both(name, kw, dtype=np.float64)
    _compare(topt, eopt, tp, ep, _assert_bitwise)


def test_adam_float64_within_one_part_in_1e15():
    tp, ep, topt, eopt = _run_both("Adam", dict(lr=0.1), dtype=np.float64)
    for t, e in zip(tp, ep):
        _assert_close(t, e, rtol=1e-15)


def test_sgd_update_is_one_fused_multiply_add_even_in_rare_double_rounding_cases():
    # p + (-lr) * g computed in float64 lands exactly halfway between two float32 numbers
    # while the exact value does not: a naive float64 computation rounds the wrong way here.
    p, g, lr = np.float32(1.0000709), np.float32(0.9999572), float(np.float32(5.9607196e-08))
    naive = np.float32(np.float64(p) - np.float64(g) * lr)
    t = torch.tensor([p], requires_grad=True)
    e = ember.tensor([p], requires_grad=True)
    t.grad, e.grad = torch.tensor([g]), ember.tensor([g])
    torch.optim.SGD([t], lr=lr).step()
    optim.SGD([e], lr=lr).step()
    _assert_bitwise(t, e)
    assert e._data[0] != naive


def test_parameters_without_grad_are_skipped_and_keep_no_state():
    init, grads = _data(3)
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    ep = [ember.tensor(a, requires_grad=True) for a in init]
    topt, eopt = torch.optim.Adam(tp, lr=0.1), optim.Adam(ep, lr=0.1)
    tp[0].grad, ep[0].grad = torch.tensor(grads[0][0]), ember.tensor(grads[0][0])
    topt.step()
    eopt.step()
    assert list(eopt.state_dict()["state"]) == list(topt.state_dict()["state"]) == [0]
    _assert_bitwise(tp[1], ep[1])


def test_param_groups_with_their_own_options():
    init, grads = _data(4)
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    ep = [ember.tensor(a, requires_grad=True) for a in init]
    topt = torch.optim.SGD([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.5, "momentum": 0.5}],
                           lr=0.1, momentum=0.9)
    eopt = optim.SGD([{"params": ep[:2]}, {"params": ep[2:], "lr": 0.5, "momentum": 0.5}],
                     lr=0.1, momentum=0.9)
    for gs in grads:
        for t, e, g in zip(tp, ep, gs):
            t.grad, e.grad = torch.tensor(g), ember.tensor(g)
        topt.step()
        eopt.step()
    for t, e in zip(tp, ep):
        _assert_bitwise(t, e)
    assert repr(topt) == repr(eopt)


def test_training_loop_with_autograd_matches_torch():
    rng = np.random.default_rng(5)
    w0, x0, y0 = (rng.standard_normal(s).astype(np.float32) for s in [(3,), (16, 3), (16,)])
    tw, ew = torch.tensor(w0, requires_grad=True), ember.tensor(w0, requires_grad=True)
    tx, ex = torch.tensor(x0), ember.tensor(x0)
    ty, ey = torch.tensor(y0), ember.tensor(y0)
    topt, eopt = torch.optim.SGD([tw], lr=0.05, momentum=0.9), optim.SGD([ew], lr=0.05,
                                                                          momentum=0.9)
    for _ in range(5):
        for opt, w, x, y in ((topt, tw, tx, ty), (eopt, ew, ex, ey)):
            opt.zero_grad()
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            opt.step()
    np.testing.assert_allclose(ew._data, tw.detach().numpy(), rtol=1e-6)


# -- reprs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,kw", [(n, kw) for n, kw, _ in CONFIGS] +
                         [("SGD", dict(lr=ember.tensor(0.1)))], ids=IDS + ["SGD-tensor-lr"])
def test_repr_matches_torch(name, kw):
    tkw = {k: (torch.tensor(v.item()) if isinstance(v, ember.Tensor) else v)
           for k, v in kw.items()}
    topt = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **tkw)
    eopt = getattr(optim, name)([ember.zeros(2, requires_grad=True)], **kw)
    assert repr(eopt) == repr(topt)


def test_repr_with_two_groups_and_named_parameters():
    topt = torch.optim.Adam([{"params": [("a", torch.zeros(1, requires_grad=True))]},
                             {"params": [("b", torch.zeros(1, requires_grad=True))],
                              "lr": 0.5}])
    eopt = optim.Adam([{"params": [("a", ember.zeros(1, requires_grad=True))]},
                       {"params": [("b", ember.zeros(1, requires_grad=True))], "lr": 0.5}])
    assert repr(eopt) == repr(topt)


# -- zero_grad, param groups and errors -----------------------------------------------------------

def test_zero_grad_sets_to_none_by_default_or_fills_zeros():
    w = ember.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = ember.ones(3)
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_add_param_group_fills_defaults_and_rejects_shared_parameters():
    a, b = ember.zeros(1, requires_grad=True), ember.zeros(1, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="some parameters appear in more than one"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("make,error,message", [
    (lambda o, lib: o.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda o, lib: o.SGD([lib.zeros(1, requires_grad=True)], lr=-1), ValueError,
     "Invalid learning rate: -1"),
    (lambda o, lib: o.SGD([lib.zeros(1, requires_grad=True)], lr=0.1, nesterov=True),
     ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    (lambda o, lib: o.Adam([lib.zeros(1, requires_grad=True)], betas=(1.0, 0.9)), ValueError,
     "Invalid beta parameter at index 0: 1.0"),
    (lambda o, lib: o.Rprop([lib.zeros(1, requires_grad=True)], etas=(1.5, 1.2)), ValueError,
     "Invalid eta values: 1.5, 1.2"),
    (lambda o, lib: o.SGD([{"params": [1]}], lr=0.1), TypeError,
     "optimizer can only optimize Tensors, but one of the params is int"),
    (lambda o, lib: o.SGD([{"params": {lib.zeros(1, requires_grad=True)}}], lr=0.1), TypeError,
     "optimizer parameters need to be organized in ordered collections"),
])
def test_constructor_errors_match_torch(make, error, message):
    with pytest.raises(error, match=message):
        make(torch.optim, torch)
    with pytest.raises(error, match=message):
        make(optim, ember)


def test_a_single_tensor_instead_of_a_list_is_refused_as_in_torch():
    with pytest.raises(TypeError, match="but got torch.FloatTensor"):
        optim.SGD(ember.zeros(2, requires_grad=True), lr=0.1)


def test_non_leaf_tensors_are_refused():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)


def test_step_runs_without_recording_and_closure_with():
    w = ember.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    seen = {}

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        seen["records"] = loss.requires_grad
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert seen["records"] and loss.item() == 2.0
    assert w.tolist() == pytest.approx([0.8, 0.8])
    assert w.grad_fn is None and w.requires_grad


def test_step_hooks_run_before_and_after():
    w = ember.ones(1, requires_grad=True)
    w.grad = ember.ones(1)
    opt = optim.SGD([w], lr=0.5)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", w.item())))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", w.item())))
    opt.step()
    h1.remove()
    opt.step()
    assert calls == [("pre", 1.0), ("post", 0.5), ("post", 0.0)]


def test_step_bumps_the_parameter_version_like_an_in_place_op():
    w = ember.ones(2, requires_grad=True)
    w.grad = ember.ones(2)
    before = w._version
    optim.SGD([w], lr=0.1).step()
    assert w._version == before + 1


# -- state dicts ------------------------------------------------------------------------------

def _plain(obj):
    """A state dict with tensors replaced by their values, for comparing ember with torch."""
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        return ("tensor", str(obj.dtype), np.asarray(obj.detach().numpy()).tolist())
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adam", dict(lr=0.01, amsgrad=True)),
                                     ("AdamW", dict()), ("RMSprop", dict(centered=True,
                                                                         momentum=0.5)),
                                     ("Adagrad", dict()), ("Adadelta", dict()),
                                     ("Adamax", dict()), ("ASGD", dict()), ("Rprop", dict())])
def test_state_dict_layout_matches_torch(name, kw, correctly_rounded_torch_sqrt):
    tp, ep, topt, eopt = _run_both(name, kw, steps=3)
    assert _plain(eopt.state_dict()) == _plain(topt.state_dict())


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adam", dict(lr=0.01)), ("Rprop", dict()),
                                     ("ASGD", dict(t0=1))])
def test_state_dict_round_trip_continues_training_identically(name, kw):
    init, grads = _data(7, steps=6)
    ep = [ember.tensor(a, requires_grad=True) for a in init]
    opt = getattr(optim, name)(ep, **kw)
    for gs in grads[:3]:
        for e, g in zip(ep, gs):
            e.grad = ember.tensor(g)
        opt.step()
    saved_params = [e.detach().clone() for e in ep]
    saved_state = copy.deepcopy(opt.state_dict())
    for gs in grads[3:]:
        for e, g in zip(ep, gs):
            e.grad = ember.tensor(g)
        opt.step()

    fresh = [ember.tensor(p._data.copy(), requires_grad=True) for p in saved_params]
    opt2 = getattr(optim, name)(fresh, **kw)
    opt2.load_state_dict(saved_state)
    for gs in grads[3:]:
        for e, g in zip(fresh, gs):
            e.grad = ember.tensor(g)
        opt2.step()
    for a, b in zip(ep, fresh):
        np.testing.assert_array_equal(a._data, b._data)


def test_load_state_dict_checks_group_sizes():
    opt = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    other = optim.SGD([ember.zeros(1, requires_grad=True), ember.zeros(1, requires_grad=True)],
                      lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(other.state_dict())


def test_deepcopy_of_an_optimizer():
    w = ember.ones(2, requires_grad=True)
    opt = optim.Adam([w])
    w.grad = ember.ones(2)
    opt.step()
    clone = copy.deepcopy(opt)
    assert repr(clone) == repr(opt)


# -- learning-rate schedulers ---------------------------------------------------------------------

def _lr_sequences(make, steps=25, metrics=None, opt_name="SGD", opt_kw=None, groups=2,
                  extra_keys=()):
    out = []
    for lib, o in ((torch, torch.optim), (ember, optim)):
        params = [{"params": [lib.zeros(1, requires_grad=True)], "lr": 0.1 * (i + 1)}
                  for i in range(groups)]
        opt = getattr(o, opt_name)(params, **(opt_kw or {"lr": 0.1, "momentum": 0.9}))
        sched = make(o.lr_scheduler, opt)
        seq = [list(sched.get_last_lr())]
        extra = [[tuple(g[k]) if isinstance(g[k], tuple) else g[k] for g in opt.param_groups
                  for k in extra_keys]]
        for i in range(steps):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
            seq.append(list(sched.get_last_lr()))
            extra.append([tuple(g[k]) if isinstance(g[k], tuple) else g[k]
                          for g in opt.param_groups for k in extra_keys])
        out.append((seq, extra, sched))
    return out


SCHEDULERS = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda e: 1 / (1 + e)),
    "LambdaLR-per-group": lambda s, o: s.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: e + 1]),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda e: 0.95),
    "ConstantLR": lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=6),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=26),
    "OneCycleLR-linear-3phase": lambda s, o: s.OneCycleLR(
        o, max_lr=1.0, epochs=2, steps_per_epoch=13, anneal_strategy="linear", three_phase=True,
        pct_start=0.25),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_lr_sequence_matches_torch(name):
    keys = ("momentum",) if name.startswith("OneCycle") else ()
    (tseq, textra, _), (eseq, eextra, _) = _lr_sequences(SCHEDULERS[name], extra_keys=keys)
    assert eseq == tseq
    assert eextra == textra


def test_one_cycle_cycles_adams_beta1():
    (tseq, textra, _), (eseq, eextra, _) = _lr_sequences(
        lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=25), opt_name="Adam",
        opt_kw={"lr": 0.1}, extra_keys=("betas",))
    assert eseq == tseq and eextra == textra


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.91, 0.92, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.7, 0.8, 0.9,
               1.0, 1.1, 1.2, 1.3, 1.4]
    for kw in (dict(patience=2), dict(mode="max", factor=0.5, patience=1, threshold=0.01,
                                      threshold_mode="abs", cooldown=2, min_lr=[0.01, 0.02])):
        (tseq, _, _), (eseq, _, _) = _lr_sequences(
            lambda s, o: s.ReduceLROnPlateau(o, **kw), steps=len(metrics), metrics=metrics)
        assert eseq == tseq


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "LambdaLR"])
def test_scheduler_state_dict_matches_torch_and_round_trips(name):
    (_, _, tsched), (_, _, esched) = _lr_sequences(SCHEDULERS[name], steps=5)
    tsd, esd = tsched.state_dict(), esched.state_dict()
    assert sorted(esd) == sorted(tsd)
    for key in tsd:
        if key != "lr_lambdas":
            assert esd[key] == tsd[key], key
    # loading it into a fresh scheduler resumes the schedule
    opt = optim.SGD([{"params": [ember.zeros(1, requires_grad=True)], "lr": 0.1 * (i + 1)}
                     for i in range(2)], lr=0.1, momentum=0.9)
    fresh = SCHEDULERS[name](lr_scheduler, opt)
    fresh.load_state_dict(copy.deepcopy(esd))
    assert fresh.get_last_lr() == esched.get_last_lr()
    assert fresh.last_epoch == esched.last_epoch


def test_scheduler_step_before_optimizer_step_warns_as_torch():
    opt = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before"):
        sched.step()
    opt2 = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    sched2 = lr_scheduler.StepLR(opt2, step_size=1)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_schedulers_drive_the_optimizer_lr():
    w = ember.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    lrs = []
    for _ in range(4):
        w.grad = ember.ones(1)
        opt.step()
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    assert lrs[0] == 1.0 and math.isclose(lrs[2], 0.5)
    assert w.item() == pytest.approx(-sum(lrs))

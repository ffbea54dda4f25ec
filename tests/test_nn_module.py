"""nn.Module, nn.Parameter and the containers against PyTorch: registration, traversal order,
state dicts (keys, order, values, metadata, load errors), modes, hooks, conversions and reprs.

Most tests build the same model twice, once from `torch.nn` and once from `ember.nn`, with
one builder function, and compare what both report.
"""
import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
import torch.nn as tnn  # noqa: E402

LIBS = {"ember": (ember, enn), "torch": (torch, tnn)}


def both(builder):
    """`builder(lib, nn)` run for ember and for torch."""
    return builder(ember, enn), builder(torch, tnn)


def copy_weights(e_model, t_model):
    """Load torch's parameters and buffers into the ember model (same architecture)."""
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy())
                             for k, v in t_model.state_dict().items()})


def error_of(fn):
    """The exception `fn` raises, as (type, message); ember's module paths read as torch's."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the point is to capture it
        return type(e), str(e).replace("'ember.", "'torch.")
    return None, None


def assert_same_error(fe, ft):
    e, t = error_of(fe), error_of(ft)
    assert t[0] is not None, "torch did not raise"
    assert e == t, f"ember raised {e}, torch {t}"


# -- models used throughout -----------------------------------------------------------------------


def mlp(lib, nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 3))


def nested(lib, nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.act = nn.Tanh()
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.ones(2), persistent=False)

        def forward(self, x):
            return self.act(self.fc(x))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 3, padding_idx=0)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.heads = nn.ModuleDict({"cls": nn.Linear(3, 2), "reg": nn.Linear(3, 1, bias=False)})
            self.scale = nn.Parameter(lib.ones(1))
            self.seq = nn.Sequential(OrderedDict([("flat", nn.Flatten()),
                                                  ("lin", nn.Linear(6, 2))]))

        def forward(self, idx):
            x = self.embed(idx)
            for block in self.blocks:
                x = block(x)
            return self.heads["cls"](x) * self.scale

    return Net()


# -- Parameter ------------------------------------------------------------------------------------


def test_parameter_repr_and_flags():
    e = enn.Parameter(ember.tensor([[1.0, 2.0], [3.0, 4.5]]))
    t = tnn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.5]]))
    assert repr(e) == repr(t)
    assert str(e) == str(t)
    assert e.requires_grad and e.is_leaf and isinstance(e, ember.Tensor)
    e2 = enn.Parameter(ember.tensor([1.0]), requires_grad=False)
    t2 = tnn.Parameter(torch.tensor([1.0]), requires_grad=False)
    assert repr(e2) == repr(t2)
    assert repr(enn.Parameter()) == repr(tnn.Parameter())
    assert repr(enn.Parameter(ember.tensor([1, 2]), requires_grad=False)) == \
        repr(tnn.Parameter(torch.tensor([1, 2]), requires_grad=False))


def test_parameter_shares_storage_and_refuses_integers():
    data = ember.tensor([1.0, 2.0])
    p = enn.Parameter(data)
    with ember.no_grad():
        p.mul_(2)
    assert data.tolist() == [2.0, 4.0]
    assert_same_error(lambda: enn.Parameter(ember.tensor([1, 2])),
                      lambda: tnn.Parameter(torch.tensor([1, 2])))
    # a parameter made from a computed tensor is a fresh leaf
    x = ember.tensor([1.0], requires_grad=True)
    q = enn.Parameter(x * 2)
    assert q.is_leaf and q.grad_fn is None


def test_parameter_ops_give_plain_tensors_and_grads_flow():
    p = enn.Parameter(ember.tensor([1.0, 2.0]))
    y = p * 3
    assert type(y) is ember.Tensor
    y.sum().backward()
    assert p.grad.tolist() == [3.0, 3.0]
    assert type(p.detach()) is ember.Tensor
    assert type(p.data) is ember.Tensor


def test_parameter_deepcopy_and_pickle():
    p = enn.Parameter(ember.tensor([1.0, 2.0]), requires_grad=False)
    q = copy.deepcopy(p)
    assert isinstance(q, enn.Parameter) and q.requires_grad is False
    assert q.tolist() == [1.0, 2.0] and q.data_ptr() != p.data_ptr()
    r = pickle.loads(pickle.dumps(enn.Parameter(ember.tensor([3.0]))))
    assert isinstance(r, enn.Parameter) and r.requires_grad and r.tolist() == [3.0]


def test_buffer_class():
    e, t = enn.Module(), tnn.Module()
    e.b = enn.Buffer(ember.zeros(2), persistent=False)
    t.b = tnn.Buffer(torch.zeros(2), persistent=False)
    e.c = enn.Buffer(ember.ones(1))
    t.c = tnn.Buffer(torch.ones(1))
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(e.state_dict()) == list(t.state_dict()) == ["c"]
    assert isinstance(e.b, enn.Buffer) and not isinstance(ember.zeros(1), enn.Buffer)


# -- registration ---------------------------------------------------------------------------------


def test_registration_by_attribute():
    e, t = both(nested)
    for method in ("named_parameters", "named_buffers", "named_children", "named_modules"):
        assert [n for n, _ in getattr(e, method)()] == [n for n, _ in getattr(t, method)()], method
    assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert len(list(e.buffers())) == len(list(t.buffers()))
    assert len(list(e.children())) == len(list(t.children()))
    assert [type(m).__name__ for m in e.modules()] == [type(m).__name__ for m in t.modules()]


@pytest.mark.parametrize("kwargs", [dict(prefix="model"), dict(recurse=False),
                                    dict(prefix="m", recurse=True)])
def test_named_parameters_arguments(kwargs):
    e, t = both(nested)
    assert [n for n, _ in e.named_parameters(**kwargs)] == \
        [n for n, _ in t.named_parameters(**kwargs)]
    assert [n for n, _ in e.named_buffers(**kwargs)] == [n for n, _ in t.named_buffers(**kwargs)]


def test_shared_parameters_and_modules_are_listed_once():
    def shared(lib, nn):
        lin = nn.Linear(2, 2)
        return nn.Sequential(lin, nn.ReLU(), lin)
    e, t = both(shared)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in t.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_modules(remove_duplicate=False)] == \
        [n for n, _ in t.named_modules(remove_duplicate=False)]
    assert list(e.state_dict()) == list(t.state_dict())


def test_reassigning_and_deleting_attributes():
    def build(lib, nn):
        m = nn.Module()
        m.a = nn.Parameter(lib.zeros(1))
        m.b = nn.Linear(1, 1)
        m.register_buffer("c", lib.zeros(1))
        m.a = None                       # a parameter slot may hold None
        m.b = nn.Identity()              # replace a module
        m.c = lib.ones(2)                # a tensor assigned to a buffer name stays a buffer
        m.d = lib.ones(1)                # a plain tensor attribute is not registered
        m.e = nn.Parameter(lib.ones(1))
        del m.e
        m.plain = 3
        return m
    e, t = both(build)
    for method in ("named_parameters", "named_buffers", "named_children"):
        assert [n for n, _ in getattr(e, method)()] == [n for n, _ in getattr(t, method)()]
    assert e.a is None and e.c.tolist() == [1.0, 1.0] and e.plain == 3
    assert list(e.state_dict()) == list(t.state_dict())
    assert_same_error(lambda: e.missing, lambda: t.missing)
    assert_same_error(lambda: delattr(e, "e"), lambda: delattr(t, "e"))


def test_registration_errors():
    e, t = enn.Linear(2, 2), tnn.Linear(2, 2)
    assert_same_error(lambda: setattr(e, "weight", ember.zeros(2, 2)),
                      lambda: setattr(t, "weight", torch.zeros(2, 2)))
    assert_same_error(lambda: e.register_buffer("weight", ember.zeros(1)),
                      lambda: t.register_buffer("weight", torch.zeros(1)))
    assert_same_error(lambda: e.register_buffer("a.b", ember.zeros(1)),
                      lambda: t.register_buffer("a.b", torch.zeros(1)))
    assert_same_error(lambda: e.register_buffer("", ember.zeros(1)),
                      lambda: t.register_buffer("", torch.zeros(1)))
    assert_same_error(lambda: e.register_buffer("x", 3), lambda: t.register_buffer("x", 3))
    assert_same_error(lambda: e.register_parameter("x", ember.zeros(1)),
                      lambda: t.register_parameter("x", torch.zeros(1)))
    assert_same_error(lambda: e.register_parameter("a.b", None),
                      lambda: t.register_parameter("a.b", None))
    assert_same_error(lambda: e.add_module("x", 3), lambda: t.add_module("x", 3))
    assert_same_error(lambda: e.add_module("weight", enn.ReLU()),
                      lambda: t.add_module("weight", tnn.ReLU()))
    assert_same_error(lambda: e.add_module("a.b", enn.ReLU()),
                      lambda: t.add_module("a.b", tnn.ReLU()))
    s_e, s_t = enn.Sequential(enn.ReLU()), tnn.Sequential(tnn.ReLU())
    assert_same_error(lambda: setattr(s_e, "0", 3), lambda: setattr(s_t, "0", 3))


def test_assignment_before_init():
    class Bad(enn.Module):
        def __init__(self):
            self.w = enn.Parameter(ember.zeros(1))

    class BadT(tnn.Module):
        def __init__(self):
            self.w = tnn.Parameter(torch.zeros(1))
    assert_same_error(Bad, BadT)

    class BadM(enn.Module):
        def __init__(self):
            self.m = enn.ReLU()

    class BadMT(tnn.Module):
        def __init__(self):
            self.m = tnn.ReLU()
    assert_same_error(BadM, BadMT)


def test_missing_forward_and_init_arguments():
    assert_same_error(lambda: enn.Module()(ember.zeros(1)), lambda: tnn.Module()(torch.zeros(1)))
    assert_same_error(lambda: enn.Module(3), lambda: tnn.Module(3))
    assert_same_error(lambda: enn.Module(x=3), lambda: tnn.Module(x=3))


def test_get_submodule_parameter_buffer():
    e, t = both(nested)
    assert type(e.get_submodule("blocks.1.fc")).__name__ == "Linear"
    assert e.get_parameter("blocks.0.fc.weight") is e.blocks[0].fc.weight
    assert e.get_buffer("blocks.1.steps") is e.blocks[1].steps
    assert e.get_submodule("") is e
    for getter, target in [("get_submodule", "blocks.7"), ("get_submodule", "scale.x"),
                           ("get_parameter", "blocks.0.steps"), ("get_parameter", "nope"),
                           ("get_buffer", "blocks.0.fc.weight"), ("get_buffer", "nope")]:
        assert_same_error(lambda: getattr(e, getter)(target),
                          lambda: getattr(t, getter)(target))


def test_dir_lists_registered_names():
    e = enn.Linear(2, 2)
    assert "weight" in dir(e) and "bias" in dir(e) and "forward" in dir(e)
    s = enn.Sequential(enn.ReLU())
    assert "0" not in dir(s)


# -- state dict -----------------------------------------------------------------------------------


def test_state_dict_keys_order_metadata_and_values():
    e, t = both(nested)
    copy_weights(e, t)
    se, st = e.state_dict(), t.state_dict()
    assert type(se) is OrderedDict
    assert list(se) == list(st)
    assert se._metadata == st._metadata
    for k in st:
        assert se[k].tolist() == st[k].tolist(), k
        assert not se[k].requires_grad and type(se[k]) is ember.Tensor
    # the values share storage with the parameters
    with ember.no_grad():
        e.scale.fill_(7.0)
    assert se["scale"].tolist() == [7.0]


def test_state_dict_keep_vars_prefix_and_destination():
    e, t = both(mlp)
    se = e.state_dict(keep_vars=True)
    assert isinstance(se["0.weight"], enn.Parameter) and se["0.weight"] is e[0].weight
    assert list(e.state_dict(prefix="model.")) == list(t.state_dict(prefix="model."))
    dest = OrderedDict()
    assert e.state_dict(destination=dest) is dest
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        e.state_dict(OrderedDict(), "p.")
    assert any(issubclass(x.category, FutureWarning) for x in w)


def test_load_state_dict_round_trip_and_result():
    e, t = both(nested)
    copy_weights(e, t)
    e2 = nested(ember, enn)
    result = e2.load_state_dict(e.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in e.state_dict().items():
        assert e2.state_dict()[k].tolist() == v.tolist()
    # loading copies values: the parameters are the same objects as before
    before = e2.blocks[0].fc.weight
    e2.load_state_dict(e.state_dict())
    assert e2.blocks[0].fc.weight is before


def _converted(state):
    return OrderedDict((k, ember.tensor(v.detach().numpy())) for k, v in state.items())


def test_load_state_dict_errors_match_torch():
    e, t = both(nested)
    st = t.state_dict()
    bad = OrderedDict(st)
    del bad["blocks.0.fc.bias"]
    del bad["scale"]
    bad["blocks.0.extra"] = torch.zeros(1)
    bad["unknown.weight"] = torch.zeros(1)
    bad["heads.cls.weight"] = torch.zeros(5, 5)
    assert_same_error(lambda: e.load_state_dict(_converted(bad)), lambda: t.load_state_dict(bad))
    # non-strict: the same key lists, still an error for the shape mismatch
    del bad["heads.cls.weight"]
    re_, rt = e.load_state_dict(_converted(bad), strict=False), t.load_state_dict(bad,
                                                                                 strict=False)
    assert re_.missing_keys == rt.missing_keys
    assert re_.unexpected_keys == rt.unexpected_keys
    assert repr(re_) == repr(rt)
    # a value that is not a tensor
    bad2 = OrderedDict(st)
    bad2["scale"] = 3.0
    e_bad = _converted(st)
    e_bad["scale"] = 3.0
    assert_same_error(lambda: e.load_state_dict(e_bad), lambda: t.load_state_dict(bad2))
    assert_same_error(lambda: e.load_state_dict([1, 2]), lambda: t.load_state_dict([1, 2]))


def test_load_state_dict_assign_and_dtype_cast():
    e = enn.Linear(2, 2)
    new = {"weight": ember.ones(2, 2, dtype=ember.float64), "bias": ember.zeros(2)}
    e.load_state_dict(new)                     # copy_: cast into float32 storage
    assert e.weight.dtype == ember.float32 and e.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    e.load_state_dict(new, assign=True)        # assign: take the given tensors
    assert e.weight.dtype == ember.float64 and isinstance(e.weight, enn.Parameter)
    assert e.weight.requires_grad


def test_state_dict_hooks():
    e = enn.Linear(2, 2)
    calls = []
    h1 = e.register_state_dict_pre_hook(lambda m, prefix, keep_vars: calls.append("pre"))
    h2 = e.register_state_dict_post_hook(lambda m, sd, prefix, meta: calls.append("post"))
    h3 = e.register_load_state_dict_post_hook(lambda m, keys: calls.append("load"))
    e.load_state_dict(e.state_dict())
    assert calls == ["pre", "post", "load"]
    for h in (h1, h2, h3):
        h.remove()
    e.load_state_dict(e.state_dict())
    assert calls == ["pre", "post", "load"]


# -- modes, gradients, apply ----------------------------------------------------------------------


def test_train_eval_propagate():
    e, t = both(nested)
    assert e.training
    e.eval()
    t.eval()
    assert [m.training for m in e.modules()] == [m.training for m in t.modules()]
    assert e.train() is e
    assert all(m.training for m in e.modules())
    e.blocks.train(False)
    assert not e.blocks[1].fc.training and e.heads.training
    assert_same_error(lambda: e.train("yes"), lambda: t.train("yes"))


def test_zero_grad_and_requires_grad():
    e = enn.Linear(3, 2)
    e(ember.ones(4, 3)).sum().backward()
    e.zero_grad(set_to_none=False)
    assert e.weight.grad.tolist() == [[0.0] * 3] * 2
    e.zero_grad()
    assert e.weight.grad is None and e.bias.grad is None
    assert e.requires_grad_(False) is e
    assert not any(p.requires_grad for p in e.parameters())
    assert not e(ember.ones(1, 3)).requires_grad


def test_apply_visits_children_first():
    e, t = both(nested)
    seen_e, seen_t = [], []
    e.apply(lambda m: seen_e.append(type(m).__name__))
    t.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_e == seen_t


# -- conversions ----------------------------------------------------------------------------------


def test_to_dtype_keeps_parameter_objects():
    e = enn.Linear(3, 2)
    e.register_buffer("count", ember.zeros(1, dtype=ember.int64))
    weight = e.weight
    e(ember.ones(1, 3)).sum().backward()
    assert e.double() is e
    assert e.weight is weight and e.weight.dtype == ember.float64
    assert e.weight.grad.dtype == ember.float64
    assert e.count.dtype == ember.int64                   # integer buffers keep their dtype
    assert e(ember.ones(1, 3, dtype=ember.float64)).dtype == ember.float64
    e.float()
    assert e.weight.dtype == ember.float32
    e.to(ember.float64)
    assert e.bias.dtype == ember.float64
    e.to(dtype=ember.float32)
    assert e.bias.dtype == ember.float32
    e.to(ember.zeros(1, dtype=ember.float64))
    assert e.weight.dtype == ember.float64
    e.half()
    assert e.weight.dtype == ember.float16
    assert e.to("cpu") is e and e.cpu() is e
    assert_same_error(lambda: e.to(ember.int64), lambda: tnn.Linear(2, 2).to(torch.int64))
    with pytest.raises(AssertionError, match="CUDA"):
        e.cuda()


# -- calling and hooks ----------------------------------------------------------------------------


def _hook_log(lib, nn):
    log = []
    m = nn.Linear(2, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre1", len(args))))
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    m.register_forward_pre_hook(lambda mod, args: log.append("pre0"), prepend=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("post", tuple(out.shape))))
    m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", sorted(kwargs))),
                            with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
    return m, log, h1


def test_forward_hooks_order_and_effects():
    (em, elog, eh), (tm, tlog, th) = both(_hook_log)
    copy_weights(em, tm)
    x = np.array([[1.0, -2.0]], np.float32)
    ye, yt = em(ember.tensor(x)), tm(torch.tensor(x))
    assert elog == tlog
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    eh.remove()
    th.remove()
    eh.remove()                                   # removing twice is harmless
    em(ember.tensor(x))
    tm(torch.tensor(x))
    assert elog == tlog


def test_forward_pre_hook_with_kwargs_and_context_manager():
    class Scale(enn.Module):
        def forward(self, x, factor=1.0):
            return x * factor
    m = Scale()
    h = m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                    with_kwargs=True)
    assert m(ember.tensor([1.0])).tolist() == [3.0]
    h.remove()
    assert m(ember.tensor([1.0])).tolist() == [1.0]
    with m.register_forward_hook(lambda mod, args, out: out * 10):
        assert m(ember.tensor([1.0])).tolist() == [10.0]
    assert m(ember.tensor([1.0])).tolist() == [1.0]
    bad = m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m(ember.tensor([1.0]))
    bad.remove()


def test_always_call_hook_runs_when_forward_fails():
    class Broken(enn.Module):
        def forward(self, x):
            raise ValueError("boom")
    m = Broken()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(ember.zeros(1))
    assert seen == [None]


def test_global_forward_hooks():
    seen = []
    from ember.nn.modules.module import (register_module_forward_hook,
                                         register_module_forward_pre_hook)
    h1 = register_module_forward_pre_hook(
        lambda mod, args: seen.append(("pre", type(mod).__name__)))
    h2 = register_module_forward_hook(
        lambda mod, args, out: seen.append(("post", type(mod).__name__)))
    try:
        enn.Sequential(enn.ReLU())(ember.zeros(1))
    finally:
        h1.remove()
        h2.remove()
    assert seen == [("pre", "Sequential"), ("pre", "ReLU"), ("post", "ReLU"),
                    ("post", "Sequential")]
    enn.ReLU()(ember.zeros(1))
    assert len(seen) == 4


# -- reprs ----------------------------------------------------------------------------------------


def test_reprs_of_nested_models_match_torch():
    for builder in (mlp, nested):
        e, t = both(builder)
        assert repr(e) == repr(t), f"\n{e!r}\n---\n{t!r}"
        assert str(e) == str(t)


def test_repr_of_custom_extra_repr_and_module_list_compression():
    def build(lib, nn):
        class Custom(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = nn.Linear(1, 1)

            def extra_repr(self):
                return "first line\nsecond line"

        class OneLine(nn.Module):
            def extra_repr(self):
                return "k=3"

        return nn.Sequential(
            Custom(), OneLine(), nn.Module(),
            nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(),
                                                                 nn.Linear(2, 2)]),
            nn.ModuleList(), nn.ModuleDict({"a": nn.Tanh()}), nn.Sequential(),
            nn.ModuleList([nn.Sequential(nn.Linear(1, 1), nn.ReLU()) for _ in range(2)]))
    e, t = both(build)
    assert repr(e) == repr(t), f"\n{e!r}\n---\n{t!r}"


def test_parameter_list_and_dict_reprs():
    def build(lib, nn):
        m = nn.Module()
        m.plist = nn.ParameterList([nn.Parameter(lib.zeros(2, 3)), lib.ones(4),
                                    nn.Parameter(lib.zeros(1, dtype=lib.float64))])
        m.pdict = nn.ParameterDict({"b": nn.Parameter(lib.zeros(2)), "a": lib.ones(3, 1)})
        m.single = nn.ParameterList([nn.Parameter(lib.zeros(2))])
        m.empty = nn.ParameterList()
        return m
    e, t = both(build)
    assert repr(e) == repr(t), f"\n{e!r}\n---\n{t!r}"
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]


# -- containers -----------------------------------------------------------------------------------


def _names(module):
    return list(module._modules)


def test_sequential_indexing_and_editing():
    e, t = both(lambda lib, nn: nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3),
                                              nn.Tanh()))
    assert type(e[1]).__name__ == "ReLU" and type(e[-1]).__name__ == "Tanh"
    assert repr(e[1:3]) == repr(t[1:3]) and isinstance(e[1:3], enn.Sequential)
    assert repr(e[::-2]) == repr(t[::-2])
    assert len(e) == 4
    assert_same_error(lambda: e[4], lambda: t[4])
    assert_same_error(lambda: e[-5], lambda: t[-5])
    e.append(enn.Sigmoid())
    t.append(tnn.Sigmoid())
    e.insert(1, enn.Identity())
    t.insert(1, tnn.Identity())
    e.extend([enn.ReLU6()])
    t.extend([tnn.ReLU6()])
    e[0] = enn.Linear(1, 5)
    t[0] = tnn.Linear(1, 5)
    del e[2]
    del t[2]
    del e[-2:]
    del t[-2:]
    assert repr(e) == repr(t) and _names(e) == _names(t)
    assert type(e.pop(0)).__name__ == "Linear"
    t.pop(0)
    assert repr(e) == repr(t)
    assert [type(m).__name__ for m in e] == [type(m).__name__ for m in t]
    assert repr(e + e) == repr(t + t)
    assert repr(e * 2) == repr(t * 2) and repr(2 * e) == repr(2 * t)
    e += enn.Sequential(enn.ReLU())
    t += tnn.Sequential(tnn.ReLU())
    assert repr(e) == repr(t)
    assert_same_error(lambda: e + 3, lambda: t + 3)
    assert_same_error(lambda: e * 0, lambda: t * 0)
    assert_same_error(lambda: e.insert(9, enn.ReLU()), lambda: t.insert(9, tnn.ReLU()))


def test_sequential_forward_and_ordered_dict():
    e, t = both(lambda lib, nn: nn.Sequential(OrderedDict([("fc", nn.Linear(3, 2)),
                                                           ("act", nn.Sigmoid())])))
    copy_weights(e, t)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    assert repr(e) == repr(t) and type(e.fc).__name__ == "Linear"


def test_module_list_operations():
    e, t = both(lambda lib, nn: nn.ModuleList([nn.ReLU(), nn.Tanh()]))
    e.append(enn.Sigmoid())
    t.append(tnn.Sigmoid())
    e.extend([enn.Identity()])
    t.extend([tnn.Identity()])
    e.insert(0, enn.ELU())
    t.insert(0, tnn.ELU())
    e += [enn.ReLU()]
    t += [tnn.ReLU()]
    e[1] = enn.GELU()
    t[1] = tnn.GELU()
    del e[2]
    del t[2]
    assert repr(e) == repr(t) and _names(e) == _names(t)
    assert repr(e[1:3]) == repr(t[1:3]) and isinstance(e[1:3], enn.ModuleList)
    assert repr(e + e) == repr(t + t)
    assert len(e) == len(t) and type(e[-1]).__name__ == "ReLU"
    assert type(e.pop(1)).__name__ == type(t.pop(1)).__name__
    assert repr(e) == repr(t)
    assert_same_error(lambda: e[10], lambda: t[10])
    assert_same_error(lambda: e.extend(3), lambda: t.extend(3))
    with pytest.raises(NotImplementedError):
        e(ember.zeros(1))


def test_module_dict_operations():
    e, t = both(lambda lib, nn: nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()}))
    e["c"] = enn.Sigmoid()
    t["c"] = tnn.Sigmoid()
    e.update([("d", enn.Identity())])
    t.update([("d", tnn.Identity())])
    assert list(e.keys()) == list(t.keys()) and list(e) == list(t)
    assert "a" in e and "z" not in e and len(e) == len(t)
    del e["b"]
    del t["b"]
    assert type(e.pop("c")).__name__ == "Sigmoid"
    t.pop("c")
    assert repr(e) == repr(t)
    assert [type(v).__name__ for v in e.values()] == [type(v).__name__ for v in t.values()]
    assert [k for k, _ in e.items()] == [k for k, _ in t.items()]
    assert_same_error(lambda: e.update([("x",)]), lambda: t.update([("x",)]))
    assert_same_error(lambda: e.update(3), lambda: t.update(3))
    e.clear()
    assert len(e) == 0


def test_parameter_list_and_dict_operations():
    pl = enn.ParameterList([ember.zeros(2)])
    assert isinstance(pl[0], enn.Parameter)
    pl.append(enn.Parameter(ember.ones(1)))
    pl.extend([ember.ones(3)])
    assert len(pl) == 3 and [tuple(p.shape) for p in pl] == [(2,), (1,), (3,)]
    assert len(pl[1:]) == 2 and isinstance(pl[1:], enn.ParameterList)
    pl[0] = ember.ones(5)
    assert isinstance(pl[0], enn.Parameter) and pl[-3].shape == (5,)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl()
    with pytest.raises(TypeError):
        pl.extend(ember.ones(2))
    pd = enn.ParameterDict({"w": ember.zeros(2)})
    pd["b"] = enn.Parameter(ember.ones(1))
    assert isinstance(pd["w"], enn.Parameter) and list(pd) == ["w", "b"] and "b" in pd
    assert pd.get("zz") is None and len(pd) == 2
    assert list(pd.keys()) == ["w", "b"] and [k for k, _ in pd.items()] == ["w", "b"]
    assert pd.pop("w").shape == (2,) and list(pd) == ["b"]
    pd.setdefault("c", ember.zeros(1))
    k, v = pd.popitem()
    assert k == "c"
    merged = pd | enn.ParameterDict({"z": ember.zeros(1)})
    assert list(merged) == ["b", "z"]
    pd.clear()
    assert len(pd) == 0
    with pytest.raises(TypeError, match="cannot be used as a key"):
        pd[1] = ember.zeros(1)
    # plain dicts are added in sorted key order, as in PyTorch
    e = enn.ParameterDict({"b": ember.zeros(1), "a": ember.zeros(1)})
    t = tnn.ParameterDict({"b": torch.zeros(1), "a": torch.zeros(1)})
    assert list(e) == list(t)


# -- copying and pickling whole models ------------------------------------------------------------


def test_deepcopy_and_pickle_of_a_model():
    e = nested(ember, enn)
    c = copy.deepcopy(e)
    assert repr(c) == repr(e)
    assert c.blocks[0].fc.weight is not e.blocks[0].fc.weight
    assert c.blocks[0].fc.weight.tolist() == e.blocks[0].fc.weight.tolist()
    with ember.no_grad():
        c.scale.fill_(5.0)
    assert e.scale.tolist() == [1.0]
    m = mlp(ember, enn)
    p = pickle.loads(pickle.dumps(m))
    assert list(p.state_dict()) == list(m.state_dict()) and repr(p) == repr(m)
    assert isinstance(p[0].weight, enn.Parameter)
    assert p[0].weight.tolist() == m[0].weight.tolist()


def test_module_never_imports_torch():
    import sys
    import subprocess
    code = ("import sys, ember.nn, ember.nn.functional, ember.nn.init, ember.nn.utils; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0

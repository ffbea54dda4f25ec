"""Module backward hooks against PyTorch: `register_full_backward_hook`,
`register_full_backward_pre_hook`, the old-style `register_backward_hook`, and the global
`register_module_*backward*` functions.

Each test runs the same model, inputs and hooks under both libraries and compares what the hooks
received (which entries are None, shapes, values), the gradients that reach `.grad` (also when
a hook returns replacements), node names, and PyTorch's errors and warnings.
"""
import importlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

LIBS = (ember, torch)


def module_mod(lib):
    """`torch.nn.modules.module` / `ember.nn.modules.module` (home of the global hooks)."""
    return importlib.import_module(lib.__name__ + ".nn.modules.module")


def arr(t):
    return None if t is None else t.detach().numpy().copy()


def same(a, b):
    """Two (nested) tuples of arrays/None: same structure, None-ness, dtype and shape, and
    values equal up to float32 rounding (matrix products are summed in different orders by
    PyTorch's MKL and NumPy's OpenBLAS)."""
    assert (a is None) == (b is None), (a, b)
    if a is None:
        return
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            same(x, y)
        return
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def record_grads(grads):
    return tuple(arr(g) for g in grads)


def data(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def linear(lib, n_in=3, n_out=2):
    """A Linear layer with the same weights under both libraries."""
    m = lib.nn.Linear(n_in, n_out)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(data(1, n_out, n_in)))
        m.bias.copy_(lib.tensor(data(2, n_out)))
    return m


# -- what the hooks receive ----------------------------------------------------------------------


def run_linear_with_hooks(lib):
    m = linear(lib)
    seen = []
    m.register_full_backward_pre_hook(
        lambda mod, gout: seen.append(("pre", mod is m, record_grads(gout))))
    m.register_full_backward_hook(
        lambda mod, gin, gout: seen.append(("full", mod is m, record_grads(gin),
                                            record_grads(gout))))
    x = lib.tensor(data(3, 4, 3), requires_grad=True)
    y = m(x)
    (y * lib.tensor(data(4, 4, 2))).sum().backward()
    return seen, y.grad_fn.name(), arr(x.grad), arr(m.weight.grad)


def test_full_hooks_see_input_and_output_gradients_like_torch():
    (e_seen, e_name, e_xg, e_wg), (t_seen, t_name, t_xg, t_wg) = map(run_linear_with_hooks, LIBS)
    assert e_name == t_name == "BackwardHookFunctionBackward"
    assert [s[0] for s in e_seen] == [s[0] for s in t_seen] == ["pre", "full"]
    for e, t in zip(e_seen, t_seen):
        assert e[1] and t[1]                     # the module itself is passed
        same(e[2:], t[2:])
    np.testing.assert_allclose(e_xg, t_xg, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e_wg, t_wg, rtol=1e-5, atol=1e-6)
    # grad_input of a Linear is d(loss)/dx: what reached x.grad
    np.testing.assert_array_equal(e_seen[1][2][0], e_xg)


def replaced_grads(lib):
    """A hook that doubles grad_input and a pre-hook that replaces grad_output."""
    m = linear(lib)
    m.register_full_backward_pre_hook(lambda mod, gout: (gout[0] + 1,))
    m.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 2,))
    x = lib.tensor(data(5, 4, 3), requires_grad=True)
    m(x).sum().backward()
    return arr(x.grad), arr(m.weight.grad), arr(m.bias.grad)


def test_returned_replacements_change_grad_like_torch():
    e, t = replaced_grads(ember), replaced_grads(torch)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # by hand: grad_output is ones + 1 = 2, so x.grad = 2 * (2 @ W) and bias.grad = 2 * 4 rows
    w = data(1, 2, 3)
    np.testing.assert_allclose(e[0], 2 * (np.full((4, 2), 2.0) @ w), rtol=1e-6)
    np.testing.assert_array_equal(e[2], [8.0, 8.0])


class TwoInTwoOut:
    """forward(p, q, k=3) -> (p * 2, q * 3): two tensor inputs, a keyword, two outputs."""

    @staticmethod
    def build(lib):
        class M(lib.nn.Module):
            def forward(self, p, q, k=3):
                return p * 2, q * k
        return M()


def run_two_in_two_out(lib, q_requires_grad, use_second_output):
    m = TwoInTwoOut.build(lib)
    seen = []
    m.register_full_backward_pre_hook(lambda mod, gout: seen.append(record_grads(gout)))
    m.register_full_backward_hook(
        lambda mod, gin, gout: seen.append((record_grads(gin), record_grads(gout))))
    p = lib.tensor(data(6, 2), requires_grad=True)
    q = lib.tensor(data(7, 3), requires_grad=q_requires_grad)
    o1, o2 = m(p, q, k=4)
    loss = o1.sum() + (o2 * 5).sum() if use_second_output else o1.sum()
    loss.backward()
    return seen, arr(p.grad), arr(q.grad), o1.grad_fn is o2.grad_fn


@pytest.mark.parametrize("q_requires_grad", [True, False])
@pytest.mark.parametrize("use_second_output", [True, False])
def test_several_inputs_and_outputs_like_torch(q_requires_grad, use_second_output):
    e = run_two_in_two_out(ember, q_requires_grad, use_second_output)
    t = run_two_in_two_out(torch, q_requires_grad, use_second_output)
    same(tuple(e[0]), tuple(t[0]))
    same(e[1:3], t[1:3])
    assert e[3] == t[3]
    # an unused output's grad_output entry is None (checked on the pre-hook's record)
    assert (e[0][0][1] is None) == (not use_second_output or not q_requires_grad)


def test_non_tensor_input_is_none_in_grad_input():
    def run(lib):
        class Scale(lib.nn.Module):
            def forward(self, x, factor):
                return x * factor
        m = Scale()
        seen = []
        m.register_full_backward_hook(lambda mod, gin, gout: seen.append(record_grads(gin)))
        x = lib.tensor(data(8, 3), requires_grad=True)
        m(x, 3.0).sum().backward()
        return seen[0]
    e, t = run(ember), run(torch)
    same(e, t)
    assert e[1] is None and np.all(e[0] == 3.0)


def test_no_input_requiring_grad_fires_on_outputs_and_warns():
    def run(lib):
        m = linear(lib)
        seen = []
        m.register_full_backward_hook(
            lambda mod, gin, gout: seen.append((gin, record_grads(gout))))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m(lib.tensor(data(9, 4, 3))).sum().backward()
        return seen, [str(x.message) for x in w], arr(m.weight.grad)
    e, t = run(ember), run(torch)
    assert e[0][0][0] == t[0][0][0] == (None,)
    same(e[0][0][1], t[0][0][1])
    assert e[1] == t[1] and "no inputs require gradients" in e[1][0]
    np.testing.assert_allclose(e[2], t[2], rtol=1e-6)


def test_no_input_requiring_grad_hook_may_not_return_gradients():
    def run(lib):
        m = linear(lib)
        m.register_full_backward_hook(lambda mod, gin, gout: (lib.ones(4, 3),))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError) as info:
                m(lib.tensor(data(9, 4, 3))).sum().backward()
        return str(info.value)
    assert run(ember) == run(torch)


def test_identity_module_wraps_input_and_output():
    def run(lib):
        class Same(lib.nn.Module):
            def forward(self, x):
                return x
        m = Same()
        seen = []
        m.register_full_backward_hook(
            lambda mod, gin, gout: seen.append((record_grads(gin), record_grads(gout))))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (m(x) * 3).sum().backward()
        return seen, arr(x.grad)
    e, t = run(ember), run(torch)
    same(tuple(e[0]), tuple(t[0]))
    same(e[1], t[1])


def test_nested_modules_fire_inner_first():
    def run(lib):
        model = lib.nn.Sequential(linear(lib, 3, 4), lib.nn.ReLU(), linear(lib, 4, 2))
        order = []
        for name, sub in [("seq", model)] + [(str(i), s) for i, s in enumerate(model)]:
            sub.register_full_backward_hook(
                lambda mod, gin, gout, name=name: order.append((name, record_grads(gin))))
        model(lib.tensor(data(10, 5, 3), requires_grad=True)).sum().backward()
        return order
    e, t = run(ember), run(torch)
    assert [n for n, _ in e] == [n for n, _ in t] == ["2", "1", "0", "seq"]
    for (_, a), (_, b) in zip(e, t):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


# -- removal, order, prepend, global hooks --------------------------------------------------------


def test_handles_remove_hooks_and_prepend_orders_them():
    def run(lib):
        m = linear(lib)
        calls = []
        h1 = m.register_full_backward_hook(lambda *a: calls.append("a"))
        m.register_full_backward_hook(lambda *a: calls.append("b"))
        m.register_full_backward_hook(lambda *a: calls.append("first"), prepend=True)
        hp = m.register_full_backward_pre_hook(lambda *a: calls.append("pre"))
        m.register_full_backward_pre_hook(lambda *a: calls.append("pre0"), prepend=True)
        x = lib.tensor(data(11, 2, 3), requires_grad=True)
        m(x).sum().backward()
        h1.remove()
        hp.remove()
        m(x).sum().backward()
        return calls
    assert run(ember) == run(torch) == ["pre0", "pre", "first", "a", "b",
                                        "pre0", "first", "b"]


def test_removed_hooks_leave_no_hook_node():
    def run(lib):
        m = linear(lib)
        h = m.register_full_backward_hook(lambda *a: None)
        x = lib.tensor(data(12, 2, 3), requires_grad=True)
        hooked = m(x).grad_fn.name()
        h.remove()
        return hooked, m(x).grad_fn.name()
    assert run(ember) == run(torch) == ("BackwardHookFunctionBackward", "AddmmBackward0")


def test_global_full_hooks_run_for_every_module_before_its_own():
    def run(lib):
        mm = module_mod(lib)
        calls = []
        model = lib.nn.Sequential(linear(lib), lib.nn.Tanh())
        model[0].register_full_backward_hook(lambda mod, gin, gout: calls.append("own"))
        hs = [mm.register_module_full_backward_hook(
                  lambda mod, gin, gout: calls.append(type(mod).__name__)),
              mm.register_module_full_backward_pre_hook(
                  lambda mod, gout: calls.append("pre " + type(mod).__name__))]
        try:
            model(lib.tensor(data(13, 2, 3), requires_grad=True)).sum().backward()
        finally:
            for h in hs:
                h.remove()
        model(lib.tensor(data(13, 2, 3), requires_grad=True)).sum().backward()
        return calls
    assert run(ember) == run(torch)


# -- errors and the old-style hook ----------------------------------------------------------------


def error_message(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def test_mixing_old_and_full_hooks_raises_like_torch():
    for lib_pair in [(ember, torch)]:
        msgs = []
        for lib in lib_pair:
            a = lib.nn.Linear(1, 1)
            a.register_full_backward_hook(lambda *x: None)
            b = lib.nn.Linear(1, 1)
            b.register_backward_hook(lambda *x: None)
            msgs.append((error_message(lambda: a.register_backward_hook(lambda *x: None)),
                         error_message(lambda: b.register_full_backward_hook(lambda *x: None))))
        assert msgs[0] == msgs[1]
        assert msgs[0][0][0] is RuntimeError and "Cannot use both" in msgs[0][0][1]


def test_mixing_old_and_full_global_hooks_raises_like_torch():
    msgs = []
    for lib in LIBS:
        mm = module_mod(lib)
        h = mm.register_module_full_backward_hook(lambda *x: None)
        try:
            msgs.append(error_message(lambda: mm.register_module_backward_hook(lambda *x: None)))
        finally:
            h.remove()
            mm._global_is_full_backward_hook = None     # PyTorch never resets it either
    assert msgs[0] == msgs[1] and msgs[0][0] is RuntimeError


@pytest.mark.parametrize("which", ["full", "pre"])
def test_wrong_number_of_returned_gradients_raises_like_torch(which):
    def run(lib):
        m = linear(lib)
        if which == "full":
            m.register_full_backward_hook(lambda mod, gin, gout: (gin[0], gin[0]))
        else:
            m.register_full_backward_pre_hook(lambda mod, gout: (gout[0], gout[0]))
        x = lib.tensor(data(14, 2, 3), requires_grad=True)
        return error_message(lambda: m(x).sum().backward())
    e, t = run(ember), run(torch)
    assert e == t and e[0] is RuntimeError


def test_inplace_on_output_or_input_of_hooked_module_raises_like_torch():
    def run(lib):
        m = linear(lib)
        m.register_full_backward_hook(lambda *a: None)
        x = lib.tensor(data(15, 2, 3), requires_grad=True)

        class InPlace(lib.nn.Module):
            def forward(self, t):
                return t.mul_(2)
        ip = InPlace()
        ip.register_full_backward_hook(lambda *a: None)
        return (error_message(lambda: m(x).add_(1)), error_message(lambda: m(x).relu_()),
                error_message(lambda: ip(x * 1)))
    e, t = run(ember), run(torch)
    assert e == t
    assert "Output 0 of BackwardHookFunction is a view" in e[0][1]


def test_inplace_on_output_allowed_without_grad_mode():
    for lib in LIBS:
        m = linear(lib)
        m.register_full_backward_hook(lambda *a: None)
        y = m(lib.tensor(data(16, 2, 3), requires_grad=True))
        with lib.no_grad():
            y.add_(1)                        # allowed: nothing is recorded


def test_non_tensor_output_warns_and_skips_hooks():
    def run(lib):
        class Listy(lib.nn.Module):
            def forward(self, x):
                return [x * 2]
        m = Listy()
        calls = []
        m.register_full_backward_hook(lambda *a: calls.append(1))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = m(lib.tensor([1.0], requires_grad=True))
        out[0].sum().backward()
        return type(out).__name__, [str(x.message) for x in w], calls
    e, t = run(ember), run(torch)
    assert e[0] == t[0] == "list" and e[2] == t[2] == []
    assert e[1] == [s.replace("torch", "ember") for s in t[1]] or e[1] == t[1]
    assert "module output should be a Tensor or a tuple of Tensors" in e[1][0]


def test_old_style_backward_hook_sees_last_node_like_torch():
    def run(lib):
        m = linear(lib)
        seen = []
        m.register_backward_hook(
            lambda mod, gin, gout: seen.append((record_grads(gin), record_grads(gout))))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = m(lib.tensor(data(17, 4, 3), requires_grad=True))
        y.sum().backward()
        return seen, [(x.category, str(x.message)) for x in w], y.grad_fn.name()
    e, t = run(ember), run(torch)
    assert e[2] == t[2] == "AddmmBackward0"
    assert e[1] == t[1] and e[1][0][0] is FutureWarning
    assert len(e[0]) == len(t[0]) == 1
    for a, b in zip(e[0][0], t[0][0]):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_custom_function_input_returned_as_is_refuses_inplace_like_torch():
    def run(lib):
        class Pass(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        class PassTwo(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x, y * 2

            @staticmethod
            def backward(ctx, a, b):
                return a, b * 2
        x = lib.tensor([1.0, 2.0], requires_grad=True) * 1
        one = Pass.apply(x)
        first, second = PassTwo.apply(x, x)
        second.add_(1)                               # not an input returned as is: fine
        return error_message(lambda: one.add_(1)), error_message(lambda: first.add_(1))
    assert run(ember) == run(torch)

"""Saved-tensor hooks (`autograd.graph.saved_tensors_hooks`, `save_on_cpu`,
`disable_saved_tensors_hooks`), differentially against PyTorch.

Each scenario `fn(T)` runs once with torch and once with ember, recording what the hooks
receive (the tensors' shapes, dtypes, graph fields and the grad mode they run in, and in which
order), and returns that log with the resulting gradients: both must agree. Errors must be
PyTorch's, message included.
"""
import numpy as np
import pytest

import sim_gpu
import ember

torch = pytest.importorskip("torch")
from helpers import same_error  # noqa: E402



# -- helpers ---------------------------------------------------------------------------------


def leaf(T, shape, seed=0, requires_grad=True):
    values = np.random.default_rng(seed).uniform(0.5, 2.0, shape)
    return T.tensor(values, dtype=T.float64, requires_grad=requires_grad)


def describe(T, t):
    """What a hook can see of a tensor, comparable across the two libraries."""
    if not isinstance(t, T.Tensor):
        return type(t).__name__
    return (tuple(t.shape), str(t.dtype).split(".")[-1], t.requires_grad,
            t.grad_fn.name() if t.grad_fn is not None else None, t.is_leaf,
            T.is_grad_enabled())


def recording_hooks(T, log, pack=lambda t: t, unpack=lambda p: p):
    def pack_hook(t):
        log.append(("pack",) + describe(T, t))
        return pack(t)

    def unpack_hook(packed):
        out = unpack(packed)
        log.append(("unpack",) + describe(T, out))
        return out
    return T.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook)


def plain(value):
    """Tensors (nested in tuples/lists) as NumPy arrays, so results can be compared."""
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        return value.detach().numpy().copy()
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return value


def assert_same_result(fn):
    t, e = plain(fn(torch)), plain(fn(ember))
    _assert_tree(e, t)


def _assert_tree(e, t, path="result"):
    if isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray), f"{path}: ember {e!r}, torch an array"
        assert e.dtype == t.dtype and e.shape == t.shape, f"{path}: {e!r} != {t!r}"
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12, err_msg=path)
    elif isinstance(t, list):
        assert isinstance(e, list) and len(e) == len(t), f"{path}: ember {e!r} != torch {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            _assert_tree(a, b, f"{path}[{i}]")
    else:
        assert e == t, f"{path}: ember {e!r} != torch {t!r}"


# -- what pack and unpack receive, op by op ------------------------------------------------------


OPS = {
    "mul": lambda T, a, b, m: a * b,
    "mul_other_needs_no_grad": lambda T, a, b, m: a * b.detach(),
    "mul_self_needs_no_grad": lambda T, a, b, m: a.detach() * b,
    "mul_scalar_saves_no_tensor": lambda T, a, b, m: a * 2.0,
    "add_saves_nothing": lambda T, a, b, m: a + b,
    "sum_saves_nothing": lambda T, a, b, m: a.sum(),
    "pow_scalar": lambda T, a, b, m: a ** 2,
    "pow_tensor": lambda T, a, b, m: a ** b,
    "pow_scalar_base": lambda T, a, b, m: 2.0 ** a,
    "div": lambda T, a, b, m: a / b,
    "exp": lambda T, a, b, m: a.exp(),
    "sigmoid": lambda T, a, b, m: a.sigmoid(),
    "tanh": lambda T, a, b, m: a.tanh(),
    "relu": lambda T, a, b, m: a.relu(),
    "sin": lambda T, a, b, m: a.sin(),
    "sqrt": lambda T, a, b, m: a.sqrt(),
    "log_of_abs": lambda T, a, b, m: a.abs().log(),
    "max": lambda T, a, b, m: a.max(),
    "matmul": lambda T, a, b, m: a @ m,
    "mm_self_only": lambda T, a, b, m: T.mm(a, m.detach()),
    "mm_mat2_only": lambda T, a, b, m: T.mm(a.detach(), m),
    "bmm": lambda T, a, b, m: T.bmm(a.expand(5, 2, 3), m.expand(5, 3, 4)),
    "mv": lambda T, a, b, m: T.mv(a, b),
    "softmax": lambda T, a, b, m: T.nn.functional.softmax(a, -1),
    "log_softmax": lambda T, a, b, m: T.nn.functional.log_softmax(a, -1),
    "linear": lambda T, a, b, m: T.nn.functional.linear(a, m.t(), m[0] * 1),
    "linear_without_bias": lambda T, a, b, m: T.nn.functional.linear(a, m.t()),
    "chain": lambda T, a, b, m: (a * b).exp().sigmoid(),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_pack_and_unpack_see_what_pytorch_saves_in_its_order(name):
    def fn(T):
        a, b, m = leaf(T, (2, 3), 0), leaf(T, (3,), 1), leaf(T, (3, 4), 2)
        log = []
        with recording_hooks(T, log):
            y = OPS[name](T, a, b, m)
        log.append("backward")
        y.sum().backward()
        return log, [a.grad, b.grad, m.grad]
    assert_same_result(fn)


def test_a_pack_result_is_all_backward_gets():
    # pack keeps a NumPy copy of twice the value: the gradient is computed from that
    def fn(T):
        x = leaf(T, (4,))
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach().numpy() * 2,
                                                   lambda p: T.from_numpy(p)):
            y = x.sin() * x
        y.sum().backward()
        return x.grad
    assert_same_result(fn)


def test_the_unpacked_tensor_stands_where_the_original_stood():
    def fn(T):
        x = leaf(T, (3,))
        h = x * 3
        calls = []
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: calls.append(1) or t):
            y = h.sin()
            z = x.cos()
            e = h.exp()
        s, s2, r = y.grad_fn._saved_self, y.grad_fn._saved_self, e.grad_fn._saved_result
        leaf_saved = z.grad_fn._saved_self
        return [len(calls), s is h, s is s2, s.grad_fn is h.grad_fn, s.requires_grad,
                s._version, r is e, r.grad_fn is e.grad_fn, leaf_saved is x,
                leaf_saved.is_leaf, leaf_saved.requires_grad, leaf_saved.grad_fn, s]
    assert_same_result(fn)


def test_grad_mode_pack_runs_without_it_unpack_runs_in_the_callers():
    def fn(T):
        x = leaf(T, (3,))
        log = []
        with recording_hooks(T, log):
            y = x.exp()
            y.grad_fn._saved_result                   # grad mode on: unpack sees it on
            with T.no_grad():
                y.grad_fn._saved_result
        log.append("backward")
        y.sum().backward(retain_graph=True)           # off during backward
        log.append("create_graph")
        T.autograd.grad(y.sum(), x, create_graph=True)
        return log
    assert_same_result(fn)


def test_double_backward_flows_through_unpacked_tensors():
    def fn(T):
        x = leaf(T, (3,))
        out = []
        for pack in (lambda t: t.clone(), lambda t: t.detach()):
            with T.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                y = x ** 3 + (x * 1) ** 3
            g, = T.autograd.grad(y.sum(), x, create_graph=True)
            g2, = T.autograd.grad(g.sum(), x)
            out += [g, g2]
        return out
    assert_same_result(fn)


def test_saving_during_a_create_graph_backward_is_packed_too():
    def fn(T):
        x = leaf(T, (3,))
        y = x.exp() * x
        log = []
        with recording_hooks(T, log):
            g, = T.autograd.grad(y.sum(), x, create_graph=True)
        g.sum().backward()
        return log, x.grad
    assert_same_result(fn)


def test_innermost_hooks_win_and_stay_with_what_they_saved():
    def fn(T):
        x = leaf(T, (3,))
        seen = []
        graph = T.autograd.graph
        with graph.saved_tensors_hooks(lambda t: ("outer", t), lambda p: seen.append(p[0]) or p[1]):
            with graph.saved_tensors_hooks(lambda t: ("inner", t),
                                           lambda p: seen.append(p[0]) or p[1]):
                y = x.exp()
            z = y.sin()
        w = z.cos()                                   # no hooks here
        with graph.saved_tensors_hooks(lambda t: ("late", t), lambda p: seen.append(p[0]) or p[1]):
            w.sum().backward()                        # the hooks of save time unpack
        return seen, x.grad
    assert_same_result(fn)


def test_nothing_is_packed_when_nothing_is_recorded():
    def fn(T):
        x = leaf(T, (3,))
        log = []
        with recording_hooks(T, log):
            with T.no_grad():
                x.exp()
            with T.inference_mode():
                x.exp()
            x.detach().exp()
            leaf(T, (3,), requires_grad=False).sin()
        return log
    assert_same_result(fn)


def test_custom_function_saves_are_packed_after_forward():
    def fn(T):
        log = []

        class Fn(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                log.append("forward")
                out = (a * b).exp()
                ctx.save_for_backward(a, None, out, b)
                log.append("forward returns")
                return out

            @staticmethod
            def backward(ctx, grad):
                log.append("backward")
                a, none, out, b = ctx.saved_tensors
                log.append(none)
                return grad * out * b, grad * out * a

        a, b = leaf(T, (2, 3)), leaf(T, (3,), 1)
        with recording_hooks(T, log):
            y = Fn.apply(a, b)
        y.sum().backward()
        return log, a.grad, b.grad
    assert_same_result(fn)


def test_retain_graph_unpacks_on_every_pass():
    def fn(T):
        x = leaf(T, (3,))
        log = []
        with recording_hooks(T, log):
            y = (x * x).exp()
        y.sum().backward(retain_graph=True)
        log.append("again")
        y.sum().backward()
        return log, x.grad
    assert_same_result(fn)


def test_pack_hook_returning_none_and_unpack_making_any_tensor():
    def fn(T):
        x = leaf(T, (2, 3))
        with T.autograd.graph.saved_tensors_hooks(lambda t: None,
                                                   lambda p: T.ones(2, 3, dtype=T.float64)):
            y = x.exp()
        y.sum().backward()
        return x.grad
    assert_same_result(fn)


def test_an_unpacked_tensor_of_another_shape_is_not_checked():
    # PyTorch does not compare the unpacked tensor with the saved one: the derivative formula
    # simply uses it (here it broadcasts)
    def fn(T):
        x = leaf(T, (2, 3))
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t[0]):
            y = x.exp()
        y.sum().backward()
        return x.grad
    assert_same_result(fn)


# -- in-place changes and freed graphs ------------------------------------------------------------


def test_with_hooks_an_in_place_change_is_not_detected():
    # the hooks decide what is kept, so PyTorch checks no version: the changed value is used
    def fn(T):
        x = leaf(T, (3,)) * 1
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x.sin()
        x.mul_(2)
        y.sum().backward()
        return [x._version]
    assert_same_result(fn)
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp()
    with ember.no_grad():
        y.mul_(2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_with_a_copy_packed_the_value_of_save_time_is_used():
    def fn(T):
        a = leaf(T, (3,))
        x = a * 1
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
            y = x.sin()
        x.mul_(2)
        y.sum().backward()
        return a.grad
    assert_same_result(fn)


def test_without_hooks_the_in_place_change_is_still_caught():
    def fn(T):
        x = leaf(T, (3,)) * 1
        y = x.sin()
        x.mul_(2)
        y.sum().backward()
    same_error(fn, "modified by an inplace operation", exact=True)


def test_a_pack_hook_may_not_modify_its_input():
    def modifies_input(T):
        a = leaf(T, (3,)) * 1
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
            a.sin()

    def modifies_output(T):
        a = leaf(T, (3,))
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
            a.exp()
    same_error(modifies_input, "pack hook is modifying its input in place", exact=True)
    same_error(modifies_output, "pack hook is modifying its input in place", exact=True)


def test_unpack_must_return_a_tensor():
    for bad in (3.0, None, (1, 2)):
        def fn(T, bad=bad):
            x = leaf(T, (3,))
            with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: bad):
                y = x.exp()
            y.sum().backward()
        same_error(fn, "unpack_hook expected to be a Tensor", exact=True)


def test_packed_tensors_are_freed_by_backward():
    def backward_twice(T):
        x = leaf(T, (3,))
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x.exp()
        y.sum().backward()
        y.sum().backward()

    def access_after_backward(T):
        x = leaf(T, (3,))
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x.exp()
        y.sum().backward()
        y.grad_fn._saved_result
    same_error(backward_twice, "Trying to backward through the graph a second time", exact=True)
    same_error(access_after_backward, "Trying to backward through the graph a second time",
               exact=True)


# -- save_on_cpu ------------------------------------------------------------------------------


@pytest.mark.parametrize("pin_memory", [False, True])
def test_save_on_cpu_on_the_cpu(pin_memory):
    # without pin_memory a CPU tensor is kept as is (an in-place change shows); with it, a copy
    def fn(T):
        a = leaf(T, (3,))
        x = a * 1
        with T.autograd.graph.save_on_cpu(pin_memory=pin_memory):
            y = x.sin() * a
        x.mul_(2)
        unpacked = y.grad_fn.next_functions[0][0]._saved_self
        y.sum().backward()
        return a.grad, unpacked, [unpacked is x]
    assert_same_result(fn)


@pytest.mark.parametrize("pin_memory", [False, True])
def test_save_on_cpu_moves_device_tensors_to_the_host_and_back(pin_memory):
    sim_gpu.install()
    try:
        packed = []

        def run(device):
            a = ember.tensor([0.5, 1.0, 2.0], dtype=ember.float64).to(device).requires_grad_()
            hooks = ember.autograd.graph.save_on_cpu(pin_memory=pin_memory)
            to_cpu = hooks.pack_hook
            hooks.pack_hook = lambda t: packed.append(to_cpu(t)) or packed[-1]
            with hooks:
                y = (a * a).exp()
            unpacked = y.grad_fn._saved_result
            y.sum().backward()
            return a.grad, unpacked.device
        cpu_grad, _ = run("cpu")
        packed.clear()
        gpu_grad, unpacked_device = run("cuda")
        assert [(str(device), t.device.type) for device, t in packed] == [("cuda:0", "cpu")] * 3
        assert str(unpacked_device) == "cuda:0" and gpu_grad.is_cuda
        np.testing.assert_array_equal(gpu_grad.cpu().numpy(), cpu_grad.numpy())
    finally:
        sim_gpu.uninstall()


# -- disable_saved_tensors_hooks ---------------------------------------------------------------


def test_disabled_hooks_raise_the_given_message():
    def enter_hooks(T):
        with T.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass

    def disable_inside_hooks(T):
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            with T.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
                pass

    def nested_disable_restores_the_outer_message(T):
        with T.autograd.graph.disable_saved_tensors_hooks("outer"):
            with T.autograd.graph.disable_saved_tensors_hooks("inner"):
                pass
            with T.autograd.graph.save_on_cpu():
                pass
    same_error(enter_hooks, "no hooks here", exact=True)
    same_error(disable_inside_hooks, "no hooks here", exact=True)
    same_error(nested_disable_restores_the_outer_message, "outer", exact=True)


def test_hooks_work_again_after_the_disabled_region():
    def fn(T):
        x = leaf(T, (3,))
        with T.autograd.graph.disable_saved_tensors_hooks("no"):
            y = x.exp()                               # saving without hooks is fine
        log = []
        with recording_hooks(T, log):
            z = y.sin()
        z.sum().backward()
        return log, x.grad
    assert_same_result(fn)


# -- end-of-backward callbacks under PyTorch's spelling --------------------------------------------


def test_variable_execution_engine_queue_callback():
    def fn(T):
        x = leaf(T, (3,))
        log = []

        def hook(grad):
            log.append("hook")
            T.autograd.Variable._execution_engine.queue_callback(lambda: log.append("callback"))
        x.register_hook(hook)
        (x * 2).sum().backward()
        log.append("after")
        return log
    assert_same_result(fn)
    same_error(lambda T: T.autograd.Variable._execution_engine.queue_callback(print),
               "Final callbacks can only be installed during backward pass.", exact=True)

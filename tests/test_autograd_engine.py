"""The autograd engine, differentially against PyTorch.

Every scenario is a function of the library module `T`; it runs once with `T = torch` and once
with `T = ember`, and the results (values bit for bit, dtypes, flags, graph structure, errors and
warnings) must agree. A few expectations are also derived by hand, next to the comparison.
"""
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
from helpers import raised, same_error  # noqa: E402


# -- helpers ---------------------------------------------------------------------------------



def assert_same(e, t):
    """ember tensor `e` equals torch tensor `t`: dtype, shape and every bit of every value."""
    assert isinstance(e, ember.Tensor), f"expected an ember.Tensor, got {type(e).__name__}"
    assert isinstance(t, torch.Tensor)
    assert repr(e.dtype) == repr(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    en, tn = np.asarray(e.detach().numpy()), t.detach().numpy()
    assert en.dtype == tn.dtype
    assert en.tobytes() == tn.tobytes(), f"ember {en!r} != torch {tn!r}"


def assert_same_tree(e, t):
    """Nested tuples/lists of tensors, None and plain values, compared structurally."""
    if isinstance(t, torch.Tensor):
        assert_same(e, t)
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t), f"ember {type(e).__name__} != torch {type(t).__name__}"
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_same_tree(a, b)
    else:
        assert e == t, f"ember {e!r} != torch {t!r}"


def both(fn):
    """Run `fn(ember)` and `fn(torch)` and check their results agree; returns torch's."""
    t = fn(torch)
    e = fn(ember)
    assert_same_tree(e, t)
    return t






def caught_warnings(fn, T):
    """The (category, message) of each warning `fn(T)` emits. PyTorch appends where in its C++
    source a warning was raised ("(Triggered internally at ...)"); that suffix is dropped."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fn(T)
    return [(w.category, re.sub(r" \(Triggered internally at [^)]*\)$", "", str(w.message)))
            for w in record]


# -- backward on scalars and with gradient= --------------------------------------------------


def test_scalar_backward_matches_torch_and_hand_derivative():
    # l = (x*w - y)^2 with x=2, y=4, w=1: dl/dw = 2*(x*w - y)*x = -8
    def run(T):
        w = T.tensor([1.0], requires_grad=True)
        loss = (2.0 * w - 4.0) ** 2
        loss.backward()
        return w.grad
    t = both(run)
    assert t.tolist() == [-8.0]


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_implicit_gradient_for_one_element_outputs(shape):
    def run(T):
        w = T.full(shape, 3.0, requires_grad=True)
        (w * w).backward()
        return w.grad
    t = both(run)
    assert t.flatten().tolist() == [6.0]


def test_backward_on_a_scalar_leaf_itself():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        a.backward()
        return a.grad
    assert both(run).item() == 1.0


def test_backward_with_gradient_argument():
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        c = T.tensor([0.5, -1.0, 4.0])
        (x * c).backward(T.tensor([1.0, 10.0, 100.0]))
        return x.grad
    assert both(run).tolist() == [0.5, -10.0, 400.0]


@pytest.mark.parametrize("grad_shape", [(2,), (1, 3), (3, 1), ()])
def test_gradient_shape_mismatch_is_an_error(grad_shape):
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * 2).backward(T.ones(grad_shape))
    same_error(run, "Mismatch in shape")


def test_gradient_shape_mismatch_message():
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * 2).backward(T.ones(2))
    t_exc, e_exc = same_error(run, "Mismatch in shape")
    assert str(e_exc) == str(t_exc)


@pytest.mark.parametrize("grad_dtype", ["float64", "float16", "int64", "int32", "bool"])
def test_gradient_of_another_dtype_is_cast_to_the_output_dtype(grad_dtype):
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        g = T.tensor([0.1, 1.0, 3.0]).to(getattr(T, grad_dtype))
        (x * 2).backward(g)
        return x.grad
    both(run)


def test_gradient_float64_value_is_rounded_once_to_float32():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        g = T.tensor([0.1, 1 / 3], dtype=T.float64)
        (x * 1).backward(g)
        return x.grad
    both(run)


def test_given_gradient_is_not_aliased_by_grad():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        g = T.tensor([5.0, 6.0])
        (x * 1).backward(g)
        aliased = x.grad is g
        g.add_(100)
        return aliased, x.grad, g
    both(run)


def test_autograd_backward_several_outputs():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        T.autograd.backward([a * a, a * 3], [T.ones(2), T.ones(2) * 2])
        return a.grad
    assert both(run).tolist() == [8.0, 10.0]


# -- accumulation ----------------------------------------------------------------------------


def test_grad_accumulates_over_several_backward_calls():
    def run(T):
        w = T.tensor([1.5, -2.0], requires_grad=True)
        grads = []
        for k in range(1, 4):
            (w * w * k).sum().backward()
            grads.append(w.grad.clone())
        return grads
    t = both(run)
    # d/dw sum(k w^2) = 2 k w, accumulated: 2w, 2w+4w, 2w+4w+6w
    assert [g.tolist() for g in t] == [[3.0, -4.0], [9.0, -12.0], [18.0, -24.0]]


def test_grad_tensor_is_updated_in_place_when_accumulating():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        a.sum().backward()
        first = a.grad
        a.sum().backward()
        return a.grad is first, first
    both(run)


def test_lecture_zero_grad_pattern():
    """The lecture's loop: backward, `w.data = w.data - lr * w.grad.data`, `w.grad.data.zero_()`."""
    def run(T):
        w = T.tensor([1.0])
        w.requires_grad = True
        trace = []
        for _ in range(3):
            for x, y in zip([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]):
                loss = (x * w - y) ** 2
                loss.backward()
                g = w.grad
                trace.append(w.grad.item())
                w.data = w.data - 0.01 * w.grad.data
                w.grad.data.zero_()
                trace.append((w.grad is g, w.grad.item(), w.is_leaf, w.requires_grad))
            trace.append(loss.item())
        return trace, w
    t = both(run)
    assert t[0][0] == -2.0          # 2 * (1*1 - 2) * 1, by hand


def test_zero_through_data_keeps_the_grad_object():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        (w * 3).sum().backward()
        g = w.grad
        w.grad.data.zero_()
        (w * 5).sum().backward()
        return w.grad is g, w.grad
    assert both(run)[1].tolist() == [5.0, 5.0]


# -- gradients summed over several paths -----------------------------------------------------


def test_leaf_used_twice():
    def run(T):
        x = T.tensor([3.0, -1.5], requires_grad=True)
        (x * x).sum().backward()
        return x.grad
    assert both(run).tolist() == [6.0, -3.0]


def test_same_leaf_twice_in_one_op_shares_one_accumulator():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)
        nf = (x + x).grad_fn.next_functions
        return nf[0][0] is nf[1][0], nf[0][0].variable is x
    assert both(run) == (True, True)


def _leaf_many(T, a, c):
    return a * c[0] + a * c[1] - a * c[2] + (a * c[3]) * c[4] + a / c[5]


def _diamond(T, a, c):
    h = a * c[0]
    return h * h + h * c[1] + h / c[2] - h * c[3] + (h * c[4]) * h


def _diamond_nested(T, a, c):
    h = a * c[0]
    left, right = h * c[1], h / c[2]
    return left * right + left - right * a + (left + right) * h


def _deep(T, a, c):
    h1 = a * c[0] + a
    h2 = h1 * h1 * c[1]
    return h2 * h1 + h2 * c[2] + h1 * c[3] + a * c[4]


def _loop(T, a, c):
    out = a * c[0]
    for i in range(1, 5):
        out = out + a * c[i] - (a / c[i]) * a
    return out


def _powers(T, a, c):
    return a ** 2 * c[0] + a ** 3 + (a * c[1]) ** 2 - a ** 2


GRAPHS = {"leaf_many": _leaf_many, "diamond": _diamond, "diamond_nested": _diamond_nested,
          "deep": _deep, "loop": _loop, "powers": _powers}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_gradients_summed_over_paths_are_bit_identical(graph, seed):
    """The order in which the engine sums the gradients arriving over several paths decides the
    last bits in float32: it must be PyTorch's order."""
    rng = np.random.default_rng(1000 + seed)
    a_val = rng.standard_normal(64).astype(np.float32)
    c_val = [(rng.standard_normal(64) * 3).astype(np.float32) for _ in range(6)]
    g_val = rng.standard_normal(64).astype(np.float32)

    def run(T):
        a = T.tensor(a_val, requires_grad=True)
        c = [T.tensor(v) for v in c_val]
        out = GRAPHS[graph](T, a, c)
        out.backward(T.tensor(g_val))
        return out, a.grad
    both(run)


@pytest.mark.parametrize("seed", range(3))
def test_two_leaves_with_shared_intermediate_bit_identical(seed):
    rng = np.random.default_rng(seed)
    vals = [rng.standard_normal(32).astype(np.float32) for _ in range(3)]

    def run(T):
        a = T.tensor(vals[0], requires_grad=True)
        b = T.tensor(vals[1], requires_grad=True)
        c = T.tensor(vals[2])
        h = a * b + c
        out = (h * a - h / b + h * h * c).sum()
        out.backward()
        return a.grad, b.grad
    both(run)


# -- retain_graph ----------------------------------------------------------------------------


def test_retain_graph_allows_a_second_backward():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        y = a * a
        y.backward(retain_graph=True)
        y.backward()
        return a.grad
    assert both(run).item() == 8.0


SAVING_OPS = {
    "mul": lambda T, a, b: a * b,
    "mul_scalar": lambda T, a, b: a * 2,
    "div": lambda T, a, b: a / b,
    "div_scalar": lambda T, a, b: a / 2,
    "pow": lambda T, a, b: a ** 2,
    "exp": lambda T, a, b: a.exp(),
    "sin": lambda T, a, b: a.sin(),
    "tanh": lambda T, a, b: a.tanh(),
}


@pytest.mark.parametrize("op", sorted(SAVING_OPS))
def test_second_backward_without_retain_graph_is_an_error(op):
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        b = T.tensor(3.0, requires_grad=True)
        y = SAVING_OPS[op](T, a, b)
        y.backward()
        y.backward()
    same_error(run, "Trying to backward through the graph a second time")


def test_second_backward_error_message():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        y = a * a
        y.backward()
        y.backward()
    t_exc, e_exc = same_error(run, "Trying to backward through the graph a second time")
    assert str(e_exc) == str(t_exc)


NON_SAVING = {
    "add": lambda T, a, b: a + b,
    "sub": lambda T, a, b: a - b,
    "add_scalar": lambda T, a, b: a + 1,
    "rsub_scalar": lambda T, a, b: 3 - a,
    "neg": lambda T, a, b: -a,
    "sum": lambda T, a, b: (a + b).sum(),
    "mean": lambda T, a, b: a.mean(),
    "reshape": lambda T, a, b: a.reshape(2, 1),
    "expand": lambda T, a, b: a.expand(3, 2),
    "clone": lambda T, a, b: a.clone(),
    "double": lambda T, a, b: a.double(),
}


@pytest.mark.parametrize("op", sorted(NON_SAVING))
def test_graph_without_saved_tensors_can_be_backwarded_twice(op):
    """PyTorch only refuses a second pass when a node needs a freed saved tensor."""
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        y = NON_SAVING[op](T, a, b)
        y.backward(T.ones_like(y))
        y.backward(T.ones_like(y))
        return a.grad, b.grad
    both(run)


def test_autograd_grad_twice_without_retain_graph_is_an_error():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        y = a * a
        T.autograd.grad(y, a)
        T.autograd.grad(y, a)
    same_error(run, "Trying to backward through the graph a second time")


def test_autograd_grad_twice_with_retain_graph():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        y = a * a
        first = T.autograd.grad(y, a, retain_graph=True)
        return first, T.autograd.grad(y, a)
    both(run)


# -- create_graph: higher derivatives ----------------------------------------------------------


def test_second_derivative_with_autograd_grad():
    def run(T):
        x = T.tensor(3.0, requires_grad=True)
        y = x ** 3
        g, = T.autograd.grad(y, x, create_graph=True)
        g2, = T.autograd.grad(g, x)
        return g, g2, g.requires_grad, g.is_leaf, g2.requires_grad
    g, g2, *_ = both(run)
    assert (g.item(), g2.item()) == (27.0, 18.0)          # 3x^2, 6x at x=3


def test_third_derivative():
    def run(T):
        x = T.tensor(2.0, requires_grad=True)
        y = x ** 4
        g1, = T.autograd.grad(y, x, create_graph=True)
        g2, = T.autograd.grad(g1, x, create_graph=True)
        g3, = T.autograd.grad(g2, x)
        return g1, g2, g3
    assert [g.item() for g in both(run)] == [32.0, 48.0, 48.0]   # 4x^3, 12x^2, 24x


def test_second_derivative_of_a_product_chain():
    def run(T):
        x = T.tensor(3.0, requires_grad=True)
        y = x * x * x
        g, = T.autograd.grad(y, x, create_graph=True)
        g.backward()
        return g, x.grad
    g, gg = both(run)
    assert (g.item(), gg.item()) == (27.0, 18.0)


def test_mixed_second_derivative_into_two_leaves():
    def run(T):
        x = T.tensor([1.5, -0.5], requires_grad=True)
        w = T.tensor([2.0, 3.0], requires_grad=True)
        y = (x * x * w).sum()
        gx, = T.autograd.grad(y, x, create_graph=True)
        (gx * gx).sum().backward()
        return gx, x.grad, w.grad
    both(run)


def test_second_derivative_through_reciprocal():
    def run(T):
        x = T.tensor([1.5, -0.5], requires_grad=True)
        gx, = T.autograd.grad((1 / x).sum(), x, create_graph=True)
        ggx, = T.autograd.grad(gx.sum(), x)
        return gx, ggx
    both(run)


def test_backward_with_create_graph_gives_a_differentiable_grad():
    def run(T):
        x = T.tensor([1.5, -0.5], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        flags = (g.requires_grad, g.grad_fn is not None, g.is_leaf)
        x.grad = None
        g.sum().backward()
        return flags, g, x.grad
    flags, g, gg = both(run)
    assert flags == (True, True, False)
    assert g.tolist() == [6.75, 0.75] and gg.tolist() == [9.0, -3.0]


def test_backward_with_create_graph_warns_once_about_the_reference_cycle():
    # TORCH_WARN_ONCE in PyTorch: compare fresh interpreters, two backward calls each.
    code = ("import warnings, {m}\n"
            "with warnings.catch_warnings(record=True) as r:\n"
            "    warnings.simplefilter('always')\n"
            "    for _ in range(2):\n"
            "        x = {m}.tensor([1.0], requires_grad=True)\n"
            "        (x * x).sum().backward(create_graph=True)\n"
            "print([(w.category.__name__, str(w.message).split(' (Triggered')[0]) for w in r])\n")
    outs = [subprocess.run([sys.executable, "-c", code.format(m=m)], capture_output=True,
                           text=True, check=True).stdout for m in ("torch", "ember")]
    assert outs[0] == outs[1]
    assert "create_graph=True" in outs[0] and outs[0].count("UserWarning") == 1


def test_gradient_without_create_graph_does_not_require_grad():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        g, = T.autograd.grad((x * x).sum(), x)
        (x * x).sum().backward()
        return g.requires_grad, g.grad_fn is None, x.grad.requires_grad, x.grad.grad_fn is None
    assert both(run) == (False, True, False, True)


# -- autograd.grad ---------------------------------------------------------------------------


def test_autograd_grad_returns_a_tuple_and_leaves_grad_untouched():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        g = T.autograd.grad((a * a).sum(), a)
        return type(g).__name__, g, a.grad
    assert both(run)[2] is None


def test_autograd_grad_does_not_add_to_existing_grad():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        (a * 3).sum().backward()
        g = T.autograd.grad((a * a).sum(), [a])
        return g, a.grad
    both(run)


def test_autograd_grad_unused_input_is_an_error():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        b = T.tensor(3.0, requires_grad=True)
        T.autograd.grad(a * 2, [a, b])
    same_error(run, "appears to not have been used in the graph")


def test_autograd_grad_unused_input_message():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        b = T.tensor(3.0, requires_grad=True)
        T.autograd.grad(a * 2, [a, b])
    t_exc, e_exc = same_error(run, "appears to not have been used in the graph")
    assert str(e_exc) == str(t_exc)


def test_autograd_grad_allow_unused():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        b = T.tensor(3.0, requires_grad=True)
        return T.autograd.grad(a * 2, [a, b], allow_unused=True)
    assert both(run)[1] is None


def test_autograd_grad_materialize_grads():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        b = T.tensor([3.0, 4.0], dtype=T.float64, requires_grad=True)
        return T.autograd.grad(a * 2, [a, b], materialize_grads=True)
    assert both(run)[1].tolist() == [0.0, 0.0]


def test_autograd_grad_materialize_grads_with_allow_unused_false():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        T.autograd.grad(a * 2, [a], materialize_grads=True, allow_unused=False)
    same_error(run, "Expected allow_unused to be True or not passed when materialize_grads=True")


def test_autograd_grad_non_leaf_inputs():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        h = a * 2
        out = (h * h).sum()
        gh, ga = T.autograd.grad(out, [h, a])
        return gh, ga, a.grad, h.is_leaf
    gh, ga, a_grad, _ = both(run)
    assert gh.tolist() == [4.0, 8.0] and ga.tolist() == [8.0, 16.0] and a_grad is None


def test_autograd_grad_same_input_twice():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        return T.autograd.grad((x * x).sum(), [x, x])
    both(run)


def test_autograd_grad_input_not_requiring_grad():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        T.autograd.grad(a * 2, [T.tensor(1.0)])
    same_error(run, "One of the differentiated Tensors does not require grad")


def test_autograd_grad_output_not_requiring_grad():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        T.autograd.grad(T.tensor(1.0), [a])
    same_error(run, "element 0 of tensors does not require grad and does not have a grad_fn")


def test_autograd_grad_non_scalar_output_needs_grad_outputs():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        T.autograd.grad(a * 2, a)
    same_error(run, "grad can be implicitly created only for scalar outputs")


def test_autograd_grad_with_grad_outputs():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        single = T.autograd.grad(x * 1, x, grad_outputs=T.tensor([1.0, 3.0]))
        several = T.autograd.grad([x * 2, x * x], x,
                                  grad_outputs=[T.tensor([1.0, 1.0]), T.tensor([0.5, 2.0])])
        return single, several
    single, several = both(run)
    assert single[0].tolist() == [1.0, 3.0] and several[0].tolist() == [3.0, 10.0]


def test_autograd_grad_several_outputs_are_summed():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        return T.autograd.grad([(a * a).sum(), (a * 3).sum()], [a])
    assert both(run)[0].tolist() == [5.0, 7.0]


# -- backward(inputs=...) --------------------------------------------------------------------


def test_backward_inputs_restricts_accumulation():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        (a * b).sum().backward(inputs=[a])
        return a.grad, b.grad
    a_grad, b_grad = both(run)
    assert a_grad.tolist() == [3.0, 4.0] and b_grad is None


def test_backward_inputs_as_a_single_tensor():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        (a * a).sum().backward(inputs=a)
        return a.grad
    both(run)


def test_backward_inputs_both_leaves_and_unused_leaf():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = T.tensor([1.0, 2.0], requires_grad=True)
        (x * y).sum().backward(inputs=[x, y])
        z = T.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).sum().backward(inputs=[z])
        return x.grad, y.grad, z.grad
    both(run)


def test_backward_inputs_non_leaf_gets_grad():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        (h * h).sum().backward(inputs=[h])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return a.grad, h.grad
    a_grad, h_grad = both(run)
    assert a_grad is None and h_grad.tolist() == [6.0, 12.0]


def test_backward_inputs_non_leaf_is_marked_retains_grad():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        (h * h).sum().backward(inputs=[h])
        return h.retains_grad
    both(run)


def test_backward_inputs_empty_is_an_error():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        (a * a).backward(inputs=[])
    same_error(run, "`inputs` argument to `backward()` cannot be empty.")


def test_backward_inputs_not_requiring_grad_is_an_error():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * T.tensor([1.0, 2.0])).sum().backward(inputs=[T.tensor([1.0, 2.0])])
    same_error(run, "requires_grad=False")


# -- errors of backward ----------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda T: T.tensor([1.0]),
    lambda T: T.tensor(1.0) * 2,
    lambda T: T.tensor(1.0, requires_grad=True).detach(),
])
def test_backward_on_tensor_not_requiring_grad(make):
    same_error(lambda T: make(T).backward(),
               "element 0 of tensors does not require grad and does not have a grad_fn")


@pytest.mark.parametrize("make", [
    lambda T: T.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda T: T.tensor([1.0, 2.0], requires_grad=True),
    lambda T: T.zeros(0, requires_grad=True) * 2,
])
def test_backward_on_non_scalar_without_gradient(make):
    same_error(lambda T: make(T).backward(),
               "grad can be implicitly created only for scalar outputs")


def test_backward_errors_messages():
    for fn in (lambda T: T.tensor([1.0]).backward(),
               lambda T: (T.tensor([1.0, 2.0], requires_grad=True) * 2).backward()):
        t_exc, e_exc = raised(fn, torch), raised(fn, ember)
        assert str(e_exc) == str(t_exc)


# -- graph structure -------------------------------------------------------------------------


def _structure(node, depth=2):
    """A node as (class name, [(child structure or None, index), ...]) down to `depth`."""
    if node is None:
        return None
    name = type(node).__name__
    if depth == 0:
        return name
    return (name, [(_structure(n, depth - 1), i) for n, i in node.next_functions])


STRUCTURES = {
    "mul_two_leaves": lambda T, a, b, c: a * b,
    "mul_constant_tensor": lambda T, a, b, c: a * c,
    "constant_times_leaf": lambda T, a, b, c: c * a,
    "chain": lambda T, a, b, c: (a * b) * 2,
    "add_scalar": lambda T, a, b, c: a + 1,
    "rsub_scalar": lambda T, a, b, c: 2 - a,
    "sub": lambda T, a, b, c: a - b,
    "neg": lambda T, a, b, c: -a,
    "div_scalar": lambda T, a, b, c: a / 2,
    "rdiv_scalar": lambda T, a, b, c: 2 / a,
    "pow_scalar": lambda T, a, b, c: a ** 2,
    "pow_tensor": lambda T, a, b, c: a ** b,
    "exp": lambda T, a, b, c: a.exp(),
    "sum": lambda T, a, b, c: (a * b).sum(),
    "mean": lambda T, a, b, c: a.mean(),
    "reshape": lambda T, a, b, c: (a + b).reshape(1, 2),
    "matmul": lambda T, a, b, c: a @ b,
}


@pytest.mark.parametrize("expr", sorted(STRUCTURES))
def test_grad_fn_next_functions_structure(expr):
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        c = T.tensor([5.0, 6.0])
        return _structure(STRUCTURES[expr](T, a, b, c).grad_fn)
    both(run)


def test_next_functions_of_mul_by_constant():
    def run(T):
        a = T.tensor([1.0], requires_grad=True)
        nf = (a * T.tensor([2.0])).grad_fn.next_functions
        return len(nf), type(nf[0][0]).__name__, nf[0][1], nf[1]
    assert both(run) == (2, "AccumulateGrad", 0, (None, 0))


def test_accumulate_grad_variable_is_the_leaf():
    def run(T):
        a = T.tensor([1.0], requires_grad=True)
        acc = (a * 2).grad_fn.next_functions[0][0]
        return acc.variable is a, acc.next_functions, a.grad_fn
    assert both(run) == (True, (), None)


def test_accumulate_grad_shared_between_graphs_of_the_same_leaf():
    def run(T):
        a = T.tensor([1.0], requires_grad=True)
        y1, y2 = a * 2, a + 3
        return y1.grad_fn.next_functions[0][0] is y2.grad_fn.next_functions[0][0]
    assert both(run) is True


def test_node_names():
    def run(T):
        a = T.tensor([1.0], requires_grad=True)
        node = (a * 2).grad_fn
        return node.name(), type(node).__name__, node.next_functions[0][0].name()
    both(run)


def test_node_metadata_is_a_dict():
    def run(T):
        a = T.tensor([1.0], requires_grad=True)
        node = (a * 2).grad_fn
        node.metadata["k"] = 1
        return type(node.metadata).__name__, dict(node.metadata)
    both(run)


# -- is_leaf and requires_grad propagation ---------------------------------------------------


def test_is_leaf_and_requires_grad_propagation():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        x = T.tensor([3.0, 4.0])
        rows = []
        for t in (w, x, w * x, x * x, x * 2 + w, (x * x) * 2, w.detach(), w.detach() * 2,
                  (w * 2).detach(), w.sum(), x.sum(), w.reshape(2, 1), w.clone()):
            rows.append((t.requires_grad, t.is_leaf, t.grad_fn is None))
        return rows
    both(run)


def test_non_differentiable_results_do_not_require_grad():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        rows = []
        for t in (w > 0, w == 1, w.long(), w.bool(), w.int()):
            rows.append((t.requires_grad, t.is_leaf, t.grad_fn is None))
        rows.append((w.double().requires_grad, w.double().grad_fn.name()))
        return rows
    both(run)


def test_requires_grad_of_a_chain_from_one_leaf():
    def run(T):
        w = T.tensor([1.0])
        flags = [w.requires_grad]
        w.requires_grad = True
        y = w
        for k in range(5):
            y = y * 2 + k
            flags.append((y.requires_grad, y.is_leaf))
        return flags
    both(run)


def test_detach_requires_grad_makes_a_new_leaf():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        d = (a * 2).detach().requires_grad_()
        (d * d).sum().backward()
        return d.requires_grad, d.is_leaf, d.grad, a.grad
    both(run)


# -- grad mode -------------------------------------------------------------------------------


def test_no_grad_context_manager():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)
        with T.no_grad():
            y = x * 2
            inside = T.is_grad_enabled()
        return inside, T.is_grad_enabled(), y.requires_grad, y.grad_fn, y.is_leaf
    assert both(run) == (False, True, False, None, True)


def test_nested_grad_mode_context_managers():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)
        log = [T.is_grad_enabled()]
        with T.no_grad():
            log.append((T.is_grad_enabled(), (x * 2).requires_grad))
            with T.enable_grad():
                log.append((T.is_grad_enabled(), (x * 2).requires_grad))
                with T.no_grad():
                    log.append(T.is_grad_enabled())
                log.append(T.is_grad_enabled())
            log.append(T.is_grad_enabled())
            with T.set_grad_enabled(True):
                log.append(T.is_grad_enabled())
            log.append(T.is_grad_enabled())
        log.append(T.is_grad_enabled())
        with T.set_grad_enabled(False):
            log.append(T.is_grad_enabled())
        log.append(T.is_grad_enabled())
        return log
    both(run)


def test_set_grad_enabled_as_a_function():
    def run(T):
        T.set_grad_enabled(False)
        off = T.is_grad_enabled()
        y = T.tensor([1.0], requires_grad=True) * 2
        T.set_grad_enabled(True)
        return off, T.is_grad_enabled(), y.requires_grad
    assert both(run) == (False, True, False)


def test_grad_mode_restored_after_an_exception():
    def run(T):
        try:
            with T.no_grad():
                raise ValueError("boom")
        except ValueError:
            pass
        return T.is_grad_enabled()
    assert both(run) is True


def test_grad_mode_decorators():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)

        @T.no_grad()
        def with_parens():
            return T.is_grad_enabled(), (x * 2).requires_grad

        @T.no_grad
        def without_parens():
            return T.is_grad_enabled()

        @T.enable_grad()
        def enabled():
            return T.is_grad_enabled()

        @T.set_grad_enabled(False)
        def disabled():
            return T.is_grad_enabled()

        after_decorating = T.is_grad_enabled()
        out = [after_decorating, with_parens(), without_parens(), disabled(), T.is_grad_enabled()]
        with T.no_grad():
            out.append((enabled(), T.is_grad_enabled()))
        out.append([f.__name__ for f in (with_parens, without_parens, enabled, disabled)])
        return out
    both(run)


def test_grad_mode_decorator_on_a_generator_function():
    """PyTorch switches grad mode off only while the generator body runs."""
    def run(T):
        @T.no_grad()
        def gen():
            yield T.is_grad_enabled()
            yield T.is_grad_enabled()
        it = gen()
        return [next(it), T.is_grad_enabled(), next(it), T.is_grad_enabled()]
    assert both(run) == [False, True, False, True]


def test_decorated_function_keeps_its_metadata():
    def run(T):
        @T.no_grad()
        def documented(a, b=2):
            """Docstring."""
            return a + b
        return documented.__name__, documented.__doc__, documented(1), documented(1, b=5)
    both(run)


def test_grad_mode_objects_are_reusable():
    def run(T):
        ctx = T.no_grad()
        log = []
        for _ in range(2):
            with ctx:
                log.append(T.is_grad_enabled())
            log.append(T.is_grad_enabled())
        return log
    both(run)


def test_requires_grad_can_be_set_inside_no_grad():
    def run(T):
        with T.no_grad():
            x = T.tensor([1.0])
            x.requires_grad = True
            y = x * 2
        return x.requires_grad, y.requires_grad, (x * 2).requires_grad
    assert both(run) == (True, False, True)


def test_in_place_update_of_a_leaf_under_no_grad():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        with T.no_grad():
            w -= 0.1 * w.grad
            w.add_(1)
        return w, w.requires_grad, w.is_leaf, w.grad_fn is None
    both(run)


# -- in-place checks -------------------------------------------------------------------------


def test_modifying_a_saved_input_then_backward():
    def run(T):
        z = T.tensor([1.0, 2.0], requires_grad=True)
        u = z * 1
        v = u * u
        u.add_(1)
        v.sum().backward()
    same_error(run, "modified by an inplace operation")


def test_modifying_a_saved_output_then_backward():
    def run(T):
        z = T.tensor([1.0, 2.0], requires_grad=True)
        u = z.exp()
        u.mul_(2)
        u.sum().backward()
    same_error(run, "modified by an inplace operation")


def test_modifying_a_saved_tensor_through_setitem():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        u = w * 1
        v = u * u
        u[0] = 3.0
        v.sum().backward()
    same_error(run, "modified by an inplace operation")


def test_modifying_a_saved_tensor_through_a_view():
    def run(T):
        w = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        u = w * 1
        v = u * u
        u.view(2, 2)[0].mul_(2)
        v.sum().backward()
    same_error(run, "modified by an inplace operation")


def test_modifying_a_saved_leaf_through_detach():
    """detach() shares the version counter: an in-place change through it is caught."""
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        d = w.detach()
        v = w * w
        d.add_(1)
        v.sum().backward()
    same_error(run, "modified by an inplace operation")


def test_modified_by_inplace_message():
    def run(T):
        z = T.tensor([1.0, 2.0], requires_grad=True)
        u = z * 1
        v = u * u
        u.add_(1)
        v.sum().backward()
    t_exc, e_exc = same_error(run, "modified by an inplace operation")
    assert str(e_exc) == str(t_exc)


def test_modified_by_inplace_message_after_setitem():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        u = w * 1
        v = u * u
        u[0] = 3.0
        v.sum().backward()
    t_exc, e_exc = same_error(run, "modified by an inplace operation")
    assert str(e_exc) == str(t_exc)


def test_in_place_on_an_unsaved_tensor_is_fine():
    def run(T):
        z = T.tensor([1.0, 2.0], requires_grad=True)
        u = z * 3          # MulBackward0 of a constant saves only the constant
        v = u + 1          # AddBackward0 saves nothing
        u.mul_(2)
        v.sum().backward()
        return z.grad, u
    both(run)


def test_in_place_op_result_grad_fn_and_gradient():
    def run(T):
        z = T.tensor([1.0, 2.0], requires_grad=True)
        u = z * 1
        u.mul_(3)
        u.add_(z)
        u.sum().backward()
        return u.grad_fn.name(), z.grad
    both(run)


def test_version_counter_values():
    def run(T):
        x = T.tensor([1.0, 2.0])
        v = [x._version]
        x.add_(1)
        v.append(x._version)
        x[0] = 3
        v.append(x._version)
        y = x.view(2)
        y.mul_(2)
        v.append((x._version, y._version))
        x.data.add_(1)
        v.append(x._version)
        return v
    assert both(run) == [0, 1, 2, (3, 3), 3]


IN_PLACE_ON_LEAF = {
    "add_": lambda T, l: l.add_(1),
    "mul_": lambda T, l: l.mul_(2),
    "zero_": lambda T, l: l.zero_(),
    "fill_": lambda T, l: l.fill_(1.0),
    "copy_": lambda T, l: l.copy_(T.tensor([5.0, 6.0])),
    "iadd": lambda T, l: l.__iadd__(1),
    "imul": lambda T, l: l.__imul__(l),
}


@pytest.mark.parametrize("op", sorted(IN_PLACE_ON_LEAF))
def test_in_place_on_a_leaf_requiring_grad(op):
    def run(T):
        leaf = T.tensor([1.0, 2.0], requires_grad=True)
        IN_PLACE_ON_LEAF[op](T, leaf)
    same_error(run, "a leaf Variable that requires grad is being used in an in-place operation.")


def test_augmented_assignment_on_a_leaf_variable():
    def run(T):
        w = T.tensor([1.0], requires_grad=True)
        w += 1
    same_error(run, "a leaf Variable that requires grad is being used in an in-place operation.")


IN_PLACE_ON_VIEW = {
    "slice_add_": lambda T, l: l[0:1].add_(1),
    "view_mul_": lambda T, l: l.view(2).mul_(2),
    "select_zero_": lambda T, l: l[1].zero_(),
    "setitem": lambda T, l: l.__setitem__(0, 5.0),
    "reshape_fill_": lambda T, l: l.reshape(2, 1).fill_(0.0),
}


@pytest.mark.parametrize("op", sorted(IN_PLACE_ON_VIEW))
def test_in_place_on_a_view_of_a_leaf_requiring_grad(op):
    def run(T):
        leaf = T.tensor([1.0, 2.0], requires_grad=True)
        IN_PLACE_ON_VIEW[op](T, leaf)
    same_error(run, "a view of a leaf Variable that requires grad is being used in an in-place "
                    "operation.")


def test_in_place_on_a_leaf_not_requiring_grad_is_fine():
    def run(T):
        x = T.tensor([1.0, 2.0])
        x.add_(1)
        x[0] = 7.0
        x.view(2).mul_(2)
        return x
    both(run)


def test_data_updates_are_not_tracked():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        v = w * w
        w.data.add_(1)                 # not recorded, and does not bump w's version
        v.sum().backward()             # so no error: backward sees the new values
        return w.grad, w.requires_grad, w.is_leaf
    assert both(run)[0].tolist() == [4.0, 6.0]


def test_data_assignment_is_not_tracked():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        w.data = w.data * 10
        y = (w * 3).sum()
        y.backward()
        return w, w.grad, w.is_leaf, w.grad_fn is None
    both(run)


def test_detach_shares_storage_both_ways():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        d = a.detach()
        with T.no_grad():
            a[0] = 10.0
        d[1] = 20.0
        return a, d, d.requires_grad, d.is_leaf, d.grad_fn, d.data_ptr() == a.data_ptr()
    both(run)


def test_detach_of_a_non_leaf():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        h = a * 2
        d = h.detach()
        return d, d.requires_grad, d.is_leaf, d.data_ptr() == h.data_ptr()
    both(run)


# -- retain_grad -----------------------------------------------------------------------------


def test_retain_grad_on_a_non_leaf():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        before = h.retains_grad
        h.retain_grad()
        (h * h).sum().backward()
        return before, h.retains_grad, a.retains_grad, h.grad, a.grad
    before, after, leaf_flag, h_grad, a_grad = both(run)
    assert h_grad.tolist() == [6.0, 12.0] and a_grad.tolist() == [18.0, 36.0]


def test_retain_grad_accumulates_over_backward_calls():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        h.retain_grad()
        (h * h).sum().backward(retain_graph=True)
        first = h.grad.clone()
        (h * 3).sum().backward()
        return first, h.grad, x.grad
    both(run)


def test_retain_grad_on_a_leaf_is_a_no_op():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        a.retain_grad()
        (a * a).sum().backward()
        return a.retains_grad, a.grad
    both(run)


def test_retain_grad_without_requires_grad_is_an_error():
    same_error(lambda T: T.tensor([1.0]).retain_grad(),
               "can't retain_grad on Tensor that has requires_grad=False")


@pytest.mark.parametrize("hook_first", [True, False])
def test_retained_grad_sees_the_hooked_gradient(hook_first):
    """Since PyTorch 2.0 the retained gradient is the one after the tensor's hooks, whichever
    was registered first."""
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        if hook_first:
            h.register_hook(lambda g: g * 100)
            h.retain_grad()
        else:
            h.retain_grad()
            h.register_hook(lambda g: g * 100)
        (h * h).sum().backward()
        return a.grad, h.grad
    a_grad, h_grad = both(run)
    assert h_grad.tolist() == [600.0, 1200.0]


# -- hooks -----------------------------------------------------------------------------------


def test_hook_on_a_leaf_replaces_its_gradient():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        a.register_hook(lambda g: g * 10)
        (a * a).sum().backward()
        return a.grad
    assert both(run).tolist() == [20.0, 40.0]


def test_hook_on_a_non_leaf_replaces_the_gradient_that_flows_on():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        seen = []
        h.register_hook(lambda g: seen.append(g.clone()) or g + 1)
        (h * h).sum().backward()
        return a.grad, seen
    a_grad, seen = both(run)
    assert a_grad.tolist() == [21.0, 39.0]


def test_hook_returning_none_only_observes():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        a.register_hook(lambda g: seen.append(g.clone()))
        (a * 5).sum().backward()
        return seen, a.grad
    both(run)


def test_hook_on_a_non_leaf_sees_the_summed_gradient():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        seen = []
        h.register_hook(lambda g: seen.append(g.clone()))
        (h * h + h).sum().backward()
        return seen, x.grad
    both(run)


def test_hooks_run_in_registration_order():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        calls = []
        x.register_hook(lambda g: calls.append("first") or g * 2)
        x.register_hook(lambda g: calls.append("second") or g + 1)
        (x * 3).sum().backward()
        return calls, x.grad
    assert both(run)[1].tolist() == [7.0, 7.0]


def test_hook_handle_remove():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        handle = a.register_hook(lambda g: g * 100)
        handle.remove()
        (a * a).sum().backward()
        return a.grad
    both(run)


def test_register_hook_without_requires_grad_is_an_error():
    same_error(lambda T: T.tensor([1.0]).register_hook(lambda g: g),
               "cannot register a hook on a tensor that doesn't require gradient")


# -- .grad access and assignment -------------------------------------------------------------


def test_reading_grad_of_a_non_leaf_warns():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        assert (a * 3).grad is None
    for record in (caught_warnings(run, torch), caught_warnings(run, ember)):
        assert [c for c, _ in record] == [UserWarning]
        assert "is not a leaf Tensor is being accessed" in record[0][1]
    assert caught_warnings(run, ember) == caught_warnings(run, torch)


def test_non_leaf_grad_warning_points_at_the_callers_line():
    def where(T):
        a = T.tensor([1.0], requires_grad=True)
        h = a * 2
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            h.grad
        return [(w.filename, w.lineno) for w in record]
    t, e = where(torch), where(ember)
    assert t[0][0] == __file__
    assert e == t


@pytest.mark.parametrize("make", [
    lambda T: T.tensor([1.0], requires_grad=True),
    lambda T: T.tensor([1.0]),
    lambda T: T.tensor([1.0]) * 2,
    lambda T: (lambda h: (h.retain_grad(), h)[1])(T.tensor([1.0], requires_grad=True) * 2),
])
def test_reading_grad_without_warning(make):
    def run(T):
        assert make(T).grad is None
    assert caught_warnings(run, torch) == []
    assert caught_warnings(run, ember) == []


def test_grad_under_no_grad_of_a_non_leaf_still_warns():
    def run(T):
        a = T.tensor([1.0], requires_grad=True)
        h = a * 2
        with T.no_grad():
            return h.grad
    assert [c for c, _ in caught_warnings(run, ember)] == \
        [c for c, _ in caught_warnings(run, torch)]


def test_grad_can_be_assigned_and_cleared():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        a.grad = T.tensor([0.5, 0.5])
        (a * 2).sum().backward()
        g = a.grad.clone()
        a.grad = None
        (a * 3).sum().backward()
        return g, a.grad
    both(run)


@pytest.mark.parametrize("value, gist", [
    (lambda T: T.tensor([1.0, 1.0], dtype=T.float64), "attempting to assign a gradient"),
    (lambda T: T.tensor([1.0]), "attempting to assign a gradient"),
    (lambda T: [1.0, 2.0], "assigned grad expected to be a Tensor or None"),
], ids=["dtype", "shape", "list"])
def test_grad_assignment_errors(value, gist):
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        a.grad = value(T)
    same_error(run, gist)


# -- requires_grad setter and requires_grad_() ------------------------------------------------


def test_requires_grad_setter_on_a_non_leaf_false():
    def run(T):
        h = T.tensor([1.0], requires_grad=True) * 2
        h.requires_grad = False
    t_exc, e_exc = same_error(run, "you can only change requires_grad flags of leaf variables.")
    assert str(e_exc) == str(t_exc)


def test_requires_grad_setter_on_a_non_leaf_true():
    def run(T):
        h = T.tensor([1.0], requires_grad=True) * 2
        h.requires_grad = True
    t_exc, e_exc = same_error(run, "you can only change requires_grad flags of leaf variables.")
    assert str(e_exc) == str(t_exc)


def test_requires_grad_underscore_on_a_non_leaf():
    def run(T):
        h = T.tensor([1.0], requires_grad=True) * 2
        return h.requires_grad_() is h, h.requires_grad_(True) is h
    assert both(run) == (True, True)
    same_error(lambda T: (T.tensor([1.0], requires_grad=True) * 2).requires_grad_(False),
               "you can only change requires_grad flags of leaf variables.")


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_requires_grad_on_integer_dtype(dtype):
    def setter(T):
        t = T.zeros(2, dtype=getattr(T, dtype))
        t.requires_grad = True

    def method(T):
        T.zeros(2, dtype=getattr(T, dtype)).requires_grad_()

    def factory(T):
        T.tensor([1, 0], dtype=getattr(T, dtype), requires_grad=True)
    for fn in (setter, method, factory):
        t_exc, e_exc = same_error(fn, "can require gradients")
        assert str(e_exc) == str(t_exc)


def test_requires_grad_false_on_integer_dtype_is_fine():
    def run(T):
        t = T.tensor([1, 2])
        t.requires_grad = False
        return t.requires_grad_(False) is t, t.requires_grad
    assert both(run) == (True, False)


def test_requires_grad_underscore_returns_self_and_toggles():
    def run(T):
        t = T.tensor([1.0, 2.0])
        same = t.requires_grad_() is t
        on = t.requires_grad
        t.requires_grad_(False)
        return same, on, t.requires_grad, t.is_leaf
    assert both(run) == (True, True, False, True)


def test_requires_grad_on_float16_and_float64():
    def run(T):
        rows = []
        for dt in (T.float16, T.float64):
            t = T.ones(2, dtype=dt, requires_grad=True)
            (t * t).sum().backward()
            rows.append((t.requires_grad, t.grad))
        return rows
    both(run)


# -- a small end-to-end check: the quadratic model of the lecture ---------------------------


def test_quadratic_model_training_bit_identical():
    """y = w1 x^2 + w2 x + b, squared loss, plain SGD, as in the lecture's exercise."""
    def run(T):
        w1, w2, b = (T.Tensor([1.0]) for _ in range(3))
        for p in (w1, w2, b):
            p.requires_grad = True
        trace = []
        for _ in range(5):
            for x, y in zip([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]):
                loss = (w1 * x ** 2 + w2 * x + b - y) ** 2
                loss.backward()
                trace.append((w1.grad.item(), w2.grad.item(), b.grad.item()))
                for p in (w1, w2, b):
                    p.data = p.data - 0.01 * p.grad.data
                    p.grad.data.zero_()
            trace.append(loss.item())
        return trace, w1, w2, b
    trace = both(run)[0]
    # first sample by hand: y_hat = 3, dl/dy_hat = 2*(3-2) = 2; x = 1 so all three grads are 2
    assert trace[0] == (2.0, 2.0, 2.0)



def test_a_node_reached_by_a_none_gradient_on_one_path_still_runs():
    # One consumer of h returns None for it (a custom Function), another a real gradient:
    # h's node must still run and pass the real gradient on to x.
    def run(T):
        class Drop(T.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 1

            @staticmethod
            def backward(ctx, g):
                return None

        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        (Drop.apply(h).sum() + (h * h).sum()).backward()
        return x.grad.tolist()
    assert run(ember) == run(torch) == [18.0, 36.0]

"""Higher-order derivatives, the graph of gradients, hooks and memory, against PyTorch.

- first, second and third derivatives (chains of `autograd.grad(..., create_graph=True)`) of
  compositions of many ops, in float64, must match PyTorch's to a tight tolerance;
- the `grad_fn` of a gradient computed with `create_graph=True` is named as PyTorch names it;
- hooks (tensor hooks, retain_grad, Node pre/post hooks) run in PyTorch's order with the same
  arguments, and may replace gradients as in PyTorch;
- memory: saved tensors die after a backward without retain_graph, and a long training loop
  does not grow the number of live objects or the traced memory peak.
"""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

from helpers import assert_same

import ember

torch = pytest.importorskip("torch")
from helpers import raised  # noqa: E402



def assert_tree(e, t, path="result", rtol=1e-10, atol=1e-12):
    if torch.is_tensor(t):
        assert isinstance(e, ember.Tensor), f"{path}: ember gave {e!r}, torch a tensor"
        try:
            assert_same(e, t, rtol=rtol, atol=atol)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from None
    elif isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), \
            f"{path}: ember {e!r} != torch {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_tree(a, b, f"{path}[{i}]", rtol, atol)
    else:
        assert e == t, f"{path}: ember {e!r} != torch {t!r}"


def both(fn, **tolerance):
    t = fn(torch)
    e = fn(ember)
    assert_tree(e, t, **tolerance)
    return t




def tensor(T, array, requires_grad=False):
    return T.tensor(np.asarray(array, dtype=np.float64), dtype=T.float64,
                    requires_grad=requires_grad)


# -- compositions, differentiated three times -----------------------------------------------------

RNG = np.random.default_rng(1234)
X = RNG.uniform(-1.5, 1.5, size=(3, 4))
X_POS = RNG.uniform(0.4, 2.0, size=(3, 4))
W = RNG.uniform(-1.0, 1.0, size=(4,))
W_POS = RNG.uniform(0.5, 1.5, size=(4,))
A3 = RNG.uniform(-1.0, 1.0, size=(2, 3, 4))
B2 = RNG.uniform(-1.0, 1.0, size=(4, 2))
V1 = [RNG.standard_normal(s) for s in ((3, 4), (4,), (2, 3, 4), (4, 2))]
V2 = [RNG.standard_normal(s) for s in ((3, 4), (4,), (2, 3, 4), (4, 2))]


def _inplace_on_clones(T, x, w):
    y = x.clone()
    y.mul_(w)                  # broadcast in-place product
    y[0] = y[0] * 2            # write through a select view
    y[:, 1] += x[:, 2]         # in-place add on a slice view
    y.sin_()
    z = y.clone()
    z.div_(w * w + 1)
    z[1:, :2].exp_()
    return (z * x).sum()


def _views(T, x, w):
    v = x.view(-1)[::3]                             # (4,)
    p = x.reshape(2, 6).permute(1, 0)               # (6, 2)
    e = x.unsqueeze(0).expand(2, 3, 4)
    s = x[1:, ::2].t()                              # (2, 2)
    return ((v * w).sin().sum() + (p * p * p).sum() * 0.1 + (e.sum(0) * x * x).mean()
            + s.sum() * w[0] + x.transpose(0, 1).flatten()[3] * w[1]
            + x[None, ..., 2].squeeze(0).sum() * w.sum())


def _prod(t):
    """The product of the elements of a short 1-d tensor, as repeated multiplication."""
    out = t[0]
    for i in range(1, t.shape[0]):
        out = out * t[i]
    return out


def _indexing(T, x, w):
    idx = T.tensor([2, 0, 2])
    rows = x[idx]                                   # advanced indexing, a repeated row
    mask = x > 0
    return ((rows * w).sum() + (x[mask] ** 2).sum() + x[1, 3] * x[0, 0]
            + _prod(x[:, [1, 3]].flatten()))


COMPOSITIONS = {
    # arithmetic with broadcasting and Python scalars
    "arithmetic": lambda T, x, w: ((x * x * w - x / (w * w + 3) + x ** 3 - 2 * x + 1.5)
                                   .sum()),
    "division_chain": lambda T, x, w: ((x + 3) / (w * w + 1) / (x * x + 2)).sum(),
    "powers": lambda T, x, w: ((x * x + 1) ** w + 2 ** (x * w) + (x * x + 0.5) ** 1.5
                               + x ** -2 * 0.01).sum(),
    "transcendental": lambda T, x, w: (x.sin() * w.cos() + (x * 0.3).exp()
                                       - (x * x + 1).log() + (x * x + 1).sqrt()).mean(),
    "activations": lambda T, x, w: (x.tanh() * w.sigmoid() + (x * w).relu() ** 2
                                    + x.sigmoid() * x.tanh()).sum(),
    "reductions": lambda T, x, w: ((x * w).sum(1) ** 2).mean() + (x.mean(0, keepdim=True)
                                                                  * x).sum()
                                  + (x.sum((0, 1)) * w).sum(),
    "matmul_2d": lambda T, x, w: ((x @ w).tanh() @ (x @ w.unsqueeze(1)).squeeze(1)
                                  + (x.t() @ x * 0.1).exp().sum()),
    "matmul_broadcast": lambda T, x, w: ((T.matmul(x.unsqueeze(0) * w, x.t()) ** 2).sum()
                                         + (w @ x.t()).sin().sum()),
    "views": _views,
    "in_place_on_clones": _inplace_on_clones,
    "where_abs_neg_reciprocal": lambda T, x, w: (T.where(x > 0, x * x, (x * w).sin())
                                                 + (x * w).abs() * x - (-x).exp()
                                                 + (x * x + 1).reciprocal()).sum(),
    "unbind_select": lambda T, x, w: sum((r * w * i).sin().sum() for i, r in
                                         enumerate(x.unbind(0))) + _prod(x.select(1, 2)),
    "indexing": _indexing,
}


def _batched_matmul(T, x, w):
    a = tensor(T, A3) * w                               # (2, 3, 4), depends on w
    return ((a @ tensor(T, B2)).sigmoid() * (T.matmul(a, x.t()).sum(0) @ x).sum()).sum() * 0.1


COMPOSITIONS["matmul_batched"] = _batched_matmul


def _derivatives(T, name, order):
    """f, then `order` derivatives: each the gradient of (previous gradient . fixed vector)."""
    x = tensor(T, X, True)
    w = tensor(T, W, True)
    f = COMPOSITIONS[name](T, x, w)
    results = [f.detach()]
    current = f
    for k in range(order):
        grads = T.autograd.grad(current, (x, w), create_graph=True, allow_unused=True)
        results.append(tuple(None if g is None else g.detach() for g in grads))
        results.append(tuple(None if g is None else g.requires_grad for g in grads))
        vs = (V1, V2, V1)[k]
        terms = [(g * tensor(T, v)).sum() for g, v in zip(grads, vs[:2])
                 if g is not None and g.requires_grad]
        if not terms:
            break
        current = sum(terms[1:], terms[0])
    return results


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_first_second_third_derivatives(name):
    both(lambda T: _derivatives(T, name, 3))


def test_hand_derived_derivatives_of_a_cubic():
    """f = sum(x^3 w): df/dx = 3x^2 w, d2 = 6 x w, d3 = 6 w (with unit vectors)."""
    def scenario(T):
        x, w = tensor(T, [0.5, -1.0], True), tensor(T, [2.0, 3.0], True)
        f = (x ** 3 * w).sum()
        g1, = T.autograd.grad(f, x, create_graph=True)
        g2, = T.autograd.grad(g1.sum(), x, create_graph=True)
        g3, = T.autograd.grad(g2.sum(), x, create_graph=True)
        gw, = T.autograd.grad(g3.sum(), w)
        return g1, g2, g3, gw
    t = both(scenario)
    assert [g.tolist() for g in t] == [[1.5, 9.0], [6.0, -18.0], [12.0, 18.0], [6.0, 6.0]]


def test_third_derivative_of_sin_exp():
    def scenario(T):
        x = tensor(T, [0.3, 1.1, -0.4], True)
        y = (x.sin() * x.exp()).sum()
        gs = []
        for _ in range(3):
            y, = T.autograd.grad(y.sum() if y.dim() else y, x, create_graph=True)
            gs.append(y.detach())
        return gs
    t = both(scenario)
    x = np.array([0.3, 1.1, -0.4])
    # (e^x sin x)''' = 2 e^x (cos x - sin x)
    np.testing.assert_allclose(t[2].numpy(), 2 * np.exp(x) * (np.cos(x) - np.sin(x)), rtol=1e-12)


def test_mixed_partials_are_symmetric_and_match():
    def scenario(T):
        x, w = tensor(T, [0.7, -0.2], True), tensor(T, [1.3, 0.4], True)
        f = (x.tanh() * w.exp() * x * w).sum()
        gx, = T.autograd.grad(f, x, create_graph=True)
        gw, = T.autograd.grad(f, w, create_graph=True)
        dxdw = [T.autograd.grad(gx[i], w, retain_graph=True)[0] for i in range(2)]
        dwdx = [T.autograd.grad(gw[i], x, retain_graph=True)[0] for i in range(2)]
        return dxdw, dwdx
    t = both(scenario)
    for i in range(2):
        for j in range(2):
            assert abs(t[0][i][j].item() - t[1][j][i].item()) < 1e-12


def test_second_derivative_through_relu_is_zero_not_an_error():
    def scenario(T):
        x = tensor(T, [-1.0, 0.5, 2.0], True)
        g, = T.autograd.grad((x.relu() * 3).sum(), x, create_graph=True)
        h, = T.autograd.grad(g.sum(), x, allow_unused=True)
        return g.detach(), g.requires_grad, h
    both(scenario)


def test_backward_with_create_graph_then_backward_of_the_grad():
    def scenario(T):
        x = tensor(T, [0.5, 2.0], True)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        return g.detach(), x.grad
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = both(scenario)
    assert t[1].tolist() == [3.0, 12.0]


def test_in_place_op_on_a_saved_output_is_an_error():
    """exp_ saves its result; sin_ then overwrites it in place: backward must refuse."""
    def scenario(T):
        x = tensor(T, [0.5, 1.5], True)
        y = x.clone()
        y.exp_()
        y.sin_()
        y.sum().backward()
        return x.grad
    t_exc, e_exc = raised(scenario, torch), raised(scenario, ember)
    assert "which is output 0 of Exp" in str(t_exc)
    assert type(e_exc) is RuntimeError, f"torch: {t_exc}; ember: {e_exc!r}"
    assert "modified by an inplace operation" in str(e_exc)


# -- grad_fn of gradients computed with create_graph ---------------------------------------------

GRAD_FN_CASES = {
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "square": lambda x: x ** 2,
    "cube": lambda x: x ** 3,
    "mul_self": lambda x: x * x,
    "reciprocal_div": lambda x: 1 / x,
    "abs": lambda x: x.abs(),
    "matmul": lambda x: x @ x,
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "neg": lambda x: -x,
    "mul_scalar": lambda x: x * 3,
    "times_exp": lambda x: x.exp() * x,
    "square_of_sum": lambda x: x.sum() ** 2,
}


@pytest.mark.parametrize("name", sorted(GRAD_FN_CASES))
def test_grad_fn_name_of_a_gradient_made_with_create_graph(name):
    def scenario(T):
        x = tensor(T, [0.5, 2.0], True)
        g, = T.autograd.grad(GRAD_FN_CASES[name](x).sum(), x, create_graph=True)
        return g.grad_fn.name() if g.grad_fn is not None else None, g.requires_grad
    both(scenario)


def test_grad_fn_name_of_a_leaf_grad_from_backward_with_create_graph():
    def scenario(T):
        x = tensor(T, [0.5, 2.0], True)
        (x.exp() * x).sum().backward(create_graph=True)
        g = x.grad
        return g.grad_fn.name() if g.grad_fn is not None else None, g.requires_grad
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both(scenario)


# -- hooks ----------------------------------------------------------------------------------------


def test_hook_call_order_tensor_hooks_retain_grad_and_node_hooks():
    """Whatever the registration order, PyTorch runs a node's tensor hooks, then retain_grad's,
    then the Node pre-hooks, the node itself, and its post-hooks."""
    def scenario(T):
        log = []
        x = tensor(T, [1.0, 2.0], True)
        y = x * 2
        node = y.grad_fn
        node.register_prehook(lambda grad_outputs: log.append("node_pre"))
        y.register_hook(lambda g: log.append(("tensor_hook_1", g.tolist())))
        y.retain_grad()
        y.register_hook(lambda g: log.append(("tensor_hook_2", g.tolist())))
        node.register_hook(lambda grad_inputs, grad_outputs: log.append("node_post"))
        x.register_hook(lambda g: log.append(("leaf_hook", g.tolist())))
        (y * 3).sum().backward()
        return log, y.grad, x.grad
    t = both(scenario)
    assert [e if isinstance(e, str) else e[0] for e in t[0]] == [
        "tensor_hook_1", "tensor_hook_2", "node_pre", "node_post", "leaf_hook"]


def test_node_pre_hook_receives_and_may_replace_the_grad_outputs_tuple():
    """A Node pre-hook gets the tuple of gradients of the node's outputs; what it returns
    replaces them for the node but not for retain_grad (which ran before it)."""
    def scenario(T):
        log = []
        x = tensor(T, [1.0, -2.0], True)
        y = x * 2
        y.retain_grad()

        def pre(grad_outputs):
            log.append((type(grad_outputs).__name__, [g.tolist() for g in grad_outputs]))
            return (grad_outputs[0] * 10,)
        y.grad_fn.register_prehook(pre)
        (y * y).sum().backward()
        return log, y.grad, x.grad
    t = both(scenario)
    assert t[2].tolist() == [80.0, -160.0]


def test_node_post_hook_receives_grad_inputs_and_grad_outputs():
    def scenario(T):
        log = []
        x = tensor(T, [1.0, -2.0], True)
        a = x.exp()
        y = x * a
        c = tensor(T, [3.0, 4.0])
        z = x * c

        def post(grad_inputs, grad_outputs):
            log.append(([None if g is None else g.tolist() for g in grad_inputs],
                        [g.tolist() for g in grad_outputs]))
        y.grad_fn.register_hook(post)
        z.grad_fn.register_hook(post)
        (y.sum() + (z * 2).sum()).backward()
        return log, x.grad
    both(scenario)


def test_node_post_hook_may_replace_grad_inputs():
    def scenario(T):
        x = tensor(T, [1.0, -2.0], True)
        y = x * 2
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 100, None))
        (y * 3).sum().backward()
        return x.grad
    assert both(scenario).tolist() == [600.0, 600.0]


def test_node_hook_handles_remove():
    def scenario(T):
        log = []
        x = tensor(T, [1.0, -2.0], True)
        y = x * 2
        h1 = y.grad_fn.register_prehook(lambda go: log.append("pre"))
        h2 = y.grad_fn.register_hook(lambda gi, go: log.append("post"))
        y.sum().backward(retain_graph=True)
        h1.remove()
        y.sum().backward(retain_graph=True)
        h2.remove()
        y.sum().backward()
        return log, x.grad
    t = both(scenario)
    assert t[0] == ["pre", "post", "post"]


def test_several_tensor_hooks_chain_and_replace_the_gradient():
    def scenario(T):
        log = []
        x = tensor(T, [1.0, 2.0], True)
        y = x * x

        def double(g):
            log.append(("double", g.tolist()))
            return g * 2

        def observe(g):
            log.append(("observe", g.tolist()))

        def plus_one(g):
            log.append(("plus_one", g.tolist()))
            return g + 1
        y.register_hook(double)
        y.register_hook(observe)
        y.register_hook(plus_one)
        y.retain_grad()
        (y * 3).sum().backward()
        return log, y.grad, x.grad
    t = both(scenario)
    assert t[1].tolist() == [7.0, 7.0]          # (3 * 2) + 1
    assert t[2].tolist() == [14.0, 28.0]        # 7 * 2x


def test_retain_grad_sees_hooks_registered_after_it():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        y = x * x
        y.retain_grad()
        y.register_hook(lambda g: g * 5)
        y.sum().backward()
        return y.grad, x.grad
    t = both(scenario)
    assert t[0].tolist() == [5.0, 5.0]


def test_leaf_hooks_chain_and_replace_what_is_accumulated():
    def scenario(T):
        log = []
        x = tensor(T, [1.0, 2.0], True)
        x.register_hook(lambda g: log.append(("first", g.tolist())) or g * 2)
        x.register_hook(lambda g: log.append(("second", g.tolist())))
        (x * 3).sum().backward()
        return log, x.grad
    t = both(scenario)
    assert t[1].tolist() == [6.0, 6.0]


def test_hook_on_a_tensor_used_twice_sees_the_summed_gradient_once():
    def scenario(T):
        log = []
        x = tensor(T, [1.0, 2.0], True)
        y = x * 2
        y.register_hook(lambda g: log.append(g.tolist()))
        (y * 3 + y * y).sum().backward()
        return log, x.grad
    t = both(scenario)
    assert t[0] == [[7.0, 11.0]]


def test_tensor_hook_removed_with_its_handle():
    def scenario(T):
        log = []
        x = tensor(T, [1.0, 2.0], True)
        y = x * 2
        hy = y.register_hook(lambda g: log.append("y") or g * 10)
        hx = x.register_hook(lambda g: log.append("x"))
        y.sum().backward(retain_graph=True)
        hy.remove()
        y.sum().backward(retain_graph=True)
        hx.remove()
        y.sum().backward()
        return log, x.grad
    t = both(scenario)
    assert t[0] == ["y", "x", "x"]
    assert t[1].tolist() == [24.0, 24.0]


def test_hooks_run_during_autograd_grad_too():
    def scenario(T):
        log = []
        x = tensor(T, [1.0, 2.0], True)
        y = x ** 2
        y.register_hook(lambda g: log.append(g.tolist()) or g * 3)
        g, = T.autograd.grad(y.sum(), x)
        return log, g, x.grad
    both(scenario)


def test_hook_that_changes_the_gradient_under_create_graph_is_differentiated():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        y = x ** 2
        y.register_hook(lambda g: g * x)          # the replaced gradient depends on x
        g, = T.autograd.grad(y.sum(), x, create_graph=True)
        h, = T.autograd.grad(g.sum(), x)
        return g.detach(), h
    t = both(scenario)
    assert t[0].tolist() == [2.0, 8.0] and t[1].tolist() == [4.0, 8.0]


# -- memory ---------------------------------------------------------------------------------------


def test_saved_intermediate_is_released_by_backward():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        a = x.exp()
        b = a.sin()                    # SinBackward0 saves a
        ref = weakref.ref(a)
        del a
        gc.collect()
        before = ref() is not None
        b.sum().backward()
        after = ref() is not None
        return before, after
    assert both(scenario) == (True, False)


def test_saved_intermediate_kept_with_retain_graph_then_released():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        a = x.exp()
        b = a * a
        ref = weakref.ref(a)
        del a
        b.sum().backward(retain_graph=True)
        kept = ref() is not None
        b.sum().backward()
        return kept, ref() is not None, x.grad
    t = both(scenario)
    assert t[:2] == (True, False)


def test_saved_arrays_are_freed_and_node_forgets_them():
    """ember's own storage: the arrays nodes saved (an input of sin, the output of exp) die,
    and the nodes' `_saved` is cleared; PyTorch reports its saved tensors as freed."""
    x = ember.tensor([0.5, 1.5], dtype=ember.float64, requires_grad=True)
    a = x * 3
    b = a.sin()                                  # SinBackward0 saves a
    y = b.exp()                                  # ExpBackward0 saves its own output
    z = y * 2.0
    refs = [weakref.ref(a._data), weakref.ref(y._data)]
    sin_node, exp_node = b.grad_fn, y.grad_fn
    del a, b, y
    gc.collect()
    assert [r() is not None for r in refs] == [True, True]
    z.sum().backward()
    gc.collect()
    assert [r() is None for r in refs] == [True, True]
    assert sin_node._saved is None and exp_node._saved is None
    assert x.grad is not None

    tx = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    tb = (tx * 3).sin()
    ty = tb.exp()
    (ty * 2.0).sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        tb.grad_fn._saved_self
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        ty.grad_fn._saved_result
    assert_same(x.grad, tx.grad, rtol=1e-12, atol=1e-12)


def test_saved_tensor_attributes_after_backward():
    """PyTorch exposes what a node saved (`_saved_self`, `_saved_result`), and accessing it
    after the graph was freed raises the backward-twice error."""
    def scenario(T):
        x = tensor(T, [0.5, 1.5], True)
        y = x.exp()
        z = y.sin()
        saved = (z.grad_fn._saved_self.detach(), y.grad_fn._saved_result.detach())
        z.sum().backward()
        z.grad_fn._saved_self
        return saved
    t_exc, e_exc = raised(scenario, torch), raised(scenario, ember)
    assert "after they have already been freed" in str(t_exc)
    assert type(e_exc) is RuntimeError and "after they have already been freed" in str(e_exc), \
        f"torch: {t_exc!r}; ember: {e_exc!r}"


def _train(T, steps, probe=None):
    rng = np.random.default_rng(0)
    xs = tensor(T, rng.uniform(-1, 1, size=(16, 3)))
    ys = tensor(T, rng.uniform(-1, 1, size=(16, 1)))
    w = tensor(T, np.full((3, 1), 0.1), True)
    b = tensor(T, np.zeros(1), True)
    loss = None
    for step in range(steps):
        if probe is not None:
            probe(step)
        hidden = (xs @ w + b).tanh()
        loss = ((hidden - ys) ** 2).mean()
        loss.backward()
        with T.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach(), loss.detach()


def test_training_loop_does_not_grow_memory():
    steps, warmup, middle = 2000, 200, 1000
    counts = {}
    peaks = {}

    def probe(step):
        if step == warmup:
            gc.collect()
            counts["start"] = len(gc.get_objects())
            tracemalloc.start()
        elif step == middle:
            peaks["first"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()

    try:
        result = _train(ember, steps, probe)
        peaks["second"] = tracemalloc.get_traced_memory()[1]
        gc.collect()                             # also empties the interpreter's free lists
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    counts["end"] = len(gc.get_objects())
    assert counts["end"] - counts["start"] < 100, counts
    assert peaks["second"] <= peaks["first"] + 16 * 1024, peaks
    assert current < 64 * 1024, current
    assert_tree(result, _train(torch, steps))


def test_graph_is_freed_by_reference_counting():
    """Once the output is dropped, its graph dies at once: no reference cycles that only the
    cyclic collector could free (PyTorch's graph is freed the same way). ember's nodes are
    checked by weakref (PyTorch's Python node objects do not support weakrefs)."""
    gc.collect()
    gc.disable()
    try:
        x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
        y = (x.exp() * x).sin()
        refs = [weakref.ref(y.grad_fn), weakref.ref(y.grad_fn.next_functions[0][0])]
        y.sum().backward()
        del y
        assert [r() is None for r in refs] == [True, True]
        assert gc.collect() == 0
    finally:
        gc.enable()
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (tx.exp() * tx).sin().sum().backward()
    assert_same(x.grad, tx.grad, rtol=1e-12, atol=1e-12)

"""Custom autograd Functions (`ember.autograd.Function`), differentially against PyTorch.

Each custom Function is written once, as a class factory taking the library module `T`; the
same class body is then built on `torch.autograd.Function` and on `ember.autograd.Function`,
and a scenario `fn(T)` runs with both libraries. Results (values, dtypes, flags, node names,
what `ctx` reports, the arguments `backward` receives) and errors must agree.
"""
import numpy as np
import pytest

from helpers import assert_same

import ember

torch = pytest.importorskip("torch")
from helpers import raised, same_error  # noqa: E402



# -- helpers ---------------------------------------------------------------------------------


def leaf(T, values, requires_grad=True, dtype="float64"):
    return T.tensor(values, dtype=getattr(T, dtype), requires_grad=requires_grad)


def assert_tree(e, t, path="result"):
    """Nested tuples/lists/dicts of tensors and plain values: ember's `e` equals torch's `t`
    (tensors: same dtype and shape, values within 1e-12 in float64)."""
    if torch.is_tensor(t):
        assert isinstance(e, ember.Tensor), f"{path}: ember gave {e!r}, torch a tensor"
        try:
            assert_same(e, t, rtol=1e-12, atol=1e-12)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from None
    elif isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), \
            f"{path}: ember {e!r} != torch {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_tree(a, b, f"{path}[{i}]")
    elif isinstance(t, dict):
        assert isinstance(e, dict) and set(e) == set(t), f"{path}: ember {e!r} != torch {t!r}"
        for k in t:
            assert_tree(e[k], t[k], f"{path}[{k!r}]")
    else:
        assert e == t, f"{path}: ember {e!r} != torch {t!r}"


def both(fn):
    """Run `fn(torch)` and `fn(ember)`; their results must agree. Returns torch's."""
    t = fn(torch)
    e = fn(ember)
    assert_tree(e, t)
    return t






def grad_of(T, outputs, inputs, **kwargs):
    return T.autograd.grad(outputs, inputs, **kwargs)


# -- the custom Functions, written once ------------------------------------------------------


def square_cls(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x
    return Square


def cube_cls(T):
    """Backward written with differentiable ops: higher derivatives flow through it."""
    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 3 * x * x
    return Cube


def mul_add_cls(T, record):
    """Two tensor inputs, a Python number and a string; `record` keeps what ctx reports."""
    class MulAdd(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, alpha, label):
            record["forward_needs_input_grad"] = tuple(ctx.needs_input_grad)
            record["forward_grad_enabled"] = T.is_grad_enabled()
            record["label"] = label
            ctx.alpha = alpha
            ctx.save_for_backward(x, y)
            return x * y + alpha

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            record["backward_needs_input_grad"] = tuple(ctx.needs_input_grad)
            gx = grad * y if ctx.needs_input_grad[0] else None
            gy = grad * x if ctx.needs_input_grad[1] else None
            return gx, gy, None, None
    return MulAdd


# -- forward, backward, saved tensors --------------------------------------------------------


def test_forward_and_backward():
    def scenario(T):
        x = leaf(T, [1.5, -2.0, 3.0])
        y = square_cls(T).apply(x)
        y.backward(leaf(T, [1.0, 2.0, 0.5], requires_grad=False))
        return y.detach(), x.grad, y.requires_grad, y.is_leaf
    t = both(scenario)
    assert t[1].tolist() == [3.0, -8.0, 3.0]          # 2 x * grad, by hand


def test_backward_node_is_named_after_the_class():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = square_cls(T).apply(x)
        return (y.grad_fn.name(), type(y.grad_fn).__name__,
                [type(n).__name__ if n is not None else None
                 for n, _ in y.grad_fn.next_functions])
    t = both(scenario)
    assert t[0] == "SquareBackward"


def test_node_next_functions_of_a_non_leaf_input():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = square_cls(T).apply(x * 2)
        return [(n.name() if n is not None else None, i) for n, i in y.grad_fn.next_functions]
    assert both(scenario) == [("MulBackward0", 0)]


def test_saved_tensors_are_the_inputs_values():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = square_cls(T).apply(x)
        saved, = y.grad_fn.saved_tensors
        return saved.detach(), saved.requires_grad
    both(scenario)


def test_forward_runs_without_recording_and_needs_input_grad():
    def scenario(T):
        record = {}
        x = leaf(T, [1.0, 2.0])
        y = leaf(T, [3.0, 4.0], requires_grad=False)
        out = mul_add_cls(T, record).apply(x, y, 0.5, "tag")
        out.sum().backward()
        return record, x.grad, out.detach(), out.grad_fn.name()
    t = both(scenario)
    assert t[0]["forward_needs_input_grad"] == (True, False, False, False)
    assert t[0]["forward_grad_enabled"] is False
    assert t[1].tolist() == [3.0, 4.0]


def test_needs_input_grad_both_inputs():
    def scenario(T):
        record = {}
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, 4.0])
        mul_add_cls(T, record).apply(x, y, 2.0, "z").sum().backward()
        return record, x.grad, y.grad
    both(scenario)


def test_no_input_requires_grad_records_nothing():
    def scenario(T):
        x = leaf(T, [1.0, 2.0], requires_grad=False)
        y = square_cls(T).apply(x)
        return y.requires_grad, y.grad_fn is None, y
    both(scenario)


def test_apply_under_no_grad_records_nothing():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        with T.no_grad():
            y = square_cls(T).apply(x)
        return y.requires_grad, y.grad_fn is None
    both(scenario)


def test_non_tensor_arguments_pass_through():
    def scenario(T):
        class Scale(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, factor, shape, flag=None):
                ctx.factor = factor
                return (x * factor).reshape(shape)

            @staticmethod
            def backward(ctx, grad):
                return grad.reshape(-1) * ctx.factor, None, None, None
        x = leaf(T, [1.0, 2.0, 3.0, 4.0])
        y = Scale.apply(x, 2.5, (2, 2), None)
        (y * leaf(T, [[1.0, 2.0], [3.0, 4.0]], requires_grad=False)).sum().backward()
        return y.detach(), x.grad
    t = both(scenario)
    assert t[1].tolist() == [2.5, 5.0, 7.5, 10.0]


def test_gradient_of_a_broadcast_input_is_summed_to_its_shape():
    """A backward may return a gradient that is expandable to the input's shape: PyTorch sums
    it back (validate_outputs)."""
    def scenario(T):
        class AddRow(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, row):
                return x + row

            @staticmethod
            def backward(ctx, grad):
                return grad, grad                 # grad has x's shape, not row's
        x = leaf(T, [[1.0, 2.0], [3.0, 4.0]])
        row = leaf(T, [[10.0, 20.0]])
        (AddRow.apply(x, row) * leaf(T, [[1.0, 2.0], [3.0, 4.0]], requires_grad=False)) \
            .sum().backward()
        return x.grad, row.grad
    t = both(scenario)
    assert t[1].tolist() == [[4.0, 6.0]]


# -- several outputs, non-differentiable outputs, materialize_grads --------------------------


def two_outputs_cls(T, record, materialize=True, non_differentiable=False):
    class Split(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x, y)
            prod, total = x * y, x + y
            if non_differentiable:
                ctx.mark_non_differentiable(total)
            return prod, total

        @staticmethod
        def backward(ctx, g_prod, g_total):
            record.append((None if g_prod is None else g_prod.detach().clone(),
                           None if g_total is None else g_total.detach().clone()))
            x, y = ctx.saved_tensors
            gx = gy = None
            if g_prod is not None:
                gx, gy = g_prod * y, g_prod * x
            if g_total is not None:
                gx = g_total if gx is None else gx + g_total
                gy = g_total if gy is None else gy + g_total
            return gx, gy
    return Split


def test_multiple_outputs():
    def scenario(T):
        record = []
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, -1.0])
        prod, total = two_outputs_cls(T, record).apply(x, y)
        (prod * 2 + total * 3).sum().backward()
        return (prod.detach(), total.detach(), prod.grad_fn.name(), prod.grad_fn is total.grad_fn,
                x.grad, y.grad, record)
    t = both(scenario)
    assert t[4].tolist() == [2 * 3.0 + 3, 2 * -1.0 + 3]


def test_backward_from_the_second_output_alone():
    """The root of the backward pass is output 1 of a two-output node."""
    def scenario(T):
        record = []
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, -1.0])
        _, total = two_outputs_cls(T, record).apply(x, y)
        gx, gy = T.autograd.grad(total, (x, y), leaf(T, [1.0, 2.0], requires_grad=False))
        return record, gx, gy
    t = both(scenario)
    assert t[1].tolist() == [1.0, 2.0]


def test_multiple_outputs_one_unused_gets_zeros_when_materialized():
    def scenario(T):
        record = []
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, -1.0])
        prod, _ = two_outputs_cls(T, record).apply(x, y)
        prod.sum().backward()
        return record, x.grad, y.grad
    t = both(scenario)
    assert t[0][0][1].tolist() == [0.0, 0.0]


def test_set_materialize_grads_false_passes_none():
    def scenario(T):
        record = []
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, -1.0])
        prod, _ = two_outputs_cls(T, record, materialize=False).apply(x, y)
        prod.sum().backward()
        return record, x.grad, y.grad
    t = both(scenario)
    assert t[0][0][1] is None


def test_set_materialize_grads_false_other_output():
    def scenario(T):
        record = []
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, -1.0])
        _, total = two_outputs_cls(T, record, materialize=False).apply(x, y)
        (total * 2).sum().backward()
        return record, x.grad, y.grad
    t = both(scenario)
    assert t[0][0][0] is None


def test_mark_non_differentiable():
    def scenario(T):
        record = []
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, -1.0])
        prod, total = two_outputs_cls(T, record, non_differentiable=True).apply(x, y)
        flags = (prod.requires_grad, total.requires_grad, total.grad_fn is None, total.is_leaf)
        prod.sum().backward()
        return flags, record, x.grad, y.grad
    t = both(scenario)
    assert t[0] == (True, False, True, True)
    assert t[1][0][1].tolist() == [0.0, 0.0]          # backward still gets a (zero) gradient


def test_mark_non_differentiable_output_cannot_be_backpropagated():
    def scenario(T):
        x, y = leaf(T, [1.0, 2.0]), leaf(T, [3.0, -1.0])
        _, total = two_outputs_cls(T, [], non_differentiable=True).apply(x, y)
        total.sum().backward()
    same_error(scenario, "does not require grad")


def test_returning_an_input_unchanged():
    def scenario(T):
        class Identity(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 3
        x = leaf(T, [1.0, 2.0])
        y = Identity.apply(x)
        flags = (y is x, y.requires_grad, y.is_leaf, y.grad_fn.name(),
                 y.data_ptr() == x.data_ptr(), x.grad_fn is None, x.is_leaf)
        (y * leaf(T, [1.0, 2.0], requires_grad=False)).sum().backward()
        return flags, x.grad
    t = both(scenario)
    assert t[0][0] is False
    assert t[1].tolist() == [3.0, 6.0]


def test_returning_an_input_unchanged_among_several_outputs():
    def scenario(T):
        class PassAndDouble(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x, x * 2

            @staticmethod
            def backward(ctx, g_same, g_double):
                return g_same + 2 * g_double
        x = leaf(T, [1.0, 2.0])
        same, double = PassAndDouble.apply(x)
        (same * 5 + double).sum().backward()
        return same is x, same.grad_fn.name(), double.grad_fn.name(), x.grad
    t = both(scenario)
    assert t[3].tolist() == [7.0, 7.0]


# -- setup_context -----------------------------------------------------------------------------


def test_setup_context_form():
    def scenario(T):
        record = {}

        class Scaled(T.autograd.Function):
            @staticmethod
            def forward(x, factor):
                record["grad_enabled_in_forward"] = T.is_grad_enabled()
                return x * factor

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, factor = inputs
                record["inputs"] = (x.detach(), factor)
                record["output"] = output.detach()
                ctx.factor = factor
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, grad):
                x, = ctx.saved_tensors
                return grad * ctx.factor + x * 0, None
        x = leaf(T, [1.0, -2.0])
        y = Scaled.apply(x, 4.0)
        y.sum().backward()
        return record, y.detach(), y.grad_fn.name(), x.grad
    t = both(scenario)
    assert t[2] == "ScaledBackward"
    assert t[3].tolist() == [4.0, 4.0]


def test_setup_context_with_several_outputs():
    def scenario(T):
        class SinCos(T.autograd.Function):
            @staticmethod
            def forward(x):
                return x.sin(), x.cos()

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, = inputs
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, g_sin, g_cos):
                x, = ctx.saved_tensors
                return g_sin * x.cos() - g_cos * x.sin()
        x = leaf(T, [0.5, 1.5])
        s, c = SinCos.apply(x)
        (s * 2 + c).sum().backward()
        return s.detach(), c.detach(), x.grad
    both(scenario)


# -- once_differentiable and higher-order gradients --------------------------------------------


def once_cls(T):
    class SquareOnce(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x
    return SquareOnce


def test_once_differentiable_first_derivative():
    def scenario(T):
        x = leaf(T, [1.0, 3.0])
        once_cls(T).apply(x).sum().backward()
        return x.grad
    assert both(scenario).tolist() == [2.0, 6.0]


def test_once_differentiable_first_derivative_with_create_graph():
    def scenario(T):
        x = leaf(T, [1.0, 3.0])
        g, = grad_of(T, once_cls(T).apply(x).sum(), x, create_graph=True)
        y = once_cls(T).apply(x)
        g2, = grad_of(T, (y * y).sum(), x, create_graph=True)
        return g.detach(), g.requires_grad, g2.detach(), g2.requires_grad
    both(scenario)


def test_once_differentiable_double_backward_is_an_error():
    def scenario(T):
        x = leaf(T, [1.0, 3.0])
        y = once_cls(T).apply(x)
        g, = grad_of(T, (y * y).sum(), x, create_graph=True)   # y's gradient requires grad
        assert g.requires_grad
        g.sum().backward()
    same_error(scenario, "trying to differentiate twice a function that was marked with "
                         "@once_differentiable")


def test_once_differentiable_is_importable_from_autograd():
    assert ember.autograd.once_differentiable is ember.autograd.function.once_differentiable
    assert torch.autograd.function.once_differentiable is not None


@pytest.mark.parametrize("order", [1, 2, 3])
def test_higher_order_gradients_through_a_custom_function(order):
    def scenario(T):
        x = leaf(T, [0.5, -1.5, 2.0])
        y = cube_cls(T).apply(x).sum()
        results = []
        g = y
        for _ in range(order):
            g, = grad_of(T, g.sum(), x, create_graph=True)
            results.append((g.detach(), g.requires_grad))
        return results
    t = both(scenario)
    x = np.array([0.5, -1.5, 2.0])
    expected = [3 * x ** 2, 6 * x, np.full(3, 6.0)]       # by hand
    for k in range(order):
        np.testing.assert_allclose(t[k][0].numpy(), expected[k], rtol=1e-12)


def test_second_derivative_of_a_composition_with_a_custom_function():
    def scenario(T):
        x = leaf(T, [0.3, -0.7])
        y = (cube_cls(T).apply(x.sin()) * x).sum()
        g, = grad_of(T, y, x, create_graph=True)
        h, = grad_of(T, g.sum(), x)
        return g.detach(), h
    both(scenario)


def test_custom_function_backward_receives_a_grad_requiring_gradient_under_create_graph():
    def scenario(T):
        seen = []

        class Spy(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                seen.append((grad.requires_grad, T.is_grad_enabled()))
                return grad * 2
        x = leaf(T, [1.0])
        y = Spy.apply(x) ** 2
        grad_of(T, y.sum(), x, create_graph=True)
        grad_of(T, Spy.apply(x).sum() * 3, x)
        return seen
    both(scenario)


# -- errors --------------------------------------------------------------------------------------


def test_wrong_number_of_gradients():
    def scenario(T):
        class TooMany(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2, grad
        TooMany.apply(leaf(T, [1.0, 2.0])).sum().backward()
    t_exc, e_exc = same_error(scenario, "returned an incorrect number of gradients")
    assert str(e_exc) == str(t_exc)


def test_too_few_gradients():
    def scenario(T):
        class TooFew(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, grad):
                return grad
        TooFew.apply(leaf(T, [1.0, 2.0]), leaf(T, [3.0, 4.0])).sum().backward()
    t_exc, e_exc = same_error(scenario, "returned an incorrect number of gradients")
    assert str(e_exc) == str(t_exc)


def test_extra_none_gradients_are_allowed():
    def scenario(T):
        class ExtraNone(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2, None, None
        x = leaf(T, [1.0, 2.0])
        ExtraNone.apply(x).sum().backward()
        return x.grad
    both(scenario)


def test_gradient_of_the_wrong_shape():
    def scenario(T):
        class BadShape(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return T.ones(3, dtype=T.float64)
        BadShape.apply(leaf(T, [1.0, 2.0])).sum().backward()
    t_exc, e_exc = same_error(scenario, "returned an invalid gradient at index 0")
    assert str(e_exc) == str(t_exc)


def test_gradient_for_a_non_tensor_input():
    def scenario(T):
        class GradForNumber(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, grad):
                return grad * 2, grad
        GradForNumber.apply(leaf(T, [1.0, 2.0]), 2.0).sum().backward()
    t_exc, e_exc = same_error(scenario, "returned a gradient different than None at position 2, "
                                        "but the corresponding forward input was not a Variable")


def test_forward_not_implemented():
    def scenario(T):
        class NoForward(T.autograd.Function):
            @staticmethod
            def backward(ctx, grad):
                return grad
        NoForward.apply(leaf(T, [1.0]))
    same_error(scenario, "You must implement the forward function for custom autograd.Function.")


def test_backward_not_implemented():
    def scenario(T):
        class NoBackward(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2
        NoBackward.apply(leaf(T, [1.0])).sum().backward()
    same_error(scenario, "You must implement either the backward or vjp method")


def test_saved_tensors_after_backward_are_freed():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        y = square_cls(T).apply(x)
        y.sum().backward()
        return y.grad_fn.saved_tensors
    same_error(scenario, "Trying to backward through the graph a second time")


def test_saved_input_modified_in_place_is_an_error():
    def scenario(T):
        x = leaf(T, [1.0, 2.0])
        a = x * 1
        y = square_cls(T).apply(a)
        a.mul_(2)
        y.sum().backward()
    same_error(scenario, "modified by an inplace operation")

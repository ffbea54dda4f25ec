"""`ember.autograd.functional` (vjp, jvp, jacobian, hessian, hvp, vhp) against PyTorch's.

Each scenario is a function of the library module `T` (it uses `T.autograd.functional`) and
runs with both libraries; values (float64, to 1e-12), the tuple-or-tensor structure of the
results, `requires_grad` of the results, and errors (type and message) must agree.
"""
import functools

import numpy as np
import pytest

from helpers import assert_same

import ember

torch = pytest.importorskip("torch")
from helpers import raised, same_error as _same_error  # noqa: E402

# messages here are compared whole unless a test says otherwise
same_error = functools.partial(_same_error, exact=True)



def assert_tree(e, t, path="result"):
    if torch.is_tensor(t):
        assert isinstance(e, ember.Tensor), f"{path}: ember gave {e!r}, torch a tensor"
        assert e.requires_grad == t.requires_grad, \
            f"{path}: requires_grad ember {e.requires_grad}, torch {t.requires_grad}"
        try:
            assert_same(e, t, rtol=1e-12, atol=1e-12)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from None
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t) and len(e) == len(t), \
            f"{path}: ember {type(e).__name__} {e!r} != torch {type(t).__name__} {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_tree(a, b, f"{path}[{i}]")
    else:
        assert e == t, f"{path}: ember {e!r} != torch {t!r}"


def both(fn):
    t = fn(torch)
    e = fn(ember)
    assert_tree(e, t)
    return t






def F(T):
    return T.autograd.functional


def tensor(T, values, requires_grad=False):
    return T.tensor(np.asarray(values, dtype=np.float64), dtype=T.float64,
                    requires_grad=requires_grad)


X = [[0.3, -1.1, 0.8], [1.7, 0.2, -0.5]]
Y = [0.9, -0.4, 1.3]


def f_single(x):
    return x ** 2 * x.sin() + x.exp() / 3


def f_two_in_two_out(a, b):
    return a * b + a.tanh(), (a.exp() * b).sum(1)


def f_scalar(x):
    return (x ** 3).sum() + (x.sin() * x).sum()


def f_scalar_two(a, b):
    return (a * a * b).sum() + (b ** 3).sum() * a.sum()


# -- vjp ------------------------------------------------------------------------------------------


def test_vjp_single_tensor():
    def scenario(T):
        x = tensor(T, X)
        return F(T).vjp(f_single, x, tensor(T, [[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]]))
    t = both(scenario)
    assert isinstance(t, tuple) and torch.is_tensor(t[0]) and torch.is_tensor(t[1])


def test_vjp_tuple_inputs_and_outputs():
    def scenario(T):
        a, b = tensor(T, X), tensor(T, Y)
        v = (tensor(T, [[1.0, 0.5, -1.0], [2.0, 1.0, 0.0]]), tensor(T, [0.5, -2.0]))
        return F(T).vjp(f_two_in_two_out, (a, b), v)
    both(scenario)


def test_vjp_scalar_output_with_v_none():
    def scenario(T):
        return F(T).vjp(f_scalar, tensor(T, X))
    both(scenario)


def test_vjp_one_element_output_with_v_none():
    def scenario(T):
        return F(T).vjp(lambda x: (x * x).sum().reshape(1, 1), tensor(T, Y))
    both(scenario)


def test_vjp_v_none_needs_a_single_element_output():
    same_error(lambda T: F(T).vjp(f_single, tensor(T, X)),
               "The vector v can only be None if the user-provided function returns a single "
               "Tensor with a single element.")


def test_vjp_v_of_the_wrong_size():
    same_error(lambda T: F(T).vjp(f_single, tensor(T, Y), tensor(T, [1.0, 2.0])),
               "v has invalid size: should be torch.Size([3]) but got torch.Size([2]).")


def test_vjp_v_tuple_of_the_wrong_length():
    same_error(lambda T: F(T).vjp(f_two_in_two_out, (tensor(T, X), tensor(T, Y)),
                                  (tensor(T, X),)),
               "v is a tuple of invalid length: should be 2 but got 1.")


def test_vjp_create_graph_results_are_differentiable():
    def scenario(T):
        x = tensor(T, Y, requires_grad=True)
        out, vjp = F(T).vjp(f_single, x, tensor(T, [1.0, -2.0, 0.5]), create_graph=True)
        second, = T.autograd.grad(vjp.sum(), x)
        return out, vjp, second
    both(scenario)


def test_vjp_without_create_graph_results_are_detached():
    def scenario(T):
        x = tensor(T, Y, requires_grad=True)
        out, vjp = F(T).vjp(f_single, x, tensor(T, [1.0, -2.0, 0.5]))
        return out, vjp, x.grad is None
    t = both(scenario)
    assert not t[0].requires_grad and not t[1].requires_grad


def test_vjp_strict_independent_input():
    same_error(lambda T: F(T).vjp(lambda a, b: a * 2, (tensor(T, Y), tensor(T, Y)),
                                  tensor(T, [1.0, 1.0, 1.0]), strict=True),
               "The output of the user-provided function is independent of input 1. This is "
               "not allowed in strict mode.")


def test_vjp_strict_output_not_requiring_grad():
    same_error(lambda T: F(T).vjp(lambda a: T.ones(3, dtype=T.float64), tensor(T, Y),
                                  tensor(T, [1.0, 1.0, 1.0]), strict=True),
               "Output 0 of the user-provided function does not require gradients. The outputs "
               "must be computed in a differentiable manner from the input when running in "
               "strict mode.")


def test_vjp_non_strict_independent_input_gets_zeros():
    def scenario(T):
        return F(T).vjp(lambda a, b: a * 2, (tensor(T, Y), tensor(T, X)),
                        tensor(T, [1.0, 2.0, 3.0]))
    t = both(scenario)
    assert t[1][1].tolist() == [[0.0] * 3] * 2


def test_vjp_non_tensor_inputs_and_outputs_are_type_errors():
    same_error(lambda T: F(T).vjp(lambda a: a * 2, 3.0),
               "The inputs given to vjp must be either a Tensor or a tuple of Tensors",
               exact=False)
    same_error(lambda T: F(T).vjp(lambda a: 3.0, tensor(T, [1.0])),
               "The outputs of the user-provided function given to vjp must be either a Tensor "
               "or a tuple of Tensors", exact=False)


# -- jvp ------------------------------------------------------------------------------------------


def test_jvp_single_tensor():
    def scenario(T):
        return F(T).jvp(f_single, tensor(T, X), tensor(T, [[1.0, 0.0, 2.0], [-1.0, 0.5, 1.0]]))
    both(scenario)


def test_jvp_tuple_inputs_and_outputs():
    def scenario(T):
        v = (tensor(T, [[1.0, 0.0, 2.0], [-1.0, 0.5, 1.0]]), tensor(T, [0.3, 0.2, -0.1]))
        return F(T).jvp(f_two_in_two_out, (tensor(T, X), tensor(T, Y)), v)
    both(scenario)


def test_jvp_v_none_for_a_single_element_input():
    def scenario(T):
        return F(T).jvp(lambda x: (x * x).expand(3) * tensor(T, Y), tensor(T, [1.5]))
    both(scenario)


def test_jvp_v_none_needs_a_single_element_input():
    same_error(lambda T: F(T).jvp(f_single, tensor(T, Y)),
               "The vector v can only be None if the input to the user-provided function is a "
               "single Tensor with a single element.")


def test_jvp_v_of_the_wrong_size():
    same_error(lambda T: F(T).jvp(f_single, tensor(T, Y), tensor(T, [1.0, 2.0])),
               "v has invalid size: should be torch.Size([3]) but got torch.Size([2]).")


def test_jvp_strict_independent_input():
    same_error(lambda T: F(T).jvp(lambda a, b: a * 2, (tensor(T, Y), tensor(T, Y)),
                                  (tensor(T, Y), tensor(T, Y)), strict=True),
               "The output of the user-provided function is independent of input 1. This is "
               "not allowed in strict mode.")


def test_jvp_create_graph_results_are_differentiable():
    def scenario(T):
        x = tensor(T, Y, requires_grad=True)
        out, jv = F(T).jvp(f_single, x, tensor(T, [1.0, -2.0, 0.5]), create_graph=True)
        second, = T.autograd.grad(jv.sum(), x)
        return out, jv, second
    both(scenario)


def test_jvp_equals_jacobian_times_v_by_hand():
    """f(x) = x^2 elementwise: J = diag(2x), so J v = 2 x v."""
    def scenario(T):
        return F(T).jvp(lambda x: x * x, tensor(T, [1.0, -2.0]), tensor(T, [3.0, 0.5]))
    t = both(scenario)
    assert t[1].tolist() == [6.0, -2.0]


# -- jacobian -------------------------------------------------------------------------------------


def test_jacobian_single_tensor():
    def scenario(T):
        return F(T).jacobian(f_single, tensor(T, X))
    t = both(scenario)
    assert tuple(t.shape) == (2, 3, 2, 3)


def test_jacobian_tuple_inputs():
    def scenario(T):
        return F(T).jacobian(lambda a, b: a * b + b.exp(), (tensor(T, X), tensor(T, Y)))
    t = both(scenario)
    assert isinstance(t, tuple) and [tuple(j.shape) for j in t] == [(2, 3, 2, 3), (2, 3, 3)]


def test_jacobian_tuple_outputs():
    def scenario(T):
        return F(T).jacobian(lambda a: (a.sin(), a.sum(0)), tensor(T, X))
    t = both(scenario)
    assert [tuple(j.shape) for j in t] == [(2, 3, 2, 3), (3, 2, 3)]


def test_jacobian_tuple_inputs_and_outputs():
    def scenario(T):
        return F(T).jacobian(f_two_in_two_out, (tensor(T, X), tensor(T, Y)))
    t = both(scenario)
    assert isinstance(t, tuple) and all(isinstance(row, tuple) for row in t)


def test_jacobian_of_a_scalar_function_and_by_hand():
    def scenario(T):
        return F(T).jacobian(lambda x: (x * x).sum(), tensor(T, [1.0, -2.0, 0.5]))
    assert both(scenario).tolist() == [2.0, -4.0, 1.0]


def test_jacobian_vectorize_false_and_independent_input_gives_zeros():
    def scenario(T):
        return F(T).jacobian(lambda a, b: a * 2, (tensor(T, Y), tensor(T, [1.0, 2.0])),
                             vectorize=False)
    t = both(scenario)
    assert t[1].tolist() == [[0.0, 0.0]] * 3


def test_jacobian_create_graph_results_are_differentiable():
    def scenario(T):
        x = tensor(T, Y, requires_grad=True)
        jac = F(T).jacobian(f_single, x, create_graph=True)
        second, = T.autograd.grad((jac * tensor(T, np.arange(9.0).reshape(3, 3))).sum(), x)
        return jac, second
    both(scenario)


def test_jacobian_without_create_graph_is_detached():
    def scenario(T):
        return F(T).jacobian(f_single, tensor(T, Y, requires_grad=True))
    assert not both(scenario).requires_grad


def test_jacobian_strict_independent_input():
    same_error(lambda T: F(T).jacobian(lambda a, b: a * 2, (tensor(T, Y), tensor(T, Y)),
                                       strict=True),
               "Output 0 of the user-provided function is independent of input 1. This is not "
               "allowed in strict mode.")


def test_jacobian_unknown_strategy():
    same_error(lambda T: F(T).jacobian(f_single, tensor(T, Y), strategy="sideways"),
               'Expected strategy to be either "forward-mode" or "reverse-mode".', exact=False)


# -- hessian --------------------------------------------------------------------------------------


def test_hessian_single_tensor():
    def scenario(T):
        return F(T).hessian(f_scalar, tensor(T, X))
    t = both(scenario)
    assert tuple(t.shape) == (2, 3, 2, 3)


def test_hessian_by_hand():
    """f = sum(x^3): H = diag(6x)."""
    def scenario(T):
        return F(T).hessian(lambda x: (x ** 3).sum(), tensor(T, [1.0, -2.0]))
    assert both(scenario).tolist() == [[6.0, 0.0], [0.0, -12.0]]


def test_hessian_tuple_inputs():
    def scenario(T):
        return F(T).hessian(f_scalar_two, (tensor(T, X), tensor(T, Y)))
    t = both(scenario)
    assert [[tuple(h.shape) for h in row] for row in t] == [[(2, 3, 2, 3), (2, 3, 3)],
                                                           [(3, 2, 3), (3, 3)]]


def test_hessian_create_graph_results_are_differentiable():
    def scenario(T):
        x = tensor(T, Y, requires_grad=True)
        h = F(T).hessian(f_scalar, x, create_graph=True)
        third, = T.autograd.grad(h.sum(), x)
        return h, third
    both(scenario)


def test_hessian_needs_a_single_element_output():
    same_error(lambda T: F(T).hessian(lambda x: x * x, tensor(T, Y)),
               "The Tensor returned by the function given to hessian should contain a single "
               "element")


def test_hessian_strict_linear_function():
    same_error(lambda T: F(T).hessian(lambda x: x.sum() * 2, tensor(T, Y), strict=True),
               "While computing the hessian, found that the jacobian of the user-provided "
               "function with respect to input 0 is independent of the input. This is not "
               "allowed in strict mode.", exact=False)


def test_hessian_non_strict_linear_function_gives_zeros():
    def scenario(T):
        return F(T).hessian(lambda x: x.sum() * 2, tensor(T, Y))
    assert both(scenario).tolist() == [[0.0] * 3] * 3


# -- hvp / vhp ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_single_tensor(name):
    def scenario(T):
        return getattr(F(T), name)(f_scalar, tensor(T, X),
                                   tensor(T, [[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]))
    t = both(scenario)
    assert isinstance(t, tuple) and t[0].dim() == 0


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_tuple_inputs(name):
    def scenario(T):
        v = (tensor(T, [[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]), tensor(T, [0.3, -0.7, 1.0]))
        return getattr(F(T), name)(f_scalar_two, (tensor(T, X), tensor(T, Y)), v)
    t = both(scenario)
    assert isinstance(t[1], tuple) and len(t[1]) == 2


def test_hvp_equals_vhp_and_hessian_times_v():
    def scenario(T):
        x, v = tensor(T, Y), tensor(T, [1.0, -1.0, 2.0])
        h = F(T).hessian(f_scalar, x)
        return F(T).hvp(f_scalar, x, v)[1], F(T).vhp(f_scalar, x, v)[1], h @ v
    t = both(scenario)
    np.testing.assert_allclose(t[0].numpy(), t[2].numpy(), rtol=1e-12)
    np.testing.assert_allclose(t[1].numpy(), t[2].numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_v_none_for_a_single_element_input(name):
    def scenario(T):
        return getattr(F(T), name)(lambda x: (x ** 4).sum(), tensor(T, [1.5]))
    t = both(scenario)
    assert t[1].tolist() == [27.0]                    # 12 x^2 at 1.5


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_v_none_needs_a_single_element_input(name):
    same_error(lambda T: getattr(F(T), name)(f_scalar, tensor(T, Y)),
               "The vector v can only be None if the input to the user-provided function is a "
               "single Tensor with a single element.")


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_need_a_single_element_output(name):
    same_error(lambda T: getattr(F(T), name)(lambda x: x * x, tensor(T, Y), tensor(T, Y)),
               f"The Tensor returned by the function given to {name} should contain a single "
               "element")


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_strict_independent_input(name):
    same_error(lambda T: getattr(F(T), name)(lambda a, b: (a * a).sum(),
                                             (tensor(T, Y), tensor(T, Y)),
                                             (tensor(T, Y), tensor(T, Y)), strict=True),
               "The output of the user-provided function is independent of input 1. This is "
               "not allowed in strict mode.")


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_strict_linear_function(name):
    same_error(lambda T: getattr(F(T), name)(lambda a: a.sum(), tensor(T, Y), tensor(T, Y),
                                             strict=True),
               "While computing the hessian, found that the jacobian of the user-provided "
               "function with respect to input 0 is independent of the input.", exact=False)


@pytest.mark.parametrize("name", ["hvp", "vhp"])
def test_hessian_vector_products_create_graph(name):
    def scenario(T):
        x = tensor(T, Y, requires_grad=True)
        out, hv = getattr(F(T), name)(f_scalar, x, tensor(T, [1.0, 0.5, -1.0]),
                                      create_graph=True)
        third, = T.autograd.grad(hv.sum(), x)
        return out, hv, third
    both(scenario)

"""ember's backward against central differences, in float64, for every differentiable op.

`numerical_gradcheck` (tests/helpers.py) uses ember alone: torch is only needed by the helper
module's import guard. Inputs are kept away from the points where an op is not differentiable
(|x| near 0 for abs and relu, the jumps of %, x <= 0 for log and sqrt).
"""
import numpy as np
import pytest

from helpers import numerical_gradcheck

import ember


def leaf(shape, seed=0, low=-2.0, high=2.0, away_from_zero=False):
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, size=shape)
    if away_from_zero:
        a = np.where(np.abs(a) < 0.2, np.sign(a + 1e-9) * 0.2 + a, a)
    return ember.tensor(a, dtype=ember.float64, requires_grad=True)


def positive(shape, seed=0):
    return leaf(shape, seed, 0.3, 2.5)


# name -> (fn, inputs builder)
CASES = {
    # arithmetic, including broadcasting and scalars on either side
    "add": (lambda a, b: a + b, lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "add_broadcast": (lambda a, b: a + b, lambda: [leaf((3, 1), 1), leaf((1, 4), 2)]),
    "add_broadcast_rank": (lambda a, b: a + b, lambda: [leaf((2, 3, 4), 1), leaf((4,), 2)]),
    "add_0d": (lambda a, b: a + b, lambda: [leaf((3, 4), 1), leaf((), 2)]),
    "add_alpha": (lambda a, b: a.add(b, alpha=-2.5), lambda: [leaf((3,), 1), leaf((2, 3), 2)]),
    "add_scalar": (lambda a: a + 1.5, lambda: [leaf((3,), 1)]),
    "radd_scalar": (lambda a: 2 + a, lambda: [leaf((3,), 1)]),
    "sub": (lambda a, b: a - b, lambda: [leaf((3, 1), 1), leaf((4,), 2)]),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=3), lambda: [leaf((4,), 1), leaf((4,), 2)]),
    "rsub_scalar": (lambda a: 2 - a, lambda: [leaf((2, 3), 1)]),
    "mul": (lambda a, b: a * b, lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "mul_broadcast": (lambda a, b: a * b, lambda: [leaf((2, 1, 4), 1), leaf((3, 1), 2)]),
    "mul_scalar": (lambda a: a * -1.75, lambda: [leaf((3,), 1)]),
    "mul_self": (lambda a: a * a, lambda: [leaf((3,), 1)]),
    "div": (lambda a, b: a / b, lambda: [leaf((3, 4), 1), leaf((3, 4), 2, away_from_zero=True)]),
    "div_broadcast": (lambda a, b: a / b,
                      lambda: [leaf((3, 1), 1), leaf((4,), 2, away_from_zero=True)]),
    "div_scalar": (lambda a: a / 3.0, lambda: [leaf((3,), 1)]),
    "rdiv_scalar": (lambda a: 2.0 / a, lambda: [leaf((3,), 1, away_from_zero=True)]),
    "mod": (lambda a, b: a % b, lambda: [ember.tensor([2.3, -1.7, 5.2, 0.4], dtype=ember.float64,
                                                      requires_grad=True),
                                         ember.tensor([1.5, 1.1, -2.0, 0.7], dtype=ember.float64,
                                                      requires_grad=True)]),
    "mod_scalar": (lambda a: a % 1.5, lambda: [ember.tensor([2.3, -1.7, 5.2, 0.4],
                                                            dtype=ember.float64,
                                                            requires_grad=True)]),
    "pow_scalar_2": (lambda a: a ** 2, lambda: [leaf((3, 2), 1)]),
    "pow_scalar_3": (lambda a: a ** 3, lambda: [leaf((3, 2), 1)]),
    "pow_scalar_half": (lambda a: a ** 0.5, lambda: [positive((4,), 1)]),
    "pow_scalar_neg": (lambda a: a ** -2, lambda: [leaf((4,), 1, away_from_zero=True)]),
    "pow_scalar_frac": (lambda a: a ** 1.7, lambda: [positive((4,), 1)]),
    "pow_scalar_0": (lambda a: a ** 0, lambda: [leaf((4,), 1)]),
    "pow_tensor": (lambda a, b: a ** b, lambda: [positive((3, 4), 1), leaf((3, 4), 2)]),
    "pow_tensor_broadcast": (lambda a, b: a ** b, lambda: [positive((3, 1), 1), leaf((4,), 2)]),
    "pow_tensor_int_exponent": (lambda a, b: a ** b, lambda: [       # negative bases: only
        leaf((4,), 1), ember.tensor([2.0, 3.0, 0.0, 1.0], dtype=ember.float64)]),  # d/d(base)
    "pow_scalar_base": (lambda b: 2.5 ** b, lambda: [leaf((3, 4), 1)]),
    "pow_scalar_base_frac": (lambda b: 0.3 ** b, lambda: [leaf((4,), 1)]),
    "pow_function": (lambda a, b: ember.pow(a, b), lambda: [positive((3,), 1), leaf((3,), 2)]),
    "neg": (lambda a: -a, lambda: [leaf((3, 4), 1)]),
    # unary functions
    "abs": (lambda a: a.abs(), lambda: [leaf((3, 4), 1, away_from_zero=True)]),
    "abs_builtin": (lambda a: abs(a), lambda: [leaf((5,), 1, away_from_zero=True)]),
    "exp": (lambda a: a.exp(), lambda: [leaf((3, 4), 1)]),
    "log": (lambda a: a.log(), lambda: [positive((3, 4), 1)]),
    "sqrt": (lambda a: a.sqrt(), lambda: [positive((3, 4), 1)]),
    "sin": (lambda a: a.sin(), lambda: [leaf((3, 4), 1)]),
    "cos": (lambda a: a.cos(), lambda: [leaf((3, 4), 1)]),
    "tanh": (lambda a: a.tanh(), lambda: [leaf((3, 4), 1)]),
    "sigmoid": (lambda a: a.sigmoid(), lambda: [leaf((3, 4), 1, -5, 5)]),
    "relu": (lambda a: a.relu(), lambda: [leaf((3, 4), 1, away_from_zero=True)]),
    "reciprocal": (lambda a: a.reciprocal(), lambda: [leaf((3, 4), 1, away_from_zero=True)]),
    "sign": (lambda a: a.sign() * a, lambda: [leaf((3, 4), 1, away_from_zero=True)]),
    "functional_unary": (lambda a: ember.tanh(ember.exp(ember.sin(a))), lambda: [leaf((4,), 1)]),
    # selection
    "where": (lambda a, b: ember.where(a > b, a, b), lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "where_broadcast": (lambda a, b: ember.where(ember.tensor([True, False, True, False]), a, b),
                        lambda: [leaf((3, 1), 1), leaf((4,), 2)]),
    "where_scalar": (lambda a: ember.where(a > 0, a, 0.0), lambda: [leaf((3, 4), 1, away_from_zero=True)]),
    "where_scalar_left": (lambda a: ember.where(a > 0, 1.5, a), lambda: [leaf((5,), 1, away_from_zero=True)]),
    # reductions
    "sum": (lambda a: a.sum(), lambda: [leaf((3, 4), 1)]),
    "sum_dim": (lambda a: a.sum(1), lambda: [leaf((3, 4), 1)]),
    "sum_neg_dim_keepdim": (lambda a: a.sum(-1, keepdim=True), lambda: [leaf((2, 3, 4), 1)]),
    "sum_tuple": (lambda a: a.sum((0, 2)), lambda: [leaf((2, 3, 4), 1)]),
    "sum_tuple_keepdim": (lambda a: a.sum((2, 0), keepdim=True), lambda: [leaf((2, 3, 4), 1)]),
    "sum_0d": (lambda a: a.sum(), lambda: [leaf((), 1)]),
    "mean": (lambda a: a.mean(), lambda: [leaf((3, 4), 1)]),
    "mean_dim": (lambda a: a.mean(0), lambda: [leaf((3, 4), 1)]),
    "mean_tuple_keepdim": (lambda a: a.mean((0, -1), keepdim=True), lambda: [leaf((2, 3, 4), 1)]),
    "functional_sum_mean": (lambda a: ember.sum(a, 0) * ember.mean(a, 0), lambda: [leaf((3, 2), 1)]),
    # shapes
    "view": (lambda a: a.view(4, 3) * ember.arange(12.0, dtype=ember.float64).view(4, 3),
             lambda: [leaf((3, 4), 1)]),
    "view_infer": (lambda a: a.view(-1), lambda: [leaf((3, 4), 1)]),
    "reshape_noncontiguous": (lambda a: a.t().reshape(12), lambda: [leaf((3, 4), 1)]),
    "flatten": (lambda a: a.flatten(1), lambda: [leaf((2, 3, 2), 1)]),
    "expand": (lambda a: a.expand(2, 3, 4), lambda: [leaf((3, 1), 1)]),
    "expand_as": (lambda a, b: a.expand_as(b) * b, lambda: [leaf((1, 4), 1), leaf((3, 4), 2)]),
    "squeeze": (lambda a: a.squeeze(), lambda: [leaf((1, 3, 1, 2), 1)]),
    "squeeze_dim": (lambda a: a.squeeze(2), lambda: [leaf((1, 3, 1, 2), 1)]),
    "unsqueeze": (lambda a: a.unsqueeze(1), lambda: [leaf((3, 2), 1)]),
    "permute": (lambda a: a.permute(2, 0, 1), lambda: [leaf((2, 3, 4), 1)]),
    "transpose": (lambda a: a.transpose(0, -1), lambda: [leaf((2, 3, 4), 1)]),
    "t": (lambda a: a.t(), lambda: [leaf((3, 4), 1)]),
    "T": (lambda a: a.T, lambda: [leaf((3, 4), 1)]),
    "mT": (lambda a: a.mT, lambda: [leaf((2, 3, 4), 1)]),
    "clone": (lambda a: a.clone() * a, lambda: [leaf((3,), 1)]),
    "contiguous": (lambda a: a.t().contiguous(), lambda: [leaf((3, 4), 1)]),
    "double_cast": (lambda a: a.double() * 2, lambda: [leaf((3,), 1)]),
    "to_same_dtype": (lambda a: a.to(ember.float64) * a, lambda: [leaf((3,), 1)]),
    # indexing
    "index_int": (lambda a: a[1], lambda: [leaf((3, 4), 1)]),
    "index_slice": (lambda a: a[1:, ::2], lambda: [leaf((3, 4), 1)]),
    "index_none_ellipsis": (lambda a: a[None, ..., 0], lambda: [leaf((3, 4), 1)]),
    "index_mask": (lambda a: a[a > 0], lambda: [leaf((3, 4), 1, away_from_zero=True)]),
    "index_long": (lambda a: a[ember.tensor([0, 2, 0, 0])], lambda: [leaf((3, 4), 1)]),
    "index_long_pair": (lambda a: a[ember.tensor([0, 1, 1]), ember.tensor([3, 3, 0])],
                        lambda: [leaf((3, 4), 1)]),
    "index_list": (lambda a: a[:, [1, 1, 3]], lambda: [leaf((3, 4), 1)]),
    "index_scalar_element": (lambda a: a[1, 2] * a, lambda: [leaf((3, 4), 1)]),
    "setitem_value": (lambda a, v: _setitem(a, (slice(None), 1), v), lambda: [
        leaf((3, 4), 1), leaf((3,), 2)]),
    "setitem_broadcast_value": (lambda a, v: _setitem(a, slice(0, 2), v), lambda: [
        leaf((3, 4), 1), leaf((4,), 2)]),
    "setitem_mask": (lambda a, v: _setitem(a, ember.tensor([True, False, True]), v), lambda: [
        leaf((3, 4), 1), leaf((4,), 2)]),
    "setitem_long": (lambda a, v: _setitem(a, ember.tensor([2, 0]), v), lambda: [
        leaf((3, 4), 1), leaf((2, 4), 2)]),
    "setitem_scalar": (lambda a: _setitem(a, 0, 5.0), lambda: [leaf((3, 4), 1)]),
    # matrix products
    "matmul_1d_1d": (lambda a, b: a @ b, lambda: [leaf((3,), 1), leaf((3,), 2)]),
    "matmul_2d_1d": (lambda a, b: a @ b, lambda: [leaf((2, 3), 1), leaf((3,), 2)]),
    "matmul_1d_2d": (lambda a, b: a @ b, lambda: [leaf((3,), 1), leaf((3, 4), 2)]),
    "matmul_2d_2d": (lambda a, b: a @ b, lambda: [leaf((2, 3), 1), leaf((3, 4), 2)]),
    "matmul_3d_2d": (lambda a, b: a @ b, lambda: [leaf((2, 2, 3), 1), leaf((3, 4), 2)]),
    "matmul_2d_3d": (lambda a, b: a @ b, lambda: [leaf((2, 3), 1), leaf((2, 3, 4), 2)]),
    "matmul_3d_3d": (lambda a, b: a @ b, lambda: [leaf((2, 2, 3), 1), leaf((2, 3, 4), 2)]),
    "matmul_broadcast_batch": (lambda a, b: a @ b, lambda: [leaf((2, 1, 2, 3), 1),
                                                            leaf((3, 3, 2), 2)]),
    "matmul_1d_3d": (lambda a, b: a @ b, lambda: [leaf((3,), 1), leaf((2, 3, 4), 2)]),
    "matmul_3d_1d": (lambda a, b: a @ b, lambda: [leaf((2, 4, 3), 1), leaf((3,), 2)]),
    "matmul_function": (lambda a, b: ember.matmul(a, b), lambda: [leaf((2, 3), 1), leaf((3, 2), 2)]),
    "dot": (lambda a, b: ember.dot(a, b), lambda: [leaf((4,), 1), leaf((4,), 2)]),
    "mv": (lambda a, b: ember.mv(a, b), lambda: [leaf((3, 4), 1), leaf((4,), 2)]),
    "mm": (lambda a, b: ember.mm(a, b), lambda: [leaf((3, 4), 1), leaf((4, 2), 2)]),
    "bmm": (lambda a, b: ember.bmm(a, b), lambda: [leaf((2, 3, 4), 1), leaf((2, 4, 2), 2)]),
    "methods_mm_mv_dot": (lambda a, b: a.mm(b).mv(b[:, 0]).dot(a[:, 1]),
                          lambda: [leaf((3, 3), 1), leaf((3, 3), 2)]),
    # in-place ops on non-leaves
    "add_inplace": (lambda a, b: a.clone().add_(b), lambda: [leaf((3, 4), 1), leaf((4,), 2)]),
    "iadd": (lambda a, b: _iop(a, b, "__iadd__"), lambda: [leaf((3, 4), 1), leaf((3, 4), 2)]),
    "isub": (lambda a, b: _iop(a, b, "__isub__"), lambda: [leaf((3, 4), 1), leaf((4,), 2)]),
    "imul": (lambda a, b: _iop(a, b, "__imul__"), lambda: [leaf((3, 4), 1), leaf((3, 1), 2)]),
    "itruediv": (lambda a, b: _iop(a, b, "__itruediv__"),
                 lambda: [leaf((3, 4), 1), leaf((4,), 2, away_from_zero=True)]),
    "ipow": (lambda a, b: _iop(a, b, "__ipow__"), lambda: [positive((3, 4), 1), leaf((4,), 2)]),
    "mul_inplace_scalar": (lambda a: (a * 1).mul_(3).add_(1), lambda: [leaf((3,), 1)]),
    # each in-place op on a fresh tensor: exp_, tanh_ and sqrt_ save their output, so a
    # second in-place op on it makes backward raise (in PyTorch too)
    "unary_inplace": (lambda a: (((a * 1).exp_() * 1).tanh_() * 1).sigmoid_(),
                      lambda: [leaf((3,), 1)]),
    "sqrt_log_inplace": (lambda a: ((a * 1).sqrt_() * 1).log_(), lambda: [positive((4,), 1)]),
    "neg_abs_relu_inplace": (lambda a: (a * 1).neg_().abs_().relu_() * a,
                             lambda: [leaf((4,), 1, away_from_zero=True)]),
    "copy_inplace": (lambda a, b: (a * 1).copy_(b) * a, lambda: [leaf((3, 4), 1), leaf((4,), 2)]),
    "fill_inplace": (lambda a: (a * 1).fill_(2.0) * a, lambda: [leaf((3,), 1)]),
    "zero_inplace": (lambda a: (a * 1).zero_() + a, lambda: [leaf((3,), 1)]),
    # a composite: the lecture's kind of loss
    "mlp_loss": (lambda x, w, b: ((x @ w + b).tanh() - 0.5).pow(2).mean(),
                 lambda: [leaf((4, 3), 1), leaf((3, 2), 2), leaf((2,), 3)]),
}


def _setitem(a, key, v):
    y = a.clone() * 1
    y[key] = v
    return y * ember.arange(1.0, 1.0 + y.numel(), dtype=ember.float64).view(y.shape)


def _iop(a, b, name):
    y = a * 1
    return getattr(y, name)(b)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    fn, make_inputs = CASES[name]
    assert numerical_gradcheck(fn, make_inputs())


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((), (2, 2)),
                                    ((4,), (2, 1, 4)), ((1,), (3,))], ids=str)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_gradcheck_broadcasting(op, shapes):
    a = positive(shapes[0], 5) if op == "pow" else leaf(shapes[0], 5)
    b = leaf(shapes[1], 6, away_from_zero=op == "div")
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "pow": lambda x, y: x ** y}[op]
    assert numerical_gradcheck(fn, [a, b])
    # and with the operands swapped
    a2 = positive(shapes[1], 7) if op == "pow" else leaf(shapes[1], 7)
    b2 = leaf(shapes[0], 8, away_from_zero=op == "div")
    assert numerical_gradcheck(fn, [a2, b2])


def test_gradcheck_with_one_input_not_requiring_grad():
    a = leaf((3, 4), 1)
    b = ember.tensor(np.random.default_rng(2).uniform(0.5, 1.5, size=(4,)), dtype=ember.float64)
    assert numerical_gradcheck(lambda x, y: x / y + y * x, [a, b])
    assert b.grad is None


def test_gradcheck_second_use_of_an_input_accumulates():
    assert numerical_gradcheck(lambda a: a * a.exp() + a.sum() * a - a[0] * a,
                               [leaf((4,), 1)])


# the helper itself must catch a wrong gradient: a hook doubling it must fail the check

def test_numerical_gradcheck_detects_a_wrong_gradient():
    a = leaf((3,), 1)
    a.register_hook(lambda g: g * 2)
    with pytest.raises(AssertionError):
        numerical_gradcheck(lambda x: x.sin(), [a])


def test_numerical_gradcheck_hand_derived_value():
    """d/dx sum(w * x**3) = 3 w x**2: the helper's numerical part agrees with calculus."""
    x = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    (x ** 3).sum().backward()
    assert np.allclose(x.grad.numpy(), 3 * np.array([0.5, -1.0, 2.0]) ** 2, rtol=0, atol=1e-12)
    x.grad = None
    assert numerical_gradcheck(lambda t: t ** 3, [x])

"""`ember.autograd.gradcheck` / `gradgradcheck`, and the sweep over every differentiable op.

1. The API behaves as PyTorch's: True on correct functions, `GradcheckError` (a RuntimeError)
   with PyTorch's message on a wrong backward, `raise_exception=False`, the float32 warning.
2. `test_gradcheck_every_op`: ONE test parametrised over `CASES`, a table with an entry (sample
   float64 inputs) for every differentiable ember op. Each entry runs ember's gradcheck and
   gradgradcheck, and its first and second derivatives are compared with PyTorch's.
3. `test_every_backward_node_is_in_the_table`: every backward-node class defined in
   `ember.ops.*` must show up in the graph (or the gradient's graph) of some table entry, so
   a new op added without a table entry fails the suite. Nodes that cannot be gradchecked
   are listed, with the reason, in `NOT_GRADCHECKED`.
"""
import importlib
import pkgutil
import warnings
import zlib

import numpy as np
import pytest

from helpers import assert_same

import ember
import ember.ops
from ember.autograd.graph import Node

torch = pytest.importorskip("torch")



def tensor(T, values, requires_grad=False):
    return T.tensor(np.asarray(values, dtype=np.float64), dtype=T.float64,
                    requires_grad=requires_grad)


# -- the API --------------------------------------------------------------------------------------


def square_cls(T, factor):
    """x * x with backward `factor * x * grad` (correct for factor 2)."""
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * factor * x
    return Square


def detached_backward_cls(T):
    """Right first derivative, but computed from a detached input: no second derivative."""
    class DetachedSquare(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x.detach()
    return DetachedSquare


@pytest.mark.parametrize("T", [torch, ember], ids=["torch", "ember"])
def test_gradcheck_true_on_correct_functions(T):
    x = tensor(T, [[0.3, -1.2], [2.0, 0.7]], True)
    y = tensor(T, [0.5, -0.25], True)
    assert T.autograd.gradcheck(lambda a, b: (a * b).sin() + a / (b * b + 1), (x, y)) is True
    assert T.autograd.gradcheck(square_cls(T, 2).apply, (x,)) is True
    assert T.autograd.gradcheck(lambda a: (a.exp(), a.sum()), x) is True     # tuple output
    assert T.autograd.gradgradcheck(lambda a, b: (a * b).tanh() * a, (x, y)) is True
    assert T.autograd.gradgradcheck(square_cls(T, 2).apply, (x,)) is True


def test_gradcheck_ignores_inputs_that_do_not_require_grad_and_non_tensors():
    def run(T):
        x = tensor(T, [0.3, -1.2], True)
        c = tensor(T, [2.0, 3.0])
        return (T.autograd.gradcheck(lambda a, b, k: a * b * k, (x, c, 2.5)),
                T.autograd.gradgradcheck(lambda a, b, k: a * a * b * k, (x, c, 2.5)))
    assert run(ember) == run(torch) == (True, True)


def _error(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("did not raise")


def test_gradcheck_wrong_backward_raises_gradcheck_error():
    t_exc = _error(lambda: torch.autograd.gradcheck(
        square_cls(torch, 3).apply, (tensor(torch, [1.0, 2.0], True),)))
    e_exc = _error(lambda: ember.autograd.gradcheck(
        square_cls(ember, 3).apply, (tensor(ember, [1.0, 2.0], True),)))
    assert type(t_exc).__name__ == type(e_exc).__name__ == "GradcheckError"
    assert isinstance(t_exc, RuntimeError) and isinstance(e_exc, RuntimeError)
    assert type(e_exc) is ember.autograd.GradcheckError
    head = "Jacobian mismatch for output 0 with respect to input 0"
    assert str(t_exc).startswith(head) and str(e_exc).startswith(head), str(e_exc)
    # the rest shows both Jacobians: numerical diag(2x) = [2, 4], analytical diag(3x)
    for exc in (t_exc, e_exc):
        numerical, analytical = str(exc).split("numerical:")[1].split("analytical:")
        assert "2.0000" in numerical and "4.0000" in numerical
        assert "3." in analytical and "6." in analytical


def test_gradcheck_error_names_the_output_and_input():
    def bad(T):
        class TwoInTwoOut(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * 2, b * 3

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2, gb * 4                # d(b*3)/db is 3, not 4
        return TwoInTwoOut.apply
    a_t, b_t = tensor(torch, [1.0], True), tensor(torch, [2.0], True)
    a_e, b_e = tensor(ember, [1.0], True), tensor(ember, [2.0], True)
    t_exc = _error(lambda: torch.autograd.gradcheck(bad(torch), (a_t, b_t)))
    e_exc = _error(lambda: ember.autograd.gradcheck(bad(ember), (a_e, b_e)))
    head = "Jacobian mismatch for output 1 with respect to input 1"
    assert str(t_exc).startswith(head), str(t_exc)
    assert str(e_exc).startswith(head), str(e_exc)


def test_gradcheck_raise_exception_false_returns_false():
    for T in (torch, ember):
        x = tensor(T, [1.0, 2.0], True)
        assert T.autograd.gradcheck(square_cls(T, 3).apply, (x,), raise_exception=False) is False
        assert T.autograd.gradgradcheck(detached_backward_cls(T).apply, (x,),
                                        raise_exception=False) is False


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    t_exc = _error(lambda: torch.autograd.gradgradcheck(
        detached_backward_cls(torch).apply, (tensor(torch, [1.0, 2.0], True),)))
    e_exc = _error(lambda: ember.autograd.gradgradcheck(
        detached_backward_cls(ember).apply, (tensor(ember, [1.0, 2.0], True),)))
    assert type(t_exc).__name__ == type(e_exc).__name__ == "GradcheckError"
    head = "Jacobian mismatch for output 0 with respect to input 0"
    assert str(t_exc).startswith(head) and str(e_exc).startswith(head), str(e_exc)


def test_gradcheck_warns_about_float32_inputs():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            result = T.autograd.gradcheck(lambda a: a * 2, (x,), raise_exception=False)
        return result, [(w.category.__name__, str(w.message)) for w in record
                        if "double precision" in str(w.message)]
    t, e = run(torch), run(ember)
    assert t[1] == [("UserWarning", "Input #0 requires gradient and is not a double precision "
                     "floating point or complex. This check will likely fail if all the inputs "
                     "are not of double precision floating point or complex. ")]
    assert e == t


def test_gradcheck_without_any_input_requiring_grad():
    def run(T):
        return _error(lambda: T.autograd.gradcheck(lambda a: a * 2, (tensor(T, [1.0]),)))
    t_exc, e_exc = run(torch), run(ember)
    assert type(e_exc) is type(t_exc) is ValueError
    assert str(e_exc) == str(t_exc)


def test_gradcheck_uses_pytorch_default_tolerances():
    """A backward that is off by 0.5e-5 absolute passes (atol=1e-5); off by 2e-5, it fails."""
    def off_by(T, delta):
        class Off(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 0.0

            @staticmethod
            def backward(ctx, grad):
                return grad * delta
        return Off.apply
    for T in (torch, ember):
        x = tensor(T, [1.0, 2.0], True)
        assert T.autograd.gradcheck(off_by(T, 0.5e-5), (x,)) is True
        assert T.autograd.gradcheck(off_by(T, 2e-5), (x,), raise_exception=False) is False


# -- the sweep over every differentiable op -------------------------------------------------------


class Const:
    """An input given as a tensor that does not require grad (`value`: a sampler)."""

    def __init__(self, value):
        self.value = value


def _rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def _u(shape, low=-2.0, high=2.0, away=0.0):
    """Sampler: uniform values, |v| >= away."""
    def sample(rng):
        a = rng.uniform(low, high, size=shape)
        if away:
            a = np.where(np.abs(a) < away, np.copysign(away, a) + a, a)
        return a
    return sample


def _fixed(values):
    return lambda rng: np.array(values, dtype=np.float64)


def _pos(shape, low=0.4, high=2.0):
    return _u(shape, low, high)


MASK = np.array([[True, False, True, False], [False, False, True, True],
                 [True, True, False, False]])
IDX = np.array([2, 0, 2])


def _stack_like(T, tensors):
    return T.stack(tensors) if hasattr(T, "stack") else ember.ops.shape._stack(list(tensors), 0)


def _inplace(method, *args):
    def fn(T, a, *rest):
        y = a.clone()
        getattr(y, method)(*[r for r in rest], *args)
        return y
    return fn


def _setitem(key_fn, value_fn):
    def fn(T, a, b):
        y = a.clone()
        y[key_fn(T)] = value_fn(T, b)
        return y
    return fn


def _la(T):
    return importlib.import_module(T.__name__ + ".linalg")


def _spd(T, a):
    """A symmetric positive-definite matrix made from a."""
    return a @ a.mT + 3 * T.eye(a.shape[-1], dtype=a.dtype)


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


# name -> (fn(T, *inputs), [samplers or Const], options)
CASES = {
    # arithmetic, broadcasting, scalars on either side
    "add": (lambda T, a, b: a + b, [_u((3, 4)), _u((3, 4))]),
    "add_broadcast": (lambda T, a, b: a + b, [_u((3, 1)), _u((1, 4))]),
    "add_broadcast_rank": (lambda T, a, b: a + b, [_u((2, 3, 4)), _u((4,))]),
    "add_0d": (lambda T, a, b: a + b, [_u((3,)), _u(())]),
    "add_alpha": (lambda T, a, b: a.add(b, alpha=-2.5), [_u((3,)), _u((2, 3))]),
    "add_scalar": (lambda T, a: a + 1.5, [_u((3,))]),
    "radd_scalar": (lambda T, a: 2 + a, [_u((3,))]),
    "add_constant_tensor": (lambda T, a, c: a + c, [_u((2, 3)), Const(_u((3,)))]),
    "sub": (lambda T, a, b: a - b, [_u((3, 1)), _u((4,))]),
    "sub_alpha": (lambda T, a, b: a.sub(b, alpha=3), [_u((4,)), _u((4,))]),
    "rsub_scalar": (lambda T, a: 2 - a, [_u((2, 3))]),
    "rsub_alpha": (lambda T, a: T.rsub(a, 2.0, alpha=3), [_u((3,))]),
    "mul": (lambda T, a, b: a * b, [_u((3, 4)), _u((3, 4))]),
    "mul_broadcast": (lambda T, a, b: a * b, [_u((2, 1, 4)), _u((3, 1))]),
    "mul_scalar": (lambda T, a: a * -1.75, [_u((3,))]),
    "mul_self": (lambda T, a: a * a, [_u((3,))]),
    "mul_constant_tensor": (lambda T, a, c: c * a, [_u((3,)), Const(_u((2, 3)))]),
    "div": (lambda T, a, b: a / b, [_u((3, 4)), _u((3, 4), away=0.4)]),
    "div_broadcast": (lambda T, a, b: a / b, [_u((3, 1)), _u((4,), away=0.4)]),
    "div_scalar": (lambda T, a: a / 3.0, [_u((3,))]),
    "rdiv_scalar": (lambda T, a: 2.0 / a, [_u((3,), away=0.4)]),
    "div_rounding_floor": (lambda T, a, b: T.div(a, b, rounding_mode="floor") + a * b,
                           [_fixed([2.3, -1.7, 5.2]), _fixed([1.5, 1.1, -2.0])]),
    "div_rounding_trunc": (lambda T, a: a.div(1.5, rounding_mode="trunc") + a,
                           [_fixed([2.3, -1.7, 5.2])]),
    "div_by_constant": (lambda T, a, c: a / c, [_u((3,)), Const(_u((3,), away=0.5))]),
    # (values away from the jumps of %)
    "remainder": (lambda T, a, b: a % b, [_fixed([2.3, -1.7, 5.2, 0.4]),
                                          _fixed([1.5, 1.1, -2.0, 0.7])]),
    "remainder_scalar": (lambda T, a: a % 1.5, [_fixed([2.3, -1.7, 5.2, 0.4])]),
    "neg": (lambda T, a: -a, [_u((2, 3))]),
    "pow_2": (lambda T, a: a ** 2, [_u((3, 2))]),
    "pow_3": (lambda T, a: a ** 3, [_u((3, 2))]),
    "pow_half": (lambda T, a: a ** 0.5, [_pos((4,))]),
    "pow_neg2": (lambda T, a: a ** -2, [_u((4,), away=0.4)]),
    "pow_frac": (lambda T, a: a ** 1.7, [_pos((4,))]),
    "pow_0": (lambda T, a: a ** 0, [_u((3,))]),
    "pow_tensor": (lambda T, a, b: a ** b, [_pos((3,)), _u((3,))]),
    "pow_tensor_broadcast": (lambda T, a, b: a.pow(b), [_pos((2, 3)), _u((3,))]),
    "rpow": (lambda T, a: 2.0 ** a, [_u((3,))]),
    "rpow_fraction": (lambda T, a: 0.5 ** a, [_u((3,))]),
    "where": (lambda T, a, b: T.where(T.tensor(MASK), a, b), [_u((3, 4)), _u((3, 4))]),
    "where_broadcast": (lambda T, a, b: T.where(T.tensor(MASK), a, b), [_u((3, 1)), _u((4,))]),
    "where_scalar": (lambda T, a: T.where(T.tensor(MASK), a, 0.5), [_u((3, 4))]),
    # elementary functions
    "exp": (lambda T, a: a.exp(), [_u((2, 3))]),
    "log": (lambda T, a: a.log(), [_pos((2, 3))]),
    "sqrt": (lambda T, a: a.sqrt(), [_pos((2, 3))]),
    "reciprocal": (lambda T, a: a.reciprocal(), [_u((2, 3), away=0.4)]),
    "abs": (lambda T, a: a.abs(), [_u((2, 3), away=0.2)]),
    "sign": (lambda T, a: a.sign() * a, [_u((2, 3), away=0.2)]),
    "sin": (lambda T, a: a.sin(), [_u((2, 3))]),
    "cos": (lambda T, a: a.cos(), [_u((2, 3))]),
    "tanh": (lambda T, a: a.tanh(), [_u((2, 3))]),
    "sigmoid": (lambda T, a: a.sigmoid(), [_u((2, 3))]),
    "relu": (lambda T, a: a.relu(), [_u((2, 3), away=0.2)]),
    "functional_forms": (lambda T, a, b: T.add(T.mul(T.exp(a), b), T.div(T.sin(b), 2.0)),
                         [_u((3,)), _u((3,))]),
    # reductions
    "sum": (lambda T, a: a.sum(), [_u((2, 3))]),
    "sum_dim": (lambda T, a: a.sum(1), [_u((2, 3))]),
    "sum_keepdim": (lambda T, a: a.sum(0, keepdim=True), [_u((2, 3))]),
    "sum_dims": (lambda T, a: T.sum(a, (0, 2)), [_u((2, 3, 2))]),
    "sum_negative_dim": (lambda T, a: a.sum(-1), [_u((2, 3))]),
    "sum_0d": (lambda T, a: a.sum(), [_u(())]),
    "mean": (lambda T, a: a.mean(), [_u((2, 3))]),
    "mean_dim": (lambda T, a: a.mean(1), [_u((2, 3))]),
    "mean_keepdim": (lambda T, a: T.mean(a, (0, 1), keepdim=True), [_u((2, 3, 2))]),
    "sum_to_size": (lambda T, a: a.sum_to_size(1, 4), [_u((3, 4))]),
    # matrix products
    "dot": (lambda T, a, b: a.dot(b), [_u((4,)), _u((4,))]),
    "mv": (lambda T, a, b: a.mv(b), [_u((3, 4)), _u((4,))]),
    "mm": (lambda T, a, b: a.mm(b), [_u((2, 3)), _u((3, 2))]),
    "bmm": (lambda T, a, b: a.bmm(b), [_u((2, 2, 3)), _u((2, 3, 2))]),
    "matmul_1d_1d": (lambda T, a, b: a @ b, [_u((3,)), _u((3,))]),
    "matmul_1d_2d": (lambda T, a, b: a @ b, [_u((3,)), _u((3, 2))]),
    "matmul_2d_1d": (lambda T, a, b: T.matmul(a, b), [_u((2, 3)), _u((3,))]),
    "matmul_batched_2d": (lambda T, a, b: a @ b, [_u((2, 2, 3)), _u((3, 2))]),
    "matmul_batch_broadcast": (lambda T, a, b: a @ b, [_u((2, 1, 2, 3)), _u((3, 3, 2))]),
    "matmul_3d_1d": (lambda T, a, b: a @ b, [_u((2, 2, 3)), _u((3,))]),
    "matmul_1d_3d": (lambda T, a, b: a @ b, [_u((3,)), _u((2, 3, 2))]),
    # shapes and views
    "view": (lambda T, a: a.view(3, 2) * 1.5, [_u((2, 3))]),
    "view_infer": (lambda T, a: a.view(-1), [_u((2, 3))]),
    "view_as": (lambda T, a, b: a.view_as(b) * b, [_u((6,)), _u((2, 3))]),
    "reshape_view": (lambda T, a: a.reshape(3, 2), [_u((2, 3))]),
    "reshape_copy": (lambda T, a: a.t().reshape(-1), [_u((2, 3))]),
    "reshape_alias": (lambda T, a: a.t().reshape(3, 1, 2), [_u((2, 3))]),
    "reshape_as": (lambda T, a, b: a.reshape_as(b), [_u((6,)), Const(_u((3, 2)))]),
    "flatten": (lambda T, a: a.flatten(), [_u((2, 3, 2))]),
    "flatten_partial": (lambda T, a: a.flatten(1), [_u((2, 3, 2))]),
    "expand": (lambda T, a: a.expand(2, 3, 4), [_u((3, 1))]),
    "expand_as": (lambda T, a, b: a.expand_as(b) * b, [_u((1, 3)), _u((2, 3))]),
    "squeeze": (lambda T, a: a.squeeze(), [_u((2, 1, 3, 1))]),
    "squeeze_dim": (lambda T, a: a.squeeze(1), [_u((2, 1, 3))]),
    "squeeze_dims": (lambda T, a: a.squeeze((1, 3)), [_u((2, 1, 3, 1))]),
    "unsqueeze": (lambda T, a: a.unsqueeze(1), [_u((2, 3))]),
    "unsqueeze_negative": (lambda T, a: a.unsqueeze(-1), [_u((2, 3))]),
    "permute": (lambda T, a: a.permute(2, 0, 1), [_u((2, 3, 2))]),
    "transpose": (lambda T, a: a.transpose(0, 2), [_u((2, 3, 2))]),
    "t": (lambda T, a: a.t(), [_u((2, 3))]),
    "T_property": (lambda T, a: a.T, [_u((2, 3))]),
    "mT_property": (lambda T, a: a.mT, [_u((2, 2, 3))]),
    "contiguous": (lambda T, a: a.t().contiguous(), [_u((2, 3))]),
    "clone": (lambda T, a: a.clone() * a, [_u((2, 3))]),
    "to_float32": (lambda T, a: a.to(T.float32) * 2, [_u((3,))],
                   {"eps": 1e-2, "atol": 1e-3}),
    "float_double": (lambda T, a: (a.float() * 3).double(), [_u((3,))],
                     {"eps": 1e-2, "atol": 1e-3}),
    # indexing
    "select_int": (lambda T, a: a[1], [_u((3, 4))]),
    "select_method": (lambda T, a: a.select(1, 2), [_u((3, 4))]),
    "slice": (lambda T, a: a[1:, ::2], [_u((3, 4))]),
    "slice_select": (lambda T, a: a[:, 1], [_u((3, 4))]),
    "none_index": (lambda T, a: a[None], [_u((3,))]),
    "ellipsis": (lambda T, a: a[...] * 2, [_u((3,))]),
    "ellipsis_int": (lambda T, a: a[..., 1], [_u((2, 3))]),
    "advanced_index": (lambda T, a: a[T.tensor(IDX)], [_u((3, 4))]),
    "advanced_index_list": (lambda T, a: a[:, [3, 0, 3]], [_u((3, 4))]),
    "boolean_mask": (lambda T, a: a[T.tensor(MASK)], [_u((3, 4))]),
    "unbind": (lambda T, a: tuple(r * (i + 1) for i, r in enumerate(a.unbind(1))),
               [_u((2, 3))]),
    "unbind_outputs": (lambda T, a: a.unbind(1), [_u((2, 3))]),
    "unbind_partial": (lambda T, a: a.unbind(0)[1] * 2, [_u((3, 2))]),
    "iterate": (lambda T, a: sum(r * r for r in a), [_u((3, 2))]),
    "stack": (lambda T, a, b: _stack_like(T, [a, b * 2]), [_u((2, 3)), _u((2, 3))]),
    # more shape ops (ops/shape.py)
    "repeat": (lambda T, a: a.repeat(2, 1, 3), [_u((2, 3))]),
    "tile": (lambda T, a: T.tile(a, (2,)), [_u((2, 3))]),
    "repeat_interleave": (lambda T, a: a.repeat_interleave(2, dim=1), [_u((2, 3))]),
    "repeat_interleave_tensor": (lambda T, a: a.repeat_interleave(T.tensor([1, 0, 2]), dim=1),
                                 [_u((2, 3))]),
    "unflatten": (lambda T, a: a.unflatten(1, (2, 2)), [_u((3, 4))]),
    "narrow": (lambda T, a: a.narrow(1, 1, 2), [_u((3, 4))]),
    "cat": (lambda T, a, b: T.cat([a, b * 2], 1), [_u((2, 3)), _u((2, 2))]),
    "cat_with_constant": (lambda T, a, c: T.cat([c, a]), [_u((2, 3)), Const(_u((1, 3)))]),
    "stack_dim": (lambda T, a, b: T.stack([a, b], 2), [_u((2, 3)), _u((2, 3))]),
    "hstack_vstack_dstack": (lambda T, a, b: T.hstack([a, b]).sum() * T.vstack([a, b])
                             + T.dstack([a, b])[0, :, :1].t(), [_u((3,)), _u((3,))]),
    "split": (lambda T, a: a.split(2), [_u((5, 2))]),
    "split_sizes": (lambda T, a: a.split([1, 3], 1), [_u((2, 4))]),
    "chunk_partial": (lambda T, a: a.chunk(3)[1] * 2, [_u((5, 2))]),
    "flip": (lambda T, a: a.flip(0, 1), [_u((2, 3))]),
    "fliplr_flipud": (lambda T, a: a.fliplr() * a.flipud(), [_u((2, 3))]),
    "roll": (lambda T, a: a.roll((1, -1), (0, 1)), [_u((2, 3))]),
    "roll_flat": (lambda T, a: a.roll(2), [_u((2, 3))]),
    "movedim": (lambda T, a: a.movedim(0, 2), [_u((2, 3, 2))]),
    "swapaxes": (lambda T, a: a.swapaxes(0, 1), [_u((2, 3))]),
    "broadcast_to": (lambda T, a: a.broadcast_to((2, 3, 2)), [_u((3, 1))]),
    "unfold_overlapping": (lambda T, a: a.unfold(1, 3, 1) * 2, [_u((2, 5))]),
    "unfold_gaps_and_0d": (lambda T, a, b: (a.unfold(0, 2, 3), b.unfold(0, 1, 1)),
                           [_u((7, 2)), _u(())]),
    "ravel": (lambda T, a: (a.ravel(), a.t().ravel()), [_u((2, 3))]),
    "inplace_views": (lambda T, a: (lambda y: (y.unsqueeze_(0), y.squeeze_(), y.t_(),
                                               y.transpose_(0, 1), y.unsqueeze_(1).squeeze_(1),
                                               y.unsqueeze_(0).squeeze_((0,)), y * 1)[-1])(a * 2),
                      [_u((2, 3))]),
    "rot90": (lambda T, a: (a.rot90(), T.rot90(a, 2, (1, 0)), a.rot90(-1, (0, 2)), a.rot90(4)),
              [_u((2, 3, 2))]),
    "select_slice_scatter": (lambda T, a, b, c: (T.select_scatter(a, b, 0, 1),
                                                 a.slice_scatter(c, 1, 0, 4, 2)),
                             [_u((3, 4)), _u((4,)), _u((3, 2))]),
    "broadcast_tensors": (lambda T, a, b: T.broadcast_tensors(a, b), [_u((3, 1)), _u((2,))]),
    "meshgrid": (lambda T, a, b: T.meshgrid(a, b, indexing="xy"), [_u((3,)), _u((2,))]),
    # more indexing, and the gather/scatter family (ops/indexing.py)
    "index_mixed": (lambda T, a: a[1:, [0, 2]], [_u((3, 4))]),
    "index_int_and_list": (lambda T, a: a[:, 0, [0, 1]], [_u((2, 3, 4))]),
    "setitem_mixed": (_setitem(lambda T: (slice(1, None), [0, 2]), lambda T, b: b),
                      [_u((3, 4)), _u((2, 2))]),
    "index_put_accumulate": (lambda T, a, b: a.index_put((T.tensor([0, 0, 2]),), b,
                                                         accumulate=True),
                             [_u((3, 4)), _u((3, 4))]),
    "gather": (lambda T, a: a.gather(1, T.tensor([[0, 3], [1, 1], [2, 0]])), [_u((3, 4))]),
    "scatter": (lambda T, a, b: a.scatter(1, T.tensor([[0, 3], [1, 0], [2, 1]]), b),
                [_u((3, 4)), _u((3, 2))]),
    "scatter_value": (lambda T, a: a.scatter(1, T.tensor([[0], [3], [1]]), 0.5), [_u((3, 4))]),
    "scatter_add": (lambda T, a, b: a.scatter_add(0, T.tensor([[2, 0, 2, 1]]), b),
                    [_u((3, 4)), _u((1, 4))]),
    "scatter_reduce_sum": (lambda T, a, b: a.scatter_reduce(1, T.tensor([[0, 0], [3, 1], [2, 2]]),
                                                            b, "sum"), [_u((3, 4)), _u((3, 2))]),
    "scatter_reduce_mean": (lambda T, a, b: a.scatter_reduce(
        1, T.tensor([[0, 0], [3, 1], [2, 2]]), b, "mean", include_self=False),
        [_u((3, 4)), _u((3, 2))]),
    "scatter_reduce_amax": (lambda T, a, b: a.scatter_reduce(
        1, T.tensor([[0, 0], [3, 1], [2, 2]]), b, "amax"), [_u((3, 4)), _u((3, 2))]),
    "scatter_reduce_prod": (lambda T, a, b: a.scatter_reduce(
        1, T.tensor([[0, 0], [3, 1], [2, 2]]), b, "prod"),
        [_u((3, 4), away=0.3), _u((3, 2), away=0.3)]),
    "index_select": (lambda T, a: a.index_select(1, T.tensor([3, 0, 3])), [_u((3, 4))]),
    "index_add": (lambda T, a, b: a.index_add(0, T.tensor([2, 0, 2]), b, alpha=1.5),
                  [_u((3, 4)), _u((3, 4))]),
    "index_fill": (lambda T, a: a.index_fill(1, T.tensor([0, 2]), -1.0), [_u((3, 4))]),
    "index_fill_tensor": (lambda T, a, v: a.index_fill(1, T.tensor([0, 2]), v),
                          [_u((3, 4)), _u(())]),
    "index_copy": (lambda T, a, b: a.index_copy(1, T.tensor([3, 0]), b),
                   [_u((3, 4)), _u((3, 2))]),
    "masked_fill": (lambda T, a: a.masked_fill(T.tensor(MASK), 2.0), [_u((3, 4))]),
    "masked_fill_tensor": (lambda T, a, v: a.masked_fill(T.tensor(MASK), v), [_u((4,)), _u(())]),
    "masked_scatter": (lambda T, a, b: a.masked_scatter(T.tensor(MASK), b),
                       [_u((3, 4)), _u((8,))]),
    "masked_select": (lambda T, a: a.masked_select(T.tensor(MASK)), [_u((3, 4))]),
    "masked_select_broadcast": (lambda T, a: a.masked_select(T.tensor(MASK)), [_u((4,))]),
    "take": (lambda T, a: a.take(T.tensor([[0, 5], [11, -1]])), [_u((3, 4))]),
    "put": (lambda T, a, b: a.put(T.tensor([0, 5]), b), [_u((3, 4)), _u((2,))]),
    "put_accumulate": (lambda T, a, b: a.put(T.tensor([1, 1, 4]), b, accumulate=True),
                       [_u((3, 4)), _u((3,))]),
    "take_along_dim": (lambda T, a: a.take_along_dim(T.tensor([[0], [3], [1]]), dim=1),
                       [_u((3, 4))]),
    "inplace_index_ops": (lambda T, a, b: a.clone().index_add_(0, T.tensor([1]), b)
                          + a.clone().masked_fill_(T.tensor(MASK), 0.0)
                          + a.clone().scatter_(1, T.tensor([[1], [0], [2]]), b[:, :3].t()),
                          [_u((3, 4)), _u((1, 4))]),
    # writes: setitem and in-place ops on clones
    "setitem_slice": (_setitem(lambda T: (slice(1, None),), lambda T, b: b * 2),
                      [_u((3, 4)), _u((2, 4))]),
    "setitem_int": (_setitem(lambda T: 0, lambda T, b: b), [_u((3, 4)), _u((4,))]),
    "setitem_scalar": (lambda T, a: _setitem_number(a) * a, [_u((3, 4))]),
    "setitem_tensor_index": (_setitem(lambda T: T.tensor([2, 0]), lambda T, b: b),
                             [_u((3, 4)), _u((2, 4))]),
    "setitem_mask": (_setitem(lambda T: T.tensor(MASK), lambda T, b: b), [_u((3, 4)), _u((6,))]),
    "add_": (_inplace("add_"), [_u((3,)), _u((3,))]),
    "add_alpha_": (lambda T, a, b: a.clone().add_(b, alpha=2), [_u((3,)), _u((3,))]),
    "sub_": (_inplace("sub_"), [_u((3,)), _u((3,))]),
    "mul_": (_inplace("mul_"), [_u((2, 3)), _u((3,))]),
    "div_": (_inplace("div_"), [_u((3,)), _u((3,), away=0.4)]),
    "pow_": (_inplace("pow_", 3), [_u((3,))]),
    "iadd_view": (lambda T, a, b: _iadd_view(T, a, b), [_u((3, 4)), _u((3,))]),
    # one in-place op per clone: chaining them would overwrite a saved output (an error)
    "inplace_unary": (lambda T, a: sum(getattr(a.clone(), m)() for m in (
        "neg_", "exp_", "sin_", "cos_", "tanh_", "sigmoid_", "abs_", "relu_", "reciprocal_")),
        [_u((3,), away=0.3)]),
    "inplace_log_sqrt_sign": (lambda T, a: (a * a).log_() + (a * a).sqrt_() * a.clone().sign_(),
                              [_u((3,), away=0.3)]),
    "inplace_on_a_view": (lambda T, a, b: _mul_on_view(T, a, b), [_u((3, 4)), _u((3,))]),
    "zero_": (lambda T, a, b: a.clone().zero_() + a * b, [_u((3,)), _u((3,))]),
    "fill_number": (lambda T, a: a.clone().fill_(2.5) * a, [_u((3,))]),
    "fill_tensor": (lambda T, a, v: a.clone().fill_(v) * a, [_u((3,)), _u(())]),
    "copy_": (lambda T, a, b: a.clone().copy_(b) * a, [_u((2, 3)), _u((3,))]),
    "copy_into_slice": (lambda T, a, b: _copy_into_slice(T, a, b), [_u((3, 4)), _u((4,))]),
    # ember.nn.functional: the fused ops of ember/ops/nn_ops.py
    "nn_leaky_relu": (lambda T, a: T.nn.functional.leaky_relu(a, 0.2), [_u((3, 4), away=0.1)]),
    "nn_elu": (lambda T, a: T.nn.functional.elu(a, 0.7), [_u((3, 4), away=0.1)]),
    "nn_gelu": (lambda T, a: T.nn.functional.gelu(a), [_u((3, 4))]),
    "nn_gelu_tanh": (lambda T, a: T.nn.functional.gelu(a, approximate="tanh"), [_u((3, 4))]),
    "nn_silu": (lambda T, a: T.nn.functional.silu(a), [_u((3, 4))]),
    "nn_softplus": (lambda T, a: T.nn.functional.softplus(a, 1.5, 2.0), [_u((3, 4), away=0.1)]),
    "nn_hardtanh": (lambda T, a: T.nn.functional.hardtanh(a, -1.5, 1.5), [_u((3, 4), away=0.1)]),
    "nn_threshold": (lambda T, a: T.nn.functional.threshold(a, 0.5, 3.0), [_u((3, 4), away=0.6)]),
    "nn_logsigmoid": (lambda T, a: T.nn.functional.logsigmoid(a), [_u((3, 4))]),
    "nn_softmax": (lambda T, a: T.nn.functional.softmax(a, 1), [_u((3, 4))]),
    "nn_softmax_dim0": (lambda T, a: T.nn.functional.softmax(a, 0), [_u((3, 4, 2))]),
    "nn_log_softmax": (lambda T, a: T.nn.functional.log_softmax(a, -1), [_u((3, 4))]),
    # attention: the softmax whose fully masked (-inf) rows give zeros, and sdpa's math path
    "safe_softmax": (lambda T, a, m: _safe_softmax(T, a + m),
                     [_u((3, 4)), Const(_fixed([[0.0, 0.0, 0.0, 0.0], [-np.inf] * 4,
                                                [0.0, -np.inf, 0.0, 0.0]]))]),
    "sdpa_causal": (lambda T, q, k, v: T.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True), [_u((2, 3, 2)), _u((2, 3, 2)), _u((2, 3, 3))]),
    # ember/ops/activation_ops.py
    "nn_selu": (lambda T, a: T.nn.functional.selu(a), [_u((3, 4), away=0.1)]),
    "nn_selu_inplace": (lambda T, a: T.nn.functional.selu(a * 1, inplace=True),
                        [_u((3, 4), away=0.1)]),
    "nn_celu": (lambda T, a: T.nn.functional.celu(a, 0.7), [_u((3, 4), away=0.1)]),
    "nn_celu_inplace": (lambda T, a: T.celu_(a * 1, 1.3), [_u((3, 4), away=0.1)]),
    "nn_mish": (lambda T, a: T.nn.functional.mish(a), [_u((3, 4), -3.0, 3.0)]),
    "nn_hardswish": (lambda T, a: T.nn.functional.hardswish(a),
                     [_fixed([-4.0, -2.0, -0.5, 0.7, 2.5, 3.5])]),
    "nn_softshrink": (lambda T, a: T.nn.functional.softshrink(a, 0.4),
                      [_fixed([-1.5, -0.2, 0.1, 0.9, 0.3, -0.6])]),
    "nn_glu": (lambda T, a: T.nn.functional.glu(a, 1), [_u((2, 4, 3))]),
    "nn_rrelu_eval": (lambda T, a: T.nn.functional.rrelu(a, 0.1, 0.3), [_u((3, 4), away=0.1)]),
    "nn_rrelu_inplace_eval": (lambda T, a: T.rrelu_(a * 1, 0.2, 0.4), [_u((3, 4), away=0.1)]),
    "nn_pairwise_distance": (lambda T, a, b: T.nn.functional.pairwise_distance(a, b, 3.0),
                             [_u((3, 4)), _u((3, 4))]),
    "nn_cosine_similarity": (lambda T, a, b: T.nn.functional.cosine_similarity(a, b, 0),
                             [_u((3, 4)), _u((1, 4))]),
    "nn_instance_norm": (lambda T, a, w, b: T.nn.functional.instance_norm(a, weight=w, bias=b),
                         [_u((2, 3, 4)), _u((3,)), _u((3,))]),
    "nn_rms_norm": (lambda T, a, w: T.nn.functional.rms_norm(a, (4,), w), [_u((3, 4)), _u((4,))]),
    "nn_linear": (lambda T, a, w, b: T.nn.functional.linear(a, w, b),
                  [_u((3, 4)), _u((2, 4)), _u((2,))]),
    "nn_linear_3d": (lambda T, a, w, b: T.nn.functional.linear(a, w, b),
                     [_u((2, 3, 4)), _u((2, 4)), _u((2,))]),
    "nn_bilinear": (lambda T, a, b, w, c: T.nn.functional.bilinear(a, b, w, c),
                    [_u((2, 3)), _u((2, 2)), _u((2, 3, 2)), _u((2,))]),
    "nn_embedding": (lambda T, w: T.nn.functional.embedding(T.tensor([[0, 2, 2], [1, 0, 3]]), w,
                                                            padding_idx=4), [_u((5, 3))]),
    "nn_mse": (lambda T, a, b: T.nn.functional.mse_loss(a, b), [_u((3, 4)), _u((3, 4))]),
    "nn_mse_none": (lambda T, a, b: T.nn.functional.mse_loss(a, b, reduction="none"),
                    [_u((3, 4)), _u((3, 4))]),
    "nn_smooth_l1": (lambda T, a, b: T.nn.functional.smooth_l1_loss(a, b, beta=0.5),
                     [_u((3, 4)), _u((3, 4))]),
    "nn_huber": (lambda T, a, b: T.nn.functional.huber_loss(a, b, delta=0.7, reduction="sum"),
                 [_u((3, 4)), _u((3, 4))]),
    "nn_bce": (lambda T, a, b, w: T.nn.functional.binary_cross_entropy(a, b, weight=w),
               [_u((2, 3), 0.1, 0.9), _u((2, 3), 0.1, 0.9), Const(_u((3,), 0.5, 2.0))]),
    "nn_bce_logits": (lambda T, a, b, w: T.nn.functional.binary_cross_entropy_with_logits(
        a, b, weight=w), [_u((2, 3)), _u((2, 3), 0.0, 1.0), Const(_u((3,), 0.5, 2.0))]),
    "nn_bce_logits_pos": (lambda T, a, b, w: T.nn.functional.binary_cross_entropy_with_logits(
        a, b, pos_weight=w, reduction="sum"), [_u((2, 3)), _u((2, 3), 0.0, 1.0),
                                               Const(_u((3,), 0.5, 2.0))]),
    "nn_nll": (lambda T, a, w: T.nn.functional.nll_loss(a, T.tensor([0, 2, 1]), weight=w),
               [_u((3, 3)), Const(_u((3,), 0.5, 2.0))]),
    "nn_nll_none_ignore": (lambda T, a: T.nn.functional.nll_loss(a, T.tensor([0, -100, 1]),
                                                                 reduction="none"), [_u((3, 3))]),
    "nn_nll_2d": (lambda T, a: T.nn.functional.nll_loss(a, T.tensor([[[0, 2], [1, 1]]])),
                  [_u((1, 3, 2, 2))]),
    "nn_cross_entropy": (lambda T, a: T.nn.functional.cross_entropy(a, T.tensor([0, 2, 1])),
                         [_u((3, 3))]),
    "nn_cross_entropy_smooth": (lambda T, a, w: T.nn.functional.cross_entropy(
        a, T.tensor([0, -100, 1]), weight=w, label_smoothing=0.2),
        [_u((3, 3)), Const(_u((3,), 0.5, 2.0))]),
    "nn_cross_entropy_probs": (lambda T, a, b: T.nn.functional.cross_entropy(a, b),
                               [_u((3, 3)), _u((3, 3), 0.0, 1.0)]),
    "nn_kl_div": (lambda T, a, b: T.nn.functional.kl_div(a, b, reduction="batchmean"),
                  [_u((2, 3)), _u((2, 3), 0.1, 1.0)]),
    "nn_kl_div_log_target": (lambda T, a, b: T.nn.functional.kl_div(a, b, reduction="sum",
                                                                    log_target=True),
                             [_u((2, 3)), _u((2, 3))]),
    "nn_soft_margin": (lambda T, a, b: T.nn.functional.soft_margin_loss(a, b.sign()),
                       [_u((3, 4)), Const(_u((3, 4), away=0.1))]),
    "nn_soft_margin_none": (lambda T, a: T.nn.functional.soft_margin_loss(
        a, T.tensor([1.0, -1.0, 1.0, -1.0], dtype=T.float64), reduction="none"), [_u((3, 4))]),
    "nn_triplet_margin": (lambda T, a, p, n: T.nn.functional.triplet_margin_loss(
        a, p, n, margin=2.0, swap=True), [_u((3, 4)), _u((3, 4)), _u((3, 4))]),
    "nn_cosine_embedding": (lambda T, a, b: T.nn.functional.cosine_embedding_loss(
        a, b, T.tensor([1.0, -1.0, -1.0], dtype=T.float64), margin=-0.5),
        [_u((3, 4)), _u((3, 4))]),
    "nn_parameters_to_vector": (lambda T, a, b: T.nn.utils.parameters_to_vector([a, b * 2]),
                                [_u((2, 3)), _u((4,))]),
    # convolution, pooling and normalisation (ops/conv_ops.py; the functional forms live in
    # ember/nn/modules/{conv,pooling,normalization}.py until nn.functional imports them)
    "nn_conv2d": (lambda T, x, w, b: (getattr(T.nn.functional, "conv2d", None) or importlib
                  .import_module("ember.nn.modules.conv").conv2d)(
        x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
        [_u((2, 4, 5, 6)), _u((4, 2, 3, 2)), _u((4,))]),
    "nn_conv2d_same": (lambda T, x, w: (getattr(T.nn.functional, "conv2d", None) or importlib
                       .import_module("ember.nn.modules.conv").conv2d)(
        x, w, padding="same", dilation=2), [_u((1, 2, 5, 5)), _u((3, 2, 3, 3))]),
    "nn_conv1d": (lambda T, x, w, b: (getattr(T.nn.functional, "conv1d", None) or importlib
                  .import_module("ember.nn.modules.conv").conv1d)(x, w, b, stride=2, padding=1),
                  [_u((2, 3, 7)), _u((2, 3, 3)), _u((2,))]),
    "nn_conv_transpose2d": (lambda T, x, w, b: (
        getattr(T.nn.functional, "conv_transpose2d", None) or importlib
        .import_module("ember.nn.modules.conv").conv_transpose2d)(
        x, w, b, stride=2, padding=1, output_padding=1, groups=2),
        [_u((1, 4, 3, 3)), _u((4, 1, 3, 2)), _u((2,))]),
    "nn_max_pool2d": (lambda T, x: (getattr(T.nn.functional, "max_pool2d", None) or importlib
                      .import_module("ember.nn.modules.pooling").max_pool2d)(
        x, 3, 2, 1, ceil_mode=True) ** 2, [_u((2, 2, 5, 6))]),
    "nn_max_pool1d_indices": (lambda T, x: (getattr(T.nn.functional, "max_pool1d", None) or
                                            importlib.import_module("ember.nn.modules.pooling")
                                            .max_pool1d)(x, 2, return_indices=True)[0],
                              [_u((2, 3, 6))]),
    "nn_avg_pool2d": (lambda T, x: (getattr(T.nn.functional, "avg_pool2d", None) or importlib
                      .import_module("ember.nn.modules.pooling").avg_pool2d)(
        x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [_u((2, 2, 5, 6))]),
    "nn_avg_pool1d": (lambda T, x: (getattr(T.nn.functional, "avg_pool1d", None) or importlib
                      .import_module("ember.nn.modules.pooling").avg_pool1d)(x, 3, 2, 1),
                      [_u((2, 3, 6))]),
    "nn_adaptive_avg_pool2d": (lambda T, x: (
        getattr(T.nn.functional, "adaptive_avg_pool2d", None) or importlib
        .import_module("ember.nn.modules.pooling").adaptive_avg_pool2d)(x, (3, 2)) ** 2,
        [_u((1, 2, 5, 4))]),
    "nn_adaptive_max_pool2d": (lambda T, x: (
        getattr(T.nn.functional, "adaptive_max_pool2d", None) or importlib
        .import_module("ember.nn.modules.pooling").adaptive_max_pool2d)(x, (2, 3)) ** 2,
        [_u((1, 2, 5, 4))]),
    "nn_max_pool3d": (lambda T, x: T.nn.functional.max_pool3d(x, 3, 2, 1, ceil_mode=True) ** 2,
                      [_u((1, 2, 4, 5, 3))]),
    "nn_max_unpool2d": (lambda T, x: T.nn.functional.max_unpool2d(
        *T.nn.functional.max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 4)) ** 2,
        [_u((1, 2, 4, 4))]),
    "nn_max_unpool3d": (lambda T, x: T.nn.functional.max_unpool3d(
        *T.nn.functional.max_pool3d(x, 2, return_indices=True), 2) ** 2, [_u((2, 4, 2, 4))]),
    "nn_avg_pool3d": (lambda T, x: T.nn.functional.avg_pool3d(
        x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [_u((1, 2, 4, 5, 3))]),
    "nn_adaptive_avg_pool3d": (lambda T, x: T.nn.functional.adaptive_avg_pool3d(
        x, (2, 3, 2)) ** 2, [_u((1, 2, 4, 5, 3))]),
    "nn_adaptive_max_pool3d": (lambda T, x: T.nn.functional.adaptive_max_pool3d(
        x, (2, 3, 2)) ** 2, [_u((1, 2, 4, 5, 3))]),
    "nn_fractional_max_pool2d": (lambda T, x: T.nn.functional.fractional_max_pool2d(
        x, 2, output_size=(3, 2), _random_samples=T.tensor(
            [[[0.3, 0.7], [0.9, 0.1]]], dtype=x.dtype)) ** 2, [_u((1, 2, 5, 4))]),
    "nn_fractional_max_pool3d": (lambda T, x: T.nn.functional.fractional_max_pool3d(
        x, (2, 1, 2), output_size=(2, 3, 2), _random_samples=T.tensor(
            [[[0.3, 0.7, 0.5]], [[0.9, 0.1, 0.2]]], dtype=x.dtype)) ** 2,
        [_u((2, 1, 4, 5, 4))]),
    "nn_batch_norm": (lambda T, x, w, b: (getattr(T.nn.functional, "batch_norm", None) or
                                          importlib.import_module(
                                              "ember.nn.modules.normalization").batch_norm)(
        x, None, None, w, b, training=True), [_u((4, 3, 2)), _u((3,)), _u((3,))]),
    "nn_batch_norm_eval": (lambda T, x, w: (getattr(T.nn.functional, "batch_norm", None) or
                                            importlib.import_module(
                                                "ember.nn.modules.normalization").batch_norm)(
        x, T.zeros(3, dtype=T.float64) + 0.5, T.ones(3, dtype=T.float64) * 1.5, w),
        [_u((4, 3)), _u((3,))]),
    "nn_layer_norm": (lambda T, x, w, b: (getattr(T.nn.functional, "layer_norm", None) or
                                          importlib.import_module(
                                              "ember.nn.modules.normalization").layer_norm)(
        x, (3,), w, b) ** 2, [_u((2, 2, 3)), _u((3,)), _u((3,))]),
    "nn_group_norm": (lambda T, x, w, b: (getattr(T.nn.functional, "group_norm", None) or
                                          importlib.import_module(
                                              "ember.nn.modules.normalization").group_norm)(
        x, 2, w, b), [_u((2, 4, 3)), _u((4,)), _u((4,))]),
    # issue 3: creation, triangles/diagonals, matrix products, einsum and ember.linalg
    "outer": (lambda T, a, b: T.outer(a, b), [_u((3,)), _u((4,))]),
    "addmm": (lambda T, c, a, b: T.addmm(c, a, b, beta=0.5, alpha=-2.0),
              [_u((4,)), _u((3, 2)), _u((2, 4))]),
    "addmm_method_default": (lambda T, c, a, b: c.addmm(a, b), [_u((3, 4)), _u((3, 2)), _u((2, 4))]),
    "addmv": (lambda T, c, a, b: T.addmv(c, a, b, beta=2.0, alpha=0.5),
              [_u((3,)), _u((3, 2)), _u((2,))]),
    "addbmm": (lambda T, c, a, b: T.addbmm(c, a, b, beta=1.5, alpha=0.5),
               [_u((3, 4)), _u((2, 3, 2)), _u((2, 2, 4))]),
    "baddbmm": (lambda T, c, a, b: T.baddbmm(c, a, b, alpha=-1.5),
                [_u((1, 4)), _u((2, 3, 2)), _u((2, 2, 4))]),
    "tril": (lambda T, a: T.tril(a, -1), [_u((3, 4))]),
    "triu": (lambda T, a: a.triu(1), [_u((2, 3, 4))]),
    "tril_inplace": (lambda T, a: (a * 2).tril_(), [_u((3, 3))]),
    "diagonal": (lambda T, a: T.diagonal(a, 1, 0, 2) * 2, [_u((3, 2, 4))]),
    "diagonal_method": (lambda T, a: a.diagonal(-1).exp(), [_u((3, 4))]),
    "diag_vector": (lambda T, a: T.diag(a, 1), [_u((3,))]),
    "diag_matrix": (lambda T, a: T.diag(a, -1), [_u((3, 4))]),
    "diag_embed": (lambda T, a: T.diag_embed(a, 0, 0, 2), [_u((2, 3))]),
    "diagflat": (lambda T, a: T.diagflat(a, -1), [_u((2, 2))]),
    "diagonal_scatter": (lambda T, a, b: T.diagonal_scatter(a, b, 1), [_u((3, 4)), _u((3,))]),
    "fill_diagonal": (lambda T, a: ((a * 2).fill_diagonal_(0.5), (a * 1).fill_diagonal_(1, True)),
                      [_u((5, 2))]),
    "inner": (lambda T, a, b: (T.inner(a, b), a.inner(b[0])), [_u((2, 3)), _u((4, 3))]),
    "vdot": (lambda T, a, b: T.vdot(a, b), [_u((3,)), _u((3,))]),
    "addr": (lambda T, c, a, b: (T.addr(c, a, b, beta=0.5, alpha=-2.0), c.addr(a, b)),
             [_u((4,)), _u((3,)), _u((4,))]),
    "trace": (lambda T, a: T.trace(a) * a, [_u((3, 4))]),
    "einsum_matmul": (lambda T, a, b: T.einsum("ij,jk->ik", a, b), [_u((2, 3)), _u((3, 4))]),
    "einsum_diagonal_batch": (lambda T, a, b: T.einsum("bii,bij->bj", a, b),
                              [_u((2, 3, 3)), _u((2, 3, 2))]),
    "einsum_three_operands": (lambda T, a, b, c: T.einsum("i,ij,j->", a, b, c),
                              [_u((3,)), _u((3, 4)), _u((4,))]),
    "einsum_ellipsis_sum": (lambda T, a: T.einsum("...ij->...", a), [_u((2, 3, 4))]),
    "tensordot": (lambda T, a, b: T.tensordot(a, b, dims=([1, 0], [0, 2])),
                  [_u((3, 2, 4)), _u((2, 5, 3))]),
    "tensordot_full": (lambda T, a, b: T.tensordot(a, b, dims=2), [_u((2, 3)), _u((2, 3))]),
    "kron": (lambda T, a, b: T.kron(a, b), [_u((2, 3)), _u((2,))]),
    "cross": (lambda T, a, b: T.cross(a, b, dim=1), [_u((2, 3)), _u((1, 3))]),
    "det": (lambda T, a: T.det(a), [lambda rng: rng.uniform(-1, 1, (2, 3, 3)) + 2 * np.eye(3)]),
    "inverse": (lambda T, a: T.inverse(a), [lambda rng: rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)]),
    "slogdet": (lambda T, a: T.slogdet(a)[1], [lambda rng: rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)]),
    "logdet": (lambda T, a: T.logdet(a), [lambda rng: rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)]),
    "matrix_power": (lambda T, a: T.matrix_power(a, 5), [_u((3, 3), -1.0, 1.0)]),
    "linalg_solve": (lambda T, a, b: importlib.import_module(T.__name__ + ".linalg").solve(a, b),
                     [lambda rng: rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3), _u((3, 2))]),
    "linalg_solve_right": (lambda T, a, b: importlib.import_module(
        T.__name__ + ".linalg").solve(a, b, left=False),
        [lambda rng: rng.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3), _u((4, 3))]),
    "vector_norm_2": (lambda T, a: importlib.import_module(T.__name__ + ".linalg").vector_norm(a),
                      [_u((3, 4))]),
    "vector_norm_1_dim": (lambda T, a: importlib.import_module(
        T.__name__ + ".linalg").vector_norm(a, 1, dim=1), [_u((3, 4), away=0.2)]),
    "vector_norm_3_keepdim": (lambda T, a: importlib.import_module(
        T.__name__ + ".linalg").vector_norm(a, 3, dim=(0, 2), keepdim=True), [_u((2, 3, 2))]),
    "vector_norm_inf": (lambda T, a: importlib.import_module(
        T.__name__ + ".linalg").vector_norm(a, float("inf"), dim=0), [_u((3, 4))]),
    "vector_norm_half": (lambda T, a: importlib.import_module(
        T.__name__ + ".linalg").vector_norm(a, 0.5), [_u((3,), away=0.3)]),
    "matrix_norm_fro": (lambda T, a: importlib.import_module(
        T.__name__ + ".linalg").matrix_norm(a), [_u((2, 3, 4))]),
    "matrix_norm_nuc": (lambda T, a: importlib.import_module(
        T.__name__ + ".linalg").matrix_norm(a, "nuc"), [_u((2, 3, 4))]),
    "linalg_norm": (lambda T, a: importlib.import_module(T.__name__ + ".linalg").norm(a, dim=1),
                    [_u((3, 4))]),
    "svd": (lambda T, a: (lambda u, s, vh: ((u @ u.mT) * s.sum(), (vh.mT * s) @ vh))(
        *importlib.import_module(T.__name__ + ".linalg").svd(a, full_matrices=False)),
        [_u((3, 4))]),
    # decompositions: functions of the outputs that do not depend on sign conventions
    "qr_tall": (lambda T, a: tuple(_la(T).qr(a)), [_u((2, 4, 3))]),
    "qr_wide": (lambda T, a: tuple(_la(T).qr(a)), [_u((3, 5))]),
    "qr_complete_square": (lambda T, a: tuple(_la(T).qr(a, mode="complete")), [_u((3, 3))]),
    "cholesky": (lambda T, a: _la(T).cholesky(_spd(T, a)), [_u((2, 3, 3))]),
    "cholesky_upper": (lambda T, a: _la(T).cholesky(_spd(T, a), upper=True), [_u((3, 3))]),
    "cholesky_legacy": (lambda T, a: _quiet(T.cholesky, _spd(T, a)), [_u((3, 3))]),
    "eigh": (lambda T, a: (lambda w, v: (w, v * v))(*_la(T).eigh(a + a.mT)), [_u((2, 3, 3))]),
    "eigh_upper": (lambda T, a: (lambda w, v: (w, (v * v).sum(-1)))(*_la(T).eigh(
        a + a.mT, UPLO="U")), [_u((3, 3))]),
    "eigvalsh": (lambda T, a: _la(T).eigvalsh(a + a.mT), [_u((4, 4))]),
    "pinv_wide": (lambda T, a: _la(T).pinv(a), [_u((3, 4))]),
    "pinv_tall": (lambda T, a: T.pinverse(a), [_u((2, 4, 3))]),
    "matrix_exp": (lambda T, a: _la(T).matrix_exp(a), [_u((2, 3, 3), -1.0, 1.0)]),
    "matrix_exp_method": (lambda T, a: a.matrix_exp(), [_u((3, 3), -3.0, 3.0)]),
    "lstsq": (lambda T, a, b: _la(T).lstsq(a, b).solution, [_u((5, 3)), _u((5, 2))]),
    "bessel_i0_i0e_i1_i1e": (lambda T, a: (lambda sp: (T.i0(a), sp.i0e(a), sp.i1(a), sp.i1e(a)))(
        importlib.import_module(T.__name__ + ".special")), [_u((2, 3), -3.0, 3.0, away=0.2)]),
    "bessel_i1_at_zero": (lambda T, a: importlib.import_module(T.__name__ + ".special").i1(a),
                          [_fixed([0.0, 0.7, -1.3])]),
    "prelu_channels": (lambda T, a, w: importlib.import_module(T.__name__ + ".nn.functional").prelu(
        a, w), [_u((2, 3, 4), away=0.1), _u((3,), 0.1, 0.5)]),
    "prelu_single": (lambda T, a, w: a.prelu(w), [_u((5,), away=0.1), _u((1,), 0.1, 0.5)]),
    "renorm": (lambda T, a: a.renorm(2, 0, 1.5), [_u((3, 4))]),
    "renorm_p3_inplace": (_inplace("renorm_", 3, 1, 1.0), [_u((3, 4))]),
    "multi_dot": (lambda T, a, b, c, d: importlib.import_module(T.__name__ + ".linalg").multi_dot(
        [a, b, c, d]), [_u((3,)), _u((3, 4)), _u((4, 2)), _u((2, 5))]),
    # issue 3, pointwise (ops/pointwise.py): transcendental functions
    "rsqrt": (lambda T, a: a.rsqrt(), [_pos((2, 3))]),
    "square": (lambda T, a: a.square(), [_u((2, 3))]),
    "exp2_expm1": (lambda T, a: (a.exp2(), T.expm1(a)), [_u((2, 3))]),
    "log2_log10_log1p": (lambda T, a: (a.log2(), T.log10(a), a.log1p()), [_pos((2, 3))]),
    "tan": (lambda T, a: a.tan(), [_u((2, 3), -1.2, 1.2)]),
    "asin_acos_atanh": (lambda T, a: (a.asin(), T.acos(a), a.atanh()), [_u((2, 3), -0.9, 0.9)]),
    "atan_asinh": (lambda T, a: (a.atan(), T.asinh(a)), [_u((2, 3))]),
    "acosh": (lambda T, a: a.acosh(), [_u((2, 3), 1.2, 3.0)]),
    "sinh_cosh": (lambda T, a: (a.sinh(), T.cosh(a)), [_u((2, 3))]),
    "erf_erfc": (lambda T, a: (a.erf(), T.erfc(a)), [_u((2, 3))]),
    "gamma_family": (lambda T, a: (a.lgamma(), T.digamma(a), T.polygamma(2, a),
                                   a.clone().polygamma_(1), T.mvlgamma(a + 1, 3)),
                     [_u((2, 3), 0.3, 3.0)]),
    "erfinv": (lambda T, a: (a.erfinv(), T.erfinv(a * 0.5)), [_u((2, 3), -0.9, 0.9)]),
    "atan2": (lambda T, a, b: T.atan2(a, b), [_u((3, 1)), _u((4,), away=0.3)]),
    "hypot": (lambda T, a, b: T.hypot(a, b), [_u((3, 1), away=0.2), _u((4,), away=0.2)]),
    "logaddexp": (lambda T, a, b: (T.logaddexp(a, b), T.logaddexp2(a, b)),
                  [_u((3, 1)), _u((4,))]),
    "xlogy": (lambda T, a, b: (T.xlogy(a, b), T.xlogy(a, 2.5), T.xlogy(1.5, b)),
              [_u((3, 4)), _pos((4,))]),
    "deg2rad_rad2deg": (lambda T, a: (a.deg2rad(), T.rad2deg(a)), [_u((3,))]),
    "float_power": (lambda T, a, b: (T.float_power(a, 2.5), T.float_power(a, b)),
                    [_pos((3,)), _u((3,))]),
    "ldexp": (lambda T, a, b: (T.ldexp(a, b), a.ldexp(T.tensor([1, 0, 3]))),
              [_u((3,)), _u((3,))]),
    "frexp_nextafter": (lambda T, a, b: (T.frexp(a)[0], T.nextafter(a, b)),
                        [_u((3,), away=0.2), _u((3,))]),
    "hardshrink": (lambda T, a: (a.hardshrink(), T.nn.functional.hardshrink(a, 1.0)),
                   [_fixed([0.2, -0.7, 1.5, -1.9, 0.45])]),
    # rounding, sign and piecewise-linear functions (values away from the jumps)
    "rounding": (lambda T, a: (a.floor(), a.ceil(), a.trunc(), a.round(), a.round(decimals=1),
                               a.frac() * a, a.sgn() * a, T.nan_to_num(a) * a),
                 [_fixed([0.33, -1.27, 2.61, 4.42])]),
    "maximum_minimum": (lambda T, a, b: (T.maximum(a, b), T.minimum(a, b), T.max(a, b)),
                        [_u((3, 1)), _u((4,))]),
    "fmax_fmin": (lambda T, a, b: (T.fmax(a, b), T.fmin(a, b)), [_u((3, 4)), _u((4,))]),
    "clamp_scalars": (lambda T, a: (a.clamp(-0.5, 0.5), a.clamp(min=0.2), T.clip(a, max=-0.1),
                                    T.clamp_min(a, 0.3), a.clamp_max(-0.3)), [_u((3, 4))]),
    "clamp_tensors": (lambda T, a, lo, hi: (a.clamp(lo, hi), T.clamp(a, min=lo),
                                            a.clamp(max=hi), T.clamp(a, hi, lo)),
                      [_u((3, 4)), _u((4,), -1.0, 0.0), _u((3, 1), 0.0, 1.0)]),
    "clamp_min_max_tensors": (lambda T, a, b: (T.clamp_min(a, b), T.clamp_max(a, b)),
                              [_u((3, 4)), _u((4,))]),
    "fmod": (lambda T, a, b: (T.fmod(a, b), a.fmod(0.7)),
             [_fixed([2.3, -1.7, 5.2, 0.4]), _fixed([1.5, 1.1, -2.0, 0.7])]),
    "copysign": (lambda T, a, b: (T.copysign(a, b), a.copysign(-1.5)),
                 [_u((3, 4), away=0.2), _u((4,), away=0.2)]),
    "lerp": (lambda T, a, b, w: (T.lerp(a, b, 0.3), T.lerp(a, b, 0.8), a.lerp(b, w)),
             [_u((3, 4)), _u((4,)), _u((3, 1), 0.0, 1.0)]),
    "addcmul_addcdiv": (lambda T, a, b, c: (T.addcmul(a, b, c, value=0.5),
                                            a.addcdiv(b, c, value=-2.0)),
                        [_u((3, 4)), _u((4,)), _u((3, 1), away=0.4)]),
    "inplace_more": (lambda T, a: (a.clone().clamp_(-0.5, 0.5), a.clone().erf_(),
                                   a.clone().exp2_(), a.clone().lerp_(a * 2, 0.25),
                                   a.clone().atan2_(a + 3)), [_u((3,), away=0.1)]),
    # issue 3, reductions (ops/reduction.py)
    "prod": (lambda T, a: (a.prod(), a.prod(1), T.prod(a, 0, keepdim=True)),
             [_u((2, 3), away=0.3)]),
    "prod_with_zero": (lambda T, a: (a.prod(), a.prod(1), a.prod(0)),
                       [_fixed([[0.0, 1.5, -0.7], [1.2, 0.9, 2.0]])]),
    "max_min_all": (lambda T, a: (a.max(), T.min(a)), [_u((3, 4))]),
    "max_min_dim": (lambda T, a: (a.max(1)[0], T.min(a, 0, keepdim=True).values),
                    [_u((3, 4))]),
    "amax_amin": (lambda T, a: (a.amax(1), T.amin(a), a.amax((0, 1), keepdim=True)),
                  [_u((3, 4))]),
    "aminmax": (lambda T, a: T.aminmax(a, dim=0), [_u((3, 4))]),
    "std_var": (lambda T, a: (a.std(), a.var(1), a.std(0, correction=0, keepdim=True),
                              T.var(a, (0, 1), unbiased=False)), [_u((3, 4))]),
    "std_mean_var_mean": (lambda T, a: T.std_mean(a, 1) + T.var_mean(a), [_u((3, 4))]),
    "norm": (lambda T, a: (a.norm(), a.norm(1, dim=1), T.norm(a, 3), a.norm(1.5, dim=0),
                           a.norm(0.5), a.norm(float("inf"), dim=1), a.norm("fro", dim=(0, 1))),
             [_u((3, 4), away=0.2)]),
    "logsumexp": (lambda T, a: (a.logsumexp(1), T.logsumexp(a, (0, 1))), [_u((3, 4))]),
    "cumsum_cumprod": (lambda T, a: (a.cumsum(1), T.cumsum(a, 0), a.cumprod(0), a.cumprod(1)),
                       [_u((3, 4))]),
    "cumprod_with_zeros": (lambda T, a: (a.cumprod(1), a.cumprod(0)),
                           [_fixed([[0.5, 0.0, 1.5, -0.7], [1.2, 0.9, 0.0, 2.0],
                                    [0.0, 1.1, 0.8, 0.0]])]),
    "cummax_cummin": (lambda T, a: (a.cummax(1)[0], T.cummin(a, 0).values), [_u((3, 4))]),
    "nansum_nanmean": (lambda T, a: (a.nansum(1), T.nanmean(a)), [_u((3, 4))]),
    "median": (lambda T, a: (a.median(), a.median(1)[0], T.nanmedian(a),
                             a.nanmedian(0).values), [_u((3, 4))]),
    "kthvalue_topk_sort": (lambda T, a: (a.kthvalue(2, 1)[0], a.topk(2).values,
                                         a.sort(0, descending=True)[0], T.msort(a)),
                           [_u((3, 4))]),
    "logit_sinc": (lambda T, a: (T.logit(a), a.logit(eps=0.2), T.sinc(a)), [_u((2, 3), 0.1, 0.9)]),
    "mode": (lambda T, a: a.mode(1)[0], [_u((3, 4))]),
    "quantile": (lambda T, a, q: (T.quantile(a, 0.3, dim=1), a.quantile(q, interpolation="lower"),
                                  T.quantile(a, q, dim=0, keepdim=True),
                                  a.nanquantile(q, 1, interpolation="midpoint"),
                                  T.nanquantile(a, q)),
                 [_u((3, 4)), _fixed([0.2, 0.55])]),
    "cov_corrcoef": (lambda T, a, w: (T.cov(a), a.cov(aweights=w, correction=0),
                                      T.cov(a[0], aweights=w), T.corrcoef(a)),
                     [_u((3, 5)), _pos((5,))]),
    "logcumsumexp": (lambda T, a: (a.logcumsumexp(1), T.logcumsumexp(a, 0)), [_u((3, 4))]),
    "dist": (lambda T, a, b: (T.dist(a, b), a.dist(b, 1), T.dist(a, b, 3)),
             [_u((3, 4)), _u((4,))]),
    "diff": (lambda T, a: (T.diff(a), a.diff(n=2, dim=0)), [_u((3, 4))]),
    # padding and resampling (ops/resample.py)
    "nn_pad_constant": (lambda T, a: (T.nn.functional.pad(a, (1, -1, 2, 0), value=0.5),
                                      T.constant_pad_nd(a, (2, 1))), [_u((2, 3, 4))]),
    "nn_pad_reflect": (lambda T, a, b, c: (
        T.nn.functional.pad(a, (2, 1), mode="reflect"),
        T.nn.functional.pad(b, (1, 2, 2, 0), mode="reflect"),
        T.nn.functional.pad(c, (1, 1, 0, 1, 1, 0), mode="reflect")),
        [_u((2, 4)), _u((1, 3, 4)), _u((1, 2, 3, 3))]),
    "nn_pad_replicate": (lambda T, a, b, c: (
        T.nn.functional.pad(a, (2, 1), mode="replicate"),
        T.nn.functional.pad(b, (1, 2, 2, -1), mode="replicate"),
        T.nn.functional.pad(c, (1, 1, 0, 1, 2, 0), mode="replicate")),
        [_u((2, 4)), _u((1, 3, 4)), _u((1, 2, 3, 3))]),
    "nn_pad_circular": (lambda T, a: T.nn.functional.pad(a, (2, 1, 1, 1), mode="circular"),
                        [_u((1, 2, 3, 4))]),
    "nn_interpolate_nearest": (lambda T, a, b, c: (
        T.nn.functional.interpolate(a, scale_factor=1.7),
        T.nn.functional.interpolate(b, size=(5, 3)),
        T.nn.functional.interpolate(c, scale_factor=2),
        T.nn.functional.interpolate(a, size=4, mode="nearest-exact"),
        T.nn.functional.interpolate(b, scale_factor=1.5, mode="nearest-exact"),
        T.nn.functional.interpolate(c, size=(3, 2, 3), mode="nearest-exact")),
        [_u((1, 2, 3)), _u((1, 2, 3, 2)), _u((1, 1, 2, 2, 2))]),
    "nn_affine_grid": (lambda T, a, b: (
        T.nn.functional.affine_grid(a, (2, 1, 3, 4), align_corners=False),
        T.nn.functional.affine_grid(b, (1, 1, 2, 2, 3), align_corners=True)),
        [_u((2, 2, 3)), _u((1, 3, 4))]),
    # grid values away from the kinks (integer source coordinates, the borders)
    "nn_grid_sample_bilinear": (lambda T, a, g: (
        T.nn.functional.grid_sample(a, g, align_corners=False),
        T.nn.functional.grid_sample(a, g * 0.8, padding_mode="border", align_corners=True),
        T.nn.functional.grid_sample(a, g * 1.3, padding_mode="reflection",
                                    align_corners=False)),
        [_u((2, 2, 3, 4)), _fixed(np.array([[[[-0.9, 0.37], [0.21, -0.63], [0.58, 0.11]],
                                             [[0.77, 0.83], [-0.41, 0.05], [-0.13, 0.91]]],
                                            [[[0.33, -0.77], [-0.59, 0.47], [0.87, -0.29]],
                                             [[-0.07, 0.63], [0.49, -0.93], [0.15, 0.69]]]]))]),
    "nn_grid_sample_nearest": (lambda T, a, g: T.nn.functional.grid_sample(
        a, g, mode="nearest", padding_mode="reflection", align_corners=True),
        [_u((1, 2, 3, 4)), _fixed(np.array([[[[-0.9, 0.37], [0.21, -0.63], [0.58, 0.11]]]]))]),
    "nn_interpolate_linear": (lambda T, a, b, c: (
        T.nn.functional.interpolate(a, size=5, mode="linear"),
        T.nn.functional.interpolate(b, scale_factor=1.5, mode="bilinear", align_corners=True),
        T.nn.functional.interpolate(c, size=(3, 2, 3), mode="trilinear")),
        [_u((1, 2, 3)), _u((1, 2, 3, 2)), _u((1, 1, 2, 2, 2))]),
    "nn_pixel_shuffle": (lambda T, a, b: (T.nn.functional.pixel_shuffle(a, 2),
                                          T.nn.functional.pixel_unshuffle(b, 2),
                                          T.nn.functional.channel_shuffle(b, 2)),
                         [_u((1, 4, 2, 3)), _u((1, 2, 4, 2))]),
    # im2col / col2im (ops/fold.py): overlapping windows, padding, dilation, stride
    "nn_unfold_fold": (lambda T, a, b: (
        T.nn.functional.unfold(a, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        T.nn.functional.fold(b, (4, 5), 2, padding=(1, 0), stride=(1, 2))),
        [_u((1, 2, 4, 5)), _u((1, 8, 10))]),
    "nn_lp_pool": (lambda T, a: (T.nn.functional.lp_pool2d(a, 2, 2),
                                 T.nn.functional.lp_pool1d(a[0], 3.0, 2, 1)),
                   [_u((1, 2, 4, 4), low=0.3)]),  # positive: p=3 of a negative sum is nan
}


def _setitem_number(a):
    y = a.clone()
    y[:, 1] = 0.5
    return y


def _iadd_view(T, a, b):
    y = a * 1
    view = y[:, 1]
    view += b
    return y


def _mul_on_view(T, a, b):
    y = a.clone()
    y[:, 2].mul_(b)
    return y.exp()


def _safe_softmax(T, x):
    if T is torch:
        return torch._safe_softmax(x, -1)
    from ember.ops.attention import safe_softmax
    return safe_softmax(x, -1)


def _copy_into_slice(T, a, b):
    y = a.clone()
    y[1].copy_(b * b)
    return y


def _case_inputs(T, name):
    """The entry's inputs as tensors of `T`: float64 leaves that require grad (or Const ones)."""
    samplers = CASES[name][1]
    rng = _rng(name)
    inputs = []
    for s in samplers:
        if isinstance(s, Const):
            inputs.append(tensor(T, s.value(rng)))
        else:
            inputs.append(tensor(T, s(rng), True))
    return inputs


def _case_fn(T, name):
    fn = CASES[name][0]
    return lambda *inputs: fn(T, *inputs)


def _outputs(result):
    return list(result) if isinstance(result, tuple) else [result]


def _plain(g):
    """A gradient as a plain detached tensor (PyTorch may return an efficient ZeroTensor)."""
    if g is None:
        return None
    g = g.detach()
    if g is not None and torch.is_tensor(g) and g._is_zerotensor():
        g = torch.zeros(g.shape, dtype=g.dtype)
    return g


def _derivatives(T, name):
    """The first derivatives (for fixed output weights) and the second derivatives (for fixed
    weights of the first), as PyTorch would give them."""
    inputs = _case_inputs(T, name)
    leaves = [t for t in inputs if t.requires_grad]
    outs = _outputs(_case_fn(T, name)(*inputs))
    rng = np.random.default_rng(7)
    weights = [tensor(T, rng.standard_normal(tuple(o.shape))) for o in outs]
    firsts = T.autograd.grad(outs, leaves, weights, create_graph=True, allow_unused=True)
    result = [o.detach() for o in outs]
    result += [_plain(g) for g in firsts]
    terms = [(g * tensor(T, rng.standard_normal(tuple(g.shape)))).sum()
             for g in firsts if g is not None and g.requires_grad]
    if terms:
        seconds = T.autograd.grad(sum(terms[1:], terms[0]), leaves, allow_unused=True)
        result += [_plain(g) for g in seconds]
    return result


@pytest.mark.filterwarnings("ignore:Input #1 requires gradient")   # to_float32's grad_output
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_every_op(name):
    options = CASES[name][2] if len(CASES[name]) > 2 else {}
    tolerances = {k: options[k] for k in ("eps", "atol", "rtol") if k in options}
    fn = _case_fn(ember, name)
    assert ember.autograd.gradcheck(fn, tuple(_case_inputs(ember, name)), **tolerances) is True
    assert ember.autograd.gradgradcheck(fn, tuple(_case_inputs(ember, name)),
                                        **tolerances) is True
    t = _derivatives(torch, name)
    e = _derivatives(ember, name)
    assert len(e) == len(t), f"ember gave {len(e)} results, torch {len(t)}"
    for i, (a, b) in enumerate(zip(e, t)):
        if b is None:
            assert a is None or not np.any(a.detach().numpy()), f"result {i}: torch None"
            continue
        assert a is not None, f"result {i}: ember None, torch {b}"
        assert_same(a, b, rtol=1e-10, atol=1e-12)


# -- every backward node is covered by the table --------------------------------------------------

# Node classes of ember.ops that the sweep cannot gradcheck, and why.
NOT_GRADCHECKED = {
    # PyTorch's `NotImplemented` node: stands for ops without a derivative (floor_divide, trunc
    # division, scalar % tensor); its backward raises "the derivative for ... is not implemented".
    "NotImplemented",
    # unique has no derivative in PyTorch either: these nodes only refuse backward
    "Unique2Backward0",
    "UniqueDimBackward0",
    # PyTorch defines no derivative of these losses' backward kernels (their gradient's node is
    # NotImplemented): first derivatives are gradchecked in tests/test_nn_losses_more.py
    "MultiMarginLossBackward0",
    "MultilabelMarginLossBackward0",
    # the same for pdist and the CTC loss: first derivatives are gradchecked in
    # tests/test_nn_ctc_pdist.py
    "PdistBackward0",
    "CtcLossBackward0",
    # PyTorch defines no second derivative of hardsigmoid (its gradient's node is
    # NotImplemented, so gradgradcheck raises); tests/test_nn_activations_more.py checks it
    "HardsigmoidBackward0",
    # PyTorch defines no derivative of embedding_bag's backward (EmbeddingBagBackwardBackward0
    # only refuses): first derivatives are gradchecked in tests/test_nn_unpool_bag_lazy.py
    "EmbeddingBagBackward0",
    "EmbeddingBagBackwardBackward0",
    # torch._weight_norm: PyTorch's second derivative holds the norms constant (its own
    # gradgradcheck fails); tests/test_nn_parametrize.py compares both derivatives with it
    "WeightNormInterfaceBackward0",
}


def _op_node_classes():
    for info in pkgutil.iter_modules(ember.ops.__path__):
        importlib.import_module(f"ember.ops.{info.name}")
    found, stack = set(), [Node]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return {c for c in found if c.__module__.startswith("ember.ops.")
            and not c.__name__.startswith("_") and c.__name__ not in NOT_GRADCHECKED}


def _graph_classes(roots):
    seen, classes, stack = set(), set(), [r for r in roots if r is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        classes.add(type(node))
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return classes


def _exercised_classes(name):
    """The node classes in an entry's graph and in its gradients' graph (as gradgradcheck
    builds it: with output weights that require grad)."""
    inputs = _case_inputs(ember, name)
    leaves = [t for t in inputs if t.requires_grad]
    outs = [o for o in _outputs(_case_fn(ember, name)(*inputs)) if o.requires_grad]
    weights = [ember.ones(tuple(o.shape), dtype=o.dtype, requires_grad=True) for o in outs]
    classes = _graph_classes([o.grad_fn for o in outs])
    try:
        grads = ember.autograd.grad(outs, leaves, weights, create_graph=True, allow_unused=True)
    except Exception:  # noqa: BLE001 - a failing backward is test_gradcheck_every_op's to report
        return classes
    return classes | _graph_classes([g.grad_fn for g in grads if g is not None])


def test_every_backward_node_is_in_the_table():
    required = _op_node_classes()
    assert len(required) > 40                        # the discovery found the op modules
    exercised = set()
    for name in CASES:
        exercised |= _exercised_classes(name)
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in required - exercised)
    assert not missing, (f"backward nodes with no entry in CASES (add one, or list the node in "
                         f"NOT_GRADCHECKED with the reason): {missing}")


def _floor_divide_backward(T):
    x = tensor(T, [3.5, -2.0], True)
    y = x // 2
    try:
        y.sum().backward()
    except RuntimeError as error:
        return y.grad_fn.name(), str(error)
    return y.grad_fn.name(), None


def test_excluded_node_is_not_differentiable():
    """The one exclusion: PyTorch and ember both refuse to differentiate floor division."""
    t, e = _floor_divide_backward(torch), _floor_divide_backward(ember)
    assert t[1] == "derivative for aten::floor_divide is not implemented"
    assert e[1] == t[1]


def test_excluded_node_name():
    t, e = _floor_divide_backward(torch), _floor_divide_backward(ember)
    assert e[0] == t[0] == "torch::autograd::NotImplemented"

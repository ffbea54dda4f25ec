"""Pointwise ops: arithmetic, comparisons and elementary functions, each with its derivative.

Each op computes its value with NumPy in PyTorch's result dtype and, when grad mode is on and an
input requires grad, records a backward node. The node's `apply` is the op's derivative
(chain rule: gradient of the input = gradient of the output times the local derivative),
written with ember's own ops so that a backward pass can itself be differentiated.
"""
import re

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node, _sequence, edge_to
from ._util import as_array, fit, meta, operands, wrap

# -- arithmetic ---------------------------------------------------------------------------

_BOOL = _dtype.bool_


class _Binary(Node):
    """A node of a two-input op. It remembers which inputs need a gradient and each input's
    shape and dtype: a gradient computed for a broadcast or promoted input is summed and cast
    back to that input (PyTorch's engine does this for every node)."""

    def __init__(self, a, b):
        self._sequence_nr = next(_sequence)
        self.next_functions = (edge_to(a), edge_to(b))
        self.wants = (self.next_functions[0][0] is not None, self.next_functions[1][0] is not None)
        self.metas = ((a._data.shape, a._data.dtype), meta(b))

    def fitted(self, ga, gb):
        """`(ga, gb)`, each fitted to its input's shape and dtype."""
        if ga is not None:
            shape, dtype = self.metas[0]
            if ga._data.shape != shape or ga._data.dtype != dtype:
                ga = fit(ga, self.metas[0])
        if gb is not None:
            shape, dtype = self.metas[1]
            if gb._data.shape != shape or gb._data.dtype != dtype:
                gb = fit(gb, self.metas[1])
        return ga, gb


class AddBackward0(_Binary):
    def apply(self, grad):                          # d(a + alpha*b) = (1, alpha)
        alpha = self.alpha
        return self.fitted(grad if self.wants[0] else None,
                           (grad if alpha == 1 else grad * alpha) if self.wants[1] else None)


def add(input, other, *, alpha=1, out=None):
    """`input + alpha * other`, with broadcasting and PyTorch's type promotion."""
    x, y, dt = operands(input, other)
    if alpha != 1:
        if dt is _BOOL and not isinstance(alpha, bool):
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        y = y * alpha
    result = wrap(x + y, dt)
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        node = AddBackward0(input, other)
        node.alpha = alpha
        result._requires_grad, result._grad_fn = True, node
    return result if out is None else _into(out, result)


class SubBackward0(_Binary):
    def apply(self, grad):                          # d(a - alpha*b) = (1, -alpha)
        alpha = self.alpha
        return self.fitted(grad if self.wants[0] else None,
                           (-grad if alpha == 1 else -grad * alpha) if self.wants[1] else None)


def _refuse_bool_sub():
    raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                       "Use the `^` or `logical_xor()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    """`input - alpha * other`."""
    x, y, dt = operands(input, other)
    if dt is _BOOL:
        _refuse_bool_sub()
    if alpha != 1:
        y = y * alpha
    result = wrap(x - y, dt)
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        node = SubBackward0(input, other)
        node.alpha = alpha
        result._requires_grad, result._grad_fn = True, node
    return result if out is None else _into(out, result)


class RsubBackward1(Node):
    def apply(self, grad):                          # d(c - alpha*a) = -alpha
        alpha = self.alpha
        g = -grad if alpha == 1 else -grad * alpha
        return (fit(g, self.meta),)


def rsub(input, other, alpha=1):
    """`other - alpha * input` for a Python scalar `other` (what `2 - t` computes)."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    x, y, dt = operands(input, other)
    if dt is _BOOL:
        _refuse_bool_sub()
    result = wrap(y - x * alpha if alpha != 1 else y - x, dt)
    if grad_mode.enabled and input._requires_grad:
        node = RsubBackward1(input)
        node.alpha, node.meta = alpha, meta(input)
        result._requires_grad, result._grad_fn = True, node
    return result


class MulBackward0(_Binary):
    def apply(self, grad):                          # d(a*b) = (b, a)
        a, b = self.saved
        return self.fitted(grad * b if self.wants[0] else None,
                           grad * a if self.wants[1] else None)


def mul(input, other, *, out=None):
    """Elementwise product, with broadcasting."""
    x, y, dt = operands(input, other)
    result = wrap(x * y, dt)
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        node = MulBackward0(input, other)
        # save only what the needed gradients use: d/da needs b, d/db needs a
        node.save_for_backward(input if node.wants[1] else None,
                               other if node.wants[0] else None)
        result._requires_grad, result._grad_fn = True, node
    return result if out is None else _into(out, result)


class DivBackward0(_Binary):
    def apply(self, grad):                          # d(a/b) = (1/b, -a/b^2)
        a, b = self.saved
        return self.fitted(grad / b if self.wants[0] else None,
                           -grad * ((a / b) / b) if self.wants[1] else None)


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers divide to float32), or rounded with `rounding_mode`."""
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return _trunc_divide(input, other)
    if rounding_mode is not None:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    x, y, dt = operands(input, other)
    if dt.category < _dtype.FLOAT:
        x, y, dt = operands(input, other, _dtype.get_default_dtype())
    result = wrap(x / y, dt)
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        node = DivBackward0(input, other)
        node.save_for_backward(input if node.next_functions[1][0] is not None else None, other)
        result._requires_grad, result._grad_fn = True, node
    return result if out is None else _into(out, result)


def rdiv(input, other):
    """`other / input` for a Python scalar `other`: PyTorch computes `input.reciprocal() * other`."""
    if isinstance(other, Tensor):
        return div(other, input)
    return mul(reciprocal(input), other)


def _integer_zero_check(y, dt):
    if dt.category <= _dtype.INT and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")


class _NotDifferentiable(Node):
    """Stands where PyTorch records `NotImplemented`: an op with no derivative formula."""

    op_name = ""

    def apply(self, grad):
        raise RuntimeError(f"the derivative for '{self.op_name}' is not implemented.")


class NotImplemented(_NotDifferentiable):  # noqa: A001 - PyTorch's own node name
    pass


def _not_differentiable(result, op_name, *inputs):
    if grad_mode.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        node = NotImplemented(*inputs)
        node.op_name = op_name
        result._requires_grad, result._grad_fn = True, node
    return result


def floor_divide(input, other, *, out=None):
    """`input // other`: division rounded towards minus infinity (Python's rule)."""
    if not isinstance(input, Tensor):
        return floor_divide(_scalar_tensor(input, other), other)
    x, y, dt = operands(input, other)
    _integer_zero_check(y, dt)
    result = wrap(np.floor_divide(x, y), dt)
    return _into(out, _not_differentiable(result, "floor_divide", input, other))


def _trunc_divide(input, other):
    x, y, dt = operands(input, other)
    _integer_zero_check(y, dt)
    if dt.category <= _dtype.INT:
        q = np.abs(x) // np.abs(y) * np.sign(x) * np.sign(y)
    else:
        q = np.trunc(x / y)
    return _not_differentiable(wrap(q, dt), "div", input, other)


class RemainderBackward0(_Binary):
    def apply(self, grad):                          # a % b = a - b*floor(a/b): (1, -floor(a/b))
        a, b = self.saved
        return self.fitted(grad if self.wants[0] else None,
                           -grad * floor_divide(a, b) if self.wants[1] else None)


def remainder(input, other, *, out=None):
    """`input % other`, with the sign of `other` (Python's rule)."""
    if not isinstance(input, Tensor):
        result = remainder(_scalar_tensor(input, other), other)
        return _not_differentiable(result.detach(), "remainder", other)
    x, y, dt = operands(input, other)
    _integer_zero_check(y, dt)
    if dt.category == _dtype.FLOAT:
        # C's fmod, moved into the divisor's sign; keeps fmod's signed zero as PyTorch does
        m = np.fmod(x, y)
        m = np.where((m != 0) & ((np.asarray(y) < 0) != (m < 0)), m + y, m)
    else:
        m = np.remainder(x, y)
    result = wrap(m, dt)
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        node = RemainderBackward0(input, other)
        node.save_for_backward(input, other)
        result._requires_grad, result._grad_fn = True, node
    return result if out is None else _into(out, result)


def _scalar_tensor(value, like):
    """A Python number on the left of `//` or `%`, as the 0-d tensor PyTorch makes of it."""
    return Tensor._make(np.array(value, dtype=_dtype.scalar_dtype(value).np))


class NegBackward0(Node):
    def apply(self, grad):                          # d(-a) = -1
        return (-grad,)


def neg(input, *, out=None):
    """`-input`."""
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    result = Tensor._make(as_array(-input._data))
    if grad_mode.enabled and input._requires_grad:
        result._requires_grad = True
        result._grad_fn = NegBackward0(input)
    return result if out is None else _into(out, result)


# -- powers ---------------------------------------------------------------------------------


def _float_power_scalar(x, e):
    """x ** e for a float array and Python scalar exponent, with PyTorch's special cases (they
    decide the last bit: x*x is not always what powf(x, 2) rounds to)."""
    if e == 2:
        return x * x
    if e == 3:
        return x * x * x
    if e == -2:
        return 1 / (x * x)
    if e == 0.5:
        return np.sqrt(x)
    if e == -0.5:
        return 1 / np.sqrt(x)
    if e == -1:
        return 1 / x
    return np.power(x, e)


class PowBackward0(Node):

    def apply(self, grad):                          # d(a^e) = e * a^(e-1)
        a, = self.saved
        e = self.exponent
        if e == 0:
            return (zeros_like_tensor(a),)
        if e == 2:
            return (grad * (a * 2.0),)               # a^1 is a itself: skip the pow
        return (grad * (pow(a, e - 1) * e),)


class PowBackward1(_Binary):
    def apply(self, grad):                          # d(a^b) = (b * a^(b-1), a^b * ln a)
        a, b, result = self.saved
        return self.fitted(
            where(b == 0, 0.0, grad * (b * pow(a, b - 1))) if self.wants[0] else None,
            grad * where((a == 0) & (b >= 0), 0.0, result * log(a)) if self.wants[1] else None)


class PowBackward2(Node):

    def apply(self, grad):                          # d(c^b) = c^b * ln c
        result, = self.saved
        c = self.base
        if c == 0:
            return (fit(where(result >= 0, 0.0, grad * (result * float(np.log(c)))), self.meta),)
        return (fit(grad * (result * float(np.log(c))), self.meta),)


def pow(input, exponent, *, out=None):
    """`input ** exponent` for a tensor or Python-scalar exponent; `pow(scalar, tensor)` too."""
    if not isinstance(input, Tensor):
        return _scalar_pow(input, exponent)
    x, y, dt = operands(input, exponent)
    if dt.category <= _dtype.INT:
        if np.any(np.asarray(y) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        value = np.power(x, y)
    elif isinstance(exponent, Tensor):
        value = np.power(x, y)
    else:
        value = _float_power_scalar(x, y)
    result = wrap(value, dt)
    if isinstance(exponent, Tensor):
        if grad_mode.enabled and (input._requires_grad or exponent._requires_grad):
            node = PowBackward1(input, exponent)
            node.save_for_backward(input, exponent)
            node.save_output(result)
            result._requires_grad = True
            result._grad_fn = node
    elif grad_mode.enabled and input._requires_grad:
        node = PowBackward0(input)
        node.exponent = exponent
        node.save_for_backward(input)
        result._requires_grad, result._grad_fn = True, node
    return result if out is None else _into(out, result)


def _scalar_pow(base, exponent):
    """`base ** exponent` for a Python number `base` and a tensor `exponent`."""
    y, x, dt = operands(exponent, base)
    if dt.category <= _dtype.INT and np.any(y < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    result = wrap(np.power(x, y), dt)
    if grad_mode.enabled and exponent._requires_grad:
        node = PowBackward2(exponent)
        node.base = base
        node.meta = meta(exponent)
        node.save_output(result)
        result._requires_grad, result._grad_fn = True, node
    return result


# -- comparisons and selection --------------------------------------------------------------


def _comparison(ufunc):
    def compare(input, other, *, out=None):
        x, y, _ = operands(input, other)
        return _into(out, Tensor._make(as_array(ufunc(x, y))))
    compare.__name__ = ufunc.__name__
    return compare


eq = _comparison(np.equal)
ne = _comparison(np.not_equal)
lt = _comparison(np.less)
le = _comparison(np.less_equal)
gt = _comparison(np.greater)
ge = _comparison(np.greater_equal)


def _logical(ufunc, name):
    def op(input, other):
        x, y, dt = operands(input, other)
        if dt.category > _dtype.INT:
            raise TypeError(f"unsupported operand type(s) for {name}: 'Tensor' and "
                            f"'{type(other).__name__}'") if not isinstance(other, Tensor) else \
                RuntimeError(f'"{ufunc.__name__}_cpu" not implemented for '
                             f"'{dt.scalar_name}'")
        return wrap(ufunc(x, y), dt)
    op.__name__ = ufunc.__name__
    return op


bitwise_and = _logical(np.bitwise_and, "&")
bitwise_or = _logical(np.bitwise_or, "|")
bitwise_xor = _logical(np.bitwise_xor, "^")


def bitwise_not(input):
    if input._data.dtype.kind not in "biu":
        raise RuntimeError(f'"bitwise_not_cpu" not implemented for '
                           f"'{input.dtype.scalar_name}'")
    return Tensor._make(as_array(np.invert(input._data)))


class WhereBackward0(Node):

    def apply(self, grad):                          # gradient flows to the chosen side only
        cond = self.condition
        zero = zeros_like_tensor(grad)
        nf = self.next_functions
        return (None,
                fit(where(cond, grad, zero), self.metas[0]) if nf[1][0] is not None else None,
                fit(where(cond, zero, grad), self.metas[1]) if nf[2][0] is not None else None)


def where(condition, input, other):
    """`input` where `condition` holds, else `other` (tensors or scalars, broadcast)."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            dt = _dtype.combine_categories(_dtype.scalar_dtype(input), _dtype.scalar_dtype(other))
            out = np.where(condition._data, input, other).astype(dt.np)
            return Tensor._make(as_array(out))
        y, x, dt = operands(other, input)
    else:
        x, y, dt = operands(input, other)
    cond = condition._data
    if cond.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.scalar_name}")
    result = wrap(np.where(cond, x, y), dt)
    if grad_mode.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (input, other)):
        node = WhereBackward0(condition, input, other)
        node.condition = condition
        node.metas = (meta(input), meta(other))
        result._requires_grad, result._grad_fn = True, node
    return result


def zeros_like_tensor(t):
    return Tensor._make(np.zeros_like(t._data))


# -- elementary functions -------------------------------------------------------------------


def _float_input(t):
    """The array of `t` for a floating op: integers and bools become the default float dtype."""
    x = t._data
    if x.dtype.kind in "fc":
        return x
    return x.astype(_dtype.get_default_dtype().np)


def _unary(node_cls, input, value, save_input=False, save_output=False):
    result = Tensor._make(as_array(value))
    if grad_mode.enabled and input._requires_grad:
        node = node_cls(input)
        if save_input:
            node.save_for_backward(input)
        if save_output:
            node.save_output(result)
        result._requires_grad, result._grad_fn = True, node
    return result


class ExpBackward0(Node):
    def apply(self, grad):                          # d exp(a) = exp(a)
        result, = self.saved
        return (grad * result,)


def exp(input, *, out=None):
    return _into(out, _unary(ExpBackward0, input, np.exp(_float_input(input)), save_output=True))


class LogBackward0(Node):
    def apply(self, grad):                          # d ln(a) = 1/a
        a, = self.saved
        return (grad / a,)


def log(input, *, out=None):
    return _into(out, _unary(LogBackward0, input, np.log(_float_input(input)), save_input=True))


class SqrtBackward0(Node):
    def apply(self, grad):                          # d sqrt(a) = 1 / (2 sqrt(a))
        result, = self.saved
        return (grad / (result * 2),)


def sqrt(input, *, out=None):
    return _into(out, _unary(SqrtBackward0, input, np.sqrt(_float_input(input)),
                             save_output=True))


class ReciprocalBackward0(Node):
    def apply(self, grad):                          # d (1/a) = -1/a^2
        result, = self.saved
        return (-grad * (result * result),)


def reciprocal(input, *, out=None):
    x = _float_input(input)
    return _into(out, _unary(ReciprocalBackward0, input, 1 / x, save_output=True))


class AbsBackward0(Node):
    def apply(self, grad):                          # d|a| = sign(a)
        a, = self.saved
        return (grad * sign(a),)


def abs(input, *, out=None):
    return _into(out, _unary(AbsBackward0, input, np.abs(input._data), save_input=True))


class SignBackward0(Node):
    def apply(self, grad):                          # sign is flat wherever it is defined
        return (zeros_like_tensor(grad),)


def sign(input, *, out=None):
    return _into(out, _unary(SignBackward0, input, np.sign(input._data)))


class SinBackward0(Node):
    def apply(self, grad):                          # d sin(a) = cos(a)
        a, = self.saved
        return (grad * cos(a),)


def sin(input, *, out=None):
    return _into(out, _unary(SinBackward0, input, np.sin(_float_input(input)), save_input=True))


class CosBackward0(Node):
    def apply(self, grad):                          # d cos(a) = -sin(a)
        a, = self.saved
        return (grad * -sin(a),)


def cos(input, *, out=None):
    return _into(out, _unary(CosBackward0, input, np.cos(_float_input(input)), save_input=True))


class TanhBackward0(Node):
    def apply(self, grad):                          # d tanh(a) = 1 - tanh(a)^2
        result, = self.saved
        return (grad * (1 - result * result),)


def tanh(input, *, out=None):
    return _into(out, _unary(TanhBackward0, input, np.tanh(_float_input(input)),
                             save_output=True))


class SigmoidBackward0(Node):
    def apply(self, grad):                          # d s(a) = s(a) (1 - s(a))
        result, = self.saved
        return (grad * ((1 - result) * result),)


def sigmoid(input, *, out=None):
    x = _float_input(input)
    # 1 / (1 + e^-x) overflows harmlessly to 0 for very negative x
    return _into(out, _unary(SigmoidBackward0, input, 1 / (1 + np.exp(-x)), save_output=True))


class ReluBackward0(Node):
    def apply(self, grad):                          # d relu(a) = 1 where relu(a) > 0
        result, = self.saved
        return (where(result > 0, grad, zeros_like_tensor(grad)),)


def relu(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
    x = input._data
    return _unary(ReluBackward0, input, np.where(x > 0, x, np.zeros((), x.dtype)),
                  save_output=True)


# -- in-place forms -------------------------------------------------------------------------


def _into(out, result):
    """Honour `out=`: write the result into a given tensor (resized as PyTorch would)."""
    if out is None:
        return result
    if result._requires_grad and grad_mode.enabled:
        name = re.sub(r"Backward[0-9]*$", "", result._grad_fn.name()).lower()
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    out._check_inplace()
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._bump_version()
    return out

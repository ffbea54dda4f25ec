"""Pointwise ops: arithmetic, comparisons and elementary functions, each with its derivative.

Each op computes its value with NumPy in PyTorch's result dtype and, when grad mode is on and an
input requires grad, records a backward node. The node's `apply` is the op's derivative
(chain rule: gradient of the input = gradient of the output times the local derivative),
written with ember's own ops so that a backward pass can itself be differentiated.

NumPy raises ValueError for shapes that do not broadcast; each op catches it around its ufunc
(free in Python 3.11 unless raised) and raises PyTorch's RuntimeError instead.
"""
import re
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node, _sequence, edge_to
from ._util import _BY_NP, as_array, broadcast_error, fit, meta, operands, shape_of, wrap

# -- arithmetic ---------------------------------------------------------------------------

_BOOL = _dtype.bool_
_NP_BOOL = np.dtype(np.bool_)
_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)


def _shape_error(input, other):
    """PyTorch's RuntimeError for two operands whose shapes do not broadcast."""
    return broadcast_error(shape_of(input), shape_of(other))


def _is_bool(value):
    return type(value) is bool or (isinstance(value, Tensor) and value._data.dtype is _NP_BOOL)


def _not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{dt.scalar_name}\'')


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


def _alpha_check(dt, alpha):
    """PyTorch's checks of `alpha` against the result dtype of add/sub."""
    if type(alpha) is bool or isinstance(alpha, np.bool_):
        if dt is not _BOOL:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        return
    if dt.category < _dtype.FLOAT and not isinstance(alpha, (int, np.integer)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if dt.category != _dtype.COMPLEX and isinstance(alpha, (complex, np.complexfloating)):
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")


class AddBackward0(_Binary):
    def apply(self, grad):                          # d(a + alpha*b) = (1, alpha)
        alpha = self.alpha
        return self.fitted(grad if self.wants[0] else None,
                           (grad if alpha == 1 else grad * alpha) if self.wants[1] else None)


def add(input, other, *, alpha=1, out=None):
    """`input + alpha * other`, with broadcasting and PyTorch's type promotion."""
    # operands()'s fast path, inlined for the hottest ops
    x = input._data
    xd = x.dtype
    kind = other.__class__
    if (kind is float or kind is int) and (xd is _F32 or xd is _F64 or (xd is _I64 and kind is int)):
        y, dt = other, _BY_NP[xd]
    elif kind is Tensor and other._data.dtype is xd and xd is not _F16:
        y, dt = other._data, _BY_NP[xd]
    else:
        x, y, dt = operands(input, other)
    if alpha.__class__ is not int or alpha != 1:
        _alpha_check(dt, alpha)
        y = y * alpha
    try:
        result = wrap(x + y, dt)
    except ValueError:
        raise _shape_error(input, other) from None
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


def _check_sub(input, other):
    """PyTorch refuses `-` when either operand is bool (a bool tensor or a Python bool)."""
    a, b = _is_bool(input), _is_bool(other)
    if a and b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a or b:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def sub(input, other, *, alpha=1, out=None):
    """`input - alpha * other`."""
    x = input._data
    xd = x.dtype
    kind = other.__class__
    if (kind is float or kind is int) and (xd is _F32 or xd is _F64 or (xd is _I64 and kind is int)):
        y, dt = other, _BY_NP[xd]
    elif kind is Tensor and other._data.dtype is xd and xd is not _F16 and xd is not _NP_BOOL:
        y, dt = other._data, _BY_NP[xd]
    else:
        if _is_bool(input) or _is_bool(other):
            _check_sub(input, other)
        x, y, dt = operands(input, other)
    if alpha.__class__ is not int or alpha != 1:
        _alpha_check(dt, alpha)
        y = y * alpha
    try:
        result = wrap(x - y, dt)
    except ValueError:
        raise _shape_error(input, other) from None
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
    if _is_bool(input) or _is_bool(other):
        _check_sub(input, other)
    x, y, dt = operands(input, other)
    if alpha.__class__ is not int or alpha != 1:
        _alpha_check(dt, alpha)
        x = x * alpha
    result = wrap(y - x, dt)
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

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


def mul(input, other, *, out=None):
    """Elementwise product, with broadcasting."""
    x = input._data
    xd = x.dtype
    kind = other.__class__
    if (kind is float or kind is int) and (xd is _F32 or xd is _F64 or (xd is _I64 and kind is int)):
        y, dt = other, _BY_NP[xd]
    elif kind is Tensor and other._data.dtype is xd and xd is not _F16:
        y, dt = other._data, _BY_NP[xd]
    else:
        x, y, dt = operands(input, other, None, True)
    try:
        result = wrap(x * y, dt)
    except ValueError:
        raise _shape_error(input, other) from None
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

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


class DivBackward2(_Binary):
    def apply(self, grad):                          # a rounded quotient is flat: zero
        zero = zeros_like_tensor(grad)
        return self.fitted(zero if self.wants[0] else None, zero if self.wants[1] else None)


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers divide to float32), or rounded with `rounding_mode`."""
    if rounding_mode is not None:
        if rounding_mode == "floor":
            result = _floor_divide(input, other)
        elif rounding_mode == "trunc":
            result = _trunc_divide(input, other)
        else:
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        if grad_mode.enabled and (input._requires_grad or
                                  getattr(other, "_requires_grad", False)):
            result._requires_grad, result._grad_fn = True, DivBackward2(input, other)
        return result if out is None else _into(out, result)
    x, y, dt = operands(input, other, None, True)
    if dt.category < _dtype.FLOAT:
        x, y, dt = operands(input, other, _dtype.get_default_dtype())
    try:
        result = wrap(x / y, dt)
    except ValueError:
        raise _shape_error(input, other) from None
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
        raise RuntimeError(f"derivative for aten::{self.op_name} is not implemented")


class NotImplemented(_NotDifferentiable):  # noqa: A001 - PyTorch's own node name

    def name(self):
        return "torch::autograd::NotImplemented"


def _not_differentiable(result, op_name, *inputs):
    if grad_mode.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        node = NotImplemented(*inputs)
        node.op_name = op_name
        result._requires_grad, result._grad_fn = True, node
    return result


def _division_operands(input, other, kernel):
    """Operands of `//`, `%` and rounded division; `input` may be a Python number (`2 // t`),
    which then takes part at the tensor's precision, as PyTorch's wrapped numbers do."""
    if isinstance(input, Tensor):
        x, y, dt = operands(input, other, None, kernel != "remainder_cpu")
    else:
        y, x, dt = operands(other, input)
    if dt is _BOOL:
        raise _not_implemented(kernel, dt)
    _integer_zero_check(y, dt)
    return x, y, dt


def _per_op_half(input, other):
    """Whether PyTorch's float16 division kernel rounds each step to float16: it does, except
    for a scalar divisor, which it applies in float32 to the input converted to float32."""
    return not (isinstance(input, Tensor) and
                (not isinstance(other, Tensor) or other._data.size == 1))


def _half_floor_divide(a, b):
    """PyTorch's `div_floor_floating` on float16 operands, every step rounded to float16."""
    h = _F16.type
    basic = a / b
    mod = np.fmod(a, b)
    floor = np.where((np.abs(basic) == np.inf) & (np.abs(a) != np.inf), a, a - mod)
    div = floor / b
    div = np.where((mod != 0) & ((b < 0) != (mod < 0)), div - h(1), div)
    floordiv = np.floor(div)
    floordiv = np.where(div - floordiv > h(0.5), floordiv + h(1), floordiv)
    floordiv = np.where(div == 0, np.copysign(h(0), basic), floordiv)
    return np.where(b == 0, basic, floordiv)


def _floor_divide(input, other):
    x, y, dt = _division_operands(input, other, "div_floor_cpu")
    try:
        if dt is _dtype.float16 and _per_op_half(input, other):
            return wrap(_half_floor_divide(np.asarray(x, _F16), np.asarray(y, _F16)), dt)
        return wrap(np.floor_divide(x, y), dt)
    except ValueError:
        raise _shape_error(input, other) from None


def floor_divide(input, other, *, out=None):
    """`input // other`: division rounded towards minus infinity (Python's rule)."""
    result = _floor_divide(input, other)
    return _into(out, _not_differentiable(result, "floor_divide", input, other))


def _trunc_divide(input, other):
    x, y, dt = _division_operands(input, other, "div_trunc_cpu")
    try:
        if dt.category <= _dtype.INT:
            q = np.abs(x) // np.abs(y) * np.sign(x) * np.sign(y)
        elif dt is _dtype.float16 and _per_op_half(input, other):
            q = np.trunc(np.asarray(x, _F16) / np.asarray(y, _F16))   # quotient rounded first
        else:
            q = np.trunc(x / y)
    except ValueError:
        raise _shape_error(input, other) from None
    return wrap(q, dt)


class RemainderBackward0(Node):
    def apply(self, grad):                          # a % c = a - c*floor(a/c): 1
        return (grad,)


class RemainderBackward1(_Binary):
    def apply(self, grad):                          # a % b = a - b*floor(a/b): (1, -floor(a/b))
        a, b = self.saved
        return self.fitted(grad if self.wants[0] else None,
                           -grad * div(a, b, rounding_mode="floor") if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


def remainder(input, other, *, out=None):
    """`input % other`, with the sign of `other` (Python's rule)."""
    x, y, dt = _division_operands(input, other, "remainder_cpu")
    try:
        if dt.category == _dtype.FLOAT:
            # C's fmod, moved into the divisor's sign; keeps fmod's signed zero as PyTorch does
            m = np.fmod(x, y)
            m = np.where((m != 0) & ((np.asarray(y) < 0) != (m < 0)), m + y, m)
        else:
            m = np.remainder(x, y)
    except ValueError:
        raise _shape_error(input, other) from None
    result = wrap(m, dt)
    if not isinstance(input, Tensor):
        return _into(out, _not_differentiable(result, "remainder", other))
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        if isinstance(other, Tensor):
            node = RemainderBackward1(input, other)
            node.save_for_backward(input, other)
        else:
            node = RemainderBackward0(input)
        result._requires_grad, result._grad_fn = True, node
    return result if out is None else _into(out, result)


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


_C_INT_NAMES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
                "int64": "int64_t"}


def _integer_power(x, y):
    """Integer x ** y elementwise, PyTorch's rule for negative exponents: 1 ** -n is 1,
    (-1) ** -n is -1 or 1, anything else is 0."""
    x, y = np.asarray(x), np.asarray(y)
    negative = y < 0
    if not negative.any():
        return np.power(x, y)
    value = np.power(x, np.where(negative, 0, y).astype(y.dtype))
    odd = (y & 1).astype(value.dtype)
    special = np.where(x == 1, 1, np.where(x == -1, 1 - 2 * odd, 0)).astype(value.dtype)
    return np.where(negative, special, value)


def _integer_power_scalar(x, e, dt):
    """An integer tensor to a Python-number power: PyTorch refuses negative exponents and
    exponents the result type cannot hold."""
    if dt is _BOOL:
        if e is True or e is False:
            return np.full(x.shape, True) if e is False else x.copy()
        raise _not_implemented("pow", dt)
    e = int(e)
    if e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if e > np.iinfo(dt.np).max:
        raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[dt.name]} without "
                           "overflow")
    return np.power(x, np.array(e, dt.np))


class PowBackward0(Node):

    def apply(self, grad):                          # d(a^e) = e * a^(e-1)
        a, = self.saved
        e = self.exponent
        if e == 0:
            return (zeros_like_tensor(a),)
        if e == 2:
            return (grad * (a * 2.0),)               # a^1 is a itself: skip the pow
        e = float(e)
        return (grad * (pow(a, e - 1) * e),)

    _saved_self = property(lambda self: self.saved[0])


class PowBackward1(_Binary):
    def apply(self, grad):                          # d(a^b) = (b * a^(b-1), a^b * ln a)
        a, b, result = self.saved
        ga = gb = None
        if self.wants[0]:
            ga = where(b == 0, 0.0, grad * (b * pow(a, b - 1)))
        if self.wants[1]:
            # PyTorch takes the log of `a` cast to the result's dtype
            a_ = a if a._data.dtype == result._data.dtype else a.to(result.dtype)
            gb = grad * where((a == 0) & (b >= 0), 0.0, result * log(a_))
        return self.fitted(ga, gb)

    _saved_self = property(lambda self: self.saved[0])
    _saved_exponent = property(lambda self: self.saved[1])
    _saved_result = property(lambda self: self.saved[2])


class PowBackward2(Node):

    def apply(self, grad):                          # d(c^b) = c^b * ln c
        exponent, result = self.saved
        c = self.base
        log_c = float(np.log(np.float64(c)))
        if c == 0:
            return (fit(grad * where(exponent >= 0, 0.0, result * log_c), self.meta),)
        return (fit(grad * (result * log_c), self.meta),)

    _saved_exponent = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


def pow(input, exponent, *, out=None):
    """`input ** exponent` for a tensor or Python-scalar exponent; `pow(scalar, tensor)` too."""
    if not isinstance(input, Tensor):
        return _scalar_pow(input, exponent)
    x, y, dt = operands(input, exponent)
    tensor_exponent = isinstance(exponent, Tensor)
    try:
        if dt.category <= _dtype.INT:
            if tensor_exponent:
                if dt is _BOOL:
                    raise _not_implemented("pow", dt)
                value = _integer_power(x, y)
            else:
                value = _integer_power_scalar(x, exponent, dt)
        elif tensor_exponent:
            value = np.power(x, y)
        else:
            value = _float_power_scalar(x, y)
    except ValueError:
        raise _shape_error(input, exponent) from None
    result = wrap(value, dt)
    if tensor_exponent:
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
    if dt.category <= _dtype.INT:
        if dt is _BOOL:
            raise _not_implemented("pow", dt)
        value = _integer_power(np.asarray(x, dt.np), y)
    else:
        value = np.power(x, y)
    result = wrap(value, dt)
    if grad_mode.enabled and exponent._requires_grad:
        node = PowBackward2(exponent)
        node.base = base
        node.meta = meta(exponent)
        node.save_for_backward(exponent)
        node.save_output(result)
        result._requires_grad, result._grad_fn = True, node
    return result


# -- comparisons and selection --------------------------------------------------------------


def _comparison(ufunc):
    def compare(input, other, *, out=None):
        x, y, _ = operands(input, other)
        try:
            value = ufunc(x, y)
        except ValueError:
            raise _shape_error(input, other) from None
        return _into(out, Tensor._make(as_array(value)))
    compare.__name__ = ufunc.__name__
    return compare


eq = _comparison(np.equal)
ne = _comparison(np.not_equal)
lt = _comparison(np.less)
le = _comparison(np.less_equal)
gt = _comparison(np.greater)
ge = _comparison(np.greater_equal)


def _logical(ufunc):
    kernel = ufunc.__name__ + "_cpu"

    def op(input, other):
        if not isinstance(input, Tensor):
            input, other = other, input
        x, y, dt = operands(input, other)
        if dt.category > _dtype.INT:
            raise _not_implemented(kernel, dt)
        try:
            return wrap(ufunc(x, y), dt)
        except ValueError:
            raise _shape_error(input, other) from None
    op.__name__ = ufunc.__name__
    return op


bitwise_and = _logical(np.bitwise_and)
bitwise_or = _logical(np.bitwise_or)
bitwise_xor = _logical(np.bitwise_xor)


def bitwise_not(input):
    if input._data.dtype.kind not in "biu":
        raise _not_implemented("bitwise_not_cpu", input.dtype)
    return Tensor._make(as_array(np.invert(input._data)))


def _invert(self):
    """`~t`: PyTorch's operator refuses floating tensors with a TypeError."""
    if self._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return Tensor._make(as_array(np.invert(self._data)))


class WhereBackward0(Node):

    def apply(self, grad):                          # gradient flows to the chosen side only
        cond = self.condition
        zero = zeros_like_tensor(grad)
        nf = self.next_functions
        return (None,
                fit(where(cond, grad, zero), self.metas[0]) if nf[1][0] is not None else None,
                fit(where(cond, zero, grad), self.metas[1]) if nf[2][0] is not None else None)


def _where_condition(condition):
    cond = condition._data
    if cond.dtype.kind != "b":
        if cond.dtype == np.uint8:
            warnings.warn("where received a uint8 condition tensor. This behavior is deprecated "
                          "and will be removed in a future version of PyTorch. Use a boolean "
                          "condition instead.", UserWarning, stacklevel=3)
            return cond.astype(np.bool_)
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.scalar_name}")
    return cond


def where(condition, input, other):
    """`input` where `condition` holds, else `other` (tensors or scalars, broadcast)."""
    cond = _where_condition(condition)
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            dt = _dtype.combine_categories(_dtype.scalar_dtype(input), _dtype.scalar_dtype(other))
            out = np.where(cond, input, other).astype(dt.np)
            return Tensor._make(as_array(out))
        y, x, dt = operands(other, input)
    else:
        x, y, dt = operands(input, other)
    try:
        result = wrap(np.where(cond, x, y), dt)
    except ValueError:
        raise broadcast_error(cond.shape, shape_of(input), shape_of(other)) from None
    if grad_mode.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (input, other)):
        node = WhereBackward0(condition, input, other)
        node.condition = condition if cond is condition._data else Tensor._make(cond)
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


def _rounded(fn, t):
    """`fn` of `t`'s values, computed in float64 and rounded once to the result dtype (float32
    and float16 results come out correctly rounded, within an ulp of PyTorch's kernels);
    float64 is computed as it is."""
    x = _float_input(t)
    dt = x.dtype
    if dt is _F32 or dt is _F16:
        return fn(x.astype(_F64)).astype(dt)
    return fn(x)


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

    _saved_result = property(lambda self: self.saved[0])


def exp(input, *, out=None):
    return _into(out, _unary(ExpBackward0, input, _rounded(np.exp, input), save_output=True))


class LogBackward0(Node):
    def apply(self, grad):                          # d ln(a) = 1/a
        a, = self.saved
        return (grad / a,)

    _saved_self = property(lambda self: self.saved[0])


def log(input, *, out=None):
    return _into(out, _unary(LogBackward0, input, _rounded(np.log, input), save_input=True))


class SqrtBackward0(Node):
    def apply(self, grad):                          # d sqrt(a) = 1 / (2 sqrt(a))
        result, = self.saved
        return (grad / (result * 2),)

    _saved_result = property(lambda self: self.saved[0])


def sqrt(input, *, out=None):
    # IEEE square roots are correctly rounded in every precision: no float64 detour needed
    return _into(out, _unary(SqrtBackward0, input, np.sqrt(_float_input(input)),
                             save_output=True))


class ReciprocalBackward0(Node):
    def apply(self, grad):                          # d (1/a) = -1/a^2
        result, = self.saved
        return (-grad * (result * result),)

    _saved_result = property(lambda self: self.saved[0])


def reciprocal(input, *, out=None):
    x = _float_input(input)
    return _into(out, _unary(ReciprocalBackward0, input, 1 / x, save_output=True))


class AbsBackward0(Node):
    def apply(self, grad):                          # d|a| = sign(a)
        a, = self.saved
        return (grad * sign(a),)

    _saved_self = property(lambda self: self.saved[0])


def abs(input, *, out=None):
    if input._data.dtype is _NP_BOOL:
        raise _not_implemented("abs_cpu", _BOOL)
    return _into(out, _unary(AbsBackward0, input, np.abs(input._data), save_input=True))


class SignBackward0(Node):
    def apply(self, grad):                          # sign is flat wherever it is defined
        return (zeros_like_tensor(grad),)


def sign(input, *, out=None):
    x = input._data
    if x.dtype is _NP_BOOL:
        value = x.copy()
    else:
        value = np.sign(x)
        if x.dtype.kind == "f":                     # PyTorch: (0 < a) - (a < 0), 0 for nan
            value = np.where(np.isnan(x), np.zeros((), x.dtype), value)
    return _into(out, _unary(SignBackward0, input, value))


class SinBackward0(Node):
    def apply(self, grad):                          # d sin(a) = cos(a)
        a, = self.saved
        return (grad * cos(a),)

    _saved_self = property(lambda self: self.saved[0])


def sin(input, *, out=None):
    return _into(out, _unary(SinBackward0, input, _rounded(np.sin, input), save_input=True))


class CosBackward0(Node):
    def apply(self, grad):                          # d cos(a) = -sin(a)
        a, = self.saved
        return (grad * -sin(a),)

    _saved_self = property(lambda self: self.saved[0])


def cos(input, *, out=None):
    return _into(out, _unary(CosBackward0, input, _rounded(np.cos, input), save_input=True))


class TanhBackward0(Node):
    def apply(self, grad):                          # d tanh(a) = 1 - tanh(a)^2
        result, = self.saved
        return (tanh_backward(grad, result),)

    _saved_result = property(lambda self: self.saved[0])


def _backward_op(value_fn, node_cls, grad_output, other, *extra):
    """A derivative computed as one op of its own (PyTorch's `tanh_backward`, ...), recorded
    when a backward pass is itself differentiated (create_graph). float16 is computed in
    float32 and rounded once, as PyTorch's kernels do."""
    g, o = grad_output._data, other._data
    half = g.dtype is _F16
    if half:
        g, o = g.astype(_F32), o.astype(_F32)
    value = value_fn(g, o, *extra)
    dt = _BY_NP[np.result_type(grad_output._data, other._data)]
    result = wrap(value, dt)
    if grad_mode.enabled and (grad_output._requires_grad or other._requires_grad):
        node = node_cls(grad_output, other)
        node.save_for_backward(grad_output, other)
        node.extra = extra
        result._requires_grad, result._grad_fn = True, node
    return result


class TanhBackwardBackward0(_Binary):
    def apply(self, grad):
        grad_output, output = self.saved
        return self.fitted(tanh_backward(grad, output) if self.wants[0] else None,
                           grad * (-2 * output * grad_output) if self.wants[1] else None)


def tanh_backward(grad_output, output):
    """`grad_output * (1 - output^2)`: tanh's derivative, from its output."""
    return _backward_op(lambda g, y: g * (1 - y * y), TanhBackwardBackward0, grad_output, output)


def tanh(input, *, out=None):
    return _into(out, _unary(TanhBackward0, input, _rounded(np.tanh, input),
                             save_output=True))


class SigmoidBackward0(Node):
    def apply(self, grad):                          # d s(a) = s(a) (1 - s(a))
        result, = self.saved
        return (sigmoid_backward(grad, result),)

    _saved_result = property(lambda self: self.saved[0])


class SigmoidBackwardBackward0(_Binary):
    def apply(self, grad):
        grad_output, output = self.saved
        return self.fitted(sigmoid_backward(grad, output) if self.wants[0] else None,
                           grad * grad_output * (-2 * output + 1) if self.wants[1] else None)


def sigmoid_backward(grad_output, output):
    """`grad_output * (1 - output) * output`: sigmoid's derivative, from its output."""
    return _backward_op(lambda g, y: g * (1 - y) * y, SigmoidBackwardBackward0, grad_output,
                        output)


def _sigmoid_values(x):
    """PyTorch's `1 / (1 + exp(-x))`, each step rounded to the working precision (float32 for
    float32 and float16 tensors, whose result is then rounded to float16); exp is computed in
    float64 and rounded, so it is correctly rounded. 1 + e^-x overflows harmlessly to inf."""
    dt = x.dtype
    if dt is _F32 or dt is _F16:
        e = np.exp(-x.astype(_F64)).astype(_F32)
        return (np.float32(1) / (np.float32(1) + e)).astype(dt)
    return 1 / (1 + np.exp(-x))


def sigmoid(input, *, out=None):
    return _into(out, _unary(SigmoidBackward0, input, _sigmoid_values(_float_input(input)),
                             save_output=True))


class ReluBackward0(Node):
    def apply(self, grad):                          # d relu(a) = 1 where relu(a) > 0
        result, = self.saved
        return (threshold_backward(grad, result, 0),)

    _saved_result = property(lambda self: self.saved[0])


class ThresholdBackwardBackward0(_Binary):
    def apply(self, grad):
        grad_output, x = self.saved
        return self.fitted(threshold_backward(grad, x, *self.extra) if self.wants[0] else None,
                           zeros_like_tensor(grad) if self.wants[1] else None)


def threshold_backward(grad_output, input, threshold):
    """`grad_output` where `input > threshold`, else 0 (nan passes the gradient through, as in
    PyTorch: nan <= threshold is false)."""
    return _backward_op(lambda g, x, th: np.where(x <= th, np.zeros((), g.dtype), g),
                        ThresholdBackwardBackward0, grad_output, input, threshold)


def relu(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
    x = input._data
    # clamp_min(x, 0): only values below zero change, so nan and -0.0 stay as they are
    return _unary(ReluBackward0, input, np.where(x < 0, np.zeros((), x.dtype), x),
                  save_output=True)


# -- in-place forms -------------------------------------------------------------------------


def _into(out, result):
    """Honour `out=`: write the result into a given tensor (resized as PyTorch would)."""
    if out is None:
        return result
    if result._requires_grad and grad_mode.enabled:
        node = result._grad_fn
        name = node.op_name if isinstance(node, _NotDifferentiable) else re.sub(
            r"Backward[0-9]*$", "", node.name()).lower()
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    out._check_inplace()
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._bump_version()
    return out


# Tensor methods that differ from the functions above (see _methods.py)
METHODS = {"__invert__": _invert}

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["abs", "add", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "cos", "div",
           "eq", "exp", "floor_divide", "ge", "gt", "le", "log", "lt", "mul", "ne", "neg",
           "pow", "reciprocal", "relu", "remainder", "rsub", "sigmoid", "sign", "sin",
           "sqrt", "sub", "tanh", "where"]

"""Pointwise ops: arithmetic, comparisons and elementary functions, each with its derivative.

Each op computes its value with NumPy in PyTorch's result dtype and, when grad mode is on and an
input requires grad, records a backward node. The node's `apply` is the op's derivative
(chain rule: gradient of the input = gradient of the output times the local derivative),
written with ember's own ops so that a backward pass can itself be differentiated.

NumPy raises ValueError for shapes that do not broadcast; each op catches it around its ufunc
(free in Python 3.11 unless raised) and raises PyTorch's RuntimeError instead.
"""
import builtins as _builtins
import math
import re
import warnings

import numpy as np

from .. import _dtype
from .._fma import fma32, fma64
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.grad_mode import no_grad
from ..autograd.graph import Node, _sequence, edge_to
from .. import _backend
from ._util import (_BY_NP, all_on_one_device, array_or_number as _arr, as_array,
                    broadcast_error, check_devices, fit, meta,
                    new_like as _new_like, operands, result_dtype, shape_of,
                    wrap)

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
    elif (kind is Tensor and other._data.dtype is xd and xd is not _F16
          and type(other._data) is type(x)):
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
    elif (kind is Tensor and other._data.dtype is xd and xd is not _F16 and xd is not _NP_BOOL
          and type(other._data) is type(x)):
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
    _pack_order = (1, 0)          # PyTorch saves `other` first (saved_tensors_hooks order)

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
    elif (kind is Tensor and other._data.dtype is xd and xd is not _F16
          and type(other._data) is type(x)):
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
    _pack_order = (1, 0)          # PyTorch saves `other` first (saved_tensors_hooks order)

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
    if dt.category <= _dtype.INT and np.any(_arr(y) == 0):
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
            return wrap(_half_floor_divide(_arr(x, _F16), _arr(y, _F16)), dt)
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
            q = np.trunc(_arr(x, _F16) / _arr(y, _F16))   # quotient rounded first
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
            m = np.where((m != 0) & ((m < 0) != (_arr(y) < 0)), m + y, m)
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
    x, y = _arr(x), _arr(y)
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
            return _backend.xp(x).full(x.shape, True) if e is False else x.copy()
        raise _not_implemented("pow", dt)
    e = int(e)
    if e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if e > np.iinfo(dt.np).max:
        raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[dt.name]} without "
                           "overflow")
    return np.power(x, dt.np.type(e))


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
    _pack_order = (1, 0)          # PyTorch saves the exponent first (saved_tensors_hooks order)

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
        value = _integer_power(_arr(x, dt.np), y)
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
    check_devices(condition, input, other)
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
            value = np.where(np.isnan(x), x.dtype.type(0), value)
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
    return _backward_op(lambda g, x, th: np.where(x <= th, g.dtype.type(0), g),
                        ThresholdBackwardBackward0, grad_output, input, threshold)


def relu(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
    x = input._data
    # clamp_min(x, 0): only values below zero change, so nan and -0.0 stay as they are
    return _unary(ReluBackward0, input, np.where(x < 0, x.dtype.type(0), x),
                  save_output=True)


# -- more elementary functions ---------------------------------------------------------------
#
# Transcendental functions are computed in float64 and rounded once (`_rounded`), so float32
# and float16 results are correctly rounded: within an ulp of PyTorch's vectorised kernels.
# Where PyTorch's kernel is a short sequence of IEEE operations (rsqrt is 1 / sqrt(x), frac is
# x - trunc(x)), it is reproduced operation by operation instead, bit for bit.

_LN2 = 0.6931471805599453                           # M_LN2
_LN10 = 2.3025850929940456                          # M_LN10
_2_SQRTPI = 1.1283791670955126                      # 2 / sqrt(pi), as derivatives.yaml spells it


def _in_float32(fn, t):
    """`fn` of `t`'s values evaluated in float32 arithmetic (float16 via float32 and rounded
    once, as PyTorch's Half kernels do), or in float64 for float64."""
    x = _float_input(t)
    dt = x.dtype
    if dt is _F16:
        return fn(x.astype(_F32)).astype(_F16)
    return fn(x)


def _float_unary(node_cls, input, fn, saves, out, exact=False):
    value = _in_float32(fn, input) if exact else _rounded(fn, input)
    return _into(out, _unary(node_cls, input, value, save_input=saves == "input",
                             save_output=saves == "output"))


class RsqrtBackward0(Node):
    def apply(self, grad):                          # d a^-1/2 = -1/2 a^-3/2 = -result^3 / 2
        result, = self.saved
        return (grad * -0.5 * pow(result, 3),)

    _saved_result = property(lambda self: self.saved[0])


def rsqrt(input, *, out=None):
    """`1 / sqrt(input)` (PyTorch divides by the rounded square root: two roundings)."""
    return _float_unary(RsqrtBackward0, input, lambda x: x.dtype.type(1) / np.sqrt(x), "output",
                        out, exact=True)


def square(input, *, out=None):
    """`input ** 2` (PyTorch records it as PowBackward0; ints stay ints, bools become int64)."""
    return _into(out, pow(input, 2))


class Exp2Backward0(Node):
    def apply(self, grad):                          # d 2^a = 2^a ln 2
        result, = self.saved
        return (grad * result * _LN2,)

    _saved_result = property(lambda self: self.saved[0])


def exp2(input, *, out=None):
    return _float_unary(Exp2Backward0, input, np.exp2, "output", out)


class Expm1Backward0(Node):
    def apply(self, grad):                          # d (e^a - 1) = e^a = result + 1
        result, = self.saved
        return (grad * (result + 1),)

    _saved_result = property(lambda self: self.saved[0])


def expm1(input, *, out=None):
    return _float_unary(Expm1Backward0, input, np.expm1, "output", out)


class Log2Backward0(Node):
    def apply(self, grad):                          # d log2(a) = 1 / (a ln 2)
        a, = self.saved
        return (grad / (a * _LN2),)

    _saved_self = property(lambda self: self.saved[0])


def log2(input, *, out=None):
    return _float_unary(Log2Backward0, input, np.log2, "input", out)


class Log10Backward0(Node):
    def apply(self, grad):                          # d log10(a) = 1 / (a ln 10)
        a, = self.saved
        return (grad / (a * _LN10),)

    _saved_self = property(lambda self: self.saved[0])


def log10(input, *, out=None):
    return _float_unary(Log10Backward0, input, np.log10, "input", out)


class Log1PBackward0(Node):
    def apply(self, grad):                          # d ln(1 + a) = 1 / (1 + a)
        a, = self.saved
        return (grad / (a + 1),)

    _saved_self = property(lambda self: self.saved[0])


def log1p(input, *, out=None):
    return _float_unary(Log1PBackward0, input, np.log1p, "input", out)


class TanBackward0(Node):
    def apply(self, grad):                          # d tan(a) = 1 + tan(a)^2
        result, = self.saved
        return (grad * (pow(result, 2) + 1),)

    _saved_result = property(lambda self: self.saved[0])


def tan(input, *, out=None):
    return _float_unary(TanBackward0, input, np.tan, "output", out)


class AsinBackward0(Node):
    def apply(self, grad):                          # d asin(a) = 1 / sqrt(1 - a^2)
        a, = self.saved
        return (grad * rsqrt(-a * a + 1),)

    _saved_self = property(lambda self: self.saved[0])


def asin(input, *, out=None):
    return _float_unary(AsinBackward0, input, np.arcsin, "input", out)


class AcosBackward0(Node):
    def apply(self, grad):                          # d acos(a) = -1 / sqrt(1 - a^2)
        a, = self.saved
        return (grad * -rsqrt(-a * a + 1),)

    _saved_self = property(lambda self: self.saved[0])


def acos(input, *, out=None):
    return _float_unary(AcosBackward0, input, np.arccos, "input", out)


class AtanBackward0(Node):
    def apply(self, grad):                          # d atan(a) = 1 / (1 + a^2)
        a, = self.saved
        return (grad / (a * a + 1),)

    _saved_self = property(lambda self: self.saved[0])


def atan(input, *, out=None):
    return _float_unary(AtanBackward0, input, np.arctan, "input", out)


class SinhBackward0(Node):
    def apply(self, grad):                          # d sinh(a) = cosh(a)
        a, = self.saved
        return (grad * cosh(a),)

    _saved_self = property(lambda self: self.saved[0])


_EXP_OVERFLOW_F32 = 88.72283905206835            # log(float32 max)


def _vector_overflow(value, x, odd):
    """PyTorch's vectorised float32 sinh/cosh (Sleef) compute exp(|x|) on the way: it
    overflows to inf from |x| > log(float32 max), a little before the result itself would."""
    if value.dtype is _F32 and value.ndim:
        big = (np.abs(x) > _EXP_OVERFLOW_F32) & _vector_region(
            value.shape, 4, [value.shape], _backend.xp(value))
        if big.any():
            inf = np.copysign(np.float32(np.inf), x) if odd else np.float32(np.inf)
            value = np.where(big, inf, value)
    return value


def sinh(input, *, out=None):
    x = _float_input(input)
    value = _vector_overflow(_rounded(np.sinh, input), x, True)
    return _into(out, _unary(SinhBackward0, input, value, save_input=True))


class CoshBackward0(Node):
    def apply(self, grad):                          # d cosh(a) = sinh(a)
        a, = self.saved
        return (grad * sinh(a),)

    _saved_self = property(lambda self: self.saved[0])


def cosh(input, *, out=None):
    x = _float_input(input)
    value = _vector_overflow(_rounded(np.cosh, input), x, False)
    return _into(out, _unary(CoshBackward0, input, value, save_input=True))


class AsinhBackward0(Node):
    def apply(self, grad):                          # d asinh(a) = 1 / sqrt(a^2 + 1)
        a, = self.saved
        return (grad * rsqrt(pow(a, 2) + 1),)

    _saved_self = property(lambda self: self.saved[0])


def _f32_rounded(fn, v):
    """A C-library float function (logf, log1pf) as a correctly rounded float32 value."""
    return fn(v.astype(_F64)).astype(_F32)


def _glibc_asinhf(x):
    """glibc's asinhf, step by step in float32 (PyTorch's float kernel calls std::asinh):
    within an ulp of it where computing asinh in float64 and rounding is up to two away."""
    one, xa = np.float32(1), np.abs(x)
    ix = xa.view(np.int32)
    big = _f32_rounded(np.log, xa) + np.float32(_LN2)
    mid = _f32_rounded(np.log, np.float32(2) * xa + one / (np.sqrt(xa * xa + one) + xa))
    t = xa * xa
    small = _f32_rounded(np.log1p, xa + t / (one + np.sqrt(one + t)))
    w = np.where(ix > 0x47000000, big, np.where(ix > 0x40000000, mid, small))
    w = np.where(ix < 0x38000000, xa, np.where(ix >= 0x7f800000, x + x, w))
    return np.copysign(w, x)


def _glibc_acoshf(x):
    """glibc's acoshf, step by step in float32."""
    one = np.float32(1)
    t = x - one
    small = _f32_rounded(np.log1p, t + np.sqrt(np.float32(2) * t + t * t))
    mid = _f32_rounded(np.log, np.float32(2) * x - one / (x + np.sqrt(x * x - one)))
    big = _f32_rounded(np.log, x) + np.float32(_LN2)
    value = np.where(x >= np.float32(2 ** 28), big, np.where(x > np.float32(2), mid, small))
    value = np.where(x == one, np.float32(0), value)
    return np.where((x < one) | (x != x), np.float32(np.nan), np.where(x == np.inf, x, value))


def _float_libm(f64_fn, f32_fn):
    """float64 through NumPy; float32 (and float16, via float32) through `f32_fn`."""
    def fn(x):
        return f64_fn(x) if x.dtype is _F64 else f32_fn(x)
    return fn


def asinh(input, *, out=None):
    return _float_unary(AsinhBackward0, input, _float_libm(np.arcsinh, _glibc_asinhf), "input",
                        out, exact=True)


class AcoshBackward0(Node):
    def apply(self, grad):                          # d acosh(a) = 1 / sqrt(a^2 - 1)
        a, = self.saved
        return (grad * rsqrt(pow(a, 2) - 1),)

    _saved_self = property(lambda self: self.saved[0])


def acosh(input, *, out=None):
    return _float_unary(AcoshBackward0, input, _float_libm(np.arccosh, _glibc_acoshf), "input",
                        out, exact=True)


class AtanhBackward0(Node):
    def apply(self, grad):                          # d atanh(a) = 1 / (1 - a^2)
        a, = self.saved
        return (grad / (-pow(a, 2) + 1),)

    _saved_self = property(lambda self: self.saved[0])


def atanh(input, *, out=None):
    return _float_unary(AtanhBackward0, input, np.arctanh, "input", out)


# The error function: glibc's double-precision erf/erfc (Sun's fdlibm, as restructured by
# glibc), evaluated on whole arrays. Identical to Python's `math.erf` / `math.erfc`, which call
# the C library; float32 results are then correctly rounded.
_ERX = 8.45062911510467529297e-01
_EFX = 1.28379167095512586316e-01
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)


def _erf_pieces(x, tail_cut):
    """What erf and erfc share, for float64 `x`: |x|'s high word, the rational approximations
    of the two inner intervals, and exp(-x^2 + R/S) for the outer one (to be divided by |x|)."""
    hi = x.view(np.int64) >> 32                     # the signed high word, as C's int32
    ix = hi & 0x7fffffff
    ax = np.abs(x)
    z = x * x                                       # |x| < 0.84375: x*y is erf(x) - x
    z2 = z * z
    z4 = z2 * z2
    r = (_PP[0] + z * _PP[1]) + z2 * (_PP[2] + z * _PP[3]) + z4 * _PP[4]
    s = (1.0 + z * _QQ[0]) + z2 * (_QQ[1] + z * _QQ[2]) + z4 * (_QQ[3] + z * _QQ[4])
    y = r / s
    s = ax - 1.0                                    # 0.84375 <= |x| < 1.25: erf - erx = P/Q
    s2 = s * s
    s4 = s2 * s2
    s6 = s4 * s2
    p = (_PA[0] + s * _PA[1]) + s2 * (_PA[2] + s * _PA[3]) + s4 * (_PA[4] + s * _PA[5]) + \
        s6 * _PA[6]
    q = (1.0 + s * _QA[0]) + s2 * (_QA[1] + s * _QA[2]) + s4 * (_QA[3] + s * _QA[4]) + \
        s6 * _QA[5]
    pq = p / q
    s = 1.0 / (ax * ax)                             # |x| >= 1.25: erfc = exp(...) / |x|
    s2 = s * s
    s4 = s2 * s2
    s6 = s4 * s2
    near = ix < tail_cut
    big_r = np.where(near, (_RA[0] + s * _RA[1]) + s2 * (_RA[2] + s * _RA[3]) +
                     s4 * (_RA[4] + s * _RA[5]) + s6 * (_RA[6] + s * _RA[7]),
                     (_RB[0] + s * _RB[1]) + s2 * (_RB[2] + s * _RB[3]) +
                     s4 * (_RB[4] + s * _RB[5]) + s6 * _RB[6])
    big_s = np.where(near, (1.0 + s * _SA[0]) + s2 * (_SA[1] + s * _SA[2]) +
                     s4 * (_SA[3] + s * _SA[4]) + s6 * (_SA[5] + s * _SA[6]) +
                     (s4 * s4) * _SA[7],
                     (1.0 + s * _SB[0]) + s2 * (_SB[1] + s * _SB[2]) +
                     s4 * (_SB[3] + s * _SB[4]) + s6 * (_SB[5] + s * _SB[6]))
    zz = (ax.view(np.uint64) & np.uint64(0xffffffff00000000)).view(np.float64)
    tail = np.exp(-zz * zz - 0.5625) * np.exp((zz - ax) * (zz + ax) + big_r / big_s)
    return hi, ix, ax, y, pq, tail


def _erf64(x):
    """erf of a float64 array."""
    hi, ix, ax, y, pq, r = _erf_pieces(x, 0x4006DB6E)
    small = np.where(ix < 0x3e300000,
                     np.where(ix < 0x00800000, 0.0625 * (16.0 * x + (16.0 * _EFX) * x),
                              x + _EFX * x),
                     x + x * y)
    mid = np.where(hi >= 0, _ERX + pq, -_ERX - pq)
    tail = np.where(hi >= 0, 1.0 - r / ax, r / ax - 1.0)
    value = np.where(ix < 0x3feb0000, small, np.where(
        ix < 0x3ff40000, mid, np.where(ix < 0x40180000, tail, np.copysign(1.0, x))))
    return np.where(x != x, x, value)


def _erfc64(x):
    """erfc of a float64 array."""
    hi, ix, ax, y, pq, r = _erf_pieces(x, 0x4006DB6D)
    small = np.where(ix < 0x3c700000, 1.0 - x,
                     np.where(hi < 0x3fd00000, 1.0 - (x + x * y), 0.5 - (x * y + (x - 0.5))))
    mid = np.where(hi >= 0, (1.0 - _ERX) - pq, 1.0 + (_ERX + pq))
    tail = np.where(hi > 0, r / ax, 2.0 - r / ax)
    value = np.where(ix < 0x3feb0000, small, np.where(
        ix < 0x3ff40000, mid, np.where(ix < 0x403c0000, np.where(
            (hi < 0) & (ix >= 0x40180000), 2.0, tail), np.where(hi > 0, 0.0, 2.0))))
    return np.where(x != x, x, value)


class ErfBackward0(Node):
    def apply(self, grad):                          # d erf(a) = 2/sqrt(pi) e^(-a^2)
        a, = self.saved
        return (exp(-(pow(a, 2))) * _2_SQRTPI * grad,)

    _saved_self = property(lambda self: self.saved[0])


def erf(input, *, out=None):
    """The error function, as accurate as Python's `math.erf` (the C library's)."""
    return _float_unary(ErfBackward0, input, _erf64, "input", out)


class ErfcBackward0(Node):
    def apply(self, grad):                          # d erfc(a) = -2/sqrt(pi) e^(-a^2)
        a, = self.saved
        return (exp(-(pow(a, 2))) * -_2_SQRTPI * grad,)

    _saved_self = property(lambda self: self.saved[0])


def erfc(input, *, out=None):
    """`1 - erf(input)`, accurate where erf is close to 1 (Python's `math.erfc`)."""
    return _float_unary(ErfcBackward0, input, _erfc64, "input", out)


# -- the gamma family and erfinv -------------------------------------------------------------
#
# lgamma and erfinv are computed in float64 and rounded once (their float32 results come out
# correctly rounded, as the C library's lgammaf and PyTorch's Newton-refined erfinv nearly
# are). digamma and trigamma follow the steps of PyTorch's own kernels in the tensor's
# precision (shift the argument up with the recurrence, then the asymptotic series), so their
# results agree with PyTorch's even where those kernels lose accuracy (near digamma's root,
# trigamma's truncated series, its reflection at the poles). polygamma(n >= 2) is
# (-1)^(n+1) n! zeta(n+1, x), with the Hurwitz zeta function in float64 (as PyTorch's CPU
# kernel accumulates it).

def _bernoulli_numbers(count):
    """B_0 ... B_{count-1} as exact fractions (B_{m} = -1/(m+1) sum_k C(m+1, k) B_k)."""
    from fractions import Fraction
    b = [Fraction(1)]
    for m in range(1, count):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / (m + 1))
    return b


_B = _bernoulli_numbers(26)
# Euler-Maclaurin: sum_{k>=N} f(k) = integral + f(N)/2 - sum_j B_2j/(2j)! f^(2j-1)(N)
_EM = tuple(float(_B[2 * j] / math.factorial(2 * j)) for j in range(1, 13))
# Stirling: lgamma(x) ~ (x - 1/2) ln x - x + ln(2 pi)/2 + sum_k B_2k / (2k (2k-1) x^(2k-1))
_STIRLING = tuple(float(_B[2 * k] / (2 * k * (2 * k - 1))) for k in range(1, 9))
# digamma(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
_PSI_SERIES = tuple(float(_B[2 * k] / (2 * k)) for k in range(1, 8))
_PSI_10 = 2.25175258906672110764                 # digamma(10)
_EULER_GAMMA = 0.57721566490153286061
_HALF_LOG_2PI = 0.91893853320467274178


def _horner(z, coefficients):
    """sum_i coefficients[i] * z^i (Python-float coefficients: no host array next to z)."""
    value = coefficients[-1]
    for c in coefficients[-2::-1]:
        value = value * z + c
    return value


def _hurwitz_zeta(s, q):
    """zeta(s, q) = sum_{k>=0} (q + k)^-s for s > 1, in float64: the first terms directly
    until q + k > 9, the rest by Euler-Maclaurin. 0 and the negative integers are poles (inf),
    as is -inf; zeta(s, +inf) is nan (as in PyTorch's kernel)."""
    with np.errstate(all="ignore"):
        pole = (q <= 0) & (q == np.floor(q))
        undefined = (q != q) | (q == np.inf)
        q = np.where(pole | undefined, 1.0, q)
        terms = np.maximum(np.floor(9.0 - q) + 1.0, 9.0)
        total = q * 0.0
        count = int(np.max(terms)) if np.size(terms) else 0
        for k in range(count):
            total = total + np.where(k < terms, np.power(q + k, -s), 0.0)
        w = q + terms
        t = np.power(w, -s)
        tail = w * t / (s - 1.0) + 0.5 * t
        p = s / w
        correction = _EM[0] * p
        for j in range(1, len(_EM)):
            p = p * ((s + 2 * j - 1) * (s + 2 * j)) / (w * w)
            correction = correction + _EM[j] * p
        value = total + tail + t * correction
    return np.where(pole, np.inf, np.where(undefined, np.nan, value))


# lgamma(2 + z) = (1 - gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1)/k z^k, for |z| < 2
_LGAMMA2_SERIES = (0.0, 1.0 - _EULER_GAMMA) + tuple(
    (-1) ** k * float(_hurwitz_zeta(float(k), 2.0)) / k for k in range(2, 32))


def _lgamma64(x):
    """log|Gamma(x)| of a float64 array: a power series around 2 for |x| < 2.5 (accurate near
    the roots 1 and 2), the recurrence up to x < 10, Stirling's series beyond, and the
    reflection formula for x <= -1/2."""
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        # |x| < 0.5: Gamma(x) = Gamma(2 + x) / (x (1 + x))
        small = _horner(x, _LGAMMA2_SERIES) - np.log(ax) - np.log1p(x)
        middle = _horner(x - 1.0, _LGAMMA2_SERIES) - np.log(x)       # 0.5 <= x < 1.5
        # x >= 1.5 (or 1 - x for the reflection): recurrence down into [1.5, 2.5), or Stirling
        u = np.where(x >= 1.5, x, np.where(x <= -0.5, 1.0 - x, 2.0))
        steps = np.where(u < 10.0, np.floor(u - 1.5), 0.0)
        y = u - steps
        product = np.where(steps > 0, y, 1.0)
        for j in range(1, 8):
            product = product * np.where(steps > j, y + j, 1.0)
        shifted = _horner(y - 2.0, _LGAMMA2_SERIES) + np.log(product)
        r = 1.0 / u
        stirling = ((u - 0.5) * (np.log(u) - 1.0) + (_HALF_LOG_2PI - 0.5)
                    + r * _horner(r * r, _STIRLING))
        large = np.where(u < 10.0, shifted, stirling)
        # x <= -0.5: |Gamma(x)| = pi / (|sin(pi x)| Gamma(1 - x))
        frac = x - np.round(x)
        reflected = np.log(math.pi / np.abs(np.sin(math.pi * frac))) - large
        value = np.where(ax < 0.5, small, np.where(x < 0.5, reflected,
                                                   np.where(x < 1.5, middle, large)))
        pole = (x == np.floor(x)) & (x <= 0)
        value = np.where(pole | np.isinf(x), np.inf, value)
    return np.where(x != x, x, value)


def _libm(fn, a):
    """A C library function of a float32 array, correctly rounded (as glibc's nearly are);
    of a float64 array as it is."""
    return fn(a) if a.dtype is _F64 else fn(a.astype(_F64)).astype(a.dtype)


def _digamma_in(x):
    """digamma in x's own precision (float32 or float64), step for step as PyTorch's kernel."""
    T = x.dtype.type
    with np.errstate(all="ignore"):
        negative = x < 0
        u = np.where(negative, T(1) - x, x)
        result = _backend.xp(x).zeros(x.shape, x.dtype)
        for _ in range(10):                             # digamma(u) = digamma(u + 1) - 1/u
            below = u < 10
            result = np.where(below, result - T(1) / u, result)
            u = np.where(below, u + T(1), u)
        z = T(1) / (u * u)
        series = np.where(u < T(1e17), z * _horner(z, tuple(T(c) for c in _PSI_SERIES)), T(0))
        value = result + _libm(np.log, u) - T(0.5) / u - series
        value = np.where(u == 10, result + T(_PSI_10), value)
        # digamma(x) = digamma(1 - x) - pi / tan(pi x), with x's fractional part for accuracy
        # (the term in float64, rounded, as PyTorch's float kernel computes it)
        cotangent = math.pi / np.tan(math.pi * np.fmod(x, T(1)).astype(_F64))
        value = np.where(negative, value - cotangent.astype(x.dtype), value)
        value = np.where(negative & (x == np.trunc(x)), T(np.nan), value)
        value = np.where(x == 0, np.copysign(T(np.inf), -x), value)
    return value


def _trigamma_in(x):
    """trigamma in x's own precision, step for step as PyTorch's kernel: reflection below
    1/2, six steps of the recurrence, then the asymptotic series to x^-7."""
    T = x.dtype.type
    with np.errstate(all="ignore"):
        reflect = x < T(0.5)
        pi = T(math.pi)
        s = _libm(np.sin, pi * x)
        result = np.where(reflect, T(0) - (pi * pi) / (s * s), T(0))
        u = np.where(reflect, T(1) - x, x)
        for _ in range(6):
            result = result + T(1) / (u * u)
            u = u + T(1)
        ixx = T(1) / (u * u)
        series = T(1) + T(1) / (T(2) * u) + ixx * (T(1) / T(6) - ixx * (
            T(1) / T(30) - ixx * (T(1) / T(42))))
        result = result + series / u
    return np.where(reflect, -result, result)


def _float_gamma_input(t):
    """The float array a gamma-family op computes on, and the precision it computes in
    (float16 in float32, as PyTorch's kernels)."""
    x = _float_input(t)
    return x, (x.astype(_F32) if x.dtype is _F16 else x)


def _polygamma_values(n, t):
    x, work = _float_gamma_input(t)
    if n == 0:
        value = _digamma_in(work)
    elif n == 1:
        value = _trigamma_in(work)
    else:
        T = work.dtype.type
        factorial = T(math.exp(math.lgamma(n + 1))) if T is np.float64 else T(
            np.exp(np.float64(np.float32(math.lgamma(n + 1)))))
        sign = T(1) if n % 2 else T(-1)
        x64 = work.astype(_F64)
        with np.errstate(all="ignore"):
            # far below 0 the zeta series would need -x terms: reflect instead,
            # polygamma(n, x) = (-1)^n polygamma(n, 1 - x) - pi d^n/dx^n cot(pi x)
            far = (x64 < -50.0) & (x64 != np.floor(x64))
            zeta = _hurwitz_zeta(float(n + 1), np.where(far, 1.0 - x64, x64))
            value = sign * factorial * zeta.astype(work.dtype)
            if np.any(far):
                cot = 1.0 / np.tan(math.pi * np.fmod(x64, 1.0))
                reflected = ((-1.0) ** n * float(sign) * float(factorial) * zeta
                             - math.pi ** (n + 1) * _horner(cot, _cot_derivative(n)))
                value = np.where(far, reflected.astype(work.dtype), value)
    return value.astype(x.dtype, copy=False)


def _cot_derivative(n):
    """Coefficients of P_n with d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x)):
    P_0(c) = c, P_{k+1}(c) = -(1 + c^2) P_k'(c)."""
    p = [0, 1]
    for _ in range(n):
        d = [i * p[i] for i in range(1, len(p))] + [0, 0]
        p = [-(d[i] + (d[i - 2] if i >= 2 else 0)) for i in range(len(d))]
    return tuple(float(c) for c in p)


class LgammaBackward0(Node):
    def apply(self, grad):                          # d lgamma(a) = digamma(a)
        a, = self.saved
        return (grad * digamma(a),)

    _saved_self = property(lambda self: self.saved[0])


def lgamma(input, *, out=None):
    """`log|Gamma(input)|`; inf at 0 and the negative integers.

    >>> ember.lgamma(ember.tensor([0.5, 3.0]))
    tensor([0.5724, 0.6931])
    """
    return _float_unary(LgammaBackward0, input, _lgamma64, "input", out)


class DigammaBackward0(Node):
    def apply(self, grad):                          # d digamma(a) = trigamma(a)
        a, = self.saved
        return (grad * polygamma(1, a),)

    _saved_self = property(lambda self: self.saved[0])


def digamma(input, *, out=None):
    """`d/dx lgamma(x)`: -inf at +0, inf at -0, nan at the negative integers.

    >>> ember.digamma(ember.tensor([1.0, 0.5]))
    tensor([-0.5772, -1.9635])
    """
    value = _polygamma_values(0, input)
    return _into(out, _unary(DigammaBackward0, input, value, save_input=True))


class PolygammaBackward0(Node):
    def apply(self, grad):                          # d polygamma(n, a) = polygamma(n + 1, a)
        a, = self.saved
        return (grad * polygamma(self.n + 1, a),)

    _saved_n = property(lambda self: self.n)
    _saved_self = property(lambda self: self.saved[0])


class PolygammaBackward1(PolygammaBackward0):
    """`polygamma_(n)`, the in-place form."""


def polygamma(n, input, *, out=None, _node=PolygammaBackward0):
    """The n-th derivative of digamma (n >= 0; n = 0 is digamma itself).

    >>> ember.polygamma(1, ember.tensor([1.0]))
    tensor([1.6449])
    """
    if type(n) is not int and not isinstance(n, np.integer):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    value = _polygamma_values(int(n), input)
    if n == 0 and _node is PolygammaBackward0:
        return _into(out, _unary(DigammaBackward0, input, value, save_input=True))
    result = _unary(_node, input, value, save_input=True)
    if result._grad_fn is not None:
        result._grad_fn.n = int(n)
    return _into(out, result)


def _mvlgamma_offsets(x, p):
    """-(p-1)/2, ..., -1/2, 0 (PyTorch's `arange(-p/2 + 1/2, 1/2, 1/2)`) in x's dtype, on x's
    device."""
    offsets = _backend.xp(x).arange(p, dtype=_F64) * 0.5 - (p - 1) * 0.5
    return Tensor._make(offsets.astype(x.dtype))


class MvlgammaBackward0(Node):
    def apply(self, grad):                          # d mvlgamma(a, p) = sum_i digamma(a - i/2)
        a, = self.saved
        return (grad * digamma(a.unsqueeze(-1) + _mvlgamma_offsets(a._data, self.p)).sum(-1),)

    _saved_p = property(lambda self: self.p)
    _saved_self = property(lambda self: self.saved[0])


def mvlgamma(input, p):
    """The log of the multivariate gamma function of dimension p:
    `sum_i lgamma(input - i/2) for i < p`, plus `p (p - 1) / 4 * log(pi)`.

    >>> ember.mvlgamma(ember.tensor([2.5]), 2)
    tensor([1.2078])
    """
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _float_input(input)
    with no_grad():
        args = Tensor._make(x).unsqueeze(-1) + _mvlgamma_offsets(x, p)
        value = (lgamma(args).sum(-1) + p * (p - 1) * math.log(math.pi) / 4)._data
    result = _unary(MvlgammaBackward0, input, value, save_input=True)
    if result._grad_fn is not None:
        result._grad_fn.p = p
    return result


# Giles (2010), "Approximating the erfinv function": single-precision polynomials in
# w = -ln(1 - x^2), a starting point good to about 1e-7 for w < 16, refined by Newton's method.
_GILES_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                  -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)
_GILES_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
               -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257)
_SQRT_PI = 1.7724538509055160273


def _erfinv64(x):
    """The inverse of erf for a float64 array: Giles' approximation (or, far in the tail, the
    fixed point of erfc(y) ~ exp(-y^2) / (y sqrt(pi))), then four Newton steps: on
    erf(y) = |x| for |x| < 1/2, and on ln erfc(y) = ln(1 - |x|) beyond (1 - |x| is exact
    there, so the tail keeps its accuracy)."""
    a = np.abs(x)
    with np.errstate(all="ignore"):
        t = 1.0 - a
        w = -np.log(t * (1.0 + a))
        y = np.where(w < 5.0, _horner(w - 2.5, _GILES_CENTRAL),
                     _horner(np.sqrt(w) - 3.0, _GILES_TAIL)) * a
        far = np.sqrt(-np.log(t))
        for _ in range(3):
            far = np.sqrt(-np.log(t * _SQRT_PI * far))
        y = np.where(w < 16.0, y, far)
        inner = a < 0.5
        for _ in range(4):
            slope = _2_SQRTPI * np.exp(-y * y)
            c = _erfc64(y)
            y = np.where(inner, y - (_erf64(y) - a) / slope, y + np.log(c / t) * c / slope)
        y = np.where(a == 1.0, np.inf, np.where(a > 1.0, np.nan, y))
    return np.copysign(y, x)


class ErfinvBackward0(Node):
    def apply(self, grad):                          # d erfinv(a) = sqrt(pi)/2 e^(erfinv(a)^2)
        a, = self.saved
        return (exp(pow(erfinv(a), 2)) * (0.5 * math.sqrt(math.pi)) * grad,)

    _saved_self = property(lambda self: self.saved[0])


def erfinv(input, *, out=None):
    """The inverse error function: `erf(erfinv(x)) = x` on (-1, 1); +-inf at +-1, nan beyond.

    >>> ember.erfinv(ember.tensor([0.0, 0.5]))
    tensor([0.0000, 0.4769])
    """
    return _float_unary(ErfinvBackward0, input, _erfinv64, "input", out)


class Atan2Backward0(_Binary):
    def apply(self, grad):                          # d atan2(a, b) = (b, -a) / (a^2 + b^2)
        a, b = self.saved
        recip = reciprocal(a * a + b * b)
        return self.fitted(grad * b * recip if self.wants[0] else None,
                           grad * -a * recip if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


def _tensor_argument(fn_name, value, position=2, name="other"):
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn_name}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


def _float_operands(input, other):
    """`(x, y, dt)` for a floating binary op: integer results become the default float dtype;
    float16 and float32 operands come back as float64 arrays (the op is rounded once)."""
    dt = result_dtype(input, other)
    if dt.category < _dtype.FLOAT:
        dt = _dtype.get_default_dtype()
    x, y, dt = operands(input, other, dt)
    x, y = _arr(x), _arr(y)
    if dt.np is not _F64 or x.dtype is not _F64 or y.dtype is not _F64:
        x, y = x.astype(_F64), y.astype(_F64)
    return x, y, dt


def atan2(input, other, *, out=None):
    """The angle of the point (other, input): `atan(input / other)` in the right quadrant."""
    _tensor_argument("atan2", other)
    x, y, dt = _float_operands(input, other)
    try:
        result = wrap(np.arctan2(x, y), dt)
    except ValueError:
        raise _shape_error(input, other) from None
    if grad_mode.enabled and (input._requires_grad or other._requires_grad):
        node = Atan2Backward0(input, other)
        node.save_for_backward(input, other)
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


# -- rounding ----------------------------------------------------------------------------------


def _rounding(kernel, np_fn, node_cls):
    def op(input, *, out=None):
        x = input._data
        if x.dtype is _NP_BOOL:
            raise _not_implemented(kernel, _BOOL)
        value = np_fn(x) if x.dtype.kind == "f" else x.copy()
        return _into(out, _unary(node_cls, input, value))
    return op


class _Flat(Node):
    """A piecewise-constant op: its derivative is zero wherever it exists."""

    def apply(self, grad):
        return (zeros_like_tensor(grad),)


class FloorBackward0(_Flat):
    pass


class CeilBackward0(_Flat):
    pass


class TruncBackward0(_Flat):
    pass


class RoundBackward0(_Flat):
    pass


class RoundBackward1(_Flat):
    pass


floor = _rounding("floor_vml_cpu", np.floor, FloorBackward0)
floor.__name__ = "floor"
ceil = _rounding("ceil_vml_cpu", np.ceil, CeilBackward0)
ceil.__name__ = "ceil"
trunc = _rounding("trunc_vml_cpu", np.trunc, TruncBackward0)
trunc.__name__ = "trunc"
_round_half_even = _rounding("round_vml_cpu", np.rint, RoundBackward0)


def round(input, *, decimals=None, out=None):  # noqa: A001 - PyTorch's name
    """Round half to even; with `decimals`, at that many decimal places (PyTorch scales by
    10**decimals in the tensor's precision, rounds, and scales back). Passing `decimals`,
    even 0, is PyTorch's other overload (RoundBackward1, float tensors only)."""
    if decimals is None:
        return _round_half_even(input, out=out)
    x = input._data
    if x.dtype.kind != "f":
        raise _not_implemented("round_vml_cpu" if decimals == 0 else "round_cpu", input.dtype)
    negative = decimals < 0
    scale_of = float(10.0 ** (-decimals if negative else decimals))
    work = x.astype(_F32) if x.dtype is _F16 else x
    scale = work.dtype.type(scale_of)
    value = np.rint(work / scale) * scale if negative else np.rint(work * scale) / scale
    return _into(out, _unary(RoundBackward1, input, value.astype(x.dtype)))


class FracBackward0(Node):
    def apply(self, grad):                          # d (a - trunc(a)) = 1
        return (grad,)


def frac(input, *, out=None):
    """`input - trunc(input)`: the fractional part, with the sign of `input`."""
    x = input._data
    if x.dtype.kind != "f":
        raise _not_implemented("frac_cpu", input.dtype)
    return _into(out, _unary(FracBackward0, input, x - np.trunc(x)))


# -- clamping, maximum and minimum -----------------------------------------------------------


def _result_type(*values):
    """PyTorch's result dtype of several operands (tensors and Python numbers; None skipped):
    dimensioned tensors first, then 0-d tensors, then numbers, each only by category."""
    dims = zero = number = None
    for v in values:
        if v is None:
            continue
        if isinstance(v, Tensor):
            d = _BY_NP[v._data.dtype]
            if v._data.ndim:
                dims = d if dims is None else _dtype.promote_types(dims, d)
            else:
                zero = d if zero is None else _dtype.promote_types(zero, d)
        else:
            d = _dtype.scalar_dtype(v)
            number = d if number is None else _dtype.promote_types(number, d)
    return _dtype.combine_categories(dims, _dtype.combine_categories(zero, number))


_C_TYPE_NAMES = dict(_C_INT_NAMES, float16="c10::Half", float32="float", float64="double",
                     bool="bool")


def _checked_scalar(value, dt):
    """A Python number converted to dtype `dt` as PyTorch's `Scalar.to<T>()` does: an error
    for values the type cannot hold (unsigned types accept negatives and wrap them)."""
    if isinstance(value, np.generic):
        value = value.item()
    if dt.category == _dtype.FLOAT:
        v = float(value)
        if v == v and v not in (math.inf, -math.inf) and _abs_number(v) > float(
                np.finfo(dt.np).max):
            raise RuntimeError(f"value cannot be converted to type {_C_TYPE_NAMES[dt.name]} "
                               "without overflow")
        return np.array(v).astype(dt.np)[()]
    if dt.category == _dtype.INT:
        v = int(value)
        info = np.iinfo(dt.np)
        if v > info.max or (v < info.min and not (info.min == 0 and -v <= info.max)):
            raise RuntimeError(f"value cannot be converted to type {_C_TYPE_NAMES[dt.name]} "
                               "without overflow")
        return np.array(v, dtype=np.int64).astype(dt.np)[()]
    return np.array(value).astype(dt.np)[()]


def _abs_number(v):
    return v if v >= 0 else -v


def _vector_region(shape, itemsize, shapes, xp=np):
    """Which elements of a result PyTorch's CPU loop computes with vector instructions (the
    two disagree on which of two equal operands, 0.0 and -0.0, maximum, minimum and clamp
    return). The loop runs over the innermost run of dims on which every operand is either
    whole or broadcast (stride 0); it is vectorised when at most one operand is broadcast
    there, in blocks of two 32-byte vectors from the start of each run; the rest of each run
    goes through the scalar code. The mask is made with `xp` (on the result's device)."""
    nd = len(shape)
    if not nd:
        return xp.zeros((), bool)
    shapes = [(1,) * (nd - len(s)) + tuple(s) for s in shapes]
    k = 0
    while k < nd:
        d = nd - 1 - k
        if not _builtins.all(s[d:] == shape[d:] or _builtins.all(n == 1 for n in s[d:])
                             for s in shapes):
            break
        k += 1
    run = 1
    for n in shape[nd - k:]:
        run *= n
    broadcast = _builtins.sum(1 for s in shapes if _builtins.all(n == 1 for n in s[nd - k:]))
    if k == 0 or (broadcast > 1 and run > 1):
        return xp.zeros(shape, bool)
    block = 64 // itemsize
    mask = xp.arange(run) < run // block * block
    return np.broadcast_to(mask.reshape(shape[nd - k:]), shape)


def _pick(x, y, greater, shapes):
    """PyTorch's maximum (greater) / minimum of two arrays of one dtype: nan wins; on ties the
    scalar code returns `x`, the vector code `y` (`shapes`: the operands' own shapes)."""
    if x.dtype.kind == "b":
        return (x | y) if greater else (x & y)
    value = np.where(y > x, y, x) if greater else np.where(y < x, y, x)
    value = as_array(value)
    if x.dtype.kind == "f":
        tie = (x == y) & (x == 0)
        if tie.any():
            vector = _vector_region(value.shape, value.dtype.itemsize, shapes,
                                    _backend.xp(value))
            value = np.where(tie & vector, y, value)
        value = np.where((x != x) | (y != y), x.dtype.type(np.nan), value)
    return value


class _MaxMinBackward(_Binary):
    def apply(self, grad):
        # the winner gets the gradient; a tie splits it in half (derivatives.yaml)
        a, b = self.saved
        half = where(a == b, grad / 2, grad)
        lose_a, lose_b = (a < b, a > b) if self.greater else (a > b, a < b)
        zero = zeros_like_tensor(grad)
        return self.fitted(where(lose_a, zero, half) if self.wants[0] else None,
                           where(lose_b, zero, half) if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


class MaximumBackward0(_MaxMinBackward):
    greater = True


class MinimumBackward0(_MaxMinBackward):
    greater = False


def _elementwise_choice(name, node_cls, choose):
    """maximum/minimum/fmax/fmin: `choose(x, y)` picks each element from one operand; the
    node sends each element's gradient to the operand it came from."""
    def op(input, other, *, out=None):
        _tensor_argument(name, other)
        x, y, dt = operands(input, other)
        x, y = _arr(x), _arr(y)
        try:
            value = choose(x, y)
        except ValueError:
            raise _shape_error(input, other) from None
        result = wrap(value, dt)
        if grad_mode.enabled and (input._requires_grad or other._requires_grad):
            node = node_cls(input, other)
            node.save_for_backward(input, other)
            result._requires_grad, result._grad_fn = True, node
        return _into(out, result)
    op.__name__ = name
    return op


def _maximum_minimum(name, node_cls, greater):
    return _elementwise_choice(name, node_cls,
                               lambda x, y: _pick(x, y, greater, (x.shape, y.shape)))


maximum = _maximum_minimum("maximum", MaximumBackward0, True)
minimum = _maximum_minimum("minimum", MinimumBackward0, False)


class _FmaxFminBackward(_Binary):
    def apply(self, grad):
        # the operand that was returned gets the gradient (a wins ties and a nan b)
        a, b = self.saved
        chosen = (a >= b) if self.greater else (a <= b)
        chosen = logical_or(chosen, isnan(b))
        zero = zeros_like_tensor(grad)
        return self.fitted(where(chosen, grad, zero) if self.wants[0] else None,
                           where(chosen, zero, grad) if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


class FmaxBackward0(_FmaxFminBackward):
    greater = True


class FminBackward0(_FmaxFminBackward):
    greater = False


def _fmax_fmin(name, node_cls, greater):
    def choose(x, y):
        if x.dtype.kind == "b":
            return (x | y) if greater else (x & y)
        keep = (x >= y) if greater else (x <= y)
        return np.where(keep | (y != y), x, y)        # a nan loses to a number
    return _elementwise_choice(name, node_cls, choose)


fmax = _fmax_fmin("fmax", FmaxBackward0, True)
fmin = _fmax_fmin("fmin", FminBackward0, False)


class ClampBackward1(Node):
    def apply(self, grad):                          # 1 inside [min, max] (ends included)
        a, = self.saved
        lo, hi = self.min, self.max
        zero = zeros_like_tensor(grad)
        if lo is not None and hi is not None:
            return (where(logical_and(a >= lo, a <= hi), grad, zero),)
        if lo is not None:
            return (where(a >= lo, grad, zero),)
        return (where(a <= hi, grad, zero),)

    _saved_self = property(lambda self: self.saved[0])


class ClampBackward0(Node):
    def apply(self, grad):
        # input: 1 inside [min, max]; min: 1 where it was chosen (and below max); max: 1
        # where it was chosen (or below min)
        a, lo, hi = self.saved
        zero = zeros_like_tensor(grad)
        nf = self.next_functions
        ga = gl = gh = None
        if lo is not None and hi is not None:
            if nf[0][0] is not None:
                ga = where(logical_and(a >= lo, a <= hi), grad, zero)
            if nf[1][0] is not None:
                gl = where(logical_and(a < lo, lo < hi), grad, zero)
            if nf[2][0] is not None:
                gh = where(logical_or(a > hi, hi < lo), grad, zero)
        elif lo is not None:
            ga = where(a >= lo, grad, zero) if nf[0][0] is not None else None
            gl = where(a < lo, grad, zero) if nf[1][0] is not None else None
        else:
            ga = where(a <= hi, grad, zero) if nf[0][0] is not None else None
            gh = where(a > hi, grad, zero) if nf[2][0] is not None else None
        return tuple(None if g is None else fit(g, m) for g, m in zip((ga, gl, gh), self.metas))

    _saved_self = property(lambda self: self.saved[0])
    _saved_min = property(lambda self: self.saved[1])
    _saved_max = property(lambda self: self.saved[2])


class ClampMinBackward0(Node):
    def apply(self, grad):                          # 1 where input >= min
        a, = self.saved
        return (where(a >= self.min, grad, zeros_like_tensor(grad)),)

    _saved_self = property(lambda self: self.saved[0])


class ClampMaxBackward0(Node):
    def apply(self, grad):                          # 1 where input <= max
        a, = self.saved
        return (where(a <= self.max, grad, zeros_like_tensor(grad)),)

    _saved_self = property(lambda self: self.saved[0])


class ClampMinBackward1(_Binary):
    def apply(self, grad):                          # input where input >= min, else min
        a, lo = self.saved
        zero = zeros_like_tensor(grad)
        keep = a >= lo
        return self.fitted(where(keep, grad, zero) if self.wants[0] else None,
                           where(keep, zero, grad) if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_min = property(lambda self: self.saved[1])


class ClampMaxBackward1(_Binary):
    def apply(self, grad):                          # input where input <= max, else max
        a, hi = self.saved
        zero = zeros_like_tensor(grad)
        keep = a <= hi
        return self.fitted(where(keep, grad, zero) if self.wants[0] else None,
                           where(keep, zero, grad) if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_max = property(lambda self: self.saved[1])


def _clamp_scalars(input, lo, hi, kernel):
    """clamp with number bounds: PyTorch keeps the element on ties and a nan element; a nan
    bound makes every element nan."""
    dt = _result_type(input, lo, hi)
    if dt is _BOOL:
        raise _not_implemented(kernel, dt)
    x = input._data
    if x.dtype is not dt.np:
        x = x.astype(dt.np)
    lo_v = None if lo is None else _checked_scalar(lo, dt)
    hi_v = None if hi is None else _checked_scalar(hi, dt)
    if (lo_v is not None and lo_v != lo_v) or (hi_v is not None and hi_v != hi_v):
        return _backend.xp(x).full(x.shape, np.nan, dt.np), dt
    value = x
    if lo_v is not None:
        value = np.where(value < lo_v, lo_v, value)
    if hi_v is not None:
        value = np.where(value > hi_v, hi_v, value)
    return as_array(value).astype(dt.np, copy=False), dt


def _clamp_tensors(input, lo, hi):
    dt = _result_type(input, lo, hi)
    if dt is _BOOL and lo is not None and hi is not None:
        raise _not_implemented("clamp_cpu", dt)
    arrays = all_on_one_device([t._data if t._data.dtype is dt.np else t._data.astype(dt.np)
                                for t in (input, lo, hi) if t is not None])
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise broadcast_error(*(t._data.shape for t in (input, lo, hi) if t is not None)) \
            from None
    shapes = [a.shape for a in arrays]
    x = np.broadcast_to(arrays[0], shape)
    if lo is not None and hi is not None:
        lo_a, hi_a = np.broadcast_to(arrays[1], shape), np.broadcast_to(arrays[2], shape)
        return _pick(_pick(x, lo_a, True, shapes), hi_a, False, shapes), dt
    bound = np.broadcast_to(arrays[1], shape)
    return _pick(x, bound, lo is not None, shapes), dt


def _check_bounds(lo, hi, name="clamp"):
    if lo is None and hi is None:
        raise RuntimeError(f"torch.{name}: At least one of 'min' or 'max' must not be None")
    tensors = [isinstance(b, Tensor) for b in (lo, hi) if b is not None]
    if any(tensors) and not all(tensors):
        got = ", ".join("Tensor" if isinstance(b, Tensor) else type(b).__name__ for b in (lo, hi))
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"{got}), but expected one of:\n"
                        " * (Tensor input, Tensor min = None, Tensor max = None, *, "
                        "Tensor out = None)\n"
                        " * (Tensor input, Number min = None, Number max = None, *, "
                        "Tensor out = None)\n")
    return any(tensors)


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002 - PyTorch's names
    """Limit every element to [min, max] (numbers or tensors; either may be None)."""
    lo, hi = min, max
    if _check_bounds(lo, hi):
        value, dt = _clamp_tensors(input, lo, hi)
        result = wrap(value, dt)
        if grad_mode.enabled and any(t is not None and t._requires_grad for t in (input, lo, hi)):
            node = ClampBackward0(input, lo, hi)
            node.save_for_backward(input, lo, hi)
            node.metas = (meta(input), meta(lo), meta(hi))
            result._requires_grad, result._grad_fn = True, node
        return _into(out, result)
    kernel = ("clamp_scalar_cpu" if lo is not None and hi is not None else
              "clamp_min_scalar_cpu" if lo is not None else "clamp_max_scalar_cpu")
    value, dt = _clamp_scalars(input, lo, hi, kernel)
    result = wrap(value, dt)
    if grad_mode.enabled and input._requires_grad:
        node = ClampBackward1(input)
        node.save_for_backward(input)
        node.min, node.max = lo, hi
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


def clip(input, min=None, max=None, *, out=None):  # noqa: A002
    """Alias of `clamp`."""
    return clamp(input, min, max, out=out)


def clamp_min(input, min, *, out=None):  # noqa: A002
    """`clamp(input, min=min)`, recorded as PyTorch's ClampMin nodes."""
    if isinstance(min, Tensor):
        value, dt = _clamp_tensors(input, min, None)
        result = wrap(value, dt)
        if grad_mode.enabled and (input._requires_grad or min._requires_grad):
            node = ClampMinBackward1(input, min)
            node.save_for_backward(input, min)
            result._requires_grad, result._grad_fn = True, node
        return _into(out, result)
    value, dt = _clamp_scalars(input, min, None, "clamp_min_scalar_cpu")
    result = wrap(value, dt)
    if grad_mode.enabled and input._requires_grad:
        node = ClampMinBackward0(input)
        node.save_for_backward(input)
        node.min = min
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


def clamp_max(input, max, *, out=None):  # noqa: A002
    """`clamp(input, max=max)`, recorded as PyTorch's ClampMax nodes."""
    if isinstance(max, Tensor):
        value, dt = _clamp_tensors(input, None, max)
        result = wrap(value, dt)
        if grad_mode.enabled and (input._requires_grad or max._requires_grad):
            node = ClampMaxBackward1(input, max)
            node.save_for_backward(input, max)
            result._requires_grad, result._grad_fn = True, node
        return _into(out, result)
    value, dt = _clamp_scalars(input, None, max, "clamp_max_scalar_cpu")
    result = wrap(value, dt)
    if grad_mode.enabled and input._requires_grad:
        node = ClampMaxBackward0(input)
        node.save_for_backward(input)
        node.max = max
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


# -- fmod, lerp, nan_to_num -------------------------------------------------------------------


class FmodBackward0(Node):
    def apply(self, grad):                          # fmod(a, c) = a - c*trunc(a/c): 1
        return (grad,)


class FmodBackward1(_Binary):
    def apply(self, grad):                          # (1, -trunc(a/b))
        a, b = self.saved
        return self.fitted(grad if self.wants[0] else None,
                           -grad * div(a, b, rounding_mode="trunc") if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


def _check_broadcast(*values):
    """PyTorch's shape error, raised before any dtype error (as TensorIterator does)."""
    shapes = [shape_of(v) for v in values if v is not None]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise broadcast_error(*shapes) from None


def fmod(input, other, *, out=None):
    """C's fmod: the remainder of division rounded towards zero (the sign of `input`)."""
    _check_broadcast(input, other)
    x, y, dt = _division_operands(input, other, "fmod_cpu")
    try:
        result = wrap(np.fmod(x, y), dt)
    except ValueError:
        raise _shape_error(input, other) from None
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        if isinstance(other, Tensor):
            node = FmodBackward1(input, other)
            node.save_for_backward(input, other)
        else:
            node = FmodBackward0(input)
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


class LerpBackward0(Node):
    def apply(self, grad):                          # d(a + w (b - a)) = (1 - w, w)
        w = self.weight
        nf = self.next_functions
        return (fit(grad * (1 - float(w)), self.metas[0]) if nf[0][0] is not None else None,
                fit(grad * w, self.metas[1]) if nf[1][0] is not None else None)


class LerpBackward1(Node):
    def apply(self, grad):                          # (1 - w, w, b - a)
        a, b, w = self.saved
        nf = self.next_functions
        return (fit(grad * (1 - w), self.metas[0]) if nf[0][0] is not None else None,
                fit(grad * w, self.metas[1]) if nf[1][0] is not None else None,
                fit(grad * (b - a), self.metas[2]) if nf[2][0] is not None else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_end = property(lambda self: self.saved[1])
    _saved_weight = property(lambda self: self.saved[2])


def lerp(input, end, weight, *, out=None):
    """`input + weight * (end - input)` (PyTorch's form: one fused multiply-add, from whichever
    end is nearer to the weight)."""
    _tensor_argument("lerp", end, name="end")
    dt = input.dtype
    tensor_weight = isinstance(weight, Tensor)
    if end._data.dtype is not dt.np:
        raise RuntimeError(f"expected dtype {_c_name(dt)} for `end` but got dtype "
                           f"{_c_name(end.dtype)}")
    if tensor_weight and weight._data.ndim and weight._data.dtype is not dt.np:
        raise RuntimeError(f"expected dtype {_c_name(dt)} for `weight` but got dtype "
                           f"{_c_name(weight.dtype)}")
    if dt.category != _dtype.FLOAT:
        _check_broadcast(input, end, weight if tensor_weight else None)
        raise _not_implemented("lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar",
                               dt)
    work = _F32 if dt.np is _F16 else dt.np
    a = input._data.astype(work)
    b = end._data.astype(work)
    w = weight._data.astype(work) if tensor_weight else _arr(weight).astype(work)
    if tensor_weight:
        a, b, w = all_on_one_device([a, b, w])
    else:
        a, b = all_on_one_device([a, b])
    try:
        shape = np.broadcast_shapes(a.shape, b.shape, w.shape)
    except ValueError:
        shapes = [input._data.shape, end._data.shape] + ([weight._data.shape] if tensor_weight
                                                         else [])
        raise broadcast_error(*shapes) from None
    small = np.abs(w) < 0.5
    if tensor_weight:
        coeff = np.broadcast_to(np.where(small, w, w - work.type(1)), shape)
        base = np.where(small, a, b)
    else:                           # a NumPy scalar weight (np.where would make a host array)
        coeff = w if small else w - work.type(1)
        base = a if small else b
    diff = b - a
    diff, base = (np.broadcast_to(v, shape) for v in (diff, base))
    value = fma64(coeff, diff, base) if work is _F64 else fma32(coeff, diff, base)
    result = wrap(value, dt)
    if grad_mode.enabled and (input._requires_grad or end._requires_grad or
                              (tensor_weight and weight._requires_grad)):
        if tensor_weight:
            node = LerpBackward1(input, end, weight)
            node.save_for_backward(input, end, weight)
            node.metas = (meta(input), meta(end), meta(weight))
        else:
            node = LerpBackward0(input, end)
            node.weight = weight
            node.metas = (meta(input), meta(end))
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


def _c_name(dt):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}.get(dt.name, dt.name)


class NanToNumBackward0(Node):
    def apply(self, grad):                          # 1 where the input was finite, else 0
        a, = self.saved
        return (grad * isfinite(a),)

    _saved_self = property(lambda self: self.saved[0])


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """nan, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default 0 and the
    dtype's largest and lowest finite values); integer tensors are copied."""
    x = input._data
    if x.dtype.kind == "f":
        info = np.finfo(x.dtype)
        typ = x.dtype.type
        value = np.where(x != x, typ(nan), x)
        value = np.where(x == np.inf, typ(info.max if posinf is None else posinf), value)
        value = np.where(x == -np.inf, typ(info.min if neginf is None else neginf), value)
    else:
        value = x.copy()
    value = as_array(value).astype(x.dtype, copy=False)
    return _into(out, _unary(NanToNumBackward0, input, value,
                             save_input=True))


# -- tests of values, logic, closeness --------------------------------------------------------


def _predicate(name, fn):
    def op(input):
        x = input._data
        if x.dtype.kind == "f":
            return Tensor._make(as_array(fn(x)))
        return Tensor._make(np.full_like(x, name == "isfinite", dtype=bool))
    op.__name__ = name
    return op


isnan = _predicate("isnan", np.isnan)
isinf = _predicate("isinf", np.isinf)
isfinite = _predicate("isfinite", np.isfinite)
isposinf = _predicate("isposinf", lambda x: x == np.inf)
isneginf = _predicate("isneginf", lambda x: x == -np.inf)


def signbit(input, *, out=None):
    """Whether the sign bit is set (True for -0.0 and for negative integers)."""
    x = input._data
    value = np.signbit(x) if x.dtype.kind in "fi" else np.zeros_like(x, dtype=bool)
    return _into(out, Tensor._make(as_array(value)))


def isreal(input):
    return Tensor._make(np.ones_like(input._data, dtype=bool))


def _logical_binary(name, ufunc):
    def op(input, other, *, out=None):
        _tensor_argument(name, other)
        try:
            value = ufunc(*all_on_one_device([input._data.astype(bool),
                                              other._data.astype(bool)]))
        except ValueError:
            raise _shape_error(input, other) from None
        return _into(out, Tensor._make(as_array(value)))
    op.__name__ = name
    return op


logical_and = _logical_binary("logical_and", np.logical_and)
logical_or = _logical_binary("logical_or", np.logical_or)
logical_xor = _logical_binary("logical_xor", np.logical_xor)


def logical_not(input, *, out=None):
    return _into(out, Tensor._make(as_array(np.logical_not(input._data))))


def equal(input, other):
    """True when both tensors have the same shape and equal elements (nan is never equal)."""
    _tensor_argument("equal", other)
    if input._data.shape != other._data.shape:
        return False
    x, y, _ = operands(input, other)
    return bool(np.all(x == y))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`|input - other| <= atol + rtol * |other|` elementwise (PyTorch's formula, in the
    tensors' dtype), or equal; nan close to nan only with `equal_nan`."""
    _tensor_argument("isclose", other)
    if input._data.dtype is not other._data.dtype:
        raise RuntimeError(f"{input.dtype.scalar_name} did not match {other.dtype.scalar_name}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    with no_grad():
        close = eq(input, other)
        floating = input._data.dtype.kind == "f"
        if equal_nan and floating:
            close = logical_or(close, logical_and(isnan(input), isnan(other)))
        if rtol == 0 and atol == 0:
            return close
        a, b = input, other
        if input._data.dtype is _NP_BOOL:
            a, b = a.to(_dtype.get_default_dtype()), b.to(_dtype.get_default_dtype())
        allowed = abs(mul(b, rtol)) + atol
        actual = abs(sub(a, b))
        return logical_or(close, logical_and(isfinite(actual), le(actual, allowed)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of `input` is close to `other` (see `isclose`)."""
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


# -- more binary functions --------------------------------------------------------------------


def _float_binary_arrays(input, other, kernel, ints=True):
    """Operands of a floating binary op in its working precision (float16 in float32), and the
    result dtype; integer operands become the default float dtype unless the kernel refuses
    them (`ints=False`)."""
    dt = result_dtype(input, other)
    if dt.category < _dtype.FLOAT:
        if not ints:
            _check_broadcast(input, other)
            raise _not_implemented(kernel, dt)
        dt = _dtype.get_default_dtype()
    x, y, dt = operands(input, other, dt)
    work = _F32 if dt.np is _F16 else dt.np
    return _arr(x).astype(work), _arr(y).astype(work), dt


def _record_binary(result, node_cls, input, other, save=(), output=False):
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        node = node_cls(input, other)
        node.save_for_backward(*save)
        if output:
            node.save_output(result)
        result._requires_grad, result._grad_fn = True, node
    return result


def _correctly_rounded(fn, *arrays):
    """`fn` evaluated in float64 and rounded to the arrays' (float32) dtype."""
    dt = arrays[0].dtype
    if dt is _F64:
        return fn(*arrays)
    return fn(*(a.astype(_F64) for a in arrays)).astype(dt)


class HypotBackward0(_Binary):
    def apply(self, grad):                          # d sqrt(a^2 + b^2) = (a, b) / result
        a, b, result = self.saved
        return self.fitted(grad * a / result if self.wants[0] else None,
                           grad * b / result if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])
    _saved_result = property(lambda self: self.saved[2])


def hypot(input, other, *, out=None):
    """`sqrt(input^2 + other^2)` without overflow."""
    _tensor_argument("hypot", other)
    x, y, dt = _float_binary_arrays(input, other, "hypot_cpu", ints=False)
    try:
        result = wrap(_correctly_rounded(np.hypot, x, y), dt)
    except ValueError:
        raise _shape_error(input, other) from None
    return _into(out, _record_binary(result, HypotBackward0, input, other, (input, other),
                                     output=True))


class LogaddexpBackward0(_Binary):
    def apply(self, grad):                          # softmax weights of the two
        a, b = self.saved
        return self.fitted(grad / (exp(b - a) + 1) if self.wants[0] else None,
                           grad / (exp(a - b) + 1) if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


class Logaddexp2Backward0(_Binary):
    def apply(self, grad):
        a, b = self.saved
        return self.fitted(grad / (pow(2, b - a) + 1) if self.wants[0] else None,
                           grad / (pow(2, a - b) + 1) if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


def _logaddexp(input, other, out, base2):
    name = "logaddexp2" if base2 else "logaddexp"
    _tensor_argument(name, other)
    x, y, dt = _float_binary_arrays(input, other, name + "_cpu", ints=False)
    try:
        # PyTorch: max + log1p(exp(-|a - b|)), each function rounded to the working precision
        big = np.maximum(x, y)
        d = -np.abs(x - y)
        if base2:
            tail = _correctly_rounded(np.log1p, _correctly_rounded(np.exp2, d)) * \
                x.dtype.type(1 / _LN2)
        else:
            tail = _correctly_rounded(np.log1p, _correctly_rounded(np.exp, d))
        value = np.where(np.isinf(x) & (x == y), x, big + tail)
    except ValueError:
        raise _shape_error(input, other) from None
    result = wrap(value, dt)
    node_cls = Logaddexp2Backward0 if base2 else LogaddexpBackward0
    return _into(out, _record_binary(result, node_cls, input, other, (input, other)))


def logaddexp(input, other, *, out=None):
    """`log(exp(input) + exp(other))`, without overflow."""
    return _logaddexp(input, other, out, False)


def logaddexp2(input, other, *, out=None):
    """`log2(2**input + 2**other)`, without overflow."""
    return _logaddexp(input, other, out, True)


class CopysignBackward0(_Binary):
    def apply(self, grad):                          # +-1 (0 at input 0); nothing for the sign
        a, result = self.saved
        ratio = where(a == 0, zeros_like_tensor(result), result / a)
        return self.fitted(grad * ratio if self.wants[0] else None,
                           zeros_like_tensor(grad) if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


class CopysignBackward1(Node):
    def apply(self, grad):
        a, result = self.saved
        return (grad * where(a == 0, zeros_like_tensor(result), result / a),)

    _saved_self = property(lambda self: self.saved[0])
    _saved_result = property(lambda self: self.saved[1])


def copysign(input, other, *, out=None):
    """|input| with the sign of `other` (a tensor or a number)."""
    x, y, dt = _float_binary_arrays(input, other, "copysign_cpu")
    try:
        result = wrap(np.copysign(x, y), dt)
    except ValueError:
        raise _shape_error(input, other) from None
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        if isinstance(other, Tensor):
            node = CopysignBackward0(input, other)
        else:
            node = CopysignBackward1(input)
        node.save_for_backward(input)
        node.save_output(result)
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


class XlogyBackward0(_Binary):
    def apply(self, grad):                          # (log b where a != 0, a / b)
        a, b = self.saved
        return self.fitted(grad * xlogy(a != 0, b) if self.wants[0] else None,
                           grad * a / b if self.wants[1] else None)

    _saved_self = property(lambda self: self.saved[0])
    _saved_other = property(lambda self: self.saved[1])


class XlogyBackward1(Node):
    def apply(self, grad):                          # number * log(b): d/db = number / b
        b, = self.saved
        return (fit(grad * self.number / b, self.meta),)

    _saved_other = property(lambda self: self.saved[0])


class XlogyBackward2(Node):
    def apply(self, grad):                          # a * log(number): d/da = log(number)
        a, = self.saved
        return (grad * xlogy((a != 0).to(grad.dtype), self.number),)

    _saved_self = property(lambda self: self.saved[0])


def xlogy(input, other, *, out=None):
    """`input * log(other)`, 0 where input is 0 (unless other is nan)."""
    if not isinstance(input, Tensor):
        y, x, dt = _float_binary_arrays(other, input, "xlogy_cpu")
    else:
        x, y, dt = _float_binary_arrays(input, other, "xlogy_cpu")
    try:
        log_y = _correctly_rounded(np.log, y)
        value = np.where(y != y, y, np.where(x == 0, x.dtype.type(0), x * log_y))
    except ValueError:
        raise _shape_error(input, other) from None
    result = wrap(value, dt)
    if not isinstance(input, Tensor):
        if grad_mode.enabled and other._requires_grad:
            node = XlogyBackward1(other)
            node.number, node.meta = input, meta(other)
            node.save_for_backward(other)
            result._requires_grad, result._grad_fn = True, node
        return _into(out, result)
    if grad_mode.enabled and (input._requires_grad or getattr(other, "_requires_grad", False)):
        if isinstance(other, Tensor):
            node = XlogyBackward0(input, other)
            node.save_for_backward(input, other)
        else:
            node = XlogyBackward2(input)
            node.number = other
            node.save_for_backward(input)
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


class Deg2RadBackward0(Node):
    def apply(self, grad):                          # d (a * pi/180) = pi/180
        return (grad * (math.pi / 180),)


class Rad2DegBackward0(Node):
    def apply(self, grad):
        return (grad * (180 / math.pi),)


def _scaled(input, factor, node_cls, kernel, out):
    x = _float_input(input)
    work = x.astype(_F32) if x.dtype is _F16 else x
    value = (work * work.dtype.type(factor)).astype(x.dtype)
    return _into(out, _unary(node_cls, input, value))


def deg2rad(input, *, out=None):
    return _scaled(input, math.pi / 180, Deg2RadBackward0, "deg2rad_cpu", out)


def rad2deg(input, *, out=None):
    return _scaled(input, 180 / math.pi, Rad2DegBackward0, "rad2deg_cpu", out)


class SgnBackward0(_Flat):
    pass


def sgn(input, *, out=None):
    """The sign (for real tensors, `sign`), recorded as PyTorch's SgnBackward0."""
    value = sign(input.detach())._data
    return _into(out, _unary(SgnBackward0, input, value))


def positive(input):
    """`+input`: the input itself (refused for bool tensors)."""
    if input._data.dtype is _NP_BOOL:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class AddcmulBackward0(Node):
    def apply(self, grad):                          # d(a + v t1 t2) = (1, v t2, v t1)
        t1, t2 = self.saved
        v = self.value
        nf = self.next_functions
        return (fit(grad, self.metas[0]) if nf[0][0] is not None else None,
                fit(grad * (t2 * v), self.metas[1]) if nf[1][0] is not None else None,
                fit(grad * (t1 * v), self.metas[2]) if nf[2][0] is not None else None)

    _saved_tensor1 = property(lambda self: self.saved[0])
    _saved_tensor2 = property(lambda self: self.saved[1])


class AddcdivBackward0(Node):
    def apply(self, grad):                          # d(a + v t1/t2) = (1, v/t2, -v t1/t2^2)
        t1, t2 = self.saved
        v = self.value
        nf = self.next_functions
        return (fit(grad, self.metas[0]) if nf[0][0] is not None else None,
                fit(grad * (v / t2), self.metas[1]) if nf[1][0] is not None else None,
                fit(-grad * (v * t1 / (t2 * t2)), self.metas[2]) if nf[2][0] is not None
                else None)

    _saved_tensor1 = property(lambda self: self.saved[0])
    _saved_tensor2 = property(lambda self: self.saved[1])


def _addc(input, tensor1, tensor2, value, divide, out):
    name = "addcdiv" if divide else "addcmul"
    _tensor_argument(name, tensor1, name="tensor1")
    _tensor_argument(name, tensor2, 3, name="tensor2")
    dt = _result_type(input, tensor1, tensor2)
    if divide and dt.category < _dtype.FLOAT and tensor1._data.dtype.kind in "biu" and \
            tensor2._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future  release addcdiv will perform a true division of tensor1 and "
                           "tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    if dt is _BOOL:
        _check_broadcast(input, tensor1, tensor2)
        raise _not_implemented(name + "_cpu_out", dt)
    work = _F32 if dt.np is _F16 else dt.np
    a, b, c = all_on_one_device([t._data.astype(work) for t in (input, tensor1, tensor2)])
    v = _checked_scalar(value, _BY_NP[work]) if dt.category >= _dtype.FLOAT else \
        np.array(value).astype(work)[()]
    try:
        np.broadcast_shapes(a.shape, b.shape, c.shape)
        if divide:
            res = a + v * b / c
        elif work is _F32 or work is _F64:
            shape = np.broadcast_shapes(a.shape, b.shape, c.shape)
            vb, c2, a2 = (np.broadcast_to(t, shape) for t in (v * b, c, a))
            res = fma32(vb, c2, a2) if work is _F32 else fma64(vb, c2, a2)
        else:
            res = a + v * b * c
    except ValueError:
        raise broadcast_error(input._data.shape, tensor1._data.shape, tensor2._data.shape) \
            from None
    result = wrap(as_array(res), dt)
    if grad_mode.enabled and any(t._requires_grad for t in (input, tensor1, tensor2)):
        node = (AddcdivBackward0 if divide else AddcmulBackward0)(input, tensor1, tensor2)
        node.save_for_backward(tensor1, tensor2)
        node.value = value
        node.metas = (meta(input), meta(tensor1), meta(tensor2))
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """`input + value * tensor1 * tensor2` (one fused multiply-add, as PyTorch's kernel)."""
    return _addc(input, tensor1, tensor2, value, False, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """`input + value * tensor1 / tensor2`."""
    return _addc(input, tensor1, tensor2, value, True, out)


def float_power(input, exponent, *, out=None):
    """`input ** exponent` computed in float64."""
    if not isinstance(input, Tensor):
        return pow(float(input), exponent.to(_dtype.float64))
    base = input if input._data.dtype is _F64 else input.to(_dtype.float64)
    if isinstance(exponent, Tensor):
        exponent = exponent if exponent._data.dtype is _F64 else exponent.to(_dtype.float64)
    else:
        exponent = float(exponent)
    return _into(out, pow(base, exponent))


def _float_power_(self, exponent):
    if self._data.dtype is not _F64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.scalar_name} "
                           "but the operation's result requires dtype Double")
    return float_power(self, exponent)


class LdexpBackward0(Node):
    def apply(self, grad):                          # d(a 2^b) = (2^b, a ln2 2^b)
        a, b = self.saved
        scale = pow(2.0, b)
        if b._data.dtype.kind in "iu":
            # PyTorch computes 2^b here in integers, where a negative b gives 0
            scale = scale * (b >= 0)
        return (fit(grad * scale, self.metas[0]) if self.needs_grad(0) else None,
                fit(grad * a * math.log(2.0) * scale, self.metas[1])
                if self.needs_grad(1) else None)


def ldexp(input, other, *, out=None):
    """`input * 2 ** other`."""
    _tensor_argument("ldexp", other)
    with no_grad():
        result = mul(input, pow(2.0, other))
    if grad_mode.enabled and (input._requires_grad or other._requires_grad):
        node = LdexpBackward0(input, other)
        node.save_for_backward(input, other)
        node.metas = (meta(input), meta(other))
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


class FrexpBackward0(Node):
    def apply(self, grad):                          # mantissa = a / 2^exponent
        exponent, = self.saved
        return (grad / pow(2.0, exponent.to(grad.dtype)),)


def frexp(input, *, out=None):
    """`(mantissa, exponent)` with `input = mantissa * 2 ** exponent`, |mantissa| in [0.5, 1)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = np.frexp(input._data)
    mantissa = Tensor._make(as_array(mantissa))
    exponent = Tensor._make(as_array(exponent).astype(np.int32))
    if grad_mode.enabled and input._requires_grad:
        node = FrexpBackward0(input)
        node.save_for_backward(exponent)
        mantissa._requires_grad, mantissa._grad_fn = True, node
    from .reduction import return_types
    if out is not None:
        out[0].copy_(mantissa)
        out[1].copy_(exponent)
        return return_types.frexp(out)
    return return_types.frexp((mantissa, exponent))


class NextafterBackward0(Node):
    def apply(self, grad):                          # PyTorch's rule: like the identity in `a`
        return (fit(grad, self.metas[0]) if self.needs_grad(0) else None,
                fit(zeros_like_tensor(grad), self.metas[1]) if self.needs_grad(1) else None)


def nextafter(input, other, *, out=None):
    """The next float after `input` towards `other`."""
    _tensor_argument("nextafter", other)
    x, y, dt = operands(input, other)
    if dt.category != _dtype.FLOAT:
        raise _not_implemented("nextafter_cpu", dt)
    if dt.np is _F16:                               # the next float16, not the next float32
        x, y = _arr(x, _F16), _arr(y, _F16)
    try:
        value = np.nextafter(x, y)
    except ValueError:
        raise _shape_error(input, other) from None
    result = wrap(as_array(value), dt)
    if grad_mode.enabled and (input._requires_grad or other._requires_grad):
        node = NextafterBackward0(input, other)
        node.metas = (meta(input), meta(other))
        result._requires_grad, result._grad_fn = True, node
    return _into(out, result)


def heaviside(input, values, *, out=None):
    """0 where input < 0, 1 where input > 0, `values` where input == 0."""
    _tensor_argument("heaviside", values, name="values")
    if input._data.dtype is not values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    x, v = all_on_one_device([input._data, values._data])
    try:
        value = np.where(x == 0, v, (x > 0).astype(x.dtype))
    except ValueError:
        raise _shape_error(input, values) from None
    result = Tensor._make(as_array(value.astype(x.dtype)))
    return _into(out, _not_differentiable(result, "heaviside", input, values))


# -- logit, sinc, gcd, lcm, isin -----------------------------------------------------------------


class LogitBackward0(Node):
    def apply(self, grad):                          # d log(a / (1 - a)) = 1 / (a (1 - a))
        a, = self.saved
        value = grad / (a * (1 - a))
        eps = self.eps
        if eps is None:
            outside = logical_or(a < 0, a > 1)
            nan = Tensor._make(_new_like(a._data, np.nan, a._data.dtype))
            return (where(outside, nan, value),)
        outside = logical_or(a < eps, a > 1 - eps)
        return (where(outside, zeros_like_tensor(grad), value),)

    _saved_self = property(lambda self: self.saved[0])


def logit(input, eps=None, *, out=None):
    """`log(p / (1 - p))`, with `p` first clamped to [eps, 1 - eps] when `eps` is given."""
    x = _float_input(input)
    work = x                                        # float16 steps round to float16 here
    if eps is not None and eps >= 0:
        lo, hi = work.dtype.type(eps), work.dtype.type(1) - work.dtype.type(eps)
        work = np.where(work < lo, lo, np.where(work > hi, hi, work))
    one = work.dtype.type(1)
    ratio = work / (one - work)
    value = np.where(work == one, np.inf, _correctly_rounded(np.log, as_array(ratio)))
    result = _unary(LogitBackward0, input, as_array(value).astype(x.dtype), save_input=True)
    if result._grad_fn is not None:
        result._grad_fn.eps = eps
    return _into(out, result)


class SincBackward0(Node):
    def apply(self, grad):                          # (pi a cos(pi a) - sin(pi a)) / (pi a^2)
        a, = self.saved
        a_pi = a * math.pi
        a_squared_pi = a * a * math.pi
        value = grad * ((a_pi * cos(a_pi)) - sin(a_pi)) / a_squared_pi
        return (where(a_squared_pi == 0.0, zeros_like_tensor(value), value),)

    _saved_self = property(lambda self: self.saved[0])


def sinc(input, *, out=None):
    """`sin(pi x) / (pi x)`, 1 at 0 (PyTorch rounds pi*x first, as its kernel does)."""
    x = _float_input(input)
    work = x.astype(_F32) if x.dtype is _F16 else x
    product = work.dtype.type(math.pi) * work
    value = _correctly_rounded(np.sin, as_array(product)) / product
    value = np.where(work == 0, work.dtype.type(1), value).astype(x.dtype)
    return _into(out, _unary(SincBackward0, input, value, save_input=True))


# -- modified Bessel functions of the first kind: i0, i0e, i1, i1e --------------------------------
# Computed in float64: for |x| <= 30 the power series (all terms positive, so no cancellation),
# beyond it the asymptotic expansion e^|x| / sqrt(2 pi |x|) * sum_k c_k / |x|^k, whose terms
# shrink far below an ulp before they start to grow again.

_BESSEL_SWITCH = 30.0


def _bessel_series(x, order):
    """I_order(x) (order 0 or 1) by its power series, for |x| <= 30."""
    q = x * x * 0.25
    term = q * 0.0 + (1.0 if order == 0 else 0.5)
    total = term
    for k in range(1, 64):
        term = term * q / (k * (k + order))
        total = total + term
    return total * (x if order == 1 else 1.0)


def _bessel_asymptotic(ax, order):
    """sum_k c_k / ax^k, with e^ax / sqrt(2 pi ax) times it approximating I_order(ax)."""
    term = ax * 0.0 + 1.0
    total = term
    nu4 = 4.0 * order * order
    for k in range(1, 26):
        term = term * ((2 * k - 1) ** 2 - nu4) / (8.0 * k * ax)
        total = total + term
    return total / np.sqrt(2.0 * math.pi * ax)


def _bessel(x, order, scaled):
    with np.errstate(all="ignore"):
        return _bessel_values(x, order, scaled)


def _bessel_values(x, order, scaled):
    ax = np.abs(x)
    small = ax <= _BESSEL_SWITCH
    safe_small = np.where(small, x, 0.0)
    safe_large = np.where(small | np.isinf(ax), _BESSEL_SWITCH + 1.0, ax)
    series = _bessel_series(safe_small, order)
    if scaled:
        series = series * np.exp(-np.abs(safe_small))
    asym = _bessel_asymptotic(safe_large, order)
    if not scaled:
        asym = asym * np.exp(safe_large)                 # inf once e^|x| overflows, as PyTorch
    limit = np.nan if not scaled else 0.0                # the values at +-inf (PyTorch's)
    if order == 1:
        asym = np.copysign(asym, x)
        limit = np.copysign(limit, x)
    value = np.where(small, series, np.where(np.isinf(x), limit, asym))
    if order == 1:
        value = np.where(x == 0, 0.0, value)             # +0 at -0 too, as PyTorch
    return np.where(np.isnan(x), x, value)


def _i0_64(x):
    return _bessel(x, 0, False)


def _i0e_64(x):
    return _bessel(x, 0, True)


def _i1_64(x):
    return _bessel(x, 1, False)


def _i1e_64(x):
    return _bessel(x, 1, True)


class I0Backward0(Node):
    def apply(self, grad):                          # d I0(a) = I1(a)
        a, = self.saved
        return (grad * i1(a),)


def i0(input, *, out=None):
    """The modified Bessel function of the first kind of order 0."""
    return _float_unary(I0Backward0, input, _i0_64, "input", out)


class SpecialI0EBackward0(Node):
    def apply(self, grad):                          # d i0e(a) = i1e(a) - sgn(a) i0e(a)
        a, = self.saved
        return (grad * (i1e(a) - sgn(a) * i0e(a)),)


def i0e(input, *, out=None):
    """The exponentially scaled I0: `exp(-|x|) * i0(x)`."""
    return _float_unary(SpecialI0EBackward0, input, _i0e_64, "input", out)


def _at_zero_half(a, value):
    return where(a == 0, 0.5, value)


class SpecialI1Backward0(Node):
    def apply(self, grad):                          # d I1(a) = I0(a) - I1(a) / a (1/2 at 0)
        a, = self.saved
        safe = where(a == 0, 1.0, a)
        return (grad * _at_zero_half(a, i0(a) - i1(a) / safe),)


def i1(input, *, out=None):
    """The modified Bessel function of the first kind of order 1."""
    return _float_unary(SpecialI1Backward0, input, _i1_64, "input", out)


class SpecialI1EBackward0(Node):
    def apply(self, grad):                          # d i1e(a) = i0e(a) - i1e(a) (sgn(a) + 1/a)
        a, = self.saved
        safe = where(a == 0, 1.0, a)
        return (grad * _at_zero_half(a, i0e(a) - i1e(a) * (sgn(a) + reciprocal(safe))),)


def i1e(input, *, out=None):
    """The exponentially scaled I1: `exp(-|x|) * i1(x)`."""
    return _float_unary(SpecialI1EBackward0, input, _i1e_64, "input", out)


def _integer_binary(name, ufunc):
    def op(input, other, *, out=None):
        x, y, dt = operands(input, other)
        if dt.category != _dtype.INT:
            _check_broadcast(input, other)
            raise _not_implemented(name + "_cpu", dt)
        try:
            value = ufunc(_arr(x), _arr(y))
        except ValueError:
            raise _shape_error(input, other) from None
        return _into(out, Tensor._make(as_array(value).astype(dt.np, copy=False)))
    op.__name__ = name
    return op


gcd = _integer_binary("gcd", np.gcd)
lcm = _integer_binary("lcm", np.lcm)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element occurs in `test_elements` (tensors or numbers; nan never does)."""
    # numbers and lists go to the tensor's device
    if isinstance(elements, Tensor):
        a = elements._data
        b = test_elements._data if isinstance(test_elements, Tensor) else \
            _new_like(a, test_elements)
    else:
        b = test_elements._data
        a = _new_like(b, elements)
    if a.dtype is _NP_BOOL or b.dtype is _NP_BOOL:
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    return Tensor._make(as_array(np.isin(a, b, invert=invert)))


# -- bit shifts -------------------------------------------------------------------------------


def _shift_op(left):
    kernel = "lshift_cpu" if left else "rshift_cpu"

    def op(input, other, *, out=None):
        """Integer bit shift: PyTorch gives 0 (left) or the sign (right) for shifts past the
        width or negative, and shifts signed values as unsigned to the left."""
        if isinstance(input, Tensor):
            x, y, dt = operands(input, other)
        else:
            y, x, dt = operands(other, input)
        if dt.category != _dtype.INT:
            raise _not_implemented(kernel, dt)
        x, y = _arr(x, dt.np), _arr(y, dt.np)
        bits = dt.itemsize * 8
        signed = dt.np.kind == "i"
        limit = bits if left or not signed else bits - 1
        count = y.astype(np.int64)
        if not signed:                              # PyTorch reads the count as signed
            count = _arr(np.where(count >= 1 << (bits - 1), -1, count)[()])
        bad = (count < 0) | (count >= limit)
        # a number's count stays a NumPy scalar ([()]: np.where makes a 0-d host array)
        safe = _arr(np.where(bad, 0, count)[()]).astype(dt.np)
        try:
            if left:
                unsigned = np.dtype(f"u{dt.itemsize}")
                value = np.left_shift(x.astype(unsigned), safe.astype(unsigned)).astype(dt.np)
                value = np.where(bad, dt.np.type(0), value)
            else:
                value = np.where(bad, np.right_shift(x, dt.np.type(limit)),
                                 np.right_shift(x, safe))
        except ValueError:
            raise _shape_error(input, other) from None
        return _into(out, Tensor._make(as_array(value).astype(dt.np, copy=False)))
    op.__name__ = "bitwise_left_shift" if left else "bitwise_right_shift"
    return op


bitwise_left_shift = _shift_op(True)
bitwise_right_shift = _shift_op(False)


# -- aliases ----------------------------------------------------------------------------------

absolute = abs
arccos, arcsin, arctan, arctan2 = acos, asin, atan, atan2
arccosh, arcsinh, arctanh = acosh, asinh, atanh
fix = trunc
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _mvlgamma_inplace(self, p):
    """`t.mvlgamma_(p)`: PyTorch refuses integer tensors with its own message."""
    if self._data.dtype.kind not in "fc":
        raise RuntimeError(f"mvlgamma: result type {self.dtype.scalar_name} can't be cast to "
                           f"the desired output type {_dtype.get_default_dtype().scalar_name}")
    return mvlgamma(self, p)


def _where_method(self, condition, other):
    """`t.where(condition, other)`: `where(condition, t, other)`."""
    return where(condition, self, other)


_NEW_METHODS = (
    "rsqrt square exp2 expm1 log2 log10 log1p tan asin acos atan atan2 sinh cosh asinh acosh "
    "atanh erf erfc floor ceil round trunc frac clamp clip clamp_min clamp_max maximum minimum "
    "fmax fmin fmod lerp nan_to_num isnan isinf isfinite isposinf isneginf signbit isreal "
    "logical_and logical_or logical_xor logical_not equal allclose isclose hypot logaddexp "
    "logaddexp2 copysign xlogy deg2rad rad2deg sgn positive addcmul addcdiv float_power "
    "heaviside absolute arccos arcsin arctan arctan2 arccosh arcsinh arctanh fix greater "
    "greater_equal less less_equal not_equal logit sinc gcd lcm lgamma digamma erfinv "
    "mvlgamma i0").split()
_NEW_INPLACE = (
    "rsqrt square exp2 expm1 log2 log10 log1p tan asin acos atan atan2 sinh cosh asinh acosh "
    "atanh erf erfc floor ceil round trunc frac clamp clip clamp_min clamp_max fmod lerp "
    "nan_to_num logical_and logical_or logical_xor logical_not hypot copysign xlogy deg2rad "
    "rad2deg sgn addcmul addcdiv heaviside absolute arccos arcsin arctan arctan2 arccosh "
    "arcsinh arctanh fix eq ne lt le gt ge greater greater_equal less less_equal not_equal "
    "bitwise_and bitwise_or bitwise_xor bitwise_not logit sinc gcd lcm lgamma digamma erfinv"
    " i0").split()


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
        out._data = _backend.xp(out._data).empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._bump_version()
    return out


# Tensor methods that differ from the functions above, or that _methods.py does not bind
# itself (see _methods.py)
METHODS = {"__invert__": _invert, "where": _where_method,
           "multiply": mul, "subtract": lambda self, other, *, alpha=1: sub(self, other,
                                                                             alpha=alpha),
           "true_divide": lambda self, other: div(self, other),
           "polygamma": lambda self, n: polygamma(n, self), "ldexp": ldexp, "frexp": frexp,
           "nextafter": nextafter}
METHODS.update((name, globals()[name]) for name in _NEW_METHODS)
# In-place forms: `t.name_(...)` writes `name(t, ...)` into t
INPLACE = {name + "_": globals()[name] for name in _NEW_INPLACE}
METHODS.update({"__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift,
                "__rlshift__": lambda self, other: bitwise_left_shift(other, self),
                "__rrshift__": lambda self, other: bitwise_right_shift(other, self),
                "bitwise_left_shift": bitwise_left_shift,
                "bitwise_right_shift": bitwise_right_shift})
INPLACE.update({"__iand__": bitwise_and, "__ior__": bitwise_or, "__ixor__": bitwise_xor,
                "__ilshift__": bitwise_left_shift, "__irshift__": bitwise_right_shift,
                "bitwise_left_shift_": bitwise_left_shift,
                "bitwise_right_shift_": bitwise_right_shift,
                "multiply_": mul, "true_divide_": lambda self, other: div(self, other),
                "polygamma_": lambda self, n: polygamma(n, self, _node=PolygammaBackward1),
                "mvlgamma_": _mvlgamma_inplace,
                "divide_": div, "negative_": neg, "float_power_": _float_power_,
                "ldexp_": ldexp, "nextafter_": nextafter,
                "subtract_": lambda self, other, *, alpha=1: sub(self, other, alpha=alpha)})

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["abs", "add", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "cos", "div",
           "eq", "exp", "floor_divide", "ge", "gt", "le", "log", "lt", "mul", "ne", "neg",
           "pow", "reciprocal", "relu", "remainder", "rsub", "sigmoid", "sign", "sin",
           "sqrt", "sub", "tanh", "where"] + _NEW_METHODS + ["bitwise_left_shift",
                                                            "bitwise_right_shift", "isin",
                                                            "polygamma", "ldexp", "frexp",
                                                            "nextafter"]
__all__ = sorted(set(__all__) - {"positive"} | {"positive"})

"""Tensor methods and Python operators: each one points at its op in `ops/`.

Binding the op functions directly (`Tensor.__mul__ = mul`) keeps an extra Python call off the
hot path of every arithmetic expression.
"""
import warnings

import numpy as np

from ._tensor import Tensor
from .ops import inplace, linalg, nn_ops, pointwise as pw, reduction, shape


def _comparison_method(op):
    # `t == None` or `t == "a"` falls back to Python's identity comparison, as in PyTorch
    def method(self, other):
        if not isinstance(other, (Tensor, int, float, complex, np.generic, np.ndarray)):
            return NotImplemented
        return op(self, other)
    method.__name__ = op.__name__
    return method


T = Tensor

# arithmetic: a + b, b + a, a += b
# (the ops themselves raise TypeError for operands that are neither tensors nor numbers)
T.__add__ = T.__radd__ = pw.add
T.__sub__ = pw.sub
T.__rsub__ = pw.rsub
T.__mul__ = T.__rmul__ = T.mul = pw.mul
T.__truediv__ = pw.div
T.__rtruediv__ = pw.rdiv
T.__floordiv__ = T.floor_divide = pw.floor_divide
T.__rfloordiv__ = lambda self, other: pw.floor_divide(other, self)
T.__mod__ = T.remainder = pw.remainder
T.__rmod__ = lambda self, other: pw.remainder(other, self)
T.__pow__ = T.pow = pw.pow
T.__rpow__ = lambda self, other: pw.pow(other, self)
T.__matmul__ = T.matmul = linalg.matmul
T.__rmatmul__ = lambda self, other: linalg.matmul(other, self)
T.__neg__ = T.neg = T.negative = pw.neg
T.__pos__ = lambda self: self
T.__abs__ = T.abs = pw.abs
T.add = lambda self, other, *, alpha=1: pw.add(self, other, alpha=alpha)
T.sub = lambda self, other, *, alpha=1: pw.sub(self, other, alpha=alpha)
T.div = T.divide = lambda self, other, *, rounding_mode=None: pw.div(
    self, other, rounding_mode=rounding_mode)

T.__iadd__ = T.add_ = inplace.inplace(pw.add)
T.__isub__ = T.sub_ = inplace.inplace(pw.sub)
T.__imul__ = T.mul_ = inplace.inplace(pw.mul)
T.__itruediv__ = T.div_ = inplace.inplace(pw.div)
T.__ifloordiv__ = T.floor_divide_ = inplace.inplace(pw.floor_divide)
T.__imod__ = T.remainder_ = inplace.inplace(pw.remainder)
T.__ipow__ = T.pow_ = inplace.inplace(pw.pow)
T.neg_ = inplace.inplace(pw.neg)
T.abs_ = inplace.inplace(pw.abs)

# comparisons and logic
T.__eq__ = T.eq = _comparison_method(pw.eq)
T.__ne__ = T.ne = _comparison_method(pw.ne)
T.__lt__ = T.lt = _comparison_method(pw.lt)
T.__le__ = T.le = _comparison_method(pw.le)
T.__gt__ = T.gt = _comparison_method(pw.gt)
T.__ge__ = T.ge = _comparison_method(pw.ge)
T.__and__ = T.__rand__ = T.bitwise_and = _comparison_method(pw.bitwise_and)
T.__or__ = T.__ror__ = T.bitwise_or = _comparison_method(pw.bitwise_or)
T.__xor__ = T.__rxor__ = T.bitwise_xor = _comparison_method(pw.bitwise_xor)
T.__invert__ = T.bitwise_not = pw.bitwise_not
T.__hash__ = lambda self: id(self)

# elementary functions
for _name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "reciprocal", "sign"):
    _op = getattr(pw, _name)
    setattr(T, _name, _op)
    setattr(T, _name + "_", inplace.inplace(_op))
T.relu = pw.relu
T.relu_ = inplace.inplace(pw.relu)

# reductions
T.sum = reduction.sum
T.mean = reduction.mean
T.sum_to_size = reduction.sum_to_size

# shapes, indexing, casts
T.view = shape.view
T.reshape = shape.reshape
T.view_as = lambda self, other: shape.view(self, other._data.shape)
T.reshape_as = lambda self, other: shape.reshape(self, other._data.shape)
T.flatten = shape.flatten
T.expand = shape.expand
T.expand_as = shape.expand_as
T.squeeze = shape.squeeze
T.unsqueeze = shape.unsqueeze
T.permute = shape.permute
T.transpose = shape.transpose
T.t = shape.t
T.__getitem__ = shape.getitem
T.unbind = shape.unbind
T.select = shape.select
T.__setitem__ = shape.setitem
T.to = shape.to
T.clone = shape.clone
T.contiguous = shape.contiguous
T.mm = linalg.mm
T.mv = linalg.mv
T.dot = linalg.dot
T.bmm = linalg.bmm


def _T(self):
    if self._data.ndim != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=2)
    return shape.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))


T.T = property(_T)
T.mT = property(lambda self: shape.transpose(self, -2, -1))


def _cast(dtype_name):
    from . import _dtype
    dt = getattr(_dtype, dtype_name)
    return lambda self, memory_format=None: shape.to(self, dt)


T.float = _cast("float32")
T.double = _cast("float64")
T.half = _cast("float16")
T.long = _cast("int64")
T.int = _cast("int32")
T.short = _cast("int16")
T.char = _cast("int8")
T.byte = _cast("uint8")
T.bool = _cast("bool_")


T.fill_ = inplace.fill_
T.zero_ = inplace.zero_
T.copy_ = inplace.copy_

# Ops modules may also declare their methods next to the ops: `METHODS = {"name": function}`,
# and in-place forms as `INPLACE = {"name_": out_of_place_function}`.
for _module in (pw, reduction, shape, linalg, inplace, nn_ops):
    for _name, _function in getattr(_module, "METHODS", {}).items():
        setattr(T, _name, _function)
    for _name, _function in getattr(_module, "INPLACE", {}).items():
        setattr(T, _name, inplace.inplace(_function))
del T

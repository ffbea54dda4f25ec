"""Matrix products: dot, mv, mm, bmm and `@` (matmul), which picks among them by shape."""
import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import as_array, fit, meta


def _check_same_dtype(a, b, name):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype.name.replace('float32', 'float')} != "
                           f"{b.dtype.name.replace('float32', 'float')}"
                           if name != "dot" else
                           f"dot : expected both vectors to have same dtype, but found "
                           f"{a.dtype.scalar_name} and {b.dtype.scalar_name}")


def _record(result, node_cls, a, b):
    if grad_mode.enabled and (a._requires_grad or b._requires_grad):
        node = node_cls(a, b)
        node.save_for_backward(a, b)
        result._requires_grad, result._grad_fn = True, node
    return result


class DotBackward0(Node):
    def apply(self, grad):                          # d(a.b) = (b, a)
        a, b = self.saved
        return (grad * b if self.needs_grad(0) else None,
                grad * a if self.needs_grad(1) else None)


def dot(input, other):
    """Inner product of two 1-d tensors."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] "
                           f"and src [{other._data.shape[0]}] to have the same number of "
                           f"elements, but got {input._data.shape[0]} and "
                           f"{other._data.shape[0]} elements respectively")
    _check_same_dtype(input, other, "dot")
    return _record(Tensor._make(as_array(np.dot(input._data, other._data))), DotBackward0,
                   input, other)


class MvBackward0(Node):
    def apply(self, grad):                          # d(M v) = (grad v^T, M^T grad)
        m, v = self.saved
        return (grad.unsqueeze(1) * v.unsqueeze(0) if self.needs_grad(0) else None,
                mv(m.t(), grad) if self.needs_grad(1) else None)


def mv(input, vec):
    """Matrix times vector."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError("vector + matrix @ vector expected, got 1, "
                           f"{input._data.ndim}, {vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat "
                           f"({input._data.shape[0]}x{input._data.shape[1]}), vec "
                           f"({vec._data.shape[0]})")
    _check_same_dtype(input, vec, "mv")
    return _record(Tensor._make(input._data @ vec._data), MvBackward0, input, vec)


class MmBackward0(Node):
    def apply(self, grad):                          # d(A B) = (grad B^T, A^T grad)
        a, b = self.saved
        return (mm(grad, b.t()) if self.needs_grad(0) else None,
                mm(a.t(), grad) if self.needs_grad(1) else None)


def mm(input, mat2):
    """Matrix product of two 2-d tensors."""
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {b.shape[0]}x{b.shape[1]})")
    _check_same_dtype(input, mat2, "mm")
    return _record(Tensor._make(a @ b), MmBackward0, input, mat2)


class BmmBackward0(Node):

    def apply(self, grad):                          # batched: the same rule per matrix
        a, b = self.saved
        return (fit(matmul(grad, b.transpose(-1, -2)), self.metas[0])
                if self.needs_grad(0) else None,
                fit(matmul(a.transpose(-1, -2), grad), self.metas[1])
                if self.needs_grad(1) else None)


def bmm(input, mat2):
    """Batched matrix product of two 3-d tensors."""
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input._data.ndim != 3 else
                           "batch2 must be a 3D tensor")
    return _batched(input, mat2)


def _batched(input, mat2):
    a, b = input._data, mat2._data
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b.shape[0]}, {a.shape[-1]}] but got: [{b.shape[0]}, "
                           f"{b.shape[-2]}].")
    _check_same_dtype(input, mat2, "bmm")
    result = Tensor._make(as_array(np.matmul(a, b)))
    if grad_mode.enabled and (input._requires_grad or mat2._requires_grad):
        node = BmmBackward0(input, mat2)
        node.save_for_backward(input, mat2)
        node.metas = (meta(input), meta(mat2))
        result._requires_grad, result._grad_fn = True, node
    return result


def matmul(input, other):
    """`input @ other`: dot, matrix-vector, matrix-matrix or broadcast batched product."""
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        return mm(input.unsqueeze(0), other).squeeze(0)
    if da == 2 and db == 2:
        return mm(input, other)
    if db == 1:
        return _batched(input, other.unsqueeze(-1)).squeeze(-1)
    if da == 1:
        return _batched(input.unsqueeze(0), other).squeeze(-2)
    return _batched(input, other)

"""Matrix products: dot, mv, mm, bmm and `@` (matmul), which picks among them by shape."""
import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import as_array, broadcast_error
from .shape import UnsafeViewBackward0


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
        return (bmm(grad, b.transpose(1, 2)) if self.needs_grad(0) else None,
                bmm(a.transpose(1, 2), grad) if self.needs_grad(1) else None)


def bmm(input, mat2):
    """Batched matrix product of two 3-d tensors."""
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, "
                           f"{b.shape[1]}].")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                           f"{mat2.dtype.scalar_name}")
    return _record(Tensor._make(as_array(np.matmul(a, b))), BmmBackward0, input, mat2)


class SqueezeBackward4(Node):
    """`squeeze_(dim)` (in place), which matmul applies to its 1-d @ 2-d product."""

    def apply(self, grad):
        return (grad.unsqueeze(self.dim),)


def _squeeze_(t, dim):
    out = Tensor._make(np.squeeze(t._data, dim))
    if t._requires_grad:
        node = SqueezeBackward4(t)
        node.dim = dim
        out._requires_grad, out._grad_fn = True, node
    return out


def _unsafe_view(t, shape):
    """PyTorch's `_unsafe_view`: a reshape of a fresh (contiguous) result, not marked as a
    view of it."""
    out = Tensor._make(t._data.reshape(shape))
    if t._requires_grad:
        node = UnsafeViewBackward0(t)
        node.shape = t._data.shape
        out._requires_grad, out._grad_fn = True, node
    return out


def _should_fold(a, b):
    """PyTorch's `should_fold`: whether a >= 3-d @ <= 2-d product (either way round) is done
    as one mm/mv on the larger operand folded into a matrix, rather than as a bmm."""
    da, db = a._data.ndim, b._data.ndim
    a_larger = da >= db
    t1 = a._data if a_larger else np.swapaxes(b._data, -1, -2)
    dim_t2 = db if a_larger else da
    if not (t1.ndim >= 3 and dim_t2 <= 2):
        return False
    if grad_mode.enabled and (b if a_larger else a)._requires_grad:
        return True
    if da == 2:
        return False
    if t1.size == 0:
        return True
    strides, shape = t1.strides, t1.shape
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(t1.ndim - 2))


def matmul(input, other):
    """`input @ other`, built as PyTorch builds it (so the grad_fn names agree): dot, mv, mm,
    a folded mm/mv for a batch against a matrix or vector, else an expanded bmm."""
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        return _squeeze_(mm(input.unsqueeze(0), other), 0)
    if da == 2 and db == 2:
        return mm(input, other)
    if _should_fold(input, other):
        transpose = db > da
        t1 = other.transpose(-1, -2) if transpose else input
        t2 = (input.t() if da == 2 else input) if transpose else other
        sizes = t1._data.shape
        output_shape = sizes[:-1]
        folded = 1
        for n in output_shape:
            folded *= n
        t1_folded = t1.reshape(folded, sizes[-1])
        if t2._data.ndim == 2:
            output = _unsafe_view(mm(t1_folded, t2), output_shape + (t2._data.shape[1],))
            return output.transpose(-1, -2).contiguous() if transpose else output
        return _unsafe_view(mv(t1_folded, t2), output_shape)
    a_shape, b_shape = input._data.shape, other._data.shape
    n = a_shape[-2] if da > 1 else 1
    m1 = a_shape[-1]
    m2 = b_shape[-2] if db > 1 else b_shape[0]
    p = b_shape[-1] if db > 1 else 1
    batch1, batch2 = a_shape[:max(da - 2, 0)], b_shape[:max(db - 2, 0)]
    try:
        batch = np.broadcast_shapes(batch1, batch2)
    except ValueError:
        raise broadcast_error(batch1, batch2) from None
    count = 1
    for s in batch:
        count *= s
    a3 = input.expand(batch + (n, m1)).reshape(count, n, m1)
    if db == 1:
        b3 = other.expand(batch + (m2,)).reshape(count, m2).unsqueeze(2)
    else:
        b3 = other.expand(batch + (m2, p)).reshape(count, m2, p)
    out_shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    product = bmm(a3, b3)
    return _unsafe_view(product.squeeze(-1) if db == 1 else product, out_shape)

# What `ember.<name>` exports from this module (ember/__init__.py star-imports it).
__all__ = ["bmm", "dot", "matmul", "mm", "mv"]

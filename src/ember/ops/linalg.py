"""Matrix products: dot, mv, mm, bmm and `@` (matmul), which picks among them by shape."""
import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import (
    as_array, attach as _attach, broadcast_error, contiguous, recording as _recording)
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
        # as PyTorch: d/da needs only b and d/db only a, so save only what will be used
        node.save_for_backward(a if node.needs_grad(1) else None,
                               b if node.needs_grad(0) else None)
        result._requires_grad, result._grad_fn = True, node
    return result


class DotBackward0(Node):
    def apply(self, grad):                          # d(a.b) = (b, a)
        a, b = self.saved
        return (grad * b if self.needs_grad(0) else None,
                grad * a if self.needs_grad(1) else None)


def dot(input, other):
    """Inner product of two 1-d tensors."""
    _check_vectors(input, other)
    return _record(Tensor._make(as_array(np.dot(input._data, other._data))), DotBackward0,
                   input, other)


def _check_vectors(input, other):
    """dot's (and vdot's) errors for operands that are not two 1-d tensors of one size and
    dtype."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] "
                           f"and src [{other._data.shape[0]}] to have the same number of "
                           f"elements, but got {input._data.shape[0]} and "
                           f"{other._data.shape[0]} elements respectively")
    _check_same_dtype(input, other, "dot")


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
    _pack_order = (1, 0)          # PyTorch saves mat2 first (saved_tensors_hooks order)

    def apply(self, grad):                          # d(A B) = (grad B^T, A^T grad)
        a, b = self.saved
        return (mm(grad, b.t()) if self.needs_grad(0) else None,
                mm(a.t(), grad) if self.needs_grad(1) else None)


def mm(input, mat2):
    """Matrix product of two 2-d tensors."""
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {b.shape[0]}x{b.shape[1]})")
    _check_same_dtype(input, mat2, "mm")
    return _record(Tensor._make(a @ b), MmBackward0, input, mat2)


class BmmBackward0(Node):
    _pack_order = (1, 0)          # PyTorch saves mat2 first (saved_tensors_hooks order)

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


# ================================================================================================
# More matrix products, triangles and diagonals, einsum/tensordot/kron, and the decompositions
# behind `ember.linalg` (det, inv, solve, norms, cross). Where PyTorch builds an op out of other
# ops (outer, einsum, tensordot, kron, matrix norms), ember builds it out of the same ember ops,
# so the graph (and every grad_fn name) is PyTorch's and double backward comes for free; the
# others have their own node, whose backward is again written with differentiable ember ops.
# ================================================================================================

import math as _math
from collections import namedtuple as _namedtuple

from .. import _backend, _dtype
from .._tensor import _wrap_dim
from . import pointwise as _pw
from .shape import _ScatterBackward, _as_view, _scatter_into


def _maybe_multiply(t, s):
    """PyTorch's maybe_multiply: `t * s`, or `t` itself when s is 1."""
    return t if s == 1 else t * s


def _sum_to(grad, shape):
    return grad if grad._data.shape == shape else grad.sum_to_size(shape)


# -- outer / addmm / addmv / addbmm / baddbmm ---------------------------------------------------


def outer(input, vec2):
    """The outer product of two 1-d tensors: `input[:, None] * vec2` (and built that way, so
    it promotes and differentiates as a multiplication, as in PyTorch)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.reshape(input._data.shape[0], 1) * vec2


ger = outer


def inner(input, other, *, out=None):
    """Sum over the last dims of both: `tensordot(input, other, ([-1], [-1]))` (a product
    when either is 0-d)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return _out(input * other, out)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(a.shape)} and {list(b.shape)}")
    return _out(tensordot(input, other, ([-1], [-1])), out)


class VdotBackward0(Node):
    def apply(self, grad):                          # d(conj(a).b) = (conj(grad) b, grad a)
        a, b = self.saved
        return (grad.conj() * b if self.needs_grad(0) else None,
                grad * a if self.needs_grad(1) else None)


def adjoint(input):
    """The conjugate transpose of the last two dims (a view)."""
    return input.adjoint()


def vdot(input, other, *, out=None):
    """The dot product of two 1-d tensors, the first conjugated."""
    _check_vectors(input, other)
    return _out(_record(Tensor._make(as_array(np.vdot(input._data, other._data))),
                        VdotBackward0, input, other), out)


class AddrBackward0(Node):
    def apply(self, grad):
        vec1, vec2 = self.saved
        return (_sum_to(_maybe_multiply(grad, self.beta), self.input_shape)
                if self.needs_grad(0) else None,
                _maybe_multiply(mv(grad, vec2), self.alpha) if self.needs_grad(1) else None,
                _maybe_multiply(mv(grad.t(), vec1), self.alpha) if self.needs_grad(2) else None)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """`beta * input + alpha * outer(vec1, vec2)`, with `input` broadcast to the product's
    shape."""
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    shape = (vec1._data.shape[0], vec2._data.shape[0])
    dt = _dtype.promote_types(_dtype.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    c = _broadcast_input(input, shape).astype(dt.np, copy=False)
    v1, v2 = vec1._data.astype(dt.np, copy=False), vec2._data.astype(dt.np, copy=False)
    result = Tensor._make(_blend(v1[:, None] * v2[None, :], c, beta, alpha, dt))
    if _recording(input, vec1, vec2):
        node = AddrBackward0(input, vec1, vec2)
        node.save_for_backward(vec1, vec2)
        node.beta, node.alpha, node.input_shape = beta, alpha, input._data.shape
        _attach(result, node)
    return _out(result, out)


def _scalar_name(t):
    return t.dtype.scalar_name


def _broadcast_input(input, shape):
    """addmm's `input`, expanded to the product's shape (PyTorch's expand error if it can't)."""
    if input._data.shape == shape:
        return input._data
    return input.expand(shape)._data


def _blend(product, input_array, beta, alpha, dt):
    """beta * input + alpha * product, as the BLAS call computes it (input ignored if beta=0)."""
    if alpha != 1:
        product = product * np.asarray(alpha).astype(dt.np)[()] if dt.category >= _dtype.FLOAT \
            else product * int(alpha)
    if beta == 0:
        return as_array(product).astype(dt.np, copy=False)
    scaled = input_array if beta == 1 else (
        input_array * np.asarray(beta).astype(dt.np)[()] if dt.category >= _dtype.FLOAT
        else input_array * int(beta))
    return as_array(product + scaled).astype(dt.np, copy=False)


class AddmmBackward0(Node):
    def apply(self, grad):
        mat1, mat2 = self.saved
        return (_sum_to(_maybe_multiply(grad, self.beta), self.input_shape)
                if self.needs_grad(0) else None,
                _maybe_multiply(mm(grad, mat2.t()), self.alpha) if self.needs_grad(1) else None,
                _maybe_multiply(mm(mat1.t(), grad), self.alpha) if self.needs_grad(2) else None)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """`beta * input + alpha * (mat1 @ mat2)`, with `input` broadcast to the product's shape."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {a.ndim}-D tensor")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {b.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {b.shape[0]}x{b.shape[1]})")
    shape = (a.shape[0], b.shape[1])
    c = _broadcast_input(input, shape)
    for other, name in ((mat2, "mat2"), (mat1, "mat1")):
        if input._data.dtype != other._data.dtype:
            raise RuntimeError(f"self and {name} must have the same dtype, but got "
                               f"{_scalar_name(input)} and {_scalar_name(other)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_scalar_name(mat1)} "
                           f"and {_scalar_name(mat2)}")
    result = Tensor._make(_blend(a @ b, c, beta, alpha, input.dtype))
    if _recording(input, mat1, mat2):
        node = AddmmBackward0(input, mat1, mat2)
        node.save_for_backward(mat1, mat2)
        node.beta, node.alpha, node.input_shape = beta, alpha, input._data.shape
        _attach(result, node)
    return _out(result, out)


class AddmvBackward0(Node):
    def apply(self, grad):
        mat, vec = self.saved
        return (_sum_to(_maybe_multiply(grad, self.beta), self.input_shape)
                if self.needs_grad(0) else None,
                _maybe_multiply(outer(grad, vec), self.alpha) if self.needs_grad(1) else None,
                _maybe_multiply(mv(mat.t(), grad), self.alpha) if self.needs_grad(2) else None)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """`beta * input + alpha * (mat @ vec)`."""
    m, v = mat._data, vec._data
    if m.ndim != 2 or v.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {m.ndim}, "
                           f"{v.ndim}")
    if m.shape[1] != v.shape[0] or (input._data.ndim == 1 and
                                    input._data.shape[0] not in (1, m.shape[0])):
        rows = input._data.shape[0] if input._data.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({m.shape[0]}x{m.shape[1]}), "
                           f"vec ({v.shape[0]})")
    if m.dtype != v.dtype or input._data.dtype != m.dtype:
        other = mat if m.dtype != input._data.dtype else vec
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found "
                           f"{_scalar_name(other)}")
    c = _broadcast_input(input, (m.shape[0],))
    result = Tensor._make(_blend(m @ v, c, beta, alpha, input.dtype))
    if _recording(input, mat, vec):
        node = AddmvBackward0(input, mat, vec)
        node.save_for_backward(mat, vec)
        node.beta, node.alpha, node.input_shape = beta, alpha, input._data.shape
        _attach(result, node)
    return _out(result, out)


def _check_batches(b1, b2):
    a, b = b1._data, b2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(b1)} but found {_scalar_name(b2)}")


class BaddbmmBackward0(Node):
    def apply(self, grad):
        b1, b2 = self.saved
        return (_sum_to(_maybe_multiply(grad, self.beta), self.input_shape)
                if self.needs_grad(0) else None,
                _maybe_multiply(bmm(grad, b2.transpose(1, 2)), self.alpha)
                if self.needs_grad(1) else None,
                _maybe_multiply(bmm(b1.transpose(1, 2), grad), self.alpha)
                if self.needs_grad(2) else None)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """`beta * input + alpha * (batch1 @ batch2)` for batches of matrices."""
    _check_batches(batch1, batch2)
    a, b = batch1._data, batch2._data
    shape = (a.shape[0], a.shape[1], b.shape[2])
    c = _broadcast_input(input, shape)
    if input._data.dtype != a.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(batch1)} but found "
                           f"{_scalar_name(input)}")
    result = Tensor._make(_blend(np.matmul(a, b), c, beta, alpha, input.dtype))
    if _recording(input, batch1, batch2):
        node = BaddbmmBackward0(input, batch1, batch2)
        node.save_for_backward(batch1, batch2)
        node.beta, node.alpha, node.input_shape = beta, alpha, input._data.shape
        _attach(result, node)
    return _out(result, out)


class AddbmmBackward0(Node):
    def apply(self, grad):
        b1, b2 = self.saved
        batched = None
        if self.needs_grad(1) or self.needs_grad(2):
            batched = grad.unsqueeze(0).expand(self.batches, *grad._data.shape)
        return (_sum_to(_maybe_multiply(grad, self.beta), self.input_shape)
                if self.needs_grad(0) else None,
                _maybe_multiply(bmm(batched, b2.transpose(1, 2)), self.alpha)
                if self.needs_grad(1) else None,
                _maybe_multiply(bmm(b1.transpose(1, 2), batched), self.alpha)
                if self.needs_grad(2) else None)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """`beta * input + alpha * sum_b(batch1[b] @ batch2[b])`."""
    a, b = batch1._data, batch2._data
    # PyTorch expands `input` to (batch1.size(1), batch2.size(2)) before checking the batches
    shape = (batch1.size(1), batch2.size(2))
    c = _broadcast_input(input, shape)
    _check_batches(batch1, batch2)
    if input._data.dtype != a.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(batch1)} but found "
                           f"{_scalar_name(input)}")
    product = np.matmul(a, b).sum(0) if a.shape[0] else _backend.xp(a).zeros(shape, a.dtype)
    result = Tensor._make(_blend(product, c, beta, alpha, input.dtype))
    if _recording(input, batch1, batch2):
        node = AddbmmBackward0(input, batch1, batch2)
        node.save_for_backward(batch1, batch2)
        node.beta, node.alpha, node.input_shape = beta, alpha, input._data.shape
        node.batches = a.shape[0]
        _attach(result, node)
    return _out(result, out)


def _out(result, out):
    """Write an op's result into `out=` (PyTorch resizes it; its dtype must match)."""
    if out is None:
        return result
    if out.dtype is not result.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {result.dtype!r}, but got "
                           f"{out.dtype!r} instead")
    out._check_inplace()
    if out._data.shape == result._data.shape:
        out._data[...] = result._data
    else:
        out._data = result._data.copy()
    out._bump_version()
    return out


# -- triangles -----------------------------------------------------------------------------------


class TrilBackward0(Node):
    def apply(self, grad):
        return (tril(grad, self.diagonal),)


class TriuBackward0(Node):
    def apply(self, grad):
        return (triu(grad, self.diagonal),)


def _triangle(input, diagonal, lower, out):
    x = input._data
    name = "tril" if lower else "triu"
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    diagonal = int(diagonal)
    rows, cols = x.shape[-2], x.shape[-1]
    xp = _backend.xp(x)
    keep = (xp.arange(cols)[None, :] - xp.arange(rows)[:, None]) <= diagonal if lower else \
        (xp.arange(cols)[None, :] - xp.arange(rows)[:, None]) >= diagonal
    result = Tensor._make(np.where(keep, x, x.dtype.type(0)))
    if _recording(input):
        node = (TrilBackward0 if lower else TriuBackward0)(input)
        node.diagonal = diagonal
        _attach(result, node)
    return _out(result, out)


def tril(input, diagonal=0, *, out=None):
    """The lower triangle (on and below the `diagonal`-th diagonal) of the last two dims."""
    return _triangle(input, diagonal, True, out)


def triu(input, diagonal=0, *, out=None):
    """The upper triangle (on and above the `diagonal`-th diagonal) of the last two dims."""
    return _triangle(input, diagonal, False, out)


# -- diagonals -------------------------------------------------------------------------------------


def _diagonal_dims(ndim, offset, dim1, dim2):
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return int(offset), d1, d2


def _diagonal_array(x, offset, d1, d2):
    """A writable NumPy view of the diagonal (NumPy's own diagonal view is read-only)."""
    view = np.diagonal(x, offset, d1, d2)
    # (a CuPy array's flags have no `writeable`: its views are always writable)
    if not getattr(view.flags, "writeable", True) and x.flags.writeable:
        try:
            view.flags.writeable = True
        except ValueError:
            pass
    return view


class DiagonalBackward0(Node):
    def apply(self, grad):
        return (_diagonal_backward(grad, self.shape, self.offset, self.dim1, self.dim2),)


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 - PyTorch's name
    """The same rule for `diag` of a matrix, which PyTorch computes as a diagonal copy."""


class DiagonalBackwardBackward0(Node):
    def apply(self, grad):
        return (diagonal(grad, self.offset, self.dim1, self.dim2),)


def _diagonal_backward(grad, shape, offset, d1, d2):
    """Zeros of `shape` with `grad` written on the diagonal (differentiable again)."""
    array = _backend.xp(grad._data).zeros(shape, grad._data.dtype)
    _diagonal_array(array, offset, d1, d2)[...] = grad._data
    out = Tensor._make(array)
    if _recording(grad):
        node = DiagonalBackwardBackward0(grad)
        node.offset, node.dim1, node.dim2 = offset, d1, d2
        _attach(out, node)
    return out


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the (dim1, dim2) planes, as a view (the diagonal becomes the last dim)."""
    x = input._data
    offset, d1, d2 = _diagonal_dims(x.ndim, offset, dim1, dim2)
    node = None
    if _recording(input):
        node = DiagonalBackward0(input)
        node.shape, node.offset, node.dim1, node.dim2 = x.shape, offset, d1, d2
    return _as_view(input, _diagonal_array(x, offset, d1, d2), node,
                    lambda t: diagonal(t, offset, d1, d2))


class DiagEmbedBackward0(Node):
    def apply(self, grad):
        return (diagonal(grad, self.offset, self.dim1, self.dim2),)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) planes have `input`'s last dim on their diagonal."""
    x = input._data
    ndim = x.ndim + 1
    offset, d1, d2 = _diagonal_dims(ndim, offset, dim1, dim2)
    n = (x.shape[-1] if x.ndim else 1) + abs(offset)
    rest = list(x.shape[:-1])
    shape = []
    for i in range(ndim):
        shape.append(n if i in (d1, d2) else rest.pop(0))
    array = _backend.xp(x).zeros(shape, x.dtype)
    _diagonal_array(array, offset, d1, d2)[...] = x
    result = Tensor._make(array)
    if _recording(input):
        node = DiagEmbedBackward0(input)
        node.offset, node.dim1, node.dim2 = offset, d1, d2
        _attach(result, node)
    return result


def diag(input, diagonal=0, *, out=None):
    """A 1-d tensor as a diagonal matrix, or a matrix's diagonal as a 1-d tensor (a copy)."""
    x = input._data
    if x.ndim == 1:
        return _out(diag_embed(input, diagonal, 0, 1), out)
    if x.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    offset = int(diagonal)
    result = Tensor._make(np.diagonal(x, offset).copy())
    if _recording(input):
        node = DiagonalBackward0_copy(input)
        node.shape, node.offset, node.dim1, node.dim2 = x.shape, offset, 0, 1
        _attach(result, node)
    return _out(result, out)


def diagflat(input, offset=0):
    """The flattened input on the `offset`-th diagonal of a square matrix."""
    return diag_embed(input.ravel(), offset, 0, 1)


def fill_diagonal_(input, fill_value, wrap=False):
    """Write `fill_value` on the main diagonal (of a tensor whose dims are all equal, or of a
    matrix); `wrap`: a tall matrix's diagonal starts again after every `cols + 1` rows."""
    x = input._data
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    rows, cols = x.shape[0], x.shape[1]
    if x.ndim == 2 and wrap and rows > cols + 1:
        blocks = range(0, rows, cols + 1)           # each block of rows holds one diagonal
    else:
        blocks = (0,)
    for start in blocks:
        part = input[start:start + cols] if len(blocks) > 1 else input
        for _ in range(x.ndim - 1):                 # the diagonal over all dims, as a view
            part = diagonal(part, 0, 0, -1)
        part.fill_(fill_value)
    return input


class DiagonalScatterBackward0(_ScatterBackward):
    """`diagonal_scatter`."""


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of `input` with `src` written on its diagonal."""
    offset, d1, d2 = _diagonal_dims(input._data.ndim, offset, dim1, dim2)
    return _scatter_into(input, src, lambda t: diagonal(t, offset, d1, d2),
                         DiagonalScatterBackward0)


class TraceBackward0(Node):
    def apply(self, grad):                  # zeros with the gradient along the diagonal
        return (_diagonal_backward(grad.expand(min(self.shape)), self.shape, 0, 0, 1),)


def trace(input):
    """The sum of a matrix's diagonal (integer matrices give int64, as sums do)."""
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    dt = input.dtype
    if dt is _dtype.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    d = np.diagonal(x)
    if dt.category == _dtype.INT:
        value = as_array(d.astype(np.int64).sum()).copy()
    else:
        # in order, in PyTorch's accumulate type (double for float and double, float for half)
        acc = np.complex128 if dt.category == _dtype.COMPLEX else (
            np.float32 if dt is _dtype.float16 else np.float64)
        value = np.cumsum(d, dtype=acc)[-1] if d.size else acc(0)
        value = as_array(value).astype(dt.np)
    result = Tensor._make(value)
    if _recording(input):
        node = TraceBackward0(input)
        node.shape = x.shape
        _attach(result, node)
    return result


# -- einsum / tensordot / kron (PyTorch's own algorithms, on ember ops) --------------------------


_ELLIPSIS = 52


def _label_to_subscript(c):
    return ord(c) - ord("A") if c.isupper() else ord(c) - ord("a") + 26


def _subscript_to_label(s):
    return chr(s + ord("A")) if s < 26 else chr(s - 26 + ord("a"))


def _is_label(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _movedim_last_to(t, position):
    n = t._data.ndim
    order = list(range(n - 1))
    order.insert(position, n - 1)
    return t.permute(order)


def _sumproduct_pair(left, right, sum_dims, keepdim):
    """`(left * right).sum(sum_dims)` by permuting both into a batched matrix product (PyTorch's
    sumproduct_pair, which einsum contracts with)."""
    if left._data.ndim != right._data.ndim:
        raise RuntimeError("number of dimensions must match")
    if not sum_dims:
        return left * right
    dim = left._data.ndim
    summed = set(sum_dims)
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(dim):
        sl, sr = left._data.shape[i] != 1, right._data.shape[i] != 1
        if i in summed:
            if sl and sr:
                if left._data.shape[i] != right._data.shape[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left._data.shape[i]
            elif sl:
                left = left.sum(i, keepdim=True)
            elif sr:
                right = right.sum(i, keepdim=True)
        elif sl and sr:
            if left._data.shape[i] != right._data.shape[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_size *= left._data.shape[i]
        elif sl:
            lo.append(i)
            lo_size *= left._data.shape[i]
        else:
            ro.append(i)
            ro_size *= right._data.shape[i]
    if lo and ro and ro[-1] < lo[0]:     # bmm then gives the output's order directly
        left, right, lo, ro, lo_size, ro_size = right, left, ro, lo, ro_size, lo_size
    out_size = ([left._data.shape[d] for d in lro] + [left._data.shape[d] for d in lo]
                + [1] * len(sum_dims) + [right._data.shape[d] for d in ro])
    lperm = lro + lo + list(sum_dims) + ro
    rperm = lro + list(sum_dims) + ro + lo
    operm = [-1] * len(out_size)
    for i, d in enumerate(lro + lo + list(sum_dims) + ro):
        operm[d] = i
    left = left.permute(lperm).reshape(lro_size, lo_size, sum_size)
    right = right.permute(rperm).reshape(lro_size, sum_size, ro_size)
    result = bmm(left, right).view(out_size).permute(operm)
    if not keepdim:
        sizes = [s for i, s in enumerate(result._data.shape) if i not in summed]
        result = result.view(sizes)
    return result


def einsum(*args):
    """Einstein summation, e.g. `einsum('ij,jk->ik', a, b)`, computed as PyTorch computes it
    (diagonals, permutes and batched matrix products, operands contracted left to right), so
    the result, its graph and its gradients are PyTorch's. The sublist form
    `einsum(a, [0, 1], b, [1, 2])` is accepted too."""
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        def parse(n):
            if n is Ellipsis:
                return "..."
            if 0 <= n < 26:
                return chr(ord("A") + n)
            if 26 <= n < 52:
                return chr(ord("a") + n - 26)
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
        equation = ",".join("".join(parse(s) for s in sub) for sub in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(parse(s) for s in args[-1])
            operands = list(args[:-1:2])
        else:
            operands = list(args[::2])
    else:
        equation, operands = args[0], list(args[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    return _einsum(equation, operands)


def _einsum(equation, operands):
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    num_ops = len(operands)
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = [[] for _ in range(num_ops)]
    ell_in_input, curr, i = False, 0, 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if ell_in_input:
                raise RuntimeError(f"einsum(): found '.' for operand {curr} for which an ellipsis "
                                   "was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {curr} that is not part of "
                                   "any ellipsis")
            i += 2
            op_labels[curr].append(_ELLIPSIS)
            ell_in_input = True
        elif c == ",":
            curr += 1
            if curr >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                                   "equation")
            ell_in_input = False
        else:
            if not _is_label(c):
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            op_labels[curr].append(_label_to_subscript(c))
        i += 1
    if curr != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")

    label_count = [0] * 52
    ell_num_dim = 0
    for i, operand in enumerate(operands):
        labels = op_labels[i]
        ndims = operand._data.ndim
        nlabels = len(labels)
        has_ellipsis = False
        for label in labels:
            if label == _ELLIPSIS:
                nlabels -= 1
                has_ellipsis = True
                ell_num_dim = max(ell_num_dim, ndims - nlabels)
            else:
                label_count[label] += 1
        if not (nlabels <= ndims if has_ellipsis else nlabels == ndims):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nlabels}"
                + (") is more than the number of dimensions (" if has_ellipsis
                   else ") does not match the number of dimensions (")
                + f"{ndims}) for operand {i}" + ("" if has_ellipsis else
                                                 " and no ellipsis was given"))

    label_perm_index = [-1] * 52
    perm_index = ell_index = 0
    ell_in_output = False
    if arrow < 0:
        perm_index = ell_num_dim
        ell_in_output = True
        for label in range(52):
            if label_count[label] == 1:
                label_perm_index[label] = perm_index
                perm_index += 1
    else:
        rhs = equation[arrow + 2:]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                       "already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                       "ellipsis (...)")
                i += 2
                ell_index = perm_index
                perm_index += ell_num_dim
                ell_in_output = True
            else:
                if not _is_label(c):
                    raise RuntimeError(f"einsum(): invalid subscript given at index "
                                       f"{len(lhs) + 2 + i} in the equation string, subscripts "
                                       "must be in [a-zA-Z]")
                index = _label_to_subscript(c)
                if not (label_count[index] > 0 and label_perm_index[index] == -1):
                    raise RuntimeError(f"einsum(): output subscript {c}" + (
                        " appears more than once in the output" if label_perm_index[index] > -1
                        else " does not appear in the equation for any input operand"))
                label_perm_index[index] = perm_index
                perm_index += 1
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index = perm_index
        perm_index += ell_num_dim
    for label in range(52):
        if label_count[label] > 0 and label_perm_index[label] == -1:
            label_perm_index[label] = perm_index
            perm_index += 1

    label_size = [1] * 52
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * perm_index
    ops = []
    for i, operand in enumerate(operands):
        op = operand
        permutation = [-1] * perm_index
        dim = 0
        for s in op_labels[i]:
            if s == _ELLIPSIS:
                ndim = operand._data.ndim - (len(op_labels[i]) - 1)
                for j in range(ell_num_dim - ndim, ell_num_dim):
                    size = op._data.shape[dim]
                    if size != 1:
                        if not (ell_sizes[j] == 1 or ell_sizes[j] == size):
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}"
                                f"has size {size} which does not broadcast with previously seen "
                                f"ellipsis with size {ell_sizes[j]} for the respective dimension")
                        ell_sizes[j] = size
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j] = dim
                    dim += 1
            elif permutation[label_perm_index[s]] == -1:
                size = op._data.shape[dim]
                if size != 1:
                    if not (label_size[s] == 1 or label_size[s] == size):
                        raise RuntimeError(
                            f"einsum(): subscript {_subscript_to_label(s)} has size {size} for "
                            f"operand {i} which does not broadcast with previously seen size "
                            f"{label_size[s]}")
                    label_size[s] = size
                    dim_counts[label_perm_index[s]] += 1
                permutation[label_perm_index[s]] = dim
                dim += 1
            else:
                prev_dim = permutation[label_perm_index[s]]
                if op._data.shape[dim] != op._data.shape[prev_dim]:
                    raise RuntimeError(
                        f"einsum(): subscript {_subscript_to_label(s)} is repeated for operand "
                        f"{i} but the sizes don't match, {op._data.shape[dim]} != "
                        f"{op._data.shape[prev_dim]}")
                op = _movedim_last_to(diagonal(op, 0, prev_dim, dim), prev_dim)
        for k, val in enumerate(permutation):
            if val == -1:
                op = op.unsqueeze(dim)
                permutation[k] = dim
                dim += 1
        ops.append(op.permute(permutation))

    while len(ops) > 1:
        a, b = ops.pop(0), ops.pop(0)
        sum_dims, a_dims, b_dims = [], [], []
        for dim in range(out_num_dim, perm_index):
            sa, sb = a._data.shape[dim] != 1, b._data.shape[dim] != 1
            if sa and sb:
                if a._data.shape[dim] != b._data.shape[dim]:
                    raise RuntimeError("non-broadcast dimensions must match")
                dim_counts[dim] -= 1
                if dim_counts[dim] == 1:
                    sum_dims.append(dim)
                    dim_counts[dim] = 0
            elif dim_counts[dim] == 1:
                if sa:
                    a_dims.append(dim)
                    dim_counts[dim] = 0
                elif sb:
                    b_dims.append(dim)
                    dim_counts[dim] = 0
        if a_dims:
            a = a.sum(tuple(a_dims), keepdim=True)
        if b_dims:
            b = b.sum(tuple(b_dims), keepdim=True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims, True))

    if perm_index - out_num_dim > 0:
        if num_ops > 1:
            sizes = list(ops[0]._data.shape)
            del sizes[out_num_dim:perm_index]
            return ops[0].view(sizes)
        return ops[0].sum(tuple(range(out_num_dim, perm_index)))
    return ops[0]


def tensordot(a, b, dims=2, out=None):
    """Contract `dims` (a count, or two lists of dims) of `a` with those of `b`, as PyTorch
    does: permute both into matrices and multiply them (a dot for a full contraction)."""
    if not isinstance(dims, (tuple, list, Tensor, int)):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if isinstance(dims, Tensor):
        if dims.numel() > 1:
            dims_a, dims_b = dims[0].tolist(), dims[1].tolist()
        else:
            dims = int(dims.item())
            if dims < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
            dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = dims
        for value, name, position in ((dims_a, "dims_self", 3), (dims_b, "dims_other", 4)):
            if not isinstance(value, (list, tuple, Tensor)):
                raise TypeError(f"tensordot(): argument '{name}' (position {position}) must be "
                                f"tuple of ints, not {type(value).__name__}")
        dims_a = dims_a.tolist() if isinstance(dims_a, Tensor) else list(dims_a)
        dims_b = dims_b.tolist() if isinstance(dims_b, Tensor) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    t1, t2, csize = a, b, 1
    for da, db in zip(dims_a, dims_b):
        s1 = a._data.shape[_wrap_dim(da, a._data.ndim)]
        s2 = b._data.shape[_wrap_dim(db, b._data.ndim)]
        if s2 == 1:
            t1 = t1.sum(da, keepdim=True, dtype=t1.dtype)
        elif s1 == 1:
            t2 = t2.sum(db, keepdim=True, dtype=t2.dtype)
        else:
            if s1 != s2:
                raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} "
                                   f"in dim {da} and second has size {s2} in dim {db}")
            csize *= s1
    cdims1 = _dim_set(dims_a, a._data.ndim)
    cdims2 = _dim_set(dims_b, b._data.ndim)
    p1, p2, rsizes, size1, size2 = [], [], [], 1, 1
    for i in range(a._data.ndim):
        if i not in cdims1:
            p1.append(i)
            size1 *= t1._data.shape[i]
            rsizes.append(t1._data.shape[i])
    p1 += dims_a
    p2 += dims_b
    for i in range(b._data.ndim):
        if i not in cdims2:
            p2.append(i)
            size2 *= t2._data.shape[i]
            rsizes.append(t2._data.shape[i])
    if size1 != 1 or size2 != 1:
        t1 = t1.permute(p1).reshape(size1, csize)
        t2 = t2.permute(p2).reshape(csize, size2)
        result = mm(t1, t2).reshape(rsizes)
    else:
        t1, t2 = t1.permute(p1), t2.permute(p2)
        if t1.is_contiguous() and t2.is_contiguous():
            result = dot(t1.flatten(), t2.flatten()).reshape(rsizes)
        else:
            result = (t1.squeeze() * t2.squeeze()).sum(dtype=t1.dtype).reshape(rsizes)
    return _out(result, out)


def _dim_set(dims, ndim):
    seen = set()
    for d in dims:
        w = _wrap_dim(d, ndim)
        if w in seen:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        seen.add(w)
    return seen


def kron(input, other, *, out=None):
    """The Kronecker product, built as PyTorch builds it: both operands viewed with their
    dims interleaved with ones, multiplied, and viewed back."""
    maxdim = max(input._data.ndim, other._data.ndim)
    pad_a, pad_b = maxdim - input._data.ndim, maxdim - other._data.ndim
    a_shape, b_shape, r_shape = [], [], []
    for i in range(maxdim):
        sa = input._data.shape[i - pad_a] if i >= pad_a else 1
        sb = other._data.shape[i - pad_b] if i >= pad_b else 1
        a_shape += [sa, 1]
        b_shape += [1, sb]
        r_shape.append(sa * sb)
    product = _unsafe_view(input, tuple(a_shape)) * _unsafe_view(other, tuple(b_shape))
    return _out(_unsafe_view(product, tuple(r_shape)), out)


# -- cross product ---------------------------------------------------------------------------------


class LinalgCrossBackward0(Node):
    def apply(self, grad):
        a, b = self.saved
        return (_sum_to(linalg_cross(b, grad, dim=self.dim), self.shapes[0])
                if self.needs_grad(0) else None,
                _sum_to(linalg_cross(grad, a, dim=self.dim), self.shapes[1])
                if self.needs_grad(1) else None)


def linalg_cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along `dim` (`ember.linalg.cross`), broadcasting."""
    x, y = input._data, other._data
    if x.ndim != y.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found "
                           f"{_scalar_name(other)}")
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise broadcast_error(x.shape, y.shape) from None
    d = _wrap_dim(dim, len(shape))
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{x.shape[d]} and {y.shape[d]}")
    xa, ya = np.moveaxis(x, d, -1), np.moveaxis(y, d, -1)
    # PyTorch's kernel computes `x1 * y2 - x2 * y1` with the first product fused (an fma)
    from .._fma import fma32, fma64
    fused = {np.dtype(np.float64): fma64, np.dtype(np.float32): fma32}.get(x.dtype)
    with np.errstate(all="ignore"):
        parts = []
        for i, j in ((1, 2), (2, 0), (0, 1)):
            first, second = (xa[..., i], ya[..., j]), xa[..., j] * ya[..., i]
            parts.append(fused(first[0], first[1], -second) if fused is not None
                         else first[0] * first[1] - second)
    result = Tensor._make(contiguous(np.moveaxis(np.stack(parts, -1), -1, d))
                          .astype(x.dtype, copy=False))
    if _recording(input, other):
        node = LinalgCrossBackward0(input, other)
        node.save_for_backward(input, other)
        node.dim, node.shapes = d, (x.shape, y.shape)
        _attach(result, node)
    return _out(result, out)


def cross(input, other, dim=None, *, out=None):
    """`torch.cross`: like `linalg.cross`, but without `dim` it uses the first dim of size 3
    (with PyTorch's deprecation warning)."""
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        sizes = input._data.shape
        for i, s in enumerate(sizes):
            if s == 3:
                dim = i
                break
        else:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim, out=out)


# -- det / inv / solve / slogdet -------------------------------------------------------------------


class _LinAlgError(RuntimeError):
    """Raised by the ember.linalg functions for singular input (torch.linalg.LinAlgError)."""


_LinAlgError.__name__ = "_LinAlgError"
LinAlgError = _LinAlgError


def _check_square(A, name, need_float=True):
    x = A._data
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")
    if need_float and x.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(A)}")
    if x.dtype == np.float16:
        raise NotImplementedError("\"lu_cpu\" not implemented for 'Half'")


def _lu_zero_pivot(matrix):
    """The 1-based index of the first zero pivot LAPACK's getrf meets (partial pivoting)."""
    a = np.array(matrix, dtype=np.float64 if matrix.dtype.kind == "f" else np.complex128)
    n = a.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            return k + 1
        a[[k, p]] = a[[p, k]]
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return n


def _singular_inv_error(x):
    # host round trip: only to word the error (the pivot search is a Python loop)
    x = _backend.of(x).to_host(x)
    batch = x.reshape((-1,) + x.shape[-2:])
    for b, m in enumerate(batch):
        try:
            with np.errstate(all="ignore"):
                np.linalg.inv(m)
        except np.linalg.LinAlgError:
            where = f"(Batch element {b}): " if x.ndim > 2 else ""
            return _LinAlgError(f"linalg.inv: {where}The diagonal element {_lu_zero_pivot(m)} is "
                                "zero, the inversion could not be completed because the input "
                                "matrix is singular.")
    return _LinAlgError("linalg.inv: the input matrix is singular.")


class LinalgInvExBackward0(Node):
    def apply(self, grad):
        inverse, = self.saved
        inverse_h = inverse.mT
        return (-matmul(matmul(inverse_h, grad), inverse_h),)


def linalg_inv(A, *, out=None):
    """The inverse of a square matrix (or a batch of them)."""
    _check_square(A, "linalg.inv")
    x = A._data
    try:
        with np.errstate(all="ignore"), _backend.linalg_errors(x):
            value = np.linalg.inv(x) if x.size else x.copy()
    except np.linalg.LinAlgError:
        raise _singular_inv_error(x) from None
    result = Tensor._make(as_array(value).astype(x.dtype, copy=False))
    if _recording(A):
        node = LinalgInvExBackward0(A)
        _attach(result, node)
        node.save_output(result)
    return _out(result, out)


def inverse(input, *, out=None):
    """`torch.inverse`: `linalg.inv`."""
    return linalg_inv(input, out=out)


class LinalgDetBackward0(Node):
    def apply(self, grad):
        A, det = self.saved
        scale = (grad * det).unsqueeze(-1).unsqueeze(-1)
        return (scale * linalg_inv(A).mT,)


def _lu_det_sign_of_zero(matrix):
    """The determinant of a singular matrix as LAPACK's LU gives it: the product of U's
    diagonal times the permutation's sign, a zero whose sign PyTorch keeps."""
    a = np.array(matrix, dtype=matrix.dtype)
    n = a.shape[0]
    det = matrix.dtype.type(1)
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if p != k:
            a[[k, p]] = a[[p, k]]
            det = -det
        det = det * a[k, k]
        if a[k, k] != 0:
            a[k + 1:, k] /= a[k, k]
            a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return det


def _signed_zeros(value, x):
    """Give the zero determinants (singular matrices) the sign of zero PyTorch computes."""
    value = as_array(value).copy()
    if x.dtype.kind == "f" and np.any(value == 0):
        # host round trip: the sign comes from a Python LU loop (only for singular matrices)
        b = _backend.of(x)
        host = b.to_host(value)
        flat, mats = host.reshape(-1), b.to_host(x).reshape((-1,) + x.shape[-2:])
        for i in np.flatnonzero(flat == 0):
            flat[i] = np.copysign(0.0, _lu_det_sign_of_zero(mats[i]))
        value = b.from_host(host, b.device_index(x))
    return value


def linalg_det(A, *, out=None):
    """The determinant of a square matrix (or a batch of them), via an LU factorisation."""
    _check_square(A, "linalg.det")
    x = A._data
    with np.errstate(all="ignore"):
        value = _signed_zeros(np.linalg.det(x), x) if x.shape[-1] else \
            _backend.xp(x).ones(x.shape[:-2], x.dtype)
    result = Tensor._make(as_array(value).astype(x.dtype, copy=False))
    if _recording(A):
        node = LinalgDetBackward0(A)
        node.save_for_backward(A)
        _attach(result, node)
        node.save_output(result)
    return _out(result, out)


def det(input):
    """`torch.det`: `linalg.det`."""
    return linalg_det(input)


class LinalgSlogdetBackward0(Node):
    def apply(self, grads):
        A, = self.saved
        g = grads[1]
        if g is None:
            return (None,)
        return (g.unsqueeze(-1).unsqueeze(-1) * linalg_inv(A).mT,)


_Slogdet = _namedtuple("linalg_slogdet", ["sign", "logabsdet"])


def linalg_slogdet(A, *, out=None):
    """(sign, log|det|) of a square matrix: `det = sign * exp(logabsdet)`."""
    _check_square(A, "linalg.slogdet")
    x = A._data
    with np.errstate(all="ignore"):
        sign, logabs = np.linalg.slogdet(x)
        sign = _signed_zeros(sign, x)
    sign_t = Tensor._make(as_array(sign).astype(x.dtype, copy=False))
    log_t = Tensor._make(as_array(logabs).astype(x.real.dtype, copy=False))
    if _recording(A):
        node = LinalgSlogdetBackward0(A)
        node.save_for_backward(A)
        node.num_outputs = 2
        for i, t in enumerate((sign_t, log_t)):
            t._requires_grad, t._grad_fn, t._output_nr = True, node, i
    return _Slogdet(sign_t, log_t)


def slogdet(input):
    return linalg_slogdet(input)


def logdet(input):
    """log(det(input)): nan for a negative determinant, -inf for a singular matrix."""
    sign, logabs = linalg_slogdet(input)
    return _pw.where(sign == -1, float("nan"), logabs)


class LinalgSolveExBackward0(Node):
    def apply(self, grad):
        A, X = self.saved
        left, vector = self.left, self.vector
        # gB = A^{-H} grad; gA = -gB X^H (left), transposed for XA = B
        if left:
            gB = linalg_solve(A.mT, grad, left=True)
        else:
            gB = linalg_solve(A.mT, grad, left=False)
        gA = None
        if self.needs_grad(0):
            if left:
                gA = -(gB.unsqueeze(-1) * X.unsqueeze(-2) if vector else matmul(gB, X.mT))
            else:
                gA = -(X.unsqueeze(-1) * gB.unsqueeze(-2) if vector else matmul(X.mT, gB))
            gA = _sum_to(gA, self.shapes[0])
        return (gA, _sum_to(gB, self.shapes[1]) if self.needs_grad(1) else None)


def linalg_solve(A, B, *, left=True, out=None):
    """The solution X of `A X = B` (or `X A = B` with `left=False`), batched and broadcast; B
    may be a vector (or a batch of vectors)."""
    a, b = A._data, B._data
    for t in (A, B):
        if t._data.dtype.kind not in "fc":
            raise RuntimeError("linalg.solve: Expected a floating point or complex tensor as "
                               f"input. Got {_scalar_name(t)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {_scalar_name(A)} and B of type {_scalar_name(B)} instead")
    _check_square(A, "linalg.solve")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    n = a.shape[-1]
    b_mat = b[..., None] if vector else b
    if left:
        ok = b_mat.ndim >= 2 and b_mat.shape[-2] == n
    else:
        ok = b_mat.ndim >= 2 and b_mat.shape[-1] == n
    if not ok:
        rows, cols = (b_mat.shape[-2], b_mat.shape[-1]) if b_mat.ndim >= 2 else (b.shape[0], 1)
        if vector:
            rows, cols = b.shape[-1], 1
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b_mat.shape[:-2])
    except ValueError:
        raise broadcast_error(a.shape[:-2], b_mat.shape[:-2]) from None
    a_full = np.broadcast_to(a, batch + a.shape[-2:])
    b_full = np.broadcast_to(b_mat, batch + b_mat.shape[-2:])
    try:
        with np.errstate(all="ignore"), _backend.linalg_errors(a):
            if left:
                value = np.linalg.solve(a_full, b_full) if a_full.size and b_full.size else \
                    _backend.xp(a).zeros(batch + b_mat.shape[-2:], a.dtype)
            else:
                value = np.swapaxes(np.linalg.solve(np.swapaxes(a_full, -1, -2),
                                                    np.swapaxes(b_full, -1, -2)), -1, -2)
    except np.linalg.LinAlgError:
        raise _LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                           "singular.") from None
    if vector:
        value = value[..., 0]
    result = Tensor._make(contiguous(value).astype(a.dtype, copy=False))
    if _recording(A, B):
        node = LinalgSolveExBackward0(A, B)
        node.save_for_backward(A)
        node.left, node.vector, node.shapes = left, vector, (a.shape, b.shape)
        _attach(result, node)
        node.save_output(result)
    return _out(result, out)


# -- norms ---------------------------------------------------------------------------------------


def _norm_dims(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(_dim_set(dims, ndim))) if dims else tuple(range(ndim))


def _norm_dtype(input, dtype, name):
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(input)}")
    if dtype is None:
        return None
    dt = _dtype.to_dtype(dtype)
    if dt.category < _dtype.FLOAT:
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got "
                           f"{dt.scalar_name}")
    if dt.category != input.dtype.category or dt.itemsize < input.dtype.itemsize:
        raise RuntimeError(f"{name}: the dtype of the input ({_scalar_name(input)}) should be "
                           f"convertible without narrowing to the specified dtype "
                           f"({dt.scalar_name})")
    return dt


class LinalgVectorNormBackward0(Node):
    """PyTorch's norm_backward, operation for operation (so even the signs of zeros agree)."""

    def apply(self, grad):
        x, norm = self.saved
        if self.dtype is not None:              # computed in `dtype`: so is the gradient
            source_dtype, x = x.dtype, x.to(self.dtype)
            grads = self._apply(grad, x, norm)
            return tuple(g if g is None else g.to(source_dtype) for g in grads)
        return self._apply(grad, x, norm)

    def _apply(self, grad, x, norm):
        return (norm_backward(grad, x, self.ord, norm, self.dims, self.keepdim),)


def norm_backward(grad, x, p, norm, dims, keepdim):
    """d ||x||_p / dx times `grad`: PyTorch's norm_backward, operation for operation (so even
    the signs of zeros agree); None for p = 0 (a count has no gradient). Also `dist`'s."""
    if not keepdim and x._data.ndim:
        for d in dims:                              # ascending: re-insert the reduced dims
            grad = grad.unsqueeze(d)
            norm = norm.unsqueeze(d)
    if p == 0:
        return None
    if p == 1:
        return x.sign() * grad
    if p == 2:
        return grad * _pw.where(norm == 0, 0.0, x / norm)
    if _math.isinf(p):
        magnitude = x.abs()
        mask = (magnitude == norm) | (magnitude != magnitude)
        return x.sign() * ((grad / mask.sum(dims, keepdim=True)) * mask)
    if p < 1:
        scaled = x.sign() * _pw.where(x == 0, 0.0, x.abs() ** (p - 1))
        return scaled * grad * norm ** (1 - p)
    if p < 2:
        scaled = x.sign() * x.abs() ** (p - 1)
    else:
        scaled = x * x.abs() ** (p - 2)
    return scaled * _pw.where(norm == 0, 0.0, grad / norm ** (p - 1))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The vector p-norm over `dim` (all dims by default): (sum |x|^ord)^(1/ord), with ord in
    {inf, -inf, 0} meaning max |x|, min |x| and the count of nonzeros."""
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    dt = _norm_dtype(x, dtype, "linalg.vector_norm")
    data = x._data if dt is None else x._data.astype(dt.np)
    dims = _norm_dims(dim, data.ndim)
    p = float(ord)
    if _math.isinf(p):                          # max/min of nothing: PyTorch's two errors
        name = "inf" if p > 0 else "-inf"
        if data.size == 0 and (dim is None or (isinstance(dim, (tuple, list)) and not dim)):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty "
                               "tensor because the operation does not have an identity")
        for raw in ([dim] if isinstance(dim, int) else list(dim or ())) if data.ndim else ():
            if data.shape[_wrap_dim(raw, data.ndim)] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                                   f"dimension {raw}because this dimension is empty and the "
                                   "operation does not have an identity")
    axis = dims if data.ndim else None
    magnitude = np.abs(data)
    acc = np.float64 if magnitude.dtype != np.float64 else np.float64
    with np.errstate(all="ignore"):
        if p == 2:
            value = np.sqrt(np.sum(np.square(magnitude, dtype=acc), axis=axis, keepdims=keepdim))
        elif p == 1:
            value = np.sum(magnitude, axis=axis, dtype=acc, keepdims=keepdim)
        elif p == 0:
            value = np.sum(magnitude != 0, axis=axis, dtype=acc, keepdims=keepdim)
        elif p == _math.inf:
            value = np.max(magnitude, axis=axis, keepdims=keepdim)
        elif p == -_math.inf:
            value = np.min(magnitude, axis=axis, keepdims=keepdim)
        else:
            value = np.sum(magnitude.astype(acc) ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)
    real = (dt or x.dtype).to_real()
    result = Tensor._make(as_array(value).astype(real.np))
    if _recording(x):
        node = LinalgVectorNormBackward0(x)
        node.save_for_backward(x)
        node.ord, node.dims, node.keepdim, node.dtype = p, dims, keepdim, dt
        _attach(result, node)
        node.save_output(result)
    return _out(result, out)


def _check_matrix_dims(A, dim, name):
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {list(dims)}")
    d0, d1 = _wrap_dim(dims[0], A._data.ndim), _wrap_dim(dims[1], A._data.ndim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dims[0]}, {dims[1]})")
    return [d0, d1]


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """The Frobenius ('fro'), nuclear ('nuc'), spectral (2, -2), max-column-sum (1, -1) or
    max-row-sum (inf, -inf) norm of the matrices in `dim`, built from the ops PyTorch builds it
    from (vector_norm, amax/amin, svdvals)."""
    dims = _check_matrix_dims(A, dim, "linalg.matrix_norm")
    if isinstance(ord, str):
        if ord == "fro":
            _norm_dtype(A, dtype, "linalg.matrix_norm")
            return _out(vector_norm(A, 2, dims, keepdim, dtype=dtype), out)
        if ord == "nuc":
            _norm_dtype(A, dtype, "linalg.matrix_norm")
            return _out(_svd_norm(A, dims, keepdim, dtype, lambda s: s.sum(-1)), out)
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    p = float(ord)
    if abs(p) not in (1.0, 2.0, _math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    _norm_dtype(A, dtype, "linalg.matrix_norm")
    if abs(p) == 2.0:
        return _out(_svd_norm(A, dims, keepdim, dtype,
                              lambda s: s.amax(-1) if p > 0 else s.amin(-1)), out)
    if _math.isinf(p):
        dims = [dims[1], dims[0]]
    if not keepdim and dims[0] < dims[1]:
        dims[1] -= 1
    summed = vector_norm(A, 1.0, dims[0], keepdim, dtype=dtype)
    return _out(summed.amax(dims[1], keepdim) if p > 0 else summed.amin(dims[1], keepdim), out)


def _svd_norm(A, dims, keepdim, dtype, reduce):
    nd = A._data.ndim
    permutation = [d for d in range(nd) if d not in dims] + list(dims)
    source = A if dtype is None else A.to(dtype)
    result = reduce(svdvals(source.permute(permutation)))
    if keepdim:
        reverse = [0] * nd
        for i, d in enumerate(permutation):
            reverse[d] = i
        result = result.unsqueeze(-1).unsqueeze(-1).permute(reverse)
    return result


class LinalgSvdBackward0(Node):
    """The SVD's node (three outputs U, S, Vh): PyTorch's svd_backward, written with ember ops
    on the node's own outputs, so that it can be differentiated again."""

    num_outputs = 3

    def _outputs(self):
        outs = []
        for i, array in enumerate(self.results):
            t = Tensor._make(array, True, self)
            t._output_nr = i
            outs.append(t)
        return outs

    def apply(self, grads):
        gU, gS, gVh = grads
        U, S, Vh = self._outputs()
        m, n, k = U._data.shape[-2], Vh._data.shape[-1], S._data.shape[-1]
        if gU is None and gVh is None:
            if gS is None:
                return (None,)
            return (matmul(U, gS.unsqueeze(-1) * Vh) if m >= n else
                    matmul(U * gS.unsqueeze(-2), Vh),)
        if self.full_matrices:
            # only the first k singular vectors are determined by A (PyTorch narrows them too)
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = gU[..., :k] if gU is not None else None
            gVh = gVh[..., :k, :] if gVh is not None else None
            m, n = U._data.shape[-2], Vh._data.shape[-1]
        from .._creation import eye
        UhgU = VhgV = None
        if gU is not None:
            UhgU = matmul(U.mT, gU)
            UhgU = UhgU - UhgU.mT
        if gVh is not None:
            VhgV = matmul(Vh, gVh.mT)
            VhgV = VhgV - VhgV.mT
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + eye(k, dtype=S.dtype, device=S.device)
        if UhgU is not None and VhgV is not None:
            gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
        elif UhgU is not None:
            gA = UhgU * (S.unsqueeze(-2) / E)
        else:
            gA = S.unsqueeze(-1) * (VhgV / E)
        if gS is not None:
            gA = gA + diag_embed(gS)
        if m > k and gU is not None:
            gA = matmul(U, gA)
            gUSinv = gU / S.unsqueeze(-2)
            gA = gA + gUSinv - matmul(U, matmul(U.mT, gUSinv))
            gA = matmul(gA, Vh)
        elif n > k and gVh is not None:
            gA = matmul(gA, Vh)
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = gA + SinvgVh - matmul(matmul(SinvgVh, Vh.mT), Vh)
            gA = matmul(U, gA)
        else:
            gA = matmul(U, matmul(gA, Vh)) if m >= n else matmul(matmul(U, gA), Vh)
        return (gA,)


_Svd = _namedtuple("linalg_svd", ["U", "S", "Vh"])


def _check_svd_input(A):
    x = A._data
    if x.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if x.dtype.kind not in "fc":
        raise RuntimeError("linalg.svd: Expected a floating point or complex tensor as input. "
                           f"Got {_scalar_name(A)}")
    if x.dtype == np.float16:
        raise NotImplementedError("\"linalg_svd_cpu\" not implemented for 'Half'")
    return x


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """The singular value decomposition A = U diag(S) Vh (differentiable, as in PyTorch, for
    full_matrices=False or square matrices)."""
    x = _check_svd_input(A)
    real = x.real.dtype
    if x.size:
        u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    else:
        m, n = x.shape[-2:]
        k = min(m, n)
        xp = _backend.xp(x)
        u = xp.zeros(x.shape[:-2] + (m, m if full_matrices else k), x.dtype)
        s = xp.zeros(x.shape[:-2] + (k,), real)
        vh = xp.zeros(x.shape[:-2] + (n if full_matrices else k, n), x.dtype)
    arrays = (contiguous(u).astype(x.dtype, copy=False),
              contiguous(s).astype(real, copy=False),
              contiguous(vh).astype(x.dtype, copy=False))
    outs = [Tensor._make(a) for a in arrays]
    if _recording(A):
        node = LinalgSvdBackward0(A)
        node.results, node.full_matrices = arrays, full_matrices
        for i, t in enumerate(outs):
            t._requires_grad, t._grad_fn, t._output_nr = True, node, i
    return _Svd(*outs)


def svd(input, some=True, compute_uv=True):
    """The legacy `torch.svd`: `(U, S, V)` with `input = U diag(S) V^T` (V, not Vh; reduced
    unless `some=False`; without `compute_uv`, U and V are zeros)."""
    from .reduction import return_types
    if input._data.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input._data.ndim} dimensions instead")
    if compute_uv:
        u, s, vh = linalg_svd(input, full_matrices=not some)
        return return_types.svd((u, s, vh.mH))
    x = input._data
    m, n = x.shape[-2:]
    xp = _backend.xp(x)
    return return_types.svd((Tensor._make(xp.zeros(x.shape[:-2] + (m, m), x.dtype)),
                             svdvals(input),
                             Tensor._make(xp.zeros(x.shape[:-2] + (n, n), x.dtype))))


def svdvals(A, *, driver=None, out=None):
    """The singular values of the matrices in A's last two dims, in descending order (their
    gradient is PyTorch's, through the SVD node, differentiable again)."""
    x = _check_svd_input(A)
    if _recording(A):
        return _out(linalg_svd(A, full_matrices=False).S, out)
    k = min(x.shape[-2:])
    value = np.linalg.svd(x, compute_uv=False) if x.size else \
        _backend.xp(x).zeros(x.shape[:-2] + (k,))
    return _out(Tensor._make(as_array(value).astype(x.real.dtype, copy=False)), out)


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """`ember.linalg.norm`: a vector norm, or a matrix norm when `ord` is given for a matrix
    (2-d input or a 2-tuple `dim`)."""
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(ord, str):
        if dim is not None:
            if len(dim) not in (1, 2):
                raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or "
                                   f"2. Got {list(dim)}")
        elif A._data.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A._data.ndim}D.")
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype,
                           out=out)
    if dim is not None:
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
    elif ord is not None and A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A._data.ndim}D.")
    if ord is not None and ((dim is not None and len(dim) == 2) or
                            (dim is None and A._data.ndim == 2)):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype,
                           out=out)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of vectors along `dim` (broadcasting): `(x.conj() * y).sum(dim)`."""
    return _out((x * y).sum(dim), out)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices (the first may be a row vector, the last a column
    vector), multiplied in the cheapest order, as PyTorch chooses it."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    ts = list(tensors)
    first_dim, last_dim = ts[0]._data.ndim, ts[-1]._data.ndim
    if first_dim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first_dim}D")
    if last_dim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last_dim}D")
    for i in range(1, n - 1):
        if ts[i]._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i]._data.ndim}D")
    if first_dim == 1:
        ts[0] = ts[0].unsqueeze(0)
    if last_dim == 1:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i in range(1, n):
        if ts[i]._data.dtype != ts[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 "
                               f"is {_scalar_name(ts[0])} and tensor {i} is "
                               f"{_scalar_name(ts[i])}")
        if ts[i - 1]._data.shape[1] != ts[i]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes "
                               f"{list(tensors[i - 1].shape)} and {list(tensors[i].shape)} cannot "
                               "be multiplied")
    if n == 2:
        result = mm(ts[0], ts[1])
    elif n == 3:
        a, b = ts[0]._data.shape
        c, d = ts[2]._data.shape
        if (a * c) * (b + d) > (b * d) * (a + c):
            result = mm(ts[0], mm(ts[1], ts[2]))
        else:
            result = mm(mm(ts[0], ts[1]), ts[2])
    else:
        p = [t._data.shape[0] for t in ts] + [ts[-1]._data.shape[1]]
        cost = [[0] * n for _ in range(n)]
        order = [[0] * n for _ in range(n)]
        for length in range(1, n):
            for i in range(n - length):
                j = i + length
                cost[i][j] = None
                for k in range(i, j):
                    q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                    if cost[i][j] is None or q < cost[i][j]:
                        cost[i][j], order[i][j] = q, k

        def chain(i, j):
            if i == j:
                return ts[i]
            return mm(chain(i, order[i][j]), chain(order[i][j] + 1, j))
        result = chain(0, n - 1)
    shape = result._data.shape
    shape = (() if first_dim == 1 else shape[:1]) + (() if last_dim == 1 else shape[1:])
    return _out(result.view(shape), out)


def matrix_power(A, n, *, out=None):
    """A to the integer power n by repeated squaring (n < 0: of the inverse; n = 0: the
    identity), in PyTorch's order of products."""
    x = A._data
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {x.shape[-2] if x.ndim > 1 else 1} by {x.shape[-1]} matrices")
    n = int(n)
    if n == 0:
        from .._creation import eye
        result = A.clone().copy_(eye(x.shape[-1], dtype=A.dtype, device=A.device).expand(x.shape))
        return _out(result, out)
    if n == -1:
        return _out(linalg_inv(A), out)
    a = linalg_inv(A) if n < 0 else A
    n = abs(n)
    if n == 1:
        return _out(a.clone(), out)
    if n == 2:
        return _out(matmul(a, a), out)
    if n == 3:
        return _out(matmul(matmul(a, a), a), out)
    z = result = None
    while n > 0:
        bit = n % 2
        n //= 2
        z = a if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return _out(result, out)


# -- decompositions: qr, cholesky, eigh, and what is built on them --------------------------------


def _decomp_outputs(node):
    """The node's outputs as tensors attached to it, so that its backward, written with ember
    ops on them, can be differentiated again."""
    outs = []
    for i, array in enumerate(node.results):
        t = Tensor._make(array, True, node)
        t._output_nr = i
        outs.append(t)
    return outs


def _attach_outputs(node, arrays, tensors):
    node.results, node.num_outputs = arrays, len(arrays)
    for i, t in enumerate(tensors):
        t._requires_grad, t._grad_fn, t._output_nr = True, node, i


def _named(name, fields, values):
    """`torch.return_types.<name>(values)`, registering the type on first use."""
    from .reduction import _return_type, return_types
    if not hasattr(return_types, name):
        setattr(return_types, name, _return_type(name, fields))
    return getattr(return_types, name)(values)


def _check_float_matrix(A, name, square=True):
    x = A._data
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(A)}")
    return x


def _solve_right(B, M):
    """B M^{-1} (differentiable)."""
    return linalg_solve(M, B, left=False)


def _copyltu(M):
    """The symmetric matrix with M's lower triangle (and its diagonal)."""
    return tril(M) + tril(M, -1).mT


class LinalgQrBackward0(Node):
    """A = QR. For m >= n: gA = (gQ + Q copyltu(M)) R^{-T}, M = R gR^T - gQ^T Q; for m < n,
    A = Q [U | V] splits into the square case for U (with gQ + Y gV^T) and Q gV for V."""

    def apply(self, grads):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        m, n = self.shape[-2:]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        gQ, gR = grads
        Q, R = _decomp_outputs(self)
        if gQ is None:
            gQ = Q * 0
        if gR is None:
            gR = R * 0

        def square_case(gQ, gR, R):
            M = matmul(R, gR.mT) - matmul(gQ.mT, Q)
            return _solve_right(gQ + matmul(Q, _copyltu(M)), R.mT)

        if m >= n:
            return (square_case(gQ, gR, R),)
        Y = matmul(Q, R[..., m:])                       # A's last n - m columns
        gV = gR[..., m:]
        gX = square_case(gQ + matmul(Y, gV.mT), gR[..., :m], R[..., :m])
        from .shape import cat
        return (cat([gX, matmul(Q, gV)], -1),)


def linalg_qr(A, mode="reduced", *, out=None):
    """The QR decomposition A = QR: Q with orthonormal columns, R upper triangular
    (`mode`: 'reduced', 'complete', or 'r' for R alone, with an empty Q)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    x = _check_float_matrix(A, "linalg.qr", square=False)
    m, n = x.shape[-2:]
    k = min(m, n)
    xp = _backend.xp(x)
    if x.size:
        q, r = np.linalg.qr(x, mode="complete" if mode == "complete" else "reduced")
    else:
        cols = m if mode == "complete" else k
        q = xp.zeros(x.shape[:-2] + (m, cols), x.dtype)
        q[..., :, :] = xp.eye(m, cols, dtype=x.dtype)
        r = xp.zeros(x.shape[:-2] + (cols, n), x.dtype)
    if mode == "r":
        q = xp.zeros((0,), x.dtype)
    arrays = (contiguous(q).astype(x.dtype, copy=False), contiguous(r).astype(x.dtype, copy=False))
    outs = [Tensor._make(a) for a in arrays]
    if _recording(A):
        node = LinalgQrBackward0(A)
        node.mode, node.shape = mode, x.shape
        _attach_outputs(node, arrays, outs)
    return _named("linalg_qr", ("Q", "R"), outs)


def qr(input, some=True, *, out=None):
    """The legacy `torch.qr`: `linalg.qr` with mode 'reduced' (some=True) or 'complete'."""
    from .._tensor import warn_once
    warn_once("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
              "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
              "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = "
              "torch.linalg.qr(A, 'reduced' if some else 'complete')")
    return _named("qr", ("Q", "R"), linalg_qr(input, "reduced" if some else "complete"))


class _CholeskyBackward(Node):
    """A = L L^T: gA = L^{-T} Φ(L^T gL) L^{-1}, Φ taking the lower triangle with the diagonal
    halved, made symmetric."""

    def apply(self, grad):
        L, = _decomp_outputs(self)
        if self.upper:
            L, grad = L.mT, grad.mT
        P = tril(matmul(L.mT, grad))
        P = (P + tril(P, -1).mT) * 0.5
        return (_solve_right(linalg_solve(L.mT, P), L),)


class LinalgCholeskyExBackward0(_CholeskyBackward):
    pass


class CholeskyBackward0(_CholeskyBackward):
    pass


def _not_positive_definite(x, name):
    host = _backend.of(x).to_host(x) if not isinstance(x, np.ndarray) else x
    batch = host.reshape((-1,) + host.shape[-2:])
    for b, matrix in enumerate(batch):
        try:
            np.linalg.cholesky(matrix)
            continue
        except np.linalg.LinAlgError:
            pass
        order = next(k for k in range(1, matrix.shape[0] + 1)
                     if not _is_pd(matrix[:k, :k]))
        where = f"(Batch element {b}): " if host.ndim > 2 else ""
        return _LinAlgError(f"{name}: {where}The factorization could not be completed because "
                            f"the input is not positive-definite (the leading minor of order "
                            f"{order} is not positive-definite).")
    return _LinAlgError(f"{name}: The factorization could not be completed because the input is "
                        "not positive-definite.")


def _is_pd(matrix):
    try:
        np.linalg.cholesky(matrix)
        return True
    except np.linalg.LinAlgError:
        return False


def _cholesky(A, upper, name, node_cls):
    x = _check_float_matrix(A, name)
    # LAPACK's potrf reads one triangle: the lower one, or the upper one for upper=True
    source = np.swapaxes(x, -1, -2) if upper else x
    try:
        with np.errstate(all="ignore"), _backend.linalg_errors(x):
            value = np.linalg.cholesky(source) if x.size else source.copy()
    except np.linalg.LinAlgError:
        raise _not_positive_definite(source, name) from None
    if upper:
        value = np.swapaxes(value, -1, -2)
    array = contiguous(value).astype(x.dtype, copy=False)
    result = Tensor._make(array)
    if _recording(A):
        node = node_cls(A)
        node.upper = upper
        _attach_outputs(node, (array,), (result,))
    return result


def linalg_cholesky(A, *, upper=False, out=None):
    """The Cholesky factor L of a symmetric positive-definite A = L L^T (U = L^T with upper=True);
    only A's lower triangle is read."""
    return _out(_cholesky(A, upper, "linalg.cholesky", LinalgCholeskyExBackward0), out)


def cholesky(input, upper=False, *, out=None):
    """The legacy `torch.cholesky` (deprecated in favour of `linalg.cholesky`)."""
    from .._tensor import warn_once
    warn_once("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed "
              "in a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
              "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be "
              "replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
              "equivalent results for all valid (symmetric positive definite) inputs.")
    return _out(_cholesky(input, upper, "linalg.cholesky", CholeskyBackward0), out)


class LinalgEighBackward0(Node):
    """A = V diag(L) V^T: gA = V (diag(gL) + skew(V^T gV) / E) V^T, E_ij = L_j - L_i."""

    def apply(self, grads):
        gL, gV = grads
        L, V = _decomp_outputs(self)
        if gV is None:
            if gL is None:
                return (None,)
            return (matmul(V * gL.unsqueeze(-2), V.mT),)
        from .._creation import eye
        VhgV = matmul(V.mT, gV)
        VhgV = (VhgV - VhgV.mT) * 0.5
        n = L._data.shape[-1]
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + eye(n, dtype=L.dtype, device=L.device)
        inner = VhgV / E                                # (its diagonal is 0)
        if gL is not None:
            inner = inner + diag_embed(gL)
        return (matmul(V, matmul(inner, V.mT)),)


def linalg_eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, reading the triangle
    `UPLO` names."""
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    x = _check_float_matrix(A, "linalg.eigh")
    if x.size:
        w, v = np.linalg.eigh(x, UPLO.upper())
    else:
        w = _backend.xp(x).zeros(x.shape[:-1], x.real.dtype)
        v = x.copy()
    arrays = (contiguous(w).astype(x.real.dtype, copy=False),
              contiguous(v).astype(x.dtype, copy=False))
    outs = [Tensor._make(a) for a in arrays]
    if _recording(A):
        _attach_outputs(LinalgEighBackward0(A), arrays, outs)
    return _named("linalg_eigh", ("eigenvalues", "eigenvectors"), outs)


def linalg_eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues (ascending) of a symmetric matrix."""
    if _recording(A):
        return _out(linalg_eigh(A, UPLO).eigenvalues, out)
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    x = _check_float_matrix(A, "linalg.eigvalsh")
    w = np.linalg.eigvalsh(x, UPLO.upper()) if x.size else \
        _backend.xp(x).zeros(x.shape[:-1], x.real.dtype)
    return _out(Tensor._make(contiguous(w).astype(x.real.dtype, copy=False)), out)


def _default_tolerances(x, atol, rtol):
    eps = float(np.finfo(x.dtype).eps)
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else eps * max(x.shape[-2:])
    return (0.0 if atol is None else atol), rtol


def _pinv_backward(grad, pinvA, A):
    """The adjoint of dA -> d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+."""
    G = grad.mT
    first = -matmul(matmul(pinvA.mT, grad), pinvA.mT)
    left = G - matmul(A, matmul(pinvA, G))                 # (I - A A+) G^T
    second = matmul(left, matmul(pinvA, pinvA.mT))
    right = G - matmul(matmul(G, pinvA), A)                # G^T (I - A+ A)
    third = matmul(matmul(pinvA.mT, pinvA), right)
    return first + second + third


class LinalgPinvBackward0(Node):
    def apply(self, grad):
        A, = self.saved
        pinvA, = _decomp_outputs(self)
        return (_pinv_backward(grad, pinvA, A),)


def linalg_pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The Moore-Penrose pseudo-inverse, from the SVD: singular values at most
    max(atol, rtol * largest) count as zero."""
    x = _check_float_matrix(A, "linalg.pinv", square=False)
    if rcond is not None:
        rtol = rcond
    atol, rtol = _default_tolerances(x, atol, rtol)
    m, n = x.shape[-2:]
    if x.size:
        if hermitian:
            w, v = np.linalg.eigh(x)
            s, u, vt = np.abs(w), v, np.swapaxes(v * np.sign(w)[..., None, :], -1, -2)
        else:
            u, s, vt = np.linalg.svd(x, full_matrices=False)
        largest = s.max(-1, keepdims=True)
        cutoff = np.maximum(atol, rtol * largest)
        with np.errstate(divide="ignore"):
            s_inv = np.where(s > cutoff, 1 / s, x.real.dtype.type(0))
        value = np.matmul(np.swapaxes(vt, -1, -2), s_inv[..., None] * np.swapaxes(u, -1, -2))
    else:
        value = _backend.xp(x).zeros(x.shape[:-2] + (n, m), x.dtype)
    array = contiguous(value).astype(x.dtype, copy=False)
    result = Tensor._make(array)
    if _recording(A):
        node = LinalgPinvBackward0(A)
        node.save_for_backward(A)
        _attach_outputs(node, (array,), (result,))
    return _out(result, out)


def pinverse(input, rcond=1e-15):
    """The legacy `torch.pinverse`: `linalg.pinv` with a relative cutoff `rcond`."""
    return linalg_pinv(input, rtol=rcond)


def _matrix_rank_value(x, atol, rtol, hermitian):
    atol, rtol = _default_tolerances(x, atol, rtol)
    if not x.size:
        return _backend.xp(x).zeros(x.shape[:-2], np.int64)
    s = np.abs(np.linalg.eigvalsh(x)) if hermitian else np.linalg.svd(x, compute_uv=False)
    cutoff = np.maximum(atol, rtol * s.max(-1, keepdims=True))
    return (s > cutoff).sum(-1).astype(np.int64)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The number of singular values above max(atol, rtol * largest)."""
    x = _check_float_matrix(A, "linalg.matrix_rank", square=False)
    if tol is not None:
        atol, rtol = tol, 0.0
    return _out(Tensor._make(as_array(_matrix_rank_value(x, atol, rtol, hermitian))), out)


_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)


def _expm(x):
    """exp of square matrices: scaling and squaring with the degree-13 Padé approximant
    (Higham 2005), in float64."""
    a = x.astype(np.float64)
    xp = _backend.xp(x)
    n = a.shape[-1]
    ident = xp.eye(n, dtype=np.float64)
    norm = np.abs(a).sum(-2).max(-1)                                       # 1-norm per matrix
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(norm / 5.371920351148152))).astype(np.int64)
    s = np.where(np.isfinite(norm), s, 0)
    a = a / (2.0 ** s)[..., None, None]
    b = _PADE13
    a2 = np.matmul(a, a)
    a4 = np.matmul(a2, a2)
    a6 = np.matmul(a4, a2)
    u = np.matmul(a, np.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2) +
                  b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = np.matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + \
        b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    host_s = _backend.of(s).to_host(s) if not isinstance(s, np.ndarray) else s
    for k in range(int(host_s.max()) if host_s.size else 0):
        squared = np.matmul(r, r)
        r = np.where((s > k)[..., None, None], squared, r)
    return r.astype(x.dtype)


class LinalgMatrixExpBackward0(Node):
    """gA = the upper-right block of exp([[A^T, G], [0, A^T]])."""

    def apply(self, grad):
        A, = self.saved
        from .shape import cat
        n = A._data.shape[-1]
        At = A.mT
        top = cat([At, grad], -1)
        bottom = cat([grad * 0, At], -1)
        return (linalg_matrix_exp(cat([top, bottom], -2))[..., :n, n:],)


def linalg_matrix_exp(A):
    """The matrix exponential exp(A) = sum A^k / k! of square matrices."""
    x = _check_float_matrix(A, "linalg.matrix_exp")
    if x.dtype == np.float16:
        raise RuntimeError("\"linalg_matrix_exp\" not implemented for 'Half'")
    value = _expm(x) if x.size else x.copy()
    result = Tensor._make(contiguous(value))
    if _recording(A):
        node = LinalgMatrixExpBackward0(A)
        node.save_for_backward(A)
        _attach(result, node)
    return result


def matrix_exp(input):
    """`torch.matrix_exp`: `linalg.matrix_exp`."""
    return linalg_matrix_exp(input)


class LinalgLstsqBackward0(Node):
    """solution = A+ B: gB = A+^T g, gA = the pinv adjoint of g B^T."""

    num_outputs = 2

    def apply(self, grads):
        g = grads[0]
        A, B = self.saved
        if g is None:
            return (None, None)
        pinvA = linalg_pinv(A)
        gA = _pinv_backward(matmul(g, B.mT), pinvA, A) if self.needs_grad(0) else None
        gB = matmul(pinvA.mT, g) if self.needs_grad(1) else None
        return (gA, gB)


def lstsq(A, B, rcond=None, *, driver=None, out=None):
    """The least-squares solution of A X = B. Residuals are given (except by PyTorch's CPU
    default driver, 'gelsy') when m > n and A has full rank; singular values by 'gelsd' and
    'gelss' only; the rank by every driver but 'gels'."""
    a = _check_float_matrix(A, "torch.linalg.lstsq", square=False)
    b = B._data
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    vector = b.ndim == a.ndim - 1
    b_mat = b[..., None] if vector else b
    m, n = a.shape[-2:]
    batch = np.broadcast_shapes(a.shape[:-2], b_mat.shape[:-2])
    a_full = np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1, m, n))
    b_full = np.broadcast_to(b_mat, batch + b_mat.shape[-2:]).reshape((-1,) + b_mat.shape[-2:])
    if rcond is None:
        rcond = float(np.finfo(a.dtype).eps) * max(m, n)
    xp = _backend.xp(a)
    k = b_mat.shape[-1]
    sols = xp.zeros((a_full.shape[0], n, k), a.dtype)
    ranks = xp.zeros((a_full.shape[0],), np.int64)
    svals = xp.zeros((a_full.shape[0], min(m, n)), a.real.dtype)
    res = xp.zeros((a_full.shape[0], k), a.real.dtype)
    full = True
    for i in range(a_full.shape[0]):
        x, r, rank, s = np.linalg.lstsq(a_full[i], b_full[i], rcond=rcond)
        sols[i], ranks[i], svals[i] = x, rank, s
        if m > n and int(rank) == n:
            res[i] = ((b_full[i] - np.matmul(a_full[i], x)) ** 2).sum(0)
        else:
            full = False
    solution = sols.reshape(batch + (n, k))
    if vector:
        solution = solution[..., 0]
    residuals = res.reshape(batch + (k,))
    if vector:
        residuals = residuals[..., 0]
    if driver == "gelsy" or not full or m <= n:
        residuals = xp.zeros((0,), a.real.dtype)
    rank_t = Tensor._make(ranks.reshape(batch))
    sv_t = Tensor._make(svals.reshape(batch + (min(m, n),)) if driver in ("gelsd", "gelss")
                        else xp.zeros((0,), a.real.dtype))
    outs = [Tensor._make(contiguous(solution)), Tensor._make(contiguous(residuals))]
    if _recording(A, B):
        node = LinalgLstsqBackward0(A, B)
        node.save_for_backward(A, B)
        for i, t in enumerate(outs):
            t._requires_grad, t._grad_fn, t._output_nr = True, node, i
    if driver == "gels":
        rank_t = Tensor._make(xp.zeros((0,), np.int64))
    return _named("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"),
                  (outs[0], outs[1], rank_t, sv_t))


# -- renorm -------------------------------------------------------------------------------------


class RenormBackward0(Node):
    """PyTorch's renorm_backward: where the slice was rescaled, the derivative of
    x * maxnorm / (||x|| + 1e-7); elsewhere the gradient passes through."""

    def apply(self, grad):
        x, = self.saved
        p, dims, maxnorm = self.p, self.dims, self.maxnorm
        norm = vector_norm(x, p, dims, True)
        invnorm = _pw.reciprocal(norm + 1e-7)
        factor = invnorm * maxnorm
        nb = norm_backward((x * grad).sum(dims, keepdim=True), x, p, norm, dims, True)
        return (_pw.where(norm > maxnorm, factor * grad - (factor * invnorm) * nb, grad),)


def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice along `dim` whose p-norm exceeds `maxnorm` is scaled down to norm `maxnorm`
    (by maxnorm / (norm + 1e-7))."""
    x = input._data
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if x.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    dim = _wrap_dim(dim, x.ndim)
    dims = [d for d in range(x.ndim) if d != dim]
    with grad_mode.no_grad():
        norm = vector_norm(input, p, dims, True)
        factor = _pw.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
        result = (input * factor).detach()
    if _recording(input):
        node = RenormBackward0(input)
        node.p, node.dims, node.maxnorm = p, dims, maxnorm
        node.save_for_backward(input)
        _attach(result, node)
    return _out(result, out)


# Tensor methods (bound by _methods.py) and in-place forms.
METHODS = {
    "outer": outer, "ger": ger, "addmm": addmm, "addmv": addmv, "addbmm": addbmm,
    "baddbmm": baddbmm, "tril": tril, "triu": triu, "diagonal": diagonal, "diag": diag,
    "diag_embed": diag_embed, "trace": trace, "cross": cross, "det": det, "inverse": inverse,
    "slogdet": slogdet, "logdet": logdet, "kron": kron, "matrix_power": matrix_power,
    "inner": inner, "vdot": vdot, "addr": addr, "diagflat": diagflat,
    "fill_diagonal_": fill_diagonal_, "diagonal_scatter": diagonal_scatter, "svd": svd,
    "qr": qr, "cholesky": cholesky, "pinverse": pinverse, "matrix_exp": matrix_exp,
    "renorm": renorm,
}
INPLACE = {"tril_": tril, "triu_": triu, "addmm_": addmm, "addmv_": addmv,
           "addbmm_": addbmm, "baddbmm_": baddbmm, "addr_": addr, "renorm_": renorm}

__all__ = ["addbmm", "addmm", "addmv", "baddbmm", "bmm", "cross", "det", "diag", "diag_embed",
           "diagonal", "dot", "einsum", "ger", "inverse", "kron", "logdet", "matmul", "mm", "mv",
           "matrix_power", "outer", "slogdet", "tensordot", "trace", "tril", "triu",
           "inner", "vdot", "addr", "diagflat", "diagonal_scatter", "svd",
           "adjoint", "qr", "cholesky", "pinverse", "matrix_exp", "renorm"]

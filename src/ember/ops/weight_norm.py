"""`torch._weight_norm`: `w = g * v / ||v||`, the norm taken over every dim but `dim`.

For `dim` 0 or the last dim PyTorch runs a fused CPU kernel (`_weight_norm_interface`, whose
node is `WeightNormInterfaceBackward0`); ember reproduces its float32 arithmetic: the squares
of a row are summed in 8 SIMD lanes (AVX2), the lanes folded as a tree, then `w = v * (g/norm)`.
Other dims (and `dim=-1`, one norm for the whole tensor) are PyTorch's composite
`v * (g / norm_except_dim(v))`, built here from ember's ops so the graph matches.
"""
import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import attach as _attach, recording as _recording

_LANES = {4: 8, 8: 4}          # AVX2 register width in elements, by item size


def _lane_sum(x):
    """Row sums of a 2-D array in the order of PyTorch's vectorised `map_reduce_all`."""
    m, n = x.shape
    lanes = _LANES.get(x.dtype.itemsize, 8)
    if n < lanes:                               # short rows: added one element at a time
        acc = x[:, 0].copy()
        for i in range(1, n):
            acc = acc + x[:, i]
        return acc
    acc = x[:, :lanes].copy()
    full = n - n % lanes
    for d in range(lanes, full, lanes):
        acc = acc + x[:, d:d + lanes]
    if full < n:                                # the tail updates only its first lanes
        r = n - full
        acc[:, :r] = acc[:, :r] + x[:, full:]
    step = lanes // 2
    while step:                                 # the shuffle tree: lane i += lane i ^ step
        acc = acc + acc[:, np.arange(lanes) ^ step]
        step //= 2
    return acc[:, 0]


def _rows_sum(x, first):
    """Per-slice sums: over each row of `x` viewed (size(0), -1) when `first`, else down the
    columns of `x` viewed (-1, size(-1)), one row after another as the last-dim kernel does."""
    if first:
        return _lane_sum(x.reshape(x.shape[0], -1))
    x = x.reshape(-1, x.shape[-1])
    acc = x[0].copy()
    for i in range(1, x.shape[0]):
        acc = acc + x[i]
    return acc


def _bshape(v, first):
    return (v.shape[0],) + (1,) * (v.ndim - 1) if first else (1,) * (v.ndim - 1) + (v.shape[-1],)


class WeightNormInterfaceBackward0(Node):
    def apply(self, grad):
        v, g = self.saved
        first = self.first
        if grad_mode.enabled:       # create_graph: PyTorch's differentiable formula
            dims = tuple(range(1, v.dim())) if first else tuple(range(v.dim() - 1))
            # PyTorch reads the norms as a saved output whose gradient it drops, so its second
            # derivative holds them constant (torch's own gradgradcheck fails); so does ember's
            norms = Tensor._make(self.norms)
            sums = (grad * v).sum(dims, keepdim=True) if dims else grad * v
            grad_v = (g / norms) * (grad - v * (sums / (norms * norms)))
            grad_g = sums / norms
            return grad_v, grad_g
        vd, gd, gw = v._data, g._data, grad._data
        shape = _bshape(vd, first)
        norms = self.norms
        sums = _rows_sum(gw * vd, first).reshape(shape)
        a = gd.reshape(shape) / norms
        b = a * sums / (norms * norms)
        grad_v = gw * a - vd * b
        grad_g = (sums / norms).reshape(gd.shape)
        return Tensor._make(grad_v), Tensor._make(grad_g.astype(gd.dtype, copy=False))


def _norm_except_dim(v, dim):
    """The 2-norm of `v` over every dim but `dim` (PyTorch's `norm_except_dim` composite)."""
    if dim == -1:
        return v.norm(2)
    if dim == 0:
        shape = (v.shape[0],) + (1,) * (v.dim() - 1)
        return v.contiguous().view(v.shape[0], -1).norm(2, 1).view(shape)
    if dim == v.dim() - 1:
        shape = (1,) * (v.dim() - 1) + (v.shape[-1],)
        return v.contiguous().view(-1, v.shape[-1]).norm(2, 0).view(shape)
    return _norm_except_dim(v.transpose(0, dim), 0).transpose(0, dim)


def _weight_norm(v, g, dim=0):
    """`v * (g / ||v||)`, the norm over every dim of `v` but `dim` (`dim=-1`: all dims).

    >>> import ember
    >>> ember._weight_norm(ember.tensor([[3.0, 4.0]]), ember.tensor([[10.0]]), 0)
    tensor([[6., 8.]])
    """
    if dim < -1 or dim >= max(v.dim(), 1):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(v.dim(), 1)}, {max(v.dim(), 1) - 1}], but got {dim})")
    vd = v._data
    fused = vd.dtype.kind == "f" and vd.dtype.itemsize >= 4 and v.dim() > 0 and (
        dim == 0 or dim == v.dim() - 1)
    if not fused:
        return v * (g / _norm_except_dim(v, dim))
    first = dim == 0
    vd = np.ascontiguousarray(vd)
    gd = g._data
    shape = _bshape(vd, first)
    norms = np.sqrt(_rows_sum(vd * vd, first)).reshape(shape)
    a = gd.reshape(shape).astype(vd.dtype, copy=False) / norms
    result = Tensor._make(vd * a)
    if _recording(v, g):
        node = WeightNormInterfaceBackward0(v, g)
        node.first, node.norms = first, norms
        node.save_for_backward(v, g)
        _attach(result, node)
    return result

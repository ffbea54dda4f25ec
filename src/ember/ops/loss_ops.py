"""The less common losses: margin and ranking losses, Poisson and Gaussian NLL, and CTC.

Two kinds live here:
- ATen's composite losses (`margin_ranking_loss`, `hinge_embedding_loss`,
  `cosine_embedding_loss`, `triplet_margin_loss`, `poisson_nll_loss`): built from ember's
  tensor ops in the order ATen builds them, so the values, gradients and the recorded nodes
  (`ClampMinBackward0`, `MeanBackward0`, ...) are PyTorch's;
- the losses with kernels of their own (`soft_margin_loss`, `multi_margin_loss`,
  `multilabel_margin_loss`, `ctc_loss`): computed in one NumPy pass in the precision and the
  order of PyTorch's CPU loops, with one backward node named like PyTorch's.

`reduction` is 'none', 'mean' or 'sum' here; the `torch.*` spellings at the end take
PyTorch's integer enum (0 none, 1 mean, 2 sum; no reduction by default) as
`torch.margin_ranking_loss` does.
"""
import math

import numpy as np

from .. import _backend
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node
from .linalg import LinalgVectorNormBackward0, vector_norm
from ._util import (
    as_array, attach as _attach, contiguous, recording as _recording, reduce_loss)
from .pointwise import _not_differentiable, exp, log, where

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _reduce_array(loss, reduction):
    """The same reduction of a NumPy array (with ember's sum/mean, i.e. PyTorch's order)."""
    if reduction == "none":
        return loss
    t = Tensor._make(loss)
    with grad_mode.no_grad():
        return (t.mean() if reduction == "mean" else t.sum())._data


def _contiguous(value):
    """A C-contiguous array (0-d stays 0-d: np.ascontiguousarray would make it 1-d)."""
    value = as_array(value)
    return value if value.ndim == 0 else contiguous(value)


def _sizes(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


# -- composites ---------------------------------------------------------------------------------


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """`max(0, -y (x1 - x2) + margin)`, reduced (ATen's composite)."""
    return reduce_loss(((-target) * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    """`x` where `y = 1`, `max(0, margin - x)` where `y = -1`, reduced (ATen's composite)."""
    zeros = Tensor._make(np.zeros_like(input._data))
    margin_clamp = (margin - input).clamp_min(0)
    output_margin = where(target != 1, margin_clamp, zeros)
    output_self = where(target != -1, input, zeros)
    return reduce_loss(output_margin + output_self, reduction)


_COSINE_EPSILON = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """`1 - cos(x1, x2)` where `y = 1`, `max(0, cos(x1, x2) - margin)` where `y = -1`."""
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs "
                               f"with sizes {_sizes(input1)} and {_sizes(input2)}.")
    elif input1.dim() != 1 or input2.dim() != 1:
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {_sizes(input1)} and {_sizes(input2)}.")
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + _COSINE_EPSILON
    mag_square2 = (input2 * input2).sum(targ_dim) + _COSINE_EPSILON
    denom = (mag_square1 * mag_square2).sqrt()
    cos = prod_sum / denom
    zeros = Tensor._make(np.zeros_like(cos._data))
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    output_pos = where(target == 1, pos, zeros)
    output_neg = where(target == -1, neg, zeros)
    return reduce_loss(output_pos + output_neg, reduction)


class NormBackward1(LinalgVectorNormBackward0):
    """`at::norm(x, p, dim)`'s node (pairwise_distance records it): the vector norm's
    derivative under PyTorch's other name."""


def _pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """`||x1 - x2 + eps||_p` over the last dimension, as ATen's pairwise_distance computes it."""
    dim = max(x1.dim(), x2.dim()) - 1
    result = vector_norm(x1 - x2 + eps, p, dim, keepdim)
    if type(result._grad_fn) is LinalgVectorNormBackward0:
        result._grad_fn.__class__ = NormBackward1
    return result


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction="mean"):
    """`max(d(a, p) - d(a, n) + margin, 0)` with `d` the pairwise p-norm distance."""
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a_dim}D, positive "
                           f"{p_dim}D, and negative {n_dim}D inputs")
    dist_pos = _pairwise_distance(anchor, positive, p, eps)
    dist_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_swap = _pairwise_distance(positive, negative, p, eps)
        dist_neg = dist_neg.minimum(dist_swap)
    return reduce_loss((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    """`exp(x) - t x` (log_input) or `x - t log(x + eps)`, plus Stirling's term if `full`."""
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        stirling = target * log(target) - target + 0.5 * log(2 * math.pi * target)
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return reduce_loss(loss, reduction)


# -- soft_margin_loss ---------------------------------------------------------------------------


def _soft_margin_array(input, target):
    """`log1p(exp(-x t))` step by step, each step one of ember's (PyTorch-exact) ops in the
    input's precision, as PyTorch's in-place chain `neg_out(x).mul_(t).exp_().log1p_()`."""
    with grad_mode.no_grad():
        out = (-input.detach()) * target.detach().to(input.dtype)
        return out.exp().log1p()._data


def _check_soft_margin(input, target):
    if not input.is_floating_point():
        out_dt = np.result_type(input._data.dtype, target._data.dtype)
        if out_dt.kind != "f":
            out_dt = _F32
        raise RuntimeError(f"result type {_scalar_name(out_dt)} can't be cast to the desired "
                           f"output type {input.dtype.scalar_name}")
    try:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    except ValueError:
        shape = None
    if shape != tuple(input.shape):
        if shape is None:
            _raise_broadcast(input.shape, target.shape)
        raise RuntimeError(f"output with shape {_sizes(input)} doesn't match the broadcast "
                           f"shape [{', '.join(map(str, shape))}]")


def _scalar_name(np_dtype):
    from .._dtype import _BY_NP
    return _BY_NP[np.dtype(np_dtype)].scalar_name


def _raise_broadcast(sa, sb):
    sa, sb = tuple(sa), tuple(sb)
    n = max(len(sa), len(sb))
    for i in range(1, n + 1):
        a = sa[-i] if i <= len(sa) else 1
        b = sb[-i] if i <= len(sb) else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {n - i}")


class SoftMarginLossBackward0(Node):
    def apply(self, grad):
        x, t = self.saved
        return (soft_margin_loss_backward(grad, x, t, self.reduction),
                None)


def soft_margin_loss_backward(grad, input, target, reduction):
    """`grad * -norm t exp(-t x) / (1 + exp(-t x))` (recorded: it has second derivatives)."""
    norm = 1.0 / input._data.size if reduction == "mean" else 1.0
    with grad_mode.no_grad():           # PyTorch's in-place steps, with ember's exact ops
        x, t = input.detach(), target.detach().to(input.dtype)
        z = ((-t) * x).exp()
        value = (t * z) * -norm
        value = ((value / (z + 1)) * grad.detach())._data
    dt = value.dtype
    result = Tensor._make(_contiguous(value.astype(dt, copy=False)))
    if _recording(grad, input, target):
        node = SoftMarginLossBackwardBackward0(grad, input, target)
        node.reduction = reduction
        node.save_for_backward(grad, input, target)
        _attach(result, node)
    return result


class SoftMarginLossBackwardBackward0(Node):
    def apply(self, gg):
        grad, x, t = self.saved
        reduction = self.reduction
        d_grad = d_x = None
        if self.needs_grad(0):          # linear in grad: the same backward, applied to gg
            if reduction == "none":
                d_grad = soft_margin_loss_backward(gg, x, t, reduction)
            else:
                ones = Tensor._make(np.ones_like(grad._data))
                d_grad = (soft_margin_loss_backward(ones, x, t, reduction) * gg).sum()
        if self.needs_grad(1):          # d/dx of the derivative: t^2 z / (1 + z)^2
            z = (x * -t).exp()
            zplus1 = z + 1
            d_x = gg * grad * t * t * z / (zplus1 * zplus1)
            if reduction == "mean":
                d_x = d_x / x._data.size
        return d_grad, d_x, None


def soft_margin_loss(input, target, reduction="mean"):
    """`log(1 + exp(-y x))`, reduced: the two-class logistic loss for labels `y` = +-1."""
    _check_soft_margin(input, target)
    if target._requires_grad and grad_mode.enabled:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    result = Tensor._make(_reduce_array(_soft_margin_array(input, target), reduction))
    if _recording(input, target):
        node = SoftMarginLossBackward0(input, target)
        node.reduction = reduction
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


# -- multi_margin_loss --------------------------------------------------------------------------


def _float_kernel(input, kernel):
    if input._data.dtype not in (_F32, _F64):
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")


def _check_long(target):
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")


def _frames(input, target, weight):
    ndims = input.dim()
    if not ((ndims == 2 and input.shape[1] != 0) or (ndims == 1 and input.shape[0] != 0)
            or ndims == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {_sizes(input)}")
    if ndims <= 1:
        nframe, dim = 1, (1 if ndims == 0 else input.shape[0])
    else:
        nframe, dim = input.shape[0], input.shape[1]
    if not (target.dim() <= 1 and target.numel() == nframe):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{nframe}], but got {_sizes(target)}. Input has shape "
                           f"{_sizes(input)}.")
    if weight is not None:
        if not (weight.dim() <= 1 and weight.numel() == dim):
            raise RuntimeError(f"inconsistent weight size, expected {dim} but got "
                               f"{_sizes(weight)}")
        if weight._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                               f"{weight.dtype.scalar_name}")
    return nframe, dim


def _multi_margin_terms(x, idx, p, margin, w, dt):
    """The per-class terms `h` (0 at the target class and where the margin is met), and
    `z = margin - x[target] + x[d]`."""
    xp = _backend.xp(x)
    x_target = np.take_along_axis(x, idx[:, None], 1)
    z = (dt.type(margin) - x_target) + x
    not_target = xp.arange(x.shape[1])[None, :] != idx[:, None]
    active = (z > 0) & not_target
    return z, active, x_target


class MultiMarginLossBackward0(Node):
    def apply(self, grad):
        x, target = self.saved
        return (multi_margin_loss_backward(grad, x, target, self.p, self.margin, self.weight,
                                           self.reduction), None)


def multi_margin_loss_backward(grad, input, target, p, margin, weight, reduction):
    """The multi-margin loss's gradient, as PyTorch's CPU loop computes it (PyTorch defines
    no derivative of it: its node refuses a second backward, as PyTorch's does)."""
    shape = input._data.shape
    x = input._data.reshape(-1, shape[-1] if input.dim() else 1)
    dt = x.dtype
    nframe, dim = x.shape
    idx = target._data.reshape(-1)
    g = dt.type(1.0 / (nframe * dim) if reduction == "mean" else 1.0 / dim)
    z, active, _ = _multi_margin_terms(x, idx, p, margin, None, dt)
    h = np.full_like(z, g) if p == 1 else (dt.type(2) * g) * z
    if weight is not None:
        h = h * weight._data[idx][:, None]
    h = np.where(active, h, dt.type(0))
    target_grad = np.zeros_like(h[:, 0])
    for d in range(dim):                    # the C loop subtracts each term in turn
        target_grad = target_grad - h[:, d]
    xp = _backend.xp(x)
    at_target = xp.arange(dim)[None, :] == idx[:, None]
    value = np.where(at_target, target_grad[:, None], h)
    gout = grad._data
    if reduction != "none" or gout.ndim == 0:
        value = value * gout.reshape(())
    else:
        value = value * gout.reshape(-1, 1)
    result = Tensor._make(_contiguous(value.astype(dt, copy=False).reshape(shape)))
    return _not_differentiable(result, "multi_margin_loss_backward", grad, input)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """The multi-class hinge loss `sum_{i != y} max(0, margin - x[y] + x[i])^p / C` (weighted
    by `weight[y]`), one value per sample, reduced."""
    nframe, dim = _frames(input, target, weight)
    _check_long(target)
    _float_kernel(input, "multi_margin_loss_cpu_kernel")
    x = input._data.reshape(nframe, dim)
    dt = x.dtype
    idx = target._data.reshape(-1)
    if nframe and (idx.min() < 0 or idx.max() >= dim):
        raise RuntimeError("target out of range")
    z, active, _ = _multi_margin_terms(x, idx, p, margin, None, dt)
    h = z if p == 1 else z * z
    if weight is not None:
        h = h * weight._data[idx][:, None]
    h = np.where(active, h, dt.type(0))
    sums = np.zeros_like(h[:, 0])
    for d in range(dim):                    # the C loop's order, in the input's precision
        sums = sums + h[:, d]
    sums = sums / dt.type(dim)
    if reduction == "none" and input.dim() > 1:
        value = sums
    elif reduction == "none":                 # one sample: shaped like its target
        value = sums.reshape(tuple(target.shape))
    else:                                   # summed in double, as PyTorch's accumulator is
        wide = sums.astype(np.float64)
        total = np.cumsum(wide)[-1] if nframe else wide.sum()
        if reduction == "mean":
            total = total / nframe
        value = total.astype(dt).reshape(())
    result = Tensor._make(_contiguous(value))
    if _recording(input):
        node = MultiMarginLossBackward0(input, target)
        node.p, node.margin, node.weight, node.reduction = p, margin, weight, reduction
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


# -- multilabel_margin_loss ---------------------------------------------------------------------


def _multilabel_frames(input, target):
    ndims = input.dim()
    if not ((ndims == 2 and input.shape[1] != 0) or (ndims == 1 and input.shape[0] != 0)
            or ndims == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {_sizes(input)}")
    if ndims <= 1:
        nframe, dim = 1, (1 if ndims == 0 else input.shape[0])
        ok = target.dim() <= 1 and target.numel() == dim
    else:
        nframe, dim = input.shape[0], input.shape[1]
        ok = target.dim() == 2 and tuple(target.shape) == (nframe, dim)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {_sizes(target)} for input of size: "
                           f"{_sizes(input)}")
    return nframe, dim


def _multilabel_masks(t, dim):
    """`valid[n, j]`: target j counts (no -1 before it); `is_target[n, d]`: d is a target."""
    xp = _backend.xp(t)
    valid = np.cumsum(t < 0, axis=1) == 0
    hits = (t[:, :, None] == xp.arange(dim)[None, None, :]) & valid[:, :, None]
    return valid, hits.any(axis=1)


def _multilabel_active(x, t, dim):
    """`z[n, j, d] = 1 - x[t[n, j]] + x[d]` and where it counts (valid j, non-target d, z > 0)."""
    valid, is_target = _multilabel_masks(t, dim)
    dt = x.dtype
    x_target = np.take_along_axis(x, np.where(valid, t, 0), 1)
    z = (dt.type(1) - x_target)[:, :, None] + x[:, None, :]
    active = valid[:, :, None] & ~is_target[:, None, :] & (z > 0)
    return z, active, is_target


class MultilabelMarginLossBackward0(Node):
    def apply(self, grad):
        x, target = self.saved
        return multilabel_margin_loss_backward(grad, x, target, self.reduction), None


def multilabel_margin_loss_backward(grad, input, target, reduction):
    """The multilabel margin loss's gradient, as PyTorch's CPU loop accumulates it (one
    `+-g` at a time); like PyTorch, it has no derivative of its own."""
    shape = input._data.shape
    dim = shape[-1] if input.dim() else 1
    x = input._data.reshape(-1, dim)
    t = target._data.reshape(-1, dim)
    dt = x.dtype
    nframe = x.shape[0]
    g = dt.type(1.0 / (nframe * dim) if reduction == "mean" else 1.0 / dim)
    _, active, is_target = _multilabel_active(x, t, dim)
    # each non-target d gets +g per active (j, d); target t[j] gets -g per active d
    plus = active.sum(axis=1)                                   # (n, d)
    xp = _backend.xp(x)
    onehot = t[:, :, None] == xp.arange(dim)[None, None, :]     # (n, j, d')
    minus = (active.sum(axis=2)[:, :, None] * onehot).sum(axis=1)
    counts = np.where(is_target, minus, plus)
    step = np.where(is_target, -g, g).astype(dt)
    value = np.zeros_like(x)
    for c in range(int(counts.max()) if counts.size else 0):    # sequential float adds
        value = np.where(counts > c, value + step, value)
    gout = grad._data
    if reduction != "none" or gout.ndim == 0:
        value = value * gout.reshape(())
    else:
        value = value * gout.reshape(-1, 1)
    result = Tensor._make(_contiguous(value.astype(dt, copy=False).reshape(shape)))
    return _not_differentiable(result, "multilabel_margin_loss_backward", grad, input)


def multilabel_margin_loss(input, target, reduction="mean"):
    """`sum_j sum_{i not a target} max(0, 1 - x[y_j] + x[i]) / C` for the target classes
    `y_j` listed first in each target row (ended by -1), reduced."""
    nframe, dim = _multilabel_frames(input, target)
    _check_long(target)
    _float_kernel(input, "multilabel_margin_loss_forward_out_frame")
    x = input._data.reshape(nframe, dim)
    dt = x.dtype
    t = target._data.reshape(nframe, dim)
    if t.size and (t.min() < -1 or t.max() >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    z, active, _ = _multilabel_active(x, t, dim)
    terms = np.where(active, z, dt.type(0)).reshape(nframe, -1).astype(np.float64)
    # each sample's terms summed in double in the C loop's order, returned as the input's
    # type; the samples' values summed in double again
    inner = np.cumsum(terms, axis=1)[:, -1].astype(dt)
    if reduction != "none" or input.dim() <= 1:
        wide = inner.astype(np.float64)
        total = (np.cumsum(wide)[-1] if nframe else wide.sum()) / dim
        if reduction == "mean":
            total = total / nframe
        value = total.astype(dt).reshape(())
    else:
        value = inner / dt.type(dim)
    result = Tensor._make(_contiguous(value))
    if _recording(input):
        node = MultilabelMarginLossBackward0(input, target)
        node.reduction = reduction
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


# -- the torch.* spellings (integer reduction enum) ---------------------------------------------


def _enum(reduction, name):
    """PyTorch's integer reduction: 1 mean, 2 sum, anything else none (its default here)."""
    if reduction is None:
        return "none"
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"{name}(): argument 'reduction' must be int, not "
                        f"{type(reduction).__name__}")
    return {1: "mean", 2: "sum"}.get(reduction, "none")


def torch_margin_ranking_loss(input1, input2, target, margin=0.0, reduction=None):
    """`torch.margin_ranking_loss`: F.margin_ranking_loss with the integer reduction enum.

    >>> import ember
    >>> one, two = ember.tensor([1.0]), ember.tensor([2.0])
    >>> ember.margin_ranking_loss(one, two, one, 0.0, 1)
    tensor(1.)
    """
    return margin_ranking_loss(input1, input2, target, margin,
                               _enum(reduction, "margin_ranking_loss"))


def torch_hinge_embedding_loss(input, target, margin=1.0, reduction=None):
    """`torch.hinge_embedding_loss` (integer reduction enum: 1 mean, 2 sum, else none)."""
    return hinge_embedding_loss(input, target, margin,
                                _enum(reduction, "hinge_embedding_loss"))


def torch_cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=None):
    """`torch.cosine_embedding_loss` (integer reduction enum: 1 mean, 2 sum, else none)."""
    return cosine_embedding_loss(input1, input2, target, margin,
                                 _enum(reduction, "cosine_embedding_loss"))


def torch_triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6,
                              swap=False, reduction=None):
    """`torch.triplet_margin_loss` (integer reduction enum: 1 mean, 2 sum, else none)."""
    return triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                               _enum(reduction, "triplet_margin_loss"))


def torch_poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """`torch.poisson_nll_loss` (all arguments required, integer reduction enum)."""
    return poisson_nll_loss(input, target, log_input, full, eps,
                            _enum(reduction, "poisson_nll_loss"))


# -- pdist --------------------------------------------------------------------------------------

# PyTorch's CPU kernels reduce each row pair with SIMD vectors of this many lanes (AVX2: eight
# floats, four doubles); the lane layout fixes the order of the additions, so it is mirrored.
_LANES = {_F32: 8, _F64: 4}


def _pdist_kind(p):
    if p == 0:
        return "zero"
    if p == 1:
        return "one"
    if p == 2:
        return "two"
    if math.isinf(p):
        return "inf"
    return "p"


def _lanes_reduce(v, red, tree):
    """`vec::map2_reduce_all`'s order over the last axis of `v` (K, m): lane-wise accumulation
    of the vectors, then the lanes reduced (a shuffle tree for float, in turn for double)."""
    width = _LANES[v.dtype]
    m = v.shape[1]
    if m < width:                              # one partial vector, reduced lane by lane
        if m == 0:
            return v.sum(axis=1)               # no columns: every distance is 0
        acc = v[:, 0]
        for i in range(1, m):
            acc = red(acc, v[:, i])
        return acc
    acc = v[:, :width]
    full = m - m % width
    for d in range(width, full, width):
        acc = red(acc, v[:, d:d + width])
    if m > full:                               # the tail updates only its first lanes
        r = m - full
        acc = np.concatenate([red(acc[:, :r], v[:, full:]), acc[:, r:]], axis=1)
    if tree:
        acc = red(acc[:, :4], acc[:, 4:])
        acc = red(acc[:, :2], acc[:, 2:])
        return red(acc[:, 0], acc[:, 1])
    out = acc[:, 0]
    for i in range(1, width):
        out = red(out, acc[:, i])
    return out


def _pair_index(n, like):
    xp = _backend.xp(like)
    rows, cols = np.triu_indices(n, 1)
    return xp.asarray(rows), xp.asarray(cols)


def _pdist_array(x, p):
    n = x.shape[0]
    dt = x.dtype
    if n < 2:
        return x.reshape(-1)[:0].copy()
    rows, cols = _pair_index(n, x)
    diff = np.abs(x[rows] - x[cols])
    kind = _pdist_kind(p)
    ps = dt.type(p)
    if kind == "zero":
        mapped = np.minimum(np.ceil(diff), dt.type(1))
    elif kind in ("one", "inf"):
        mapped = diff
    elif kind == "two":
        mapped = diff * diff
    else:
        mapped = np.power(diff, ps)
    red = np.maximum if kind == "inf" else np.add
    agg = _lanes_reduce(mapped, red, dt == _F32)
    if kind == "two":
        return np.sqrt(agg)
    if kind == "p":                            # std::pow(agg, 1.0 / p) runs in double
        return np.power(agg.astype(np.float64), 1.0 / float(ps)).astype(dt)
    return agg


def _pdist_pair_grad(diff, g, dist, p, kind):
    dt = diff.dtype
    zero, one = dt.type(0), dt.type(1)
    ps = dt.type(p)
    sign = (diff > 0).astype(dt) - (diff < 0).astype(dt)
    if kind == "one":
        return g * sign
    if kind == "inf":
        return g * sign * (one - np.minimum(one, np.ceil(np.abs(np.abs(diff) - dist))))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == "two":
            r = g * diff / dist
        elif p < 2:
            r = sign * np.power(np.abs(diff), ps - one) * g / np.power(dist, ps - one)
            if p < 1:
                r = np.where(diff == 0, zero, r)
        else:
            r = diff * np.power(np.abs(diff), ps - dt.type(2)) * g / np.power(dist, ps - one)
    return np.where(dist == 0, zero, r)


def _pdist_backward_array(grad, x, p, dist):
    n, m = x.shape
    res = np.zeros_like(x)
    kind = _pdist_kind(p)
    if kind == "zero" or grad.size == 0 or x.size == 0:
        return res
    g = np.broadcast_to(grad, dist.shape)
    start = 0
    for i in range(n - 1):                     # row i gains its pairs' terms in turn; each
        count = n - 1 - i                      # later row loses its term (PyTorch's loop)
        r = _pdist_pair_grad(x[i][None, :] - x[i + 1:], g[start:start + count, None],
                             dist[start:start + count, None], p, kind)
        res[i + 1:] = res[i + 1:] - r
        res[i] = np.cumsum(np.concatenate([res[i][None, :], r]), axis=0)[-1]
        start += count
    return res


class PdistBackward0(Node):
    def apply(self, grad):
        x, result = self.saved
        return (pdist_backward(grad, x, self.p, result),)


def pdist_backward(grad, input, p, result):
    """pdist's gradient, as PyTorch's CPU loop computes it (PyTorch defines no derivative of
    it: its node refuses a second backward, as PyTorch's does)."""
    value = _pdist_backward_array(contiguous(grad._data), contiguous(input._data), p,
                                  result._data)
    return _not_differentiable(Tensor._make(value), "_pdist_backward", grad, input)


def pdist(input, p=2):
    """The `p`-norm distances between all pairs of rows of an (N, M) input: the upper
    triangle of `cdist(input, input)` row by row, N * (N - 1) / 2 values.

    >>> import ember
    >>> ember.pdist(ember.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
    tensor([ 5., 10.,  5.])
    """
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    _float_kernel(input, "pdist")
    p = float(p)
    value = _pdist_array(contiguous(input._data), p)
    result = Tensor._make(_contiguous(value))
    if _recording(input):
        node = PdistBackward0(input)
        node.p = p
        node.save_for_backward(input, result)
        _attach(result, node)
    return result


# -- ctc_loss -----------------------------------------------------------------------------------


def _ctc_lengths(input_lengths, target_lengths):
    """The lengths as lists of ints: both tensors (of an integer dtype) or both sequences."""
    both_tensors = isinstance(input_lengths, Tensor) and isinstance(target_lengths, Tensor)
    if both_tensors:
        for t, name in ((input_lengths, "input_lengths"), (target_lengths, "target_lengths")):
            if t.is_floating_point() or t.is_complex() or t._data.dtype == np.bool_:
                raise RuntimeError(f"{name} must be integral")
        return ([int(v) for v in input_lengths.reshape(-1).tolist()],
                [int(v) for v in target_lengths.reshape(-1).tolist()])
    if (isinstance(input_lengths, (list, tuple)) and isinstance(target_lengths, (list, tuple))
            and all(isinstance(v, int) and not isinstance(v, bool)
                    for v in (*input_lengths, *target_lengths))):
        return [int(v) for v in input_lengths], [int(v) for v in target_lengths]
    got = ", ".join(type(v).__name__ if not isinstance(v, Tensor) else "Tensor"
                    for v in (input_lengths, target_lengths))
    raise TypeError(f"ctc_loss() received an invalid combination of arguments - got (Tensor, "
                    f"Tensor, {got}, ...), but expected input_lengths and target_lengths both "
                    f"tuples of ints or both Tensors")


def _ctc_check(log_probs, targets, il, tl, blank):
    """ctc_loss_allocate_outputs' checks, with its messages; the targets' batch offsets."""
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if log_probs.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.dim()}-dimensional "
                           f"tensor for argument #1 'log_probs'{where}")
    if not 1 <= targets.dim() <= 2:
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional "
                           f"tensor for argument #2 'targets'{where}")
    max_t, batch, labels = log_probs.shape
    if not 0 <= blank < labels:
        raise RuntimeError("blank must be in label range")
    if len(il) != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tl) != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    for v in tl:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got "
                               f"value {v}{where}")
    if targets.dim() == 1:
        offsets = [sum(tl[:b]) for b in range(batch)]
        if targets.shape[0] != sum(tl):
            raise RuntimeError(f"Expected tensor to have size {sum(tl)} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets'{where}")
    else:
        offsets = None
        if targets.shape[0] != batch:
            raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets'{where}")
        longest = max(tl, default=0)
        if targets.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension "
                               f"1, but got size {targets.shape[1]} for argument #2 "
                               f"'targets'{where}")
    for v in il:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got "
                               f"value {v}{where}")
        if v > max_t:
            raise RuntimeError(f"Expected input_lengths to have value at most {max_t}, but got "
                               f"value {v}{where}")
    return offsets


class _CtcSetup:
    """The extended targets (blanks between the labels) and the masks of the recursions, as
    (N, 2 * max_target_length + 1) arrays on the input's device."""

    def __init__(self, lp, targets, il, tl, blank, offsets):
        xp = _backend.xp(lp)
        n = lp.shape[1]
        longest = max(tl, default=0)
        width = 2 * longest + 1
        self.il = xp.asarray(np.asarray(il, dtype=np.int64))
        self.tl = xp.asarray(np.asarray(tl, dtype=np.int64))
        tgt = targets.reshape(-1)
        if longest and tgt.shape[0]:
            pos = np.arange(longest)[None, :]
            if offsets is None:                  # padded (N, S): row b's labels
                host = np.arange(n)[:, None] * targets.shape[1] + pos
            else:                                # concatenated: from each row's offset
                host = np.asarray(offsets, dtype=np.int64)[:, None] + pos
            host = np.minimum(host, tgt.shape[0] - 1)
            labels = tgt[xp.asarray(host)]
        else:
            labels = xp.zeros((n, longest), dtype=np.int64)
        s = xp.arange(width)[None, :]
        in_target = s <= 2 * self.tl[:, None]
        prime = xp.full((n, width), blank, dtype=np.int64)
        if longest:
            prime[:, 1::2] = labels
        self.prime = xp.where(in_target, prime, blank)
        self.valid = in_target
        # a label may follow the one two places back when it differs from it (skips a blank)
        skip = xp.zeros((n, width), dtype=bool)
        skip[:, 2:] = self.prime[:, 2:] != self.prime[:, :-2]
        self.skip = skip & in_target
        self.width = width


def _lse3(a, b, c, dt):
    """log(exp(a - m) + exp(b - m) + exp(c - m)) + m with m the largest (0 if all are -inf),
    in the kernel's order."""
    m = np.where(b > a, b, a)
    m = np.where(c > m, c, m)
    m = np.where(m == -np.inf, dt.type(0), m)
    return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


def _ctc_alpha(lp, setup):
    """The forward variables log_alpha (N, T, S') and the losses (N,)."""
    xp = _backend.xp(lp)
    dt = lp.dtype
    max_t, n, _ = lp.shape
    width = setup.width
    ninf = dt.type(-np.inf)
    emit = np.take_along_axis(lp, xp.broadcast_to(setup.prime[None], (max_t, n, width)), 2)
    alpha = xp.full((n, max_t, width), ninf, dtype=dt)
    il, tl = setup.il, setup.tl
    if max_t:
        first = alpha[:, 0]
        first[:, 0] = xp.where(il > 0, emit[0, :, 0], ninf)
        if width > 1:
            first[:, 1] = xp.where((il > 0) & (tl > 0), emit[0, :, 1], ninf)
    pad1 = xp.full((n, 1), ninf, dtype=dt)
    pad2 = xp.full((n, 2), ninf, dtype=dt)
    with np.errstate(invalid="ignore", over="ignore"):
        for t in range(1, max_t):
            prev = alpha[:, t - 1]
            la2 = np.concatenate([pad1, prev[:, :-1]], axis=1)
            la3 = np.where(setup.skip, np.concatenate([pad2, prev[:, :-2]], axis=1)[:, :width],
                           ninf)
            new = _lse3(prev, la2, la3, dt) + emit[t]
            alpha[:, t] = np.where(setup.valid & (t < il)[:, None], new, ninf)
    rows = xp.arange(n)
    last = alpha[rows, xp.maximum(il - 1, 0)]
    l1 = last[rows, 2 * tl]
    l2 = last[rows, xp.maximum(2 * tl - 1, 0)]
    m = np.where(l1 < l2, l2, l1)
    m = np.where(m == ninf, dt.type(0), m)
    with np.errstate(invalid="ignore", over="ignore"):
        both = np.log(np.exp(l1 - m) + np.exp(l2 - m)) + m
    ll = np.where(tl == 0, last[:, 0], both)
    ll = np.where(il == 0, np.where(tl == 0, dt.type(0), ninf), ll)
    return -ll, alpha, emit


class CtcLossBackward0(Node):
    def apply(self, grad):
        (log_probs,) = self.saved
        return (ctc_loss_backward(grad, log_probs, self.setup, self.nll, self.alpha, self.emit,
                                  self.zero_infinity), None)


def ctc_loss_backward(grad, log_probs, setup, nll, alpha, emit, zero_infinity):
    """The CTC loss's gradient: the backward variables log_beta, then the log of
    sum_s alpha * beta for each (time, label), as PyTorch's CPU kernel folds it (PyTorch
    defines no derivative of it: its node refuses a second backward)."""
    lp = log_probs._data
    xp = _backend.xp(lp)
    dt = lp.dtype
    max_t, n, labels = lp.shape
    width = setup.width
    ninf = dt.type(-np.inf)
    il, tl = setup.il, setup.tl
    s = xp.arange(width)[None, :]
    # beta's step reads s + 1 (below the last blank) and s + 2 (where alpha's step skips)
    has2 = s < 2 * tl[:, None]
    has3 = np.concatenate([setup.skip[:, 2:], xp.zeros((n, 2), dtype=bool)], axis=1)[:, :width]
    ends = setup.valid & ((s == 2 * tl[:, None]) | ((s == 2 * tl[:, None] - 1) & (tl > 0)[:, None]))
    beta = xp.full((n, max_t, width), ninf, dtype=dt)
    pad1 = xp.full((n, 1), ninf, dtype=dt)
    pad2 = xp.full((n, 2), ninf, dtype=dt)
    with np.errstate(invalid="ignore", over="ignore"):
        for t in range(max_t - 1, -1, -1):
            row = xp.full((n, width), ninf, dtype=dt)
            if t + 1 < max_t:
                nxt = beta[:, t + 1]
                lb2 = np.where(has2, np.concatenate([nxt[:, 1:], pad1], axis=1), ninf)
                lb3 = np.where(has3, np.concatenate([nxt[:, 2:], pad2], axis=1)[:, :width],
                               ninf)
                new = _lse3(nxt, lb2, lb3, dt) + emit[t]
                row = np.where(setup.valid & (t < il - 1)[:, None], new, row)
            beta[:, t] = np.where(ends & (t == il - 1)[:, None], emit[t], row)
        t_idx = xp.arange(max_t)[None, :, None]
        ab = np.where(setup.valid[:, None, :] & (t_idx < il[:, None, None]), alpha + beta, ninf)
        # "log+=" each position's alpha * beta into its label, positions descending
        acc = xp.full((n, max_t, labels), ninf, dtype=dt)
        rows = xp.arange(n)[:, None]
        times = xp.arange(max_t)[None, :]
        for pos in range(width - 1, -1, -1):
            label = setup.prime[:, pos][:, None]
            cur = acc[rows, times, label]
            v = ab[:, :, pos]
            m = np.where(cur < v, v, cur)
            summed = np.log(np.exp(cur - m) + np.exp(v - m)) + m
            acc[rows, times, label] = np.where(cur == ninf, v, summed)
        lpb = xp.moveaxis(lp, 1, 0)
        nll3 = nll[:, None, None]
        gout = xp.broadcast_to(grad._data.reshape(-1), (n,))[:, None, None]
        res = (np.exp(lpb) - np.exp(acc + nll3 - lpb)) * gout
    keep = t_idx < il[:, None, None]
    if zero_infinity:
        keep = keep & (nll3 != np.inf)
    res = np.where(keep, res, dt.type(0)).astype(dt, copy=False)
    result = Tensor._make(contiguous(xp.moveaxis(res, 0, 1)))
    return _not_differentiable(result, "_ctc_loss_backward", grad, log_probs)


def _ctc_raw(log_probs, targets, il, tl, blank, zero_infinity):
    """aten::_ctc_loss on (T, N, C) log_probs: the per-sample losses (N,)."""
    if log_probs._data.dtype not in (_F32, _F64):
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for '
                                  f"'{log_probs.dtype.scalar_name}'")
    offsets = _ctc_check(log_probs, targets, il, tl, blank)
    lp = contiguous(log_probs._data)
    tgt = targets._data
    if tgt.dtype != np.int64:                  # PyTorch converts the targets to int64
        tgt = tgt.astype(np.int64)
    setup = _CtcSetup(lp, tgt, il, tl, blank, offsets)
    nll, alpha, emit = _ctc_alpha(lp, setup)
    result = Tensor._make(_contiguous(nll.astype(lp.dtype, copy=False)))
    if _recording(log_probs):
        node = CtcLossBackward0(log_probs)
        node.setup, node.nll, node.alpha, node.emit = setup, nll, alpha, emit
        node.zero_infinity = zero_infinity
        node.save_for_backward(log_probs)
        _attach(result, node)
    return result


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """The connectionist temporal classification loss of (T, N, C) (or unbatched (T, C))
    log-probabilities against targets padded (N, S) or concatenated (sum of the lengths,).

    >>> import ember
    >>> lp = ember.tensor([[[-0.5, -1.0]], [[-0.7, -0.8]]])
    >>> ember.nn.functional.ctc_loss(lp, ember.tensor([[1]]), [2], [1], reduction="sum")
    tensor(0.4772)
    """
    il, tl = _ctc_lengths(input_lengths, target_lengths)
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    res = _ctc_raw(lp, targets, il, tl, blank, zero_infinity)
    if zero_infinity:
        res = where(res == math.inf, Tensor._make(np.zeros_like(res._data, shape=())), res)
    if reduction == "mean":
        lengths = Tensor._make(_backend.xp(res._data).asarray(
            np.asarray(tl, dtype=res._data.dtype))).clamp_min(1)
        return (res / lengths).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)


def torch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
                   zero_infinity=False):
    """`torch.ctc_loss` (integer reduction enum: 1 mean, 2 sum, else none; PyTorch's own
    signature says mean by default, but a call without it returns the losses unreduced).

    >>> import ember
    >>> lp = ember.tensor([[[-0.5, -1.0]], [[-0.7, -0.8]]])
    >>> ember.ctc_loss(lp, ember.tensor([[1]]), [2], [1], 0, 2)
    tensor(0.4772)
    """
    return ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                    {1: "mean", 2: "sum"}.get(reduction, "none"), zero_infinity)

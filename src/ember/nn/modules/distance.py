"""Distances between vectors: `PairwiseDistance`, `CosineSimilarity`, and the functional forms
`normalize`, `cosine_similarity`, `pairwise_distance` (built from ember's ops in PyTorch's
order, so the values, gradients and graph nodes are PyTorch's)."""

from ... import _dtype
from ...autograd import grad_mode
from ...ops import activation_ops, loss_ops
from ...ops.shape import expand
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity", "normalize", "cosine_similarity",
           "pairwise_distance", "pdist"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Each vector along `dim` divided by its `p`-norm (at least `eps`).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.normalize(ember.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    if out is None:
        denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
        return input / denom
    denom = input.norm(p, dim, keepdim=True).clamp_min_(eps).expand_as(input)
    from ...ops.pointwise import div
    return div(input, denom, out=out)


def _broadcast_shape(a, b):
    sa, sb = tuple(a.shape), tuple(b.shape)
    n = max(len(sa), len(sb))
    shape = []
    for i in range(n):
        x = sa[i - n + len(sa)] if i - n + len(sa) >= 0 else 1
        y = sb[i - n + len(sb)] if i - n + len(sb) >= 0 else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
        shape.append(y if x == 1 else x)
    return tuple(shape)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """`<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))` along `dim` (inputs broadcast).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    common = _dtype.promote_types(x1.dtype, x2.dtype)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{common.scalar_name}")
    # integer (and bool) inputs are converted: vector_norm takes floating inputs only
    if not x1.is_floating_point():
        x1 = x1.to(common)
    if not x2.is_floating_point():
        x2 = x2.to(common)
    shape = _broadcast_shape(x1, x2)
    if tuple(x1.shape) != shape:
        x1 = expand(x1, shape)
    if tuple(x2.shape) != shape:
        x2 = expand(x2, shape)
    # each vector is divided by its norm first (more stable; the result stays in [-1, 1]);
    # the clamp to eps is not differentiated (PyTorch clamps clones in no-grad mode)
    x1_norm = activation_ops.vector_norm(x1, 2, dim, True).clone()
    x2_norm = activation_ops.vector_norm(x2, 2, dim, True).clone()
    with grad_mode.no_grad():
        x1_norm.clamp_min_(eps)
        x2_norm.clamp_min_(eps)
    return ((x1 / x1_norm) * (x2 / x2_norm)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """`||x1 - x2 + eps||_p` over the last dimension.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pairwise_distance(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]), eps=0.0)
    tensor([5.])
    """
    output_dim = max(x1.dim(), x2.dim())
    innermost_dim = output_dim - 1
    return activation_ops.norm(activation_ops.add_scalar(x1 - x2, eps), p, innermost_dim,
                               keepdim)


def pdist(input, p=2):
    """The `p`-norm distances between all pairs of rows of an (N, M) input (the upper
    triangle of `cdist(input, input)`, row by row).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pdist(ember.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
    tensor([ 5., 10.,  5.])
    """
    return loss_ops.pdist(input, p)


class PairwiseDistance(Module):
    """The `p`-norm distance between the rows of two inputs (see `F.pairwise_distance`)."""

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """The cosine of the angle between `x1` and `x2` along `dim`.

    >>> import ember
    >>> from ember import nn
    >>> nn.CosineSimilarity(dim=0)(ember.tensor([1.0, 0.0]), ember.tensor([0.0, 1.0]))
    tensor(0.)
    """

    __constants__ = ["dim", "eps"]

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)



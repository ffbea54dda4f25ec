"""`ember.nn.functional` (imported as `F`): the layers, activations and losses as functions.

The modules in `ember.nn` hold parameters and settings and call these functions in their
`forward`. The math of the fused ops (one backward node each, as in PyTorch) is in
`ember/ops/nn_ops.py`; the rest is composed here from ember's tensor ops, in the order
PyTorch composes it.
"""
import math
import warnings

import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor
from ..ops import activation_ops, loss_ops as _loss_ops, nn_ops
from ..ops._util import reduce_loss as _reduce
from ..ops.inplace import inplace as _inplace
from ..ops.linalg import matmul
from ..ops.pointwise import exp, relu as _relu, where
from . import _reduction

__all__ = [
    "linear", "bilinear", "dropout", "dropout1d", "dropout2d", "embedding", "one_hot",
    "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "relu", "relu_", "relu6", "threshold", "threshold_", "hardtanh", "hardtanh_", "elu", "elu_",
    "leaky_relu", "leaky_relu_", "prelu", "gelu", "silu", "softplus", "hardshrink", "logsigmoid", "sigmoid", "tanh",
    "softmax", "softmin", "log_softmax", "gumbel_softmax",
    "selu", "selu_", "celu", "celu_", "mish", "hardswish", "hardsigmoid", "softsign",
    "tanhshrink", "softshrink", "glu", "rrelu", "rrelu_",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy", "kl_div",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "poisson_nll_loss",
    "gaussian_nll_loss", "ctc_loss", "affine_grid", "grid_sample",
]


# -- linear layers ------------------------------------------------------------------------------


def linear(input, weight, bias=None):
    """`input @ weight.T + bias`: for a batch of row vectors, `(N, in) -> (N, out)`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.linear(ember.tensor([[1.0, 2.0]]), ember.tensor([[3.0, 4.0]]), ember.tensor([0.5]))
    tensor([[11.5000]])
    """
    input_dim, weight_dim = input.dim(), weight.dim()
    if input_dim == 0 or weight_dim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input_dim}D and {weight_dim}D")
    if bias is not None and input_dim == 2:
        return nn_ops.addmm(bias, input, weight.t())       # PyTorch's fused path
    if bias is not None and bias.dim() == 1 and input.is_contiguous():
        # any other shape (..., in): flatten to (N, in), addmm, and view the result back
        flat = input.reshape(int(np.prod(input.shape[:-1])), input.shape[-1])
        out = nn_ops.addmm(bias, flat, weight.t())
        return out.view(*input.shape[:-1], out.shape[1])
    output = matmul(input, weight.t())
    return output if bias is None else output + bias


def bilinear(input1, input2, weight, bias=None):
    """`y[o] = x1 @ weight[o] @ x2 + bias[o]` for each output feature `o`."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{input1.shape[i]} and {input2.shape[i]}")
    out_features, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    if bias is not None and bias.shape[0] != out_features:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {out_features}")
    lead = tuple(input1.shape[:-1])
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    # (x1 W[o]) for every o at once, then the dot product with x2
    left = matmul(x1, weight.permute(1, 0, 2).reshape(in1, out_features * in2))
    out = (left.view(-1, out_features, in2) * x2.unsqueeze(1)).sum(-1)
    out = out.reshape(*lead, out_features)
    return out if bias is None else out + bias


# -- dropout ------------------------------------------------------------------------------------


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, training, inplace, noise_shape):
    """Zero each element (or each channel, for `noise_shape` (N, C, 1, ...)) with
    probability `p`, and scale the kept ones by `1 / (1 - p)`, so the expected value stays."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = Tensor._make(np.zeros_like(input._data, shape=()))  # on the input's device
        return input.mul_(zero) if inplace else input * zero
    from .._creation import empty, empty_like
    # the mask lives where the input does (a GPU draws it with its own generator); a mask of
    # the input's shape has its strides too, as PyTorch's empty_like gives it, so the draws
    # fill it in the input's memory order (a transposed input gets a transposed draw)
    if tuple(noise_shape) == tuple(input.shape):
        noise = empty_like(input)
    else:
        noise = empty(*noise_shape, dtype=input.dtype,
                      device=None if type(input._data) is np.ndarray else input.device)
    noise.bernoulli_(1 - p)
    noise.div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    """During training, zero each element with probability `p` and scale the others by
    `1 / (1 - p)`; the identity when `training` is False."""
    _check_p(p)
    return _dropout(input, p, training, inplace, tuple(input.shape))


def _feature_noise_shape(input):
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(input.shape[:2]) + (1,) * (input.dim() - 2)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of `(N, C, L)` (or `(C, L)`) inputs with probability `p`."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    batched = input if inp_dim == 3 else input.unsqueeze(0)
    result = _dropout(batched, p, training, False, _feature_noise_shape(batched))
    if inplace:
        input.copy_(result if inp_dim == 3 else result.squeeze(0))
        return input
    return result if inp_dim == 3 else result.squeeze(0)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (feature maps) of `(N, C, H, W)` inputs with probability `p`."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if inp_dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change in "
                      "a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, _feature_noise_shape(input))


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (volumes) of `(N, C, D, H, W)` (or `(C, D, H, W)`) inputs with
    probability `p`."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    is_batched = inp_dim == 5
    if not is_batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _dropout(input, p, training, inplace, _feature_noise_shape(input))
    if not is_batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result


_SELU_ALPHA_PRIME = 1.7580993408473766     # -scale * alpha of SELU: its negative saturation


def _alpha_dropout(input, p, training, inplace, feature):
    """Dropout that keeps SELU's self-normalisation: a dropped element becomes SELU's
    saturation value, and an affine map `a * x + b` restores mean 0 and variance 1."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = Tensor._make(np.zeros_like(input._data, shape=()))
        return input.mul_(zero) if inplace else input * zero
    from .._creation import empty
    shape = _feature_noise_shape(input) if feature else tuple(input.shape)
    noise = empty(*shape, dtype=input.dtype,
                  device=None if type(input._data) is np.ndarray else input.device)
    noise.bernoulli_(1 - p)
    alpha = _SELU_ALPHA_PRIME
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    b = noise.add(-1).mul_(alpha * a).add_(alpha * a * p)
    noise.mul_(a)
    return (input.mul_(noise) if inplace else input * noise).add_(b)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU networks): in training, each element is set to SELU's
    saturation value with probability `p`, then all are scaled and shifted so the mean and
    variance stay 0 and 1. The identity when `training` is False (the default)."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels of `(N, C, *)` inputs."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, True)


# -- embedding ----------------------------------------------------------------------------------


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of `weight` (one vector per index in `input`); the row `padding_idx`
    gets no gradient.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.embedding(ember.tensor([2, 0]), ember.tensor([[0.0], [1.0], [2.0]]))
    tensor([[2.],
            [0.]])
    """
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        nn_ops.embedding_renorm_(weight, input, max_norm, norm_type)
    return nn_ops.embedding(weight, input, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """Class indices as one-hot rows: shape `tensor.shape + (num_classes,)`, int64.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.one_hot(ember.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size and x.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if x.size and x.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = _backend.xp(x).arange(num_classes)      # on the indices' device
    return Tensor._make((x[..., None] == classes).astype(np.int64))


# -- activations --------------------------------------------------------------------------------


def relu(input, inplace=False):
    """`max(x, 0)` elementwise."""
    return input.relu_() if inplace else _relu(input)


def relu_(input):
    return input.relu_()


def threshold(input, threshold, value, inplace=False):
    """`x` where `x > threshold`, else `value`."""
    return (_threshold_(input, threshold, value) if inplace
            else nn_ops.threshold(input, threshold, value))


_threshold_ = _inplace(nn_ops.threshold)
threshold_ = _threshold_


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """`x` clamped to `[min_val, max_val]`."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return (_hardtanh_(input, min_val, max_val) if inplace
            else nn_ops.hardtanh(input, min_val, max_val))


_hardtanh_ = _inplace(nn_ops.hardtanh)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def hardshrink(input, lambd=0.5):
    """`x` where `|x| > lambd`, else 0."""
    return nn_ops.hardshrink(input, lambd)


def relu6(input, inplace=False):
    """`min(max(x, 0), 6)`."""
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha=1.0, inplace=False):
    """`x` where `x > 0`, else `alpha * (exp(x) - 1)`."""
    return _elu_(input, alpha) if inplace else nn_ops.elu(input, alpha)


_elu_ = _inplace(nn_ops.elu)


def elu_(input, alpha=1.0):
    return _elu_(input, alpha)


def prelu(input, weight):
    """`x` where `x > 0`, else `weight * x` (one weight, or one per channel)."""
    return nn_ops.prelu(input, weight)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """`x` where `x > 0`, else `negative_slope * x`."""
    return (_leaky_relu_(input, negative_slope) if inplace
            else nn_ops.leaky_relu(input, negative_slope))


_leaky_relu_ = _inplace(nn_ops.leaky_relu)


def leaky_relu_(input, negative_slope=0.01):
    return _leaky_relu_(input, negative_slope)


def gelu(input, approximate="none"):
    """`x * Phi(x)` (Phi: the standard normal CDF), or its tanh approximation."""
    return nn_ops.gelu(input, approximate)


def silu(input, inplace=False):
    """`x * sigmoid(x)` (also called swish)."""
    return _silu_(input) if inplace else nn_ops.silu(input)


_silu_ = _inplace(nn_ops.silu)


def softplus(input, beta=1.0, threshold=20.0):
    """`log(1 + exp(beta * x)) / beta`, a smooth ReLU."""
    return nn_ops.softplus(input, beta, threshold)


def logsigmoid(input):
    """`log(sigmoid(x))`, without overflow."""
    return nn_ops.log_sigmoid(input)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


# (selu ... rrelu: the kernels are in ember/ops/activation_ops.py)


def selu(input, inplace=False):
    """`scale * elu(x, alpha)` with SELU's constants (alpha ~ 1.6733, scale ~ 1.0507).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.selu(ember.tensor([-1.0, 1.0]))
    tensor([-1.1113,  1.0507])
    """
    return activation_ops.selu_(input) if inplace else activation_ops.selu(input)


def selu_(input):
    return activation_ops.selu_(input)


def celu(input, alpha=1.0, inplace=False):
    """`max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return (activation_ops.celu_(input, alpha) if inplace
            else activation_ops.celu(input, alpha))


def celu_(input, alpha=1.0):
    return activation_ops.celu_(input, alpha)


def mish(input, inplace=False):
    """`x * tanh(softplus(x))`."""
    return activation_ops.mish_(input) if inplace else activation_ops.mish(input)


def hardswish(input, inplace=False):
    """`x * relu6(x + 3) / 6` (MobileNetV3)."""
    return activation_ops.hardswish_(input) if inplace else activation_ops.hardswish(input)


def hardsigmoid(input, inplace=False):
    """`relu6(x + 3) / 6`."""
    return (activation_ops.hardsigmoid_(input) if inplace
            else activation_ops.hardsigmoid(input))


def softsign(input):
    """`x / (1 + |x|)`."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """`x - tanh(x)`."""
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    """`x - lambd` above `lambd`, `x + lambd` below `-lambd`, else 0."""
    return activation_ops.softshrink(input, lambd)


def glu(input, dim=-1):
    """`a * sigmoid(b)`, for `a` and `b` the two halves of `input` along `dim`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.glu(ember.tensor([[1.0, 2.0, 0.0, 0.0]]))
    tensor([[0.5000, 1.0000]])
    """
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return activation_ops.glu(input, dim)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: negative inputs times a slope drawn from U(lower, upper) per
    element in training, times `(lower + upper) / 2` otherwise."""
    if inplace:
        return activation_ops.rrelu_(input, lower, upper, training)
    return activation_ops.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return activation_ops.rrelu_(input, lower, upper, training)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _cast(input, dtype):
    return input if dtype is None else input.to(_dtype.to_dtype(dtype))


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """`exp(x) / sum(exp(x))` along `dim`: each slice becomes probabilities summing to 1.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.softmax(ember.tensor([[0.0, 0.0]]), dim=1)
    tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return nn_ops.softmax(_cast(input, dtype), dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """`softmax(-x)`."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return nn_ops.softmax(_cast(-input, dtype), dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """`log(softmax(x))` along `dim`, computed stably."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return nn_ops.log_softmax(_cast(input, dtype), dim)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax distribution over `dim` (one-hot in the forward pass
    with `hard=True`, softmax gradients through). Draws from ember's generator as PyTorch
    does (`exponential_`), so a seed gives PyTorch's sample.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.gumbel_softmax(ember.zeros(2, 3), hard=True).sum(-1)
    tensor([1., 1.])
    """
    from .. import empty_like, zeros_like
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()      # ~Gumbel(0, 1)
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if hard:
        # straight-through: the one-hot forward value, the soft sample's gradient
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


# -- attention ----------------------------------------------------------------------------------

# scaled_dot_product_attention and multi_head_attention_forward live next to MultiheadAttention
# (modules/attention.py), which imports this file: they are re-exported at its end.


# -- padding and resampling ---------------------------------------------------------------------

# pad lives in modules/padding.py, interpolate and the upsample aliases in modules/upsampling.py,
# pixel_shuffle, pixel_unshuffle and channel_shuffle in modules/pixelshuffle.py (the math in
# ops/resample.py): they are re-exported at the end of this file.


# -- spatial transformers -----------------------------------------------------------------------

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
                  "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
                  "See the documentation of grid_sample for details.")


def _neg_one_to_one(theta, steps, align_corners):
    """The base grid's coordinates along one axis: linspace(-1, 1), shrunk by (n-1)/n to the
    pixel centres when not align_corners (one 0 for a single step)."""
    from .._creation import linspace, zeros
    if steps <= 1:
        return zeros((), dtype=theta.dtype, device=theta.device)
    r = linspace(-1, 1, steps, dtype=theta.dtype, device=theta.device)
    return r if align_corners else r * (steps - 1) / steps


def affine_grid(theta, size, align_corners=None):
    """The (N, H, W, 2) (or (N, D, H, W, 3)) sampling grid of affine matrices `theta`.

    >>> import ember
    >>> ember.nn.functional.affine_grid(ember.eye(2, 3)[None], (1, 1, 1, 2),
    ...                                  align_corners=False)
    tensor([[[[-0.5000,  0.0000],
              [ 0.5000,  0.0000]]]])
    """
    from .._creation import empty
    from ..ops.grid_sample import affine_grid_generator
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, list(size)      # messages show `size` as the caller gave it
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{given}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{given}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {given}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    k = len(spatial)
    base = empty([size[0]] + spatial + [k + 1], dtype=theta.dtype, device=theta.device)
    with _no_grad():
        for axis in range(k):        # x runs along the last spatial dim, then y, then z
            r = _neg_one_to_one(theta, spatial[k - 1 - axis], align_corners)
            for _ in range(axis):
                r = r.unsqueeze(-1)
            base.select(-1, axis).copy_(r)
        base.select(-1, k).fill_(1)
    return affine_grid_generator(theta, base)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """`input` (N, C, H, W) sampled at the normalised (x, y) points of `grid` (N, Ho, Wo, 2).

    >>> import ember
    >>> x = ember.arange(4.).reshape(1, 1, 2, 2)
    >>> ember.nn.functional.grid_sample(x, ember.zeros(1, 1, 1, 2), align_corners=True)
    tensor([[[[1.5000]]]])
    """
    from ..ops.grid_sample import grid_sampler_2d
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_grid_sampler(input, grid, mode)
    return grid_sampler_2d(input, grid, mode, padding_mode, bool(align_corners))


def _no_grad():
    from ..autograd.grad_mode import no_grad
    return no_grad()


def _check_grid_sampler(input, grid, mode):
    """PyTorch's checks of the sampler's operands (what this port supports: 4-d input,
    bilinear / nearest)."""
    if input.device != grid.device:
        raise RuntimeError("grid_sampler(): expected input and grid to be on same device, but "
                           f"input is on {input.device} and grid is on {grid.device}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in "
                           f"last dimension, but got grid with sizes {list(grid.shape)}")
    if input.dim() != grid.dim():
        raise RuntimeError("grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")
    for i in range(2, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")
    if input.dim() != 4 or mode == "bicubic":
        raise NotImplementedError("ember's grid_sample supports 4-d input with 'bilinear' or "
                                  "'nearest' interpolation")
    if not input.is_floating_point():
        raise NotImplementedError('"grid_sampler_2d_cpu_kernel_impl" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                           f"{grid.dtype.scalar_name}")


# -- losses -------------------------------------------------------------------------------------


def _size_warning(input, target):
    if target.size() != input.size():
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _broadcast_tensors(a, b):
    """`a` and `b` expanded to their common broadcast shape (PyTorch's broadcast_tensors)."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if sa == sb:
        return a, b
    try:
        shape = np.broadcast_shapes(sa, sb)
    except ValueError:
        for i in range(1, max(len(sa), len(sb)) + 1):
            x = sa[-i] if i <= len(sa) else 1
            y = sb[-i] if i <= len(sb) else 1
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension "
                                   f"{max(len(sa), len(sb)) - i}") from None
        raise
    return a.expand(shape), b.expand(shape)


def _weighted_reduce(loss, weight, input, reduction):
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: the mean (or sum) of `(input - target)^2`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 4.0]))
    tensor(2.)
    """
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    input, target = _broadcast_tensors(input, target)
    if weight is not None:
        return _weighted_reduce((input - target) ** 2, weight, input, reduction)
    return nn_ops.mse_loss(input, target, _reduction.get_enum(reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: the mean (or sum) of `|input - target|`."""
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    input, target = _broadcast_tensors(input, target)
    if weight is not None:
        return _weighted_reduce((input - target).abs(), weight, input, reduction)
    return _reduce((input - target).abs(), _reduction.get_enum(reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error below `beta`, absolute error above: `0.5 d^2 / beta` if `|d| < beta`,
    else `|d| - 0.5 beta`."""
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    input, target = _broadcast_tensors(input, target)
    reduction = _reduction.get_enum(reduction)
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)
    return nn_ops.smooth_l1_loss(input, target, reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """`0.5 d^2` if `|d| < delta`, else `delta (|d| - 0.5 delta)` (smooth L1 times delta)."""
    _size_warning(input, target)
    input, target = _broadcast_tensors(input, target)
    if weight is not None:
        if weight.size() != input.size():
            raise ValueError("Weights and input must have the same size.")
        loss = nn_ops.huber_loss(input, target, "none", delta) * weight
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                             "'mean', 'sum'.")
        return _reduce(loss, reduction)             # (a plain mean, unlike mse's and l1's)
    return nn_ops.huber_loss(input, target, _reduction.get_enum(reduction), delta)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """`-(t log(x) + (1 - t) log(1 - x))` for predicted probabilities `x` in [0, 1]."""
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    reduction = _reduction.get_enum(reduction)
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        shape = np.broadcast_shapes(tuple(target.shape), tuple(weight.shape))
        weight = weight.expand(shape)
    return nn_ops.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy of `sigmoid(input)`, computed from the logits stably: prefer it
    to `sigmoid` followed by `binary_cross_entropy`."""
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    reduction = _reduction.get_enum(reduction)
    if not target.size() == input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    return nn_ops.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood: `-input[i, target[i]]` (times `weight[target[i]]`), for
    `input` holding log-probabilities (e.g. from `log_softmax`)."""
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    return _nll_loss_nd(input, target, weight, _reduction.get_enum(reduction), ignore_index)


def _nll_loss_nd(input, target, weight, reduction, ignore_index):
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() != 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if input.dim() <= 2 or input.dim() == 4:
        return nn_ops.nll_loss(input, target, weight, reduction, ignore_index)
    # (N, C, d1, d2, ...): viewed as (N, C, 1, d1*d2*...) for the 2-d loss
    n, c = input.shape[0], input.shape[1]
    out_size = (n,) + tuple(input.shape[2:])
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size [{', '.join(map(str, out_size))}], got "
                           f"[{', '.join(map(str, target.shape))}]")
    if input.numel() > 0:
        input = input.contiguous().view(n, c, 1, -1)
    else:
        input = input.contiguous().view(n, c, 0, 0)
    target = target.contiguous().view(n, 1, -1) if target.numel() > 0 else target.view(n, 0, 0)
    out = nn_ops.nll_loss(input, target, weight, reduction, ignore_index)
    return out if reduction != "none" else out.view(*out_size)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of the logits `input` (N, C) against class indices (N) or class
    probabilities (N, C): `nll_loss(log_softmax(input, 1), target)` for indices.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.cross_entropy(ember.tensor([[0.0, 0.0]]), ember.tensor([1]))
    tensor(0.6931)
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    reduction = _reduction.get_enum(reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if tuple(input.shape) == tuple(target.shape):
        # the target holds a probability for every class
        if not target.is_floating_point():
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {target.dtype.scalar_name}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing,
                                            class_dim)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        return _cross_entropy_label_smoothing(input, target, weight, reduction, ignore_index,
                                              label_smoothing, class_dim)
    return _nll_loss_nd(nn_ops.log_softmax(input, class_dim), target, weight, reduction,
                        ignore_index)


def _class_weight(weight, input, class_dim):
    """`weight` (C) shaped to broadcast against `input` along the class dimension."""
    if input.dim() == 1:
        return weight
    shape = [1] * input.dim()
    shape[class_dim] = weight.shape[0]
    return weight.view(*shape)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim):
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of shape: "
                           f"[{', '.join(map(str, weight.shape))}]")
    log_probs = nn_ops.log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        target = target * (1 - label_smoothing) + (label_smoothing / n_classes)
    products = log_probs * target
    if weight is not None:
        products = products * _class_weight(weight, input, class_dim)
    if reduction == "mean":
        if input.numel() == 0:
            return -products.sum() * float("nan")
        return -products.sum() / (input.numel() // n_classes)
    if reduction == "sum":
        return -products.sum()
    return -products.sum(class_dim)


def _cross_entropy_label_smoothing(input, target, weight, reduction, ignore_index,
                                   label_smoothing, class_dim):
    log_probs = nn_ops.log_softmax(input, class_dim)
    nll = _nll_loss_nd(log_probs, target, weight, reduction, ignore_index)
    n_classes = input.shape[class_dim]
    ignore_mask = target == ignore_index
    if weight is not None:
        smooth_loss = -(log_probs * _class_weight(weight, input, class_dim)).sum(class_dim)
    else:
        smooth_loss = -log_probs.sum(class_dim)
    smooth_loss = where(ignore_mask, 0.0, smooth_loss)
    if reduction == "mean":
        if weight is not None:
            kept = target._data[~ignore_mask._data]
            from ..ops._util import as_array
            total = Tensor._make(as_array(np.sum(weight._data[kept])))
            ret = smooth_loss.sum() / total
        else:
            ret = smooth_loss.sum() / int(np.sum(~ignore_mask._data))
    elif reduction == "sum":
        ret = smooth_loss.sum()
    else:
        ret = smooth_loss
    return nll * (1 - label_smoothing) + ret * (label_smoothing / n_classes)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence `sum t (log t - input)` with `input` holding
    log-probabilities (and `target` probabilities, or log-probabilities if `log_target`).
    Use `reduction='batchmean'` for the mathematical definition."""
    if size_average is not None or reduce is not None:
        reduction_enum = _reduction.legacy_get_string(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        reduction_enum = "sum" if reduction == "batchmean" else _reduction.get_enum(reduction)
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        output = exp(target) * (target - input)
    else:
        output = nn_ops.xlogy(target, target) - target * input
    reduced = _reduce(output, reduction_enum)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    return reduced


# margin, ranking and the other less common losses: the math is in ops/loss_ops.py


def _reduction_of(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _reduction.legacy_get_string(size_average, reduce)
    return _reduction.get_enum(reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """`max(0, -y (x1 - x2) + margin)`: `y = 1` asks for `x1` ranked above `x2`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]))
    tensor(1.)
    """
    reduction = _reduction_of(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return _loss_ops.margin_ranking_loss(input1, input2, target, margin, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """`x` where `y = 1`, `max(0, margin - x)` where `y = -1` (x typically a distance).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.hinge_embedding_loss(ember.tensor([0.3, 0.2]), ember.tensor([1.0, -1.0]))
    tensor(0.5500)
    """
    reduction = _reduction_of(size_average, reduce, reduction)
    return _loss_ops.hinge_embedding_loss(input, target, margin, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """`1 - cos(x1, x2)` for `y = 1`, `max(0, cos(x1, x2) - margin)` for `y = -1`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.cosine_embedding_loss(ember.tensor([[1.0, 0.0]]), ember.tensor([[0.0, 1.0]]),
    ...                         ember.tensor([1.0]))
    tensor(1.)
    """
    reduction = _reduction_of(size_average, reduce, reduction)
    return _loss_ops.cosine_embedding_loss(input1, input2, target, margin, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """`log(1 + exp(-y x))` for labels `y` = +-1 (two-class logistic loss).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.soft_margin_loss(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(0.6931)
    """
    reduction = _reduction_of(size_average, reduce, reduction)
    return _loss_ops.soft_margin_loss(input, target, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Binary cross-entropy of the logits for each class, averaged over the classes: one
    loss per sample (then reduced).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.multilabel_soft_margin_loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
    tensor(0.6931)
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    n_classes = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / n_classes
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: `sum_{i != y} max(0, margin - x[y] + x[i])^p / C` per sample.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4]]), ember.tensor([2]))
    tensor(0.5000)
    """
    reduction = _reduction_of(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _loss_ops.multi_margin_loss(input, target, p, margin, weight, reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Connectionist temporal classification loss of (T, N, C) log-probabilities (or (T, C))
    against padded (N, S) or concatenated targets; 'mean' divides each loss by its target
    length (at least 1) before averaging.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> lp = ember.tensor([[[-0.5, -1.0]], [[-0.7, -0.8]]])
    >>> F.ctc_loss(lp, ember.tensor([[1]]), [2], [1], reduction="sum")
    tensor(0.4772)
    """
    _reduction.get_enum(reduction)
    return _loss_ops.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                              reduction, zero_infinity)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss; each target row lists the sample's classes, ended by -1.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.multilabel_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]),
    ...                          ember.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = _reduction_of(size_average, reduce, reduction)
    return _loss_ops.multilabel_margin_loss(input, target, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """`max(d(a, p) - d(a, n) + margin, 0)`, `d` the p-norm distance of the last dimension
    (`swap`: use `d(p, n)` as the negative distance when it is smaller).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> a = ember.tensor([[0.0, 0.0]])
    >>> F.triplet_margin_loss(a, a, ember.tensor([[3.0, 4.0]]), eps=0.0)
    tensor(0.)
    """
    reduction = _reduction_of(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _loss_ops.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                         reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """The triplet loss with any distance function (pairwise L2 distance by default).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> a = ember.tensor([[0.0, 0.0]])
    >>> l1 = lambda x, y: (x - y).abs().sum(-1)
    >>> F.triplet_margin_with_distance_loss(a, a, a, distance_function=l1)
    tensor(1.)
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a_dim}D, positive "
                           f"{p_dim}D, and negative {n_dim}D inputs")
    if distance_function is None:
        distance_function = _loss_ops._pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance_function(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood: `exp(x) - t x` for log-rates `x` (`log_input`), or
    `x - t log(x + eps)` for rates; `full` adds Stirling's approximation of `log(t!)`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.poisson_nll_loss(ember.tensor([0.0]), ember.tensor([1.0]))
    tensor(1.)
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction.legacy_get_string(size_average, reduce)
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not a valid value for reduction")
    return _loss_ops.poisson_nll_loss(input, target, log_input, full, eps,
                                      _reduction.get_enum(reduction))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood `0.5 (log(var) + (x - t)^2 / var)` (plus
    `0.5 log(2 pi)` if `full`); `var` may have one dimension fewer, or one of size 1.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.gaussian_nll_loss(ember.tensor([1.0]), ember.tensor([3.0]), ember.tensor([1.0]))
    tensor(2.)
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * Tensor._make(np.ones_like(input._data))
    elif (var < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)             # one variance per row: broadcast it
        elif input.ndim == var.ndim and sum(y for x, y in zip(input.size(), var.size())
                                            if x != y) == 1:
            pass                                # one dimension of size 1: broadcasts
        else:
            raise ValueError("var is of incorrect size")
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with _loss_ops.grad_mode.no_grad():         # clamped for stability, outside the graph
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# Convolution, normalisation, pooling, distances, padding, resampling and attention live next
# to their modules; they import this file, so they are re-exported at its end.
from .modules.attention import (_canonical_mask, _none_or_dtype,  # noqa: E402,F401
                                multi_head_attention_forward, scaled_dot_product_attention)
__all__ += ["scaled_dot_product_attention", "multi_head_attention_forward"]
from .modules.distance import (cosine_similarity, normalize,  # noqa: E402,F401
                               pairwise_distance)
from .modules.distance import pdist  # noqa: E402,F401
__all__ += ["pdist"]
from .modules.instancenorm import instance_norm  # noqa: E402,F401
from .modules.normalization import local_response_norm, rms_norm  # noqa: E402,F401
__all__ += ["normalize", "cosine_similarity", "pairwise_distance", "instance_norm",
            "local_response_norm", "rms_norm"]
from .modules.conv import (conv1d, conv2d, conv3d, conv_transpose1d,  # noqa: E402,F401
                           conv_transpose2d, conv_transpose3d)
from .modules.normalization import batch_norm, group_norm, layer_norm  # noqa: E402,F401
from .modules.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d,  # noqa: E402,F401
                              adaptive_max_pool1d, adaptive_max_pool1d_with_indices,
                              adaptive_max_pool2d, adaptive_max_pool2d_with_indices, avg_pool1d,
                              avg_pool2d, max_pool1d, max_pool1d_with_indices, max_pool2d,
                              max_pool2d_with_indices)
__all__ += ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
            "conv_transpose3d", "batch_norm", "group_norm", "layer_norm", "adaptive_avg_pool1d",
            "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
            "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
            "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool2d_with_indices"]
from .modules.pooling import (adaptive_avg_pool3d, adaptive_max_pool3d,  # noqa: E402,F401
                              adaptive_max_pool3d_with_indices, avg_pool3d, max_pool3d,
                              max_pool3d_with_indices)
__all__ += ["adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices",
            "avg_pool3d", "max_pool3d", "max_pool3d_with_indices"]
from .modules.padding import pad  # noqa: E402,F401
from .modules.pixelshuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: E402,F401
from .modules.upsampling import (interpolate, upsample, upsample_bilinear,  # noqa: E402,F401
                                 upsample_nearest)
__all__ += ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
            "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]
from .modules.pooling import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: E402,F401
__all__ += ["max_unpool1d", "max_unpool2d", "max_unpool3d"]
from .modules.sparse import embedding_bag  # noqa: E402,F401
__all__ += ["embedding_bag"]
from .modules.fold import fold, unfold  # noqa: E402,F401
from .modules.pooling import lp_pool1d, lp_pool2d, lp_pool3d  # noqa: E402,F401
__all__ += ["fold", "unfold", "lp_pool1d", "lp_pool2d", "lp_pool3d"]
from .modules.pooling import (fractional_max_pool2d,  # noqa: E402,F401
                              fractional_max_pool2d_with_indices, fractional_max_pool3d,
                              fractional_max_pool3d_with_indices)
__all__ += ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
            "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]

"""`ember.nn.functional` (imported as `F`): the layers, activations and losses as functions.

The modules in `ember.nn` hold parameters and settings and call these functions in their
`forward`. The math of the fused ops (one backward node each, as in PyTorch) is in
`ember/ops/nn_ops.py`; the rest is composed here from ember's tensor ops, in the order
PyTorch composes it.
"""
import warnings

import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor
from ..ops import nn_ops
from ..ops.inplace import inplace as _inplace
from ..ops.linalg import matmul
from ..ops.pointwise import exp, relu as _relu, where
from . import _reduction

__all__ = [
    "linear", "bilinear", "dropout", "dropout1d", "dropout2d", "embedding", "one_hot",
    "relu", "relu_", "relu6", "threshold", "threshold_", "hardtanh", "hardtanh_", "elu", "elu_",
    "leaky_relu", "leaky_relu_", "prelu", "gelu", "silu", "softplus", "hardshrink", "logsigmoid", "sigmoid", "tanh",
    "softmax", "softmin", "log_softmax",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy", "kl_div",
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
    from .._creation import empty
    # the mask lives where the input does (a GPU draws it with its own generator)
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


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


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



# Convolution, normalisation and pooling live next to their modules; they import this file,
# so they are re-exported at its end.
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

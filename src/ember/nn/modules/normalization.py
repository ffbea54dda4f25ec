"""Normalisation layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, and their functional forms
(`batch_norm`, `layer_norm`, `group_norm`).

Each one subtracts a mean and divides by a standard deviation, `(x - mean) / sqrt(var + eps)`,
then scales and shifts by learned per-feature `weight` and `bias`:
- batch norm: statistics per channel, over the batch (and the positions). In training it
  uses the batch's statistics (biased variance) and updates the running averages
  `running = (1 - momentum) * running + momentum * batch` (unbiased variance); in evaluation
  mode (`model.eval()`) it normalises with the running averages.
- layer norm: statistics per sample, over the last dimensions (`normalized_shape`).
- group norm: statistics per sample and group of channels.

The math is in `ember/ops/conv_ops.py`.
"""
import numbers

from ... import _creation
from ...ops import conv_ops
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
           "LocalResponseNorm", "RMSNorm", "batch_norm", "layer_norm", "group_norm",
           "local_response_norm", "rms_norm"]


def _shape(t):
    return "[" + ", ".join(map(str, t.shape)) + "]"


# -- functional forms -----------------------------------------------------------------------------


def _verify_batch_size(size):
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Batch normalisation of (N, C, *) input over all dims but the channels (dim 1).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.batch_norm(ember.tensor([[1.0], [3.0]]), None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input.dim() < 2:
        raise RuntimeError(f"batch_norm(): Expected input to have at least 2 dimensions, but got "
                           f"{input.dim()}")
    channels = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    return conv_ops.batch_norm(input, weight, bias, running_mean, running_var, training,
                               momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalise over the last `len(normalized_shape)` dims of `input`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.layer_norm(ember.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    normalized_shape = _checked_normalized_shape(input, normalized_shape, weight, bias, "*, ")
    return conv_ops.layer_norm(input, normalized_shape, weight, bias, eps)


def _checked_normalized_shape(input, normalized_shape, weight, bias, star):
    """`normalized_shape` as a tuple, after PyTorch's checks of it, of the weight and bias
    shapes and of the input's trailing dims (layer_norm's message says `[*, 3]`, rms_norm's
    `[*3]`: `star`)."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    listed = ", ".join(map(str, normalized_shape))
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {_shape(t)} and normalized_shape = "
                               f"[{listed}]")
    shape, n = tuple(input.shape), len(normalized_shape)
    if len(shape) < n or shape[len(shape) - n:] != normalized_shape:
        raise RuntimeError(f"Given normalized_shape=[{listed}], expected input with shape "
                           f"[{star}{listed}], but got input of size{_shape(input)}")
    return normalized_shape


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalise (N, C, *) input per sample over groups of `C / num_groups` channels."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups]
                       + list(input.size()[2:]))
    channels = input.shape[1]
    if channels % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {_shape(input)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {_shape(t)} and "
                               f"input of shape {_shape(input)}")
    return conv_ops.group_norm(input, num_groups, weight, bias, eps)


# -- modules ---------------------------------------------------------------------------------------


class _NormBase(Module):
    _version = 2
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = Parameter(_creation.empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(_creation.empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean",
                                 _creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var",
                                 _creation.ones(num_features, device=device, dtype=dtype))
            from ... import _dtype
            self.register_buffer("num_batches_tracked",
                                 _creation.tensor(0, dtype=_dtype.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return ("{num_features}, eps={eps}, momentum={momentum}, affine={affine}, "
                "bias={use_bias}, track_running_stats={track_running_stats}"
                .format(**self.__dict__, use_bias=self.bias is not None))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            # num_batches_tracked appeared in version 2: older state dicts lack it
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                from ... import _dtype
                state_dict[key] = (self.num_batches_tracked
                                   if self.num_batches_tracked is not None
                                   else _creation.tensor(0, dtype=_dtype.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):

    def forward(self, input):
        self._check_input_dim(input)
        if self.momentum is None:
            exponential_average_factor = 0.0
        else:
            exponential_average_factor = self.momentum
        if self.training and self.track_running_stats:
            if self.num_batches_tracked is not None:
                self.num_batches_tracked.add_(1)
                if self.momentum is None:      # cumulative moving average
                    exponential_average_factor = 1.0 / float(self.num_batches_tracked)
                else:
                    exponential_average_factor = self.momentum
        # batch statistics in training, and in evaluation mode without running statistics
        if self.training:
            bn_training = True
        else:
            bn_training = self.running_mean is None and self.running_var is None
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None,
                          self.running_var if track else None, self.weight, self.bias,
                          bn_training, exponential_average_factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs.

    >>> from ember import nn
    >>> nn.BatchNorm1d(100)
    BatchNorm1d(100, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel.

    >>> from ember import nn
    >>> nn.BatchNorm2d(16)
    BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) inputs."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class LayerNorm(Module):
    """Layer normalisation over the last dims (`normalized_shape`) of each sample.

    >>> from ember import nn
    >>> nn.LayerNorm(10)
    LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)
    """
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=1e-05, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, device=device,
                                                    dtype=dtype))
            if bias:
                self.bias = Parameter(_creation.empty(self.normalized_shape, device=device,
                                                      dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return ("{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}, "
                "bias={use_bias}".format(**self.__dict__, use_bias=self.bias is not None))


class GroupNorm(Module):
    """Group normalisation: the channels of (N, C, *) inputs in `num_groups` groups, each
    normalised per sample.

    >>> from ember import nn
    >>> nn.GroupNorm(3, 6)
    GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)
    """
    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups, num_channels, eps=1e-05, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if self.affine:
            self.weight = Parameter(_creation.empty(num_channels, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(_creation.empty(num_channels, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return ("{num_groups}, {num_channels}, eps={eps}, affine={affine}, bias={use_bias}"
                .format(**self.__dict__, use_bias=self.bias is not None))


# -- local response norm and RMS norm ------------------------------------------------------------


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Divide each element by `(k + alpha * mean of the squares of its `size` neighbouring
    channels) ** beta` (AlexNet's normalisation across channels).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.local_response_norm(ember.ones(1, 2, 1), 2, alpha=1.0, beta=1.0, k=0.0)
    tensor([[[2.],
             [1.]]])
    """
    from .. import functional as F
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = _pad_channels(F, div, size, 2)
        div = F.avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = _pad_channels(F, div, size, 2)
        div = F.avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def _pad_channels(F, t, size, dim):
    """Zeros before (size // 2) and after ((size - 1) // 2) along `dim`: F.pad where ember
    has it (ConstantPadNdBackward0, as in PyTorch), else a concatenation of zeros."""
    before, after = size // 2, (size - 1) // 2
    pad = getattr(F, "pad", None)
    if pad is not None:
        widths = [0, 0] * (t.dim() - dim - 1) + [before, after]
        return pad(t, tuple(widths))
    from ...ops.shape import cat
    parts = []
    for n in (before, None, after):
        if n is None:
            parts.append(t)
        elif n:
            shape = list(t.shape)
            shape[dim] = n
            parts.append(_creation.zeros(*shape, dtype=t.dtype, device=t.device))
    return cat(parts, dim)


def _eps_of(dtype):
    import numpy as np
    return float(np.finfo(dtype.np if dtype.np != np.float16 else np.float32).eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the last dims (`normalized_shape`):
    `x / sqrt(mean(x^2) + eps) * weight`; `eps` defaults to the dtype's machine epsilon.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.rms_norm(ember.tensor([[3.0, 4.0]]), (2,), eps=0.0)
    tensor([[0.8485, 1.1314]])
    """
    from ... import _dtype
    from ...ops import activation_ops
    normalized_shape = _checked_normalized_shape(input, normalized_shape, weight, None, "*")
    dims = list(range(input.dim() - len(normalized_shape), input.dim()))
    # float16 is computed in float32, as PyTorch does
    opmath = _dtype.float32 if input.dtype == _dtype.float16 else input.dtype
    upcast = input.to(opmath)
    eps_val = _eps_of(opmath) if eps is None else eps
    rsqrt_input = activation_ops.add_scalar(upcast.pow(2).mean(dims, keepdim=True),
                                            eps_val).rsqrt()
    result = upcast.mul(rsqrt_input).type_as(input)
    if weight is not None:
        result = result.mul(weight)
    return result


class LocalResponseNorm(Module):
    """Local response normalisation across channels (see `F.local_response_norm`).

    >>> from ember import nn
    >>> nn.LocalResponseNorm(2)
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """
    __constants__ = ["size", "alpha", "beta", "k"]

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dims, with a learned scale.

    >>> from ember import nn
    >>> nn.RMSNorm(8)
    RMSNorm((8,), eps=None, elementwise_affine=True)
    """
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, device=device,
                                                    dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return ("{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}"
                .format(**self.__dict__))

"""`ember.nn.init`: fill a weight tensor in place with the initial values a layer starts from.

Every function works on the tensor's values without recording a gradient, and returns the
tensor. Random ones draw from ember's generator in the same order and amount as PyTorch, so
`ember.manual_seed(0)` followed by the same model gives the same initial weights as torch.

The scale of the popular schemes comes from the layer's fan-in (inputs per output) and
fan-out (outputs per input), see `_calculate_fan_in_and_fan_out`:
- Xavier/Glorot: std = gain * sqrt(2 / (fan_in + fan_out));
- Kaiming/He:    std = gain / sqrt(fan), with gain = sqrt(2) for ReLU.
A uniform distribution on [-b, b] has std b / sqrt(3), hence the sqrt(3) below.
"""
import math
import warnings

import numpy as np

from .. import _backend
from ..autograd.grad_mode import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "uniform", "normal", "constant", "eye",
           "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "orthogonal"]


def calculate_gain(nonlinearity, param=None):
    """The recommended scale factor of the weights for a nonlinearity: 1 for linear and
    sigmoid, 5/3 for tanh, sqrt(2) for ReLU, sqrt(2 / (1 + slope^2)) for leaky ReLU.

    >>> from ember import nn
    >>> nn.init.calculate_gain("relu")
    1.4142135623730951
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    elif nonlinearity == "tanh":
        return 5.0 / 3
    elif nonlinearity == "relu":
        return math.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    elif nonlinearity == "selu":
        return 3.0 / 4
    else:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values drawn uniformly from [a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values drawn from the normal distribution N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with normal values redrawn until they fall inside [a, b] (rejection sampling, as
    PyTorch draws them)."""
    from .._creation import empty_like

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    with no_grad():
        x = tensor._data
        p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
        lo, hi = x.dtype.type(a), x.dtype.type(b)     # (scalars: they mix with any device)
        if p > 0.3:
            # most normal draws land inside: redraw those that do not
            tensor.normal_(mean, std, generator=generator)
            while True:
                outside = (x < lo) | (x > hi)
                if not outside.any():
                    break
                fresh = empty_like(tensor).normal_(mean, std, generator=generator)._data
                x[...] = np.where(outside, fresh, x)
        else:
            # a narrow window: uniform candidates, accepted with the normal density's ratio
            mode = max(a, min(mean, b))
            log_peak = -0.5 * ((mode - mean) / std) ** 2
            accept_buf = empty_like(tensor)

            def log_ratio(c):
                return ((c - mean) / std) ** 2 * -0.5 - log_peak
            tensor.uniform_(a, b, generator=generator)
            candidates = log_ratio(x.copy())
            pending = np.log(accept_buf.uniform_(generator=generator)._data) > candidates
            result = x.copy()
            while pending.any():
                fresh = empty_like(tensor).uniform_(a, b, generator=generator)._data
                result = np.where(pending, fresh, result)
                candidates = log_ratio(fresh)
                draws = np.log(accept_buf.uniform_(generator=generator)._data)
                pending = np.where(pending, draws > candidates, pending)
            x[...] = result
        tensor._bump_version()
    return tensor


def constant_(tensor, val):
    """Fill with the value `val`."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros."""
    with no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fill a 2-d tensor with the identity matrix (ones on the diagonal)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        x = tensor._data
        x[...] = _backend.xp(x).eye(*x.shape, dtype=x.dtype)       # made on x's device
        tensor._bump_version()
    return tensor


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-d convolution weight so that the convolution is the identity."""
    dimensions = tensor.dim()
    if dimensions not in [3, 4, 5]:
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    with no_grad():
        x = tensor._data
        x[...] = 0
        centre = tuple(s // 2 for s in sizes[2:])
        for g in range(groups):
            for d in range(min_dim):
                x[(g * out_chans_per_grp + d, d) + centre] = 1
        tensor._bump_version()
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    """`(fan_in, fan_out)` of a weight of shape (out, in, *kernel): in * kernel size and
    out * kernel size."""
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive_field_size = 1
    if tensor.dim() > 2:
        for s in tensor.shape[2:]:
            receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: uniform on [-a, a], a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: normal with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation: uniform on [-bound, bound], bound = gain * sqrt(3 / fan).
    `nn.Linear` uses it with `a=sqrt(5)`.

    >>> import ember
    >>> from ember import nn
    >>> nn.init.kaiming_uniform_(ember.empty(3, 4), nonlinearity="relu").shape
    torch.Size([3, 4])
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation: normal with std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix: the Q of the QR decomposition of a normal
    random matrix, with signs fixed so that the result is uniformly distributed."""
    from .._creation import empty
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    flattened = empty(rows, cols, dtype=tensor.dtype,        # drawn on the tensor's device
                      device=tensor.device).normal_(0, 1, generator=generator)._data
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    with no_grad():
        tensor._data[...] = (q.reshape(tensor._data.shape) * gain).astype(tensor._data.dtype)
        tensor._bump_version()
    return tensor


def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)
    deprecated_init.__doc__ = f"Deprecated: use `{new_name}`."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)

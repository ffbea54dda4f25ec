"""More fused activations (SELU, CELU, Mish, Hardswish, Hardsigmoid, Softshrink, GLU, RReLU)
and the two renamed nodes the distance functions need (`NormBackward1`, `AddBackward1`).

As in `nn_ops.py`, each op computes its value in one NumPy pass in PyTorch's order and
records one node named like PyTorch's; where PyTorch differentiates a derivative with a
kernel of its own (`hardswish_backward`, `softshrink_backward`, `glu_backward`), so does
ember, so second derivatives (and their node names) match.

Several of PyTorch's ops reuse another op's kernel under a different node name (celu is elu
with `input_scale = 1 / alpha` but records `CeluBackward0`; the in-place forms record
`...Backward1`): those nodes are subclasses that only rename.

The public entry points are in `ember.nn.functional` (and `ember.selu`, `ember.celu`, ...).
"""
import numpy as np

from .. import _backend, random as _random
from .._tensor import Tensor, _wrap_dim
from ..autograd.graph import Node
from . import nn_ops
from .linalg import LinalgVectorNormBackward0, vector_norm
from .nn_ops import _attach, _float_data, _recording, _wrap, _zeros_like
from .inplace import inplace as _inplace
from .pointwise import AddBackward0, _not_differentiable, sigmoid, where

# SELU's constants (Klambauer et al. 2017), as PyTorch spells them (doubles)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _renamed(result, cls):
    """Give `result`'s node the class `cls` (a subclass that only changes the name)."""
    if result._grad_fn is not None:
        result._grad_fn.__class__ = cls
    return result


# -- selu / celu: elu's kernel ------------------------------------------------------------------


class EluBackward1(Node):
    """The node of the in-place forms (`selu_`, `celu_`): PyTorch differentiates them from
    the result, which overwrote the input."""

    def apply(self, grad):
        result, = self.saved
        return (elu_backward_from_result(grad, result, self.negcoef, self.scale,
                                         self.input_scale),)


def elu_backward_from_result(grad, result, negcoef, scale, input_scale):
    """`grad * input_scale * (result + negcoef)` where the result is <= 0, else
    `grad * scale` (PyTorch's elu_backward with is_result; recorded)."""
    g, r = grad._data, result._data
    value = np.where(r <= 0, g * input_scale * (r + negcoef), g * scale)
    out = _wrap(value, g.dtype)
    if _recording(grad, result):
        node = EluBackwardBackward0(grad, result)
        node.negcoef, node.scale, node.input_scale = negcoef, scale, input_scale
        node.save_for_backward(grad, result)
        _attach(out, node)
    return out


class EluBackwardBackward0(Node):
    """Second derivative of the in-place forms (the result-based elu_backward)."""

    def apply(self, gg):
        grad, result = self.saved
        d_grad = (elu_backward_from_result(gg, result, self.negcoef, self.scale,
                                           self.input_scale) if self.needs_grad(0) else None)
        d_result = None
        if self.needs_grad(1):
            negative = Tensor._make((result._data < 0).astype(result._data.dtype))
            d_result = gg * grad * self.input_scale * negative
        return d_grad, d_result


class CeluBackward0(nn_ops.EluBackward0):
    """celu(x) = elu(x, alpha, scale=1, input_scale=1/alpha): elu's derivative."""


class CeluBackward1(EluBackward1):
    pass


def _inplace_elu(input, alpha, scale, input_scale, node_cls, backward_input_scale=None):
    """selu_ / celu_ (on the copy the in-place wrapper hands over): elu's value, and a node
    that saves the result."""
    result = nn_ops.elu(input.detach(), alpha, scale, input_scale)
    if backward_input_scale is not None:
        input_scale = backward_input_scale
    if _recording(input):
        dt = input._data.dtype
        node = node_cls(input)
        if dt == np.float64:
            node.negcoef = alpha * scale
        else:                       # the backward kernel multiplies the C floats
            node.negcoef = float(np.float32(alpha) * np.float32(scale))
        node.scale, node.input_scale = scale, input_scale
        _attach(result, node)
        node.save_output(result)
    return result


def selu(input):
    """`scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))` with SELU's fixed constants.

    >>> import ember
    >>> from ember.ops.activation_ops import selu
    >>> selu(ember.tensor([1.0]))
    tensor([1.0507])
    """
    return nn_ops.elu(input, _SELU_ALPHA, _SELU_SCALE)


def celu(input, alpha=1.0):
    """`max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    result = _renamed(nn_ops.elu(input, alpha, 1.0, 1.0 / alpha), CeluBackward0)
    if result._grad_fn is not None:
        # PyTorch's derivative formula takes 1 / alpha with alpha rounded to a C float
        result._grad_fn.input_scale = 1.0 / float(np.float32(alpha))
    return result


# -- mish ---------------------------------------------------------------------------------------


def _f32_steps(x):
    """exp, log1p and tanh of float32 values are computed in float64 and rounded after each
    step: close to PyTorch's vectorised float32 functions (accurate to 1 ulp, so about one
    value in twenty differs from ember's in the last bit)."""
    return x.dtype == np.float32


class MishBackward0(Node):
    def apply(self, grad):
        # d mish(x) = tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2), sp = softplus(x): written
        # with ember's ops, as PyTorch's differentiable form of mish_backward
        x, = self.saved
        s = sigmoid(x)
        t = nn_ops.softplus(x).tanh()
        return (grad * (t + x * s * (1 - t * t)),)


def mish(input):
    """`x * tanh(softplus(x))`.

    >>> import ember
    >>> from ember.ops.activation_ops import mish
    >>> mish(ember.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8651])
    """
    x, dt = _float_data(input, "mish_cpu")
    if _f32_steps(x):
        e = np.exp(x.astype(np.float64)).astype(np.float32)
        sp = np.log1p(e.astype(np.float64)).astype(np.float32)
        t = np.tanh(sp.astype(np.float64)).astype(np.float32)
        value = x * t
    else:
        value = x * np.tanh(np.log1p(np.exp(x)))
    result = _wrap(value, dt)
    if _recording(input):
        node = MishBackward0(input)
        node.save_for_backward(input)
        _attach(result, node)
    return result


# -- hardswish / hardsigmoid --------------------------------------------------------------------


class HardswishBackward0(Node):
    def apply(self, grad):          # 0 below -3, x/3 + 1/2 in between, 1 from 3 on
        x, = self.saved
        return (hardswish_backward(grad, x),)


def hardswish_backward(grad, x):
    """`grad` times hardswish's derivative at `x` (recorded, for second derivatives)."""
    g, a = grad._data, x._data
    three = a.dtype.type(3)
    value = np.where(a <= -three, g.dtype.type(0),
                     np.where(a < three, g * (a / three + a.dtype.type(0.5)), g))
    result = _wrap(value, g.dtype)
    if _recording(grad, x):
        node = HardswishBackwardBackward0(grad, x)
        node.save_for_backward(grad, x)
        _attach(result, node)
    return result


class HardswishBackwardBackward0(Node):
    def apply(self, gg):
        grad, x = self.saved        # d/dx: 1/3 strictly inside (-3, 3), times both gradients
        d_grad = hardswish_backward(gg, x) if self.needs_grad(0) else None
        d_x = None
        if self.needs_grad(1):
            inside = (x > -3.0).logical_and(x < 3.0)
            d_x = where(inside, gg * grad / 3.0, Tensor._make(np.zeros_like(x._data, shape=())))
        return d_grad, d_x


def hardswish(input):
    """`x * relu6(x + 3) / 6`."""
    x, dt = _float_data(input, "hardswish_cpu")
    three, six = x.dtype.type(3), x.dtype.type(6)
    result = _wrap(x * np.minimum(np.maximum(x + three, x.dtype.type(0)), six) / six, dt)
    if _recording(input):
        node = HardswishBackward0(input)
        node.save_for_backward(input)
        _attach(result, node)
    return result


class HardsigmoidBackward0(Node):
    def apply(self, grad):          # 1/6 strictly inside (-3, 3), else 0
        x, = self.saved
        g, a = grad._data, x._data
        inside = (a > -3) & (a < 3)
        # (times the rounded 1/6, as PyTorch's kernel: not a division by 6)
        result = _wrap(np.where(inside, g * g.dtype.type(1 / 6), g.dtype.type(0)), g.dtype)
        # PyTorch defines no derivative for hardsigmoid_backward: a second backward raises
        return (_not_differentiable(result, "hardsigmoid_backward", grad, x),)


def hardsigmoid(input):
    """`relu6(x + 3) / 6`: 0 below -3, 1 above 3, linear in between."""
    x, dt = _float_data(input, "hardsigmoid_cpu")
    three, six = x.dtype.type(3), x.dtype.type(6)
    result = _wrap(np.minimum(np.maximum(x + three, x.dtype.type(0)), six) / six, dt)
    if _recording(input):
        node = HardsigmoidBackward0(input)
        node.save_for_backward(input)
        _attach(result, node)
    return result


# -- softshrink ---------------------------------------------------------------------------------

_DTYPE_NAME = {"float32": "Float", "float64": "Double", "float16": "Half"}


class SoftshrinkBackward0(Node):
    def apply(self, grad):          # 1 outside [-lambd, lambd], 0 inside
        x, = self.saved
        return (softshrink_backward(grad, x, self.lambd),)


def softshrink_backward(grad, x, lambd):
    """`grad` where `x` is outside [-lambd, lambd], 0 inside (recorded)."""
    g, a = grad._data, x._data
    inside = (a >= -lambd) & (a <= lambd)
    result = _wrap(np.where(inside, g.dtype.type(0), g), g.dtype)
    if _recording(grad, x):
        node = SoftshrinkBackwardBackward0(grad, x)
        node.lambd = lambd
        node.save_for_backward(x)
        _attach(result, node)
    return result


class SoftshrinkBackwardBackward0(Node):
    def apply(self, gg):            # linear in the gradient; x only picks where (0)
        x, = self.saved
        return (softshrink_backward(gg, x, self.lambd) if self.needs_grad(0) else None,
                _zeros_like(gg) if self.needs_grad(1) else None)


def softshrink(input, lambd=0.5):
    """`x - lambd` above `lambd`, `x + lambd` below `-lambd`, 0 in between.

    >>> import ember
    >>> from ember.ops.activation_ops import softshrink
    >>> softshrink(ember.tensor([-2.0, 0.2, 1.5]), 1.0)
    tensor([-1.0000,  0.0000,  0.5000])
    """
    x, dt = _float_data(input, "softshrink_check")
    top = float(np.finfo(dt).max)
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{_DTYPE_NAME.get(dt.name, dt.name)}, but found {lambd:g}")
    lam = x.dtype.type(lambd)
    value = np.where(x > lam, x - lam, np.where(x < -lam, x + lam, x * x.dtype.type(0)))
    # PyTorch's vectorised loop (AVX2: blocks of 64 bytes) gives +0 inside; its scalar tail,
    # the last elements that fill no block, gives x * 0 (so -0.0 for negative x)
    block = 64 // x.dtype.itemsize
    vectorised = x.size - x.size % block
    if vectorised:
        flat = value.reshape(-1)
        head = flat[:vectorised]
        flat[:vectorised] = np.where(head == 0, x.dtype.type(0), head)
        value = flat.reshape(x.shape)
    result = _wrap(value, dt)
    if _recording(input):
        node = SoftshrinkBackward0(input)
        node.lambd = lambd
        node.save_for_backward(input)
        _attach(result, node)
    return result


# -- glu ----------------------------------------------------------------------------------------


def _halves(array, dim):
    n = array.shape[dim] // 2
    index = [slice(None)] * array.ndim
    first, second = list(index), list(index)
    first[dim], second[dim] = slice(0, n), slice(n, None)
    return array[tuple(first)], array[tuple(second)]


def _sigmoid_array(b):
    from .pointwise import _sigmoid_values
    return _sigmoid_values(b)


class GluBackward0(Node):
    def apply(self, grad):
        x, = self.saved
        return (glu_backward(grad, x, self.dim),)


def glu_backward(grad, x, dim):
    """d glu / d input times `grad`: `sigmoid(b) * grad` for the first half and
    `(1 - s) * s * a * grad` for the second (PyTorch's kernel order; recorded)."""
    a, b = _halves(x._data, dim)
    g = grad._data
    s = _sigmoid_array(b)
    one = s.dtype.type(1)
    value = np.concatenate([s * g, (one - s) * s * a * g], axis=dim)
    result = _wrap(value, x._data.dtype)
    if _recording(grad, x):
        node = GluBackwardBackward0(grad, x)
        node.dim = dim
        node.save_for_backward(grad, x)
        _attach(result, node)
    return result


class GluBackwardBackward0(Node):
    def apply(self, gg):
        # with s = sigmoid(b): first half s g, second half (1 - s) s a g
        from .shape import cat
        grad, x = self.saved
        n = x.shape[self.dim] // 2
        a, b = x.narrow(self.dim, 0, n), x.narrow(self.dim, n, n)
        gg1, gg2 = gg.narrow(self.dim, 0, n), gg.narrow(self.dim, n, n)
        s = sigmoid(b)
        ds = s * (1 - s)
        d_grad = gg1 * s + gg2 * ds * a if self.needs_grad(0) else None
        d_x = None
        if self.needs_grad(1):
            d_a = gg2 * ds * grad
            d_b = ds * (grad * gg1 + a * grad * (1 - 2 * s) * gg2)
            d_x = cat([d_a, d_b], self.dim)
        return d_grad, d_x


def glu(input, dim=-1):
    """Gated linear unit: `a * sigmoid(b)` for the halves `a`, `b` of `input` along `dim`.

    >>> import ember
    >>> from ember.ops.activation_ops import glu
    >>> glu(ember.tensor([2.0, 0.0]))
    tensor([1.])
    """
    x, dt = _float_data(input, "glu_cpu")
    dim = _wrap_dim(dim, x.ndim)
    if x.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{x.shape[dim]}")
    a, b = _halves(x, dim)
    s = _sigmoid_array(b.astype(x.dtype))
    result = _wrap(a * s, dt)
    if _recording(input):
        node = GluBackward0(input)
        node.dim = dim
        node.save_for_backward(input)
        _attach(result, node)
    return result


def _like(host, array):
    """The host array `host` moved to `array`'s device."""
    if type(array) is np.ndarray:
        return host
    b = _backend.of(array)
    return _backend.move(host, b, b.device_index(array))


# -- rrelu --------------------------------------------------------------------------------------


class RreluWithNoiseBackward0(Node):
    def apply(self, grad):
        # training draws a slope per element (kept in `noise`); evaluation uses the mean slope
        x, = self.saved
        if self.training and self.upper > self.lower:
            return (grad * self.noise,)
        return (nn_ops.leaky_relu_backward(grad, x, (self.lower + self.upper) / 2),)


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    pass


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None,
          _node=RreluWithNoiseBackward0):
    """Randomized leaky ReLU: `x` where `x > 0`, else `a * x`, with `a` drawn uniformly from
    `[lower, upper]` for each element in training, and `(lower + upper) / 2` in evaluation.

    The training draws are PyTorch's CPU kernel's: one double uniform per non-positive element,
    in memory order, from the default generator.

    >>> import ember
    >>> from ember.ops.activation_ops import rrelu
    >>> rrelu(ember.tensor([-3.0, 2.0]), 0.25, 0.75)
    tensor([-1.5000,  2.0000])
    """
    if float(lower) > float(upper):
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        result = nn_ops.leaky_relu(input.detach(), (lower + upper) / 2)
        noise = None
    else:
        x, dt = _float_data(input, "rrelu_with_noise_out_cpu")
        compute = np.float64 if dt == np.float64 else np.float32
        # the bounds are first rounded to the kernel's math type, then used as doubles
        lo, hi = float(compute(lower)), float(compute(upper))
        # drawn on the host, from the CPU generator, in memory order
        host = x if type(x) is np.ndarray else _backend.of(x).to_host(x)
        flat = host.reshape(-1).astype(compute)
        negative = flat <= 0
        u = _random._get(generator)._u53(int(negative.sum()))
        noise_host = np.ones(flat.shape, compute)
        noise_host[negative] = (u * (hi - lo) + lo).astype(compute)
        out_host = np.where(negative, flat * noise_host, flat).reshape(host.shape)
        result = _wrap(_like(out_host, x), dt)
        noise = Tensor._make(_like(noise_host.reshape(host.shape).astype(dt), x))
    if _recording(input):
        node = _node(input)
        node.lower, node.upper, node.training, node.noise = lower, upper, training, noise
        node.save_for_backward(input)
        _attach(result, node)
    return result


# -- renamed nodes for the distance functions ---------------------------------------------------


class NormBackward1(LinalgVectorNormBackward0):
    """`at::norm(x, p, dim, keepdim)` (what pairwise_distance calls): linalg's vector norm,
    under its own node name."""


class AddBackward1(AddBackward0):
    """`tensor + scalar` called from C++ (a Scalar, not a wrapped tensor): the same sum."""


def norm(input, p, dim, keepdim=False):
    """The `p`-norm of `input` over `dim`, recorded as PyTorch's `at::norm` (NormBackward1)."""
    return _renamed(vector_norm(input, p, dim, keepdim), NormBackward1)


def add_scalar(input, other):
    """`input + other` for a Python number `other`, recorded as AddBackward1."""
    return _renamed(input + other, AddBackward1)


__all__ = ["selu", "celu", "mish", "hardswish", "hardsigmoid", "softshrink", "glu", "rrelu",
           "norm", "add_scalar"]


# -- in-place forms (their nodes are PyTorch's `...Backward1` where it has one) ----------------


def _selu_for_inplace(input):
    return _inplace_elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0, EluBackward1)


def _celu_for_inplace(input, alpha=1.0):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # (the derivative formula takes 1 / alpha with alpha rounded to a C float)
    return _inplace_elu(input, alpha, 1.0, 1.0 / alpha, CeluBackward1,
                        1.0 / float(np.float32(alpha)))


def _rrelu_for_inplace(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return rrelu(input, lower, upper, training, generator, _node=RreluWithNoiseBackward1)


def _named_inplace(op, name):
    method = _inplace(op)
    method.__name__ = name
    return method


selu_ = _named_inplace(_selu_for_inplace, "selu_")
celu_ = _named_inplace(_celu_for_inplace, "celu_")
rrelu_ = _named_inplace(_rrelu_for_inplace, "rrelu_")
mish_ = _named_inplace(mish, "mish_")
hardswish_ = _named_inplace(hardswish, "hardswish_")
hardsigmoid_ = _named_inplace(hardsigmoid, "hardsigmoid_")


# -- the torch.* spellings (their argument orders are ATen's, not nn.functional's) --------------


def _check_dropout_p(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def alpha_dropout(input, p, train):
    """`torch.alpha_dropout(input, p, train)`: F.alpha_dropout with a positional `train`."""
    from ..nn import functional as F
    _check_dropout_p(p)
    return F._alpha_dropout(input, p, train, False, False)


def alpha_dropout_(input, p, train):
    from ..nn import functional as F
    _check_dropout_p(p)
    return F._alpha_dropout(input, p, train, True, False)


def feature_alpha_dropout(input, p, train):
    from ..nn import functional as F
    _check_dropout_p(p)
    return F._alpha_dropout(input, p, train, False, True)


def feature_alpha_dropout_(input, p, train):
    from ..nn import functional as F
    _check_dropout_p(p)
    return F._alpha_dropout(input, p, train, True, True)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """`torch.cosine_similarity`: see `ember.nn.functional.cosine_similarity`."""
    from ..nn.modules.distance import cosine_similarity as f
    return f(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """`torch.pairwise_distance`: see `ember.nn.functional.pairwise_distance`."""
    from ..nn.modules.distance import pairwise_distance as f
    return f(x1, x2, p, eps, keepdim)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """`torch.instance_norm` (ATen's argument order; no check of the spatial size)."""
    from ..nn.modules.instancenorm import _instance_norm
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                          momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """`torch.rms_norm`: see `ember.nn.functional.rms_norm`."""
    from ..nn.modules.normalization import rms_norm as f
    return f(input, normalized_shape, weight, eps)


TORCH_FUNCTIONS = ["selu", "selu_", "celu", "celu_", "rrelu", "rrelu_", "alpha_dropout",
                   "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
                   "cosine_similarity", "pairwise_distance", "instance_norm", "rms_norm"]

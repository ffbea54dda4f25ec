"""Fused neural-network ops: activations, softmax, losses, embedding and `addmm` (Linear).

Each op computes its value in one NumPy pass, with the formula, the order of operations and
the precision of PyTorch's CPU kernel (float32 stays float32), and records ONE backward node
named like PyTorch's (`SoftmaxBackward0`, `NllLossBackward0`, ...). The node's `apply` is the
op's derivative, written next to it, with ember's own ops so that a backward pass can itself
be differentiated (`create_graph=True`, second derivatives).

Where PyTorch computes a derivative with a kernel of its own (`leaky_relu_backward`,
`nll_loss_backward`, ...), so does ember: a function `..._backward` that is itself a recorded
op, whose node (`LeakyReluBackwardBackward0`, ...) holds the second derivative. This gives the
same second derivatives as PyTorch, including the exact zeros where the first derivative is
piecewise constant.

The public entry points are in `ember.nn.functional`; this module holds the math.
"""
import math

import numpy as np

from .. import _backend, _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._util import (
    as_array, attach as _attach, check_devices, contiguous, fit, meta, new_like, operands,
    recording as _recording)
from .linalg import mm
from .pointwise import exp, log, sigmoid, tanh, where
from .reduction import sum as _sum

_HALF = np.dtype(np.float16)


# -- helpers ------------------------------------------------------------------------------------


def _float_data(input, kernel):
    """The array of a floating tensor, and the dtype to compute in (float16 is computed in
    float32, as PyTorch does, and rounded once at the end). Other dtypes raise PyTorch's
    NotImplementedError."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    return (x.astype(np.float32), x.dtype) if x.dtype == _HALF else (x, x.dtype)


def _wrap(array, dtype=None):
    """A new tensor holding `array` (cast to `dtype` when given)."""
    array = as_array(array)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return Tensor._make(array)


def _check_no_requires_grad(tensor, name, function):
    """PyTorch defines no derivative for some arguments (loss weights): refuse to record."""
    if tensor is not None and tensor._requires_grad and grad_mode.enabled:
        raise RuntimeError(f"The function '{function}' is not differentiable with respect to "
                           f"argument '{name}'. This input cannot have requires_grad True.")


def _zeros_like(t):
    return Tensor._make(np.zeros_like(t._data))


def _const(value, dtype):
    """A Python scalar rounded to `dtype` first, as C++ rounds a kernel's `scalar_t`
    constants (`float(np.float32(0.1))` is the float32 nearest 0.1)."""
    return float(np.asarray(value, dtype))


# -- activations --------------------------------------------------------------------------------


class LeakyReluBackward0(Node):
    def apply(self, grad):          # d leaky_relu(x) = 1 where x > 0, else negative_slope
        x, = self.saved
        return (leaky_relu_backward(grad, x, self.negative_slope),)


def leaky_relu_backward(grad, x, negative_slope):
    """`grad` where `x > 0`, else `grad * negative_slope` (recorded, so that a backward pass
    through it can itself be differentiated)."""
    g = grad._data
    result = _wrap(np.where(x._data > 0, g, g * negative_slope), g.dtype)
    if _recording(grad, x):
        node = LeakyReluBackwardBackward0(grad, x)
        node.negative_slope = negative_slope
        node.save_for_backward(x)
        _attach(result, node)
    return result


class LeakyReluBackwardBackward0(Node):
    def apply(self, grad):          # linear in the gradient; x only picks the branch (0)
        x, = self.saved
        return (leaky_relu_backward(grad, x, self.negative_slope) if self.needs_grad(0)
                else None, _zeros_like(grad) if self.needs_grad(1) else None)


def leaky_relu(input, negative_slope=0.01):
    """`x` where `x > 0`, else `negative_slope * x`.

    >>> import ember
    >>> from ember.ops.nn_ops import leaky_relu
    >>> leaky_relu(ember.tensor([-2.0, 3.0]), 0.5)
    tensor([-1.,  3.])
    """
    x, dt = _float_data(input, "leaky_relu_cpu")
    result = _wrap(np.where(x > 0, x, x * negative_slope), dt)
    if _recording(input):
        node = LeakyReluBackward0(input)
        node.negative_slope = negative_slope
        node.save_for_backward(input)
        _attach(result, node)
    return result


class EluBackward0(Node):
    def apply(self, grad):          # d elu(x) = scale where x > 0, else alpha*scale*s*exp(s*x)
        x, = self.saved
        return (elu_backward(grad, x, self.negcoef, self.scale, self.input_scale),)


def elu_backward(grad, x, negcoef, scale, input_scale):
    """`grad` times ELU's derivative at `x` (recorded, for second derivatives)."""
    g, a = grad._data, x._data
    value = np.where(a <= 0, g * input_scale * negcoef * np.exp(a * input_scale), g * scale)
    result = _wrap(value, g.dtype)
    if _recording(grad, x):
        node = EluBackwardBackward0(grad, x)
        node.negcoef, node.scale, node.input_scale = negcoef, scale, input_scale
        node.save_for_backward(grad, x)
        _attach(result, node)
    return result


class EluBackwardBackward0(Node):
    def apply(self, gg):
        # in the gradient: the same derivative again; in x: the derivative of
        # alpha*scale*s*exp(s*x), i.e. s times the first derivative, on the negative side only
        grad, x = self.saved
        args = (self.negcoef, self.scale, self.input_scale)
        d_grad = elu_backward(gg, x, *args) if self.needs_grad(0) else None
        d_x = None
        if self.needs_grad(1):
            negative = Tensor._make((x._data < 0).astype(x._data.dtype))
            d_x = elu_backward(gg * grad * self.input_scale, x, *args) * negative
        return d_grad, d_x


def elu(input, alpha=1.0, scale=1.0, input_scale=1.0):
    """`scale * x` where `x > 0`, else `alpha * scale * (exp(input_scale * x) - 1)`."""
    x, dt = _float_data(input, "elu_cpu")
    negcoef = _const(alpha * scale, np.float32 if dt == _HALF else dt)
    value = np.where(x > 0, x * scale, np.expm1(x * input_scale) * negcoef)
    result = _wrap(value, dt)
    if _recording(input):
        node = EluBackward0(input)
        node.negcoef, node.scale, node.input_scale = negcoef, scale, input_scale
        node.save_for_backward(input)
        _attach(result, node)
    return result


_SQRT1_2 = 1 / math.sqrt(2.0)                        # M_SQRT1_2
_2_SQRTPI = 2 / math.sqrt(math.pi)                   # M_2_SQRTPI


def _erf_array(x):
    """erf of every element: the C library's erf (as `math.erf`, which `pointwise._erf64`
    reproduces bit for bit in vectorised NumPy, so it runs on a GPU array too), rounded once
    to the array's dtype."""
    from .pointwise import _erf64
    return _erf64(x.astype(np.float64)).astype(x.dtype) if x.size else x.copy()


class ErfBackward0(Node):
    def apply(self, grad):          # d erf(x) = 2/sqrt(pi) * exp(-x^2)
        x, = self.saved
        return (grad * (exp(-(x * x)) * _2_SQRTPI),)


def _erf(input):
    """The error function, differentiable (used by GELU's derivative)."""
    x, dt = _float_data(input, "erf_vml_cpu")
    result = _wrap(_erf_array(x), dt)
    if _recording(input):
        node = ErfBackward0(input)
        node.save_for_backward(input)
        _attach(result, node)
    return result


class GeluBackward0(Node):

    def apply(self, grad):
        x, = self.saved
        if self.approximate == "tanh":
            return (grad * _gelu_tanh_derivative(x),)
        # d gelu(x) = Phi(x) + x * phi(x): the normal cdf plus x times the normal pdf
        cdf = (_erf(x * _SQRT1_2) + 1) * 0.5
        pdf = exp(x * x * -0.5) * (_2_SQRTPI * _SQRT1_2 * 0.5)
        return (grad * (cdf + x * pdf),)


def _gelu_tanh_derivative(x):
    # gelu(x) = 0.5 x (1 + tanh(u)) with u = b (x + k x^3):
    # d/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) b (1 + 3 k x^2)
    beta, kappa = math.sqrt(2.0) * _2_SQRTPI * 0.5, 0.044715
    x_sq = x * x
    inner = (x + x_sq * x * kappa) * beta
    t = tanh(inner)
    left_derivative = (t + 1) * 0.5
    dt = x._data.dtype
    inner_derivative = (x_sq * _const(3 * np.asarray(kappa, dt), dt) + 1) * beta
    right_derivative = x * 0.5 * (1 - t * t) * inner_derivative
    return left_derivative + right_derivative


def gelu(input, approximate="none"):
    """Gaussian error linear unit: `x * Phi(x)`, or its tanh approximation.

    >>> import ember
    >>> from ember.ops.nn_ops import gelu
    >>> gelu(ember.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x, dt = _float_data(input, "GeluKernelImpl")
    if approximate == "tanh":
        beta, kappa = math.sqrt(2.0) * _2_SQRTPI * 0.5, 0.044715
        inner = (x + x * x * x * kappa) * beta
        value = x * 0.5 * (1 + np.tanh(inner))
    else:
        value = x * 0.5 * (1 + _erf_array(x * _SQRT1_2))
    result = _wrap(value, dt)
    if _recording(input):
        node = GeluBackward0(input)
        node.approximate = approximate
        node.save_for_backward(input)
        _attach(result, node)
    return result


class SiluBackward0(Node):
    def apply(self, grad):          # d (x sigmoid(x)) = s (1 + x (1 - s)), s = sigmoid(x)
        x, = self.saved
        s = 1 / (exp(-x) + 1)
        return (grad * s * (x * (1 - s) + 1),)


def silu(input):
    """`x * sigmoid(x)`, computed as PyTorch does: `x / (1 + exp(-x))`."""
    x, dt = _float_data(input, "silu_cpu")
    result = _wrap(x / (1 + np.exp(-x)), dt)
    if _recording(input):
        node = SiluBackward0(input)
        node.save_for_backward(input)
        _attach(result, node)
    return result


class HardshrinkBackward0(Node):
    def apply(self, grad):                          # 1 outside [-lambd, lambd], 0 inside
        x, = self.saved
        return (_hardshrink_mask(grad, x, self.lambd),)


class HardshrinkBackwardBackward0(Node):
    def apply(self, gg):
        x, = self.saved                             # piecewise constant in x: zero
        return (_hardshrink_mask(gg, x, self.lambd) if self.needs_grad(0) else None,
                Tensor._make(_backend.xp(x._data).zeros_like(x._data))
                if self.needs_grad(1) else None)


def _hardshrink_mask(grad, x, lambd):
    """`grad` where `x` is outside [-lambd, lambd], 0 inside (recorded, for second
    derivatives)."""
    a = x._data
    inside = (a >= -lambd) & (a <= lambd)
    result = _wrap(np.where(inside, grad._data.dtype.type(0), grad._data), grad._data.dtype)
    if _recording(grad, x):
        node = HardshrinkBackwardBackward0(grad, x)
        node.lambd = lambd
        node.save_for_backward(x)
        _attach(result, node)
    return result


def hardshrink(input, lambd=0.5):
    """`x` where `|x| > lambd`, else 0."""
    x, dt = _float_data(input, "hardshrink_cpu")
    value = np.where((x >= -lambd) & (x <= lambd), x.dtype.type(0), x)
    result = _wrap(value, dt)
    if _recording(input):
        node = HardshrinkBackward0(input)
        node.lambd = lambd
        node.save_for_backward(input)
        _attach(result, node)
    return result


class SoftplusBackward0(Node):
    def apply(self, grad):          # d softplus(x) = z / (z + 1) with z = exp(beta x); 1 above
        x, = self.saved             # the threshold, where softplus(x) is x itself
        return (softplus_backward(grad, x, self.beta, self.threshold),)


def softplus_backward(grad, x, beta, threshold):
    """`grad` times softplus' derivative at `x` (recorded, for second derivatives)."""
    g, a = grad._data, x._data
    z = np.exp(a * beta)
    result = _wrap(np.where(a * beta > threshold, g, g * z / (z + 1)), g.dtype)
    if _recording(grad, x):
        node = SoftplusBackwardBackward0(grad, x)
        node.beta, node.threshold = beta, threshold
        node.save_for_backward(grad, x)
        _attach(result, node)
    return result


class SoftplusBackwardBackward0(Node):
    def apply(self, gg):            # d/dx of sigmoid(beta x) is beta s (1 - s), below threshold
        grad, x = self.saved
        d_grad = softplus_backward(gg, x, self.beta, self.threshold) if self.needs_grad(0) \
            else None
        d_x = None
        if self.needs_grad(1):
            bx = x * self.beta
            s = sigmoid(bx)
            below = Tensor._make((bx._data < self.threshold).astype(x._data.dtype))
            d_x = gg * grad * (1 - s) * s * below * self.beta
        return d_grad, d_x


def softplus(input, beta=1.0, threshold=20.0):
    """`log(1 + exp(beta x)) / beta`, and `x` itself where `beta x > threshold`."""
    x, dt = _float_data(input, "softplus_cpu")
    bx = x * beta
    value = np.where(bx > threshold, x, np.log1p(np.exp(bx)) / beta)
    result = _wrap(value, dt)
    if _recording(input):
        node = SoftplusBackward0(input)
        node.beta, node.threshold = beta, threshold
        node.save_for_backward(input)
        _attach(result, node)
    return result


class HardtanhBackward0(Node):
    def apply(self, grad):          # d clamp(x, lo, hi) = 1 strictly inside (lo, hi), else 0
        x, = self.saved
        return (hardtanh_backward(grad, x, self.min_val, self.max_val),)


def hardtanh_backward(grad, x, min_val, max_val):
    """`grad` where `min_val < x < max_val`, else 0 (recorded, for second derivatives)."""
    g, a = grad._data, x._data
    outside = (a <= min_val) | (a >= max_val)
    result = _wrap(np.where(outside, g.dtype.type(0), g), g.dtype)
    if _recording(grad, x):
        node = HardtanhBackwardBackward0(grad, x)
        node.min_val, node.max_val = min_val, max_val
        node.save_for_backward(x)
        _attach(result, node)
    return result


class HardtanhBackwardBackward0(Node):
    def apply(self, grad):          # linear in the gradient; x only picks where (0)
        x, = self.saved
        return (hardtanh_backward(grad, x, self.min_val, self.max_val) if self.needs_grad(0)
                else None, _zeros_like(grad) if self.needs_grad(1) else None)


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """`x` clamped to `[min_val, max_val]` (ReLU6 is `hardtanh(x, 0, 6)`)."""
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("\"clamp_cpu\" not implemented for 'Bool'")
    result = _wrap(np.clip(x, min_val, max_val), x.dtype)
    if _recording(input):
        node = HardtanhBackward0(input)
        node.min_val, node.max_val = min_val, max_val
        node.save_for_backward(input)
        _attach(result, node)
    return result


class ThresholdBackward0(Node):
    def apply(self, grad):          # gradient 1 where x > threshold, 0 where x was replaced
        x, = self.saved
        return (threshold_backward(grad, x, self.threshold),)


def threshold_backward(grad, x, threshold):
    """`grad` where `x > threshold`, else 0 (recorded, for second derivatives)."""
    g = grad._data
    result = _wrap(np.where(x._data <= threshold, g.dtype.type(0), g), g.dtype)
    if _recording(grad, x):
        node = ThresholdBackwardBackward0(grad, x)
        node.threshold = threshold
        node.save_for_backward(x)
        _attach(result, node)
    return result


class ThresholdBackwardBackward0(Node):
    def apply(self, grad):          # linear in the gradient; x only picks where (0)
        x, = self.saved
        return (threshold_backward(grad, x, self.threshold) if self.needs_grad(0) else None,
                _zeros_like(grad) if self.needs_grad(1) else None)


def threshold(input, threshold, value):
    """`x` where `x > threshold`, else `value`."""
    x = input._data
    result = _wrap(np.where(x <= threshold, np.asarray(value).astype(x.dtype)[()], x), x.dtype)
    if _recording(input):
        node = ThresholdBackward0(input)
        node.threshold = threshold
        node.save_for_backward(input)
        _attach(result, node)
    return result


def _log_sigmoid_array(x):
    # log(1 / (1 + e^-x)) = min(x, 0) - log1p(e^-|x|): never overflows
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


class LogSigmoidBackward0(Node):
    def apply(self, grad):          # d log(sigmoid(x)) = 1 - sigmoid(x) = sigmoid(-x)
        x, = self.saved
        return (grad * sigmoid(-x),)


def log_sigmoid(input):
    """`log(sigmoid(x))`, computed without overflow."""
    x, dt = _float_data(input, "log_sigmoid_cpu")
    result = _wrap(_log_sigmoid_array(x), dt)
    if _recording(input):
        node = LogSigmoidBackward0(input)
        node.save_for_backward(input)
        _attach(result, node)
    return result


# -- softmax ------------------------------------------------------------------------------------


def _softmax_input(input, dim, kernel):
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    axis = _wrap_dim(dim, x.ndim)
    compute = x.astype(np.float32) if x.dtype == _HALF else x
    return (compute if x.ndim else compute.reshape(1)), (axis if x.ndim else 0)


class SoftmaxBackward0(Node):
    def apply(self, grad):          # dx = y * (g - sum(g * y)) along dim, y = softmax(x)
        y, = self.saved
        return (y * (grad - _sum(grad * y, self.dim, keepdim=True)),)


def softmax(input, dim, dtype=None):
    """`exp(x) / sum(exp(x))` along `dim`, computed as `exp(x - max) * (1 / sum)` so that
    large inputs do not overflow (in `dtype` when given). Also `torch.softmax` and
    `Tensor.softmax`, where `dim` must be given (only F.softmax guesses it).

    >>> import ember
    >>> from ember.ops.nn_ops import softmax
    >>> softmax(ember.tensor([1.0, 1.0]), 0)
    tensor([0.5000, 0.5000])
    """
    if dtype is not None:
        input = input.to(dtype)
    x, axis = _softmax_input(input, dim, "softmax_lastdim_kernel_impl")
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    value = e * (1 / np.sum(e, axis=axis, keepdims=True))
    result = _wrap(value.reshape(input._data.shape), input._data.dtype)
    if _recording(input):
        node = SoftmaxBackward0(input)
        node.dim = dim if input._data.ndim else None
        node.save_output(result)
        _attach(result, node)
    return result


class LogSoftmaxBackward0(Node):
    def apply(self, grad):          # dx = g - softmax(x) * sum(g) along dim
        y, = self.saved
        return (grad - exp(y) * _sum(grad, self.dim, keepdim=True),)


def log_softmax(input, dim, dtype=None):
    """`log(softmax(x))` along `dim`, computed as `x - max - log(sum(exp(x - max)))` (stable
    for large and very negative inputs alike); also `torch.log_softmax`/`Tensor.log_softmax`."""
    if dtype is not None:
        input = input.to(dtype)
    x, axis = _softmax_input(input, dim, "log_softmax_lastdim_kernel_impl")
    m = np.max(x, axis=axis, keepdims=True)
    log_sum = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    result = _wrap((x - m - log_sum).reshape(input._data.shape), input._data.dtype)
    if _recording(input):
        node = LogSoftmaxBackward0(input)
        node.dim = dim if input._data.ndim else None
        node.save_output(result)
        _attach(result, node)
    return result


# -- matrix product plus bias (Linear) --------------------------------------------------------


class AddmmBackward0(Node):
    mat2_transposed = False

    def apply(self, grad):          # d(b + A B) = (1, grad B^T, A^T grad); b's share is summed
        mat1, mat2 = self.saved     # over the rows it was broadcast to
        if not self.needs_grad(2):
            mat2_grad = None
        elif self.mat2_transposed:
            # B is a transposed weight (Linear's weight.t()): compute (grad^T A)^T, so that
            # after TBackward the weight's gradient is row-major like the weight (PyTorch's
            # layout rule too) and reaches .grad without a transposing copy
            mat2_grad = mm(grad.t(), mat1).t()
        else:
            mat2_grad = mm(mat1.t(), grad)
        return (fit(grad, self.bias_meta) if self.needs_grad(0) else None,
                mm(grad, mat2.t()) if self.needs_grad(1) else None,
                mat2_grad)


def addmm(bias, mat1, mat2):
    """`bias + mat1 @ mat2` for 2-d `mat1`, `mat2` (what `F.linear` computes for a batch).

    >>> import ember
    >>> from ember.ops.nn_ops import addmm
    >>> addmm(ember.tensor([1.0]), ember.tensor([[2.0]]), ember.tensor([[3.0]]))
    tensor([[7.]])
    """
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got " + f"{a.ndim}-D tensor" if a.ndim != 2
                           else f"mat2 must be a matrix, got {b.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]}"
                           f" and {b.shape[0]}x{b.shape[1]})")
    if bias._data.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{bias.dtype.scalar_name} and {mat2.dtype.scalar_name}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{mat1.dtype.scalar_name} and {mat2.dtype.scalar_name}")
    product = a @ b
    try:
        value = np.add(product, bias._data, out=product)   # in place: one array, not two
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({product.shape[1]}) must match the "
                           f"existing size ({bias._data.shape[-1]}) at non-singleton dimension "
                           f"1.  Target sizes: [{product.shape[0]}, {product.shape[1]}].  Tensor "
                           f"sizes: [{', '.join(map(str, bias._data.shape))}]") from None
    result = _wrap(value)
    if _recording(bias, mat1, mat2):
        node = AddmmBackward0(bias, mat1, mat2)
        node.bias_meta = meta(bias)
        if b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous:
            node.mat2_transposed = True
        node.save_for_backward(mat1 if node.needs_grad(2) else None,
                               mat2 if node.needs_grad(1) else None)
        _attach(result, node)
    return result


# -- embedding ----------------------------------------------------------------------------------


class EmbeddingBackward0(Node):
    def apply(self, grad):          # each looked-up row receives the sum of its gradients
        return (fit(embedding_dense_backward(grad, self.indices, self.num_weights,
                                             self.padding_idx, self.scale_grad_by_freq),
                    self.weight_meta),)


class EmbeddingDenseBackward0(Node):
    def apply(self, grad):          # the sum above is linear in the gradient: its own
        #                             derivative looks the rows up again (like PyTorch, without
        #                             the scale_grad_by_freq scaling)
        g = embedding(grad, Tensor._make(self.indices), -1, False)
        keep = (self.indices != self.padding_idx)[..., None]
        return (where(Tensor._make(keep), g, 0.0),)


def embedding_dense_backward(grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    """The gradient of `embedding` with respect to the table: the rows of `grad` added into
    the rows they were looked up from (in order, like PyTorch's loop); the padding row and
    unused rows get zero; with `scale_grad_by_freq`, each row's gradient is divided by the
    number of times its index occurs."""
    flat = indices.reshape(-1)
    g = grad._data.reshape(flat.size, -1)
    if scale_grad_by_freq:
        counts = np.bincount(flat, minlength=num_weights)
        scale = (1.0 / counts[indices]).astype(g.dtype)
        g = g * scale.reshape(-1)[:, None]
    keep = flat != padding_idx
    weight_grad = _backend.xp(g).zeros((num_weights, g.shape[1]), g.dtype)
    _backend.of(g).scatter_add(weight_grad, flat[keep], g[keep])
    result = _wrap(weight_grad)
    if _recording(grad):
        node = EmbeddingDenseBackward0(grad)
        node.indices, node.padding_idx = indices, padding_idx
        _attach(result, node)
    return result


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    """Rows of `weight` picked by the integer tensor `indices`: shape `indices.shape + (dim,)`.

    >>> import ember
    >>> from ember.ops.nn_ops import embedding
    >>> embedding(ember.tensor([[0.0, 1.0], [2.0, 3.0]]), ember.tensor([1, 1, 0]))
    tensor([[2., 3.],
            [2., 3.],
            [0., 1.]])
    """
    idx = indices._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{indices.type()} instead (while checking arguments for embedding)")
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise IndexError("index out of range in self")
    result = _wrap(w[idx])
    if _recording(weight):
        node = EmbeddingBackward0(weight, indices)
        node.indices = idx.astype(np.int64)
        node.num_weights, node.padding_idx = w.shape[0], padding_idx
        node.scale_grad_by_freq = scale_grad_by_freq
        node.weight_meta = meta(weight)
        _attach(result, node)
    return result


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place, each looked-up row of `weight` whose `norm_type`-norm exceeds
    `max_norm` to norm `max_norm` (no gradient is recorded)."""
    w = weight._data
    rows = np.unique(indices._data.reshape(-1))
    for row in rows:
        norm = np.sum(np.abs(w[row]) ** norm_type) ** (1.0 / norm_type)
        if norm > max_norm:
            w[row] *= max_norm / (norm + 1e-7)
    weight._bump_version()
    return weight


# -- losses -------------------------------------------------------------------------------------
#
# `reduction` is 'none' (one loss per element), 'mean' or 'sum'. The mean is the sum divided
# by the count, as ember's `mean` computes it; a mean's backward scales by 1/count.


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    total = np.sum(loss)
    if reduction == "sum":
        return as_array(total)
    return as_array(total / total.dtype.type(loss.size))


def _float_operands(input, target, kernel):
    x, y, dt = operands(input, target)
    if dt.category != _dtype.FLOAT:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dt.scalar_name}\'')
    return x, y, dt


class MseLossBackward0(Node):
    def apply(self, grad):          # d (x - t)^2 = 2 (x - t), times 1/n for the mean
        x, t = self.saved
        norm = 2.0 / x._data.size if self.reduction == "mean" else 2.0
        return (fit((x - t) * norm * grad, self.metas[0]) if self.needs_grad(0) else None,
                fit((t - x) * norm * grad, self.metas[1]) if self.needs_grad(1) else None)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error, `(x - t)^2` reduced. `input` and `target` must already have the
    same shape (the functional form broadcasts them first)."""
    x, y, dt = _float_operands(input, target, "mse_cpu")
    diff = x - y
    result = _wrap(_reduce(diff * diff, reduction), dt.np)
    if _recording(input, target):
        node = MseLossBackward0(input, target)
        node.reduction, node.metas = reduction, (meta(input), meta(target))
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


class SmoothL1LossBackward0(Node):
    def apply(self, grad):          # d/dx: (x - t) / beta inside [-beta, beta], +-1 outside
        x, t = self.saved           # (and the opposite for t)
        return (fit(smooth_l1_loss_backward(grad, x, t, self.reduction, self.beta),
                    self.metas[0]) if self.needs_grad(0) else None,
                fit(smooth_l1_loss_backward(grad, t, x, self.reduction, self.beta),
                    self.metas[1]) if self.needs_grad(1) else None)


def smooth_l1_loss_backward(grad, input, target, reduction, beta):
    """`grad` times the derivative of the smooth L1 loss with respect to `input` (recorded,
    so that it can be differentiated again)."""
    x, y, dt = _float_operands(input, target, "smooth_l1_backward_cpu")
    g = grad._data
    norm = 1.0 / x.size if reduction == "mean" else 1.0
    d = x - y
    value = np.where(d <= -beta, -norm * g,
                     np.where(d >= beta, norm * g, norm * d * g / beta))
    result = _wrap(value, dt.np)
    if _recording(grad, input, target):
        node = SmoothL1LossBackwardBackward0(grad, input, target)
        node.reduction, node.beta = reduction, beta
        node.save_for_backward(grad, input, target)
        _attach(result, node)
    return result


class SmoothL1LossBackwardBackward0(Node):
    def apply(self, gg):
        # in the gradient: linear, the same derivative; in x (and -t): 1/beta where
        # |x - t| < beta (the quadratic part), 0 on the linear parts
        grad, x, t = self.saved
        reduction, beta = self.reduction, self.beta
        d_grad = d_x = None
        if self.needs_grad(0):
            if reduction == "none":
                d_grad = smooth_l1_loss_backward(gg, x, t, reduction, beta)
            else:
                ones = Tensor._make(np.ones_like(grad._data))
                d_grad = (smooth_l1_loss_backward(ones, x, t, reduction, beta) * gg).sum()
        if self.needs_grad(1) or self.needs_grad(2):
            if beta == 0:
                d_x = _zeros_like(gg)
            else:
                inside = Tensor._make((np.abs(x._data - t._data) < beta).astype(gg._data.dtype))
                d_x = gg * grad * inside / beta
                if reduction == "mean":
                    d_x = d_x / x._data.size
        return (d_grad, d_x if self.needs_grad(1) else None,
                -d_x if self.needs_grad(2) else None)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """`0.5 (x - t)^2 / beta` where `|x - t| < beta`, else `|x - t| - 0.5 beta`, reduced."""
    x, y, dt = _float_operands(input, target, "smooth_l1_cpu")
    z = np.abs(x - y)
    loss = np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)
    result = _wrap(_reduce(loss, reduction), dt.np)
    if _recording(input, target):
        node = SmoothL1LossBackward0(input, target)
        node.reduction, node.beta = reduction, beta
        node.metas = (meta(input), meta(target))
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


class HuberLossBackward0(Node):
    def apply(self, grad):          # d/dx: (x - t) inside [-delta, delta], +-delta outside
        x, t = self.saved           # (and the opposite for t)
        return (fit(huber_loss_backward(grad, x, t, self.reduction, self.delta),
                    self.metas[0]) if self.needs_grad(0) else None,
                fit(huber_loss_backward(grad, t, x, self.reduction, self.delta),
                    self.metas[1]) if self.needs_grad(1) else None)


def huber_loss_backward(grad, input, target, reduction, delta):
    """`grad` times the derivative of the Huber loss with respect to `input` (recorded, so
    that it can be differentiated again)."""
    x, y, dt = _float_operands(input, target, "huber_backward_cpu")
    g = grad._data
    norm = 1.0 / x.size if reduction == "mean" else 1.0
    d = x - y
    value = np.where(d <= -delta, -norm * g * delta,
                     np.where(d >= delta, norm * g * delta, norm * d * g))
    result = _wrap(value, dt.np)
    if _recording(grad, input, target):
        node = HuberLossBackwardBackward0(grad, input, target)
        node.reduction, node.delta = reduction, delta
        node.save_for_backward(grad, input, target)
        _attach(result, node)
    return result


class HuberLossBackwardBackward0(Node):
    def apply(self, gg):
        # in the gradient: linear, the same derivative; in x (and -t): 1 where
        # |x - t| < delta (the quadratic part), 0 on the linear parts
        grad, x, t = self.saved
        reduction, delta = self.reduction, self.delta
        d_grad = d_x = None
        if self.needs_grad(0):
            if reduction == "none":
                d_grad = huber_loss_backward(gg, x, t, reduction, delta)
            else:
                ones = Tensor._make(np.ones_like(grad._data))
                d_grad = (huber_loss_backward(ones, x, t, reduction, delta) * gg).sum()
        if self.needs_grad(1) or self.needs_grad(2):
            inside = Tensor._make((np.abs(x._data - t._data) < delta).astype(gg._data.dtype))
            d_x = gg * grad * inside
            if reduction == "mean":
                d_x = d_x / x._data.size
        return (d_grad, d_x if self.needs_grad(1) else None,
                -d_x if self.needs_grad(2) else None)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """`0.5 (x - t)^2` where `|x - t| < delta`, else `delta (|x - t| - 0.5 delta)`, reduced."""
    x, y, dt = _float_operands(input, target, "huber_cpu")
    z = np.abs(x - y)
    loss = np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))
    result = _wrap(_reduce(loss, reduction), dt.np)
    if _recording(input, target):
        node = HuberLossBackward0(input, target)
        node.reduction, node.delta = reduction, delta
        node.metas = (meta(input), meta(target))
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


_EPSILON = float(np.float32(1e-12))    # PyTorch's constant is a C float


class BinaryCrossEntropyBackward0(Node):

    def apply(self, grad):
        x, t = self.saved
        weight = self.weight
        grads = [None, None]
        if self.needs_grad(0):      # d/dx = (x - t) / (x (1 - x)), the denominator kept >= eps
            denominator = (1 - x) * x
            g = grad * (x - t) / where(denominator < _EPSILON, _EPSILON, denominator)
            grads[0] = g
        if self.needs_grad(1):      # d/dt = -logit(x) = log(1 - x) - log(x)
            grads[1] = -log(x / (1 - x)) * grad
        for i, g in enumerate(grads):
            if g is not None:
                if weight is not None:
                    g = g * weight
                if self.reduction == "mean":
                    g = g / x._data.size
                grads[i] = g
        return tuple(grads)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """`-w (t log x + (1 - t) log(1 - x))` for probabilities `x`, each log clamped at -100 so
    that `x = 0` or `1` gives a finite loss."""
    _check_no_requires_grad(weight, "weight", "binary_cross_entropy")
    x, dt = _float_data(input, "binary_cross_entropy")
    t = target._data
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not np.all((t >= 0) & (t <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")
    t = t.astype(x.dtype, copy=False)
    loss = (t - 1) * np.maximum(np.log1p(-x), -100) - t * np.maximum(np.log(x), -100)
    if weight is not None:
        loss = loss * weight._data
    result = _wrap(_reduce(loss, reduction), dt)
    if _recording(input, target):
        node = BinaryCrossEntropyBackward0(input, target)
        node.reduction, node.weight = reduction, weight
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


class BinaryCrossEntropyWithLogitsBackward0(Node):

    def apply(self, grad):
        x, t = self.saved
        weight, pos_weight = self.weight, self.pos_weight
        grads = [None, None]
        if self.needs_grad(0):      # d/dx = sigmoid(x) - t, or with p = pos_weight:
            if pos_weight is None:  # (p t + 1 - t) sigmoid(x) - p t
                g = sigmoid(x) - t
            else:
                pt = pos_weight * t
                g = (pt + 1 - t) * sigmoid(x) - pt
            grads[0] = g * grad
        if self.needs_grad(1):      # d/dt = -x, or with p: log_sigmoid(-x) - p log_sigmoid(x)
            if pos_weight is None:
                grads[1] = -x * grad
            else:
                grads[1] = (log_sigmoid(-x) - log_sigmoid(x) * pos_weight) * grad
        for i, g in enumerate(grads):
            if g is not None:
                if weight is not None:
                    g = g * weight
                if self.reduction == "mean":
                    g = g / x._data.size
                grads[i] = fit(g, self.metas[i])
        return tuple(grads)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction="mean"):
    """Binary cross-entropy of `sigmoid(x)`, computed from the logits `x` directly:
    `(1 - t) x - log_sigmoid(x)` (with `pos_weight` p: `(1 - t) x - (1 + (p - 1) t)
    log_sigmoid(x)`), which stays finite for any `x`."""
    _check_no_requires_grad(weight, "weight", "binary_cross_entropy_with_logits")
    _check_no_requires_grad(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
    x, dt = _float_data(input, "log_sigmoid_cpu")
    t = target._data.astype(x.dtype, copy=False)
    log_sigmoid_x = _log_sigmoid_array(x)
    if pos_weight is not None:
        log_sigmoid_x = log_sigmoid_x * ((pos_weight._data - 1) * t + 1)
    loss = (1 - t) * x - log_sigmoid_x
    if weight is not None:
        loss = loss * weight._data
    result = _wrap(_reduce(loss, reduction), dt)
    if _recording(input, target):
        node = BinaryCrossEntropyWithLogitsBackward0(input, target)
        node.reduction, node.weight, node.pos_weight = reduction, weight, pos_weight
        node.metas = (meta(input), meta(target))
        node.save_for_backward(input, target)
        _attach(result, node)
    return result


def _cascade_sum(values, times, dtype, count):
    """The sum of `values` exactly as PyTorch's nll_loss adds them up.

    PyTorch's loop adds element `b` into a first partial sum, and whenever `b` is a multiple
    of 16 (of 16^2, 16^3, ...) it moves that partial sum into the next level's. `times` are
    the loop indices `b` at which the values arrive (ignored targets arrive at no time; there
    are `count` targets in all), and each run of additions is done from left to right, as the
    C loop does. The levels' partial sums are finally added from the first level up.
    """
    step = 16
    leftovers = []
    # (on a device, only the shape is asked: reading times[-1] would wait for the device)
    if len(times) == 0 or len(times) == count or (
            type(times) is np.ndarray and times[-1] == len(times) - 1):
        # no target ignored (the usual case): at every level the items are the partial sum
        # of item 0 alone, then runs of 16, then a shorter leftover run
        level = 0
        while len(values) > 1 and level < 7:
            full = (len(values) - 1) // step
            stop = 1 + full * step
            rest = values[stop:]
            leftovers.append(np.cumsum(rest)[-1] if rest.size else dtype.type(0))
            runs = np.cumsum(values[1:stop].reshape(full, step), axis=1)[:, -1]
            values = np.concatenate((values[:1], runs))
            level += 1
        leftovers.append(np.cumsum(values)[-1] if values.size else dtype.type(0))
        values = values[:0]
    for level in range(8):
        if len(values) <= 1:
            # a single partial sum left: wherever it stops climbing, it is added after the
            # levels below (the levels above it hold zeros)
            leftovers.extend(values)
            break
        if level == 7:
            ends = np.zeros(0, np.int64)                      # the last level never moves on
        else:
            ends = np.flatnonzero(times % (step ** (level + 1)) == 0)
        run_sums, leftover = _left_to_right_sums(values, ends, dtype)
        leftovers.append(leftover)
        values, times = run_sums, times[ends]
    total = dtype.type(0)
    for part in leftovers:
        total = total + part
    return total


def _left_to_right_sums(values, ends, dtype):
    """Sums of the runs `values[previous end + 1 .. end]` for each index in `ends`, each added
    left to right (np.cumsum adds left to right), and the left-to-right sum of whatever
    follows the last end."""
    n_runs = len(ends)
    stop = int(ends[-1]) + 1 if n_runs else 0
    rest = values[stop:]
    tail = np.cumsum(rest)[-1] if rest.size else dtype.type(0)
    if n_runs == 0:
        return np.zeros(0, dtype), tail
    first = int(ends[0]) + 1
    width = (stop - first) // (n_runs - 1) if n_runs > 1 else 0
    xp = _backend.xp(values)
    if n_runs == 1 or bool((np.diff(ends) == width).all()):
        # the usual case: after the first run, runs of equal length side by side
        sums = xp.empty(n_runs, dtype)
        sums[0] = np.cumsum(values[:first])[-1]
        if n_runs > 1:
            sums[1:] = np.cumsum(values[first:stop].reshape(n_runs - 1, width), axis=1)[:, -1]
        return sums, tail
    # runs of different lengths (some targets ignored): pad them with zeros into a table
    bounds = np.concatenate((xp.zeros(1, np.int64), (ends + 1).astype(np.int64)))
    lengths = np.diff(bounds)
    run = np.searchsorted(bounds[1:], xp.arange(stop), side="right")    # each value's run
    table = xp.zeros((n_runs, int(lengths.max())), dtype)
    table[run, xp.arange(stop) - bounds[run]] = values[:stop]
    return np.cumsum(table, axis=1)[:, -1], tail


class NllLossBackward0(Node):
    def apply(self, grad):
        # d loss / d x[i, t_i] = -w[t_i] (divided by the total weight for 'mean'); every other
        # entry, and every row whose target is ignored, gets zero
        x, = self.saved
        return (fit(nll_loss_backward(grad, x, self), self.input_meta),)


class NllLoss2DBackward0(NllLossBackward0):
    """The same derivative, for spatial inputs `(N, C, H, W)`."""


def nll_loss_backward(grad, input, forward):
    """The gradient of `nll_loss` with respect to its input, for the upstream `grad`
    (`forward`: the forward's node, which knows the picked entries); recorded, so that it can
    be differentiated again."""
    g = grad._data
    zero = g.dtype.type(0)
    if forward.reduction == "none":
        if g.ndim:
            g = np.expand_dims(g, forward.class_dim)
        value = np.where(forward.picked, g * -forward.picked_weight, zero)
    else:
        total = forward.total_weight._data
        scaled = -(g / total) if forward.reduction == "mean" else -g
        value = np.where(forward.picked,
                         forward.picked_weight * scaled if forward.weighted else scaled, zero)
    result = _wrap(value, g.dtype)
    if _recording(grad, input):
        spatial = isinstance(forward, NllLoss2DBackward0)
        node = (NllLoss2DBackwardBackward0 if spatial else NllLossBackwardBackward0)(grad, input)
        node.forward = forward
        _attach(result, node)
    return result


class NllLossBackwardBackward0(Node):
    def apply(self, gg):            # linear in the gradient: nll_loss of gg itself; the input
        f = self.forward            # only decided which entries were picked (0)
        return (nll_loss(gg, f.target, f.weight, f.reduction, f.ignore_index)
                if self.needs_grad(0) else None,
                _zeros_like(gg) if self.needs_grad(1) else None)


class NllLoss2DBackwardBackward0(NllLossBackwardBackward0):
    """The same, for spatial inputs."""


def nll_loss(input, target, weight=None, reduction="mean", ignore_index=-100):
    """Negative log-likelihood of the target classes: `-w[t] * input[t]` for each sample,
    with `input` holding log-probabilities. Shapes: `(C)` with a 0-d target, `(N, C)` with
    `(N)`, or `(N, C, H, W)` with `(N, H, W)` (the 2-d loss)."""
    x = input._data
    t = target._data
    check_devices(x, t, weight)
    spatial = x.ndim == 4
    _check_no_requires_grad(weight, "weight", "nll_loss2d_forward" if spatial else
                            "nll_loss_forward")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target.dtype.scalar_name}")
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_dim] if x.ndim > class_dim else 0
    if spatial:
        if t.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {t.ndim}")
        if weight is not None and weight._data.size != n_classes:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        if t.shape != (x.shape[0],) + x.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: [{', '.join(map(str, x.shape))}] , "
                               f"target: [{', '.join(map(str, t.shape))}]")
    else:
        if not 0 < x.ndim <= 2:
            raise RuntimeError("input tensor should be 1D or 2D")
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if not (x.ndim == 1 and t.ndim == 0) and x.shape[0] != t.shape[0]:
            raise RuntimeError(f"size mismatch (got input: [{', '.join(map(str, x.shape))}], "
                               f"target: [{', '.join(map(str, t.shape))}])")
        if weight is not None and (weight._data.ndim != 1 or weight._data.size != n_classes):
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               "classes or no classes but got weight tensor of shape: "
                               f"[{', '.join(map(str, weight._data.shape))}]")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")

    # the samples in PyTorch's loop order, classes last: rows (M, C), targets (M)
    classes_last = class_dim == x.ndim - 1
    rows = (x if classes_last else np.moveaxis(x, class_dim, -1)).reshape(-1, n_classes)
    targets = t.reshape(-1).astype(np.int64, copy=False)
    valid = targets != ignore_index
    bad = valid & ((targets < 0) | (targets >= n_classes))
    # (checked on the CPU only: on a GPU, as in PyTorch's CUDA kernel, no sync for it)
    if type(bad) is np.ndarray and bad.any():
        raise IndexError(f"Target {targets[np.argmax(bad)]} is out of bounds.")
    if type(valid) is np.ndarray:
        at = np.flatnonzero(valid)                  # the samples that count, in order
        picked_targets = targets[at]
        ignored = None
    else:
        # on a GPU every sample stays in place (asking which ones count would wait for the
        # device); an ignored one picks class 0 and then adds -0.0, which changes no sum
        at = _backend.xp(x).arange(len(targets))
        picked_targets = np.where(valid, targets, 0)
        ignored = ~valid
    picked_x = rows[at, picked_targets]
    w = weight._data if weight is not None else None
    picked_w = w[picked_targets] if w is not None else None

    def counted(values, filler):
        return values if ignored is None else np.where(ignored, x.dtype.type(filler), values)

    total_weight = x.dtype.type(0)
    contributions = -(picked_x * picked_w) if w is not None else -picked_x
    if reduction == "none" and x.ndim != 1:
        losses = _backend.xp(x).zeros(len(targets), x.dtype)
        losses[at] = counted(contributions, 0.0)
        value = losses.reshape(t.shape)
    else:
        value = _cascade_sum(counted(contributions, -0.0), at, x.dtype, len(targets))
        if w is not None:
            total_weight = _cascade_sum(counted(picked_w, -0.0), at, x.dtype, len(targets))
        elif ignored is None:
            total_weight = x.dtype.type(len(at))
        else:
            total_weight = valid.sum().astype(x.dtype)
        if reduction == "mean":
            value = value / total_weight
    result = _wrap(new_like(x, value, x.dtype))
    if _recording(input):
        # the gradient's pattern, in the input's layout: which entries are picked, and their
        # class weights
        def input_layout(a):
            if classes_last:
                return a.reshape(x.shape)
            moved = a.reshape(np.moveaxis(x, class_dim, -1).shape)
            return contiguous(np.moveaxis(moved, -1, class_dim))
        picked = _backend.xp(x).zeros(rows.shape, bool)
        picked[at, picked_targets] = True if ignored is None else valid
        weights_at = _backend.xp(x).zeros(rows.shape, x.dtype)
        weights_at[at, picked_targets] = counted(
            _backend.xp(x).ones_like(picked_x) if w is None else picked_w, 0.0)
        node = (NllLoss2DBackward0 if spatial else NllLossBackward0)(input, target, weight)
        node.reduction, node.class_dim, node.weighted = reduction, class_dim, w is not None
        node.target, node.weight, node.ignore_index = target, weight, ignore_index
        node.save_for_backward(input)
        node.picked = input_layout(picked)
        node.picked_weight = input_layout(weights_at)
        node.total_weight = Tensor._make(new_like(x, total_weight, x.dtype))
        node.input_meta = meta(input)
        _attach(result, node)
    return result


class XlogyBackward0(Node):
    def apply(self, grad):          # d (x log y) = (log y, x / y); 0 where x = 0 for d/dx
        x, y = self.saved
        return (fit(grad * where(x != 0, log(y), 0.0), self.metas[0])
                if self.needs_grad(0) else None,
                fit(grad * x / y, self.metas[1]) if self.needs_grad(1) else None)


def xlogy(input, other):
    """`x * log(y)`, defined as 0 where `x == 0` (unless `y` is nan): how KL divergence
    treats zero probabilities."""
    x, y, dt = _float_operands(input, other, "xlogy_cpu")
    value = np.where((x == 0) & ~np.isnan(y), x.dtype.type(0), x * np.log(y))
    result = _wrap(value, dt.np)
    if _recording(input, other):
        node = XlogyBackward0(input, other)
        node.metas = (meta(input), meta(other))
        node.save_for_backward(input, other)
        _attach(result, node)
    return result


# -- joining tensors (for nn.utils.parameters_to_vector) ----------------------------------------


class CatBackward0(Node):
    def apply(self, grad):          # each input gets back its own slice of the gradient
        grads, start = [], 0
        for i, size in enumerate(self.sizes):
            grads.append(grad[start:start + size] if self.needs_grad(i) else None)
            start += size
        return tuple(grads)


def cat_1d(tensors):
    """Join 1-d tensors end to end, differentiably."""
    result = _wrap(np.concatenate([t._data for t in tensors]))
    if _recording(*tensors):
        node = CatBackward0(*tensors)
        node.sizes = [t._data.shape[0] for t in tensors]
        _attach(result, node)
    return result


# -- the torch.* and Tensor spellings of a few nn.functional ops ---------------------------------


def dropout(input, p, train):
    """`torch.dropout(input, p, train)`: F.dropout with PyTorch's positional `train`."""
    from ..nn.functional import dropout as functional_dropout
    return functional_dropout(input, p, train)


# -- prelu --------------------------------------------------------------------------------------


def _prelu_weight_shape(x, w):
    """The shape that broadcasts the weight over the input: one value, or one per channel
    (dim 1)."""
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.size != 1 and w.size != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {w.size} and channel size = {channels}.")
    if w.size == 1:
        return ()
    return (channels,) + (1,) * (x.ndim - 2)


class PreluKernelBackward0(Node):
    def apply(self, grad):          # d/dx: 1 where x > 0, else w; d/dw: x where x <= 0, summed
        x, w = self.saved
        positive = x > 0
        wb = w.reshape(self.weight_shape)
        gx = where(positive, grad, wb * grad) if self.needs_grad(0) else None
        gw = None
        if self.needs_grad(1):
            product = where(positive, 0.0, x) * grad
            if self.weight_shape == ():
                gw = product.sum().reshape(tuple(w.shape))
            else:
                gw = product.sum([d for d in range(x._data.ndim) if d != 1])
        return (gx, gw)


def prelu(input, weight):
    """`x` where `x > 0`, else `weight * x`, with one weight, or one per channel (dim 1)."""
    x, dt = _float_data(input, "prelu_cpu")
    w = weight._data
    shape = _prelu_weight_shape(x, w)
    wb = w.reshape(shape).astype(x.dtype)
    result = _wrap(np.where(x > 0, x, wb * x), dt)
    if _recording(input, weight):
        node = PreluKernelBackward0(input, weight)
        node.weight_shape = shape
        node.save_for_backward(input, weight)
        _attach(result, node)
    return result


# Tensor methods (bound by _methods.py).
METHODS = {"softmax": softmax, "log_softmax": log_softmax, "hardshrink": hardshrink,
           "prelu": prelu}


# -- embedding bags -------------------------------------------------------------------------------
#
# `embedding_bag` reduces the looked-up rows of each bag (a run of `indices` starting at an
# offset) by sum, mean or max, in one pass, like PyTorch's CPU kernel: a bag's rows are added
# in order (with per-sample weights, as fused multiply-adds `w * row + acc`), a mean divides
# the sum by the bag's size, a max keeps the first largest value of each column; rows at
# `padding_idx` are skipped (and not counted). Empty bags give zeros.
#
# The gradient for the table is PyTorch's `_embedding_bag_backward`: for sum and mean it walks
# the indices in the order of PyTorch's (unstable) sort of them (ember's `sort` reproduces it)
# and adds `scale * grad[bag]` into the row with a fused multiply-add; `scale` is worked out in
# double, as there: the per-sample weight, divided by the index's count (scale_grad_by_freq;
# PyTorch looks the count up by the position of the index's group in the sorted indices, and
# so does ember) and by the bag's size (mean). PyTorch has no derivative of that backward: its
# node, `EmbeddingBagBackwardBackward0`, refuses.

from .._fma import fma32, fma64  # noqa: E402 (this section was appended)
from ._util import upload_like  # noqa: E402


class EmbeddingBagBackward0(Node):
    def apply(self, grad):
        s = self.spec
        g_weight = (_embedding_bag_weight_backward(grad, s)
                    if self.needs_grad(0) else None)
        if len(self.next_functions) < 2:
            return (g_weight,)
        g_psw = (_embedding_bag_psw_backward(grad, s) if self.needs_grad(1) else None)
        return g_weight, g_psw


class EmbeddingBagBackwardBackward0(Node):
    def apply(self, grad):
        raise RuntimeError("the derivative for '_embedding_bag_backward' is not implemented.")


def _host(a):
    return _backend.of(a).to_host(a)


class _BagSpec:
    """What the backward needs: the flat indices, each one's bag, the bag sizes, the mode."""


def _bag_positions(offsets, n, include_last_offset):
    """Each bag's [start, end) in the flat indices."""
    starts = offsets[:-1] if include_last_offset else offsets
    ends = (offsets[1:] if include_last_offset
            else np.concatenate([offsets[1:], np.array([n], np.int64)]))
    return starts.astype(np.int64), ends.astype(np.int64)


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Reduce the rows of `weight` picked by each bag of the 1-d `indices` (bag b starts at
    `offsets[b]`) by sum (mode 0), mean (1) or max (2).

    >>> import ember
    >>> from ember.ops.nn_ops import embedding_bag
    >>> w = ember.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> embedding_bag(w, ember.tensor([0, 1, 2]), ember.tensor([0, 2]))
    tensor([[4., 6.],
            [5., 6.]])
    """
    for t in (indices, offsets):
        if t._data.dtype not in (np.int64, np.int32):
            raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                               "following scalar types: Long, Int; but got "
                               f"{t.type()} instead (while checking arguments for "
                               "embedding_bag)")
    w = weight._data
    if w.dtype.kind != "f":
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the "
                           "following scalar types: Half, BFloat16, Float, Double; but got "
                           f"{weight.type()} instead (while checking arguments for "
                           "embedding_bag)")
    if per_sample_weights is not None and per_sample_weights._data.dtype != w.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type "
                           f"{weight.type()} does not equal "
                           f"{per_sample_weights.type()} (while checking arguments for "
                           "embedding_bag)")
    num = w.shape[0]
    if padding_idx is None:
        padding_idx = -1
    elif not -num <= padding_idx < num:
        raise RuntimeError("padding_idx must be within the number of embeddings, "
                           f"{-num} through {num - 1}, but got {padding_idx}")
    elif padding_idx < 0:
        padding_idx += num
    idx = _host(indices._data).reshape(-1).astype(np.int64)
    off = _host(offsets._data).reshape(-1).astype(np.int64)
    n = idx.size
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {off[0]}")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {off[-1]}")
    bad = np.nonzero((idx < 0) | (idx >= num))[0]
    if bad.size and mode == 2:
        raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                           f"idx to be {idx[bad[0]]}")
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in "
                           f"the valid range [0, {num})")
    if np.any(np.diff(off) < 0):
        raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this "
                           "error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    starts, ends = _bag_positions(off, n, include_last_offset)
    bags = starts.size
    sizes = ends - starts
    bag_of = np.repeat(np.arange(bags), sizes)
    pos = (np.arange(bag_of.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
           if bags else bag_of)                         # each sample's place in its bag
    flat = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if bags \
        else np.zeros(0, np.int64)
    keep = idx[flat] != padding_idx
    counted = np.bincount(bag_of[keep], minlength=bags)        # the sizes without padding
    cdt = np.dtype(np.float32) if w.dtype == _HALF else w.dtype
    xp = _backend.xp(w)
    dim = w.shape[1]
    out = xp.zeros((bags, dim), cdt)
    max_idx = np.full((bags, dim), -1, np.int64) if mode == 2 else None
    psw = (per_sample_weights._data.reshape(-1).astype(cdt)
           if per_sample_weights is not None else None)
    # one step per position inside a bag: every bag long enough takes its next row at once
    for k in range(int(sizes.max()) if bags else 0):
        sel = (pos == k) & keep
        b, i = bag_of[sel], flat[sel]
        if not b.size:
            continue
        rows = w[upload_like(w, idx[i])].astype(cdt)
        bd = upload_like(w, b)
        if mode == 2:
            cur = out[bd]
            take = (max_idx[b] == -1) | _host(rows > cur)
            out[bd] = xp.where(upload_like(w, take), rows, cur)
            max_idx[b] = np.where(take, idx[i][:, None], max_idx[b])
        elif psw is not None and padding_idx >= 0:
            # (PyTorch's kernel for a table with a padding row rounds the product first)
            out[bd] = out[bd] + psw[upload_like(w, i)][:, None] * rows
        elif psw is not None:
            fused = fma32 if cdt == np.float32 else fma64
            out[bd] = fused(psw[upload_like(w, i)][:, None].astype(cdt), rows, out[bd])
        else:
            out[bd] = out[bd] + rows
    if mode == 1:
        nz = counted > 0
        out[upload_like(w, nz)] = out[upload_like(w, nz)] / upload_like(
            w, counted[nz].astype(cdt))[:, None]
    result = Tensor._make(out.astype(w.dtype) if out.dtype != w.dtype else out)
    inputs = (weight,) if per_sample_weights is None else (weight, per_sample_weights)
    if _recording(*inputs):
        s = _BagSpec()
        s.idx, s.flat, s.bag_of, s.keep, s.counted = idx, flat, bag_of, keep, counted
        s.mode, s.scale_grad_by_freq, s.padding_idx, s.max_idx = (mode, scale_grad_by_freq,
                                                                    padding_idx, max_idx)
        s.weight = weight.detach()
        s.psw = per_sample_weights.detach() if per_sample_weights is not None else None
        node = EmbeddingBagBackward0(*inputs)
        node.spec = s
        _attach(result, node)
    return result


def _embedding_bag_weight_backward(grad, s):
    from .reduction import sort
    g = grad._data
    w = s.weight._data
    num, dim = w.shape
    cdt = np.dtype(np.float32) if g.dtype == _HALF else g.dtype
    xp = _backend.xp(g)
    gw = xp.zeros((num, dim), cdt)
    if s.mode == 2:
        rows = s.max_idx.reshape(-1)
        cols = np.tile(np.arange(dim), s.max_idx.shape[0])
        ok = rows >= 0
        flat_g = g.reshape(-1).astype(cdt)[upload_like(g, np.nonzero(ok)[0])]
        _backend.of(gw).scatter_add(gw, (upload_like(g, rows[ok]), upload_like(g, cols[ok])),
                                    flat_g)
    else:
        # the samples in the order of PyTorch's sort of the indices (by position in `flat`)
        order_idx = s.idx[s.flat]
        perm = _host(sort(Tensor._make(order_idx))[1]._data)
        sorted_idx = order_idx[perm]
        group = np.concatenate([[0], np.cumsum(sorted_idx[1:] != sorted_idx[:-1])]) \
            if perm.size else perm
        first = np.concatenate([[0], np.nonzero(sorted_idx[1:] != sorted_idx[:-1])[0] + 1]) \
            if perm.size else perm
        rank = np.arange(perm.size) - first[group] if perm.size else perm
        scale = np.ones(perm.size, np.float64)
        if s.psw is not None:
            scale = _host(s.psw._data).reshape(-1).astype(np.float64)[perm]
        if s.scale_grad_by_freq:
            counts = np.bincount(order_idx, minlength=num)
            scale = scale / counts[sorted_idx[group]]       # PyTorch's lookup (see above)
        bag = s.bag_of[perm]
        if s.mode == 1:
            size = s.counted[bag]
            scale = np.where(size > 0, scale / np.maximum(size, 1), scale)
        scale = scale.astype(cdt)
        live = sorted_idx != s.padding_idx
        fused = fma32 if cdt == np.float32 else fma64
        for k in range(int(rank.max()) + 1 if perm.size else 0):
            sel = (rank == k) & live
            if not sel.any():
                continue
            r = upload_like(g, sorted_idx[sel])
            gw[r] = fused(upload_like(g, scale[sel])[:, None], g[upload_like(g, bag[sel])]
                          .astype(cdt), gw[r])
    result = Tensor._make(gw.astype(g.dtype) if gw.dtype != g.dtype else gw)
    if _recording(grad):
        _attach(result, EmbeddingBagBackwardBackward0(grad))
    return result


def _embedding_bag_psw_backward(grad, s):
    from .pointwise import _not_differentiable
    g = grad._data
    w = s.weight._data
    out = _backend.xp(g).zeros(s.idx.size, g.dtype)
    live = s.keep
    pos = s.flat[live]
    rows = w[upload_like(w, s.idx[pos])]
    out[upload_like(g, pos)] = (g[upload_like(g, s.bag_of[live])] * rows).sum(-1)
    result = Tensor._make(out.reshape(s.psw.shape))
    return _not_differentiable(result, "_embedding_bag_per_sample_weights_backward", grad)

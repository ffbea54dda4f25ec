"""The one fused kernel of attention: `_safe_softmax`.

PyTorch's math path of `scaled_dot_product_attention` normalises the scores with
`_safe_softmax`, a softmax whose fully masked rows (every score `-inf`) come out as zeros
instead of NaN, and records its own node `SafeSoftmaxBackward0`. Everything else in attention
(`scaled_dot_product_attention`, `multi_head_attention_forward`, the Transformer layers) is
composed of ember's existing ops, in `ember/nn/modules/attention.py` and `transformer.py`.
"""
import numpy as np

from ..autograd import grad_mode
from ..autograd.graph import Node
from .nn_ops import _attach, _recording, _wrap, softmax
from .reduction import sum as _sum


class SafeSoftmaxBackward0(Node):
    def apply(self, grad):          # as softmax: dx = y * (g - sum(g * y)); zero rows give 0
        y, = self.saved
        return (y * (grad - _sum(grad * y, self.dim, keepdim=True)),)


def safe_softmax(input, dim):
    """Softmax along `dim`, with rows that are entirely `-inf` giving zeros (not NaN).

    >>> import ember
    >>> from ember.ops.attention import safe_softmax
    >>> safe_softmax(ember.tensor([[0.0, 0.0], [float("-inf"), float("-inf")]]), -1)
    tensor([[0.5000, 0.5000],
            [0.0000, 0.0000]])
    """
    with grad_mode.no_grad(), np.errstate(invalid="ignore"):
        value = softmax(input, dim)._data
    x = input._data
    if x.ndim:
        axis = dim % x.ndim
        dead = np.all(x == -np.inf, axis=axis, keepdims=True)
        value = np.where(dead, np.zeros_like(value, shape=()), value)
    result = _wrap(value, input._data.dtype)
    if _recording(input):
        node = SafeSoftmaxBackward0(input)
        node.dim = dim if x.ndim else None
        node.save_output(result)
        _attach(result, node)
    return result

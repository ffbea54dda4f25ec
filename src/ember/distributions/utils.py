"""Helpers shared by the distributions (broadcasting parameters, probs <-> logits)."""
import numbers

import ember

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property"]

euler_constant = 0.57721566490153286060


def broadcast_all(*values):
    """Broadcast numbers and tensors to one shape; numbers become tensors of the first
    tensor's dtype/device (else the default dtype).

    >>> broadcast_all(ember.zeros(2), 1.0)[1]
    tensor([1., 1.])
    """
    is_tensor = [isinstance(v, ember.Tensor) for v in values]
    if not all(t or isinstance(v, numbers.Number) for t, v in zip(is_tensor, values)):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if not all(is_tensor):
        options = dict(dtype=ember.get_default_dtype())
        for v in values:
            if isinstance(v, ember.Tensor):
                options = dict(dtype=v.dtype, device=v.device)
                break
        values = [v if isinstance(v, ember.Tensor) else ember.tensor(v, **options)
                  for v in values]
    return ember.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    # PyTorch fills an empty tensor with normal_(): the same draws as ember's normal_
    return ember.empty(shape, dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim):
    """Sum out the `dim` rightmost dimensions of `value`."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """sigmoid (binary) or softmax over the last dim.

    >>> logits_to_probs(ember.zeros(2))
    tensor([0.5000, 0.5000])
    """
    if is_binary:
        return ember.sigmoid(logits)
    return ember.nn.functional.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp into [eps, 1 - eps] of the dtype, so the logs stay finite.

    >>> clamp_probs(ember.tensor([0.0])) > 0
    tensor([True])
    """
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """log-odds (binary) or log-probabilities of clamped probabilities.

    >>> probs_to_logits(ember.tensor([0.5]), is_binary=True)
    tensor([0.])
    """
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:
    """A cached attribute computed on first access (with grad enabled), then stored on the
    instance, so e.g. `probs` is derived from `logits` only when asked for."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    # what the class attribute reads as: both a lazy_property and a property
    def __init__(self, wrapped):
        property.__init__(self, wrapped)

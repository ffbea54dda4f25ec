"""Gradient clipping: keep one unlucky batch from taking a huge optimizer step.

- `clip_grad_norm_`: if the norm of all gradients together exceeds `max_norm`, scale them
  all down by the same factor (the direction of the step is kept);
- `clip_grad_value_`: clamp every gradient element to `[-clip_value, clip_value]`.
"""
import types
import warnings

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops._util import as_array

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]


def _vector_norm(array, norm_type):
    """The `norm_type`-norm of all elements of `array` (inf: the largest magnitude)."""
    a = np.abs(array.reshape(-1))
    if norm_type == float("inf"):
        return a.max() if a.size else np.zeros_like(a, shape=())
    if norm_type == float("-inf"):
        return a.min() if a.size else np.full_like(a, float("inf"), shape=())
    if norm_type == 0:
        return (a != 0).sum().astype(array.dtype)
    if norm_type == 2:
        return np.sqrt(np.sum(a * a))
    if norm_type == 1:
        return np.sum(a)
    return np.sum(a ** norm_type) ** (1.0 / norm_type)


def _as_0d(value, dtype):
    """`np.asarray(value, dtype)` for a norm: a 0-d array on the device it was computed on."""
    value = as_array(value)
    return value if value.dtype == dtype else value.astype(dtype)


def _get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False):
    """The norm of the per-tensor norms: the norm of all elements of all tensors."""
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return Tensor._make(np.zeros((), np.float32))
    # (0-d arrays on the tensors' own device: np.asarray would pull a GPU array to the host)
    norms = [_as_0d(_vector_norm(t._data, norm_type), t._data.dtype) for t in tensors]
    dtype = np.result_type(*[n.dtype for n in norms])
    total = _as_0d(_vector_norm(np.stack([n.astype(dtype) for n in norms]), norm_type), dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters`, in place, so that their total norm is at most
    `max_norm`; returns the total norm before clipping.

    >>> import ember
    >>> from ember import nn
    >>> w = nn.Parameter(ember.tensor([3.0, 4.0]))
    >>> w.grad = ember.tensor([3.0, 4.0])
    >>> nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    with no_grad():
        if isinstance(parameters, Tensor):
            parameters = [parameters]
        else:
            is_generator = isinstance(parameters, types.GeneratorType)
            parameters = list(parameters)
            if is_generator and len(parameters) == 0:
                warnings.warn("`parameters` is an empty generator, no gradient clipping will "
                              "occur.", stacklevel=2)
        grads = [p.grad for p in parameters if p.grad is not None]
        total_norm = _get_total_norm(grads, norm_type, error_if_nonfinite)
        if grads:
            # clip_coef = max_norm / (total_norm + 1e-6), at most 1: computed in the norm's
            # dtype as PyTorch's tensor arithmetic does (a scalar over a tensor is reciprocal
            # times scalar)
            t = total_norm._data
            coef = np.reciprocal(t + t.dtype.type(1e-6)) * t.dtype.type(float(max_norm))
            coef = np.minimum(coef, t.dtype.type(1.0))
            for g in grads:
                g._data *= coef.astype(g._data.dtype)
                g._bump_version()
        return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated: use `clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of `parameters`, in place, to
    `[-clip_value, clip_value]`."""
    with no_grad():
        if isinstance(parameters, Tensor):
            parameters = [parameters]
        clip_value = float(clip_value)
        for p in parameters:
            if p.grad is not None:
                g = p.grad._data
                np.clip(g, -clip_value, clip_value, out=g)
                p.grad._bump_version()

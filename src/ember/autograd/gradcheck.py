"""Check a backward formula against finite differences, as PyTorch's gradcheck does.

The numerical Jacobian moves one input element by +-eps and watches every output
((f(x+eps) - f(x-eps)) / 2eps); the analytical one runs backward once per output element with a
one-hot gradient. They must agree within `atol + rtol * |numerical|`. Use float64 inputs: in
float32 the differences are dominated by rounding.
"""
import warnings

import numpy as np

from .. import _tensor


class GradcheckError(RuntimeError):
    """Raised when the analytical and numerical gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _differentiable_inputs(inputs):
    Tensor = _tensor.Tensor
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]


def _outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, _tensor.Tensor)]


def _numerical_jacobians(func, inputs, wrt, outputs, eps):
    """For each input in `wrt` and each output: a (numel(input), numel(output)) array."""
    result = []
    for i in wrt:
        data = inputs[i]._data                      # perturbed in place, then restored
        columns = [np.zeros((data.size, o._data.size), dtype=o._data.dtype) for o in outputs]
        for k in range(data.size):
            index = np.unravel_index(k, data.shape)
            original = data[index].copy()
            data[index] = original + eps
            plus = [o._data.copy() for o in _outputs(func, inputs)]
            data[index] = original - eps
            minus = [o._data.copy() for o in _outputs(func, inputs)]
            data[index] = original
            for column, p, m in zip(columns, plus, minus):
                column[k] = ((p - m) / (2 * eps)).reshape(-1)
        result.append(columns)
    return result


def _analytical_jacobians(inputs, wrt, outputs):
    from . import grad as autograd_grad
    Tensor = _tensor.Tensor
    result = [[np.zeros((inputs[i]._data.size, o._data.size), dtype=o._data.dtype)
               for o in outputs] for i in wrt]
    for j, out in enumerate(outputs):
        if not out._requires_grad:
            continue
        for k in range(out._data.size):
            one_hot = np.zeros(out._data.size, out._data.dtype)
            one_hot[k] = 1
            grads = autograd_grad(out, [inputs[i] for i in wrt],
                                  Tensor._make(one_hot.reshape(out._data.shape)),
                                  retain_graph=True, allow_unused=True)
            for n, g in enumerate(grads):
                if g is not None:
                    result[n][j][:, k] = g._data.reshape(-1)
    return result


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """True when `func`'s backward agrees with finite differences at `inputs`.

    >>> import ember
    >>> x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    wrt = _differentiable_inputs(inputs)
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for n, i in enumerate(wrt):
        if inputs[i]._data.dtype not in (np.float64, np.complex128):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ", UserWarning,
                          stacklevel=2)
    outputs = _outputs(func, inputs)
    numerical = _numerical_jacobians(func, inputs, wrt, outputs, eps)
    analytical = _analytical_jacobians(inputs, wrt, outputs)
    for n, i in enumerate(wrt):
        for j in range(len(outputs)):
            a, num = analytical[n][j], numerical[n][j]
            if not np.allclose(a, num, rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                Tensor = _tensor.Tensor
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{Tensor._make(num)!r}\nanalytical:{Tensor._make(a)!r}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the backward pass itself: second derivatives against finite differences
    of the first (with random gradients of the outputs, held fixed)."""
    from . import grad as autograd_grad
    Tensor = _tensor.Tensor
    inputs = _as_tuple(inputs)
    wrt = _differentiable_inputs(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor._make(rng.standard_normal(o._data.shape).astype(
            o._data.dtype), True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivatives(*all_inputs):
        ins, gos = all_inputs[:count], all_inputs[count:]
        outs = _outputs(func, ins)
        pairs = [(o, g) for o, g in zip(outs, gos) if o._requires_grad]
        grads = autograd_grad([o for o, _ in pairs], [ins[i] for i in wrt],
                              [g for _, g in pairs], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)

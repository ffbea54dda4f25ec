"""ember.autograd: the backward pass, gradients of chosen inputs, and grad mode."""
import numpy as np

from .. import _tensor
from . import engine, functional, graph
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node


def _make_grads(outputs, grad_outputs):
    """The gradient each output starts with: ones for a scalar, else the given one (checked)."""
    Tensor = _tensor.Tensor
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fc":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            g = Tensor._make(np.ones_like(out._data))
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(np.full_like(out._data, g))
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            if g._data.dtype != out._data.dtype:
                if (g._data.dtype.kind == "c") != (out._data.dtype.kind == "c"):
                    raise RuntimeError(
                        f"For complex Tensors, both grad_output and output are required to have "
                        f"the same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of "
                        f"{g.dtype} and output[{i}] has a dtype of {out.dtype}.")
                g = g.to(out.dtype)
        grads.append(g)
    return grads


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, _tensor.Tensor):
        return (x,)
    return tuple(x)


def _roots(outputs):
    """The edge `(node, output_nr)` each output's gradient enters the graph through."""
    roots = []
    for i, out in enumerate(outputs):
        if out._grad_fn is not None:
            roots.append((out._grad_fn, out._output_nr))
        elif out._requires_grad:
            roots.append((out._grad_accumulator(), 0))
        else:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Add the gradient of `tensors` with respect to each leaf into the leaf's `.grad`.

    >>> import ember
    >>> x = ember.tensor([2.0], requires_grad=True)
    >>> ember.autograd.backward(x * x)
    >>> x.grad
    tensor([4.])
    """
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs"
                           if not grads else
                           f"got {len(grads)} gradients for {len(outputs)} outputs")
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outputs)
    root_grads = _make_grads(outputs, grads)
    inputs = _as_tuple(inputs)
    if inputs is not None:
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            t.retain_grad()          # a non-leaf input keeps its gradient, as in PyTorch
    if create_graph:
        _tensor.warn_once(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak.")
    # With `inputs`, only those leaves accumulate; non-leaf inputs keep theirs via retain_grad.
    leaves = None if inputs is None else {t._grad_accumulator() for t in inputs if t.is_leaf}
    run_backward(roots, root_grads, retain_graph, create_graph, only_leaves=leaves)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned (no `.grad` is changed).

    >>> import ember
    >>> x = ember.tensor(3.0, requires_grad=True)
    >>> ember.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    grads = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _roots(outputs)
    root_grads = _make_grads(outputs, grads)
    captured = run_backward(roots, root_grads, retain_graph, create_graph, capture=inputs)
    result = []
    for index, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if materialize_grads:
                g = _tensor.Tensor._make(np.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {index} appears to not "
                                   "have been used in the graph. Set allow_unused=True if this "
                                   "is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def Variable(data, requires_grad=False, volatile=False):
    """The pre-0.4 wrapper: today simply the tensor itself (optionally requiring grad)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


# PyTorch's spelling of end-of-backward callbacks: `Variable._execution_engine.queue_callback`
Variable._execution_engine = engine._ExecutionEngine()


__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "is_inference_mode_enabled", "Node", "Variable", "Function",
           "once_differentiable", "gradcheck", "gradgradcheck", "GradcheckError", "functional",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "graph"]

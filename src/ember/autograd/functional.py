"""Derivatives of whole functions: vjp, jvp, jacobian, hessian, hvp, vhp.

All are built on `autograd.grad`: a vector-Jacobian product is one backward pass; a
Jacobian-vector product is the derivative of a vjp with respect to its vector (the "double
backward" trick), so it needs no forward-mode machinery.
"""
import numpy as np

from .. import _tensor
from . import grad_mode


def _tuple(x, name, arg):
    Tensor = _tensor.Tensor
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for item in items:
        if not isinstance(item, Tensor):
            kind = "tuple of Tensors or a Tensor" if is_tuple else "Tensor or a tuple of Tensors"
            raise TypeError(f"The {arg} given to {name} must be either a {kind} but the value "
                            f"at index 0 has type {type(item)}." if is_tuple else
                            f"The {arg} given to {name} must be either a Tensor or a tuple of "
                            f"Tensors but the given argument has type {type(item)}.")
    return is_tuple, items


def _grad_preprocess(inputs, create_graph):
    """Fresh leaves that require grad, so the user's tensors' graphs are not touched."""
    out = []
    for t in inputs:
        if create_graph and t._requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _check_outputs_differentiable(outputs, strict):
    if strict:
        for i, o in enumerate(outputs):
            if not o._requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require "
                                   "gradients. The outputs must be computed in a differentiable "
                                   "manner from the input when running in strict mode.")


def _check_v(v, like, name):
    """`v` must match `like` (the tensors it multiplies) in number and shapes."""
    _, vs = _tuple(v, name, "v")
    if len(vs) != len(like):
        if len(like) == 1:
            raise RuntimeError("The given v should contain a single Tensor.")
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got "
                           f"{len(vs)}.")
    for vv, t in zip(vs, like):
        if vv._data.shape != t._data.shape:
            raise RuntimeError(f"v has invalid size: should be {t.shape} but got {vv.shape}.")
    return vs


_INDEPENDENT = ("{what} of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode.")
_LINEAR_FOR_HESSIAN = ("While computing the hessian, found that the jacobian of the "
                       "user-provided function with respect to input {i} is independent of the "
                       "input. This is not allowed in strict mode. You should ensure that your "
                       "function is twice differentiable and that the jacobian depends on the "
                       "inputs (this would be violated by a linear function for example).")


def _grad(outputs, inputs, grad_outputs, create_graph, strict, name, what="The output",
          message=_INDEPENDENT):
    from . import grad as autograd_grad
    Tensor = _tensor.Tensor
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o._requires_grad]
    if not pairs:
        grads = (None,) * len(inputs)
    else:
        grads = autograd_grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                              create_graph=create_graph, retain_graph=True, allow_unused=True)
    result = []
    for i, (g, t) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(message.format(what=what, i=i))
            g = Tensor._make(np.zeros_like(t._data))
        result.append(g)
    return tuple(result)


def _finish(values, is_tuple, create_graph):
    values = tuple(v if create_graph else v.detach() for v in values)
    return values if is_tuple else values[0]


def _ones_for(outputs, name):
    Tensor = _tensor.Tensor
    vs = []
    for o in outputs:
        if o._data.size != 1:
            raise RuntimeError(f"The vector v can only be None if the user-provided function "
                               f"returns a single Tensor with a single element.")
        vs.append(Tensor._make(np.ones_like(o._data)))
    return tuple(vs)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """`(func(inputs), v^T J)`: the outputs and the vector-Jacobian product."""
    with grad_mode.enable_grad():
        in_tuple, inputs = _tuple(inputs, "vjp", "inputs")
        inputs = _grad_preprocess(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*inputs), "vjp", "outputs of the user-provided function")
        _check_outputs_differentiable(outputs, strict)
        vs = _ones_for(outputs, "vjp") if v is None else _check_v(v, outputs, "vjp")
        grads = _grad(outputs, inputs, vs, create_graph, strict, "vjp")
    return _finish(outputs, out_tuple, create_graph), _finish(grads, in_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """`(func(inputs), J v)`, by differentiating a vjp with respect to its vector."""
    Tensor = _tensor.Tensor
    with grad_mode.enable_grad():
        in_tuple, inputs = _tuple(inputs, "jvp", "inputs")
        inputs = _grad_preprocess(inputs, create_graph)
        if v is None:
            if len(inputs) != 1 or inputs[0]._data.size != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = (Tensor._make(np.ones_like(inputs[0]._data)),)
        else:
            vs = _check_v(v, inputs, "jvp")
        out_tuple, outputs = _tuple(func(*inputs), "jvp", "outputs of the user-provided function")
        _check_outputs_differentiable(outputs, strict)
        dummies = tuple(Tensor._make(np.zeros_like(o._data), True) for o in outputs)
        grads = _grad(outputs, inputs, dummies, True, strict, "jvp")
        pairs = [(g, vv) for g, vv in zip(grads, vs) if g._requires_grad]
        from . import grad as autograd_grad
        if pairs:
            jv = autograd_grad([g for g, _ in pairs], dummies, [vv for _, vv in pairs],
                               create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(dummies)
        jv = tuple(j if j is not None else Tensor._make(np.zeros_like(o._data))
                   for j, o in zip(jv, outputs))
    return _finish(outputs, out_tuple, create_graph), _finish(jv, out_tuple, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode", strict_message=_INDEPENDENT, _check_outputs=True):
    """The Jacobian of `func` at `inputs`: for one input and one output, a tensor of shape
    `output.shape + input.shape`; tuples of those otherwise."""
    Tensor = _tensor.Tensor
    if strategy not in ("reverse-mode", "forward-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         'If your function has more outputs than inputs, "forward-mode" tends to '
                         'be more performant. Otherwise, prefer to use "reverse-mode".')
    with grad_mode.enable_grad():
        in_tuple, inputs = _tuple(inputs, "jacobian", "inputs")
        inputs = _grad_preprocess(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*inputs), "jacobian",
                                    "outputs of the user-provided function")
        _check_outputs_differentiable(outputs, strict and _check_outputs)
        blocks = []                               # blocks[out][in]
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            for k in range(out._data.size):
                one_hot = np.zeros(out._data.size, out._data.dtype)
                one_hot[k] = 1
                v = Tensor._make(one_hot.reshape(out._data.shape))
                grads = _grad((out,), inputs, (v,), create_graph, strict, "jacobian",
                              what=f"Output {i}", message=strict_message)
                for n, g in enumerate(grads):
                    rows[n].append(g)
            block = []
            for n, inp in enumerate(inputs):
                if rows[n]:
                    stacked = _stack(rows[n]).reshape(out._data.shape + inp._data.shape)
                else:
                    stacked = Tensor._make(np.zeros(out._data.shape + inp._data.shape,
                                                    out._data.dtype))
                block.append(stacked if create_graph else stacked.detach())
            blocks.append(tuple(block))
    if out_tuple and in_tuple:
        return tuple(blocks)
    if out_tuple:
        return tuple(b[0] for b in blocks)
    if in_tuple:
        return blocks[0]
    return blocks[0][0]


def _stack(tensors):
    from ..ops.shape import _stack as stack
    return stack(list(tensors), 0)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    in_tuple, inputs = _tuple(inputs, "hessian", "inputs")

    def gradient(*ins):
        out = func(*ins)
        _, outs = _tuple(out, "hessian", "outputs of the user-provided function")
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        _check_outputs_differentiable(outs, strict)
        grads = _grad((outs[0].reshape(()),), ins, (_tensor.Tensor._make(
            np.ones((), outs[0]._data.dtype)),), True, strict, "hessian")
        return grads if in_tuple else grads[0]
    result = jacobian(gradient, inputs if in_tuple else inputs[0], create_graph=create_graph,
                      strict=strict, strict_message=_LINEAR_FOR_HESSIAN, _check_outputs=False)
    return result


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """`(func(inputs), v^T H)` for a scalar function."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """`(func(inputs), H v)`; H is symmetric, so this equals vhp."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, name):
    Tensor = _tensor.Tensor
    with grad_mode.enable_grad():
        in_tuple, inputs = _tuple(inputs, name, "inputs")
        inputs = _grad_preprocess(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*inputs), name, "outputs of the user-provided function")
        if len(outputs) != 1 or outputs[0]._data.size != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should "
                               "contain a single element")
        _check_outputs_differentiable(outputs, strict)
        if v is None:
            if len(inputs) != 1 or inputs[0]._data.size != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = (Tensor._make(np.ones_like(inputs[0]._data)),)
        else:
            vs = _check_v(v, inputs, name)
        out = outputs[0]
        grads = _grad((out,), inputs, (Tensor._make(np.ones_like(out._data)),), True, strict,
                      name)
        products = _grad(grads, inputs, vs, create_graph, strict, name, "The jacobian",
                         message=_LINEAR_FOR_HESSIAN)
    return _finish(outputs, False, create_graph), _finish(products, in_tuple, create_graph)

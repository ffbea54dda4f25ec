"""Custom differentiable ops: subclass `Function`, write `forward` and `backward`.

    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x

    y = Square.apply(x)          # y.grad_fn is a SquareBackward node; `ctx` is that node

As in PyTorch, `ctx` is the backward node itself: `forward` runs without recording (its inner
ops are not in the graph) and the outputs get this one node as their grad_fn.
"""
import functools

import numpy as np

from .. import _backend, _tensor
from . import anomaly_mode, grad_mode
from .graph import _NO_EDGE, Node, _sequence, edge_to


class BackwardCFunction(Node):
    """The node (and `ctx`) of one call of a custom Function."""

    _materialize_grads = True
    _non_differentiable = ()
    _dirty = ()
    _to_save = None
    needs_input_grad = ()

    def name(self):
        return type(self).__name__

    # -- what forward tells ctx ------------------------------------------------------------

    def save_for_backward(self, *tensors):
        """Keep these for `backward` (`ctx.saved_tensors`). As in PyTorch they are saved once
        forward has returned: their versions are taken then, and saved-tensor hooks see the
        outputs already attached to this node."""
        self._to_save = tensors

    @property
    def saved_tensors(self):
        return tuple(self.saved)

    @property
    def saved_variables(self):
        return self.saved_tensors

    def mark_non_differentiable(self, *tensors):
        """These outputs get no gradient (e.g. indices returned next to values)."""
        self._non_differentiable = tuple(tensors)

    def mark_dirty(self, *tensors):
        """These inputs were modified in place by forward."""
        self._dirty = tuple(tensors)

    def set_materialize_grads(self, value):
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self._materialize_grads = bool(value)

    # -- backward ----------------------------------------------------------------------------

    def apply(self, grads):
        if self.num_outputs == 1:
            grads = [grads]
        if self._materialize_grads:
            grads = [g if g is not None else _tensor.Tensor._make(xp.zeros(shape, dtype))
                     for g, (shape, dtype, xp) in zip(grads, self._output_metas)]
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        return self._check(result)

    def _check(self, result):
        """PyTorch's checks of what a custom backward returned."""
        expected = len(self.next_functions)
        if len(result) != expected:
            extra = result[expected:]
            if len(result) < expected or any(g is not None for g in extra):
                raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                                   f"gradients (expected {expected}, got {len(result)})")
            result = result[:expected]
        checked = []
        for i, (g, meta) in enumerate(zip(result, self._input_metas)):
            if g is None:
                checked.append(None)
                continue
            if meta is None:
                raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   "input was not a Variable")
            shape, dtype = meta
            if g._data.shape != shape:
                if not _expandable(shape, g._data.shape):
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index {i} - got "
                        f"[{', '.join(map(str, g._data.shape))}] but expected shape compatible "
                        f"with [{', '.join(map(str, shape))}]")
                g = g.sum_to_size(shape)
            if g._data.dtype != dtype:
                g = g.to(_tensor._dtype._BY_NP[dtype])
            checked.append(g)
        return tuple(checked)


def _expandable(shape, grad_shape):
    """Whether a gradient of `grad_shape` can be summed down to `shape`."""
    if len(shape) > len(grad_shape):
        return False
    lead = len(grad_shape) - len(shape)
    return all(s == 1 or s == grad_shape[lead + i] for i, s in enumerate(shape))


class FunctionMeta(type):
    """Gives each Function subclass its own node class, named `<Name>Backward`."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class of custom ops with a hand-written derivative (see the module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run `forward` and, if an input requires grad, record one node for the call."""
        Tensor = _tensor.Tensor
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        recording = grad_mode.enabled and any(ctx.needs_input_grad)
        uses_setup_context = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if uses_setup_context:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        if not recording:
            return outputs
        ctx._sequence_nr = next(_sequence)
        if anomaly_mode.enabled:
            ctx._anomaly_trace = anomaly_mode.forward_trace()
        ctx.next_functions = tuple(edge_to(a) if isinstance(a, Tensor) else _NO_EDGE
                                   for a in args)
        ctx._input_metas = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None
                                 for a in args)
        is_tuple = isinstance(outputs, tuple)
        outs = list(outputs) if is_tuple else [outputs]
        ctx.num_outputs = len(outs)
        ctx._output_metas = tuple((o._data.shape, o._data.dtype, _backend.xp(o._data))
                                  if isinstance(o, Tensor) else ((), np.float32, np)
                                  for o in outs)
        differentiable = [i for i, out in enumerate(outs) if isinstance(out, Tensor)
                          and not any(out is n for n in ctx._non_differentiable)]
        for i in differentiable:
            out = outs[i]
            if any(out is a for a in args) and not any(out is d for d in ctx._dirty):
                # an input returned as is: the output is a new tensor on the same storage, a
                # view that PyTorch forbids modifying in place (that would bypass `backward`)
                out = outs[i] = out.detach()
                if len(differentiable) > 1:
                    out._multi_output_view = cls.__name__
                else:
                    out._custom_function_view = cls.__name__
            out._requires_grad, out._grad_fn, out._output_nr = True, ctx, i
        if ctx._to_save is not None:
            Node.save_for_backward(ctx, *ctx._to_save)
        return tuple(outs) if is_tuple else outs[0]


class _OnceDifferentiableBackward(Node):
    def apply(self, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(backward):
    """Mark a custom backward as not differentiable: it runs without recording, and
    differentiating its result again raises PyTorch's error."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            result = backward(ctx, *grads)
        if not grad_mode.enabled or not any(
                isinstance(g, _tensor.Tensor) and g._requires_grad for g in grads):
            return result
        Tensor = _tensor.Tensor
        outs = result if isinstance(result, tuple) else (result,)
        node = _OnceDifferentiableBackward(*[g for g in grads if isinstance(g, Tensor)])
        marked = tuple(Tensor._make(o._data, True, node) if isinstance(o, Tensor) else o
                       for o in outs)
        return marked if isinstance(result, tuple) else marked[0]
    return wrapper

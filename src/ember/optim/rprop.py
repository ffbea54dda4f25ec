"""Rprop: per-element step sizes that grow while the gradient keeps its sign and shrink when it
flips; only the sign of the gradient is used."""
import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _step_tensor, _steps_to_tensors,
                        _use_grad_for_differentiable, _value, _zeros_like)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun, 1993), PyTorch's variant.

    Each step, per element: if `g * prev > 0` the step size is multiplied by `etas[1]`, if
    `< 0` by `etas[0]` (and that element's gradient is then treated as 0), clamped to
    `step_sizes`; then `p -= sign(g) * step_size`.

    >>> import ember
    >>> from ember.optim import Rprop
    >>> w = ember.tensor([1.0, 1.0], requires_grad=True)
    >>> opt = Rprop([w], lr=0.1)
    >>> w.grad = ember.tensor([3.0, -0.5])
    >>> opt.step(); w
    tensor([0.9000, 1.1000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_not_fused(None, capturable, differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        _steps_to_tensors(self)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["prev"] = _zeros_like(p)
                    lr = _value(group["lr"])
                    fill = complex(lr, lr) if p.is_complex() else lr
                    state["step_size"] = Tensor._make(np.full_like(p._data, fill, order="C"))
                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                prev = _real(state["prev"]._data)
                step_size = _real(state["step_size"]._data)
                state["step"]._data += 1
                dt = param.dtype.type

                sign = np.multiply(grad, prev, out=np.empty_like(grad))
                np.sign(sign, out=sign)
                # the factor for each element (NaN stays NaN, as in PyTorch)
                positive, negative, zero = sign > 0, sign < 0, sign == 0
                sign[positive] = dt(etaplus)
                sign[negative] = dt(etaminus)
                sign[zero] = 1
                np.multiply(step_size, sign, out=step_size)
                # clamp as PyTorch does: min(max(x, lo), hi), NaN propagating
                np.minimum(np.maximum(step_size, dt(step_size_min)), dt(step_size_max),
                           out=step_size)

                grad = grad.copy()
                grad[sign == dt(etaminus)] = 0       # after a sign flip, skip this element
                # p.addcmul_(sign(g), step_size, value=-1): the product is exact, one rounding
                np.subtract(param, np.sign(grad) * step_size, out=param)
                np.copyto(prev, grad)
                p._bump_version()
        return loss

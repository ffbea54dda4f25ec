"""Adadelta: step sizes from the ratio of running RMS of updates to running RMS of gradients."""
import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _step_tensor, _steps_to_tensors,
                        _use_grad_for_differentiable, _value, _zeros_like)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012).

    Each step: `v = rho*v + (1-rho)*g*g`,
    `delta = sqrt(u + eps) / sqrt(v + eps) * g`, `u = rho*u + (1-rho)*delta*delta`,
    `p -= lr * delta`.

    >>> import ember
    >>> from ember.optim import Adadelta
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = Adadelta([w])
    >>> w.grad = ember.tensor([1.0])
    >>> opt.step(); w
    tensor([0.9968], requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_not_fused(None, capturable, differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
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
            lr = _value(group["lr"])
            rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                state["step"]._data += 1
                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                if weight_decay != 0:
                    grad = K.added(grad, param, alpha=weight_decay)
                square_avg = _real(state["square_avg"]._data)
                acc_delta = _real(state["acc_delta"]._data)

                K.mul_(square_avg, rho)
                K.addcmul_(square_avg, grad, grad, value=1 - rho)
                std = K.sqrt(K.added(square_avg, K.scalar(eps, square_avg)))
                delta = K.sqrt(K.added(acc_delta, K.scalar(eps, acc_delta)))
                np.divide(delta, std, out=delta)
                np.multiply(delta, grad, out=delta)
                K.mul_(acc_delta, rho)
                K.addcmul_(acc_delta, delta, delta, value=1 - rho)
                K.add_(param, delta, alpha=-lr)
                p._bump_version()
        return loss

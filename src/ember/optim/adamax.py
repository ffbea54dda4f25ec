"""Adamax: Adam with the infinity norm (a running maximum) in place of the RMS."""
import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _step_tensor, _steps_to_tensors,
                        _use_grad_for_differentiable, _value, _zeros_like)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7).

    Each step: `m = beta1*m + (1-beta1)*g`, `u = max(beta2*u, |g| + eps)`,
    `p -= lr / (1 - beta1**t) * m / u`.

    >>> import ember
    >>> from ember.optim import Adamax
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> w.grad = ember.tensor([4.0])
    >>> opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_not_fused(None, capturable, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
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
            beta1, beta2 = group["betas"]
            lr = _value(group["lr"])
            eps, weight_decay = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = K.added(grad, param, alpha=weight_decay)
                exp_avg = _real(state["exp_avg"]._data)
                exp_inf = _real(state["exp_inf"]._data)

                K.lerp_(exp_avg, grad, 1 - beta1)
                K.mul_(exp_inf, beta2)
                norm = np.abs(grad, out=np.empty_like(grad))
                np.add(norm, K.scalar(eps, norm), out=norm)
                np.maximum(exp_inf, norm, out=exp_inf)

                bias_correction = 1 - beta1 ** state["step"].item()
                clr = lr / bias_correction
                K.addcdiv_(param, exp_avg, exp_inf, value=-clr)
                p._bump_version()
        return loss

"""Adam and AdamW: per-parameter step sizes from running averages of the gradient and of its
square, with bias correction for the averages' start at zero."""
import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _step_tensor, _steps_to_tensors,
                        _use_grad_for_differentiable, _value, _zeros_like)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), with PyTorch's options.

    Each step, with gradient `g` and step count `t`:
    `m = beta1*m + (1-beta1)*g`, `v = beta2*v + (1-beta2)*g*g`,
    `p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)`.
    `weight_decay` adds `wd * p` to `g` (L2 regularisation); AdamW decouples it instead.
    `amsgrad=True` divides by the running maximum of `v`.

    >>> import ember
    >>> from ember.optim import Adam
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = ember.tensor([5.0])
    >>> opt.step(); w          # the first step moves by about lr, whatever the gradient's size
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
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
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        _check_not_fused(fused, capturable, differentiable)
        betas = tuple(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
        _steps_to_tensors(self)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = (_value(b) for b in group["betas"])
            lr = _value(group["lr"])
            weight_decay = group["weight_decay"]
            eps = group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = _zeros_like(p)

                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                exp_avg = _real(state["exp_avg"]._data)
                exp_avg_sq = _real(state["exp_avg_sq"]._data)
                state["step"]._data += 1
                step = state["step"].item()

                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        K.mul_(param, 1 - lr * weight_decay)       # AdamW: shrink p itself
                    else:
                        grad = K.added(grad, param, alpha=weight_decay)

                K.lerp_(exp_avg, grad, 1 - beta1)
                K.mul_(exp_avg_sq, beta2)
                K.addcmul_(exp_avg_sq, grad, grad, value=1 - beta2)

                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5

                if group["amsgrad"]:
                    max_exp_avg_sq = _real(state["max_exp_avg_sq"]._data)
                    np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                    denom = K.sqrt(max_exp_avg_sq)
                else:
                    denom = K.sqrt(exp_avg_sq)
                np.divide(denom, K.scalar(bias_correction2_sqrt, denom), out=denom)
                np.add(denom, K.scalar(eps, denom), out=denom)
                K.addcdiv_(param, exp_avg, denom, value=-step_size)
                p._bump_version()
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): each step first shrinks the
    parameter, `p *= 1 - lr * weight_decay`, instead of adding `wd * p` to the gradient.

    >>> import ember
    >>> from ember.optim import AdamW
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> AdamW([w]).defaults["weight_decay"]
    0.01
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True

"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _step_tensor, _steps_to_tensors,
                        _use_grad_for_differentiable, _value, _zeros_like)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), with PyTorch's options.

    Each step: `v = alpha*v + (1-alpha)*g*g`, then `p -= lr * g / (sqrt(v) + eps)`.
    `centered=True` subtracts the square of a running mean of `g` from `v` first;
    `momentum` accumulates `g / (sqrt(v) + eps)` in a buffer and steps along it.

    >>> import ember
    >>> from ember.optim import RMSprop
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> w.grad = ember.tensor([2.0])
    >>> opt.step(); w          # 1 - 0.01 * 2 / sqrt(0.01 * 4)
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_not_fused(None, capturable, differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
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
            alpha, eps = group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = _zeros_like(p)

                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                square_avg = _real(state["square_avg"]._data)
                state["step"]._data += 1

                if weight_decay != 0:
                    grad = K.added(grad, param, alpha=weight_decay)
                K.mul_(square_avg, alpha)
                K.addcmul_(square_avg, grad, grad, value=1 - alpha)

                if group["centered"]:
                    grad_avg = _real(state["grad_avg"]._data)
                    K.lerp_(grad_avg, grad, 1 - alpha)
                    # the variance estimate: E[g^2] - E[g]^2
                    avg = K.addcmul_(square_avg, grad_avg, grad_avg, value=-1,
                                     out=np.empty_like(square_avg))
                    avg = K.sqrt(avg)
                else:
                    avg = K.sqrt(square_avg)
                np.add(avg, K.scalar(eps, avg), out=avg)

                if momentum > 0:
                    buf = _real(state["momentum_buffer"]._data)
                    K.mul_(buf, momentum)
                    K.addcdiv_(buf, grad, avg)
                    K.add_(param, buf, alpha=-lr)
                else:
                    K.addcdiv_(param, grad, avg, value=-lr)
                p._bump_version()
        return loss

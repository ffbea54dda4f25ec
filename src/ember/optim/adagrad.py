"""Adagrad: per-parameter step sizes that shrink with the sum of all past squared gradients."""
import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _step_tensor, _steps_to_tensors,
                        _use_grad_for_differentiable, _value)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011).

    Each step: `sum += g*g`, then `p -= clr * g / (sqrt(sum) + eps)` with
    `clr = lr / (1 + (t - 1) * lr_decay)`. Unlike the other optimizers, Adagrad creates its
    state (`sum`, `step`) for every parameter when it is constructed, as PyTorch does.

    >>> import ember
    >>> from ember.optim import Adagrad
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> w.grad = ember.tensor([3.0])
    >>> opt.step(); w          # 1 - 0.5 * 3 / sqrt(9)
    tensor([0.5000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_not_fused(fused, differentiable=differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = _step_tensor()
        init = self.defaults["initial_accumulator_value"]
        if p.is_complex():
            init = complex(init, init)
        state["sum"] = Tensor._make(np.full_like(p._data, init, order="C"))

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        _steps_to_tensors(self)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            weight_decay, lr_decay, eps = group["weight_decay"], group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(p)
                state["step"]._data += 1
                step = state["step"].item()
                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                if weight_decay != 0:
                    grad = K.added(grad, param, alpha=weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)

                state_sum = _real(state["sum"]._data)
                K.addcmul_(state_sum, grad, grad, value=1)
                std = K.sqrt(state_sum)
                np.add(std, K.scalar(eps, std), out=std)
                K.addcdiv_(param, grad, std, value=-clr)
                p._bump_version()
        return loss

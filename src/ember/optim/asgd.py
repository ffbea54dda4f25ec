"""ASGD: SGD that also keeps a running average of the parameters (Polyak-Ruppert averaging)."""
import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _scalar_dtype, _step_tensor,
                        _steps_to_tensors, _use_grad_for_differentiable, _value, _zeros_like)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992), as PyTorch implements it.

    Each step: `p *= 1 - lambd * eta`, `p -= eta * g`; the average `ax` copies `p` until step
    `t0`, then follows `ax += mu * (p - ax)`. The step size decays as
    `eta = lr / (1 + lambd * lr * t) ** alpha` and `mu = 1 / max(1, t - t0)`.
    The averaged parameters are in `optimizer.state[p]["ax"]`.

    >>> import ember
    >>> from ember.optim import ASGD
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = ASGD([w], lr=0.1, lambd=0.0)
    >>> w.grad = ember.tensor([1.0])
    >>> opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_not_fused(None, capturable, differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        _steps_to_tensors(self, keys=("step", "eta", "mu"))

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["eta"] = _step_tensor(lr)
                    state["mu"] = _step_tensor(1.0)
                    state["ax"] = _zeros_like(p)
                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                ax = _real(state["ax"]._data)
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = K.added(grad, param, alpha=weight_decay)

                eta_value = state["eta"].item()
                K.mul_(param, 1 - lambd * eta_value)       # decay term
                K.add_(param, grad, alpha=-eta_value)      # the SGD step
                mu = state["mu"]._data
                if mu.item() != 1:
                    diff = np.subtract(param, ax, out=np.empty_like(param))
                    np.multiply(diff, mu.astype(diff.dtype), out=diff)
                    np.add(ax, diff, out=ax)
                else:
                    np.copyto(ax, param)
                p._bump_version()

                # the schedule, in Python floats, stored back in the state's 0-d tensors
                step = state["step"].item()
                new_eta = np.array(lr / ((1 + lambd * lr * step) ** alpha), _scalar_dtype())
                state["eta"]._data[...] = new_eta
                new_mu = np.array(1 / max(1, step - t0), _scalar_dtype())
                state["mu"]._data[...] = new_mu
        return loss

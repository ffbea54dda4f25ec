"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
from .._tensor import Tensor
from . import _kernels as K
from .optimizer import (Optimizer, _check_not_fused, _real, _unreal, _use_grad_for_differentiable,
                        _value)

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent: `p -= lr * g`, optionally with momentum.

    With momentum `m` and dampening `d`, each step computes (PyTorch's formulation)
    `buf = g` on the first step, then `buf = m * buf + (1 - d) * g`, and moves `p -= lr * buf`
    (or `p -= lr * (g + m * buf)` with `nesterov=True`). `weight_decay` adds `wd * p` to `g`.

    >>> import ember
    >>> from ember.optim import SGD
    >>> w = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.5, momentum=0.9)
    >>> w.grad = ember.tensor([1.0, -1.0])
    >>> opt.step(); w
    tensor([0.5000, 2.5000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_not_fused(fused, differentiable=differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            weight_decay = _value(group["weight_decay"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = _real(p._data)
                grad = _real(p.grad._data)
                if group["maximize"]:
                    grad = K.neg(grad)
                if weight_decay != 0:
                    grad = K.added(grad, param, alpha=weight_decay)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        # the first step's buffer is (a copy of) the gradient, undampened
                        buf_data = grad.copy()
                        state["momentum_buffer"] = Tensor._make(_unreal(buf_data, p))
                    else:
                        buf_data = _real(buf._data)
                        K.mul_(buf_data, momentum)
                        K.add_(buf_data, grad, alpha=1 - dampening)
                    if group["nesterov"]:
                        grad = K.added(grad, buf_data, alpha=momentum)
                    else:
                        grad = buf_data
                K.add_(param, grad, alpha=-lr)
                p._bump_version()
        return loss

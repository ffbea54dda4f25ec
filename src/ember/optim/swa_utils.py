"""`ember.optim.swa_utils`: Stochastic Weight Averaging (SWA) and exponential moving averages
(EMA) of a model's weights: `AveragedModel` keeps the running average, `SWALR` anneals the
learning rate to a constant SWA rate, and `update_bn` recomputes BatchNorm statistics for the
averaged weights.

>>> import ember
>>> from ember.optim.swa_utils import AveragedModel
>>> model = ember.nn.Linear(2, 1)
>>> swa = AveragedModel(model)
>>> swa.update_parameters(model)
>>> int(swa.n_averaged)
1
"""
import copy
import itertools
import math

from .. import _creation
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _format_param, _warn_get_lr_called_within_step

__all__ = ["AveragedModel", "SWALR", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def _is_float_or_complex(t):
    return t.dtype.is_floating_point or t.dtype.is_complex


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update of lists of tensors: `ema <- lerp(ema, current, 1 - decay)`.

    >>> import ember
    >>> ema, cur = [ember.zeros(1)], [ember.ones(1)]
    >>> get_ema_multi_avg_fn(0.9)(ema, cur, 1); ema[0]
    tensor([0.1000])
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            if _is_float_or_complex(ema_param_list[0]):
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.lerp_(p_model, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight running average of lists of tensors:
    `avg <- lerp(avg, current, 1 / (n + 1))`.

    >>> import ember
    >>> avg, cur = [ember.zeros(1)], [ember.ones(1)]
    >>> get_swa_multi_avg_fn()(avg, cur, 1); avg[0]
    tensor([0.5000])
    """
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        from .._tensor import Tensor
        with no_grad():
            if _is_float_or_complex(averaged_param_list[0]):
                weight = 1 / (num_averaged + 1)
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    p_avg.lerp_(p_model, weight)
            else:
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    diff = p_model - p_avg
                    if isinstance(num_averaged, Tensor):
                        p_avg.addcdiv_(diff, num_averaged + 1)
                    else:
                        p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """The EMA of one tensor: `decay * ema + (1 - decay) * current`.

    >>> import ember
    >>> get_ema_avg_fn(0.5)(ember.zeros(1), ember.ones(1), 1)
    tensor([0.5000])
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """The equal-weight running average of one tensor: `avg + (current - avg) / (n + 1)`.

    >>> import ember
    >>> get_swa_avg_fn()(ember.zeros(1), ember.ones(1), 1)
    tensor([0.5000])
    """
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of `model` whose parameters (and, with `use_buffers=True`, buffers) are the
    running average of the models passed to `update_parameters`: equal weights (SWA) by
    default, or `avg_fn(avg, current, n)` / in-place `multi_avg_fn(avg_list, current_list, n)`.
    The count is the buffer `n_averaged` (state_dict keys `module.*` and `n_averaged`).

    >>> import ember
    >>> from ember.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    >>> ema = AveragedModel(ember.nn.Linear(2, 1), multi_avg_fn=get_ema_multi_avg_fn(0.9))
    >>> list(ema.state_dict())
    ['n_averaged', 'module.weight', 'module.bias']
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _creation.tensor(0, dtype=_long(), device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold `model`'s current weights into the average (the first call copies them).

        >>> import ember
        >>> m = ember.nn.Linear(1, 1); avg = AveragedModel(m); avg.update_parameters(m)
        """
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params, model_params = self.parameters(), model.parameters()
        self_detached, model_detached = [], []
        copy_param = bool(self.n_averaged == 0)
        for p_avg, p_model in zip(self_params, model_params):
            p_model_ = p_model.detach().to(p_avg.device)
            self_detached.append(p_avg.detach())
            model_detached.append(p_model_)
            if copy_param:
                p_avg.detach().copy_(p_model_)
        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                for (device, _), (avg_list, model_list) in _group(self_detached,
                                                                  model_detached).items():
                    n_averaged = self.n_averaged.to(device)
                    if self.multi_avg_fn:
                        self.multi_avg_fn(avg_list, model_list, n_averaged)
                    else:
                        # PyTorch's CPU path: the per-tensor formula (no foreach kernels)
                        avg_fn = get_swa_avg_fn()
                        for p_avg, p_model in zip(avg_list, model_list):
                            p_avg.copy_(avg_fn(p_avg, p_model, n_averaged))
            else:
                for p_avg, p_model in zip(self_detached, model_detached):
                    n_averaged = self.n_averaged.to(p_avg.device)
                    p_avg.detach().copy_(self.avg_fn(p_avg.detach(), p_model, n_averaged))
        if not self.use_buffers:
            # buffers (BatchNorm statistics) are copied, not averaged
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        self.n_averaged += 1


def _long():
    from .. import int64
    return int64


def _group(avg_list, model_list):
    """Group the tensor pairs by (device, dtype), keeping their order, as PyTorch does."""
    groups = {}
    for a, m in zip(avg_list, model_list):
        lists = groups.setdefault((a.device, a.dtype), ([], []))
        lists[0].append(a)
        lists[1].append(m)
    return groups


def update_bn(loader, model, device=None):
    """One pass over `loader` (batches are tensors, or lists/tuples whose first item is the
    input) in train mode, recomputing every BatchNorm's running statistics as a plain average
    (`momentum=None`) over the batches.

    >>> import ember
    >>> model = ember.nn.BatchNorm1d(2)
    >>> update_bn([ember.ones(4, 2)], model)
    >>> model.running_mean
    tensor([1., 1.])
    """
    from ..nn.modules.normalization import _BatchNorm
    with no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to `swa_lr` over `anneal_epochs` steps ("cos" or
    "linear"), then keep it there.

    >>> import ember
    >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
    >>> opt.step(); sched.step(); sched.get_last_lr()   # halfway from 1.0 to 0.1
    [0.55]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        """The next rates: undo the previous step's interpolation to recover the starting rate,
        then interpolate toward `swa_lr` at the current step."""
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def state_dict(self):
        """The scheduler state without the optimizer and the anneal function."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

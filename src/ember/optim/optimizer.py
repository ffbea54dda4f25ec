"""The `Optimizer` base class: parameter groups, per-parameter state, state dicts and hooks.

Every optimizer keeps
- `param_groups`: a list of dicts, each with a `"params"` list and that group's options
  (`lr`, `momentum`, ...), filled in from `defaults` where the group does not set them;
- `state`: a dict from parameter tensor to that parameter's buffers (momentum, averages, step).

`state_dict()` swaps the tensors for integers (their position across all groups) so that the
dict can be saved and loaded into a fresh optimizer over a fresh model, as in PyTorch.
"""
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

from .._tensor import Tensor
from ..autograd import grad_mode

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that each param group must set itself (PyTorch's `required`)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    """PyTorch's `torch.typename`: 'torch.FloatTensor' for tensors, the qualified class name
    otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def _value(x):
    """A hyperparameter as a Python number (a one-element tensor gives its item)."""
    return x.item() if isinstance(x, Tensor) else x


class _RemovableHandle:
    """What `register_*_hook` returns: `.remove()` takes the hook out again."""

    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks = hooks_dict
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _step_with_hooks(step):
    """Wrap a subclass's `step` so that it runs the step pre- and post-hooks."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for pre_hook in list(self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
        out = step(self, *args, **kwargs)
        for post_hook in list(self._optimizer_step_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper


def _use_grad_for_differentiable(step):
    """The built-in optimizers' steps run without recording the graph (PyTorch's decorator of
    the same name; `differentiable=True`, which would record, is not supported by ember)."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        previous = grad_mode.enabled
        grad_mode.enabled = bool(self.defaults.get("differentiable", False))
        try:
            return step(self, *args, **kwargs)
        finally:
            grad_mode.enabled = previous
    return wrapper


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of `(name, tensor)` pairs, or of dicts that define
            parameter groups (each dict has `"params"` plus any options to override).
        defaults: the options every group gets unless it sets its own.

    >>> import ember
    >>> from ember.optim import SGD
    >>> w = ember.zeros(2, requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> w.grad = ember.ones(2)
    >>> opt.step()
    >>> w
    tensor([-0.1000, -0.1000], requires_grad=True)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # every subclass's own `step` runs the step hooks (as PyTorch patches it to)
        if "step" in cls.__dict__ and not getattr(cls.__dict__["step"], "hooked", False):
            cls.step = _step_with_hooks(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -- pickling (copy.deepcopy(optimizer) and saving the whole object) -------------------

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # -- parameter groups -------------------------------------------------------------------

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with `"params"` and optional options), e.g. when
        unfreezing layers during fine-tuning.

        >>> import ember
        >>> from ember.optim import SGD
        >>> a, b = ember.zeros(1, requires_grad=True), ember.zeros(1, requires_grad=True)
        >>> opt = SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)

        # `named_parameters()` gives (name, tensor) pairs: keep the names in "param_names"
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)

        param_set = set()
        for group in self.param_groups:
            param_set.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current} to the optimizer")
        if not param_set.isdisjoint(id(p) for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # -- gradients --------------------------------------------------------------------------

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set each `.grad` to None (the default) or fill it with zeros.

        With `set_to_none=True` a parameter that gets no gradient in the next backward is
        skipped by `step()`; with zeros it is updated with a zero gradient (which still moves
        it when there is momentum or weight decay).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure=None):
        """Update the parameters once from their `.grad` (subclasses implement it)."""
        raise NotImplementedError

    def _closure_loss(self, closure):
        """Re-evaluate the model (with graph recording on) when a closure is given."""
        if closure is None:
            return None
        previous = grad_mode.enabled
        grad_mode.enabled = True
        try:
            return closure()
        finally:
            grad_mode.enabled = previous

    # -- state dicts ------------------------------------------------------------------------

    def state_dict(self):
        """The optimizer's state as a dict with two entries, as in PyTorch:

        - `"state"`: parameter index -> that parameter's buffers (the live tensors, not copies)
        - `"param_groups"`: each group's options, with `"params"` as a list of indices
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups,
                                                 key=None):
        # "step" keeps its own dtype; other floating state follows the parameter's dtype
        if key == "step":
            return value
        if param.is_floating_point() and value._data.dtype != param._data.dtype:
            return Tensor._make(value._data.astype(param._data.dtype))
        return value

    def load_state_dict(self, state_dict):
        """Load a dict from `state_dict()` (this optimizer's, another one's, or PyTorch's
        loaded with `ember.load`): the saved groups must have the same sizes as this one's."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])

        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(_cast(param, v, param_id=param_id,
                                         param_groups=param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k,
                                     param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # -- hooks ------------------------------------------------------------------------------

    def _register(self, table, hook, prepend=False):
        handle = _RemovableHandle(table)
        table[handle.id] = hook
        if prepend:
            table.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook):
        """Call `hook(optimizer, args, kwargs)` before each `step()`."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Call `hook(optimizer, args, kwargs)` after each `step()`."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)


# -- helpers the optimizers share -----------------------------------------------------------------

def _check_not_fused(fused, capturable=False, differentiable=False):
    """ember runs PyTorch's for-loop ("single tensor") implementation only."""
    if fused:
        raise RuntimeError("ember has no fused optimizer kernels: use fused=None (the default)")
    if capturable:
        raise RuntimeError("capturable=True needs CUDA graphs, which ember does not have")
    if differentiable:
        raise NotImplementedError("ember's optimizers do not support differentiable=True")


def _scalar_dtype():
    """The dtype of `state["step"]`: float32, or float64 when that is the default dtype."""
    from .. import _dtype
    return _dtype.float64.np if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32.np


def _zeros_like(p):
    import numpy as np
    return Tensor._make(np.zeros_like(p._data, order="C"))       # on the parameter's device


def _step_tensor(value=0.0):
    import numpy as np
    return Tensor._make(np.array(value, _scalar_dtype()))


def _real(array):
    """A complex array as float pairs (PyTorch's `view_as_real`); real arrays as they are."""
    if array.dtype.kind == "c":
        return array.view(array.real.dtype).reshape(array.shape + (2,))
    return array


def _unreal(array, p):
    """The inverse of `_real` for a buffer shaped like parameter `p` (shares memory)."""
    if p._data.dtype.kind == "c":
        return array.view(p._data.dtype).reshape(p._data.shape)
    return array


def _steps_to_tensors(optimizer, keys=("step",)):
    """After loading an old state dict whose steps are plain numbers, make them tensors (as
    each PyTorch optimizer's `__setstate__` does)."""
    import numpy as np
    for group in optimizer.param_groups:
        for p in group["params"]:
            p_state = optimizer.state.get(p, [])
            if len(p_state) != 0:
                for key in keys:
                    if key in p_state and not isinstance(p_state[key], Tensor):
                        p_state[key] = Tensor._make(np.array(float(p_state[key]),
                                                             _scalar_dtype()))

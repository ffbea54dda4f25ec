"""`DataParallel` and `data_parallel`: one process driving the module on its GPUs.

Without a GPU PyTorch's DataParallel just calls the module (and keeps only `module` and
`device_ids = []`); ember does the same. With a GPU it moves the module to `device_ids[0]`,
moves the inputs there and calls it. Splitting a batch over several GPUs (scatter,
replicate, gather) is not implemented: ember asks for at most one device.
"""
from itertools import chain

from ... import _device
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_type():
    from ... import cuda
    return "cuda" if cuda.is_available() else None


def _device_index(d):
    if isinstance(d, _device.device):
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        return 0 if d.index is None else d.index
    if isinstance(d, str):
        return _device_index(_device.device(d))
    return int(d)


def _all_device_indices():
    from ... import cuda
    return list(range(cuda.device_count()))


def _to_device(value, device):
    """Tensors in `value` (nested in tuples, lists and dicts) moved to `device`."""
    from ..._tensor import Tensor
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_to_device(v, device) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_to_device(v, device) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _to_device(v, device)) for k, v in value.items())
    return value


def _check_one_device(device_ids):
    if len(device_ids) > 1:
        raise NotImplementedError("ember's DataParallel runs on one device: splitting a batch "
                                  "over several GPUs is not implemented")


def _check_module_device(module, src):
    for t in chain(module.parameters(), module.buffers()):
        if t.device != src:
            raise RuntimeError(f"module must have its parameters and buffers on device {src} "
                               f"(device_ids[0]) but found one of them on device: {t.device}")


class DataParallel(Module):
    """Wraps `module`; calling the wrapper calls the module (on `device_ids[0]` when a GPU is
    there). Its state_dict keys start with "module.".

    >>> from ember import nn
    >>> nn.DataParallel(nn.Linear(2, 3))
    DataParallel(
      (module): Linear(in_features=2, out_features=3, bias=True)
    )
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        device_type = _device_type()
        if device_type is None:
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = _all_device_indices()
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(output_device)
        self.src_device_obj = _device.device(device_type, self.device_ids[0])
        _check_one_device(self.device_ids)
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_module_device(self.module, self.src_device_obj)
        inputs = _to_device(inputs, self.src_device_obj)
        kwargs = _to_device(kwargs, self.src_device_obj)
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """`DataParallel(module, device_ids, output_device, dim)(*inputs, **module_kwargs)` without
    keeping the wrapper; needs a GPU, like PyTorch's.

    >>> import ember
    >>> from ember import nn
    >>> try:
    ...     nn.parallel.data_parallel(nn.Linear(2, 3), ember.ones(1, 2))
    ... except RuntimeError as e:
    ...     print(e)
    device type could not be determined
    """
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    device_type = _device_type()
    if device_type is None:
        raise RuntimeError("device type could not be determined")
    if device_ids is None:
        device_ids = _all_device_indices()
    if output_device is None:
        output_device = device_ids[0]
    device_ids = [_device_index(d) for d in device_ids]
    src = _device.device(device_type, device_ids[0])
    _check_module_device(module, src)
    _check_one_device(device_ids)
    return module(*_to_device(inputs, src), **_to_device(module_kwargs or {}, src))

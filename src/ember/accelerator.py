"""`ember.accelerator`: PyTorch's device-agnostic accelerator API.

Newer PyTorch programs write `torch.accelerator.current_accelerator()` instead of naming CUDA.
ember's one accelerator is a GPU through CuPy (see `ember.cuda`); without one, every answer is
a CPU-only PyTorch's:

>>> import ember.accelerator
>>> ember.accelerator.is_available() == ember.cuda.is_available()
True
"""
from . import _backend, cuda as _cuda
from ._device import device as _device


def _none_available(*args, **kwargs):
    raise RuntimeError("Cannot access accelerator device when none is available.")


def _checked():
    if _backend.cuda_backend() is None:
        _none_available()


def is_available():
    return _backend.cuda_backend() is not None


def current_accelerator(check_available=False):
    """`device(type='cuda')` with a GPU; None without one."""
    return _device("cuda") if is_available() else None


def device_count():
    return _cuda.device_count()


def current_device_index():
    _checked()
    return _cuda.current_device()


def set_device_index(device):
    _checked()
    _cuda.set_device(device)


def synchronize(device=None):
    _checked()
    _cuda.synchronize(device)


current_device_idx = current_device_index
set_device_idx = set_device_index
current_stream = _none_available
set_stream = _none_available

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "current_stream",
           "set_stream", "synchronize"]

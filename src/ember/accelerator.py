"""`ember.accelerator`: PyTorch's device-agnostic accelerator API, answered for a CPU-only build.

Newer PyTorch programs write `torch.accelerator.current_accelerator()` instead of naming CUDA;
on ember (as on a CPU-only PyTorch) there is no accelerator:

>>> import ember.accelerator
>>> ember.accelerator.is_available(), ember.accelerator.current_accelerator()
(False, None)
"""


def _none_available(*args, **kwargs):
    raise RuntimeError("Cannot access accelerator device when none is available.")


def is_available():
    return False


def current_accelerator(check_available=False):
    """None: no accelerator (PyTorch returns a `torch.device` when there is one)."""
    return None


def device_count():
    return 0


current_device_index = _none_available
current_device_idx = _none_available
set_device_index = _none_available
set_device_idx = _none_available
current_stream = _none_available
set_stream = _none_available
synchronize = _none_available

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "current_stream",
           "set_stream", "synchronize"]

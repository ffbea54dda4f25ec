"""`ember.cuda`: what `torch.cuda` answers on a PyTorch built without CUDA.

ember computes on the CPU with NumPy, so this module exists only so that the usual device
guard of PyTorch programs runs unchanged:

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

Every answer below is the one a CPU-only PyTorch 2.13.0 gives: queries say "no GPU"
(`is_available()` is False, `device_count()` is 0), seeding is silently ignored (PyTorch
queues it for a GPU that never appears), and anything that needs a real GPU raises
`AssertionError: Torch not compiled with CUDA enabled`.

>>> import ember
>>> ember.cuda.is_available(), ember.cuda.device_count()
(False, 0)
"""

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _no_cuda(*args, **kwargs):
    """What PyTorch raises for any call that would have to start CUDA."""
    raise AssertionError(_NOT_COMPILED)


def is_available():
    """False: ember has no GPU backend."""
    return False


def device_count():
    """0 GPUs."""
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def get_arch_list():
    return []


# Seeding the GPU's generators: safe to call without CUDA, and then "silently ignored" (the
# words of PyTorch's docs), so a program seeding both CPU and GPU runs unchanged.
def manual_seed(seed):
    int(seed)  # PyTorch converts first, so a non-number still fails as it would there


def manual_seed_all(seed):
    int(seed)


def seed():
    pass


def seed_all():
    pass


# Memory statistics: zero while CUDA was never initialised; emptying the cache is a no-op.
def empty_cache():
    pass


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0


# The calls that would start CUDA: PyTorch's lazy init fails, with this assertion.
init = _no_cuda
synchronize = _no_cuda
current_device = _no_cuda
get_device_name = _no_cuda
get_device_properties = _no_cuda
get_device_capability = _no_cuda
get_rng_state = _no_cuda
get_rng_state_all = _no_cuda
set_rng_state = _no_cuda
set_rng_state_all = _no_cuda
initial_seed = _no_cuda
mem_get_info = _no_cuda
current_stream = _no_cuda
ipc_collect = _no_cuda


def set_device(device):
    """Selecting a GPU fails: there is none (PyTorch's error for a CPU device, else CUDA's)."""
    from ._device import device as _device
    if isinstance(device, (str, _device)) and _device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {_device(device)}")
    raise AssertionError(_NOT_COMPILED)


class device:
    """`with torch.cuda.device(0):` -- entering it fails, as without CUDA support in PyTorch."""

    def __init__(self, device):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, *exc):
        return False


__all__ = ["is_available", "device_count", "is_initialized", "is_bf16_supported",
           "get_arch_list", "manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "init", "synchronize", "current_device", "get_device_name", "get_device_properties",
           "get_device_capability", "get_rng_state", "get_rng_state_all", "set_rng_state",
           "set_rng_state_all", "initial_seed", "mem_get_info", "current_stream", "ipc_collect",
           "set_device", "device"]

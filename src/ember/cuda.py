"""`ember.cuda`: the GPU, through CuPy when it is installed (`pip install ember[cuda]`) and
sees a device; otherwise what `torch.cuda` answers on a PyTorch built without CUDA.

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

With a GPU, tensors made with `device="cuda"` or moved with `.to("cuda")` hold CuPy arrays and
every op runs on the GPU. Its random numbers come from CuPy's generator, seeded by
`manual_seed`: they are not the numbers PyTorch's CUDA generator draws (nor the CPU's).

Without one, every answer is the one a CPU-only PyTorch 2.13.0 gives: queries say "no GPU"
(`is_available()` is False, `device_count()` is 0), seeding is silently ignored (PyTorch
queues it for a GPU that never appears), and anything that needs a real GPU raises
`AssertionError: Torch not compiled with CUDA enabled`.

>>> import ember
>>> ember.cuda.is_available() in (True, False)
True
"""
from . import _backend

_NOT_COMPILED = _backend.NOT_COMPILED


def _no_cuda(*args, **kwargs):
    """What PyTorch raises for any call that would have to start CUDA."""
    raise AssertionError(_NOT_COMPILED)


def _gpu():
    """The GPU backend, or PyTorch's error for a build without CUDA."""
    backend = _backend.cuda_backend()
    if backend is None:
        raise AssertionError(_NOT_COMPILED)
    return backend


def is_available():
    """Whether a GPU can be used: CuPy is installed and sees at least one device."""
    return _backend.cuda_backend() is not None


def device_count():
    """How many GPUs CuPy sees (0 without CuPy)."""
    backend = _backend.cuda_backend()
    return 0 if backend is None else backend.device_count()


def is_initialized():
    return _backend.cuda_backend() is not None


def is_bf16_supported(including_emulation=True):
    return False


def get_arch_list():
    return []


# Seeding the GPU's generators: safe to call without CUDA, and then "silently ignored" (the
# words of PyTorch's docs), so a program seeding both CPU and GPU runs unchanged.
def manual_seed(seed):
    """Seed the GPU's generator (CuPy's); without a GPU, PyTorch silently ignores it."""
    seed = int(seed)  # PyTorch converts first, so a non-number still fails as it would there
    backend = _backend.cuda_backend()
    if backend is not None:
        backend.seed(seed)


manual_seed_all = manual_seed


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


def synchronize(device=None):
    """Wait until the GPU has finished every queued kernel (CuPy runs them asynchronously)."""
    _gpu().synchronize(_backend.resolve(device or "cuda")[1])


def current_device():
    _gpu()
    return _backend.current_index


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
    """Make GPU `device` (an index or "cuda:N") the one that "cuda" means from now on."""
    from ._device import device as _device
    if isinstance(device, (str, _device)) and _device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {_device(device)}")
    _gpu()
    index = device if isinstance(device, int) else (_device(device).index or 0)
    _backend.resolve(_device("cuda", index))         # PyTorch's error for a missing GPU
    _backend.current_index = index


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

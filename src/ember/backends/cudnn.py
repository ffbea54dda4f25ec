"""`ember.backends.cudnn`: cuDNN's switches. No cuDNN exists here; the flags are only kept.

>>> import ember.backends
>>> ember.backends.cudnn.is_available(), ember.backends.cudnn.deterministic
(False, False)
"""
import contextlib

# PyTorch's defaults on a CPU-only build
enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    """None: no cuDNN library is linked."""
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Set the flags inside a `with` block and restore them after it, as PyTorch does."""
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    module = globals()
    saved = {name: module[name] for name in names}
    module.update(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                  deterministic=deterministic, allow_tf32=allow_tf32)
    try:
        yield
    finally:
        module.update(saved)

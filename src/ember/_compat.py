"""Process-wide settings PyTorch programs call but that change nothing ember computes.

`torch.set_num_threads(n)` limits PyTorch's CPU threads. ember's arithmetic runs in NumPy,
which does not parallelise elementwise work; where a BLAS library parallelises matrix
products, the number is passed on to it when `threadpoolctl` is installed, and otherwise only
remembered so that `get_num_threads()` answers what the program set.

>>> import ember._compat as c
>>> c.set_num_threads(1); c.get_num_threads()
1
"""
import os


def _cores():
    try:
        return len(os.sched_getaffinity(0))   # the cores this process may use
    except AttributeError:                    # not on Linux
        return os.cpu_count() or 1


_threads = {"intra": _cores(), "inter": _cores()}
_flags = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def _check_threads(name, n):
    # PyTorch's own checks and messages
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")


def set_num_threads(int):  # noqa: A002  (PyTorch's parameter name)
    """Set the number of threads for CPU work (passed to BLAS through threadpoolctl if present)."""
    _check_threads("set_num_threads", int)
    _threads["intra"] = int
    try:
        import threadpoolctl
    except ImportError:
        return
    threadpoolctl.threadpool_limits(int, user_api="blas")


def get_num_threads():
    """The number set with `set_num_threads`, at first the cores this process may use."""
    return _threads["intra"]


def set_num_interop_threads(int):  # noqa: A002
    _check_threads("set_num_interop_threads", int)
    _threads["inter"] = int


def get_num_interop_threads():
    return _threads["inter"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """ember's algorithms are always deterministic: the flag is only remembered."""
    _flags["deterministic"] = bool(mode)
    _flags["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _flags["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _flags["warn_only"]


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}")
    _flags["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _flags["matmul_precision"]


__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "get_float32_matmul_precision"]

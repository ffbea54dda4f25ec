"""Communication hooks for `DistributedDataParallel.register_comm_hook`."""
from . import default_hooks  # noqa: F401

__all__ = ["default_hooks"]

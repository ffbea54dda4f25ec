"""`ember.nn.parallel`: training one model in several processes (`DistributedDataParallel`)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]

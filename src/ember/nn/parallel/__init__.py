"""`ember.nn.parallel`: training one model in several processes (`DistributedDataParallel`),
or calling it on the GPU from one process (`DataParallel`)."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]

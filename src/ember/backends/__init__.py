"""`ember.backends`: the switches PyTorch programs set for its native backends.

Programs written for GPUs often start with

    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False

ember has no cuDNN (nor MPS, nor MKL): these modules hold the same attributes with the values a
CPU-only PyTorch has, so such lines run and read back what was set, and the `is_available()`
questions answer False.
"""
from . import cpu, cuda, cudnn, mkl, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mps", "openmp"]

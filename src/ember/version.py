"""`ember.version`: the versions a program may print (`torch.version.cuda` is None on a CPU build)."""
__version__ = "2.13.0"   # the PyTorch release ember reproduces
cuda = None              # no CUDA toolkit: what a CPU-only PyTorch reports
hip = None
git_version = "unknown"
debug = False

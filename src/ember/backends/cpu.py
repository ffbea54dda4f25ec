"""`ember.backends.cpu`: the CPU backend, the only one ember has."""


def get_cpu_capability():
    """PyTorch names the vector instructions its kernels use; ember's are NumPy's."""
    return "DEFAULT"

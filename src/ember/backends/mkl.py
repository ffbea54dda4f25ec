"""`ember.backends.mkl`: ember does not call Intel's MKL itself (NumPy may, through its BLAS)."""


def is_available():
    return False

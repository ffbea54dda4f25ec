"""`ember.backends.openmp`: ember runs no OpenMP threads of its own."""


def is_available():
    return False

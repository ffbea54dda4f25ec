"""`ember.backends.mps`: Apple's Metal backend, absent here (`is_available()` is False)."""


def is_available():
    return False


def is_built():
    return False

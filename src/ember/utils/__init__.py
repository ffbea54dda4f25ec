"""`ember.utils`: helpers outside the tensor core; `ember.utils.data` loads datasets in batches."""
from . import data

__all__ = ["data"]

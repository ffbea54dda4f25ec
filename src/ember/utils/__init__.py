"""`ember.utils`: helpers outside the tensor core; `ember.utils.data` loads datasets in batches."""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]

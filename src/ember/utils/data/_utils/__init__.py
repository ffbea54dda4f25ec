"""Internals of the DataLoader: collation, fetching, worker processes (PyTorch's layout)."""
from . import collate, fetch, worker  # noqa: F401

MP_STATUS_CHECK_INTERVAL = 5.0
"""How often (seconds) a waiting worker or main process checks that the other side is alive."""

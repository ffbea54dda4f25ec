"""Fixtures every test file gets."""
import pytest

import ember

try:
    import torch
except ImportError:          # the oracle is missing: the tests that need it skip themselves
    torch = None


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """A failing test must not leave either library with grad mode switched off."""
    yield
    if torch is not None:
        torch.set_grad_enabled(True)
    ember.set_grad_enabled(True)

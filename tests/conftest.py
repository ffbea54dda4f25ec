"""Fixtures every test file gets."""
import pytest

import ember

try:
    import torch
except ImportError:          # the oracle is missing: the tests that need it skip themselves
    torch = None


@pytest.fixture(params=["simulated", "cupy-backend"])
def gpu(request):
    """A simulated GPU as device "cuda" (tests/sim_gpu.py), plugged in directly or driven by
    ember's own CuPy backend."""
    import sim_gpu
    yield sim_gpu.install(through_cupy_backend=request.param == "cupy-backend")
    sim_gpu.uninstall()


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """A failing test must not leave either library with grad mode switched off."""
    yield
    if torch is not None:
        torch.set_grad_enabled(True)
    ember.set_grad_enabled(True)

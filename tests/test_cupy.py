"""ember on a real GPU through CuPy: runs only where CuPy sees a device (skipped in CI).

The simulated GPU (tests/test_device*.py) checks the device handling of every op and module on
any machine; these tests run the same tables on CuPy itself, against ember's CPU results (GPU
kernels sum in other orders: a tolerance, not bits): every differentiable op in float64 and
float32 with its first and second derivatives, every nn module entry, the non-differentiable
tensor API over every dtype, a training run, and that a training step never synchronises with
the host except for the loss.item() the program asks for. `bash benchmarks/gpu_check.sh` runs
them with the GPU benchmark.
"""
import numpy as np
import pytest

import ember

cupy = pytest.importorskip("cupy")
if not ember.cuda.is_available():
    pytest.skip("CuPy sees no GPU", allow_module_level=True)

from test_gradcheck_api import CASES  # noqa: E402
import test_device  # noqa: E402
import test_device_nn  # noqa: E402
import test_device_ops  # noqa: E402


@pytest.mark.filterwarnings("ignore:Input #1 requires gradient")
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_op_on_cupy(name):
    test_device.compare_with_the_cpu(name, exact=False)


@pytest.mark.filterwarnings("ignore:Input #1 requires gradient")
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_op_on_cupy_in_float32(name):
    test_device.compare_with_the_cpu(name, exact=False, single=True)


@pytest.mark.parametrize("name", sorted(test_device_nn.MODULE_CASES))
def test_every_module_on_cupy(name):
    test_device_nn.compare_module_on_devices(name, exact=False)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(test_device_ops.OPS_CASES))
def test_every_tensor_op_on_cupy(name):
    test_device_ops.compare_op_on_devices(name, exact=False)


def test_training_on_cupy_matches_the_cpu():
    _, cpu_losses = test_device._train("cpu", steps=5)
    _, gpu_losses = test_device._train("cuda", steps=5)
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)


def test_a_training_step_does_not_synchronise():
    model, _ = test_device._train("cuda", steps=1)
    x = ember.randn(8, 1, 8, 8, device="cuda")
    y = ember.zeros(8, dtype=ember.int64, device="cuda")
    optimizer = ember.optim.SGD(model.parameters(), lr=0.1)
    import cupyx
    with cupyx.allow_synchronize(False):        # raises on any device-to-host wait
        optimizer.zero_grad()
        loss = ember.nn.functional.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
    assert np.isfinite(loss.item())

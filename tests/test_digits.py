"""Training on a real (small) data set, ember against PyTorch: scikit-learn's bundled digits.

The recipe is examples/digits.py's `train(torch, kind)`, run once with ember and once with
PyTorch from the same seed: the same initial weights (ember's generator is PyTorch's), the same
DataLoader shuffles, SGD with momentum (MLP) or Adam (CNN). What must agree: the mean training
loss of every epoch (relative 1e-4: the matrix products of NumPy's BLAS and PyTorch's MKL round
differently, nothing else may) and the final test accuracy (within 1 percentage point).
"""
import importlib.util
import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

import ember  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "digits.py")


@pytest.fixture(scope="module")
def digits_example():
    spec = importlib.util.spec_from_file_location("digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # PyTorch's intra-op threads change nothing in the numbers here, but keep the run light
    # on the shared machine
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.mark.parametrize("kind,epochs", [("mlp", 5), ("cnn", 3)])
def test_training_on_digits_matches_torch(digits_example, kind, epochs):
    e_losses, e_acc = digits_example.train(ember, kind, epochs=epochs)
    t_losses, t_acc = digits_example.train(torch, kind, epochs=epochs)
    assert len(e_losses) == len(t_losses) == epochs
    for epoch, (e, t) in enumerate(zip(e_losses, t_losses)):
        assert e == pytest.approx(t, rel=1e-4), f"epoch {epoch}: ember {e} vs torch {t}"
    assert abs(e_acc - t_acc) <= 1.0
    # and it did learn: ten classes, so chance is 10%
    assert t_acc > 80.0 and t_losses[-1] < t_losses[0] / 3


def test_digits_split_and_scaling(digits_example):
    images, labels = digits_example.load_digits_arrays()
    assert images.shape == (1797, 1, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0.0 and images.max() == 1.0      # 0..16 divided by 16
    assert sorted(set(labels.tolist())) == list(range(10))

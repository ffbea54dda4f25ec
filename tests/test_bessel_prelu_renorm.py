"""Modified Bessel functions (i0, i0e, i1, i1e), prelu / nn.PReLU and renorm, against PyTorch.
Their gradients are checked in tests/test_gradcheck_api.py (CASES)."""
import numpy as np
import pytest

import ember
from helpers import same_error

torch = pytest.importorskip("torch")

BESSEL = ["i0", "i0e", "i1", "i1e"]
POINTS = np.concatenate([np.linspace(-40, 40, 4001),
                         [0.0, -0.0, 1e-300, -1e-10, 8.0, 29.999, 30.0001, 100.0, 500.0, 709.0,
                          712.0, 800.0, -800.0, np.inf, -np.inf, np.nan]])


def _fn(T, name):
    return getattr(T.special, name)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_float64(name):
    e = _fn(ember, name)(ember.tensor(POINTS)).numpy()
    t = _fn(torch, name)(torch.tensor(POINTS)).numpy()
    np.testing.assert_allclose(e, t, rtol=1e-13, atol=0)
    finite = ~np.isnan(t)
    assert (np.signbit(e[finite]) == np.signbit(t[finite])).all()


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_float32_and_integers(name):
    x = POINTS.astype(np.float32)
    e = _fn(ember, name)(ember.tensor(x))
    t = _fn(torch, name)(torch.tensor(x))
    assert str(e.dtype) == str(t.dtype) == "torch.float32"
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=2e-6, atol=0)
    ints = np.arange(-5, 6)
    e = _fn(ember, name)(ember.tensor(ints))
    t = _fn(torch, name)(torch.tensor(ints))
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=2e-6)


def test_i0_namespaces_methods_and_inplace():
    x = np.array([-2.5, 0.0, 1.0, 3.0])
    close = dict(rtol=1e-13)
    np.testing.assert_allclose(ember.i0(ember.tensor(x)).numpy(), torch.i0(torch.tensor(x)).numpy(),
                               **close)
    np.testing.assert_allclose(ember.tensor(x).i0().numpy(), torch.tensor(x).i0().numpy(), **close)
    e, t = ember.tensor(x), torch.tensor(x)
    e.i0_()
    t.i0_()
    np.testing.assert_allclose(e.numpy(), t.numpy(), **close)
    assert not hasattr(ember, "i1") and not hasattr(torch, "i1")


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_grad_fn_names(name):
    def name_of(T):
        return _fn(T, name)(T.tensor([0.5, -1.0], requires_grad=True)).grad_fn.name()
    assert name_of(ember) == name_of(torch)


def test_bessel_i1_gradient_at_zero():
    def grad(T, name):
        x = T.tensor([0.0, 1.5], dtype=T.float64, requires_grad=True)
        _fn(T, name)(x).sum().backward()
        return x.grad.numpy()
    for name in ("i1", "i1e"):
        np.testing.assert_allclose(grad(ember, name), grad(torch, name), rtol=1e-12)


@pytest.mark.parametrize("shapes", [((2, 3, 4), (3,)), ((2, 3, 4), (1,)), ((5,), (1,)),
                                    ((), (1,)), ((4, 2), (2,)), ((2, 3), ())])
def test_prelu(shapes):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(shapes[0]), rng.uniform(0.1, 0.5, shapes[1])
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ew, tw = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    e, t = ember.nn.functional.prelu(ex, ew), torch.nn.functional.prelu(tx, tw)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-15)
    assert e.grad_fn.name() == t.grad_fn.name()
    g = rng.standard_normal(shapes[0])
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ember.prelu(ex, ew).detach().numpy(),
                               tx.prelu(tw).detach().numpy(), rtol=1e-15)


def test_prelu_errors():
    same_error(lambda T: T.nn.functional.prelu(T.ones(2, 3, 4), T.ones(4)),
               "Mismatch of parameter numbers", exact=True)
    same_error(lambda T: T.nn.functional.prelu(T.ones(2, 3), T.ones(3, 1)),
               "scalar or 1D", exact=True)
    same_error(lambda T: T.nn.functional.prelu(T.tensor([1, 2]), T.tensor([1])),
               "prelu_cpu", exact=True)


def test_prelu_module():
    for T in (ember, torch):
        T.manual_seed(0)
    e, t = ember.nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
    x = np.random.default_rng(1).standard_normal((2, 3, 5)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-7)
    assert repr(ember.nn.PReLU()) == repr(torch.nn.PReLU()) == "PReLU(num_parameters=1)"


@pytest.mark.parametrize("p", [1, 2, 3.5, float("inf")])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("maxnorm", [0.0, 0.5, 2.0, 100.0])
def test_renorm(p, dim, maxnorm):
    x = np.random.default_rng(2).standard_normal((3, 4, 2))
    e, t = ember.tensor(x), torch.tensor(x)
    np.testing.assert_allclose(ember.renorm(e, p, dim, maxnorm).numpy(),
                               torch.renorm(t, p, dim, maxnorm).numpy(), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(e.renorm(p, dim, maxnorm).numpy(),
                               t.renorm(p, dim, maxnorm).numpy(), rtol=1e-14, atol=1e-300)
    e.renorm_(p, dim, maxnorm)
    t.renorm_(p, dim, maxnorm)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-14, atol=1e-300)


def test_renorm_float32_and_errors():
    x = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    e, t = ember.renorm(ember.tensor(x), 2, 0, 1.0), torch.renorm(torch.tensor(x), 2, 0, 1.0)
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    same_error(lambda T: T.renorm(T.ones(3, 4), 0, 0, 1), "non-positive-norm", exact=True)
    same_error(lambda T: T.renorm(T.ones(3, 4), 2, 0, -1), "maxnorm", exact=True)
    same_error(lambda T: T.renorm(T.ones(5), 2, 0, 1), "at least 2 dimensions", exact=True)
    same_error(lambda T: T.renorm(T.ones(3, 4), 2, 5, 1), "Dimension out of range", exact=True)

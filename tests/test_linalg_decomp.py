"""Decompositions and the functions built on them (ember/ops/linalg.py), against PyTorch:
qr, cholesky, eigh/eigvalsh, pinv/pinverse, matrix_exp, lstsq, matrix_rank, matrix_power.

Values are compared within float tolerances (LAPACK is called through NumPy in ember and
directly in PyTorch). QR's signs agree between the two (both use geqrf/orgqr); eigh's
eigenvectors are compared up to the sign of each column (float32 runs pick different signs).
Gradients are checked in tests/test_gradcheck_api.py (CASES).
"""
import warnings

import numpy as np
import pytest

import ember
from helpers import same_error

torch = pytest.importorskip("torch")

TOL = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def both(array, dtype="float64", requires_grad=False):
    a = np.asarray(array, dtype=dtype)
    return (ember.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def close(e, t, dtype="float64", **tolerance):
    tol = dict(TOL[dtype], **tolerance)
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def spd(shape, seed=0):
    a = rand(shape, seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (3, 3), (2, 4, 3), (2, 1, 3, 5), (0, 3)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(dtype, shape, mode):
    e, t = both(rand(shape), dtype)
    eq, er = ember.linalg.qr(e, mode=mode)
    tq, tr = torch.linalg.qr(t, mode=mode)
    close(eq, tq, dtype)
    close(er, tr, dtype)


def test_qr_named_tuple_and_grad_fn():
    e, t = both(rand((4, 3)), requires_grad=True)
    re, rt = ember.linalg.qr(e), torch.linalg.qr(t)
    assert type(re).__name__ == type(rt).__name__ == "linalg_qr"
    assert re.Q.grad_fn.name() == rt.Q.grad_fn.name() == "LinalgQrBackward0"
    assert re.R.grad_fn is re.Q.grad_fn


def test_legacy_qr_warns_and_matches():
    e, t = both(rand((5, 3)))
    for some in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re, rt = ember.qr(e, some=some), torch.qr(t, some=some)
        assert type(re).__name__ == type(rt).__name__ == "qr"
        close(re.Q, rt.Q)
        close(re.R, rt.R)
    close(e.qr()[1], t.qr()[1])


def test_qr_errors():
    same_error(lambda T: T.linalg.qr(T.ones(3)), "at least 2 dimensions", exact=True)
    same_error(lambda T: T.linalg.qr(T.ones(3, 3), mode="x"), "unrecognized mode", exact=True)
    same_error(lambda T: T.linalg.qr(T.ones(3, 3, dtype=T.int64)), "floating point", exact=True)

    def r_mode(T):
        a = T.tensor(rand((4, 3)), requires_grad=True)
        T.linalg.qr(a, mode="r")[1].sum().backward()
    same_error(r_mode, "mode='r'", exact=True)

    def complete_tall(T):
        a = T.tensor(rand((4, 3)), requires_grad=True)
        q, r = T.linalg.qr(a, mode="complete")
        (q.sum() + r.sum()).backward()
    same_error(complete_tall, "not differentiable", exact=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (0, 0), (1, 1)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(dtype, shape, upper):
    a = spd(shape) if shape[-1] else np.zeros(shape)
    a = a + np.triu(rand(shape, 1), 1) * (upper is False)    # only one triangle is read
    a = a + np.tril(rand(shape, 2), -1) * upper
    e, t = both(a, dtype)
    close(ember.linalg.cholesky(e, upper=upper), torch.linalg.cholesky(t, upper=upper), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        close(ember.cholesky(e, upper=upper), torch.cholesky(t, upper=upper), dtype)
        close(e.cholesky(upper), t.cholesky(upper), dtype)


def test_cholesky_grad_fn_names():
    e, t = both(spd((3, 3)), requires_grad=True)
    assert ember.linalg.cholesky(e).grad_fn.name() == \
        torch.linalg.cholesky(t).grad_fn.name() == "LinalgCholeskyExBackward0"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ember.cholesky(e).grad_fn.name() == torch.cholesky(t).grad_fn.name() == \
            "CholeskyBackward0"


def test_legacy_cholesky_warns_like_torch():
    def messages(T):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            T.cholesky(T.tensor(spd((2, 2))))
        return [str(w.message).split(" (Triggered internally")[0] for w in record]
    t = messages(torch)
    e = messages(ember)
    assert len(t) <= 1 and len(e) <= 1
    if t and e:                                          # both warn only once per process
        assert e == t


def test_cholesky_not_positive_definite():
    a = spd((3, 3))
    a[2, 2] = -50.0
    same_error(lambda T: T.linalg.cholesky(T.tensor(a)), "leading minor of order 3",
               exact=True)
    same_error(lambda T: T.linalg.cholesky(-T.eye(2)), "leading minor of order 1", exact=True)
    batch = np.stack([spd((3, 3)), a])
    same_error(lambda T: T.linalg.cholesky(T.tensor(batch)), "(Batch element 1)", exact=True)
    same_error(lambda T: T.linalg.cholesky(T.ones(2, 3)), "square matrices", exact=True)
    assert isinstance(ember.linalg.LinAlgError("x"), RuntimeError)


def _sign_fixed(v):
    """Eigenvectors with each column's largest-magnitude entry made positive."""
    v = v.detach().numpy()
    idx = np.abs(v).argmax(-2)[..., None, :]
    return v * np.sign(np.take_along_axis(v, idx, -2))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 5, 5), (1, 1)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(dtype, shape, uplo):
    a = rand(shape)                                     # not symmetric: only UPLO's triangle counts
    e, t = both(a, dtype)
    re, rt = ember.linalg.eigh(e, UPLO=uplo), torch.linalg.eigh(t, UPLO=uplo)
    assert type(re).__name__ == type(rt).__name__ == "linalg_eigh"
    close(re.eigenvalues, rt.eigenvalues, dtype, atol=1e-4 if dtype == "float32" else 1e-12)
    np.testing.assert_allclose(_sign_fixed(re.eigenvectors), _sign_fixed(rt.eigenvectors),
                               atol=1e-4 if dtype == "float32" else 1e-10)
    close(ember.linalg.eigvalsh(e, uplo), torch.linalg.eigvalsh(t, uplo), dtype,
          atol=1e-4 if dtype == "float32" else 1e-12)


def test_eigh_errors_and_grad_fn():
    same_error(lambda T: T.linalg.eigh(T.ones(2, 3)), "square matrices", exact=True)
    same_error(lambda T: T.linalg.eigh(T.ones(3, 3), UPLO="X"), "UPLO", exact=True)
    e, t = both(spd((3, 3)), requires_grad=True)
    assert ember.linalg.eigvalsh(e).grad_fn.name() == torch.linalg.eigvalsh(t).grad_fn.name()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (2, 4, 4), (0, 3)])
def test_pinv(dtype, shape):
    e, t = both(rand(shape), dtype)
    close(ember.linalg.pinv(e), torch.linalg.pinv(t), dtype, rtol=1e-4 if dtype == "float32"
          else 1e-10)
    close(ember.pinverse(e), torch.pinverse(t), dtype, rtol=1e-4 if dtype == "float32"
          else 1e-10)
    close(e.pinverse(), t.pinverse(), dtype, rtol=1e-4 if dtype == "float32" else 1e-10)


def test_pinv_rank_deficient_and_tolerances():
    a = rand((4, 2)) @ rand((2, 5), 1)                   # rank 2
    e, t = both(a)
    close(ember.linalg.pinv(e), torch.linalg.pinv(t), rtol=1e-8, atol=1e-10)
    close(ember.linalg.pinv(e, atol=1.0), torch.linalg.pinv(t, atol=1.0), rtol=1e-8, atol=1e-10)
    close(ember.linalg.pinv(e, rtol=0.5), torch.linalg.pinv(t, rtol=0.5), rtol=1e-8, atol=1e-10)
    h = spd((3, 3)) - 4 * np.eye(3)
    e, t = both(h)
    close(ember.linalg.pinv(e, hermitian=True), torch.linalg.pinv(t, hermitian=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", [0.1, 1.0, 6.0])
def test_matrix_exp(dtype, scale):
    e, t = both(rand((2, 3, 4, 4)) * scale, dtype)
    close(ember.linalg.matrix_exp(e), torch.linalg.matrix_exp(t), dtype,
          rtol=5e-5 if dtype == "float32" else 1e-11, atol=1e-5 if dtype == "float32" else 1e-11)
    close(ember.matrix_exp(e), torch.matrix_exp(t), dtype,
          rtol=5e-5 if dtype == "float32" else 1e-11, atol=1e-5 if dtype == "float32" else 1e-11)


def test_matrix_exp_edge_cases():
    for shape in [(0, 0), (1, 1), (3, 3)]:
        e, t = both(np.zeros(shape))
        close(e.matrix_exp(), t.matrix_exp())
    same_error(lambda T: T.linalg.matrix_exp(T.ones(2, 3)), "square matrices", exact=True)
    e, t = both(rand((3, 3)), requires_grad=True)
    assert ember.linalg.matrix_exp(e).grad_fn.name() == \
        torch.linalg.matrix_exp(t).grad_fn.name() == "LinalgMatrixExpBackward0"


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((3, 5), (3, 2)), ((2, 5, 3), (2, 5, 1)),
                                    ((5, 3), (5,))])
def test_lstsq(driver, shapes):
    (ea, ta), (eb, tb) = both(rand(shapes[0])), both(rand(shapes[1], 1))
    re, rt = ember.linalg.lstsq(ea, eb, driver=driver), torch.linalg.lstsq(ta, tb, driver=driver)
    assert type(re).__name__ == type(rt).__name__ == "linalg_lstsq"
    close(re.solution, rt.solution, rtol=1e-9, atol=1e-11)
    close(re.residuals, rt.residuals, rtol=1e-9, atol=1e-11)
    assert re.rank.tolist() == rt.rank.tolist() and re.rank.dtype == ember.int64
    close(re.singular_values, rt.singular_values, rtol=1e-9, atol=1e-11)


def test_lstsq_grad_fn():
    (ea, ta), (eb, tb) = both(rand((5, 3)), requires_grad=True), both(rand((5, 2)))
    assert ember.linalg.lstsq(ea, eb).solution.grad_fn.name() == \
        torch.linalg.lstsq(ta, tb).solution.grad_fn.name()


@pytest.mark.parametrize("hermitian", [False, True])
def test_matrix_rank(hermitian):
    low = rand((2, 4, 2)) @ rand((2, 2, 4), 1)
    low = low + np.swapaxes(low, -1, -2)
    for a in (low, spd((3, 3)), np.ones((3, 3)), np.zeros((2, 2)), rand((4, 6))[:4, :4]):
        e, t = both(a)
        r_e = ember.linalg.matrix_rank(e, hermitian=hermitian)
        r_t = torch.linalg.matrix_rank(t, hermitian=hermitian)
        assert r_e.tolist() == r_t.tolist()
        assert str(r_e.dtype) == str(r_t.dtype) == "torch.int64"
        r_e = ember.linalg.matrix_rank(e, atol=1.0, rtol=0.0)
        assert r_e.tolist() == torch.linalg.matrix_rank(t, atol=1.0, rtol=0.0).tolist()


@pytest.mark.parametrize("n", [-2, 0, 1, 3, 5])
def test_matrix_power(n):
    e, t = both(spd((2, 3, 3)) / 4)
    close(ember.linalg.matrix_power(e, n), torch.linalg.matrix_power(t, n), rtol=1e-10)
    close(ember.matrix_power(e, n), torch.matrix_power(t, n), rtol=1e-10)

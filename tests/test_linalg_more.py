"""Linear algebra against PyTorch: outer/addmm/addmv/addbmm/baddbmm, einsum, tensordot, kron,
trace, cross, det/inv/solve/slogdet, the norms, svd/svdvals, matrix_power, multi_dot and
vecdot. For each: values (tight tolerances: BLAS and LAPACK differ in rounding), dtype, shape,
the whole backward graph's node names, gradients, and PyTorch's errors.
"""
import numpy as np
import pytest

from helpers import assert_same, assert_same_error, numerical_gradcheck

import ember
import ember.linalg  # noqa: F401  (until ember/__init__.py imports it)

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(2024)


def graph_names(t):
    """The names of every node of t's backward graph, depth first (PyTorch's edge order).

    Normalised for one difference that is not this module's: PyTorch's `reshape` of a
    non-contiguous tensor records ReshapeAliasBackward0 (when a view is possible) or
    CloneBackward0 + UnsafeViewBackward0 (when not), where ember.reshape records
    ViewBackward0 / UnsafeViewBackward0 (see the shape ops)."""
    names, stack, seen = [], [(t.grad_fn, None)], set()
    while stack:
        node, parent = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        name = node.name()
        if name == "ReshapeAliasBackward0":
            name = "ViewBackward0"
        if not (name == "CloneBackward0" and parent == "UnsafeViewBackward0"):
            names.append(name)
        stack.extend((n, name) for n, _ in reversed(node.next_functions))
    return names


def tol(t):
    return {"rtol": 1e-10, "atol": 1e-12} if t.dtype == torch.float64 else \
        {"rtol": 2e-5, "atol": 2e-5}


def run_both(fn, arrays, grad=True):
    """fn on the same data in both libraries, leaves requiring grad (float data)."""
    es = [ember.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return fn(ember, *es), fn(torch, *ts), es, ts


def check(fn, *arrays, grad=True, names=True):
    """Values, dtype, shape, graph names and gradients (of a weighted sum) agree."""
    e, t, es, ts = run_both(fn, arrays, grad)
    outs = list(zip(e, t)) if isinstance(t, tuple) else [(e, t)]
    for eo, to in outs:
        assert_same(eo, to, **tol(to))
        if names:
            assert graph_names(eo) == graph_names(to)
    eo, to = outs[0]
    if grad and to.requires_grad:
        w = RNG.standard_normal(tuple(to.shape))
        (eo * ember.tensor(w, dtype=eo.dtype)).sum().backward()
        (to * torch.tensor(w, dtype=to.dtype)).sum().backward()
        for a, b in zip(es, ts):
            if b.grad is None:
                assert a.grad is None
            else:
                assert_same(a.grad, b.grad, **tol(b.grad))
    return e, t


def errors_alike(fn, *arrays, match=None):
    es = [ember.tensor(a) for a in arrays]
    ts = [torch.tensor(a) for a in arrays]
    e_err, t_err = assert_same_error(lambda: fn(ember, *es), lambda: fn(torch, *ts), match=match)
    assert str(e_err) == str(t_err), f"ember: {e_err}\ntorch: {t_err}"


def r(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def well_conditioned(*shape):
    return r(*shape) * 0.3 + 2 * np.eye(shape[-1])


# -- outer / addmm / addmv / addbmm / baddbmm -----------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_with_an_added_input(dtype):
    a, b, c = r(3, 4, dtype=dtype), r(4, 5, dtype=dtype), r(3, 5, dtype=dtype)
    v3, v4, v5 = r(3, dtype=dtype), r(4, dtype=dtype), r(5, dtype=dtype)
    b1, b2 = r(2, 3, 4, dtype=dtype), r(2, 4, 5, dtype=dtype)
    check(lambda T, x, y: T.outer(x, y), v3, v4)
    check(lambda T, x, y: x.ger(y), v3, v4)
    check(lambda T, i, x, y: T.addmm(i, x, y), c, a, b)
    check(lambda T, i, x, y: T.addmm(i, x, y, beta=0.5, alpha=-2), v5, a, b)
    check(lambda T, i, x, y: i.addmm(x, y, beta=0, alpha=3), c[:1], a, b)
    check(lambda T, i, x, y: T.addmv(i, x, y, beta=2, alpha=0.5), v3, a, v4)
    check(lambda T, i, x, y: T.addmv(i, x, y), v3[:1], a, v4)
    check(lambda T, i, x, y: T.baddbmm(i, x, y, beta=0.25, alpha=1.5), c, b1, b2)
    check(lambda T, i, x, y: T.addbmm(i, x, y, alpha=-1), v5, b1, b2)


def test_addmm_beta_zero_ignores_nan_and_inplace_forms():
    c = np.full((3, 5), np.nan)
    e, t = check(lambda T, i, x, y: T.addmm(i, x, y, beta=0), c, r(3, 4), r(4, 5), grad=False)
    assert not np.isnan(e.numpy()).any()
    for method in ("addmm_", "baddbmm_", "addbmm_", "addmv_"):
        shapes = {"addmm_": [(3, 5), (3, 4), (4, 5)], "baddbmm_": [(2, 3, 5), (2, 3, 4), (2, 4, 5)],
                  "addbmm_": [(3, 5), (2, 3, 4), (2, 4, 5)], "addmv_": [(3,), (3, 4), (4,)]}
        arrays = [r(*s) for s in shapes[method]]
        e, t, _, _ = run_both(lambda T, i, x, y: getattr(i.clone(), method)(x, y, alpha=2), arrays)
        assert_same(e, t, **tol(t))
        assert e.grad_fn.name() == t.grad_fn.name()


def test_outer_promotes_like_a_product():
    check(lambda T, x, y: T.outer(x, y), np.array([1, 2]), np.array([1.5]), grad=False)
    check(lambda T, x, y: T.outer(x, y), np.array([1, 2], np.int32), np.array([3, 4]))


PRODUCT_ERRORS = [
    (lambda T, i, x, y: T.addmm(i, x, y), [(2, 4), (2, 3), (2, 3)]),
    (lambda T, i, x, y: T.addmm(i, x, y), [(2, 4), (3,), (3, 4)]),
    (lambda T, i, x, y: T.addmm(i, x, y), [(2, 4), (2, 3), (3,)]),
    (lambda T, i, x, y: T.addmm(i, x, y), [(3,), (2, 3), (3, 4)]),
    (lambda T, i, x, y: T.addmv(i, x, y), [(2,), (2, 3), (4,)]),
    (lambda T, i, x, y: T.addmv(i, x, y), [(2,), (2, 3), (2, 3)]),
    (lambda T, i, x, y: T.addmv(i, x, y), [(3,), (2, 3), (3,)]),
    (lambda T, x, y: T.outer(x, y), [(2, 3), (3,)]),
    (lambda T, x, y: T.outer(x, y), [(3,), (2, 3)]),
    (lambda T, i, x, y: T.baddbmm(i, x, y), [(2, 4), (2, 2, 3), (2, 3, 5)]),
    (lambda T, i, x, y: T.baddbmm(i, x, y), [(2, 2, 4), (2, 2, 3), (3, 3, 4)]),
    (lambda T, i, x, y: T.addbmm(i, x, y), [(2, 4), (2, 3), (2, 3, 4)]),
    (lambda T, i, x, y: T.addbmm(i, x, y), [(3, 4), (2, 2, 3), (2, 3, 4)]),
]


@pytest.mark.parametrize("case", range(len(PRODUCT_ERRORS)))
def test_product_errors(case):
    fn, shapes = PRODUCT_ERRORS[case]
    errors_alike(fn, *[r(*s) for s in shapes])


def test_product_dtype_errors():
    for fn in (lambda T: T.addmm(T.zeros(2, 4), T.zeros(2, 3), T.zeros(3, 4, dtype=T.float64)),
               lambda T: T.addmm(T.zeros(2, 4, dtype=T.float64), T.zeros(2, 3), T.zeros(3, 4))):
        e, t = assert_same_error(lambda: fn(ember), lambda: fn(torch))
        assert str(e) == str(t)


# -- einsum ----------------------------------------------------------------------------------------


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("ij,jk", [(3, 4), (4, 5)]), ("ij->ji", [(3, 4)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(3, 4)]), ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,kj->ki", [(3, 4), (6, 4)]), ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]), ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)]),
    ("bii->bi", [(2, 3, 3)]), ("ij,ij->ij", [(3, 4), (3, 4)]), ("iij,jk->ik", [(3, 3, 4), (4, 5)]),
    ("i j , j k -> i k", [(3, 4), (4, 5)]), ("ba,ca->bc", [(3, 1), (4, 5)]),
    ("ij,ij->i", [(3, 1), (1, 4)]), ("Ab,bC->AC", [(2, 3), (3, 4)]), ("...", [(2, 3)]),
    ("i...->...", [(2, 3, 4)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum(equation, shapes):
    check(lambda T, *ops: T.einsum(equation, *ops), *[r(*s) for s in shapes])


def test_einsum_forms_and_dtypes():
    a, b = r(3, 4), r(4, 5)
    check(lambda T, x, y: T.einsum("ij,jk->ik", [x, y]), a, b)
    check(lambda T, x, y: T.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b)
    check(lambda T, x, y: T.einsum(x, [0, Ellipsis], y, [Ellipsis, 2]), a, b)
    check(lambda T, x, y: T.einsum("ij,jk->ik", x, y), a.astype(np.float32), b.astype(np.float32))
    check(lambda T, x, y: T.einsum("ij,jk->ik", x, y), (a * 5).astype(np.int64),
          (b * 5).astype(np.int64))


EINSUM_ERRORS = [
    ("ij,jk->ik", [(3, 4)]), ("ij->ik", [(3, 4)]), ("ij", [(3, 4), (4, 5)]),
    ("ij->ii", [(3, 4)]), ("i1->i", [(3,)]), ("ijk->i", [(3, 4)]), ("i.j->i", [(3, 4)]),
    ("......->", [(3,)]), ("ij->i...j...", [(3, 4)]), ("ii->i", [(3, 4)]),
    ("ij,jk->ik", [(3, 4), (5, 6)]), ("...ij,...jk->...ik", [(2, 3, 4), (3, 4, 5)]),
    ("ij->i.", [(3, 4)]), ("ij->i$", [(3, 4)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_ERRORS, ids=[c[0] for c in EINSUM_ERRORS])
def test_einsum_errors(equation, shapes):
    errors_alike(lambda T, *ops: T.einsum(equation, *ops), *[r(*s) for s in shapes])


def test_einsum_needs_operands():
    assert_same_error(lambda: ember.einsum("ij"), lambda: torch.einsum("ij"))


# -- tensordot / kron / trace / cross -------------------------------------------------------------


def test_tensordot():
    a, b = r(3, 4, 5), r(4, 5, 2)
    check(lambda T, x, y: T.tensordot(x, y), a, b)
    check(lambda T, x, y: T.tensordot(x, y, dims=1), a, b.transpose(1, 0, 2).copy())
    check(lambda T, x, y: T.tensordot(x, y, dims=([1, 2], [0, 1])), a, b)
    check(lambda T, x, y: T.tensordot(x, y, dims=[[0], [1]]), r(3, 4), r(2, 3))
    check(lambda T, x, y: T.tensordot(x, y, dims=0), r(2), r(3))
    check(lambda T, x, y: T.tensordot(x, y, dims=([0, 1], [1, 0])), r(3, 3), r(3, 3))
    check(lambda T, x, y: T.tensordot(x, y, dims=([0, 1], [0, 1])), r(3, 4), r(3, 4))
    check(lambda T, x, y: T.tensordot(x, y, dims=([1], [0])), r(3, 1), r(4, 2))
    errors_alike(lambda T, x, y: T.tensordot(x, y, dims=(1, 0)), r(3, 4), r(4, 2))


@pytest.mark.parametrize("dims,shapes", [
    (([0], [0, 1]), [(3, 4), (3, 4)]), (([0], [0]), [(3, 4), (4, 3)]), (-1, [(3,), (3,)]),
    (3, [(3, 4), (3, 4)]), ("a", [(3,), (3,)])])
def test_tensordot_errors(dims, shapes):
    errors_alike(lambda T, x, y: T.tensordot(x, y, dims=dims), *[r(*s) for s in shapes])


def test_tensordot_dtype_error():
    errors_alike(lambda T, x, y: T.tensordot(x, y.float(), dims=1), r(3), r(3))


def test_kron():
    check(lambda T, x, y: T.kron(x, y), r(2, 3), r(3, 2))
    check(lambda T, x, y: T.kron(x, y), r(2, 3), r(4))
    check(lambda T, x, y: x.kron(y), r(3), r(2, 2, 2))
    check(lambda T, x, y: T.kron(x, y), np.arange(4).reshape(2, 2), np.arange(3), grad=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8, np.int64,
                                   np.float16])
def test_trace(dtype):
    data = (RNG.standard_normal((4, 5)) * 4).astype(dtype)
    check(lambda T, x: T.trace(x), data, names=True)
    check(lambda T, x: x.trace(), data[:, :2])
    errors_alike(lambda T, x: T.trace(x), data[0])
    errors_alike(lambda T, x: T.trace(x), np.ones((2, 2), bool))


def test_trace_sums_in_order_in_double():
    data = RNG.standard_normal((300, 300)).astype(np.float32) * 1e3
    assert_same(ember.trace(ember.tensor(data)), torch.trace(torch.tensor(data)))


def test_cross():
    a, b = r(4, 3), r(1, 3)
    check(lambda T, x, y: T.linalg.cross(x, y), a, b)
    check(lambda T, x, y: T.cross(x, y, dim=1), a, b)
    check(lambda T, x, y: T.cross(x, y, dim=0), r(3, 2), r(3, 2))
    check(lambda T, x, y: T.linalg.cross(x, y, dim=0), r(3, 2), r(3, 2))
    check(lambda T, x, y: x.cross(y, dim=-1), r(2, 3).astype(np.float32), r(2, 3).astype(np.float32))
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg"):
        e = ember.cross(ember.tensor(a), ember.tensor(a * 2))
    assert_same(e, torch.cross(torch.tensor(a), torch.tensor(a * 2), dim=1))


@pytest.mark.parametrize("fn,shapes", [
    (lambda T, x, y: T.linalg.cross(x, y), [(2, 4), (2, 4)]),
    (lambda T, x, y: T.linalg.cross(x, y), [(2, 3), (3,)]),
    (lambda T, x, y: T.linalg.cross(x, y, dim=2), [(3, 2), (3, 2)]),
    (lambda T, x, y: T.linalg.cross(x, y), [(2, 3), (4, 3)]),
    (lambda T, x, y: T.linalg.cross(x, y.float()), [(2, 3), (2, 3)]),
    (lambda T, x, y: T.cross(x, y, dim=None), [(2, 4), (2, 4)]),
])
@pytest.mark.filterwarnings("ignore:Using torch.cross")
def test_cross_errors(fn, shapes):
    errors_alike(fn, *[r(*s) for s in shapes])


# -- det / inv / solve / slogdet ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_det_inv_slogdet(dtype):
    a = well_conditioned(2, 3, 3).astype(dtype)
    check(lambda T, x: T.linalg.det(x), a)
    check(lambda T, x: T.det(x[0]), a)
    check(lambda T, x: T.linalg.inv(x), a)
    check(lambda T, x: T.inverse(x), a)
    check(lambda T, x: x.inverse(), a[0])
    check(lambda T, x: T.linalg.slogdet(x), a * np.array([1, -1, 1], dtype)[:, None])
    check(lambda T, x: T.logdet(x), a)
    check(lambda T, x: T.linalg.inv_ex(x).inverse, a)
    assert ember.linalg.inv_ex(ember.tensor(a)).info.tolist() == [0, 0]


def test_det_of_a_singular_matrix_and_empty():
    s = np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])
    check(lambda T, x: T.linalg.det(x), s, grad=False)
    check(lambda T, x: T.linalg.det(x), np.zeros((2, 0, 0)), grad=False)
    check(lambda T, x: T.linalg.slogdet(x), s, grad=False)


@pytest.mark.parametrize("fn,data", [
    (lambda T, x: T.linalg.inv(x), np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])),
    (lambda T, x: T.linalg.inv(x), np.zeros((2, 2))),
    (lambda T, x: T.linalg.inv(x), np.stack([np.eye(2), np.zeros((2, 2))])),
    (lambda T, x: T.linalg.solve(x, x[..., 0]), np.array([[1.0, 2], [2, 4]])),
    (lambda T, x: T.linalg.inv(x), np.ones((2, 3))),
    (lambda T, x: T.linalg.inv(x), np.ones(3)),
    (lambda T, x: T.linalg.inv(x), np.ones((2, 2), np.int64)),
    (lambda T, x: T.linalg.det(x), np.ones((2, 3))),
    (lambda T, x: T.linalg.det(x), np.ones(3)),
    (lambda T, x: T.linalg.det(x), np.ones((2, 2), np.int64)),
    (lambda T, x: T.linalg.det(x), np.ones((2, 2), np.float16)),
    (lambda T, x: T.linalg.solve(x, T.ones(2, dtype=x.dtype)), np.eye(3)),
    (lambda T, x: T.linalg.solve(x, T.ones(3, 2)), np.eye(3)),
    (lambda T, x: T.linalg.solve(x, T.ones(3, dtype=x.dtype), left=False), np.eye(3)),
    (lambda T, x: T.linalg.solve(x, x[0]), np.ones((3, 3), np.int64)),
])
def test_linalg_errors(fn, data):
    errors_alike(fn, data)


def test_singular_inverse_raises_linalg_error():
    s = torch.zeros(2, 2)
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(s)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.zeros(2, 2))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    assert ember.linalg.inv_ex(ember.zeros(2, 2)).info.item() == 1


@pytest.mark.parametrize("a_shape,b_shape,left", [
    ((3, 3), (3,), True), ((3, 3), (3, 2), True), ((2, 3, 3), (3,), True),
    ((4, 3, 3), (4, 3), True), ((3, 3, 3), (3, 3), True), ((2, 3, 3), (5, 1, 3, 2), True),
    ((3, 3), (2, 3), False), ((2, 3, 3), (4, 3), False), ((3, 3), (3, 3), False)])
def test_solve(a_shape, b_shape, left):
    check(lambda T, a, b: T.linalg.solve(a, b, left=left), well_conditioned(*a_shape),
          r(*b_shape))


# -- norms -----------------------------------------------------------------------------------------


VECTOR_NORMS = [
    dict(), dict(ord=1, dim=1), dict(ord=3, dim=(0,), keepdim=True), dict(ord=float("inf"), dim=0),
    dict(ord=-float("inf")), dict(ord=0.5), dict(ord=1.5, dim=-1), dict(ord=0),
    dict(ord=-1, dim=1), dict(dim=(0, 1)), dict(dim=[]), dict(keepdim=True),
]


@pytest.mark.parametrize("kw", VECTOR_NORMS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_norm(kw, dtype):
    data = r(3, 4, dtype=dtype)
    data[1, 2] = 0
    check(lambda T, x: T.linalg.vector_norm(x, **kw), data)


def test_vector_norm_dtypes_and_zeros():
    check(lambda T, x: T.linalg.vector_norm(x, dtype=T.float64), r(3, dtype=np.float32))
    check(lambda T, x: T.linalg.vector_norm(x), np.zeros((2, 3)))
    check(lambda T, x: T.linalg.vector_norm(x, 3, dim=1), np.zeros((2, 3)))
    check(lambda T, x: T.linalg.vector_norm(x), r(dtype=np.float64))
    check(lambda T, x: T.linalg.vector_norm(x, dim=1), np.ones((2, 0)))


@pytest.mark.parametrize("fn,data", [
    (lambda T, x: T.linalg.vector_norm(x), np.ones(3, np.int64)),
    (lambda T, x: T.linalg.vector_norm(x, dim=(0, 0)), np.ones(3)),
    (lambda T, x: T.linalg.vector_norm(x, ord=float("inf")), np.ones(0)),
    (lambda T, x: T.linalg.vector_norm(x, ord="fro"), np.ones(3)),
    (lambda T, x: T.linalg.vector_norm(x, dtype=T.int64), np.ones(3)),
    (lambda T, x: T.linalg.vector_norm(x, dtype=T.float32), np.ones(3)),
    (lambda T, x: T.linalg.matrix_norm(x), np.ones(3)),
    (lambda T, x: T.linalg.matrix_norm(x, ord=3), np.ones((3, 3))),
    (lambda T, x: T.linalg.matrix_norm(x, ord="abc"), np.ones((3, 3))),
    (lambda T, x: T.linalg.norm(x, ord=2), np.ones((3, 3, 3))),
    (lambda T, x: T.linalg.norm(x, dim=(0, 1, 2)), np.ones((3, 3, 3))),
    (lambda T, x: T.linalg.norm(x, "fro"), np.ones((3, 3, 3))),
    (lambda T, x: T.linalg.norm(x, "fro"), np.ones(3)),
])
def test_norm_errors(fn, data):
    errors_alike(fn, data)


MATRIX_NORMS = [dict(), dict(ord="fro", keepdim=True), dict(ord="nuc"), dict(ord=2),
                dict(ord=-2), dict(ord=1), dict(ord=-1), dict(ord=float("inf")),
                dict(ord=-float("inf"), keepdim=True), dict(ord="fro", dim=(0, 2)),
                dict(ord=1, dim=(2, 0))]


@pytest.mark.parametrize("kw", MATRIX_NORMS, ids=str)
def test_matrix_norm(kw):
    if kw.get("ord") in (1, -1, 2, -2, float("inf"), -float("inf")) and not hasattr(
            ember.Tensor, "amax"):
        pytest.skip("needs Tensor.amax/amin (the reductions)")
    check(lambda T, x: T.linalg.matrix_norm(x, **kw), r(2, 3, 4))


@pytest.mark.parametrize("kw", [dict(), dict(ord=3, dim=1), dict(dim=1), dict(ord="fro"),
                                dict(ord="nuc", dim=(0, 1)), dict(ord=1, dim=0),
                                dict(dim=(0, 1), keepdim=True), dict(dtype="float64")], ids=str)
def test_linalg_norm(kw):
    kw_t = dict(kw, dtype=torch.float64) if "dtype" in kw else kw
    kw_e = dict(kw, dtype=ember.float64) if "dtype" in kw else kw
    data = r(3, 4, dtype=np.float32)
    e, t, es, ts = run_both(lambda T, x: T.linalg.norm(x, **(kw_e if T is ember else kw_t)), [data])
    assert_same(e, t, **tol(t))
    assert graph_names(e) == graph_names(t)


# -- svd / svdvals / matrix_power / multi_dot / vecdot ----------------------------------------------


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 3, 3)])
def test_svd(shape):
    a = r(*shape)
    check(lambda T, x: T.linalg.svdvals(x), a)
    # the singular vectors are unique up to sign: compare quantities that do not depend on it
    check(lambda T, x: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(
        *T.linalg.svd(x, full_matrices=False)), a)
    check(lambda T, x: (lambda u, s, vh: (u @ u.mT) * s.sum())(*T.linalg.svd(x)), a)
    check(lambda T, x: (lambda u, s, vh: (vh.mT * s.unsqueeze(-2) ** 2) @ vh)(
        *T.linalg.svd(x, full_matrices=False)), a, names=False)
    e, t = ember.linalg.svd(ember.tensor(a)), torch.linalg.svd(torch.tensor(a))
    for x, y in zip(e, t):
        assert tuple(x.shape) == tuple(y.shape) and repr(x.dtype) == repr(y.dtype)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, -1, -2, -3])
def test_matrix_power(n):
    check(lambda T, x: T.linalg.matrix_power(x, n), well_conditioned(2, 3, 3) * 0.5)
    check(lambda T, x: T.matrix_power(x, n), well_conditioned(3, 3) * 0.5)


def test_matrix_power_of_integers():
    check(lambda T, x: T.linalg.matrix_power(x, 3), np.arange(9).reshape(3, 3), grad=False)


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(3, 4), (4, 5), (5,)], [(4,), (4, 5), (5, 2)],
                                    [(3,), (3, 4), (4, 2), (2, 5)], [(3,), (3,)],
                                    [(10, 3), (3, 4), (4, 5), (5, 7), (7, 2)]])
def test_multi_dot(shapes):
    check(lambda T, *ts: T.linalg.multi_dot(ts), *[r(*s) for s in shapes])


@pytest.mark.parametrize("shapes", [[(3, 4)], [(3, 4), (5, 2)], [(2, 3, 4), (4, 5)],
                                    [(3, 4), (4, 5, 2)]])
def test_multi_dot_errors(shapes):
    errors_alike(lambda T, *ts: T.linalg.multi_dot(ts), *[r(*s) for s in shapes])


def test_vecdot_and_linalg_aliases():
    check(lambda T, x, y: T.linalg.vecdot(x, y), r(3, 4), r(4))
    check(lambda T, x, y: T.linalg.vecdot(x, y, dim=0), r(3, 4), r(3, 1))
    check(lambda T, x, y: T.linalg.matmul(x, y), r(3, 4), r(4))
    check(lambda T, x: T.linalg.diagonal(x, offset=1), r(2, 3, 4))


# -- float64 numerical gradients (ember alone) -----------------------------------------------------


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: ember.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
    (lambda a, b: ember.tensordot(a, b, dims=([0], [1])), [(3, 2), (2, 3)]),
    (lambda a, b: ember.kron(a, b), [(2, 2), (2,)]),
    (lambda a: ember.linalg.det(a), [(3, 3)]),
    (lambda a: ember.linalg.inv(a), [(3, 3)]),
    (lambda a, b: ember.linalg.solve(a, b), [(3, 3), (3, 2)]),
    (lambda a: ember.linalg.vector_norm(a, 2.5, dim=1), [(2, 3)]),
    (lambda a: ember.linalg.svdvals(a), [(3, 2)]),
    (lambda c, a, b: ember.addmm(c, a, b, beta=0.3, alpha=1.7), [(2,), (3, 4), (4, 2)]),
])
def test_numerical_gradients(fn, shapes):
    inputs = [ember.tensor(well_conditioned(*s) if s == (3, 3) else r(*s), requires_grad=True)
              for s in shapes]
    assert numerical_gradcheck(fn, inputs)


# -- hypothesis: broadcast batches and random dims -------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       n=st.integers(1, 4), k=st.integers(1, 3), vector=st.booleans())
def test_solve_broadcasts_batches(shapes, n, k, vector):
    (batch_a, batch_b), _ = shapes
    rng = np.random.default_rng(len(batch_a) * 10 + len(batch_b))
    a = rng.standard_normal(batch_a + (n, n)) * 0.3 + 2 * np.eye(n)
    b = rng.standard_normal(batch_b + ((n,) if vector and not batch_b else (n, k)))
    e, t = ember.linalg.solve(ember.tensor(a), ember.tensor(b)), torch.linalg.solve(
        torch.tensor(a), torch.tensor(b))
    assert_same(e, t, rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
       ord=st.sampled_from([2, 1, 3, 0.5, float("inf"), -float("inf"), 0]),
       keepdim=st.booleans())
def test_vector_norm_random_dims(data, shape, ord, keepdim):
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), unique_by=lambda d: d %
                              len(shape), max_size=len(shape)))
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    kw = dict(ord=ord, dim=tuple(dims) if dims else None, keepdim=keepdim)
    check(lambda T, a: T.linalg.vector_norm(a, **kw), x)


@settings(max_examples=30, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=2, max_dims=3,
                                                max_side=3))
def test_cross_broadcasts(shapes):
    (sa, sb), _ = shapes
    if len(sa) != len(sb):
        return
    sa, sb = sa[:-1] + (3,), sb[:-1] + (3,)
    check(lambda T, x, y: T.linalg.cross(x, y), r(*sa), r(*sb))

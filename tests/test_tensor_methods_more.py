"""Tensor methods (and `torch.*` functions) a learner may reach for, against PyTorch:
type_as, ravel, unfold, the size/device/layout properties, the post-accumulate-grad hook,
the in-place view methods (squeeze_, t_, transpose_, ...), rot90, inner, vdot, addr, diagflat,
fill_diagonal_, the *_scatter ops, hardshrink, frexp, ldexp, nextafter, the legacy `new`,
apply_/map_, and the conjugation/real/imag views of real tensors.

Each case runs the same function in both libraries and compares values, dtypes, shapes,
grad_fn names, gradients and errors (the `compare` harness of test_ops_shape_more.py).
"""
import numpy as np
import pytest

from helpers import assert_same, torch
from test_ops_shape_more import C, compare, f32, f64, gradcheck, i64

import ember

X = f32(3, 4)
V = f32(4, seed=2)
W = f32(3, seed=3)
R = np.arange(10, dtype=np.float32)
SUMMED = {"exact": False}


def _inplace_view(method, *args):
    def fn(T, x):
        y = x * 2
        out = getattr(y, method)(*args)
        assert out is y
        return y
    return fn


def _svd_parts(usv):
    u, s, v = usv
    k = s.shape[-1]
    return (s, u[..., :k] @ v[..., :k].mT)


CASES = {
    # casts and flattening
    "type_as": (lambda T, x, o: x.type_as(o), [X, C(i64(2))]),
    "type_as_float64": (lambda T, x, o: x.type_as(o), [X, f64(2)]),
    "ravel": (lambda T, x: x.ravel(), [X]),
    "ravel_fn_noncontiguous": (lambda T, x: T.ravel(x.t()), [X]),
    "ravel_0d": (lambda T, x: x.ravel(), [np.float32(2.5)]),
    # unfold
    "unfold": (lambda T, x: x.unfold(0, 3, 2), [R]),
    "unfold_overlap": (lambda T, x: x.unfold(1, 2, 1), [X]),
    "unfold_gaps": (lambda T, x: x.unfold(-1, 2, 3), [f32(2, 9)]),
    "unfold_whole": (lambda T, x: x.unfold(0, 3, 5), [X]),
    "unfold_0d": (lambda T, x: x.unfold(0, 1, 1), [np.float32(3.0)]),
    "unfold_empty_window": (lambda T, x: x.unfold(0, 0, 1), [R]),
    "unfold_twice": (lambda T, x: x.unfold(0, 2, 1).unfold(1, 2, 2), [X]),
    "unfold_too_big": (lambda T, x: x.unfold(0, 11, 1), [R]),
    "unfold_negative_size": (lambda T, x: x.unfold(0, -1, 1), [R]),
    "unfold_zero_step": (lambda T, x: x.unfold(0, 3, 0), [R]),
    "unfold_bad_dim": (lambda T, x: x.unfold(1, 2, 1), [R]),
    "unfold_0d_too_big": (lambda T, x: x.unfold(0, 2, 1), [np.float32(3.0)]),
    # in-place views
    "squeeze_": (_inplace_view("squeeze_"), [f32(1, 3, 1)]),
    "squeeze_dim": (_inplace_view("squeeze_", 0), [f32(1, 3, 1)]),
    "squeeze_dims": (_inplace_view("squeeze_", (0, 2)), [f32(1, 3, 1)]),
    "unsqueeze_": (_inplace_view("unsqueeze_", -1), [X]),
    "t_": (_inplace_view("t_"), [X]),
    "t_1d": (_inplace_view("t_"), [V]),
    "t_3d": (_inplace_view("t_"), [f32(2, 3, 4)]),
    "transpose_": (_inplace_view("transpose_", 0, 2), [f32(2, 3, 4)]),
    "swapaxes_": (_inplace_view("swapaxes_", 0, 1), [X]),
    "swapdims_": (_inplace_view("swapdims_", -1, 0), [X]),
    "inplace_view_on_leaf": (lambda T, x: x.t_(), [X]),
    "inplace_view_chain": (lambda T, x: (x * 2).unsqueeze_(0).transpose_(0, 2).squeeze_(),
                           [X]),
    # rot90
    "rot90": (lambda T, x: x.rot90(), [X]),
    "rot90_k2": (lambda T, x: T.rot90(x, 2), [X]),
    "rot90_k3_dims": (lambda T, x: x.rot90(3, (2, 0)), [f32(2, 3, 4)]),
    "rot90_negative": (lambda T, x: x.rot90(-1, [1, 0]), [X]),
    "rot90_k0": (lambda T, x: x.rot90(4), [X]),
    "rot90_int": (lambda T, x: x.rot90(1), [C(i64(2, 3))]),
    "rot90_one_dim": (lambda T, x: x.rot90(1, (0,)), [X]),
    "rot90_1d": (lambda T, x: x.rot90(), [V]),
    "rot90_same_dims": (lambda T, x: x.rot90(1, (1, 1)), [X]),
    "rot90_bad_dim": (lambda T, x: x.rot90(1, (0, 2)), [X]),
    # products
    "inner_vectors": (lambda T, a, b: T.inner(a, b), [V, f32(4, seed=9)]),
    "inner_matrix_vector": (lambda T, a, b: a.inner(b), [X, V]),
    "inner_batches": (lambda T, a, b: T.inner(a, b), [f32(2, 3, 4), X], SUMMED),
    "inner_scalar": (lambda T, a, b: T.inner(a, b), [X, np.array(2.0, np.float32)]),
    "inner_mismatch": (lambda T, a, b: T.inner(a, b), [X, W]),
    "vdot": (lambda T, a, b: T.vdot(a, b), [V, f32(4, seed=9)], SUMMED),
    "vdot_method_int": (lambda T, a, b: a.vdot(b), [C(i64(4)), C(i64(4, seed=1))]),
    "vdot_2d": (lambda T, a, b: T.vdot(a, b), [X, V]),
    "vdot_sizes": (lambda T, a, b: T.vdot(a, b), [V, W]),
    "vdot_dtypes": (lambda T, a, b: T.vdot(a, b), [V, f64(4)]),
    # (the vectors' gradients are sums, in the order the BLAS picks)
    "addr": (lambda T, c, a, b: T.addr(c, a, b), [X, W, V], SUMMED),
    "addr_scaled": (lambda T, c, a, b: c.addr(a, b, beta=0.5, alpha=2.0), [X, W, V], SUMMED),
    "addr_broadcast": (lambda T, c, a, b: T.addr(c, a, b, alpha=-1), [V, W, V], SUMMED),
    "addr_beta0_ignores_nan": (lambda T, c, a, b: T.addr(c, a, b, beta=0),
                               [C(np.full((3, 4), np.nan, np.float32)), W, V], SUMMED),
    "addr_": (lambda T, c, a, b: (c * 1).addr_(a, b, alpha=2), [X, W, V], SUMMED),
    "addr_int": (lambda T, c, a, b: T.addr(c, a, b), [C(i64(3, 4)), C(i64(3)), C(i64(4))]),
    "addr_matrix_vec": (lambda T, c, a, b: T.addr(c, a, b), [X, f32(3, 1), V]),
    "addr_bad_shape": (lambda T, c, a, b: T.addr(c, a, b), [X, W, f32(5)]),
    # diagonals
    "diagflat": (lambda T, x: T.diagflat(x), [f32(2, 2)]),
    "diagflat_offset": (lambda T, x: x.diagflat(-2), [W]),
    "diagflat_noncontiguous": (lambda T, x: T.diagflat(x.t(), 1), [f32(2, 3)]),
    "fill_diagonal_": (lambda T, x: (x * 1).fill_diagonal_(0.5), [X]),
    "fill_diagonal_tall": (lambda T, x: (x * 1).fill_diagonal_(-1.0), [f32(7, 3)]),
    "fill_diagonal_wrap": (lambda T, x: (x * 1).fill_diagonal_(2.0, wrap=True), [f32(7, 3)]),
    "fill_diagonal_wrap_short": (lambda T, x: (x * 1).fill_diagonal_(2.0, True), [f32(4, 3)]),
    "fill_diagonal_cube": (lambda T, x: (x * 1).fill_diagonal_(3), [f32(3, 3, 3)]),
    "fill_diagonal_int": (lambda T, x: x.clone().fill_diagonal_(7), [C(i64(3, 3))]),
    "fill_diagonal_1d": (lambda T, x: x.clone().fill_diagonal_(7), [C(i64(3))]),
    "fill_diagonal_unequal": (lambda T, x: x.clone().fill_diagonal_(7), [C(i64(2, 3, 3))]),
    # the scatter ops
    "select_scatter": (lambda T, x, s: T.select_scatter(x, s, 0, 1), [X, V]),
    "select_scatter_neg": (lambda T, x, s: x.select_scatter(s, -1, -1), [X, W]),
    "select_scatter_cast": (lambda T, x, s: T.select_scatter(x, s, 0, 1), [X, f64(4)]),
    "select_scatter_size": (lambda T, x, s: T.select_scatter(x, s, 0, 1), [X, W]),
    "select_scatter_index": (lambda T, x, s: T.select_scatter(x, s, 0, 5), [X, V]),
    "slice_scatter": (lambda T, x, s: T.slice_scatter(x, s, 1, 0, 4, 2), [X, f32(3, 2)]),
    "slice_scatter_default": (lambda T, x, s: x.slice_scatter(s), [X, f32(3, 4, seed=7)]),
    "slice_scatter_start": (lambda T, x, s: T.slice_scatter(x, s, start=1), [X, f32(2, 4)]),
    "slice_scatter_size": (lambda T, x, s: T.slice_scatter(x, s, 1, 0, 2), [X, f32(3, 3)]),
    "diagonal_scatter": (lambda T, x, s: T.diagonal_scatter(x, s), [X, W]),
    "diagonal_scatter_offset": (lambda T, x, s: x.diagonal_scatter(s, -1), [X, f32(2)]),
    "diagonal_scatter_dims": (lambda T, x, s: T.diagonal_scatter(x, s, 0, 0, 2),
                              [f32(3, 2, 3), f32(2, 3)]),
    "diagonal_scatter_size": (lambda T, x, s: T.diagonal_scatter(x, s), [X, V]),
    # pointwise
    "divide_": (lambda T, x, y: (x * 1).divide_(y), [X, V]),
    "divide_rounding": (lambda T, x, y: (x * 1).divide_(y, rounding_mode="floor"), [X, V]),
    "negative_": (lambda T, x: (x * 1).negative_(), [X]),
    "float_power_": (lambda T, x: (x * 1).float_power_(2), [f64(3, 4)]),
    "float_power_tensor": (lambda T, x, y: (x * 1).float_power_(y), [np.abs(f64(4)) + 0.1,
                                                                       f64(4, seed=1)]),
    "float_power_float32": (lambda T, x: (x * 1).float_power_(2), [X]),
    "hardshrink": (lambda T, x: x.hardshrink(), [X]),
    "hardshrink_lambd": (lambda T, x: T.hardshrink(x, 1.0), [X]),
    "hardshrink_functional": (lambda T, x: T.nn.functional.hardshrink(x, 0.2), [f64(3, 4)]),
    "hardshrink_module": (lambda T, x: T.nn.Hardshrink(0.7)(x), [X.astype(np.float16)]),
    "hardshrink_int": (lambda T, x: x.hardshrink(), [C(i64(3))]),
    "frexp": (lambda T, x: tuple(T.frexp(x)), [np.array([1.5, -3.0, 0.0, 1e-40, np.inf, -0.0, 7.0],
                                                 np.float32)]),
    "frexp_method_float64": (lambda T, x: tuple(x.frexp()), [f64(3, 4)]),
    "frexp_int": (lambda T, x: T.frexp(x), [C(i64(3))]),
    "ldexp": (lambda T, x, e: T.ldexp(x, e), [X, C(np.array([1, -2, 0, 3]))]),
    # 2 ** e for a float e: ember's pow is within an ulp of PyTorch's vectorised one
    "ldexp_float_exponent": (lambda T, x, e: x.ldexp(e), [X, f64(4)], SUMMED),
    "ldexp_int_int": (lambda T, x, e: T.ldexp(x, e), [C(i64(3)), C(np.array([1, 2, 3]))]),
    "ldexp_": (lambda T, x, e: (x * 1).ldexp_(e), [X, f32(4, seed=5)], SUMMED),
    "nextafter": (lambda T, x, y: T.nextafter(x, y), [X, V]),
    "nextafter_promotes": (lambda T, x, y: x.nextafter(y), [X, f64(4)]),
    "nextafter_half": (lambda T, x, y: T.nextafter(x, y), [X.astype(np.float16),
                                                           V.astype(np.float16)]),
    "nextafter_": (lambda T, x, y: (x * 1).nextafter_(y), [X, V]),
    "nextafter_int": (lambda T, x, y: T.nextafter(x, y), [C(i64(3)), C(i64(3))]),
    # the legacy svd: V, not Vh (singular vectors compared through sign-free products)
    "svd": (lambda T, x: _svd_parts(T.svd(x)), [f64(3, 4)], SUMMED),
    "svd_method_full": (lambda T, x: _svd_parts(x.svd(some=False)), [f64(4, 3)], SUMMED),
    "svd_batch": (lambda T, x: _svd_parts(T.svd(x)), [f64(2, 4, 3)], SUMMED),
    "svd_values_only": (lambda T, x: tuple(T.svd(x, compute_uv=False)), [f64(3, 4)], SUMMED),
    "svd_1d": (lambda T, x: T.svd(x), [V]),
    # conjugation and real/imag of real tensors
    "adjoint": (lambda T, x: x.adjoint(), [f32(2, 3, 4)]),
    "adjoint_fn": (lambda T, x: T.adjoint(x), [X]),
    "adjoint_1d": (lambda T, x: x.adjoint(), [V]),
    "mH": (lambda T, x: x.mH, [f32(2, 3, 4)]),
    "H": (lambda T, x: x.H, [X]),
    "H_3d": (lambda T, x: x.H, [f32(2, 3, 4)]),
    "H_1d": (lambda T, x: x.H, [V]),
    "imag_real_tensor": (lambda T, x: x.imag, [X]),
    "new_sizes": (lambda T, x: x.new(2, 3).shape, [C(i64(2))]),
    "new_data": (lambda T, x: x.new([1, 2.5]), [C(f64(2))]),
    "new_empty": (lambda T, x: x.new(), [X]),
    "new_dtype_mismatch": (lambda T, x, y: x.new(y), [C(X), C(f64(2))]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    fn, args, *options = CASES[name]
    options = options[0] if options else {}
    tol = {} if options.get("exact", True) else {"rtol": 1e-6, "atol": 1e-6}
    compare(fn, args, tol=tol)


GRADCHECKED = ["unfold_overlap", "unfold_gaps", "unfold_twice", "ravel_fn_noncontiguous",
               "squeeze_dims", "t_", "transpose_", "inplace_view_chain", "rot90",
               "rot90_k3_dims", "inner_batches", "vdot", "addr_scaled", "addr_broadcast",
               "diagflat_noncontiguous", "fill_diagonal_wrap", "fill_diagonal_cube",
               "select_scatter", "slice_scatter", "diagonal_scatter_dims", "hardshrink",
               "frexp_method_float64", "ldexp_float_exponent", "adjoint", "svd"]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradcheck(name):
    fn, args, *_ = CASES[name]
    gradcheck(fn, args)


# -- views share storage with their base --------------------------------------------------------


@pytest.mark.parametrize("T", [torch, ember], ids=["torch", "ember"])
def test_unfold_is_a_view_sharing_storage(T):
    x = T.arange(10.0)
    u = x.unfold(0, 3, 2)
    assert u._base is x and u.stride() == (2, 1) and u.storage_offset() == 0
    x[4] = 100.0
    assert u[1, 2].item() == 100.0 and u[2, 0].item() == 100.0
    u[0, 0] = -1.0
    assert x[0].item() == -1.0


@pytest.mark.parametrize("T", [torch, ember], ids=["torch", "ember"])
def test_ravel_is_a_view_only_when_contiguous(T):
    x = T.arange(6.0).reshape(2, 3)
    r = x.ravel()
    r[0] = 50.0
    assert x[0, 0].item() == 50.0
    c = x.t().ravel()
    c[1] = -7.0
    assert x[1, 0].item() == 3.0


@pytest.mark.parametrize("T", [torch, ember], ids=["torch", "ember"])
def test_inplace_view_keeps_sharing_storage_and_bumps_version(T):
    base = T.zeros(2, 3)
    view = base[0:1]
    before = view._version
    view.squeeze_(0)
    assert view.shape == (3,) and view._version == before + 1
    view[1] = 5.0                               # still writes through to the base
    assert base[0, 1].item() == 5.0
    y = T.zeros(2, 3)
    y.t_()
    assert y.shape == (3, 2) and y.stride() == (1, 3)


def test_inplace_view_of_a_view_records_copy_slices_on_the_base():
    results = []
    for T in (torch, ember):
        leaf = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        base = leaf * 1
        view = base[:, 1:]
        view.t_()
        view.mul_(T.tensor([[2.0, 3.0], [4.0, 5.0]]))
        assert view.shape == (2, 2)
        base.sum().backward()
        results.append((base.detach().numpy().copy(), leaf.grad.numpy().copy(),
                        base.grad_fn.name()))
    for a, b in zip(*results):
        if isinstance(a, str):
            assert a == b
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("T", [torch, ember], ids=["torch", "ember"])
def test_real_and_conj_of_a_real_tensor_are_the_tensor_itself(T):
    x = T.randn(3, requires_grad=True)
    assert x.conj() is x and x.resolve_conj() is x and x.resolve_neg() is x and x.real is x
    assert not x.is_conj() and not x.is_neg()


# -- properties ---------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda T: T.zeros(3, 4),
    lambda T: T.zeros(3, 4, dtype=T.float64)[:, ::2],
    lambda T: T.zeros(2, dtype=T.int16).expand(5, 2),
    lambda T: T.tensor(True),
    lambda T: T.zeros(0, 3, dtype=T.float16),
])
def test_size_and_device_properties_match_torch(make):
    e, t = make(ember), make(torch)
    assert (e.itemsize, e.nbytes, e.is_cpu, e.get_device(), e.output_nr) == \
        (t.itemsize, t.nbytes, t.is_cpu, t.get_device(), t.output_nr)
    assert str(e.layout) == str(t.layout) == "torch.strided"
    assert e.layout is ember.strided
    assert e.is_pinned() is t.is_pinned() is False


def test_output_nr_counts_the_outputs_of_a_node():
    for T in (torch, ember):
        x = T.ones(3, 2, requires_grad=True)
        assert [p.output_nr for p in x.unbind(0)] == [0, 1, 2]
        assert (x * 2).output_nr == 0


def test_pin_memory_needs_an_accelerator_as_in_torch():
    if torch.cuda.is_available() or ember.cuda.is_available():
        pytest.skip("an accelerator is present")
    for T in (torch, ember):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is "
                                               "available."):
            T.ones(2).pin_memory()


def test_get_device_of_a_gpu_tensor_is_its_index():
    import sim_gpu
    sim_gpu.install()
    try:
        x = ember.ones(2, device="cuda")
        assert x.get_device() == 0 and x.is_cpu is False
        assert x.unfold(0, 1, 1).get_device() == 0
    finally:
        sim_gpu.uninstall()


# -- hooks --------------------------------------------------------------------------------------


def _post_accumulate_log(T):
    log = []
    w = T.tensor([1.0, 2.0], requires_grad=True)
    handle = w.register_post_accumulate_grad_hook(
        lambda t: log.append(("post", t is w, t.grad.tolist())))
    w.register_hook(lambda g: log.append(("pre", g.tolist())))
    (w * 3).sum().backward()
    (w * w).sum().backward()
    handle.remove()
    (w * 1).sum().backward()
    return log, w.grad.tolist()


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    assert _post_accumulate_log(ember) == _post_accumulate_log(torch)


def test_post_accumulate_grad_hook_errors():
    for T in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            T.ones(2).register_post_accumulate_grad_hook(print)
        assert str(info.value) == "cannot register a hook on a tensor that doesn't require gradient"
        with pytest.raises(RuntimeError) as info:
            (T.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)
        assert str(info.value) == "post accumulate grad hooks cannot be registered on non-leaf " \
                                  "tensors"


# -- Python callables over the elements -----------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda T: T.arange(6.0).reshape(2, 3).apply_(lambda v: v * v - 1),
    lambda T: T.arange(6).apply_(lambda v: v / 4),
    lambda T: T.arange(6.0).reshape(2, 3).map_(T.tensor([1.0, 10.0, 100.0]), lambda a, b: a + b),
    lambda T: T.tensor([True, False]).apply_(lambda v: not v),
])
def test_apply_and_map_match_torch(make):
    assert_same(make(ember), make(torch))


@pytest.mark.parametrize("make", [
    lambda T: T.ones(3, requires_grad=True).apply_(lambda v: v),
    lambda T: T.ones(3).apply_(lambda v: "a"),
    lambda T: T.ones(3).map_(T.ones(2, 3), lambda a, b: a),
])
def test_apply_and_map_errors_match_torch(make):
    with pytest.raises(Exception) as t_info:
        make(torch)
    with pytest.raises(Exception) as e_info:
        make(ember)
    assert type(e_info.value) is type(t_info.value)
    assert str(e_info.value) == str(t_info.value)


def test_ldexp_gradient_with_negative_integer_exponent_is_torchs():
    # PyTorch's derivative computes 2 ** exponent in integers: negative exponents give 0
    grads = []
    for T in (torch, ember):
        x = T.tensor([1.5, 2.0, -3.0], requires_grad=True)
        T.ldexp(x, T.tensor([1, -2, 3])).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("some", [True, False])
def test_svd_returns_v_with_torchs_shapes_and_nodes(some):
    got = []
    for T in (torch, ember):
        x = T.tensor(np.arange(12.0).reshape(3, 4) ** 1.5, requires_grad=True)
        u, s, v = r = T.svd(x, some=some)
        assert type(r).__name__ == "svd" and r.V is v
        np.testing.assert_allclose(((u[:, :3] * s) @ v[:, :3].mT).detach().numpy(),
                                   x.detach().numpy(), atol=1e-9)
        got.append((tuple(u.shape), tuple(s.shape), tuple(v.shape),
                    [t.grad_fn.name() for t in r]))
    assert got[0] == got[1]


def test_frexp_returns_a_named_tuple():
    e = ember.frexp(ember.tensor([8.0, 0.75]))
    t = torch.frexp(torch.tensor([8.0, 0.75]))
    assert e.mantissa.tolist() == t.mantissa.tolist()
    assert e.exponent.tolist() == t.exponent.tolist()
    assert e.exponent.dtype is ember.int32
    assert repr(e) == repr(t)

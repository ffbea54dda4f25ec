"""F.affine_grid and F.grid_sample against PyTorch: values, gradients (input and grid),
second derivatives, grad_fn names, warnings and errors.

Values and first derivatives are bit-identical: ember follows PyTorch's vectorised CPU kernel
(its fused multiply-adds, and the order of its input-gradient scatter-add). Second derivatives
are compared with a tight tolerance (PyTorch computes them in another order).
"""
import itertools
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

MODES = list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"],
                               [True, False]))


def _pair(a, requires_grad=True):
    return (torch.tensor(a, requires_grad=requires_grad),
            ember.tensor(a, requires_grad=requires_grad))


def _eq(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,padding,align", MODES)
def test_grid_sample_values_and_gradients(dtype, mode, padding, align):
    rng = np.random.default_rng(hash((mode, padding, align)) % 2**32)
    x = rng.standard_normal((2, 3, 5, 7)).astype(dtype)
    g = rng.uniform(-2.5, 2.5, (2, 4, 9, 2)).astype(dtype)
    g[0, 0, :4, 0] = [-1, 1, 0.5, 0]            # exact corners and midpoints
    tx, ex = _pair(x)
    tg, eg = _pair(g)
    ty = TF.grid_sample(tx, tg, mode, padding, align)
    ey = EF.grid_sample(ex, eg, mode, padding, align)
    _eq(ey, ty)
    assert ey.dtype == getattr(ember, np.dtype(dtype).name)
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__ == "GridSampler2DBackward0"
    w = rng.standard_normal(ty.shape).astype(dtype)
    (ty * torch.tensor(w)).sum().backward()
    (ey * ember.tensor(w)).sum().backward()
    _eq(ex.grad, tx.grad)
    _eq(eg.grad, tg.grad)


@pytest.mark.parametrize("mode,padding,align", MODES[::2] + MODES[1::5])
def test_grid_sample_second_derivatives(mode, padding, align):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 3, 4))
    g = rng.uniform(-1.3, 1.3, (1, 3, 2, 2))
    w, v1, v2 = (rng.standard_normal(s) for s in ((1, 2, 3, 2), x.shape, g.shape))
    results = []
    for T, F in ((torch, TF), (ember, EF)):
        xt, gt = T.tensor(x, requires_grad=True), T.tensor(g, requires_grad=True)
        y = F.grid_sample(xt, gt, mode, padding, align)
        gx, gg = T.autograd.grad((y * T.tensor(w)).sum(), (xt, gt), create_graph=True)
        assert type(gx.grad_fn).__name__ == "GridSampler2DBackwardBackward0"
        s = (gx * T.tensor(v1)).sum() + (gg * T.tensor(v2)).sum()
        got = T.autograd.grad(s, (xt, gt), allow_unused=True)
        results.append([0.0 if r is None else r.detach().numpy() for r in got])
    for e, t in zip(results[1], results[0]):    # PyTorch: None where nearest's is zero
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-13)


def test_grid_sample_gradcheck():
    rng = np.random.default_rng(5)
    x = ember.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    g = ember.tensor(rng.uniform(-1.2, 1.2, (1, 2, 3, 2)), requires_grad=True)
    for padding in ("zeros", "border", "reflection"):
        def f(a, b):
            return EF.grid_sample(a, b, padding_mode=padding, align_corners=False)
        assert ember.autograd.gradcheck(f, (x, g))
        assert ember.autograd.gradgradcheck(f, (x, g))


def test_grid_sample_one_input_requires_grad():
    x = np.arange(12.0, dtype=np.float32).reshape(1, 1, 3, 4)
    g = np.full((1, 1, 2, 2), 0.3, np.float32)
    for rx, rg in ((True, False), (False, True)):
        tx, ex = _pair(x, rx)
        tg, eg = _pair(g, rg)
        TF.grid_sample(tx, tg, align_corners=True).sum().backward()
        EF.grid_sample(ex, eg, align_corners=True).sum().backward()
        for e, t in ((ex, tx), (eg, tg)):
            assert (e.grad is None) == (t.grad is None)
            if t.grad is not None:
                _eq(e.grad, t.grad)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 6), (2, 1, 2, 3, 4), (1, 2, 1, 1, 3)])
@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_grid(size, align, dtype):
    rng = np.random.default_rng(1)
    k = len(size) - 2
    th = rng.standard_normal((size[0], k, k + 1)).astype(dtype)
    tt, et = _pair(th)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tg = TF.affine_grid(tt, size, align_corners=align)
        eg = EF.affine_grid(et, size, align_corners=align)
    _eq(eg, tg)
    assert type(eg.grad_fn).__name__ == "AffineGridGeneratorBackward0"
    w = rng.standard_normal(tg.shape).astype(dtype)
    (tg * torch.tensor(w)).sum().backward()
    (eg * ember.tensor(w)).sum().backward()
    # theta's gradient is a bmm over H*W points: BLAS sums in its own order
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(et.grad.numpy(), tt.grad.numpy(), rtol=tol, atol=tol)
    assert type(et.grad).__name__ == "Tensor"


def test_affine_grid_then_grid_sample():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    th = (np.eye(2, 3) + 0.2 * rng.standard_normal((2, 2, 3))).astype(np.float32)
    out = []
    for T, F in ((torch, TF), (ember, EF)):
        grid = F.affine_grid(T.tensor(th), (2, 3, 4, 4), align_corners=False)
        out.append(F.grid_sample(T.tensor(x), grid, align_corners=False).numpy())
    np.testing.assert_array_equal(out[1], out[0])


def test_align_corners_warnings():
    th = np.eye(2, 3, dtype=np.float32)[None]
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            grid = F.affine_grid(T.tensor(th), (1, 1, 2, 2))
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            F.grid_sample(T.zeros(1, 1, 2, 2), grid)
        with pytest.warns(UserWarning, match="for unit-size grids when align_corners=True"):
            F.affine_grid(T.tensor(th), (1, 1, 1, 2), align_corners=True)


def _both_raise(exc, match, fn):
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.raises(exc, match=match):
            fn(T, F)


def test_errors():
    th = np.eye(2, 3, dtype=np.float32)[None]
    _both_raise(ValueError, "Expected theta to have floating point type",
                lambda T, F: F.affine_grid(T.ones(1, 2, 3, dtype=T.int64), (1, 1, 2, 2), False))
    _both_raise(ValueError, "Expected a batch of 2D affine matrices of shape Nx2x3",
                lambda T, F: F.affine_grid(T.ones(1, 3, 4), (1, 1, 2, 2), False))
    _both_raise(ValueError, "Expected a batch of 3D affine matrices of shape Nx3x4",
                lambda T, F: F.affine_grid(T.tensor(th), (1, 1, 2, 2, 2), False))
    _both_raise(NotImplementedError, "affine_grid only supports 4D and 5D sizes",
                lambda T, F: F.affine_grid(T.tensor(th), (1, 2, 2), False))
    _both_raise(ValueError, "Expected non-zero, positive output size",
                lambda T, F: F.affine_grid(T.tensor(th), (1, 1, 0, 2), False))
    _both_raise(ValueError, "expected mode to be 'bilinear', 'nearest' or 'bicubic'",
                lambda T, F: F.grid_sample(T.ones(1, 1, 2, 2), T.zeros(1, 1, 1, 2), "cubic"))
    _both_raise(ValueError, "expected padding_mode to be 'zeros', 'border', or 'reflection'",
                lambda T, F: F.grid_sample(T.ones(1, 1, 2, 2), T.zeros(1, 1, 1, 2),
                                           padding_mode="circular"))
    _both_raise(RuntimeError, "expected grid to have size 2 in last dimension",
                lambda T, F: F.grid_sample(T.ones(1, 1, 2, 2), T.zeros(1, 1, 1, 1),
                                           align_corners=True))
    _both_raise(RuntimeError, "expected grid and input to have same batch size",
                lambda T, F: F.grid_sample(T.ones(2, 1, 2, 2), T.zeros(1, 1, 1, 2),
                                           align_corners=True))
    _both_raise(RuntimeError, "expected scalar type Float but found Double",
                lambda T, F: F.grid_sample(T.ones(1, 1, 2, 2), T.zeros(1, 1, 1, 2,
                                                                       dtype=T.float64),
                                           align_corners=True))
    _both_raise(NotImplementedError, "not implemented for 'Long'",
                lambda T, F: F.grid_sample(T.ones(1, 1, 2, 2, dtype=T.int64),
                                           T.zeros(1, 1, 1, 2, dtype=T.int64),
                                           align_corners=True))

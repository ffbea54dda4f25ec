"""Differential tests against PyTorch: F.unfold / F.fold (nn.Unfold / nn.Fold), F.lp_pool1d/2d/3d
(nn.LPPool1d/2d/3d) and F.gumbel_softmax."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

_RNG = np.random.default_rng(1234)


def _pair_tensors(a, grad=True):
    return (torch.tensor(a, requires_grad=grad), ember.tensor(a, requires_grad=grad))


def _np(t):
    return t.detach().numpy()


# -- unfold / fold --------------------------------------------------------------------------------

_GEOMS = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 3)),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=[1, 2], dilation=3, stride=(1, 2)),
    dict(kernel_size=(3, 3)),
]


@pytest.mark.parametrize("geom", _GEOMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("batched", [True, False])
def test_unfold_fold_values_and_grads(geom, dtype, batched):
    shape = (2, 3, 7, 8) if batched else (3, 7, 8)
    a = _RNG.standard_normal(shape).astype(dtype)
    xt, xe = _pair_tensors(a)
    yt, ye = TF.unfold(xt, **geom), EF.unfold(xe, **geom)
    assert tuple(ye.shape) == tuple(yt.shape) and str(ye.dtype) == str(yt.dtype)
    np.testing.assert_array_equal(_np(yt), _np(ye))
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__ == "Im2ColBackward0"
    g = _RNG.standard_normal(yt.shape).astype(dtype)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_array_equal(xt.grad.numpy(), xe.grad.numpy())   # col2im: summed overlaps

    # fold: the adjoint, bit-identical sums of the overlapping blocks in PyTorch's order
    c = _RNG.standard_normal(yt.shape).astype(dtype)
    ct, ce = _pair_tensors(c)
    ft, fe = TF.fold(ct, (7, 8), **geom), EF.fold(ce, (7, 8), **geom)
    np.testing.assert_array_equal(_np(ft), _np(fe))
    assert type(fe.grad_fn).__name__ == type(ft.grad_fn).__name__ == "Col2ImBackward0"
    h = _RNG.standard_normal(ft.shape).astype(dtype)
    ft.backward(torch.tensor(h))
    fe.backward(ember.tensor(h))
    np.testing.assert_array_equal(ct.grad.numpy(), ce.grad.numpy())


def test_fold_unfold_double_backward():
    a = _RNG.standard_normal((1, 2, 5, 5))
    xt, xe = _pair_tensors(a)
    outs = []
    for lib, F, x in ((torch, TF, xt), (ember, EF, xe)):
        y = F.unfold(x, 2, padding=1)
        w = lib.tensor(np.arange(np.prod(tuple(y.shape)), dtype=np.float64).reshape(
            tuple(y.shape)))
        g, = lib.autograd.grad((y * y * w).sum(), x, create_graph=True)
        assert type(g.grad_fn).__name__ != "NoneType"
        gg, = lib.autograd.grad(g.sum(), x)
        outs.append((_np(g), _np(gg), type(F.fold(y, (5, 5), 2, padding=1).grad_fn).__name__))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    assert outs[0][2] == outs[1][2] == "Col2ImBackward0"


def test_fold_bool_and_empty_batch():
    a = _RNG.random((1, 4, 4)) > 0.5
    np.testing.assert_array_equal(TF.fold(torch.tensor(a), (3, 3), 2).numpy(),
                                  EF.fold(ember.tensor(a), (3, 3), 2).numpy())
    z = np.zeros((0, 12, 20), np.float32)
    assert EF.fold(ember.tensor(z), (5, 6), 2).shape == tuple(TF.fold(torch.tensor(z),
                                                                       (5, 6), 2).shape)
    z = np.zeros((0, 2, 5, 5), np.float32)
    assert EF.unfold(ember.tensor(z), 2).shape == tuple(TF.unfold(torch.tensor(z), 2).shape)


_UNFOLD_ERRORS = [
    ((2,), dict(kernel_size=2)),
    ((), dict(kernel_size=2)),
    ((2, 3), dict(kernel_size=2)),
    ((1, 2, 3, 4, 5), dict(kernel_size=2)),
    ((2, 3, 5, 6), dict(kernel_size=(2, 2, 2))),
    ((2, 3, 5, 6), dict(kernel_size=0)),
    ((2, 3, 5, 6), dict(kernel_size=(0, 2))),
    ((2, 3, 5, 6), dict(kernel_size=2, dilation=0)),
    ((2, 3, 5, 6), dict(kernel_size=2, padding=-1)),
    ((2, 3, 5, 6), dict(kernel_size=2, stride=0)),
    ((2, 3), dict(kernel_size=2, stride=0)),
    ((2, 3, 5, 6), dict(kernel_size=7)),
    ((2, 3, 5, 6), dict(kernel_size=(6, 7))),
    ((2, 3, 5, 6), dict(kernel_size=7, stride=2)),
    ((2, 0, 5, 5), dict(kernel_size=2)),
    ((2, 3, 0, 5), dict(kernel_size=2)),
]

_FOLD_ERRORS = [
    ((2, 12, 20, 1), ((5, 6), 2), {}),
    ((20,), ((5, 6), 2), {}),
    ((), ((3, 3), 2), {}),
    ((2, 12, 20), ((5, 6), 3), {}),
    ((2, 13, 20), ((5, 6), 2), {}),
    ((13, 20), ((5, 6), 2), {}),
    ((2, 12, 20), ((5, 7), 2), {}),
    ((2, 12, 20), ((1, 1), 2), {}),
    ((2, 12, 20), ((0, 6), 2), {}),
    ((2, 12, 20), ((5, 6), 0), {}),
    ((2, 12, 20), ((5, 6), 2), dict(dilation=0)),
    ((2, 12, 20), ((5, 6), 2), dict(padding=-1)),
    ((2, 12, 20), ((5, 6), 2), dict(stride=0)),
    ((2, 12, 20), ((5, 6, 7), 2), {}),
    ((2, 0, 20), ((5, 6), 2), {}),
    ((2, 12, 0), ((5, 6), 2), {}),
]


def _same_error(call_t, call_e):
    with pytest.raises(Exception) as et:
        call_t()
    with pytest.raises(type(et.value), match="^" + __import__("re").escape(str(et.value)) + "$"):
        call_e()


@pytest.mark.parametrize("shape,kw", _UNFOLD_ERRORS)
def test_unfold_errors(shape, kw):
    a = np.zeros(shape, np.float32)
    _same_error(lambda: TF.unfold(torch.tensor(a), **kw), lambda: EF.unfold(ember.tensor(a), **kw))


@pytest.mark.parametrize("shape,args,kw", _FOLD_ERRORS)
def test_fold_errors(shape, args, kw):
    a = np.zeros(shape, np.float32)
    _same_error(lambda: TF.fold(torch.tensor(a), *args, **kw),
                lambda: EF.fold(ember.tensor(a), *args, **kw))


def test_fold_unfold_integer_dtype_errors():
    a = np.ones((1, 1, 4, 4), np.int64)
    _same_error(lambda: TF.unfold(torch.tensor(a), 2), lambda: EF.unfold(ember.tensor(a), 2))
    a = np.ones((1, 4, 4), np.int64)
    _same_error(lambda: TF.fold(torch.tensor(a), (3, 3), 2),
                lambda: EF.fold(ember.tensor(a), (3, 3), 2))


def test_fold_unfold_modules():
    for make in (lambda nn: nn.Unfold(2), lambda nn: nn.Unfold((2, 3), dilation=2, padding=1,
                                                                stride=2),
                 lambda nn: nn.Fold((4, 5), 2, stride=(1, 2)),
                 lambda nn: nn.Fold(output_size=4, kernel_size=(2, 2), padding=1)):
        mt, me = make(torch.nn), make(ember.nn)
        assert repr(mt) == repr(me)
        assert list(me.state_dict()) == list(mt.state_dict()) == []
    a = _RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(torch.nn.Unfold(2, padding=1)(torch.tensor(a)).numpy(),
                                  ember.nn.Unfold(2, padding=1)(ember.tensor(a)).numpy())
    c = _RNG.standard_normal((2, 12, 12)).astype(np.float32)
    np.testing.assert_array_equal(torch.nn.Fold((4, 5), 2)(torch.tensor(c)).numpy(),
                                  ember.nn.Fold((4, 5), 2)(ember.tensor(c)).numpy())


# -- LP pooling -----------------------------------------------------------------------------------
# The composition (avg_pool of x**p, sign * relu(abs), mul, pow(1/p)) is PyTorch's, and every step
# but the last is bit-identical; the final `pow(1/p)` is ember's `Tensor.pow`, which rounds
# differently from PyTorch's vectorised CPU pow for non-integer exponents (0.5 included:
# PyTorch 2.13 does not take the sqrt path there), so values and gradients are compared to a few
# float32 ulps. Infinite norms (max pooling) are bit-identical.

_LP_CASES = [
    (EF.lp_pool1d, TF.lp_pool1d, (2, 3, 9), (2.0, 3), {}),
    (EF.lp_pool1d, TF.lp_pool1d, (3, 10), (1.5, 3, 2), {}),
    (EF.lp_pool1d, TF.lp_pool1d, (2, 3, 9), (3, 2), dict(ceil_mode=True)),
    (EF.lp_pool2d, TF.lp_pool2d, (2, 3, 9, 8), (2, 3, 2), {}),
    (EF.lp_pool2d, TF.lp_pool2d, (2, 3, 9, 8), (1.0, (2, 3)), {}),
    (EF.lp_pool2d, TF.lp_pool2d, (3, 7, 7), (4, 2), dict(ceil_mode=True)),
    (EF.lp_pool3d, TF.lp_pool3d, (1, 2, 5, 6, 4), (2, 2), {}),
    (EF.lp_pool3d, TF.lp_pool3d, (1, 2, 5, 6, 4), (3.0, (2, 3, 2), 1), {}),
]


@pytest.mark.parametrize("fe,ft,shape,args,kw", _LP_CASES)
def test_lp_pool(fe, ft, shape, args, kw):
    a = (np.abs(_RNG.standard_normal(shape)) + 0.1).astype(np.float32)
    xt, xe = _pair_tensors(a)
    yt, ye = ft(xt, *args, **kw), fe(xe, *args, **kw)
    assert ye.shape == tuple(yt.shape)
    np.testing.assert_allclose(_np(ye), _np(yt), rtol=4e-7, atol=0)
    # the same graph: PowBackward0 <- MulBackward0 <- MulBackward0(sign, relu(abs)) <- ...
    chain = []
    for y in (yt, ye):
        names, node = [], y.grad_fn
        while node is not None:
            names.append(type(node).__name__)
            nxt = [f for f, _ in node.next_functions if f is not None]
            node = nxt[-1] if nxt else None
        chain.append(names)
    assert chain[0] == chain[1]
    g = _RNG.standard_normal(yt.shape).astype(np.float32)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("p", [float("inf"), -float("inf")])
def test_lp_pool_infinite_norm(p):
    a = _RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    for fe, ft, x in ((EF.lp_pool2d, TF.lp_pool2d, a), (EF.lp_pool1d, TF.lp_pool1d, a[0]),
                      (EF.lp_pool3d, TF.lp_pool3d, a[None])):
        xt, xe = _pair_tensors(x)
        yt, ye = ft(xt, p, 2), fe(xe, p, 2)
        np.testing.assert_array_equal(_np(yt), _np(ye))
        assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
        yt.sum().backward()
        ye.sum().backward()
        np.testing.assert_array_equal(xt.grad.numpy(), xe.grad.numpy())


def test_lp_pool_modules():
    for make, shape in ((lambda nn: nn.LPPool1d(2, 3), (2, 3, 9)),
                        (lambda nn: nn.LPPool2d(1.5, (2, 3), stride=2, ceil_mode=True),
                         (2, 3, 7, 8)),
                        (lambda nn: nn.LPPool3d(3, 2), (1, 2, 4, 4, 4))):
        mt, me = make(torch.nn), make(ember.nn)
        assert repr(mt) == repr(me)
        assert list(me.state_dict()) == []
        a = (np.abs(_RNG.standard_normal(shape)) + 0.1).astype(np.float32)
        np.testing.assert_allclose(me(ember.tensor(a)).numpy(), mt(torch.tensor(a)).numpy(),
                                   rtol=4e-7)


def test_lp_pool_errors():
    a = np.zeros((2, 3, 4, 4), np.float32)
    _same_error(lambda: TF.lp_pool2d(torch.tensor(a), 2, 5),
                lambda: EF.lp_pool2d(ember.tensor(a), 2, 5))
    _same_error(lambda: TF.lp_pool1d(torch.tensor(a[0]), 2, 5),
                lambda: EF.lp_pool1d(ember.tensor(a[0]), 2, 5))


# -- gumbel_softmax -------------------------------------------------------------------------------
# The Gumbel noise (exponential_ draws, log) and `(logits + g) / tau` are bit-identical with the
# same seed; the softmax is ember's, which can round its last bit differently from PyTorch's
# vectorised last-dim kernel, so the soft samples are compared to 1 ulp-ish; the hard samples'
# one-hot positions and the generator state afterwards are exact.

@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim,shape,tau", [(-1, (4, 5), 0.5), (0, (3, 6), 1), (1, (2, 3, 4), 2.0)])
def test_gumbel_softmax(hard, dim, shape, tau):
    a = _RNG.standard_normal(shape).astype(np.float32)
    xt, xe = _pair_tensors(a)
    torch.manual_seed(7)
    ember.manual_seed(7)
    yt = TF.gumbel_softmax(xt, tau=tau, hard=hard, dim=dim)
    ye = EF.gumbel_softmax(xe, tau=tau, hard=hard, dim=dim)
    np.testing.assert_allclose(_np(ye), _np(yt), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(_np(ye).argmax(dim), _np(yt).argmax(dim))
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    # the same number of draws: the generators are still in step
    np.testing.assert_array_equal(torch.rand(5).numpy(), ember.rand(5).numpy())
    g = _RNG.standard_normal(shape).astype(np.float32)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_gumbel_softmax_eps_warning():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        EF.gumbel_softmax(ember.zeros(2, 3), eps=1e-5)
    assert any("`eps` parameter is deprecated and has no effect." in str(x.message) for x in w)

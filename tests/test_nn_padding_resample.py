"""Padding and resampling against PyTorch: F.pad (constant / reflect / replicate / circular),
F.interpolate (nearest, nearest-exact, linear, bilinear, trilinear), pixel (un)shuffle,
channel shuffle, their modules, reprs and errors. Values and gradients are compared bit for
bit (float32 linear interpolation reproduces PyTorch's fused multiply-adds)."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402


def _pair(shape, dtype=np.float32, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)


def _check(fn, shape, dtype=np.float32, seed=0, second_name=True):
    """fn(F, x) on both libraries: same values, dtype, grad_fn name, gradient, and the name
    of the gradient's own grad_fn (double backward)."""
    t, e = _pair(shape, dtype, seed)
    yt, ye = fn(TF, t), fn(EF, e)
    assert tuple(ye.shape) == tuple(yt.shape)
    assert str(ye.dtype) == str(yt.dtype)
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    assert ye.grad_fn.name() == yt.grad_fn.name()
    g = np.random.default_rng(seed + 1).standard_normal(tuple(yt.shape)).astype(dtype)
    gt = torch.tensor(g, requires_grad=True)
    ge = ember.tensor(g, requires_grad=True)
    dt, = torch.autograd.grad(yt, t, gt, create_graph=True)
    de, = ember.autograd.grad(ye, e, ge, create_graph=True)
    np.testing.assert_array_equal(de.detach().numpy(), dt.detach().numpy())
    if second_name:
        assert de.grad_fn.name() == dt.grad_fn.name()


PADS = [((2, 3, 6), (2, 3)), ((3, 6), (1, -2)), ((2, 3, 5, 6), (2, 1, 3, 4)),
        ((3, 5, 6), (2, 1, -1, 4)), ((1, 2, 4, 5, 6), (1, 2, 3, 0, 2, 1)),
        ((2, 4, 5, 6), (3, 3, 3, 3, 3, 3))]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PADS)
def test_pad_modes(mode, shape, pad):
    # circular padding is a chain of slice copies: the gradient's graph is made of ember's
    # slice backward (an index_put), where PyTorch shows SliceBackwardBackward0
    _check(lambda F, x: F.pad(x, pad, mode=mode), shape, second_name=mode != "circular")


def test_pad_constant_value_dtypes_and_many_dims():
    _check(lambda F, x: F.pad(x, (1, 2, 0, 1, 2, 0, 1, 1), value=-1.5), (2, 3, 2, 2),
           np.float64)
    for T in (torch, ember):
        assert T.constant_pad_nd(T.tensor([1., 2.]), (1, 1), 3.).tolist() == [3., 1., 2., 3.]
    ti = TF.pad(torch.arange(5)[None], (1, 2), value=2.7)
    ei = EF.pad(ember.arange(5)[None], (1, 2), value=2.7)
    assert ei.tolist() == ti.tolist() and str(ei.dtype) == str(ti.dtype)
    tb = TF.pad(torch.tensor([[True, False]]), (1, 1), value=1)
    eb = EF.pad(ember.tensor([[True, False]]), (1, 1), value=1)
    assert eb.tolist() == tb.tolist()
    for T, F in ((torch, TF), (ember, EF)):
        assert F.pad(T.arange(4.).view(1, 2, 2), (1, 1, 1, 1), mode="reflect").tolist() == \
            TF.pad(torch.arange(4.).view(1, 2, 2), (1, 1, 1, 1), mode="reflect").tolist()


def _errors(fn):
    out = []
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.raises(Exception) as info:
            fn(T, F)
        out.append(info)
    (t, e) = out
    assert e.type is t.type, (e.value, t.value)
    assert str(e.value) == str(t.value)


@pytest.mark.parametrize("fn", [
    lambda T, F: F.pad(T.zeros(1, 2, 5), (1, 2, 3)),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (1,) * 8),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (-3, -3)),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (5, 1), mode="reflect"),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (1, 1, 1, 1, 1, 1), mode="reflect"),
    lambda T, F: F.pad(T.zeros(1, 2, 3, 5), (1, 1), mode="replicate"),
    lambda T, F: F.pad(T.zeros(5), (1, 1), mode="circular"),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (1, 1), mode="foo"),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (1, 1), mode="reflect", value=2.0),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (6, 1), mode="circular"),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (-3, -3), mode="circular"),
    lambda T, F: F.pad(T.zeros(1, 2, 5), (-6, 1), mode="replicate"),
    lambda T, F: F.pad(T.zeros(2, 0, 5), (1, 1), mode="reflect"),
    lambda T, F: F.pad(T.zeros(1, 2, 5), [1.5, 1]),
    lambda T, F: T.constant_pad_nd(T.zeros(2, 2), (1, 2, 3)),
])
def test_pad_errors(fn):
    _errors(fn)


INTERP = [
    ((2, 3, 5), dict(scale_factor=2)), ((2, 3, 5), dict(size=7)),
    ((2, 3, 5), dict(scale_factor=1.7)), ((2, 3, 5), dict(scale_factor=0.5)),
    ((2, 3, 5), dict(scale_factor=1.7, mode="nearest-exact")),
    ((2, 3, 5), dict(size=3, mode="nearest-exact")),
    ((2, 3, 5), dict(size=9, mode="linear")),
    ((2, 3, 5), dict(scale_factor=2.5, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=0.5, mode="linear")),
    ((2, 3, 5, 6), dict(scale_factor=2)), ((2, 3, 5, 6), dict(size=(7, 3))),
    ((2, 3, 5, 6), dict(scale_factor=1.5, mode="nearest-exact")),
    ((2, 3, 5, 6), dict(scale_factor=2, mode="bilinear")),
    ((2, 8, 5, 6), dict(scale_factor=2, mode="bilinear")),
    ((2, 11, 5, 6), dict(size=(7, 9), mode="bilinear", align_corners=True)),
    ((1, 3, 5, 6), dict(size=(70, 90), mode="bilinear")),              # the generic kernel
    ((2, 9, 5, 6), dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)),
    ((2, 2, 5, 6), dict(scale_factor=(0.6, 1.5), mode="bilinear")),
    ((2, 3, 2, 4, 3), dict(scale_factor=2)),
    ((2, 3, 2, 4, 3), dict(scale_factor=2, mode="trilinear")),
    ((2, 3, 2, 4, 3), dict(size=(3, 5, 7), mode="trilinear", align_corners=True)),
]


@pytest.mark.parametrize("shape,kw", INTERP)
def test_interpolate(shape, kw):
    _check(lambda F, x: F.interpolate(x, **kw), shape)


@pytest.mark.parametrize("shape,kw", [INTERP[6], INTERP[12], INTERP[19]])
def test_interpolate_float64(shape, kw):
    # PyTorch fuses float64 multiply-adds too (ember emulates them exactly: ember/_fma.py)
    t, e = _pair(shape, np.float64)
    np.testing.assert_array_equal(EF.interpolate(e, **kw).detach().numpy(),
                                  TF.interpolate(t, **kw).detach().numpy())


@pytest.mark.parametrize("fn", [
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), size=(3,)),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2)),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), size=3, scale_factor=2),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), size=3, recompute_scale_factor=True),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), size=3, align_corners=True),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), size=(3, 2.0)),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), scale_factor=(2,)),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), size=3, mode="linear"),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2), size=3, mode="bilinear"),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), size=3, mode="foo"),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2), scale_factor=0.1),
    lambda T, F: F.interpolate(T.zeros(1, 0, 2, 2), scale_factor=2, mode="bilinear"),
    lambda T, F: F.interpolate(T.zeros(1, 2, 2, 2, dtype=T.int64), scale_factor=2),
])
def test_interpolate_errors(fn):
    _errors(fn)


def test_upsample_aliases_warn():
    for F, T in ((TF, torch), (EF, ember)):
        x = T.arange(4.).view(1, 1, 2, 2)
        with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
            a = F.upsample_bilinear(x, scale_factor=2)
        with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
            b = F.upsample_nearest(x, size=3)
        with pytest.warns(UserWarning, match="functional.upsample` is deprecated"):
            c = F.upsample(x, size=3, mode="bilinear")
        if T is torch:
            ref = (a, b, c)
    for u, v in zip((a, b, c), ref):
        np.testing.assert_array_equal(u.numpy(), v.numpy())


def test_pixel_and_channel_shuffle():
    _check(lambda F, x: F.pixel_shuffle(x, 2), (2, 8, 3, 4))
    _check(lambda F, x: F.pixel_shuffle(x, 3), (9, 2, 2))
    _check(lambda F, x: F.pixel_unshuffle(x, 2), (2, 3, 4, 6))
    _check(lambda F, x: F.channel_shuffle(x, 3), (2, 6, 4))
    for T in (torch, ember):
        assert T.pixel_shuffle(T.arange(4.).view(1, 4, 1, 1), 2).flatten().tolist() == \
            [0., 1., 2., 3.]


@pytest.mark.parametrize("fn", [
    lambda T, F: F.pixel_shuffle(T.zeros(4, 4), 2),
    lambda T, F: F.pixel_shuffle(T.zeros(1, 5, 2, 2), 2),
    lambda T, F: F.pixel_shuffle(T.zeros(1, 4, 2, 2), 0),
    lambda T, F: F.pixel_unshuffle(T.zeros(1, 2, 3, 4), 2),
    lambda T, F: F.pixel_unshuffle(T.zeros(1, 2, 4, 3), 2),
    lambda T, F: F.channel_shuffle(T.zeros(1, 5, 2), 2),
    lambda T, F: F.channel_shuffle(T.zeros(5), 1),
])
def test_shuffle_errors(fn):
    _errors(fn)


MODULES = [
    ("ZeroPad1d", (2,), (1, 2, 4)), ("ZeroPad2d", ((1, 2, 3, 4),), (1, 2, 3, 4)),
    ("ZeroPad3d", (1,), (1, 1, 2, 2, 2)), ("ConstantPad1d", (2, 3.5), (1, 2, 4)),
    ("ConstantPad2d", ((1, 2, 3, 4), 0), (2, 3, 4)), ("ConstantPad3d", (1, -1), (1, 2, 2, 2)),
    ("ReflectionPad1d", (2,), (1, 2, 4)), ("ReflectionPad2d", ((1, 2, 2, 1),), (1, 2, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 1, 2, 3, 3)), ("ReplicationPad1d", ((1, 2),), (2, 4)),
    ("ReplicationPad2d", (2,), (1, 2, 3, 4)), ("ReplicationPad3d", (1,), (1, 2, 2, 2)),
    ("CircularPad1d", (1,), (1, 2, 4)), ("CircularPad2d", ((1, 2, 2, 1),), (1, 2, 3, 4)),
    ("CircularPad3d", (1,), (1, 1, 2, 3, 3)),
    ("Upsample", (None, 2), (1, 2, 3, 4)), ("Upsample", ((3, 5), None, "bilinear"), (1, 2, 3, 4)),
    ("Upsample", (4, None, "linear", True), (1, 2, 3)),
    ("Upsample", (None, (2, 1.5), "nearest-exact"), (1, 2, 3, 4)),
    ("UpsamplingNearest2d", (None, 2), (1, 2, 3, 4)), ("UpsamplingBilinear2d", (4,), (1, 2, 3, 3)),
    ("PixelShuffle", (2,), (1, 8, 2, 3)), ("PixelUnshuffle", (2,), (1, 2, 4, 2)),
    ("ChannelShuffle", (2,), (1, 4, 3)),
]


@pytest.mark.parametrize("name,args,shape", MODULES)
def test_modules(name, args, shape):
    mt, me = getattr(tnn, name)(*args), getattr(enn, name)(*args)
    assert repr(me) == repr(mt)
    assert me.extra_repr() == mt.extra_repr()
    assert list(me.state_dict()) == list(mt.state_dict()) == []
    _check(lambda F, x: (mt if F is TF else me)(x), shape, second_name="Circular" not in name)


def test_circular_module_checks_dims():
    _errors(lambda T, F: T.nn.CircularPad2d(1)(T.zeros(2, 3)))
    for T in (torch, ember):
        assert not isinstance(T.nn.ReflectionPad2d(1), T.nn.ReflectionPad1d)
        assert isinstance(T.nn.ZeroPad2d(1), T.nn.ConstantPad2d)


def test_conv_with_quiet_warnings_still_works():
    # the new F.pad composes with the layers that already pad internally
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ember.ones(1, 1, 4, 4)
        assert EF.pad(enn.Conv2d(1, 1, 3)(x), (1, 1, 1, 1), mode="reflect").shape == (1, 1, 4, 4)

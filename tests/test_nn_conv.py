"""Convolution and pooling layers against PyTorch: Conv1d/2d/3d, ConvTranspose1d/2d, MaxPool1d/2d,
AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d, Dropout2d; their functional forms,
reprs, default initialisation, errors, and a few training steps of a LeNet-style CNN.

Values and gradients are compared in float64 to 1e-10 (the GEMMs add in a different order
than PyTorch's kernels), in float32 relative to the size of the sums; pooling is compared bit
for bit (same order of operations as PyTorch's loops).
"""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402
from ember.nn.modules import conv as C  # noqa: E402
from ember.nn.modules import pooling as P  # noqa: E402

TIGHT = dict(rtol=1e-10, atol=1e-10)


def data(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def compare(e_fn, t_fn, arrays, tol=TIGHT, grad=True, exact=False, check_node=True):
    """Same inputs to both: outputs, node names and the gradients of every input."""
    es = [ember.tensor(a, requires_grad=grad) for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad) for a in arrays]
    oe, ot = e_fn(*es), t_fn(*ts)
    if isinstance(ot, tuple):
        np.testing.assert_array_equal(oe[1].numpy(), ot[1].numpy())       # indices
        oe, ot = oe[0], ot[0]
    assert tuple(oe.shape) == tuple(ot.shape)
    check = np.testing.assert_array_equal if exact else \
        (lambda a, b, **k: np.testing.assert_allclose(a, b, **tol, **k))
    check(oe.detach().numpy(), ot.detach().numpy())
    if not grad:
        return oe, ot
    if check_node:
        assert oe.grad_fn.name() == ot.grad_fn.name()
    g = data(tuple(ot.shape), 42, arrays[0].dtype)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    for i, (e, t) in enumerate(zip(es, ts)):
        check(e.grad.numpy(), t.grad.numpy(), err_msg=f"input {i}")
    return oe, ot


def copy_weights(e_model, t_model):
    with ember.no_grad():
        for (name, pe), (tname, pt) in zip(e_model.named_parameters(), t_model.named_parameters()):
            assert name == tname
            pe.copy_(ember.tensor(pt.detach().numpy()))


def same_params(e_model, t_model, **tol):
    for (name, pe), (_, pt) in zip(e_model.named_parameters(), t_model.named_parameters()):
        np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), err_msg=name, **tol)


def raises_like(e_fn, t_fn):
    with pytest.raises(Exception) as te:
        t_fn()
    with pytest.raises(type(te.value)) as ee:
        e_fn()
    assert str(ee.value) == str(te.value)


# -- convolution ----------------------------------------------------------------------------------

CONV2D = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 1), padding=(1, 2)),
    dict(padding=1, dilation=2),
    dict(stride=(1, 3), padding=(2, 0), dilation=(2, 1)),
    dict(groups=2, stride=2, padding=1),
    dict(padding="same"),
    dict(padding="same", dilation=(2, 3)),
    dict(padding="valid"),
]


@pytest.mark.parametrize("kw", CONV2D, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_float64(kw, bias):
    arrays = [data((2, 4, 9, 8)), data((6, 4 // kw.get("groups", 1), 3, 2), 1)]
    if bias:
        arrays.append(data((6,), 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                # padding='same' with an even kernel
        compare(lambda *a: C.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), arrays)


def test_conv2d_many_random_configurations():
    rng = np.random.default_rng(5)
    done = 0
    while done < 40:
        groups = int(rng.choice([1, 2, 3]))
        cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        kw = dict(stride=tuple(int(v) for v in rng.integers(1, 3, 2)),
                  padding=tuple(int(v) for v in rng.integers(0, 3, 2)),
                  dilation=tuple(int(v) for v in rng.integers(1, 3, 2)), groups=groups)
        size = tuple(int(v) for v in rng.integers(3, 10, 2))
        if any(size[i] + 2 * kw["padding"][i] < kw["dilation"][i] * (k[i] - 1) + 1
               for i in range(2)):
            continue
        arrays = [data((2, cin) + size, done), data((cout, cin // groups) + k, done + 1),
                  data((cout,), done + 2)]
        compare(lambda *a: C.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), arrays)
        done += 1


def test_conv2d_float32_lenet_shapes():
    """float32: the sums over 25 and 36864 products are rounded differently than in PyTorch;
    compare with a tolerance relative to their size."""
    x, w, b = data((64, 1, 28, 28), 0, np.float32), data((10, 1, 5, 5), 1, np.float32), \
        data((10,), 2, np.float32)
    es = [ember.tensor(a, requires_grad=True) for a in (x, w, b)]
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    oe, ot = C.conv2d(*es), TF.conv2d(*ts)
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = data(tuple(ot.shape), 3, np.float32)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    for e, t in zip(es, ts):
        scale = np.abs(t.grad.numpy()).max()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, groups=3),
                                dict(padding="same")], ids=str)
def test_conv1d(kw):
    arrays = [data((2, 3, 11)), data((6, 3 // kw.get("groups", 1), 3), 1), data((6,), 2)]
    compare(lambda *a: C.conv1d(*a, **kw), lambda *a: TF.conv1d(*a, **kw), arrays)


def test_conv3d():
    kw = dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2)
    arrays = [data((2, 4, 5, 6, 7)), data((4, 2, 2, 3, 2), 1), data((4,), 2)]
    compare(lambda *a: C.conv3d(*a, **kw), lambda *a: TF.conv3d(*a, **kw), arrays)


def test_conv_unbatched_input():
    arrays = [data((4, 9, 8)), data((6, 4, 3, 3), 1), data((6,), 2)]
    compare(C.conv2d, TF.conv2d, arrays)
    compare(C.conv1d, TF.conv1d, [data((4, 9)), data((6, 4, 3), 1)])


@pytest.mark.parametrize("kw", [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                     dilation=(1, 2), groups=2),
                                dict(dilation=2, output_padding=1)], ids=str)
def test_conv_transpose2d(kw):
    arrays = [data((2, 4, 5, 4)), data((4, 3, 3, 2), 1), data((3 * kw.get("groups", 1),), 2)]
    compare(lambda *a: C.conv_transpose2d(*a, **kw), lambda *a: TF.conv_transpose2d(*a, **kw),
            arrays)


def test_conv_transpose1d():
    kw = dict(stride=3, padding=1, output_padding=2)
    arrays = [data((2, 4, 6)), data((4, 5, 3), 1), data((5,), 2)]
    compare(lambda *a: C.conv_transpose1d(*a, **kw), lambda *a: TF.conv_transpose1d(*a, **kw),
            arrays)


def test_conv_empty_batch_and_integer_input():
    compare(C.conv2d, TF.conv2d, [data((0, 3, 6, 6)), data((2, 3, 3, 3), 1)])
    x = np.random.default_rng(0).integers(-5, 5, (2, 3, 6, 6))
    w = np.random.default_rng(1).integers(-5, 5, (4, 3, 3, 3))
    np.testing.assert_array_equal(C.conv2d(ember.tensor(x), ember.tensor(w)).numpy(),
                                  TF.conv2d(torch.tensor(x), torch.tensor(w)).numpy())


@pytest.mark.parametrize("fn,args", [
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(4, 5, 3, 3))),
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(4, 3, 9, 9))),
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(4, 3, 3, 3), T.zeros(5))),
    ("conv2d", lambda T: (T.randn(8, 8), T.randn(4, 3, 3, 3))),
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(4, 3, 3))),
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(3, 3))),
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(5, 1, 3, 3), None, 1, 0, 1, 3)),
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8).double(), T.randn(4, 3, 3, 3))),
    ("conv2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(4, 3, 3, 3).double())),
    ("conv1d", lambda T: (T.randn(2, 3, 8, 8), T.randn(4, 3, 3))),
    ("conv_transpose2d", lambda T: (T.randn(2, 3, 8, 8), T.randn(4, 3, 3, 3))),
])
def test_conv_errors(fn, args):
    raises_like(lambda: getattr(C, fn)(*args(ember)), lambda: getattr(TF, fn)(*args(torch)))


@pytest.mark.parametrize("kw", [dict(stride=0), dict(padding=-1), dict(padding="same", stride=2),
                                dict(groups=0),
                                dict(padding="foo"), dict(stride=(1, 1, 1))], ids=str)
def test_conv_argument_errors(kw):
    raises_like(lambda: C.conv2d(ember.ones(1, 3, 8, 8), ember.ones(4, 3, 3, 3), **kw),
                lambda: TF.conv2d(torch.ones(1, 3, 8, 8), torch.ones(4, 3, 3, 3), **kw))


def test_conv_transpose_output_padding_error():
    raises_like(lambda: C.conv_transpose2d(ember.ones(1, 3, 4, 4), ember.ones(3, 4, 3, 3),
                                           output_padding=1),
                lambda: TF.conv_transpose2d(torch.ones(1, 3, 4, 4), torch.ones(3, 4, 3, 3),
                                            output_padding=1))


def test_conv_second_derivatives_match_pytorch():
    """Double backward: d/d(x, w) of a function of the first derivatives."""
    def second(T, conv, transposed):
        rng = np.random.default_rng(3)
        shape_w = (4, 1, 3, 2) if transposed else (4, 2, 3, 2)
        x = T.tensor(rng.standard_normal((2, 4, 5, 6)), requires_grad=True)
        w = T.tensor(rng.standard_normal(shape_w), requires_grad=True)
        kw = dict(stride=2, padding=1, groups=2)
        if transposed:
            kw["output_padding"] = 1
        y = conv(x, w, **kw)
        gx, gw = T.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        z = (gx * gx).sum() + (gw.sin()).sum()
        return [t.detach().numpy() for t in T.autograd.grad(z, (x, w))], gx.grad_fn.name()
    for transposed, ec, tc in ((False, C.conv2d, TF.conv2d),
                               (True, C.conv_transpose2d, TF.conv_transpose2d)):
        (e, en), (t, tn) = second(ember, ec, transposed), second(torch, tc, transposed)
        assert en == tn == "ConvolutionBackwardBackward0"
        for a, b in zip(e, t):
            np.testing.assert_allclose(a, b, **TIGHT)


def test_conv_gradcheck():
    x = ember.tensor(data((1, 2, 5, 4)), requires_grad=True)
    w = ember.tensor(data((2, 1, 2, 3), 1), requires_grad=True)
    b = ember.tensor(data((2,), 2), requires_grad=True)
    for fn in (lambda x, w, b: C.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
               lambda x, w, b: C.conv_transpose2d(x, w, b, stride=2, groups=2, dilation=2)):
        assert ember.autograd.gradcheck(fn, (x, w, b))
        assert ember.autograd.gradgradcheck(fn, (x, w, b))


# -- convolution modules --------------------------------------------------------------------------

MODULES = [
    ("Conv2d", (1, 10), dict(kernel_size=5)),
    ("Conv2d", (4, 6, 3), dict(stride=2, padding=1, bias=False)),
    ("Conv2d", (4, 6, (3, 2)), dict(padding="same", dilation=2, groups=2)),
    ("Conv1d", (16, 33, 3), dict(stride=2)),
    ("Conv3d", (2, 4, 2), dict(padding=(1, 0, 1))),
    ("ConvTranspose2d", (16, 33, 3), dict(stride=2)),
    ("ConvTranspose2d", (4, 6, (3, 5)), dict(stride=(2, 1), padding=(1, 2), output_padding=1,
                                            groups=2, dilation=(1, 2))),
    ("ConvTranspose1d", (3, 5, 4), dict(bias=False)),
]


@pytest.mark.parametrize("name,args,kw", MODULES, ids=lambda v: str(v))
def test_conv_module_init_repr_state_dict(name, args, kw):
    ember.manual_seed(7)
    torch.manual_seed(7)
    e, t = getattr(C, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for (n, pe), (m, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert n == m and tuple(pe.shape) == tuple(pt.shape)
        np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy(), err_msg=n)


@pytest.mark.parametrize("name,args,kw", MODULES[:6], ids=lambda v: str(v))
def test_conv_module_forward_backward(name, args, kw):
    e, t = getattr(C, name)(*args, dtype=ember.float64, **kw), \
        getattr(tnn, name)(*args, dtype=torch.float64, **kw)
    copy_weights(e, t)
    nsp = {"1d": 1, "2d": 2, "3d": 3}[name[-2:]]
    x = data((2, args[0]) + (7,) * nsp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(e, t, [x])
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), err_msg=n, **TIGHT)


def test_conv_transpose_output_size():
    e, t = C.ConvTranspose2d(4, 3, 3, stride=2, dtype=ember.float64), \
        tnn.ConvTranspose2d(4, 3, 3, stride=2, dtype=torch.float64)
    copy_weights(e, t)
    x = data((1, 4, 5, 5))
    oe, ot = e(ember.tensor(x), output_size=[12, 12]), t(torch.tensor(x), output_size=[12, 12])
    assert tuple(oe.shape) == tuple(ot.shape) == (1, 3, 12, 12)
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), **TIGHT)
    raises_like(lambda: e(ember.tensor(x), output_size=[20, 20]),
                lambda: t(torch.tensor(x), output_size=[20, 20]))


@pytest.mark.parametrize("kw", [dict(groups=0), dict(groups=4), dict(padding="foo"),
                                dict(padding="same", stride=2)], ids=str)
def test_conv_module_constructor_errors(kw):
    raises_like(lambda: C.Conv2d(6, 6, 3, **kw), lambda: tnn.Conv2d(6, 6, 3, **kw))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("name,padding", [("Conv2d", (1, 2)), ("Conv2d", "same"),
                                          ("Conv1d", 2)], ids=str)
def test_conv_padding_modes(name, padding, mode):
    e = getattr(C, name)(2, 3, 3, padding=padding, padding_mode=mode, dtype=ember.float64)
    t = getattr(tnn, name)(2, 3, 3, padding=padding, padding_mode=mode, dtype=torch.float64)
    assert repr(e) == repr(t)
    copy_weights(e, t)
    compare(e, t, [data((2, 2, 5, 6) if name == "Conv2d" else (2, 2, 7))], check_node=False)
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), err_msg=n, **TIGHT)


def test_conv_padding_mode_errors():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        C.Conv2d(6, 6, 3, padding_mode="bad")
    with pytest.raises(ValueError) as te:
        tnn.ConvTranspose2d(6, 6, 3, padding_mode="reflect")
    with pytest.raises(ValueError) as ee:
        C.ConvTranspose2d(6, 6, 3, padding_mode="reflect")
    assert str(ee.value) == str(te.value)


# -- pooling ---------------------------------------------------------------------------------------

POOLS = [
    ("max_pool2d", dict(kernel_size=2)),
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    ("max_pool2d", dict(kernel_size=(3, 2), stride=(2, 3), padding=1, dilation=(2, 1),
                        ceil_mode=True, return_indices=True)),
    ("max_pool2d", dict(kernel_size=3, stride=1, padding=1)),
    ("max_pool1d", dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    ("max_pool1d", dict(kernel_size=2, ceil_mode=True, dilation=2)),
    ("avg_pool2d", dict(kernel_size=2)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ("avg_pool2d", dict(kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", dict(kernel_size=5, stride=1, padding=2, divisor_override=7)),
    ("avg_pool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ("adaptive_avg_pool2d", dict(output_size=(3, 5))),
    ("adaptive_avg_pool2d", dict(output_size=(7, 9))),
    ("adaptive_avg_pool2d", dict(output_size=(None, 2))),
    ("adaptive_avg_pool1d", dict(output_size=4)),
    ("adaptive_max_pool2d", dict(output_size=(3, 5), return_indices=True)),
    ("adaptive_max_pool2d", dict(output_size=(7, 9), return_indices=True)),
    ("adaptive_max_pool1d", dict(output_size=4, return_indices=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", POOLS, ids=str)
def test_pooling_bit_exact(name, kw, dtype):
    shape = (3, 4, 10, 9) if "2d" in name else (3, 4, 11)
    if name.startswith("adaptive") and "7" in str(kw):
        shape = (2, 3, 4, 5)
    compare(lambda x: getattr(P, name)(x, **kw), lambda x: getattr(TF, name)(x, **kw),
            [data(shape, 1, dtype)], exact=True)


def test_pooling_unbatched_and_integer_inputs():
    compare(lambda x: P.max_pool2d(x, 2, 1), lambda x: TF.max_pool2d(x, 2, 1),
            [data((3, 5, 5))], exact=True)
    compare(lambda x: P.avg_pool2d(x, 3, 2, 1), lambda x: TF.avg_pool2d(x, 3, 2, 1),
            [data((3, 5, 5))], exact=True)
    ints = np.random.default_rng(0).integers(-50, 50, (2, 3, 7, 6))
    for fn in ("max_pool2d", "avg_pool2d"):
        compare(lambda x: getattr(P, fn)(x, 3, 2, 1), lambda x: getattr(TF, fn)(x, 3, 2, 1),
                [ints], exact=True, grad=False)


def test_max_pool_nan_and_infinities_like_pytorch():
    """PyTorch keeps the last nan of a window, and for a window of -inf only the index of its
    first element inside the input."""
    x = data((1, 2, 4, 4), 0, np.float32)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    x[0, 1, :2, :2] = -np.inf
    compare(lambda a: P.max_pool2d(a, 3, 1, 1, return_indices=True),
            lambda a: TF.max_pool2d(a, 3, 1, 1, return_indices=True), [x], exact=True)
    compare(lambda a: P.adaptive_max_pool2d(a, 2, return_indices=True),
            lambda a: TF.adaptive_max_pool2d(a, 2, return_indices=True), [x], exact=True)


def test_max_pool_ties_take_the_first_maximum():
    x = np.zeros((1, 1, 4, 4), np.float32)
    compare(lambda a: P.max_pool2d(a, 2, 1, return_indices=True),
            lambda a: TF.max_pool2d(a, 2, 1, return_indices=True), [x], exact=True)


def test_global_average_pooling_is_a_mean():
    compare(lambda x: P.adaptive_avg_pool2d(x, 1), lambda x: TF.adaptive_avg_pool2d(x, 1),
            [data((2, 3, 4, 5))])


@pytest.mark.parametrize("name,kw", [
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("adaptive_avg_pool2d", dict(output_size=(4, 3))),
    ("adaptive_max_pool2d", dict(output_size=(4, 3))),
], ids=str)
def test_pooling_second_derivatives(name, kw):
    def second(T, fn):
        x = T.tensor(data((2, 3, 6, 5), 4), requires_grad=True)
        y = fn(x, **kw)
        gx, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        return T.autograd.grad((gx * gx).sum(), x)[0].numpy(), gx.grad_fn.name()
    (e, en), (t, tn) = second(ember, getattr(P, name)), second(torch, getattr(TF, name))
    assert en == tn
    np.testing.assert_allclose(e, t, **TIGHT)
    x = ember.tensor(data((1, 2, 5, 4), 5), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: getattr(P, name)(a, **kw), (x,))
    assert ember.autograd.gradgradcheck(lambda a: getattr(P, name)(a, **kw) ** 2, (x,))


@pytest.mark.parametrize("call", [
    lambda F, T: F.max_pool2d(T.ones(2, 3, 8, 8), 5, padding=3),
    lambda F, T: F.max_pool2d(T.ones(2, 3, 8, 8), 10),
    lambda F, T: F.max_pool2d(T.ones(2, 3, 8, 8), (2, 2, 2)),
    lambda F, T: F.max_pool2d(T.ones(2, 3, 8, 8), 2, dilation=0),
    lambda F, T: F.max_pool2d(T.ones(8, 8), 2),
    lambda F, T: F.avg_pool2d(T.ones(2, 3, 8, 8), 10),
    lambda F, T: F.avg_pool2d(T.ones(2, 3, 8, 8), 0),
    lambda F, T: F.max_pool1d(T.ones(2, 3, 8), 5, padding=3),
    lambda F, T: F.max_pool1d(T.ones(2, 3, 8, 8), 2),
    lambda F, T: F.avg_pool1d(T.ones(2, 3, 8, 8), 2),
    lambda F, T: F.adaptive_avg_pool2d(T.ones(3, 8), 3),
    lambda F, T: F.adaptive_avg_pool2d(T.ones(2, 3, 8, 8), (3, 3, 3)),
])
def test_pooling_errors(call):
    raises_like(lambda: call(P, ember), lambda: call(TF, torch))


@pytest.mark.parametrize("name,args,kw", [
    ("MaxPool2d", (2,), dict()),
    ("MaxPool2d", ((3, 2),), dict(stride=1, padding=1, dilation=(1, 2), ceil_mode=True,
                                  return_indices=True)),
    ("MaxPool1d", (3,), dict(stride=2)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ("AvgPool1d", (3,), dict(stride=2)),
    ("AdaptiveAvgPool2d", ((5, 7),), dict()),
    ("AdaptiveAvgPool2d", (1,), dict()),
    ("AdaptiveAvgPool1d", (3,), dict()),
    ("AdaptiveMaxPool2d", ((2, 3),), dict(return_indices=True)),
    ("AdaptiveMaxPool1d", (3,), dict()),
], ids=lambda v: str(v))
def test_pooling_modules(name, args, kw):
    e, t = getattr(P, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    assert repr(e) == repr(t)
    shape = (2, 3, 9, 10) if "2d" in name else (2, 3, 11)
    compare(e, t, [data(shape)], exact=True, check_node=False)


# -- channel dropout ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 6, 3, 3), (6, 3, 3)])
def test_dropout2d_draws_channel_masks_like_pytorch(shape):
    x = data(shape, 0, np.float32)
    ember.manual_seed(11)
    torch.manual_seed(11)
    e, t = ember.nn.Dropout2d(0.4), tnn.Dropout2d(0.4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(e, t, [x], exact=True, check_node=False)
    assert repr(e) == repr(t)


# -- a small CNN, trained --------------------------------------------------------------------------


def lenet(T, conv, pool):
    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = conv(1, 10, kernel_size=5)
            self.conv2 = conv(10, 20, kernel_size=5)
            self.fc = T.nn.Linear(320, 10)

        def forward(self, x):
            x = T.nn.functional.relu(pool(self.conv1(x), 2))
            x = T.nn.functional.relu(pool(self.conv2(x), 2))
            return self.fc(x.view(-1, 320))
    return Net()


def test_lenet_training_steps_match_pytorch():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = lenet(ember, C.Conv2d, P.max_pool2d), lenet(torch, tnn.Conv2d, TF.max_pool2d)
    same_params(e, t, rtol=0, atol=0)                  # the same initial weights
    assert repr(e) == repr(t)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 16)
        losses = []
        for model, T in ((e, ember), (t, torch)):
            model.zero_grad()
            loss = T.nn.functional.cross_entropy(model(T.tensor(x)), T.tensor(y))
            loss.backward()
            with T.no_grad():                          # plain SGD (optimizers: test_optim)
                for p in model.parameters():
                    p -= 0.05 * p.grad
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    same_params(e, t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("pool", ["max_pool1d", "max_pool2d", "max_pool3d"])
def test_max_pool_returns_the_first_maximum_with_its_sign_of_zero(pool):
    # PyTorch's loop keeps the first of equal maxima, so +0.0 before -0.0 pools to +0.0
    rng = np.random.default_rng(3)
    nd = int(pool[-2])
    values = rng.choice([0.0, -0.0, -1.0], size=(2, 3) + (4,) * nd).astype(np.float32)
    results = []
    for T in (torch, ember):
        out, idx = getattr(T.nn.functional, pool)(T.tensor(values), 2, return_indices=True)
        results.append((np.signbit(out.numpy()), out.numpy(), idx.numpy()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_max_pool_on_the_device_matches_the_cpu_with_signed_zeros_and_nans(gpu):
    rng = np.random.default_rng(4)
    values = rng.choice([0.0, -0.0, -1.0, np.nan, -np.inf], size=(2, 3, 6, 6))
    x = ember.tensor(values.astype(np.float32), requires_grad=True)
    xd = x.detach().cuda().requires_grad_()
    for t in (x, xd):
        out, idx = ember.nn.functional.max_pool2d(t, 3, stride=2, padding=1, return_indices=True)
        (out * ember.arange(float(out.numel()), device=t.device).reshape(out.shape)).sum() \
            .backward()
    cpu, dev = ember.nn.functional.max_pool2d(x, 3, stride=2, padding=1, return_indices=True), \
        ember.nn.functional.max_pool2d(xd, 3, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(np.signbit(dev[0].detach().cpu().numpy()),
                                  np.signbit(cpu[0].detach().numpy()))
    np.testing.assert_array_equal(dev[1].cpu().numpy(), cpu[1].numpy())
    np.testing.assert_array_equal(xd.grad.cpu().numpy(), x.grad.numpy())

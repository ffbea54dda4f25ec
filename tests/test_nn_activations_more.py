"""Differential tests (ember vs PyTorch) of the activations, alpha dropout, distance and
normalisation functions added in ops/activation_ops.py and nn/modules/{activation,dropout,
distance,instancenorm,normalization}.py."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _pair(shape, seed=0, scale=2.0, dtype=np.float32):
    a = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)
    return (ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))


def _np(t):
    return t.detach().numpy()


def _check(e_fn, t_fn, shapes, exact=True, grad_exact=None, seeds=None, scale=2.0,
           dtype=np.float32):
    """Compare value, dtype, shape, grad_fn name and the gradients of all inputs."""
    grad_exact = exact if grad_exact is None else grad_exact
    pairs = [_pair(s, seed, scale, dtype) for seed, s in enumerate(shapes)]
    ye, yt = e_fn(*[p[0] for p in pairs]), t_fn(*[p[1] for p in pairs])
    assert tuple(ye.shape) == tuple(yt.shape)
    assert str(ye.dtype) == str(yt.dtype)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    if exact:
        np.testing.assert_array_equal(_np(ye), _np(yt))
    else:                               # PyTorch's vectorised exp/log1p/tanh: 1 ulp apart
        np.testing.assert_allclose(_np(ye), _np(yt), rtol=3e-7, atol=1e-7)
    g = np.random.default_rng(99).standard_normal(tuple(yt.shape)).astype(dtype)
    ge = ember.autograd.grad(ye, [p[0] for p in pairs], ember.tensor(g))
    gt = torch.autograd.grad(yt, [p[1] for p in pairs], torch.tensor(g))
    for a, b in zip(ge, gt):
        if grad_exact:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        else:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-6, atol=2e-6)
    return ye, yt


# -- activations --------------------------------------------------------------------------------

# (exact value, exact gradient): elu's backward and mish use exp/log1p/tanh, which PyTorch
# computes with its vectorised float32 functions (1 ulp); tanh's existing backward too
ACTIVATIONS = {
    "selu": (lambda F: F.selu, True, False),
    "celu": (lambda F: lambda x: F.celu(x, 0.7), True, False),
    "mish": (lambda F: F.mish, False, False),
    "hardswish": (lambda F: F.hardswish, True, True),
    "hardsigmoid": (lambda F: F.hardsigmoid, True, True),
    "softsign": (lambda F: F.softsign, True, True),
    "tanhshrink": (lambda F: F.tanhshrink, True, False),
    "softshrink": (lambda F: lambda x: F.softshrink(x, 0.7), True, True),
    "glu": (lambda F: lambda x: F.glu(x, 1), True, True),
    "glu_last": (lambda F: F.glu, True, True),
    "rrelu_eval": (lambda F: F.rrelu, True, True),
    "rrelu_eval_bounds": (lambda F: lambda x: F.rrelu(x, 0.1, 0.3), True, True),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name):
    make, exact, grad_exact = ACTIVATIONS[name]
    _check(make(EF), make(TF), [(4, 6)], exact, grad_exact, scale=3.0)


@pytest.mark.parametrize("name", ["selu", "celu", "mish", "hardswish", "hardsigmoid", "glu",
                                  "softshrink"])
def test_activation_float64_and_boundaries(name):
    make, _, _ = ACTIVATIONS[name]
    # (float64 exp: PyTorch vectorises it too, so elu-based values can differ by an ulp)
    _check(make(EF), make(TF), [(4, 6)], name not in ("mish", "selu", "celu"), False,
           dtype=np.float64, scale=3.0)
    edges = [-4.0, -3.0, -2.9, -0.7, -0.5, 0.0, 0.5, 0.7, 2.9, 3.0, 4.0, -0.0]
    xe = ember.tensor([edges, edges], requires_grad=True)
    xt = torch.tensor([edges, edges], requires_grad=True)
    ye, yt = make(EF)(xe), make(TF)(xt)
    np.testing.assert_allclose(_np(ye), _np(yt), rtol=1e-6, atol=1e-7)
    if name != "mish":      # signs of zeros too
        assert (np.signbit(_np(ye)) == np.signbit(_np(yt))).all()
    ge, = ember.autograd.grad(ye.sum(), xe)
    gt, = torch.autograd.grad(yt.sum(), xt)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["hardswish", "softshrink", "glu", "celu", "selu", "mish"])
def test_second_derivatives(name):
    make, _, _ = ACTIVATIONS[name]
    a = np.random.default_rng(3).uniform(-4, 4, (3, 4))
    xe = ember.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    ge, = ember.autograd.grad(make(EF)(xe).sum(), xe, create_graph=True)
    gt, = torch.autograd.grad(make(TF)(xt).sum(), xt, create_graph=True)
    assert ge.grad_fn.name() == gt.grad_fn.name()
    gge, = ember.autograd.grad((ge * ge).sum(), xe)
    ggt, = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(gge.numpy(), ggt.numpy(), rtol=1e-10, atol=1e-12)


def test_hardsigmoid_has_no_second_derivative():
    for T, F in ((torch, TF), (ember, EF)):
        x = T.tensor([0.5, -1.0], requires_grad=True)
        g, = T.autograd.grad(F.hardsigmoid(x).sum(), x, create_graph=True)
        assert g.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::hardsigmoid_backward is "
                                               "not implemented"):
            g.sum().backward()


@pytest.mark.parametrize("name, node", [("selu", "EluBackward1"), ("celu", "CeluBackward1"),
                                        ("mish", "MishBackward0"),
                                        ("hardswish", "HardswishBackward0"),
                                        ("hardsigmoid", "HardsigmoidBackward0"),
                                        ("rrelu", "RreluWithNoiseBackward1")])
def test_inplace(name, node):
    outs = []
    for T, F in ((torch, TF), (ember, EF)):
        x = T.tensor([[-1.5, 0.3, 2.0], [-0.2, 4.0, -3.5]], requires_grad=True)
        y = x * 1
        r = getattr(F, name)(y, inplace=True)
        assert r is y and y.grad_fn.name() == node
        g, = T.autograd.grad(y.sum(), x)
        outs.append((_np(y), g.numpy()))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            getattr(F, name)(x, inplace=True)
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-6)


def test_top_level_functions():
    x = np.array([-2.0, -0.5, 0.0, 1.5], np.float32)
    for name, args in (("selu", ()), ("celu", (0.5,)), ("rrelu", (0.2, 0.4))):
        ye, yt = getattr(ember, name)(ember.tensor(x), *args), getattr(torch, name)(
            torch.tensor(x), *args)
        np.testing.assert_array_equal(ye.numpy(), yt.numpy())
    for name in ("selu_", "celu_", "rrelu_"):
        te, tt = ember.tensor(x), torch.tensor(x)
        getattr(ember, name)(te)
        getattr(torch, name)(tt)
        np.testing.assert_array_equal(te.numpy(), tt.numpy())


def test_rrelu_training_draws_match_torch():
    a = np.random.default_rng(5).standard_normal((7, 9)).astype(np.float32)
    for dtype in (np.float32, np.float64):
        torch.manual_seed(123)
        ember.manual_seed(123)
        xt = torch.tensor(a.astype(dtype), requires_grad=True)
        xe = ember.tensor(a.astype(dtype), requires_grad=True)
        yt = TF.rrelu(xt, training=True)
        ye = EF.rrelu(xe, training=True)
        np.testing.assert_array_equal(_np(ye), _np(yt))
        assert ye.grad_fn.name() == yt.grad_fn.name() == "RreluWithNoiseBackward0"
        ye.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(xe.grad.numpy(), xt.grad.numpy())
        # the generator moved on by the same amount
        np.testing.assert_array_equal(ember.rand(3).numpy(), torch.rand(3).numpy())
    # the module draws in training mode, not in eval mode
    torch.manual_seed(1)
    ember.manual_seed(1)
    mt, me = tnn.RReLU(0.1, 0.9), enn.RReLU(0.1, 0.9)
    np.testing.assert_array_equal(me(ember.tensor(a)).numpy(), mt(torch.tensor(a)).numpy())
    np.testing.assert_array_equal(me.eval()(ember.tensor(a)).numpy(),
                                  mt.eval()(torch.tensor(a)).numpy())


def test_activation_errors():
    for T, F in ((torch, TF), (ember, EF)):
        ints = T.tensor([1, 2])
        for name, kernel in (("selu", "elu_cpu"), ("celu", "elu_cpu"), ("mish", "mish_cpu"),
                             ("hardswish", "hardswish_cpu"), ("hardsigmoid", "hardsigmoid_cpu"),
                             ("softshrink", "softshrink_check"), ("glu", "glu_cpu"),
                             ("rrelu", "leaky_relu_cpu")):
            with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for '
                                                          "'Long'"):
                getattr(F, name)(ints)
        x = T.randn(3, 4)
        with pytest.raises(RuntimeError, match=r"Halving dimension must be even, but "
                                               r"dimension 0 is size 3"):
            F.glu(x, 0)
        with pytest.raises(RuntimeError, match="glu does not support scalars"):
            F.glu(T.tensor(1.0))
        with pytest.raises(IndexError, match="Dimension out of range"):
            F.glu(x, 2)
        with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] "
                                               r"for input dtype Float, but found -1"):
            F.softshrink(x, -1.0)
        with pytest.raises(RuntimeError, match="ZeroDivisionError: alpha cannot be 0 for CELU"):
            F.celu(x, 0.0)
        with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
            F.rrelu(x, 0.5, 0.1)


MODULES = [
    ("SELU", (), {}), ("SELU", (True,), {}), ("CELU", (0.5,), {}), ("CELU", (), {"inplace": True}),
    ("Mish", (), {}), ("Mish", (True,), {}), ("Hardswish", (True,), {}), ("Hardsigmoid", (), {}),
    ("Softsign", (), {}), ("Tanhshrink", (), {}), ("Softshrink", (0.3,), {}), ("GLU", (), {}),
    ("GLU", (1,), {}), ("RReLU", (), {}), ("RReLU", (0.1, 0.2, True), {}), ("Softmax2d", (), {}),
    ("AlphaDropout", (0.3,), {}), ("FeatureAlphaDropout", (), {}), ("Dropout3d", (0.2,), {}),
    ("CosineSimilarity", (), {}), ("PairwiseDistance", (1.0,), {"keepdim": True}),
    ("InstanceNorm1d", (4,), {}), ("InstanceNorm2d", (3,), {"affine": True}),
    ("InstanceNorm3d", (3,), {"track_running_stats": True, "momentum": None}),
    ("LocalResponseNorm", (3,), {}), ("RMSNorm", ((3, 4),), {"eps": 1e-5}),
    ("RMSNorm", (5,), {"elementwise_affine": False}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_repr_and_state_dict(name, args, kwargs):
    me, mt = getattr(enn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    assert repr(me) == repr(mt)
    assert list(me.state_dict()) == list(mt.state_dict())
    for k, v in mt.state_dict().items():
        np.testing.assert_array_equal(me.state_dict()[k].numpy(), v.numpy())


def test_softmax2d():
    # (ember's softmax over a non-last dim can differ from PyTorch's by an ulp)
    _check(enn.Softmax2d(), tnn.Softmax2d(), [(2, 3, 4, 5)], False)
    _check(enn.Softmax2d(), tnn.Softmax2d(), [(3, 4, 5)], False)
    for m in (enn.Softmax2d(), tnn.Softmax2d()):
        with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D "
                                             "instead"):
            m(ember.ones(2, 3) if isinstance(m, enn.Module) else torch.ones(2, 3))


# -- dropout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, shape", [("alpha_dropout", (6, 7)),
                                         ("feature_alpha_dropout", (3, 4, 5)),
                                         ("dropout3d", (2, 3, 2, 2, 2)),
                                         ("dropout3d", (3, 2, 2, 2))])
def test_dropout_draws_match_torch(name, shape):
    for p in (0.2, 0.5):
        torch.manual_seed(7)
        ember.manual_seed(7)
        xe, xt = _pair(shape)
        ye, yt = getattr(EF, name)(xe, p, True), getattr(TF, name)(xt, p, True)
        np.testing.assert_array_equal(_np(ye), _np(yt))
        assert ye.grad_fn.name() == yt.grad_fn.name()
        ye.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(xe.grad.numpy(), xt.grad.numpy())
    # evaluation mode, p = 0 and p = 1
    xe, xt = _pair(shape)
    np.testing.assert_array_equal(_np(getattr(EF, name)(xe, 0.5, False)), _np(xe))
    np.testing.assert_array_equal(_np(getattr(EF, name)(xe, 1.0, True)),
                                  _np(getattr(TF, name)(xt, 1.0, True)))


def test_alpha_dropout_top_level_and_modules():
    a = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    torch.manual_seed(3)
    ember.manual_seed(3)
    np.testing.assert_array_equal(ember.alpha_dropout(ember.tensor(a), 0.4, True).numpy(),
                                  torch.alpha_dropout(torch.tensor(a), 0.4, True).numpy())
    np.testing.assert_array_equal(
        ember.feature_alpha_dropout(ember.tensor(a), 0.4, True).numpy(),
        torch.feature_alpha_dropout(torch.tensor(a), 0.4, True).numpy())
    np.testing.assert_array_equal(enn.AlphaDropout(0.3)(ember.tensor(a)).numpy(),
                                  tnn.AlphaDropout(0.3)(torch.tensor(a)).numpy())
    np.testing.assert_array_equal(enn.AlphaDropout(0.3).eval()(ember.tensor(a)).numpy(), a)
    te, tt = ember.tensor(a), torch.tensor(a)
    ember.alpha_dropout_(te, 0.4, True)
    torch.alpha_dropout_(tt, 0.4, True)
    np.testing.assert_array_equal(te.numpy(), tt.numpy())
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                                             "but got 1.5"):
            F.alpha_dropout(T.ones(3), 1.5)
        with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1"):
            T.alpha_dropout(T.ones(3), -0.5, True)
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
            F.feature_alpha_dropout(T.ones(3), 0.5, True)
        with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input to dropout3d"):
            F.dropout3d(T.ones(2, 3, 4), 0.5, False)


# -- distances ----------------------------------------------------------------------------------


def test_normalize():
    for p, dim in ((2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)):
        _check(lambda x: EF.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim), [(3, 5)],
               False)
    xe, xt = ember.zeros(2, 3), torch.zeros(2, 3)
    np.testing.assert_array_equal(EF.normalize(xe).numpy(), TF.normalize(xt).numpy())
    oe, ot = ember.empty(2, 3), torch.empty(2, 3)
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    EF.normalize(ember.tensor(a), out=oe)
    TF.normalize(torch.tensor(a), out=ot)
    np.testing.assert_array_equal(oe.numpy(), ot.numpy())


def test_cosine_similarity():
    # PyTorch's 2-norm reduction is vectorised: the norms can differ by an ulp
    _check(EF.cosine_similarity, TF.cosine_similarity, [(4, 6), (4, 6)], False)
    _check(lambda a, b: EF.cosine_similarity(a, b, 0), lambda a, b: TF.cosine_similarity(a, b, 0),
           [(4, 6), (1, 6)], False)
    _check(enn.CosineSimilarity(-1, 1e-3), tnn.CosineSimilarity(-1, 1e-3), [(2, 3, 5), (5,)],
           False)
    _check(ember.cosine_similarity, torch.cosine_similarity, [(3, 4), (3, 4)], False)
    ze, zt = EF.cosine_similarity(ember.zeros(2, 3), ember.ones(2, 3)), TF.cosine_similarity(
        torch.zeros(2, 3), torch.ones(2, 3))
    np.testing.assert_array_equal(ze.numpy(), zt.numpy())
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet "
                                               "common dtype is Long"):
            F.cosine_similarity(T.tensor([[1, 2]]), T.tensor([[1, 3]]))
        with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size "
                                               r"of tensor b \(4\) at non-singleton dimension 1"):
            F.cosine_similarity(T.ones(2, 3), T.ones(2, 4))
        with pytest.raises(IndexError, match="Dimension out of range"):
            F.cosine_similarity(T.ones(2, 3), T.ones(2, 3), dim=2)


def test_pairwise_distance():
    # (ember's vector norm sums float32 in float64: the norms can differ by an ulp)
    for p in (2.0, 1.0, 3.0):
        _check(lambda a, b: EF.pairwise_distance(a, b, p),
               lambda a, b: TF.pairwise_distance(a, b, p), [(4, 6), (4, 6)], False)
    _check(lambda a, b: EF.pairwise_distance(a, b, keepdim=True),
           lambda a, b: TF.pairwise_distance(a, b, keepdim=True), [(6,), (3, 6)], False)
    _check(enn.PairwiseDistance(), tnn.PairwiseDistance(), [(2, 3), (2, 3)], False)
    _check(ember.pairwise_distance, torch.pairwise_distance, [(2, 3), (2, 3)], False)
    xe, _ = _pair((2, 3))
    y = EF.pairwise_distance(xe, xe * 2)
    assert y.grad_fn.next_functions[0][0].name() == "AddBackward1"
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match"):
            F.pairwise_distance(T.ones(2, 3), T.ones(2, 4))


# -- normalisation ------------------------------------------------------------------------------


def test_instance_norm_functional():
    _check(EF.instance_norm, TF.instance_norm, [(2, 3, 5)], False)
    _check(lambda x, w, b: EF.instance_norm(x, weight=w, bias=b, eps=1e-3),
           lambda x, w, b: TF.instance_norm(x, weight=w, bias=b, eps=1e-3),
           [(2, 3, 4, 4), (3,), (3,)], False)
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.raises(ValueError, match=r"Expected more than 1 spatial element when "
                                             r"training, got input size"):
            F.instance_norm(T.ones(2, 3, 1))
        with pytest.raises(RuntimeError, match="Expected running_mean and running_var to be "
                                               "defined when use_input_stats is false"):
            F.instance_norm(T.ones(2, 3, 4), use_input_stats=False)


@pytest.mark.parametrize("cls, shape, kwargs", [
    ("InstanceNorm1d", (2, 3, 6), {}),
    ("InstanceNorm1d", (3, 6), {"affine": True}),
    ("InstanceNorm2d", (2, 3, 4, 5), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm2d", (3, 4, 5), {"track_running_stats": True, "momentum": 0.3}),
    ("InstanceNorm3d", (2, 3, 2, 3, 2), {"track_running_stats": True}),
])
def test_instance_norm_modules(cls, shape, kwargs):
    me, mt = getattr(enn, cls)(3, **kwargs), getattr(tnn, cls)(3, **kwargs)
    if me.affine:
        with ember.no_grad():
            me.weight.copy_(ember.tensor([0.5, 1.5, -1.0]))
            me.bias.copy_(ember.tensor([0.1, 0.0, 0.3]))
        with torch.no_grad():
            mt.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
            mt.bias.copy_(torch.tensor([0.1, 0.0, 0.3]))
    for train in (True, True, False):
        me.train(train)
        mt.train(train)
        _check(me, mt, [shape], False)
        for k, v in mt.state_dict().items():
            np.testing.assert_allclose(me.state_dict()[k].numpy(), v.numpy(), rtol=1e-6,
                                       atol=1e-7)
    with pytest.raises(ValueError, match="expected"):
        me(ember.ones(*((2,) * (len(shape) + 2))))


def test_instance_norm_num_features_mismatch():
    for nn_, T in ((enn, ember), (tnn, torch)):
        with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match "
                                             r"num_features \(4\), but got: 3."):
            nn_.InstanceNorm1d(4, affine=True)(T.ones(2, 3, 5))
        with pytest.warns(UserWarning, match="input's size at dim=1 does not match "
                                             "num_features"):
            nn_.InstanceNorm1d(4)(T.ones(2, 3, 5))


def test_local_response_norm():
    _check(lambda x: EF.local_response_norm(x, 3), lambda x: TF.local_response_norm(x, 3),
           [(2, 5, 7)], False)
    _check(lambda x: EF.local_response_norm(x, 2, 1e-2, 0.5, 2.0),
           lambda x: TF.local_response_norm(x, 2, 1e-2, 0.5, 2.0), [(2, 4, 3, 3)], False)
    _check(enn.LocalResponseNorm(4), tnn.LocalResponseNorm(4), [(1, 6, 2, 2, 3)], False)
    for T, F in ((torch, TF), (ember, EF)):
        with pytest.raises(ValueError, match="Expected 3D or higher dimensionality"):
            F.local_response_norm(T.ones(2, 3), 2)


def test_rms_norm():
    _check(lambda x: EF.rms_norm(x, (4,)), lambda x: TF.rms_norm(x, (4,)), [(3, 4)], False)
    _check(lambda x, w: EF.rms_norm(x, (3, 4), w, 1e-3),
           lambda x, w: TF.rms_norm(x, (3, 4), w, 1e-3), [(2, 3, 4), (3, 4)], False)
    _check(lambda x: ember.rms_norm(x, [4]), lambda x: torch.rms_norm(x, [4]), [(3, 4)], False,
           dtype=np.float64)
    _check(enn.RMSNorm(5), tnn.RMSNorm(5), [(2, 5)], False)
    for T, F in ((torch, TF), (ember, EF)):
        x = T.ones(2, 4, 3)
        with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input "
                                               r"with shape \[\*4\], but got input of "
                                               r"size\[2, 4, 3\]"):
            F.rms_norm(x, (4,))
        with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as "
                                               r"normalized_shape, but got weight of shape \[4\] "
                                               r"and normalized_shape = \[3\]"):
            F.rms_norm(x, (3,), T.ones(4))
        with pytest.raises(RuntimeError, match="Expected normalized_shape to be at least "
                                               "1-dimensional"):
            F.rms_norm(x, [])
    # float16 is computed in float32
    ye = EF.rms_norm(ember.ones(2, 3, dtype=ember.float16) * 3, (3,))
    yt = TF.rms_norm(torch.ones(2, 3, dtype=torch.float16) * 3, (3,))
    assert ye.dtype == ember.float16
    np.testing.assert_array_equal(ye.numpy(), yt.numpy())


def test_warnings_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EF.dropout3d(ember.ones(1, 2, 2, 2, 2), 0.5, False)

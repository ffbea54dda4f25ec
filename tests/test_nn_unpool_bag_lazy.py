"""Max unpooling (F.max_unpool1d/2d/3d, nn.MaxUnpool1d/2d/3d) and embedding bags
(F.embedding_bag, nn.EmbeddingBag) against PyTorch: values, gradients, dtypes, shapes,
grad_fn names, reprs and errors.

Values and table gradients are bit-identical. The one exception is the gradient for
`per_sample_weights`, a dot product that PyTorch hands to its BLAS (whose summation order
ember does not reproduce): it is compared with a tight tolerance.
"""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

LIBS = (torch, ember)


def _np(t):
    return None if t is None else t.detach().numpy()


def _both(fn):
    """fn(T) on both libraries, the results as NumPy arrays / names."""
    return [fn(T) for T in LIBS]


def _raises_same(fn, exc, match):
    for T in LIBS:
        with pytest.raises(exc, match=match):
            fn(T)


# -- max unpooling -----------------------------------------------------------------------------


def _unpool_case(T, dims, shape, kernel, stride, padding, output_size, dtype, seed=0,
                 module=False):
    x = T.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype,
                 requires_grad=True)
    F = T.nn.functional
    pool = getattr(F, f"max_pool{dims}d")
    out, idx = pool(x, kernel, stride, padding, return_indices=True)
    out = out.detach().requires_grad_()
    if module:
        m = getattr(T.nn, f"MaxUnpool{dims}d")(kernel, stride, padding)
        u = m(out, idx, output_size=output_size)
    else:
        u = getattr(F, f"max_unpool{dims}d")(out, idx, kernel, stride, padding, output_size)
    g = T.tensor(np.random.default_rng(seed + 1).standard_normal(tuple(u.shape)), dtype=dtype)
    (gi,) = T.autograd.grad(u, out, g)
    return _np(u), _np(gi), u.grad_fn.name(), str(u.dtype)


@pytest.mark.parametrize("dims,shape,kernel,stride,padding,output_size", [
    (1, (2, 3, 9), 2, None, 0, None),
    (1, (3, 9), 3, 2, 1, None),
    (1, (2, 2, 9), 2, 2, 0, [2, 2, 9]),
    (2, (2, 3, 6, 6), 2, None, 0, None),
    (2, (2, 5, 7), 3, 2, 1, None),
    (2, (1, 2, 5, 5), 2, 2, 0, (5, 5)),
    (2, (1, 2, 7, 6), (3, 2), (2, 1), (1, 0), None),
    (3, (1, 2, 4, 4, 4), 2, None, 0, None),
    (3, (2, 5, 5, 7), 3, 2, 1, None),
    (3, (1, 1, 5, 5, 5), 2, 2, 0, (1, 1, 5, 5, 5)),
])
@pytest.mark.parametrize("module", [False, True])
def test_max_unpool_matches(dims, shape, kernel, stride, padding, output_size, module):
    for dtype in ("float32", "float64"):
        (tu, tg, tn, td), (eu, eg, en, ed) = _both(
            lambda T: _unpool_case(T, dims, shape, kernel, stride, padding, output_size,
                                   getattr(T, dtype), module=module))
        np.testing.assert_array_equal(eu, tu)
        np.testing.assert_array_equal(eg, tg)
        assert en == tn and ed == td


def test_max_unpool_grad_fn_names_and_double_backward():
    for T in LIBS:
        x = T.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
        out, idx = T.nn.functional.max_pool2d(x, 2, return_indices=True)
        u = T.nn.functional.max_unpool2d(out, idx, 2)
        assert u.grad_fn.name() == "MaxUnpool2DBackward0"
        assert u.grad_fn.next_functions[0][0].name() == "MaxPool2DWithIndicesBackward0"
        o1, i1 = T.nn.functional.max_pool1d(x[0, 0], 2, return_indices=True)
        u1 = T.nn.functional.max_unpool1d(o1, i1, 2)
        assert u1.grad_fn.name() == "SqueezeBackward1"
        gu = T.ones(tuple(u.shape), dtype=u.dtype, requires_grad=True)
        (g,) = T.autograd.grad(u, out, gu, create_graph=True)
        assert g.grad_fn.name() == "ViewBackward0"
        (gg,) = T.autograd.grad(g.sum(), gu)
        np.testing.assert_array_equal(_np(gg), _np(u != 0).astype(np.float64))


def test_max_unpool_module_repr_and_dtypes():
    for n in (1, 2, 3):
        reprs = _both(lambda T: repr(getattr(T.nn, f"MaxUnpool{n}d")(2, padding=1)))
        assert reprs[0] == reprs[1]
        assert _both(lambda T: list(getattr(T.nn, f"MaxUnpool{n}d")(3).state_dict())) == [[], []]
    for dtype in ("float16", "float64"):
        a, b = _both(lambda T: T.nn.functional.max_unpool2d(
            T.tensor([[[[2.5]]]], dtype=getattr(T, dtype)), T.tensor([[[[2]]]]), 2))
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_array_equal(_np(b).astype(np.float64), _np(a).astype(np.float64))


def _pooled(T, shape=(1, 2, 4, 4)):
    x = T.tensor(np.arange(float(np.prod(shape))).reshape(shape), dtype=T.float32)
    return T.nn.functional.max_pool2d(x, 2, return_indices=True)


@pytest.mark.parametrize("call,exc,match", [
    (lambda T, o, i: T.nn.functional.max_unpool2d(o, i, 2, output_size=(9, 9)), ValueError,
     r"invalid output_size \"\(9, 9\)\" \(dim 0 must be between 2 and 6\)"),
    (lambda T, o, i: T.nn.functional.max_unpool2d(o, i, 2, output_size=(1,)), ValueError,
     "output_size should be a sequence containing 2 or 4 elements, but it has a length of '1'"),
    (lambda T, o, i: T.nn.functional.max_unpool2d(o, i * 10, 2), RuntimeError,
     r"Found an invalid max index: \d+ \(output volumes are of size 4x4\)"),
    (lambda T, o, i: T.nn.functional.max_unpool2d(o, i.int(), 2), RuntimeError,
     "elements in indices should be type int64 but got: Int"),
    (lambda T, o, i: T.nn.functional.max_unpool2d(o, i[..., :1], 2), RuntimeError,
     r"Expected shape of indices to be same as that of the input tensor \(\[1, 2, 2, 2\]\) "
     r"but got indices tensor with shape: \[1, 2, 2, 1\]"),
    (lambda T, o, i: T.nn.functional.max_unpool2d(o[0, 0], i[0, 0], 2), RuntimeError,
     "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 2 "
     "dimensions."),
    (lambda T, o, i: T.nn.functional.max_unpool2d(o.long(), i, 2), NotImplementedError,
     "\"max_unpool2d\" not implemented for 'Long'"),
    (lambda T, o, i: T.nn.functional.max_unpool2d(o, i, 3, padding=5), ValueError,
     r"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
     r"output_size\[0\]=-4"),
    (lambda T, o, i: T.nn.functional.max_unpool3d(o[0], i[0], 2), RuntimeError,
     "Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with 3 "
     "dimensions."),
    (lambda T, o, i: T.nn.functional.max_unpool3d(o[None], i[None], 2, stride=0),
     RuntimeError, r"strides should be greater than zero, but got stride: \[0, 0, 0\]"),
    (lambda T, o, i: T.nn.functional.max_unpool3d(o[None], i[None].int(), 2), RuntimeError,
     "elements in indices should be type int64"),
    (lambda T, o, i: T.nn.functional.max_unpool1d(o[0, 0], i[0, 0], 2), RuntimeError,
     r"Found an invalid max index: \d+ \(output volumes are of size 4x1\)"),
])
def test_max_unpool_errors(call, exc, match):
    _raises_same(lambda T: call(T, *_pooled(T)), exc, match)


def test_max_unpool_empty():
    _raises_same(lambda T: T.nn.functional.max_unpool2d(
        T.zeros(1, 0, 2, 2), T.zeros(1, 0, 2, 2, dtype=T.long), 2), RuntimeError,
        r"max_unpooling2d_forward_out_cpu\(\): Expected input to have non-zero size for "
        r"non-batch dimensions, but got \[1, 0, 2, 2\] with dimension 1 being empty.")
    a, b = _both(lambda T: tuple(T.nn.functional.max_unpool2d(
        T.zeros(0, 2, 2, 2), T.zeros(0, 2, 2, 2, dtype=T.long), 2).shape))
    assert a == b


# -- embedding bags ----------------------------------------------------------------------------

_RNG = np.random.default_rng(3)
_W = _RNG.standard_normal((20, 7)).astype(np.float32)
_IDX = _RNG.integers(0, 20, 90)
_OFFS = np.array([0, 4, 4, 30, 31, 60, 89])
_PSW = _RNG.standard_normal(90).astype(np.float32)
# (with include_last_offset, the last offset is the input's length: PyTorch's kernels disagree
# with each other, and one reads uninitialised memory, when it is shorter)
_LAST = np.array([0, 4, 4, 30, 31, 60, 90])


def _bag_case(T, dtype="float32", idx=_IDX, offsets=_OFFS, psw=False, module=False, **kw):
    w = T.tensor(_W, dtype=getattr(T, dtype), requires_grad=True)
    p = T.tensor(_PSW[:np.size(idx)].reshape(np.shape(idx)), dtype=getattr(T, dtype),
                 requires_grad=True) if psw else None
    i = T.tensor(idx)
    o = T.tensor(offsets) if offsets is not None else None
    if module:
        m = T.nn.EmbeddingBag.from_pretrained(w.detach(), freeze=False, **kw)
        w = m.weight
        r = m(i, o, per_sample_weights=p)
    else:
        r = T.nn.functional.embedding_bag(i, w, o, per_sample_weights=p, **kw)
    g = T.tensor(np.random.default_rng(5).standard_normal(tuple(r.shape)),
                 dtype=getattr(T, dtype))
    r.backward(g)
    return _np(r), _np(w.grad), _np(p.grad) if psw else None, r.grad_fn.name(), str(r.dtype)


@pytest.mark.parametrize("kw", [
    dict(mode="sum"), dict(mode="mean"), dict(mode="max"),
    dict(mode="sum", psw=True), dict(mode="sum", padding_idx=3),
    dict(mode="mean", padding_idx=-2, scale_grad_by_freq=True),
    dict(mode="sum", scale_grad_by_freq=True, psw=True, padding_idx=5),
    dict(mode="max", padding_idx=7, include_last_offset=True, offsets=_LAST),
    dict(mode="mean", include_last_offset=True, offsets=_LAST),
    dict(mode="sum", include_last_offset=True, offsets=_LAST, padding_idx=4, psw=True),
    dict(mode="sum", dtype="float64", psw=True),
    dict(mode="mean", dtype="float64"),
    dict(mode="max", idx=_IDX[:60].reshape(6, 10), offsets=None),
    dict(mode="mean", idx=_IDX[:60].reshape(6, 10), offsets=None, padding_idx=0),
    dict(mode="sum", idx=_IDX[:60].reshape(10, 6), offsets=None, psw=True),
    dict(mode="sum", module=True), dict(mode="max", module=True, include_last_offset=True,
                                         offsets=_LAST),
    dict(mode="mean", module=True, padding_idx=2),
])
def test_embedding_bag_matches(kw):
    t, e = _both(lambda T: _bag_case(T, **dict(kw)))
    np.testing.assert_array_equal(e[0], t[0])
    np.testing.assert_array_equal(e[1], t[1])
    if t[2] is not None:          # PyTorch's BLAS dot: a tolerance (see the module docstring)
        np.testing.assert_allclose(e[2], t[2], rtol=1e-5, atol=1e-5)
    assert e[3:] == t[3:]


def test_embedding_bag_max_norm_renorms_the_table():
    def run(T):
        w = T.tensor(_W * 3)
        r = T.nn.functional.embedding_bag(T.tensor(_IDX[:12]), w, T.tensor([0, 5]), max_norm=1.5,
                                          mode="sum")
        return _np(r), _np(w)
    (tr, tw), (er, ew) = _both(run)
    np.testing.assert_allclose(ew, tw, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(er, tr, rtol=1e-5, atol=1e-5)


def test_embedding_bag_empty_and_int32():
    for kw in (dict(mode="max"), dict(mode="sum")):
        a, b = _both(lambda T: _np(T.nn.functional.embedding_bag(
            T.tensor([], dtype=T.long), T.tensor(_W), T.tensor([0, 0]), **kw)))
        np.testing.assert_array_equal(b, a)
    a, b = _both(lambda T: _np(T.nn.functional.embedding_bag(
        T.tensor([1, 2, 3], dtype=T.int32), T.tensor(_W), T.tensor([0, 1]))))
    np.testing.assert_array_equal(b, a)


def test_embedding_bag_no_double_backward():
    for T in LIBS:
        w = T.tensor(_W, requires_grad=True)
        r = T.nn.functional.embedding_bag(T.tensor([1, 2, 3]), w, T.tensor([0, 1]), mode="sum")
        g = T.ones(tuple(r.shape), requires_grad=True)
        (gw,) = T.autograd.grad(r, w, g, create_graph=True)
        assert gw.grad_fn.name() == "EmbeddingBagBackwardBackward0"
        with pytest.raises(RuntimeError, match="the derivative for '_embedding_bag_backward' "
                                               "is not implemented"):
            T.autograd.grad(gw.sum(), g)


def test_embedding_bag_module_repr_init_state():
    for kw in (dict(), dict(mode="sum", padding_idx=-1, max_norm=1.0),
               dict(mode="max", norm_type=1.0, scale_grad_by_freq=True)):
        a, b = _both(lambda T: repr(T.nn.EmbeddingBag(10, 3, **kw)))
        assert a == b
    torch.manual_seed(0)
    ember.manual_seed(0)
    t, e = torch.nn.EmbeddingBag(6, 4, padding_idx=1), ember.nn.EmbeddingBag(6, 4, padding_idx=1)
    np.testing.assert_array_equal(_np(e.weight), _np(t.weight))
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
    pre = _both(lambda T: T.nn.EmbeddingBag.from_pretrained(T.tensor(_W)).weight.requires_grad)
    assert pre == [False, False]


@pytest.mark.parametrize("call,exc,match", [
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([1])),
     RuntimeError, "offsets\\[0\\] has to be 0, i.e., the first sequence in the mini-batch has "
                   "to start from position 0. However, got 1"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([0, 7])),
     RuntimeError, "offsets\\[-1\\] can not be greater than input's length 2 but got "
                   "offsets\\[-1\\] of 7"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 99]), w, T.tensor([0])),
     RuntimeError, "Index 1 of input takes value 99 which is not in the valid range \\[0, 20\\)"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, -1]), w, T.tensor([0]),
                                                mode="max"),
     RuntimeError, "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to "
                   "be -1"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1.0, 2.0]), w, T.tensor([0])),
     RuntimeError, "Expected tensor for argument #1 'indices' to have one of the following "
                   "scalar types: Long, Int; but got torch.FloatTensor instead"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w.long(), T.tensor([0])),
     RuntimeError, "Expected tensor for argument #1 'weight' to have one of the following "
                   "scalar types: Half, BFloat16, Float, Double; but got torch.LongTensor"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([0]), mode="x"),
     ValueError, "mode has to be one of sum, mean or max"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w), ValueError,
     "offsets has to be a 1D Tensor but got None"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([[0]])),
     ValueError, "offsets has to be a 1D Tensor"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([[1, 2]]), w, T.tensor([0])),
     ValueError, "if input is 2D, then offsets has to be None, as input is treated is a "
                 "mini-batch of fixed length sequences. However, found offsets of type"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([[[1]]]), w), ValueError,
     "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1]), w[0], T.tensor([0])),
     ValueError, "weight has to be a 2D Tensor, but got Tensor of dimension 1"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([0]),
                                                mode="mean", per_sample_weights=T.ones(2)),
     NotImplementedError, "per_sample_weights is only supported for mode='sum' "
                          "\\(got mode='mean'\\)"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([0]),
                                                mode="sum", per_sample_weights=T.ones(3)),
     ValueError, "embedding_bag: If per_sample_weights \\(torch.Size\\(\\[3\\]\\)\\) is not "
                 "None, then it must have the same shape as the input"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([0]),
                                                mode="max", scale_grad_by_freq=True),
     ValueError, "max mode does not support scaling the gradient by the frequency"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w, T.tensor([0]),
                                                padding_idx=20),
     RuntimeError, "padding_idx must be within the number of embeddings, -20 through 19, but "
                   "got 20"),
    (lambda T, w: T.nn.functional.embedding_bag(T.tensor([1, 2]), w.double(), T.tensor([0]),
                                                mode="sum", per_sample_weights=T.ones(2)),
     RuntimeError, "Expected tensor for argument #1 'weight' to have the same type as tensor "
                   "for argument #1 'per_sample_weights'; but type torch.DoubleTensor does "
                   "not equal torch.FloatTensor"),
    (lambda T, w: T.nn.EmbeddingBag(5, 2, padding_idx=5), AssertionError,
     "padding_idx must be within num_embeddings"),
    (lambda T, w: T.nn.EmbeddingBag.from_pretrained(w[0]), AssertionError,
     "Embeddings parameter is expected to be 2-dimensional"),
])
def test_embedding_bag_errors(call, exc, match):
    _raises_same(lambda T: call(T, T.tensor(_W)), exc, match)


def test_embedding_bag_old_argument_order_warns():
    for T in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = T.nn.functional.embedding_bag(T.tensor(_W), T.tensor([1, 2]), T.tensor([0]))
        assert tuple(r.shape) == (1, 7)
        assert "Argument order of nn.functional.embedding_bag was changed" in \
            str(caught[0].message)


def test_embedding_bag_first_derivatives_gradcheck():
    w = ember.tensor(_W[:6].astype(np.float64), requires_grad=True)
    p = ember.tensor(_PSW[:7].astype(np.float64), requires_grad=True)
    i, o = ember.tensor([0, 2, 2, 5, 1, 3, 2]), ember.tensor([0, 3, 3, 5])
    F = ember.nn.functional
    assert ember.autograd.gradcheck(
        lambda w, p: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p,
                                     padding_idx=1), (w, p))
    for mode in ("mean", "max"):
        assert ember.autograd.gradcheck(lambda w: F.embedding_bag(i, w, o, mode=mode), (w,))


# -- lazy modules ------------------------------------------------------------------------------

_LAZY = [
    ("LazyLinear", (3,), {}, (2, 5)),
    ("LazyLinear", (4,), dict(bias=False), (2, 3, 6)),
    ("LazyConv1d", (4, 3), dict(stride=2), (2, 3, 9)),
    ("LazyConv2d", (4, 3), dict(padding=1), (2, 3, 5, 5)),
    ("LazyConv2d", (4, 3), dict(groups=2), (4, 6, 6)),
    ("LazyConv3d", (2, 2), dict(bias=False), (1, 2, 3, 3, 3)),
    ("LazyConvTranspose1d", (4, 3), dict(stride=2, groups=2), (2, 4, 5)),
    ("LazyConvTranspose2d", (2, 3), dict(output_padding=1, stride=2), (1, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 2, 2, 2, 2)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), dict(affine=False), (4, 3, 2)),
    ("LazyBatchNorm2d", (), dict(momentum=None), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), dict(track_running_stats=False), (2, 2, 2, 3, 3)),
    ("LazyInstanceNorm1d", (), dict(affine=True, track_running_stats=True), (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), dict(affine=True), (2, 2, 2, 3, 3)),
]


def _lazy_run(T, name, args, kw, shape):
    T.manual_seed(0)
    m = getattr(T.nn, name)(*args, **kw)
    before = (repr(m), type(m).__name__, m.has_uninitialized_params(),
              [(k, repr(v)) for k, v in m.state_dict().items()])
    T.manual_seed(1)
    x = T.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    y = m(x)
    after = (repr(m), type(m).__name__, [type(p).__name__ for p in m.parameters()],
             [(k, tuple(v.shape), str(v.dtype)) for k, v in m.state_dict().items()])
    return m, before, after, {k: _np(v) for k, v in m.state_dict().items()}, x, y


@pytest.mark.parametrize("name,args,kw,shape", _LAZY)
def test_lazy_module_materialises_like_pytorch(name, args, kw, shape):
    tm, tb, ta, tstate, _, ty = _lazy_run(torch, name, args, kw, shape)
    em, eb, ea, estate, ex, ey = _lazy_run(ember, name, args, kw, shape)
    assert eb == tb                 # repr, class and (uninitialised) state before the forward
    assert ea == ta                 # ... and after it: the ordinary class, shapes, dtypes
    for k in tstate:                # the same initial draws
        if k.startswith("running_"):    # (the ordinary module's statistics, as tight as its
            np.testing.assert_allclose(estate[k], tstate[k], rtol=1e-6, atol=1e-8)  # own test)
        else:
            np.testing.assert_array_equal(estate[k], tstate[k], err_msg=k)
    # the output is the ordinary module's, whose kernels compare with PyTorch elsewhere (to a
    # tolerance for matmul and convolution)
    np.testing.assert_allclose(_np(ey), _np(ty), rtol=1e-5, atol=1e-5)
    assert not hasattr(em, "_initialize_hook") and not hasattr(em, "_load_hook")
    assert em.forward(ex).shape == ey.shape


def test_lazy_errors_before_forward():
    for T in LIBS:
        m = T.nn.LazyLinear(3)
        assert repr(m.weight) == "<UninitializedParameter>"
        assert T.nn.parameter.is_lazy(m.weight) and not T.nn.parameter.is_lazy(T.zeros(1))
        assert isinstance(m.weight, T.nn.Parameter)
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized "
                                               "parameter or buffer"):
            m.weight.shape
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in"):
            m.weight + 1
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in"):
            m.weight.sum()
        assert repr(T.nn.LazyBatchNorm1d().running_mean) == "<UninitializedBuffer>"
        m = T.nn.LazyLinear(3).double()
        assert type(m.weight).__name__ == "UninitializedParameter"
        assert m.weight.dtype == T.float64
        m(T.zeros(1, 2, dtype=T.float64))
        assert m.weight.dtype == T.float64 and type(m.weight) is T.nn.Parameter
    _raises_same(lambda T: T.nn.LazyConv2d(4, 3)(T.zeros(2, 3)), RuntimeError,
                 r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but got "
                 r"input of size: torch.Size\(\[2, 3\]\)")
    _raises_same(lambda T: T.nn.LazyConv2d(4, 3, groups=2)(T.zeros(1, 3, 4, 4)), ValueError,
                 "in_channels must be divisible by groups")
    _raises_same(lambda T: T.nn.LazyBatchNorm1d()(T.zeros(2, 3, 4, 5)), ValueError,
                 r"expected 2D or 3D input \(got 4D input\)")


def test_lazy_load_state_dict_materialises():
    for T in LIBS:
        T.manual_seed(0)
        src = T.nn.Linear(4, 3)
        m = T.nn.LazyLinear(3)
        m.load_state_dict(src.state_dict())
        assert type(m).__name__ == "LazyLinear" and tuple(m.weight.shape) == (3, 4)
        np.testing.assert_array_equal(_np(m.weight), _np(src.weight))
        y = m(T.ones(2, 4))
        assert type(m).__name__ == "Linear" and repr(m) == repr(src)
        np.testing.assert_array_equal(_np(y), _np(src(T.ones(2, 4))))

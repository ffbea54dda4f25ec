"""AdaptiveLogSoftmaxWithLoss and fractional max pooling, against PyTorch."""
import numpy as np
import pytest
import torch

import ember

# -- AdaptiveLogSoftmaxWithLoss --------------------------------------------------------------------
#
# The module is a composition of Linear layers and tensor ops; ember's Linear (its matmul) is
# not always bit-identical to PyTorch's BLAS for these shapes, so values and gradients are
# compared to float32 rounding (rtol 1e-5); the initial parameters (drawn from the same
# seed), the structure and the graph are compared exactly.


def _asm(lib, target, shape=(6, 16), head_bias=True, **kw):
    lib.manual_seed(0)
    m = lib.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10, 15], div_value=2.0,
                                          head_bias=head_bias, **kw)
    x = lib.randn(*shape, requires_grad=True)
    return m, x, lib.tensor(target)


def _graph_names(t):
    names, stack, seen = [], [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(type(node).__name__)
        stack.extend(n for n, _ in node.next_functions)
    return sorted(names)


def _close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("head_bias", [False, True])
def test_asm_parameters_repr_and_init(head_bias):
    (mt, _, _), (me, _, _) = (_asm(lib, [0], head_bias=head_bias) for lib in (torch, ember))
    st, se = mt.state_dict(), me.state_dict()
    assert list(st) == list(se)
    for k in st:
        assert tuple(st[k].shape) == tuple(se[k].shape)
        np.testing.assert_array_equal(st[k].numpy(), se[k].numpy())
    assert repr(mt) == repr(me)
    assert (me.shortlist_size, me.n_clusters, me.head_size, me.cutoffs) == \
        (mt.shortlist_size, mt.n_clusters, mt.head_size, mt.cutoffs)


def test_asm_forward_backward_log_prob_predict():
    target = [0, 7, 12, 19, 3, 10]
    res = {}
    for lib in (torch, ember):
        m, x, t = _asm(lib, target)
        out = m(x, t)
        out.loss.backward()
        res[lib] = (m, x, out)
    (mt, xt, ot), (me, xe, oe) = res[torch], res[ember]
    assert type(oe).__name__ == "_ASMoutput" and oe._fields == ("output", "loss")
    _close(ot.output, oe.output)
    _close(ot.loss, oe.loss)
    assert oe.output.dtype == ember.float32 and tuple(oe.loss.shape) == ()
    assert _graph_names(ot.loss) == _graph_names(oe.loss)
    _close(xt.grad, xe.grad)
    for (k, p), (_, q) in zip(mt.named_parameters(), me.named_parameters()):
        _close(p.grad, q.grad)
    _close(mt.log_prob(xt), me.log_prob(xe))
    assert _graph_names(mt.log_prob(xt)) == _graph_names(me.log_prob(xe))
    np.testing.assert_array_equal(mt.predict(xt).numpy(), me.predict(xe).numpy())
    np.testing.assert_array_equal(mt.log_prob(xt).argmax(1).numpy(), me.predict(xe).numpy())


def test_asm_unbatched_and_shortlist_only():
    for target in ([2, 0, 4], ):
        r = [_asm(lib, target, shape=(3, 16)) for lib in (torch, ember)]
        (mt, xt, tt), (me, xe, te) = r
        _close(mt(xt, tt).output, me(xe, te).output)
    (mt, xt, _), (me, xe, _) = (_asm(lib, [0]) for lib in (torch, ember))
    ot, oe = mt(xt[1], torch.tensor(13)), me(xe[1], ember.tensor(13))
    assert tuple(oe.output.shape) == () and _graph_names(ot.output) == _graph_names(oe.output)
    _close(ot.output, oe.output)
    _close(ot.loss, oe.loss)


def _both_raise(fn_t, fn_e, exc, match):
    with pytest.raises(exc, match=match):
        fn_t()
    with pytest.raises(exc, match=match):
        fn_e()


@pytest.mark.parametrize("cutoffs", [[], [5, 3], [0, 5], [5, 20], [5, 5], [5.5]])
def test_asm_bad_cutoffs(cutoffs):
    match = "cutoffs should be a sequence"
    _both_raise(lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs),
                lambda: ember.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs), ValueError, match)


@pytest.mark.parametrize("xs, ts, match", [
    ((4, 16), [1, 2, 3], "same size in the batch dimension"),
    ((3, 2, 16), [1, 2, 3], r"1D target tensor expects 2D input tensors"),
    ((3, 16), 1, r"0D target tensor expects 1D input tensors"),
    ((3, 16), [[1, 2, 3]], "multi-target not supported"),
    ((3, 16), [1, 20, 3], r"Target values should be in \[0, 19\], but values in range "
                          r"\[1, 20\] were found"),
    ((3, 16), [-1, 2, 3], r"values in range \[-1, 3\]"),
])
def test_asm_bad_targets(xs, ts, match):
    (mt, _, _), (me, _, _) = (_asm(lib, [0]) for lib in (torch, ember))
    _both_raise(lambda: mt(torch.randn(*xs), torch.tensor(ts)),
                lambda: me(ember.randn(*xs), ember.tensor(ts)), RuntimeError, match)


# -- fractional max pooling ------------------------------------------------------------------------
#
# Same seed -> same random samples -> same windows: values, indices and gradients are
# bit-identical (the window starts are computed in the input dtype's arithmetic, as PyTorch's
# CPU kernel does).

_DT = {torch.float32: ember.float32, torch.float64: ember.float64, torch.float16: ember.float16}


def _frac(lib, dt, nd, shape, k, out=None, ratio=None, seed=0, nan=False):
    lib.manual_seed(seed)
    x = lib.randn(*shape, dtype=dt)
    if nan:
        x.view(-1)[::7] = float("nan")
    x.requires_grad_()
    f = lib.nn.functional.fractional_max_pool2d if nd == 2 else \
        lib.nn.functional.fractional_max_pool3d
    o, i = f(x, k, output_size=out, output_ratio=ratio, return_indices=True)
    o.backward(lib.arange(o.numel(), dtype=dt).reshape(o.shape))
    return o, i, x.grad


@pytest.mark.parametrize("dt", list(_DT))
@pytest.mark.parametrize("nd, shape, k, out, ratio", [
    (2, (2, 3, 17, 13), 3, (9, 7), None),
    (2, (3, 25, 31), (2, 4), (11, 20), None),
    (2, (1, 2, 50, 50), 2, 33, None),
    (2, (2, 2, 9, 10), 2, 1, None),
    (3, (2, 2, 9, 11, 10), 2, (5, 6, 4), None),
    (3, (2, 7, 8, 9), (1, 2, 3), None, (0.5, 0.6, 0.4)),
])
def test_fractional_bit_identical(dt, nd, shape, k, out, ratio):
    for seed in range(3):
        t = _frac(torch, dt, nd, shape, k, out, ratio, seed)
        e = _frac(ember, _DT[dt], nd, shape, k, out, ratio, seed)
        for a, b in zip(t, e):
            assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
            np.testing.assert_array_equal(a.detach().float().numpy(),
                                          b.detach().float().numpy())
        assert type(t[0].grad_fn).__name__ == type(e[0].grad_fn).__name__ == \
            f"FractionalMaxPool{nd}DBackward0"


def test_fractional_nan_and_ties():
    t = _frac(torch, torch.float32, 2, (1, 2, 9, 9), 3, 5, nan=True)
    e = _frac(ember, ember.float32, 2, (1, 2, 9, 9), 3, 5, nan=True)
    for a, b in zip(t, e):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    s = [[[0.1, 0.2]]]
    ot, it = torch.nn.functional.fractional_max_pool2d(torch.zeros(1, 1, 5, 5), 2, 2, None,
                                                       True, torch.tensor(s))
    oe, ie = ember.nn.functional.fractional_max_pool2d(ember.zeros(1, 1, 5, 5), 2, 2, None,
                                                       True, ember.tensor(s))
    np.testing.assert_array_equal(it.numpy(), ie.numpy())


def test_fractional_double_backward_and_modules():
    for nd, shape in ((2, (1, 2, 7, 7)), (3, (1, 2, 7, 7, 7))):
        grads = []
        for lib in (torch, ember):
            lib.manual_seed(1)
            x = lib.randn(*shape, dtype=lib.float64, requires_grad=True)
            cls = lib.nn.FractionalMaxPool2d if nd == 2 else lib.nn.FractionalMaxPool3d
            m = cls(2, output_ratio=0.5)
            assert repr(m) == f"FractionalMaxPool{nd}d()" and list(m.state_dict()) == []
            y = m(x)
            g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
            gg, = lib.autograd.grad((g * g).sum(), x)
            grads.append((y, g, gg, _graph_names(g)))
        assert f"FractionalMaxPool{nd}DBackwardBackward0" in grads[0][3]
        assert grads[0][3] == grads[1][3]
        for a, b in zip(grads[0][:3], grads[1][:3]):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    s = ember.rand(1, 2, 2)
    m = ember.nn.FractionalMaxPool2d(2, output_size=3, return_indices=True, _random_samples=s)
    assert list(m.state_dict()) == ["_random_samples"]
    o, i = m(ember.randn(1, 2, 6, 6))
    assert i.dtype == ember.int64 and tuple(o.shape) == (1, 2, 3, 3)


def _err_cases():
    x2, x3 = (2, 3, 7, 7), (2, 3, 7, 7, 7)
    return [
        ("2d", x2, 3, dict(output_size=6), RuntimeError, "pool height 3 too large"),
        ("2d", x2, (2, 3), dict(output_size=(6, 6)), RuntimeError, "pool width 3 too large"),
        ("2d", x2, (3, 3, 3), dict(output_size=5), RuntimeError,
         "kernel_size must either be a single Int or tuple of Ints"),
        ("2d", x2, 3, dict(output_size=(5, 5, 5)), RuntimeError,
         "output_size must either be a single Int or tuple of Ints"),
        ("2d", (7, 7), 3, dict(output_size=5), IndexError, "Dimension out of range"),
        ("2d", (7, 7), 3, dict(output_size=5, s=(1, 3, 2)), RuntimeError,
         r"Expected 3D or 4D tensor, but got: \[7, 7\]"),
        ("2d", (2, 0, 7, 7), 3, dict(output_size=5), RuntimeError,
         r"non-zero size for non-batch dimensions, but got\[2, 0, 7, 7\] with dimension 1"),
        ("2d", x2, 3, dict(output_size=5, s=(2, 3, 2), sd="f64"), RuntimeError,
         "same dtype as input"),
        ("2d", x2, 3, dict(output_size=5, s=(1, 3, 2)), RuntimeError,
         r"size\(0\) no less then input batch size"),
        ("2d", x2, 3, dict(output_size=5, s=(2, 3, 3)), RuntimeError,
         r"size\(2\) equals to 2; got 3"),
        ("2d", x2, 3, dict(output_size=5, s=(2, 2, 2)), RuntimeError,
         r"size\(1\) equals to input channel size"),
        ("2d", x2, 3, dict(output_size=5, s=(2, 3)), RuntimeError, "to have 3 dimensions, got 2"),
        ("2d", x2, 3, dict(), ValueError, "requires specifying either an output_size"),
        ("2d", x2, 3, dict(output_ratio=0.5), TypeError, "has no len"),
        ("2d", x2, 3, dict(output_ratio=(0.5, 0.5, 0.5)), ValueError,
         "output_ratio to either be a single Int"),
        ("2d", x2, 2, dict(output_size=(2, -1)), RuntimeError,
         r"negative dimension -1: \[2, 3, 2, -1\]"),
        ("2d", x2, 3, dict(output_size=5, s=(2, 3, 2), xd="long"), NotImplementedError,
         "\"fractional_max_pool2d_out_frame\" not implemented for 'Long'"),
        ("3d", x3, 3, dict(output_size=5), RuntimeError, "pool time 3 too large"),
        ("3d", x3, (3, 2, 3), dict(output_size=(4, 6, 4)), RuntimeError,
         "pool height 2 too large"),
        ("3d", x3, 3, dict(output_size=(5, 5)), RuntimeError,
         "output_size must either be a single Int or tuple of three Ints"),
        ("3d", (7, 7, 7), 3, dict(output_size=4, s=(1, 3, 3)), RuntimeError,
         r"Expected 4D or 5D tensor, but got: \[7, 7, 7\]"),
        ("3d", x3, 3, dict(output_size=4, s=(2, 3, 2)), RuntimeError,
         r"size\(2\) equals to 3; got 2"),
        ("3d", x3, 3, dict(), ValueError, "fractional_max_pool3d requires specifying"),
    ]


@pytest.mark.parametrize("case", _err_cases(), ids=lambda c: c[5][:30])
def test_fractional_errors(case):
    kind, shape, k, kw, exc, match = case

    def call(lib):
        kw2 = dict(kw)
        s = kw2.pop("s", None)
        sd = lib.float64 if kw2.pop("sd", None) else lib.float32
        x = lib.randn(*shape)
        if kw2.pop("xd", None):
            x, sd = x.long(), lib.int64
        f = getattr(lib.nn.functional, f"fractional_max_pool{kind}")
        return f(x, k, _random_samples=None if s is None else lib.rand(*s).to(sd), **kw2)
    _both_raise(lambda: call(torch), lambda: call(ember), exc, match)


@pytest.mark.parametrize("make, exc, match", [
    (lambda nn: nn.FractionalMaxPool2d(2), ValueError, "requires specifying either"),
    (lambda nn: nn.FractionalMaxPool2d(2, 3, 0.5), ValueError, "only one of output_size"),
    (lambda nn: nn.FractionalMaxPool2d(2, output_ratio=1.5), ValueError,
     r"output_ratio must be between 0 and 1 \(got 1.5\)"),
    (lambda nn: nn.FractionalMaxPool3d(0, output_size=3), ValueError,
     "kernel_size must be greater than 0, but got 0"),
    (lambda nn: nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1.0)), ValueError,
     r"output_ratio must be between 0 and 1"),
])
def test_fractional_module_errors(make, exc, match):
    _both_raise(lambda: make(torch.nn), lambda: make(ember.nn), exc, match)

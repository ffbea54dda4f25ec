"""3-d pooling (max_pool3d, avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool3d and their
modules) against PyTorch: values, indices, first and second derivatives bit for bit, grad_fn
names, errors and module reprs; also local_response_norm (5-d) and interpolate(mode='area')
on 5-d inputs, which are built on them."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

RNG = np.random.default_rng(1234)


def _data(shape, kind="normal"):
    a = RNG.standard_normal(shape).astype(np.float32)
    if kind == "ties":                  # many equal values: PyTorch's first maximum wins
        a = np.round(a * 2).astype(np.float32)
    elif kind == "nan":                 # nans: PyTorch takes the last nan of a window
        a.flat[::7] = np.nan
    return a


def _run(T, fn, a):
    x = T.tensor(a, requires_grad=True)
    y = fn(T.nn.functional, x)
    y, idx = y if isinstance(y, tuple) else (y, None)
    gy = T.tensor((np.arange(y.numel(), dtype=np.float32) % 5 - 2).reshape(tuple(y.shape)))
    gx, = T.autograd.grad(y, x, gy, create_graph=True)
    return dict(y=y.detach().numpy(), idx=None if idx is None else idx.numpy(),
                gx=gx.detach().numpy(), dtype=str(y.dtype), name=y.grad_fn.name(),
                gname=gx.grad_fn.name() if gx.grad_fn is not None else None)


def _double_backward(T, fn, a):
    """d/d(grad_output) of <d y/d x . grad_output, w>: exercises the backward's backward."""
    x = T.tensor(a, requires_grad=True)
    y = fn(T.nn.functional, x)
    y = y[0] if isinstance(y, tuple) else y
    gy = T.tensor((np.arange(y.numel(), dtype=np.float32) % 5 - 2).reshape(tuple(y.shape)),
                  requires_grad=True)
    gx, = T.autograd.grad(y, x, gy, create_graph=True)
    w = T.tensor((np.arange(gx.numel(), dtype=np.float32) % 3 - 1).reshape(tuple(gx.shape)))
    ggy, = T.autograd.grad((gx * w).sum(), gy)
    return ggy.numpy()


CASES = {
    "max": (lambda F, x: F.max_pool3d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
            (2, 3, 7, 6, 5), "ties"),
    "max-dilation": (lambda F, x: F.max_pool3d(x, (2, 3, 2), (1, 2, 1), (1, 0, 1),
                                               dilation=(2, 1, 2), return_indices=True),
                     (2, 3, 7, 6, 5), "nan"),
    "max-unbatched": (lambda F, x: F.max_pool3d_with_indices(x, 2), (3, 4, 4, 5), "normal"),
    "max-noindices": (lambda F, x: F.max_pool3d(x, (1, 2, 3), stride=(1, 1, 2)),
                      (1, 2, 3, 4, 7), "ties"),
    "avg": (lambda F, x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True), (2, 3, 7, 6, 5), "normal"),
    "avg-exclude": (lambda F, x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True,
                                              count_include_pad=False),
                    (2, 3, 7, 6, 5), "normal"),
    "avg-divisor": (lambda F, x: F.avg_pool3d(x, (2, 3, 1), divisor_override=5),
                    (3, 7, 6, 5), "normal"),
    "adaptive-avg": (lambda F, x: F.adaptive_avg_pool3d(x, (3, 4, 2)), (2, 3, 7, 6, 5),
                     "normal"),
    "adaptive-avg-none": (lambda F, x: F.adaptive_avg_pool3d(x, (None, 4, 3)), (3, 7, 6, 5),
                          "normal"),
    "adaptive-avg-global": (lambda F, x: F.adaptive_avg_pool3d(x, 1), (2, 3, 4, 3, 5),
                            "normal"),
    "adaptive-max": (lambda F, x: F.adaptive_max_pool3d(x, (3, 4, 2), return_indices=True),
                     (2, 3, 7, 6, 5), "ties"),
    "adaptive-max-nan": (lambda F, x: F.adaptive_max_pool3d_with_indices(x, (3, 4, 2)),
                         (3, 7, 6, 5), "nan"),
    "lrn-5d": (lambda F, x: F.local_response_norm(x, 3), (2, 5, 3, 4, 2), "normal"),
    "area-5d": (lambda F, x: F.interpolate(x, size=(2, 3, 1), mode="area"), (2, 2, 5, 4, 3),
                "normal"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_gradients_names(name):
    fn, shape, kind = CASES[name]
    a = _data(shape, kind)
    t, e = _run(torch, fn, a), _run(ember, fn, a)
    np.testing.assert_array_equal(e["y"], t["y"])
    if t["idx"] is not None:
        assert e["idx"].dtype == t["idx"].dtype
        np.testing.assert_array_equal(e["idx"], t["idx"])
    np.testing.assert_array_equal(e["gx"], t["gx"])
    assert (e["dtype"], e["name"], e["gname"]) == (t["dtype"], t["name"], t["gname"])
    if t["gname"] is not None:
        np.testing.assert_array_equal(_double_backward(ember, fn, a),
                                      _double_backward(torch, fn, a))


def test_float64_and_int_dtypes():
    a = _data((1, 2, 4, 4, 4)).astype(np.float64)
    for f in ("max_pool3d", "avg_pool3d"):
        t = getattr(torch.nn.functional, f)(torch.tensor(a), 2)
        e = getattr(ember.nn.functional, f)(ember.tensor(a), 2)
        assert str(e.dtype) == str(t.dtype)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    ai = (a * 10).astype(np.int32)
    np.testing.assert_array_equal(ember.nn.functional.max_pool3d(ember.tensor(ai), 2).numpy(),
                                  torch.nn.functional.max_pool3d(torch.tensor(ai), 2).numpy())


MODULES = ["MaxPool3d(2)",
           "MaxPool3d((2, 1, 3), stride=1, padding=(1, 0, 1), return_indices=True, ceil_mode=True)",
           "AvgPool3d(2)", "AvgPool3d((2, 1, 3), stride=1, padding=(1, 0, 1))",
           "AvgPool3d(3, 2, 1, count_include_pad=False, divisor_override=2)",
           "AdaptiveAvgPool3d(2)", "AdaptiveAvgPool3d((2, None, 3))",
           "AdaptiveMaxPool3d((2, None, 3))", "AdaptiveMaxPool3d(2, return_indices=True)"]


@pytest.mark.parametrize("spec", MODULES)
def test_modules(spec):
    m_t = eval("nn." + spec, {"nn": torch.nn})
    m_e = eval("nn." + spec, {"nn": ember.nn})
    assert repr(m_e) == repr(m_t)
    assert list(m_e.state_dict()) == list(m_t.state_dict()) == []
    a = _data((2, 3, 6, 5, 7))
    y_t, y_e = m_t(torch.tensor(a)), m_e(ember.tensor(a))
    if isinstance(y_t, tuple):
        np.testing.assert_array_equal(y_e[1].numpy(), y_t[1].numpy())
        y_t, y_e = y_t[0], y_e[0]
    np.testing.assert_array_equal(y_e.numpy(), y_t.numpy())


ERRORS = [
    "F.max_pool3d(x, (2, 2))", "F.max_pool3d(x, 2, stride=(1, 1))",
    "F.max_pool3d(x, 2, padding=(1, 1))", "F.max_pool3d(x, 2, dilation=(1, 1))",
    "F.max_pool3d(x, 0)", "F.max_pool3d(x, 2, stride=0)", "F.max_pool3d(x, 2, dilation=0)",
    "F.max_pool3d(x, 2, padding=2)", "F.max_pool3d(x, 5)", "F.max_pool3d(x[0, 0], 2)",
    "F.max_pool3d(x[:, :0], 2)",
    "F.avg_pool3d(x, (2, 2))", "F.avg_pool3d(x, 2, stride=(1, 1))",
    "F.avg_pool3d(x, 2, padding=(1, 1))", "F.avg_pool3d(x, 0)", "F.avg_pool3d(x, 2, padding=2)",
    "F.avg_pool3d(x, 5)", "F.avg_pool3d(x[0, 0], 2)", "F.avg_pool3d(x, 2, divisor_override=0)",
    "F.avg_pool3d(x.int(), 2)",
    "F.adaptive_avg_pool3d(x, (2, 2))", "F.adaptive_avg_pool3d(x[0, 0], 2)",
    "F.adaptive_avg_pool3d(x[:, :0], 2)", "F.adaptive_avg_pool3d(x.int(), 2)",
    "F.adaptive_max_pool3d(x, (2, 2))", "F.adaptive_max_pool3d(x[0, 0], 2)",
    "F.adaptive_max_pool3d(x[:, :0], 2)",
]


def _error(T, expr):
    x = T.zeros(1, 2, 4, 4, 4)
    try:
        eval(expr, {"F": T.nn.functional, "x": x})
    except Exception as exc:        # noqa: BLE001 - the type is what is compared
        return type(exc), str(exc).split("\n")[0]
    return None, None


@pytest.mark.parametrize("expr", ERRORS)
def test_errors(expr):
    t_type, t_msg = _error(torch, expr)
    e_type, e_msg = _error(ember, expr)
    assert t_type is not None and e_type is t_type
    assert e_msg == t_msg

"""Shared helpers for the differential tests (ember against PyTorch, the oracle).

- `torch`: PyTorch, or the whole importing test module is skipped when it is missing
- `ember_and_torch(array)`: the same NumPy data as an (ember, torch) pair of tensors
- `assert_same(e, t)`: same dtype, shape and values (bit for bit unless told otherwise)
- `assert_same_error(fn_ember, fn_torch)`: both raise the same exception type
- `numerical_gradcheck(fn, inputs)`: ember's backward against central differences (float64),
  computed with ember alone
"""
import math
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402

# -- building the same tensor in both libraries ---------------------------------------------------

NP_DTYPES = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float16": np.float16, "float32": np.float32, "float64": np.float64,
}
REAL_DTYPE_NAMES = tuple(NP_DTYPES)
FLOAT_DTYPE_NAMES = ("float16", "float32", "float64")
INT_DTYPE_NAMES = ("uint8", "int8", "int16", "int32", "int64")


def ember_dtype(name):
    return getattr(ember, name)


def torch_dtype(name):
    return getattr(torch, name)


def ember_and_torch(array, requires_grad=False):
    """An (ember, torch) pair of tensors holding copies of the NumPy `array` (dtype kept)."""
    array = np.array(array, copy=True)
    e = ember.from_numpy(array.copy())
    t = torch.from_numpy(array.copy())
    if requires_grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


pair = ember_and_torch


def sample(shape, dtype_name, rng, *, low=None, high=None, nonzero=False, positive=False,
           specials=False):
    """Random NumPy data of a dtype: small integers for integer dtypes, normals for floats.

    `nonzero` avoids zeros (divisors), `positive` gives values > 0, `specials` mixes in
    0, -0, inf, -inf and nan (floats only).
    """
    dt = np.dtype(NP_DTYPES[dtype_name])
    if dt.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dt.kind in "iu":
        lo = (1 if positive else (0 if dt.kind == "u" else -9)) if low is None else low
        hi = 10 if high is None else high
        a = np.asarray(rng.integers(lo, hi, size=shape)).astype(dt)
        if nonzero:
            a[a == 0] = 1
        return a
    a = np.asarray(rng.standard_normal(shape)) * 3
    if positive:
        a = np.abs(a) + 0.1
    if low is not None or high is not None:
        a = np.asarray(rng.uniform(-3 if low is None else low, 3 if high is None else high,
                                   size=shape))
    a = np.asarray(a).astype(dt)
    if nonzero:
        a[a == 0] = 1
    if specials and a.size:
        flat = a.reshape(-1)
        pool = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype=dt)
        picks = rng.random(flat.shape) < 0.25
        flat[picks] = rng.choice(pool, size=int(picks.sum()))
    return a


# -- comparing -----------------------------------------------------------------------------------

_UINT_OF_SIZE = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _to_numpy(x):
    if isinstance(x, ember.Tensor):
        return np.asarray(x.detach().numpy())
    if torch.is_tensor(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _ulp_distance(a, b):
    """Distance in units in the last place between two float arrays of the same dtype
    (finite values; signed zeros are at distance 0 from each other)."""
    bits = _UINT_OF_SIZE[a.dtype.itemsize]
    signed = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    top = np.array(1, bits) << np.array(8 * a.dtype.itemsize - 1, bits)

    def ordered(x):
        u = x.view(bits).astype(bits)
        # map the sign-magnitude bit pattern to a monotonic integer line
        neg = (u & top) != 0
        mag = (u & ~top).astype(signed).astype(np.float64)
        return np.where(neg, -mag, mag)
    return np.abs(ordered(a) - ordered(b))


def assert_same_values(e_array, t_array, *, exact=True, rtol=None, atol=0.0, ulp=None, what=""):
    """Values equal: bit for bit (nan matches any nan, -0.0 differs from 0.0) when `exact`,
    else within `ulp` units in the last place or `rtol`/`atol` (infinities, nan positions and
    the sign of zeros must still agree where the expected value is not nan)."""
    a, b = np.asarray(e_array), np.asarray(t_array)
    assert a.shape == b.shape, f"{what}shape {a.shape} != torch {b.shape}"
    assert a.dtype == b.dtype, f"{what}numpy dtype {a.dtype} != torch {b.dtype}"
    if a.dtype.kind == "b" or a.dtype.kind in "iu":
        bad = a != b
        assert not bad.any(), (f"{what}values differ at {np.argwhere(bad)[:5].tolist()}: "
                               f"ember {a[bad][:5]} torch {b[bad][:5]}")
        return
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    assert (nan_a == nan_b).all(), (f"{what}nan positions differ: ember {a[nan_a != nan_b][:5]} "
                                    f"torch {b[nan_a != nan_b][:5]} at "
                                    f"{np.argwhere(nan_a != nan_b)[:5].tolist()}")
    a, b = a[~nan_a], b[~nan_b]
    bits = _UINT_OF_SIZE[a.dtype.itemsize]
    if exact and ulp is None and rtol is None:
        bad = a.view(bits) != b.view(bits)
        assert not bad.any(), (f"{what}values differ (bitwise) at {bad.sum()} places: "
                               f"ember {a[bad][:5].tolist()} torch {b[bad][:5].tolist()}")
        return
    # infinities and zero signs must agree exactly
    inf = np.isinf(a) | np.isinf(b)
    assert (a[inf] == b[inf]).all(), f"{what}infinities differ: ember {a[inf]} torch {b[inf]}"
    zero = (a == 0) & (b == 0)
    assert (np.signbit(a[zero]) == np.signbit(b[zero])).all(), f"{what}signs of zero differ"
    fin = ~inf
    a, b = a[fin], b[fin]
    if ulp is not None:
        d = _ulp_distance(a, b)
        assert (d <= ulp).all(), (f"{what}values differ by more than {ulp} ulp at {(d > ulp).sum()}"
                                  f" places (max {d.max()}): ember {a[d > ulp][:5].tolist()} "
                                  f"torch {b[d > ulp][:5].tolist()}")
        return
    np.testing.assert_allclose(a, b, rtol=rtol if rtol is not None else 0, atol=atol,
                               err_msg=what)


def assert_same(e, t, exact=True, rtol=None, atol=0.0, ulp=None, *, check_grad_fn=False):
    """`e` (ember) and `t` (torch) hold the same values with the same dtype and shape.

    Exact comparison is bitwise (with nan matching nan); pass `rtol`/`atol` or `ulp` (or
    `exact=False`, which means rtol=1.3e-6 for float32, 1e-3 for float16, 1e-12 for float64)
    for a tolerance. With `check_grad_fn`, also the names of their `grad_fn`s.
    """
    if torch.is_tensor(t):
        assert isinstance(e, ember.Tensor), f"ember gave {type(e).__name__}, torch a Tensor"
        assert repr(e.dtype) == repr(t.dtype), f"dtype: ember {e.dtype!r}, torch {t.dtype!r}"
        assert tuple(e.shape) == tuple(t.shape), \
            f"shape: ember {tuple(e.shape)}, torch {tuple(t.shape)}"
        if check_grad_fn:
            assert_same_grad_fn(e, t)
        if t.dtype == torch.bfloat16:  # pragma: no cover - ember has no bfloat16
            raise AssertionError("bfloat16 is not comparable")
        ea, ta = _to_numpy(e), _to_numpy(t)
    else:
        assert type(e) is type(t), f"type: ember {type(e).__name__}, torch {type(t).__name__}"
        if isinstance(t, float) and math.isnan(t):
            assert math.isnan(e)
            return
        assert e == t, f"ember {e!r} != torch {t!r}"
        return
    if not exact and rtol is None and ulp is None and atol == 0.0:
        rtol = {np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1.3e-6,
                np.dtype(np.float64): 1e-12}.get(ta.dtype, 0)
        atol = {np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1e-6,
                np.dtype(np.float64): 1e-12}.get(ta.dtype, 0)
    assert_same_values(ea, ta, exact=exact, rtol=rtol, atol=atol, ulp=ulp)


def grad_fn_name(x):
    fn = x.grad_fn
    return None if fn is None else fn.name()


def assert_same_grad_fn(e, t):
    assert grad_fn_name(e) == grad_fn_name(t), \
        f"grad_fn: ember {grad_fn_name(e)}, torch {grad_fn_name(t)}"
    assert bool(e.requires_grad) == bool(t.requires_grad), \
        f"requires_grad: ember {e.requires_grad}, torch {t.requires_grad}"


def assert_same_grads(e_inputs, t_inputs, **tolerance):
    """The `.grad` of each ember leaf matches its torch counterpart (None where torch's is)."""
    for i, (e, t) in enumerate(zip(e_inputs, t_inputs)):
        if t.grad is None:
            assert e.grad is None, f"input {i}: torch has no grad, ember has {e.grad}"
            continue
        assert e.grad is not None, f"input {i}: ember has no grad, torch has one"
        try:
            assert_same(e.grad, t.grad, **tolerance)
        except AssertionError as error:
            raise AssertionError(f"gradient of input {i}: {error}") from None


def weights_like(t_out, seed=0):
    """A fixed weight array of the output's shape and dtype (for a weighted-sum loss that
    gives every output element a different gradient)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(1, 5, size=tuple(t_out.shape)) * 0.5).astype(
        torch.empty((), dtype=t_out.dtype).numpy().dtype)


def backward_both(e_out, t_out, weighted=True):
    """Backpropagate `(out * w).sum()` (w a fixed array of small exact numbers) in both."""
    if weighted and t_out.dim() > 0:
        w = weights_like(t_out)
        ew, tw = ember_and_torch(w)
        (e_out * ew).sum().backward()
        (t_out * tw).sum().backward()
    else:
        e_out.sum().backward()
        t_out.sum().backward()


# -- errors --------------------------------------------------------------------------------------

def assert_same_error(fn_ember, fn_torch, match=None):
    """Both calls raise, with the same exception type (and `match`, a regex, in both messages).
    Returns the two exceptions."""
    with pytest.raises(Exception) as t_info:
        fn_torch()
    t_error = t_info.value
    try:
        fn_ember()
    except Exception as e_error:  # noqa: BLE001 - any exception is compared with torch's
        assert type(e_error) is type(t_error) or (
            type(t_error).__name__ == type(e_error).__name__), (
            f"ember raised {type(e_error).__name__}({e_error}), torch "
            f"{type(t_error).__name__}({t_error})")
        if match is not None:
            assert re.search(match, str(t_error)), f"torch message {t_error!s} lacks {match!r}"
            assert re.search(match, str(e_error)), f"ember message {e_error!s} lacks {match!r}"
        return e_error, t_error
    raise AssertionError(f"ember did not raise; torch raised {type(t_error).__name__}({t_error})")


# -- numerical gradient check --------------------------------------------------------------------

def numerical_gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check ember's backward for `fn(*inputs)` against central differences, in float64.

    `inputs`: ember tensors (float64 ones that require grad are checked) or other values
    passed through. The loss is `(fn(*inputs) * w).sum()` with a fixed random `w`, so every
    output element contributes a different weight. Uses ember only. Returns True.
    """
    rng = np.random.default_rng(seed)
    checked = [i for i, x in enumerate(inputs)
               if isinstance(x, ember.Tensor) and x.requires_grad]
    assert checked, "no input requires grad"
    for i in checked:
        assert inputs[i].dtype is ember.float64, "gradcheck needs float64 inputs"

    out = fn(*inputs)
    assert out.requires_grad, "the output does not require grad"
    w_array = rng.standard_normal(tuple(out.shape))
    w = ember.tensor(w_array, dtype=ember.float64)
    for i in checked:
        inputs[i].grad = None
    (out * w).sum().backward()
    analytic = [inputs[i].grad for i in checked]

    def loss_at(values):
        with ember.no_grad():
            args = list(inputs)
            for i, v in values.items():
                args[i] = ember.tensor(v, dtype=ember.float64)
            y = fn(*args)
            return float((y * w).sum().item())

    for k, i in enumerate(checked):
        base = np.array(inputs[i].detach().numpy(), dtype=np.float64, copy=True)
        numeric = np.zeros_like(base)
        flat = numeric.reshape(-1)
        for j in range(base.size):
            plus, minus = base.copy(), base.copy()
            plus.reshape(-1)[j] += eps
            minus.reshape(-1)[j] -= eps
            flat[j] = (loss_at({i: plus}) - loss_at({i: minus})) / (2 * eps)
        got = analytic[k]
        if got is None:
            assert np.allclose(numeric, 0, atol=atol), \
                f"input {i}: no gradient from backward, numerical one is {numeric}"
            continue
        assert tuple(got.shape) == base.shape, \
            f"input {i}: gradient shape {tuple(got.shape)} != input shape {base.shape}"
        assert got.dtype is ember.float64, f"input {i}: gradient dtype {got.dtype}"
        g = np.asarray(got.detach().numpy())
        if not np.allclose(g, numeric, atol=atol, rtol=rtol, equal_nan=True):
            raise AssertionError(f"input {i}: analytical gradient\n{g}\n!= numerical\n{numeric}")
    return True


def raised(fn, T):
    """The exception `fn(T)` raises, or None."""
    try:
        fn(T)
    except Exception as exc:  # noqa: BLE001 - the exception is the result
        return exc
    return None


def same_error(fn, gist, exact=False):
    """`fn(torch)` raises with `gist` in its message (else the test is wrong); `fn(ember)` must
    raise the same exception type with `gist` too (with `exact`, the very same message)."""
    t_exc = raised(fn, torch)
    assert t_exc is not None, "test is wrong: torch did not raise"
    assert gist in str(t_exc), f"test is wrong: torch said {t_exc}"
    e_exc = raised(fn, ember)
    assert e_exc is not None, f"torch raised {type(t_exc).__name__}({t_exc}); ember did not"
    assert type(e_exc).__name__ == type(t_exc).__name__, \
        f"torch raised {type(t_exc).__name__}({t_exc}), ember {type(e_exc).__name__}({e_exc})"
    assert gist in str(e_exc), f"torch: {t_exc}\nember: {e_exc}"
    if exact:
        assert str(e_exc) == str(t_exc)
    return t_exc, e_exc

"""`assert_close`: compare numbers, tensors, and sequences/mappings of them, with PyTorch's
default tolerances per dtype and its error messages."""
import cmath
import collections.abc
import warnings

import numpy as np

# {dtype name: (rtol, atol)}; dtypes not listed (integers, bool) are compared exactly
_DTYPE_PRECISIONS = {
    "float16": (0.001, 1e-5),
    "bfloat16": (0.016, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex32": (0.001, 1e-5),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
_NUMBER_DTYPE = {int: "int64", float: "float64", complex: "complex128"}


class _ErrorMeta(Exception):
    """An error found while comparing, with the path (`id`) of the item it concerns."""

    def __init__(self, type_, msg, *, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type_, msg, id

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += ("\n\nThe failure occurred for item "
                              + "".join(str([item]) for item in self.id))
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    pass


def _dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def _tolerances(dtype_names, rtol, atol, id, precisions=_DTYPE_PRECISIONS):
    if (rtol is None) ^ (atol is None):
        raise _ErrorMeta(ValueError,
                         "Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*[precisions.get(n, (0.0, 0.0)) for n in dtype_names])
    return max(rtols), max(atols)


def _mismatch_msg(*, default_identifier, identifier, extra, abs_diff, abs_diff_idx, atol,
                  rel_diff, rel_diff_idx, rtol):
    equality = rtol == 0 and atol == 0

    def diff_msg(kind, diff, idx, tol):
        if idx is None:
            msg = f"{kind.title()} difference: {diff}"
        else:
            msg = f"Greatest {kind} difference: {diff} at index {idx}"
        if not equality:
            msg += f" (up to {tol} allowed)"
        return msg + "\n"

    if identifier is None:
        identifier = default_identifier
    elif callable(identifier):
        identifier = identifier(default_identifier)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_msg("absolute", abs_diff, abs_diff_idx, atol)
    msg += diff_msg("relative", rel_diff, rel_diff_idx, rtol)
    return msg.strip()


def _scalar_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(default_identifier="Scalars", identifier=None,
                         extra=f"Expected {expected} but got {actual}.", abs_diff=abs_diff,
                         abs_diff_idx=None, atol=atol, rel_diff=rel_diff, rel_diff_idx=None,
                         rtol=rtol)


def _compare_none(actual, expected, id, **_):
    if not (actual is None or expected is None):
        raise _Unsupported
    if not (actual is None and expected is None):
        raise _ErrorMeta(AssertionError, f"None mismatch: {actual} is not {expected}", id=id)


def _compare_bool(actual, expected, id, **_):
    if not all(isinstance(v, (bool, np.bool_)) for v in (actual, expected)):
        raise _Unsupported
    actual, expected = bool(actual), bool(expected)
    if actual is not expected:
        raise _ErrorMeta(AssertionError, f"Booleans mismatch: {actual} is not {expected}", id=id)


def _compare_number(actual, expected, id, rtol=None, atol=None, equal_nan=False,
                    check_dtype=False, **_):
    kinds = (int, float, complex, np.number)
    if not all(isinstance(v, kinds) and not isinstance(v, (bool, np.bool_))
               for v in (actual, expected)):
        raise _Unsupported
    actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
    rtol, atol = _tolerances([_NUMBER_DTYPE[type(v)] for v in (actual, expected)], rtol, atol,
                             id)
    if check_dtype and type(actual) is not type(expected):
        raise _ErrorMeta(AssertionError,
                         f"The (d)types do not match: {type(actual)} != {type(expected)}.", id=id)
    if actual == expected:
        return
    if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _ErrorMeta(AssertionError, _scalar_msg(actual, expected, rtol, atol), id=id)


def _compare_tensor(actual, expected, id, rtol=None, atol=None, equal_nan=False,
                    check_device=True, check_dtype=True, check_layout=True, check_stride=False,
                    allow_subclasses=True, **_):
    import ember
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if not related or (not allow_subclasses and type(actual) is not type(expected)):
        raise _Unsupported
    tensors = []
    for value in (actual, expected):
        if isinstance(value, ember.Tensor):
            tensors.append(value)
            continue
        try:
            tensors.append(ember.as_tensor(value))
        except Exception:
            raise _Unsupported from None
    actual, expected = tensors
    rtol, atol = _tolerances([_dtype_name(t.dtype) for t in (actual, expected)], rtol, atol, id)

    def mismatch(name, a, e):
        raise _ErrorMeta(AssertionError,
                         f"The values for attribute '{name}' do not match: {a} != {e}.", id=id)

    if actual.shape != expected.shape:
        mismatch("shape", actual.shape, expected.shape)
    if actual.layout != expected.layout:
        if check_layout:
            mismatch("layout", actual.layout, expected.layout)
    elif check_stride and actual.stride() != expected.stride():
        mismatch("stride()", actual.stride(), expected.stride())
    if check_device and actual.device != expected.device:
        mismatch("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        mismatch("dtype", actual.dtype, expected.dtype)

    # compare values on the CPU in the common dtype, outside autograd
    actual, expected = actual.detach(), expected.detach()
    if actual.device != expected.device:
        actual, expected = actual.cpu(), expected.cpu()
    if actual.dtype != expected.dtype:
        dtype = ember.promote_types(actual.dtype, expected.dtype)
        actual, expected = actual.to(dtype), expected.to(dtype)
    matches = ember.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if bool(matches.all()):
        return
    if actual.shape == ():
        msg = _scalar_msg(actual.item(), expected.item(), rtol, atol)
    else:
        msg = _tensor_msg(actual, expected, matches, rtol, atol)
    raise _ErrorMeta(AssertionError, msg, id=id)


def _tensor_msg(actual, expected, matches, rtol, atol):
    import ember
    shape = tuple(matches.shape)

    def unravel(flat):
        index = []
        for size in shape[::-1]:
            flat, mod = divmod(flat, size)
            index.append(mod)
        return tuple(index[::-1])

    n = matches.numel()
    mismatches = n - int(ember.sum(matches))
    extra = f"Mismatched elements: {mismatches} / {n} ({mismatches / n:.1%})"
    a, e, m = actual.flatten(), expected.flatten(), matches.flatten()
    if not actual.dtype.is_floating_point and not actual.dtype.is_complex:
        a, e = a.to(ember.int64), e.to(ember.int64)
    abs_diff = ember.abs(a - e)
    abs_diff[m] = 0
    max_abs, max_abs_idx = ember.max(abs_diff, 0)
    rel_diff = abs_diff / ember.abs(e)
    rel_diff[m] = 0
    max_rel, max_rel_idx = ember.max(rel_diff, 0)
    return _mismatch_msg(default_identifier="Tensor-likes", identifier=None, extra=extra,
                         abs_diff=max_abs.item(), abs_diff_idx=unravel(int(max_abs_idx)),
                         atol=atol, rel_diff=max_rel.item(),
                         rel_diff_idx=unravel(int(max_rel_idx)), rtol=rtol)


_PAIRS = (_compare_none, _compare_bool, _compare_number, _compare_tensor)


def _collect(actual, expected, id, errors, options):
    """Walk sequences and mappings side by side; compare the leaves; gather the errors."""
    seq, mapping = collections.abc.Sequence, collections.abc.Mapping
    if (isinstance(actual, seq) and not isinstance(actual, str)
            and isinstance(expected, seq) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _ErrorMeta(AssertionError, "The length of the sequences mismatch: "
                             f"{len(actual)} != {len(expected)}", id=id)
        for i in range(len(actual)):
            _collect(actual[i], expected[i], (*id, i), errors, options)
        return
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            missing = expected_keys - actual_keys
            additional = actual_keys - expected_keys
            raise _ErrorMeta(AssertionError,
                             "The keys of the mappings do not match:\n"
                             f"Missing keys in the actual mapping: {sorted(missing)}\n"
                             f"Additional keys in the actual mapping: {sorted(additional)}",
                             id=id)
        keys = actual_keys
        try:                      # sorted when the keys allow it, as PyTorch does
            keys = sorted(keys)
        except Exception:
            pass
        for key in keys:
            _collect(actual[key], expected[key], (*id, key), errors, options)
        return
    for compare in _PAIRS:
        try:
            compare(actual, expected, id, **options)
        except _Unsupported:
            continue
        except _ErrorMeta as error:
            errors.append(error)
        return
    raise _ErrorMeta(TypeError, "No comparison pair was able to handle inputs of type "
                     f"{type(actual)} and {type(expected)}.", id=id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless `actual` and `expected` are close:
    `|actual - expected| <= atol + rtol * |expected|` elementwise, with shape, device and
    dtype equal too. Default tolerances by dtype: float32 `rtol=1.3e-6, atol=1e-5`, float64
    `1e-7, 1e-7`, float16 `1e-3, 1e-5`; integers and bool exactly. Numbers, tensors, and
    (nested) sequences and mappings of them are accepted.

    >>> import ember
    >>> assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.5]))
    Traceback (most recent call last):
    ...
    AssertionError: Tensor-likes are not close!
    ...
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol,
                   equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
                   check_layout=check_layout, check_stride=check_stride)
    errors = []
    try:
        _collect(actual, expected, (), errors, options)
    except _ErrorMeta as error:
        raise error.to_error(msg) from None
    if errors:
        raise errors[0].to_error(msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated since PyTorch 1.12: use `assert_close`. Compares with looser default
    tolerances (float32 `rtol=1e-4, atol=1e-5`) and without checking dtypes.

    >>> import ember
    >>> assert_allclose(ember.tensor([1.0]), [1.00001])  # doctest: +SKIP
    """
    import ember
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `torch.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning, stacklevel=2)
    if not isinstance(actual, ember.Tensor):
        actual = ember.tensor(actual)
    if not isinstance(expected, ember.Tensor):
        expected = ember.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tolerances(
            [_dtype_name(actual.dtype), _dtype_name(expected.dtype)], None, None, (),
            precisions={"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5),
                        "float64": (1e-5, 1e-8)})
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)

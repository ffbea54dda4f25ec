"""Tensor printing must match PyTorch byte for byte.

Every test builds a tensor in torch, hands the same values to ember's printer through a small
stand-in for an ember tensor, and compares the two texts.
"""
import importlib.util
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

try:
    from ember._printing import get_printoptions, set_printoptions, tensor_repr
except ImportError:
    # The package may not be importable yet; load the module straight from its file.
    _path = pathlib.Path(__file__).parents[1] / "src" / "ember" / "_printing.py"
    _spec = importlib.util.spec_from_file_location("ember_printing", _path)
    _printing = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_printing)
    get_printoptions = _printing.get_printoptions
    set_printoptions = _printing.set_printoptions
    tensor_repr = _printing.tensor_repr


class FakeDtype:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


def FakeNode(class_name):
    """A stand-in node whose class has the torch node's class name (what repr shows)."""
    return type(class_name, (), {})()


class FakeTensor:
    """Just the attributes the printer reads from an ember tensor."""

    def __init__(self, data, dtype_name, requires_grad=False, grad_fn=None):
        self._data = data
        self.dtype = FakeDtype(dtype_name)
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.is_leaf = grad_fn is None


def fake_of(t):
    """The stand-in holding the same values, dtype and autograd state as torch tensor `t`."""
    grad_fn = FakeNode(type(t.grad_fn).__name__) if t.grad_fn is not None else None
    data = t.detach().resolve_neg().resolve_conj().numpy().copy()
    return FakeTensor(data, str(t.dtype).removeprefix("torch."), t.requires_grad, grad_fn)


def assert_same(t):
    expected = repr(t)
    assert tensor_repr(fake_of(t)) == expected
    assert str(t) == expected


def set_both(**options):
    torch.set_printoptions(**options)
    set_printoptions(**options)


def reset_both():
    set_both(profile="default")


@pytest.fixture(autouse=True)
def _default_options():
    reset_both()
    yield
    reset_both()


nan, inf = math.nan, math.inf
f16, f32, f64 = torch.float16, torch.float32, torch.float64
T = torch.tensor


def seeded(fn):
    torch.manual_seed(0)
    return fn()


CASES = {
    # 0-d tensors
    "scalar whole float": lambda: T(1.0),
    "scalar fraction": lambda: T(1.5),
    "scalar negative zero": lambda: T(-0.0),
    "scalar zero": lambda: T(0.0),
    "scalar nan": lambda: T(nan),
    "scalar -inf": lambda: T(-inf),
    "scalar tiny": lambda: T(1e-5),
    "scalar huge": lambda: T(1e10),
    "scalar huge whole float": lambda: T(123456789.0),
    "scalar int": lambda: T(3),
    "scalar negative int": lambda: T(-42),
    "scalar bool": lambda: T(True),
    "scalar float64": lambda: T(2.0, dtype=f64),
    "scalar float64 pi": lambda: T(math.pi, dtype=f64),
    "scalar int32": lambda: T(7, dtype=torch.int32),
    "scalar float16": lambda: T(0.1, dtype=f16),
    # 1-d floats
    "whole floats": lambda: T([1.0, 2.0, 3.0]),
    "negative whole floats": lambda: T([-1.0, 20.0, 300.0]),
    "mixed floats": lambda: T([1.0, 1.5, -2.25]),
    "float32 rounding": lambda: T([0.1, 0.2, 1 / 3]),
    "sci for tiny": lambda: T([1e-5, 1.0]),
    "sci for ratio": lambda: T([1.0, 1001.0]),
    "no sci at ratio 1000": lambda: T([1.0, 1000.0]),
    "sci for huge": lambda: T([1e9, 2e9]),
    "sci whole floats": lambda: T([1.0, 1e5]),
    "big whole floats": lambda: T([1e7, 3.0e7]),
    "nonfinite only": lambda: T([nan, inf, -inf]),
    "nan and whole": lambda: T([nan, 1.0, 2.0]),
    "nan and fraction": lambda: T([nan, 1.5]),
    "inf and sci": lambda: T([inf, -inf, 1e-7, 3.0]),
    "negative zeros": lambda: T([0.0, -0.0]),
    "zeros with fractions": lambda: T([0.0, -0.0, 0.5]),
    "zeros with sci": lambda: T([1e-5, 0.0, -0.0]),
    "rounds up a digit": lambda: T([9.99999, 0.5]),
    "float64 extremes": lambda: T([1e-100, 1e100], dtype=f64),
    "float64 fractions": lambda: T([1.123456789, -2.5], dtype=f64),
    "float16 values": lambda: T([0.1, 0.2, 65504.0], dtype=f16),
    "float16 subnormal": lambda: T([6e-8, 1.0], dtype=f16),
    "float16 whole": lambda: T([1.0, 2.0], dtype=f16),
    # integers and bools
    "ints": lambda: T([-5, 100, 7]),
    "uint8": lambda: T([0, 255, 3], dtype=torch.uint8),
    "int8": lambda: T([-128, 127], dtype=torch.int8),
    "int16": lambda: T([-300, 2], dtype=torch.int16),
    "int32": lambda: T([1, 2, 3], dtype=torch.int32),
    "int64 extremes": lambda: T([-(2**63), 2**63 - 1]),
    "bools": lambda: T([True, False, True]),
    "all true": lambda: T([True, True]),
    # more dimensions
    "2-d floats": lambda: seeded(lambda: torch.randn(3, 4)),
    "2-d ints": lambda: torch.arange(12).reshape(3, 4),
    "3-d": lambda: torch.arange(24.0).reshape(2, 3, 4),
    "4-d": lambda: torch.arange(12).reshape(2, 1, 3, 2),
    "5-d": lambda: seeded(lambda: torch.randn(2, 1, 2, 1, 2, dtype=f64)),
    "single element 2-d": lambda: T([[5.0]]),
    "2-d bools": lambda: T([[True, False], [False, True]]),
    # summarisation above the threshold
    "long vector": lambda: torch.arange(2000),
    "long float vector": lambda: torch.arange(2000.0) / 7,
    "summarised 2-d": lambda: torch.arange(2000.0).reshape(40, 50),
    "summarised short rows": lambda: torch.ones(2, 1000),
    "summarised 3-d": lambda: seeded(lambda: torch.randn(20, 20, 20)),
    "summarised 4-d": lambda: torch.arange(3 * 4 * 10 * 10).reshape(3, 4, 10, 10),
    "hidden huge value": lambda: torch.cat([T([1e20]), torch.ones(1000) / 3, T([1e-20])]),
    # linewidth wrapping
    "wrapped floats": lambda: seeded(lambda: torch.randn(30)),
    "wrapped ints": lambda: torch.arange(100),
    "wrapped 2-d rows": lambda: seeded(lambda: torch.randn(3, 30) * 100),
    "wrapped wide 3-d": lambda: seeded(lambda: torch.randn(2, 3, 12) * 1e6),
    "wrapped sci": lambda: seeded(lambda: torch.randn(20) * 1e-6),
    # empty tensors
    "empty": lambda: torch.zeros(0),
    "empty 2-d": lambda: torch.zeros(0, 3),
    "empty 3-d int": lambda: torch.zeros(2, 0, 3, dtype=torch.int64),
    "empty int": lambda: torch.zeros(0, dtype=torch.int64),
    "empty bool": lambda: torch.zeros(0, dtype=torch.bool),
    "empty float64": lambda: torch.zeros(0, 2, dtype=f64),
    "empty requiring grad": lambda: torch.zeros(0, 3, requires_grad=True),
    # autograd suffixes
    "requires grad": lambda: T([1.0, 2.0], requires_grad=True),
    "scalar requires grad": lambda: T(1.5, requires_grad=True),
    "add backward": lambda: T([1.0, 2.0], requires_grad=True) + 1,
    "mul backward float64": lambda: T([1.0, 2.5], dtype=f64, requires_grad=True) * 3,
    "sum backward": lambda: T([1.0, 2.0], requires_grad=True).sum(),
    "suffixes after wrapped 2-d": lambda: seeded(
        lambda: torch.randn(2, 8, dtype=f64, requires_grad=True) * 1000),
    "suffixes after wrapped 1-d": lambda: seeded(
        lambda: torch.randn(7, dtype=f64, requires_grad=True) * 1000),
    "suffix moves to next line": lambda: seeded(
        lambda: torch.randn(5, dtype=f64) * 1000).requires_grad_(),
    # complex numbers
    "complex": lambda: T([1 + 2j, -3.5 - 0.5j]),
    "complex whole": lambda: T([1 + 2j, 3 - 4j]),
    "complex128": lambda: T([1e-5 + 1j, 2 - 0j], dtype=torch.complex128),
    "complex nan": lambda: T([complex(nan, 1), complex(2, -inf)]),
    "complex scalar": lambda: T(1.5 - 2j),
    "complex 2-d": lambda: seeded(lambda: torch.randn(3, 3, dtype=torch.complex64)),
    "empty complex": lambda: torch.zeros(0, dtype=torch.complex64),
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_matches_torch(make):
    assert_same(make())


OPTION_CASES = {
    "precision 2": ({"precision": 2}, lambda: T([1.12345, 2.0, -3.33333])),
    "precision 0": ({"precision": 0}, lambda: T([1.5, 2.5, -3.7])),
    "precision 0 sci": ({"precision": 0}, lambda: T([1e-5, 2.5])),
    "precision 10 shows float32 error": ({"precision": 10}, lambda: T([0.1, 1 / 3])),
    "sci mode on": ({"sci_mode": True}, lambda: T([1.0, 2.5, 3.0])),
    "sci mode on whole": ({"sci_mode": True}, lambda: T([1.0, 2.0])),
    "sci mode on zeros only": ({"sci_mode": True}, lambda: T([0.0, 0.0])),
    "sci mode off huge": ({"sci_mode": False}, lambda: T([1e10, 1e-3])),
    "sci mode off tiny": ({"sci_mode": False}, lambda: T([1e-7, 1.0])),
    "profile short": ({"profile": "short"}, lambda: torch.arange(2000.0) / 3),
    "profile full": ({"profile": "full"}, lambda: torch.arange(1200).reshape(2, 600)),
    "profile short then precision": ({"profile": "short", "precision": 5},
                                     lambda: T([1 / 3])),
    "threshold 5": ({"threshold": 5}, lambda: torch.arange(10)),
    "threshold 5 on 2-d": ({"threshold": 5}, lambda: torch.arange(49.0).reshape(7, 7)),
    "threshold 0 scalar": ({"threshold": 0}, lambda: T(2.5)),
    "edgeitems 1": ({"threshold": 10, "edgeitems": 1}, lambda: torch.arange(64).reshape(4, 4, 4)),
    "edgeitems 0 small": ({"edgeitems": 0}, lambda: T([1.0, 2.0])),
    "edgeitems 0 summarised": ({"edgeitems": 0}, lambda: torch.arange(3000.0)),
    "edgeitems 0 2-d": ({"edgeitems": 0}, lambda: torch.ones(40, 40, dtype=torch.int32)),
    "edgeitems 0 scalar": ({"edgeitems": 0}, lambda: T(5.0)),
    "edgeitems 0 empty": ({"edgeitems": 0}, lambda: torch.zeros(0, 2)),
    "linewidth 40": ({"linewidth": 40}, lambda: seeded(lambda: torch.randn(4, 9))),
    "linewidth 10": ({"linewidth": 10}, lambda: torch.arange(6.0) + 0.5),
    "linewidth 40 suffix": ({"linewidth": 40},
                            lambda: T([1.0, 2.0], dtype=f64, requires_grad=True) * 2),
}


@pytest.mark.parametrize("case", OPTION_CASES.values(), ids=OPTION_CASES.keys())
def test_matches_torch_with_options(case):
    options, make = case
    set_both(**options)
    assert_same(make())


def test_get_printoptions_matches_torch():
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for options in ({"precision": 2, "sci_mode": True}, {"profile": "full"},
                    {"profile": "short", "linewidth": 100}, {"edgeitems": 5},
                    {"profile": "no such profile", "threshold": 7}):
        set_both(**options)
        assert get_printoptions() == torch._tensor_str.get_printoptions()
        assert list(get_printoptions()) == list(torch._tensor_str.get_printoptions())


def test_every_call_resets_sci_mode():
    set_both(sci_mode=True)
    set_both(precision=3)           # sci_mode not passed: back to automatic
    assert get_printoptions()["sci_mode"] is None
    assert_same(T([1.0, 2.0]))


def test_get_printoptions_round_trips():
    set_printoptions(precision=6, threshold=10, edgeitems=1, linewidth=50, sci_mode=False)
    saved = get_printoptions()
    set_printoptions(profile="default")
    set_printoptions(**saved)
    assert get_printoptions() == saved


# Values that exercise every formatting branch: whole, tiny, huge, negative zero, nonfinite.
# Each is exact in the dtype it is listed for (hypothesis rejects values a cast would change).
_SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 12345.0, nan, inf, -inf]
_SPECIAL_FLOAT16 = [2.0**-24, 2.0**-14, 65504.0, 2048.0]
_SPECIAL_WIDE = [2.0**-100, 2.0**-20, 1e8, 2.0**40, 3.0 * 2**100]


def _elements(width, special):
    return st.one_of(st.sampled_from(_SPECIAL + special),
                     st.floats(width=width, allow_subnormal=True),
                     st.integers(-1000, 1000).map(float),
                     st.floats(-10, 10, width=width))


_DTYPES = {
    "float32": (np.float32, _elements(32, _SPECIAL_WIDE)),
    "float64": (np.float64, _elements(64, _SPECIAL_WIDE)),
    "float16": (np.float16, _elements(16, _SPECIAL_FLOAT16)),
    "int64": (np.int64, st.integers(-(2**63), 2**63 - 1)),
    "int32": (np.int32, st.integers(-(2**31), 2**31 - 1)),
    "int16": (np.int16, st.integers(-(2**15), 2**15 - 1)),
    "int8": (np.int8, st.integers(-128, 127)),
    "uint8": (np.uint8, st.integers(0, 255)),
    "complex64": (np.complex64, st.builds(complex, _elements(32, _SPECIAL_WIDE),
                                          _elements(32, _SPECIAL_WIDE))),
    "complex128": (np.complex128, st.builds(complex, _elements(64, _SPECIAL_WIDE),
                                            _elements(64, _SPECIAL_WIDE))),
    "bool": (np.bool_, st.booleans()),
}


@st.composite
def _arrays(draw):
    name = draw(st.sampled_from(sorted(_DTYPES)))
    np_dtype, elements = _DTYPES[name]
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    return draw(hnp.arrays(np_dtype, shape, elements=elements))


_OPTIONS = st.fixed_dictionaries({
    "threshold": st.sampled_from([1000, 5, 20, 0]),
    "edgeitems": st.sampled_from([3, 1, 2, 0]),
    "precision": st.integers(0, 8),
    "linewidth": st.integers(20, 120),
    "sci_mode": st.sampled_from([None, True, False]),
})


@settings(max_examples=400, deadline=None)
@given(array=_arrays(), options=_OPTIONS, requires_grad=st.booleans())
def test_random_tensors_match_torch(array, options, requires_grad):
    t = torch.from_numpy(array.copy())
    if requires_grad and (t.dtype.is_floating_point or t.dtype.is_complex):
        t.requires_grad_()
    try:
        set_both(**options)
        assert_same(t)
    finally:
        reset_both()

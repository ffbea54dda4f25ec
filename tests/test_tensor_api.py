"""The Tensor API (construction, attributes, conversions, Python protocols), against PyTorch.

Each scenario is a function of the library module `T`, run with `T = torch` and `T = ember`;
results must agree (tensor values bit for bit, with dtype and shape), and errors must be of the
same type with the same gist. Uninitialised memory (`Tensor(2, 3)`) is compared by shape only.
"""
import copy
import operator
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
from helpers import raised, same_error  # noqa: E402


# -- helpers ---------------------------------------------------------------------------------


def assert_same(e, t):
    assert isinstance(e, ember.Tensor), f"expected an ember.Tensor, got {type(e).__name__}"
    assert isinstance(t, torch.Tensor)
    assert repr(e.dtype) == repr(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.requires_grad == t.requires_grad
    en, tn = np.asarray(e.detach().numpy()), t.detach().numpy()
    assert en.dtype == tn.dtype
    assert en.tobytes() == tn.tobytes(), f"ember {en!r} != torch {tn!r}"


def assert_same_tree(e, t):
    if isinstance(t, torch.Tensor):
        assert_same(e, t)
    elif isinstance(t, (torch.dtype, torch.device, torch.Size)):
        assert repr(e) == repr(t)
        assert str(e) == str(t)
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t), f"ember {type(e).__name__} != torch {type(t).__name__}"
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_same_tree(a, b)
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray)
        assert e.dtype == t.dtype and e.shape == t.shape
        assert e.tobytes() == t.tobytes()
    else:
        assert type(e) is type(t), f"ember {e!r} ({type(e).__name__}) != torch {t!r} " \
                                   f"({type(t).__name__})"
        assert e == t or (e != e and t != t), f"ember {e!r} != torch {t!r}"


def both(fn):
    t = fn(torch)
    e = fn(ember)
    assert_same_tree(e, t)
    return t






def caught_warnings(fn, T):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fn(T)
    return [(w.category, re.sub(r"\s*\(Triggered internally at [^)]*\)\.?$", "",
                                str(w.message))) for w in record]


# -- ember.tensor --------------------------------------------------------------------------


DATA = {
    "ints": [1, 2],
    "floats": [1.0, 2.5],
    "mixed_int_float": [1.0, 2],
    "bools": [True, False],
    "bool_and_int": [True, 1],
    "bool_and_float": [True, 1.5],
    "nested": [[1, 2], [3, 4]],
    "nested_3d": [[[1], [2]], [[3], [4]]],
    "tuples": ((1, 2), (3, 4)),
    "empty": [],
    "empty_nested": [[]],
    "empty_rows": [[], []],
    "int_scalar": 3,
    "float_scalar": 3.5,
    "bool_scalar": True,
    "negative_zero": [-0.0, 0.0],
    "big_float": [1e40, -1e-50],
    "complex": [1 + 2j],
    "np_int32_array": np.array([1, 2], dtype=np.int32),
    "np_float64_array": np.array([0.1, 0.2]),
    "np_float32_scalar": np.float32(2.5),
    "min_int64": [-2 ** 63],
    "max_int64": [2 ** 63 - 1],
}


@pytest.mark.parametrize("name", sorted(DATA))
def test_tensor_dtype_inference(name):
    both(lambda T: T.tensor(DATA[name]))


NP_SCALARS_IN_LISTS = {
    "np_float64": [np.float64(1.5)],
    "np_int32": [np.int32(3)],
    "np_float16": [np.float16(0.5), np.float16(1)],
}


@pytest.mark.parametrize("name", sorted(NP_SCALARS_IN_LISTS))
def test_tensor_dtype_inference_from_numpy_scalars_in_lists(name):
    both(lambda T: T.tensor(NP_SCALARS_IN_LISTS[name]))


@pytest.mark.parametrize("data, dtype", [
    ([1, 2], "float64"), ([1.7, -2.7], "int64"), ([0, 2], "bool"), ([1.5], "float16"),
    ([-1], "uint8"), ([1, 2], "int8"), ([1.0, 2.0], "complex64"), (3, "int32"),
])
def test_tensor_with_dtype(data, dtype):
    both(lambda T: T.tensor(data, dtype=getattr(T, dtype)))


@pytest.mark.parametrize("pytype", [float, int, bool])
def test_tensor_with_python_type_as_dtype(pytype):
    both(lambda T: T.tensor([0, 1.5], dtype=pytype))


@pytest.mark.parametrize("data", [[[1.0, 2.0]], 2.0, [0.5]])
def test_tensor_requires_grad(data):
    def run(T):
        t = T.tensor(data, requires_grad=True)
        return t, t.is_leaf, t.grad_fn, t.grad
    both(run)


def test_tensor_requires_grad_with_integer_data():
    same_error(lambda T: T.tensor([1, 2], requires_grad=True),
               "Only Tensors of floating point and complex dtype can require gradients",
               exact=True)
    both(lambda T: T.tensor([1, 2], dtype=T.float32, requires_grad=True))


@pytest.mark.parametrize("data", [[[1], [2, 3]], [[1, 2], [3]], [[1, 2], [3, 4], [5]],
                                  [[[1], [2]], [[3], [4, 5]]]])
def test_ragged_lists_are_an_error(data):
    t_exc, e_exc = same_error(lambda T: T.tensor(data), "expected sequence of length")
    assert str(e_exc) == str(t_exc)


@pytest.mark.parametrize("data", [[1, [2]], [[1, 2], 3]], ids=["number_then_list",
                                                                "list_then_number"])
def test_mixed_nesting_is_an_error(data):
    t_exc = raised(lambda T: T.tensor(data), torch)
    e_exc = raised(lambda T: T.tensor(data), ember)
    assert e_exc is not None
    assert type(e_exc) is type(t_exc), f"torch {type(t_exc).__name__}({t_exc}), " \
                                       f"ember {type(e_exc).__name__}({e_exc})"


def test_tensor_of_none_is_an_error():
    same_error(lambda T: T.tensor([1, None]), "Could not infer dtype of NoneType")


def test_tensor_of_a_string_is_an_error():
    same_error(lambda T: T.tensor("abc"), "new(): invalid data type 'str'")


@pytest.mark.parametrize("data, dtype", [([2 ** 63], None), ([1e20], "int64"),
                                         ([float("inf")], "int64"), ([300], "uint8")])
def test_tensor_overflow_is_an_error(data, dtype):
    def run(T):
        T.tensor(data, dtype=None if dtype is None else getattr(T, dtype))
    same_error(run, "verflow")


def test_tensor_from_tensors():
    def run(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (T.tensor([T.tensor(1.0), T.tensor(2.0)]),
                    T.tensor([T.tensor(1.0, requires_grad=True), T.tensor(2.0)]))
    both(run)


def test_tensor_of_a_tensor_copies_and_warns():
    def run(T):
        src = T.tensor([1.0, 2.0], requires_grad=True)
        out = T.tensor(src)
        return out, out.data_ptr() != src.data_ptr(), out.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        both(run)
    t = caught_warnings(run, torch)
    e = caught_warnings(run, ember)
    assert [c for c, _ in e] == [c for c, _ in t] == [UserWarning]
    assert e == t


def test_tensor_copies_its_data():
    def run(T):
        a = np.array([1.0, 2.0])
        t = T.tensor(a)
        a[0] = 100.0
        return t
    both(run)


# -- legacy constructors -------------------------------------------------------------------


@pytest.mark.parametrize("data", [[1, 2], [1.5, 2], [[1, 2]], (1, 2), [True], [], np.array([1, 2])],
                         ids=["ints", "floats", "nested", "tuple", "bool", "empty", "ndarray"])
def test_legacy_Tensor_from_data_is_float32(data):
    both(lambda T: T.Tensor(data))


def test_legacy_Tensor_sizes():
    def run(T):
        return [(tuple(t.shape), t.dtype, t.requires_grad)
                for t in (T.Tensor(2, 3), T.Tensor(0), T.Tensor(4), T.Tensor(1, 0, 2))]
    both(run)


def test_legacy_Tensor_empty():
    both(lambda T: (T.Tensor(), T.Tensor(()), T.Tensor([])))


def test_legacy_Tensor_from_a_size_object():
    def run(T):
        t = T.Tensor(T.Size([2, 3]))
        return tuple(t.shape), t.dtype
    both(run)


def test_legacy_Tensor_of_a_python_number_is_an_error():
    same_error(lambda T: T.Tensor(3.5), "new(): data must be a sequence (got float)")


def test_legacy_Tensor_bad_size_is_a_type_error():
    same_error(lambda T: T.Tensor(2, "a"), "new(): argument 'size'")


@pytest.mark.parametrize("cls, data", [
    ("FloatTensor", [1, 2]), ("DoubleTensor", [1, 0]), ("LongTensor", [1.7, -2.7]),
    ("IntTensor", [3, 4]), ("ShortTensor", [5]), ("CharTensor", [-1]), ("ByteTensor", [1, 255]),
    ("BoolTensor", [1, 0]), ("HalfTensor", [0.1]),
])
def test_legacy_typed_constructors_from_data(cls, data):
    both(lambda T: getattr(T, cls)(data))


@pytest.mark.parametrize("cls", ["FloatTensor", "LongTensor", "DoubleTensor", "BoolTensor"])
def test_legacy_typed_constructors_from_sizes(cls):
    def run(T):
        t = getattr(T, cls)(2, 2)
        return tuple(t.shape), t.dtype, type(t).__name__
    both(run)


def test_legacy_typed_constructor_of_a_tensor_of_another_type_is_an_error():
    same_error(lambda T: T.FloatTensor(T.tensor([1, 2])), "expected TensorOptions")


def test_isinstance_with_legacy_types():
    def run(T):
        f32, f64, i64 = T.tensor([1.0]), T.tensor([1.0], dtype=T.float64), T.tensor([1])
        return [isinstance(f32, T.FloatTensor), isinstance(i64, T.FloatTensor),
                isinstance(i64, T.LongTensor), isinstance(f64, T.DoubleTensor),
                isinstance(f32, T.DoubleTensor), isinstance(T.zeros(1, dtype=T.float16),
                                                            T.HalfTensor),
                isinstance(T.tensor([True]), T.BoolTensor), isinstance(f32, T.Tensor),
                isinstance(T.FloatTensor([1.0]), T.Tensor), type(T.FloatTensor([1.0])).__name__,
                isinstance(1.0, T.FloatTensor), isinstance(np.ones(1, np.float32), T.FloatTensor)]
    both(run)


def test_legacy_type_is_not_a_subclass_of_tensor():
    both(lambda T: (issubclass(T.FloatTensor, T.Tensor), issubclass(T.Tensor, T.Tensor)))


# -- factories -----------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda T: T.zeros(2, 3), lambda T: T.zeros((2, 3)), lambda T: T.zeros([2]),
    lambda T: T.zeros(()), lambda T: T.zeros(2, dtype=T.int64), lambda T: T.zeros(0, 3),
    lambda T: T.zeros(2, requires_grad=True), lambda T: T.zeros(2, dtype=T.bool),
    lambda T: T.ones(2, 1), lambda T: T.ones(3, dtype=T.bool), lambda T: T.ones((1,)),
    lambda T: T.ones(2, dtype=T.float64, requires_grad=True), lambda T: T.ones(2, dtype=T.uint8),
    lambda T: T.zeros(2, device="cpu"), lambda T: T.ones(1, device=T.device("cpu")),
], ids=lambda f: "")
def test_zeros_and_ones(call):
    both(call)


def test_zeros_requires_grad_is_a_leaf():
    both(lambda T: (T.zeros(2, requires_grad=True).is_leaf,
                    T.ones(2, requires_grad=True).grad_fn))


def test_zeros_requires_grad_with_integer_dtype_is_an_error():
    same_error(lambda T: T.zeros(2, dtype=T.int64, requires_grad=True),
               "can require gradients", exact=True)


def test_zeros_negative_size_is_an_error():
    same_error(lambda T: T.zeros(-1), "must be non-negative")


def test_zeros_float_size_is_a_type_error():
    same_error(lambda T: T.zeros(2.5), "zeros(): argument 'size' (position 1) must be tuple of ints")


@pytest.mark.parametrize("call", [
    lambda T: T.full((2,), 7), lambda T: T.full((2,), 7.0), lambda T: T.full((2,), True),
    lambda T: T.full((2, 2), 1, dtype=T.float64), lambda T: T.full([3], 0.5),
    lambda T: T.full((), 3.0), lambda T: T.full((2,), -0.0), lambda T: T.full((1,), 1e-50),
    lambda T: T.full((2,), 3.0, requires_grad=True), lambda T: T.full((2,), 1.5, dtype=T.int64),
], ids=lambda f: "")
def test_full(call):
    both(call)


def test_full_value_out_of_range_is_an_error():
    same_error(lambda T: T.full((1,), 1e40), "value cannot be converted to type float without "
                                             "overflow", exact=True)


def test_full_with_an_int_size_is_a_type_error():
    same_error(lambda T: T.full(2, 3.0), "must be tuple of ints")


@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((1, 4), {}), ((5, 0, -2), {}), ((0, 1, 0.25), {}), ((2.5,), {}),
    ((3,), {"dtype": "float64"}), ((0, 1, 0.1), {}), ((-1, 1, 0.3), {}), ((1, 2.5, 0.5), {}),
    ((0, 5, 1.5), {}), ((0, 1, 0.1), {"dtype": "float64"}), ((0,), {}), ((3.0,), {}),
    ((10, 0, -3), {}), ((0, 10, 3), {"dtype": "int32"}), ((3.0,), {"requires_grad": True}),
], ids=str)
def test_arange(args, kwargs):
    def run(T):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(T, kw["dtype"])
        return T.arange(*args, **kw)
    both(run)


def test_arange_with_tensor_arguments():
    both(lambda T: (T.arange(T.tensor(3)), T.arange(T.tensor(1.0), 3)))


def test_arange_step_zero_is_an_error():
    same_error(lambda T: T.arange(0, 1, 0), "step must be nonzero")


def test_arange_wrong_direction_is_an_error():
    same_error(lambda T: T.arange(0, 5, -1),
               "upper bound and lower bound inconsistent with step sign")


@pytest.mark.parametrize("call", [
    lambda T: T.zeros_like(T.tensor([1, 2])),
    lambda T: T.zeros_like(T.tensor([[1.0, 2.0]], dtype=T.float64)),
    lambda T: T.zeros_like(T.tensor([1.0, 2.0], requires_grad=True)),
    lambda T: T.zeros_like(T.tensor([1, 2]), dtype=T.float32),
    lambda T: T.zeros_like(T.tensor([1.0, 2.0]), requires_grad=True),
    lambda T: T.zeros_like(T.tensor(5.0)),
    lambda T: T.ones_like(T.tensor([[True, False]])),
    lambda T: T.full_like(T.tensor([1, 2]), 2.7),
], ids=lambda f: "")
def test_like_factories(call):
    both(call)


def test_zeros_like_does_not_share_storage():
    def run(T):
        src = T.tensor([1.0, 2.0])
        out = T.zeros_like(src)
        out.add_(5)
        return src, out.data_ptr() != src.data_ptr()
    both(run)


# -- from_numpy and as_tensor ----------------------------------------------------------------


def test_from_numpy_shares_memory_both_ways():
    def run(T):
        a = np.array([1.0, 2.0, 3.0])
        t = T.from_numpy(a)
        a[0] = 10.0
        t[1] = 20.0
        t.add_(1)
        return t, a.copy(), np.shares_memory(t.numpy(), a)
    both(run)


@pytest.mark.parametrize("np_dtype", ["float64", "float32", "float16", "int64", "int32", "int16",
                                      "int8", "uint8", "bool", "complex64", "complex128"])
def test_from_numpy_dtypes(np_dtype):
    both(lambda T: T.from_numpy(np.array([0, 1, 1], dtype=np_dtype)))


def test_from_numpy_uint16():
    both(lambda T: T.from_numpy(np.array([1, 65535], dtype=np.uint16)))


def test_from_numpy_views_and_0d():
    def run(T):
        base = np.arange(6.0).reshape(2, 3)
        col = T.from_numpy(base[:, 1])
        base[1, 1] = -1.0
        return col, T.from_numpy(np.array(2.5)), T.from_numpy(np.ones(2)).requires_grad
    both(run)


def test_from_numpy_of_a_list_is_an_error():
    same_error(lambda T: T.from_numpy([1, 2]), "expected np.ndarray (got list)", exact=True)


def test_as_tensor_shares_memory_without_a_cast():
    def run(T):
        a = np.array([1.0, 2.0])
        t = T.as_tensor(a)
        a[0] = 5.0
        t[1] = 7.0
        return t, a.copy()
    both(run)


def test_as_tensor_copies_with_a_cast():
    def run(T):
        a = np.array([0.1, 2.0])
        t = T.as_tensor(a, dtype=T.float32)
        a[1] = 5.0
        return t
    both(run)


def test_as_tensor_of_tensors_and_lists():
    def run(T):
        t = T.tensor([1.0, 2.0])
        r = T.tensor([1.0], requires_grad=True)
        return (T.as_tensor(t) is t, T.as_tensor(r) is r, T.as_tensor(t, dtype=T.float64),
                T.as_tensor([1, 2]), T.as_tensor(3.5), T.as_tensor([1, 2], dtype=T.float16))
    both(run)


# -- .data -----------------------------------------------------------------------------------


def test_data_shares_storage_and_is_detached():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        d = x.data
        d[0] = 9.0
        return x, d, d.is_leaf, d.grad_fn, d.requires_grad, d is x, d.data_ptr() == x.data_ptr()
    both(run)


def test_data_of_a_non_leaf():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x * 7
        return h.data, h.data.is_leaf, h.data.grad_fn
    both(run)


def test_data_setter_replaces_storage():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        new = T.tensor([5.0, 6.0, 7.0])
        x.data = new
        new[0] = -1.0                   # x now uses new's storage
        return x, x.is_leaf, x.requires_grad, x.grad
    both(run)


def test_data_setter_changes_dtype():
    def run(T):
        x = T.tensor([1.0, 2.0])
        x.data = T.tensor([1, 2, 3])
        y = T.tensor([1.0, 2.0], requires_grad=True)
        y.data = T.tensor([1.0, 2.0], dtype=T.float64)
        return x, y
    both(run)


def test_data_setter_integer_on_a_tensor_requiring_grad_is_an_error():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.data = T.tensor([5, 6])
    same_error(run, "data set to a tensor that requires gradients must be floating point")


def test_data_setter_of_a_non_tensor_is_an_error():
    def run(T):
        x = T.tensor([1.0])
        x.data = [1.0]
    same_error(run, "Variable data has to be a tensor, but got list", exact=True)


def test_data_setter_on_a_non_leaf_keeps_its_grad_fn():
    def run(T):
        q = T.tensor([1.0, 2.0], requires_grad=True) * 2
        q.data = T.tensor([0.0, 0.0])
        return q.data, q.grad_fn.name(), q.requires_grad
    both(run)


# -- item and Python numbers -----------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda T: T.tensor([2.5]), lambda T: T.tensor(3), lambda T: T.tensor([[True]]),
    lambda T: T.tensor(0.1), lambda T: T.tensor(0.1, dtype=T.float16),
    lambda T: T.tensor(0.1, dtype=T.float64), lambda T: T.tensor(200, dtype=T.uint8),
    lambda T: T.tensor(-5, dtype=T.int8), lambda T: T.tensor(1 + 2j),
    lambda T: T.tensor([1.5], requires_grad=True), lambda T: T.tensor(float("nan")),
], ids=lambda f: "")
def test_item(make):
    both(lambda T: make(T).item())


@pytest.mark.parametrize("make", [lambda T: T.tensor([1.0, 2.0]), lambda T: T.tensor([])],
                         ids=["two", "empty"])
def test_item_of_not_one_element_is_an_error(make):
    same_error(lambda T: make(T).item(), "cannot be converted to Scalar", exact=True)


def test_float_and_int():
    def run(T):
        return (float(T.tensor([2])), float(T.tensor(2.5)), float(T.tensor(True)),
                int(T.tensor([2.7])), int(T.tensor(-2.7)), int(T.tensor(True)),
                int(T.tensor([[-3.9]])), float(T.tensor(0.1)), int(T.tensor(2 ** 62)))
    both(run)


@pytest.mark.parametrize("conv", [float, int, complex])
def test_number_conversion_of_several_elements_is_an_error(conv):
    same_error(lambda T: conv(T.tensor([1.0, 2.0])),
               "only one element tensors can be converted to Python scalars", exact=True)


def test_int_of_nan_is_an_error():
    same_error(lambda T: int(T.tensor(float("nan"))), "cannot convert float NaN to integer")


def test_float_of_a_tensor_requiring_grad_warns_once_per_process():
    # PyTorch raises this warning with TORCH_WARN_ONCE: only the first time in a process, so
    # each system is checked in a fresh interpreter.
    code = ("import warnings, {m}\n"
            "warnings.simplefilter('always')\n"
            "with warnings.catch_warnings(record=True) as r:\n"
            "    warnings.simplefilter('always')\n"
            "    float({m}.tensor([1.5], requires_grad=True))\n"
            "    float({m}.tensor([2.5], requires_grad=True))\n"
            "print([(w.category.__name__, str(w.message).split(' (Triggered')[0]) for w in r])\n")
    outs = [subprocess.run([sys.executable, "-c", code.format(m=m)], capture_output=True,
                           text=True, check=True).stdout for m in ("torch", "ember")]
    assert outs[0] == outs[1]
    assert outs[0].count("UserWarning") == 1


def test_item_of_a_tensor_requiring_grad_does_not_warn():
    def run(T):
        return T.tensor([1.5], requires_grad=True).item()
    assert caught_warnings(run, torch) == caught_warnings(run, ember) == []


def test_bool():
    def run(T):
        return (bool(T.tensor([0.0])), bool(T.tensor(2)), bool(T.tensor([[True]])),
                bool(T.tensor(-0.0)), bool(T.tensor(float("nan"))), bool(T.tensor([0.5])))
    both(run)


def test_bool_of_several_elements_is_an_error():
    same_error(lambda T: bool(T.tensor([1, 2])),
               "Boolean value of Tensor with more than one value is ambiguous", exact=True)


def test_bool_of_an_empty_tensor_is_an_error():
    same_error(lambda T: bool(T.tensor([])), "Boolean value of Tensor with no values is ambiguous")


def test_index():
    def run(T):
        seq = [10, 20, 30]
        return (seq[T.tensor(1)], seq[T.tensor([2])], range(10)[T.tensor(3, dtype=T.int8)],
                seq[T.tensor(True)], seq[T.tensor(2, dtype=T.uint8)], seq[T.tensor([[0]])],
                operator.index(T.tensor(5)), hex(T.tensor(255)), seq[T.tensor(1):])
    both(run)


@pytest.mark.parametrize("make", [lambda T: T.tensor(1.0), lambda T: T.tensor([1, 0]),
                                  lambda T: T.tensor([1.0])], ids=["float", "two", "float1d"])
def test_index_errors(make):
    same_error(lambda T: [10, 20][make(T)],
               "only integer tensors of a single element can be converted to an index",
               exact=True)


# -- format ----------------------------------------------------------------------------------


def test_format_of_a_0d_tensor():
    def run(T):
        return (format(T.tensor(3.14159), ".3f"), f"{T.tensor(2.5):.1f}", f"{T.tensor(7):d}",
                f"{T.tensor(7):5}", format(T.tensor(1.5), ""), format(T.tensor(0.1), ".20f"),
                format(T.tensor(0.1, dtype=T.float64), ".20f"), format(T.tensor(0.1), ""),
                format(T.tensor(True), ""), format(T.tensor(2), "03d"),
                f"{T.tensor(1.5, requires_grad=True):.2f}", f"{T.tensor(1.5, requires_grad=True)}")
    both(run)


@pytest.mark.parametrize("make", [lambda T: T.tensor([3.14159]), lambda T: T.tensor([1.0, 2.0]),
                                  lambda T: T.tensor([])], ids=["one", "two", "empty"])
def test_format_spec_on_a_multi_dim_tensor_is_an_error(make):
    same_error(lambda T: format(make(T), ".3f"),
               "unsupported format string passed to Tensor.__format__", exact=True)


def test_format_without_spec_is_the_repr():
    both(lambda T: (format(T.tensor([1.0, 2.0]), ""), f"{T.tensor([[1, 2]])}",
                    f"{T.tensor([1.0], requires_grad=True)}"))


# -- type(), dtype, shape, device -----------------------------------------------------------

ALL_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
              "bool", "complex64", "complex128"]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_type_names_and_dtype_reprs(dtype):
    def run(T):
        dt = getattr(T, dtype)
        t = T.zeros(1, dtype=dt)
        return t.type(), repr(dt), str(dt), t.dtype, repr(t.dtype), t.data.type()
    both(run)


def test_dtype_aliases_and_attributes():
    def run(T):
        return ([repr(d) for d in (T.float, T.double, T.long, T.int, T.half, T.bool, T.short)],
                T.float is T.float32, T.float32 == T.float, T.float32 != T.float64,
                hash(T.float32) == hash(T.float),
                T.float32.is_floating_point, T.int64.is_floating_point, T.complex64.is_complex,
                T.int8.is_signed, T.uint8.is_signed, T.float16.itemsize, T.float64.itemsize)
    both(run)


def test_type_with_an_argument_casts():
    def run(T):
        t = T.tensor([1.5, -2.5])
        return (t.type(T.int64), t.type("torch.IntTensor"), t.type(T.float32) is t,
                t.type(T.float64))
    both(run)


def test_type_with_a_legacy_class_casts():
    both(lambda T: (T.tensor([1.5]).type(T.DoubleTensor), T.tensor([1.5]).type(T.LongTensor)))


def test_shape_size_dim_numel_ndim():
    def run(T):
        s = T.zeros(2, 3, 4)
        return (s.shape, s.size(), s.size(1), s.size(-1), s.dim(), s.numel(), s.ndim, len(s),
                s.ndimension(), s.nelement(), str(s.shape), s.shape == (2, 3, 4),
                type(s.shape).__name__, isinstance(s.shape, tuple), T.numel(s),
                s.shape == T.Size([2, 3, 4]), s.shape == [2, 3, 4])
    both(run)


def test_shape_of_0d_and_empty():
    def run(T):
        z, e = T.tensor(1.0), T.zeros(0, 3)
        return z.shape, z.dim(), z.numel(), z.ndim, e.shape, e.numel(), len(e), e.size(1)
    both(run)


@pytest.mark.parametrize("dim", [3, -4])
def test_size_dim_out_of_range(dim):
    same_error(lambda T: T.zeros(2, 3, 4).size(dim), "Dimension out of range", exact=True)


@pytest.mark.parametrize("dim", [0, -1])
def test_size_dim_of_a_0d_tensor(dim):
    same_error(lambda T: T.tensor(1.0).size(dim), "tensor has no dimensions", exact=True)


def test_len_of_a_0d_tensor_is_an_error():
    same_error(lambda T: len(T.tensor(1.0)), "len() of a 0-d tensor", exact=True)


def test_size_object():
    def run(T):
        s = T.Size([2, 3])
        return (repr(s), str(s), repr(T.Size([])), repr(T.Size([5])), s[1:], s.numel(),
                T.Size([]).numel(), T.Size([0, 3]).numel(), s[0], s[-1], type(s[0]).__name__,
                T.Size([2]) + T.Size([3]), T.Size([2]) + (3,), type(s[1:]).__name__,
                type(T.Size([2]) + (3,)).__name__, f"{s}", s == (2, 3), len(s), list(s))
    both(run)


def test_tuple_plus_size_is_a_size():
    both(lambda T: ((1,) + T.Size([2]), type((1,) + T.Size([2])).__name__))


def test_size_of_floats_is_an_error():
    same_error(lambda T: T.Size([2.5]), "torch.Size() takes an iterable of 'int'")


def test_device():
    def run(T):
        t = T.tensor([1.0])
        d = t.device
        return (repr(d), str(d), d.type, d.index, d == T.device("cpu"), repr(T.device("cpu")),
                repr(T.device("cpu", 0)), str(T.device("cpu:0")), t.is_cuda,
                T.tensor([1.0], device="cpu").device == d)
    both(run)


def test_device_compared_with_a_string():
    both(lambda T: (T.tensor(1.0).device == "cpu", T.device("cpu") == "cpu"))


def test_is_floating_point():
    def run(T):
        return ([T.zeros(1, dtype=getattr(T, d)).is_floating_point() for d in ALL_DTYPES],
                T.is_floating_point(T.tensor([1])), T.is_floating_point(T.tensor([1.0])),
                T.is_tensor(T.tensor(1.0)), T.is_tensor(1.0), T.is_tensor(np.ones(1)))
    both(run)


# -- NumPy interop -----------------------------------------------------------------------------


def test_numpy():
    def run(T):
        return (T.tensor([1.0, 2.0]).numpy(), T.tensor([1, 2]).numpy(), T.tensor(1.5).numpy(),
                T.tensor([True]).numpy(), T.ones(1, dtype=T.float16).numpy(),
                type(T.tensor(1.5).numpy()).__name__,
                T.tensor([1.0], requires_grad=True).detach().numpy(),
                T.tensor([1.0], requires_grad=True).numpy(force=True))
    both(run)


def test_numpy_shares_memory():
    def run(T):
        t = T.tensor([1.0, 2.0])
        n = t.numpy()
        n[0] = 42.0
        t[1] = 7.0
        return t, n.copy()
    both(run)


@pytest.mark.parametrize("make", [lambda T: T.tensor([1.0], requires_grad=True),
                                  lambda T: T.tensor([1.0], requires_grad=True) * 2],
                         ids=["leaf", "non_leaf"])
def test_numpy_of_a_tensor_requiring_grad_is_an_error(make):
    same_error(lambda T: make(T).numpy(), "Can't call numpy() on Tensor that requires grad. Use "
               "tensor.detach().numpy() instead.", exact=True)


def test_tolist():
    def run(T):
        return (T.tensor([[1, 2], [3, 4]]).tolist(), T.tensor(2.5).tolist(),
                T.tensor([True]).tolist(), T.tensor([1.0], requires_grad=True).tolist(),
                T.tensor([]).tolist(), T.tensor([0.1]).tolist(),
                T.tensor([0.1], dtype=T.float16).tolist(), T.zeros(2, 0).tolist(),
                [type(v).__name__ for v in T.tensor([1, 2]).tolist()],
                type(T.tensor(True).tolist()).__name__, T.tensor([1 + 2j]).tolist())
    both(run)


def test_array_protocol():
    def run(T):
        return (np.asarray(T.tensor([1.0, 2.0])), np.asarray(T.tensor([1, 2])),
                np.asarray(T.tensor([1.0, 2.0]), dtype=np.float64),
                np.asarray(T.tensor([1, 2]), dtype=np.float32), np.asarray(T.tensor(3.0)),
                np.ones(2) + np.asarray(T.tensor([1.0, 2.0])))
    both(run)


def test_np_asarray_shares_memory():
    def run(T):
        t = T.tensor([1.0, 2.0])
        np.asarray(t)[0] = 7.0
        return t
    both(run)


def test_np_array_copies():
    def run(T):
        t = T.tensor([1.0, 2.0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            a = np.array(t)
        a[0] = 9.0
        return t
    both(run)


def test_np_asarray_of_a_tensor_requiring_grad_is_an_error():
    same_error(lambda T: np.asarray(T.tensor([1.0], requires_grad=True)),
               "Can't call numpy() on Tensor that requires grad")


# -- Python protocols ----------------------------------------------------------------------


def test_len_and_iteration():
    def run(T):
        m = T.tensor([[1, 2], [3, 4]])
        return (len(T.zeros(4, 2)), len(T.zeros(0)), list(m), list(T.tensor([1.0, 2.0])),
                [repr(v) for v in T.tensor([1.0, 2.0])], list(T.zeros(0)))
    both(run)


def test_iteration_yields_views():
    def run(T):
        m = T.tensor([[1.0, 2.0], [3.0, 4.0]])
        for row in m:
            row.add_(1)
        return m
    both(run)


def test_iteration_over_a_1d_tensor_yields_0d_views():
    def run(T):
        t = T.tensor([1.0, 2.0, 3.0])
        for v in t:
            v.mul_(10)
        return t
    both(run)


def test_single_element_indexing_is_a_view():
    def run(T):
        t = T.tensor([1.0, 2.0])
        t[1].zero_()
        m = T.tensor([[1.0, 2.0], [3.0, 4.0]])
        m[0, 1].fill_(9.0)
        m[1][0].add_(5.0)
        element = m[1, 1]
        m[1, 1] = -1.0
        return t, m, element
    both(run)


def test_iteration_of_a_tensor_requiring_grad():
    def run(T):
        parts = list(T.tensor([1.0, 2.0], requires_grad=True))
        return [(p.requires_grad, p.is_leaf, p.shape) for p in parts]
    both(run)


def test_iteration_of_a_tensor_requiring_grad_grad_fn_name():
    both(lambda T: [p.grad_fn.name() for p in T.tensor([1.0, 2.0], requires_grad=True)])


def test_iteration_over_a_0d_tensor_is_an_error():
    same_error(lambda T: list(T.tensor(1.0)), "iteration over a 0-d tensor", exact=True)


def test_hash_is_identity():
    def run(T):
        a, b = T.tensor([1.0]), T.tensor([1.0])
        return (hash(a) == id(a), hash(a) == hash(b), len({a, b}), a in {a: 1}, b in {a: 1},
                len({a, a}))
    both(run)


# -- copying and pickling ------------------------------------------------------------------


def test_deepcopy_of_a_leaf():
    def run(T):
        s = T.tensor([1.0, 2.0], requires_grad=True)
        (s * 3).sum().backward()
        c = copy.deepcopy(s)
        c.data[0] = 100.0
        return (c, s, c is s, c.grad, c.grad is s.grad, c.is_leaf, c.requires_grad,
                c.data_ptr() != s.data_ptr())
    both(run)


def test_deepcopy_keeps_shared_references_and_dtypes():
    def run(T):
        t = T.tensor([[1, 2]], dtype=T.int16)
        pair = copy.deepcopy([t, t])
        return pair[0] is pair[1], pair[0], copy.deepcopy(T.tensor(2.5, dtype=T.float64))
    both(run)


def test_deepcopy_of_a_view():
    def run(T):
        base = T.arange(6.0)
        c = copy.deepcopy(base[2:4])
        c[0] = 100.0
        return base, c
    both(run)


def test_copy_copy():
    both(lambda T: copy.copy(T.tensor([1.0, 2.0])))


def test_deepcopy_of_a_non_leaf_is_an_error():
    def run(T):
        h = T.tensor([1.0], requires_grad=True) * 2
        copy.deepcopy(h)
    same_error(run, "Only Tensors created explicitly by the user (graph leaves) support the "
                    "deepcopy protocol", exact=True)


@pytest.mark.parametrize("make", [
    lambda T: T.tensor([[1, 2], [3, 4]]), lambda T: T.tensor(1.5, dtype=T.float64),
    lambda T: T.ones(2, dtype=T.float16), lambda T: T.tensor([1, 255], dtype=T.uint8),
    lambda T: T.tensor([True, False]), lambda T: T.ones(2, dtype=T.complex64),
    lambda T: T.tensor([-1], dtype=T.int8), lambda T: T.zeros(0, 3),
    lambda T: T.tensor([1.0, 2.0], requires_grad=True),
    lambda T: T.arange(6).view(2, 3)[:, 1],
], ids=lambda f: "")
def test_pickle_round_trip(make):
    def run(T):
        t = make(T)
        r = pickle.loads(pickle.dumps(t))
        return r, r.is_leaf, r.grad
    both(run)


def test_pickle_drops_grad_and_graph():
    def run(T):
        s = T.tensor([1.0, 2.0], requires_grad=True)
        (s * 3).sum().backward()
        r = pickle.loads(pickle.dumps(s))
        q = pickle.loads(pickle.dumps(s * 2))
        return r, r.grad, q, q.is_leaf, q.grad_fn
    both(run)


def test_pickle_keeps_shared_references():
    def run(T):
        s = T.tensor([1.0, 2.0])
        pair = pickle.loads(pickle.dumps([s, s]))
        return pair[0] is pair[1]
    both(run)

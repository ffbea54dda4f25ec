"""Grad modes, inference mode and anomaly detection, differentially against PyTorch.

Each scenario is a function of the library module `T`, run once with torch and once with ember;
the flags it reports, the values, the errors and the warnings must agree.
"""
import re
import warnings

import numpy as np
import pytest

from helpers import assert_same

import ember

torch = pytest.importorskip("torch")
from helpers import raised, same_error  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled"),
              pytest.mark.filterwarnings("ignore:Error detected in")]


@pytest.fixture(autouse=True)
def _modes_restored():
    yield
    for T in (torch, ember):
        T.set_grad_enabled(True)
        T.autograd.set_detect_anomaly(False)


def assert_tree(e, t, path="result"):
    if torch.is_tensor(t):
        assert isinstance(e, ember.Tensor), f"{path}: ember gave {e!r}, torch a tensor"
        try:
            assert_same(e, t, rtol=1e-12, atol=1e-12)
        except AssertionError as error:
            raise AssertionError(f"{path}: {error}") from None
    elif isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), \
            f"{path}: ember {e!r} != torch {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_tree(a, b, f"{path}[{i}]")
    else:
        assert e == t, f"{path}: ember {e!r} != torch {t!r}"


def both(fn):
    t = fn(torch)
    e = fn(ember)
    assert_tree(e, t)
    return t






def caught(fn, T):
    """(result or exception, [(category name, message)]) of `fn(T)`; PyTorch's C++ source
    location suffix is dropped from messages."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            result = fn(T)
        except Exception as exc:  # noqa: BLE001
            result = exc
    return result, [(w.category.__name__,
                     re.sub(r" \(Triggered internally at [^)]*\)$", "", str(w.message)))
                    for w in record]


def tensor(T, values, requires_grad=False):
    return T.tensor(values, dtype=T.float64, requires_grad=requires_grad)


def anomaly_state(T):
    """(enabled, check_nan). PyTorch has these only at top level (`torch.is_anomaly_enabled`);
    ember's may live in `ember.autograd` (the top-level names are tested separately)."""
    if T is torch:
        return torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()
    mode = ember.autograd.anomaly_mode
    return mode.is_anomaly_enabled(), mode.is_anomaly_check_nan_enabled()


def flags(T, t):
    return (t.requires_grad, t.grad_fn is None, t.is_inference(), T.is_grad_enabled(),
            T.is_inference_mode_enabled())


# -- inference_mode -------------------------------------------------------------------------------


def test_inference_mode_context_manager():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        outside_before = (T.is_grad_enabled(), T.is_inference_mode_enabled())
        with T.inference_mode():
            y = x * 2
            z = T.ones(2)
            inside = flags(T, y) + flags(T, z) + (x.is_inference(),)
        after = flags(T, y) + (T.is_grad_enabled(), T.is_inference_mode_enabled())
        return outside_before, inside, after, y
    t = both(scenario)
    assert t[1][:5] == (False, True, True, False, True)


def test_inference_mode_as_decorator():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)

        @T.inference_mode()
        def called(v):
            return v * 3, T.is_inference_mode_enabled(), T.is_grad_enabled()
        a, a_inf, a_grad = called(x)
        return (a_inf, a_grad, a.is_inference(), a.requires_grad, T.is_inference_mode_enabled(),
                called.__name__, a)
    t = both(scenario)
    assert t[:5] == (True, False, True, False, False)


def test_inference_mode_as_bare_decorator():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)

        @T.inference_mode
        def bare(v):
            return T.is_inference_mode_enabled(), T.is_grad_enabled(), (v * 4).requires_grad
        return bare(x), bare(x), T.is_inference_mode_enabled(), bare.__name__
    t = both(scenario)
    assert t[:3] == ((True, False, False), (True, False, False), False)


def test_inference_mode_false_is_a_no_op_for_inference():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        with T.inference_mode(mode=False):
            y = x * 2
            state = flags(T, y)

        @T.inference_mode(False)
        def f(v):
            return v * 3, T.is_inference_mode_enabled(), T.is_grad_enabled()
        z, z_inf, z_grad = f(x)
        return state, z.requires_grad, z.is_inference(), z_inf, z_grad
    t = both(scenario)
    assert t[0] == (True, False, False, True, False)


def test_inference_mode_false_nested_inside_inference_mode():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        with T.inference_mode():
            with T.inference_mode(False):
                y = x * 2
                inner = flags(T, y)
            outer = (T.is_grad_enabled(), T.is_inference_mode_enabled())
        return inner, outer
    both(scenario)


def test_inference_mode_false_inside_no_grad():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        with T.no_grad():
            with T.inference_mode(False):
                y = x * 2
                inner = flags(T, y)
            after = T.is_grad_enabled()
        return inner, after
    both(scenario)


def test_inference_mode_restored_after_an_exception():
    def scenario(T):
        try:
            with T.inference_mode():
                raise ValueError("boom")
        except ValueError:
            pass
        return T.is_inference_mode_enabled(), T.is_grad_enabled()
    assert both(scenario) == (False, True)


def test_inference_mode_nested_in_no_grad_and_enable_grad():
    def scenario(T):
        states = []
        with T.no_grad():
            with T.inference_mode():
                states.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
                with T.enable_grad():
                    states.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
                states.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
            states.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
        return states
    both(scenario)


def test_inference_tensor_saved_for_backward_is_an_error():
    def scenario(T):
        with T.inference_mode():
            x = T.ones(3, dtype=T.float64)
        w = tensor(T, [1.0, 2.0, 3.0], True)
        return w * x
    t_exc, e_exc = same_error(scenario, "Inference tensors cannot be saved for backward.")
    assert str(e_exc) == str(t_exc)


def test_inference_tensor_saved_by_an_elementwise_function_is_an_error():
    def scenario(T):
        with T.inference_mode():
            x = T.ones(3, dtype=T.float64) * 0.5
        w = tensor(T, [1.0, 2.0, 3.0], True)
        return (w + x).sin() * x
    same_error(scenario, "Inference tensors cannot be saved for backward")


def test_inference_tensor_not_saved_is_fine_and_a_clone_works():
    def scenario(T):
        with T.inference_mode():
            x = T.ones(3, dtype=T.float64) * 2
        w = tensor(T, [1.0, 2.0, 3.0], True)
        y = w + x                                  # add saves nothing
        z = w * x.clone()                          # a clone is a normal tensor
        (y.sum() + z.sum()).backward()
        return y.requires_grad, x.clone().is_inference(), w.grad
    both(scenario)


def test_inference_tensor_in_place_outside_inference_mode_is_an_error():
    def scenario(T):
        with T.inference_mode():
            x = T.ones(3, dtype=T.float64)
        x.add_(1)
    same_error(scenario, "Inplace update to inference tensor outside InferenceMode is not "
                         "allowed.")


def test_inference_tensor_requires_grad_outside_inference_mode_is_an_error():
    def scenario(T):
        with T.inference_mode():
            x = T.ones(3, dtype=T.float64)
        x.requires_grad_(True)
    same_error(scenario, "Setting requires_grad=True on inference tensor outside InferenceMode "
                         "is not allowed.")


def test_inference_mode_leaves_normal_tensors_normal():
    def scenario(T):
        x = tensor(T, [1.0, 2.0])
        with T.inference_mode():
            y = x + 1
        return x.is_inference(), y.is_inference(), (x * 2).is_inference()
    assert both(scenario) == (False, True, False)


# -- no_grad / enable_grad / set_grad_enabled --------------------------------------------------


def test_nesting_of_grad_modes():
    def scenario(T):
        x = tensor(T, [1.0], True)
        seen = []

        def note(tag):
            seen.append((tag, T.is_grad_enabled(), (x * 2).requires_grad))
        note("start")
        with T.no_grad():
            note("no_grad")
            with T.enable_grad():
                note("enable_grad")
                with T.set_grad_enabled(False):
                    note("set_false")
                    with T.set_grad_enabled(True):
                        note("set_true")
                    note("set_false_again")
                note("enable_grad_again")
            note("no_grad_again")
        note("end")
        return seen
    both(scenario)


def test_set_grad_enabled_as_a_function_call():
    def scenario(T):
        states = [T.is_grad_enabled()]
        T.set_grad_enabled(False)
        states.append(T.is_grad_enabled())
        states.append((tensor(T, [1.0], True) * 2).requires_grad)
        T.set_grad_enabled(True)
        states.append(T.is_grad_enabled())
        return states
    assert both(scenario) == [True, False, False, True]


def test_grad_mode_decorators():
    def scenario(T):
        x = tensor(T, [1.0], True)

        @T.no_grad()
        def a():
            return (x * 2).requires_grad, T.is_grad_enabled()

        @T.no_grad
        def b():
            return (x * 2).requires_grad, T.is_grad_enabled()

        @T.enable_grad()
        def c():
            return (x * 2).requires_grad, T.is_grad_enabled()

        @T.set_grad_enabled(False)
        def d():
            return (x * 2).requires_grad, T.is_grad_enabled()
        after_definitions = T.is_grad_enabled()
        results = [a(), b(), d(), after_definitions]
        with T.no_grad():
            results.append(c())
            results.append(T.is_grad_enabled())
        results.append((a.__name__, b.__name__, c.__name__, d.__name__))
        return results
    t = both(scenario)
    assert t[:4] == [(False, False), (False, False), (False, False), True]
    assert t[4:6] == [(True, True), False]


def test_grad_mode_decorator_on_a_generator():
    def scenario(T):
        x = tensor(T, [1.0], True)
        log = []

        @T.no_grad()
        def gen():
            for i in range(3):
                log.append(("inside", i, T.is_grad_enabled(), (x * i).requires_grad))
                received = yield i
                log.append(("received", received, T.is_grad_enabled()))

        g = gen()
        log.append(("caller", next(g), T.is_grad_enabled()))
        log.append(("caller", g.send("a"), T.is_grad_enabled()))
        with T.no_grad():
            log.append(("caller_no_grad", g.send("b"), T.is_grad_enabled()))
        try:
            g.send("c")
        except StopIteration:
            log.append(("stopped", T.is_grad_enabled()))
        return log
    both(scenario)


def test_enable_grad_decorator_on_a_generator_called_under_no_grad():
    def scenario(T):
        x = tensor(T, [1.0], True)

        @T.enable_grad()
        def gen():
            yield T.is_grad_enabled(), (x * 2).requires_grad
            yield T.is_grad_enabled(), (x * 3).requires_grad
        with T.no_grad():
            out = list(gen())
            out.append(T.is_grad_enabled())
        return out
    both(scenario)


def test_generator_return_value_is_kept():
    def scenario(T):
        @T.no_grad()
        def gen():
            yield 1
            return "done"
        g = gen()
        next(g)
        try:
            next(g)
        except StopIteration as stop:
            return stop.value
    assert both(scenario) == "done"


def test_grad_mode_restored_after_an_exception_in_a_decorated_function():
    def scenario(T):
        @T.no_grad()
        def boom():
            raise ValueError("x")
        try:
            boom()
        except ValueError:
            pass
        return T.is_grad_enabled()
    assert both(scenario) is True


def test_grad_mode_context_objects_are_reusable():
    def scenario(T):
        ctx = T.no_grad()
        states = []
        for _ in range(2):
            with ctx:
                states.append(T.is_grad_enabled())
            states.append(T.is_grad_enabled())
        return states
    assert both(scenario) == [False, True, False, True]


def test_no_grad_result_can_be_made_to_require_grad():
    def scenario(T):
        x = tensor(T, [1.0, 2.0], True)
        with T.no_grad():
            y = x * 2
        y.requires_grad_(True)
        (y * y).sum().backward()
        return y.is_leaf, y.grad, x.grad
    both(scenario)


# -- anomaly detection ----------------------------------------------------------------------------


def _nan_in_sqrt(T):
    x = tensor(T, [0.0, 1.0], True)
    y = (x.sqrt() * 0).sum()                      # d sqrt at 0: 0 / 0
    y.backward()


def _nan_in_div_second_input(T):
    a = tensor(T, [0.0, 1.0], True)
    b = tensor(T, [0.0, 2.0], True)
    (a / b).sum().backward()                      # d/db = -a/b^2 = -0/0; d/da = 1/0 = inf


def test_detect_anomaly_names_the_node_and_the_output():
    def scenario(T):
        with T.autograd.detect_anomaly():
            _nan_in_sqrt(T)
    t_exc, e_exc = same_error(scenario, "returned nan values in its 0th output.")
    assert str(e_exc) == str(t_exc) == "Function 'SqrtBackward0' returned nan values in its 0th " \
                                       "output."


def test_detect_anomaly_second_output():
    def scenario(T):
        with T.autograd.detect_anomaly():
            _nan_in_div_second_input(T)
    t_exc, e_exc = same_error(scenario, "returned nan values in its 1th output.")
    assert str(e_exc) == str(t_exc) == "Function 'DivBackward0' returned nan values in its 1th " \
                                       "output."


def test_detect_anomaly_warnings():
    """Entering warns that anomaly detection is on; the failing node warns with the forward
    traceback (its first line names the node)."""
    def scenario(T):
        with T.autograd.detect_anomaly():
            _nan_in_sqrt(T)
    t_result, t_warnings = caught(scenario, torch)
    e_result, e_warnings = caught(scenario, ember)
    assert type(e_result) is type(t_result) is RuntimeError
    enable_message = ("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.")
    assert ("UserWarning", enable_message) in t_warnings
    assert ("UserWarning", enable_message) in e_warnings
    t_trace = [m for c, m in t_warnings if m.startswith("Error detected in")]
    e_trace = [m for c, m in e_warnings if m.startswith("Error detected in")]
    assert len(t_trace) == len(e_trace) == 1, (t_warnings, e_warnings)
    first = "Error detected in SqrtBackward0. Traceback of forward call that caused the error:"
    assert t_trace[0].startswith(first) and e_trace[0].startswith(first), e_trace
    assert "x.sqrt()" in t_trace[0] and "x.sqrt()" in e_trace[0]     # the forward line


def test_without_anomaly_detection_nan_gradients_pass_silently():
    def scenario(T):
        x = tensor(T, [0.0, 1.0], True)
        (x.sqrt() * 0).sum().backward()
        return x.grad
    t = both(scenario)
    assert np.isnan(t[0].item())


def test_set_detect_anomaly_as_a_function_and_a_context_manager():
    def scenario(T):
        states = [anomaly_state(T)[0]]
        T.autograd.set_detect_anomaly(True)
        states.append(anomaly_state(T)[0])
        error = raised(_nan_in_sqrt, T)
        states.append(str(error))
        T.autograd.set_detect_anomaly(False)
        states.append(anomaly_state(T)[0])
        with T.autograd.set_detect_anomaly(True):
            states.append(anomaly_state(T)[0])
        states.append(anomaly_state(T)[0])
        return states
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = both(scenario)
    assert t == [False, True, "Function 'SqrtBackward0' returned nan values in its 0th output.",
                 False, True, False]


def test_detect_anomaly_check_nan_false_does_not_raise():
    def scenario(T):
        with T.autograd.detect_anomaly(check_nan=False):
            inside = anomaly_state(T)
            x = tensor(T, [0.0, 1.0], True)
            (x.sqrt() * 0).sum().backward()
        return inside, x.grad, anomaly_state(T)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both(scenario)


def test_detect_anomaly_restores_the_previous_state():
    def scenario(T):
        states = []
        with T.autograd.detect_anomaly():
            states.append(anomaly_state(T)[0])
            with T.autograd.set_detect_anomaly(False):
                states.append(anomaly_state(T)[0])
            states.append(anomaly_state(T)[0])
        states.append(anomaly_state(T)[0])
        return states
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert both(scenario) == [True, False, True, False]


def test_anomaly_state_functions_at_top_level():
    """`torch.is_anomaly_enabled()` and `torch.is_anomaly_check_nan_enabled()`."""
    for name in ("is_anomaly_enabled", "is_anomaly_check_nan_enabled"):
        assert getattr(torch, name)() is (name == "is_anomaly_check_nan_enabled")
        assert hasattr(ember, name), f"ember has no top-level {name}"
        assert getattr(ember, name)() is getattr(torch, name)()


def test_detect_anomaly_in_a_custom_function():
    def scenario(T):
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * float("nan")
        with T.autograd.detect_anomaly():
            Bad.apply(tensor(T, [1.0], True)).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_exc, e_exc = same_error(scenario, "returned nan values in its 0th output.")
    assert str(e_exc) == str(t_exc) == "Function 'BadBackward' returned nan values in its 0th " \
                                       "output."


def test_anomaly_mode_with_autograd_grad():
    def scenario(T):
        with T.autograd.detect_anomaly():
            x = tensor(T, [0.0, 4.0], True)
            T.autograd.grad((x.sqrt() * 0).sum(), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(scenario, "Function 'SqrtBackward0' returned nan values in its 0th output.")

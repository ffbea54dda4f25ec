"""Anomaly detection: find the forward op whose backward produced NaN.

While it is on, every recorded node keeps the stack of the forward call that made it, and the
engine checks each node's gradients for NaN; the first NaN raises, after a warning that shows
where that op was called in the forward pass.
"""
import traceback
import warnings

enabled = False
check_nan = True


def is_anomaly_enabled():
    return enabled


def is_anomaly_check_nan_enabled():
    return check_nan


def _set(mode, nan):
    global enabled, check_nan
    enabled, check_nan = bool(mode), bool(nan)


class detect_anomaly:
    """Context manager (and decorator) turning anomaly detection on."""

    def __init__(self, check_nan=True):
        self._check_nan = check_nan
        self._prev = (enabled, globals()["check_nan"])
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = (enabled, check_nan)
        _set(True, self._check_nan)

    def __exit__(self, *exc):
        _set(*self._prev)
        return False

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """`set_detect_anomaly(True)` turns anomaly detection on now (or inside a `with`)."""

    def __init__(self, mode, check_nan=True):
        self._prev = (enabled, check_nan)
        _set(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(*self._prev)
        return False


def forward_trace():
    """The stack of the forward call recording a node (kept only while detection is on)."""
    return "".join(traceback.format_stack()[:-2])


def check_gradients(node, grads):
    """Raise PyTorch's error if `node` returned NaN, after warning where it was made."""
    import numpy as np
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind in "fc" and np.isnan(g._data).any():
            trace = getattr(node, "_anomaly_trace", None)
            if trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                              f"caused the error:\n{trace}", UserWarning, stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")

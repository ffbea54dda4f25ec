"""Grad mode: whether ops record the graph. One global switch, flipped by context managers.

Ops read `grad_mode.enabled` directly (a module attribute), so the check costs one lookup.
"""
import functools
import inspect

enabled = True


def is_grad_enabled():
    """True when new ops are recorded in the graph."""
    return enabled


class _GradModeContext:
    """Sets grad mode on entry and restores the previous mode on exit; also a decorator."""

    _mode = True

    def __enter__(self):
        global enabled
        self._prev = enabled
        enabled = self._mode

    def __exit__(self, *exc):
        global enabled
        enabled = self._prev
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, func):
        # A generator runs in pieces: each piece runs in this mode, and the caller's own mode
        # is back in force between them.
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with self.clone():
                    value = next(gen)
                while True:
                    sent = yield value
                    with self.clone():
                        value = gen.send(sent)
            except StopIteration as stop:
                return stop.value
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Inside `with ember.no_grad():` ops are not recorded, as in a weight update.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> with ember.no_grad():
    ...     print((w * 2).requires_grad)
    False
    """

    _mode = False

    def __new__(cls, orig_func=None):
        # `@no_grad` without parentheses decorates too, as in PyTorch.
        if orig_func is not None:
            return super().__new__(cls)(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass


class enable_grad(no_grad):
    """Turns recording back on inside a `no_grad` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` switches recording off now; as a context manager it restores
    the previous mode on exit."""

    def __init__(self, mode):
        global enabled
        self._mode = bool(mode)
        self._prev = enabled
        enabled = self._mode

    def __enter__(self):
        pass

    def __call__(self, func):
        # Used as a decorator, constructing it must not change the mode for the caller.
        global enabled
        enabled = self._prev
        return super().__call__(func)

    def clone(self):
        return type(self)(self._mode)


inference_enabled = False


def is_inference_mode_enabled():
    return inference_enabled


class inference_mode(_GradModeContext):
    """Like no_grad, and tensors made inside are inference tensors (`t.is_inference()`), which
    autograd later refuses to save: they may never be part of a recorded graph."""

    def __new__(cls, mode=True):
        if callable(mode):                          # bare `@inference_mode`
            return cls(True)(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        global enabled, inference_enabled
        self._prev = (enabled, inference_enabled)
        # inference_mode(False) is the opposite state: recording on, normal tensors
        enabled, inference_enabled = not self.mode, self.mode

    def __exit__(self, *exc):
        global enabled, inference_enabled
        enabled, inference_enabled = self._prev
        return False

    def clone(self):
        return type(self)(self.mode)

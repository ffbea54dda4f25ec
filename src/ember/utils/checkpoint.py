"""`ember.utils.checkpoint`: activation checkpointing. The checkpointed function runs without
keeping its intermediate values; backward runs it again (with the random state of the first
run, so dropout draws the same mask) to get them, trading compute for memory. Gradients are
the same, bit for bit, as without checkpointing.

Two variants, as in PyTorch:
- `use_reentrant=True`: the whole call is one autograd Function (`CheckpointFunctionBackward`)
  whose backward reruns the function under grad mode and backpropagates through that rerun;
- `use_reentrant=False` (recommended): the function runs with grad recorded normally, but under
  saved-tensor hooks that keep nothing; the first time backward needs a saved value, the
  function is rerun and the values it saves are handed out instead.
"""
import contextlib
import warnings

from .. import random as _random
from ..autograd import grad_mode
from ..autograd.function import Function
from ..autograd.graph import saved_tensors_hooks

__all__ = ["CheckpointError", "CheckpointFunction", "check_backward_validity", "checkpoint",
           "checkpoint_sequential", "detach_variable", "noop_context_fn",
           "set_checkpoint_debug_enabled"]

_DEFAULT_DETERMINISM_MODE = "default"
_checkpoint_debug_enabled = None


class CheckpointError(RuntimeError):
    """The rerun of a checkpointed function saved different tensors than the first run."""


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """Within this context, override every checkpoint's `debug` flag (None: leave it).

    >>> with set_checkpoint_debug_enabled(False):
    ...     pass
    """
    global _checkpoint_debug_enabled
    previous = _checkpoint_debug_enabled
    _checkpoint_debug_enabled = enabled
    try:
        yield
    finally:
        _checkpoint_debug_enabled = previous


def noop_context_fn():
    """The default `context_fn`: two do-nothing contexts (forward, recompute).

    >>> fwd, rec = noop_context_fn()
    """
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """Detached copies of the tensors in the tuple `inputs`, keeping their requires_grad.

    >>> import ember
    >>> detach_variable((ember.ones(1, requires_grad=True),))[0].requires_grad
    True
    """
    from .._tensor import Tensor
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs):
    """Warn when no tensor input requires grad (the checkpointed part then gets no grad).

    >>> import ember
    >>> check_backward_validity((ember.ones(1, requires_grad=True),))
    """
    from .._tensor import Tensor
    if not any(isinstance(inp, Tensor) and inp.requires_grad for inp in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None")


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward without grad, backward reruns and backpropagates.

    >>> import ember
    >>> x = ember.ones(2, requires_grad=True)
    >>> CheckpointFunction.apply(lambda t: t.sin(), True, x).sum().backward()
    """

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        from .._tensor import Tensor
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = _random.get_rng_state()
        ctx.inputs, ctx.tensor_indices, tensors = [], [], []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensors.append(arg)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.save_for_backward(*tensors)
        with grad_mode.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        from .. import autograd
        from .._tensor import Tensor
        inputs = list(ctx.inputs)
        for i, tensor in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = tensor
        with _random.fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                _random.set_rng_state(ctx.fwd_cpu_state)
            detached = detach_variable(tuple(inputs))
            with grad_mode.enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        with_grad = [(out, g) for out, g in zip(outputs, grads)
                     if isinstance(out, Tensor) and out.requires_grad]
        if not with_grad:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        autograd.backward([o for o, _ in with_grad], [g for _, g in with_grad])
        return (None, None) + tuple(inp.grad if isinstance(inp, Tensor) else None
                                    for inp in detached)


class _Frame:
    """One non-reentrant checkpointed call: what is needed to rerun it, and the values the
    rerun saved (handed out to backward one by one)."""

    def __init__(self, function, args, kwargs, rng_state, context_fn, determinism_check):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state, self.context_fn = rng_state, context_fn
        self.determinism_check = determinism_check
        self.metas = []              # (shape, dtype, device) of each tensor the first run saved
        self.recomputed = {}         # index -> tensor the rerun saved

    def pack(self, tensor):
        self.metas.append((tuple(tensor.shape), tensor.dtype, tensor.device))
        return _Handle(self, len(self.metas) - 1)

    def recompute(self):
        saved = []

        def pack(tensor):
            saved.append(tensor.detach())
            return None

        def unpack(_):
            raise CheckpointError("torch.utils.checkpoint: unpack is being triggered for a "
                                  "tensor that was already unpacked once.")

        with contextlib.ExitStack() as stack:
            if self.rng_state is not None:
                stack.enter_context(_random.fork_rng())
                _random.set_rng_state(self.rng_state)
            stack.enter_context(grad_mode.enable_grad())
            stack.enter_context(saved_tensors_hooks(pack, unpack))
            stack.enter_context(self.context_fn)
            self.function(*self.args, **self.kwargs)
        if self.determinism_check == "default":
            self._check(saved)
        self.recomputed = dict(enumerate(saved))

    def _check(self, saved):
        if len(saved) < len(self.metas):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.metas)}\n"
                f"Number of tensors saved during recomputation: {len(saved)}.")
        for i, (meta, tensor) in enumerate(zip(self.metas, saved)):
            now = (tuple(tensor.shape), tensor.dtype, tensor.device)
            if now != meta:
                names = ("shape", "dtype", "device")
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values for the following tensors have "
                    "different metadata than during the forward pass.\n"
                    f"tensor at position {i}:\n"
                    f"saved metadata: {dict(zip(names, meta))}\n"
                    f"recomputed metadata: {dict(zip(names, now))}\n")


class _Handle:
    __slots__ = ("frame", "index")

    def __init__(self, frame, index):
        self.frame, self.index = frame, index


def _unpack(handle):
    frame = handle.frame
    if handle.index not in frame.recomputed:
        # first use in this backward (or a later backward with retain_graph): rerun
        frame.recompute()
    # handed out once: a second backward (retain_graph=True) reruns the function again
    return frame.recomputed.pop(handle.index)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check=_DEFAULT_DETERMINISM_MODE, debug=False, early_stop=True,
               **kwargs):
    """Run `function(*args, **kwargs)` without keeping its intermediate values; backward
    reruns it to get them. Pass `use_reentrant=False` (recommended) or `True` explicitly:
    leaving it out warns and uses True, as PyTorch 2.13 does.

    >>> import ember
    >>> x = ember.ones(3, requires_grad=True)
    >>> y = checkpoint(lambda t: (t * 2).sin(), x, use_reentrant=False)
    >>> y.sum().backward()
    >>> x.grad
    tensor([-0.8323, -0.8323, -0.8323])
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)

    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    forward_context, recompute_context = context_fn()
    rng_state = _random.get_rng_state() if preserve else None
    frame = _Frame(function, args, kwargs, rng_state, recompute_context, determinism_check)
    with saved_tensors_hooks(frame.pack, _unpack), forward_context:
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Split the list (or Sequential) `functions` into `segments` chunks and checkpoint every
    chunk but the last; returns the output of the last.

    >>> import ember
    >>> model = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.ReLU(), ember.nn.Linear(2, 1))
    >>> out = checkpoint_sequential(model, 2, ember.ones(1, 2), use_reentrant=False)
    """
    from .. import nn
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    if isinstance(functions, nn.Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)

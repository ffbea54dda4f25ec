"""The backward pass: walk the graph from the output to the leaves, applying the chain rule.

1. Walk the graph once from the roots, collecting every node that can be reached.
2. Run them newest first. An op's inputs always exist before the op, so a node's consumers are
   newer than it: by the time a node runs, every gradient flowing into it has arrived and been
   summed. This is the order PyTorch's ready queue gives (highest sequence number first), and
   it decides the order gradients are summed in, so the float bits match PyTorch's.
3. Each node turns the gradient of its output into gradients of its inputs (`Node.apply`);
   those are summed into the buffers of the next nodes. A leaf's `AccumulateGrad` runs as soon
   as its last gradient has arrived, as in PyTorch.
"""
from operator import attrgetter

from . import anomaly_mode, grad_mode
from .graph import AccumulateGrad

_newest_first = attrgetter("_sequence_nr")
_final_callbacks = None     # the running pass's queue_callback list; None outside backward


def queue_callback(callback):
    """Run `callback()` when the backward pass now running has finished (PyTorch's
    `Variable._execution_engine.queue_callback`): DistributedDataParallel waits there for the
    gradient averages it started during the pass."""
    if _final_callbacks is None:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks.append(callback)


class _ExecutionEngine:
    """What PyTorch code reaches as `torch.autograd.Variable._execution_engine`."""

    queue_callback = staticmethod(queue_callback)


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None,
                 only_leaves=None):
    """Backpropagate `root_grads` into the graph through the edges `roots` ((node, output_nr)
    pairs), adding into leaves' `.grad`.

    `capture` (for `autograd.grad`): tensors whose gradients are returned instead; then no
    `.grad` changes. `only_leaves`: the AccumulateGrad nodes allowed to run (`inputs=`).
    """
    captured = where = None
    if capture is not None:
        where = {}
        for i, t in enumerate(capture):
            node = t._grad_fn if t._grad_fn is not None else t._grad_accumulator()
            where.setdefault(node, []).append(i)
        captured = [None] * len(capture)
        only_leaves = ()

    ops, leaf_edges = _walk([node for node, _ in roots])
    buffers = {}
    for (node, output_nr), grad in zip(roots, root_grads):
        _add(buffers, node, output_nr, grad)

    global _final_callbacks
    previous_mode = grad_mode.enabled
    grad_mode.enabled = create_graph        # the backward pass is itself recorded if asked
    special = captured is not None or only_leaves is not None
    run = _Run(buffers, special, where, captured, only_leaves)
    outer_callbacks, _final_callbacks = _final_callbacks, []   # a hook may run a nested pass
    try:
        for node in ops:
            if type(node) is AccumulateGrad:
                if leaf_edges.get(node, 0) == 0 and node in buffers:
                    run.leaf(node)            # a leaf that is itself a root
                continue
            grad = buffers.pop(node, None)
            if grad is None:
                continue                      # no gradient reached this node
            if node._hooked:
                grad = _run_pre_hooks(node, grad)
            if special and captured is not None and node in where:
                for i in where[node]:
                    captured[i] = grad
            grads = node.apply(grad)
            if anomaly_mode.enabled and anomaly_mode.check_nan:
                anomaly_mode.check_gradients(node, grads)
            if not retain_graph and node._saved:
                node._saved = None            # free what the node saved for backward
            if node._hooked and node._post_hooks:
                for hook in node._post_hooks:
                    new = hook(grads, (grad,))
                    if new is not None:
                        grads = new
            for (next_node, output_nr), g in zip(node.next_functions, grads):
                if next_node is None:
                    continue
                if g is not None:
                    if next_node.num_outputs != 1:
                        _add_to_output(buffers, next_node, output_nr, g)
                    elif next_node in buffers:
                        buffers[next_node] = buffers[next_node] + g
                    else:
                        buffers[next_node] = g
                if next_node.__class__ is AccumulateGrad:
                    remaining = leaf_edges[next_node] - 1
                    leaf_edges[next_node] = remaining
                    if remaining == 0 and next_node in buffers:
                        run.leaf(next_node)   # its last gradient is in: accumulate now
        callbacks = _final_callbacks
        for callback in callbacks:            # a callback may queue another: the list grows
            callback()
    finally:
        grad_mode.enabled = previous_mode
        _final_callbacks = outer_callbacks
    return captured


class _Run:
    """What running a leaf's AccumulateGrad needs from the pass."""

    def __init__(self, buffers, special, where, captured, only):
        self.buffers, self.special = buffers, special
        self.where, self.captured, self.only = where, captured, only

    def leaf(self, node):
        grad = self.buffers.pop(node)
        if node._hooked:
            grad = _run_pre_hooks(node, grad)
        if self.special:
            if self.captured is not None and node in self.where:
                for i in self.where[node]:
                    self.captured[i] = grad
            if node not in self.only:
                return
        node.apply(grad)
        if node._hooked and node._post_hooks:
            for hook in node._post_hooks:
                hook((), (grad,))


def _walk(roots):
    """Every node reachable from `roots`, newest first, and for each leaf's AccumulateGrad the
    number of edges that lead into it (it runs when they have all delivered)."""
    seen = set(roots)
    stack = list(seen)
    leaf_edges = {}
    while stack:
        for next_node, _ in stack.pop().next_functions:
            if next_node is None:
                continue
            if next_node.__class__ is AccumulateGrad:
                leaf_edges[next_node] = leaf_edges.get(next_node, 0) + 1
            if next_node not in seen:
                seen.add(next_node)
                stack.append(next_node)
    ops = sorted(seen, key=_newest_first, reverse=True)
    return ops, leaf_edges


def _add(buffers, node, output_nr, grad):
    if node.num_outputs != 1:
        _add_to_output(buffers, node, output_nr, grad)
    elif node in buffers:
        buffers[node] = buffers[node] + grad
    else:
        buffers[node] = grad


def _add_to_output(buffers, node, output_nr, grad):
    """Sum `grad` into the buffer slot of one output of a node with several outputs."""
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * node.num_outputs
    slots[output_nr] = grad if slots[output_nr] is None else slots[output_nr] + grad


def _run_pre_hooks(node, grad):
    """Before a node runs, in PyTorch's order: the hooks registered on the tensor it made
    (each may replace the gradient), retain_grad's, then the node's own pre-hooks (which see
    and may replace the tuple of output gradients)."""
    for hook in node._tensor_hooks or ():
        new = hook(grad)
        if new is not None:
            grad = new
    if node._retain_grad_hook is not None:
        node._retain_grad_hook(grad)
    if node._pre_hooks:
        grads = grad if node.num_outputs != 1 else (grad,)
        for hook in node._pre_hooks:
            new = hook(grads)
            if new is not None:
                grads = tuple(new)
        grad = grads if node.num_outputs != 1 else grads[0]
    return grad

"""The backward pass: walk the graph from the output to the leaves, applying the chain rule.

1. Count, for every node reachable from the roots, how many edges lead into it: a node may run
   only once every gradient that flows into it has arrived and been summed.
2. Run ready nodes, most recently created first (PyTorch's order, which decides the order in
   which gradients are summed and so the exact float result). `AccumulateGrad` nodes run as
   soon as they are ready.
3. Each node turns the gradient of its output into gradients of its inputs (`Node.apply`);
   those are summed into the buffers of the next nodes.
"""
from heapq import heappop, heappush

from . import anomaly_mode, grad_mode
from .graph import AccumulateGrad


def run_backward(roots, root_grads, retain_graph, create_graph, capture=None,
                 only_leaves=None):
    """Backpropagate `root_grads` into the graph through the edges `roots` ((node, output_nr)
    pairs), adding into leaves' `.grad`.

    `capture` (for `autograd.grad`): tensors whose gradients are returned instead; then no
    `.grad` changes. `only_leaves`: the AccumulateGrad nodes allowed to run (`inputs=`).
    """
    captured = None
    if capture is not None:
        where = {}
        for i, t in enumerate(capture):
            node = t._grad_fn if t._grad_fn is not None else t._grad_accumulator()
            where.setdefault(node, []).append(i)
        captured = [None] * len(capture)
        only_leaves = ()

    dependencies = _count_dependencies([node for node, _ in roots])
    buffers = {}
    ready = []
    for (node, output_nr), grad in zip(roots, root_grads):
        if node.num_outputs != 1:
            _add_to_output(buffers, node, output_nr, grad)
        elif node in buffers:
            buffers[node] = buffers[node] + grad
        else:
            buffers[node] = grad
    for node in buffers:
        if dependencies.get(node, 0) == 0:
            heappush(ready, (-node._sequence_nr, node))

    previous_mode = grad_mode.enabled
    grad_mode.enabled = create_graph        # the backward pass is itself recorded if asked
    special = captured is not None or only_leaves is not None
    try:
        while ready:
            node = heappop(ready)[1]
            grad = buffers.pop(node)
            if node._hooked:
                grad = _run_pre_hooks(node, grad)
            if special:
                if captured is not None and node in where:
                    for i in where[node]:
                        captured[i] = grad
                if type(node) is AccumulateGrad and node not in only_leaves:
                    continue
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
                if next_node is None or g is None:
                    continue
                if next_node.num_outputs != 1:
                    _add_to_output(buffers, next_node, output_nr, g)
                elif next_node in buffers:
                    buffers[next_node] = buffers[next_node] + g
                else:
                    buffers[next_node] = g
                remaining = dependencies[next_node] - 1
                dependencies[next_node] = remaining
                if remaining == 0:
                    heappush(ready, (-next_node._sequence_nr, next_node))
    finally:
        grad_mode.enabled = previous_mode
    return captured


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


def _count_dependencies(roots):
    """For each node reachable from `roots`, the number of edges that lead into it."""
    dependencies = {}
    root_set = set(roots)
    stack = list(root_set)          # a node may be a root more than once (several outputs)
    while stack:
        for next_node, _ in stack.pop().next_functions:
            if next_node is None:
                continue
            if next_node in dependencies:
                dependencies[next_node] += 1
            else:
                dependencies[next_node] = 1      # first visit: walk on from it
                if next_node not in root_set:
                    stack.append(next_node)
    return dependencies

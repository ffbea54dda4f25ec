"""Watch a backward pass and write down every gradient that flows.

The real `l.backward()` keeps only the leaves' gradients (`.grad`); the ones in between are
summed, used and thrown away. To show them, `run` makes its own pass over the same graph:

    ember.autograd.grad(l, [leaves], retain_graph=True)

with a hook on every node that records the gradient arriving there (a pre-hook) and the
gradients it sends to its inputs (a post-hook). `autograd.grad` returns gradients instead of
adding them into `.grad`, and `retain_graph=True` keeps the saved tensors, so the program
afterwards computes exactly what it would have computed without us.

While the pass runs, the program's own hooks on these nodes are set aside (they could print,
count or change `.grad` of a tensor that called `retain_grad()`), and afterwards every node's
hook attributes are put back exactly as they were, so even the engine's one check per node
(`node._hooked`) is unchanged.
"""
import numpy as np

from .. import autograd
from .._tensor import Tensor

# every attribute through which a node carries hooks (tensor hooks, retain_grad, the node's
# own pre- and post-hooks) and the engine's flag that says it has any
_HOOK_ATTRS = ("_pre_hooks", "_post_hooks", "_tensor_hooks", "_retain_grad_hook", "_hooked")


def run(graph, grad_output=None):
    """Fill in `grad`, `passed`, `contributions` and `step` of every VNode of `graph`.

    On a graph whose saved values were freed (a `backward()` without `retain_graph=True`)
    nothing can be computed again: `graph.trace_error` then says so and nothing is filled.
    """
    tensor = graph.tensor
    if tensor._grad_fn is None:
        return
    if graph.freed:
        graph.trace_error = "freed"
        return
    leaves = [v.variable for v in graph.leaves
              if v.variable is not None and v.variable._requires_grad]
    if not leaves:
        graph.trace_error = "no leaves"
        return
    if grad_output is None and tensor._data.size != 1:
        # like `out.sum().backward()`: every element of the output counts once
        grad_output = Tensor._make(np.ones(tensor._data.shape, tensor._data.dtype))
        graph.root_grad_is_ones = True
    nodes = [v.node for v in graph.vnodes if v.node is not None]
    # what each node carries now, to put back afterwards (any attribute named like a hook
    # holder is included, so hooks of a kind added to the engine later are set aside too)
    hook_attrs = [tuple(set(_HOOK_ATTRS) | {k for k in node.__dict__ if "hook" in k})
                  for node in nodes]
    before = [{k: node.__dict__[k] for k in attrs if k in node.__dict__}
              for node, attrs in zip(nodes, hook_attrs)]
    arrived, sent, order = {}, {}, []
    handles = []
    try:
        for node, state, attrs in zip(nodes, before, hook_attrs):
            graph.by_node[node].program_hooks = any(
                state.get(k) for k in attrs if k != "_hooked")
            # set the program's hooks aside for the duration of our pass
            for k in attrs:
                setattr(node, k, None)
            node._hooked = False
            handles.append(node.register_prehook(_arrival(node, arrived, order)))
            if node.next_functions:
                handles.append(node.register_hook(_departure(node, sent)))
        captured = autograd.grad(tensor, leaves, grad_outputs=grad_output, retain_graph=True,
                                 allow_unused=True)
    except RuntimeError as error:
        graph.trace_error = str(error)
    finally:
        for handle in handles:
            handle.remove()
        for node, state, attrs in zip(nodes, before, hook_attrs):
            for k in attrs:
                node.__dict__.pop(k, None)
            node.__dict__.update(state)
    if graph.trace_error is not None:
        return
    graph.traced = True
    # the leaves' gradients are also what autograd.grad returned (in case an engine does not
    # run pre-hooks on the leaves' AccumulateGrad nodes when it only captures)
    leaf_nodes = [v.node for v in graph.leaves
                  if v.variable is not None and v.variable._requires_grad]
    for node, g in zip(leaf_nodes, captured):
        if node not in arrived and g is not None:
            arrived[node] = _array(g)
    if set(order) != set(arrived):
        order = [v.node for v in graph.order if v.node in arrived]   # the engine's rule
    for step, node in enumerate(order):
        v = graph.by_node[node]
        v.step = step
        v.grad = arrived[node]
        v.passed = sent.get(node, [])
        for i, inp in enumerate(v.inputs):
            g = v.passed[i] if i < len(v.passed) else None
            if g is not None and not inp.is_constant:
                inp.vnode.contributions.append((v, i, g))
    graph.order = [graph.by_node[node] for node in order]
    graph.fill_shapes_from_grads()


def _array(g):
    return None if g is None else np.array(g._data, copy=True)


def _arrival(node, arrived, order):
    def hook(grad):
        order.append(node)
        # a node's pre-hook gets the gradients of its outputs, one per output (a tuple, or a
        # list; a bare tensor from an engine that passes a one-output node's gradient alone)
        if isinstance(grad, (list, tuple)):
            grads = [_array(g) for g in grad]
            arrived[node] = grads if node.num_outputs != 1 else grads[0]
        else:
            arrived[node] = _array(grad)
    return hook


def _departure(node, sent):
    def hook(grad_inputs, grad_outputs):
        sent[node] = [_array(g) if isinstance(g, Tensor) else None for g in grad_inputs]
    return hook

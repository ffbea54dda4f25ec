"""Read a tensor's backward graph into plain records the pictures and explanations use.

`Graph(tensor, params, frame)` walks `tensor.grad_fn` through `next_functions` and gives every
node a `VNode` with
- a name for the tensor it produced: from `params`, else from the caller's variables (`w1`,
  `y_hat`) when exactly one variable holds that tensor, else made up (`t1`, `t2`, ...);
- its inputs: other nodes, or constants (a Python number, a tensor that needs no gradient),
  whose value is read from what the node saved when it kept it (`w1 * 4.0` saves the 4.0);
- the forward values that are still known: the output itself, tensors in the caller's frame,
  tensors a node saved for backward, and values recomputed from those for the simple ops;
- the order in which the engine will run the nodes (newest first, as `engine.py` does).

Reading the graph changes nothing in it: saved tensors are read through `Node.saved` (which
checks them but does not free them), and no node's attributes are created or modified.
"""
import heapq

import numpy as np

from .. import _tensor
from ..autograd.graph import AccumulateGrad
from . import _format
from ._ops import lookup

Tensor = _tensor.Tensor
_UNKNOWN = object()          # a constant whose value the graph did not keep
_SHAPE_ATTR_OPS = {          # ops whose `node.shape` is the shape of their (single) input
    "SumBackward0", "SumBackward1", "MeanBackward0", "MeanBackward1", "ViewBackward0",
    "UnsafeViewBackward0", "ReshapeAliasBackward0", "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2",
    "ExpandBackward0", "SelectBackward0", "SliceBackward0", "AliasBackward0",
    "IndexBackward0", "UnsqueezeBackward0"}


class Input:
    """One input of an op: an edge from another node, or a constant."""

    def __init__(self, vnode=None, output_nr=0, constant=_UNKNOWN):
        self.vnode = vnode
        self.output_nr = output_nr
        self.constant = constant      # for constants: the number or tensor, or _UNKNOWN
        self.text = None              # how the constant is written (filled in by Graph)
        self.deduced = False          # constant worked out from the values around it

    @property
    def is_constant(self):
        return self.vnode is None


class VNode:
    """One node of the graph, with everything the picture and the explanation show."""

    def __init__(self, node, index, variable=None):
        self.node = node                      # the autograd node (AccumulateGrad for a leaf)
        self.id = f"n{index}"
        self.variable = variable if node is None else getattr(node, "variable", None)
        self.is_leaf = node is None or type(node) is AccumulateGrad
        self.kind = "leaf" if self.is_leaf else "op"
        self.op_name = "leaf" if node is None else node.name()
        self.op = None if self.is_leaf else lookup(self.op_name)
        self.num_outputs = 1 if node is None else node.num_outputs
        self.name = None                      # the name of its output tensor
        self.output_names = {}                # for a node with several outputs: nr -> name
        self.named_by = None                  # "params", "frame" or "auto"
        self.inputs = []                      # list of Input
        self.uses = []                        # (consumer VNode, input index) pairs
        self.values = {}                      # output_nr -> forward value (NumPy array)
        self.shapes = {}                      # output_nr -> shape tuple
        self.dtype = None
        self.depth = 0                        # longest path from the output
        self.saved_ok = True                  # its saved values are still there
        # filled in by _trace.run
        self.grad = None                      # gradient arriving (list for several outputs)
        self.passed = []                      # per input: the gradient sent down that edge
        self.contributions = []               # (consumer, input index, gradient) as they came
        self.step = None                      # position in the engine's order
        self.program_hooks = False            # the program registered hooks on this node

    @property
    def value(self):
        return self.values.get(0)

    @property
    def shape(self):
        return self.shapes.get(0)

    def __repr__(self):
        return f"<VNode {self.id} {self.op_name} {self.name}>"


class Graph:
    """The graph behind `tensor`, read once (see the module docstring)."""

    def __init__(self, tensor, params=None, frame=None):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"expected a tensor, got {type(tensor).__name__}")
        self.tensor = tensor
        self.vnodes = []
        self.by_node = {}
        self.freed = False                    # a backward() without retain_graph ran
        self.trace_error = None               # why the gradients could not be traced
        self.traced = False
        self.root_grad_is_ones = False        # non-scalar output: backward started from ones
        params = _param_items(params)         # once: it may be a generator (named_parameters)
        self._collect()
        self._resolve_constants()
        self._name(params, frame)
        self._resolve_values(params, frame)
        self._resolve_shapes()
        self._depths()
        self.order = self._engine_order()

    # -- structure --------------------------------------------------------------------------

    def _collect(self):
        t = self.tensor
        root_node = t._grad_fn
        if root_node is None:
            # a lone leaf (or a tensor that needs no gradient at all): one box, no steps
            accumulator = t._accumulator() if t._accumulator is not None else None
            v = VNode(accumulator, 0, variable=t)
            self.vnodes.append(v)
            if accumulator is not None:
                self.by_node[accumulator] = v
            self.root, self.root_nr = v, 0
            return
        seen = {root_node}
        stack = [root_node]
        while stack:
            node = stack.pop()
            for nxt, _ in node.next_functions:
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        # leaves first, then ops in the order they were created (the forward order)
        ordered = sorted(seen, key=lambda n: (type(n) is not AccumulateGrad, n._sequence_nr))
        for i, node in enumerate(ordered):
            v = VNode(node, i)
            self.vnodes.append(v)
            self.by_node[node] = v
        for v in self.vnodes:
            if v.is_leaf:
                continue
            v.saved_ok = v.node._saved is not None
            if not v.saved_ok:
                self.freed = True
            for i, (nxt, nr) in enumerate(v.node.next_functions):
                if nxt is None:
                    v.inputs.append(Input(constant=_UNKNOWN))
                else:
                    src = self.by_node[nxt]
                    v.inputs.append(Input(src, nr))
                    src.uses.append((v, i))
        self.root, self.root_nr = self.by_node[root_node], t._output_nr

    @property
    def leaves(self):
        return [v for v in self.vnodes if v.is_leaf]

    @property
    def ops(self):
        return [v for v in self.vnodes if not v.is_leaf]

    def target_of(self, t):
        """The (VNode, output_nr) whose output is the tensor `t`, or None."""
        if not isinstance(t, Tensor):
            return None
        if t._grad_fn is not None:
            v = self.by_node.get(t._grad_fn)
            return None if v is None else (v, t._output_nr)
        if t is self.tensor:
            return (self.root, 0)
        acc = t._accumulator() if t._accumulator is not None else None
        v = self.by_node.get(acc) if acc is not None else None
        return None if v is None else (v, 0)

    # -- names --------------------------------------------------------------------------------

    def _name(self, params, frame):
        taken = set()
        names = {}                            # (vnode, nr) -> name
        self.constant_names = {}              # id(tensor) -> name, for constant tensors
        constants = {id(inp.constant) for v in self.ops for inp in v.inputs
                     if inp.is_constant and isinstance(inp.constant, Tensor)}
        for name, t in _param_items(params):
            target = self.target_of(t)
            if target is not None and target not in names:
                names[target] = (name, "params")
                taken.add(name)
            elif target is None and id(t) in constants:   # an input that needs no grad
                self.constant_names.setdefault(id(t), name)
        for name, target, t in self._frame_names(frame):
            if target is None:
                self.constant_names.setdefault(id(t), name)
            elif target not in names:
                names[target] = (name, "frame")
                taken.add(name)
        for (v, nr), (name, how) in names.items():
            if v.num_outputs == 1:
                v.name, v.named_by = name, how
            else:                       # unbind: each output has its own name (p, q, r)
                v.output_names[nr] = name
        # made-up names for the rest: leaves leaf1.., the output L, ops t1, t2, ...
        counters = {"leaf": 0, "op": 0}
        for v in self.vnodes:
            if v.name is not None:
                continue
            if v is self.root and "L" not in taken:
                v.name = "L" if self._root_is_scalar() else "out"
            else:
                prefix = "leaf" if v.is_leaf else "t"
                key = "leaf" if v.is_leaf else "op"
                while True:
                    counters[key] += 1
                    candidate = f"{prefix}{counters[key]}"
                    if candidate not in taken:
                        break
                v.name = candidate
            v.named_by = "auto"
            taken.add(v.name)

    def _root_is_scalar(self):
        return self.tensor._data.size == 1

    def _frame_names(self, frame):
        """(name, target, tensor) for each tensor variable of the caller that is in the graph
        (target None: a constant input) and held by exactly one name. Locals win over
        globals."""
        if frame is None:
            return []
        constants = {id(inp.constant) for v in self.ops for inp in v.inputs
                     if inp.is_constant and isinstance(inp.constant, Tensor)}
        found = {}
        for scope in (frame.f_locals, frame.f_globals):
            in_scope = {}
            for name, value in list(scope.items()):
                if not isinstance(value, Tensor) or name.startswith("_"):
                    continue
                target = self.target_of(value)
                if target is None:
                    if id(value) not in constants:
                        continue
                    key = ("const", id(value))
                else:
                    key = target
                in_scope.setdefault(key, []).append((name, target, value))
            for key, entries in in_scope.items():
                if key not in found:
                    found[key] = entries
        return [entries[0] for entries in found.values()
                if len({name for name, _, _ in entries}) == 1]

    # -- values ---------------------------------------------------------------------------------

    def _resolve_constants(self):
        """Constants the node saved (they are what its derivative uses): `w * 4.0` keeps 4.0."""
        for v in self.ops:
            saved = self._saved_of(v)
            for i, inp in enumerate(v.inputs):
                if not inp.is_constant:
                    continue
                if v.op_name == "WhereBackward0" and i == 0:
                    inp.constant = v.node.condition
                elif v.op.saved_inputs and saved is not None and i < len(saved) \
                        and saved[i] is not None:
                    inp.constant = saved[i]
            # Any other node (an nn op, a custom Function): the saved tensors that are not in
            # this graph are its constant inputs, in order (addmm(bias, x, W^T) saves x, W^T).
            open_slots = [inp for inp in v.inputs if inp.is_constant and inp.constant is _UNKNOWN]
            if open_slots and saved:
                extra = [x for x in saved if isinstance(x, Tensor) and self.target_of(x) is None]
                if len(extra) == len(open_slots):
                    for inp, x in zip(open_slots, extra):
                        inp.constant = x

    def _resolve_values(self, params, frame):
        known = {}

        def learn(t):
            target = self.target_of(t)
            if target is not None and target not in known:
                known[target] = t._data

        learn(self.tensor)
        for _, t in _param_items(params):
            learn(t)
        if frame is not None:
            for scope in (frame.f_locals, frame.f_globals):
                for value in list(scope.values()):
                    if isinstance(value, Tensor):
                        learn(value)
        for v in self.leaves:
            if v.variable is not None:
                known.setdefault((v, 0), v.variable._data)
        for v in self.ops:
            for value in self._saved_of(v) or ():
                if isinstance(value, Tensor):
                    learn(value)
        for (v, nr), array in known.items():
            v.values[nr] = array
        # recompute, in forward order, the outputs of simple ops whose inputs are known
        for v in self.ops:
            inputs = [self.input_value(inp) for inp in v.inputs]
            if v.num_outputs == 1 and 0 not in v.values and v.op.forward is not None \
                    and all(x is not None for x in inputs):
                try:
                    with np.errstate(all="ignore"):
                        out = np.asarray(v.op.forward(inputs, v.node))
                    dtype = next((np.asarray(x).dtype for x in inputs if isinstance(x, np.ndarray)),
                                 None)
                    v.values[0] = out.astype(dtype) if dtype is not None and \
                        dtype.kind == "f" and out.dtype != dtype else out
                except Exception:         # an op the table cannot redo here: leave it unknown
                    pass
            self._deduce_constant(v)
        for v in self.ops:
            for inp in v.inputs:
                if inp.is_constant:
                    inp.text = self._constant_text(inp)

    def _saved_of(self, v):
        """What node `v` saved for backward, or None when freed or modified in place."""
        if v.is_leaf or not v.saved_ok:
            return None
        try:
            return v.node.saved
        except RuntimeError:
            return None

    def input_value(self, inp):
        """The forward value of an input (a constant's value, or its node's output), or None."""
        if inp.is_constant:
            c = inp.constant
            if c is _UNKNOWN:
                return None
            return c._data if isinstance(c, Tensor) else np.asarray(c)
        return inp.vnode.values.get(inp.output_nr)

    def _deduce_constant(self, v):
        """A number added or subtracted is not saved (its derivative does not need it); when the
        output and the other input are known, the number is their difference."""
        if v.op_name not in ("AddBackward0", "SubBackward0", "RsubBackward1"):
            return
        out = v.values.get(0)
        const = [i for i, inp in enumerate(v.inputs) if inp.is_constant
                 and inp.constant is _UNKNOWN]
        if out is None or const != [len(v.inputs) - 1]:
            return
        alpha = getattr(v.node, "alpha", 1)
        if v.op_name == "RsubBackward1":
            return            # rsub has one input edge: handled below if ever needed
        a = self.input_value(v.inputs[0])
        if a is None or not alpha:
            return
        with np.errstate(all="ignore"):
            c = (out - a) / alpha if v.op_name == "AddBackward0" else (a - out) / alpha
        c = np.asarray(c, np.float64).ravel()
        if c.size == 0 or not np.all(np.isfinite(c)):
            return
        first = c[0]
        if np.allclose(c, first, rtol=1e-5, atol=1e-6 * max(1.0, abs(first))):
            v.inputs[-1].constant = float(_format.number(np.float32(first), 6))
            v.inputs[-1].deduced = True

    def _constant_text(self, inp):
        c = inp.constant
        if c is _UNKNOWN:
            return "c"
        if isinstance(c, Tensor):
            name = self.constant_names.get(id(c))
            if name is not None:
                return name
            if c._data.size <= 4:
                return _format.values(c._data)
            return f"tensor{_format.shape(c._data.shape)}"
        return _format.number(c)

    # -- shapes and depths -------------------------------------------------------------------

    def _resolve_shapes(self):
        for v in self.vnodes:
            for nr, value in v.values.items():
                v.shapes[nr] = tuple(np.shape(value))
            if v.variable is not None:
                v.shapes[0] = tuple(v.variable._data.shape)
                v.dtype = v.variable._data.dtype
            elif 0 in v.values:
                v.dtype = np.asarray(v.values[0]).dtype
        # what consumers recorded about their inputs' shapes
        for v in self.ops:
            node = v.node
            for i, inp in enumerate(v.inputs):
                if inp.is_constant or inp.output_nr in inp.vnode.shapes:
                    continue
                meta = _input_meta(node, v.op_name, i)
                if meta is not None:
                    inp.vnode.shapes[inp.output_nr] = tuple(meta[0])
                    if meta[1] is not None and inp.vnode.dtype is None:
                        inp.vnode.dtype = np.dtype(meta[1])

    def fill_shapes_from_grads(self):
        """After tracing: a gradient has the shape of the tensor it is the gradient of."""
        for v in self.vnodes:
            grads = v.grad if isinstance(v.grad, list) else [v.grad]
            for nr, g in enumerate(grads):
                if g is not None and nr not in v.shapes:
                    v.shapes[nr] = tuple(np.shape(g))

    def _depths(self):
        """Longest path from the output: a node sits above everything that uses it."""
        for v in reversed(self.vnodes):               # consumers come after their inputs
            for inp in v.inputs:
                if not inp.is_constant:
                    inp.vnode.depth = max(inp.vnode.depth, v.depth + 1)
        # leaves come first in self.vnodes but may feed late ops: settle with a second pass
        changed = True
        while changed:
            changed = False
            for v in self.vnodes:
                for inp in v.inputs:
                    if not inp.is_constant and inp.vnode.depth < v.depth + 1:
                        inp.vnode.depth = v.depth + 1
                        changed = True

    # -- the engine's order -----------------------------------------------------------------

    def _engine_order(self):
        """The order `engine.run_backward` runs the nodes in: count each node's incoming
        edges, then repeatedly run the ready node that was created last."""
        if self.tensor._grad_fn is None:
            return []
        deps = {}
        for v in self.vnodes:
            for inp in v.inputs:
                if not inp.is_constant:
                    deps[inp.vnode] = deps.get(inp.vnode, 0) + 1
        ready = [(-self.root.node._sequence_nr, 0, self.root)]
        order = []
        tie = 1
        while ready:
            v = heapq.heappop(ready)[2]
            order.append(v)
            for inp in v.inputs:
                if inp.is_constant:
                    continue
                deps[inp.vnode] -= 1
                if deps[inp.vnode] == 0:
                    heapq.heappush(ready, (-inp.vnode.node._sequence_nr, tie, inp.vnode))
                    tie += 1
        return order

    # -- names of inputs and outputs, as the text uses them ------------------------------------

    def input_names(self, v):
        """How each input of `v` is written: its name, or the constant."""
        names = []
        for inp in v.inputs:
            if inp.is_constant:
                names.append(inp.text or "c")
            elif inp.vnode.num_outputs > 1:
                names.append(self.output_name(inp.vnode, inp.output_nr))
            else:
                names.append(inp.vnode.name)
        return names

    def output_name(self, v, nr=0):
        """The name of output `nr` of `v` (`t5[1]` for an unnamed output of a multi-output
        node)."""
        if v.num_outputs == 1:
            return v.name
        return v.output_names.get(nr) or f"{v.name}[{nr}]"

    def output_label(self, v):
        """What `v` produced, for the left side of `... = expression`: `p, q, r` for unbind."""
        if v.num_outputs == 1:
            return v.name
        return ", ".join(self.output_name(v, nr) for nr in range(v.num_outputs))

    def expression(self, v):
        """`w1 * 4.0`: the forward op of `v` written with its inputs' names."""
        if v.is_leaf:
            return v.name
        if v.op.symbol == "view" and v.shape is not None:      # the shape it was viewed as
            return f"{self.input_names(v)[0]}.view{_format.shape(v.shape)}"
        try:
            return v.op.expr(self.input_names(v), v.node)
        except Exception:                # an attribute an unusual node lacks: stay generic
            return f"{v.op.symbol}({', '.join(self.input_names(v))})"


def _input_meta(node, op_name, i):
    """(shape, dtype) of input `i` as node `node` recorded it, or None."""
    metas = getattr(node, "metas", None) or getattr(node, "_input_metas", None)
    if metas is not None and i < len(metas) and metas[i] is not None:
        return metas[i]
    meta = getattr(node, "meta", None)
    if meta is not None and i == 0:
        return meta
    if op_name in _SHAPE_ATTR_OPS and i == 0 and hasattr(node, "shape"):
        return (node.shape, None)
    return None


def _param_items(params):
    """`params` as (name, tensor) pairs: a dict, or pairs like `named_parameters()`."""
    if params is None:
        return []
    items = params.items() if hasattr(params, "items") else params
    return [(str(name), t) for name, t in items]

"""`draw`: a picture of the computational graph, with values and gradients in the boxes."""
import os
import shutil
import subprocess
import sys

import numpy as np

from . import _dot, _format, _svg, _trace
from ._graph import Graph

# An nn.Module (once ember has them) marks the nodes one call of it records with
# `node.metadata[MODULE_KEY] = "fc1 (Linear)"`; `draw(..., collapse_modules=True)` then draws
# them as one box.
MODULE_KEY = "module"

FILL = {"leaf": "#dbeafe", "op": "#f3f4f6", "root": "#dcfce7", "module": "#ede9fe"}
BOX_VALUES = 6          # a box shows at most this many numbers of a tensor
MAX_LINE = 60           # and no line longer than this


def draw(tensor, params=None, show_values=True, show_grads=True, collapse_modules=False,
         grad_output=None):
    """A picture of the graph that computed `tensor`.

    Leaves are named from `params` (a dict, or `module.named_parameters()`), else from the
    variables of the code that calls `draw`. Op boxes show the node's PyTorch name, the op with
    its inputs' names (`t1 = w1 * 4.0`), the shape and value, and the gradient arriving there
    (computed by a separate pass on the graph, which leaves `.grad` and the graph untouched).

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> l = (w * 3.0) ** 2
    >>> g = draw(l)
    >>> "MulBackward0" in g.source and "t1 = w * 3.0" in g.source
    True
    >>> print(g)                                        # doctest: +NORMALIZE_WHITESPACE
    l = t1 ** 2   [PowBackward0]  (1,) value [9.0]  grad [1.0]
    └── t1 = w * 3.0   [MulBackward0]  (1,) value [3.0]  grad [6.0]
        └── w   [leaf]  (1,) value [1.0]  grad [18.0]

    `g.render("graph.svg")` writes the picture (no program needed); in Jupyter it shows inline.
    """
    graph = Graph(tensor, params, sys._getframe(1))
    if show_grads:
        _trace.run(graph, grad_output)
    return Picture(graph, show_values=show_values, show_grads=show_grads,
                   collapse_modules=collapse_modules)


class Picture:
    """The drawn graph: `.source` (DOT), `.render(path)`, `.svg()`, `str()` (a text tree)."""

    def __init__(self, graph, show_values=True, show_grads=True, collapse_modules=False):
        self.graph = graph
        self.show_values = show_values
        self.show_grads = show_grads
        spec = build_spec(graph, show_values, show_grads)
        if collapse_modules:
            spec = collapse(graph, spec)
        self.spec = spec
        self.source = _dot.to_dot(spec)
        self._svg = None

    # -- output -------------------------------------------------------------------------------

    def svg(self, standalone=True):
        """The SVG text, drawn by the built-in renderer from `.source`."""
        if standalone and self._svg is not None:
            return self._svg
        text = _svg.to_svg(_dot.from_dot(self.source), standalone=standalone)
        if standalone:
            self._svg = text
        return text

    def render(self, path="graph.svg", format=None, engine="builtin"):
        """Write the picture to `path` and return the path written.

        `format` is "svg" or "png" (default: from the file name, else svg). The built-in
        renderer needs nothing installed (PNG needs matplotlib); `engine="dot"` uses Graphviz's
        `dot` program instead, if it is installed.
        """
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if format is None:
            format = ext if ext in ("svg", "png") else "svg"
        if format not in ("svg", "png"):
            raise ValueError(f"format must be 'svg' or 'png', got {format!r}")
        if ext != format:
            path = f"{path}.{format}"
        if engine == "dot":
            exe = shutil.which("dot")
            if exe is None:
                raise RuntimeError("engine='dot' needs Graphviz's dot program on PATH; the "
                                   "default engine='builtin' needs nothing")
            subprocess.run([exe, f"-T{format}", "-o", path], input=self.source.encode(),
                           check=True)
            return path
        if engine != "builtin":
            raise ValueError(f"engine must be 'builtin' or 'dot', got {engine!r}")
        if format == "png":
            return _svg.to_png(_dot.from_dot(self.source), path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg())
        return path

    def _repr_svg_(self):
        return self.svg()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/svg+xml": self.svg(), "text/plain": str(self)}

    def __str__(self):
        return text_tree(self.graph, self.show_values, self.show_grads)

    def __repr__(self):
        g = self.graph
        return f"<ember.viz.Picture: {len(g.ops)} ops, {len(g.leaves)} leaves>"


# -- what each box says ---------------------------------------------------------------------


def _box_values(array):
    """A tensor's numbers for a box: all of them when few and short, else a summary."""
    array = np.asarray(array)
    if array.size <= BOX_VALUES:
        text = _format.values(array, digits=4)
        if len(text) <= MAX_LINE - 16:
            return text
    real = array.astype(np.float64) if array.dtype.kind != "c" else np.abs(array)
    return (f"norm {_format.number(np.linalg.norm(real.ravel()), 3)}, "
            f"min {_format.number(real.min(), 3)}, max {_format.number(real.max(), 3)}")


def _clip(line):
    return line if len(line) <= MAX_LINE else line[:MAX_LINE - 1] + "…"


def grad_text(v, graph):
    """The gradient shown for a node: the traced one, or a leaf's `.grad` when untraced."""
    if graph.traced and v.grad is not None:
        grads = v.grad if isinstance(v.grad, list) else [v.grad]
        text = ", ".join("None" if g is None else _box_values(g) for g in grads)
        if v.is_leaf and v.variable is not None and v.variable._grad is not None:
            stored = v.variable._grad._data
            if not (np.shape(stored) == np.shape(v.grad) and np.array_equal(stored, v.grad)):
                text += f" (.grad {_box_values(stored)})"
        return text
    if v.is_leaf and v.variable is not None and v.variable._grad is not None:
        return _box_values(v.variable._grad._data)
    return None


def value_text(v):
    shape = v.shape
    parts = []
    if shape is not None:
        parts.append(_format.shape(shape))
    if v.num_outputs == 1 and v.value is not None:
        parts.append("value " + _box_values(v.value))
    return "  ".join(parts) if parts else None


def node_lines(v, graph, show_values=True, show_grads=True):
    if v.is_leaf:
        lines = [v.name]
    else:
        lines = [v.op_name.split("::")[-1], f"{graph.output_label(v)} = {graph.expression(v)}"]
    if show_values:
        text = value_text(v)
        if text:
            lines.append(text)
    elif v.shape is not None:
        lines.append(_format.shape(v.shape))
    if show_grads:
        text = grad_text(v, graph)
        if text is not None:
            lines.append("grad " + text)
    return [_clip(line) for line in lines]


def caption(graph):
    if graph.trace_error == "freed":
        return ("The saved values were freed by backward(): gradients between the leaves and "
                "the output are not shown.\nDraw before backward(), or call "
                "backward(retain_graph=True).")
    if graph.trace_error and graph.trace_error != "no leaves":
        return "Could not compute the gradients again: " + graph.trace_error.split("\n")[0][:200]
    if any(v.program_hooks for v in graph.vnodes):
        return "Gradients are shown before the program's own hooks (they were not run)."
    return ""


def build_spec(graph, show_values=True, show_grads=True):
    """Boxes and edges for the picture, in an order that starts the layout well: depth-first
    from the output, inputs left to right."""
    ordered, seen = [], set()
    stack = [graph.root]
    while stack:
        v = stack.pop()
        if v.id in seen:
            continue
        seen.add(v.id)
        ordered.append(v)
        for inp in reversed(v.inputs):
            if not inp.is_constant and inp.vnode.id not in seen:
                stack.append(inp.vnode)
    nodes = []
    for v in ordered:
        kind = "root" if v is graph.root and not v.is_leaf else v.kind
        nodes.append({"id": v.id, "lines": node_lines(v, graph, show_values, show_grads),
                      "kind": kind, "fill": FILL[kind]})
    edges = []
    for v in graph.ops:
        for inp in v.inputs:
            if inp.is_constant:
                continue
            edge = {"source": inp.vnode.id, "target": v.id}
            if inp.vnode.num_outputs > 1:
                edge["label"] = f"[{inp.output_nr}]"
            edges.append(edge)
    return {"nodes": nodes, "edges": edges, "caption": caption(graph)}


def _module_of(v, calls=None):
    if v.node is None:
        return None
    metadata = v.node.__dict__.get("_metadata")   # read without creating it
    if metadata and MODULE_KEY in metadata:
        return metadata[MODULE_KEY]
    return _innermost_call(v.node._sequence_nr, calls or ())


def _recorded_calls(graph):
    """The nn.Module calls whose node numbers overlap this graph's, with a label each
    ("Linear #2": the class and which object of that class, in order of first call)."""
    try:
        from ..nn.modules.module import module_calls
    except ImportError:
        return ()
    numbers = [v.node._sequence_nr for v in graph.ops if v.node is not None]
    if not numbers:
        return ()
    low, high = min(numbers), max(numbers)
    calls = []
    for first, last, ref in module_calls:
        if last < low or first > high:
            continue
        module = ref()
        if module is not None:
            calls.append((first, last, module))
    labels, count = {}, {}
    for _, _, module in calls:
        if id(module) not in labels:
            kind = type(module).__name__
            count[kind] = count.get(kind, 0) + 1
            labels[id(module)] = f"{kind} #{count[kind]}"
    return [(first, last, labels[id(module)]) for first, last, module in calls]


def _innermost_call(number, calls):
    """The label of the smallest recorded call whose node numbers include `number`."""
    best = None
    for first, last, label in calls:
        if first < number < last and (best is None or last - first < best[1] - best[0]):
            best = (first, last, label)
    return None if best is None else best[2]


def collapse(graph, spec):
    """Merge the boxes of each module call into one box (see MODULE_KEY)."""
    group = {}
    members = {}
    calls = _recorded_calls(graph)
    for v in graph.ops:
        module = _module_of(v, calls)
        if module is not None:
            gid = "m" + str(list(members).index(module) if module in members else len(members))
            members.setdefault(module, []).append(v)
            group[v.id] = gid
    if not members:
        return spec
    nodes, placed = [], set()
    by_id = {v.id: v for v in graph.vnodes}
    for node in spec["nodes"]:
        gid = group.get(node["id"])
        if gid is None:
            nodes.append(node)
        elif gid not in placed:
            placed.add(gid)
            module = _module_of(by_id[node["id"]], calls)
            vs = members[module]
            last = max(vs, key=lambda v: v.node._sequence_nr)     # the module's output
            kinds = sorted({v.op_name for v in vs})
            lines = [module, _clip(f"{len(vs)} ops: " + ", ".join(kinds))]
            text = value_text(last)
            if text:
                lines.append(text)
            gtext = grad_text(last, graph)
            if gtext:
                lines.append("grad " + gtext)
            nodes.append({"id": gid, "lines": [_clip(x) for x in lines], "kind": "module",
                          "fill": FILL["module"]})
    edges, seen = [], set()
    for e in spec["edges"]:
        s, t = group.get(e["source"], e["source"]), group.get(e["target"], e["target"])
        if s == t or (s, t) in seen:
            continue
        seen.add((s, t))
        edges.append(dict(e, source=s, target=t))
    collapsed = {"nodes": nodes, "edges": edges, "caption": spec["caption"]}
    try:
        _svg.ranks_from_edges([n["id"] for n in nodes], edges)
    except ValueError:                  # interleaved module calls would make a cycle
        return spec
    return collapsed


# -- the text tree -------------------------------------------------------------------------


def _tree_line(v, graph, show_values, show_grads):
    if v.is_leaf:
        head = f"{v.name}   [leaf]"
    else:
        head = f"{graph.output_label(v)} = {graph.expression(v)}   [{v.op_name.split('::')[-1]}]"
    parts = [head]
    if show_values:
        text = value_text(v)
        if text:
            parts.append(text)
    if show_grads:
        text = grad_text(v, graph)
        if text is not None:
            parts.append("grad " + text)
    return "  ".join(parts)


def text_tree(graph, show_values=True, show_grads=True):
    """The graph as an indented tree from the output down to the leaves; a node used twice is
    written out once and then referred to."""
    lines, shown = [], set()
    stack = [(graph.root, "", "", True)]            # node, prefix, connector, is last
    while stack:
        v, prefix, connector, _ = stack.pop()
        if v.id in shown:
            lines.append(f"{prefix}{connector}{graph.output_label(v)}  (shown above)")
            continue
        shown.add(v.id)
        lines.append(prefix + connector + _tree_line(v, graph, show_values, show_grads))
        children = [inp.vnode for inp in v.inputs if not inp.is_constant]
        child_prefix = prefix + ("" if not connector else
                                 ("    " if connector.startswith("└") else "│   "))
        for i in range(len(children) - 1, -1, -1):
            last = i == len(children) - 1
            stack.append((children[i], child_prefix, "└── " if last else "├── ", last))
    caption_text = caption(graph)
    if caption_text:
        lines.append("")
        lines.extend(caption_text.split("\n"))
    return "\n".join(lines)

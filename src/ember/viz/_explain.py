"""`explain`: the backward pass told step by step, in the engine's order, with the numbers.

For every node the engine runs, the explanation gives
- the rule of the op (`d(a * b)/da = b`), then the local derivative with this node's names and
  values plugged in (`∂t1/∂w1 = 4.0`),
- the gradient arriving from above (`dl/dt1 = 6.0`), summed from several uses where two paths
  meet,
- the gradient passed down to each input: upstream times local (`6.0 * 4.0 = 24.0`),
and ends with the gradient of every leaf, checked against `.grad`.

The numbers are the gradients the engine itself computes (recorded by hooks during a pass of
its own, see `_trace.py`); the rules and local derivatives are there to explain them.
"""
import re
import sys

import numpy as np

from . import _format, _trace
from ._format import number, tex_expr, tex_name, tex_values, text_width
from ._graph import Graph

TEXT = {
    "en": {
        "title": "Backward pass of {root} = {expr}, step by step",
        "title_leaf": "{root} is a leaf: it has no graph behind it",
        "intro": "The graph: {n_ops} ops, {n_leaves} leaves ({leaves}). backward() starts at "
                 "{root} with d{L}/d{root} = 1 and runs the nodes newest first; a node runs once "
                 "the gradients from all its uses have arrived.",
        "not_scalar": "{root} has shape {shape}, not a scalar: the pass starts from "
                      "d{L}/d{root} = 1 for every element, as {root}.sum().backward() does.",
        "step": "Step {k} · {node} · {what}",
        "rule": "rule", "local": "local", "upstream": "upstream", "down": "passes down",
        "arrives": "arrives", "does": "does", "shape": "shapes",
        "start": "(the start)",
        "from": "from",
        "meet": "{n} paths meet here: the engine adds their gradients before it runs this node",
        "constant": "{c} is a constant: it gets no gradient",
        "no_grad_needed": "{c} needs no gradient",
        "broadcast": "summed over the broadcast dims, back to {name}'s shape {shape}",
        "accumulate": "adds d{L}/d{name} into {name}.grad (a leaf: this path ends here)",
        "elementwise": "(elementwise: for every element)",
        "result": "Result: the gradient of {L} with respect to each leaf",
        "same": "= {name}.grad ✓",
        "differs": "{name}.grad is {v}: not the same, because .grad adds up the gradients of "
                   "every backward() since it was last zeroed",
        "none_yet": "{name}.grad is None: {L}.backward() will store this value there",
        "freed": "The saved values of this graph were freed by backward() (it frees them unless "
                 "retain_graph=True), so the numbers between the leaves and {L} are gone. Call "
                 "ember.viz.explain({L}) before {L}.backward(), or use "
                 "{L}.backward(retain_graph=True). What is still known: the graph, each node's "
                 "rule, and the leaves' .grad.",
        "error": "The gradients could not be computed again: {error}",
        "hooks": "this node has hooks registered by the program; they were not run here, so "
                 "the numbers are those before the hooks",
        "no_leaf_grad": "(no gradient reached this leaf)",
        "leaf_grad": "{name}.grad = {v}",
    },
    "zh": {
        "title": "{root} = {expr} 的反向传播，逐步讲解",
        "title_leaf": "{root} 是叶子：它后面没有计算图",
        "intro": "计算图：{n_ops} 个运算节点，{n_leaves} 个叶子（{leaves}）。backward() 从 {root} "
                 "开始，d{L}/d{root} = 1，按“最新创建的节点先运行”的顺序执行；一个节点要等所有"
                 "用到它的地方传来的梯度都到齐后才运行。",
        "not_scalar": "{root} 的形状是 {shape}，不是标量：反向传播从每个元素的 d{L}/d{root} = 1 "
                      "开始，和 {root}.sum().backward() 一样。",
        "step": "第 {k} 步 · {node} · {what}",
        "rule": "规则", "local": "局部导数", "upstream": "上游梯度", "down": "向下传递",
        "arrives": "到达", "does": "动作", "shape": "形状",
        "start": "（起点）",
        "from": "来自",
        "meet": "{n} 条路径在这里汇合：引擎先把它们的梯度相加，再运行这个节点",
        "constant": "{c} 是常数：它没有梯度",
        "no_grad_needed": "{c} 不需要梯度",
        "broadcast": "在广播出的维度上求和，变回 {name} 的形状 {shape}",
        "accumulate": "把 d{L}/d{name} 累加到 {name}.grad（叶子：这条路径到此结束）",
        "elementwise": "（逐元素：每个元素都这样算）",
        "result": "结果：{L} 对每个叶子的梯度",
        "same": "= {name}.grad ✓",
        "differs": "{name}.grad 是 {v}：不相同，因为 .grad 会把上次清零以来每次 backward() "
                   "的梯度累加起来",
        "none_yet": "{name}.grad 还是 None：调用 {L}.backward() 后这个值会存到那里",
        "freed": "这个计算图保存的中间值已被 backward() 释放（除非 retain_graph=True），所以叶子"
                 "和 {L} 之间各步的数值已经没有了。请在 {L}.backward() 之前调用 "
                 "ember.viz.explain({L})，或者使用 {L}.backward(retain_graph=True)。仍然知道的是："
                 "计算图、每个节点的求导规则，以及叶子的 .grad。",
        "error": "无法重新计算梯度：{error}",
        "hooks": "程序在这个节点上注册了钩子（hook）；这里没有运行它们，所以数值是钩子之前的",
        "no_leaf_grad": "（没有梯度到达这个叶子）",
        "leaf_grad": "{name}.grad = {v}",
    },
}

LABEL_WIDTH = 13

# The few words in the matrix-form rules of _ops.py, in Chinese.
_ZH_TENSOR_RULES = [
    (r"^zeros (\(.*?\)) with (.*) at the indexed places$", r"形状 \1 的零张量，在索引位置放入 \2"),
    (r" with zeros at the written places", "（被写入的位置置零）"),
    (r" expanded to ", " 扩展成 "), (r" reshaped to ", " 变形为 "), (r" summed to ", " 求和成 "),
    (r" permuted back", "，维度换回原来的顺序"), (r" transposed back", "，转置回去"),
    (r" cast back", "，转换回原来的类型"), (r"\(outer product\)", "（外积）"),
    (r"stack of the slices' grads", "各切片梯度的堆叠"), (r"^zeros$", "零"),
    (r"its shape", "它的形状"), (r"rule of the in-place op", "原地操作的规则"),
    (r"\(outside the slice\)", "（切片之外）"), (r"\(inside\)", "（切片之内）"),
]


def explain(tensor, lang="en", params=None, grad_output=None):
    """The backward pass from `tensor` told step by step: `str()` gives plain text, and in
    Jupyter it shows as Markdown with LaTeX. `lang="zh"` tells it in Chinese.

    Call it before `backward()` (or after `backward(retain_graph=True)`): it runs its own pass
    on the graph and leaves `.grad` and the graph as they were.

    >>> import ember
    >>> w = ember.tensor(1.0, requires_grad=True)
    >>> l = (w * 3.0) ** 2
    >>> text = str(explain(l))
    >>> "dl/dw = dl/dt1 * ∂t1/∂w = 6.0 * 3.0 = 18.0" in text
    True
    """
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {sorted(TEXT)}, got {lang!r}")
    graph = Graph(tensor, params, sys._getframe(1))
    _trace.run(graph, grad_output)
    return Explanation(graph, lang)


class Explanation:
    """A told backward pass: `str()` is plain text, `_repr_markdown_()` Markdown + LaTeX,
    `steps` one block per node in the engine's order (`steps[i]["node"]` is the box's id in
    the picture), and `leaf_grads` the leaves' gradients by name."""

    def __init__(self, graph, lang="en"):
        self.graph = graph
        self.lang = lang
        self.t = TEXT[lang]
        self.L = graph.root.name
        self.header = self._header()
        self.steps = [self._step(k + 1, v) for k, v in enumerate(graph.order)]
        self.result = self._result()
        self.leaf_grads = {v.name: v.grad for v in graph.leaves if v.grad is not None}

    # -- output --------------------------------------------------------------------------------

    def __str__(self):
        blocks = [_text(self.header)] + [_text(s["rows"]) for s in self.steps] + \
                 [_text(self.result)]
        return "\n\n".join(b for b in blocks if b) + "\n"

    def _repr_markdown_(self):
        blocks = [_markdown(self.header)] + [_markdown(s["rows"]) for s in self.steps] + \
                 [_markdown(self.result)]
        return "\n\n".join(b for b in blocks if b) + "\n"

    def __repr__(self):
        return str(self)

    # -- pieces -------------------------------------------------------------------------------

    def _grad(self, name):
        """`dl/dw1` and its LaTeX."""
        return (f"d{self.L}/d{name}",
                rf"\frac{{\partial {tex_name(self.L)}}}{{\partial {tex_name(name)}}}")

    def _header(self):
        g, t = self.graph, self.t
        root = g.root
        if root.is_leaf:
            return [("title", t["title_leaf"].format(root=root.name),
                     t["title_leaf"].format(root=f"${tex_name(root.name)}$"))]
        expr = g.expression(root)
        rows = [("title", t["title"].format(root=root.name, expr=expr),
                 t["title"].format(root=f"${tex_name(root.name)}$",
                                   expr=f"${tex_expr(expr)}$"))]
        leaves = ", ".join(v.name for v in g.leaves)
        intro = t["intro"].format(n_ops=len(g.ops), n_leaves=len(g.leaves), leaves=leaves,
                                  root=root.name, L=self.L)
        rows.append(("para", intro, intro))
        if g.root_grad_is_ones:
            text = t["not_scalar"].format(root=root.name, L=self.L,
                                          shape=_format.shape(g.tensor.shape))
            rows.append(("para", text, text))
        if g.trace_error == "freed":
            text = t["freed"].format(L=self.L)
            rows.append(("para", text, text))
        elif g.trace_error and g.trace_error != "no leaves":
            text = t["error"].format(error=g.trace_error.split("\n")[0])
            rows.append(("para", text, text))
        return rows

    def _step(self, k, v):
        g, t = self.graph, self.t
        label = g.output_label(v)
        what = v.name if v.is_leaf else f"{label} = {g.expression(v)}"
        what_tex = f"${tex_name(v.name)}$" if v.is_leaf else \
            f"${tex_expr(label)} = {tex_expr(g.expression(v))}$"
        node = v.op_name.split("::")[-1]
        rows = [("step", t["step"].format(k=k, node=node, what=what),
                 t["step"].format(k=k, node=f"`{node}`", what=what_tex))]
        if v.is_leaf:
            rows += self._arrival_rows(v, "arrives")
            text = t["accumulate"].format(L=self.L, name=v.name)
            rows.append(("row", t["does"], text, None))
            return {"node": v.id, "name": v.name, "rows": rows}
        if self._tensors(v):
            rows.append(self._shape_row(v))
        rows += self._arrival_rows(v, "upstream")
        if v.program_hooks:
            rows.append(("note", t["hooks"], t["hooks"]))
        for i, inp in enumerate(v.inputs):
            rows += self._input_rows(v, i, inp)
        return {"node": v.id, "name": v.name, "rows": rows}

    def _tensors(self, v):
        """Whether any tensor around `v` has more than one element (then shapes matter)."""
        shapes = [v.shapes.get(0)] + [inp.vnode.shapes.get(inp.output_nr)
                                       for inp in v.inputs if not inp.is_constant]
        return any(s is not None and int(np.prod(s)) > 1 for s in shapes)

    def _shape_row(self, v):
        parts = []
        for name, inp in zip(self.graph.input_names(v), v.inputs):
            if inp.is_constant:
                s = getattr(getattr(inp.constant, "_data", None), "shape", None)
            else:
                s = inp.vnode.shapes.get(inp.output_nr)
            if s is not None:
                parts.append(f"{name} {_format.shape(s)}")
        out = v.shapes.get(0)
        text = ", ".join(parts) + (f" → {self.graph.output_label(v)} {_format.shape(out)}"
                                   if out is not None else "")
        return ("row", self.t["shape"], text, None)

    def _arrival_rows(self, v, label):
        t = self.t
        if v.grad is None:
            return []
        sym, sym_tex = self._grad(v.name)
        if isinstance(v.grad, list):            # one gradient per output (unbind)
            parts, parts_tex = [], []
            for nr, x in enumerate(v.grad):
                s, s_tex = self._grad(self.graph.output_name(v, nr))
                parts.append(f"{s} = {'None' if x is None else _format.tensor_text(x)}")
                parts_tex.append(f"{s_tex} = {'None' if x is None else tex_values(x)}")
            return [("row", t[label], ";  ".join(parts), "$" + r",\; ".join(parts_tex) + "$")]
        value = _format.tensor_text(v.grad)
        value_tex = tex_values(v.grad)
        if v is self.graph.root:
            return [("row", t[label], f"{sym} = {value}  {t['start']}",
                     f"${sym_tex} = {value_tex}$ {t['start']}")]
        contributions = v.contributions
        if len(contributions) <= 1:
            return [("row", t[label], f"{sym} = {value}", f"${sym_tex} = {value_tex}$")]
        users = [self.graph.output_label(user) for user, _, _ in contributions]
        parts = [f"{_format.tensor_text(c)} ({t['from']} {user})"
                 for user, (_, _, c) in zip(users, contributions)]
        parts_tex = [rf"\underbrace{{{tex_values(c)}}}_{{\text{{{t['from']} }}"
                     rf"{tex_expr(user)}}}" for user, (_, _, c) in zip(users, contributions)]
        rows = [("row", t[label], f"{sym} = {' + '.join(parts)} = {value}",
                 f"${sym_tex} = {' + '.join(parts_tex)} = {value_tex}$")]
        note = t["meet"].format(n=len(contributions))
        rows.append(("note", note, note))
        return rows

    def _input_rows(self, v, i, inp):
        g, t = self.graph, self.t
        names = g.input_names(v)
        op = v.op
        if inp.is_constant:
            key = "constant" if not _is_tensor_input(v, i) else "no_grad_needed"
            text = t[key].format(c=names[i])
            return [("note", text, text)]
        grad = v.passed[i] if i < len(v.passed) else None
        rows = []
        rule = op.rule(i, self.lang, v.node)
        if rule:
            tex_rule = op.tex_rule(i, v.node)
            rows.append(("row", t["rule"], rule, f"${tex_rule}$" if tex_rule else None))
        if not g.traced:
            return rows
        up_sym, up_tex = self._grad(g.output_name(v, 0))
        down_sym, down_tex = self._grad(names[i])
        upstream = v.grad[inp.output_nr] if isinstance(v.grad, list) else v.grad
        scalar = upstream is not None and np.size(upstream) == 1 and \
            (grad is None or np.size(grad) == 1)
        local_value = None
        if op.elementwise and op.plug is not None:
            local_rows, local_value = self._local_rows(v, i, names, scalar)
            rows += local_rows
        if grad is None:
            return rows
        result, result_tex = _format.tensor_text(grad), tex_values(grad)
        local_sym = f"∂{v.name}/∂{names[i]}"
        local_tex = rf"\frac{{\partial {tex_name(v.name)}}}{{\partial {tex_name(names[i])}}}"
        if op.elementwise and op.plug is not None:
            times = " * " if scalar else " ⊙ "
            times_tex = r" \cdot " if scalar else r" \odot "
            chain = [f"{up_sym}{times}{local_sym}"]
            chain_tex = [f"{up_tex}{times_tex}{local_tex}"]
            # the numbers multiplied, when that stays readable: scalars, or tiny tensors
            if local_value is not None and upstream is not None and (scalar or (
                    np.size(upstream) <= 4 and np.size(local_value) <= 4)):
                chain.append(f"{_format.values(upstream)}{times}{_format.values(local_value)}")
                chain_tex.append(f"{tex_values(upstream)}{times_tex}{tex_values(local_value)}")
            rows.append(("row", t["down"], f"{down_sym} = {' = '.join(chain)} = {result}",
                         f"${down_tex} = {' = '.join(chain_tex)} = {result_tex}$"))
            out_shape = np.shape(upstream) if upstream is not None else None
            if out_shape is not None and np.shape(grad) != out_shape and np.size(upstream) > 1:
                note = t["broadcast"].format(name=names[i], shape=_format.shape(np.shape(grad)))
                rows.append(("note", note, note))
        else:
            formula = self._tensor_rule(v, i, names, up_sym)
            if formula:
                rows.append(("row", t["down"], f"{down_sym} = {formula} = {result}",
                             f"${down_tex} = {_tex_formula(formula, up_sym, up_tex)} = "
                             f"{result_tex}$"))
            else:
                rows.append(("row", t["down"], f"{down_sym} = {result}",
                             f"${down_tex} = {result_tex}$"))
        return rows

    def _local_rows(self, v, i, names, scalar):
        """The local derivative of `v` with respect to input `i`: formula, values, result."""
        op = v.op
        try:
            formula = op.plug(i, names, v.node)
        except Exception:
            return [], None
        inputs = [self.graph.input_value(inp) for inp in v.inputs]
        try:
            with np.errstate(all="ignore"):
                value = op.local(i, inputs, v.value, v.node) if op.local else None
        except Exception:
            value = None
        if value is not None:
            value = np.asarray(value)
            dtype = v.grad.dtype if isinstance(v.grad, np.ndarray) else None
            if dtype is not None and dtype.kind == "f" and value.dtype != dtype:
                value = value.astype(dtype)
        sym = f"∂{v.name}/∂{names[i]}"
        sym_tex = rf"\frac{{\partial {tex_name(v.name)}}}{{\partial {tex_name(names[i])}}}"
        chain, chain_tex = [formula], [tex_expr(formula)]
        if scalar and value is not None and np.size(value) == 1:
            plugged = self._plug_values(v, i)
            if plugged is not None:
                chain.append(plugged)
                chain_tex.append(tex_expr(plugged))
            chain.append(number(value.reshape(())[()]))
            chain_tex.append(number(value.reshape(())[()]))
        elif value is not None and np.size(value) <= _format.MAX_VALUES:
            chain.append(_format.values(value))
            chain_tex.append(tex_values(value))
        chain = _dedupe(chain)
        chain_tex = _dedupe(chain_tex)
        if len(chain) == 2 and _same_number(chain[0], chain[1]):
            chain, chain_tex = chain[:1], chain_tex[:1]      # "1 = 1.0" says nothing
        note = "" if scalar else "  " + self.t["elementwise"]
        return [("row", self.t["local"], f"{sym} = {' = '.join(chain)}{note}",
                 f"${sym_tex} = {' = '.join(chain_tex)}${note}")], value

    def _plug_values(self, v, i):
        """The local derivative's formula with the inputs' values in place of their names."""
        vals = []
        for inp, name in zip(v.inputs, self.graph.input_names(v)):
            x = self.graph.input_value(inp)
            if x is None:
                vals.append(name)
            elif np.size(x) == 1:
                vals.append(number(np.asarray(x).reshape(())[()]))
            else:
                return None
        try:
            return v.op.plug(i, vals, v.node)
        except Exception:
            return None

    def _tensor_rule(self, v, i, names, up_sym):
        rules = v.op.tensor_rules
        if not rules:
            return None
        rule = rules[min(i, len(rules) - 1)]
        shapes = {f"shape{j}": _format.shape(inp.vnode.shapes[inp.output_nr])
                  if not inp.is_constant and inp.output_nr in inp.vnode.shapes else "its shape"
                  for j, inp in enumerate(v.inputs)}
        fields = dict(g=up_sym, i=i, count=getattr(v.node, "count", "n"), **shapes,
                      **{f"n{j}": name for j, name in enumerate(names)})
        try:
            text = rule.format(**fields)
        except (KeyError, IndexError):
            text = rule
        if self.lang == "zh":
            for pattern, replacement in _ZH_TENSOR_RULES:
                text = re.sub(pattern, replacement, text)
        return text

    def _result(self):
        g, t = self.graph, self.t
        rows = [("section", t["result"].format(L=self.L),
                 t["result"].format(L=f"${tex_name(self.L)}$"))]
        for v in g.leaves:
            sym, sym_tex = self._grad(v.name)
            stored = v.variable._grad if v.variable is not None else None
            stored = None if stored is None else stored._data
            if g.traced:
                if v.grad is None:
                    rows.append(("item", f"{sym}: {t['no_leaf_grad']}",
                                 f"${sym_tex}$: {t['no_leaf_grad']}"))
                    continue
                value = _format.tensor_text(v.grad)
                if stored is None:
                    check = t["none_yet"].format(name=v.name, L=self.L)
                elif np.shape(stored) == np.shape(v.grad) and np.array_equal(stored, v.grad):
                    check = t["same"].format(name=v.name)
                else:
                    check = t["differs"].format(name=v.name, v=_format.tensor_text(stored))
                rows.append(("item", f"{sym} = {value}   {check}",
                             f"${sym_tex} = {tex_values(v.grad)}$ &nbsp; {_md_escape(check)}"))
            elif stored is not None:
                text = t["leaf_grad"].format(name=v.name, v=_format.tensor_text(stored))
                rows.append(("item", text, f"`{text}`"))
        return rows


def _is_tensor_input(v, i):
    from .._tensor import Tensor
    return isinstance(v.inputs[i].constant, Tensor)


def _same_number(a, b):
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _dedupe(chain):
    out = []
    for part in chain:
        if not out or out[-1] != part:
            out.append(part)
    return out


def _tex_formula(formula, up_sym, up_tex):
    """A matrix-form rule (`dl/dy @ w^T`) in LaTeX, with the upstream gradient as a fraction."""
    head, sep, rest = formula.partition(up_sym)
    if not sep:
        return tex_expr(formula) if _texable(formula) else _tex_inline(formula)
    return (tex_expr(head) if head.strip() else "") + up_tex + \
        (" " + (tex_expr(rest) if _texable(rest) else _tex_inline(rest)) if rest.strip() else "")


def _texable(text):
    return not any(c.isalpha() and ord(c) > 127 for c in text) and \
        not any(w in text for w in ("expanded", "reshaped", "summed", "zeros", "permuted",
                                    "transposed", "cast", "outer", "rule", "stack", "with"))


def _tex_inline(text):
    return r"\text{" + text.replace("_", r"\_").replace("{", r"\{").replace("}", r"\}") + "}"


def _md_escape(text):
    return text.replace("*", r"\*").replace("_", r"\_")


def _text(rows):
    lines = []
    for row in rows:
        kind = row[0]
        if kind in ("title", "step", "section"):
            lines.append(row[1])
        elif kind == "para":
            lines.append(row[1])
        elif kind == "row":
            label = row[1]
            pad = " " * max(1, LABEL_WIDTH - text_width(label))
            lines.append(f"  {label}{pad}{row[2]}")
        elif kind == "note":
            lines.append(" " * (LABEL_WIDTH + 2) + row[1])
        elif kind == "item":
            lines.append("  " + row[1])
    return "\n".join(lines)


def _markdown(rows):
    lines = []
    for row in rows:
        kind = row[0]
        if kind == "title":
            lines.append(f"### {row[2]}")
        elif kind == "section":
            lines.append(f"#### {row[2]}")
        elif kind == "step":
            lines.append(f"**{row[2]}**\n")
        elif kind == "para":
            lines.append(_md_escape(row[2]) + "\n")
        elif kind == "row":
            lines.append(f"- *{row[1]}*: {row[3] if row[3] is not None else _md_escape(row[2])}")
        elif kind == "note":
            lines.append(f"- <small>{_md_escape(row[2])}</small>")
        elif kind == "item":
            lines.append(f"- {row[2]}")
    return "\n".join(lines)

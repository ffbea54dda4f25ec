"""What the pictures and explanations know about each kind of backward node.

For every node name (`MulBackward0`, ...) an `Op` says
- how the forward op reads (`expr`: `w1 * 4.0`) and its symbol for the picture (`*`);
- its derivative rule, once in general (`d(a * b)/da = b`) and plugged with this node's names
  (`plug`: `∂u/∂w1 = 4.0`), both taken from the comment next to the node class in ember.ops;
- how to compute the local derivative's value (`local`), for elementwise ops, so the
  explanation can show `upstream * local = product` with numbers;
- how to recompute the forward value from the inputs' values (`forward`), so the picture can
  show values the graph did not keep.

Node names that are not listed here (a custom `Function`, an op added later) still work: they get
a generic entry whose rule reads "local derivative of <name>". The numbers shown for every node,
listed or not, are the gradients the engine itself computed; this table only explains them.
"""
import re

import numpy as np

from . import _format


def _t(en, zh):
    return {"en": en, "zh": zh}


class Op:
    """Description of one kind of backward node (see the module docstring)."""

    def __init__(self, symbol, expr, rules, plug=None, local=None, forward=None,
                 tensor_rules=None, elementwise=True, saved_inputs=False, tex_rules=None):
        self.symbol = symbol
        self.expr = expr                    # expr(names, node) -> "a * b" with real names
        self.rules = rules                  # per input: general rule, text (str or {lang: str})
        self.tex_rules = tex_rules          # per input: the same rule in LaTeX (optional)
        self.plug = plug                    # plug(i, names, node) -> local derivative formula
        self.local = local                  # local(i, vals, out, node) -> its value (elementwise)
        self.forward = forward              # forward(vals, node) -> the op's output value
        self.tensor_rules = tensor_rules    # per input, for non-elementwise ops: see rule_text
        self.elementwise = elementwise
        self.saved_inputs = saved_inputs    # node.saved[i] is input i (so constants are known)

    def rule(self, i, lang, node=None):
        """The general rule for input `i` in language `lang` (an entry may depend on the node,
        e.g. on `alpha` of `a + alpha*b`)."""
        if not self.rules:
            return ""
        r = self.rules[min(i, len(self.rules) - 1)]
        if callable(r):
            r = r(node)
        return r[lang] if isinstance(r, dict) else r

    def tex_rule(self, i, node=None):
        if not self.tex_rules:
            return None
        r = self.tex_rules[min(i, len(self.tex_rules) - 1)]
        return r(node) if callable(r) else r


OPS = {}


def _alpha(node):
    return getattr(node, "alpha", 1)


def _num(x):
    return _format.number(x) if isinstance(x, (int, float, np.number)) else str(x)


def _paren(text):
    """Parenthesise a compound name or formula so it reads right inside a bigger one."""
    if re.fullmatch(r"[\w.]+\(.*\)", text):       # a call like exp(x) reads fine as it is
        return text
    if any(c in text for c in " +-*/@") and not (text.startswith("(") and text.endswith(")")) \
            and not text.startswith("["):
        return f"({text})"
    return text


def _get(vals, i):
    return vals[i] if i < len(vals) else None


# -- arithmetic ---------------------------------------------------------------------------------

def _add_expr(n, node):
    a = _alpha(node)
    return f"{n[0]} + {n[1]}" if a == 1 else f"{n[0]} + {_num(a)} * {_paren(n[1])}"


def _sub_expr(n, node):
    a = _alpha(node)
    return f"{n[0]} - {_paren(n[1])}" if a == 1 else f"{n[0]} - {_num(a)} * {_paren(n[1])}"


def _by_alpha(plain, scaled):
    return lambda node: plain if _alpha(node) == 1 else scaled


OPS["AddBackward0"] = Op(
    "+", _add_expr,
    ["d(a + b)/da = 1", _by_alpha("d(a + b)/db = 1", "d(a + α*b)/db = α")],
    tex_rules=[r"\frac{\partial (a+b)}{\partial a} = 1",
               _by_alpha(r"\frac{\partial (a+b)}{\partial b} = 1",
                         r"\frac{\partial (a+\alpha b)}{\partial b} = \alpha")],
    plug=lambda i, n, node: "1" if i == 0 else _num(_alpha(node)),
    local=lambda i, v, out, node: np.float32(1) if i == 0 else np.float32(_alpha(node)),
    forward=lambda v, node: v[0] + _alpha(node) * v[1])

OPS["SubBackward0"] = Op(
    "-", _sub_expr,
    ["d(a - b)/da = 1", _by_alpha("d(a - b)/db = -1", "d(a - α*b)/db = -α")],
    tex_rules=[r"\frac{\partial (a-b)}{\partial a} = 1",
               _by_alpha(r"\frac{\partial (a-b)}{\partial b} = -1",
                         r"\frac{\partial (a-\alpha b)}{\partial b} = -\alpha")],
    plug=lambda i, n, node: "1" if i == 0 else "-" + _num(_alpha(node)),
    local=lambda i, v, out, node: np.float32(1) if i == 0 else np.float32(-_alpha(node)),
    forward=lambda v, node: v[0] - _alpha(node) * v[1])

OPS["RsubBackward1"] = Op(
    "c -", lambda n, node: f"c - {_paren(n[0])}",
    [_by_alpha("d(c - a)/da = -1", "d(c - α*a)/da = -α")],
    tex_rules=[_by_alpha(r"\frac{\partial (c-a)}{\partial a} = -1",
                         r"\frac{\partial (c-\alpha a)}{\partial a} = -\alpha")],
    plug=lambda i, n, node: "-" + _num(_alpha(node)),
    local=lambda i, v, out, node: np.float32(-_alpha(node)))

OPS["MulBackward0"] = Op(
    "*", lambda n, node: f"{_paren(n[0])} * {_paren(n[1])}",
    ["d(a * b)/da = b", "d(a * b)/db = a"],
    tex_rules=[r"\frac{\partial (ab)}{\partial a} = b", r"\frac{\partial (ab)}{\partial b} = a"],
    plug=lambda i, n, node: n[1 - i],
    local=lambda i, v, out, node: _get(v, 1 - i),
    forward=lambda v, node: v[0] * v[1],
    saved_inputs=True)

OPS["DivBackward0"] = Op(
    "/", lambda n, node: f"{_paren(n[0])} / {_paren(n[1])}",
    ["d(a / b)/da = 1 / b", "d(a / b)/db = -a / b**2"],
    tex_rules=[r"\frac{\partial (a/b)}{\partial a} = \frac{1}{b}",
               r"\frac{\partial (a/b)}{\partial b} = -\frac{a}{b^2}"],
    plug=lambda i, n, node: f"1 / {_paren(n[1])}" if i == 0
    else f"-{_paren(n[0])} / {_paren(n[1])}**2",
    local=lambda i, v, out, node: (None if _get(v, 1) is None else 1 / v[1]) if i == 0 else
    (None if _get(v, 0) is None or _get(v, 1) is None else -v[0] / (v[1] * v[1])),
    forward=lambda v, node: v[0] / v[1],
    saved_inputs=True)

OPS["NegBackward0"] = Op(
    "neg", lambda n, node: f"-{_paren(n[0])}",
    ["d(-a)/da = -1"], tex_rules=[r"\frac{\partial (-a)}{\partial a} = -1"],
    plug=lambda i, n, node: "-1",
    local=lambda i, v, out, node: np.float32(-1),
    forward=lambda v, node: -v[0])


def _pow0_plug(i, n, node):
    e = node.exponent
    if e == 2:
        return f"2 * {_paren(n[0])}"
    if e == 1:
        return "1"
    return f"{_num(e)} * {_paren(n[0])}**{_paren(_num(e - 1))}"


OPS["PowBackward0"] = Op(
    "**", lambda n, node: f"{_paren(n[0])} ** {_num(node.exponent)}",
    ["d(a**e)/da = e * a**(e - 1)"],
    tex_rules=[r"\frac{\partial a^{e}}{\partial a} = e\,a^{e-1}"],
    plug=_pow0_plug,
    local=lambda i, v, out, node: None if _get(v, 0) is None else
    node.exponent * np.power(v[0], node.exponent - 1),
    forward=lambda v, node: np.power(v[0], node.exponent))

OPS["PowBackward1"] = Op(
    "**", lambda n, node: f"{_paren(n[0])} ** {_paren(n[1])}",
    ["d(a**b)/da = b * a**(b - 1)", "d(a**b)/db = a**b * ln(a)"],
    tex_rules=[r"\frac{\partial a^{b}}{\partial a} = b\,a^{b-1}",
               r"\frac{\partial a^{b}}{\partial b} = a^{b}\ln a"],
    plug=lambda i, n, node: f"{_paren(n[1])} * {_paren(n[0])}**({n[1]} - 1)" if i == 0
    else f"{_paren(n[0])}**{_paren(n[1])} * ln({n[0]})",
    local=lambda i, v, out, node: None if _get(v, 0) is None or _get(v, 1) is None else
    (v[1] * np.power(v[0], v[1] - 1) if i == 0 else np.power(v[0], v[1]) * np.log(v[0])),
    forward=lambda v, node: np.power(v[0], v[1]),
    saved_inputs=True)

OPS["PowBackward2"] = Op(
    "c **", lambda n, node: f"{_num(node.base)} ** {_paren(n[0])}",
    ["d(c**a)/da = c**a * ln(c)"],
    tex_rules=[r"\frac{\partial c^{a}}{\partial a} = c^{a}\ln c"],
    plug=lambda i, n, node: f"{_num(node.base)}**{_paren(n[0])} * ln({_num(node.base)})",
    local=lambda i, v, out, node: None if out is None else out * np.log(node.base),
    forward=lambda v, node: np.power(node.base, v[0]))

OPS["RemainderBackward0"] = Op(
    "%", lambda n, node: f"{_paren(n[0])} % {_paren(n[1])}",
    ["d(a % b)/da = 1", "d(a % b)/db = -floor(a / b)"],
    plug=lambda i, n, node: "1" if i == 0 else f"-floor({n[0]} / {n[1]})",
    local=lambda i, v, out, node: np.float32(1) if i == 0 else
    (None if _get(v, 0) is None or _get(v, 1) is None else -np.floor_divide(v[0], v[1])),
    forward=lambda v, node: np.mod(v[0], v[1]),
    saved_inputs=True)


# -- elementary functions -------------------------------------------------------------------------

def _unary(name, fn, rule, tex, plug, local, forward):
    OPS[name] = Op(fn, lambda n, node: f"{fn}({n[0]})", [rule], tex_rules=[tex],
                   plug=lambda i, n, node: plug(n[0]),
                   local=lambda i, v, out, node: local(_get(v, 0), out), forward=forward)


def _need(*xs):
    return any(x is None for x in xs)


_unary("ExpBackward0", "exp", "d(exp(a))/da = exp(a)",
       r"\frac{\partial e^{a}}{\partial a} = e^{a}", lambda a: f"exp({a})",
       lambda a, out: out if out is not None else (None if a is None else np.exp(a)),
       lambda v, node: np.exp(v[0]))
_unary("LogBackward0", "log", "d(log(a))/da = 1 / a",
       r"\frac{\partial \ln a}{\partial a} = \frac{1}{a}", lambda a: f"1 / {_paren(a)}",
       lambda a, out: None if a is None else 1 / a, lambda v, node: np.log(v[0]))
_unary("SqrtBackward0", "sqrt", "d(sqrt(a))/da = 1 / (2 * sqrt(a))",
       r"\frac{\partial \sqrt{a}}{\partial a} = \frac{1}{2\sqrt{a}}",
       lambda a: f"1 / (2 * sqrt({a}))",
       lambda a, out: (1 / (2 * out)) if out is not None else
       (None if a is None else 1 / (2 * np.sqrt(a))), lambda v, node: np.sqrt(v[0]))
_unary("ReciprocalBackward0", "1/", "d(1 / a)/da = -1 / a**2",
       r"\frac{\partial a^{-1}}{\partial a} = -\frac{1}{a^2}", lambda a: f"-1 / {_paren(a)}**2",
       lambda a, out: -(out * out) if out is not None else (None if a is None else -1 / (a * a)),
       lambda v, node: 1 / v[0])
_unary("AbsBackward0", "abs", "d|a|/da = sign(a)",
       r"\frac{\partial |a|}{\partial a} = \operatorname{sign}(a)", lambda a: f"sign({a})",
       lambda a, out: None if a is None else np.sign(a), lambda v, node: np.abs(v[0]))
_unary("SignBackward0", "sign", "d(sign(a))/da = 0",
       r"\frac{\partial \operatorname{sign}(a)}{\partial a} = 0", lambda a: "0",
       lambda a, out: np.float32(0), lambda v, node: np.sign(v[0]))
_unary("SinBackward0", "sin", "d(sin(a))/da = cos(a)",
       r"\frac{\partial \sin a}{\partial a} = \cos a", lambda a: f"cos({a})",
       lambda a, out: None if a is None else np.cos(a), lambda v, node: np.sin(v[0]))
_unary("CosBackward0", "cos", "d(cos(a))/da = -sin(a)",
       r"\frac{\partial \cos a}{\partial a} = -\sin a", lambda a: f"-sin({a})",
       lambda a, out: None if a is None else -np.sin(a), lambda v, node: np.cos(v[0]))
_unary("TanhBackward0", "tanh", "d(tanh(a))/da = 1 - tanh(a)**2",
       r"\frac{\partial \tanh a}{\partial a} = 1-\tanh^2 a", lambda a: f"1 - tanh({a})**2",
       lambda a, out: (1 - out * out) if out is not None else
       (None if a is None else 1 - np.tanh(a) ** 2), lambda v, node: np.tanh(v[0]))
_unary("SigmoidBackward0", "sigmoid", "d(sigmoid(a))/da = sigmoid(a) * (1 - sigmoid(a))",
       r"\frac{\partial \sigma(a)}{\partial a} = \sigma(a)\,(1-\sigma(a))",
       lambda a: f"sigmoid({a}) * (1 - sigmoid({a}))",
       lambda a, out: None if out is None else out * (1 - out),
       lambda v, node: 1 / (1 + np.exp(-v[0])))
_unary("ReluBackward0", "relu", "d(relu(a))/da = 1 if a > 0 else 0",
       r"\frac{\partial \operatorname{relu}(a)}{\partial a} = [a > 0]",
       lambda a: f"({a} > 0)",
       lambda a, out: None if out is None else (out > 0).astype(np.float32),
       lambda v, node: np.maximum(v[0], 0))

OPS["WhereBackward0"] = Op(
    "where", lambda n, node: f"where({n[0]}, {n[1]}, {n[2]})",
    ["", _t("d(where(c, a, b))/da = 1 where c is true, else 0",
            "d(where(c, a, b))/da = c 为真处 1，否则 0"),
     _t("d(where(c, a, b))/db = 0 where c is true, else 1",
        "d(where(c, a, b))/db = c 为真处 0，否则 1")],
    plug=lambda i, n, node: f"({n[0]})" if i == 1 else f"not ({n[0]})",
    local=lambda i, v, out, node: None if i == 0 else
    (np.asarray(node.condition._data, np.float32) if i == 1 else
     1 - np.asarray(node.condition._data, np.float32)))


# -- reductions ------------------------------------------------------------------------------

def _dim_text(node):
    axes = getattr(node, "axes", None)
    if axes is None:
        return ""
    dims = axes[0] if len(axes) == 1 else tuple(axes)
    return f", dim={dims}" + (", keepdim=True" if getattr(node, "keepdim", False) else "")


_EVERY_ONE = _t("d(sum(a))/da = 1 for every element: dL/da = dL/dout copied to a's shape",
                "d(sum(a))/da = 每个元素都是 1：dL/da = 把 dL/dout 复制成 a 的形状")
_EVERY_MEAN = _t("d(mean(a))/da = 1/n for every element (n elements averaged)",
                 "d(mean(a))/da = 每个元素都是 1/n（n 个元素取平均）")

OPS["SumBackward0"] = Op(
    "sum", lambda n, node: f"sum({n[0]})", [_EVERY_ONE],
    tex_rules=[r"\frac{\partial \sum_j a_j}{\partial a_i} = 1"],
    tensor_rules=["{g} expanded to {shape0}"], elementwise=False,
    forward=lambda v, node: np.sum(v[0]))
OPS["SumBackward1"] = Op(
    "sum", lambda n, node: f"sum({n[0]}{_dim_text(node)})", [_EVERY_ONE],
    tex_rules=[r"\frac{\partial \sum_j a_j}{\partial a_i} = 1"],
    tensor_rules=["{g} expanded to {shape0}"], elementwise=False,
    forward=lambda v, node: np.sum(v[0], axis=node.axes, keepdims=node.keepdim))
OPS["MeanBackward0"] = Op(
    "mean", lambda n, node: f"mean({n[0]})", [_EVERY_MEAN],
    tex_rules=[r"\frac{\partial \frac{1}{n}\sum_j a_j}{\partial a_i} = \frac{1}{n}"],
    tensor_rules=["{g} / {count} expanded to {shape0}"], elementwise=False,
    forward=lambda v, node: np.mean(v[0]))
OPS["MeanBackward1"] = Op(
    "mean", lambda n, node: f"mean({n[0]}{_dim_text(node)})", [_EVERY_MEAN],
    tex_rules=[r"\frac{\partial \frac{1}{n}\sum_j a_j}{\partial a_i} = \frac{1}{n}"],
    tensor_rules=["{g} / {count} expanded to {shape0}"], elementwise=False,
    forward=lambda v, node: np.mean(v[0], axis=node.axes, keepdims=node.keepdim))


# -- matrix products ----------------------------------------------------------------------------

OPS["DotBackward0"] = Op(
    "dot", lambda n, node: f"dot({n[0]}, {n[1]})",
    ["d(a · b)/da = b", "d(a · b)/db = a"],
    tex_rules=[r"\frac{\partial (a\cdot b)}{\partial a} = b",
               r"\frac{\partial (a\cdot b)}{\partial b} = a"],
    tensor_rules=["{g} * {n1}", "{g} * {n0}"], elementwise=False,
    forward=lambda v, node: np.dot(v[0], v[1]), saved_inputs=True)
OPS["MvBackward0"] = Op(
    "@", lambda n, node: f"{_paren(n[0])} @ {_paren(n[1])}",
    ["Y = M @ v:  dL/dM = dL/dY @ v^T", "Y = M @ v:  dL/dv = M^T @ dL/dY"],
    tex_rules=[r"\frac{\partial L}{\partial M} = \frac{\partial L}{\partial Y}\,v^{\top}",
               r"\frac{\partial L}{\partial v} = M^{\top}\frac{\partial L}{\partial Y}"],
    tensor_rules=["{g} @ {n1}^T  (outer product)", "{n0}^T @ {g}"], elementwise=False,
    forward=lambda v, node: v[0] @ v[1], saved_inputs=True)
OPS["MmBackward0"] = Op(
    "@", lambda n, node: f"{_paren(n[0])} @ {_paren(n[1])}",
    ["Y = A @ B:  dL/dA = dL/dY @ B^T", "Y = A @ B:  dL/dB = A^T @ dL/dY"],
    tex_rules=[r"\frac{\partial L}{\partial A} = \frac{\partial L}{\partial Y}\,B^{\top}",
               r"\frac{\partial L}{\partial B} = A^{\top}\,\frac{\partial L}{\partial Y}"],
    tensor_rules=["{g} @ {n1}^T", "{n0}^T @ {g}"], elementwise=False,
    forward=lambda v, node: v[0] @ v[1], saved_inputs=True)
OPS["BmmBackward0"] = Op(
    "@", lambda n, node: f"{_paren(n[0])} @ {_paren(n[1])}",
    ["Y = A @ B (per batch):  dL/dA = dL/dY @ B^T", "Y = A @ B (per batch):  dL/dB = A^T @ dL/dY"],
    tex_rules=[r"\frac{\partial L}{\partial A} = \frac{\partial L}{\partial Y}\,B^{\top}",
               r"\frac{\partial L}{\partial B} = A^{\top}\,\frac{\partial L}{\partial Y}"],
    tensor_rules=["{g} @ {n1}^T", "{n0}^T @ {g}"], elementwise=False,
    forward=lambda v, node: np.matmul(v[0], v[1]), saved_inputs=True)
# PyTorch's nn.Linear records addmm(bias, x, W^T); listed for when ember has it.
OPS["AddmmBackward0"] = Op(
    "addmm", lambda n, node: f"{n[0]} + {_paren(n[1])} @ {_paren(n[2])}",
    ["Y = c + A @ B:  dL/dc = dL/dY summed over the broadcast rows",
     "Y = c + A @ B:  dL/dA = dL/dY @ B^T", "Y = c + A @ B:  dL/dB = A^T @ dL/dY"],
    tensor_rules=["{g} summed to {shape0}", "{g} @ {n2}^T", "{n1}^T @ {g}"], elementwise=False,
    forward=lambda v, node: v[0] + v[1] @ v[2])


# -- shape ops: they move numbers around, so the gradient is moved back ------------------------

def _shape_op(name, symbol, expr, rule, tensor_rule, forward=None):
    OPS[name] = Op(symbol, expr, [rule], tensor_rules=[tensor_rule], elementwise=False,
                   forward=forward)


_RESHAPE = _t("reshaping moves no number: dL/da = dL/dout reshaped back to a's shape",
              "改变形状不改变数值：dL/da = 把 dL/dout 变回 a 的形状")
for _name in ("ViewBackward0", "UnsafeViewBackward0", "ReshapeAliasBackward0",
              "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2", "UnsqueezeBackward0"):
    _shape_op(_name, "view", lambda n, node: f"{n[0]}.view(...)", _RESHAPE,
              "{g} reshaped to {shape0}")
_PERMUTE = _t("a transpose only reorders dims: dL/da = dL/dout with the dims put back",
              "转置只是调换维度：dL/da = 把 dL/dout 的维度换回去")
_shape_op("PermuteBackward0", "permute", lambda n, node: f"{n[0]}.permute{tuple(node.dims)}",
          _PERMUTE, "{g} permuted back", lambda v, node: np.transpose(v[0], node.dims))
_shape_op("TransposeBackward0", "transpose",
          lambda n, node: f"{n[0]}.transpose{tuple(node.dims)}", _PERMUTE,
          "{g} transposed back", lambda v, node: np.swapaxes(v[0], *node.dims))
_shape_op("TBackward0", "T", lambda n, node: f"{_paren(n[0])}^T", _PERMUTE, "({g})^T",
          lambda v, node: np.asarray(v[0]).T)
_shape_op("ExpandBackward0", "expand", lambda n, node: f"{n[0]}.expand(...)",
          _t("each copy made by the broadcast adds its gradient back: dL/da = dL/dout summed "
             "over the expanded dims", "广播出的每个副本都把梯度加回原元素：dL/da = dL/dout "
             "在扩展的维度上求和"), "{g} summed to {shape0}")
_INDEX = _t("indexing picks numbers: dL/da = zeros of a's shape with dL/dout put at the picked "
            "places", "索引取出部分元素：dL/da = 与 a 同形的零张量，在取出的位置放入 dL/dout")
for _name in ("SelectBackward0", "SliceBackward0", "AliasBackward0", "IndexBackward0"):
    _shape_op(_name, "[ ]", lambda n, node: f"{n[0]}[...]", _INDEX,
              "zeros {shape0} with {g} at the indexed places")
_shape_op("IndexPutBackward", "[ ]=", lambda n, node: f"index_put({n[0]})",
          _t("the gradient of a scatter is the gradient indexed again",
             "散布（scatter）的梯度就是把梯度再索引一次"), "{g}[index]")
OPS["IndexPutBackward0"] = Op(
    "[ ]=", lambda n, node: f"{n[0]}[index] = {n[1]}",
    [_t("overwritten places get no gradient, the rest passes through",
        "被覆盖的位置没有梯度，其余原样传回"),
     _t("the written value gets the gradient of the places it was written to",
        "写入的值得到它被写到的那些位置的梯度")],
    tensor_rules=["{g} with zeros at the written places", "{g}[index]"], elementwise=False)
_shape_op("UnbindBackward0", "unbind", lambda n, node: f"unbind({n[0]})",
          _t("the slices' gradients are stacked back (zeros for slices that got none)",
             "把各切片的梯度重新堆叠起来（没有梯度的切片用 0）"), "stack of the slices' grads")
OPS["StackBackward0"] = Op(
    "stack", lambda n, node: f"stack([{', '.join(n)}])",
    [_t("each input gets its own slice of dL/dout", "每个输入拿回 dL/dout 中属于自己的那一片")],
    tensor_rules=["{g}[{i}]"], elementwise=False,
    forward=lambda v, node: np.stack(v, axis=node.dim))
_shape_op("ToCopyBackward0", "to", lambda n, node: f"{n[0]}.to(...)",
          _t("a cast: dL/da = dL/dout cast back to a's dtype", "类型转换：dL/da = 把 dL/dout "
             "转回 a 的类型"), "{g} cast back")
OPS["CloneBackward0"] = Op(
    "clone", lambda n, node: f"{n[0]}.clone()", ["d(clone(a))/da = 1"],
    plug=lambda i, n, node: "1", local=lambda i, v, out, node: np.float32(1),
    forward=lambda v, node: np.array(v[0], copy=True))
OPS["torch::autograd::CopySlices"] = Op(
    "copy_slices", lambda n, node: f"{n[0]} with a slice written in place",
    [_t("identity outside the written slice; inside it, the rule of the in-place op",
        "被写入切片之外原样传回；切片之内用那个原地操作的求导规则"),
     _t("the in-place op's rule for its other inputs", "原地操作对其其他输入的求导规则")],
    tensor_rules=["{g} (outside the slice) / rule of the in-place op (inside)",
                  "rule of the in-place op"], elementwise=False)
_ZERO = _t("the old values were overwritten: they get gradient 0", "旧的值被覆盖了：梯度为 0")
_shape_op("ZeroBackward0", "zero_", lambda n, node: f"{n[0]}.zero_()", _ZERO, "zeros")
_shape_op("FillBackward2", "fill_", lambda n, node: f"{n[0]}.fill_(c)", _ZERO, "zeros")
OPS["FillBackward3"] = Op(
    "fill_", lambda n, node: f"{n[0]}.fill_({n[1]})",
    [_ZERO, _t("the fill value went into every element: it gets sum(dL/dout)",
               "填充值写进了每个元素：它的梯度是 sum(dL/dout)")],
    tensor_rules=["zeros", "sum({g})"], elementwise=False)
OPS["torch::autograd::CopyBackwards"] = Op(
    "copy_", lambda n, node: f"{n[0]}.copy_({n[1]})",
    [_ZERO, _t("the copied source gets dL/dout (summed where it was broadcast)",
               "被复制的源得到 dL/dout（广播处求和）")],
    tensor_rules=["zeros", "{g} summed to {shape1}"], elementwise=False)
OPS["NotImplemented"] = Op(
    "?", lambda n, node: f"{getattr(node, 'op_name', 'op')}({', '.join(n)})",
    [_t("this op has no derivative: backward through it raises an error",
        "这个操作没有导数：反向传播经过它会报错")], elementwise=False)

# Nodes PyTorch records for nn layers, described for when ember has them.
for _name, _symbol, _en, _zh in [
        ("ConvolutionBackward0", "conv",
         "Y = conv(X, W) + b:  dL/dX = transposed conv of dL/dY with W, dL/dW = conv of X with "
         "dL/dY, dL/db = dL/dY summed over batch and positions",
         "Y = conv(X, W) + b：dL/dX = dL/dY 与 W 的转置卷积，dL/dW = X 与 dL/dY 的卷积，"
         "dL/db = dL/dY 在批和位置上求和"),
        ("MseLossBackward0", "mse", "L = mean((a - b)**2):  dL/da = 2 * (a - b) / n",
         "L = mean((a - b)**2)：dL/da = 2 * (a - b) / n"),
        ("LogSoftmaxBackward0", "log_softmax",
         "y = log_softmax(a):  dL/da = dL/dy - softmax(a) * sum(dL/dy)",
         "y = log_softmax(a)：dL/da = dL/dy - softmax(a) * sum(dL/dy)"),
        ("SoftmaxBackward0", "softmax",
         "y = softmax(a):  dL/da = y * (dL/dy - sum(dL/dy * y))",
         "y = softmax(a)：dL/da = y * (dL/dy - sum(dL/dy * y))"),
        ("NllLossBackward0", "nll", "L = -mean(a[i, target_i]):  dL/da = -1/n at each target",
         "L = -mean(a[i, target_i])：dL/da 在每个目标位置为 -1/n"),
        ("EmbeddingBackward0", "embedding",
         "rows picked from W:  dL/dW = dL/dY added into the picked rows",
         "从 W 中取行：dL/dW = 把 dL/dY 加到被取出的行上"),
        ("MaxPool2DWithIndicesBackward0", "max_pool",
         "max pooling:  the gradient goes to the max of each window only",
         "最大池化：梯度只传给每个窗口里的最大值"),
        ("NativeLayerNormBackward0", "layer_norm",
         "layer norm:  dL/dx = (1/σ)(dL/dx̂ - mean(dL/dx̂) - x̂ mean(dL/dx̂ x̂))",
         "层归一化：dL/dx = (1/σ)(dL/dx̂ - mean(dL/dx̂) - x̂ mean(dL/dx̂ x̂))")]:
    OPS[_name] = Op(_symbol, (lambda s: lambda n, node: f"{s}({', '.join(n)})")(_symbol),
                    [_t(_en, _zh)], elementwise=False)


def _mse(v, node):
    squared = (np.asarray(v[0]) - np.asarray(v[1])) ** 2
    reduction = getattr(node, "reduction", "mean")
    return squared.mean() if reduction == "mean" else \
        (squared.sum() if reduction == "sum" else squared)


OPS["MseLossBackward0"].forward = _mse


def lookup(name):
    """The `Op` for a node name; an unknown name gets a generic description."""
    op = OPS.get(name)
    if op is not None:
        return op
    short = name.split("::")[-1]
    return Op(short, lambda n, node: f"{short}({', '.join(n)})",
              [_t(f"local derivative of {short}", f"{short} 的局部导数")], elementwise=False)

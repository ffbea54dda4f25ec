"""Numbers and tensors as short text, for the pictures and the explanations.

Floats are written with the fewest digits that still identify the value in its own dtype
(float32's 0.1 is written `0.1`, not `0.10000000149011612`), in Python's layout, so a test can
read a number back with `float()` and get exactly the value ember computed.

>>> import numpy as np
>>> number(np.float32(0.1)), number(np.float32(40.0)), number(np.float32(2.5e-7))
('0.1', '40.0', '2.5e-07')
>>> values(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
'[[1.0, 2.0], [3.0, 4.0]]'
"""
import re
import unicodedata

import numpy as np

# Tensors with at most this many elements are written out in full; bigger ones as a summary.
MAX_VALUES = 12


def number(x, digits=None):
    """One number as text: shortest exact form, or `digits` significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (complex, np.complexfloating)):
        return str(complex(x))
    if not isinstance(x, np.floating):
        x = np.float64(x)
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    if digits is None:
        text = np.format_float_positional(x, unique=True, trim="0")
    else:
        text = np.format_float_positional(x, precision=digits, unique=True, fractional=False,
                                          trim="0")
    # Python's own layout of the same decimal digits (scientific for tiny and huge numbers)
    return repr(float(text))


def values(array, digits=None):
    """All the values of a (small) array as a nested list, e.g. `[[1.0, 2.0], [3.0, 4.0]]`;
    a 0-d array is just its number."""
    array = np.asarray(array)
    if array.ndim == 0:
        return number(array[()], digits)
    return "[" + ", ".join(values(row, digits) for row in array) + "]"


def summary(array, digits=4):
    """A big tensor in one line: its shape, norm, min and max."""
    array = np.asarray(array)
    if array.size == 0:
        return f"empty {shape(array.shape)}"
    real = array.real.astype(np.float64) if array.dtype.kind == "c" else array.astype(np.float64)
    return (f"{shape(array.shape)} norm {number(np.linalg.norm(real.ravel()), digits)}, "
            f"min {number(real.min(), digits)}, max {number(real.max(), digits)}")


def tensor_text(array, digits=None, max_values=MAX_VALUES):
    """Values when the array is small, else the summary."""
    array = np.asarray(array)
    if array.size <= max_values:
        return values(array, digits)
    return summary(array)


def shape(shape):
    """`(2, 3)`, `(3,)`, or `()` for a 0-d tensor (Python's tuple layout)."""
    return str(tuple(int(s) for s in shape))


def text_width(text):
    """How many monospace cells `text` takes (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# -- LaTeX ------------------------------------------------------------------------------------


def tex_name(name):
    """A variable name in LaTeX: `w1` -> `w_{1}`, `y_hat` -> `\\hat{y}`, others upright."""
    m = re.fullmatch(r"([A-Za-z])(\d+)", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    m = re.fullmatch(r"([A-Za-z])_hat", name)
    if m:
        return rf"\hat{{{m.group(1)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


_TOKEN = re.compile(r"(\*\*|[A-Za-z_][A-Za-z0-9_.]*|\d+\.?\d*(?:e[-+]?\d+)?|\S)")
_FUNCTIONS = {"exp", "log", "sin", "cos", "tanh", "sqrt", "sign", "sum", "mean", "relu",
              "sigmoid", "floor", "where", "ln"}


def tex_expr(text):
    """A formula written in the explanation's plain-text notation, in LaTeX.

    Handles what the rules use: names, numbers, `* / + - @ ⊙ ** ^T ∂ d`, parentheses.

    >>> tex_expr("2 * r")
    '2 \\\\cdot r'
    """
    out = []
    tokens = _TOKEN.findall(text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "**":
            # exponent: the next token (or parenthesised group) goes into ^{...}
            j, depth, group = i + 1, 0, []
            while j < len(tokens):
                group.append(tokens[j])
                depth += tokens[j] == "("
                depth -= tokens[j] == ")"
                j += 1
                if depth == 0:
                    break
            inner = " ".join(group)
            if inner.startswith("(") and inner.endswith(")"):
                inner = inner[1:-1].strip()
            out.append("^{" + tex_expr(inner) + "}")
            i = j
            continue
        if tok == "*":
            out.append(r"\cdot")
        elif tok == "⊙":
            out.append(r"\odot")
        elif tok == "@":
            out.append(r"\,")
        elif tok == "^" and i + 1 < len(tokens) and tokens[i + 1] == "T":
            out.append(r"^{\top}")
            i += 1
        elif tok == "∂":
            out.append(r"\partial ")
        elif tok in _FUNCTIONS:
            out.append(rf"\{tok}" if tok in {"exp", "log", "sin", "cos", "tanh", "ln"}
                       else rf"\operatorname{{{tok}}}")
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", tok):
            out.append(tex_name(tok))
        elif tok in "{}":
            out.append("\\" + tok)
        else:
            out.append(tok)
        i += 1
    return " ".join(out)


def tex_values(array, digits=None, max_values=MAX_VALUES):
    """Small arrays as a LaTeX matrix (a vector as a row), big ones as the summary text."""
    array = np.asarray(array)
    if array.ndim == 0:
        return number(array[()], digits)
    if array.size > max_values or array.ndim > 2:
        if array.size <= max_values:
            return r"\texttt{" + values(array, digits) + "}"
        return r"\text{" + summary(array) + "}"
    rows = array.reshape(1, -1) if array.ndim == 1 else array
    body = r" \\ ".join(" & ".join(number(v, digits) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"

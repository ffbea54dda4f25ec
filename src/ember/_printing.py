"""How a tensor prints: `repr(t)` and `str(t)`, identical to PyTorch's, character for character.

Printing happens in three steps:

1. Choose which elements to show. A tensor with more than `threshold` elements is
   *summarised*: along every dimension longer than `2 * edgeitems` only the first and last
   `edgeitems` entries are kept, and `...` marks the gap.
2. Choose one layout for all shown elements (`_Formatter`): integers are printed as they are;
   floats print as whole numbers (`3.`), in fixed point (`3.1416`) or in scientific notation
   (`3.1416e+00`), right-aligned to a common width so the columns line up.
3. Lay the elements out in nested brackets, wrapping rows longer than `linewidth`, then append
   the suffixes (`dtype=...`, `requires_grad=True`, `grad_fn=<...>`).

Only the values on screen decide the layout, so a huge value hidden by `...` does not switch
the visible ones to scientific notation.
"""
import math

import numpy as np

from . import _backend, _dtype

# The settings of each `profile`; `sci_mode` is not part of a profile.
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}

# The current options, in the order PyTorch lists them.
_options = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Change how tensors print, for every tensor printed afterwards.

    precision: digits after the decimal point (default 4).
    threshold: more elements than this are summarised with `...` (default 1000).
    edgeitems: elements kept at each end of a summarised dimension (default 3).
    linewidth: characters per line before a row wraps (default 80).
    profile: 'default', 'short' or 'full' sets the four options above at once; options also
        passed override it.
    sci_mode: True or False forces or forbids scientific notation; None lets each tensor's
        values decide. Every call sets it, so leaving it out turns automatic mode back on.

    >>> import ember
    >>> ember.set_printoptions(precision=2)
    >>> ember.tensor([1.12345])
    tensor([1.12])
    >>> ember.set_printoptions(profile='default')
    """
    if profile in _PROFILES:
        _options.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    _options.update({name: value for name, value in given.items() if value is not None})
    _options["sci_mode"] = sci_mode


def get_printoptions():
    """The current print options, as a dict that `set_printoptions(**options)` accepts.

    >>> import ember
    >>> ember.get_printoptions()
    {'precision': 4, 'threshold': 1000, 'edgeitems': 3, 'linewidth': 80, 'sci_mode': None}
    """
    return dict(_options)


class _Formatter:
    """One layout shared by all the numbers printed for a tensor (or for one part, real or
    imaginary, of a complex tensor): whether floats print as whole numbers, in fixed point or
    in scientific notation, and the width every number is right-aligned to.

    `values` is a flat list of the Python numbers that will be shown.
    """

    def __init__(self, values, is_float, precision, sci_mode_option):
        self.is_float = is_float
        self.precision = precision
        self.int_mode = True        # every shown float is a whole number: print `3.`
        self.sci_mode = False
        self.width = 1

        if not is_float:
            self.width = max([1] + [len(str(v)) for v in values])
            return

        # Only finite, nonzero values choose the layout and the width: a zero fits any layout,
        # and nan or inf has no magnitude to compare (so `-inf` may stick out of the column).
        shown = [v for v in values if v != 0 and math.isfinite(v)]
        if not shown:
            return
        self.int_mode = all(v.is_integer() for v in shown)
        if sci_mode_option is None:
            smallest = min(abs(v) for v in shown)
            largest = max(abs(v) for v in shown)
            # Fixed point would either need too many digits or lose the small values.
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = sci_mode_option

        if self.sci_mode:
            self.width = max(len(f"{v:.{precision}e}") for v in shown)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") for v in shown) + 1    # + 1 for the trailing "."
        else:
            self.width = max(len(f"{v:.{precision}f}") for v in shown)

    def format(self, value):
        """`value` as text, padded on the left to the common width."""
        if not self.is_float:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{self.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."     # the dot tells a float tensor from an integer one
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


def _summarise(data, edgeitems):
    """Keep only the first and last `edgeitems` entries along every axis longer than
    `2 * edgeitems`: the elements a summarised tensor shows."""
    for axis, size in enumerate(data.shape):
        if size > 2 * edgeitems:
            kept = list(range(edgeitems)) + list(range(size - edgeitems, size))
            data = data.take(kept, axis=axis)
    return data


def _element_formatter(shown, options):
    """A function that turns one element into its text, and the width of that text.

    `shown` holds the elements on screen; they alone decide the layout.
    """
    precision, sci_mode = options["precision"], options["sci_mode"]
    kind = shown.dtype.kind
    if kind != "c":
        formatter = _Formatter(shown.ravel().tolist(), kind == "f", precision, sci_mode)
        return formatter.format, formatter.width

    # A complex number prints as real part, then the imaginary part with its sign and a `j`;
    # each part gets its own layout.
    real = _Formatter(shown.real.ravel().tolist(), True, precision, sci_mode)
    imag = _Formatter(shown.imag.ravel().tolist(), True, precision, sci_mode)

    def format_complex(value):
        imag_text = (imag.format(value.imag) + "j").lstrip()
        sign = "" if imag_text[0] in "+-" else "+"
        return real.format(value.real) + sign + imag_text

    return format_complex, real.width + imag.width + 1     # + 1 for the `j`


def _vector_str(items, size, indent, summarise, fmt, width, options):
    """The innermost brackets: a row of numbers, wrapped to fit `linewidth`.

    `items` are the shown entries; `size` is how many the row really has.
    """
    edgeitems = options["edgeitems"]
    texts = [fmt(v) for v in items]
    if summarise and size > 2 * edgeitems:
        texts.insert(edgeitems, " ...")
    # Each element takes its width plus ", "; the line starts `indent` characters in.
    per_line = max(1, math.floor((options["linewidth"] - indent) / (width + 2)))
    lines = [", ".join(texts[i:i + per_line]) for i in range(0, len(texts), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(items, shape, indent, summarise, fmt, width, options):
    """Brackets for a block of `shape` whose shown entries are the nested lists `items`.

    Sub-blocks go on separate lines, indented one step further, with one blank line between
    them for each dimension they have beyond the first.
    """
    if len(shape) == 1:
        return _vector_str(items, shape[0], indent, summarise, fmt, width, options)
    blocks = [_nested_str(item, shape[1:], indent + 1, summarise, fmt, width, options)
              for item in items]
    edgeitems = options["edgeitems"]
    if summarise and shape[0] > 2 * edgeitems:
        blocks.insert(edgeitems, "...")
    separator = "," + "\n" * (len(shape) - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _values_str(data, indent, options):
    """The bracketed values of a non-empty array, as they appear after `tensor(`."""
    summarise = data.size > options["threshold"]
    edgeitems = options["edgeitems"]
    if summarise and not edgeitems and data.ndim > 0:
        return "[...]"      # no element at all is shown
    shown = _summarise(data, edgeitems) if summarise else data
    fmt, width = _element_formatter(shown, options)
    if data.ndim == 0:
        return fmt(data.item())
    return _nested_str(shown.tolist(), data.shape, indent, summarise, fmt, width, options)


def _add_suffixes(text, suffixes, indent, linewidth):
    """Append `, suffix` for each suffix, starting a new line (indented to line up with the
    first bracket) whenever the current line would grow longer than `linewidth`."""
    parts = [text]
    # PyTorch counts the last line as two characters longer than it is, leaving room for the
    # closing `)`; counting the same way makes lines break exactly where PyTorch breaks them.
    line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t):
    """The text PyTorch prints for a tensor: what `repr(t)` and `str(t)` return.

    >>> import ember
    >>> print(tensor_repr(ember.tensor([[1.0, 2.5], [3.0, 4.0]], dtype=ember.float64)))
    tensor([[1.0000, 2.5000],
            [3.0000, 4.0000]], dtype=torch.float64)
    """
    options = _options
    data = t._data
    prefix = "tensor("
    indent = len(prefix)
    dtype_name = repr(t.dtype)
    suffixes = []
    if type(data) is not np.ndarray:            # a GPU tensor: its values are fetched to print
        suffixes.append(f"device='{t.device}'")
        data = _backend.of(data).to_host(data)
    # the default floating dtype goes unsaid in the suffix
    default_float = _dtype.get_default_dtype().name

    if data.size == 0:
        # A 1-d empty tensor prints as `[]`; any other empty shape needs spelling out.
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        # No values to show the dtype, so only the default float dtype goes unsaid.
        if dtype_name != "torch." + default_float:
            suffixes.append(f"dtype={dtype_name}")
        values = "[]"
    else:
        if not options["edgeitems"]:
            suffixes.append(f"size={tuple(data.shape)}")    # with no edges, the shape is lost
        default_complex = "complex128" if default_float == "float64" else "complex64"
        if dtype_name[len("torch."):] not in (default_float, default_complex,
                                              "int64", "bool"):
            suffixes.append(f"dtype={dtype_name}")
        values = _values_str(data, indent, options)

    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + values, suffixes, indent, options["linewidth"])

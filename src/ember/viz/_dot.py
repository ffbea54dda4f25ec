"""The picture as Graphviz DOT text, and that text read back.

A picture is described by a small "spec": boxes (`id`, `lines` of text, `kind`, `fill`), edges
(`source`, `target`, optional `label`) and an optional caption. `to_dot(spec)` writes it as DOT,
which the `dot` program (if installed) or any Graphviz viewer can draw; `from_dot(text)` reads
back the DOT that `to_dot` writes. The built-in SVG renderer draws from `from_dot(source)`, so
the DOT text and the built-in picture can never tell different stories.

>>> spec = {"nodes": [{"id": "n0", "lines": ["w", "grad 2.0"], "kind": "leaf",
...                    "fill": "#dbeafe"}],
...         "edges": [], "caption": ""}
>>> from_dot(to_dot(spec)) == spec
True
"""
import re

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n"}


def _quote(text):
    return '"' + "".join(_ESCAPES.get(c, c) for c in str(text)) + '"'


def to_dot(spec):
    """DOT text for a picture spec (one node statement per box, one edge statement per edge)."""
    out = ["digraph ember {",
           '  graph [rankdir=TB, nodesep=0.3, ranksep=0.45, fontname="monospace", '
           'fontsize=11' + (f", label={_quote(spec['caption'])}, labelloc=b"
                            if spec.get("caption") else "") + "];",
           '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];',
           '  edge [arrowsize=0.7];']
    for node in spec["nodes"]:
        attrs = [f"label={_quote(chr(10).join(node['lines']))}",
                 f"class={_quote(node['kind'])}",
                 f"fillcolor={_quote(node['fill'])}"]
        if node["kind"] == "root":
            attrs.append("penwidth=2")
        out.append(f"  {node['id']} [{', '.join(attrs)}];")
    for edge in spec["edges"]:
        label = f" [label={_quote(edge['label'])}]" if edge.get("label") else ""
        out.append(f"  {edge['source']} -> {edge['target']}{label};")
    out.append("}")
    return "\n".join(out) + "\n"


_STRING = r'"(?:[^"\\]|\\.)*"'
_ATTR = re.compile(r'(\w+)\s*=\s*(' + _STRING + r'|[^,\]\s]+)')
_NODE = re.compile(r'^\s*(\w+)\s*\[(.*)\];\s*$')
_EDGE = re.compile(r'^\s*(\w+)\s*->\s*(\w+)\s*(?:\[(.*)\])?;\s*$')
_GRAPH = re.compile(r'^\s*graph\s*\[(.*)\];\s*$')


def _unquote(text):
    if not (text.startswith('"') and text.endswith('"')):
        return text
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append("\n" if nxt in "nlr" else nxt)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _attrs(text):
    return {k: _unquote(v) for k, v in _ATTR.findall(text or "")}


def from_dot(text):
    """The spec back from DOT written by `to_dot` (other DOT is not supported)."""
    nodes, edges, caption = [], [], ""
    for line in text.splitlines():
        m = _EDGE.match(line)
        if m:
            edge = {"source": m.group(1), "target": m.group(2)}
            label = _attrs(m.group(3)).get("label")
            if label:
                edge["label"] = label
            edges.append(edge)
            continue
        m = _GRAPH.match(line)
        if m:
            caption = _attrs(m.group(1)).get("label", "")
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in ("node", "edge"):
            attrs = _attrs(m.group(2))
            nodes.append({"id": m.group(1), "lines": attrs.get("label", "").split("\n"),
                          "kind": attrs.get("class", "op"),
                          "fill": attrs.get("fillcolor", "#ffffff")})
    return {"nodes": nodes, "edges": edges, "caption": caption}

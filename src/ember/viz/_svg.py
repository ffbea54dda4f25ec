"""Draw a picture spec (see `_dot.py`) as SVG, or as PNG with matplotlib, with no external
program: the boxes are placed by `_layout.layered`, in rows by their distance from the output
(the inputs on top, the output at the bottom, arrows pointing the way the forward pass went).

Every box is an SVG group `<g id="node-n3" class="node op">` and every edge
`<g id="edge-n1-n3-0" class="edge">`, so a page can highlight them with CSS.
"""
from xml.sax.saxutils import escape

from . import _layout
from ._format import text_width

CHAR_WIDTH = 6.6          # of the 11 px monospace font, in px
LINE_HEIGHT = 14
PAD_X, PAD_Y = 9, 6
FONT_SIZE = 11
STROKE = {"leaf": "#2563eb", "op": "#6b7280", "root": "#15803d", "module": "#7c3aed"}


def box_size(lines):
    width = max(text_width(line) for line in lines) * CHAR_WIDTH + 2 * PAD_X
    return (max(width, 40.0), len(lines) * LINE_HEIGHT + 2 * PAD_Y)


def ranks_from_edges(node_ids, edges):
    """Row of each node: the longest path to a node that nothing uses (the output) decides
    its distance from the bottom, so every input sits above its consumer."""
    users = {n: [] for n in node_ids}
    for e in edges:
        users[e["source"]].append(e["target"])
    depth = {}
    for start in node_ids:                       # iterative depth-first search, no recursion
        if start in depth:
            continue
        stack = [(start, iter(users[start]))]
        on_stack = {start}
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on_stack.discard(node)
                depth[node] = 1 + max((depth[u] for u in users[node]), default=-1)
            elif nxt not in depth:
                if nxt in on_stack:
                    raise ValueError("the picture's edges form a cycle")
                on_stack.add(nxt)
                stack.append((nxt, iter(users[nxt])))
    top = max(depth.values(), default=0)
    return {n: top - d for n, d in depth.items()}


def layout(spec):
    ids = [n["id"] for n in spec["nodes"]]
    sizes = {n["id"]: box_size(n["lines"]) for n in spec["nodes"]}
    ranks = ranks_from_edges(ids, spec["edges"])
    pairs = [(e["source"], e["target"]) for e in spec["edges"]]
    return _layout.layered(sizes, pairs, ranks)


def _path(points):
    """An SVG path through `points`: smooth S-curves between rows, straight down through the
    rows a long edge crosses."""
    (x0, y0) = points[0]
    d = [f"M{x0:.1f},{y0:.1f}"]
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        if abs(xa - xb) < 0.5:
            d.append(f"L{xb:.1f},{yb:.1f}")
        else:
            mid = (ya + yb) / 2
            d.append(f"C{xa:.1f},{mid:.1f} {xb:.1f},{mid:.1f} {xb:.1f},{yb:.1f}")
    return " ".join(d)


def to_svg(spec, standalone=True):
    """The SVG text of a picture spec. `standalone=False` leaves out the XML namespace (for
    SVG inlined in an HTML page, which needs none)."""
    lay = layout(spec)
    caption = spec.get("caption") or ""
    caption_lines = caption.split("\n") if caption else []
    width = max([lay.width] + [text_width(c) * CHAR_WIDTH + 2 * _layout.MARGIN
                               for c in caption_lines])
    height = lay.height + len(caption_lines) * LINE_HEIGHT + (8 if caption_lines else 0)
    ns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    out = [f'<svg{ns} width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans Mono, Menlo, '
           f'Consolas, monospace" font-size="{FONT_SIZE}" class="ember-graph">',
           # arrowheads sized in px (not in stroke widths), so a thicker edge keeps its head;
           # the orange one is for a page that highlights edges
           "<defs>" + "".join(
               f'<marker id="{mid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
               f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
               f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
               for mid, color in (("ember-arrow", "#6b7280"), ("ember-arrow-hot", "#ea580c")))
           + "</defs>",
           f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="white"/>']
    seen = {}
    for edge, points in zip(spec["edges"], lay.edges):
        key = f"{edge['source']}-{edge['target']}"
        seen[key] = seen.get(key, -1) + 1
        eid = f"edge-{key}-{seen[key]}"
        out.append(f'<g id="{eid}" class="edge" data-source="{edge["source"]}" '
                   f'data-target="{edge["target"]}"><path d="{_path(points)}" fill="none" '
                   f'stroke="#6b7280" stroke-width="1.2" marker-end="url(#ember-arrow)"/>')
        if edge.get("label"):
            (xa, ya), (xb, yb) = points[0], points[1]
            out.append(f'<text x="{(xa + xb) / 2 + 4:.1f}" y="{(ya + yb) / 2:.1f}" '
                       f'fill="#6b7280">{escape(edge["label"])}</text>')
        out.append("</g>")
    for node in spec["nodes"]:
        x, y, w, h = lay.boxes[node["id"]]
        kind = node["kind"]
        stroke = STROKE.get(kind, "#6b7280")
        out.append(f'<g id="node-{node["id"]}" class="node {kind}" data-node="{node["id"]}">'
                   f"<title>{escape(node['lines'][0])}</title>"
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
                   f'fill="{node["fill"]}" stroke="{stroke}" '
                   f'stroke-width="{2.2 if kind == "root" else 1.2}"/>')
        for i, line in enumerate(node["lines"]):
            weight = ' font-weight="bold"' if i == 0 else ""
            # the gradient line gets a class, so a page can show it only once it is computed
            cls = ' class="grad"' if line.startswith("grad ") else ""
            ty = y + PAD_Y + (i + 1) * LINE_HEIGHT - 3.5
            out.append(f'<text x="{x + w / 2:.1f}" y="{ty:.1f}" text-anchor="middle"'
                       f"{weight}{cls}>{escape(line)}</text>")
        out.append("</g>")
    for i, line in enumerate(caption_lines):
        out.append(f'<text x="{_layout.MARGIN}" y="{lay.height + (i + 1) * LINE_HEIGHT:.1f}" '
                   f'fill="#b91c1c" class="caption">{escape(line)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(spec, path, dpi=150):
    """Draw the spec with matplotlib (the same layout as the SVG) into a PNG file."""
    try:
        # a Figure with the Agg canvas directly: no pyplot, so the program's backend is untouched
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch, PathPatch, Polygon
        from matplotlib.path import Path
    except ImportError:
        raise RuntimeError("PNG output needs matplotlib (pip install matplotlib); "
                           "render(path, format='svg') needs nothing") from None
    lay = layout(spec)
    caption = [c for c in (spec.get("caption") or "").split("\n") if c]
    width, height = lay.width, lay.height + len(caption) * LINE_HEIGHT + 8
    # one px of the layout = one point (1/72 inch), so font sizes carry over as they are
    fig = Figure(figsize=(width / 72, height / 72), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    for points in lay.edges:
        verts, codes = [points[0]], [Path.MOVETO]
        for (xa, ya), (xb, yb) in zip(points, points[1:]):
            if abs(xa - xb) < 0.5:
                verts.append((xb, yb))
                codes.append(Path.LINETO)
            else:
                mid = (ya + yb) / 2
                verts += [(xa, mid), (xb, mid), (xb, yb)]
                codes += [Path.CURVE4] * 3
        ax.add_patch(PathPatch(Path(verts, codes), fill=False, edgecolor="#6b7280", lw=1))
        (tx, ty) = points[-1]
        ax.add_patch(Polygon([(tx, ty), (tx - 3.5, ty - 7), (tx + 3.5, ty - 7)],
                             closed=True, color="#6b7280"))
    for node in spec["nodes"]:
        x, y, w, h = lay.boxes[node["id"]]
        kind = node["kind"]
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=6",
                                    facecolor=node["fill"], edgecolor=STROKE.get(kind, "#6b7280"),
                                    lw=2 if kind == "root" else 1))
        for i, line in enumerate(node["lines"]):
            ax.text(x + w / 2, y + PAD_Y + (i + 1) * LINE_HEIGHT - 3.5, line, ha="center",
                    va="baseline", family="monospace", fontsize=FONT_SIZE * 0.9,
                    weight="bold" if i == 0 else "normal")
    for i, line in enumerate(caption):
        ax.text(_layout.MARGIN, lay.height + (i + 1) * LINE_HEIGHT, line, color="#b91c1c",
                family="monospace", fontsize=FONT_SIZE * 0.9, va="baseline")
    fig.savefig(path, dpi=dpi, facecolor="white")
    return path

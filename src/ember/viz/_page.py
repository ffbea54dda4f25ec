"""`backward_page`: one HTML file that steps through the backward pass.

The page holds the picture (inline SVG), the explanation of every step, and twenty lines of
JavaScript: "Next" and "Previous" (or the arrow keys) move from step to step, the node the
engine runs at that step is highlighted, the edges its gradients go down are coloured, and the
gradients appear in the boxes as they are computed. Everything is in the one file: no network,
no CDN, so it opens anywhere, offline.
"""
import html
import json
import sys

from . import _trace
from ._explain import TEXT, Explanation, _text
from ._graph import Graph
from ._picture import Picture

UI = {
    "en": {"prev": "◀ Previous", "next": "Next ▶", "step": "Step", "of": "of",
           "overview": "Overview", "result": "Result",
           "help": "Use the buttons or the ← → keys. The highlighted box is the node the engine "
                   "runs at this step; orange arrows carry its gradients down to its inputs."},
    "zh": {"prev": "◀ 上一步", "next": "下一步 ▶", "step": "第", "of": "/",
           "overview": "概览", "result": "结果",
           "help": "用按钮或 ← → 键翻页。高亮的方框是引擎这一步运行的节点；橙色箭头把它的梯度传给"
                   "它的输入。"},
}


def backward_page(tensor, lang="en", params=None, grad_output=None):
    """A page that steps through the backward pass from `tensor`; `.save(path)` writes it as
    one self-contained HTML file.

    >>> import ember
    >>> w = ember.tensor(2.0, requires_grad=True)
    >>> page = backward_page((w * 3.0) ** 2)
    >>> len(page.steps)          # overview, 3 nodes, result
    5
    """
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {sorted(TEXT)}, got {lang!r}")
    graph = Graph(tensor, params, sys._getframe(1))
    _trace.run(graph, grad_output)
    return BackwardPage(graph, lang)


class BackwardPage:
    """The page: `steps` (what each step shows), `html()` and `save(path)`."""

    def __init__(self, graph, lang="en"):
        self.graph = graph
        self.lang = lang
        self.picture = Picture(graph)
        self.explanation = Explanation(graph, lang)
        ui = UI[lang]
        e = self.explanation
        steps = [{"node": None, "title": ui["overview"], "text": _text(e.header)}]
        for s in e.steps:       # the step's first row is its title, shown above the text
            steps.append({"node": s["node"], "title": s["rows"][0][1],
                          "text": _text(s["rows"][1:])})
        steps.append({"node": None, "title": ui["result"], "text": _text(e.result)})
        self.steps = steps
        # at step k the nodes of steps 1..k have run: their gradients are known
        self.order = [s["node"] for s in steps if s["node"] is not None]

    def html(self):
        ui = UI[self.lang]
        title = html.escape(self.explanation.header[0][1])
        data = json.dumps({"steps": self.steps, "order": self.order, "ui": ui},
                          ensure_ascii=False).replace("</", "<\\/")
        svg = self.picture.svg(standalone=False)
        return _TEMPLATE.format(lang=self.lang, title=title, svg=svg, data=data,
                                prev=html.escape(ui["prev"]), next=html.escape(ui["next"]),
                                help=html.escape(ui["help"]))

    def save(self, path="backprop.html"):
        """Write the page to `path` (one file, nothing else needed) and return the path."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html())
        return path

    def _repr_html_(self):
        return self.html()


_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 0; color: #111827; }}
  header {{ padding: 10px 16px; border-bottom: 1px solid #e5e7eb; display: flex;
           gap: 12px; align-items: center; flex-wrap: wrap; }}
  header h1 {{ font-size: 16px; margin: 0 12px 0 0; }}
  button {{ font-size: 14px; padding: 4px 12px; cursor: pointer; }}
  #counter {{ font-family: monospace; }}
  #help {{ color: #6b7280; font-size: 12px; }}
  main {{ display: flex; gap: 12px; padding: 12px; align-items: flex-start; }}
  #graph {{ flex: 1 1 55%; overflow: auto; border: 1px solid #e5e7eb; border-radius: 6px; }}
  #panel {{ flex: 1 1 45%; }}
  #step-title {{ font-weight: bold; margin: 0 0 6px; font-family: monospace; }}
  #step-text {{ white-space: pre-wrap; font-family: monospace; font-size: 13px;
               background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 6px;
               padding: 10px; margin: 0; }}
  .node rect {{ transition: stroke 0.2s, fill 0.2s; }}
  .node.current rect {{ stroke: #ea580c; stroke-width: 3.5; fill: #ffedd5; }}
  .node.done rect {{ stroke-width: 1.8; }}
  .node.pending text.grad {{ visibility: hidden; }}
  .edge.current path {{ stroke: #ea580c; stroke-width: 2.6; marker-end: url(#ember-arrow-hot); }}
</style>
</head>
<body data-step="0">
<header>
  <h1>{title}</h1>
  <button id="prev" type="button">{prev}</button>
  <span id="counter"></span>
  <button id="next" type="button">{next}</button>
  <span id="help">{help}</span>
</header>
<main>
  <div id="graph">
{svg}
  </div>
  <div id="panel">
    <p id="step-title"></p>
    <pre id="step-text"></pre>
  </div>
</main>
<script id="ember-steps" type="application/json">{data}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById("ember-steps").textContent);
  var steps = data.steps, order = data.order, k = 0;
  function show(i) {{
    k = Math.max(0, Math.min(steps.length - 1, i));
    var step = steps[k];
    var ran = {{}};                        // nodes whose step is at or before this one
    for (var j = 1; j <= k && j - 1 < order.length; j++) ran[order[j - 1]] = true;
    if (k === steps.length - 1) order.forEach(function (n) {{ ran[n] = true; }});
    document.querySelectorAll(".node").forEach(function (el) {{
      var id = el.getAttribute("data-node");
      el.classList.toggle("current", id === step.node);
      el.classList.toggle("done", !!ran[id] && id !== step.node);
      el.classList.toggle("pending", !ran[id] && order.indexOf(id) >= 0);
    }});
    document.querySelectorAll(".edge").forEach(function (el) {{
      el.classList.toggle("current", step.node !== null &&
                          el.getAttribute("data-target") === step.node);
    }});
    document.getElementById("step-title").textContent = step.title;
    document.getElementById("step-text").textContent = step.text;
    document.getElementById("counter").textContent = k + " / " + (steps.length - 1);
    document.getElementById("prev").disabled = k === 0;
    document.getElementById("next").disabled = k === steps.length - 1;
    document.body.setAttribute("data-step", String(k));
    var current = document.querySelector(".node.current");
    if (current && current.scrollIntoView)
      current.scrollIntoView({{block: "nearest", inline: "nearest"}});
  }}
  document.getElementById("prev").addEventListener("click", function () {{ show(k - 1); }});
  document.getElementById("next").addEventListener("click", function () {{ show(k + 1); }});
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight") show(k + 1);
    if (e.key === "ArrowLeft") show(k - 1);
  }});
  show(0);
}})();
</script>
</body>
</html>
"""

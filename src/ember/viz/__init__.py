"""ember.viz: see backpropagation.

- `draw(l)`: the computational graph, with values and gradients (SVG with nothing installed)
- `explain(l)`: the backward pass told step by step, with the numbers (`lang="zh"`: 中文)
- `backward_page(l).save("backprop.html")`: one HTML page that steps through it

None of them changes what the program computes: they run their own pass on the graph, which
leaves `.grad`, `requires_grad`, `grad_fn` and the saved tensors as they were.

>>> import ember
>>> from ember import viz
>>> w = ember.tensor([1.0], requires_grad=True)
>>> l = (w * 2.0 - 3.0) ** 2
>>> viz.draw(l).render("graph.svg")                    # doctest: +SKIP
'graph.svg'
>>> print(viz.explain(l))                              # doctest: +SKIP
"""
from ._explain import Explanation, explain
from ._page import BackwardPage, backward_page
from ._picture import MODULE_KEY, Picture, draw

__all__ = ["draw", "explain", "backward_page", "Picture", "Explanation", "BackwardPage",
           "MODULE_KEY"]

"""Lecture 4: back propagation -- let autograd compute the gradient.

A tensor created with requires_grad=True records every operation done with it: the
computational graph. `loss.backward()` walks that graph from the loss back to the weights and
leaves d loss / d w in `w.grad` (the chain rule, one node at a time). We then update the
weight by hand through `w.data`, outside the graph.

The first part shows the graph of one sample and explains its backward pass step by step
(ember.viz, which only ember has); then the lecture's linear model y = w*x and the exercise's
quadratic model y = w1*x^2 + w2*x + b are trained.

Run:  python examples/course/lecture04_backpropagation.py [--lang zh]
"""
import argparse

import ember as torch
from ember import viz

parser = argparse.ArgumentParser()
parser.add_argument("--lang", choices=["en", "zh"], default="en")
args = parser.parse_args()

x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]

# -- 1. one sample of the exercise's model, its graph and its backward pass, explained -------
w1 = torch.tensor([1.0], requires_grad=True)     # leaves: the tensors we want gradients for
w2 = torch.tensor([1.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)
x, y = 2.0, 4.0
y_hat = w1 * x ** 2 + w2 * x + b                 # every op adds a node to the graph
l = (y_hat - y) ** 2
print("the loss and the node that made it:", l)
print(viz.explain(l, lang=args.lang))            # the chain rule, node by node, with numbers
l.backward()                                     # now autograd does the same walk
print(f"autograd: dl/dw1 = {w1.grad.item()}, dl/dw2 = {w2.grad.item()}, dl/db = {b.grad.item()}")

# -- 2. the lecture's linear model, trained with backward() ---------------------------------
print("\n== y = w * x ==")
w = torch.tensor([1.0], requires_grad=True)


def forward(x):
    return x * w                       # x is a number, w a tensor: the result is a tensor


def loss(x, y):
    return (forward(x) - y) ** 2       # builds the graph: mul -> sub -> pow


print("predict (before training)", 4, forward(4).item())
for epoch in range(100):
    for x, y in zip(x_data, y_data):
        l = loss(x, y)
        l.backward()                   # fills w.grad; the graph is freed afterwards
        # Update through .data: the update itself must not become part of a graph.
        w.data = w.data - 0.01 * w.grad.data
        w.grad.data.zero_()            # gradients add up across backward() calls: reset them
    if epoch % 10 == 0 or epoch == 99:
        print(f"epoch {epoch:3d}  loss {l.item():.8f}  w {w.item():.6f}")
print("predict (after training)", 4, forward(4).item())

# -- 3. the exercise: the quadratic model --------------------------------------------------
print("\n== y = w1 * x^2 + w2 * x + b ==")
w1 = torch.tensor([1.0], requires_grad=True)
w2 = torch.tensor([1.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)
for epoch in range(100):
    for x, y in zip(x_data, y_data):
        l = (w1 * x ** 2 + w2 * x + b - y) ** 2
        l.backward()
        for p in (w1, w2, b):
            p.data = p.data - 0.01 * p.grad.data
            p.grad.data.zero_()
    if epoch % 20 == 0 or epoch == 99:
        print(f"epoch {epoch:3d}  loss {l.item():.8f}")
print(f"w1={w1.item():.4f} w2={w2.item():.4f} b={b.item():.4f}")
print("predict (after training)", 4, (w1 * 16 + w2 * 4 + b).item())

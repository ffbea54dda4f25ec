"""Lecture 4 (back propagation) with ember: the founding lecture, written with `import ember as torch`.

1. A tensor holds `data` and `grad`; `requires_grad` puts it into the computational graph.
2. The linear model y = w*x, trained by per-sample SGD with `l.backward()`.
3. The exercise: the quadratic model y = w1*x^2 + w2*x + b with loss (y_hat - y)^2. We derive the
   backward pass by hand, step by step through the graph, and check it against autograd.

Run:  python examples/lecture04_autograd.py
"""
import ember as torch

x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]

print("== 1. a tensor that requires grad ==")
a = torch.tensor([1.0])
a.requires_grad = True
print("a        =", a)
print("a.data   =", a.data, " type:", a.type())
print("a.grad   =", a.grad, "(no backward yet)")

print("\n== 2. linear model y = w * x ==")
w = torch.tensor([1.0], requires_grad=True)


def forward(x):
    return x * w


def loss(x, y):
    return (forward(x) - y) ** 2


print("predict (before training)", 4, forward(4).item())
for epoch in range(100):
    for x, y in zip(x_data, y_data):
        l = loss(x, y)
        l.backward()
        w.data = w.data - 0.01 * w.grad.data     # update outside the graph
        w.grad.data.zero_()                      # gradients accumulate: clear them
    if epoch % 20 == 0 or epoch == 99:
        print(f"epoch {epoch:3d}  loss {l.item():.10f}  w {w.item():.6f}")
print("predict (after training)", 4, forward(4).item())

print("\n== 3. the exercise: y = w1*x^2 + w2*x + b, loss = (y_hat - y)^2 ==")
w1 = torch.tensor([1.0], requires_grad=True)
w2 = torch.tensor([1.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)
x, y = 2.0, 4.0

# Forward, one node of the graph per line:
u1 = w1 * x ** 2          # MulBackward0
u2 = w2 * x               # MulBackward0
s = u1 + u2               # AddBackward0
y_hat = s + b             # AddBackward0
r = y_hat - y             # SubBackward0
l = r ** 2                # PowBackward0
node, chain = l.grad_fn, []
while node is not None:           # follow the first input of each node back to a leaf
    chain.append(node.name())
    node = node.next_functions[0][0] if node.next_functions else None
print("l =", l)
print("graph from the loss back to w1:", " -> ".join(chain))

# Backward by hand, from the loss to the leaves (the chain rule, one local derivative a step):
dl_dl = 1.0
dl_dr = dl_dl * 2 * r.item()            # d(r^2)/dr = 2r
dl_dyhat = dl_dr * 1.0                  # d(y_hat - y)/dy_hat = 1
dl_ds = dl_dyhat * 1.0                  # d(s + b)/ds = 1
dl_db = dl_dyhat * 1.0                  # d(s + b)/db = 1
dl_dw1 = dl_ds * x ** 2                 # d(w1 x^2)/dw1 = x^2
dl_dw2 = dl_ds * x                      # d(w2 x)/dw2 = x
print(f"by hand : r = {r.item()}, dl/dr = 2r = {dl_dr}")
print(f"by hand : dl/dw1 = dl/dr * x^2 = {dl_dw1}, dl/dw2 = dl/dr * x = {dl_dw2}, "
      f"dl/db = dl/dr = {dl_db}")

l.backward()
print(f"autograd: dl/dw1 = {w1.grad.item()}, dl/dw2 = {w2.grad.item()}, dl/db = {b.grad.item()}")
assert (w1.grad.item(), w2.grad.item(), b.grad.item()) == (dl_dw1, dl_dw2, dl_db)
print("the hand-derived gradients equal autograd's.")

print("\n== training the quadratic model ==")
for p in (w1, w2, b):
    p.grad.data.zero_()
for epoch in range(100):
    for x, y in zip(x_data, y_data):
        l = (w1 * x ** 2 + w2 * x + b - y) ** 2
        l.backward()
        for p in (w1, w2, b):
            p.data = p.data - 0.01 * p.grad.data
            p.grad.data.zero_()
    if epoch % 20 == 0 or epoch == 99:
        print(f"epoch {epoch:3d}  loss {l.item():.10f}")
print("predict (after training)", 4, (w1 * 4 ** 2 + w2 * 4 + b).item())

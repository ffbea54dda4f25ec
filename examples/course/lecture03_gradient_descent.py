"""Lecture 3: gradient descent -- find w by walking downhill on the loss, with the gradient
worked out by hand.

For the model y_hat = x * w and the cost  cost(w) = mean over samples of (x*w - y)^2,
the derivative is  d cost / d w = mean of 2 * x * (x*w - y).
Gradient descent repeats  w <- w - lr * d cost / d w.  Stochastic gradient descent (SGD) does
the same one sample at a time, which is what deep learning uses (on mini-batches).

Run:  python examples/course/lecture03_gradient_descent.py
"""
import ember as torch

x_data = torch.tensor([1.0, 2.0, 3.0])
y_data = torch.tensor([2.0, 4.0, 6.0])
lr = 0.01                       # the learning rate: how big a step downhill


def forward(x, w):
    return x * w


def cost(w):
    """The MSE over all the training data."""
    return ((forward(x_data, w) - y_data) ** 2).mean()


def gradient(w):
    """d cost / d w, derived by hand: the mean of 2 x (x w - y)."""
    return (2 * x_data * (x_data * w - y_data)).mean()


print("== batch gradient descent: one step per pass over all the data ==")
w = 1.0                         # an initial guess
print(f"predict (before training) x=4 -> {forward(4.0, w):.4f}")
for epoch in range(100):
    cost_val = cost(w).item()
    w = w - lr * gradient(w).item()
    if epoch % 10 == 0 or epoch == 99:
        print(f"epoch {epoch:3d}  w={w:.6f}  cost={cost_val:.6f}")
print(f"predict (after training)  x=4 -> {forward(4.0, w):.4f}")

print("\n== stochastic gradient descent: one step per sample ==")
w = 1.0
for epoch in range(100):
    for x, y in zip(x_data.tolist(), y_data.tolist()):
        grad = 2 * x * (x * w - y)   # the gradient of this one sample's loss
        w = w - lr * grad
        loss_val = (x * w - y) ** 2
    if epoch % 10 == 0 or epoch == 99:
        print(f"epoch {epoch:3d}  w={w:.6f}  loss={loss_val:.6f}")
print(f"predict (after training)  x=4 -> {forward(4.0, w):.4f}")

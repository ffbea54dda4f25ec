"""Lecture 2: the linear model y_hat = x * w, and the loss it makes for each guess of w.

No learning yet: we try many values of w, compute the mean squared error (MSE) of the model on
the three training points for each, and see that the best w (the lowest loss) is 2.0 -- the
data were made by y = 2x. (With matplotlib installed it also saves the loss curve.)

Run:  python examples/course/lecture02_linear_model.py [--plot loss.png]
"""
import argparse

import ember as torch

parser = argparse.ArgumentParser()
parser.add_argument("--plot", help="save the loss-against-w curve here (needs matplotlib)")
args = parser.parse_args()

# The training data: three (x, y) pairs, made by the rule y = 2x that the model must find.
x_data = torch.tensor([1.0, 2.0, 3.0])
y_data = torch.tensor([2.0, 4.0, 6.0])


def forward(x, w):
    return x * w                       # the model: one weight, no bias


def loss(x, y, w):
    y_pred = forward(x, w)
    return (y_pred - y) ** 2           # squared error of one sample


w_list, mse_list = [], []
# Sweep w from 0.0 to 4.0 in steps of 0.1 (torch.arange gives all the values at once).
for w in torch.arange(0.0, 4.1, 0.1).tolist():
    # The tensor ops work on all three samples together: loss(...) is a vector of 3 errors,
    # and its mean is the MSE. (The lecture loops over the samples; a tensor does it for us.)
    mse = loss(x_data, y_data, w).mean().item()
    print(f"w={w:.1f}  MSE={mse:.4f}")
    w_list.append(w)
    mse_list.append(mse)

best = min(range(len(w_list)), key=lambda i: mse_list[i])
print(f"lowest MSE {mse_list[best]:.4f} at w = {w_list[best]:.1f}")

if args.plot:
    import matplotlib
    matplotlib.use("Agg")              # draw into a file, no window needed
    import matplotlib.pyplot as plt
    plt.plot(w_list, mse_list)
    plt.xlabel("w")
    plt.ylabel("Loss (MSE)")
    plt.savefig(args.plot)
    print("saved", args.plot)

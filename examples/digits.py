"""Train an MLP and a small CNN on scikit-learn's bundled digits, under ember and PyTorch.

    python examples/digits.py

The data set is scikit-learn's copy of the UCI handwritten digits (1,797 images of 8x8 pixels,
values 0-16; it ships with scikit-learn, so nothing is downloaded). The first 1,400 images
train, the last 397 test. Both libraries run exactly the same recipe from the same seed:
`manual_seed` gives both the same initial weights and the same DataLoader shuffles (ember's
generator produces PyTorch's numbers), so the printed losses and accuracies agree closely. The
small differences that remain come from matrix products, which NumPy's BLAS and PyTorch's MKL
add up in different orders.

Without PyTorch installed, only ember's column is printed.
"""
import time

import numpy as np

TRAIN = 1400


def load_digits_arrays():
    """The digits as float32 images (N, 1, 8, 8) scaled to [0, 1], and int64 labels."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    return images, digits.target.astype(np.int64)


def build(torch, kind):
    """`kind` 'mlp': 64-64-10 with ReLU; 'cnn': conv 1->8 (3x3), ReLU, max-pool 2,
    conv 8->16 (3x3, padding 1), ReLU, linear 16*4*4 -> 10."""
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 10))


def train(torch, kind, epochs=None, seed=0):
    """Train `kind` ('mlp' with SGD + momentum, 'cnn' with Adam) under the library `torch`.
    Returns (per-epoch mean training loss, test accuracy in %)."""
    data = torch.utils.data
    images, labels = load_digits_arrays()
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    torch.manual_seed(seed)
    model = build(torch, kind)
    if kind == "mlp":
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        epochs = epochs or 8
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        epochs = epochs or 5
    loader = data.DataLoader(data.TensorDataset(x[:TRAIN], y[:TRAIN]), batch_size=32,
                             shuffle=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        model.train()
        total, batches = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    model.eval()
    with torch.no_grad():
        predicted = model(x[TRAIN:]).argmax(dim=1)
    accuracy = 100.0 * (predicted == y[TRAIN:]).sum().item() / (len(labels) - TRAIN)
    return losses, accuracy


def _import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def main():
    import ember
    libraries = [("ember", ember)]
    real_torch = _import_torch()
    if real_torch is not None:
        libraries.append(("torch", real_torch))
    print("digits: %d training images, %d test images (8x8)" % (TRAIN, 1797 - TRAIN))
    for kind in ("mlp", "cnn"):
        results = {}
        for name, lib in libraries:
            t0 = time.perf_counter()
            losses, accuracy = train(lib, kind)
            results[name] = (losses, accuracy, time.perf_counter() - t0)
        print("\n%s (%s)" % (kind.upper(), "SGD momentum 0.9, 8 epochs" if kind == "mlp"
                             else "Adam, 5 epochs"))
        for name, (losses, accuracy, seconds) in results.items():
            print("  %-5s test accuracy %5.1f%%  last epoch's loss %.6f  (%.1f s)"
                  % (name, accuracy, losses[-1], seconds))
        if "torch" in results:
            e, t = results["ember"][0], results["torch"][0]
            worst = max(abs(a - b) / abs(b) for a, b in zip(e, t))
            print("  largest relative difference of the per-epoch losses: %.1e" % worst)


if __name__ == "__main__":
    main()

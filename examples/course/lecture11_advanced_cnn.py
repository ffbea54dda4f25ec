"""Lecture 11: advanced CNNs -- the Inception block (GoogLeNet) and the residual block (ResNet).

Inception: run several kinds of convolution side by side on the same input (1x1, 5x5, 3x3
twice, and an average pool) and concatenate their outputs along the channel axis; the network
learns which to use. 1x1 convolutions cheaply mix channels before the costly big filters.

Residual block: output = relu(x + F(x)). The block only learns the change F(x); the identity
path lets the gradient flow straight back through deep stacks (no vanishing gradient).

Run:  python examples/course/lecture11_advanced_cnn.py [--model inception|residual|both]
Data: trained on 6,000 of the 10,000 MNIST test digits stored here, tested on the last 2,000
(these networks are several times the work of lecture 10's, so fewer digits keep the run
under two minutes).
"""
import argparse
import time

import ember as torch
import ember.nn.functional as F
from course import mnist_split, pick, progress
from ember import nn
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms


class InceptionA(nn.Module):
    """Four branches; out channels 16 + 24 + 24 + 24 = 88, same height and width as the input."""

    def __init__(self, in_channels):
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, kernel_size=1)

        self.branch5x5_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch5x5_2 = nn.Conv2d(16, 24, kernel_size=5, padding=2)   # padding keeps 28x28

        self.branch3x3_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch3x3_2 = nn.Conv2d(16, 24, kernel_size=3, padding=1)
        self.branch3x3_3 = nn.Conv2d(24, 24, kernel_size=3, padding=1)

        self.branch_pool = nn.Conv2d(in_channels, 24, kernel_size=1)

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3 = self.branch3x3_3(self.branch3x3_2(self.branch3x3_1(x)))
        branch_pool = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        outputs = [branch1x1, branch5x5, branch3x3, branch_pool]
        return torch.cat(outputs, dim=1)       # dim 1: stack along the channels (N, C, H, W)


class InceptionNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(88, 20, kernel_size=5)
        self.incep1 = InceptionA(in_channels=10)
        self.incep2 = InceptionA(in_channels=20)
        self.mp = nn.MaxPool2d(2)
        self.fc = nn.Linear(1408, 10)          # 88 channels x 4 x 4

    def forward(self, x):
        in_size = x.size(0)
        x = F.relu(self.mp(self.conv1(x)))     # (N, 10, 12, 12)
        x = self.incep1(x)                     # (N, 88, 12, 12)
        x = F.relu(self.mp(self.conv2(x)))     # (N, 20, 4, 4)
        x = self.incep2(x)                     # (N, 88, 4, 4)
        return self.fc(x.view(in_size, -1))


class ResidualBlock(nn.Module):
    """relu(x + conv(relu(conv(x)))): input and output have the same shape, so they can add."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x):
        y = F.relu(self.conv1(x))
        y = self.conv2(y)
        return F.relu(x + y)                   # the skip connection: add the input back


class ResidualNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5)
        self.mp = nn.MaxPool2d(2)
        self.rblock1 = ResidualBlock(16)
        self.rblock2 = ResidualBlock(32)
        self.fc = nn.Linear(512, 10)           # 32 channels x 4 x 4

    def forward(self, x):
        in_size = x.size(0)
        x = self.mp(F.relu(self.conv1(x)))     # (N, 16, 12, 12)
        x = self.rblock1(x)
        x = self.mp(F.relu(self.conv2(x)))     # (N, 32, 4, 4)
        x = self.rblock2(x)
        return self.fc(x.view(in_size, -1))


def run(model, train_loader, test_loader, epochs, lr):
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    accuracy = 0.0
    log_every = pick(10, 5)
    for epoch in range(epochs):
        running_loss = 0.0
        for batch_idx, (inputs, target) in enumerate(progress(train_loader, f"epoch {epoch + 1}")):
            optimizer.zero_grad()
            loss = criterion(model(inputs), target)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if batch_idx % log_every == log_every - 1:
                print(f"[{epoch + 1}, {batch_idx + 1:5d}] loss: {running_loss / log_every:.3f}")
                running_loss = 0.0
        correct, total = 0, 0
        with torch.no_grad():
            for images, labels in test_loader:
                _, predicted = torch.max(model(images).data, dim=1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()
        accuracy = correct / total
        print(f"accuracy on test set: {100 * accuracy:.1f} % ({correct}/{total})")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["inception", "residual", "both"], default="both")
    args = parser.parse_args()
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    train_dataset, test_dataset = mnist_split(datasets, transform, n_train=pick(6000, 500),
                                              n_test=pick(2000, 300))
    names = ["inception", "residual"] if args.model == "both" else [args.model]
    for name in names:
        torch.manual_seed(0)
        # EMBER_FAST=1 (the tests): fewer digits, smaller batches and a bigger step, so a few
        # dozen steps show learning (the Inception net would diverge with the residual net's)
        train_loader = DataLoader(train_dataset, shuffle=True, batch_size=pick(64, 32))
        test_loader = DataLoader(test_dataset, shuffle=False, batch_size=100)
        model = InceptionNet() if name == "inception" else ResidualNet()
        n_params = sum(p.numel() for p in model.parameters())
        print(f"== {name} network, {n_params} parameters ==")
        start = time.time()
        lr = pick(0.01, 0.07 if name == "inception" else 0.1)
        run(model, train_loader, test_loader, epochs=pick(2, 1), lr=lr)
        print(f"time {time.time() - start:.1f} s")

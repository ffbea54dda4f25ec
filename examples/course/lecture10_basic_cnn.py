"""Lecture 10: a basic convolutional network (CNN) for MNIST.

A convolution slides small learned filters over the image, so a pattern (an edge, a curve) is
recognised wherever it appears, with few weights. Max pooling keeps the strongest response in
each 2x2 window, halving the size. Shapes through the network, for a batch of N digits:

  (N, 1, 28, 28) -conv 5x5, 10 filters-> (N, 10, 24, 24) -maxpool 2-> (N, 10, 12, 12)
                 -conv 5x5, 20 filters-> (N, 20,  8,  8) -maxpool 2-> (N, 20,  4,  4)
                 -flatten-> (N, 320) -linear-> (N, 10)

Data: trained on 8,000 of the 10,000 MNIST test digits stored here, tested on the other 2,000
(with all of MNIST, train on the 60,000 training digits as the course does).

Run:  python examples/course/lecture10_basic_cnn.py      (EMBER_FAST=1: a quick run)
"""
import time

import ember as torch
import ember.nn.functional as F
from course import mnist_split, pick, progress
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms

# EMBER_FAST=1 (the tests) trains on fewer digits with smaller batches and a bigger step, so
# that a few dozen steps already show learning; the normal run follows the course's recipe.
batch_size = pick(64, 32)
lr = pick(0.01, 0.1)
transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_dataset, test_dataset = mnist_split(datasets, transform, n_train=pick(8000, 1000),
                                          n_test=pick(2000, 500))
torch.manual_seed(0)
train_loader = DataLoader(train_dataset, shuffle=True, batch_size=batch_size)
test_loader = DataLoader(test_dataset, shuffle=False, batch_size=batch_size)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 10, kernel_size=5)    # 1 channel in, 10 filters out
        self.conv2 = torch.nn.Conv2d(10, 20, kernel_size=5)
        self.pooling = torch.nn.MaxPool2d(2)                   # no weights: reused twice
        self.fc = torch.nn.Linear(320, 10)

    def forward(self, x):
        batch_size = x.size(0)
        x = F.relu(self.pooling(self.conv1(x)))
        x = F.relu(self.pooling(self.conv2(x)))
        x = x.view(batch_size, -1)       # flatten (N, 20, 4, 4) -> (N, 320)
        return self.fc(x)


# The lecture moves the model and each batch to the GPU when there is one; on ember (as on a
# CPU-only PyTorch) torch.cuda.is_available() is False and everything stays on the CPU.
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
model = Net().to(device)
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)


log_every = pick(25, 8)         # print the mean loss of every this many batches


def train(epoch):
    running_loss = 0.0
    for batch_idx, (inputs, target) in enumerate(progress(train_loader, f"epoch {epoch + 1}")):
        inputs, target = inputs.to(device), target.to(device)   # the data must sit with the model
        optimizer.zero_grad()
        loss = criterion(model(inputs), target)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if batch_idx % log_every == log_every - 1:
            print(f"[{epoch + 1}, {batch_idx + 1:5d}] loss: {running_loss / log_every:.3f}")
            running_loss = 0.0


def test():
    correct, total = 0, 0
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            _, predicted = torch.max(model(images).data, dim=1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    print(f"accuracy on test set: {100 * correct / total:.1f} % ({correct}/{total})")
    return correct / total


if __name__ == "__main__":
    start = time.time()
    for epoch in range(pick(5, 1)):
        train(epoch)
        test()
    print(f"time {time.time() - start:.1f} s")

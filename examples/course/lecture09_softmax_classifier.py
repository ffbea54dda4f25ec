"""Lecture 9: a softmax classifier for handwritten digits (MNIST), with fully connected layers.

Each 28x28 image is flattened into 784 numbers; five Linear layers with ReLU between them map
them to 10 scores, one per digit. CrossEntropyLoss = LogSoftmax + NLLLoss: it turns the scores
into probabilities (softmax) and penalises a low probability for the right digit. The
prediction is the digit with the highest score.

Data: only MNIST's 10,000 test digits are stored here, so we train on 8,000 of them and test
on the other 2,000 (with all of MNIST, train on the 60,000 training digits as the course does).

Run:  python examples/course/lecture09_softmax_classifier.py      (EMBER_FAST=1: a quick run)
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
lr, momentum = pick((0.01, 0.5), (0.1, 0.9))
# ToTensor: PIL image (28x28, values 0..255) -> tensor 1x28x28 in [0, 1].
# Normalize: (x - 0.1307) / 0.3081, MNIST's pixel mean and standard deviation, so the inputs
# are centred near 0 with spread 1 -- what the initial weights are scaled for.
transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.1307,), (0.3081,)),
])
train_dataset, test_dataset = mnist_split(datasets, transform, n_train=pick(8000, 2000),
                                          n_test=pick(2000, 500))
torch.manual_seed(0)
train_loader = DataLoader(train_dataset, shuffle=True, batch_size=batch_size)
test_loader = DataLoader(test_dataset, shuffle=False, batch_size=batch_size)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.Linear(784, 512)
        self.l2 = torch.nn.Linear(512, 256)
        self.l3 = torch.nn.Linear(256, 128)
        self.l4 = torch.nn.Linear(128, 64)
        self.l5 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(-1, 784)          # (N, 1, 28, 28) -> (N, 784); -1: "work out N yourself"
        x = F.relu(self.l1(x))
        x = F.relu(self.l2(x))
        x = F.relu(self.l3(x))
        x = F.relu(self.l4(x))
        return self.l5(x)            # raw scores (logits): CrossEntropyLoss applies softmax


model = Net()
criterion = torch.nn.CrossEntropyLoss()
# momentum: each step also keeps part of the previous step, which speeds up the descent
optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


log_every = pick(50, 10)        # print the mean loss of every this many batches


def train(epoch):
    model.train()
    running_loss = 0.0
    for batch_idx, (inputs, target) in enumerate(progress(train_loader, f"epoch {epoch + 1}")):
        optimizer.zero_grad()          # 1. forget the previous batch's gradients
        outputs = model(inputs)        # 2. forward
        loss = criterion(outputs, target)
        loss.backward()                # 3. backward
        optimizer.step()               # 4. update
        running_loss += loss.item()
        if batch_idx % log_every == log_every - 1:
            print(f"[{epoch + 1}, {batch_idx + 1:5d}] loss: {running_loss / log_every:.3f}")
            running_loss = 0.0


def test():
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():                            # no graph while evaluating
        for images, labels in test_loader:
            outputs = model(images)
            _, predicted = torch.max(outputs.data, dim=1)   # index of the highest score
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    print(f"accuracy on test set: {100 * correct / total:.1f} % ({correct}/{total})")
    return correct / total


if __name__ == "__main__":
    start = time.time()
    for epoch in range(pick(10, 1)):
        train(epoch)
        test()
    print(f"time {time.time() - start:.1f} s")

# torchvision's MNIST with transforms and a DataLoader, then a few steps of softmax regression.
# usage: python mnist_transforms.py DATA_ROOT   (DATA_ROOT/MNIST/raw holds the IDX files)
import sys

import torch
import torch.nn as nn
from torchvision import datasets, transforms

root = sys.argv[1]
torch.manual_seed(0)
transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.1307,), (0.3081,)),
])
test_set = datasets.MNIST(root, train=False, download=False, transform=transform)
print(len(test_set), "digits")
image, label = test_set[0]
print("first:", tuple(image.shape), image.dtype, "label", label)
print("pixel range: %.4f .. %.4f" % (image.min().item(), image.max().item()))
print("pixel sum: %.3f" % image.sum().item())

raw = datasets.MNIST(root, train=False)
print("raw data:", tuple(raw.data.shape), raw.data.dtype, "targets", raw.targets[:10].tolist())

augment = transforms.Compose([transforms.RandomCrop(24, padding=2),
                              transforms.RandomHorizontalFlip(), transforms.ToTensor()])
print("augmented sums:", ["%.3f" % augment(raw[i][0]).sum().item() for i in range(4)])

subset = torch.utils.data.Subset(test_set, range(512))
loader = torch.utils.data.DataLoader(subset, batch_size=128, shuffle=True)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    for images, labels in loader:
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
    print("epoch %d loss %.3f" % (epoch, loss.item()))

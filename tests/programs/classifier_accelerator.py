# A small classifier in the newer device-agnostic style: torch.accelerator, argmax accuracy.
import torch
from torch import nn

device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")
torch.manual_seed(7)

# two Gaussian blobs, labels 0 and 1
X = torch.cat([torch.randn(50, 2) + 2.0, torch.randn(50, 2) - 2.0])
y = torch.cat([torch.zeros(50, dtype=torch.long), torch.ones(50, dtype=torch.long)])


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.stack = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        return self.stack(x)


model = NeuralNetwork().to(device)
print(model)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(30):
    pred = model(X)
    loss = loss_fn(pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        correct = (pred.argmax(1) == y).type(torch.float).sum().item()
        print(f"step {step:2d} loss: {loss.item():>7f} accuracy: {correct / len(y):.2f}")

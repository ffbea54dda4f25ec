# A typical PyTorch tutorial program: device guard, seeding, nn.Linear, SGD, DataLoader.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(42)
if torch.cuda.is_available():
    torch.cuda.manual_seed_all(42)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("device:", device)
print("cuda available:", torch.cuda.is_available(), "gpus:", torch.cuda.device_count())
print("torch major.minor:", ".".join(torch.__version__.split(".")[:2]))

# y = 3 x1 - 2 x2 + 1 with a little noise
X = torch.randn(64, 2)
y = X @ torch.tensor([[3.0], [-2.0]]) + 1.0 + 0.01 * torch.randn(64, 1)
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)

model = nn.Linear(2, 1).to(device)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for epoch in range(5):
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: mean loss {total / len(loader):.4f}")

w = model.weight.detach().cpu()
print("weight:", [round(v, 3) for v in w.view(-1).tolist()])
print("bias:", round(model.bias.item(), 3))
model.eval()
with torch.no_grad():
    point = torch.tensor([[1.0, 1.0]], device=device)
    print("prediction at (1, 1):", round(model(point).item(), 3))

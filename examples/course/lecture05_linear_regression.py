"""Lecture 5: linear regression the PyTorch way -- nn.Module, nn.Linear, a loss module and an
optimizer.

The four steps of every training program in this course:
  1. prepare the data  2. design the model (a Module)  3. choose loss and optimizer
  4. the training cycle: forward, backward, update.

Run:  python examples/course/lecture05_linear_regression.py
"""
import ember as torch

# 1. Data as matrices: one row per sample, one column per feature (here 3 samples, 1 feature).
x_data = torch.tensor([[1.0], [2.0], [3.0]])
y_data = torch.tensor([[2.0], [4.0], [6.0]])


# 2. The model: a Module owns its parameters; forward() says how input becomes output.
class LinearModel(torch.nn.Module):
    def __init__(self):
        super().__init__()                        # sets up the Module machinery
        self.linear = torch.nn.Linear(1, 1)       # y = x W^T + b, W and b made and registered

    def forward(self, x):
        return self.linear(x)


torch.manual_seed(0)              # nn.Linear starts from random weights: fix them
model = LinearModel()

# 3. Loss and optimizer. reduction="sum" adds the squared errors (the lecture's
#    size_average=False, the older spelling of the same thing). SGD gets the parameters to update.
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

# 4. The training cycle.
for epoch in range(1000):
    y_pred = model(x_data)                 # forward: calling the module runs forward()
    loss = criterion(y_pred, y_data)
    if epoch % 100 == 0 or epoch == 999:
        print(f"epoch {epoch:4d}  loss {loss.item():.6f}")
    optimizer.zero_grad()                  # clear last step's gradients
    loss.backward()                        # compute new ones
    optimizer.step()                       # w <- w - lr * grad, for every parameter

print("w =", model.linear.weight.item())
print("b =", model.linear.bias.item())
x_test = torch.tensor([[4.0]])
print("y_pred(4.0) =", model(x_test).item())

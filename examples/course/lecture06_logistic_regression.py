"""Lecture 6: logistic regression -- classification with a sigmoid and the binary cross
entropy loss.

The model outputs sigmoid(x w + b), a probability between 0 and 1 that the sample belongs to
class 1 (here: "passes the exam" after x hours of study). BCE loss:
  -(y log y_hat + (1 - y) log(1 - y_hat)), small when the probability matches the label.

Run:  python examples/course/lecture06_logistic_regression.py
"""
import ember as torch

x_data = torch.tensor([[1.0], [2.0], [3.0]])     # hours studied
y_data = torch.tensor([[0.0], [0.0], [1.0]])     # failed, failed, passed


class LogisticRegressionModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(1, 1)

    def forward(self, x):
        # the only change from lecture 5: squash the linear output into (0, 1)
        return torch.sigmoid(self.linear(x))


torch.manual_seed(0)
model = LogisticRegressionModel()
criterion = torch.nn.BCELoss(reduction="sum")     # the lecture's BCELoss(size_average=False)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

for epoch in range(1000):
    y_pred = model(x_data)
    loss = criterion(y_pred, y_data)
    if epoch % 100 == 0 or epoch == 999:
        print(f"epoch {epoch:4d}  loss {loss.item():.6f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

# The probability of passing rises with the hours; it crosses 0.5 at the decision boundary.
for hours in [1.0, 2.0, 2.5, 3.0, 4.0]:
    p = model(torch.tensor([[hours]])).item()
    print(f"{hours:.1f} hours -> P(pass) = {p:.4f}")
accuracy = ((model(x_data) > 0.5).float() == y_data).float().mean().item()
print(f"training accuracy {accuracy:.3f}")

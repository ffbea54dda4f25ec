"""Lecture 7: input with many features -- the diabetes data (8 features per patient).

Each row is a patient: 8 measurements (already scaled to [-1, 1]) and whether the disease
progressed within a year (0/1). A layer maps 8 features to 6, the next 6 to 4, the last 4 to
1 probability; the activation between layers is what makes the stack more than one linear map.

The lecture puts a sigmoid after every layer, and invites us to try other activations. With
sigmoids this network sits on a plateau for hundreds of epochs (it predicts "no" for everyone:
65% right); with ReLU between the layers it learns within a few hundred (about 77-80%).

Run:  python examples/course/lecture07_multiple_dimension_input.py
"""
import numpy as np

import ember as torch
from course import DATA, pick

# np.loadtxt reads the CSV into a float32 matrix; from_numpy shares its memory, no copy.
xy = np.loadtxt(DATA / "diabetes.csv", delimiter=",", dtype=np.float32)
x_data = torch.from_numpy(xy[:, :-1])     # all columns but the last: the 8 features
y_data = torch.from_numpy(xy[:, [-1]])    # [-1] in a list keeps it a column (N x 1 matrix)
print("x:", x_data.shape, " y:", y_data.shape)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = torch.nn.Linear(8, 6)
        self.linear2 = torch.nn.Linear(6, 4)
        self.linear3 = torch.nn.Linear(4, 1)
        self.activate = torch.nn.ReLU()     # modules without parameters: one can be reused
        self.sigmoid = torch.nn.Sigmoid()   # the last layer still needs a probability

    def forward(self, x):
        x = self.activate(self.linear1(x))
        x = self.activate(self.linear2(x))
        x = self.sigmoid(self.linear3(x))
        return x


torch.manual_seed(0)
model = Model()
criterion = torch.nn.BCELoss()            # mean over the samples
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

epochs = pick(1000, 300)
for epoch in range(epochs):
    y_pred = model(x_data)                # all 759 patients at once: one big batch
    loss = criterion(y_pred, y_data)
    if epoch % (epochs // 10) == 0 or epoch == epochs - 1:
        accuracy = ((y_pred > 0.5).float() == y_data).float().mean().item()
        print(f"epoch {epoch:4d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

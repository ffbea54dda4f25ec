"""Lecture 8: Dataset and DataLoader -- mini-batches, shuffling, and the epoch/iteration loop.

A Dataset answers two questions: how many samples (len) and which is sample i ([i]).
A DataLoader draws shuffled mini-batches from it and stacks the samples into tensors.
One epoch = one pass over all samples; one iteration = one mini-batch update.

Run:  python examples/course/lecture08_dataset_dataloader.py
"""
import numpy as np

import ember as torch
from course import DATA, pick, progress
from ember.utils.data import DataLoader, Dataset


class DiabetesDataset(Dataset):
    def __init__(self, filepath):
        xy = np.loadtxt(filepath, delimiter=",", dtype=np.float32)
        self.len = xy.shape[0]
        self.x_data = torch.from_numpy(xy[:, :-1])
        self.y_data = torch.from_numpy(xy[:, [-1]])

    def __getitem__(self, index):           # dataset[i] -> (features, label)
        return self.x_data[index], self.y_data[index]

    def __len__(self):                      # len(dataset)
        return self.len


dataset = DiabetesDataset(DATA / "diabetes.csv")
torch.manual_seed(0)                        # seeds the weights and the shuffling order
# shuffle=True: a new random order each epoch, so the batches differ every time.
# (The lecture adds num_workers=2 to load in parallel processes; this data is tiny, so the
# default 0 -- load in this process -- is faster here. Both give the same batches.)
train_loader = DataLoader(dataset=dataset, batch_size=32, shuffle=True)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = torch.nn.Linear(8, 6)
        self.linear2 = torch.nn.Linear(6, 4)
        self.linear3 = torch.nn.Linear(4, 1)
        self.relu = torch.nn.ReLU()         # ReLU between layers, as lecture 7 found best
        self.sigmoid = torch.nn.Sigmoid()

    def forward(self, x):
        x = self.relu(self.linear1(x))
        x = self.relu(self.linear2(x))
        return self.sigmoid(self.linear3(x))


model = Model()
criterion = torch.nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

if __name__ == "__main__":                 # needed on Windows when num_workers > 0
    epochs = pick(100, 30)
    for epoch in progress(range(epochs), "epochs"):
        total = 0.0
        for i, (inputs, labels) in enumerate(train_loader, 0):   # one iteration per batch
            y_pred = model(inputs)
            loss = criterion(y_pred, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(inputs)
        if epoch % (epochs // 10) == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  {i + 1} iterations  mean loss {total / len(dataset):.4f}")
    with torch.no_grad():                  # evaluation: no graph needed
        accuracy = ((model(dataset.x_data) > 0.5).float() == dataset.y_data).float().mean()
    print(f"training accuracy {accuracy.item():.3f}")

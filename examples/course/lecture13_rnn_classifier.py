"""Lecture 13: a GRU that guesses a surname's country (18 countries) from its letters.

Each name becomes a sequence of character codes (ASCII, 0..127); an Embedding turns each code
into a vector; a GRU reads the letters one by one; its last hidden state -- a summary of the
whole name -- goes through a Linear layer to 18 country scores.

Names have different lengths, but a batch is one rectangular tensor, so short names are
padded with code 0. The lecture uses `pack_padded_sequence` so the GRU skips the padding; here
we put the padding *before* each name instead, so that the last step the GRU reads is always a
real letter, and its final hidden state is what we classify. (padding_idx=0 keeps the padding
character's embedding at zero.)

Run:  python examples/course/lecture13_rnn_classifier.py      (EMBER_FAST=1: a quick run)
"""
import csv
import time

import ember as torch
from course import DATA, pick, progress
from ember.utils.data import DataLoader, Dataset

HIDDEN_SIZE = 100
BATCH_SIZE = 256
N_LAYER = 2
N_CHARS = 128                 # ASCII codes


class NameDataset(Dataset):
    def __init__(self, is_train_set=True):
        filename = DATA / ("names_train.csv" if is_train_set else "names_test.csv")
        with open(filename, newline="", encoding="utf-8") as f:
            rows = [row for row in csv.reader(f) if len(row) == 2]
        self.names = [row[0] for row in rows]
        self.countries = [row[1] for row in rows]
        self.country_list = sorted(set(self.countries))     # the 18 classes, in a fixed order
        self.country_dict = {name: i for i, name in enumerate(self.country_list)}

    def __getitem__(self, index):
        return self.names[index], self.country_dict[self.countries[index]]

    def __len__(self):
        return len(self.names)


def make_tensors(names, countries):
    """A batch of names -> (batch, max_len) character codes, left-padded with 0."""
    codes = [[ord(c) % N_CHARS for c in name] for name in names]
    max_len = max(len(c) for c in codes)
    padded = [[0] * (max_len - len(c)) + c for c in codes]
    return torch.LongTensor(padded), countries       # the DataLoader made countries a tensor


class RNNClassifier(torch.nn.Module):
    def __init__(self, input_size, hidden_size, output_size, n_layers=1):
        super().__init__()
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.embedding = torch.nn.Embedding(input_size, hidden_size, padding_idx=0)
        self.gru = torch.nn.GRU(hidden_size, hidden_size, n_layers)
        self.fc = torch.nn.Linear(hidden_size, output_size)

    def forward(self, input):
        input = input.t()                  # (batch, seq) -> (seq, batch): time first for GRU
        batch_size = input.size(1)
        hidden = torch.zeros(self.n_layers, batch_size, self.hidden_size)
        embedding = self.embedding(input)  # (seq, batch, hidden)
        output, hidden = self.gru(embedding, hidden)
        return self.fc(hidden[-1])         # the last layer's final hidden state


def train_epoch(classifier, loader, criterion, optimizer):
    total, seen = 0.0, 0
    for names, countries in progress(loader, "batches"):
        inputs, target = make_tensors(names, countries)
        loss = criterion(classifier(inputs), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(names)
        seen += len(names)
    return total / seen


def test(classifier, loader):
    correct, total = 0, 0
    with torch.no_grad():
        for names, countries in loader:
            inputs, target = make_tensors(names, countries)
            pred = classifier(inputs).max(dim=1, keepdim=True)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()
            total += len(names)
    return correct / total


if __name__ == "__main__":
    trainset = NameDataset(is_train_set=True)
    testset = NameDataset(is_train_set=False)
    torch.manual_seed(0)
    if pick(False, True):                 # fast mode: a slice of the names
        from ember.utils.data import Subset
        trainset_used = Subset(trainset, torch.randperm(len(trainset))[:2000].tolist())
        testset_used = Subset(testset, range(0, len(testset), 10))
    else:
        trainset_used, testset_used = trainset, testset
    trainloader = DataLoader(trainset_used, batch_size=BATCH_SIZE, shuffle=True)
    testloader = DataLoader(testset_used, batch_size=BATCH_SIZE, shuffle=False)
    n_country = len(trainset.country_list)
    classifier = RNNClassifier(N_CHARS, HIDDEN_SIZE, n_country, N_LAYER)
    criterion = torch.nn.CrossEntropyLoss()
    # the lecture uses lr=0.001 for 100 epochs; a larger step gets close in far fewer
    optimizer = torch.optim.Adam(classifier.parameters(), lr=pick(0.003, 0.005))
    print(f"{len(trainset_used)} training names, {len(testset_used)} test names, "
          f"{n_country} countries")
    start = time.time()
    for epoch in range(pick(5, 2)):
        loss = train_epoch(classifier, trainloader, criterion, optimizer)
        accuracy = test(classifier, testloader)
        print(f"[epoch {epoch + 1}] train loss {loss:.4f}  test accuracy {100 * accuracy:.1f} %  "
              f"({time.time() - start:.0f} s)")

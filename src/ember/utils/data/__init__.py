"""`ember.utils.data`: datasets, samplers and the DataLoader, as in `torch.utils.data`.

>>> import ember
>>> from ember.utils.data import DataLoader, TensorDataset
>>> xs, ys = ember.arange(6).reshape(3, 2), ember.tensor([0, 1, 0])
>>> batches = list(DataLoader(TensorDataset(xs, ys), batch_size=2))
>>> batches[0]
[tensor([[0, 1],
        [2, 3]]), tensor([0, 1])]
"""
from ._utils.collate import default_collate, default_convert
from ._utils.worker import get_worker_info
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset, random_split)
from .distributed import DistributedSampler
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "default_collate", "default_convert", "get_worker_info", "random_split"]

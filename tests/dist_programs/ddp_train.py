"""Run under mpiexec: train a small model with DistributedDataParallel.

Every rank starts from different weights (seeded by its rank) and DDP must copy rank 0's.
Rank r trains on its own rows of each step's batch. Rank 0 saves the weights after DDP's
construction, every rank's batches and every rank's final weights to `<out>/rank<r>.npz`;
the test replays the training on the concatenated batches in one PyTorch process.
With a third argument "gpu" everything runs on tests/sim_gpu.py's simulated GPU instead.
"""
import os
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel

out_dir, steps = sys.argv[1], int(sys.argv[2])
device = "cpu"
if sys.argv[3:] == ["gpu"]:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import sim_gpu
    sim_gpu.install()
    device = "cuda"
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()

ember.manual_seed(rank)                      # different weights on every rank, on purpose
model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(),
                      nn.Linear(8, 1))
model.register_buffer("counter", ember.full((2,), float(rank)))
model.to(device)
# a tiny bucket cap: several buckets, so their allreduces run in turn during backward
ddp = DistributedDataParallel(model, bucket_cap_mb=0.00005)
saved = {f"start_{name}": p.detach().cpu().numpy().copy()
         for name, p in model.named_parameters()}
saved["buffer_after_construction"] = model.counter.cpu().numpy().copy()
saved["bucket_count"] = np.array(len(ddp.reducer.buckets))

optimizer = ember.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(7 + rank)
for step in range(steps):
    optimizer.zero_grad()
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = rng.normal(size=(4, 1)).astype(np.float32)
    saved[f"x{step}"], saved[f"y{step}"] = x, y
    if step % 3 == 2:
        # gradient accumulation: the first half without communication
        with ddp.no_sync():
            nn.functional.mse_loss(ddp(ember.tensor(x[:2], device=device)),
                                   ember.tensor(y[:2], device=device)).backward()
        nn.functional.mse_loss(ddp(ember.tensor(x[2:], device=device)),
                               ember.tensor(y[2:], device=device)).backward()
    else:
        nn.functional.mse_loss(ddp(ember.tensor(x, device=device)),
                               ember.tensor(y, device=device)).backward()
    optimizer.step()

for name, p in model.named_parameters():
    saved[f"end_{name}"] = p.detach().cpu().numpy()

# find_unused_parameters: rank 0 uses both heads, the others only the first
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Linear(3, 2), nn.Linear(3, 2)

    def forward(self, x, use_second):
        out = self.first(x).sum()
        return out + self.second(x).sum() if use_second else out


heads = TwoHeads().to(device)
branchy = DistributedDataParallel(heads, find_unused_parameters=True)
x = np.full((1, 3), rank + 1.0, np.float32)
branchy(ember.tensor(x, device=device), use_second=rank == 0).backward()
saved["branch_start"] = np.concatenate([p.detach().cpu().numpy().ravel()
                                        for p in heads.parameters()])
saved["branch_grads"] = np.concatenate([p.grad.cpu().numpy().ravel()
                                        for p in heads.parameters()])
saved["ddp_state_keys"] = np.array(list(branchy.state_dict()))

np.savez(f"{out_dir}/rank{rank}.npz", **saved)

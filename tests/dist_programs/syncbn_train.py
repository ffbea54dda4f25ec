"""Run under mpiexec (2 ranks): SyncBatchNorm across ranks.

1. A model with a SyncBatchNorm layer (made by convert_sync_batchnorm) trained under
   DistributedDataParallel, every rank on its own 4 rows of each step's batch.
2. A bare SyncBatchNorm on (N, C, H, W) input without DDP, rank r holding 2 + r rows (unequal
   counts), its output, input gradient, parameter gradients and running statistics.
Each rank saves what it saw to `<out>/rank<r>.npz`; the test replays both with PyTorch's
BatchNorm on the concatenated batch in one process.
"""
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel

out_dir, steps = sys.argv[1], int(sys.argv[2])
dist.init_process_group("mpi")
rank = dist.get_rank()

ember.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1))
model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
saved = {f"start_{k}": v.detach().numpy().copy() for k, v in model.state_dict().items()}
ddp = DistributedDataParallel(model)
optimizer = ember.optim.SGD(ddp.parameters(), lr=0.1)
rng = np.random.default_rng(3 + rank)
for step in range(steps):
    optimizer.zero_grad()
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = rng.normal(size=(4, 1)).astype(np.float32)
    saved[f"x{step}"], saved[f"y{step}"] = x, y
    out = ddp(ember.tensor(x))
    saved[f"out{step}"] = out.detach().numpy()
    nn.functional.mse_loss(out, ember.tensor(y)).backward()
    optimizer.step()
for k, v in model.state_dict().items():
    saved[f"end_{k}"] = v.detach().numpy().copy()
model.eval()
saved["eval_out"] = model(ember.tensor(saved["x0"])).detach().numpy()
model.train()
saved["grad_fn"] = np.array(type(model[1](ember.randn(3, 4, requires_grad=True)).grad_fn)
                            .__name__)

bn = nn.SyncBatchNorm(3, momentum=None)
with ember.no_grad():
    bn.weight.copy_(ember.tensor([0.5, 1.5, -2.0]))
    bn.bias.copy_(ember.tensor([0.1, -0.2, 0.3]))
x = rng.normal(size=(2 + rank, 3, 2, 3)).astype(np.float32) * 3 + 1
g = rng.normal(size=x.shape).astype(np.float32)
xt = ember.tensor(x, requires_grad=True)
y = bn(xt)
y.backward(ember.tensor(g))
saved.update(bn_x=x, bn_g=g, bn_y=y.detach().numpy(), bn_dx=xt.grad.numpy(),
             bn_dw=bn.weight.grad.numpy(), bn_db=bn.bias.grad.numpy(),
             bn_rm=bn.running_mean.numpy(), bn_rv=bn.running_var.numpy(),
             bn_nbt=bn.num_batches_tracked.numpy())
np.savez(f"{out_dir}/rank{rank}.npz", **saved)
dist.destroy_process_group()

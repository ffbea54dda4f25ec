"""Run under mpiexec (2 or 3 ranks): DistributedDataParallel over a sub-group, and with
communication hooks.

`<mode>` picks the run:
  group      the model is averaged over new_group([1, 2]) (3 ranks) or new_group([0, 1]);
             rank 0 of a 3-rank job trains nothing
  allreduce  default_hooks.allreduce_hook on the whole world
  fp16       default_hooks.fp16_compress_hook on the whole world
Each training rank saves its start weights, batches and end weights to
`<out>/rank<r>.npz`; the test replays the training in one PyTorch process. The hook runs also
record what a custom hook sees in its GradBucket, and PyTorch's errors.
"""
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
from ember.nn.parallel import DistributedDataParallel

out_dir, mode, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
saved = {}


def error_of(call):
    try:
        call()
    except Exception as error:          # noqa: BLE001 - the test compares type and message
        return f"{type(error).__name__}: {error}"
    return "no error"


group = None
if mode == "group":
    group = dist.new_group([1, 2] if size == 3 else [0, 1])
    if group == dist.GroupMember.NON_GROUP_MEMBER:
        np.savez(f"{out_dir}/rank{rank}.npz", trained=np.array(False))
        sys.exit(0)

ember.manual_seed(rank)                      # different weights on every rank, on purpose
model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(),
                      nn.Linear(8, 1))
ddp = DistributedDataParallel(model, process_group=group, bucket_cap_mb=0.00005)
if mode == "allreduce":
    ddp.register_comm_hook(None, default_hooks.allreduce_hook)
elif mode == "fp16":
    ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)
saved["trained"] = np.array(True)
saved["bucket_count"] = np.array(len(ddp.reducer.buckets))
saved.update({f"start_{name}": p.detach().numpy().copy()
              for name, p in model.named_parameters()})
optimizer = ember.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(7 + rank)
for step in range(steps):
    optimizer.zero_grad()
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = rng.normal(size=(4, 1)).astype(np.float32)
    saved[f"x{step}"], saved[f"y{step}"] = x, y
    nn.functional.mse_loss(ddp(ember.tensor(x)), ember.tensor(y)).backward()
    optimizer.step()
saved.update({f"end_{name}": p.detach().numpy() for name, p in model.named_parameters()})

if mode != "group":
    saved["twice"] = np.array(error_of(
        lambda: ddp.register_comm_hook(None, default_hooks.allreduce_hook)))
    fresh = DistributedDataParallel(nn.Linear(2, 2))
    saved["not_callable"] = np.array(error_of(lambda: fresh.register_comm_hook(None, 5)))

    # what a hook is given: the raw (undivided) gradients, flat, in the bucket
    seen = []

    def inspecting_hook(state, bucket):
        seen.append((state, bucket.index(), bucket.is_last(),
                     [tuple(p.shape) for p in bucket.parameters()],
                     [tuple(g.shape) for g in bucket.gradients()],
                     bucket.buffer().numpy().copy()))
        fut = ember.futures.Future()
        fut.set_result(bucket.buffer() * 0 + 7)
        return fut

    linear = nn.Linear(3, 2)
    with ember.no_grad():
        linear.weight.fill_(1.0)
        linear.bias.fill_(0.5)
    inspected = DistributedDataParallel(linear, bucket_cap_mb=0.000001)   # one per bucket
    inspected.register_comm_hook("my state", inspecting_hook)
    inspected(ember.full((1, 3), float(rank + 1))).sum().backward()
    saved["hook_states"] = np.array([s[0] for s in seen])
    saved["hook_indices"] = np.array([s[1] for s in seen])
    saved["hook_is_last"] = np.array([s[2] for s in seen])
    saved["hook_param_shapes"] = np.array([str(s[3]) for s in seen])
    saved["hook_grad_shapes"] = np.array([str(s[4]) for s in seen])
    saved["hook_buffers"] = np.concatenate([s[5] for s in seen])
    saved["hook_grads"] = np.concatenate([linear.weight.grad.numpy().ravel(),
                                          linear.bias.grad.numpy()])

    bad = DistributedDataParallel(nn.Linear(2, 2))
    bad.register_comm_hook(None, lambda state, bucket: bucket.buffer())
    saved["returns_tensor"] = np.array(error_of(
        lambda: bad(ember.ones(1, 2)).sum().backward()))

np.savez(f"{out_dir}/rank{rank}.npz", **saved)

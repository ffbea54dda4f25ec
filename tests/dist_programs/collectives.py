"""Run under mpiexec: every collective of ember.distributed, on inputs that depend on the rank.

Each rank saves its inputs and results to `<out>/rank<r>.npz`; the test recomputes the
expected results from all ranks' inputs with NumPy.
"""
import sys

import numpy as np

import ember
import ember.distributed as dist

out_dir = sys.argv[1]
saved = {}

# before init_process_group, PyTorch's error
try:
    dist.get_rank()
except ValueError as error:
    saved["error_before_init"] = np.array(str(error))
saved["initialized_before"] = np.array(dist.is_initialized())

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
saved["rank"], saved["size"] = np.array(rank), np.array(size)
saved["initialized"] = np.array(dist.is_initialized())
rng = np.random.default_rng(100 + rank)


def record(name, array):
    saved[name] = np.array(array)


def tensor(name, array):
    """An ember tensor holding `array`, the array also recorded as input `name`."""
    record(name + "_in", array)
    return ember.tensor(array)


# all_reduce, every op, in place
ops = {"sum": dist.ReduceOp.SUM, "avg": dist.ReduceOp.AVG, "max": dist.ReduceOp.MAX,
       "min": dist.ReduceOp.MIN, "product": dist.ReduceOp.PRODUCT}
for name, op in ops.items():
    t = tensor("all_reduce_" + name, rng.uniform(0.5, 1.5, (3, 4)).astype(np.float32))
    assert dist.all_reduce(t, op=op) is None
    record("all_reduce_" + name, t.numpy())
    record("all_reduce_" + name + "_version", t._version)
t = tensor("all_reduce_int64", rng.integers(-50, 50, 7))
dist.all_reduce(t)
record("all_reduce_int64", t.numpy())
t = tensor("all_reduce_float64_avg", rng.normal(size=5))
dist.all_reduce(t, dist.ReduceOp.AVG)
record("all_reduce_float64_avg", t.numpy())

# a tensor that requires grad: changed in place, nothing recorded for backward
leaf = ember.ones(3, requires_grad=True)
dist.all_reduce(leaf)
record("leaf_after", leaf.detach().numpy())
record("leaf_grad_fn_is_none", leaf.grad_fn is None)

# async: a Work to wait on
t = tensor("all_reduce_async", rng.normal(size=(2, 2)).astype(np.float32))
work = dist.all_reduce(t, async_op=True)
record("async_wait", work.wait())
record("async_completed", work.is_completed())
record("all_reduce_async", t.numpy())

# broadcast from the last rank
t = tensor("broadcast", rng.normal(size=6).astype(np.float32))
dist.broadcast(t, src=size - 1)
record("broadcast", t.numpy())

# all_gather into a list, and into one tensor
t = tensor("all_gather", rng.normal(size=(2, 3)).astype(np.float32))
gathered = [ember.zeros(2, 3) for _ in range(size)]
dist.all_gather(gathered, t)
record("all_gather", np.stack([g.numpy() for g in gathered]))
into = ember.zeros(size * 2, 3)
dist.all_gather_into_tensor(into, t)
record("all_gather_into_tensor", into.numpy())

# reduce_scatter: input_list[i] summed over ranks goes to rank i
pieces = rng.normal(size=(size, 4)).astype(np.float32)
record("reduce_scatter_in", pieces)
output = ember.zeros(4)
dist.reduce_scatter(output, [ember.tensor(p) for p in pieces])
record("reduce_scatter", output.numpy())
output = ember.zeros(4)
dist.reduce_scatter_tensor(output, ember.tensor(pieces.reshape(-1)), op=dist.ReduceOp.MAX)
record("reduce_scatter_tensor_max", output.numpy())

# reduce to one rank, gather to one rank, scatter from one rank
t = tensor("reduce", rng.normal(size=3))
dist.reduce(t, dst=0)
record("reduce", t.numpy())
t = tensor("gather", rng.normal(size=2))
targets = [ember.zeros(2, dtype=ember.float64) for _ in range(size)] if rank == 1 else None
dist.gather(t, targets, dst=1)
if rank == 1:
    record("gather", np.stack([g.numpy() for g in targets]))
sources = rng.normal(size=(size, 3))
record("scatter_in", sources)
t = ember.zeros(3, dtype=ember.float64)
dist.scatter(t, [ember.tensor(s) for s in sources] if rank == 0 else None, src=0)
record("scatter", t.numpy())

# send / recv around a ring; recv reports who sent
t = tensor("ring", np.full(3, float(rank), np.float32))
right, left = (rank + 1) % size, (rank - 1) % size
received = ember.zeros(3)
if rank % 2 == 0:
    dist.send(t, right)
    sender = dist.recv(received)          # from anyone: the left neighbour
else:
    sender = dist.recv(received, src=left)
    dist.send(t, right)
record("ring", received.numpy())
record("ring_sender", sender)

# Python objects
objects = [None]
if rank == 0:
    objects = [{"lr": 0.1}]
dist.broadcast_object_list(objects, src=0)
record("object_lr", objects[0]["lr"])

dist.barrier()
dist.destroy_process_group()
record("initialized_after", dist.is_initialized())
np.savez(f"{out_dir}/rank{rank}.npz", **saved)

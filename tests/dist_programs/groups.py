"""Run under mpiexec (2 or 3 ranks): the collectives on a sub-group made by new_group.

The group holds global ranks 0 and size-1 (given unsorted, as PyTorch sorts them); with 3
ranks, rank 1 is outside it and must get PyTorch's non-member behaviour (a warning and
nothing done, -1 from get_rank). Each rank saves its inputs and results to
`<out>/rank<r>.npz`; the test recomputes the expected results with NumPy.
"""
import sys
import warnings

import numpy as np

import ember
import ember.distributed as dist

out_dir = sys.argv[1]
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
last = size - 1
saved = {}


def record(name, value):
    saved[name] = np.array(value)


def error_of(call):
    try:
        call()
    except Exception as error:          # noqa: BLE001 - the test compares type and message
        return f"{type(error).__name__}: {error}"
    return "no error"


g = dist.new_group([last, 0])
member = rank in (0, last)
record("member", member)
record("group_rank", dist.get_rank(g))
record("group_size", dist.get_world_size(g))
record("world_is_group_world", dist.group.WORLD is dist.GroupMember.WORLD)
record("world_ranks", dist.get_process_group_ranks(dist.group.WORLD))
record("new_group_errors", [error_of(lambda: dist.new_group([0, 0])),
                            error_of(lambda: dist.new_group([size + 2])),
                            error_of(lambda: dist.new_group([0],
                                                            use_local_synchronization=True))])
record("subgroup_errors", [error_of(lambda: dist.new_subgroups(0)),
                           error_of(lambda: dist.new_subgroups(size + 1))])
x = ember.tensor(np.arange(4, dtype=np.float32) + 10 * rank)

if member:
    record("process_group_ranks", dist.get_process_group_ranks(g))
    record("group_rank_of_last", dist.get_group_rank(g, last))
    record("global_rank_of_1", dist.get_global_rank(g, 1))
    record("lookup_errors", [error_of(lambda: dist.get_group_rank(g, 7)),
                             error_of(lambda: dist.get_global_rank(g, 7))])

    t = x.clone()
    dist.all_reduce(t, group=g)
    record("all_reduce", t.numpy())
    t = x.clone()
    work = dist.all_reduce(t, op=dist.ReduceOp.MAX, group=g, async_op=True)
    record("all_reduce_future", work.get_future().then(lambda f: f.value()[0] * 2).wait()
           .numpy())
    t = x.clone()
    dist.broadcast(t, src=last, group=g)              # src: a global rank
    record("broadcast", t.numpy())
    t = x.clone()
    dist.broadcast(t, group=g, group_src=0)           # group_src: a rank within the group
    record("broadcast_group_src", t.numpy())
    t = x.clone()
    dist.reduce(t, dst=last, group=g)
    record("reduce", t.numpy())
    outs = [ember.zeros(4) for _ in range(2)]
    dist.all_gather(outs, x, group=g)
    record("all_gather", np.stack([o.numpy() for o in outs]))
    gathered = [ember.zeros(4) for _ in range(2)] if rank == last else None
    dist.gather(x, gathered, dst=last, group=g)
    if rank == last:
        record("gather", np.stack([o.numpy() for o in gathered]))
    t = ember.zeros(4)
    pieces = [x * 1, x * 2] if rank == 0 else None
    dist.scatter(t, pieces, src=0, group=g)
    record("scatter", t.numpy())
    t = ember.zeros(2)
    dist.reduce_scatter_tensor(t, x, group=g)
    record("reduce_scatter_tensor", t.numpy())
    big = ember.zeros(8)
    dist.all_gather_into_tensor(big, x, group=g)
    record("all_gather_into_tensor", big.numpy())
    dist.barrier(group=g)
    objects = [None, None]
    dist.all_gather_object(objects, {"rank": rank}, group=g)
    record("all_gather_object", [o["rank"] for o in objects])
    box = [rank * 100]
    dist.broadcast_object_list(box, src=last, group=g)
    record("broadcast_object_list", box[0])
    # point to point inside the group: global dst/src, and group_dst
    t = x.clone()
    if rank == 0:
        dist.send(t, dst=last, group=g)
        dist.send(t * 3, group=g, group_dst=1)
    else:
        record("recv_sender", dist.recv(t, group=g))          # any source: a global rank
        record("recv", t.numpy())
        dist.recv(t, src=0, group=g)
        record("recv_group_dst", t.numpy())
    record("not_in_group_error", error_of(lambda: dist.broadcast(x, src=1 if size == 3 else 5,
                                                                  group=g)))
    dist.destroy_process_group(g)
else:
    t = x.clone()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [dist.all_reduce(t, group=g), dist.barrier(group=g),
                   dist.broadcast(t, group=g, group_src=0),
                   dist.all_gather([ember.zeros(4), ember.zeros(4)], t, group=g),
                   dist.recv(t, group=g)]
    record("non_member_results", [repr(r) for r in results])
    record("non_member_warnings", [str(w.message) for w in caught])
    record("non_member_tensor", t.numpy())
    record("non_member_broadcast_error", error_of(lambda: dist.broadcast(t, src=0, group=g)))
    dist.destroy_process_group(g)                     # a no-op for NON_GROUP_MEMBER

# new_subgroups: one group per rank here
mine, groups = dist.new_subgroups(1)
record("subgroups", dist.get_process_group_ranks(mine) + [len(groups)])
t = x.clone()
dist.all_reduce(t, group=mine)
record("subgroup_all_reduce", t.numpy())

# float16, which MPI cannot sum: gathered and summed in rank order, in float16
h = ember.tensor((np.arange(5) / 3 + rank).astype(np.float16))
record("half_in", h.numpy())
dist.all_reduce(h)
record("half_sum", h.numpy())
dist.destroy_process_group()
np.savez(f"{out_dir}/rank{rank}.npz", **saved)

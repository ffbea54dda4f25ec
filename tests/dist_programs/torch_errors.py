"""PyTorch's own messages, for tests/test_distributed_groups.py: one gloo process (started
alone, a world of 1) prints the errors of the calls the ember programs make, as JSON.
Argument: a free TCP port for the rendezvous."""
import json
import os
import sys
import warnings

import torch
import torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
from torch.nn.parallel import DistributedDataParallel

warnings.simplefilter("ignore")
os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=sys.argv[1])
dist.init_process_group("gloo", rank=0, world_size=1)


def error_of(call):
    try:
        call()
    except Exception as error:          # noqa: BLE001
        return f"{type(error).__name__}: {error}"
    return "no error"


g = dist.new_group([0])
out = {
    "duplicate": error_of(lambda: dist.new_group([0, 0])),
    "out_of_range": error_of(lambda: dist.new_group([4])),
    "subgroup_zero": error_of(lambda: dist.new_subgroups(0)),
    "subgroup_too_big": error_of(lambda: dist.new_subgroups(3)),
    "global_not_in_group": error_of(lambda: dist.get_group_rank(g, 7)),
    "group_rank_not_in_group": error_of(lambda: dist.get_global_rank(g, 7)),
    "non_member_broadcast": error_of(
        lambda: dist.broadcast(torch.ones(1), src=0, group=dist.GroupMember.NON_GROUP_MEMBER)),
}
ddp = DistributedDataParallel(torch.nn.Linear(2, 2))
ddp.register_comm_hook(None, default_hooks.allreduce_hook)
out["twice"] = error_of(lambda: ddp.register_comm_hook(None, default_hooks.allreduce_hook))
out["not_callable"] = error_of(
    lambda: DistributedDataParallel(torch.nn.Linear(2, 2)).register_comm_hook(None, 5))
bad = DistributedDataParallel(torch.nn.Linear(2, 2))
bad.register_comm_hook(None, lambda state, bucket: bucket.buffer())
out["returns_tensor"] = error_of(lambda: bad(torch.ones(1, 2)).sum().backward())
print(json.dumps(out))

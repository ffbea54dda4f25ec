"""Started by `python -m ember.distributed.run`: writes its rank, world size and arguments to
`<dir>/<rank>.txt` (a file per rank: mpiexec may interleave the ranks' stdout mid-line)."""
import os
import sys

import ember.distributed as dist

dist.init_process_group("mpi")
out_dir = sys.argv[1]
with open(os.path.join(out_dir, f"{dist.get_rank()}.txt"), "w") as f:
    f.write(f"{dist.get_rank()} {dist.get_world_size()} {sys.argv[2:]}")
dist.destroy_process_group()

"""Run under mpiexec: rank 1 raises while the others wait in a collective for it.

Without care the others would wait forever; ember.distributed aborts the whole MPI job when
a rank dies of an uncaught exception, so mpiexec exits non-zero.
"""
import ember
import ember.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    raise RuntimeError("rank 1 fails on purpose")
t = ember.ones(4)
for _ in range(3):
    dist.all_reduce(t)            # never completes: rank 1 is gone
print("unreachable", flush=True)

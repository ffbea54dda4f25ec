"""`ember.distributed`: several processes training one model, over MPI (as `torch.distributed`).

Start the same program once per process with an MPI launcher; each learns its rank:

    mpiexec -n 2 python train.py          # or: python -m ember.distributed.run -n 2 train.py

    import ember
    import ember.distributed as dist
    dist.init_process_group("mpi")
    t = ember.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(t)                    # both processes now hold tensor([3.])

`ember.nn.parallel.DistributedDataParallel` averages gradients across the processes and
`ember.utils.data.distributed.DistributedSampler` gives each its share of a dataset.
mpi4py (`pip install ember[dist]`) is needed only once `init_process_group` is called.
"""
from .distributed_c10d import *  # noqa: F401,F403
from .distributed_c10d import __all__  # noqa: F401

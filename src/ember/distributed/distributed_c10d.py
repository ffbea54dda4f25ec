"""The process group and its collectives, carried by MPI (PyTorch's `distributed_c10d`).

Every process of a job runs the same program. `init_process_group()` joins it to the others
(the MPI launcher, `mpiexec -n 4 python train.py`, has already told each its rank), and the
collectives then combine tensors across all of them:

    rank 0: [1, 2]   rank 1: [3, 4]   --all_reduce(SUM)-->   both: [4, 6]

The tensors' NumPy arrays go to MPI as buffers (`comm.Allreduce(MPI.IN_PLACE, array, op)`):
the bytes travel as they are, never pickled. The collectives change tensors in place, as in
PyTorch, outside autograd: nothing is recorded for backward, but the version counter is
bumped, so a value saved for backward that a collective overwrote is caught.

mpi4py is optional: it is imported by `init_process_group`, not when ember is imported.
"""
import enum
import importlib.util
import sys
import time
import warnings
from datetime import timedelta

import numpy as np

from .._tensor import Tensor

__all__ = ["Backend", "GradBucket", "GroupMember", "ProcessGroup", "ReduceOp", "Work",
           "all_gather", "get_global_rank", "get_group_rank", "get_process_group_ranks",
           "new_group", "new_subgroups", "new_subgroups_by_enumeration",
           "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list", "destroy_process_group", "gather", "get_backend", "get_rank",
           "get_world_size", "group", "init_process_group", "irecv", "is_available",
           "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_torchelastic_launched", "isend", "recv", "reduce", "reduce_scatter",
           "reduce_scatter_tensor", "scatter", "send"]

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")
default_pg_timeout = timedelta(minutes=30)


# -- what is available ----------------------------------------------------------------------

def is_mpi_available():
    """True when mpi4py is installed (checked without importing it, which would start MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_available():
    """True when ember.distributed can run: its one backend, MPI, is installed."""
    return is_mpi_available()


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_torchelastic_launched():
    return False


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError("ember.distributed runs on MPI through mpi4py, which is not "
                           "installed: pip install ember[dist]") from error
    return MPI


# -- reduction operations and backends -------------------------------------------------------

class ReduceOp:
    """How a reduction combines the ranks' values: `ReduceOp.SUM`, `AVG`, `PRODUCT`, `MIN`,
    `MAX` (and `BAND`, `BOR`, `BXOR` for integers and booleans).

    >>> ReduceOp.SUM
    <RedOpType.SUM: 0>
    """

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


_Op = ReduceOp.RedOpType
_BITWISE = (_Op.BAND, _Op.BOR, _Op.BXOR)
# AVG is a SUM followed by a division, done after MPI has summed
_MPI_OP_NAMES = {_Op.SUM: "SUM", _Op.AVG: "SUM", _Op.PRODUCT: "PROD", _Op.MIN: "MIN",
                 _Op.MAX: "MAX", _Op.BAND: "BAND", _Op.BOR: "BOR", _Op.BXOR: "BXOR"}
# MPI's arithmetic ops reject C booleans; PyTorch's booleans add and multiply as logic
_MPI_BOOL_OP_NAMES = {_Op.SUM: "LOR", _Op.MAX: "LOR", _Op.BOR: "LOR", _Op.PRODUCT: "LAND",
                      _Op.MIN: "LAND", _Op.BAND: "LAND", _Op.BXOR: "LXOR"}


class Backend(str):
    """Backend names; ember has one, `"mpi"`."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name):
        return str.__new__(cls, str(name).lower())


# the backends PyTorch knows, which ember answers with "use mpi" rather than "unknown"
_TORCH_BACKENDS = ("gloo", "nccl", "ucc", "xccl", "cpu:gloo,cuda:nccl")


# -- the process group -----------------------------------------------------------------------

class ProcessGroup:
    """A set of processes that run collectives together (here: an MPI communicator).

    `_ranks[i]` is the global rank of the group's rank i (the default group: 0, 1, ...).
    """

    def __init__(self, comm, ranks=None):
        self._comm = comm
        self._ranks = list(range(comm.Get_size())) if ranks is None else list(ranks)

    def rank(self):
        return self._comm.Get_rank()

    def size(self):
        return self._comm.Get_size()

    def name(self):
        return "mpi"

    def __repr__(self):
        return f"<ProcessGroup mpi rank={self.rank()} size={self.size()}>"


class GroupMember:
    WORLD = None            # the default group once init_process_group has run
    NON_GROUP_MEMBER = -100


class group:
    WORLD = None            # the same default group, under the name PyTorch also gives it


_state = {"pg": None, "excepthook": None, "subgroups": []}


def is_initialized():
    """True between `init_process_group()` and `destroy_process_group()`."""
    return _state["pg"] is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join this process to the job's default process group, over MPI.

    Start the job with an MPI launcher, which gives every process its rank:
    `mpiexec -n 2 python train.py` (or `python -m ember.distributed.run -n 2 train.py`). Run
    alone, a program is a group of one. `init_method`, `store` and `timeout` are accepted for
    PyTorch's sake; MPI's launcher does the rendezvous they would configure.

        import ember.distributed as dist
        dist.init_process_group("mpi")
        print(dist.get_rank(), "of", dist.get_world_size())
    """
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name != "mpi":
        if name in _TORCH_BACKENDS:
            raise RuntimeError(f"ember.distributed has no {name!r} backend: it runs on MPI. "
                               "Use init_process_group('mpi') and start the program with "
                               "mpiexec (or python -m ember.distributed.run).")
        raise AssertionError(f"Unknown backend type {backend}")
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout)}")
    if world_size != -1 or rank != -1:
        warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are "
                      "ignored since they are assigned by the MPI runtime.", UserWarning,
                      stacklevel=2)
    MPI = _import_mpi()
    # a communicator of our own, so messages of the user's own mpi4py code never mix with ours
    pg = ProcessGroup(MPI.COMM_WORLD.Dup())
    _set_default_group(pg)
    if pg.size() > 1:
        _abort_on_uncaught_exception(MPI.COMM_WORLD)


def _set_default_group(pg):
    _state["pg"] = GroupMember.WORLD = group.WORLD = pg


def _abort_on_uncaught_exception(world):
    """When one rank dies of an exception, the others would wait for it forever inside their
    next collective. Aborting the MPI job instead ends them all, with a non-zero exit status."""
    previous = sys.excepthook

    def report_then_abort(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stderr.flush()
        # the launcher forwards each rank's stderr asynchronously: give it a moment to pass
        # the report on before the abort tears the job (and its forwarding) down
        time.sleep(0.5)
        world.Abort(1)

    _state["excepthook"] = previous
    sys.excepthook = report_then_abort


def destroy_process_group(group=None):
    """Leave the default group, and every group made from it (MPI itself stays up until the
    program exits); with `group=`, free only that sub-group."""
    if group == GroupMember.NON_GROUP_MEMBER:
        return
    pg = _state["pg"]
    if pg is None:
        raise AssertionError("Process group cannot be None")
    if group is not None and group is not pg:
        if group not in _state["subgroups"]:
            raise ValueError("Invalid process group specified")
        _state["subgroups"].remove(group)
        group._comm.Free()
        return
    for sub in _state["subgroups"]:
        sub._comm.Free()
    _state["subgroups"] = []
    pg._comm.Free()
    _set_default_group(None)
    if _state["excepthook"] is not None:
        sys.excepthook, _state["excepthook"] = _state["excepthook"], None


def _default_group():
    pg = _state["pg"]
    if pg is None:
        raise ValueError(_NOT_INITIALIZED)
    return pg


def _resolve(group):
    """The ProcessGroup `group` names (None: the default one), or NON_GROUP_MEMBER as is."""
    if group is None or group is GroupMember.WORLD:
        return _default_group()
    if isinstance(group, ProcessGroup):
        _default_group()
        return group
    if group == GroupMember.NON_GROUP_MEMBER:
        return group
    raise TypeError(f"group must be a ProcessGroup made by new_group(), got {group!r}")


def _not_member(group):
    return not isinstance(group, ProcessGroup) and group == GroupMember.NON_GROUP_MEMBER


def _warn_not_in_group(op_name):
    """What a rank outside `group=` gets from a collective: a warning, and nothing done."""
    world = _state["pg"]
    global_rank = -1 if world is None else world.rank()
    warnings.warn(f"Running {op_name} on global rank {global_rank} which does not belong to "
                  "the given group.", UserWarning, stacklevel=3)


def _group(group):
    """The ProcessGroup of `group` (DDP and get_backend need a group this rank is in)."""
    pg = _resolve(group)
    if _not_member(pg):
        raise ValueError("This rank is not a member of the given process group")
    return pg


def _comm(group):
    return _group(group)._comm


def _group_rank(group, rank, group_rank, logged=True):
    """A `src`/`dst` (global rank) or `group_src`/`group_dst` as a rank within `group`.

    A global rank cannot be translated on a rank outside the group. PyTorch's collectives
    (`logged`: those wrapped in its exception logger) then report what the logger itself
    trips on; isend/irecv report the failed lookup."""
    if logged and rank is not None and group_rank is None and _not_member(group):
        raise ValueError("Invalid process group specified")
    if group_rank is not None:
        if rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        return group_rank
    if rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    return get_group_rank(group, rank)


def _registered(group):
    if not isinstance(group, ProcessGroup) or (group is not _state["pg"]
                                               and group not in _state["subgroups"]):
        raise ValueError(f"Group {group} is not registered, please create group with "
                         "torch.distributed.new_group API")


def get_group_rank(group, global_rank):
    """The rank within `group` of the process whose global rank is `global_rank`.

        g = dist.new_group([1, 2])
        dist.get_group_rank(g, 2)        # 1
    """
    if group is GroupMember.WORLD:
        return global_rank
    _registered(group)
    if global_rank not in group._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return group._ranks.index(global_rank)


def get_global_rank(group, group_rank):
    """The global rank of the process that is rank `group_rank` of `group`.

        g = dist.new_group([1, 2])
        dist.get_global_rank(g, 0)       # 1
    """
    if group is GroupMember.WORLD:
        return group_rank
    _registered(group)
    if not isinstance(group_rank, int) or not 0 <= group_rank < len(group._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return group._ranks[group_rank]


def get_process_group_ranks(group):
    """The global ranks of `group`'s processes, in group-rank order (None: the default group).

        dist.get_process_group_ranks(dist.new_group([2, 0]))     # [0, 2]
    """
    pg = _resolve(group)
    _registered(pg)
    return list(pg._ranks)


def get_rank(group=None):
    """This process's number in the group, 0 to its size - 1 (-1 when not in the group)."""
    pg = _resolve(group)
    if _not_member(pg):
        return -1
    return pg.rank()


def get_world_size(group=None):
    """How many processes the group has (-1 when this process is not in it)."""
    pg = _resolve(group)
    if _not_member(pg):
        return -1
    return pg.size()


def get_backend(group=None):
    _group(group)
    return Backend.MPI


# -- sub-groups --------------------------------------------------------------------------------

def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):
    """A process group of some of the processes (given by global rank), with an MPI
    communicator of its own. Every process must call it, members or not; the others get
    `GroupMember.NON_GROUP_MEMBER`, on which collectives only warn.

        evens = dist.new_group([0, 2])
        if dist.get_rank() in (0, 2):
            dist.all_reduce(t, group=evens)      # sums over ranks 0 and 2 only
    """
    default = _default_group()
    if backend is not None and str(backend).lower() != "mpi":
        name = str(backend).lower()
        if name in _TORCH_BACKENDS:
            raise RuntimeError(f"ember.distributed has no {name!r} backend: it runs on MPI.")
        raise ValueError(f"Unknown backend type {backend}")
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout)}")
    if use_local_synchronization:
        raise ValueError("MPI backend doesn't support use_local_synchronization=True")
    world_size = default.size()
    if ranks is None:
        ranks = list(range(world_size))
    else:
        ranks = sorted(ranks) if sort_ranks else list(ranks)
        if len(set(ranks)) != len(ranks):
            raise ValueError(f"ranks list must not contain duplicate entries, got {ranks}")
        if len(ranks) > world_size:
            raise ValueError("the new group's world size should be less or equal to the "
                             "world size set by init_process_group")
        for rank in ranks:
            if rank < 0 or rank >= world_size:
                raise ValueError(f"Rank {rank} is out of range. Valid ranks are 0 to "
                                 f"{world_size - 1} (world_size={world_size})")
    # Comm.Create is collective over the default communicator, which is why every process
    # calls new_group; the processes outside `ranks` get MPI's null communicator back.
    world_group = default._comm.Get_group()
    members = world_group.Incl(ranks)
    comm = default._comm.Create(members)
    members.Free()
    world_group.Free()
    if default.rank() not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks)
    _state["subgroups"].append(pg)
    return pg


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None,
                                 pg_options=None, group_desc=None):
    """One group per list of ranks (the lists must not overlap); returns (this process's
    group, all of them).

        mine, groups = dist.new_subgroups_by_enumeration([[0, 2], [1, 3]])
    """
    if ranks_per_subgroup_list is None or len(ranks_per_subgroup_list) == 0:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    subgroups, current, owner = [], None, {}
    for ranks in ranks_per_subgroup_list:
        subgroup = new_group(ranks=ranks, timeout=timeout, backend=backend,
                             pg_options=pg_options, group_desc=group_desc)
        subgroups.append(subgroup)
        for rank in ranks:
            if rank in owner:
                raise ValueError(f"Rank {rank} has appeared in both subgroup {owner[rank]} "
                                 f"and {ranks}")
            owner[rank] = ranks
            if rank == get_rank():
                current = subgroup
    return current, subgroups


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None,
                  group_desc=None):
    """Split `group` (default: all processes) into consecutive groups of `group_size`
    processes; returns (this process's group, all of them).

        mine, groups = dist.new_subgroups(2)     # 4 processes: [0, 1] and [2, 3]
    """
    if group_size is None:
        raise ValueError("Default group size only takes effect when CUDA is available.If "
                         "your subgroup using a backend that does not depend on CUDA,please "
                         "pass in 'group_size' correctly.")
    if group_size <= 0:
        raise ValueError(f"The arg 'group_size' ({group_size}) must be positive")
    world_size = get_world_size(group=group)
    if world_size < group_size:
        raise ValueError(f"The arg 'group_size' ({group_size}) must not exceed the world "
                         f"size ({world_size})")
    if world_size % group_size != 0:
        raise ValueError(f"The world size ({world_size}) must be divisible by "
                         f"'group_size={group_size}'")
    ranks = get_process_group_ranks(group)
    return new_subgroups_by_enumeration(
        [ranks[i:i + group_size] for i in range(0, len(ranks), group_size)], timeout=timeout,
        backend=backend, pg_options=pg_options, group_desc=group_desc)


# -- waiting for a collective ----------------------------------------------------------------

class Work:
    """A collective started with `async_op=True`: `wait()` blocks until it has finished and its
    result is in the tensors."""

    def __init__(self, requests, finish=None, result=()):
        self._requests = requests
        self._finish = finish
        self._result = list(result)
        self._done = False
        self._future = None

    def wait(self, timeout=None):
        if not self._done:
            self._requests[0].Waitall(self._requests)
            self._complete()
        return True

    def is_completed(self):
        if not self._done and self._requests[0].Testall(self._requests):
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def result(self):
        self.wait()
        return self._result

    def get_future(self):
        """A `ember.futures.Future` completed, with the collective's output tensors (a list),
        once this collective has finished (waiting on the future waits for it).

            fut = dist.all_reduce(t, async_op=True).get_future()
            total = fut.then(lambda f: f.value()[0]).wait()
        """
        if self._future is None:
            from ..futures import Future
            self._future = Future()
            if self._done:
                self._future.set_result(self._result)
            else:
                self._future._waiter = self.wait
        return self._future

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()
        if self._future is not None and not self._future.done():
            self._future.set_result(self._result)


def _run(async_op, start, run, finish=None, result=()):
    """Run a collective now (`run`, MPI's blocking call) or start it (`start`, the
    non-blocking one, returning its requests) and hand back a Work to wait on (its future's
    value: `result`, the output tensors)."""
    if async_op:
        return Work(start(), finish, result)
    run()
    if finish is not None:
        finish()
    return None


# -- checking arguments and preparing buffers ------------------------------------------------

def _check_tensor(value, name):
    if not isinstance(value, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(value)} instead.")


def _check_tensor_list(values, name):
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, Tensor) for v in values):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        "List[torch.Tensor]\n             but got "
                        f"{type(values)} instead.")


def _array(tensor):
    """The tensor's own array, which MPI reads and writes in place."""
    array = tensor._data
    if type(array) is not np.ndarray:
        # MPI here moves host memory (a CUDA-aware MPI is not assumed); DDP stages GPU
        # gradients through the host itself, explicit collectives leave it to the program
        raise RuntimeError(f"ember.distributed collectives work on CPU tensors, got a tensor "
                           f"on {tensor.device}: call .cpu() first and copy the result back")
    if not array.flags.c_contiguous:
        raise RuntimeError("Tensors must be contiguous")
    return array


def _check_same_dtype(tensors):
    dtypes = {t._data.dtype for t in tensors}
    if len(dtypes) > 1:
        names = " and ".join(sorted(str(t.dtype) for t in {t.dtype: t for t in tensors}
                                    .values()))
        raise ValueError(f"Invalid usage of tensors with different dtypes. Found {names}")


def _check_rank(rank, size, what):
    if not isinstance(rank, int) or not 0 <= rank < size:
        raise RuntimeError(f"Invalid {what} rank: {rank} (the group has ranks 0 to {size - 1})")


def _mpi_op(MPI, op, dtype, collective):
    if not isinstance(op, _Op):
        raise TypeError(f"{collective}: op must be a ReduceOp, got {op!r}")
    if dtype.kind == "c" and op not in (_Op.SUM, _Op.AVG, _Op.PRODUCT):
        raise ValueError(f"{collective} does not support {op} on complex tensors")
    if op in _BITWISE and dtype.kind not in "biu":
        raise RuntimeError(f"{collective}: {op} needs an integer or boolean tensor, got {dtype}")
    if dtype.kind == "b":
        if op is _Op.AVG:
            raise RuntimeError(f"{collective}: ReduceOp.AVG does not apply to boolean tensors")
        return getattr(MPI, _MPI_BOOL_OP_NAMES[op])
    return getattr(MPI, _MPI_OP_NAMES[op])


def _divide_in_place(array, size):
    """AVG's last step: the sum over `size` ranks divided by `size` (integers truncate toward
    zero, as an integer average does in PyTorch's NCCL)."""
    if array.dtype.kind in "fc":
        array /= size
    else:
        np.copyto(array, np.sign(array) * (np.abs(array) // size))


def _written(*tensors):
    for t in tensors:
        t._bump_version()


# -- the collectives -------------------------------------------------------------------------

def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine `tensor` across all ranks with `op`; every rank gets the result, in place.

        t = ember.tensor([float(dist.get_rank())])
        dist.all_reduce(t)               # every rank: tensor([0 + 1 + ... + size-1])
    """
    _check_tensor(tensor, "tensor")
    if _not_member(_resolve(group)):
        return _warn_not_in_group("all_reduce")
    comm = _comm(group)
    MPI = _import_mpi()
    array = _array(tensor)
    mpi_op = _mpi_op(MPI, op, array.dtype, "all_reduce")
    if array.dtype == np.float16:
        return _all_reduce_half(comm, tensor, array, op, async_op)

    def finish():
        if op is _Op.AVG:
            _divide_in_place(array, comm.Get_size())
        _written(tensor)

    return _run(async_op, lambda: [comm.Iallreduce(MPI.IN_PLACE, array, mpi_op)],
                lambda: comm.Allreduce(MPI.IN_PLACE, array, mpi_op), finish, [tensor])


_HALF_REDUCE = {_Op.SUM: np.add, _Op.AVG: np.add, _Op.PRODUCT: np.multiply,
                _Op.MIN: np.minimum, _Op.MAX: np.maximum}


def _all_reduce_half(comm, tensor, array, op, async_op):
    """float16 has no MPI reduction: gather every rank's values and combine them here, in
    rank order, in float16 arithmetic (each step rounded to half, as a half-precision sum
    is), so that every rank computes the same bits."""
    rows = np.empty((comm.Get_size(),) + array.shape, array.dtype)
    send = np.ascontiguousarray(array)

    def finish():
        total = rows[0].copy()
        for row in rows[1:]:
            _HALF_REDUCE[op](total, row, out=total)
        if op is _Op.AVG:
            total /= np.float16(comm.Get_size())
        array[...] = total
        _written(tensor)

    return _run(async_op, lambda: [comm.Iallgather(send, rows)],
                lambda: comm.Allgather(send, rows), finish, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Combine `tensor` across all ranks with `op` into rank `dst`'s tensor (the others keep
    theirs)."""
    pg = _resolve(group)
    dst = _group_rank(pg, dst, group_dst)
    _check_tensor(tensor, "tensor")
    if _not_member(pg):
        return _warn_not_in_group("reduce")
    comm = pg._comm
    MPI = _import_mpi()
    _check_rank(dst, comm.Get_size(), "destination")
    array = _array(tensor)
    mpi_op = _mpi_op(MPI, op, array.dtype, "reduce")
    here = comm.Get_rank() == dst
    send = MPI.IN_PLACE if here else array
    result = array if here else None

    def finish():
        if here:
            if op is _Op.AVG:
                _divide_in_place(array, comm.Get_size())
            _written(tensor)

    return _run(async_op, lambda: [comm.Ireduce(send, result, mpi_op, root=dst)],
                lambda: comm.Reduce(send, result, mpi_op, root=dst), finish, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank `src`'s tensor into every other rank's `tensor`."""
    pg = _resolve(group)
    src = _group_rank(pg, src, group_src)
    _check_tensor(tensor, "tensor")
    if _not_member(pg):
        return _warn_not_in_group("broadcast")
    comm = pg._comm
    _check_rank(src, comm.Get_size(), "root")
    array = _array(tensor)
    return _run(async_op, lambda: [comm.Ibcast(array, root=src)],
                lambda: comm.Bcast(array, root=src), lambda: _written(tensor), [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's `tensor`, gathered into `tensor_list` (one entry per rank, in rank
    order) on every rank."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    if _not_member(_resolve(group)):
        return _warn_not_in_group("all_gather")
    comm = _comm(group)
    size = comm.Get_size()
    _check_same_dtype(list(tensor_list) + [tensor])
    if len(tensor_list) != size:
        raise RuntimeError(f"invalid output tensor list at index 0 (expected length {size}, "
                           f"got {len(tensor_list)})")
    for i, out in enumerate(tensor_list):
        if out.shape != tensor.shape:
            raise RuntimeError(f"invalid tensor size at index {i} (expected "
                               f"{_shape(tensor)}, got {_shape(out)})")
    send = _array(tensor)
    received = np.empty((size,) + send.shape, send.dtype)

    def finish():
        for out, piece in zip(tensor_list, received):
            out._data[...] = piece
        _written(*tensor_list)

    return _run(async_op, lambda: [comm.Iallgather(send, received)],
                lambda: comm.Allgather(send, received), finish, [tensor_list])


def _shape(tensor):
    return "(" + ", ".join(map(str, tensor.shape)) + ")"


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's `input_tensor`, concatenated (or stacked) in rank order into
    `output_tensor`, whose size is world size times the input's."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    if _not_member(_resolve(group)):
        return _warn_not_in_group("all_gather_into_tensor")
    comm = _comm(group)
    _check_same_dtype([output_tensor, input_tensor])
    if output_tensor.numel() != comm.Get_size() * input_tensor.numel():
        raise ValueError("output tensor size must be equal to world_size times input tensor "
                         "size")
    send, received = _array(input_tensor), _array(output_tensor)
    return _run(async_op, lambda: [comm.Iallgather(send, received)],
                lambda: comm.Allgather(send, received), lambda: _written(output_tensor),
                [output_tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's `tensor`, gathered into `gather_list` on rank `dst` only."""
    _check_tensor(tensor, "tensor")
    if gather_list:
        _check_tensor_list(gather_list, "gather_list")
    pg = _resolve(group)
    if _not_member(pg):
        return _warn_not_in_group("gather")
    dst = _group_rank(pg, dst, group_dst)
    comm = pg._comm
    size = comm.Get_size()
    _check_rank(dst, size, "destination")
    send = _array(tensor)
    here = comm.Get_rank() == dst
    if here:
        _check_tensor_list(gather_list, "gather_list")
        if len(gather_list) != size:
            raise ValueError("Argument ``gather_list`` must have the same size as the world "
                             "size.")
        _check_same_dtype(list(gather_list) + [tensor])
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    received = np.empty((size,) + send.shape, send.dtype) if here else None

    def finish():
        if here:
            for out, piece in zip(gather_list, received):
                out._data[...] = piece
            _written(*gather_list)

    return _run(async_op, lambda: [comm.Igather(send, received, root=dst)],
                lambda: comm.Gather(send, received, root=dst), finish)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank `src`'s `scatter_list[i]` into rank i's `tensor`."""
    _check_tensor(tensor, "tensor")
    if scatter_list:
        _check_tensor_list(scatter_list, "scatter_list")
    pg = _resolve(group)
    src = _group_rank(pg, src, group_src)
    if _not_member(pg):
        return _warn_not_in_group("scatter")
    comm = pg._comm
    size = comm.Get_size()
    _check_rank(src, size, "source")
    received = _array(tensor)
    send = None
    if comm.Get_rank() == src:
        _check_tensor_list(scatter_list, "scatter_list")
        if len(scatter_list) != size:
            raise ValueError("Argument ``scatter_list`` must have the same size as the world "
                             "size.")
        _check_same_dtype(list(scatter_list) + [tensor])
        send = np.stack([t._data for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    return _run(async_op, lambda: [comm.Iscatter(send, received, root=src)],
                lambda: comm.Scatter(send, received, root=src), lambda: _written(tensor))


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `input_list[i]` across ranks with `op`, the result going to rank i's `output`.

        rank r sends input_list = [a_r, b_r]:   rank 0 gets a_0 + a_1,  rank 1 gets b_0 + b_1
    """
    _check_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    if _not_member(_resolve(group)):
        return _warn_not_in_group("reduce_scatter")
    comm = _comm(group)
    size = comm.Get_size()
    if len(input_list) != size:
        raise RuntimeError("invalid input tensor list size, must be world size")
    _check_same_dtype(list(input_list) + [output])
    for i, piece in enumerate(input_list):
        if piece.shape != output.shape:
            raise RuntimeError(f"invalid tensor size at index {i} (expected {_shape(output)}, "
                               f"got {_shape(piece)})")
    send = np.stack([t._data for t in input_list])
    return _reduce_scatter(comm, send, output, op, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `input` (world size times `output`'s size) across ranks with `op`, and give
    rank i the i-th part of the result."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    if _not_member(_resolve(group)):
        return _warn_not_in_group("reduce_scatter_tensor")
    comm = _comm(group)
    _check_same_dtype([output, input])
    if input.numel() != comm.Get_size() * output.numel():
        raise ValueError("input tensor must be the same size as output size times world size")
    return _reduce_scatter(comm, _array(input), output, op, async_op, "reduce_scatter_tensor")


def _reduce_scatter(comm, send, output, op, async_op, collective):
    MPI = _import_mpi()
    received = _array(output)
    mpi_op = _mpi_op(MPI, op, received.dtype, collective)

    def finish():
        if op is _Op.AVG:
            _divide_in_place(received, comm.Get_size())
        _written(output)

    return _run(async_op, lambda: [comm.Ireduce_scatter_block(send, received, mpi_op)],
                lambda: comm.Reduce_scatter_block(send, received, mpi_op), finish)


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank (of `group`) has reached this call."""
    if _not_member(_resolve(group)):
        return _warn_not_in_group("barrier")
    comm = _comm(group)
    return _run(async_op, lambda: [comm.Ibarrier()], comm.Barrier)


# -- point to point --------------------------------------------------------------------------

def _check_peer(comm, rank, what):
    _check_rank(rank, comm.Get_size(), what)
    if rank == comm.Get_rank():
        raise ValueError(f"Invalid {what} rank: {what} rank should not be the same as the rank "
                         "of the current process.")


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to rank `dst` (a global rank; `group_dst`: a rank within `group`), which
    must call `recv`."""
    _group_rank(_resolve(group), dst, group_dst)
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending `tensor` to rank `dst`; the returned Work's `wait()` finishes it."""
    pg = _resolve(group)
    dst = _group_rank(pg, dst, group_dst, logged=False)
    _check_tensor(tensor, "tensor")
    if _not_member(pg):
        return _warn_not_in_group("isend")
    comm = pg._comm
    _check_peer(comm, dst, "destination")
    return Work([comm.Isend(_array(tensor), dest=dst, tag=tag)])


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from rank `src` (any rank when None); returns the sender's global
    rank (-1 on a rank outside `group`)."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return get_global_rank(_resolve(group), work._source)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into `tensor`; after `wait()`, `source_rank()` says who sent it (its
    rank within `group`)."""
    _check_tensor(tensor, "tensor")
    if _not_member(_resolve(group)):
        return _warn_not_in_group("irecv")
    pg = _resolve(group)
    comm = pg._comm
    MPI = _import_mpi()
    if src is None and group_src is None:
        source = MPI.ANY_SOURCE
    else:
        source = _group_rank(pg, src, group_src)
        _check_peer(comm, source, "source")
    status = MPI.Status()
    work = _ReceiveWork([comm.Irecv(_array(tensor), source=source, tag=tag)], tensor, status)
    return work


class _ReceiveWork(Work):
    def __init__(self, requests, tensor, status):
        super().__init__(requests, self._received)
        self._tensor, self._status, self._source = tensor, status, None

    def wait(self, timeout=None):
        if not self._done:
            self._requests[0].Wait(self._status)
            self._complete()
        return True

    def _received(self):
        self._source = self._status.Get_source()
        _written(self._tensor)

    def source_rank(self):
        self.wait()
        return self._source


# -- Python objects (pickled: these carry small things like configs, never tensor data) -----

def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace `object_list`'s items, on every rank, with rank `src`'s (any picklable objects)."""
    pg = _resolve(group)
    src = _group_rank(pg, src, group_src)
    if _not_member(pg):
        return _warn_not_in_group("broadcast_object_list")
    comm = pg._comm
    _check_rank(src, comm.Get_size(), "root")
    object_list[:] = comm.bcast(list(object_list), root=src)


def all_gather_object(object_list, obj, group=None):
    """Every rank's `obj` (any picklable object), into `object_list` in rank order."""
    if _not_member(_resolve(group)):
        return _warn_not_in_group("all_gather_object")
    comm = _comm(group)
    if len(object_list) != comm.Get_size():
        raise ValueError("Argument ``object_list`` must have the same size as the world size.")
    object_list[:] = comm.allgather(obj)


# -- what a DDP communication hook is given ----------------------------------------------------

class GradBucket:
    """One bucket of DistributedDataParallel's gradients, as handed to a communication hook
    (`DistributedDataParallel.register_comm_hook`): `buffer()` is the flat tensor holding its
    parameters' gradients one after the other, `gradients()` views of it shaped like
    `parameters()`.

        def hook(state, bucket):
            fut = ember.futures.Future()
            fut.set_result(bucket.buffer())        # keep this rank's gradients as they are
            return fut
    """

    def __init__(self, index, buffer, gradients, parameters, is_last):
        self._index, self._buffer = index, buffer
        self._gradients, self._parameters, self._is_last = gradients, parameters, is_last

    def index(self):
        """The bucket's position; bucket 0 holds the last parameters, reduced first."""
        return self._index

    def buffer(self):
        """The flat 1-D tensor of the bucket's gradients (writing into it changes them)."""
        return self._buffer

    def gradients(self):
        """One tensor per parameter, views of `buffer()` shaped like the parameters."""
        return list(self._gradients)

    def parameters(self):
        """The bucket's parameters, in the order of their gradients in `buffer()`."""
        return list(self._parameters)

    def is_last(self):
        """True for the bucket reduced last in an iteration."""
        return self._is_last

    def set_buffer(self, buffer):
        """Replace the bucket's buffer with `buffer`."""
        self._buffer = buffer

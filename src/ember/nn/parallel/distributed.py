"""DistributedDataParallel: the same model in every process, each on its own part of the data,
with gradients averaged across the processes so every copy takes the same optimizer step.

How the averaging overlaps with backward (as PyTorch's reducer does it):
1. The parameters are split into buckets of about `bucket_cap_mb`, in reverse order of
   definition, the order in which backward usually produces their gradients.
2. A hook on each parameter's AccumulateGrad node sees its gradient arrive; the gradient is
   copied, divided by the world size, into its bucket's flat buffer.
3. When a bucket is full, its allreduce (a sum) starts without blocking (MPI's `Iallreduce`),
   and backward goes on computing the next gradients meanwhile.
4. When backward has finished (a callback queued on the engine), every allreduce is waited
   for and the averages are copied back into the parameters' `.grad`.

With `process_group=dist.new_group(ranks)` the averaging runs over that group only. With a
communication hook (`register_comm_hook`), step 2 copies the gradients as they are and step 3
calls the hook with the bucket; the hook's Future gives the reduced buffer.
"""
import inspect
import warnings
from contextlib import contextmanager

import numpy as np

from ... import _backend, distributed as dist
from ..._tensor import Tensor
from ...autograd import engine, grad_mode
from ...autograd.graph import AccumulateGrad
from ...distributed.distributed_c10d import GradBucket, _group, _import_mpi
from ...futures import Future
from ...ops._util import upload_like
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25
_DEFAULT_FIRST_BUCKET_BYTES = 1 * _MB   # a small first bucket: the last layers' grads go early


class DistributedDataParallel(Module):
    """Wrap `module` so that `loss.backward()` leaves in every process's parameters the
    gradient averaged over all processes.

        dist.init_process_group("mpi")
        model = DistributedDataParallel(Net())         # every rank now has rank 0's weights
        loss = loss_fn(model(x_of_this_rank), y_of_this_rank)
        loss.backward()                                 # .grad: the average over all ranks
        optimizer.step()                                # the same step everywhere
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        self.process_group = _group(process_group)     # raises when there is no group yet
        parameters = [p for p in module.parameters() if p.requires_grad]
        if not parameters:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True      # False inside no_sync()
        self.require_forward_param_sync = True

        # PyTorch 2.13 renamed broadcast_buffers to forward_sync_buffers
        if broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated, use `forward_sync_buffers` "
                          "(note that `forward_sync_buffers=False` still copies rank 0's "
                          "buffers once at construction; `broadcast_buffers=False` does not).",
                          FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, sync_buffers_now = forward_sync_buffers, True
        else:
            self.forward_sync_buffers = sync_buffers_now = (
                True if broadcast_buffers is None else broadcast_buffers)

        if bucket_cap_mb is None:
            cap, first_cap = _DEFAULT_BUCKET_CAP_MB * _MB, _DEFAULT_FIRST_BUCKET_BYTES
        else:
            cap = first_cap = int(bucket_cap_mb * _MB)
        self.bucket_bytes_cap = cap
        if init_sync:
            _check_same_shapes(self.process_group, parameters)
            # every copy starts from rank 0's weights (and buffers)
            for tensor in module.parameters():
                _broadcast_from_rank0(tensor, self.process_group)
            if sync_buffers_now:
                for tensor in module.buffers():
                    _broadcast_from_rank0(tensor, self.process_group)
        self.reducer = _Reducer(parameters, first_cap, cap, self.process_group,
                                find_unused_parameters)

    @property
    def broadcast_buffers(self):
        return self.forward_sync_buffers

    def forward(self, *inputs, **kwargs):
        self.reducer.check_previous_reduction_finished()
        if self.require_forward_param_sync and self.forward_sync_buffers:
            for buffer in self.module.buffers():
                # e.g. BatchNorm's running statistics
                _broadcast_from_rank0(buffer, self.process_group)
        output = self.module(*inputs, **kwargs)
        if grad_mode.enabled and self.require_backward_grad_sync:
            self.reducer.prepare_for_backward(output)
        return output

    def register_comm_hook(self, state, hook):
        """Reduce each gradient bucket with `hook(state, bucket)` instead of DDP's average:
        `bucket` is a `dist.GradBucket` holding this rank's (undivided) gradients, and the
        hook returns an `ember.futures.Future` whose value is the reduced flat buffer.

            from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
            ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)
        """
        self._check_comm_hook(hook)
        if self.reducer.hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.")
        self.reducer.hook, self.reducer.hook_state = hook, state

    @staticmethod
    def _check_comm_hook(hook):
        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        signature = inspect.signature(hook)
        bucket = signature.parameters.get("bucket")
        if (bucket is not None and bucket.annotation is not inspect.Parameter.empty
                and bucket.annotation is not GradBucket):
            raise ValueError("Communication hook: bucket annotation should be "
                             "dist.GradBucket.")
        returned = signature.return_annotation
        if returned is not inspect.Signature.empty and getattr(returned, "__origin__",
                                                                returned) is not Future:
            raise ValueError("Communication hook: return annotation should be "
                             "torch.futures.Future[torch.Tensor].")

    @contextmanager
    def no_sync(self):
        """Inside, backward only accumulates each process's own gradients (no communication);
        the first backward after it averages the accumulated sums.

            with model.no_sync():
                model(x1).sum().backward()      # local only
            model(x2).sum().backward()          # averages the gradients of x1 and x2
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _broadcast_from_rank0(tensor, group):
    """The group's first rank's values into `tensor` on every rank of the group."""
    with grad_mode.no_grad():
        if type(tensor._data) is np.ndarray and tensor._data.flags.c_contiguous:
            dist.broadcast(tensor, group=group, group_src=0)
        else:
            # a strided view, or a GPU tensor: broadcast a contiguous host copy, copy it back
            values = Tensor._make(np.ascontiguousarray(_on_host(tensor._data)))
            dist.broadcast(values, group=group, group_src=0)
            tensor._data[...] = upload_like(tensor._data, values._data)


def _on_host(array):
    """A GPU array's values on the host (MPI moves host memory); host arrays as they are."""
    return array if type(array) is np.ndarray else _backend.of(array).to_host(array)


def _check_same_shapes(group, parameters):
    """Every rank must hold the same model: a rank with other shapes would pair its buckets
    with the wrong parameters of the others (only shapes travel, pickled: a few bytes)."""
    shapes = [tuple(p.shape) for p in parameters]
    everyone = group._comm.allgather(shapes)
    for rank, theirs in enumerate(everyone):
        if theirs != everyone[0]:
            raise RuntimeError(
                f"DDP expects same model across all ranks, but Rank {rank} has {len(theirs)} "
                f"params, while rank 0 has inconsistent {len(everyone[0])} params or shapes "
                f"({theirs} against {everyone[0]}).")


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer and one allreduce."""

    def __init__(self, indices, parameters):
        self.indices = indices                       # positions in the reducer's list
        self.dtype = parameters[indices[0]]._data.dtype
        self.offsets, total = [], 0
        for i in indices:
            self.offsets.append(total)
            total += parameters[i]._data.size
        self.buffer = np.zeros(total, self.dtype)
        self.pending = len(indices)                  # gradients not yet arrived
        self.request = None                          # the running allreduce
        self.future = None                           # or the comm hook's result

    def view(self, position, parameter):
        start = self.offsets[position]
        return self.buffer[start:start + parameter._data.size].reshape(parameter._data.shape)


def _assign_buckets(parameters, first_cap, cap):
    """Group parameter indices into buckets, last parameter first, one dtype per bucket; a
    bucket closes when it reaches its byte cap (the first one's cap can be smaller)."""
    buckets, open_buckets = [], {}                   # dtype -> (indices, bytes)
    caps = {}                                        # dtype -> the cap its next bucket has
    for i in reversed(range(len(parameters))):
        array = parameters[i]._data
        indices, size = open_buckets.get(array.dtype, ([], 0))
        indices.append(i)
        size += array.nbytes
        if size >= caps.setdefault(array.dtype, first_cap):
            buckets.append(indices)
            caps[array.dtype] = cap
            open_buckets.pop(array.dtype, None)
        else:
            open_buckets[array.dtype] = (indices, size)
    buckets.extend(indices for indices, _ in open_buckets.values())
    return buckets


class _Reducer:
    """Averages the gradients of `parameters` across the group during each backward."""

    def __init__(self, parameters, first_cap, cap, group, find_unused_parameters):
        self.parameters = parameters
        self.group = group
        self.comm = group._comm
        self.world_size = group.size()
        self.hook = self.hook_state = None          # set by register_comm_hook
        self.find_unused_parameters = find_unused_parameters
        self.buckets = [_Bucket(indices, parameters)
                        for indices in _assign_buckets(parameters, first_cap, cap)]
        self.place = {}                              # index -> (bucket, position in bucket)
        for bucket in self.buckets:
            for position, i in enumerate(bucket.indices):
                self.place[i] = (bucket, position)
        # Held here so each parameter keeps one AccumulateGrad node (and our hook on it) from
        # one iteration to the next: the tensor itself only holds it weakly.
        self.accumulators = []
        for i, p in enumerate(parameters):
            node = p._grad_accumulator()
            node.register_hook(self._hook_for(i))
            self.accumulators.append(node)
        self.MPI = _import_mpi()
        self.expecting = False        # a DDP forward ran and its backward has not finished
        self.unfinished = False       # the last backward left some bucket unreduced
        self.callback_queued = False  # finalize is queued on the running backward pass
        self.next_bucket = 0          # the next bucket to start, in order
        self.ready = [False] * len(parameters)
        self.unused = ()              # with find_unused_parameters: indices not in the graph

    def _hook_for(self, index):
        def gradient_arrived(grad_inputs, grad_outputs):
            self.mark_ready(index)
        return gradient_arrived

    def prepare_for_backward(self, output):
        self.expecting = True
        self.callback_queued = False
        self.next_bucket = 0
        self.ready = [False] * len(self.parameters)
        for bucket in self.buckets:
            bucket.pending = len(bucket.indices)
            bucket.request = bucket.future = None
        self.unused = ()
        if self.find_unused_parameters:
            reached = _accumulators_reached_from(output)
            self.unused = [i for i, node in enumerate(self.accumulators) if node not in reached]

    def mark_ready(self, index):
        if not self.expecting:
            return                    # a backward outside DDP's forward, or inside no_sync()
        if not self.callback_queued:
            self.callback_queued = True
            engine.queue_callback(self.finalize)
            for i in self.unused:     # they will get no gradient this time: send what they have
                self._put_in_bucket(i)
        self._put_in_bucket(index)

    def _put_in_bucket(self, index):
        if self.ready[index]:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by one of "
                "the following reasons: 1) Use of a module parameter outside the `forward` "
                "function. 2) Reused parameters in multiple reentrant backward passes.")
        self.ready[index] = True
        bucket, position = self.place[index]
        parameter = self.parameters[index]
        view = bucket.view(position, parameter)
        if parameter._grad is None:
            view.fill(0)
        elif self.hook is not None:
            view[...] = _on_host(parameter._grad._data)    # the hook sees the raw gradients
        else:
            # dividing while copying saves a pass: the allreduce's sum is then the average
            np.multiply(_on_host(parameter._grad._data), 1 / self.world_size, out=view,
                        casting="unsafe")
        bucket.pending -= 1
        # Collectives must start in the same order on every rank, whatever order gradients
        # arrive in here: start buckets strictly in their index order.
        while (self.next_bucket < len(self.buckets)
               and self.buckets[self.next_bucket].pending == 0):
            ready = self.buckets[self.next_bucket]
            if self.hook is not None:
                ready.future = self._run_hook(self.next_bucket, ready)
            else:
                ready.request = self.comm.Iallreduce(self.MPI.IN_PLACE, ready.buffer,
                                                     self.MPI.SUM)
            self.next_bucket += 1

    def _run_hook(self, index, bucket):
        buffer = Tensor._make(bucket.buffer)
        parameters = [self.parameters[i] for i in bucket.indices]
        gradients = [Tensor._make(bucket.view(position, p))
                     for position, p in enumerate(parameters)]
        future = self.hook(self.hook_state, GradBucket(
            index, buffer, gradients, parameters, index == len(self.buckets) - 1))
        if not isinstance(future, Future):
            kind = type(future)
            name = ("torch.Tensor" if isinstance(future, Tensor)     # PyTorch's name for it
                    else f"{kind.__module__}.{kind.__qualname__}")
            raise RuntimeError("DDP communication hook's callback must return a "
                               f"torch.futures.Future object, but got {name}")
        return future

    def _take_hook_result(self, bucket):
        """Wait for the hook's future and put its value (the reduced flat buffer) in the
        bucket, cast to the bucket's dtype as needed."""
        value = bucket.future.wait()
        if not isinstance(value, Tensor):
            raise RuntimeError(f"Unable to cast {value!r} to Tensor")
        result = _on_host(value._data)
        if result is not bucket.buffer:
            if result.size != bucket.buffer.size:
                raise RuntimeError(f"The comm hook's result has {result.size} elements, but "
                                   f"the bucket has {bucket.buffer.size}")
            np.copyto(bucket.buffer, result.reshape(-1), casting="unsafe")

    def finalize(self):
        """End of backward: wait for the allreduces and put the averages into `.grad`."""
        self.expecting = False
        requests = [b.request for b in self.buckets if b.request is not None]
        if requests:
            requests[0].Waitall(requests)
        for bucket in self.buckets:
            if bucket.future is not None:
                self._take_hook_result(bucket)
        if self.next_bucket < len(self.buckets):
            self.unfinished = True    # reported at the next forward, as PyTorch does
            return
        used_somewhere = None
        if self.find_unused_parameters:   # every rank joins, whether it has unused ones or not
            used_somewhere = np.ones(len(self.parameters), np.int32)
            used_somewhere[self.unused] = 0
            self.comm.Allreduce(self.MPI.IN_PLACE, used_somewhere, self.MPI.MAX)
        for bucket in self.buckets:
            for position, i in enumerate(bucket.indices):
                parameter = self.parameters[i]
                if used_somewhere is not None and not used_somewhere[i]:
                    continue          # no rank produced a gradient: .grad stays as it was
                average = bucket.view(position, parameter)
                if parameter._grad is None:
                    parameter._grad = Tensor._make(
                        _backend.move(average.copy(), *_backend.resolve(parameter.device)))
                else:
                    parameter._grad._data[...] = upload_like(parameter._grad._data, average)
                    parameter._grad._bump_version()

    def check_previous_reduction_finished(self):
        if self.unfinished:
            self.unfinished = False
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss.")


def _accumulators_reached_from(output):
    """The AccumulateGrad nodes that backward from the tensors in `output` can reach."""
    stack = [t._grad_fn for t in _tensors_in(output) if t._grad_fn is not None]
    seen = set(stack)
    reached = set()
    while stack:
        for node, _ in stack.pop().next_functions:
            if node is None or node in seen:
                continue
            seen.add(node)
            if type(node) is AccumulateGrad:
                reached.add(node)
            else:
                stack.append(node)
    return reached


def _tensors_in(value):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)


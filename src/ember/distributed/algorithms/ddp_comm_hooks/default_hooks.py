"""The stock DDP communication hooks: `allreduce_hook` (what DDP does without a hook) and
`fp16_compress_hook` (the gradients travel as float16, half the bytes).

    from ember.distributed.algorithms.ddp_comm_hooks import default_hooks
    ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)   # None: the whole world

(`bf16_compress_hook` is missing: ember has no bfloat16 dtype.)
"""
from ... import distributed_c10d as dist
from .... import float16

__all__ = ["allreduce_hook", "fp16_compress_hook", "fp16_compress_wrapper"]


def _allreduce_fut(process_group, tensor):
    """Average `tensor` across the group: divide by its size first, then sum (in place)."""
    group = process_group if process_group is not None else dist.group.WORLD
    tensor.div_(group.size())
    return (dist.all_reduce(tensor, group=group, async_op=True).get_future()
            .then(lambda fut: fut.value()[0]))


def allreduce_hook(process_group, bucket):
    """Average the bucket's gradients across `process_group` (None: every process).

        ddp.register_comm_hook(None, allreduce_hook)     # the same result as no hook
    """
    return _allreduce_fut(process_group, bucket.buffer())


def _compress_hook(dtype, process_group, bucket):
    group = process_group if process_group is not None else dist.group.WORLD
    world_size = group.size()
    buffer = bucket[0] if isinstance(bucket, tuple) else bucket.buffer()
    # dividing before the sum, in the narrow type, keeps the sum in float16's range
    compressed = buffer.to(dtype).div_(world_size)

    def decompress(fut):
        buffer.copy_(fut.value()[0])
        return buffer

    return dist.all_reduce(compressed, group=group, async_op=True).get_future().then(
        decompress)


def fp16_compress_hook(process_group, bucket):
    """Average the bucket's gradients across `process_group` as float16 values (cast, divided
    by the group size, summed), cast back to the gradients' dtype.

        ddp.register_comm_hook(None, fp16_compress_hook)
    """
    return _compress_hook(float16, process_group, bucket)


def fp16_compress_wrapper(hook):
    """A hook that runs `hook` on the bucket cast to float16 and casts its result back.

        ddp.register_comm_hook(None, fp16_compress_wrapper(allreduce_hook))
    """
    def fp16_compress_wrapper_hook(hook_state, bucket):
        bucket.set_buffer(bucket.buffer().to(float16))
        fut = hook(hook_state, bucket)

        def decompress(fut):
            # the float16 result; DDP casts it back into the gradients' own buffer
            result = bucket.buffer()
            result.copy_(fut.value())
            return result

        return fut.then(decompress)

    return fp16_compress_wrapper_hook

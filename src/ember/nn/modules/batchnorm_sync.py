"""`SyncBatchNorm`: batch normalisation whose batch statistics span every process of a
process group (each rank holds part of the batch, as under `DistributedDataParallel`).

In training, with `ember.distributed` initialised and more than one process in the group,
each rank computes its per-channel mean, 1/std and row count, all ranks all-gather them and
combine them into the statistics of the whole (concatenated) batch; the backward all-reduces
the per-channel sums of dy and dy * (x - mean). Otherwise (evaluation, no process group, a
group of one) it is plain `batch_norm`, as in PyTorch.

Unlike PyTorch, whose SyncBatchNorm refuses CPU tensors once a process group exists, ember
synchronises CPU tensors too: its process groups are MPI ones, made for host memory.
"""
import numpy as np

from ... import _backend
from ...autograd.function import Function
from ...ops._util import wrap
from .normalization import _BatchNorm, batch_norm

__all__ = ["SyncBatchNorm"]


def _acc_type(dtype):
    # statistics in double, like PyTorch's accumulate type, rounded to the input's dtype where
    # PyTorch's kernels hand them over
    return np.float64


def _stat_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _channel_view(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class SyncBatchNorm(Function):
    """The synchronised statistics, forward and backward (PyTorch's `sync_batch_norm`; named
    like it so that the graph shows `SyncBatchNormBackward`). The module class below takes
    over the name."""

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum,
                process_group, world_size):
        from ... import distributed as dist
        x = input._data
        xp = _backend.xp(x)
        size = x.size // x.shape[1]
        if size == 1 and world_size < 2:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {size}")
        channels = x.shape[1]
        acc = _acc_type(x.dtype)
        axes = _stat_axes(x)
        if x.size > 0:
            xa = x.astype(acc)
            local_mean = xa.mean(axis=axes)
            local_var = ((xa - _channel_view(local_mean, x.ndim)) ** 2).mean(axis=axes)
            local_invstd = 1.0 / xp.sqrt(local_var + eps)
            combined = xp.concatenate([local_mean, local_invstd,
                                       xp.full((1,), float(size), acc)]).astype(x.dtype)
        else:
            combined = xp.zeros(2 * channels + 1, x.dtype)
        sent = wrap(combined, input.dtype)
        received = [wrap(xp.empty_like(combined), input.dtype) for _ in range(world_size)]
        dist.all_gather(received, sent, process_group)
        gathered = xp.stack([r._data for r in received]).astype(acc)
        mean_all = gathered[:, :channels]
        invstd_all = gathered[:, channels:2 * channels]
        count_all = gathered[:, 2 * channels]
        keep = count_all >= 1                     # ranks with an empty batch add nothing
        mean_all, invstd_all, count_all = mean_all[keep], invstd_all[keep], count_all[keep]
        # the whole batch's statistics from the per-rank ones: mean weighted by the counts,
        # variance = mean of (rank variance + squared distance of the rank mean)
        total = count_all.sum()
        mean = (mean_all * count_all[:, None]).sum(axis=0) / total
        var_all = 1.0 / (invstd_all * invstd_all) - eps
        var = (count_all[:, None] * (var_all + (mean_all - mean) ** 2)).sum(axis=0) / total
        invstd = 1.0 / xp.sqrt(var + eps)
        if running_mean is not None:
            rm = running_mean._data
            rm[...] = (momentum * mean + (1 - momentum) * rm.astype(acc)).astype(rm.dtype)
            running_mean._bump_version()
        if running_var is not None:
            rv = running_var._data
            unbiased = var * total / (total - 1)
            rv[...] = (momentum * unbiased + (1 - momentum) * rv.astype(acc)).astype(rv.dtype)
            running_var._bump_version()
        ctx.save_for_backward(input, weight)
        ctx.mean, ctx.invstd, ctx.total = mean, invstd, total
        ctx.process_group = process_group
        if x.size == 0:
            return wrap(xp.empty_like(x), input.dtype)
        out = (x.astype(acc) - _channel_view(mean, x.ndim)) * _channel_view(invstd, x.ndim)
        if weight is not None:
            out = out * _channel_view(weight._data.astype(acc), x.ndim)
        if bias is not None:
            out = out + _channel_view(bias._data.astype(acc), x.ndim)
        return wrap(out, input.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        from ... import distributed as dist
        input, weight = ctx.saved_tensors
        x = input._data
        xp = _backend.xp(x)
        channels = x.shape[1]
        grad_input = grad_weight = grad_bias = None
        if x.size > 0:
            acc = _acc_type(x.dtype)
            axes = _stat_axes(x)
            dy = grad_output._data.astype(acc)
            xmu = x.astype(acc) - _channel_view(ctx.mean, x.ndim)
            sum_dy = dy.sum(axis=axes)
            sum_dy_xmu = (dy * xmu).sum(axis=axes)
            if weight is not None and ctx.needs_input_grad[1]:
                grad_weight = wrap(sum_dy_xmu * ctx.invstd, weight.dtype)
            if weight is not None and ctx.needs_input_grad[2]:
                grad_bias = wrap(sum_dy, weight.dtype)
            if ctx.needs_input_grad[0]:
                combined = wrap(xp.concatenate([sum_dy, sum_dy_xmu]), input.dtype)
                dist.all_reduce(combined, dist.ReduceOp.SUM, ctx.process_group)
                summed = combined._data.astype(acc)
                mean_dy = _channel_view(summed[:channels] / ctx.total, x.ndim)
                mean_dy_xmu = _channel_view(summed[channels:] / ctx.total, x.ndim)
                invstd = _channel_view(ctx.invstd, x.ndim)
                scale = invstd if weight is None else invstd * _channel_view(
                    weight._data.astype(acc), x.ndim)
                grad_input = wrap((dy - mean_dy - xmu * invstd * invstd * mean_dy_xmu) * scale,
                                  input.dtype)
        elif ctx.needs_input_grad[0]:
            # an empty rank still takes part in the other ranks' all-reduce
            dist.all_reduce(wrap(xp.zeros(2 * channels, x.dtype), input.dtype),
                            dist.ReduceOp.SUM, ctx.process_group)
            grad_input = wrap(xp.zeros_like(x), input.dtype)
        return grad_input, grad_weight, grad_bias, None, None, None, None, None, None


_SyncBatchNormFunction = SyncBatchNorm


class SyncBatchNorm(_BatchNorm):  # noqa: F811
    """Batch normalisation of (N, C, *) inputs with batch statistics shared by all processes
    of `process_group` (default: the whole world) while training.

    >>> from ember import nn
    >>> nn.SyncBatchNorm(4)
    SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        from ... import distributed as dist
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            if self.num_batches_tracked is None:
                raise AssertionError("num_batches_tracked must not be None")
            self.num_batches_tracked.add_(1)
            if self.momentum is None:      # cumulative moving average
                factor = 1.0 / self.num_batches_tracked.item()
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        running_mean = self.running_mean if not self.training or self.track_running_stats \
            else None
        running_var = self.running_var if not self.training or self.track_running_stats \
            else None
        # statistics are shared only while training, and only with someone to share them with
        need_sync = bn_training and self.training and dist.is_initialized()
        if need_sync:
            group = self.process_group if self.process_group else dist.group.WORLD
            world_size = dist.get_world_size(group)
            need_sync = world_size > 1
        if not need_sync:
            return batch_norm(input, running_mean, running_var, self.weight, self.bias,
                              bn_training, factor, self.eps)
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, running_mean,
                                            running_var, self.eps, factor, group, world_size)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm*d layer in it replaced by a SyncBatchNorm sharing its
        parameters and buffers (a BatchNorm module itself comes back as a new SyncBatchNorm).

        >>> from ember import nn
        >>> nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm1d(3)))
        Sequential(
          (0): SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        )
        """
        from ... import autograd
        converted = module
        if isinstance(module, _BatchNorm):
            converted = SyncBatchNorm(module.num_features, module.eps, module.momentum,
                                      module.affine, module.track_running_stats, process_group,
                                      bias=module.bias is not None)
            if module.affine:
                with autograd.no_grad():
                    converted.weight = module.weight
                    converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return converted

"""nn modules on a GPU: every module (and module-level feature) a course uses, on the simulated
GPU of tests/sim_gpu.py, bit-identical to the CPU.

tests/test_device.py runs each entry of the gradcheck table (one per differentiable op) on the
device; this file covers what that table does not: the modules themselves, with the options
that take other code paths (padding modes, groups, return_indices, ceil_mode, running stats,
padding_idx, packed sequences, class weights, ...), and the features around them
(state_dict between devices, saving a device model, clip_grad_*, a DataLoader's batches).

Each entry of `MODULE_CASES` builds a module on the CPU (`ember.manual_seed(0)`), copies it
with `copy.deepcopy(...).to("cuda")`, runs forward on the same inputs on both devices,
backward with the same upstream gradients, and compares outputs, input gradients, parameter
values and gradients and buffers bit for bit (NumPy computes on both); everything the device
run returns must live on the device. `compare_module_on_devices(name, exact=False)` runs the
same comparison with a tolerance, for a real GPU (tests/test_cupy.py).
"""
import copy
from typing import Callable, NamedTuple, Optional

import numpy as np
import pytest

import sim_gpu
import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.utils import rnn as rnn_utils


# -- inputs ------------------------------------------------------------------------------------


def _x(*shape):
    """A standard normal float32 input."""
    return lambda r: ember.tensor(r.standard_normal(shape), dtype=ember.float32)


def _x64(*shape):
    """A standard normal float64 input."""
    return lambda r: ember.tensor(r.standard_normal(shape), dtype=ember.float64)


def _pos(*shape):
    """A float32 input in (0.05, 0.95) (probabilities, variances)."""
    return lambda r: ember.tensor(r.uniform(0.05, 0.95, shape), dtype=ember.float32)


def _idx(high, *shape):
    """An int64 input in [0, high)."""
    return lambda r: ember.tensor(r.integers(0, high, shape), dtype=ember.int64)


def _const(value):
    """An input that is not drawn (a tensor made fresh for each run, or a Python value)."""
    return lambda r: value() if callable(value) else value


def _softmax_rows(*shape):
    """Class probabilities (each row sums to one)."""
    def make(r):
        p = r.uniform(0.1, 1.0, shape)
        return ember.tensor(p / p.sum(1, keepdims=True), dtype=ember.float32)
    return make


def _log_softmax_rows(*shape):
    def make(r):
        p = r.uniform(0.1, 1.0, shape)
        return ember.tensor(np.log(p / p.sum(1, keepdims=True)), dtype=ember.float32)
    return make


class Case(NamedTuple):
    make: Callable                  # () -> Module, built on the CPU after manual_seed(0)
    inputs: tuple                   # one maker per forward argument: rng -> value
    call: Optional[Callable] = None     # (module, *inputs) -> outputs; default module(*inputs)
    train: bool = True              # module.train(train) before the forward
    grad: Optional[tuple] = None    # the inputs that require grad; default: the float tensors
    after: Optional[Callable] = None    # (module) -> tensors, run after backward (clip_grad_*)
    marks: tuple = ()


class _Fn(nn.Module):
    """A function as a module (for the functional forms that have none)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


class _Packed(nn.Module):
    """pack_padded_sequence -> LSTM -> pad_packed_sequence, as a course's text model does."""

    def __init__(self, batch_first, enforce_sorted, bidirectional=False):
        super().__init__()
        self.batch_first, self.enforce_sorted = batch_first, enforce_sorted
        self.lstm = nn.LSTM(3, 4, num_layers=2, batch_first=batch_first,
                            bidirectional=bidirectional)

    def forward(self, x, lengths):
        packed = rnn_utils.pack_padded_sequence(x, lengths, batch_first=self.batch_first,
                                                enforce_sorted=self.enforce_sorted)
        out, (h, c) = self.lstm(packed)
        padded, out_lengths = rnn_utils.pad_packed_sequence(out, batch_first=self.batch_first)
        assert out_lengths.tolist() == list(lengths)
        return padded, h, c, out.data


class _PadSequence(nn.Module):
    """pad_sequence of variable-length sequences -> LSTM; also pack_sequence -> GRU."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 2, batch_first=True)
        self.gru = nn.GRU(3, 2)

    def forward(self, a, b, c):
        padded = rnn_utils.pad_sequence([a, b, c], batch_first=True, padding_value=0.5)
        out, _ = self.lstm(padded)
        packed = rnn_utils.pack_sequence([a, b, c], enforce_sorted=False)
        gout, h = self.gru(packed)
        unpacked = rnn_utils.unpack_sequence(gout)
        return (padded, out, h) + tuple(unpacked)


def _clip_norm(max_norm, norm_type=2.0):
    def after(module):
        total = nn.utils.clip_grad_norm_(module.parameters(), max_norm, norm_type=norm_type)
        return [total]
    return after


def _clip_value(value):
    def after(module):
        nn.utils.clip_grad_value_(module.parameters(), value)
        return []
    return after


def _params_to_vector(module):
    v = nn.utils.parameters_to_vector(module.parameters())
    nn.utils.vector_to_parameters(v * 0.5, module.parameters())
    return [v]


_N = nn.Sequential  # (short)

MODULE_CASES = {
    # -- linear --------------------------------------------------------------------------------
    "Linear": Case(lambda: nn.Linear(4, 3), (_x(2, 4),)),
    "Linear-3d-input": Case(lambda: nn.Linear(4, 3), (_x(2, 5, 4),)),
    "Linear-no-bias": Case(lambda: nn.Linear(4, 3, bias=False), (_x(2, 4),)),
    "Bilinear": Case(lambda: nn.Bilinear(3, 4, 2), (_x(5, 3), _x(5, 4))),
    "Linear-float64": Case(lambda: nn.Linear(4, 3).double(), (_x64(2, 4),)),
    "Conv2d-float64": Case(lambda: nn.Conv2d(2, 2, 3, padding=1).to(ember.float64),
                           (_x64(1, 2, 4, 4),)),
    "Identity": Case(lambda: nn.Identity(), (_x(2, 3),)),
    "Flatten": Case(lambda: nn.Flatten(), (_x(2, 3, 2, 2),)),
    "Unflatten": Case(lambda: nn.Unflatten(1, (2, 3)), (_x(2, 6),)),
    "Sequential-MLP": Case(lambda: _N(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.0),
                                      nn.Linear(8, 3)), (_x(5, 4),)),
    "ModuleList": Case(lambda: nn.ModuleList([nn.Linear(3, 3), nn.Tanh()]), (_x(2, 3),),
                       call=lambda m, x: m[1](m[0](x))),

    # -- convolutions --------------------------------------------------------------------------
    "Conv1d": Case(lambda: nn.Conv1d(2, 4, 3), (_x(2, 2, 7),)),
    "Conv1d-stride-pad-dilation": Case(lambda: nn.Conv1d(2, 4, 3, stride=2, padding=2,
                                                         dilation=2), (_x(2, 2, 9),)),
    "Conv1d-groups": Case(lambda: nn.Conv1d(4, 6, 3, groups=2, bias=False), (_x(2, 4, 6),)),
    "Conv1d-same": Case(lambda: nn.Conv1d(2, 3, 4, padding="same"), (_x(2, 2, 7),)),
    "Conv1d-reflect": Case(lambda: nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect"),
                           (_x(2, 2, 6),)),
    "Conv1d-circular": Case(lambda: nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular"),
                            (_x(2, 2, 6),)),
    "Conv1d-unbatched": Case(lambda: nn.Conv1d(2, 3, 3), (_x(2, 6),)),
    "Conv2d": Case(lambda: nn.Conv2d(2, 3, 3), (_x(2, 2, 5, 5),)),
    "Conv2d-stride-pad": Case(lambda: nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2)),
                              (_x(2, 2, 6, 5),)),
    "Conv2d-dilation": Case(lambda: nn.Conv2d(2, 2, 3, dilation=2, padding=1), (_x(1, 2, 7, 7),)),
    "Conv2d-groups-depthwise": Case(lambda: nn.Conv2d(4, 8, 3, groups=4, padding=1),
                                    (_x(2, 4, 5, 5),)),
    "Conv2d-same": Case(lambda: nn.Conv2d(2, 3, (3, 4), padding="same"), (_x(1, 2, 5, 6),)),
    "Conv2d-valid": Case(lambda: nn.Conv2d(2, 3, 2, padding="valid", bias=False),
                         (_x(1, 2, 4, 4),)),
    "Conv2d-reflect": Case(lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
                           (_x(2, 2, 5, 5),)),
    "Conv2d-replicate": Case(lambda: nn.Conv2d(2, 3, 3, padding=(1, 2),
                                               padding_mode="replicate"), (_x(2, 2, 5, 5),)),
    "Conv2d-circular": Case(lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"),
                            (_x(2, 2, 5, 4),)),
    "Conv2d-unbatched": Case(lambda: nn.Conv2d(2, 3, 3, padding=1), (_x(2, 4, 4),)),
    "Conv3d": Case(lambda: nn.Conv3d(2, 3, 2, stride=(1, 2, 1), padding=1),
                   (_x(1, 2, 3, 4, 4),)),
    "Conv3d-groups-reflect": Case(lambda: nn.Conv3d(2, 4, 3, groups=2, padding=1,
                                                    padding_mode="reflect"),
                                  (_x(1, 2, 3, 3, 3),)),
    "ConvTranspose1d": Case(lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1,
                                                       output_padding=1), (_x(2, 2, 5),)),
    "ConvTranspose1d-groups-dilation": Case(lambda: nn.ConvTranspose1d(4, 2, 3, groups=2,
                                                                       dilation=2),
                                            (_x(2, 4, 4),)),
    "ConvTranspose2d": Case(lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1),
                            (_x(2, 3, 4, 4),)),
    "ConvTranspose2d-output_size": Case(lambda: nn.ConvTranspose2d(2, 2, 3, stride=2,
                                                                   padding=1, bias=False),
                                        (_x(1, 2, 3, 3),),
                                        call=lambda m, x: m(x, output_size=[6, 6])),
    "ConvTranspose2d-groups": Case(lambda: nn.ConvTranspose2d(4, 4, (2, 3), stride=(2, 1),
                                                              groups=2, output_padding=(1, 0)),
                                   (_x(1, 4, 3, 3),)),
    "ConvTranspose3d": Case(lambda: nn.ConvTranspose3d(2, 2, 2, stride=2), (_x(1, 2, 2, 2, 2),)),

    # -- pooling -------------------------------------------------------------------------------
    "MaxPool1d": Case(lambda: nn.MaxPool1d(3, stride=2), (_x(2, 3, 9),)),
    "MaxPool1d-indices-pad-ceil": Case(lambda: nn.MaxPool1d(3, stride=2, padding=1,
                                                            return_indices=True, ceil_mode=True),
                                       (_x(2, 3, 8),)),
    "MaxPool1d-dilation": Case(lambda: nn.MaxPool1d(2, dilation=2), (_x(2, 2, 9),)),
    "MaxPool2d": Case(lambda: nn.MaxPool2d(2), (_x(2, 3, 6, 6),)),
    "MaxPool2d-indices": Case(lambda: nn.MaxPool2d(3, stride=2, padding=1, return_indices=True),
                              (_x(2, 2, 7, 6),)),
    "MaxPool2d-ceil-dilation": Case(lambda: nn.MaxPool2d(2, stride=2, dilation=(1, 2),
                                                         ceil_mode=True), (_x(1, 2, 7, 9),)),
    "MaxPool2d-unbatched": Case(lambda: nn.MaxPool2d(2), (_x(2, 4, 4),)),
    "AvgPool1d": Case(lambda: nn.AvgPool1d(3, stride=2), (_x(2, 3, 9),)),
    "AvgPool1d-pad-exclude": Case(lambda: nn.AvgPool1d(3, stride=2, padding=1,
                                                       count_include_pad=False), (_x(2, 3, 8),)),
    "AvgPool1d-ceil": Case(lambda: nn.AvgPool1d(2, ceil_mode=True), (_x(2, 2, 7),)),
    "AvgPool2d": Case(lambda: nn.AvgPool2d(2), (_x(2, 3, 6, 6),)),
    "AvgPool2d-pad-exclude": Case(lambda: nn.AvgPool2d(3, stride=2, padding=1,
                                                       count_include_pad=False),
                                  (_x(2, 2, 7, 6),)),
    "AvgPool2d-ceil": Case(lambda: nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True),
                           (_x(1, 2, 7, 7),)),
    "AvgPool2d-divisor_override": Case(lambda: nn.AvgPool2d(2, divisor_override=3),
                                       (_x(2, 2, 4, 4),)),
    # (LazyLinear / LazyConv* draw their weights at the first forward, from each device's own
    # generator, so the two runs differ by design; tests/test_nn_unpool_bag_lazy.py checks
    # them against PyTorch)
    "LazyBatchNorm1d": Case(lambda: nn.LazyBatchNorm1d(), (_x(4, 3),)),
    "LazyInstanceNorm2d": Case(lambda: nn.LazyInstanceNorm2d(affine=True), (_x(2, 3, 4, 4),)),
    "MaxUnpool1d": Case(lambda: nn.MaxUnpool1d(3, stride=2, padding=1), (_x(2, 3, 9),),
                        call=lambda m, x: m(*F.max_pool1d(x, 3, 2, 1, return_indices=True))),
    "MaxUnpool2d-output_size": Case(
        lambda: nn.MaxUnpool2d(2), (_x(2, 2, 5, 5),),
        call=lambda m, x: m(*F.max_pool2d(x, 2, return_indices=True), output_size=x.size())),
    "MaxUnpool3d": Case(lambda: nn.MaxUnpool3d(2), (_x(1, 2, 4, 4, 4),),
                        call=lambda m, x: m(*F.max_pool3d(x, 2, return_indices=True))),
    "MaxPool3d": Case(lambda: nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True,
                                           return_indices=True), (_x(2, 2, 5, 4, 6),)),
    "AvgPool3d": Case(lambda: nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False),
                      (_x(2, 2, 5, 4, 6),)),
    "AdaptiveAvgPool3d": Case(lambda: nn.AdaptiveAvgPool3d((2, 3, 2)), (_x(2, 2, 5, 4, 6),)),
    "AdaptiveMaxPool3d": Case(lambda: nn.AdaptiveMaxPool3d((2, 3, 2), return_indices=True),
                              (_x(2, 2, 5, 4, 6),)),
    "AdaptiveAvgPool1d": Case(lambda: nn.AdaptiveAvgPool1d(3), (_x(2, 3, 7),)),
    "AdaptiveAvgPool2d": Case(lambda: nn.AdaptiveAvgPool2d((3, 2)), (_x(2, 2, 7, 5),)),
    "AdaptiveAvgPool2d-global": Case(lambda: nn.AdaptiveAvgPool2d(1), (_x(2, 3, 4, 4),)),
    "AdaptiveAvgPool2d-None": Case(lambda: nn.AdaptiveAvgPool2d((None, 2)), (_x(1, 2, 3, 5),)),
    "AdaptiveMaxPool1d": Case(lambda: nn.AdaptiveMaxPool1d(3, return_indices=True),
                              (_x(2, 3, 7),)),
    "AdaptiveMaxPool2d": Case(lambda: nn.AdaptiveMaxPool2d((2, 3)), (_x(2, 2, 5, 7),)),
    "AdaptiveMaxPool2d-indices": Case(lambda: nn.AdaptiveMaxPool2d(2, return_indices=True),
                                      (_x(2, 2, 5, 5),)),

    # -- padding and resampling ----------------------------------------------------------------
    "ZeroPad2d": Case(lambda: nn.ZeroPad2d((1, 2, 0, 1)), (_x(2, 2, 3, 4),)),
    "ConstantPad1d": Case(lambda: nn.ConstantPad1d((2, -1), 0.5), (_x(2, 3, 4),)),
    "ConstantPad3d": Case(lambda: nn.ConstantPad3d(1, -1.0), (_x(1, 2, 2, 3, 2),)),
    "ReflectionPad1d": Case(lambda: nn.ReflectionPad1d((2, 1)), (_x(2, 3, 4),)),
    "ReflectionPad2d": Case(lambda: nn.ReflectionPad2d(2), (_x(2, 2, 3, 4),)),
    "ReflectionPad3d": Case(lambda: nn.ReflectionPad3d(1), (_x(1, 2, 2, 3, 3),)),
    "ReplicationPad1d": Case(lambda: nn.ReplicationPad1d(3), (_x(3, 4),)),
    "ReplicationPad2d": Case(lambda: nn.ReplicationPad2d((1, 0, 2, 1)), (_x(2, 2, 3, 4),)),
    "ReplicationPad3d": Case(lambda: nn.ReplicationPad3d(1), (_x(1, 2, 2, 3, 3),)),
    "CircularPad2d": Case(lambda: nn.CircularPad2d((1, 2, 2, 0)), (_x(2, 2, 3, 4),)),
    "Upsample-nearest": Case(lambda: nn.Upsample(scale_factor=1.5), (_x(2, 2, 3, 4),)),
    "Upsample-nearest-exact": Case(lambda: nn.Upsample(size=5, mode="nearest-exact"),
                                   (_x(2, 3, 4),)),
    "Upsample-linear": Case(lambda: nn.Upsample(size=7, mode="linear"), (_x(2, 3, 4),)),
    "Upsample-bilinear": Case(lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
                              (_x(2, 9, 3, 4),)),
    "UpsamplingBilinear2d": Case(lambda: nn.UpsamplingBilinear2d(size=(5, 3)),
                                 (_x(1, 2, 3, 4),)),
    "Upsample-trilinear": Case(lambda: nn.Upsample(scale_factor=2, mode="trilinear"),
                               (_x(1, 2, 2, 2, 3),)),
    "PixelShuffle": Case(lambda: nn.PixelShuffle(2), (_x(2, 8, 2, 3),)),
    "PixelUnshuffle": Case(lambda: nn.PixelUnshuffle(2), (_x(2, 2, 4, 2),)),
    "ChannelShuffle": Case(lambda: nn.ChannelShuffle(3), (_x(2, 6, 2),)),
    "Unfold": Case(lambda: nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
                   (_x(2, 3, 5, 6),)),
    "Fold": Case(lambda: nn.Fold((5, 6), 2, padding=(1, 0), stride=(1, 2)), (_x(2, 8, 18),)),
    "LPPool2d": Case(lambda: nn.LPPool2d(2, 2), (_x(2, 3, 4, 4),)),
    "LPPool1d": Case(lambda: nn.LPPool1d(3.0, 2, 1), (_x(2, 3, 5),)),
    "FractionalMaxPool2d": Case(lambda: nn.FractionalMaxPool2d(
        2, output_size=(3, 4), return_indices=True, _random_samples=ember.rand(2, 3, 2)),
        (_x(2, 3, 6, 7),)),
    "FractionalMaxPool3d": Case(lambda: nn.FractionalMaxPool3d(
        2, output_ratio=0.5, _random_samples=ember.rand(1, 2, 3)), (_x(1, 2, 6, 5, 7),)),
    "AdaptiveLogSoftmaxWithLoss": Case(
        lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0, head_bias=True),
        (_x(6, 8), _idx(12, 6)), call=lambda m, x, t: tuple(m(x, t)) + (m.log_prob(x),)),

    # -- normalisation -------------------------------------------------------------------------
    "BatchNorm1d-train": Case(lambda: nn.BatchNorm1d(3), (_x(4, 3),)),
    "BatchNorm1d-train-3d": Case(lambda: nn.BatchNorm1d(3, momentum=None), (_x(4, 3, 5),)),
    "BatchNorm1d-eval": Case(lambda: nn.BatchNorm1d(3), (_x(4, 3),), train=False),
    "BatchNorm1d-no-affine": Case(lambda: nn.BatchNorm1d(3, affine=False), (_x(4, 3),)),
    "SyncBatchNorm-train": Case(lambda: nn.SyncBatchNorm(3), (_x(2, 3, 2, 2),)),
    "SyncBatchNorm-eval": Case(lambda: nn.SyncBatchNorm(3), (_x(4, 3),), train=False),
    "BatchNorm1d-no-running-stats": Case(lambda: nn.BatchNorm1d(3, track_running_stats=False),
                                         (_x(4, 3),), train=False),
    "BatchNorm2d-train": Case(lambda: nn.BatchNorm2d(3), (_x(2, 3, 4, 4),)),
    "BatchNorm2d-eval": Case(lambda: nn.BatchNorm2d(3), (_x(2, 3, 4, 4),), train=False),
    "BatchNorm3d-train": Case(lambda: nn.BatchNorm3d(2, momentum=0.3), (_x(2, 2, 2, 3, 3),)),
    "F.batch_norm-no-running-stats": Case(
        lambda: _Fn(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
        (_x(4, 3, 2), _pos(3), _x(3))),
    "F.batch_norm-eval-stats": Case(
        lambda: _Fn(lambda x, m, v: F.batch_norm(x, m, v, training=False, eps=1e-3)),
        (_x(4, 3), _x(3), _pos(3)), grad=(0,)),
    "F.affine_grid-grid_sample": Case(lambda: _Fn(lambda x, t: F.grid_sample(
        x, F.affine_grid(t, (2, 3, 4, 5), align_corners=False), align_corners=False)),
        (_x(2, 3, 5, 6), _x(2, 2, 3))),
    "F.grid_sample-nearest-reflection": Case(lambda: _Fn(lambda x, g: F.grid_sample(
        x, g, mode="nearest", padding_mode="reflection", align_corners=True)),
        (_x(2, 3, 4, 5), _x(2, 3, 4, 2))),
    "F.layer_norm": Case(lambda: _Fn(lambda x, w, b: F.layer_norm(x, (4,), w, b)),
                         (_x(2, 3, 4), _x(4), _x(4))),
    "F.group_norm": Case(lambda: _Fn(lambda x, w, b: F.group_norm(x, 3, w, b)),
                         (_x(2, 6, 2), _x(6), _x(6))),
    "LayerNorm": Case(lambda: nn.LayerNorm(5), (_x(3, 5),)),
    "LayerNorm-2d-shape": Case(lambda: nn.LayerNorm((3, 4), eps=1e-3), (_x(2, 3, 4),)),
    "LayerNorm-no-affine": Case(lambda: nn.LayerNorm(4, elementwise_affine=False),
                                (_x(2, 3, 4),)),
    "GroupNorm": Case(lambda: nn.GroupNorm(2, 4), (_x(2, 4, 3, 3),)),
    "GroupNorm-instance": Case(lambda: nn.GroupNorm(4, 4), (_x(2, 4, 5),)),
    "GroupNorm-no-affine": Case(lambda: nn.GroupNorm(1, 4, affine=False), (_x(2, 4, 3),)),

    # -- dropout -------------------------------------------------------------------------------
    "Dropout-p0": Case(lambda: nn.Dropout(0.0), (_x(3, 4),)),
    "Dropout-eval": Case(lambda: nn.Dropout(0.7), (_x(3, 4),), train=False),
    "Dropout1d-p0": Case(lambda: nn.Dropout1d(0.0), (_x(2, 3, 4),)),
    "Dropout1d-eval": Case(lambda: nn.Dropout1d(0.5), (_x(2, 3, 4),), train=False),
    "Dropout2d-p0": Case(lambda: nn.Dropout2d(0.0), (_x(2, 3, 4, 4),)),
    "Dropout2d-eval": Case(lambda: nn.Dropout2d(0.5), (_x(2, 3, 4, 4),), train=False),
    "Dropout-p1": Case(lambda: nn.Dropout(1.0), (_x(3, 4),)),
    "F.dropout-p1": Case(lambda: _Fn(lambda x: F.dropout(x, 1.0)), (_x(3, 4),)),

    # -- more activations, alpha dropout, distances, instance / RMS / LRN norms -------------
    "SELU": Case(lambda: nn.SELU(), (_x(3, 4),)),
    "CELU": Case(lambda: nn.CELU(0.6), (_x(3, 4),)),
    "Mish": Case(lambda: nn.Mish(), (_x(3, 4),)),
    "Hardswish": Case(lambda: nn.Hardswish(), (_x(3, 4),)),
    "Hardsigmoid": Case(lambda: nn.Hardsigmoid(), (_x(3, 4),)),
    "Softsign": Case(lambda: nn.Softsign(), (_x(3, 4),)),
    "Tanhshrink": Case(lambda: nn.Tanhshrink(), (_x(3, 4),)),
    "Softshrink": Case(lambda: nn.Softshrink(0.3), (_x(3, 7),)),
    "GLU": Case(lambda: nn.GLU(1), (_x(2, 4, 3),)),
    "RReLU-eval": Case(lambda: nn.RReLU(), (_x(3, 4),), train=False),
    "Softmax2d": Case(lambda: nn.Softmax2d(), (_x(2, 3, 2, 2),)),
    "AlphaDropout-eval": Case(lambda: nn.AlphaDropout(0.5), (_x(3, 4),), train=False),
    "FeatureAlphaDropout-p0": Case(lambda: nn.FeatureAlphaDropout(0.0), (_x(2, 3, 4),)),
    "Dropout3d-eval": Case(lambda: nn.Dropout3d(0.5), (_x(2, 3, 2, 2, 2),), train=False),
    "CosineSimilarity": Case(lambda: nn.CosineSimilarity(), (_x(3, 5), _x(3, 5))),
    "PairwiseDistance": Case(lambda: nn.PairwiseDistance(1.5), (_x(3, 5), _x(3, 5))),
    "F.normalize": Case(lambda: _Fn(lambda x: F.normalize(x, dim=-1)), (_x(3, 4),)),
    "InstanceNorm1d": Case(lambda: nn.InstanceNorm1d(3), (_x(2, 3, 5),)),
    "InstanceNorm2d-affine-stats": Case(lambda: nn.InstanceNorm2d(3, affine=True,
                                                                  track_running_stats=True),
                                        (_x(2, 3, 3, 3),)),
    "InstanceNorm2d-eval-stats": Case(lambda: nn.InstanceNorm2d(3, track_running_stats=True),
                                      (_x(3, 3, 3),), train=False),
    "InstanceNorm3d": Case(lambda: nn.InstanceNorm3d(2), (_x(2, 2, 2, 2, 3),)),
    "LocalResponseNorm": Case(lambda: nn.LocalResponseNorm(3), (_x(2, 4, 5),)),
    "LocalResponseNorm-4d": Case(lambda: nn.LocalResponseNorm(2), (_x(2, 4, 3, 3),)),
    "RMSNorm": Case(lambda: nn.RMSNorm(4), (_x(3, 4),)),
    "RMSNorm-2d-eps": Case(lambda: nn.RMSNorm((2, 3), eps=1e-3), (_x(2, 2, 3),)),

    # -- embeddings ----------------------------------------------------------------------------
    "Embedding": Case(lambda: nn.Embedding(10, 3), (_idx(10, 2, 5),)),
    "Embedding-padding_idx": Case(lambda: nn.Embedding(6, 3, padding_idx=0),
                                  (_const(lambda: ember.tensor([[0, 2, 0], [5, 2, 1]])),)),
    "Embedding-negative-padding_idx": Case(lambda: nn.Embedding(6, 3, padding_idx=-1),
                                           (_const(lambda: ember.tensor([5, 2, 5, 1])),)),
    "Embedding-max_norm": Case(lambda: nn.Embedding(6, 4, max_norm=1.0),
                               (_const(lambda: ember.tensor([[1, 2, 1], [4, 5, 0]])),)),
    "Embedding-max_norm-p1": Case(lambda: nn.Embedding(5, 3, max_norm=0.5, norm_type=1.0),
                                  (_idx(5, 7),)),
    "Embedding-scale_grad_by_freq": Case(lambda: nn.Embedding(5, 3, scale_grad_by_freq=True),
                                         (_const(lambda: ember.tensor([1, 1, 3, 1, 4])),)),
    "Embedding-from_pretrained": Case(
        lambda: nn.Embedding.from_pretrained(ember.arange(12.0).reshape(4, 3), freeze=False),
        (_idx(4, 3),)),
    "EmbeddingBag-sum-offsets": Case(lambda: nn.EmbeddingBag(10, 3, mode="sum"),
                                     (_const(lambda: ember.tensor([1, 2, 4, 5, 4, 3, 1])),
                                      _const(lambda: ember.tensor([0, 2, 2, 5])))),
    "EmbeddingBag-mean-2d-padding": Case(lambda: nn.EmbeddingBag(6, 3, padding_idx=0),
                                         (_const(lambda: ember.tensor([[0, 2, 2], [5, 0, 1]])),)),
    "EmbeddingBag-max": Case(lambda: nn.EmbeddingBag(6, 4, mode="max"), (_idx(6, 3, 4),)),
    "EmbeddingBag-per_sample_weights": Case(
        lambda: nn.EmbeddingBag(6, 3, mode="sum", include_last_offset=True),
        (_const(lambda: ember.tensor([1, 2, 4, 5, 4])), _const(lambda: ember.tensor([0, 2, 5])),
         _x(5))),
    "F.one_hot": Case(lambda: _Fn(lambda i: F.one_hot(i, 5)), (_idx(5, 2, 3),)),
    "F.one_hot-inferred": Case(lambda: _Fn(lambda i: F.one_hot(i)), (_idx(4, 6),)),

    # -- attention -----------------------------------------------------------------------------
    "F.scaled_dot_product_attention-causal": Case(
        lambda: _Fn(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)),
        (_x(2, 2, 3, 4), _x(2, 2, 5, 4), _x(2, 2, 5, 6))),
    "F.scaled_dot_product_attention-bool-mask": Case(
        lambda: _Fn(lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, attn_mask=ember.tensor([[True, False, True], [False, False, False]],
                                            device=q.device))),
        (_x(2, 4), _x(3, 4), _x(3, 4))),
    "MultiheadAttention": Case(lambda: nn.MultiheadAttention(4, 2), (_x(3, 2, 4), _x(5, 2, 4),
                                                                     _x(5, 2, 4))),
    "MultiheadAttention-kdim-bias_kv-batch_first": Case(
        lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True,
                                      add_zero_attn=True, batch_first=True),
        (_x(2, 3, 4), _x(2, 5, 3), _x(2, 5, 5))),
    "TransformerEncoderLayer": Case(lambda: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0),
                                    (_x(3, 2, 4),)),
    "Transformer": Case(lambda: nn.Transformer(4, 2, 1, 1, 8, dropout=0.0),
                        (_x(3, 2, 4), _x(2, 2, 4))),

    # -- recurrent -----------------------------------------------------------------------------
    "RNN": Case(lambda: nn.RNN(3, 4), (_x(5, 2, 3),)),
    "RNN-relu-2layers-bidir": Case(lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu",
                                                  bidirectional=True), (_x(4, 2, 3),)),
    "RNN-batch_first-h0": Case(lambda: nn.RNN(3, 4, batch_first=True), (_x(2, 5, 3), _x(1, 2, 4))),
    "RNN-unbatched": Case(lambda: nn.RNN(3, 4, num_layers=2), (_x(5, 3),)),
    "LSTM": Case(lambda: nn.LSTM(3, 4), (_x(5, 2, 3),)),
    "LSTM-2layers-bidir-batch_first": Case(lambda: nn.LSTM(3, 4, num_layers=2,
                                                           bidirectional=True, batch_first=True),
                                           (_x(2, 5, 3),)),
    "LSTM-h0-c0": Case(lambda: nn.LSTM(3, 4, num_layers=2), (_x(4, 2, 3), _x(2, 2, 4),
                                                                _x(2, 2, 4)),
                       call=lambda m, x, h, c: m(x, (h, c))),
    "LSTM-proj_size": Case(lambda: nn.LSTM(3, 4, proj_size=2, bidirectional=True),
                           (_x(4, 2, 3),)),
    "LSTM-no-bias": Case(lambda: nn.LSTM(3, 2, bias=False), (_x(3, 2, 3),)),
    "GRU": Case(lambda: nn.GRU(3, 4), (_x(5, 2, 3),)),
    "GRU-2layers-bidir-batch_first": Case(lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True,
                                                         batch_first=True), (_x(2, 4, 3),)),
    "GRU-eval": Case(lambda: nn.GRU(3, 4, num_layers=2, dropout=0.5), (_x(4, 2, 3),),
                     train=False),
    "RNNCell": Case(lambda: nn.RNNCell(3, 4), (_x(2, 3), _x(2, 4))),
    "RNNCell-relu-no-hx": Case(lambda: nn.RNNCell(3, 4, nonlinearity="relu"), (_x(2, 3),)),
    "LSTMCell": Case(lambda: nn.LSTMCell(3, 4), (_x(2, 3), _x(2, 4), _x(2, 4)),
                     call=lambda m, x, h, c: m(x, (h, c))),
    "LSTMCell-no-hx": Case(lambda: nn.LSTMCell(3, 4), (_x(2, 3),)),
    "GRUCell": Case(lambda: nn.GRUCell(3, 4), (_x(2, 3), _x(2, 4))),
    "GRUCell-unbatched-no-hx": Case(lambda: nn.GRUCell(3, 4), (_x(3,),)),
    "pack_padded-LSTM": Case(lambda: _Packed(batch_first=False, enforce_sorted=True),
                             (_x(4, 3, 3), _const([4, 3, 1]))),
    "pack_padded-LSTM-unsorted-batch_first": Case(
        lambda: _Packed(batch_first=True, enforce_sorted=False, bidirectional=True),
        (_x(3, 4, 3), _const([2, 4, 1]))),
    "pack_padded-LSTM-tensor-lengths": Case(
        lambda: _Packed(batch_first=True, enforce_sorted=False),
        (_x(3, 4, 3), _const(lambda: ember.tensor([3, 1, 4])))),
    "pad_sequence-pack_sequence": Case(lambda: _PadSequence(), (_x(3, 3), _x(5, 3), _x(2, 3))),

    # -- activations ---------------------------------------------------------------------------
    "ReLU": Case(lambda: nn.ReLU(), (_x(3, 4),)),
    "ReLU6": Case(lambda: nn.ReLU6(), (lambda r: ember.tensor(r.uniform(-8, 8, (3, 4)),
                                                              dtype=ember.float32),)),
    "LeakyReLU": Case(lambda: nn.LeakyReLU(0.2), (_x(3, 4),)),
    "ELU": Case(lambda: nn.ELU(alpha=0.7), (_x(3, 4),)),
    "GELU": Case(lambda: nn.GELU(), (_x(3, 4),)),
    "GELU-tanh": Case(lambda: nn.GELU(approximate="tanh"), (_x(3, 4),)),
    "Sigmoid": Case(lambda: nn.Sigmoid(), (_x(3, 4),)),
    "Tanh": Case(lambda: nn.Tanh(), (_x(3, 4),)),
    "SiLU": Case(lambda: nn.SiLU(), (_x(3, 4),)),
    "Softplus": Case(lambda: nn.Softplus(beta=2.0, threshold=1.0), (_x(3, 4),)),
    "Hardtanh": Case(lambda: nn.Hardtanh(-0.5, 0.8), (_x(3, 4),)),
    "Hardshrink": Case(lambda: nn.Hardshrink(0.3), (_x(3, 4),)),
    "Threshold": Case(lambda: nn.Threshold(0.1, -2.0), (_x(3, 4),)),
    "LogSigmoid": Case(lambda: nn.LogSigmoid(), (_x(3, 4),)),
    "PReLU": Case(lambda: nn.PReLU(), (_x(2, 3, 4),)),
    "PReLU-channels": Case(lambda: nn.PReLU(3, init=0.1), (_x(2, 3, 4),)),
    "Softmax": Case(lambda: nn.Softmax(dim=1), (_x(3, 4),)),
    "Softmax-dim0": Case(lambda: nn.Softmax(dim=0), (_x(3, 4, 2),)),
    "Softmin": Case(lambda: nn.Softmin(dim=-1), (_x(3, 4),)),
    "F.softmax-dtype": Case(lambda: _Fn(lambda x: F.softmax(x, 1, dtype=ember.float64)),
                            (_x(3, 4),)),
    "F.log_softmax-dtype": Case(lambda: _Fn(lambda x: F.log_softmax(x, 0, dtype=ember.float64)),
                                (_x(3, 4),)),
    "F.prelu": Case(lambda: _Fn(F.prelu), (_x(2, 3, 4), _pos(3))),
    "F.gelu-tanh": Case(lambda: _Fn(lambda x: F.gelu(x, approximate="tanh")), (_x(3, 4),)),
    "LogSoftmax": Case(lambda: nn.LogSoftmax(dim=1), (_x(3, 4),)),
    "ReLU-inplace": Case(lambda: _N(nn.Linear(3, 3), nn.ReLU(inplace=True)), (_x(2, 3),)),
    "LeakyReLU-inplace": Case(lambda: _N(nn.Linear(3, 3), nn.LeakyReLU(inplace=True)),
                              (_x(2, 3),)),
    "ELU-inplace": Case(lambda: _N(nn.Linear(3, 3), nn.ELU(inplace=True)), (_x(2, 3),)),
    "Hardtanh-inplace": Case(lambda: _N(nn.Linear(3, 3), nn.Hardtanh(inplace=True)),
                             (_x(2, 3),)),
    "SiLU-inplace": Case(lambda: _N(nn.Linear(3, 3), nn.SiLU(inplace=True)), (_x(2, 3),)),
    "Threshold-inplace": Case(lambda: _N(nn.Linear(3, 3), nn.Threshold(0.0, 0.5, inplace=True)),
                              (_x(2, 3),)),

    # -- losses --------------------------------------------------------------------------------
    "MSELoss": Case(lambda: nn.MSELoss(), (_x(3, 4), _x(3, 4))),
    "MSELoss-sum": Case(lambda: nn.MSELoss(reduction="sum"), (_x(3, 4), _x(3, 4))),
    "MSELoss-none": Case(lambda: nn.MSELoss(reduction="none"), (_x(3, 4), _x(3, 4))),
    "MSELoss-broadcast": Case(lambda: nn.MSELoss(), (_x(3, 4), _x(4,))),
    "L1Loss": Case(lambda: nn.L1Loss(), (_x(3, 4), _x(3, 4))),
    "L1Loss-none": Case(lambda: nn.L1Loss(reduction="none"), (_x(3, 4), _x(3, 4))),
    "SmoothL1Loss": Case(lambda: nn.SmoothL1Loss(beta=0.5), (_x(3, 4), _x(3, 4))),
    "SmoothL1Loss-beta0": Case(lambda: nn.SmoothL1Loss(beta=0.0), (_x(3, 4), _x(3, 4))),
    "HuberLoss": Case(lambda: nn.HuberLoss(delta=0.7), (_x(3, 4), _x(3, 4))),
    "HuberLoss-sum": Case(lambda: nn.HuberLoss(reduction="sum"), (_x(3, 4), _x(3, 4))),
    "F.mse_loss-weight": Case(lambda: _Fn(lambda a, b, w: F.mse_loss(a, b, weight=w)),
                              (_x(3, 4), _x(3, 4), _pos(3, 4))),
    "F.l1_loss-weight": Case(lambda: _Fn(lambda a, b, w: F.l1_loss(a, b, weight=w)),
                             (_x(3, 4), _x(3, 4), _pos(3, 4))),
    "F.huber_loss-weight": Case(lambda: _Fn(lambda a, b, w: F.huber_loss(a, b, weight=w)),
                                (_x(3, 4), _x(3, 4), _pos(3, 4))),
    "MarginRankingLoss": Case(lambda: nn.MarginRankingLoss(margin=0.2), (_x(5), _x(5), _x(5))),
    "HingeEmbeddingLoss": Case(lambda: nn.HingeEmbeddingLoss(),
                               (_x(3, 4), _const(lambda: ember.tensor([1.0, -1.0, -1.0, 1.0])))),
    "CosineEmbeddingLoss": Case(lambda: nn.CosineEmbeddingLoss(margin=0.1),
                                (_x(3, 4), _x(3, 4), _const(lambda: ember.tensor([1.0, -1.0, 1.0])))),
    "CTCLoss": Case(lambda: nn.CTCLoss(blank=0),
                    (_x(6, 2, 4), _const(lambda: ember.tensor([[1, 2, 2], [3, 1, 0]])),
                     _const([6, 4]), _const([3, 2]))),
    "CTCLoss-concat-none": Case(lambda: nn.CTCLoss(blank=3, reduction="none",
                                                   zero_infinity=True),
                                (_x64(5, 3, 4), _const(lambda: ember.tensor([1, 2, 2, 0, 1])),
                                 _const(lambda: ember.tensor([5, 1, 4])),
                                 _const(lambda: ember.tensor([3, 2, 0])))),
    "F.pdist": Case(lambda: _Fn(lambda x: (F.pdist(x), F.pdist(x, 1.5), F.pdist(x, 0.0),
                                           F.pdist(x, float("inf")))), (_x(5, 11),)),
    "SoftMarginLoss": Case(lambda: _Fn(lambda x, t: nn.SoftMarginLoss()(x, t.detach().sign())),
                           (_x(3, 4), _x(3, 4))),
    "MultiLabelSoftMarginLoss": Case(lambda: nn.MultiLabelSoftMarginLoss(), (_x(3, 4), _pos(3, 4))),
    "MultiMarginLoss": Case(lambda: nn.MultiMarginLoss(p=2, weight=ember.tensor([1.0, 2.0, 0.5, 1.5])),
                            (_x(3, 4), _idx(4, 3))),
    "MultiMarginLoss-none": Case(lambda: nn.MultiMarginLoss(reduction="none"),
                                 (_x(3, 4), _idx(4, 3))),
    "MultiLabelMarginLoss": Case(lambda: nn.MultiLabelMarginLoss(),
                                 (_x(2, 4), _const(lambda: ember.tensor([[3, 0, -1, 1], [1, 2, 0, 3]])))),
    "TripletMarginLoss": Case(lambda: nn.TripletMarginLoss(swap=True), (_x(3, 4), _x(3, 4), _x(3, 4))),
    "TripletMarginWithDistanceLoss": Case(lambda: nn.TripletMarginWithDistanceLoss(),
                                          (_x(3, 4), _x(3, 4), _x(3, 4))),
    "PoissonNLLLoss-full": Case(lambda: nn.PoissonNLLLoss(log_input=False, full=True),
                                (_pos(3, 4), _pos(3, 4))),
    "GaussianNLLLoss": Case(lambda: nn.GaussianNLLLoss(), (_x(3, 4), _x(3, 4), _pos(3))),
    "BCELoss": Case(lambda: nn.BCELoss(), (_pos(3, 4), _pos(3, 4))),
    "BCELoss-weight": Case(lambda: nn.BCELoss(weight=ember.tensor([1.0, 2.0, 0.5, 1.5]),
                                              reduction="sum"), (_pos(3, 4), _pos(3, 4))),
    "BCELoss-none": Case(lambda: nn.BCELoss(reduction="none"),
                         (_pos(3, 4), _const(lambda: ember.tensor([[0.0, 1.0, 1.0, 0.0]] * 3)))),
    "BCEWithLogitsLoss": Case(lambda: nn.BCEWithLogitsLoss(), (_x(3, 4), _pos(3, 4))),
    "BCEWithLogitsLoss-pos_weight": Case(
        lambda: nn.BCEWithLogitsLoss(pos_weight=ember.tensor([1.0, 2.0, 3.0, 0.5])),
        (_x(3, 4), _pos(3, 4))),
    "BCEWithLogitsLoss-weight-pos_weight-none": Case(
        lambda: nn.BCEWithLogitsLoss(weight=ember.tensor([0.5, 1.0, 2.0, 1.0]),
                                     pos_weight=ember.tensor([3.0]), reduction="none"),
        (_x(3, 4), _pos(3, 4))),
    "NLLLoss": Case(lambda: nn.NLLLoss(), (_log_softmax_rows(4, 5), _idx(5, 4))),
    "NLLLoss2d": Case(lambda: nn.NLLLoss2d(), (_log_softmax_rows(4, 5), _idx(5, 4))),
    "NLLLoss-weight-ignore_index": Case(
        lambda: nn.NLLLoss(weight=ember.tensor([1.0, 2.0, 0.5, 1.0, 3.0]), ignore_index=2),
        (_log_softmax_rows(5, 5), _const(lambda: ember.tensor([0, 2, 4, 2, 1])))),
    "NLLLoss-none": Case(lambda: nn.NLLLoss(reduction="none"),
                         (_log_softmax_rows(4, 5), _idx(5, 4))),
    "NLLLoss-2d": Case(lambda: nn.NLLLoss(), (_x(2, 3, 2, 2), _idx(3, 2, 2, 2))),
    "NLLLoss-3d-weight-none": Case(lambda: nn.NLLLoss(weight=ember.tensor([1.0, 0.5, 2.0]),
                                                      reduction="none"),
                                   (_x(2, 3, 2, 2, 2), _idx(3, 2, 2, 2, 2))),
    "NLLLoss-unbatched": Case(lambda: nn.NLLLoss(), (_x(5,), _const(lambda: ember.tensor(3)))),
    "CrossEntropyLoss": Case(lambda: nn.CrossEntropyLoss(), (_x(4, 5), _idx(5, 4))),
    "CrossEntropyLoss-weight": Case(
        lambda: nn.CrossEntropyLoss(weight=ember.tensor([1.0, 2.0, 0.5, 1.0, 3.0])),
        (_x(4, 5), _idx(5, 4))),
    "CrossEntropyLoss-ignore_index": Case(
        lambda: nn.CrossEntropyLoss(ignore_index=1),
        (_x(4, 5), _const(lambda: ember.tensor([1, 0, 1, 3])))),
    "CrossEntropyLoss-label_smoothing": Case(lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
                                             (_x(4, 5), _idx(5, 4))),
    "CrossEntropyLoss-label_smoothing-weight-ignore": Case(
        lambda: nn.CrossEntropyLoss(weight=ember.tensor([1.0, 2.0, 0.5, 1.0, 3.0]),
                                    ignore_index=0, label_smoothing=0.2),
        (_x(4, 5), _const(lambda: ember.tensor([0, 1, 4, 2])))),
    "CrossEntropyLoss-label_smoothing-sum": Case(
        lambda: nn.CrossEntropyLoss(label_smoothing=0.3, reduction="sum"),
        (_x(4, 5), _idx(5, 4))),
    "CrossEntropyLoss-label_smoothing-none-ignore": Case(
        lambda: nn.CrossEntropyLoss(label_smoothing=0.3, reduction="none", ignore_index=2),
        (_x(4, 5), _const(lambda: ember.tensor([2, 1, 4, 2])))),
    "CrossEntropyLoss-probabilities": Case(lambda: nn.CrossEntropyLoss(),
                                           (_x(4, 5), _softmax_rows(4, 5))),
    "CrossEntropyLoss-probabilities-weight-smoothing": Case(
        lambda: nn.CrossEntropyLoss(weight=ember.tensor([1.0, 2.0, 0.5, 1.0, 3.0]),
                                    label_smoothing=0.2),
        (_x(4, 5), _softmax_rows(4, 5))),
    "CrossEntropyLoss-2d": Case(lambda: nn.CrossEntropyLoss(), (_x(2, 3, 3, 2), _idx(3, 2, 3, 2))),
    "CrossEntropyLoss-unbatched": Case(lambda: nn.CrossEntropyLoss(),
                                       (_x(5,), _const(lambda: ember.tensor(2)))),
    "KLDivLoss-batchmean": Case(lambda: nn.KLDivLoss(reduction="batchmean"),
                                (_log_softmax_rows(3, 4), _softmax_rows(3, 4))),
    "KLDivLoss-log_target-sum": Case(lambda: nn.KLDivLoss(reduction="sum", log_target=True),
                                     (_log_softmax_rows(3, 4), _log_softmax_rows(3, 4))),
    "KLDivLoss-mean": Case(lambda: nn.KLDivLoss(),
                           (_log_softmax_rows(3, 4), _softmax_rows(3, 4))),
    "KLDivLoss-zero-target": Case(
        lambda: nn.KLDivLoss(reduction="none"),
        (_log_softmax_rows(2, 3), _const(lambda: ember.tensor([[0.0, 0.5, 0.5],
                                                               [1.0, 0.0, 0.0]])))),

    # -- around the modules: clip_grad_*, parameters_to_vector ---------------------------------
    "clip_grad_norm_": Case(lambda: _N(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)),
                            (_x(3, 4),), after=_clip_norm(0.1)),
    "clip_grad_norm_-inf": Case(lambda: _N(nn.Linear(4, 5), nn.Linear(5, 2)), (_x(3, 4),),
                                after=_clip_norm(0.05, norm_type=float("inf"))),
    "clip_grad_norm_-p1-no-clip": Case(lambda: _N(nn.Conv1d(2, 2, 3), nn.Flatten()),
                                       (_x(2, 2, 5),), after=_clip_norm(1e6, norm_type=1.0)),
    "clip_grad_value_": Case(lambda: _N(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)),
                             (_x(3, 4),), after=_clip_value(0.05)),
    "parameters_to_vector": Case(lambda: nn.Linear(3, 2), (_x(2, 3),), after=_params_to_vector),

    # -- a small course model ------------------------------------------------------------------
    "CNN-course-model": Case(lambda: _N(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1, groups=2), nn.GroupNorm(2, 4), nn.GELU(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(0.0), nn.Linear(16, 10),
        nn.LogSoftmax(dim=1)), (_x(3, 1, 8, 8),)),
}


# -- running an entry --------------------------------------------------------------------------


def _move(value, device, grad):
    if isinstance(value, ember.Tensor):
        moved = value.to(device)
        if grad and moved.is_floating_point():
            moved = moved.detach().requires_grad_()
        return moved
    return value


def _flatten(value):
    """The tensors of a (nested) output: tuples, lists, PackedSequence's data."""
    if isinstance(value, ember.Tensor):
        return [value]
    if isinstance(value, rnn_utils.PackedSequence):
        return [value.data]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten(v)]
    raise TypeError(f"unexpected output {type(value)}")


def _build(name):
    case = MODULE_CASES[name]
    ember.manual_seed(0)
    return case.make()


def _run(name, module, device):
    """Forward and backward of the entry on `device`: [(label, tensor or None)]."""
    case = MODULE_CASES[name]
    module.train(case.train)
    rng = np.random.default_rng(0)
    host = [make(rng) for make in case.inputs]
    inputs = []
    for k, value in enumerate(host):
        grad = (case.grad is None or k in case.grad)
        inputs.append(_move(value, device, grad))
    outs = _flatten((case.call or (lambda m, *a: m(*a)))(module, *inputs))
    results = [(f"output {i}", o.detach()) for i, o in enumerate(outs)]
    diff = [o for o in outs if o.requires_grad]
    if diff:
        upstream = [ember.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype,
                                 device=device) for o in diff]
        ember.autograd.backward(diff, upstream)
    if case.after is not None:
        results += [(f"after {i}", t) for i, t in enumerate(case.after(module))]
    for k, t in enumerate(inputs):
        if isinstance(t, ember.Tensor) and t.requires_grad:
            results.append((f"input {k} grad", t.grad))
    for pname, p in module.named_parameters():
        results.append((f"{pname}", p.detach()))
        results.append((f"{pname}.grad", p.grad))
    for bname, b in module.named_buffers():
        results.append((f"buffer {bname}", b))
    for label, t in results:
        assert t is None or t.device.type == device, f"{label} on {t.device}"
    return [(label, None if t is None else t.detach().cpu().numpy()) for label, t in results]


def compare_module_on_devices(name, exact):
    """The entry's outputs, gradients, parameters and buffers on the GPU against the CPU's:
    bit for bit on the simulated GPU (NumPy underneath), to a tolerance on a real one."""
    cpu_module = _build(name)
    gpu_module = copy.deepcopy(cpu_module).to("cuda")
    for label, t in list(gpu_module.named_parameters()) + list(gpu_module.named_buffers()):
        assert t.is_cuda, label
    expected = _run(name, cpu_module, "cpu")
    got = _run(name, gpu_module, "cuda")
    assert [label for label, _ in got] == [label for label, _ in expected]
    for (label, a), (_, b) in zip(got, expected):
        if b is None:
            assert a is None, label
            continue
        assert a is not None, label
        assert a.dtype == b.dtype and a.shape == b.shape, label
        if exact:
            np.testing.assert_array_equal(a, b, err_msg=label)
        elif a.dtype.kind == "f":
            # (float32 as the op table's: a deep stack such as nn.Transformer sums its weight
            # gradients over many GPU kernels, ~2e-5 apart from the CPU's on an H200)
            tol = (2e-4, 1e-5) if a.dtype.itemsize <= 4 else (1e-9, 1e-11)
            np.testing.assert_allclose(a, b, rtol=tol[0], atol=tol[1], err_msg=label)
        else:
            np.testing.assert_array_equal(a, b, err_msg=label)


def _params(table):
    return [pytest.param(name, marks=list(case.marks), id=name)
            for name, case in sorted(table.items())]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("name", _params(MODULE_CASES))
def test_every_module_on_the_device(gpu, name):
    compare_module_on_devices(name, exact=True)


# -- state_dict, save/load, DataLoader ---------------------------------------------------------


def _model(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 4 * 4, 3))


def _assert_same_state(a, b, device_a, device_b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert sa[key].device.type == device_a, key
        assert sb[key].device.type == device_b, key
        np.testing.assert_array_equal(sa[key].cpu().numpy(), sb[key].cpu().numpy(),
                                      err_msg=key)


def test_state_dict_between_cpu_and_device(gpu):
    cpu_model = _model(0)
    cpu_model.train()
    cpu_model(ember.randn(2, 1, 6, 6))                    # running stats that are not 0/1
    gpu_model = _model(1).cuda()
    gpu_model.load_state_dict(cpu_model.state_dict())
    _assert_same_state(gpu_model, cpu_model, "cuda", "cpu")
    for name, p in gpu_model.named_parameters():
        assert p.is_cuda and isinstance(p, nn.Parameter), name
    # and back: a device state_dict loaded into a CPU model keeps the CPU model on the CPU
    other = _model(2)
    other.load_state_dict(gpu_model.state_dict())
    _assert_same_state(other, gpu_model, "cpu", "cuda")
    # the device model still computes what the CPU model computes
    x = ember.randn(2, 1, 6, 6)
    cpu_model.eval(), gpu_model.eval()
    np.testing.assert_array_equal(gpu_model(x.cuda()).cpu().detach().numpy(),
                                  cpu_model(x).detach().numpy())


def test_save_and_load_a_device_state_dict(gpu, tmp_path):
    model = _model(0).cuda()
    model(ember.randn(2, 1, 6, 6, device="cuda"))
    ember.save(model.state_dict(), tmp_path / "model.pt")
    loaded = ember.load(tmp_path / "model.pt")
    assert all(t.is_cuda for t in loaded.values())
    fresh = _model(3).cuda()
    fresh.load_state_dict(loaded)
    _assert_same_state(fresh, model, "cuda", "cuda")
    on_cpu = ember.load(tmp_path / "model.pt", map_location="cpu")
    assert not any(t.is_cuda for t in on_cpu.values())
    cpu_model = _model(4)
    cpu_model.load_state_dict(on_cpu)
    _assert_same_state(cpu_model, model, "cpu", "cuda")
    # a whole optimizer state of device parameters round-trips too
    optimizer = ember.optim.Adam(model.parameters(), lr=0.01)
    model(ember.randn(2, 1, 6, 6, device="cuda")).sum().backward()
    optimizer.step()
    ember.save(optimizer.state_dict(), tmp_path / "opt.pt")
    state = ember.load(tmp_path / "opt.pt")["state"]
    assert all(v.is_cuda for s in state.values() for v in s.values()
               if isinstance(v, ember.Tensor) and v.dim() > 0)


def _data_loader_training(device, data_on_device):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).to(device)
    optimizer = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((10, 4)), dtype=ember.float32)
    y = ember.tensor(rng.integers(0, 3, 10))
    if data_on_device:
        x, y = x.to(device), y.to(device)
    dataset = ember.utils.data.TensorDataset(x, y)
    generator = ember.Generator().manual_seed(5)
    loader = ember.utils.data.DataLoader(dataset, batch_size=4, shuffle=True,
                                         generator=generator)
    losses = []
    for epoch in range(2):
        for xb, yb in loader:
            assert xb.device.type == yb.device.type == ("cuda" if data_on_device else "cpu")
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach().cpu().numpy())
    return losses, [p.detach().cpu().numpy() for p in model.parameters()]


@pytest.mark.parametrize("data_on_device", [False, True], ids=["host-data", "device-data"])
def test_data_loader_batches_on_the_device(gpu, data_on_device):
    cpu_losses, cpu_params = _data_loader_training("cpu", False)
    gpu_losses, gpu_params = _data_loader_training("cuda", data_on_device)
    np.testing.assert_array_equal(np.array(gpu_losses), np.array(cpu_losses))
    for a, b in zip(gpu_params, cpu_params):
        np.testing.assert_array_equal(a, b)


def test_default_collate_keeps_device_tensors_on_the_device(gpu):
    collate = ember.utils.data.default_collate
    batch = collate([(ember.ones(2, device="cuda"), ember.tensor(1, device="cuda")),
                     (ember.zeros(2, device="cuda"), ember.tensor(0, device="cuda"))])
    assert batch[0].is_cuda and batch[1].is_cuda
    assert batch[0].cpu().tolist() == [[1, 1], [0, 0]] and batch[1].cpu().tolist() == [1, 0]
    ds = ember.utils.data.TensorDataset(ember.arange(6.0, device="cuda").reshape(3, 2))
    (only,) = next(iter(ember.utils.data.DataLoader(ds, batch_size=3)))
    assert only.is_cuda and only.cpu().tolist() == [[0, 1], [2, 3], [4, 5]]


# -- modules made on the device, nn.init on device tensors --------------------------------------


FACTORIES = {       # (a MODULE_CASES entry whose inputs fit, the module made with device=)
    "Linear": lambda d: nn.Linear(4, 3, device=d),
    "Bilinear": lambda d: nn.Bilinear(3, 4, 2, device=d),
    "Conv2d": lambda d: nn.Conv2d(2, 3, 3, device=d),
    "ConvTranspose2d": lambda d: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, device=d),
    "BatchNorm2d-train": lambda d: nn.BatchNorm2d(3, device=d),
    "LayerNorm": lambda d: nn.LayerNorm(5, device=d),
    "GroupNorm": lambda d: nn.GroupNorm(2, 4, device=d),
    "PReLU-channels": lambda d: nn.PReLU(3, init=0.1, device=d),
    "Embedding-padding_idx": lambda d: nn.Embedding(6, 3, padding_idx=0, device=d),
    "LSTM-2layers-bidir-batch_first": lambda d: nn.LSTM(3, 4, num_layers=2, bidirectional=True,
                                                        batch_first=True, device=d),
    "GRUCell": lambda d: nn.GRUCell(3, 4, device=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_modules_made_on_the_device(gpu, name):
    """`nn.X(..., device="cuda")`: parameters and buffers made (and initialised) on the device;
    with the CPU module's values copied in, the same results as on the CPU."""
    made = FACTORIES[name]("cuda")
    state = made.state_dict()
    assert state and all(t.is_cuda for t in state.values()), name
    if name == "Embedding-padding_idx":
        assert not made.weight[0].cpu().any()
    cpu_module = FACTORIES[name]("cpu")
    with ember.no_grad():
        for key, t in cpu_module.state_dict().items():
            t.copy_(state[key].cpu())
    expected = _run(name, cpu_module, "cpu")
    got = _run(name, made, "cuda")
    for (label, a), (_, b) in zip(got, expected):
        if b is None:
            assert a is None, label
        else:
            np.testing.assert_array_equal(a, b, err_msg=label)


INITS = {           # (init, deterministic: bit-identical to the CPU's)
    "zeros_": (nn.init.zeros_, True),
    "ones_": (nn.init.ones_, True),
    "constant_": (lambda t: nn.init.constant_(t, 0.3), True),
    "eye_": (lambda t: nn.init.eye_(t.view(t.shape[0], -1)), True),
    "dirac_": (nn.init.dirac_, True),
    "dirac_-groups": (lambda t: nn.init.dirac_(t, groups=2), True),
    "uniform_": (lambda t: nn.init.uniform_(t, -0.5, 0.5), False),
    "normal_": (lambda t: nn.init.normal_(t, 0.0, 0.1), False),
    "trunc_normal_": (lambda t: nn.init.trunc_normal_(t, std=0.5, a=-0.4, b=0.4), False),
    "trunc_normal_-narrow": (lambda t: nn.init.trunc_normal_(t, mean=0.5, std=1.0,
                                                             a=0.4, b=0.6), False),
    "xavier_uniform_": (nn.init.xavier_uniform_, False),
    "xavier_normal_": (lambda t: nn.init.xavier_normal_(t, gain=nn.init.calculate_gain("tanh")),
                       False),
    "kaiming_uniform_": (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), False),
    "kaiming_normal_": (lambda t: nn.init.kaiming_normal_(t, mode="fan_out"), False),
    "orthogonal_": (lambda t: nn.init.orthogonal_(t, gain=2.0), False),
    "reset_parameters": (None, False),
}


def _init_weight(name, device):
    ember.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3).to(device)          # weight (4, 3, 3, 3)
    fn, _ = INITS[name]
    if fn is None:
        conv.reset_parameters()
    else:
        fn(conv.weight)
    return conv


@pytest.mark.parametrize("name", sorted(INITS))
def test_init_on_device_parameters(gpu, name):
    """`model.to("cuda")` then `nn.init.*`: values made on the device (random ones from the
    device's generator), the parameter still the same device Parameter."""
    conv = _init_weight(name, "cuda")
    w = conv.weight
    assert w.is_cuda and isinstance(w, nn.Parameter) and w.requires_grad
    assert conv.bias.is_cuda
    got = w.detach().cpu().numpy()
    assert got.dtype == np.float32 and got.shape == (4, 3, 3, 3)
    if INITS[name][1]:
        expected = _init_weight(name, "cpu").weight.detach().numpy()
        np.testing.assert_array_equal(got, expected)
        return
    assert np.isfinite(got).all() and len(np.unique(got)) > 50
    if name.startswith("trunc_normal_"):
        lo, hi = (-0.4, 0.4) if name == "trunc_normal_" else (0.4, 0.6)
        assert got.min() >= lo and got.max() <= hi
    if name == "orthogonal_":
        flat = got.reshape(4, -1)
        np.testing.assert_allclose(flat @ flat.T, 4.0 * np.eye(4), atol=1e-4)
    # the module computes on the device with its new weights
    out = conv(ember.randn(1, 3, 4, 4, device="cuda"))
    out.sum().backward()
    assert out.is_cuda and w.grad.is_cuda


def test_pin_memory_with_a_gpu(gpu, recwarn):
    """With a GPU, `pin_memory=True` is quiet (PyTorch warns only without an accelerator);
    the batches are host tensors, moved by the program."""
    ds = ember.utils.data.TensorDataset(ember.arange(8.0).reshape(4, 2), ember.arange(4))
    loader = ember.utils.data.DataLoader(ds, batch_size=2, pin_memory=True)
    batches = [(x.to("cuda", non_blocking=True), y.cuda(non_blocking=True)) for x, y in loader]
    assert not [w for w in recwarn if "pin_memory" in str(w.message)]
    assert all(x.is_cuda and y.is_cuda for x, y in batches)
    assert batches[1][0].cpu().tolist() == [[4, 5], [6, 7]]

"""Batches of sequences of different lengths for the recurrent layers: `PackedSequence`,
`pack_padded_sequence`, `pad_packed_sequence`, `pad_sequence`, `pack_sequence`,
`unpack_sequence`, `unpad_sequence`.

A padded batch (T, B, *) holds B sequences, each padded to the longest length T. Packing
drops the padding: the sequences (sorted by decreasing length) are interleaved time step by
time step, so `data` holds all steps of time 0, then all of time 1, ..., and
`batch_sizes[t]` says how many sequences are still running at time t. An RNN given a
`PackedSequence` stops each sequence at its own length.

    >>> import ember
    >>> from ember.nn.utils.rnn import pack_padded_sequence
    >>> x = ember.tensor([[1.0, 2.0], [3.0, 0.0]])   # (T=2, B=2), lengths 2 and 1
    >>> packed = pack_padded_sequence(x, [2, 1])
    >>> packed.data, packed.batch_sizes
    (tensor([1., 2., 3.]), tensor([2, 1]))
"""
from collections.abc import Iterable
from typing import NamedTuple, Optional

import numpy as np

from ... import _backend, _creation
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.graph import Node
from ...ops._util import contiguous, upload_like

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


# -- joining tensors (differentiable; used here and by the recurrent layers) --------------------


def _recording(tensors):
    return grad_mode.enabled and any(t._requires_grad for t in tensors)


class CatBackward0(Node):
    def apply(self, grad):          # each input gets its own slice of the gradient back
        grads, start = [], 0
        for i, size in enumerate(self.sizes):
            if self.needs_grad(i):
                grads.append(grad[(slice(None),) * self.dim + (slice(start, start + size),)])
            else:
                grads.append(None)
            start += size
        return tuple(grads)


def _cat(tensors, dim=0):
    """Join tensors along an existing dim (the recurrent layers' `torch.cat`)."""
    tensors = list(tensors)
    if len(tensors) == 1:
        return tensors[0]
    arrays = [t._data for t in tensors]
    dim = dim % arrays[0].ndim
    out = Tensor._make(np.concatenate(arrays, axis=dim))
    if _recording(tensors):
        node = CatBackward0(*tensors)
        node.dim, node.sizes = dim, [a.shape[dim] for a in arrays]
        out._requires_grad, out._grad_fn = True, node
    return out


class StackBackward0(Node):
    def apply(self, grad):          # each input gets its slice back
        return tuple(grad[(slice(None),) * self.dim + (i,)] if self.needs_grad(i) else None
                     for i in range(len(self.next_functions)))


def _stack(tensors, dim=0):
    """Join equally shaped tensors along a new dim."""
    tensors = list(tensors)
    arrays = [t._data for t in tensors]
    dim = dim % (arrays[0].ndim + 1)
    out = Tensor._make(np.stack(arrays, axis=dim))
    if _recording(tensors):
        node = StackBackward0(*tensors)
        node.dim = dim
        out._requires_grad, out._grad_fn = True, node
    return out


def _gather_rows(t, index, fill=0.0):
    """Rows `t[index]` along dim 0, where an index of `len(t)` gives a row of `fill`
    (differentiable in `t`)."""
    a = t._data
    pad = Tensor._make(np.full_like(a, fill, shape=(1,) + a.shape[1:]))   # on t's device
    return _cat([t, pad], 0)[Tensor._make(upload_like(a, np.asarray(index, np.int64)))]


# -- PyTorch's sort of the lengths ----------------------------------------------------------------


def _sort_descending(keys):
    """The permutation `torch.sort(keys, descending=True)` returns: PyTorch's CPU kernel calls
    libstdc++'s `std::sort` (introsort: median-of-three quicksort down to runs of 16, then
    insertion sort), which is not stable; this replays it so that equal lengths come out in
    the same order as in PyTorch."""
    a = [(int(k), i) for i, k in enumerate(keys)]

    def comp(x, y):
        return x[0] > y[0]

    def insertion_sort(first, last):
        for i in range(first + 1, last):
            if comp(a[i], a[first]):
                val = a[i]
                a[first + 1:i + 1] = a[first:i]
                a[first] = val
            else:
                unguarded_linear_insert(i)

    def unguarded_linear_insert(last):
        val = a[last]
        nxt = last - 1
        while comp(val, a[nxt]):
            a[last] = a[nxt]
            last = nxt
            nxt -= 1
        a[last] = val

    def move_median_to_first(result, x, y, z):
        if comp(a[x], a[y]):
            if comp(a[y], a[z]):
                a[result], a[y] = a[y], a[result]
            elif comp(a[x], a[z]):
                a[result], a[z] = a[z], a[result]
            else:
                a[result], a[x] = a[x], a[result]
        elif comp(a[x], a[z]):
            a[result], a[x] = a[x], a[result]
        elif comp(a[y], a[z]):
            a[result], a[z] = a[z], a[result]
        else:
            a[result], a[y] = a[y], a[result]

    def unguarded_partition(first, last, pivot):
        while True:
            while comp(a[first], a[pivot]):
                first += 1
            last -= 1
            while comp(a[pivot], a[last]):
                last -= 1
            if not first < last:
                return first
            a[first], a[last] = a[last], a[first]
            first += 1

    def heap_sort(first, last):
        a[first:last] = sorted(a[first:last], key=lambda p: -p[0])   # (depth limit: rare)

    def introsort_loop(first, last, depth):
        while last - first > 16:
            if depth == 0:
                heap_sort(first, last)
                return
            depth -= 1
            mid = first + (last - first) // 2
            move_median_to_first(first, first + 1, mid, last - 1)
            cut = unguarded_partition(first + 1, last, first)
            introsort_loop(cut, last, depth)
            last = cut

    n = len(a)
    if n > 1:
        introsort_loop(0, n, 2 * (n.bit_length() - 1))
        if n > 16:
            insertion_sort(0, 16)
            for i in range(16, n):
                unguarded_linear_insert(i)
        else:
            insertion_sort(0, n)
    return np.array([k for k, _ in a], np.int64), np.array([i for _, i in a], np.int64)


# -- PackedSequence -------------------------------------------------------------------------------


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


def invert_permutation(permutation):
    """The permutation that undoes `permutation`."""
    if permutation is None:
        return None
    p = permutation._data
    out = np.empty_like(p)
    out[p] = _backend.xp(p).arange(p.size, dtype=p.dtype)
    return Tensor._make(out)


class PackedSequence(PackedSequence_):
    """The packed form of a batch of sequences (build it with `pack_padded_sequence` or
    `pack_sequence`): `data` (the time steps interleaved), `batch_sizes` (how many sequences
    run at each step), and the permutations that sorted the batch by length and undo it."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        # the permutations follow the data to its device; batch_sizes stays on the CPU
        sorted_indices, unsorted_indices = (
            None if t is None else t.to(data.device)
            for t in (self.sorted_indices, self.unsorted_indices))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs):
        return self.to("cuda", *args, **kwargs)

    def cpu(self, *args, **kwargs):
        return self.to("cpu", *args, **kwargs)

    def double(self):
        from ... import _dtype
        return self.to(dtype=_dtype.float64)

    def float(self):
        from ... import _dtype
        return self.to(dtype=_dtype.float32)

    def half(self):
        from ... import _dtype
        return self.to(dtype=_dtype.float16)

    def long(self):
        from ... import _dtype
        return self.to(dtype=_dtype.int64)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        # (on the CPU, as PyTorch's `torch.as_tensor(lengths, device="cpu")`)
        return lengths.cpu()._data.astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


class PackPaddedSequenceBackward0(Node):
    """The gradient of the packed data goes back to the padded positions it came from (the
    padding gets zeros)."""

    def apply(self, grad):
        rows = _gather_rows(grad, self.inverse)           # (T*B, *) in time-major order
        out = rows.reshape(*self.time_major_shape)
        return (out.transpose(0, 1) if self.batch_first else out,)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch `input` (T, B, *) (or (B, T, *) with `batch_first`) of sequences
    with the given `lengths`. With `enforce_sorted=True` the lengths must be decreasing;
    otherwise the batch is sorted here and the permutation kept in the result."""
    length_values = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        length_values, order = _sort_descending(length_values)
        sorted_indices = Tensor._make(upload_like(input._data, order))    # input's device
        key = (sorted_indices,) if batch_first else (slice(None), sorted_indices)
        input = input[key]
    x = input._data
    batch = x.shape[0] if batch_first else x.shape[1]
    steps = x.shape[1] if batch_first else x.shape[0]
    if length_values.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{length_values.size} (batch_size={batch})")
    if length_values.size and length_values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(np.diff(length_values) > 0):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if length_values.size and length_values[0] > steps:
        # (PyTorch reads past the end of the input here; ember refuses)
        raise RuntimeError(f"pack_padded_sequence: a sequence length ({length_values[0]}) is "
                           f"longer than the padded input ({steps} steps)")
    max_len = int(length_values[0]) if length_values.size else 0
    batch_sizes = (length_values[None, :] > np.arange(max_len)[:, None]).sum(1).astype(np.int64)
    # the packed rows: time step t, sequences 0 .. batch_sizes[t] - 1, in time-major order
    t_idx = np.repeat(np.arange(max_len), batch_sizes)
    b_idx = np.concatenate([np.arange(n) for n in batch_sizes]) if max_len else \
        np.zeros(0, np.int64)
    time_major = np.swapaxes(x, 0, 1) if batch_first else x
    data = Tensor._make(contiguous(time_major[upload_like(x, t_idx), upload_like(x, b_idx)]))
    if grad_mode.enabled and input._requires_grad:
        node = PackPaddedSequenceBackward0(input)
        flat = t_idx * batch + b_idx
        inverse = np.full(steps * batch, flat.size, np.int64)     # padding: the zero row
        inverse[flat] = np.arange(flat.size)
        node.inverse, node.batch_first = inverse, batch_first
        node.time_major_shape = (steps, batch) + x.shape[2:]
        data._requires_grad, data._grad_fn = True, node
    return PackedSequence(data, Tensor._make(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo `pack_padded_sequence`: `(padded, lengths)`, the batch in its original order."""
    batch_sizes = sequence.batch_sizes._data.astype(np.int64)
    max_seq_length = batch_sizes.size
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    # for each padded position (t, b) in time-major order: its packed row, or the pad row
    offsets = np.concatenate(([0], np.cumsum(batch_sizes)))
    t = np.arange(max_seq_length)[:, None]
    b = np.arange(batch)[None, :]
    valid = b < np.concatenate((batch_sizes, np.zeros(max_seq_length - batch_sizes.size,
                                                      np.int64)))[:, None]
    rows = np.where(valid, offsets[np.minimum(t, batch_sizes.size - 1)] + b,
                    data._data.shape[0])
    padded = _gather_rows(data, rows.reshape(-1), padding_value)
    padded = padded.reshape(max_seq_length, batch, *data._data.shape[1:])
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths_t = Tensor._make(lengths)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        key = (unsorted,) if batch_first else (slice(None), unsorted)
        return padded[key], Tensor._make(lengths[unsorted.cpu()._data])   # (lengths: CPU)
    return padded, lengths_t


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Pad a list of tensors (L_i, *) to the longest length and stack them: (T, B, *) (or
    (B, T, *) with `batch_first`)."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = max_len - s.shape[0]
        if missing:
            fill = Tensor._make(np.full_like(s._data, padding_value,     # on s's device
                                             shape=(missing,) + tuple(s.shape[1:])))
            s = _cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return _stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into the list of its sequences."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(length)] for seq, length in zip(padded_sequences,
                                                       _lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *) (sorted by decreasing length unless
    `enforce_sorted=False`)."""
    lengths = _creation.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences held by a PackedSequence, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)

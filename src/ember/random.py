"""`ember.random`: random generators that reproduce PyTorch's CPU generator bit for bit.

A `Generator` is PyTorch's CPU engine, MT19937 (the textbook Mersenne Twister), plus the one
spare Box-Muller value PyTorch keeps between normal draws. The engine itself runs in NumPy's
`MT19937` bit generator, which twists the 624-word state in C: seeding, twisting and tempering
are the standard algorithm, identical in both libraries, so NumPy's raw 32-bit outputs are
PyTorch's words in the same order. What this module adds is the bookkeeping PyTorch exposes:

- seeding (`manual_seed`): any integer in [-2**63, 2**64); negative seeds wrap modulo 2**64
  and only the low 32 bits seed the engine;
- the 5056-byte state blob of `get_state`/`set_state`, byte for byte PyTorch's layout;
- the normal cache (`_normal_cache`), which only `manual_seed` and `set_state` clear or set.

The samplers (`rand`, `randn`, `randperm`, `Tensor.uniform_`, ...) live in `ember._random_ops`;
they draw words through the methods `_words`, `_words64`, `_u24`, `_u53` below, in the order
and amount PyTorch's kernels do (see the module docstring there).

Internal API for the layers that consume randomness (nn, DataLoader, samplers):
- `default_generator` and `_get(generator)` (the generator to draw from when given None);
- `_int63(generator)`: `torch.empty((), dtype=torch.int64).random_(generator=g).item()`,
  which is how a DataLoader iterator draws its `_base_seed` and how `RandomSampler` seeds
  its private generator;
- `random_sampler_indices(...)`: `RandomSampler.__iter__` as a lazy Python generator, drawing
  exactly when and what PyTorch draws (including the trailing `randperm` at exhaustion);
- `dataloader_base_seed(generator)`: step 1 of every DataLoader epoch.
"""
import contextlib
import os
import sys

import numpy as np

from ._device import device as _device_cls
from ._tensor import Tensor

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng"]

_STATE_SIZE = 5056
_DEFAULT_SEED = 67280421310721          # what a new torch.Generator() is seeded with
_MASK32 = 0xFFFFFFFF
_U64_MAX = (1 << 64) - 1
_INT63 = (1 << 63) - 1
_TWO_M24 = 2.0 ** -24
_TWO_M53 = 2.0 ** -53
_EMPTY_WORDS = np.zeros(0, np.uint64)
_CHUNK_WORDS = 1 << 14                 # big draws are converted in chunks of this many words
# Bulk draws take two words at a time through NumPy's 64-bit path (`integers` over the full
# uint64 range returns `next_uint64`, which for MT19937 is (first word << 32) | second word,
# PyTorch's `random64()`): one call into the engine per two words instead of one per word.
# Each call returns a fresh array, so calls stay below glibc's mmap threshold (128 KiB): larger
# ones would be handed new pages every time, and page faults would cost more than the words.
_PAIRS_PER_CALL = 8192
_SMALL_DRAW = 64                       # below this many words one `random_raw` call is cheaper
_U64_FULL = 1 << 64
_LOW_HALF = 0 if sys.byteorder == "little" else 1   # the low 32 bits of a uint64, as int32

# The constructor of NumPy's MT19937 hashes a seed sequence (about 0.2 ms); a generator is
# then re-seeded with PyTorch's recurrence (`_legacy_seeding`, the textbook init_genrand).
_MT19937 = np.random.MT19937


def _entropy_seed():
    """A 64-bit seed from the OS, as PyTorch seeds its default generator and `seed()`."""
    return int.from_bytes(os.urandom(8), "little")


def _unpack_seed(seed):
    """PyTorch's reading of a seed: an int (not a bool or float) in [-2**63, 2**64)."""
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    value = seed.__index__()
    if not -(1 << 63) <= value <= _U64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return value & _U64_MAX


class Generator:
    """A pseudo-random number generator: PyTorch's CPU generator, bit for bit.

    >>> import ember
    >>> g = ember.Generator().manual_seed(0)
    >>> ember.rand(2, generator=g)
    tensor([0.4963, 0.7682])
    """

    def __init__(self, device="cpu"):
        if device is not None:
            d = device if isinstance(device, _device_cls) else _device_cls(device)
            if d.type != "cpu":
                raise RuntimeError(f"ember has no random generator for device type "
                                   f"{d.type!r}: only the CPU generator exists")
        self._bits = _MT19937(0)
        self._raw = self._bits.random_raw
        self._pairs = np.random.Generator(self._bits).integers
        self._normal_cache = None          # the spare Box-Muller value (a float) or None
        self._float_normal_cache = None    # kept for the state blob; no CPU kernel uses it
        self._seed_engine(_DEFAULT_SEED)

    # -- seeding --------------------------------------------------------------------------

    def _seed_engine(self, seed64):
        self._seed = seed64
        _init_genrand(self._bits, seed64 & _MASK32)
        # PyTorch's engine right after seeding: `left` = 1, `next` = 0; the first draw twists.
        # `_pending` holds words PyTorch will output before it next twists, with its `next`
        # index; (empty, 0) is the freshly seeded state (NumPy's pos is then 624).
        self._pending = (_EMPTY_WORDS, 0)
        self._normal_cache = None
        self._float_normal_cache = None

    def manual_seed(self, seed):
        """Seed the generator with an integer in [-2**63, 2**64); returns the generator."""
        self._seed_engine(_unpack_seed(seed))
        return self

    def seed(self):
        """Seed from OS entropy (a 64-bit number) and return that seed."""
        s = _entropy_seed()
        self._seed_engine(s)
        return s

    def initial_seed(self):
        """The seed last given (as an unsigned 64-bit number)."""
        return self._seed

    @property
    def device(self):
        return _device_cls("cpu")

    # -- drawing words (the only way samplers touch the engine) ---------------------------

    def _words(self, n):
        """The next `n` 32-bit words, as a uint64 array (each value < 2**32)."""
        if self._pending is not None:
            return self._words_after_state_change(n)
        return self._raw(n)

    def _words_after_state_change(self, n):
        pending, nxt = self._pending
        k = min(n, len(pending))
        if n <= len(pending):                 # PyTorch has not twisted yet: `next` moves on
            self._pending = (pending[k:], nxt + k)
            return pending[:k].copy()
        self._pending = None                  # from here NumPy's position is PyTorch's `next`
        rest = self._raw(n - k)
        return np.concatenate((pending, rest)) if k else rest

    def _fill32(self, out):
        """Fill the uint32 array `out` (1-D, contiguous) with the next `len(out)` words."""
        n = out.shape[0]
        i = 0
        if self._pending is not None:
            pending, nxt = self._pending
            i = min(n, len(pending))
            out[:i] = pending[:i]
            if n <= len(pending):             # PyTorch has not twisted yet: `next` moves on
                self._pending = (pending[i:], nxt + i)
                return out
            self._pending = None
        if n - i < _SMALL_DRAW:
            out[i:] = self._raw(n - i)
            return out
        if i % 2:                             # keep the pair writes 8-byte aligned
            out[i] = self._raw(1)[0]
            i += 1
        while n - i >= 2:
            c = min((n - i) // 2, _PAIRS_PER_CALL)
            d = self._pairs(0, _U64_FULL, size=c, dtype=np.uint64)
            dst = out[i:i + 2 * c].view(np.uint64)
            # a little-endian uint64 holds the second word first: swap the halves
            np.left_shift(d, 32, out=dst)
            d >>= np.uint64(32)
            dst |= d
            i += 2 * c
        if i < n:
            out[i] = self._raw(1)[0]
        return out

    def _words32(self, n):
        """The next `n` 32-bit words, as a uint32 array."""
        return self._fill32(np.empty(n, np.uint32))

    def _words64(self, n):
        """The next `n` 64-bit draws (PyTorch's `random64()`: first word high), as uint64."""
        if self._pending is None and n >= _SMALL_DRAW // 2:
            return self._pairs(0, _U64_FULL, size=n, dtype=np.uint64)
        w = self._words(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def _u24(self, n):
        """`n` float32 uniforms `(w & 0xFFFFFF) * 2**-24`, one word each."""
        out = np.empty(n, np.float32)
        buf = np.empty(min(n, _CHUNK_WORDS), np.uint32)
        for i in range(0, n, _CHUNK_WORDS):           # in chunks: the words stay in cache
            k = min(_CHUNK_WORDS, n - i)
            w = self._fill32(buf[:k]).view(np.int32)
            np.bitwise_and(w, 0xFFFFFF, out=w)
            o = out[i:i + k]
            np.copyto(o, w, casting="unsafe")         # exact: w < 2**24
            o *= np.float32(_TWO_M24)
        return out

    def _u53(self, n):
        """`n` float64 uniforms `(d & (2**53-1)) * 2**-53` from `random64()`, two words each."""
        d = self._words64(n)
        d &= np.uint64((1 << 53) - 1)
        out = d.view(np.float64)                      # converted in place: no second array
        np.copyto(out, d.view(np.int64), casting="unsafe")
        out *= _TWO_M53
        return out

    def _random32(self):
        """One word as a Python int."""
        return int(self._words(1)[0])

    def _random64(self):
        """One `random64()` as a Python int."""
        hi, lo = self._words(2).tolist()
        return (hi << 32) | lo

    def _u53_scalar(self):
        hi, lo = self._words(2).tolist()
        return (((hi & 0x1FFFFF) << 32) | lo) * _TWO_M53

    # -- the state blob ---------------------------------------------------------------------

    def get_state(self):
        """The generator's state as PyTorch's 5056-byte uint8 tensor."""
        st = self._bits.state["state"]
        key = st["key"]
        if self._pending is None:
            pos = int(st["pos"])
            left, nxt = 625 - pos, pos
        else:
            pending, nxt = self._pending
            left = len(pending) + 1
        buf = np.zeros(_STATE_SIZE, np.uint8)
        buf[0:8] = np.frombuffer(np.uint64(self._seed).tobytes(), np.uint8)
        buf[8:12].view("<i4")[0] = left
        buf[12:16].view("<i4")[0] = 1
        buf[16:24].view("<u8")[0] = nxt
        buf[24:5016].view("<u8")[:] = key
        if self._normal_cache is not None:
            buf[5024:5032].view("<f8")[0] = self._normal_cache
            buf[5040:5044].view("<i4")[0] = 1
        if self._float_normal_cache is not None:
            buf[5048:5052].view("<f4")[0] = self._float_normal_cache
            buf[5052] = 1
        return Tensor._make(buf)

    def set_state(self, new_state):
        """Restore a state from `get_state` (this library's or PyTorch's bytes)."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        buf = np.ascontiguousarray(new_state._data).reshape(-1)
        if buf.size != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but "
                               f"found the input RNG state size to be {buf.size}")
        seed64 = int(buf[0:8].view("<u8")[0])
        left = int(buf[8:12].view("<i4")[0])
        seeded = int(buf[12:16].view("<i4")[0])
        nxt = int(buf[16:24].view("<u8")[0]) & _MASK32
        key = (buf[24:5016].view("<u8") & np.uint64(_MASK32)).astype(np.uint32)
        if not (seeded != 0 and 0 < left <= 624 and nxt <= 624):
            raise RuntimeError("Invalid mt19937 state")
        if left + nxt == 625:
            self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": nxt}}
            self._pending = None
        else:
            # PyTorch outputs state[next], ..., state[next + left - 2], then twists.
            if nxt + left - 1 > 624:
                raise RuntimeError("Invalid mt19937 state")
            self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}
            self._pending = (_temper(key[nxt:nxt + left - 1]), nxt)
        self._seed = seed64
        self._normal_cache = (float(buf[5024:5032].view("<f8")[0])
                              if buf[5040:5044].view("<i4")[0] else None)
        self._float_normal_cache = (float(buf[5048:5052].view("<f4")[0]) if buf[5052] else None)
        return self

    def clone_state(self):
        """A new generator in this one's exact state."""
        return Generator().set_state(self.get_state())

    # PyTorch's Generator pickles as (Generator, (device,), state)
    def __reduce__(self):
        return (Generator, (self.device,), self.get_state())

    def __setstate__(self, state):
        self.set_state(state)

    def __repr__(self):
        return f"<torch._C.Generator object at {hex(id(self))}>"


def _init_genrand(bits, k):
    """Seed NumPy's MT19937 with the textbook init_genrand(k) (PyTorch's seeding), leaving it
    to twist before its first output. NumPy's `_legacy_seeding` does exactly this in C; the
    Python recurrence is the fallback should that private method ever go away."""
    legacy = getattr(bits, "_legacy_seeding", None)
    if legacy is not None:
        legacy(k)
        return
    key = [k]
    for i in range(1, 624):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & _MASK32)
    bits.state = {"bit_generator": "MT19937",
                  "state": {"key": np.array(key, np.uint32), "pos": 624}}


def _temper(key):
    y = key.astype(np.uint64)
    y ^= y >> np.uint64(11)
    y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    y ^= y >> np.uint64(18)
    return y & np.uint64(_MASK32)


# The global generator: seeded from OS entropy, as PyTorch's is, so a program that never calls
# manual_seed gets different numbers on every run.
default_generator = Generator()
default_generator._seed_engine(_entropy_seed())


def _get(generator):
    """The generator a sampler draws from: `generator`, or the default one."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator, but got {type(generator).__name__}")
    return generator


def manual_seed(seed):
    """Seed the default generator (`int(seed)` first, as PyTorch does), and the GPU's when
    there is one; returns the default generator."""
    generator = default_generator.manual_seed(int(seed))
    from . import _backend
    gpu = _backend.cuda_backend()
    if gpu is not None:
        gpu.seed(generator.initial_seed())
    return generator


def seed():
    """Seed the default generator from OS entropy; returns the 64-bit seed used."""
    return default_generator.seed()


def initial_seed():
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (5056-byte uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Run the block with the default generator's state saved, then restore it.

    Only the CPU generator exists in ember, so `devices` must be empty or None.
    """
    if not enabled:
        yield
        return
    if devices is not None and len(list(devices)) > 0:
        raise RuntimeError("ember has no CUDA devices: fork_rng(devices=...) must be empty")
    cpu_state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(cpu_state)


# -- draws other modules make directly (DataLoader, samplers) -----------------------------------

def _int63(generator=None):
    """`torch.empty((), dtype=torch.int64).random_(generator=g).item()`: one `random64()`
    with the top bit cleared (two words)."""
    return _get(generator)._random64() & _INT63


def dataloader_base_seed(generator=None):
    """What each `iter(DataLoader)` draws first (`_base_seed`): 2 words of `generator` (or of
    the default generator)."""
    return _int63(generator)


def random_sampler_indices(n, num_samples=None, replacement=False, generator=None):
    """`torch.utils.data.RandomSampler(data of length n, replacement, num_samples,
    generator).__iter__()` as a lazy iterator of Python ints, drawing exactly as PyTorch does:

    - nothing is drawn until the first `next()`;
    - without `generator`, the first `next()` draws a seed (2 words of the default generator)
      and uses a fresh `Generator` seeded with it;
    - without replacement: `randperm(n)` per full pass, then one more `randperm(n)` for the
      remaining `num_samples % n` (drawn even when that remainder is 0, at exhaustion);
    - with replacement: `randint(0, n, (32,))` chunks, then one of `num_samples % 32`.
    """
    from ._random_ops import _randint_array, _randperm_array
    num_samples = n if num_samples is None else num_samples
    if generator is None:
        gen = Generator()
        gen.manual_seed(_int63())
    else:
        gen = _get(generator)
    if replacement:
        for _ in range(num_samples // 32):
            yield from _randint_array(gen, 32, 0, n, np.int64).tolist()
        yield from _randint_array(gen, num_samples % 32, 0, n, np.int64).tolist()
    else:
        for _ in range(num_samples // n):
            yield from _randperm_array(gen, n).tolist()
        yield from _randperm_array(gen, n).tolist()[:num_samples % n]

"""ember's random generator against PyTorch's CPU generator, bit for bit.

Each test runs the same program against `torch` and against `ember` after the same seed and
compares the raw bytes of every result (never with a tolerance) and then the 5056-byte
generator state. Seeds include negative ones and ones >= 2**32; sizes fall on both sides of
16 and off multiples of 16 (the normal kernels change path there).

Where PyTorch's own results depend on the build (spec section 11: non-AVX2 CPUs, other
platforms' libm), these tests assume what the spec documents: torch 2.13's x86-64 Linux wheel
on an AVX2 CPU. They are skipped elsewhere for the float paths that depend on it.
"""
import math
import os
import pickle
import platform
import warnings

import numpy as np
import pytest

from helpers import torch  # noqa: F401  (skips this module when torch is missing)

import ember
from ember import _fma, _random_ops as R

SEEDS = [0, 1, 7, 42, 1234, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 32 + 5, -3, -1, 987654321,
         2 ** 63, 2 ** 64 - 1, -2 ** 63]
FEW_SEEDS = [0, 42, 2 ** 32 + 5, -3]
SIZES = [0, 1, 2, 5, 15, 16, 17, 31, 32, 33, 100, 255, 1000, 4099]
FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def _avx2_linux():
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return False
    if os.environ.get("ATEN_CPU_CAPABILITY", "").lower() == "default":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx2" in flags and " fma" in flags


needs_avx2 = pytest.mark.skipif(not _avx2_linux(), reason="PyTorch's fused float kernels are "
                                "reproduced for the x86-64 Linux AVX2 build (spec section 11)")


# -- comparing results ------------------------------------------------------------------------

def _raw(x):
    """(dtype name, shape, raw bytes) of a tensor or a Python value."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        a = np.ascontiguousarray(x.detach().numpy() if isinstance(x, torch.Tensor)
                                 else x.numpy())
        return str(x.dtype).replace("torch.", ""), tuple(a.shape), a.view(np.uint8).tobytes()
    return type(x).__name__, (), repr(x)


def assert_bits(e, t, what=""):
    re_, rt = _raw(e), _raw(t)
    assert re_[:2] == rt[:2], f"{what}: ember {re_[:2]} vs torch {rt[:2]}"
    if re_[2] != rt[2]:
        ea = np.ascontiguousarray(e.numpy()).reshape(-1)
        ta = np.ascontiguousarray(t.detach().numpy()).reshape(-1)
        eb = ea.view(np.uint8).reshape(ea.size, -1)
        tb = ta.view(np.uint8).reshape(ta.size, -1)
        bad = np.nonzero((eb != tb).any(axis=1))[0]
        raise AssertionError(f"{what}: {len(bad)} of {ea.size} values differ, first at "
                             f"{bad[:8].tolist()}: ember {ea[bad[:5]]} torch {ta[bad[:5]]}")


def assert_state(e_gen=None, t_gen=None, what=""):
    es = (e_gen.get_state() if e_gen is not None else ember.get_rng_state()).numpy()
    ts = (t_gen.get_state() if t_gen is not None else torch.get_rng_state()).numpy()
    assert es.dtype == ts.dtype == np.uint8 and es.shape == ts.shape == (5056,)
    if not np.array_equal(es, ts):
        where = np.nonzero(es != ts)[0]
        raise AssertionError(f"{what}: generator state differs at bytes {where[:10]} "
                             f"(ember {es[where[:8]]}, torch {ts[where[:8]]})")


def run_both(program, seed, what=""):
    """Run `program(module)` under torch and ember after the same seed; compare every result
    bit for bit, then the default generators' states."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = program(torch)
    ember.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_out = program(ember)
    assert len(e_out) == len(t_out)
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        assert_bits(e, t, f"{what} seed={seed} result {i}")
    assert_state(what=f"{what} seed={seed}")


def run_both_gen(program, seed, what=""):
    """The same with a private Generator passed as `generator=`; the default generators must
    not move (both are reseeded with 99 first and compared afterwards)."""
    torch.manual_seed(99)
    ember.manual_seed(99)
    tg = torch.Generator().manual_seed(seed)
    eg = ember.Generator().manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = program(torch, tg)
        e_out = program(ember, eg)
    for i, (e, t) in enumerate(zip(e_out, t_out)):
        assert_bits(e, t, f"{what} seed={seed} result {i}")
    assert_state(eg, tg, what=f"{what} seed={seed} (generator)")
    assert_state(what=f"{what} (default generator untouched)")


# -- the generator object ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_manual_seed_state_and_initial_seed(seed):
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    assert_state(what=f"after manual_seed({seed})")
    assert ember.initial_seed() == torch.initial_seed()
    tg, eg = torch.Generator().manual_seed(seed), ember.Generator().manual_seed(seed)
    assert eg.initial_seed() == tg.initial_seed()
    assert_state(eg, tg)


def test_new_generator_state_and_api():
    tg, eg = torch.Generator(), ember.Generator()
    assert eg.initial_seed() == tg.initial_seed() == 67280421310721
    assert_state(eg, tg, "fresh Generator()")
    assert str(eg.device) == "cpu" and repr(eg.device) == "device(type='cpu')"
    assert ember.Generator(device="cpu").device == ember.device("cpu")
    assert eg.manual_seed(3) is eg
    assert isinstance(ember.manual_seed(3), ember.Generator)
    assert ember.manual_seed(3) is ember.default_generator is ember.random.default_generator
    assert eg.set_state(eg.get_state()) is eg
    s = eg.seed()
    assert 0 <= s < 2 ** 64 and eg.initial_seed() == s
    s = ember.seed()
    assert 0 <= s < 2 ** 64 and ember.initial_seed() == s


@pytest.mark.parametrize("bad, exc, message", [
    (2 ** 64, ValueError, "Overflow when unpacking long long"),
    (-2 ** 63 - 1, ValueError, "Overflow when unpacking long long"),
    (1.5, RuntimeError, "manual_seed expected a long, but got float"),
    (True, RuntimeError, "manual_seed expected a long, but got bool"),
])
def test_generator_manual_seed_errors(bad, exc, message):
    for lib in (torch, ember):
        with pytest.raises(exc, match=message):
            lib.Generator().manual_seed(bad)


def test_module_manual_seed_converts_with_int():
    for value in (1.5, "3", True):
        torch.manual_seed(value)
        ember.manual_seed(value)
        assert ember.initial_seed() == torch.initial_seed()
        assert_state()


def test_set_state_errors():
    g = ember.Generator()
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        g.set_state([1])
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        g.set_state(ember.zeros(5056))
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but "
                                           "found the input RNG state size to be 10"):
        g.set_state(ember.zeros(10, dtype=ember.uint8))
    bad = ember.zeros(5056, dtype=ember.uint8)
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        g.set_state(bad)


@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_state_round_trip_between_libraries(seed):
    """A state blob written by either library continues the other's stream, normal cache
    included (randn(3) leaves a cached value that randn(1) returns)."""
    torch.manual_seed(seed)
    torch.randn(3)
    torch.rand(7)
    blob = torch.get_rng_state()
    ember.set_rng_state(ember.tensor(blob.numpy()))
    assert_state(what="after set_rng_state(torch blob)")
    assert_bits(ember.randn(1), torch.randn(1), "cached normal after set_state")
    assert_bits(ember.randn(40), torch.randn(40))
    # and ember's blob into torch
    ember.manual_seed(seed + 1)
    ember.randn(5)
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy().copy()))
    assert_bits(ember.randn(1), torch.randn(1), "cached normal after ember blob")
    assert_bits(ember.rand(700), torch.rand(700))
    assert_state()


@pytest.mark.parametrize("left, nxt", [(5, 0), (1, 0), (624, 1), (1, 624), (3, 300), (600, 20)])
def test_set_state_with_any_left_and_next(left, nxt):
    """PyTorch's engine keeps `left` and `next` separately; a blob whose two fields do not add
    up to 625 (not one PyTorch writes, but one it accepts) still continues the same way."""
    torch.manual_seed(11)
    torch.rand(1000)
    blob = torch.get_rng_state().numpy().copy()
    blob[8:12].view("<i4")[0] = left
    blob[16:24].view("<u8")[0] = nxt
    torch.set_rng_state(torch.from_numpy(blob.copy()))
    ember.set_rng_state(ember.tensor(blob))
    assert_state()
    for n in (1, 3, 700, 1):
        assert_bits(ember.rand(n), torch.rand(n), f"left={left} next={nxt}")
        assert_state()


def test_generator_pickles_with_its_state():
    eg = ember.Generator().manual_seed(5)
    ember.randn(3, generator=eg)
    copy = pickle.loads(pickle.dumps(eg))
    clone = eg.clone_state()
    assert copy.initial_seed() == clone.initial_seed() == eg.initial_seed()
    a = ember.randn(4, generator=copy)
    assert_bits(ember.randn(4, generator=clone), a)
    assert_bits(ember.randn(4, generator=eg), a)


def test_fork_rng_restores_the_default_state():
    ember.manual_seed(3)
    before = ember.get_rng_state().numpy().copy()
    with ember.random.fork_rng():
        ember.rand(100)
        ember.randn(3)
    assert np.array_equal(ember.get_rng_state().numpy(), before)
    with ember.random.fork_rng(enabled=False):
        ember.rand(10)
    assert not np.array_equal(ember.get_rng_state().numpy(), before)


def test_ember_random_module_api():
    for name in ("Generator", "default_generator", "manual_seed", "seed", "initial_seed",
                 "get_rng_state", "set_rng_state", "fork_rng"):
        assert hasattr(ember.random, name), name
        assert hasattr(torch.random, name), name


# -- uniform ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_rand_all_sizes(seed, dtype):
    run_both(lambda m: [m.rand(n, dtype=getattr(m, dtype)) for n in SIZES], seed, "rand")


@pytest.mark.parametrize("seed", SEEDS)
def test_rand_seeds_and_shapes(seed):
    run_both(lambda m: [m.rand(3, 5), m.rand(()), m.rand((2, 0, 3)), m.rand([7]),
                        m.rand(2, 3, dtype=m.float64), m.rand(size=(4,)),
                        m.rand(9, dtype=m.float16), m.rand(3, dtype=m.complex64),
                        m.rand_like(m.zeros(2, 3, dtype=m.float64))], seed, "rand")


@needs_avx2
@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_bounds(dtype):
    rng = np.random.default_rng(0)
    bounds = [(-1.0, 1.0), (0.3, 2.7), (-5.0, 100.0), (2.0, 2.0), (-1e-3, 3e-3), (1e4, 1e4 + 1)]
    bounds += [tuple(sorted(rng.normal(0, 10, 2).tolist())) for _ in range(6)]

    def program(m):
        return [m.empty(n, dtype=getattr(m, dtype)).uniform_(a, b)
                for a, b in bounds for n in (1, 17, 300)]
    for seed in (0, 5, -3):
        run_both(program, seed, f"uniform_ {dtype}")


def test_uniform_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) "
                                               r"range, but found from=2 > to=1"):
            lib.zeros(3).uniform_(2, 1)
        with pytest.raises(RuntimeError, match="to-from to exceed the limit"):
            lib.zeros(3).uniform_(-3e38, 3e38)
        with pytest.raises(RuntimeError, match="from is out of bounds for float"):
            lib.zeros(3).uniform_(float("nan"), 1)
        with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
            lib.rand(3, dtype=lib.int64)
        with pytest.raises(RuntimeError, match="negative dimension -1"):
            lib.rand(-1)
        with pytest.raises(TypeError):
            lib.rand()
        with pytest.raises(TypeError, match="must be tuple of ints, not float"):
            lib.rand(2.0)


# -- normal --------------------------------------------------------------------------------------

@needs_avx2
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_randn_all_sizes(seed, dtype):
    run_both(lambda m: [m.randn(n, dtype=getattr(m, dtype)) for n in SIZES], seed, "randn")


@needs_avx2
@pytest.mark.parametrize("seed", SEEDS)
def test_randn_seeds_shapes_and_cache(seed):
    """The scalar path keeps a spare value: randn(3) then randn(1) returns the cached sine;
    the block path neither reads nor writes the cache."""
    run_both(lambda m: [m.randn(3), m.randn(1), m.randn(5, 7), m.randn(1), m.randn(()),
                        m.randn(2, 8), m.randn(1), m.randn(33, dtype=m.float64), m.randn(2),
                        m.randn(4, dtype=m.complex64), m.randn(9, dtype=m.complex128),
                        m.randn_like(m.zeros(3, 6)), m.randn(size=(20,))], seed, "randn")


@needs_avx2
@pytest.mark.parametrize("dtype", FLOATS)
def test_normal_mean_std(dtype):
    rng = np.random.default_rng(1)
    params = [(0.0, 1.0), (1.5, 0.3), (-2.0, 3.0), (0.0, 0.0), (1e3, 1e-3)]
    params += [(float(rng.normal(0, 5)), float(abs(rng.normal(0, 5)))) for _ in range(5)]

    def program(m):
        return [m.empty(n, dtype=getattr(m, dtype)).normal_(mu, sd)
                for mu, sd in params for n in (1, 3, 16, 17, 250)]
    for seed in (0, 9, 2 ** 32 + 1):
        run_both(program, seed, f"normal_ {dtype}")


@needs_avx2
def test_normal_overloads():
    def program(m):
        mean = m.arange(12, dtype=m.float32).reshape(3, 4) / 7
        std = m.arange(1, 13, dtype=m.float32).reshape(3, 4) / 5
        return [m.normal(2.0, 3.0, (5,)), m.normal(2, 3, size=(40,)),
                m.normal(0.5, 2.0, size=(3,), dtype=m.float64),
                m.normal(mean, std), m.normal(mean, 2.5), m.normal(1.5, std),
                m.normal(mean), m.normal(mean=mean[0], std=std[:, :1]),
                m.normal(mean.double(), std), m.normal(mean, std.double()),
                m.normal(1.5, std.double()), m.normal(mean.half(), std),
                m.normal(m.tensor(2.0), 3.0),
                m.normal(m.zeros(20, dtype=m.float16), m.ones(20, dtype=m.float16))]
    for seed in (0, 3, -3):
        run_both(program, seed, "normal overloads")


def test_normal_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
            lib.zeros(3).normal_(0, -1)
        with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
            lib.normal(lib.zeros(3), lib.tensor([-1.0, 1.0, 1.0]))
        with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
            lib.randn(3, dtype=lib.int64)
        with pytest.raises(TypeError):
            lib.normal(0.0, 1.0)


@needs_avx2
def test_non_contiguous_fill_order():
    """In-place samplers fill a non-contiguous tensor in storage order; normal_ takes the
    scalar path there (the block path needs a contiguous tensor)."""
    def program(m):
        a = m.zeros(8, 8)
        a.t().normal_()
        b = m.zeros(6, 10, dtype=m.float64)
        b.t().uniform_(-2, 3)
        c = m.zeros(5, 7)
        c[:, 1:6].normal_(1.0, 2.0)
        d = m.zeros(4, 6, dtype=m.int32)
        d.t().random_(0, 1000)
        e = m.zeros(6, 4)
        e.t().bernoulli_(0.3)
        f = m.zeros(3, 4, 5).permute(2, 0, 1)
        f.exponential_()
        return [a, b, c, d, e, f]
    for seed in (0, 1, 77):
        run_both(program, seed, "non-contiguous")


# -- integers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_randint_ranges(seed):
    def program(m):
        return [m.randint(10, (20,)), m.randint(-5, 5, (3, 4)), m.randint(0, 2 ** 28 - 1, (7,)),
                m.randint(0, 2 ** 28, (7,)), m.randint(-2 ** 40, 2 ** 40, (5,)),
                m.randint(-2 ** 63, 2 ** 63 - 1, (3,)), m.randint(3, ()),
                m.randint(0, 2, (9,), dtype=m.bool), m.randint(5, (0,)),
                m.randint(high=7, size=(4,)), m.randint(3, [5]),
                m.randint_like(m.zeros(2, 3), 5), m.randint_like(m.zeros(4, dtype=m.int32), 3, 9)]
    run_both(program, seed, "randint")


@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_randint_dtypes(dtype):
    def program(m):
        dt = getattr(m, dtype)
        out = [m.randint(0, 100, (17,), dtype=dt), m.randint(-20, 20, (33,), dtype=dt)
               if dtype != "uint8" else m.randint(20, 40, (33,), dtype=dt)]
        if dtype in ("float32", "float64", "int64", "int32"):
            out.append(m.randint(0, 2 ** 28 + 1, (9,), dtype=dt))
        if dtype == "float32":
            out += [m.randint(0, 2 ** 24 + 1, (9,), dtype=dt),
                    m.randint(0, 2 ** 25, (9,), dtype=dt),
                    m.randint(-2 ** 24 - 1, 0, (9,), dtype=dt),
                    m.randint(2 ** 24 + 3, 2 ** 26 + 1, (9,), dtype=dt)]
        if dtype == "float16":
            out += [m.randint(0, 2 ** 11 + 1, (9,), dtype=dt),
                    m.randint(0, 2 ** 12, (9,), dtype=dt)]
        if dtype == "float64":
            out += [m.randint(0, 2 ** 53 + 2, (9,), dtype=dt)]
        return out
    for seed in (0, 5, -1):
        run_both(program, seed, f"randint {dtype}")


@pytest.mark.parametrize("dtype", INTS + FLOATS + ["bool"])
def test_random_no_bounds_and_to(dtype):
    def program(m):
        dt = getattr(m, dtype)
        out = [m.zeros(19, dtype=dt).random_(), m.zeros(5, dtype=dt).random_(2),
               m.zeros(4, dtype=dt).random_(0, 2)]
        if dtype != "bool":
            out += [m.zeros(6, dtype=dt).random_(5, None), m.zeros(6, dtype=dt).random_(to=7)]
        if dtype in ("int64", "float32", "float64"):
            out.append(m.zeros(5, dtype=dt).random_(-2 ** 63, None))
        return out
    for seed in (0, 2 ** 32 + 5, -3):
        run_both(program, seed, f"random_ {dtype}")


def test_randint_errors():
    cases = [
        (lambda m: m.randint(3, 2, (2,)), RuntimeError,
         "random_ expects 'from' to be less than 'to', but got from=3 >= to=2"),
        (lambda m: m.randint(0, 300, (3,), dtype=m.uint8), RuntimeError,
         "to - 1 is out of bounds for unsigned char"),
        (lambda m: m.randint(-1, 3, (3,), dtype=m.uint8), RuntimeError,
         "from is out of bounds for unsigned char"),
        (lambda m: m.randint(-129, 0, (2,), dtype=m.int8), RuntimeError,
         "from is out of bounds for signed char"),
        (lambda m: m.randint(3, (2,), dtype=m.bool), RuntimeError,
         "to - 1 is out of bounds for bool"),
        (lambda m: m.randint(0, 2 ** 63, (2,)), ValueError, "Overflow when unpacking long long"),
        (lambda m: m.randint(3, 2), TypeError, "must be tuple of ints, not int"),
        (lambda m: m.zeros(3).random_(-5), RuntimeError,
         "random_ expects 'from' to be less than 'to', but got from=0 >= to=-5"),
        (lambda m: m.randperm(-1), RuntimeError, "negative dimension -1"),
        (lambda m: m.randperm(200, dtype=m.int8), RuntimeError,
         "value cannot be converted to type int8_t without overflow"),
        (lambda m: m.randperm(2 ** 24 + 2, dtype=m.float32), RuntimeError,
         r"n cannot be greater than 2\^24\+1 for Float type."),
        (lambda m: m.randperm(3000, dtype=m.float16), RuntimeError,
         "n cannot be greater than 2049 for Half type."),
        (lambda m: m.randperm(5, dtype=m.bool), NotImplementedError, "randperm"),
    ]
    for fn, exc, message in cases:
        for lib in (torch, ember):
            with pytest.raises(exc, match=message):
                fn(lib)


def test_randint_float_range_warnings():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
            lib.randint(0, 2 ** 25, (2,), dtype=lib.float32)


# -- randperm --------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_randperm(seed):
    run_both(lambda m: [m.randperm(n) for n in (0, 1, 2, 3, 10, 100, 511, 512, 513, 1000, 5000)]
             + [m.randperm(20, dtype=m.int8), m.randperm(300, dtype=m.float32),
                m.randperm(2000, dtype=m.float16), m.randperm(100, dtype=m.float64)],
             seed, "randperm")


def test_randperm_60000():
    run_both(lambda m: [m.randperm(60000), m.randperm(60000, dtype=m.int32)], 0, "randperm")


class _WordFeed:
    """Stands in for a generator: hands out given words."""

    def __init__(self, words):
        self.words = np.asarray(words, np.uint32)

    def _fill32(self, out):
        out[...] = self.words[:out.shape[0]]
        self.words = self.words[out.shape[0]:]
        return out


def _fisher_yates_loop(words, n):
    perm = list(range(n))
    for i, w in enumerate(np.asarray(words).tolist()):
        j = i + w % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def test_randperm_vectorised_swaps_match_the_loop():
    """The sort-and-pointer-jumping shuffle against the plain loop, on random words and on
    adversarial ones: all self-swaps (word 0), many self-swaps, everything aimed at the last
    position, long chains; sizes around the 32/64-bit key switch (n = 65536)."""
    rng = np.random.default_rng(0)
    sizes = list(range(2, 40)) + [50, 600, 3000, 65535, 65536, 65537, 100000]
    for n in sizes:
        steps = np.arange(n - 1)
        cases = [rng.integers(0, 2 ** 32, n - 1), np.zeros(n - 1, np.int64),
                 rng.integers(0, 3, n - 1), n - 1 - steps,            # always the last position
                 np.where(rng.random(n - 1) < 0.5, 0, n - 1 - steps),
                 np.full(n - 1, 1), np.full(n - 1, 2 ** 32 - 1)]
        for words in cases[:3] if n > 5000 else cases:
            words = np.asarray(words, np.int64).astype(np.uint32)
            got = R._forward_shuffle(_WordFeed(words), n)
            assert got.dtype == np.int64
            assert got.tolist() == _fisher_yates_loop(words, n), n
    # the per-thread buffers shrink nothing: a small n after a large one
    words = rng.integers(0, 2 ** 32, 9).astype(np.uint32)
    assert R._forward_shuffle(_WordFeed(words), 10).tolist() == _fisher_yates_loop(words, 10)


# -- bernoulli, exponential and friends ------------------------------------------------------------

@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_bernoulli(seed):
    def program(m):
        probs = m.tensor(np.linspace(0, 1, 23))
        return [m.zeros(40).bernoulli_(0.3), m.zeros(17, dtype=m.float64).bernoulli_(0.5),
                m.zeros(9, dtype=m.int64).bernoulli_(0.9), m.zeros(7, dtype=m.bool).bernoulli_(0.5),
                m.zeros(3, 5).bernoulli_(1.0), m.zeros(3).bernoulli_(0.0),
                m.bernoulli(probs), m.bernoulli(probs.float()), m.bernoulli(probs.half()),
                m.zeros(23).bernoulli_(probs),
                m.zeros(23, dtype=m.float64).bernoulli_(probs.float()),
                m.zeros(4, 23).bernoulli_(probs), m.zeros(6).bernoulli_(m.tensor(0.25)),
                m.bernoulli(m.zeros(5, 3), 0.4), m.bernoulli(probs, p=0.5),
                probs.float().bernoulli(), m.ones(12, dtype=m.float16).bernoulli_(0.2)]
    run_both(program, seed, "bernoulli")


@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_dropout_style_masks(seed):
    """What F.dropout does on the CPU: bernoulli_(1 - p) on a tensor like x, divided by 1 - p,
    times x (2 words per element); Dropout2d draws one per (N, C)."""
    def program(m):
        x = m.arange(60, dtype=m.float32).reshape(3, 4, 5) / 7
        out = []
        for p in (0.1, 0.2, 0.3, 0.5, 0.9):
            keep = 1 - p
            noise = m.empty(x.shape).bernoulli_(keep) / keep
            out.append(x * noise)
        noise2d = m.empty(3, 4, 1).bernoulli_(0.5) / 0.5
        out.append(x * noise2d)
        return out
    run_both(program, seed, "dropout masks")


@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_dropout_of_a_transposed_input_draws_in_memory_order(seed):
    # F.dropout's mask is empty_like(input): a permuted input's mask has its strides, and the
    # draws fill it in memory order (what a Transformer layer with batch_first=True drops)
    def program(m):
        x = m.arange(24, dtype=m.float32).reshape(2, 3, 4)
        return [m.nn.functional.dropout(x.transpose(0, 2), 0.4),
                m.nn.functional.dropout(x.permute(1, 2, 0), 0.5),
                m.nn.functional.dropout(x[:, ::2], 0.3),            # not dense: plain order
                m.nn.functional.dropout2d(x.transpose(0, 1), 0.5)]
    run_both(program, seed, "dropout of permuted inputs")


@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_bernoulli_of_expanded_probabilities(seed):
    # bernoulli(p) draws into empty_like(p): contiguous for an expanded p, row-major draws
    def program(m):
        return [m.bernoulli(m.tensor([0.3, 0.6, 0.9]).expand(3, 3)),
                m.bernoulli(m.tensor([[0.2], [0.7]]).expand(2, 4)),
                m.bernoulli(m.tensor([[0.3, 0.6], [0.9, 0.1]]).t()),
                # the *_like samplers fill empty_like(x), in x's memory order
                m.rand_like(m.zeros(3, 5).t()), m.randn_like(m.zeros(2, 3, 4).permute(2, 0, 1)),
                m.randint_like(m.zeros(4, 6)[:, ::2].t(), 10)]
    run_both(program, seed, "bernoulli and *_like samplers of views")


def test_bernoulli_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but "
                                               r"got p=1.5"):
            lib.zeros(3).bernoulli_(1.5)
        with pytest.raises(NotImplementedError, match="bernoulli_tensor_cpu_p_"):
            lib.bernoulli(lib.zeros(3, dtype=lib.int64))
        with pytest.raises(RuntimeError, match=r"Expected p_in >= 0 && p_in <= 1"):
            lib.bernoulli(lib.tensor([1.5]))
        with pytest.raises(RuntimeError, match="The expanded size of the tensor"):
            lib.zeros(3).bernoulli_(lib.tensor([0.2, 0.3]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_exponential_geometric_log_normal_cauchy(dtype):
    def program(m):
        dt = getattr(m, dtype)
        return [m.empty(20, dtype=dt).exponential_(), m.empty(7, dtype=dt).exponential_(2.5),
                m.empty(30, dtype=dt).geometric_(0.3), m.empty(5, dtype=dt).geometric_(0.99),
                m.empty(9, dtype=dt).log_normal_(), m.empty(3, dtype=dt).log_normal_(0.5, 0.25),
                m.randn(3, dtype=dt), m.empty(1, dtype=dt).log_normal_(),
                m.empty(12, dtype=dt).cauchy_(), m.empty(5, dtype=dt).cauchy_(1.5, 0.5)]
    for seed in (0, 3, -3):
        run_both(program, seed, f"exponential etc. {dtype}")


def test_geometric_integer_dtypes():
    run_both(lambda m: [m.zeros(20, dtype=getattr(m, d)).geometric_(0.4) for d in INTS], 4,
             "geometric ints")


@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_multinomial(seed):
    def program(m):
        w = m.tensor([0.1, 2.0, 0.5, 3.0, 0.0, 1.0])
        w2 = m.tensor(np.arange(24, dtype=np.float64).reshape(4, 6) % 5 + 0.5)
        return [m.multinomial(w, 1), m.multinomial(w, 3), m.multinomial(w, 4, True),
                m.multinomial(w2, 1), m.multinomial(w2, 6), m.multinomial(w2, 50, True),
                w.multinomial(2), m.multinomial(w.double(), 40, replacement=True),
                m.multinomial(w.half(), 2)]
    run_both(program, seed, "multinomial")


def test_multinomial_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
            lib.multinomial(lib.tensor([1.0, 2.0]), 3)
        with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
            lib.multinomial(lib.tensor([0.0, 0.0]), 1)
        with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
            lib.multinomial(lib.ones(2, 2, 2), 1)


@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_poisson(seed):
    def program(m):
        rates = m.tensor([0.0, 0.5, 1.0, 3.0, 9.99, 10.0, 12.5, 50.0, 1000.0, 1e5])
        return [m.poisson(rates), m.poisson(rates.double()), m.poisson(m.full((20,), 4.0))]
    run_both(program, seed, "poisson")


def test_distribution_errors():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0"):
            lib.zeros(3).exponential_(0)
        with pytest.raises(RuntimeError, match=r"geometric_ expects p to be in \(0, 1\)"):
            lib.zeros(3).geometric_(1)
        with pytest.raises(RuntimeError, match="dtype must be a floating point"):
            lib.zeros(3, dtype=lib.int32).exponential_()
        with pytest.raises(RuntimeError, match="invalid Poisson rate"):
            lib.poisson(lib.tensor([-1.0]))


@pytest.mark.parametrize("call", [
    "m.zeros(3, dtype=m.int64).log_normal_()", "m.zeros(3, dtype=m.int16).cauchy_()",
    "m.zeros(3, dtype=m.bool).geometric_(0.5)", "m.zeros(3, dtype=m.complex64).geometric_(0.5)",
    "m.zeros(3, dtype=m.complex64).random_()", "m.randint(0, 3, (3,), dtype=m.complex64)",
    "m.zeros(3, dtype=m.complex64).bernoulli_(0.5)",
    "m.zeros(3, dtype=m.complex64).bernoulli_(m.zeros(3))",
    "m.zeros(3, dtype=m.float16).random_(-2 ** 63, None)",
    "m.zeros(3, dtype=m.int32).random_(-2 ** 63, None)",
    "m.zeros(3, dtype=m.int32).random_(0, 2 ** 32)",
    "m.zeros(3, dtype=m.float16).random_(2048, None)",
    "m.zeros(3, dtype=m.complex64).exponential_()", "m.zeros(3).log_normal_(0, 0)",
    "m.zeros(3).cauchy_(0, 0)", "m.zeros(3, dtype=m.int32).exponential_()",
    "m.multinomial(m.tensor([1.0, float('inf')]), 2, True)",
    "m.multinomial(m.tensor([1.0, -1.0]), 2, True)",
    "m.multinomial(m.tensor([float('nan'), 1.0]), 2, True)",
    "m.multinomial(m.tensor([1, 2]), 1)", "m.multinomial(m.tensor([1.0, 2.0]), 0)",
    "m.normal(m.zeros(3, dtype=m.int64), m.ones(3))",
    "m.normal(m.zeros(3), m.ones(2))", "m.poisson(m.tensor([1], dtype=m.int64))",
    "m.randperm(3, dtype=m.complex64)",
])
def test_same_error(call):
    errors = []
    for m in (torch, ember):
        with pytest.raises(Exception) as info:
            eval(call, {"m": m})
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


# -- requires_grad and autograd -------------------------------------------------------------------

def test_requires_grad_and_in_place_autograd():
    assert ember.rand(3, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ember.randint(0, 5, (3,), requires_grad=True)
    assert ember.randint(0, 5, (3,), dtype=ember.float32, requires_grad=True).requires_grad
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.uniform_()
    with ember.no_grad():
        w.uniform_(-1, 1)
        w.normal_()
    for method, node in [("uniform_", "UniformBackward0"), ("normal_", "NormalBackward0"),
                         ("random_", "RandomBackward2"), ("exponential_", "ExponentialBackward0"),
                         ("cauchy_", "CauchyBackward0")]:
        x = ember.ones(3, requires_grad=True)
        y = x * 2
        getattr(y, method)()
        assert type(y.grad_fn).__name__ == node
        y.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x = ember.ones(3, requires_grad=True)
    out = ember.normal(x, 1.0)
    assert type(out.grad_fn).__name__ == "NormalBackward1"


# -- interleaved programs, with and without a generator --------------------------------------------

def _mixed_program(m, g=None):
    kw = {} if g is None else {"generator": g}
    out = [m.randn(3, **kw), m.rand(5, **kw), m.randn(1, **kw), m.randint(0, 7, (9,), **kw),
           m.randn(17, **kw), m.randperm(33, **kw), m.randn(2, 3, **kw)]
    t = m.empty(40)
    out.append(t.uniform_(-0.5, 0.5, **kw))
    out.append(m.empty(5, 5).t().normal_(**kw))
    out.append(m.randn(1, **kw))
    out.append(m.empty(64, dtype=m.float64).normal_(2.0, 0.5, **kw))
    out.append(m.empty(11).bernoulli_(0.5, **kw))
    out.append(m.empty(13, dtype=m.int64).random_(**kw))
    out.append(m.rand(3, dtype=m.float64, **kw))
    out.append(m.multinomial(m.tensor([1.0, 2.0, 3.0]), 2, **kw))
    out.append(m.empty(7).exponential_(**kw))
    out.append(m.randn(1, dtype=m.float64, **kw))
    out.append(m.randint(-3, 3, (4,), dtype=m.int8, **kw))
    out.append(m.empty(5).log_normal_(**kw))
    out.append(m.randn(3, **kw))
    return out


@needs_avx2
@pytest.mark.parametrize("seed", SEEDS)
def test_interleaved_default_generator(seed):
    run_both(_mixed_program, seed, "interleaved")


@needs_avx2
@pytest.mark.parametrize("seed", FEW_SEEDS)
def test_interleaved_explicit_generator(seed):
    run_both_gen(_mixed_program, seed, "interleaved with generator")


@needs_avx2
def test_randomised_sequences():
    """Random programs of calls drawn by a NumPy RNG: every result and the state after each."""
    rng = np.random.default_rng(2024)
    ops = [
        lambda m, n: m.rand(n), lambda m, n: m.randn(n), lambda m, n: m.randn(n, dtype=m.float64),
        lambda m, n: m.randint(0, 1000, (n,)), lambda m, n: m.randperm(n),
        lambda m, n: m.empty(n).uniform_(-3, 2), lambda m, n: m.empty(n).normal_(1, 2),
        lambda m, n: m.empty(n, dtype=m.float16).normal_(),
        lambda m, n: m.empty(n).bernoulli_(0.7), lambda m, n: m.rand(n, dtype=m.float16),
        lambda m, n: m.randint(-2 ** 35, 2 ** 35, (n,)),
    ]
    for trial in range(6):
        seed = int(rng.integers(-2 ** 40, 2 ** 40))
        calls = [(int(rng.integers(len(ops))), int(rng.integers(1, 70))) for _ in range(25)]
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        for k, n in calls:
            assert_bits(ops[k](ember, n), ops[k](torch, n), f"trial {trial} op {k} n={n}")
            assert_state(what=f"trial {trial} op {k} n={n}")


# -- what later consumers (nn.init, DataLoader, samplers) will call --------------------------------

@needs_avx2
def test_layer_init_style_draws():
    """nn.Linear's init is kaiming_uniform_(a=sqrt(5)) on the weight then uniform_ on the bias,
    with the bounds computed in Python doubles exactly as PyTorch writes them."""
    def kaiming_uniform_bound(fan_in, a=math.sqrt(5)):
        gain = math.sqrt(2.0 / (1 + a ** 2))
        std = gain / math.sqrt(fan_in)
        return math.sqrt(3.0) * std

    def program(m):
        out = []
        for fan_in, fan_out in [(784, 256), (3, 1), (1, 1), (10, 7), (5, 33)]:
            w = m.empty(fan_out, fan_in)
            b = m.empty(fan_out)
            bound = kaiming_uniform_bound(fan_in)
            out.append(w.uniform_(-bound, bound))
            out.append(b.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in)))
        out.append(m.empty(10, 3).normal_(0, 1))                     # Embedding
        out.append(m.empty(2, 2).normal_(0, 1))
        return out
    run_both(program, 0, "layer init")
    if hasattr(torch.nn, "Linear"):
        torch.manual_seed(0)
        lin = torch.nn.Linear(784, 256)
        ember.manual_seed(0)
        w = ember.empty(256, 784).uniform_(-kaiming_uniform_bound(784), kaiming_uniform_bound(784))
        b = ember.empty(256).uniform_(-1 / math.sqrt(784), 1 / math.sqrt(784))
        assert_bits(w, lin.weight, "Linear weight")
        assert_bits(b, lin.bias, "Linear bias")
        assert_state()


@pytest.mark.parametrize("replacement, num_samples", [(False, None), (False, 25), (True, None),
                                                      (True, 70)])
@pytest.mark.parametrize("with_generator", [False, True])
def test_random_sampler_indices_match_torch(replacement, num_samples, with_generator):
    from torch.utils.data import RandomSampler
    n = 20
    torch.manual_seed(5)
    ember.manual_seed(5)
    tg = torch.Generator().manual_seed(8) if with_generator else None
    eg = ember.Generator().manual_seed(8) if with_generator else None
    for epoch in range(2):
        t_idx = list(RandomSampler(range(n), replacement=replacement, num_samples=num_samples,
                                   generator=tg))
        e_idx = list(ember.random.random_sampler_indices(n, num_samples, replacement, eg))
        assert e_idx == t_idx
        assert_state()
        if with_generator:
            assert_state(eg, tg)


def test_dataloader_epoch_draws_match_torch():
    """An epoch of DataLoader(shuffle=True): `_base_seed` (2 words) at iter(), then the
    sampler's seed (2 more) at the first next(); the order is randperm from a private
    generator."""
    from torch.utils.data import DataLoader
    data = list(range(37))
    torch.manual_seed(3)
    ember.manual_seed(3)
    loader = DataLoader(data, batch_size=5, shuffle=True)
    for epoch in range(2):
        it = iter(loader)
        base = ember.random.dataloader_base_seed()
        assert base == it._base_seed
        order = [int(i) for batch in it for i in batch]
        indices = ember.random.random_sampler_indices(len(data))
        assert list(indices) == order
        assert_state(what=f"epoch {epoch}")
    assert_bits(ember.randn(5), torch.randn(5))


def test_seeding_fallback_matches_numpy_legacy_seeding():
    from ember.random import _init_genrand

    class NoLegacy:
        def __init__(self):
            self.state = None
    for k in (0, 1, 5489, 2 ** 32 - 1):
        a, b = np.random.MT19937(0), NoLegacy()
        a._legacy_seeding(k)
        _init_genrand(b, k)
        assert np.array_equal(a.state["state"]["key"], b.state["state"]["key"])
        assert a.state["state"]["pos"] == b.state["state"]["pos"] == 624


def test_generator_word_api():
    """The engine is textbook MT19937: seed 5489 gives std::mt19937's first outputs; the
    64-bit draw takes the first word as its high half."""
    g = ember.Generator().manual_seed(5489)
    words = g._words(5)
    assert words.dtype == np.uint64
    assert words.tolist() == [3499211612, 581869302, 3890346734, 3586334585, 545404204]
    assert g._random64() == (4161255391 << 32) | 3922919429
    assert ember.random._int63(ember.Generator().manual_seed(4)) == int(
        torch.empty((), dtype=torch.int64).random_(generator=torch.Generator().manual_seed(4)))


# -- the float emulation itself --------------------------------------------------------------------

def _exact_fma(a, b, c):
    from fractions import Fraction
    return Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))


def _round_fraction_to(x, np_dtype):
    """Correct rounding of an exact rational to float32/float64 (via round-to-odd doubles)."""
    from fractions import Fraction
    d = float(x)
    if np_dtype == np.float64 or Fraction(d) == x:
        return np_dtype(d)
    if (np.array([d]).view(np.int64)[0] & 1) == 0:
        d = float(np.nextafter(d, np.inf if Fraction(d) < x else -np.inf))
    return np_dtype(d)


def test_fma32_and_fma64_round_once():
    rng = np.random.default_rng(7)
    n = 3000
    # adversarial float32: products with 25 significant bits (halfway between two floats)
    # plus a tiny c that a double sum would lose
    a = (rng.integers(2 ** 11, 2 ** 12, n) * 2 + 1).astype(np.float32)
    b = (rng.integers(2 ** 10, 2 ** 11, n) * 2 + 1).astype(np.float32)
    c = (a.astype(np.float64) * b * 2.0 ** -60 * rng.choice([-1.0, 1.0], n)).astype(np.float32)
    a2 = (rng.standard_normal(n) * np.exp2(rng.integers(-60, 60, n))).astype(np.float32)
    b2 = (rng.standard_normal(n) * np.exp2(rng.integers(-60, 60, n))).astype(np.float32)
    c2 = (rng.standard_normal(n) * np.exp2(rng.integers(-60, 60, n))).astype(np.float32)
    a, b, c = np.concatenate([a, a2]), np.concatenate([b, b2]), np.concatenate([c, c2])
    got = _fma.fma32(a, b, c)
    naive = (a.astype(np.float64) * b + c).astype(np.float32)
    assert (naive != got).sum() > 100          # the cases do exercise double rounding
    for i in range(0, 2 * n, 3):
        want = _round_fraction_to(_exact_fma(a[i], b[i], c[i]), np.float32)
        assert want.view(np.int32) == got[i].view(np.int32), (a[i], b[i], c[i])
    A = rng.standard_normal(n) * np.exp2(rng.integers(-100, 100, n))
    B = rng.standard_normal(n) * np.exp2(rng.integers(-100, 100, n))
    C = -(A * B) * (1 + 2.0 ** -52 * rng.integers(-3, 4, n))
    C[::4] = rng.standard_normal(len(C[::4]))
    got = _fma.fma64(A, B, C)
    for i in range(0, n, 2):
        x = _exact_fma(A[i], B[i], C[i])
        want = float(x) if x != 0 else A[i] * B[i] + C[i]
        assert np.float64(want).view(np.int64) == got[i].view(np.int64), (A[i], B[i], C[i])


def test_uniform_fast_path_is_the_fused_result():
    """uniform_(a, b) skips the FMA repair when x*(b-a) + a is exact in double for every
    24-bit x (symmetric bounds, nn.init's case); elsewhere it must take the repaired path."""
    rng = np.random.default_rng(3)
    x = (np.arange(0, 1 << 24, 4099, dtype=np.int64).astype(np.float32)
         * np.float32(2.0 ** -24))
    bounds = [(-b, b) for b in (0.1, 1 / 28.0, 3e-5, 7.0)]
    bounds += [(1e-30, 1.0), (-1.0, 1e-30), (1e6, 1e6 + 64), (-3e-38, 2e-38), (0.1, 1e9)]
    bounds += [tuple(sorted((rng.standard_normal(2) * 10.0 ** rng.integers(-8, 8, 2)).tolist()))
               for _ in range(40)]
    for lo, hi in bounds:
        lo32, hi32 = np.float32(lo), np.float32(hi)
        span = hi32 - lo32
        fused = _fma.fma32(x, span, lo32)
        if R._sum_is_exact(24, span, lo32):
            fast = (x.astype(np.float64) * float(span) + float(lo32)).astype(np.float32)
            assert np.array_equal(fast.view(np.int32), fused.view(np.int32)), (lo, hi)


class _Word64Feed:
    """Stands in for a generator: hands out given 64-bit draws."""

    def __init__(self, draws):
        self.draws = np.asarray(draws, np.uint64)

    def _words64(self, n):
        out, self.draws = self.draws[:n].copy(), self.draws[n:]
        return out


def _fused_uniform64(k, lo, hi):
    """The reference: RN(k * 2**-53 * (hi - lo) + lo) rounded once (exact rationals), a value
    equal to hi becoming lo."""
    from fractions import Fraction
    d = Fraction(hi - lo)
    out = []
    for kk in k.tolist():
        v = float(Fraction(kk, 1 << 53) * d + Fraction(lo))
        out.append(lo if v == hi else v)
    return np.array(out, np.float64)


def _uniform64_cases(rng, lo, hi, n_random):
    """k values (< 2**53): random ones, both ends, powers of two, and k whose exact value lies
    next to a midpoint between two doubles (where a double rounding goes wrong)."""
    d = hi - lo
    top = (1 << 53) - 1
    ks = [rng.integers(0, 1 << 53, n_random), np.arange(40), top - np.arange(40),
          np.int64(1) << np.arange(53)]
    t = lo + d * rng.random(100)
    ulp = np.spacing(np.abs(t))
    for frac in (0.5, 0.25, 0.75):
        kk = np.round((np.floor(t / ulp) * ulp + frac * ulp - lo) / (d * 2.0 ** -53))
        for off in (-1, 0, 1):
            kx = kk + off
            ks.append(kx[(kx >= 0) & (kx <= top)])
    return np.concatenate([np.asarray(x, np.float64) for x in ks]).astype(np.int64)


UNIFORM64_BOUNDS = [
    (-1.0, 1.0), (-1 / 28.0, 1 / 28.0), (0.0, 5.0), (-0.0, 0.1), (-1.0, 3.0),   # "shift"
    (2.0, 5.0), (10.0, 11.0), (-3.0, 2.0), (1e6, 1e6 + 64),                     # "int"
    (0.1, 5.0), (-0.3, 0.7), (2.5, 2.6), (1e-30, 1.0), (-1.0, 1e-30), (0.1, 1e9),
    (-7.25, -7.1), (123.456, 1e4),                                              # "general"
    (-1e-310, 1e-310), (5e-324, 1e-300), (-1e300, 1e300), (0.0, 5e-324),        # "exact"
    # constructed so that p + lo is exactly halfway between two doubles and the product's
    # tiny error decides the rounding: the unrepaired general kernel gets these wrong
    (1610631359141833.0, 9855017380542028.0), (3229998420090929.0, 1.1027799634525166e+16),
    (3178797495384167.0, 1.105203656647394e+16)]
UNIFORM64_HARD_K = [8080936611831851, 6673214363088789, 6667849853781349]


def test_uniform64_kernel_rounds_once():
    """Every float64 uniform_ method ("shift", "int", "general" with its repaired lanes,
    "exact") against exact rational rounding."""
    rng = np.random.default_rng(11)
    kinds = set()
    for i, (lo, hi) in enumerate(UNIFORM64_BOUNDS):
        kinds.add(R._uniform64_plan(lo, hi - lo)[0])
        k = _uniform64_cases(rng, lo, hi, 300)
        if i >= len(UNIFORM64_BOUNDS) - 3:
            k = np.concatenate([k, [UNIFORM64_HARD_K[i - len(UNIFORM64_BOUNDS) + 3]]])
        got = R._uniform64_array(_Word64Feed(k.astype(np.uint64) | (np.uint64(5) << 55)),
                                 k.shape[0], lo, hi)       # the top 11 bits are ignored
        want = _fused_uniform64(k, lo, hi)
        assert np.array_equal(got.view(np.int64), want.view(np.int64)), (lo, hi)
    assert kinds == {"shift", "int", "general", "exact"}


def test_uniform64_general_repairs_the_halfway_cases():
    """The general kernel alone (before repair) is wrong on the constructed halfway cases,
    and flags each of them."""
    for (lo, hi), k in zip(UNIFORM64_BOUNDS[-3:], UNIFORM64_HARD_K):
        plan = R._uniform64_plan(lo, hi - lo)
        assert plan[0] == "general"
        out = np.empty(1)
        flag = R._uniform64_general(np.array([float(k)]), out, lo, *plan[1:],
                                    [np.empty(1) for _ in range(6)])
        want = _fused_uniform64(np.array([k]), lo, hi)
        assert out[0] != want[0] and flag is not None and flag[0]


@pytest.mark.skipif(not hasattr(math, "fma") and platform.system() != "Linux",
                    reason="needs a correctly rounded fma (math.fma or the C library's)")
def test_uniform64_kernel_against_c_fma_many_bounds():
    """Random and structured bounds, 20000 k each, against the C library's fma."""
    if hasattr(math, "fma"):
        fma = math.fma
    else:
        import ctypes
        import ctypes.util
        fma = ctypes.CDLL(ctypes.util.find_library("m")).fma
        fma.restype = ctypes.c_double
        fma.argtypes = [ctypes.c_double] * 3
    rng = np.random.default_rng(12)
    bounds = [tuple(sorted((rng.standard_normal(2) * 10.0 ** rng.integers(-9, 9, 2)).tolist()))
              for _ in range(25)]
    for _ in range(15):
        b = float(rng.integers(1, 2 ** int(rng.integers(1, 54)))) * 2.0 ** int(rng.integers(-30, 30))
        a = float(rng.integers(-2 ** 40, 2 ** 40)) * 2.0 ** int(rng.integers(-60, 10))
        bounds += [tuple(sorted((a, b))), (-b, b)]
    for lo, hi in bounds:
        if not hi > lo:
            continue
        d = hi - lo
        k = _uniform64_cases(rng, lo, hi, 20000)
        got = R._uniform64_array(_Word64Feed(k.astype(np.uint64)), k.shape[0], lo, hi)
        want = np.array([fma(kk * 2.0 ** -53, d, lo) for kk in k.tolist()])
        want[want == hi] = lo
        assert np.array_equal(got.view(np.int64), want.view(np.int64)), (lo, hi)


@needs_avx2
def test_uniform64_bounds_against_torch():
    bounds = [b for b in UNIFORM64_BOUNDS if b[1] - b[0] < 1e300]
    run_both(lambda m: [m.empty(n, dtype=m.float64).uniform_(a, b)
                        for a, b in bounds for n in (1, 17, 9000)], 3, "uniform64")


def test_out_argument_and_empty_sizes():
    for lib in (torch, ember):
        lib.manual_seed(0)
    t_out, e_out = torch.empty(3), ember.empty(3)
    assert torch.rand(3, out=t_out) is t_out and ember.rand(3, out=e_out) is e_out
    assert_bits(e_out, t_out)
    t_out, e_out = torch.empty(0, dtype=torch.int64), ember.empty(0, dtype=ember.int64)
    torch.randperm(7, out=t_out)
    ember.randperm(7, out=e_out)
    assert_bits(e_out, t_out)
    run_both(lambda m: [m.rand(0), m.randn(0, 3), m.randperm(0), m.randint(3, (0, 2)),
                        m.empty(0).normal_(), m.empty(0).bernoulli_(0.5)], 5, "empty")


def _repaired_fma(a, b, c, t, out):
    """The kernel's FMA rounded exactly once (the repaired emulation)."""
    out[...] = _fma.fma32(np.asarray(a, np.float32), np.asarray(b, np.float32),
                        np.asarray(c, np.float32))
    return out


def test_fast_fma_exhaustive():
    """The kernel's float32 log/sincos round a*b+c through a double without the repair. Its
    inputs are 1 - U24 and 2pi * U24, 2**24 values each: on every one (every 97th unless
    EMBER_EXHAUSTIVE=1) the result equals the repaired computation."""
    step = 1 if os.environ.get("EMBER_EXHAUSTIVE") else 97
    k = np.arange(0, 1 << 24, step, dtype=np.int64)
    u = k.astype(np.float32) * np.float32(2.0 ** -24)
    for start in range(0, len(u), 1 << 20):
        part = u[start:start + (1 << 20)]
        x = np.float32(1) - part
        theta = R._TWO_PI_F * part
        log_fast = R._log_ps(x)
        sin_fast, cos_fast = R._sincos_ps(theta)
        log_ref = R._log_ps(x, _repaired_fma)
        sin_ref, cos_ref = R._sincos_ps(theta, _repaired_fma)
        assert np.array_equal(log_fast.view(np.int32), log_ref.view(np.int32))
        assert np.array_equal(sin_fast.view(np.int32), sin_ref.view(np.int32))
        assert np.array_equal(cos_fast.view(np.int32), cos_ref.view(np.int32))


def test_does_not_import_torch():
    import subprocess
    import sys
    code = ("import sys, ember; ember.manual_seed(0); ember.randn(100); ember.randperm(10); "
            "print([m for m in sys.modules if m == 'torch' or m.startswith('torch.')])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == "[]"


# -- the fast paths (issue 6 speed work) -------------------------------------------------------

def test_fast_kernel_matches_the_reference():
    """The sampler's float32 kernel (`_log_radius_lanes`, `_sincos_lanes`: fewer passes, exact
    float32 shortcuts) against the step-by-step `_log_ps`/`_sincos_ps` with every FMA rounded
    once (the repaired emulation), on every 97th of the 2**24 inputs (all of them with
    EMBER_EXHAUSTIVE=1), including both ends k = 0 and k = 2**24 - 1."""
    step = 1 if os.environ.get("EMBER_EXHAUSTIVE") else 97
    k_all = np.concatenate([np.arange(0, 1 << 24, step), [1, 2, (1 << 24) - 2, (1 << 24) - 1]])
    scratch = R._Scratch()
    for start in range(0, len(k_all), R._LANES):
        k = k_all[start:start + R._LANES].astype(np.int32)
        u = k.astype(np.float32) * np.float32(2.0 ** -24)
        radius_ref = R._log_ps(np.float32(1) - u, _repaired_fma) * np.float32(-2)
        np.sqrt(radius_ref, out=radius_ref)
        sin_ref, cos_ref = R._sincos_ps(R._TWO_PI_F * u, _repaired_fma)
        radius = R._log_radius_lanes(k.copy(), scratch).copy()
        sin, cos = R._sincos_lanes(k.copy(), scratch)
        assert np.array_equal(radius.view(np.int32), radius_ref.view(np.int32))
        assert np.array_equal(sin.view(np.int32), sin_ref.view(np.int32))
        assert np.array_equal(cos.view(np.int32), cos_ref.view(np.int32))


@pytest.mark.parametrize("pre", [0, 1, 2, 7])
def test_bulk_word_draws_match_single_words(pre):
    """`_fill32` (two words per engine call, halves swapped) and `_words64` give the stream
    `_words` gives, at sizes around their switch points and from odd positions."""
    for n in (0, 1, 2, 31, 32, 33, 63, 64, 65, 100, 16383, 16384, 16385, 2 * 8192 + 3):
        a, b = ember.Generator().manual_seed(11), ember.Generator().manual_seed(11)
        a._words(pre)
        b._words(pre)
        assert np.array_equal(a._words32(n), b._words(n).astype(np.uint32)), (n, pre)
        w = b._words(2 * n)
        assert np.array_equal(a._words64(n), (w[0::2] << np.uint64(32)) | w[1::2]), (n, pre)
        assert np.array_equal(a.get_state().numpy(), b.get_state().numpy())


def test_bulk_draws_after_set_state_with_pending_words():
    """After set_state to a position PyTorch has not twisted from, bulk draws first use the
    pending words, then the engine."""
    for left, nxt in ((3, 100), (2, 623), (200, 5), (1, 624)):
        state = torch.Generator().manual_seed(5).get_state()
        state[8:12] = torch.tensor([left], dtype=torch.int32).view(torch.uint8)
        state[16:24] = torch.tensor([nxt], dtype=torch.int64).view(torch.uint8)
        g = ember.Generator().set_state(ember.tensor(state.numpy()))
        tg = torch.Generator().set_state(state)
        assert_bits(ember.randn(300, generator=g), torch.randn(300, generator=tg))
        assert_bits(ember.rand(301, generator=g), torch.rand(301, generator=tg))
        assert_bits(ember.rand(70, dtype=ember.float64, generator=g),
                    torch.rand(70, dtype=torch.float64, generator=tg))
        assert_state(g, tg)


@needs_avx2
@pytest.mark.parametrize("dtype", FLOATS)
def test_randn_across_pass_boundaries(dtype):
    """Sizes around the kernel's pass length (`_LANES` lanes = 2 * _LANES values) and its
    multiples, with and without a tail block."""
    per_pass = 2 * R._LANES
    sizes = [per_pass - 1, per_pass, per_pass + 1, per_pass + 16, 2 * per_pass + 5]
    run_both(lambda m: [m.randn(n, dtype=getattr(m, dtype)) for n in sizes], 3, "randn big")


@needs_avx2
def test_normal_mean_std_large_and_signed_zero_mean():
    def program(m):
        return [m.empty(40000).normal_(0.0, 0.02), m.empty(40000).normal_(1.5, 2.0),
                m.empty(40001, dtype=m.float64).normal_(0.0, 0.02),
                m.empty(32).normal_(-0.0, 2.0), m.empty(32).normal_(-0.0, 1.0),
                m.empty(40000, dtype=m.float16).normal_(0.0, 3.0)]
    run_both(program, 8, "normal_ large")


def test_numpy_libm_check_and_fallback_agree(monkeypatch):
    """The float64 kernel gives the same bits through NumPy's log/cos/sin and through math."""
    ember.manual_seed(4)
    fast = ember.randn(1000, dtype=ember.float64)
    monkeypatch.setattr(R, "_LIBM_NUMPY", False)
    ember.manual_seed(4)
    slow = ember.randn(1000, dtype=ember.float64)
    assert_bits(fast, slow)


def test_uniform_large_chunks():
    run_both(lambda m: [m.empty(40000).uniform_(-0.1, 0.1), m.empty(40000).uniform_(1, 3),
                        m.empty(33000, dtype=m.float16).uniform_(-2, 2),
                        m.empty(40000, dtype=m.float64).uniform_(-1, 1)], 6, "uniform large")


def test_fma64_is_exact_at_extreme_magnitudes():
    # Dekker's split overflows near 2**996 and its error terms underflow near 2**-969: those
    # lanes must still round once, like the C library's fma (reference: exact fractions)
    import math
    from fractions import Fraction
    from ember._fma import fma64 as _fma64

    def exact(a, b, c):
        value = Fraction(a) * Fraction(b) + Fraction(c)
        if value == 0:
            return a * b + c
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf

    rng = np.random.default_rng(11)
    for scale in (1e300, 2.0 ** 1000, 1e-300, 1e-310, 5e-324):
        for sa, sb, sc in ((scale, 1, scale), (1, scale, 1), (scale, scale, 1), (1, 1, scale)):
            a, b, c = (rng.standard_normal(200) * s for s in (sa, sb, sc))
            with np.errstate(all="ignore"):
                got = _fma64(a, b, c)
                want = np.array([exact(x, y, z) for x, y, z in zip(a, b, c)])
            same = (got.view(np.uint64) == want.view(np.uint64)) | (np.isnan(got) & np.isnan(want))
            assert same.all(), (scale, sa, sb, sc)


@pytest.mark.parametrize("mean, std", [(0.0, 1e306), (1e300, 1e300), (0.0, 1e-310), (5.0, 1e-300)])
def test_float64_normal_with_extreme_mean_and_std_matches_torch(mean, std):
    torch.manual_seed(3)
    expected = torch.empty(40, dtype=torch.float64).normal_(mean, std).numpy()
    ember.manual_seed(3)
    got = ember.empty(40, dtype=ember.float64).normal_(mean, std).numpy()
    assert got.tobytes() == expected.tobytes()

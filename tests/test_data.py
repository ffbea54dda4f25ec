"""ember.utils.data against torch.utils.data: batching, collation, samplers, worker processes,
and (once ember's generator provides randperm) the same shuffles for the same seed."""
import collections
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.utils.data as tdata  # noqa: E402

import ember  # noqa: E402
import ember.utils.data as edata  # noqa: E402

needs_rng = pytest.mark.skipif(
    not (hasattr(ember, "randperm") and hasattr(ember, "manual_seed")),
    reason="ember's random generator (ember.randperm, ember.manual_seed) is not wired in yet")


def plain(obj):
    """A batch with tensors replaced by (dtype, values), to compare ember with torch."""
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        return ("tensor", str(obj.dtype), np.asarray(obj.numpy()).tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: plain(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, tuple(plain(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return obj


def both(make_samples):
    """The same samples built with torch and with ember (make_samples(lib) -> list)."""
    return make_samples(torch), make_samples(ember)


Point = collections.namedtuple("Point", "x y")


# -- default_collate ------------------------------------------------------------------------------

COLLATE_CASES = {
    "tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "int-tensors": lambda lib: [lib.tensor([[1, 2]]), lib.tensor([[3, 4]])],
    "scalar-tensors": lambda lib: [lib.tensor(1.5), lib.tensor(2.5)],
    "python-floats": lambda lib: [1.5, 2.0],
    "python-ints": lambda lib: [1, 2, 3],
    "python-bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "bc"],
    "bytes": lambda lib: [b"a", b"b"],
    "numpy-arrays": lambda lib: [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
    "numpy-float64": lambda lib: [np.ones((2, 2)), np.zeros((2, 2))],
    "numpy-scalars": lambda lib: [np.float32(1), np.float32(2)],
    "numpy-int-scalars": lambda lib: [np.int16(1), np.int16(2)],
    "tuples": lambda lib: [(lib.tensor([1.0]), 0, "a"), (lib.tensor([2.0]), 1, "b")],
    "lists": lambda lib: [[1, 2.0], [3, 4.0]],
    "dicts": lambda lib: [{"x": lib.tensor([1]), "y": 0.5}, {"x": lib.tensor([2]), "y": 1.5}],
    "ordered-dicts": lambda lib: [collections.OrderedDict(a=1, b=2.0),
                                  collections.OrderedDict(a=3, b=4.0)],
    "namedtuples": lambda lib: [Point(1, lib.tensor(1.0)), Point(2, lib.tensor(2.0))],
    "nested": lambda lib: [{"a": [(1, np.float64(2.0))], "b": {"c": lib.zeros(2)}},
                           {"a": [(3, np.float64(4.0))], "b": {"c": lib.ones(2)}}],
    "mixed-dtype-tensors": lambda lib: [lib.tensor([1, 2]), lib.tensor([1.5, 2.5])],
}


@pytest.mark.parametrize("case", list(COLLATE_CASES))
def test_default_collate_matches_torch(case):
    t_samples, e_samples = both(COLLATE_CASES[case])
    assert plain(edata.default_collate(e_samples)) == plain(tdata.default_collate(t_samples))


@pytest.mark.parametrize("case", ["numpy-arrays", "dicts", "tuples", "strings", "nested"])
def test_default_convert_matches_torch(case):
    t_samples, e_samples = both(COLLATE_CASES[case])
    assert plain(edata.default_convert(e_samples[0])) == plain(tdata.default_convert(t_samples[0]))


def test_collate_errors_match_torch():
    for lib, mod in ((torch, tdata), (ember, edata)):
        with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size, "
                                               r"but got \[2\] at entry 0 and \[3\] at entry 1"):
            mod.default_collate([lib.zeros(2), lib.zeros(3)])
        with pytest.raises(RuntimeError, match="each element in list of batch should be of "
                                               "equal size"):
            mod.default_collate([[1, 2], [1]])
        with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                            "arrays, numbers, dicts or lists; found <class "
                                            "'object'>"):
            mod.default_collate([object(), object()])
        with pytest.raises(TypeError, match="found <U1"):
            mod.default_collate([np.array(["a"]), np.array(["b"])])


# -- datasets -------------------------------------------------------------------------------------

def test_tensor_dataset_items_and_length():
    x, y = ember.arange(12).reshape(4, 3), ember.tensor([0.0, 1.0, 0.0, 1.0])
    ds = edata.TensorDataset(x, y)
    assert len(ds) == 4
    assert ds[2][0].tolist() == [6, 7, 8] and ds[2][1].item() == 0.0
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        edata.TensorDataset(x, ember.zeros(3))


def test_concat_subset_and_add_match_torch():
    tds = tdata.ConcatDataset([list(range(3)), list(range(10, 15))])
    eds = edata.ConcatDataset([list(range(3)), list(range(10, 15))])
    assert [eds[i] for i in range(-8, 8)] == [tds[i] for i in range(-8, 8)]
    assert eds.cumulative_sizes == tds.cumulative_sizes
    sub = edata.Subset(eds, [7, 0, 3])
    assert [sub[i] for i in range(3)] == [14, 0, 10] and sub.__getitems__([0, 2]) == [14, 10]

    class Items(edata.Dataset):
        def __init__(self, items):
            self.items = items

        def __getitem__(self, i):
            return self.items[i]

        def __len__(self):
            return len(self.items)

    joined = Items([1, 2]) + Items([3])
    assert isinstance(joined, edata.ConcatDataset) and [joined[i] for i in range(3)] == [1, 2, 3]


def test_random_split_lengths_and_fractions_match_torch():
    for lengths in ([3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.5, 0.5, 0.0]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_parts = tdata.random_split(range(10), lengths)
            e_parts = edata.random_split(range(10), lengths)
        assert [len(p) for p in e_parts] == [len(p) for p in t_parts]
        assert sorted(i for p in e_parts for i in p) == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        edata.random_split(range(10), [3, 3])


# -- samplers -------------------------------------------------------------------------------------

def test_sequential_and_batch_samplers_match_torch():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        tb = tdata.BatchSampler(tdata.SequentialSampler(range(n)), bs, drop)
        eb = edata.BatchSampler(edata.SequentialSampler(range(n)), bs, drop)
        assert list(eb) == list(tb) and len(eb) == len(tb)


def test_sampler_argument_errors_match_torch():
    for mod in (tdata, edata):
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            mod.BatchSampler(range(3), 0, False)
        with pytest.raises(ValueError, match="drop_last should be a boolean value"):
            mod.BatchSampler(range(3), 2, 1)
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            mod.RandomSampler(range(3), num_samples=0)
        with pytest.raises(ValueError, match="weights should be a 1d sequence"):
            mod.WeightedRandomSampler([[1.0]], 2)


def test_random_samplers_permute_and_respect_num_samples():
    assert sorted(edata.RandomSampler(range(7))) == list(range(7))
    assert len(list(edata.RandomSampler(range(7), num_samples=10))) == 10
    drawn = list(edata.RandomSampler(range(5), replacement=True, num_samples=70))
    assert len(drawn) == 70 and set(drawn) <= set(range(5))
    assert sorted(edata.SubsetRandomSampler([4, 8, 15])) == [4, 8, 15]
    assert list(edata.WeightedRandomSampler([0, 0, 1.0], 4)) == [2, 2, 2, 2]


@needs_rng
@pytest.mark.parametrize("make", [
    lambda m, g: m.RandomSampler(range(10)),
    lambda m, g: m.RandomSampler(range(10), num_samples=23),
    lambda m, g: m.RandomSampler(range(10), replacement=True, num_samples=70),
    lambda m, g: m.RandomSampler(range(10), generator=g),
    lambda m, g: m.SubsetRandomSampler([3, 1, 4, 1, 5, 9]),
    lambda m, g: m.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 12),
    lambda m, g: m.WeightedRandomSampler([0.1, 0.5, 0.2, 0.2], 3, replacement=False),
])
def test_random_samplers_draw_what_torch_draws(make):
    if "Weighted" in repr(make(edata, None)) and not hasattr(ember, "multinomial"):
        pytest.skip("ember.multinomial is not wired in yet")
    out = []
    for lib, mod in ((torch, tdata), (ember, edata)):
        lib.manual_seed(0)
        g = lib.Generator().manual_seed(3)
        sampler = make(mod, g)
        out.append([list(sampler), list(sampler)])
    assert out[0] == out[1]


@needs_rng
def test_random_split_matches_torch_for_a_seed():
    out = []
    for lib, mod in ((torch, tdata), (ember, edata)):
        lib.manual_seed(1)
        parts = mod.random_split(range(20), [0.5, 0.3, 0.2])
        g = lib.Generator().manual_seed(7)
        parts2 = mod.random_split(range(20), [5, 15], generator=g)
        out.append([list(p.indices) for p in parts + parts2])
    assert out[0] == out[1]


# -- DataLoader -----------------------------------------------------------------------------------

def _loaders(make_dataset, **kw):
    return (tdata.DataLoader(make_dataset(torch, tdata), **kw),
            edata.DataLoader(make_dataset(ember, edata), **kw))


def _tensor_ds(lib, mod):
    return mod.TensorDataset(lib.arange(30, dtype=lib.float32).reshape(10, 3),
                             lib.arange(10) % 3)


class _Dicts:
    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "label": i % 2, "name": f"s{i}",
                "w": float(i) / 2}


@pytest.mark.parametrize("kw", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=4, num_workers=2),
                                dict(batch_size=None),
                                dict(batch_sampler=[[0, 1], [5, 2, 9], [3]]),
                                dict(sampler=[9, 8, 7, 1], batch_size=2),
                                dict(batch_size=2, collate_fn=lambda b: len(b))])
def test_dataloader_batches_match_torch(kw):
    tl, el = _loaders(_tensor_ds, **kw)
    assert len(el) == len(tl)
    assert [plain(b) for b in el] == [plain(b) for b in tl]


def test_dataloader_collates_dict_samples_like_torch():
    tl = tdata.DataLoader(_Dicts(torch), batch_size=3)
    el = edata.DataLoader(_Dicts(ember), batch_size=3)
    assert [plain(b) for b in el] == [plain(b) for b in tl]


def test_two_epochs_give_the_same_sequential_batches():
    loader = edata.DataLoader(_tensor_ds(ember, edata), batch_size=4)
    first, second = [plain(b) for b in loader], [plain(b) for b in loader]
    assert first == second


def test_dataloader_argument_errors_match_torch():
    ds = list(range(5))
    cases = [dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
             dict(batch_size=None, drop_last=True), dict(num_workers=-1),
             dict(prefetch_factor=2), dict(persistent_workers=True)]
    for kw in cases:
        with pytest.raises(ValueError) as t_err:
            tdata.DataLoader(ds, **kw)
        with pytest.raises(ValueError) as e_err:
            edata.DataLoader(ds, **kw)
        assert str(e_err.value) == str(t_err.value)
    loader = edata.DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3


class _Stream(edata.IterableDataset):
    """Counts up to n; with workers, each worker takes every num_workers-th number."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = edata.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


class _TorchStream(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tdata.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=None), dict(batch_size=2, num_workers=2)])
def test_iterable_dataset_batches_match_torch(kw):
    tb = [plain(b) for b in tdata.DataLoader(_TorchStream(10), **kw)]
    eb = [plain(b) for b in edata.DataLoader(_Stream(10), **kw)]
    assert eb == tb
    assert edata.get_worker_info() is None


def test_iterable_dataset_refuses_shuffle_and_samplers_like_torch():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got "
                                         "shuffle=True"):
        edata.DataLoader(_Stream(3), shuffle=True)


class _Failing(edata.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError("sample 5 is broken")
        return i


def test_worker_exception_is_reraised_in_the_main_process():
    loader = edata.DataLoader(_Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0"):
        list(loader)


class _WorkerSeeds(edata.Dataset):
    """Each sample reports which worker made it, that worker's seed and a NumPy draw."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = edata.get_worker_info()
        return ember.tensor([info.id, info.seed, int(np.random.randint(1 << 30))])


def test_workers_are_seeded_from_the_base_seed_and_run_worker_init_fn():
    loader = edata.DataLoader(_WorkerSeeds(), batch_size=1, num_workers=2,
                              worker_init_fn=lambda wid: np.random.seed(wid + 100))
    batches = [b[0].tolist() for b in loader]
    assert [b[0] for b in batches] == [0, 1, 0, 1]          # batches go to workers in turn
    assert batches[1][1] == batches[0][1] + 1               # seed = base_seed + worker_id
    # worker_init_fn runs after the worker's own seeding, so its seed wins
    assert [b[2] for b in batches[:2]] == [np.random.RandomState(100 + wid).randint(1 << 30)
                                           for wid in (0, 1)]


class _RandomSamples:
    """Random numbers drawn inside the workers from the library's global generator."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.lib.rand(2)


@needs_rng
def test_worker_generators_are_seeded_as_torchs():
    out = []
    for lib, mod in ((torch, tdata), (ember, edata)):
        lib.manual_seed(11)
        loader = mod.DataLoader(_RandomSamples(lib), batch_size=2, num_workers=2)
        out.append([plain(b) for b in loader])
    assert out[0] == out[1]


def test_worker_numpy_seeds_follow_torchs_formula():
    from torch.utils.data._utils.worker import _generate_state as torch_state
    from ember.utils.data._utils.worker import _generate_state as ember_state
    for base_seed in (0, 1, 2 ** 40 + 17, 2 ** 63 - 1):
        for wid in range(3):
            assert ember_state(base_seed, wid) == torch_state(base_seed, wid)


def test_pin_memory_is_accepted_with_torchs_warning():
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no "
                                         "accelerator is found"):
        batches = list(edata.DataLoader(list(range(4)), batch_size=2, pin_memory=True))
    assert [b.tolist() for b in batches] == [[0, 1], [2, 3]]


def test_each_epoch_draws_a_base_seed_from_the_global_generator_as_torch():
    rnd = getattr(ember, "random", None)
    if rnd is None or not hasattr(rnd, "get_rng_state") or not hasattr(rnd, "manual_seed"):
        pytest.skip("ember.random is not available")
    states = []
    for lib, mod, random_mod in ((torch, tdata, torch), (ember, edata, rnd)):
        random_mod.manual_seed(5)
        for _ in range(2):
            list(mod.DataLoader(list(range(6)), batch_size=4))
        states.append(np.asarray(random_mod.get_rng_state().numpy()).tobytes())
    assert states[0] == states[1]


@needs_rng
@pytest.mark.parametrize("kw", [dict(batch_size=3, shuffle=True),
                                dict(batch_size=4, shuffle=True, drop_last=True),
                                dict(batch_size=2, shuffle=True, num_workers=2)])
def test_shuffled_epochs_match_torch_for_a_seed(kw):
    out = []
    for lib, mod in ((torch, tdata), (ember, edata)):
        lib.manual_seed(0)
        loader = mod.DataLoader(_tensor_ds(lib, mod), **kw)
        epochs = [[plain(b) for b in loader] for _ in range(2)]
        out.append((epochs, lib.rand(3).tolist()))
    assert out[0] == out[1]


@needs_rng
def test_shuffle_with_a_generator_matches_torch():
    out = []
    for lib, mod in ((torch, tdata), (ember, edata)):
        g = lib.Generator().manual_seed(42)
        loader = mod.DataLoader(list(range(11)), batch_size=4, shuffle=True, generator=g)
        out.append([[b.tolist() for b in loader] for _ in range(3)])
    assert out[0] == out[1]

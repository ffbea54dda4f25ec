"""ember.save / ember.load against torch.save / torch.load: each reads what the other wrote, in
PyTorch's zip format, and a weights-only load refuses arbitrary classes."""
import collections
import io
import pickle
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from ember import optim  # noqa: E402
from ember.serialization import load, save  # noqa: E402

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128", "uint16", "uint32", "uint64"]


def _array(dtype, shape=(2, 3), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.startswith(("int", "uint")):
        return rng.integers(0, 100, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def same(t, e):
    """A torch tensor and an ember tensor hold the same dtype, shape, values and flag."""
    assert str(t.dtype) == str(e.dtype)
    assert tuple(t.shape) == tuple(e.shape)
    assert t.requires_grad == e.requires_grad
    np.testing.assert_array_equal(t.detach().numpy(), e._data)


def roundtrip_to_torch(obj, tmp_path):
    path = tmp_path / "from_ember.pt"
    save(obj, path)
    return torch.load(path, weights_only=True)


def roundtrip_from_torch(obj, tmp_path):
    path = tmp_path / "from_torch.pt"
    torch.save(obj, path)
    return load(path)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_crosses_both_ways(dtype, tmp_path):
    a = _array(dtype)
    same(roundtrip_to_torch(ember.tensor(a), tmp_path), ember.tensor(a))
    same(torch.tensor(a), roundtrip_from_torch(torch.tensor(a), tmp_path))


@pytest.mark.parametrize("view", ["slice", "transpose", "column", "expand", "scalar", "empty",
                                  "step"])
def test_views_and_their_shared_storage_survive_both_ways(view, tmp_path):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    make = {"slice": lambda t: t[1:3], "transpose": lambda t: t.t(),
            "column": lambda t: t[:, 2], "expand": lambda t: t[:1].expand(3, 6),
            "scalar": lambda t: t[2, 3], "empty": lambda t: t[:0],
            "step": lambda t: t[::2, 1::3]}[view]
    te, tt = ember.tensor(base), torch.tensor(base)
    loaded = roundtrip_to_torch({"base": te, "view": make(te)}, tmp_path)
    assert tuple(loaded["view"].stride()) == tuple(make(tt).stride())
    np.testing.assert_array_equal(loaded["view"].numpy(), make(tt).numpy())
    if view != "empty":
        # still a view of the same storage: writing through the base shows in the view
        loaded["base"].add_(1000)
        np.testing.assert_array_equal(loaded["view"].numpy(), make(tt + 1000).numpy())

    back = roundtrip_from_torch({"base": tt, "view": make(tt)}, tmp_path)
    assert back["view"].stride() == make(tt).stride()
    np.testing.assert_array_equal(back["view"]._data, make(tt).numpy())
    if view != "empty":
        back["base"]._data[...] += 1000
        np.testing.assert_array_equal(back["view"]._data, make(tt + 1000).numpy())


def test_containers_numbers_and_strings_cross_both_ways(tmp_path):
    def obj(lib):
        return {"list": [1, 2.5, "three", None, True], "tuple": (1, (2, 3)), "set": {1, 2},
                "complex": 1 + 2j, "bytes": b"\x00\xff", "nested": {"a": [lib.ones(2)]},
                "inf": float("inf"), "dtype": lib.float16, "size": lib.Size([2, 3]),
                "device": lib.device("cpu"), "big": 2 ** 70, "neg": -5,
                "ordered": collections.OrderedDict(b=1, a=2)}
    for loaded, expected in ((roundtrip_to_torch(obj(ember), tmp_path), obj(torch)),
                             (roundtrip_from_torch(obj(torch), tmp_path), obj(ember))):
        t = loaded["nested"]["a"][0]
        assert t.tolist() == [1.0, 1.0]
        for key in expected:
            if key != "nested":
                assert loaded[key] == expected[key], key
                assert type(loaded[key]).__name__ == type(expected[key]).__name__, key


def test_model_like_state_dict_both_ways(tmp_path):
    rng = np.random.default_rng(1)
    arrays = collections.OrderedDict(
        [("0.weight", rng.standard_normal((4, 3)).astype(np.float32)),
         ("0.bias", rng.standard_normal(4).astype(np.float32)),
         ("bn.running_mean", np.zeros(4, np.float32)),
         ("bn.num_batches_tracked", np.array(7))])
    esd = collections.OrderedDict((k, ember.tensor(v)) for k, v in arrays.items())
    tsd = collections.OrderedDict((k, torch.tensor(v)) for k, v in arrays.items())
    loaded = roundtrip_to_torch(esd, tmp_path)
    assert isinstance(loaded, collections.OrderedDict) and list(loaded) == list(arrays)
    for k in arrays:
        same(loaded[k], esd[k])
    back = roundtrip_from_torch(tsd, tmp_path)
    assert isinstance(back, collections.OrderedDict) and list(back) == list(arrays)
    for k in arrays:
        same(tsd[k], back[k])


def test_requires_grad_and_parameters(tmp_path):
    w = ember.ones(2, requires_grad=True)
    loaded = roundtrip_to_torch({"w": w}, tmp_path)
    assert loaded["w"].requires_grad
    p = torch.nn.Parameter(torch.ones(3))
    back = roundtrip_from_torch({"p": p}, tmp_path)
    assert back["p"].requires_grad and back["p"].tolist() == [1.0, 1.0, 1.0]
    try:
        from ember.nn import Parameter
    except ImportError:
        return
    assert isinstance(back["p"], Parameter)
    again = roundtrip_to_torch({"p": back["p"]}, tmp_path)
    assert isinstance(again["p"], torch.nn.Parameter)


def test_same_tensor_twice_loads_as_one_object(tmp_path):
    t = ember.zeros(2)
    loaded = roundtrip_to_torch([t, t], tmp_path)
    assert loaded[0] is loaded[1]
    back = roundtrip_from_torch([torch.zeros(2)] * 2, tmp_path)
    assert back[0] is back[1]


def test_archive_layout_is_torchs(tmp_path):
    path = tmp_path / "model.pt"
    save({"w": ember.ones(3), "b": ember.zeros(1)}, path)
    torch_path = tmp_path / "model_t.pt"
    torch.save({"w": torch.ones(3), "b": torch.zeros(1)}, torch_path)
    ours = zipfile.ZipFile(path).namelist()
    theirs = [n.replace("model_t/", "model/") for n in zipfile.ZipFile(torch_path).namelist()]
    assert ours == theirs
    with zipfile.ZipFile(path) as z:
        assert z.read("model/version") == b"3\n"
        assert z.read("model/byteorder") == b"little"
        assert z.read("model/.format_version") == b"1"
        assert z.read("model/.storage_alignment") == b"64"
        assert np.frombuffer(z.read("model/data/0"), np.float32).tolist() == [1.0, 1.0, 1.0]
        for info in z.infolist():
            if "/data/" in info.filename:     # storages start on 64-byte boundaries
                data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
                assert data_start % 64 == 0
    # torch can memory-map what ember wrote, which needs that alignment
    assert torch.load(path, mmap=True, weights_only=True)["w"].tolist() == [1.0, 1.0, 1.0]


def test_file_objects_work_as_well_as_paths():
    buffer = io.BytesIO()
    save([ember.arange(3)], buffer)
    buffer.seek(0)
    assert torch.load(buffer, weights_only=True)[0].tolist() == [0, 1, 2]
    buffer = io.BytesIO()
    torch.save([torch.arange(3)], buffer)
    buffer.seek(0)
    assert load(buffer)[0].tolist() == [0, 1, 2]


# -- optimizer state ---------------------------------------------------------------------------

def _train(lib, opt_module, steps, opt=None, params=None):
    rng = np.random.default_rng(2)
    init = [rng.standard_normal(s).astype(np.float32) for s in [(3, 2), (2,)]]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in [(3, 2), (2,)]]
             for _ in range(6)]
    if params is None:
        params = [lib.tensor(a, requires_grad=True) for a in init]
        opt = opt_module.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01)
    for gs in grads[steps[0]:steps[1]]:
        for p, g in zip(params, gs):
            p.grad = lib.tensor(g)
        opt.step()
    return params, opt


def test_optimizer_state_dict_from_torch_resumes_training_in_ember(tmp_path):
    tparams, topt = _train(torch, torch.optim, (0, 3))
    path = tmp_path / "ckpt.pt"
    torch.save({"model": [p.detach() for p in tparams], "optim": topt.state_dict()}, path)
    _train(torch, torch.optim, (3, 6), topt, tparams)       # torch keeps training

    ckpt = load(path)
    eparams = [ember.tensor(p._data.copy(), requires_grad=True) for p in ckpt["model"]]
    eopt = optim.SGD(eparams, lr=0.1, momentum=0.9, weight_decay=0.01)
    eopt.load_state_dict(ckpt["optim"])
    _train(ember, optim, (3, 6), eopt, eparams)
    for t, e in zip(tparams, eparams):
        np.testing.assert_array_equal(t.detach().numpy(), e._data)


def test_optimizer_state_dict_from_ember_resumes_training_in_torch(tmp_path):
    eparams, eopt = _train(ember, optim, (0, 3))
    path = tmp_path / "ckpt.pt"
    save({"model": [p.detach() for p in eparams], "optim": eopt.state_dict()}, path)
    _train(ember, optim, (3, 6), eopt, eparams)

    ckpt = torch.load(path, weights_only=True)
    tparams = [p.clone().requires_grad_(True) for p in ckpt["model"]]
    topt = torch.optim.SGD(tparams, lr=0.1, momentum=0.9, weight_decay=0.01)
    topt.load_state_dict(ckpt["optim"])
    _train(torch, torch.optim, (3, 6), topt, tparams)
    for t, e in zip(tparams, eparams):
        np.testing.assert_array_equal(t.detach().numpy(), e._data)


def test_adam_state_dict_crosses_with_its_step_counter(tmp_path):
    w = ember.ones(2, requires_grad=True)
    opt = optim.Adam([w], lr=0.1, amsgrad=True)
    w.grad = ember.ones(2)
    opt.step()
    loaded = roundtrip_to_torch(opt.state_dict(), tmp_path)
    reference = torch.optim.Adam([torch.ones(2, requires_grad=True)], lr=0.1,
                                 amsgrad=True).state_dict()
    assert loaded["param_groups"][0].keys() == reference["param_groups"][0].keys()
    step = loaded["state"][0]["step"]
    assert step.dtype == torch.float32 and step.item() == 1.0 and step.dim() == 0


# -- refusing arbitrary code ---------------------------------------------------------------------

class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


class Custom:
    pass


def test_weights_only_load_refuses_arbitrary_classes_naming_them(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"x": Custom()}, path)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL "
                                                     "test_serialization.Custom was not an "
                                                     "allowed global by default"):
        load(path)
    torch.save({"x": Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL builtins.print was not an "
                                                     "allowed global"):
        load(path)
    assert "must never run" not in capsys.readouterr().out


def test_weights_only_false_loads_plain_python_objects(tmp_path):
    path = tmp_path / "custom.pt"
    torch.save({"x": Custom(), "t": torch.ones(1)}, path)
    loaded = load(path, weights_only=False)
    assert isinstance(loaded["x"], Custom) and loaded["t"].tolist() == [1.0]


def test_ember_save_of_a_custom_class_is_refused_by_torch_weights_only(tmp_path):
    path = tmp_path / "custom.pt"
    save({"x": Custom()}, path)
    with pytest.raises(pickle.UnpicklingError, match="Custom"):
        torch.load(path, weights_only=True)


def test_unsupported_inputs_give_clear_errors(tmp_path):
    path = tmp_path / "bf16.pt"
    torch.save(torch.zeros(2, dtype=torch.bfloat16), path)
    with pytest.raises(pickle.UnpicklingError, match="bfloat16"):
        load(path)
    float_path = tmp_path / "f32.pt"
    torch.save(torch.zeros(2), float_path)
    for system in (torch, ember):                 # no GPU here: PyTorch's error, in both
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA "
                                               "device but torch.cuda.is_available"):
            system.load(float_path, map_location="cuda")
    not_zip = tmp_path / "plain.pkl"
    not_zip.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(RuntimeError, match="not a zip archive"):
        load(not_zip)
    assert load(tmp_path / "bf16.pt" if False else _saved(tmp_path), map_location="cpu") == [1]


def _saved(tmp_path):
    path = tmp_path / "one.pt"
    save([1], path)
    return path

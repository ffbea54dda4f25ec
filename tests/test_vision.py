"""ember.vision against torchvision: the MNIST/FashionMNIST/CIFAR10/ImageFolder readers, the
transforms, make_grid/save_image; and ember's CPU-only answers of torch.cuda & co.

torchvision 0.28.0 (the release paired with PyTorch 2.13.0) is a test-only dependency. Its
wheel is built against CUDA PyTorch, so its compiled ops do not load beside the CPU build;
the pure-Python parts compared here (datasets, transforms, utils) do not need them, and only
the registration of those ops' fake kernels is skipped (see `_torchvision`). Where torchvision
cannot be imported at all, those comparisons skip and the checks against values computed by
hand from the raw files (NumPy, gzip, struct) still run.

Data: the real MNIST test split in ../shared/data/MNIST/raw (gz IDX files, torchvision's layout).
"""
import gzip
import hashlib
import http.server
import os
import pickle
import shutil
import struct
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.accelerator  # noqa: E402,F401  (not yet wired into ember/__init__.py)
import ember.backends  # noqa: E402,F401
import ember.cuda  # noqa: E402,F401
from ember import _compat  # noqa: E402
from ember.vision import datasets as ED  # noqa: E402
from ember.vision import transforms as ET  # noqa: E402
from ember.vision import utils as EU  # noqa: E402

DATA = Path(os.environ.get("EMBER_DATA")
            or Path(__file__).resolve().parents[2] / "shared" / "data")
RAW = DATA / "MNIST" / "raw"
needs_mnist = pytest.mark.skipif(not (RAW / "t10k-images-idx3-ubyte.gz").is_file(),
                                 reason=f"MNIST test split not found in {RAW}")
PIL = pytest.importorskip("PIL.Image", reason="Pillow is needed for PIL images")


def _torchvision():
    """torchvision, or None. Its `_meta_registrations` registers fake kernels for the compiled
    ops (nms, roi_align...), which fails when those ops did not load: stub that one module."""
    sys.modules.setdefault("torchvision._meta_registrations",
                           types.ModuleType("torchvision._meta_registrations"))
    try:
        import torchvision
        from torchvision import datasets, transforms, utils  # noqa: F401
    except Exception:  # not installed, or not importable beside this torch
        return None
    return torchvision


TV = _torchvision()
needs_tv = pytest.mark.skipif(TV is None, reason="torchvision is not importable here: the "
                                                 "hand-computed checks cover the same ground")


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def unpacked_root(tmp_path_factory):
    """A root in torchvision's layout with the four IDX files unpacked (torchvision needs all
    four; the training names hold the test digits, which is all the data stored here)."""
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        with gzip.open(RAW / f"t10k-{kind}.gz") as f:
            data = f.read()
        (raw / f"t10k-{kind}").write_bytes(data)
        (raw / f"train-{kind}").write_bytes(data)
    return root


def _idx_by_hand(path):
    """Decode an IDX file with struct: big-endian magic (0, 0, type, ndim), sizes, bytes."""
    with gzip.open(path) as f:
        data = f.read()
    zero, kind, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and kind == 8
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(shape)


@pytest.fixture(scope="module")
def mnist():
    return ED.MNIST(str(DATA), train=False)


# -- MNIST ------------------------------------------------------------------------------------
@needs_mnist
def test_mnist_reads_the_gz_test_split_as_decoded_by_hand(mnist):
    images = _idx_by_hand(RAW / "t10k-images-idx3-ubyte.gz")
    labels = _idx_by_hand(RAW / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28)
    assert mnist.data.dtype == ember.uint8 and tuple(mnist.data.shape) == (10000, 28, 28)
    assert mnist.targets.dtype == ember.int64
    np.testing.assert_array_equal(mnist.data.numpy(), images)
    np.testing.assert_array_equal(mnist.targets.numpy(), labels.astype(np.int64))
    image, label = mnist[0]
    assert isinstance(image, PIL.Image) and image.mode == "L" and image.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(image), images[0])
    assert label == int(labels[0]) and type(label) is int


@needs_mnist
@needs_tv
def test_mnist_matches_torchvision(mnist, unpacked_root):
    theirs = TV.datasets.MNIST(str(unpacked_root), train=False)
    np.testing.assert_array_equal(mnist.data.numpy(), theirs.data.numpy())
    np.testing.assert_array_equal(mnist.targets.numpy(), theirs.targets.numpy())
    for i in (0, 1, 9999):
        (a, la), (b, lb) = mnist[i], theirs[i]
        assert a.mode == b.mode and np.array_equal(np.asarray(a), np.asarray(b)) and la == lb
    assert repr(mnist).replace(str(DATA), "R") == repr(theirs).replace(str(unpacked_root), "R")
    assert mnist.classes == theirs.classes and mnist.class_to_idx == theirs.class_to_idx


@needs_mnist
@needs_tv
def test_mnist_with_transform_matches_torchvision_item_by_item(unpacked_root):
    def pipeline(T):
        return T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    ours = ED.MNIST(str(unpacked_root), train=True, transform=pipeline(ET),
                    target_transform=lambda y: y + 100)
    theirs = TV.datasets.MNIST(str(unpacked_root), train=True,
                               transform=pipeline(TV.transforms),
                               target_transform=lambda y: y + 100)
    for i in range(0, 10000, 997):
        (a, la), (b, lb) = ours[i], theirs[i]
        assert a.dtype == ember.float32 and tuple(a.shape) == (1, 28, 28)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert la == lb
    assert repr(ours).replace(str(unpacked_root), "R").splitlines()[:4] == \
        repr(theirs).replace(str(unpacked_root), "R").splitlines()[:4]


@needs_mnist
def test_mnist_missing_split_error_names_the_expected_files(tmp_path):
    with pytest.raises(RuntimeError) as info:
        ED.MNIST(str(DATA), train=True)          # only the test split is stored here
    message = str(info.value)
    assert message.startswith("Dataset not found. You can use download=True to download it")
    assert "train-images-idx3-ubyte" in message and "train-labels-idx1-ubyte" in message
    assert str(DATA / "MNIST" / "raw") in message


@needs_mnist
def test_mnist_reads_unpacked_files_and_legacy_processed_files(tmp_path, unpacked_root):
    unpacked = ED.MNIST(str(unpacked_root), train=False)
    np.testing.assert_array_equal(unpacked.data.numpy(),
                                  _idx_by_hand(RAW / "t10k-images-idx3-ubyte.gz"))
    # torchvision < 0.9 cached (images, labels) with torch.save in MNIST/processed/
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    images = torch.from_numpy(unpacked.data.numpy()[:5].copy())
    labels = torch.from_numpy(unpacked.targets.numpy()[:5].copy())
    torch.save((images, labels), processed / "test.pt")
    torch.save((images[:2], labels[:2]), processed / "training.pt")
    legacy = ED.MNIST(str(tmp_path), train=False)
    assert len(legacy) == 5 and legacy[3][1] == int(labels[3])
    np.testing.assert_array_equal(np.asarray(legacy[4][0]), images[4].numpy())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@needs_mnist
def test_mnist_download_fetches_from_a_mirror_and_checks_md5(tmp_path):
    """A loopback HTTP server plays the mirror (no machine here reaches the internet)."""
    served = tmp_path / "mirror"
    served.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(RAW / name, served / name)
    handler = lambda *a, **k: _QuietHandler(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        class LocalMNIST(ED.MNIST):
            mirrors = ["http://127.0.0.1:1/", f"http://127.0.0.1:{server.server_address[1]}/"]

        got = LocalMNIST(str(tmp_path / "root"), train=False, download=True)
    finally:
        server.shutdown()
        server.server_close()
    assert len(got) == 10000
    raw = tmp_path / "root" / "LocalMNIST" / "raw"
    assert sorted(os.listdir(raw)) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    md5 = dict(ED.MNIST.resources)
    for name in os.listdir(raw):
        assert hashlib.md5((raw / name).read_bytes()).hexdigest() == md5[name]


def test_mnist_download_offline_says_what_to_put_where(tmp_path):
    class OfflineMNIST(ED.MNIST):
        mirrors = ["http://127.0.0.1:1/"]          # nothing listens on port 1: refused at once

    with pytest.raises(RuntimeError) as info:
        OfflineMNIST(str(tmp_path), train=True, download=True)
    message = str(info.value)
    assert "Error downloading train-images-idx3-ubyte.gz" in message
    assert "Tried http://127.0.0.1:1/" in message
    assert str(tmp_path / "OfflineMNIST" / "raw") in message
    assert "f68b3c2dcbeaaa9fbdd348bbdeb94873" in message


@needs_mnist
def test_fashion_mnist_reads_its_own_folder(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(RAW / name, raw / name)
    fashion = ED.FashionMNIST(str(tmp_path), train=False)
    assert len(fashion) == 10000 and fashion.classes[9] == "Ankle boot"
    assert fashion.raw_folder == str(raw)


# -- CIFAR-10 ---------------------------------------------------------------------------------
@pytest.fixture()
def fake_cifar(tmp_path, monkeypatch):
    """Small CIFAR-10 batches in the official pickle layout, with their md5 sums patched into
    ember's (and torchvision's) class: real files are 163 MB and unreachable here."""
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    md5 = {}
    for name in names:
        entry = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, 4).tolist(), "batch_label": name}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
        md5[name] = hashlib.md5((folder / name).read_bytes()).hexdigest()
    meta = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    meta_md5 = hashlib.md5((folder / "batches.meta").read_bytes()).hexdigest()
    classes = [ED.CIFAR10] + ([TV.datasets.CIFAR10] if TV is not None else [])
    for cls in classes:
        monkeypatch.setattr(cls, "train_list", [[n, md5[n]] for n in names[:5]])
        monkeypatch.setattr(cls, "test_list", [["test_batch", md5["test_batch"]]])
        monkeypatch.setattr(cls, "meta", {"filename": "batches.meta", "key": "label_names",
                                          "md5": meta_md5})
    return tmp_path


def test_cifar10_layout_by_hand(fake_cifar):
    train = ED.CIFAR10(str(fake_cifar), train=True)
    assert len(train) == 20 and train.data.shape == (20, 32, 32, 3)
    with open(fake_cifar / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        first = pickle.load(f, encoding="latin1")
    # pixel (row 5, column 7) of image 0: red at 5*32+7, green 1024 later, blue 2048 later
    k = 5 * 32 + 7
    assert tuple(train.data[0, 5, 7]) == tuple(first["data"][0, [k, 1024 + k, 2048 + k]])
    image, label = train[0]
    assert image.mode == "RGB" and label == first["labels"][0]
    assert train.class_to_idx["truck"] == 9


@needs_tv
def test_cifar10_matches_torchvision(fake_cifar):
    for train in (True, False):
        ours = ED.CIFAR10(str(fake_cifar), train=train)
        theirs = TV.datasets.CIFAR10(str(fake_cifar), train=train)
        np.testing.assert_array_equal(ours.data, theirs.data)
        assert ours.targets == theirs.targets and ours.classes == theirs.classes
        assert np.array_equal(np.asarray(ours[3][0]), np.asarray(theirs[3][0]))
        assert repr(ours) == repr(theirs)


def test_cifar10_corrupted_or_missing_files_are_refused(fake_cifar):
    (fake_cifar / "cifar-10-batches-py" / "data_batch_3").write_bytes(b"truncated")
    with pytest.raises(RuntimeError, match="(?s)Dataset not found or corrupted.*: data_batch_3\\)"):
        ED.CIFAR10(str(fake_cifar))


# -- ImageFolder ------------------------------------------------------------------------------
@pytest.fixture()
def image_tree(tmp_path):
    rng = np.random.default_rng(1)
    for cls, n in (("dog", 2), ("cat", 3)):
        (tmp_path / cls / "inner").mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (6 + i, 5, 3), dtype=np.uint8)
            sub = tmp_path / cls / ("inner" if i == 0 else "")
            PIL.fromarray(pixels).save(sub / f"{i}.png")
        (tmp_path / cls / "notes.txt").write_text("not an image")
    return tmp_path


def test_image_folder_classes_and_order(image_tree):
    folder = ED.ImageFolder(str(image_tree))
    assert folder.classes == ["cat", "dog"] and folder.class_to_idx == {"cat": 0, "dog": 1}
    assert folder.targets == [0, 0, 0, 1, 1]
    assert [os.path.relpath(p, image_tree) for p, _ in folder.samples] == [
        "cat/1.png", "cat/2.png", "cat/inner/0.png", "dog/1.png", "dog/inner/0.png"]
    image, label = folder[2]
    assert image.mode == "RGB" and image.size == (5, 6) and label == 0


@needs_tv
def test_image_folder_matches_torchvision(image_tree):
    ours = ED.ImageFolder(str(image_tree), transform=ET.ToTensor())
    theirs = TV.datasets.ImageFolder(str(image_tree), transform=TV.transforms.ToTensor())
    assert ours.samples == theirs.samples and ours.classes == theirs.classes
    for i in range(len(ours)):
        np.testing.assert_array_equal(ours[i][0].numpy(), theirs[i][0].numpy())
    assert repr(ours) == repr(theirs)


# -- transforms -------------------------------------------------------------------------------
def _images():
    rng = np.random.default_rng(0)
    rgb = PIL.fromarray(rng.integers(0, 256, (37, 50, 3), dtype=np.uint8))
    grey = PIL.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8))
    return {"rgb": rgb, "grey": grey}


IMAGES = _images()


def test_to_tensor_by_hand():
    """C x H x W layout, bytes / 255 in float32; arrays of other types keep their values."""
    pixels = np.asarray(IMAGES["rgb"])
    t = ET.ToTensor()(IMAGES["rgb"])
    assert t.dtype == ember.float32 and tuple(t.shape) == (3, 37, 50)
    want = pixels.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(t.numpy(), want)
    grey = ET.ToTensor()(np.asarray(IMAGES["grey"]))
    assert tuple(grey.shape) == (1, 28, 28)
    ints = ET.ToTensor()(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert ints.dtype == ember.int32 and ints.numpy().tolist() == [[[0, 1, 2], [3, 4, 5]]]
    bytes_ = ET.PILToTensor()(IMAGES["rgb"])
    assert bytes_.dtype == ember.uint8
    np.testing.assert_array_equal(bytes_.numpy(), pixels.transpose(2, 0, 1))


def test_normalize_by_hand():
    """(x - mean) / std per channel, mean and std rounded to float32 first."""
    x = ET.ToTensor()(IMAGES["rgb"])
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = ET.Normalize(mean, std)(x)
    want = (x.numpy() - np.float32(mean)[:, None, None]) / np.float32(std)[:, None, None]
    np.testing.assert_array_equal(out.numpy(), want)
    assert not np.array_equal(x.numpy(), out.numpy())        # not in place by default
    with pytest.raises(ValueError, match="std evaluated to zero"):
        ET.Normalize((0.5,), (0.0,))(ember.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="should be a float tensor"):
        ET.Normalize((0.5,), (1.0,))(ember.zeros(1, 2, 2, dtype=ember.uint8))


def _tv_and_ember(name, *args, **kwargs):
    return getattr(TV.transforms, name)(*args, **kwargs), getattr(ET, name)(*args, **kwargs)


PIL_CASES = [
    ("ToTensor", (), {}), ("PILToTensor", (), {}), ("Resize", (20,), {}),
    ("Resize", ((64, 40),), {}), ("Resize", (20,), {"interpolation": 0}),
    ("Resize", (18,), {"max_size": 30}), ("CenterCrop", (20,), {}), ("CenterCrop", (61,), {}),
    ("CenterCrop", ((21, 9),), {}), ("Grayscale", (), {}), ("Grayscale", (3,), {}),
    ("Pad", (3,), {}), ("Pad", ((1, 2, 3, 4),), {"padding_mode": "reflect"}),
    ("Pad", (2,), {"fill": 7}), ("Pad", ((2, 1),), {"padding_mode": "edge"}),
    ("RandomHorizontalFlip", (1.0,), {}), ("RandomCrop", (20,), {"padding": 4}),
]


def _same(a, b):
    if isinstance(b, torch.Tensor):
        assert isinstance(a, ember.Tensor)
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    else:
        assert (a.mode, a.size) == (b.mode, b.size)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@needs_tv
@pytest.mark.parametrize("name,args,kwargs,image", [
    (*case, image) for case in PIL_CASES for image in ("rgb", "grey")
    if not (case[0] == "Grayscale" and image == "grey")])       # grey -> grey: nothing to do
def test_transform_on_pil_image_matches_torchvision(name, args, kwargs, image):
    theirs, ours = _tv_and_ember(name, *args, **kwargs)
    torch.manual_seed(5)
    ember.manual_seed(5)
    _same(ours(IMAGES[image]), theirs(IMAGES[image]))
    assert repr(ours) == repr(theirs)


TENSOR_CASES = [
    ("CenterCrop", ((21, 61),), {}), ("CenterCrop", (9,), {}),
    ("RandomHorizontalFlip", (1.0,), {}), ("RandomVerticalFlip", (1.0,), {}),
    ("Pad", ((3, 1, 0, 2),), {"fill": 0.5}), ("Pad", ((3, 1, 0, 2),), {"padding_mode": "edge"}),
    ("Pad", ((3, 1, 0, 2),), {"padding_mode": "reflect"}),
    ("Pad", ((3, 1, 0, 2),), {"padding_mode": "symmetric"}),
    ("Resize", (20,), {"interpolation": 0}), ("Resize", ((13, 77),), {"interpolation": 0}),
    ("Normalize", ((0.5,), (0.25,)), {}), ("Grayscale", (), {}), ("Grayscale", (3,), {}),
    ("RandomCrop", (24,), {"pad_if_needed": True, "padding_mode": "reflect"}),
]


@needs_tv
@pytest.mark.parametrize("name,args,kwargs", TENSOR_CASES)
def test_transform_on_tensor_matches_torchvision(name, args, kwargs):
    if name == "Grayscale":
        image = IMAGES["rgb"]
    else:
        image = IMAGES["grey"]
    theirs, ours = _tv_and_ember(name, *args, **kwargs)
    torch.manual_seed(5)
    ember.manual_seed(5)
    _same(ours(ET.ToTensor()(image)), theirs(TV.transforms.ToTensor()(image)))
    # byte images too (where torchvision accepts them)
    if name not in ("Normalize",):
        torch.manual_seed(5)
        ember.manual_seed(5)
        _same(ours(ET.PILToTensor()(image)), theirs(TV.transforms.PILToTensor()(image)))


@needs_tv
@pytest.mark.parametrize("size", [20, (64, 40), (13, 77), 5])
@pytest.mark.parametrize("antialias", [True, False])
def test_bilinear_resize_of_tensors_matches_torchvision_to_float32_rounding(size, antialias):
    """Pillow resizes PIL images (bit-identical above); tensors go through PyTorch's
    interpolate, whose float32 sums ember reproduces to within a few units in the last place."""
    theirs, ours = _tv_and_ember("Resize", size, antialias=antialias)
    for image in IMAGES.values():
        a = ours(ET.ToTensor()(image)).numpy()
        b = theirs(TV.transforms.ToTensor()(image)).numpy()
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-6)
        a8 = ours(ET.PILToTensor()(image)).numpy().astype(int)
        b8 = theirs(TV.transforms.PILToTensor()(image)).numpy().astype(int)
        assert np.abs(a8 - b8).max() <= 1 and (a8 != b8).mean() < 0.01


@needs_tv
@pytest.mark.parametrize("mode", [None, "L"])
def test_to_pil_image_matches_torchvision(mode):
    grey = ET.ToTensor()(IMAGES["grey"])
    ours = ET.ToPILImage(mode)(grey)
    theirs = TV.transforms.ToPILImage(mode)(TV.transforms.ToTensor()(IMAGES["grey"]))
    _same(ours, theirs)
    rgb = ET.ToPILImage()(ET.PILToTensor()(IMAGES["rgb"]))
    _same(rgb, IMAGES["rgb"])


@needs_mnist
@needs_tv
def test_random_transforms_draw_as_torchvision_does_after_manual_seed(mnist):
    def pipeline(T):
        return T.Compose([T.RandomCrop(24, padding=2), T.RandomHorizontalFlip(),
                          T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    ours, theirs = pipeline(ET), pipeline(TV.transforms)
    torch.manual_seed(3)
    ember.manual_seed(3)
    for i in range(40):
        np.testing.assert_array_equal(ours(mnist[i][0]).numpy(), theirs(mnist[i][0]).numpy())
    assert ember.rand(1).item() == torch.rand(1).item()      # and the generators stay in step


def test_compose_lambda_and_reprs():
    pipeline = ET.Compose([ET.Resize(3), ET.Lambda(lambda x: x), ET.Normalize((1,), (2,))])
    assert repr(pipeline) == (
        "Compose(\n    Resize(size=3, interpolation=bilinear, max_size=None, antialias=True)\n"
        "    Lambda()\n    Normalize(mean=(1,), std=(2,))\n)")
    assert isinstance(ET.Normalize((0,), (1,)), ember.nn.Module)      # as in torchvision
    with pytest.raises(TypeError, match="Argument lambd should be callable"):
        ET.Lambda(3)


# -- make_grid and save_image -----------------------------------------------------------------
GRID_CASES = [{}, {"nrow": 3, "padding": 1, "pad_value": 0.5}, {"normalize": True},
              {"normalize": True, "scale_each": True},
              {"normalize": True, "value_range": (-1.0, 1.0)}]


@needs_tv
@pytest.mark.parametrize("kwargs", GRID_CASES)
def test_make_grid_matches_torchvision(kwargs):
    batch = np.random.default_rng(1).standard_normal((7, 1, 5, 6)).astype(np.float32)
    ours = EU.make_grid(ember.from_numpy(batch.copy()), **kwargs)
    theirs = TV.utils.make_grid(torch.from_numpy(batch.copy()), **kwargs)
    _same(ours, theirs)
    single = EU.make_grid([ember.from_numpy(batch[0].copy())], **kwargs)
    _same(single, TV.utils.make_grid([torch.from_numpy(batch[0].copy())], **kwargs))


def test_make_grid_layout_by_hand():
    batch = ember.from_numpy(np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1) + 1)
    grid = EU.make_grid(batch, nrow=2, padding=1).numpy()
    assert grid.shape == (3, 3 * 2 + 1, 2 * 2 + 1)           # 3 rows of 2, 1-pixel borders
    assert grid[0, 1::2, 1::2].tolist() == [[1, 2], [3, 4], [5, 0]]


@needs_tv
def test_save_image_writes_what_torchvision_writes(tmp_path):
    batch = np.random.default_rng(2).random((4, 3, 8, 8), dtype=np.float32)
    EU.save_image(ember.from_numpy(batch.copy()), tmp_path / "ours.png", nrow=2)
    TV.utils.save_image(torch.from_numpy(batch.copy()), tmp_path / "theirs.png", nrow=2)
    np.testing.assert_array_equal(np.asarray(PIL.open(tmp_path / "ours.png")),
                                  np.asarray(PIL.open(tmp_path / "theirs.png")))


# -- torch.cuda, torch.backends, torch.accelerator, threads -----------------------------------
def _outcome(call):
    try:
        return ("value", call())
    except Exception as error:  # the type and message must match
        return (type(error).__name__, str(error))


@pytest.mark.parametrize("expr", [
    "cuda.is_available()", "cuda.device_count()", "cuda.manual_seed(1)",
    "cuda.manual_seed_all(1)", "cuda.seed()", "cuda.is_initialized()",
    "cuda.synchronize()", "cuda.current_device()", "cuda.get_device_name()",
    "cuda.empty_cache()", "cuda.memory_allocated()", "cuda.is_bf16_supported()",
    "cuda.get_rng_state()", "cuda.set_device('cpu')",
    "backends.cudnn.is_available()", "backends.cudnn.version()", "backends.cudnn.enabled",
    "backends.cudnn.deterministic", "backends.cudnn.benchmark", "backends.mps.is_available()",
    "backends.mps.is_built()", "backends.cuda.is_built()",
    "backends.cuda.matmul.allow_tf32", "accelerator.is_available()",
    "accelerator.current_accelerator()", "accelerator.device_count()",
    "accelerator.current_device_index()", "accelerator.synchronize()",
])
def test_cpu_only_answers_match_torch(expr):
    namespace = {"cuda": ember.cuda, "backends": ember.backends, "accelerator": ember.accelerator}
    ours = _outcome(lambda: eval(expr, namespace))
    theirs = _outcome(lambda: eval(expr, {"cuda": torch.cuda, "backends": torch.backends,
                                          "accelerator": torch.accelerator}))
    assert ours == theirs


def test_cudnn_flags_are_kept_and_restored():
    cudnn = ember.backends.cudnn
    saved = cudnn.deterministic, cudnn.benchmark
    try:
        cudnn.deterministic, cudnn.benchmark = True, False
        assert cudnn.deterministic is True
        with cudnn.flags(enabled=False, deterministic=False):
            assert cudnn.enabled is False and cudnn.deterministic is False
        assert cudnn.enabled is True and cudnn.deterministic is True
    finally:
        cudnn.deterministic, cudnn.benchmark = saved


def test_cuda_device_context_fails_as_without_cuda():
    with pytest.raises(RuntimeError, match="compiled without CUDA support"):
        with ember.cuda.device(0):
            pass


def test_set_num_threads_checks_like_torch():
    before = _compat.get_num_threads()
    try:
        _compat.set_num_threads(1)
        assert _compat.get_num_threads() == 1
    finally:
        _compat.set_num_threads(before)
    for bad in (0, "a"):
        theirs = _outcome(lambda: torch.set_num_threads(bad))
        assert _outcome(lambda: _compat.set_num_threads(bad)) == theirs


# -- without Pillow ---------------------------------------------------------------------------
@needs_mnist
def test_without_pillow_items_are_arrays_that_to_tensor_turns_into_the_same_tensor(
        monkeypatch, mnist):
    from ember.vision import _pil
    with_pil = ET.ToTensor()(mnist[5][0]).numpy()
    monkeypatch.setattr(_pil, "Image", None)
    image, _ = mnist[5]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    np.testing.assert_array_equal(ET.ToTensor()(image).numpy(), with_pil)
    with pytest.raises(ImportError, match="pip install pillow"):
        EU.save_image(ember.zeros(1, 2, 2), "never.png")


@needs_mnist
def test_download_true_with_the_split_present_needs_no_network():
    # shared/data is read-only and offline: nothing is fetched when the files are there
    assert len(ED.MNIST(str(DATA), train=False, download=True)) == 10000

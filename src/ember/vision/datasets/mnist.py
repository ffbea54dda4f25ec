"""MNIST and Fashion-MNIST, read from the IDX files exactly where torchvision keeps them.

    root/MNIST/raw/train-images-idx3-ubyte    60,000 training images, 28x28, one byte per pixel
    root/MNIST/raw/train-labels-idx1-ubyte    their labels 0..9
    root/MNIST/raw/t10k-images-idx3-ubyte     10,000 test images
    root/MNIST/raw/t10k-labels-idx1-ubyte     their labels

Each file may also be left compressed (the same name with `.gz`, as downloaded): ember reads
it directly. (torchvision needs all four files unpacked; ember needs only the two of the split
asked for, so a folder holding just the test split -- as ../shared/data does -- loads with
`train=False`.) Folders made by torchvision < 0.9 (`root/MNIST/processed/training.pt` and
`test.pt`) are read as torchvision still reads them.

An IDX file is a big-endian header -- two zero bytes, a type code (8 = unsigned byte), the
number of dimensions -- then one 4-byte size per dimension, then the values.

>>> from ember.vision import datasets                                     # doctest: +SKIP
>>> test = datasets.MNIST("../shared/data", train=False)                 # doctest: +SKIP
>>> image, label = test[0]       # a 28x28 PIL image (grey levels 0..255) and the int 7
"""
import gzip
import os
import warnings

import numpy as np

from ... import _creation
from ...serialization import load as _load
from .. import _pil
from .utils import check_integrity, download_from_mirrors
from .vision import VisionDataset

# IDX type codes and the NumPy types they hold (big-endian where wider than a byte)
_IDX_TYPES = {8: np.uint8, 9: np.int8, 11: np.dtype(">i2"), 12: np.dtype(">i4"),
              13: np.dtype(">f4"), 14: np.dtype(">f8")}


def _open_maybe_gz(path):
    """Open `path`, or `path + '.gz'` decompressing on the fly."""
    if os.path.isfile(path):
        return open(path, "rb")
    return gzip.open(path + ".gz", "rb")


def read_sn3_pascalvincent_array(path):
    """Read an IDX file ("SN3 Pascal Vincent" format) into a NumPy array of its shape."""
    with _open_maybe_gz(path) as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (it must start with two zero bytes)")
    kind, ndim = data[2], data[3]
    if kind not in _IDX_TYPES or not 1 <= ndim <= 3:
        raise ValueError(f"{path}: unknown IDX type code {kind} or {ndim} dimensions")
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    values = np.frombuffer(data, dtype=_IDX_TYPES[kind], offset=4 * (ndim + 1))
    # store in the machine's byte order, as a torch tensor would be
    return values.astype(values.dtype.newbyteorder("="), copy=False).reshape(shape)


def read_image_file(path):
    """The images of an IDX file as a uint8 tensor of shape (N, H, W)."""
    x = read_sn3_pascalvincent_array(path)
    if x.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"x should have 3 dimension instead of {x.ndim}")
    return _creation.from_numpy(np.ascontiguousarray(x))


def read_label_file(path):
    """The labels of an IDX file as an int64 tensor (torchvision's `.long()`)."""
    x = read_sn3_pascalvincent_array(path)
    if x.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"x should have 1 dimension instead of {x.ndim}")
    return _creation.from_numpy(x.astype(np.int64))


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 28x28 grey images with their digit as label.

    `root` is the folder that holds `MNIST/raw/` (not `raw/` itself); `train` picks the
    60,000 training digits or the 10,000 test digits; `download=True` fetches the missing
    files from torchvision's mirrors (an error names the files to put there when offline).
    Items are `(image, label)`: a PIL image in mode "L" (a NumPy array when Pillow is not
    installed) passed through `transform`, and an int passed through `target_transform`.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
        else:
            if download:
                self.download()
            if not self._check_exists():
                raise RuntimeError(
                    "Dataset not found. You can use download=True to download it\n"
                    f"({type(self).__name__} looks in {self.raw_folder} for "
                    f"{' and '.join(self._split_files())}, each unpacked or as the .gz "
                    "torchvision downloads)")
            self.data, self.targets = self._load_data()
        # a NumPy view of the pixels, so that taking one image is cheap
        self._pixels = self.data.numpy()

    # -- where the files are ------------------------------------------------------------------
    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _split_files(self):
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _check_exists(self):
        """Both files of the requested split are there, unpacked or as .gz."""
        return all(os.path.isfile(path) or os.path.isfile(path + ".gz")
                   for path in (os.path.join(self.raw_folder, f) for f in self._split_files()))

    def _check_legacy_exist(self):
        return all(check_integrity(os.path.join(self.processed_folder, f))
                   for f in (self.training_file, self.test_file))

    def _load_legacy_data(self):
        # torchvision < 0.9 saved (images, labels) with torch.save; ember.load reads that format
        name = self.training_file if self.train else self.test_file
        return _load(os.path.join(self.processed_folder, name))

    def _load_data(self):
        images, labels = (os.path.join(self.raw_folder, f) for f in self._split_files())
        return read_image_file(images), read_label_file(labels)

    def download(self):
        """Fetch the requested split's files that are missing, trying each mirror in turn."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        wanted = {f + ".gz" for f in self._split_files()}
        for filename, md5 in self.resources:
            if filename in wanted:
                download_from_mirrors(self.mirrors, filename, self.raw_folder, md5)

    # -- the items ----------------------------------------------------------------------------
    def __getitem__(self, index):
        img, target = self._pixels[index], int(self.targets[index])
        # a PIL image, as every torchvision dataset gives, so transforms see the same input
        if _pil.Image is not None:
            img = _pil.from_array(img, mode="L")
        else:
            img = img.copy()
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"

    # the names used before torchvision 0.2.2, which old course programs still use
    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data")
        return self.data


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey pictures of 10 kinds of clothing, MNIST's layout,
    under `root/FashionMNIST/raw/`."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]

"""CIFAR-10 and CIFAR-100: 32x32 colour photos, read from the "python version" pickles.

torchvision keeps them where the official archive unpacks:

    root/cifar-10-batches-py/data_batch_1 ... data_batch_5   10,000 training images each
    root/cifar-10-batches-py/test_batch                      10,000 test images
    root/cifar-10-batches-py/batches.meta                    the class names

Each batch is a pickled dict: "data" is an (N, 3072) uint8 array -- per image 1024 red, then
1024 green, then 1024 blue values, row by row -- and "labels" the class of each image. Every
file is checked against its md5 sum, as torchvision does, so a truncated download is caught.
"""
import os
import pickle

import numpy as np

from .. import _pil
from .utils import check_integrity, download_and_extract_archive
from .vision import VisionDataset


class CIFAR10(VisionDataset):
    """CIFAR-10: 60,000 32x32 RGB images of 10 classes (50,000 train, 10,000 test).

    Items are `(image, label)`: a PIL RGB image (a (32, 32, 3) uint8 array without Pillow)
    and an int. `download=True` fetches and unpacks the 163 MB archive from the same URL as
    torchvision.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            folder = os.path.join(self.root, self.base_folder)
            bad = [name for name, md5 in self.train_list + self.test_list
                   if not check_integrity(os.path.join(folder, name), md5)]
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it\n"
                f"({type(self).__name__} looks in {folder} for the unpacked {self.filename}; "
                f"missing or not matching their official md5 sums: {', '.join(bad)})")
        self.data = []
        self.targets = []
        for file_name, _ in (self.train_list if self.train else self.test_list):
            with open(os.path.join(self.root, self.base_folder, file_name), "rb") as f:
                # the pickles were written by Python 2: latin1 keeps their byte strings intact
                entry = pickle.load(f, encoding="latin1")
            self.data.append(entry["data"])
            self.targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        # (N, 3072) -> (N, 3, 32, 32) -> (N, 32, 32, 3): height, width, channel like a photo
        self.data = np.vstack(self.data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self._load_meta()

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use "
                               "download=True to download it")
        with open(path, "rb") as f:
            self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        img = _pil.from_array(img) if _pil.Image is not None else img.copy()
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def _check_integrity(self):
        return all(check_integrity(os.path.join(self.root, self.base_folder, name), md5)
                   for name, md5 in self.train_list + self.test_list)

    def download(self):
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: the same images' format with 100 fine classes."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}

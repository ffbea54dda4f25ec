"""Run an ember course program on real PyTorch: `ember` -> `torch`, `ember.vision` -> `torchvision`.

    python tests/course_on_torch.py examples/course/lecture09_softmax_classifier.py

This measures the accuracy floors the course tests check (same recipe, PyTorch's numbers).
torchvision's MNIST needs the four IDX files unpacked, so the digits stored in shared/data
are unpacked into a temporary root first (the training-split names point at the test files,
which the programs never read). `ember.viz` has no PyTorch counterpart: lecture 4 is not run.
"""
import gzip
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import shutil
import sys
import tempfile
import types
from pathlib import Path


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def _real(self, fullname):
        if fullname == "ember" or fullname.startswith("ember."):
            if fullname == "ember.vision" or fullname.startswith("ember.vision."):
                return "torchvision" + fullname[len("ember.vision"):]
            return "torch" + fullname[len("ember"):]
        return None

    def find_spec(self, fullname, path=None, target=None):
        real = self._real(fullname)
        if real is None:
            return None
        module = importlib.import_module(real)
        return importlib.util.spec_from_loader(fullname, self,
                                               is_package=hasattr(module, "__path__"))

    def create_module(self, spec):
        return importlib.import_module(self._real(spec.name))

    def exec_module(self, module):
        pass


def _data_root(shared):
    root = Path(tempfile.mkdtemp(prefix="course_on_torch_"))
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        with gzip.open(shared / "MNIST" / "raw" / f"t10k-{kind}.gz") as src:
            data = src.read()
        (raw / f"t10k-{kind}").write_bytes(data)
        (raw / f"train-{kind}").write_bytes(data)
    for name in ("diabetes.csv", "names_train.csv", "names_test.csv"):
        shutil.copy(shared / name, root / name)
    return root


def main():
    program = sys.argv[1]
    shared = Path(os.environ.get("EMBER_DATA")
                  or Path(__file__).resolve().parents[2] / "shared" / "data")
    root = _data_root(shared)
    os.environ["EMBER_DATA"] = str(root)
    # torchvision 0.28's wheel is built for CUDA torch; its C ops do not load beside the CPU
    # torch, and registering their fake kernels fails -- the Python parts we use need neither
    sys.modules.setdefault("torchvision._meta_registrations",
                           types.ModuleType("torchvision._meta_registrations"))
    sys.meta_path.insert(0, _Alias())
    sys.path.insert(0, str(Path(program).resolve().parent))
    sys.argv = sys.argv[1:]
    try:
        runpy.run_path(program, run_name="__main__")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

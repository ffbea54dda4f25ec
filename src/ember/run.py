"""Run an unmodified PyTorch program on ember: `python -m ember.run program.py [args...]`.

An import hook answers every `import torch` / `import torch.X.Y` with `ember` / `ember.X.Y`
(and `torchvision.X` with `ember.vision.X`), so nothing in the program is edited.
"""
import importlib
import importlib.abc
import importlib.machinery
import os
import runpy
import sys

# the names a program imports, and the ember package that stands in for each
ALIASES = {"torch": "ember", "torchvision": "ember.vision"}


class TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `torch...` modules by importing the matching `ember...` module."""

    def _target(self, fullname):
        top, dot, rest = fullname.partition(".")
        if top not in ALIASES:
            return None
        return ALIASES[top] + dot + rest

    def find_spec(self, fullname, path=None, target=None):
        name = self._target(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name is not None and name.startswith(error.name):
                return None          # ember has no such module: let the import fail normally
            raise
        return importlib.machinery.ModuleSpec(fullname, self,
                                              is_package=hasattr(module, "__path__"))

    def create_module(self, spec):
        return importlib.import_module(self._target(spec.name))

    def exec_module(self, module):
        pass                         # already executed when ember imported it


def install():
    """Make `import torch` resolve to ember in this process."""
    if not any(isinstance(f, TorchAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchAlias())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.exit("usage: python -m ember.run program.py [args...]")
    install()
    sys.argv = list(argv)
    # as `python program.py` does: the program's folder comes first on the import path
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
    runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main()

"""Plumbing shared by the course programs -- not part of any lesson.

- DATA: the folder with the data sets (../shared/data beside the repository, or $EMBER_DATA).
- FAST: True when EMBER_FAST=1, for the tests: fewer samples and epochs, same code.
- progress(): a progress bar over a long loop (tqdm when installed, a plain one otherwise).
- mnist_split(): the MNIST digits available here, split into a training and a test part.
"""
import os
import sys
from pathlib import Path

FAST = os.environ.get("EMBER_FAST", "") not in ("", "0")
DATA = Path(os.environ.get("EMBER_DATA")
            or Path(__file__).resolve().parents[3] / "shared" / "data")


def pick(full, fast):
    """`full` normally, `fast` under EMBER_FAST=1."""
    return fast if FAST else full


def progress(iterable, desc="", total=None):
    """Wrap a loop with a progress bar on stderr (stdout stays for the results)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(iterable, desc, total)
    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr,
                disable=not sys.stderr.isatty())


class _PlainBar:
    """A one-line bar redrawn with carriage returns, shown only on a terminal."""

    def __init__(self, iterable, desc, total):
        self.iterable, self.desc = iterable, desc
        self.total = total if total is not None else len(iterable)
        self.show = sys.stderr.isatty()

    def __iter__(self):
        for i, item in enumerate(self.iterable, 1):
            yield item
            if self.show and (i == self.total or i % max(1, self.total // 50) == 0):
                done = int(30 * i / self.total)
                sys.stderr.write(f"\r{self.desc} [{'#' * done}{'.' * (30 - done)}] "
                                 f"{i}/{self.total}")
                sys.stderr.flush()
        if self.show:
            sys.stderr.write("\r" + " " * (len(self.desc) + 50) + "\r")


def mnist_split(datasets, transform, n_train, n_test):
    """The first n_train digits of the MNIST test file for training, the last n_test for
    testing.

    Only MNIST's test split (10,000 digits) is stored here, so the lectures train on part of
    it and test on other digits they never saw. With the full data, use
    `datasets.MNIST(root, train=True, download=True, transform=transform)` for training and
    `train=False` for testing, exactly as the course does.
    """
    from ember.utils.data import Subset
    digits = datasets.MNIST(DATA, train=False, transform=transform)
    if n_train + n_test > len(digits):
        raise ValueError(f"only {len(digits)} digits here")
    return (Subset(digits, range(n_train)),
            Subset(digits, range(len(digits) - n_test, len(digits))))

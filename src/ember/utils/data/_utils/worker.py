"""The loop each DataLoader worker process runs: take a batch of indices from its index queue,
fetch and collate the samples, put the batch (or the exception) on the shared result queue.
"""
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

MP_STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: its `id`, `num_workers`, its `seed`
    and its copy of the `dataset`."""
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """Inside a DataLoader worker process, that worker's `WorkerInfo`; None in the main
    process. An IterableDataset uses it to give each worker a different share of the data.

    >>> get_worker_info() is None
    True
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback and
    raised there again (PyTorch's `torch._utils.ExceptionWrapper`)."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            # KeyError repr()s its message; wrap it so the traceback stays readable
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class KeyErrorMessage(str):
    def __repr__(self):
        return self


def _generate_state(base_seed, worker_id):
    """The 4-word NumPy seed PyTorch gives each worker: a hash of (worker_id, base_seed) in
    the style of NumPy's SeedSequence, so workers do not share NumPy random streams."""
    INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
    INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
    MIX_MULT_L, MIX_MULT_R = 0xCA01F9DD, 0x4973F715
    XSHIFT = 4 * 8 // 2
    MASK32 = 0xFFFFFFFF

    entropy = [worker_id, base_seed & MASK32, base_seed >> 32, 0]
    pool = [0] * 4
    hash_const_A = INIT_A

    def hash(value):
        nonlocal hash_const_A
        value = (value ^ hash_const_A) & MASK32
        hash_const_A = (hash_const_A * MULT_A) & MASK32
        value = (value * hash_const_A) & MASK32
        value = (value ^ (value >> XSHIFT)) & MASK32
        return value

    def mix(x, y):
        result_x = (MIX_MULT_L * x) & MASK32
        result_y = (MIX_MULT_R * y) & MASK32
        result = (result_x - result_y) & MASK32
        result = (result ^ (result >> XSHIFT)) & MASK32
        return result

    for i in range(len(pool)):
        pool[i] = hash(entropy[i])
    for i_src in range(len(pool)):
        for i_dst in range(len(pool)):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash(pool[i_src]))

    hash_const_B = INIT_B
    state = []
    for i_dst in range(4):
        data_val = pool[i_dst]
        data_val = (data_val ^ hash_const_B) & MASK32
        hash_const_B = (hash_const_B * MULT_B) & MASK32
        data_val = (data_val * hash_const_B) & MASK32
        data_val = (data_val ^ (data_val >> XSHIFT)) & MASK32
        state.append(data_val)
    return state


def _seed_worker(seed, base_seed, worker_id):
    """Seed Python's, ember's and NumPy's global generators in a fresh worker, as PyTorch does,
    so random augmentations differ between workers yet repeat from run to run."""
    random.seed(seed)
    import ember
    if hasattr(ember, "manual_seed"):
        ember.manual_seed(seed)
    elif getattr(ember, "random", None) is not None and hasattr(ember.random, "manual_seed"):
        ember.random.manual_seed(seed)
    import numpy as np
    np.random.seed(_generate_state(base_seed, worker_id))


def _worker_loop(dataset_kind, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    from . import fetch
    try:
        seed = base_seed + worker_id
        _seed_worker(seed, base_seed, worker_id)

        global _worker_info
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)

        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            if dataset_kind == 0:
                fetcher = fetch._MapDatasetFetcher(dataset, auto_collation, collate_fn,
                                                   drop_last)
            else:
                fetcher = fetch._IterableDatasetFetcher(dataset, auto_collation, collate_fn,
                                                        drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        iteration_end = False
        parent = os.getppid()
        while os.getppid() == parent:       # stop if the main process died
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if r is None:
                break                        # the main process asked us to stop
            if done_event.is_set() or iteration_end:
                continue                     # drain the queue until the final None
            idx, index = r
            if init_exception is not None:
                data = init_exception
                init_exception = None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == 1:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()

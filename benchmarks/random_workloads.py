"""Benchmark workloads for the random generator (issue 6), in the format of workloads.py.

Each function `fn(torch, scale)` receives the module to use (ember imported as torch, or
PyTorch) and returns {"value", "unit", "cpu", "check", ...} like the workloads in
workloads.py. This module imports neither library.

Every workload seeds with `torch.manual_seed(0)` before each timed call, so both systems time
exactly the same draws, and the check value is a few of the drawn numbers, which must agree
bit for bit (the runner warns if they differ).

Hook it into the runner by merging its table into `workloads.WORKLOADS`, e.g. at the end of
workloads.py:

    from random_workloads import WORKLOADS as _RANDOM_WORKLOADS
    WORKLOADS.update(_RANDOM_WORKLOADS)

It can also be run on its own: `python benchmarks/random_workloads.py [--repeat N]` runs each
workload under both systems in alternating fresh processes and prints the ratios.
"""
import os
import statistics
import sys
import time


def _timed(torch, make, n_calls):
    """Median wall and CPU time (ms) of `make()` over n_calls calls, each after
    manual_seed(0) (outside the timed region); two warm-up calls first."""
    for _ in range(2):
        torch.manual_seed(0)
        make()
    times, cpu = [], []
    result = None
    for _ in range(n_calls):
        torch.manual_seed(0)
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = make()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times) * 1e3, statistics.median(cpu) * 1e3, times, result


def _check(values):
    """A few drawn values, combined into one float that equal bits reproduce exactly."""
    flat = values.reshape(-1)
    n = flat.shape[0]
    picks = [flat[i].item() for i in (0, n // 3, n // 2, n - 1)]
    return float(sum(float(p) * (i + 1) for i, p in enumerate(picks)))


def _workload(make, n_calls):
    def fn(torch, scale=1.0):
        value, cpu, times, result = _timed(torch, lambda: make(torch),
                                           max(3, round(n_calls * scale)))
        return {"value": value, "unit": "ms/call", "cpu": cpu, "check": _check(result),
                "spread": [min(times) * 1e3, max(times) * 1e3]}
    fn.__doc__ = make.__doc__
    return fn


def _rand(torch):
    """torch.rand(10**6): one million float32 uniforms (one word each)."""
    return torch.rand(10 ** 6)


def _randn(torch):
    """torch.randn(10**6): the float32 block Box-Muller (PyTorch's AVX2 kernel; ember emulates
    its single-precision log and sincos operation by operation)."""
    return torch.randn(10 ** 6)


def _randint(torch):
    """torch.randint(0, 10, (10**6,)): one word per value."""
    return torch.randint(0, 10, (10 ** 6,))


def _randperm(torch):
    """torch.randperm(60000): MNIST's shuffle (59999 words, then the swaps)."""
    return torch.randperm(60000)


def _randn_small(torch):
    """torch.randn(100, 10): a learner-scale call (1000 values, block path)."""
    return torch.randn(100, 10)


def _rand_small(torch):
    """torch.rand(100, 10): a learner-scale call."""
    return torch.rand(100, 10)


def _linear_init(torch):
    """torch.nn.Linear(784, 256): kaiming_uniform_(a=sqrt(5)) on the 256x784 weight and
    uniform_ on the bias (200,960 float32 uniforms)."""
    return torch.nn.Linear(784, 256).weight.detach()


def _randn_learner(torch):
    """torch.randn(10**5): the largest learner-scale call (target: under 1 ms, absolute)."""
    return torch.randn(10 ** 5)


def _shuffled_epoch(torch):
    """One epoch of a shuffled DataLoader over 60,000 samples (MNIST's size), batches of 1000:
    the base seed, the sampler's seed and randperm(60000), then 60 index batches."""
    data = torch.utils.data.TensorDataset(torch.arange(60000))
    loader = torch.utils.data.DataLoader(data, batch_size=1000, shuffle=True)
    first = None
    for (batch,) in loader:
        if first is None:
            first = batch
    return first


# name -> description used by the runner (same keys as workloads.WORKLOADS). Targets are
# ember/torch wall-time ratios; the learner-scale workloads have an absolute target instead
# (under 1 ms per call), which the runner does not check: see benchmarks/README.md.
WORKLOADS = {
    "rand_1e6": {"kind": "inprocess", "fn": _workload(_rand, 15),
                 "targets": {"time": 3.0, "cpu": None}},
    "randn_1e6": {"kind": "inprocess", "fn": _workload(_randn, 9),
                  "targets": {"time": 20.0, "cpu": None}},
    "randint_1e6": {"kind": "inprocess", "fn": _workload(_randint, 15),
                    "targets": {"time": 3.0, "cpu": None}},
    "randperm_60000": {"kind": "inprocess", "fn": _workload(_randperm, 15),
                       "targets": {"time": None, "cpu": None}},
    "linear_784_256_init": {"kind": "inprocess", "fn": _workload(_linear_init, 15),
                            "targets": {"time": None, "cpu": None}},
    "shuffled_epoch_60000": {"kind": "inprocess", "fn": _workload(_shuffled_epoch, 9),
                             "targets": {"time": None, "cpu": None}},
    "randn_1e5": {"kind": "inprocess", "fn": _workload(_randn_learner, 30),
                  "targets": {"time": None, "cpu": None}},
    "randn_100x10": {"kind": "inprocess", "fn": _workload(_randn_small, 200),
                     "targets": {"time": None, "cpu": None}},
    "rand_100x10": {"kind": "inprocess", "fn": _workload(_rand_small, 200),
                    "targets": {"time": None, "cpu": None}},
}


# -- standalone use --------------------------------------------------------------------------------

def _child(system, name):
    import json
    if system == "torch":
        import torch
        torch.set_num_threads(1)
    else:
        import ember as torch
    res = WORKLOADS[name]["fn"](torch)
    print("@@RES@@ " + json.dumps(res))


def _main(argv):
    import json
    import subprocess
    repeat = 5
    names = []
    i = 0
    while i < len(argv):
        if argv[i] == "--repeat":
            repeat = int(argv[i + 1])
            i += 2
        else:
            names.append(argv[i])
            i += 1
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for name in names or list(WORKLOADS):
        runs = {"ember": [], "torch": []}
        checks = {}
        for _ in range(repeat):
            for system in ("ember", "torch"):
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                                      system, name], capture_output=True, env=env, check=True)
                line = [ln for ln in out.stdout.decode().splitlines()
                        if ln.startswith("@@RES@@ ")][-1]
                res = json.loads(line[8:])
                runs[system].append(res["value"])
                checks[system] = res["check"]
        ratios = [e / t for e, t in zip(runs["ember"], runs["torch"])]
        target = WORKLOADS[name]["targets"]["time"]
        print(f"{name:22s} ember {statistics.median(runs['ember']):9.3f} ms  torch "
              f"{statistics.median(runs['torch']):9.3f} ms  ratio "
              f"{statistics.median(ratios):6.2f}  (target {target})"
              + ("" if checks["ember"] == checks["torch"] else "  WARNING: values differ"))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        _main(sys.argv[1:])

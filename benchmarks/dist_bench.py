"""Distributed benchmarks: ember.distributed (MPI) against torch.distributed (gloo).

    python benchmarks/dist_bench.py [--repeat N]

(a) scaling: the same small training step (an MLP, SGD, 128 samples per process) in 1 process
    and in 2 processes with DistributedDataParallel; throughput in samples/s over all processes.
    "ember-alone" runs 2 processes without DDP (each trains on its own, no communication): the
    part of the 2-process cost that comes from sharing the machine, not from averaging.
(b) allreduce of 10 MiB of float32 between 2 processes: ember's all_reduce over MPI, torch's
    over gloo (TCP on 127.0.0.1), and mpi4py's own Allreduce on a NumPy array (what ember adds
    to MPI). Reported: the median time of one allreduce and the bandwidth, 10 MiB / time.

Every configuration runs in fresh processes started by mpiexec (torch's processes read their
rank from the launcher's PMI_RANK and meet at a TCP address), with one BLAS/OpenMP thread per
process, `--repeat` times (default 3), alternating the systems; the median run is reported.

Internal: `dist_bench.py --worker KIND SYSTEM` is what mpiexec starts in each process.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = "@@DIST@@ "
BATCH, STEPS, WARMUP = 128, 60, 5
SIZES = (256, 512, 512, 10)           # the MLP's layer widths
ALLREDUCE_BYTES = 10 * 1024 * 1024
ALLREDUCE_REPEATS = 30


# ============================================================================ worker side
def _torch_group(torch):
    """torch.distributed over gloo, its rank given by mpiexec (None in a 1-process run)."""
    rank, size = int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))
    if size == 1:
        return 0, 1
    torch.distributed.init_process_group("gloo", init_method=os.environ["BENCH_TCP"],
                                         rank=rank, world_size=size)
    return rank, size


def _ember_group(ember):
    import ember.distributed as dist
    dist.init_process_group("mpi")
    return dist.get_rank(), dist.get_world_size()


def worker_train(system):
    import numpy as np
    if system == "torch":
        import torch
        torch.set_num_threads(1)
        rank, size = _torch_group(torch)
    else:
        import ember as torch
        rank, size = _ember_group(torch)
    torch.manual_seed(0)
    layers = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    if size > 1 and system != "ember-alone":
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(rank)
    x = torch.tensor(rng.normal(size=(BATCH, SIZES[0])).astype(np.float32))
    y = torch.tensor(rng.integers(0, SIZES[-1], BATCH))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(WARMUP):
        step()
    _barrier(torch, size)
    start = time.perf_counter()
    for _ in range(STEPS):
        loss = step()
    _barrier(torch, size)
    elapsed = time.perf_counter() - start
    if rank == 0:
        _report({"samples_per_s": size * BATCH * STEPS / elapsed,
                 "step_ms": elapsed / STEPS * 1e3, "loss": loss.item()})
    _leave(torch)


def _leave(torch):
    """Leave the group before exiting (gloo aborts at exit otherwise)."""
    if torch.distributed.is_initialized():
        torch.distributed.barrier()         # nobody tears down while another still talks
        torch.distributed.destroy_process_group()


def _barrier(torch, size):
    if size > 1:
        torch.distributed.barrier()


def worker_allreduce(system):
    import numpy as np
    count = ALLREDUCE_BYTES // 4
    if system == "mpi4py":
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        rank, data = comm.Get_rank(), np.ones(count, np.float32)

        def allreduce():
            comm.Allreduce(MPI.IN_PLACE, data, MPI.SUM)
        barrier = comm.Barrier
    else:
        if system == "torch":
            import torch
            torch.set_num_threads(1)
            rank, _ = _torch_group(torch)
        else:
            import ember as torch
            rank, _ = _ember_group(torch)
        data = torch.ones(count)

        def allreduce():
            torch.distributed.all_reduce(data)
        barrier = torch.distributed.barrier
    times = []
    for i in range(ALLREDUCE_REPEATS + 3):
        barrier()
        start = time.perf_counter()
        allreduce()
        if i >= 3:                          # the first few set up connections and buffers
            times.append(time.perf_counter() - start)
    if rank == 0:
        median = statistics.median(times)
        _report({"ms": median * 1e3, "MiB_per_s": ALLREDUCE_BYTES / 2**20 / median})
    if system != "mpi4py":
        _leave(torch)


def _report(result):
    print(MARK + json.dumps(result), flush=True)


# ============================================================================ driver side
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else "mpiexec"


def launch(kind, system, processes):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               HYDRA_LAUNCHER="fork", BENCH_TCP=f"tcp://127.0.0.1:{_free_port()}")
    command = [_mpiexec(), "-n", str(processes), sys.executable, os.path.abspath(__file__),
               "--worker", kind, system]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    lines = [line for line in out.stdout.splitlines() if line.startswith(MARK)]
    if not lines:
        raise RuntimeError(f"{kind} {system} x{processes} failed:\n{out.stderr}")
    if out.returncode != 0:       # gloo sometimes aborts at exit, after the result was out
        print(f"note: {kind} {system} x{processes} exited with {out.returncode} after "
              "reporting", file=sys.stderr)
    line = lines[0]
    return json.loads(line[len(MARK):])


def median_run(runs, key):
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "SYSTEM"))
    args = parser.parse_args()
    if args.worker:
        kind, system = args.worker
        {"train": worker_train, "allreduce": worker_allreduce}[kind](system)
        return

    train = {(s, n): [] for s in ("ember", "torch") for n in (1, 2)}
    train["ember-alone", 2] = []      # 2 processes, no DDP: what sharing the cores costs
    allreduce = {s: [] for s in ("ember", "torch", "mpi4py")}
    for _ in range(args.repeat):
        for system, processes in train:
            train[system, processes].append(launch("train", system, processes))
        for system in allreduce:
            allreduce[system].append(launch("allreduce", system, 2))

    print(f"(a) training step, MLP {'-'.join(map(str, SIZES))}, batch {BATCH} per process, "
          f"SGD; median of {args.repeat} runs of {STEPS} steps")
    print(f"{'system':11} {'processes':>9} {'step ms':>9} {'samples/s':>10} {'speedup':>8} "
          f"{'samples/s over the runs':>24}")
    for system in ("ember", "ember-alone", "torch"):
        one = median_run(train[system.split("-")[0], 1], "samples_per_s")["samples_per_s"]
        for processes in (1, 2):
            if (system, processes) not in train:
                continue
            runs = train[system, processes]
            run = median_run(runs, "samples_per_s")
            spread = f"{min(r['samples_per_s'] for r in runs):.0f}-" \
                     f"{max(r['samples_per_s'] for r in runs):.0f}"
            print(f"{system:11} {processes:>9} {run['step_ms']:>9.2f} "
                  f"{run['samples_per_s']:>10.0f} {run['samples_per_s'] / one:>7.2f}x "
                  f"{spread:>24}")
    print()
    print(f"(b) allreduce (sum) of 10 MiB float32, 2 processes; median of {ALLREDUCE_REPEATS} "
          f"calls, median of {args.repeat} runs")
    print(f"{'system':24} {'ms':>8} {'MiB/s':>8} {'ms over the runs':>17}")
    names = {"ember": "ember all_reduce (MPI)", "torch": "torch all_reduce (gloo)",
             "mpi4py": "mpi4py Allreduce (NumPy)"}
    for system, runs in allreduce.items():
        run = median_run(runs, "ms")
        spread = f"{min(r['ms'] for r in runs):.2f}-{max(r['ms'] for r in runs):.2f}"
        print(f"{names[system]:24} {run['ms']:>8.2f} {run['MiB_per_s']:>8.0f} {spread:>17}")


if __name__ == "__main__":
    main()

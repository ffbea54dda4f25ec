"""The issue's LeNet-style CNN training step on a GPU: ember on CuPy vs ember on the CPU vs
PyTorch on CUDA (and on the CPU), each system in its own process.

    python benchmarks/gpu_bench.py [--steps N] [--batch B] [--devices cuda,cpu]

Needs a machine with a GPU, CuPy (`pip install -e '.[cuda]'`) and, for the PyTorch rows, a
CUDA build of torch; rows whose system is missing are reported as such. Times are the median
of N steps after warm-up, with the device synchronised before each clock read.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from workloads import _LeNetShape  # noqa: E402  (the CNN of workloads.cnn_step)


def _child(system, device, steps, batch):
    if system == "torch":
        import torch
    else:
        sys.path.insert(0, os.path.join(ROOT, "src"))
        import ember as torch
    import numpy as np
    if device == "cuda" and not torch.cuda.is_available():
        return {"error": "no GPU for this system"}
    F = torch.nn.functional
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)).to(device)
    y = torch.tensor(rng.integers(0, 10, batch)).to(device)
    model = _LeNetShape.build(torch).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def one():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(5):
        one()
    times = []
    for _ in range(steps):
        sync()
        t0 = time.perf_counter()
        loss = one()
        sync()
        times.append(time.perf_counter() - t0)
    return {"ms": statistics.median(times) * 1e3, "loss": float(loss.item())}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--devices", default="cuda,cpu",
                        help="which rows: the CPU rows of a large batch take long")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        try:
            print(json.dumps(_child(*args.child, args.steps, args.batch)))
        except ImportError as e:
            print(json.dumps({"error": str(e)}))
        return
    rows = []
    for system, device in (("ember", "cuda"), ("ember", "cpu"), ("torch", "cuda"),
                           ("torch", "cpu")):
        if device not in args.devices.split(","):
            continue
        # one CPU thread per system, as in benchmarks/run.py (the CPU rows are a reference)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        out = subprocess.run([sys.executable, __file__, "--child", system, device,
                              "--steps", str(args.steps), "--batch", str(args.batch)],
                             capture_output=True, text=True, env=env)
        try:
            res = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            res = {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
        rows.append((system, device, res))
    print(f"LeNet-style CNN step, batch {args.batch}, median of {args.steps} steps")
    for system, device, res in rows:
        if "error" in res:
            print(f"  {system:6s} {device:5s}  -- {res['error']}")
        else:
            print(f"  {system:6s} {device:5s}  {res['ms']:9.3f} ms/step   loss {res['loss']:.5f}")


if __name__ == "__main__":
    main()

"""Unmodified PyTorch programs print the same bytes on ember (`python -m ember.run`) as on
PyTorch 2.13.0.

The programs in tests/programs/ are written for PyTorch, in the styles learners meet: the
device guard with `.to(device)`, seeding (CPU and CUDA), cuDNN flags, nn.Linear + SGD +
DataLoader; the 0.3-era forms (Variable, size_average=, F.sigmoid, F.tanh, `.cuda()` guards,
set_num_threads); torch.accelerator; torchvision's MNIST with transforms. Each runs twice, on
PyTorch and on ember, and stdout must match byte for byte. (Warnings go to stderr, which is
not compared: ember warns where PyTorch does, in its own words at times.)

The ember side runs through `python -m ember.run`.
"""
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
RUNNER = ["-m", "ember.run"]
DATA = Path(os.environ.get("EMBER_DATA") or HERE.parents[1] / "shared" / "data")

# All the PyTorch runs share one process (importing torch costs seconds): each program runs
# with its own argv and a marker line before its output. torchvision 0.28's wheel targets CUDA
# PyTorch: registering fake kernels for its compiled ops (which cannot load beside the CPU
# build) is skipped; the Python parts the programs use are unaffected.
TORCH_SIDE = """
import json, runpy, sys, types
sys.modules["torchvision._meta_registrations"] = types.ModuleType("m")
for argv in json.loads(sys.argv[1]):
    if argv[0].endswith("mnist_transforms.py"):
        try:
            import torchvision.datasets
        except Exception:   # not installed, or not importable beside this torch
            continue
    print("\\0" + argv[0], flush=True)
    sys.argv = argv
    runpy.run_path(argv[0], run_name="__main__")
    sys.stdout.flush()
"""
JOBS = {  # program: (extra argv, what ember must have, needs the MNIST root)
    "device_linear_regression.py": ((), (), False),
    "legacy_forms.py": ((), (), False),
    "classifier_accelerator.py": ((), ("cat", "Tensor.argmax"), False),
    "mnist_transforms.py": ((), ("Tensor.min", "Tensor.max"), True),
}


def _missing(names):
    import ember.accelerator  # noqa: F401
    import ember.cuda  # noqa: F401
    missing = []
    for dotted in names:
        obj = ember
        for part in dotted.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            missing.append("ember." + dotted)
    return missing


def _mnist_root(root):
    """torchvision's MNIST needs all four files unpacked: the stored test split, twice."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        with gzip.open(DATA / "MNIST" / "raw" / f"t10k-{kind}.gz") as f:
            data = f.read()
        (raw / f"t10k-{kind}").write_bytes(data)
        (raw / f"train-{kind}").write_bytes(data)
    return root


def _run(argv, cwd):
    # one BLAS/OpenMP thread each: on 2 shared cores, spinning worker threads slow small
    # matrix products 10-40x when another process is busy (the printed values do not change)
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONHASHSEED="0",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True,
                          timeout=300)


@pytest.fixture(scope="module")
def torch_outputs(tmp_path_factory):
    """What each program prints on PyTorch: {program: stdout bytes} (None: not run)."""
    root = None
    if (DATA / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file():
        root = _mnist_root(tmp_path_factory.mktemp("mnist_root"))
    jobs = []
    for program, (args, _, needs_mnist) in JOBS.items():
        if needs_mnist and root is None:
            continue
        extra = [str(root)] if needs_mnist else list(args)
        jobs.append([str(PROGRAMS / program), *extra])
    proc = _run(["-c", TORCH_SIDE, json.dumps(jobs)], PROGRAMS)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    outputs = {}
    for chunk in proc.stdout.split(b"\0")[1:]:
        path, _, out = chunk.partition(b"\n")
        outputs[Path(path.decode()).name] = out
    return outputs, root


def compare(program, torch_outputs):
    outputs, root = torch_outputs
    args, needs, needs_mnist = JOBS[program]
    missing = _missing(needs)
    if missing:
        pytest.skip(f"{program} needs {', '.join(missing)}, not in ember yet")
    if program not in outputs:
        pytest.skip("torchvision is not importable beside torch here, or MNIST is missing")
    extra = [str(root)] if needs_mnist else list(args)
    ours = _run([*RUNNER, str(PROGRAMS / program), *extra], PROGRAMS)
    assert ours.returncode == 0, ours.stderr.decode(errors="replace")[-3000:]
    theirs = outputs[program]
    if ours.stdout != theirs:
        got = ours.stdout.decode(errors="replace").splitlines()
        want = theirs.decode(errors="replace").splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                     min(len(got), len(want)))
        pytest.fail(f"{program}: stdout differs from PyTorch's at line {first + 1}:\n"
                    f"  ember: {got[first] if first < len(got) else '<end>'}\n"
                    f"  torch: {want[first] if first < len(want) else '<end>'}")
    return ours.stdout.decode()


def test_device_guard_seeding_linear_sgd_dataloader(torch_outputs):
    out = compare("device_linear_regression.py", torch_outputs)
    assert "device: cpu" in out and "cuda available: False gpus: 0" in out


def test_legacy_variable_size_average_sigmoid_tanh_cuda_guard_threads(torch_outputs):
    out = compare("legacy_forms.py", torch_outputs)
    assert out.startswith("threads: 1\n")


def test_accelerator_api_and_argmax_accuracy(torch_outputs):
    out = compare("classifier_accelerator.py", torch_outputs)
    assert out.startswith("Using cpu device\n")


def test_torchvision_mnist_transforms_and_training(torch_outputs):
    out = compare("mnist_transforms.py", torch_outputs)
    assert out.startswith("10000 digits\n")

"""The founding lecture's three programs print exactly what PyTorch 2.13.0 printed.

Each program in shared/seed/ runs in a subprocess with `import torch` resolved to ember (through
shared/tools/as_torch.py) and its stdout is compared byte for byte with the recorded
`*.torch-2.13.0.out` file.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed"
AS_TORCH = SHARED / "tools" / "as_torch.py"
PROGRAMS = ["seed_intro", "seed_linear", "seed_quadratic"]

pytestmark = pytest.mark.skipif(
    not (SEED.is_dir() and AS_TORCH.is_file()),
    reason=f"shared/ folder with seed/ and tools/as_torch.py not found beside the repository "
           f"(looked in {SHARED})")


@pytest.mark.parametrize("program", PROGRAMS)
def test_seed_program_prints_what_torch_printed(program):
    expected_path = SEED / f"{program}.torch-2.13.0.out"
    if not expected_path.is_file():
        pytest.skip(f"recorded output {expected_path} is missing")
    if program == "seed_quadratic":
        pytest.importorskip("matplotlib", reason="seed_quadratic.py imports matplotlib")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, str(AS_TORCH), "ember", f"{program}.py"],
                          cwd=SEED, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    # ember must never import torch: the alias hook maps `torch` to ember in the child.
    expected = expected_path.read_bytes()
    if proc.stdout != expected:
        got = proc.stdout.decode(errors="replace").splitlines()
        want = expected.decode(errors="replace").splitlines()
        first = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w),
                     min(len(got), len(want)))
        pytest.fail(f"{program}: output differs from PyTorch's at line {first + 1}:\n"
                    f"  ember: {got[first] if first < len(got) else '<end of output>'!r}\n"
                    f"  torch: {want[first] if first < len(want) else '<end of output>'!r}\n"
                    f"(ember printed {len(got)} lines, torch {len(want)})")


def test_seed_programs_do_not_import_real_torch():
    """Run the intro program and check that the real torch never got imported in the child."""
    code = ("import runpy, sys; sys.argv = [sys.argv[1], 'ember', 'seed_intro.py']; "
            "runpy.run_path(sys.argv[0], run_name='__main__'); "
            "import ember; m = sys.modules.get('torch'); "
            "print('REAL_TORCH' if m is not None and m is not ember else 'OK', file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, str(AS_TORCH)], cwd=SEED,
                          env=dict(os.environ, MPLBACKEND="Agg"), capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stderr.decode().strip().splitlines()[-1] == "OK"


def test_ember_does_not_import_torch():
    code = ("import sys, ember; x = ember.tensor([1.0], requires_grad=True); "
            "(x * x).sum().backward(); print(repr(x.grad)); "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stdout.decode().splitlines() == ["tensor([2.])", "[]"]

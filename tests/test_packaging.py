"""ember never imports torch, and `python -m ember.run` runs PyTorch programs on ember."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import ember

ROOT = Path(__file__).resolve().parents[1]


def _ember_modules():
    names = ["ember"]
    for info in pkgutil.walk_packages(ember.__path__, "ember."):
        names.append(info.name)
    return names


def test_no_ember_module_imports_torch():
    modules = [m for m in _ember_modules() if m != "ember.run"] + ["ember.run"]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "loaded = [m for m in sys.modules if m == 'torch' or m.startswith('torch.')]\n"
            "print(loaded)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert len(modules) > 5          # the walk really found the submodules


def test_ember_run_resolves_torch_and_submodules(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(
        "import sys\n"
        "import torch\n"
        "import torch.autograd as ag\n"
        "from torch.autograd import grad\n"
        "x = torch.tensor([3.0], requires_grad=True)\n"
        "print(torch.__name__, ag.__name__, grad(x * x, x)[0], sys.argv[1:])\n")
    out = subprocess.run([sys.executable, "-m", "ember.run", str(program), "a", "--b"],
                         capture_output=True, text=True, check=True)
    assert out.stdout == "ember ember.autograd tensor([6.]) ['a', '--b']\n"


def test_ember_run_reports_a_missing_torch_module(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text("import torch.no_such_module\n")
    out = subprocess.run([sys.executable, "-m", "ember.run", str(program)],
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "ModuleNotFoundError: No module named 'torch.no_such_module'" in out.stderr


EXAMPLES = ROOT / "examples" / "seed"


def test_examples_print_what_pytorch_printed():
    """The lecture's programs, written with `import ember as torch`, print PyTorch's bytes."""
    for program in ("seed_intro", "seed_linear", "seed_quadratic"):
        out = subprocess.run([sys.executable, f"{program}.py"], cwd=EXAMPLES,
                             capture_output=True, env={"MPLBACKEND": "Agg", "PATH": ""},
                             check=True)
        assert out.stdout == (EXAMPLES / f"{program}.torch-2.13.0.out").read_bytes(), program

"""ember.distributed, DistributedDataParallel and DistributedSampler.

The multi-process tests start the programs in tests/dist_programs/ with `mpiexec -n K` (on
this machine, loopback only) and check what each rank saved: collectives against NumPy
computed here from every rank's inputs, DDP training against PyTorch training in one process
on the concatenated batches. They are skipped where mpi4py or mpiexec is missing.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember
import ember.distributed as dist
from ember.distributed import run as launcher
from ember.utils.data.distributed import DistributedSampler

torch = pytest.importorskip("torch")
import torch.distributed  # noqa: E402
import torch.utils.data.distributed  # noqa: E402

PROGRAMS = Path(__file__).resolve().parent / "dist_programs"
MPIEXEC = launcher.find_mpiexec()
needs_mpi = pytest.mark.skipif(MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
                               reason="needs mpi4py and mpiexec (pip install ember[dist])")
TIMEOUT = 60          # seconds: a hung job fails the test instead of hanging the suite


def mpi_env():
    env = dict(os.environ)
    env["HYDRA_LAUNCHER"] = "fork"     # MPICH: start local processes directly, never by ssh
    return env


def launch(program, processes, *args, check=True, timeout=TIMEOUT):
    """Run tests/dist_programs/<program> in `processes` processes under mpiexec."""
    command = [MPIEXEC, "-n", str(processes), sys.executable, str(PROGRAMS / program)]
    result = subprocess.run(command + [str(a) for a in args], capture_output=True, text=True,
                            timeout=timeout, env=mpi_env())
    if check and result.returncode != 0:
        raise AssertionError(f"{program} failed ({result.returncode}):\n{result.stderr}")
    return result


def load_ranks(directory, size):
    return [dict(np.load(directory / f"rank{r}.npz")) for r in range(size)]


# -- collectives ------------------------------------------------------------------------------

@needs_mpi
@pytest.mark.parametrize("size", [2, 3])
def test_every_collective_matches_numpy_on_all_ranks(tmp_path, size):
    launch("collectives.py", size, tmp_path)
    ranks = load_ranks(tmp_path, size)

    def inputs(name):
        return np.stack([r[name + "_in"] for r in ranks])

    reductions = {"sum": lambda a: a.sum(0), "avg": lambda a: a.sum(0) / size,
                  "max": lambda a: a.max(0), "min": lambda a: a.min(0),
                  "product": lambda a: a.prod(0)}
    for r, saved in enumerate(ranks):
        assert saved["rank"] == r and saved["size"] == size
        assert str(saved["error_before_init"]) == (
            "Default process group has not been initialized, please make sure to call "
            "init_process_group.")
        assert not saved["initialized_before"] and saved["initialized"]
        assert not saved["initialized_after"]
        for name, reduce in reductions.items():
            expected = reduce(inputs("all_reduce_" + name).astype(np.float64))
            np.testing.assert_allclose(saved["all_reduce_" + name], expected, rtol=1e-6)
            assert saved["all_reduce_" + name].dtype == np.float32
            assert saved["all_reduce_" + name + "_version"] == 1   # an in-place change
        np.testing.assert_array_equal(saved["all_reduce_int64"], inputs("all_reduce_int64")
                                      .sum(0))
        np.testing.assert_allclose(saved["all_reduce_float64_avg"],
                                   inputs("all_reduce_float64_avg").mean(0), rtol=1e-12)
        np.testing.assert_array_equal(saved["leaf_after"], np.full(3, size, np.float32))
        assert saved["leaf_grad_fn_is_none"]
        assert saved["async_wait"] and saved["async_completed"]
        np.testing.assert_allclose(saved["all_reduce_async"], inputs("all_reduce_async")
                                   .sum(0), rtol=1e-6)
        np.testing.assert_array_equal(saved["broadcast"], ranks[-1]["broadcast_in"])
        np.testing.assert_array_equal(saved["all_gather"], inputs("all_gather"))
        np.testing.assert_array_equal(saved["all_gather_into_tensor"],
                                      inputs("all_gather").reshape(size * 2, 3))
        np.testing.assert_allclose(saved["reduce_scatter"],
                                   inputs("reduce_scatter")[:, r].sum(0), rtol=1e-6)
        np.testing.assert_array_equal(saved["reduce_scatter_tensor_max"],
                                      inputs("reduce_scatter")[:, r].max(0))
        if r == 0:
            np.testing.assert_allclose(saved["reduce"], inputs("reduce").sum(0), rtol=1e-12)
        else:
            np.testing.assert_array_equal(saved["reduce"], saved["reduce_in"])  # untouched
        if r == 1:
            np.testing.assert_array_equal(saved["gather"], inputs("gather"))
        np.testing.assert_array_equal(saved["scatter"], ranks[0]["scatter_in"][r])
        left = (r - 1) % size
        np.testing.assert_array_equal(saved["ring"], np.full(3, float(left), np.float32))
        assert saved["ring_sender"] == left
        assert saved["object_lr"] == 0.1


@needs_mpi
def test_a_rank_that_raises_ends_the_whole_job():
    result = launch("rank_fails.py", 3, check=False, timeout=30)
    assert result.returncode != 0
    assert "RuntimeError: rank 1 fails on purpose" in result.stderr
    assert "unreachable" not in result.stdout


@needs_mpi
def test_single_process_group_without_mpiexec():
    code = ("import ember, ember.distributed as dist\n"
            "dist.init_process_group()\n"
            "t = ember.tensor([2.0, 4.0])\n"
            "dist.all_reduce(t, op=dist.ReduceOp.AVG)\n"
            "print(dist.get_rank(), dist.get_world_size(), dist.get_backend(), t.tolist())\n"
            "dist.destroy_process_group()\n"
            "dist.init_process_group('mpi')\n"
            "print(dist.is_initialized())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=TIMEOUT, check=True)
    assert out.stdout == "0 1 mpi [2.0, 4.0]\nTrue\n"


@needs_mpi
def test_launcher_starts_n_processes_with_the_programs_arguments(tmp_path):
    command = [sys.executable, "-m", "ember.distributed.run", "-n", "2",
               str(PROGRAMS / "launcher_child.py"), str(tmp_path), "a", "--b"]
    subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True,
                   env=mpi_env())
    written = sorted((tmp_path / f"{rank}.txt").read_text() for rank in (0, 1))
    assert written == ["0 2 ['a', '--b']", "1 2 ['a', '--b']"]


def test_launcher_command_line():
    python = sys.executable
    assert launcher.command(["-n", "4", "train.py", "--lr", "0.1"])[1:] == [
        "-n", "4", python, "train.py", "--lr", "0.1"]
    assert launcher.command(["-f", "hosts", "-n", "8", "train.py"])[1:] == [
        "-n", "8", "-f", "hosts", python, "train.py"]
    with pytest.raises(SystemExit):
        launcher.command(["-n", "2"])                 # no program
    with pytest.raises(SystemExit):
        launcher.command(["train.py"])                # no process count


# -- errors without a process group, as PyTorch gives them --------------------------------------

@pytest.mark.parametrize("call", ["get_rank", "get_world_size", "barrier", "all_reduce",
                                  "broadcast"])
def test_calls_before_init_raise_pytorchs_error(call):
    args = {"all_reduce": lambda lib: (lib.ones(2),),
            "broadcast": lambda lib: (lib.ones(2), 0)}.get(call, lambda lib: ())
    errors = []
    for lib, module in ((ember, dist), (torch, torch.distributed)):
        with pytest.raises(Exception) as info:
            getattr(module, call)(*args(lib))
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_state_queries_and_reduce_op_match_pytorch():
    assert dist.is_initialized() is torch.distributed.is_initialized() is False
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        assert repr(getattr(dist.ReduceOp, name)) == repr(getattr(torch.distributed.ReduceOp,
                                                                  name))
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        dist.destroy_process_group()
    with pytest.raises(AssertionError):
        torch.distributed.destroy_process_group()


def test_other_backends_are_refused_clearly():
    with pytest.raises(RuntimeError, match="runs on MPI"):
        dist.init_process_group("gloo")
    with pytest.raises(AssertionError, match="Unknown backend type foo"):
        dist.init_process_group("foo")
    assert not dist.is_initialized()


def test_ddp_before_init_raises_pytorchs_error():
    with pytest.raises(ValueError) as ours:
        ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 2))
    with pytest.raises(ValueError) as theirs:
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    assert str(ours.value) == str(theirs.value)


def test_ember_imports_without_mpi4py():
    code = ("import sys\n"
            "sys.modules['mpi4py'] = None          # as if it were not installed\n"
            "import ember, ember.distributed as dist\n"
            "from ember.nn.parallel import DistributedDataParallel\n"
            "print(dist.is_available(), dist.is_mpi_available())\n"
            "try:\n"
            "    dist.init_process_group('mpi')\n"
            "except RuntimeError as error:\n"
            "    print(error)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=TIMEOUT, check=True)
    first, second = out.stdout.splitlines()
    assert first == "False False"
    assert "pip install ember[dist]" in second


# -- the engine's end-of-backward callback, which DDP waits in ----------------------------------

def test_queue_callback_runs_after_the_whole_backward_pass():
    from ember.autograd import engine
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0], requires_grad=True)
    seen = []

    def on_w_grad(grad):
        engine.queue_callback(lambda: seen.append((w.grad.tolist(), b.grad.tolist())))

    w.register_hook(on_w_grad)
    ((w * w).sum() + b.sum() * 2).backward()
    assert seen == [([2.0, 4.0], [2.0])]      # both leaves' gradients were in by then


def test_queue_callback_outside_backward_raises_like_pytorch():
    from ember.autograd import engine
    with pytest.raises(RuntimeError) as ours:
        engine.queue_callback(lambda: None)
    with pytest.raises(RuntimeError) as theirs:
        torch.autograd.Variable._execution_engine.queue_callback(lambda: None)
    assert str(ours.value) == str(theirs.value)


# -- DistributedDataParallel --------------------------------------------------------------------

def replay_in_torch(ranks, steps):
    """PyTorch, one process: the same model and optimizer on each step's rows of all ranks."""
    start = ranks[0]
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 8), torch.nn.Tanh(),
                                torch.nn.Linear(8, 1))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(start["start_" + name]))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    mse = torch.nn.functional.mse_loss
    for step in range(steps):
        x = [torch.from_numpy(r[f"x{step}"]) for r in ranks]
        y = [torch.from_numpy(r[f"y{step}"]) for r in ranks]
        optimizer.zero_grad()
        if step % 3 == 2:       # the two half batches' averaged losses, accumulated
            loss = (mse(model(torch.cat([a[:2] for a in x])), torch.cat([a[:2] for a in y]))
                    + mse(model(torch.cat([a[2:] for a in x])), torch.cat([a[2:] for a in y])))
        else:
            loss = mse(model(torch.cat(x)), torch.cat(y))
        loss.backward()
        optimizer.step()
    return {name: p.detach().numpy() for name, p in model.named_parameters()}


@needs_mpi
@pytest.mark.parametrize("size", [2, 3])
def test_ddp_training_equals_one_process_on_the_concatenated_batches(tmp_path, size):
    steps = 6
    launch("ddp_train.py", size, tmp_path, steps)
    ranks = load_ranks(tmp_path, size)
    expected = replay_in_torch(ranks, steps)
    for saved in ranks:
        assert saved["bucket_count"] > 1                    # several allreduces per backward
        for name, values in expected.items():
            # every rank started from rank 0's weights (each seeded its own differently)
            np.testing.assert_array_equal(saved["start_" + name], ranks[0]["start_" + name])
            np.testing.assert_allclose(saved["end_" + name], values, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(saved["buffer_after_construction"], [0.0, 0.0])
        assert list(saved["ddp_state_keys"]) == ["module.first.weight", "module.first.bias",
                                                 "module.second.weight", "module.second.bias"]


@needs_mpi
def test_ddp_on_a_gpu_stages_gradients_through_the_host(tmp_path):
    # the same run on the simulated GPU (tests/sim_gpu.py) must give the CPU run's bits
    size, steps = 2, 3
    (tmp_path / "cpu").mkdir()
    (tmp_path / "gpu").mkdir()
    launch("ddp_train.py", size, tmp_path / "cpu", steps)
    launch("ddp_train.py", size, tmp_path / "gpu", steps, "gpu")
    for cpu, gpu in zip(load_ranks(tmp_path / "cpu", size), load_ranks(tmp_path / "gpu", size)):
        assert sorted(cpu) == sorted(gpu)
        for key in cpu:
            np.testing.assert_array_equal(gpu[key], cpu[key], err_msg=key)


def test_collectives_refuse_gpu_tensors_clearly():
    import sim_gpu
    sim_gpu.install()
    try:
        t = ember.ones(2, device="cuda")
        with pytest.raises(RuntimeError, match="collectives work on CPU tensors"):
            ember.distributed.distributed_c10d._array(t)
    finally:
        sim_gpu.uninstall()


@needs_mpi
def test_ddp_find_unused_parameters_averages_with_zeros_for_ranks_that_skip_a_branch(tmp_path):
    size = 2
    launch("ddp_train.py", size, tmp_path, 1)
    # rank r feeds x = (r + 1) * ones(1, 3) to sum(first(x)) (+ sum(second(x)) on rank 0 only):
    # d/dweight of sum(W x + b) is x in every row, d/dbias is 1
    mean_x = np.mean([r + 1.0 for r in range(size)])
    first = [mean_x] * 6 + [1.0] * 2
    second = [1.0 / size] * 6 + [1.0 / size] * 2        # rank 0's gradient, averaged with 0s
    for saved in load_ranks(tmp_path, size):
        np.testing.assert_allclose(saved["branch_grads"], first + second, rtol=1e-6)


# -- DistributedSampler against PyTorch's --------------------------------------------------------

def test_distributed_sampler_gives_each_rank_pytorchs_indices():
    for size in [0, 1, 2, 3, 5, 7, 10, 16, 33]:
        for replicas in [1, 2, 3, 4, 8]:
            for shuffle in (True, False):
                for drop_last in (False, True):
                    for seed in (0, 5):
                        for rank in range(replicas):
                            ours = DistributedSampler(range(size), replicas, rank, shuffle, seed,
                                                      drop_last)
                            theirs = torch.utils.data.distributed.DistributedSampler(
                                range(size), replicas, rank, shuffle, seed, drop_last)
                            for epoch in (0, 1, 4):
                                ours.set_epoch(epoch)
                                theirs.set_epoch(epoch)
                                if size == 0 and not drop_last:
                                    continue         # PyTorch itself fails on this one
                                assert list(ours) == list(theirs), (size, replicas, rank)
                                assert len(ours) == len(theirs)


def test_distributed_sampler_in_a_dataloader_splits_the_data():
    data = ember.utils.data.TensorDataset(ember.arange(10))
    seen = []
    for rank in range(3):
        sampler = ember.utils.data.DistributedSampler(data, num_replicas=3, rank=rank, seed=1)
        loader = ember.utils.data.DataLoader(data, batch_size=2, sampler=sampler)
        seen += [int(v) for (batch,) in loader for v in batch]
    assert len(seen) == 12 and set(seen) == set(range(10))   # all items, two repeated


@pytest.mark.parametrize("rank", [-1, 3])
def test_distributed_sampler_invalid_rank_raises_like_pytorch(rank):
    with pytest.raises(ValueError) as ours:
        DistributedSampler(range(4), num_replicas=3, rank=rank)
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.distributed.DistributedSampler(range(4), num_replicas=3, rank=rank)
    assert str(ours.value) == str(theirs.value)


def test_distributed_sampler_without_a_process_group_raises_like_pytorch():
    with pytest.raises(ValueError) as ours:
        DistributedSampler(range(4))
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.distributed.DistributedSampler(range(4))
    assert str(ours.value) == str(theirs.value)

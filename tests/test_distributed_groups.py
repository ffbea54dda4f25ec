"""Process sub-groups (dist.new_group) and DDP communication hooks, over MPI.

As tests/test_distributed.py does, the programs in tests/dist_programs/ run under
`mpiexec -n K` and save what each rank saw: collectives on a sub-group are checked against
NumPy, DDP over a sub-group or with a hook against PyTorch training in one process on the
concatenated batches, and the error messages against PyTorch's own (one gloo process,
tests/dist_programs/torch_errors.py). ember.futures.Future is compared with
torch.futures.Future in this process.
"""
import json
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

import ember
from test_distributed import PROGRAMS, TIMEOUT, launch, load_ranks, needs_mpi

torch = pytest.importorskip("torch")


def generic(message):
    """A message with its numbers and its group's repr blanked (the worlds differ in size)."""
    return re.sub(r"\d+", "#", re.sub(r"<[^>]*>", "<group>", message))


@pytest.fixture(scope="module")
def torch_errors():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run([sys.executable, str(PROGRAMS / "torch_errors.py"), str(port)],
                         capture_output=True, text=True, timeout=TIMEOUT, check=True)
    return json.loads(out.stdout)


# -- collectives on a sub-group -----------------------------------------------------------------

@needs_mpi
@pytest.mark.parametrize("size", [2, 3])
def test_collectives_on_a_subgroup_match_numpy(tmp_path, size, torch_errors):
    launch("groups.py", size, tmp_path)
    ranks = load_ranks(tmp_path, size)
    last = size - 1
    members = [0, last]                           # new_group([last, 0]) sorts the ranks
    x = {r: np.arange(4, dtype=np.float32) + 10 * r for r in range(size)}
    stacked = np.stack([x[r] for r in members])
    half = np.stack([r["half_in"] for r in ranks])
    half_sum = half[0].copy()
    for row in half[1:]:                          # float16 adds, in rank order
        half_sum = (half_sum + row).astype(np.float16)
    for r, saved in enumerate(ranks):
        assert saved["world_is_group_world"]
        assert list(saved["world_ranks"]) == list(range(size))
        errors = list(saved["new_group_errors"])
        assert errors[0] == torch_errors["duplicate"]
        assert generic(errors[1]) == generic(torch_errors["out_of_range"])
        # PyTorch's MPI backend's own refusal (distributed_c10d._new_group_with_tag)
        assert errors[2] == "ValueError: MPI backend doesn't support use_local_synchronization=True"
        assert saved["subgroup_errors"][0] == torch_errors["subgroup_zero"]
        assert generic(saved["subgroup_errors"][1]) == generic(torch_errors["subgroup_too_big"])
        assert list(saved["subgroups"]) == [r, size]            # new_subgroups(1)
        np.testing.assert_array_equal(saved["subgroup_all_reduce"], x[r])
        np.testing.assert_array_equal(saved["half_sum"], half_sum)
        assert saved["half_sum"].dtype == np.float16
        if r not in members:                      # rank 1 of 3: PyTorch's non-member answers
            assert not saved["member"]
            assert saved["group_rank"] == -1 and saved["group_size"] == -1
            assert list(saved["non_member_results"]) == ["None"] * 4 + ["-1"]
            assert [w for w in saved["non_member_warnings"]] == [
                f"Running {op} on global rank 1 which does not belong to the given group."
                for op in ("all_reduce", "barrier", "broadcast", "all_gather", "irecv")]
            np.testing.assert_array_equal(saved["non_member_tensor"], x[r])   # untouched
            assert saved["non_member_broadcast_error"] == torch_errors["non_member_broadcast"]
            continue
        me = members.index(r)
        assert saved["member"] and saved["group_rank"] == me and saved["group_size"] == 2
        assert list(saved["process_group_ranks"]) == members
        assert saved["group_rank_of_last"] == 1 and saved["global_rank_of_1"] == last
        assert [generic(e) for e in saved["lookup_errors"]] == [
            generic(torch_errors["global_not_in_group"]),
            generic(torch_errors["group_rank_not_in_group"])]
        np.testing.assert_array_equal(saved["all_reduce"], stacked.sum(0))
        np.testing.assert_array_equal(saved["all_reduce_future"], stacked.max(0) * 2)
        np.testing.assert_array_equal(saved["broadcast"], x[last])
        np.testing.assert_array_equal(saved["broadcast_group_src"], x[0])
        np.testing.assert_array_equal(saved["reduce"], stacked.sum(0) if r == last else x[r])
        np.testing.assert_array_equal(saved["all_gather"], stacked)
        np.testing.assert_array_equal(saved["all_gather_into_tensor"], stacked.ravel())
        if r == last:
            np.testing.assert_array_equal(saved["gather"], stacked)
            assert saved["recv_sender"] == 0
            np.testing.assert_array_equal(saved["recv"], x[0])
            np.testing.assert_array_equal(saved["recv_group_dst"], x[0] * 3)
        np.testing.assert_array_equal(saved["scatter"], x[0] * (me + 1))
        np.testing.assert_array_equal(saved["reduce_scatter_tensor"],
                                      stacked.sum(0)[2 * me:2 * me + 2])
        assert list(saved["all_gather_object"]) == members
        assert saved["broadcast_object_list"] == last * 100
        assert str(saved["not_in_group_error"]).startswith(
            f"ValueError: Global rank {1 if size == 3 else 5} is not part of group <")


# -- DDP over a sub-group and with communication hooks ------------------------------------------

def replay_in_torch(ranks, steps):
    """PyTorch, one process: the same model and optimizer on each step's rows of all ranks."""
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 8), torch.nn.Tanh(),
                                torch.nn.Linear(8, 1))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(ranks[0]["start_" + name]))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(steps):
        optimizer.zero_grad()
        x = torch.cat([torch.from_numpy(r[f"x{step}"]) for r in ranks])
        y = torch.cat([torch.from_numpy(r[f"y{step}"]) for r in ranks])
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
    return {name: p.detach().numpy() for name, p in model.named_parameters()}


@needs_mpi
@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("mode", ["group", "allreduce", "fp16"])
def test_ddp_with_a_group_or_a_hook_equals_one_process_training(tmp_path, size, mode,
                                                                torch_errors):
    steps = 3
    launch("ddp_groups.py", size, tmp_path, mode, steps)
    ranks = load_ranks(tmp_path, size)
    if mode == "group" and size == 3:
        assert not ranks[0]["trained"]            # outside the group [1, 2]
        ranks = ranks[1:]
    expected = replay_in_torch(ranks, steps)
    # float32 sums in MPI's order, not one batch's: a tight tolerance; float16 gradients:
    # rounded to 11 bits before the average, a loose one
    tolerance = dict(rtol=2e-2, atol=2e-3) if mode == "fp16" else dict(rtol=1e-5, atol=1e-6)
    for saved in ranks:
        assert saved["bucket_count"] > 1
        for name, values in expected.items():
            # every copy started from the group's first rank's weights
            np.testing.assert_array_equal(saved["start_" + name], ranks[0]["start_" + name])
            np.testing.assert_allclose(saved["end_" + name], values, **tolerance)
            np.testing.assert_array_equal(saved["end_" + name], ranks[0]["end_" + name])
    if mode == "allreduce":
        check_hook_api(ranks, torch_errors)


def check_hook_api(ranks, torch_errors):
    """What the allreduce run's custom hook saw in its GradBuckets, and the hook errors."""
    for r, saved in enumerate(ranks):
        assert str(saved["twice"]) == torch_errors["twice"]
        assert str(saved["not_callable"]) == torch_errors["not_callable"]
        # PyTorch's message starts with pybind11's cast failure, then says the same
        kind, message = str(saved["returns_tensor"]).split(": ", 1)
        assert torch_errors["returns_tensor"].startswith(kind + ": ")
        assert torch_errors["returns_tensor"].endswith(message)
        # nn.Linear(3, 2), one parameter per bucket, the last parameter first
        assert list(saved["hook_states"]) == ["my state", "my state"]
        assert list(saved["hook_indices"]) == [0, 1]
        assert list(saved["hook_is_last"]) == [False, True]
        assert list(saved["hook_param_shapes"]) == ["[(2,)]", "[(2, 3)]"]
        assert list(saved["hook_grad_shapes"]) == ["[(2,)]", "[(2, 3)]"]
        # this rank's own gradients of sum(W x + b), x = (r + 1) * ones: undivided
        np.testing.assert_array_equal(saved["hook_buffers"], [1.0] * 2 + [r + 1.0] * 6)
        np.testing.assert_array_equal(saved["hook_grads"], [7.0] * 8)   # the hook's value


# -- ember.futures against torch.futures ---------------------------------------------------------

def test_future_api_matches_torch():
    for lib in (ember, torch):
        fut = lib.futures.Future()
        assert not fut.done()
        chained = fut.then(lambda f: f.value() * 2)
        seen = []
        fut.add_done_callback(lambda f: seen.append(f.value()))
        fut.set_result(21)
        assert fut.done() and chained.wait() == 42 and seen == [21]
        with pytest.raises(RuntimeError, match="Attempting to mark a completed Future as "
                                               "complete again"):
            fut.set_result(1)
        failing = lib.futures.Future()
        after = failing.then(lambda f: f.value())
        failing.set_exception(ValueError("boom"))
        with pytest.raises(ValueError, match="boom"):
            failing.wait()
        with pytest.raises(RuntimeError, match="Got the following error when running the "
                                               "callback: ValueError: boom"):
            after.wait()
        a, b = lib.futures.Future(), lib.futures.Future()
        both = lib.futures.collect_all([a, b])
        a.set_result(1)
        assert not both.done()
        b.set_result(2)
        assert [f.value() for f in both.wait()] == [1, 2]
        assert lib.futures.wait_all([a, b]) == [1, 2]
    assert ember.futures.Future[ember.Tensor] is not None      # usable in annotations


def test_default_hooks_module_mirrors_pytorchs():
    from ember.distributed.algorithms.ddp_comm_hooks import default_hooks as ours
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks as theirs
    for name in ("allreduce_hook", "fp16_compress_hook", "fp16_compress_wrapper"):
        assert callable(getattr(ours, name)) and callable(getattr(theirs, name))
    assert ember.distributed.GradBucket.__name__ == torch.distributed.GradBucket.__name__
    for method in ("index", "buffer", "gradients", "parameters", "is_last", "set_buffer"):
        assert hasattr(ember.distributed.GradBucket, method)
        assert hasattr(torch.distributed.GradBucket, method)


def test_group_queries_before_init_raise_pytorchs_error():
    for module in (ember.distributed, torch.distributed):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            module.new_group([0])

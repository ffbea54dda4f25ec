"""nn.SyncBatchNorm (with 2 MPI ranks against PyTorch's BatchNorm on the concatenated batch,
and in one process against torch), nn.DataParallel on a machine without GPUs, nn.NLLLoss2d.

Tolerances in the 2-rank test: the statistics are combined from per-rank ones (as PyTorch's
SyncBatchNorm does), so they cannot be bit-identical to one BatchNorm over the whole batch.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.distributed import run as launcher

torch = pytest.importorskip("torch")

PROGRAMS = Path(__file__).resolve().parent / "dist_programs"
MPIEXEC = launcher.find_mpiexec()
needs_mpi = pytest.mark.skipif(MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
                               reason="needs mpi4py and mpiexec (pip install ember[dist])")
TIMEOUT = 60          # seconds: a hung job fails the test instead of hanging the suite


def launch(program, processes, *args):
    env = dict(os.environ)
    env["HYDRA_LAUNCHER"] = "fork"     # MPICH: start local processes directly, never by ssh
    command = [MPIEXEC, "-n", str(processes), sys.executable, str(PROGRAMS / program)]
    result = subprocess.run(command + [str(a) for a in args], capture_output=True, text=True,
                            timeout=TIMEOUT, env=env)
    if result.returncode != 0:
        raise AssertionError(f"{program} failed ({result.returncode}):\n{result.stderr}")
    return [dict(np.load(args[0] / f"rank{r}.npz")) for r in range(processes)]


def close(ours, theirs):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


# -- SyncBatchNorm across 2 ranks -----------------------------------------------------------------

@needs_mpi
def test_sync_batchnorm_with_two_ranks_equals_batchnorm_on_the_whole_batch(tmp_path):
    steps = 3
    ranks = launch("syncbn_train.py", 2, tmp_path, steps)
    r0 = ranks[0]
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4),
                                torch.nn.Tanh(), torch.nn.Linear(4, 1))
    model.load_state_dict({k[len("start_"):]: torch.tensor(v) for k, v in r0.items()
                           if k.startswith("start_")})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    outs = []
    for step in range(steps):
        optimizer.zero_grad()
        x = torch.tensor(np.concatenate([r[f"x{step}"] for r in ranks]))
        y = torch.tensor(np.concatenate([r[f"y{step}"] for r in ranks]))
        out = model(x)
        outs.append(out)
        torch.nn.functional.mse_loss(out, y).backward()
        optimizer.step()
    model.eval()
    eval_out = model(torch.tensor(np.concatenate([r["x0"] for r in ranks])))
    for r, saved in enumerate(ranks):
        for step in range(steps):
            close(saved[f"out{step}"], outs[step][4 * r:4 * r + 4])
        for k, v in model.state_dict().items():
            if k.endswith("num_batches_tracked"):
                assert saved["end_" + k] == v.item() == steps
            else:
                close(saved["end_" + k], v)
        close(saved["eval_out"], eval_out[4 * r:4 * r + 4])
        assert str(saved["grad_fn"]) == "SyncBatchNormBackward"

    # the bare layer: unequal rows per rank, cumulative average (momentum=None)
    bn = torch.nn.BatchNorm2d(3, momentum=None)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, 1.5, -2.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    x = torch.tensor(np.concatenate([r["bn_x"] for r in ranks]), requires_grad=True)
    y = bn(x)
    y.backward(torch.tensor(np.concatenate([r["bn_g"] for r in ranks])))
    start = 0
    for r, saved in enumerate(ranks):
        rows = slice(start, start + 2 + r)
        start += 2 + r
        close(saved["bn_y"], y[rows])
        close(saved["bn_dx"], x.grad[rows])
        close(saved["bn_rm"], bn.running_mean)
        close(saved["bn_rv"], bn.running_var)
        assert saved["bn_nbt"] == 1
    # the parameters' gradients stay per rank (DDP sums them): together they are the whole's
    close(sum(r["bn_dw"] for r in ranks), bn.weight.grad)
    close(sum(r["bn_db"] for r in ranks), bn.bias.grad)


# -- SyncBatchNorm in one process (no process group: plain batch norm) ---------------------------

def _pair(cls_e, cls_t, *args, **kwargs):
    return cls_e(*args, **kwargs), cls_t(*args, **kwargs)


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 2, 2), (2, 3, 2, 1, 2)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_sync_batchnorm_without_process_group_is_batchnorm(shape, momentum):
    ours, theirs = _pair(ember.nn.SyncBatchNorm, torch.nn.SyncBatchNorm, 3, momentum=momentum)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for _ in range(2):
        ye, yt = ours(xe), theirs(xt)
    # ember's own batch_norm (bit-identical: the same code), and PyTorch's within rounding
    # (ember's batch_norm itself differs from PyTorch's in the last bit for 2-D input)
    plain = ember.nn.functional.batch_norm(xe, None, None, ours.weight, ours.bias, True)
    np.testing.assert_array_equal(ye.detach().numpy(), plain.detach().numpy())
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (k, a), (k2, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-8)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(xe).detach().numpy(), theirs(xt).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_sync_batchnorm_errors_match_torch():
    ours, theirs = _pair(ember.nn.SyncBatchNorm, torch.nn.SyncBatchNorm, 3)
    cases = [((3,), ValueError, "expected at least 2D input"),
             ((3, 0), ValueError, "number of input channels should be non-zero"),
             ((1, 3), ValueError, "Expected more than 1 value per channel")]
    for shape, error, match in cases:
        with pytest.raises(error, match=match):
            ours(ember.zeros(shape))
        with pytest.raises(error, match=match):
            theirs(torch.zeros(shape))


def test_convert_sync_batchnorm_matches_torch():
    def build(nn):
        net = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3),
                            nn.Sequential(nn.BatchNorm1d(4, affine=False, momentum=None),
                                          nn.BatchNorm3d(2, track_running_stats=False,
                                                         bias=False)),
                            nn.LayerNorm(3))
        net[2][1].eval()
        return net

    ember.manual_seed(0)
    e = build(ember.nn)
    t = build(torch.nn)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    e_bn, e_bn1 = e[1], e[2][0]
    ce = ember.nn.SyncBatchNorm.convert_sync_batchnorm(e, process_group="pg")
    ct = torch.nn.SyncBatchNorm.convert_sync_batchnorm(t, process_group="pg")
    assert repr(ce) == repr(ct)
    assert ([type(m).__name__ for m in ce.modules()] == [type(m).__name__ for m in ct.modules()])
    assert ce is e and ce[1] is not e_bn
    # the new layers share the old ones' parameters and buffers
    assert ce[1].weight is e_bn.weight and ce[1].running_var is e_bn.running_var
    assert ce[2][0].running_mean is e_bn1.running_mean and ce[2][0].weight is None
    assert ce[1].process_group == ct[1].process_group == "pg"
    assert [m.training for m in ce.modules()] == [m.training for m in ct.modules()]
    assert list(ce.state_dict()) == list(ct.state_dict())
    for k, v in ct.state_dict().items():
        np.testing.assert_array_equal(ce.state_dict()[k].numpy(), v.numpy())
    lone_e = ember.nn.SyncBatchNorm.convert_sync_batchnorm(ember.nn.BatchNorm1d(5))
    lone_t = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.BatchNorm1d(5))
    assert repr(lone_e) == repr(lone_t) and lone_e.process_group is None


# -- DataParallel, NLLLoss2d -------------------------------------------------------------------

def test_data_parallel_without_gpus_just_runs_the_module():
    ember.manual_seed(0)
    inner = ember.nn.Linear(2, 3)
    ours = ember.nn.DataParallel(inner)
    theirs = torch.nn.DataParallel(torch.nn.Linear(2, 3))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight",
                                                                     "module.bias"]
    assert ours.module is inner and ours.device_ids == theirs.device_ids == []
    assert not hasattr(ours, "output_device") and not hasattr(theirs, "output_device")
    assert ember.nn.DataParallel is ember.nn.parallel.DataParallel
    x = np.arange(4, dtype=np.float32).reshape(2, 2)
    # Linear's own rounding may differ from PyTorch's in the last bit
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        ember.nn.parallel.data_parallel(inner, ember.tensor(x))
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        torch.nn.parallel.data_parallel(torch.nn.Linear(2, 3), torch.tensor(x))


def test_nll_loss_2d_is_nll_loss():
    assert issubclass(ember.nn.NLLLoss2d, ember.nn.NLLLoss)
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        ours = ember.nn.NLLLoss2d(ignore_index=1)
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        theirs = torch.nn.NLLLoss2d(ignore_index=1)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).normal(size=(2, 3, 2, 2)).astype(np.float32)
    target = np.array([[[0, 1], [2, 2]], [[1, 0], [0, 2]]])
    np.testing.assert_array_equal(ours(ember.tensor(x), ember.tensor(target)).numpy(),
                                  theirs(torch.tensor(x), torch.tensor(target)).numpy())

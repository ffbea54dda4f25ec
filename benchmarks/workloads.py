"""Benchmark workloads, written once against a `torch` module that is either ember or PyTorch.

Every in-process workload is a function `fn(torch, scale)` that receives the module to use as
its `torch` argument (the child process did `import ember as torch` or `import torch`) and
returns a dict:

    {"value": <median wall time>, "unit": <its unit>, "cpu": <median CPU time, same unit>,
     "check": <a float to compare>, ...}

`value` is what the runner compares with the target (lower is better); `cpu` is reported too. `check` is a
number computed by the workload (e.g. the trained weight) that must agree between ember and
PyTorch: it guards against timing a workload that silently does something different.

This module imports neither ember nor torch: only the child process chooses which one to import.
Program workloads (a whole script run as a fresh process) are described by `PROGRAMS` and run
by the runner's wrapper process, which imports neither either.
"""
import os
import statistics
import time

SEED_DIR = os.environ.get("EMBER_SEED_DIR", "/work/shared/seed")
AS_TORCH = os.environ.get("EMBER_AS_TORCH", "/work/shared/tools/as_torch.py")

# The lecture's data set (seed_linear.py / seed_quadratic.py).
X_DATA = [1.0, 2.0, 3.0]
Y_DATA = [2.0, 4.0, 6.0]

EPOCHS_PER_BLOCK = 100            # one block = the lecture's 100 epochs = 300 steps


def _blocks(run_block, reset, n_blocks, steps_per_block):
    """Run one warm-up block, then `n_blocks` timed blocks (parameters re-initialised before
    each block, outside the timed region). Returns (median wall seconds per step, all per-step
    wall times, median CPU seconds per step, value returned by the last block). The CPU time
    (time.process_time) is reported too because it is less sensitive to other processes
    competing for the machine's cores than the wall time."""
    reset()
    run_block()                          # warm-up: first-call costs (lazy imports, caches)
    per_step, cpu_per_step = [], []
    result = None
    for _ in range(n_blocks):
        reset()
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = run_block()
        t1 = time.perf_counter()
        c1 = time.process_time()
        per_step.append((t1 - t0) / steps_per_block)
        cpu_per_step.append((c1 - c0) / steps_per_block)
    return statistics.median(per_step), per_step, statistics.median(cpu_per_step), result


# --------------------------------------------------------------------------- 1. sgd_step
def sgd_step(torch, scale=1.0):
    """The lecture's per-sample SGD step for y = w*x (seed_linear.py without the prints):

        l = (x*w - y)**2; l.backward(); w.data = w.data - 0.01 * w.grad.data; w.grad.data.zero_()

    One step = one sample. A block is the lecture's 100 epochs x 3 samples = 300 steps, starting
    from w = 1.0 each time (so the numbers stay the lecture's, never denormal or converged to an
    exact fixed point), timed as a whole; the result is the median over blocks, in us/step."""
    n_blocks = max(1, round(10 * scale))
    state = {}

    def reset():
        state["w"] = torch.tensor([1.0], requires_grad=True)

    def run_block():
        w = state["w"]
        for _epoch in range(EPOCHS_PER_BLOCK):
            for x, y in zip(X_DATA, Y_DATA):
                l = (x * w - y) ** 2
                l.backward()
                w.data = w.data - 0.01 * w.grad.data
                w.grad.data.zero_()
        return w.item()

    steps = EPOCHS_PER_BLOCK * len(X_DATA)
    med, per_step, cpu, w_final = _blocks(run_block, reset, n_blocks, steps)
    return {"value": med * 1e6, "unit": "us/step", "check": w_final, "cpu": cpu * 1e6,
            "steps_timed": n_blocks * steps,
            "spread": [min(per_step) * 1e6, max(per_step) * 1e6]}


# --------------------------------------------------------------------------- 2. quadratic_step
def quadratic_step(torch, scale=1.0):
    """The same per-sample SGD step for the quadratic model of seed_quadratic.py:
    y_hat = w1 * x**2 + w2 * x + b, l = (y_hat - y)**2, then the three .data updates and the
    three .grad.data.zero_() calls. Parameters are created as in the seed
    (torch.Tensor([1.0]); .requires_grad = True). Median us/step over 300-step blocks."""
    n_blocks = max(1, round(6 * scale))
    state = {}

    def reset():
        params = []
        for _ in range(3):
            p = torch.Tensor([1.0])
            p.requires_grad = True
            params.append(p)
        state["p"] = params

    def run_block():
        w1, w2, b = state["p"]
        for _epoch in range(EPOCHS_PER_BLOCK):
            for x, y in zip(X_DATA, Y_DATA):
                l = (w1 * x ** 2 + w2 * x + b - y) ** 2
                l.backward()
                w1.data = w1.data - 0.01 * w1.grad.data
                w2.data = w2.data - 0.01 * w2.grad.data
                b.data = b.data - 0.01 * b.grad.data
                w1.grad.data.zero_()
                w2.grad.data.zero_()
                b.grad.data.zero_()
        return w1.item() + 10 * w2.item() + 100 * b.item()

    steps = EPOCHS_PER_BLOCK * len(X_DATA)
    med, per_step, cpu, check = _blocks(run_block, reset, n_blocks, steps)
    return {"value": med * 1e6, "unit": "us/step", "check": check, "cpu": cpu * 1e6,
            "steps_timed": n_blocks * steps,
            "spread": [min(per_step) * 1e6, max(per_step) * 1e6]}


# --------------------------------------------------------------------------- 4. matmul_512
def matmul_512(torch, scale=1.0):
    """Forward + backward of (a @ b).sum() for two 512x512 float32 leaf tensors (the same
    NumPy-generated data under both systems). One iteration = clear both grads, forward,
    backward (three 512x512x512 GEMMs). Median ms/iteration."""
    import numpy as np
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((512, 512)).astype(np.float32)
    b_np = rng.standard_normal((512, 512)).astype(np.float32)
    a = torch.tensor(a_np, requires_grad=True)
    b = torch.tensor(b_np, requires_grad=True)

    def one():
        a.grad = None
        b.grad = None
        (a @ b).sum().backward()

    for _ in range(3):                                    # warm-up
        one()
    times, cpu = [], []
    for _ in range(max(3, round(15 * scale))):
        c0 = time.process_time()
        t0 = time.perf_counter()
        one()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    # a.grad = ones @ b.T: every row is b's row sums; compare one number with a loose tolerance
    check = float(a.grad.sum().item()) / float(b_np.sum(dtype=np.float64) * 512)
    return {"value": statistics.median(times) * 1e3, "unit": "ms/iter", "check": check,
            "cpu": statistics.median(cpu) * 1e3,
            "spread": [min(times) * 1e3, max(times) * 1e3]}


# --------------------------------------------------------------------------- 3. seed_linear_run
def seed_linear_command(system, python):
    """The command that runs seed_linear.py unchanged under `system` (cwd: SEED_DIR)."""
    if system == "ember":
        return [python, AS_TORCH, "ember", "seed_linear.py"]
    return [python, "seed_linear.py"]


# name -> description used by the runner.
#   kind "inprocess": fn(torch, scale) runs inside the child that imported the system.
#   kind "program":   command(system, python) is run by a wrapper child as a fresh process.
#   targets: metric -> maximum allowed ember/torch ratio (None: no target, informational).
WORKLOADS = {
    "sgd_step": {"kind": "inprocess", "fn": sgd_step,
                 "targets": {"time": 0.3, "cpu": None}},
    "quadratic_step": {"kind": "inprocess", "fn": quadratic_step,
                       "targets": {"time": 0.3, "cpu": None}},
    "seed_linear_run": {"kind": "program", "command": seed_linear_command, "cwd": SEED_DIR,
                        "doc": "The whole seed_linear.py as a fresh process (stdout to /dev/null): "
                               "wall time, peak RSS, CPU time.",
                        "targets": {"wall": 0.2, "peak_rss": 0.25, "cpu": None}},
    "matmul_512": {"kind": "inprocess", "fn": matmul_512,
                   "targets": {"time": None, "cpu": None}},
}

from random_workloads import WORKLOADS as _RANDOM_WORKLOADS  # noqa: E402

WORKLOADS.update(_RANDOM_WORKLOADS)


# --------------------------------------------------------------------------- 5. per-op workloads
# (issue 3) The fixed cost of one op, and two large ops against NumPy's own time.


def _per_op(torch, requires_grad, scale):
    """Median us per `a + b` on 1-element float32 tensors, over blocks of 2000 ops."""
    a = torch.tensor([1.5], requires_grad=requires_grad)
    b = torch.tensor([2.25])
    ops_per_block = 2000
    n_blocks = max(3, round(15 * scale))

    def block():
        c = None
        for _ in range(ops_per_block):
            c = a + b
        return c

    block()                                              # warm-up
    times, cpu = [], []
    for _ in range(n_blocks):
        c0 = time.process_time()
        t0 = time.perf_counter()
        c = block()
        times.append((time.perf_counter() - t0) / ops_per_block * 1e6)
        cpu.append((time.process_time() - c0) / ops_per_block * 1e6)
    return {"value": statistics.median(times), "unit": "us/op", "check": float(c.item()),
            "cpu": statistics.median(cpu), "ops_timed": n_blocks * ops_per_block,
            "spread": [min(times), max(times)]}


def pointwise_overhead(torch, scale=1.0):
    """Per-op overhead: `a + b` on two 1-element float32 tensors, no gradient recorded.
    Median us/op over blocks of 2000 ops (the Python loop's own cost is in both systems)."""
    return _per_op(torch, False, scale)


def pointwise_overhead_grad(torch, scale=1.0):
    """Per-op overhead with grad recording: `a + b` where `a` requires grad (each op builds a
    graph node). Median us/op over blocks of 2000 ops."""
    return _per_op(torch, True, scale)


def _against_numpy(torch, scale, op_name, make_op, n_calls):
    """Time `op` on two 1000x1000 float32 operands. Under ember: ember's op, plus NumPy's own
    op on the same arrays in the same process (reported as `numpy_ms` / `vs_numpy`). Under
    PyTorch the baseline this workload compares with is NumPy's op, not PyTorch's: the
    runner's "torch" column is then NumPy and the ratio ember/NumPy is the issue's target."""
    import numpy as np
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((1000, 1000)).astype(np.float32)
    b_np = rng.standard_normal((1000, 1000)).astype(np.float32)
    is_pytorch = getattr(torch, "__name__", "") == "torch"

    def timed(fn):
        for _ in range(2):
            fn()
        times, cpu, out = [], [], None
        for _ in range(max(3, round(n_calls * scale))):
            c0 = time.process_time()
            t0 = time.perf_counter()
            out = fn()
            times.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
        return statistics.median(times), statistics.median(cpu), times, out

    numpy_op = make_op(None)
    numpy_ms, numpy_cpu, numpy_times, numpy_out = timed(lambda: numpy_op(a_np, b_np))
    if is_pytorch:
        value, cpu, times, out = numpy_ms, numpy_cpu, numpy_times, numpy_out
        check = float(np.asarray(out, dtype=np.float64).sum())
        system = "numpy"
    else:
        a, b = torch.from_numpy(a_np), torch.from_numpy(b_np)
        op = make_op(torch)
        value, cpu, times, out = timed(lambda: op(a, b))
        check = float(out.numpy().astype(np.float64).sum())
        system = "ember"
    return {"value": value, "unit": "ms/call", "cpu": cpu, "check": check,
            "timed_system": system, "numpy_ms": numpy_ms, "vs_numpy": value / numpy_ms,
            "spread": [min(times), max(times)], "op": op_name}


def matmul_1000(torch, scale=1.0):
    """1000x1000 float32 `a @ b` (no grad): ember's matmul against NumPy's own `a @ b` on the
    same arrays (the "torch" side of this workload times NumPy). Median ms/call."""
    return _against_numpy(torch, scale, "matmul",
                          lambda T: (lambda x, y: x @ y), 15)


def add_1000(torch, scale=1.0):
    """1000x1000 float32 elementwise `a + b` (no grad): ember's add against NumPy's own `a + b`
    on the same arrays (the "torch" side of this workload times NumPy). Median ms/call."""
    return _against_numpy(torch, scale, "add", lambda T: (lambda x, y: x + y), 60)


WORKLOADS.update({
    "pointwise_overhead": {"kind": "inprocess", "fn": pointwise_overhead,
                           "targets": {"time": 1.5, "cpu": None}},
    "pointwise_overhead_grad": {"kind": "inprocess", "fn": pointwise_overhead_grad,
                                "targets": {"time": 1.5, "cpu": None}},
    # the "torch" column of these two is NumPy's own op: the target is ember <= 1.2 x NumPy
    "matmul_1000": {"kind": "inprocess", "fn": matmul_1000,
                    "targets": {"time": 1.2, "cpu": None}},
    "add_1000": {"kind": "inprocess", "fn": add_1000,
                 "targets": {"time": 1.2, "cpu": None}},
})


# ----------------------------------------------------- training steps of the nn issue (issue 5)
def _train_step(torch, scale, build, x_shape):
    """Median ms of one SGD step (zero_grad, forward, cross-entropy, backward, step) of the
    model `build(torch)` on a fixed batch of 64 made with NumPy (the same under both systems)."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(x_shape).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, 64))
    torch.manual_seed(0)
    model = build(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def one():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):                                    # warm-up
        one()
    times, cpu = [], []
    for _ in range(max(3, round(20 * scale))):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = one()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"value": statistics.median(times) * 1e3, "unit": "ms/step",
            "check": float(loss.item()), "cpu": statistics.median(cpu) * 1e3,
            "spread": [min(times) * 1e3, max(times) * 1e3]}


def mlp_step(torch, scale=1.0):
    """The issue's MLP step: batch 64, 784-256-128-10 with ReLU, cross-entropy, SGD."""
    nn = torch.nn
    return _train_step(torch, scale, lambda T: nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)),
        (64, 784))


class _LeNetShape:
    """conv 1->10 k5, maxpool 2, conv 10->20 k5, maxpool 2, linear 320->10 (the issue's CNN)."""

    @staticmethod
    def build(torch):
        nn, F = torch.nn, torch.nn.functional

        class LeNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
                self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
                self.fc = nn.Linear(320, 10)

            def forward(self, x):
                x = F.relu(F.max_pool2d(self.conv1(x), 2))
                x = F.relu(F.max_pool2d(self.conv2(x), 2))
                return self.fc(x.view(-1, 320))
        return LeNet()


def cnn_step(torch, scale=1.0):
    """The issue's LeNet-style CNN step: batch 64, 1x28x28."""
    return _train_step(torch, scale, _LeNetShape.build, (64, 1, 28, 28))


WORKLOADS.update({
    # the MLP target is against the hand-written NumPy step (third system, "numpy")
    "mlp_step": {"kind": "inprocess", "fn": mlp_step, "targets": {"time": None, "cpu": None},
                 "numpy_targets": {"time": 1.1}},
    "cnn_step": {"kind": "inprocess", "fn": cnn_step, "targets": {"time": 2.0, "cpu": None}},
})


# ------------------------------------------------ hand-written NumPy baselines of the two steps
# The third system of the runner ("numpy"): the same training step written directly in NumPy,
# forward, backward and SGD update, with no autograd and no library around it. It says how fast
# the step can be on NumPy at all, which is the floor ember (built on NumPy) can approach.
# Initialisation follows nn.Linear/nn.Conv2d's uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
# NumPy's generator, so the numbers are the same kind but not the same values: the check value
# (the last loss) is reported, not compared.


def _numpy_init(rng, fan_in, *shape):
    bound = 1.0 / fan_in ** 0.5
    return rng.uniform(-bound, bound, shape).astype("float32")


def _numpy_cross_entropy(z, y):
    """Mean cross-entropy of logits `z` (N, C) against class indices `y`, and d(loss)/dz."""
    import numpy as np
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.log(s[:, 0]).sum() - shifted[rows, y].sum()) / n
    dz = e
    dz /= s
    dz[rows, y] -= 1
    dz *= np.float32(1.0 / n)
    return loss, dz


def _numpy_timed(one, scale):
    for _ in range(3):                                    # warm-up, as _train_step
        one()
    times, cpu = [], []
    loss = None
    for _ in range(max(3, round(20 * scale))):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = one()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"value": statistics.median(times) * 1e3, "unit": "ms/step", "check": loss,
            "cpu": statistics.median(cpu) * 1e3,
            "spread": [min(times) * 1e3, max(times) * 1e3]}


def mlp_step_numpy(scale=1.0):
    """mlp_step by hand: three `x @ W.T + b` matmuls, ReLU, cross-entropy, the backward
    matmuls and `W -= lr * dW`, all float32."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    sizes = [(784, 256), (256, 128), (128, 10)]
    params = []
    for n_in, n_out in sizes:
        params += [_numpy_init(rng, n_in, n_out, n_in), _numpy_init(rng, n_in, n_out)]
    lr = np.float32(0.01)

    def one():
        w1, b1, w2, b2, w3, b3 = params
        h1 = x @ w1.T
        h1 += b1
        a1 = np.maximum(h1, 0, out=h1)
        h2 = a1 @ w2.T
        h2 += b2
        a2 = np.maximum(h2, 0, out=h2)
        z = a2 @ w3.T
        z += b3
        loss, dz = _numpy_cross_entropy(z, y)
        grads = [dz.T @ a2, dz.sum(axis=0)]
        da2 = dz @ w3
        da2 *= a2 > 0
        grads = [da2.T @ a1, da2.sum(axis=0)] + grads
        da1 = da2 @ w2
        da1 *= a1 > 0
        grads = [da1.T @ x, da1.sum(axis=0)] + grads
        for p, g in zip(params, grads):
            g *= lr
            p -= g
        return loss

    return _numpy_timed(one, scale)


def _conv_forward(x, w, b):
    """Valid 2-d convolution by im2col in a "CHWN" layout (channels, height, width, batch):
    `x` is (C, H, W, N), the result (O, OH, OW, N). The patches are the columns of one matrix
    (C*k*k, OH*OW*N), built by one copy whose inner runs (OW*N numbers) are contiguous, and the
    convolution is one matmul `w (O, C*k*k) @ cols` whose result is already CHWN for the next
    layer. (With the batch innermost, every slice that im2col, pooling and col2im touch is a
    long contiguous run.) Returns the output and the patch matrix (for the weight gradient)."""
    import numpy as np
    o, c, k, _ = w.shape
    _, h, wd, n = x.shape
    oh, ow = h - k + 1, wd - k + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))
    cols = windows.transpose(0, 4, 5, 1, 2, 3).reshape(c * k * k, oh * ow * n)
    out = w.reshape(o, c * k * k) @ cols
    out += b[:, None]
    return out.reshape(o, oh, ow, n), cols


def _conv_backward(dout, cols, w, x_shape, need_dx):
    """Gradients of `_conv_forward`: dW and db from the patch matrix; dx (col2im) by adding
    each of the k*k kernel offsets' share back into place."""
    import numpy as np
    o, c, k, _ = w.shape
    _, oh, ow, n = dout.shape
    d = dout.reshape(o, oh * ow * n)
    dw = (d @ cols.T).reshape(w.shape)
    db = d.sum(axis=1)
    dx = None
    if need_dx:
        dcols = (w.reshape(o, c * k * k).T @ d).reshape(c, k, k, oh, ow, n)
        dx = np.zeros(x_shape, np.float32)
        for i in range(k):
            for j in range(k):
                dx[:, i:i + oh, j:j + ow, :] += dcols[:, i, j]
    return dw, db, dx


def _pool_forward(x):
    """2x2 max pooling of a CHWN array: the maximum of the four strided quarters; also
    returns the quarters (backward routes each gradient to the quarter that held the max)."""
    import numpy as np
    quarters = (x[:, 0::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 0::2], x[:, 1::2, 1::2])
    out = np.maximum(np.maximum(quarters[0], quarters[1]),
                     np.maximum(quarters[2], quarters[3]))
    return out, quarters


def _pool_backward(dout, out, quarters, x_shape):
    import numpy as np
    dx = np.empty(x_shape, np.float32)
    for (di, dj), q in zip(((0, 0), (0, 1), (1, 0), (1, 1)), quarters):
        # (ties, rare with real-valued data, would send the gradient to each tied entry)
        np.multiply(dout, q == out, out=dx[:, di::2, dj::2])
    return dx


def cnn_step_numpy(scale=1.0):
    """cnn_step by hand: im2col convolutions in a (C, H, W, N) layout, 2x2 max pooling on
    strided quarters, ReLU, the linear layer, cross-entropy, backward and
    `W -= lr * dW`, all float32."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 28, 28, 64)).astype(np.float32)      # (C, H, W, N)
    y = rng.integers(0, 10, 64)
    params = [_numpy_init(rng, 25, 10, 1, 5, 5), _numpy_init(rng, 25, 10),
              _numpy_init(rng, 250, 20, 10, 5, 5), _numpy_init(rng, 250, 20),
              _numpy_init(rng, 320, 10, 320), _numpy_init(rng, 320, 10)]
    lr = np.float32(0.01)

    def one():
        c1w, c1b, c2w, c2b, fw, fb = params
        h1, cols1 = _conv_forward(x, c1w, c1b)
        p1, q1 = _pool_forward(h1)
        a1 = np.maximum(p1, 0)
        h2, cols2 = _conv_forward(a1, c2w, c2b)
        p2, q2 = _pool_forward(h2)
        a2 = np.maximum(p2, 0)
        flat = a2.transpose(3, 0, 1, 2).reshape(64, 320)          # (N, C*4*4), as view(-1, 320)
        z = flat @ fw.T
        z += fb
        loss, dz = _numpy_cross_entropy(z, y)
        dfw, dfb = dz.T @ flat, dz.sum(axis=0)
        da2 = (dz @ fw).reshape(64, 20, 4, 4).transpose(1, 2, 3, 0)
        da2 = da2 * (a2 > 0)
        dc2w, dc2b, da1 = _conv_backward(_pool_backward(da2, p2, q2, h2.shape), cols2, c2w,
                                         a1.shape, True)
        da1 *= a1 > 0
        dc1w, dc1b, _ = _conv_backward(_pool_backward(da1, p1, q1, h1.shape), cols1, c1w,
                                       x.shape, False)
        for p, g in zip(params, (dc1w, dc1b, dc2w, dc2b, dfw, dfb)):
            g *= lr
            p -= g
        return loss

    return _numpy_timed(one, scale)


WORKLOADS["mlp_step"]["numpy_fn"] = mlp_step_numpy
WORKLOADS["cnn_step"]["numpy_fn"] = cnn_step_numpy

"""Spatial transformers: `affine_grid_generator` and 2-d `grid_sampler` (bilinear / nearest,
padding zeros / border / reflection), with PyTorch's node names (`AffineGridGeneratorBackward0`,
`GridSampler2DBackward0`, `GridSampler2DBackwardBackward0`).

The sampler follows the formulas of PyTorch's vectorised CPU kernel: a grid value g becomes the
source coordinate `(g + 1) * s` (align_corners) or `(g + 1) * s - 0.5` with s = size / 2
(computed as one fused multiply-add, as the compiled kernel does), then is clipped or reflected;
the same pass gives d(coordinate)/dg, which scales the grid gradient. The input gradient is a
scatter-add made in the kernel's order (per chunk of Vec-size grid points: the four corners, each
over the chunk's lanes), so float32 sums round the same way.

The backward of the sampler is itself a recorded op whose node holds the second derivatives
(computed directly with NumPy: the sampler is bilinear in (input, weights) and the weights are
products of per-axis linear functions, so the second derivatives are closed-form).
"""
import numpy as np

from .. import _backend
from .._fma import fma32, fma64
from .._tensor import Tensor
from ..autograd.graph import Node
from ._util import attach as _attach, contiguous, recording as _recording

_HALF = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_xp = _backend.xp
# lanes of PyTorch's AVX2 Vectorized<float> / Vectorized<double>: the order of the input
# gradient's scatter-add within a chunk of grid points
_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}


def _fma(a, b, c):
    return fma32(a, b, c) if a.dtype == _F32 else fma64(a, b, c)


# -- affine grid ----------------------------------------------------------------------------------


class AffineGridGeneratorBackward0(Node):
    def apply(self, grad):          # d theta = base^T @ grad, per batch
        base, = self.saved
        n = grad.shape[0]
        g = grad.reshape(n, -1, grad.shape[-1])
        b = base.reshape(n, -1, base.shape[-1])
        return (b.transpose(1, 2).bmm(g).transpose(1, 2),)


def affine_grid_generator(theta, base):
    """`base` (N, *spatial, k+1) @ theta^T: the (N, *spatial, k) sampling grid."""
    n = base.shape[0]
    b = base._data.reshape(n, -1, base.shape[-1])[..., None]      # (N, M, K, 1)
    t = np.swapaxes(theta._data, 1, 2)[:, None]                    # (N, 1, K, O)
    # PyTorch's bmm with K = 3 or 4: products rounded, then added left to right
    out = b[:, :, 0] * t[:, :, 0]
    for j in range(1, b.shape[2]):
        out = out + b[:, :, j] * t[:, :, j]
    result = Tensor._make(contiguous(out.reshape(tuple(base.shape[:-1]) + (theta.shape[1],))))
    if _recording(theta):
        node = AffineGridGeneratorBackward0(theta)
        node.save_for_backward(base)
        _attach(result, node)
    return result


# -- grid sampler: source coordinates -------------------------------------------------------------


def _source(g, size, padding, align):
    """The source coordinate of grid values `g` along an axis of `size`, and its derivative."""
    dt = g.dtype.type
    one = dt(1)
    if align:
        s = dt(size - 1) / dt(2)
        x = (g + one) * s
    else:
        s = dt(size) / dt(2)
        x = _fma(g + one, np.full_like(g, s), np.full_like(g, dt(-0.5)))
    mult = np.full_like(g, s)
    if padding == "zeros":
        return x, mult
    if padding == "reflection":
        span = dt(size - 1) * dt(2) if align else dt(size) * dt(2)
        if (size <= 1) if align else (size <= 0):
            return np.zeros_like(g), np.zeros_like(g)
        if not align:
            x = x + dt(0.5)
        neg = x < 0
        a = np.abs(x)
        flips = np.trunc(a / span)
        extra = _fma(-flips, np.full_like(g, span), a)
        refl = span - extra
        more = extra > refl
        x = np.where(more, refl, extra)
        if not align:
            x = x - dt(0.5)
        mult = mult * np.where(more ^ neg, dt(-1), dt(1))
    hi = dt(size - 1)
    inside = (x > 0) & (x < hi)
    x = np.minimum(hi, np.maximum(x, dt(0)))
    return x, mult * inside.astype(g.dtype)


class _Plan:
    """Everything the sampler reads for one (input shape, grid, options): corner positions,
    in-bound masks and the bilinear weights."""

    def __init__(self, in_shape, grid, mode, padding, align):
        n, c, h, w = in_shape
        gx, gy = grid[..., 0], grid[..., 1]
        self.x, self.ax = _source(gx, w, padding, align)
        self.y, self.ay = _source(gy, h, padding, align)
        self.shape, self.mode = in_shape, mode
        dt = grid.dtype.type
        if mode == "nearest":
            xi, yi = np.rint(self.x), np.rint(self.y)
            self.corners = [(xi, yi, np.ones_like(xi))]
        else:
            xw, yn = np.floor(self.x), np.floor(self.y)
            self.wx, self.wy = self.x - xw, self.y - yn
            e, s = dt(1) - self.wx, dt(1) - self.wy
            self.ex, self.sy = e, s
            self.corners = [(xw, yn, s * e), (xw + 1, yn, s * self.wx),
                            (xw, yn + 1, self.wy * e), (xw + 1, yn + 1, self.wy * self.wx)]
        self.index, self.mask = [], []
        for cx, cy, _ in self.corners:
            ok = (cx > -1) & (cx < w) & (cy > -1) & (cy < h)
            ix = np.where(ok, cx, 0).astype(np.int64)
            iy = np.where(ok, cy, 0).astype(np.int64)
            self.index.append(iy * w + ix)          # (N, Ho, Wo) flat positions
            self.mask.append(ok)

    def values(self, x, k):
        """The input values at corner k, (N, C, Ho, Wo), zero out of bounds."""
        n, c = x.shape[:2]
        flat = x.reshape(n, c, -1)
        idx = self.index[k].reshape(n, 1, -1)
        v = np.take_along_axis(flat, np.broadcast_to(idx, (n, c, idx.shape[-1])), 2)
        v = v.reshape((n, c) + self.index[k].shape[1:])
        return np.where(self.mask[k][:, None], v, v.dtype.type(0))

    def sample(self, x, weights=None):
        """sum over corners of value * weight (PyTorch's FMA chain)."""
        weights = weights or [wt for _, _, wt in self.corners]
        out = None
        for k, wt in enumerate(weights):
            v = self.values(x, k)
            out = v * wt[:, None] if out is None else _fma(v, np.broadcast_to(
                wt[:, None], v.shape), out)
        return out

    def scatter(self, g, weights=None):
        """The adjoint of `sample`: g * weight added into each corner's input position, in the
        kernel's order (chunks of lanes, then corners, then lanes)."""
        weights = weights or [wt for _, _, wt in self.corners]
        n, c, h, w = self.shape
        m = g.shape[2] * g.shape[3]
        lanes = _LANES.get(g.dtype, 8)
        chunks = -(-m // lanes)
        pad = chunks * lanes - m
        pos, val = [], []
        for k, wt in enumerate(weights):
            v = (g * wt[:, None]).reshape(n, c, m)
            p = np.where(self.mask[k], self.index[k], -1).reshape(n, m)
            pos.append(np.pad(p, ((0, 0), (0, pad)), constant_values=-1).reshape(
                n, chunks, 1, lanes))
            val.append(np.pad(v, ((0, 0), (0, 0), (0, pad))).reshape(n, c, chunks, 1, lanes))
        pos = np.concatenate(pos, 2).reshape(n, -1)
        val = np.concatenate(val, 3).reshape(n, c, -1)
        out = _xp(g).zeros((n, c, h * w + 1), g.dtype)
        keep = np.where(pos < 0, h * w, pos)
        for b in range(n):
            _backend.of(out).scatter_add(out[b], (slice(None), keep[b]), val[b])
        return out[..., :h * w].reshape(n, c, h, w)

    def grid_grad(self, x, g):
        """d/dgrid of sum(g * sample(x)), before the coordinate factor, per axis."""
        nw, ne, sw, se = (self.values(x, k) for k in range(4))
        gx = gy = None
        s, n, e, w = (a[:, None] for a in (self.sy, self.wy, self.ex, self.wx))
        tx = _fma(se - sw, np.broadcast_to(n, nw.shape), (ne - nw) * s)
        ty = _fma(se - ne, np.broadcast_to(w, nw.shape), (sw - nw) * e)
        # the kernel accumulates over channels in order, one FMA each
        gx = np.zeros_like(tx[:, 0])
        gy = np.zeros_like(gx)
        for ch in range(tx.shape[1]):
            gx = _fma(tx[:, ch], g[:, ch], gx)
            gy = _fma(ty[:, ch], g[:, ch], gy)
        return gx, gy


# -- grid sampler: ops ----------------------------------------------------------------------------


class GridSampler2DBackward0(Node):
    def apply(self, grad):
        input, grid = self.saved
        gi, gg = grid_sampler_2d_backward(grad, input, grid, self.mode, self.padding,
                                          self.align, (self.needs_grad(0), self.needs_grad(1)))
        return gi, gg


class GridSampler2DBackwardBackward0(Node):
    """Second derivatives of the sampler (not themselves differentiable further)."""

    def apply(self, grads):
        gg_input, gg_grid = grads
        grad, input, grid = self.saved
        g, x, gr = grad._data, input._data, grid._data
        plan = _Plan(x.shape, gr, self.mode, self.padding, self.align)
        dt = g.dtype.type
        d_grad = np.zeros_like(g)
        d_input = np.zeros_like(x)
        d_grid = np.zeros_like(gr)
        if gg_input is not None:
            d_grad = d_grad + plan.sample(gg_input._data)
        if self.mode == "bilinear":
            if gg_input is not None:
                tx, ty = plan.grid_grad(gg_input._data, g)
                d_grid[..., 0] += tx * plan.ax
                d_grid[..., 1] += ty * plan.ay
            if gg_grid is not None:
                dx = gg_grid._data[..., 0] * plan.ax     # direction of the source coordinates
                dy = gg_grid._data[..., 1] * plan.ay
                s, n, e, w = plan.sy, plan.wy, plan.ex, plan.wx
                coef = [-s * dx - e * dy, s * dx - w * dy, -n * dx + e * dy, n * dx + w * dy]
                d_grad = d_grad + plan.sample(x, coef)
                d_input = d_input + plan.scatter(g, coef)
                mixed = sum(plan.values(x, k) * sign for k, sign in
                            enumerate((dt(1), dt(-1), dt(-1), dt(1)))) * g
                mixed = mixed.sum(1) * plan.ax * plan.ay
                d_grid[..., 0] += mixed * gg_grid._data[..., 1]
                d_grid[..., 1] += mixed * gg_grid._data[..., 0]
        return (Tensor._make(d_grad), Tensor._make(d_input), Tensor._make(d_grid))


def grid_sampler_2d_backward(grad, input, grid, mode, padding, align, mask=(True, True)):
    g = contiguous(grad._data)
    x, gr = input._data, grid._data
    plan = _Plan(x.shape, gr, mode, padding, align)
    gi = Tensor._make(plan.scatter(g)) if mask[0] else None
    gg = None
    if mask[1]:
        if mode == "nearest":
            out = np.zeros_like(gr)
        else:
            tx, ty = plan.grid_grad(x, g)
            out = np.stack([tx * plan.ax, ty * plan.ay], -1)
        gg = Tensor._make(contiguous(out))
    if _recording(grad, input, grid):
        node = GridSampler2DBackwardBackward0(grad, input, grid)
        node.save_for_backward(grad, input, grid)
        node.mode, node.padding, node.align = mode, padding, align
        node.num_outputs = 2
        for i, t in enumerate((gi, gg)):
            if t is not None:
                t._requires_grad, t._grad_fn, t._output_nr = True, node, i
    return gi, gg


def grid_sampler_2d(input, grid, mode, padding, align):
    """Sample `input` (N, C, H, W) at the (x, y) points of `grid` (N, Ho, Wo, 2)."""
    x, gr = input._data, grid._data
    plan = _Plan(x.shape, gr, mode, padding, align)
    result = Tensor._make(contiguous(plan.sample(x)))
    if _recording(input, grid):
        node = GridSampler2DBackward0(input, grid)
        node.save_for_backward(input, grid)
        node.mode, node.padding, node.align = mode, padding, align
        _attach(result, node)
    return result

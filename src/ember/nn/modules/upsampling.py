"""Resampling layers (Upsample, UpsamplingNearest2d, UpsamplingBilinear2d) and their
functional forms: `interpolate` and the deprecated `upsample`, `upsample_nearest`,
`upsample_bilinear`. The math is in `ember/ops/resample.py`.
"""
import warnings

from ...ops import resample
from .module import Module

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d"]


def _is_integer(x):
    return isinstance(x, int) or (hasattr(x, "__index__") and not isinstance(x, (float, bool))
                                  and not hasattr(x, "is_floating_point"))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of an (N, C, *spatial) input to `size`, or by
    `scale_factor`. Modes: 'nearest', 'nearest-exact', 'linear' (3-d input), 'bilinear'
    (4-d), 'trilinear' (5-d), 'area' (adaptive average pooling).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.interpolate(ember.tensor([[[1., 2.]]]), scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(x) for x in size]}")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias:
        raise NotImplementedError("ember: interpolate(antialias=True) is not supported")
    if output_size is None:
        # the kernels' own rule: the size times the scale, truncated (in double)
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
    scales = scale_factors if scale_factors is not None else [None] * max(dim, 0)
    if 1 <= dim <= 3 and mode in ("nearest", "nearest-exact"):
        return resample.upsample_nearest(input, output_size, scales, mode == "nearest-exact")
    if mode == "area" and 1 <= dim <= 3:
        from . import pooling
        fn = (pooling.adaptive_avg_pool1d, pooling.adaptive_avg_pool2d,
              pooling.adaptive_avg_pool3d)[dim - 1]
        return fn(input, output_size)
    linear = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode in linear and dim == linear[mode]:
        return resample.upsample_linear(input, output_size, align_corners, scales)
    if mode in linear and 1 <= dim <= 3:
        got = {1: "3D", 2: "4D", 3: "5D"}[dim]
        need = {"linear": "3D", "bilinear": "4D", "trilinear": "5D"}[mode]
        raise NotImplementedError(f"Got {got} input, but {mode} mode needs {need} input")
    if mode in ("bicubic", "lanczos", "area") and 1 <= dim <= 3:
        raise NotImplementedError(f"ember: interpolate(mode={mode!r}) is not supported for "
                                  f"{input.dim()}D input")
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | "
        f"trilinear | lanczos | area | nearest-exact (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of `interpolate` (warns)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: `interpolate(input, size, scale_factor, mode='nearest')` (warns)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: bilinear `interpolate` with `align_corners=True` (warns)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class Upsample(Module):
    """Resample feature maps to `size` or by `scale_factor` (see `F.interpolate`).

    >>> import ember
    >>> from ember import nn
    >>> nn.Upsample(scale_factor=2)(ember.zeros(1, 1, 2, 3)).shape
    torch.Size([1, 1, 4, 6])
    """

    __constants__ = ["size", "scale_factor", "mode", "align_corners", "name",
                     "recompute_scale_factor"]

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def __setstate__(self, state):
        if "recompute_scale_factor" not in state:
            state["recompute_scale_factor"] = True
        super().__setstate__(state)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of images: `nn.UpsamplingNearest2d(scale_factor=2)`."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of images with `align_corners=True`:
    `nn.UpsamplingBilinear2d(scale_factor=2)`."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)

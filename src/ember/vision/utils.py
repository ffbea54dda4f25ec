"""`make_grid` and `save_image`: look at a batch of images as one picture.

>>> import ember
>>> from ember.vision.utils import make_grid
>>> batch = ember.zeros(6, 1, 28, 28)         # six grey 28x28 digits
>>> make_grid(batch, nrow=3).shape            # 2 rows of 3, 2-pixel borders, 3 channels
ember.Size([3, 62, 92])
"""
import math

import numpy as np

from .. import _creation
from .._tensor import Tensor
from . import _pil


def _as_batch(tensor):
    """A (B, C, H, W) float NumPy copy of a tensor, or of a list of (C, H, W) tensors."""
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing "
                                f"{type(t)}")
        return np.stack([t.detach().numpy() for t in tensor], axis=0)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    return tensor.detach().numpy().copy()


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile a batch (B, C, H, W) into one (3, rows*(H+p)+p, cols*(W+p)+p) image, `nrow` per row.

    Grey images are repeated into 3 channels; `normalize=True` maps the values (or
    `value_range`) linearly onto [0, 1], per image with `scale_each=True`.
    """
    batch = _as_batch(tensor)
    if batch.ndim == 2:                    # one image, H x W
        batch = batch[None]
    if batch.ndim == 3:                    # one image, C x H x W
        if batch.shape[0] == 1:
            batch = np.concatenate([batch] * 3, axis=0)
        batch = batch[None]
    if batch.ndim == 4 and batch.shape[1] == 1:
        batch = np.concatenate([batch] * 3, axis=1)

    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")

        def norm_range(img):
            low, high = value_range if value_range is not None else (float(img.min()),
                                                                      float(img.max()))
            kind = img.dtype.type
            np.clip(img, kind(low), kind(high), out=img)
            img -= kind(low)
            img /= kind(max(high - low, 1e-5))

        if scale_each is True:
            for img in batch:
                norm_range(img)
        else:
            norm_range(batch)

    if batch.shape[0] == 1:
        return _creation.from_numpy(np.ascontiguousarray(batch[0]))

    nmaps = batch.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = batch.shape[2] + padding, batch.shape[3] + padding
    grid = np.full((batch.shape[1], height * ymaps + padding, width * xmaps + padding),
                   pad_value, dtype=batch.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height,
             x * width + padding:(x + 1) * width] = batch[k]
    return _creation.from_numpy(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor image (or a batch, tiled by make_grid) to a PNG/JPEG file (needs Pillow).

    Values are taken in [0, 1] and rounded to bytes: `x * 255 + 0.5`, clamped, truncated.
    """
    grid = make_grid(tensor, **kwargs).numpy()
    scaled = grid * grid.dtype.type(255) + grid.dtype.type(0.5)
    ndarr = np.clip(scaled, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    _pil.require("save_image").fromarray(ndarr).save(fp, format=format)

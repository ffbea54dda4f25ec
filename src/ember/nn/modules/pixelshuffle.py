"""PixelShuffle / PixelUnshuffle (sub-pixel convolution layouts) and ChannelShuffle, and
their functional forms. The math is in `ember/ops/resample.py`."""
from ...ops import resample
from .module import Module

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "PixelShuffle",
           "PixelUnshuffle", "ChannelShuffle"]


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pixel_shuffle(ember.zeros(1, 8, 2, 3), 2).shape
    torch.Size([1, 2, 4, 6])
    """
    return resample.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of `pixel_shuffle`.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pixel_unshuffle(ember.zeros(1, 2, 4, 6), 2).shape
    torch.Size([1, 8, 2, 3])
    """
    return resample.pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    """Interleave the channels of `groups` groups (6 channels, 2 groups: 0, 3, 1, 4, 2, 5).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.channel_shuffle(ember.arange(4.).view(1, 4, 1), 2).flatten()
    tensor([0., 2., 1., 3.])
    """
    return resample.channel_shuffle(input, groups)


class PixelShuffle(Module):
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r): `nn.PixelShuffle(2)`."""

    __constants__ = ["upscale_factor"]

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return resample.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H*r, W*r) into (*, C*r*r, H, W): `nn.PixelUnshuffle(2)`."""

    __constants__ = ["downscale_factor"]

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return resample.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of `groups` groups (ShuffleNet): `nn.ChannelShuffle(2)`."""

    __constants__ = ["groups"]

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return resample.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"

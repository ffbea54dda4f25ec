"""The image operations behind `ember.vision.transforms`, for PIL images, NumPy arrays and tensors.

Each function does what torchvision's `transforms.functional` does to the same input:

- a PIL image is handled by Pillow itself, with the very calls torchvision makes (so resizing
  a PIL image gives Pillow's pixels, bit for bit);
- a tensor image has shape (..., C, H, W) -- channels first, as layers expect -- and is
  handled by ember: arithmetic (normalize, grayscale) with ember's ops, so it rounds as
  PyTorch does; cropping, flipping and padding by NumPy indexing on the values.

>>> import numpy as np
>>> from ember.vision.transforms import functional as F
>>> img = np.array([[0, 255]], dtype=np.uint8)        # a 1x2 grey image, H x W
>>> F.to_tensor(img)                                   # C x H x W floats in [0, 1]
tensor([[[0., 1.]]])
"""
import numbers
from enum import Enum

import numpy as np

from ... import _creation, _dtype
from ..._tensor import Tensor
from .. import _pil


class InterpolationMode(Enum):
    """How Resize computes new pixels (the names of torchvision, the values of Pillow's filters
    in `pil_modes`)."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's integer filter constants, which torchvision also accepts
_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
             3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
             5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
_PIL_FILTER = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
               InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
               InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
               InterpolationMode.LANCZOS: 1}


def _interpolation_modes_from_int(i):
    return _FROM_INT[i]


def _is_numpy_image(img):
    return isinstance(img, np.ndarray) and img.ndim in (2, 3)


def _check_tensor_image(img):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _wrap(array):
    """An ember tensor owning a copy of `array` (C-contiguous, like `.contiguous()`)."""
    return _creation.from_numpy(np.ascontiguousarray(array))


# -- sizes ------------------------------------------------------------------------------------
def get_dimensions(img):
    """[channels, height, width] of a PIL image or a (..., C, H, W) tensor."""
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    if _pil.is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img):
    """[width, height], the order Pillow uses."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# -- conversions ------------------------------------------------------------------------------
def to_tensor(pic):
    """A PIL image or an H x W (x C) array -> a C x H x W tensor; bytes become floats in [0, 1].

    Two things happen: the channel axis moves first (H, W, C -> C, H, W), and 8-bit images are
    divided by 255 in the default float dtype. Images of other types keep their values.
    """
    if not (_pil.is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray) and not _is_numpy_image(pic):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if isinstance(pic, np.ndarray):
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        # Pillow's 32-bit int, 16-bit int and float modes keep their type; all else is bytes
        nptype = {"I": np.int32, "I;16": np.int16, "F": np.float32}.get(pic.mode, np.uint8)
        array = np.array(pic, nptype, copy=True)
        if pic.mode == "1":
            array = 255 * array                   # 1-bit images: True -> 255
        width, height = pic.size
        array = array.reshape(height, width, len(pic.getbands()))
    img = _wrap(array.transpose((2, 0, 1)))
    if img.dtype == _dtype.uint8:
        return img.to(dtype=_dtype.get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic):
    """A PIL image -> a C x H x W tensor of its own type (no scaling: bytes stay 0..255)."""
    if not _pil.is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    width, height = pic.size
    array = np.array(pic, copy=True).reshape(height, width, len(pic.getbands()))
    # torchvision returns the permuted view (not contiguous); the values are what matter
    return _wrap(array).permute((2, 0, 1))


def to_pil_image(pic, mode=None):
    """A C x H x W tensor or an H x W x C array -> a PIL image.

    Floats are taken as [0, 1] and scaled to bytes by `* 255` then truncation (as torchvision
    does); the mode is guessed from the number of channels and the type when not given.
    """
    if isinstance(pic, Tensor):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.detach().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)

    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 4: ["RGBA", "CMYK", "RGBX"], 3: ["RGB", "YCbCr", "HSV"]}[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return _pil.from_array(np.ascontiguousarray(npimg), mode=mode)


# -- arithmetic -------------------------------------------------------------------------------
def normalize(tensor, mean, std, inplace=False):
    """(x - mean) / std per channel, in the tensor's float dtype (as torchvision computes it)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    # mean and std are rounded to the image's dtype first: the subtraction and division are
    # then the float32 operations PyTorch does, not float64 ones
    mean = _creation.as_tensor(mean, dtype=dtype)
    std = _creation.as_tensor(std, dtype=dtype)
    if (std.numpy() == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma: 0.2989 R + 0.587 G + 0.114 B (tensors), or Pillow's own conversion (PIL images)."""
    if not isinstance(img, Tensor):
        return to_grayscale(img, num_output_channels)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    channels = img.shape[-3]
    if channels not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found "
                        f"{channels}")
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if channels == 3:
        r, g, b = img.unbind(dim=-3)
        # computed in float, then cast back (truncating for byte images), as torchvision does
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        gray = img.clone()
    if num_output_channels == 3:
        return gray.expand(img.shape)
    return gray


def to_grayscale(img, num_output_channels=1):
    """A PIL image in grey ("L"), or grey copied into 3 RGB channels."""
    if not _pil.is_pil_image(img):
        raise TypeError("Input should be PIL Image")
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        grey = np.array(img.convert("L"), dtype=np.uint8)
        return _pil.from_array(np.dstack([grey, grey, grey]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


# -- geometry ---------------------------------------------------------------------------------
def hflip(img):
    """Mirror left to right."""
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        return _wrap(img.detach().numpy()[..., ::-1])
    return img.transpose(_pil.require("hflip").FLIP_LEFT_RIGHT)


def vflip(img):
    """Mirror top to bottom."""
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        return _wrap(img.detach().numpy()[..., ::-1, :])
    return img.transpose(_pil.require("vflip").FLIP_TOP_BOTTOM)


def _parse_padding(padding):
    """int, [all], [left/right, top/bottom] or [left, top, right, bottom] -> l, t, r, b."""
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Add borders (negative padding crops): constant `fill`, or edge/reflect/symmetric copies."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    if isinstance(img, Tensor):
        _check_tensor_image(img)
        array = img.detach().numpy()
        fill_value = 0 if fill is None else fill
    elif _pil.is_pil_image(img):
        if padding_mode == "constant" and img.mode not in ("L", "RGB", "RGBA", "F", "I"):
            raise NotImplementedError(f"ember pads PIL images of mode {img.mode} only "
                                      "through tensors")
        array = np.asarray(img)
        fill_value = 0 if fill is None else fill
        if img.mode != "F":
            fill_value = (tuple(int(v) for v in fill_value)
                          if isinstance(fill_value, (list, tuple)) else int(fill_value))
    else:
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")

    # negative padding crops first
    height, width = (array.shape[-2:] if isinstance(img, Tensor) else array.shape[:2])
    rows = slice(max(-top, 0), height - max(-bottom, 0))
    cols = slice(max(-left, 0), width - max(-right, 0))
    left, top, right, bottom = (max(v, 0) for v in (left, top, right, bottom))
    np_mode = padding_mode
    if isinstance(img, Tensor):
        array = array[..., rows, cols]
        widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
    else:
        array = array[rows, cols]
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
    if padding_mode == "constant":
        if isinstance(fill_value, tuple) and array.ndim == 3 and not isinstance(img, Tensor):
            # a colour per channel: pad each channel with its own value
            out = np.stack([np.pad(array[..., c], widths[:2], mode="constant",
                                   constant_values=fill_value[c])
                            for c in range(array.shape[2])], axis=2)
        else:
            out = np.pad(array, widths, mode="constant", constant_values=fill_value)
    else:
        out = np.pad(array, widths, mode=np_mode)
    if isinstance(img, Tensor):
        return _wrap(out)
    return _pil.from_array(np.ascontiguousarray(out), img.mode)


def crop(img, top, left, height, width):
    """The box of `height` x `width` whose top left corner is (top, left); outside is 0."""
    if not isinstance(img, Tensor):
        return img.crop((left, top, left + width, top + height))
    _check_tensor_image(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                   max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        inside = _wrap(img.detach().numpy()[..., max(top, 0):bottom, max(left, 0):right])
        return pad(inside, padding, fill=0)
    return _wrap(img.detach().numpy()[..., top:bottom, left:right])


def center_crop(img, output_size):
    """The middle `output_size` box (padded with 0 first if the image is smaller)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                   (crop_height - image_height) // 2 if crop_height > image_height else 0,
                   (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                   (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    # Python's round: halves go to the even neighbour, as in torchvision
    top = int(round((image_height - crop_height) / 2.0))
    left = int(round((image_width - crop_width) / 2.0))
    return crop(img, top, left, crop_height, crop_width)


def _compute_resized_output_size(image_size, size, max_size=None):
    """[new_h, new_w]: an int (or [int]) sets the shorter edge and keeps the aspect ratio."""
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        new_short = size[0]
        new_long = int(new_short * long / short)
        if max_size is not None:
            if max_size <= new_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def _aa_weights(in_size, out_size):
    """The antialiased bilinear ("triangle") filter of PyTorch's interpolate(antialias=True).

    Each output pixel i is centred at scale * (i + 0.5) in input coordinates; when shrinking,
    the triangle is widened by the scale so every input pixel contributes (no aliasing). The
    weights of one output pixel sum to 1. All in float32, as PyTorch computes for float32.
    """
    f32 = np.float32
    scale = f32(in_size) / f32(out_size)
    support = scale if scale >= 1.0 else f32(1.0)
    invscale = f32(1.0) / scale if scale >= 1.0 else f32(1.0)
    starts, weights = [], []
    for i in range(out_size):
        center = scale * f32(i + 0.5)
        xmin = max(int(center - support + f32(0.5)), 0)
        xsize = min(int(center + support + f32(0.5)), in_size) - xmin
        j = np.arange(xsize, dtype=f32)
        w = np.maximum(f32(0.0), f32(1.0) - np.abs((j + f32(xmin) - center + f32(0.5))
                                                     * invscale)).astype(f32)
        total = f32(0.0)
        for value in w:                     # summed in order, as the C++ loop does
            total = f32(total + value)
        if total != 0:
            w = (w / total).astype(f32)
        starts.append(xmin)
        weights.append(w)
    return starts, weights


def _resample_last_axis(array, out_size, antialias):
    """Resize the last axis of a float array with (antialiased) bilinear weights."""
    in_size = array.shape[-1]
    taps = []                                   # per output pixel: input indices, weights
    if antialias:
        for start, w in zip(*_aa_weights(in_size, out_size)):
            taps.append((range(start, start + len(w)), w))
    else:
        # plain bilinear, align_corners=False: the two nearest input pixels
        scale = np.float32(in_size) / np.float32(out_size)
        for i in range(out_size):
            src = max(scale * np.float32(i + 0.5) - np.float32(0.5), np.float32(0.0))
            i0 = min(int(src), in_size - 1)
            i1 = i0 + 1 if i0 < in_size - 1 else i0   # at the edge both taps read one pixel
            lam = np.float32(min(max(src - np.float32(i0), 0.0), 1.0))
            taps.append(((i0, i1), np.array([1 - lam, lam], dtype=np.float32)))
    out = np.empty(array.shape[:-1] + (out_size,), dtype=array.dtype)
    for i, (indices, w) in enumerate(taps):
        w = w.astype(array.dtype)
        acc = array[..., indices[0]] * w[0]
        for k in range(1, len(w)):               # summed in order, as the C++ loop does
            acc = acc + array[..., indices[k]] * w[k]
        out[..., i] = acc
    return out


def _resize_tensor(img, size, interpolation, antialias):
    array = img.detach().numpy()
    out_dtype = array.dtype
    if out_dtype not in (np.float32, np.float64):
        array = array.astype(np.float32)          # integers are resized as float32
    new_h, new_w = size
    if interpolation in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        h, w = array.shape[-2:]
        offset = np.float32(0.5 if interpolation is InterpolationMode.NEAREST_EXACT else 0.0)

        def nearest(n_in, n_out):
            # source pixel floor((i + offset) * n_in / n_out), the product in float32
            scale = np.float32(n_in) / np.float32(n_out)
            index = np.floor((np.arange(n_out, dtype=np.float32) + offset) * scale)
            return np.minimum(index.astype(np.int64), n_in - 1)
        rows, cols = nearest(h, new_h), nearest(w, new_w)
        out = array[..., rows[:, None], cols[None, :]]
    elif interpolation is InterpolationMode.BILINEAR:
        out = array
        if out.shape[-1] != new_w:                # width first, then height, as PyTorch does
            out = _resample_last_axis(out, new_w, antialias)
        if out.shape[-2] != new_h:
            out = np.swapaxes(_resample_last_axis(np.swapaxes(out, -1, -2), new_h, antialias),
                              -1, -2)
    else:
        raise NotImplementedError(f"ember resizes tensors with nearest or bilinear "
                                  f"interpolation, not {interpolation.value}; convert to a PIL "
                                  "image first")
    if out.dtype != out_dtype:
        out = np.round(out)
        if np.issubdtype(out_dtype, np.integer):
            info = np.iinfo(out_dtype)
            out = np.clip(out, info.min, info.max)
        out = out.astype(out_dtype)
    return _wrap(out)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to `size` = (h, w), or make the shorter edge `size` long keeping the aspect.

    PIL images are resized by Pillow (always antialiased); tensors by the same triangle filter
    PyTorch's `interpolate(..., antialias=True)` uses.
    """
    if isinstance(interpolation, int):
        interpolation = _interpolation_modes_from_int(interpolation)
    elif not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a "
                        "corresponding Pillow integer constant")
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of "
                             "the smaller edge, i.e. size should be an int or a sequence of "
                             "length 1 in torchscript mode.")
    _, height, width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((height, width), list(size), max_size)
    if [height, width] == output_size:
        return img
    if not isinstance(img, Tensor):
        return img.resize(tuple(output_size[::-1]), _PIL_FILTER[interpolation])
    if antialias is None:
        antialias = False
    return _resize_tensor(img, output_size, interpolation, antialias)


"""Pillow, the optional image library: torchvision hands images around as PIL images.

ember.vision works without Pillow for tensors and NumPy arrays; the datasets then give each
image as a NumPy array instead of a PIL image (ToTensor turns both into the same tensor).
Install it with `pip install pillow` (or ember's `vision` extra) for PIL images, image files
(ImageFolder) and `save_image`.
"""
try:
    from PIL import Image
except ImportError:  # Pillow is optional
    Image = None


def require(what):
    """The PIL.Image module, or an ImportError saying what needed it."""
    if Image is None:
        raise ImportError(f"{what} needs Pillow, which is not installed: pip install pillow")
    return Image


def is_pil_image(obj):
    return Image is not None and isinstance(obj, Image.Image)


def from_array(array, mode=None):
    """A PIL image holding a NumPy array, as torchvision makes them.

    Pillow 11.3 deprecated `Image.fromarray(array, mode)`; like torchvision we build the image
    from the raw bytes instead, which keeps the old meaning (read the bytes in that mode).
    """
    Image = require("making a PIL image")
    if mode is None:
        return Image.fromarray(array)
    height, width = array.shape[:2]
    return Image.frombuffer(mode, (width, height), array.tobytes(), "raw", mode, 0, 1)

"""`ember.vision`: torchvision for ember -- image datasets, transforms and image utilities.

Programs that `import torchvision` get this package under `python -m ember.run`, so

    from torchvision import datasets, transforms
    train = datasets.MNIST("data", train=True, download=True,
                           transform=transforms.Compose([transforms.ToTensor(),
                                                         transforms.Normalize((0.1307,),
                                                                              (0.3081,))]))

reads the same files and gives the same tensors as with torchvision.
"""
from . import datasets, transforms, utils  # noqa: F401

__version__ = "0.28.0"   # the torchvision release paired with PyTorch 2.13.0

_image_backend = "PIL"


def get_image_backend():
    """The library that loads image files: always Pillow ("PIL") in ember."""
    return _image_backend


def set_image_backend(backend):
    if backend not in ("PIL", "accimage"):
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    if backend != "PIL":
        raise ValueError("ember.vision loads images with Pillow only")


__all__ = ["datasets", "transforms", "utils", "get_image_backend", "set_image_backend"]

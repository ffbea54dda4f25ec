"""`ember.vision.transforms`: torchvision's transforms (`from torchvision import transforms`)."""
from . import functional  # noqa: F401
from .functional import InterpolationMode
from .transforms import (CenterCrop, Compose, Grayscale, Lambda, Normalize, Pad, PILToTensor,
                         RandomCrop, RandomHorizontalFlip, RandomVerticalFlip, Resize,
                         ToPILImage, ToTensor)

__all__ = ["CenterCrop", "Compose", "Grayscale", "InterpolationMode", "Lambda", "Normalize",
           "Pad", "PILToTensor", "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip",
           "Resize", "ToPILImage", "ToTensor", "functional"]

"""`ember.testing`: compare results (`assert_close`) and make random test inputs (`make_tensor`),
with PyTorch's tolerances, checks and error messages.

>>> import ember
>>> from ember.testing import assert_close, make_tensor
>>> assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
>>> make_tensor(2, 3, dtype=ember.float32, device="cpu").shape
torch.Size([2, 3])
"""
from ._comparison import assert_allclose, assert_close
from ._creation import make_tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

"""`ember.optim`: optimizers that update parameters from their gradients, and learning-rate
schedules, with PyTorch's names, options, state dicts and arithmetic.

>>> import ember
>>> from ember import optim
>>> w = ember.tensor([3.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> for _ in range(3):
...     opt.zero_grad()
...     loss = (w ** 2).sum()
...     loss.backward()
...     opt.step()
>>> w                      # each step multiplies w by 1 - 0.1 * 2
tensor([1.5360], requires_grad=True)
"""
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Optimizer", "RMSprop",
           "Rprop", "SGD", "lr_scheduler", "swa_utils"]

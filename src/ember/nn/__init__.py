"""`ember.nn`: layers, activations, losses and the Module machinery to build models.

    import ember
    from ember import nn
    import ember.nn.functional as F

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = nn.CrossEntropyLoss()(model(x), y)
"""
from . import functional, init, parallel, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .modules.module import (register_module_forward_hook,  # noqa: F401
                             register_module_forward_pre_hook)
from .parameter import Buffer, Parameter  # noqa: F401
from .parallel import DataParallel  # noqa: F401,E402
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401,E402

__all__ = list(_modules_all) + ["Parameter", "Buffer", "functional", "init", "parallel", "utils"]
__all__ += ["UninitializedParameter", "UninitializedBuffer"]
__all__ += ["DataParallel"]

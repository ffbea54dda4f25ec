"""ember: a deep-learning library on NumPy that behaves like PyTorch (`import ember as torch`).

This module is the torch-like namespace: it only re-exports what lives in the submodules.
"""
import numpy as _np

# PyTorch computes 1/0 = inf and 0/0 = nan silently; NumPy would warn on each. ember follows
# PyTorch (this sets NumPy's error state for the running program).
_np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

from . import _methods  # noqa: E402,F401  (attaches the ops to Tensor)
from ._creation import *  # noqa: E402,F401,F403
from ._device import device  # noqa: E402
from ._dtype import (bool_ as bool, can_cast, complex64, complex128, dtype,  # noqa: E402
                     float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
                     promote_types, set_default_dtype, uint8, uint16, uint32, uint64)
from ._printing import get_printoptions, set_printoptions  # noqa: E402
from ._tensor import (BoolTensor, ByteTensor, CharTensor, DoubleTensor,  # noqa: E402
                      FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor, Size, Tensor)
from . import autograd  # noqa: E402
from .autograd import (enable_grad, inference_mode, is_grad_enabled,  # noqa: E402
                       is_inference_mode_enabled, no_grad, set_grad_enabled)
from .autograd.anomaly_mode import (is_anomaly_check_nan_enabled,  # noqa: E402
                                    is_anomaly_enabled, set_detect_anomaly)
# each ops module lists its public functions in __all__
from .ops.linalg import *  # noqa: E402,F401,F403
from .ops.pointwise import *  # noqa: E402,F401,F403
from .ops.reduction import *  # noqa: E402,F401,F403
from .ops.shape import *  # noqa: E402,F401,F403
from .ops.indexing import *  # noqa: E402,F401,F403  (after pointwise: its where() wraps it)
from .ops.weight_norm import _weight_norm  # noqa: E402,F401
from .ops.nn_ops import dropout, hardshrink, log_softmax, prelu, softmax  # noqa: E402
from .ops.resample import (channel_shuffle, constant_pad_nd, pixel_shuffle,  # noqa: E402
                           pixel_unshuffle)
from .ops.activation_ops import (alpha_dropout, alpha_dropout_, celu, celu_,  # noqa: E402
                                 cosine_similarity, feature_alpha_dropout,
                                 feature_alpha_dropout_, instance_norm, pairwise_distance,
                                 rms_norm, rrelu, rrelu_, selu, selu_)
from .ops.loss_ops import (torch_cosine_embedding_loss as cosine_embedding_loss,  # noqa: E402
                           torch_hinge_embedding_loss as hinge_embedding_loss,
                           torch_margin_ranking_loss as margin_ranking_loss,
                           torch_poisson_nll_loss as poisson_nll_loss,
                           torch_ctc_loss as ctc_loss, pdist,
                           torch_triplet_margin_loss as triplet_margin_loss)
from . import linalg  # noqa: E402,F401
from . import random  # noqa: E402
from .random import (Generator, default_generator, get_rng_state,  # noqa: E402
                     initial_seed, manual_seed, seed, set_rng_state)
from ._random_ops import (bernoulli, multinomial, normal, poisson, rand,  # noqa: E402
                          rand_like, randint, randint_like, randn, randn_like, randperm)
from . import nn, optim, utils  # noqa: E402
from . import testing  # noqa: E402
from . import accelerator, backends, cuda, special, version  # noqa: E402
from . import distributed  # noqa: E402  (mpi4py waits for init_process_group)
from . import futures  # noqa: E402,F401
from . import distributions  # noqa: E402,F401
from ._compat import (are_deterministic_algorithms_enabled,  # noqa: E402
                      get_float32_matmul_precision, get_num_interop_threads, get_num_threads,
                      is_deterministic_algorithms_warn_only_enabled,
                      set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
                      use_deterministic_algorithms)
from .serialization import load, save  # noqa: E402

__version__ = "2.13.0"   # the PyTorch release whose behaviour ember reproduces
ember_version = "0.1.0"

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = complex64
cdouble = complex128

negative = neg
divide = div
multiply = mul
subtract = sub
true_divide = div


def is_tensor(obj):
    """True for ember tensors."""
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()

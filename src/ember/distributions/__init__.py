"""ember.distributions: probability distributions like torch.distributions (sampling with
PyTorch's random streams, log_prob, entropy, moments, kl_divergence).

>>> import ember
>>> from ember.distributions import Normal
>>> Normal(ember.tensor(0.0), ember.tensor(1.0)).log_prob(ember.tensor(0.0))
tensor(-0.9189)
"""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "ExponentialFamily",
           "Independent", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
           "Uniform", "constraints", "kl_divergence", "register_kl"]

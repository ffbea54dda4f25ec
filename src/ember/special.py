"""`ember.special`: PyTorch's `torch.special` names for functions ember already has.

Each name is the same function as its `ember.*` counterpart (`special.expit` is
`ember.sigmoid`, `special.gammaln` is `ember.lgamma`, `special.psi` is `ember.digamma`), so
values, gradients and grad_fn names are those of the op itself, as in PyTorch.

>>> import ember
>>> ember.special.expit(ember.tensor([0.0]))
tensor([0.5000])
"""
from .ops import nn_ops as _nn_ops, pointwise as _pw, reduction as _reduction

digamma = psi = _pw.digamma
erf = _pw.erf
erfc = _pw.erfc
erfinv = _pw.erfinv
exp2 = _pw.exp2
expit = _pw.sigmoid
expm1 = _pw.expm1
gammaln = _pw.lgamma
log1p = _pw.log1p
logit = _pw.logit
multigammaln = _pw.mvlgamma
polygamma = _pw.polygamma
sinc = _pw.sinc
xlogy = _pw.xlogy
logsumexp = _reduction.logsumexp
i0 = _pw.i0
i0e = _pw.i0e
i1 = _pw.i1
i1e = _pw.i1e


def round(input, *, decimals=0, out=None):  # noqa: A001 - PyTorch's name
    """`torch.special.round`: `round` with `decimals` always given (PyTorch's RoundBackward1)."""
    return _pw.round(input, decimals=decimals, out=out)


softmax = _nn_ops.softmax
log_softmax = _nn_ops.log_softmax

__all__ = ["digamma", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e", "i1", "i1e", "log1p",
           "log_softmax", "logit", "logsumexp", "multigammaln", "polygamma", "psi", "round",
           "sinc", "softmax", "xlogy"]

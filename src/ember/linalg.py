"""`ember.linalg`: PyTorch's `torch.linalg` namespace (norms, det, inv, solve, cross, ...).

The ops themselves, and their backward nodes, live in `ember/ops/linalg.py`; this module only
gives them their `torch.linalg` names.
"""
from collections import namedtuple as _namedtuple

from .ops.linalg import LinAlgError, _LinAlgError  # noqa: F401
from .ops.linalg import diagonal as _diagonal
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_det as det
from .ops.linalg import linalg_inv as inv
from .ops.linalg import linalg_norm as norm
from .ops.linalg import linalg_slogdet as slogdet
from .ops.linalg import linalg_solve as solve
from .ops.linalg import linalg_svd as svd
from .ops.linalg import matmul as _matmul
from .ops.linalg import matrix_norm, matrix_power, multi_dot, svdvals, vecdot, vector_norm
from .ops.linalg import linalg_qr as qr
from .ops.linalg import linalg_cholesky as cholesky
from .ops.linalg import linalg_eigh as eigh
from .ops.linalg import linalg_eigvalsh as eigvalsh
from .ops.linalg import linalg_pinv as pinv
from .ops.linalg import linalg_matrix_exp as matrix_exp
from .ops.linalg import lstsq, matrix_rank


def matmul(input, other, *, out=None):
    """`ember.linalg.matmul`: the same as `ember.matmul`."""
    from .ops.linalg import _out
    return _out(_matmul(input, other), out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """`ember.linalg.diagonal`: `ember.diagonal` with the matrix dims last by default."""
    return _diagonal(A, offset, dim1, dim2)


_InvEx = _namedtuple("linalg_inv_ex", ["inverse", "info"])
_SolveEx = _namedtuple("linalg_solve_ex", ["result", "info"])


def inv_ex(A, *, check_errors=False, out=None):
    """`inv`, with an `info` tensor (0 where the matrix was invertible) instead of an error."""
    from ._creation import zeros
    from ._creation import full
    from ._dtype import int32
    batch = tuple(A.shape[:-2])
    try:
        inverse = inv(A)
    except LinAlgError:
        if check_errors:
            raise
        import numpy as np
        from ._tensor import Tensor
        inverse = Tensor._make(np.full_like(A._data, np.nan))
        return _InvEx(inverse, full(batch, 1, dtype=int32))
    return _InvEx(inverse, zeros(batch, dtype=int32))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """`solve`, with an `info` tensor (0 where A was invertible)."""
    from ._creation import zeros
    from ._dtype import int32
    result = solve(A, B, left=left)
    return _SolveEx(result, zeros(tuple(A.shape[:-2]), dtype=int32))


__all__ = ["LinAlgError", "cholesky", "eigh", "eigvalsh", "lstsq", "matrix_exp", "matrix_rank",
           "pinv", "qr", "cross", "det", "diagonal", "inv", "inv_ex", "matmul", "matrix_norm",
           "matrix_power", "multi_dot", "norm", "slogdet", "solve", "solve_ex", "svd", "svdvals",
           "vecdot", "vector_norm"]

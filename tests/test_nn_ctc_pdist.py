"""pdist and the CTC loss against PyTorch: values, gradients, grad_fn names, modules, errors.

Bit-identical where NumPy computes what PyTorch's CPU kernel computes in the same order:
- pdist with p = 0, 1, 2, inf (the AVX2 lane order of PyTorch's reduction is mirrored); a
  general p goes through PyTorch's vectorised (Sleef) pow, which NumPy's pow can differ from by
  an ulp, so those are compared to a tight tolerance;
- the CTC loss in float64 (NumPy's exp/log are the C library's there); in float32 NumPy's SIMD
  expf/logf may differ from the C library's by an ulp, so float32 uses a tight tolerance.
"""
import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
import ember.nn.functional as EF
import torch.nn.functional as TF


def _pair(a, requires_grad=True):
    return (torch.tensor(a, requires_grad=requires_grad),
            ember.tensor(a, requires_grad=requires_grad))


def _same(e, t, exact, rtol=2e-6, atol=1e-6):
    a, b = e.detach().numpy(), t.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _raises_both(fn_t, fn_e, exc, match):
    with pytest.raises(exc, match=match):
        fn_t()
    with pytest.raises(exc, match=match):
        fn_e()


# -- pdist ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3), (6, 8), (7, 13), (4, 21), (2, 1), (1, 3), (3, 0)])
@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, float("inf")])
def test_pdist_values_and_grads(dtype, shape, p):
    rng = np.random.default_rng(hash((shape, p)) % 2**32)
    a = rng.standard_normal(shape).astype(dtype)
    if shape[0] > 1:
        a[1] = a[0]                        # a zero distance (the gradient's special case)
    t, e = _pair(a)
    yt, ye = torch.pdist(t, p), ember.pdist(e, p)
    exact = p in (0, 1, 2, float("inf"))
    _same(ye, yt, exact, rtol=1e-6 if dtype == np.float32 else 1e-13)
    if yt.numel():
        assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__ == "PdistBackward0"
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    _same(e.grad, t.grad, exact, rtol=tol, atol=tol)


def test_pdist_functional_forms_and_double_backward():
    a = np.random.default_rng(1).standard_normal((4, 3))
    t, e = _pair(a)
    _same(EF.pdist(e), TF.pdist(t), True)
    _same(ember.nn.functional.pdist(e, 1), torch.nn.functional.pdist(t, 1), True)
    gt, = torch.autograd.grad(torch.pdist(t).sum(), t, create_graph=True)
    ge, = ember.autograd.grad(ember.pdist(e).sum(), e, create_graph=True)
    _same(ge, gt, True)
    _raises_both(lambda: gt.sum().backward(), lambda: ge.sum().backward(),
                 (RuntimeError, NotImplementedError), "_pdist_backward")
    assert ember.autograd.gradcheck(lambda x: ember.pdist(x, 3.0), (e,))
    assert ember.autograd.gradcheck(lambda x: ember.pdist(x), (e,))


def test_pdist_errors():
    for args in [((3,),), ((2, 3, 4),)]:
        _raises_both(lambda: torch.pdist(torch.zeros(*args[0])),
                     lambda: ember.pdist(ember.zeros(*args[0])), RuntimeError,
                     "pdist only supports 2D tensors, got: ")
    _raises_both(lambda: torch.pdist(torch.zeros(3, 2), -1.0),
                 lambda: ember.pdist(ember.zeros(3, 2), -1.0), RuntimeError,
                 "pdist only supports non-negative p values")
    _raises_both(lambda: torch.pdist(torch.zeros(3, 2, dtype=torch.int64)),
                 lambda: ember.pdist(ember.zeros(3, 2, dtype=ember.int64)), RuntimeError,
                 "pdist only supports floating-point dtypes")
    _raises_both(lambda: torch.pdist(torch.zeros(3, 2, dtype=torch.float16)),
                 lambda: ember.pdist(ember.zeros(3, 2, dtype=ember.float16)),
                 NotImplementedError, "\"pdist\" not implemented for 'Half'")


# -- CTC loss ---------------------------------------------------------------------------------

def _ctc_case(rng, dtype, concat):
    T, N, C, S = (int(rng.integers(1, 10)), int(rng.integers(1, 4)), int(rng.integers(2, 6)),
                  int(rng.integers(0, 5)))
    lp = torch.randn(T, N, C, dtype=torch.float64).log_softmax(2).numpy().astype(dtype)
    blank = int(rng.integers(0, C))
    tl = [int(rng.integers(0, S + 1)) for _ in range(N)]
    il = [int(rng.integers(0, T + 1)) for _ in range(N)]
    labels = [c for c in range(C) if c != blank]
    tg = rng.choice(labels, size=(N, S)).astype(np.int64)
    if concat:
        tg = np.concatenate([tg[b, :tl[b]] for b in range(N)]).astype(np.int64)
    return lp, tg, il, tl, blank


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("concat", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_ctc_loss_against_torch(dtype, concat, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lp, tg, il, tl, blank = _ctc_case(rng, dtype, concat)
    exact = dtype == np.float64
    for reduction in ("none", "mean", "sum"):
        for zero_infinity in (False, True):
            t, e = _pair(lp)
            yt = TF.ctc_loss(t, torch.tensor(tg), il, tl, blank, reduction, zero_infinity)
            ye = EF.ctc_loss(e, ember.tensor(tg), il, tl, blank, reduction, zero_infinity)
            assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
            _same(ye, yt, exact)
            if not np.all(np.isfinite(yt.detach().numpy())):
                continue
            g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
            yt.backward(torch.tensor(g))
            ye.backward(ember.tensor(g))
            _same(e.grad, t.grad, exact, rtol=1e-5, atol=2e-6)


def _fixed():
    torch.manual_seed(0)
    lp = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(2).numpy()
    return lp, np.array([[1, 2, 2], [3, 1, 0]]), [6, 5], [3, 2]


def test_ctc_loss_forms():
    lp, tg, il, tl = _fixed()
    t, e = _pair(lp)
    tt, et = torch.tensor(tg), ember.tensor(tg)
    yt = TF.ctc_loss(t, tt, il, tl, reduction="none")
    assert type(yt.grad_fn).__name__ == "CtcLossBackward0"
    # lengths as tuples, as int64 / int32 tensors; float targets are converted
    _same(EF.ctc_loss(e, et, tuple(il), tuple(tl), reduction="none"), yt, True)
    _same(EF.ctc_loss(e, et, ember.tensor(il), ember.tensor(tl, dtype=ember.int32),
                      reduction="none"), yt, True)
    _same(EF.ctc_loss(e, et.float(), il, tl, reduction="none"), yt, True)
    # unbatched (T, C) with 1-d targets
    for red in ("none", "mean", "sum"):
        ut = TF.ctc_loss(t[:, 0], tt[0], [6], [3], reduction=red)
        ue = EF.ctc_loss(e[:, 0], et[0], [6], [3], reduction=red)
        assert type(ue.grad_fn).__name__ == type(ut.grad_fn).__name__
        _same(ue, ut, True)
    # torch.ctc_loss: integer reduction; unreduced when left out
    _same(ember.ctc_loss(e, et, il, tl), torch.ctc_loss(t, tt, il, tl), True)
    _same(ember.ctc_loss(e, et, il, tl, 0, 1), torch.ctc_loss(t, tt, il, tl, 0, 1), True)
    _same(ember.ctc_loss(e, et, il, tl, 0, 2, True), torch.ctc_loss(t, tt, il, tl, 0, 2, True),
          True)
    # empty inputs: loss -0 for an empty target, inf (or 0 with zero_infinity) otherwise
    _same(EF.ctc_loss(e, et, [0, 5], [0, 2], reduction="none"),
          TF.ctc_loss(t, tt, [0, 5], [0, 2], reduction="none"), True)
    _same(EF.ctc_loss(e, et, [0, 5], [1, 2], reduction="none"),
          TF.ctc_loss(t, tt, [0, 5], [1, 2], reduction="none"), True)
    zt = TF.ctc_loss(t, tt, [1, 5], [3, 2], reduction="sum", zero_infinity=True)
    ze = EF.ctc_loss(e, et, [1, 5], [3, 2], reduction="sum", zero_infinity=True)
    _same(ze, zt, True)
    zt.backward()
    ze.backward()
    _same(e.grad, t.grad, True)


def test_ctc_loss_double_backward_and_gradcheck():
    lp, tg, il, tl = _fixed()
    t, e = _pair(lp)
    gt, = torch.autograd.grad(TF.ctc_loss(t, torch.tensor(tg), il, tl), t, create_graph=True)
    ge, = ember.autograd.grad(EF.ctc_loss(e, ember.tensor(tg), il, tl), e, create_graph=True)
    _same(ge, gt, True)
    _raises_both(lambda: gt.sum().backward(), lambda: ge.sum().backward(), RuntimeError,
                 "derivative for aten::_ctc_loss_backward is not implemented")
    et = ember.tensor(tg)
    # PyTorch's kernel returns the gradient for normalised log-probabilities (its formula
    # folds in log_softmax's), so the check goes through log_softmax, as PyTorch's own does
    x = ember.tensor(np.random.default_rng(2).standard_normal((6, 2, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda x: EF.ctc_loss(x.log_softmax(2), et, il, tl, reduction="none"), (x,))


def test_ctc_loss_module():
    lp, tg, il, tl = _fixed()
    t, e = _pair(lp)
    mt, me = torch.nn.CTCLoss(blank=1, zero_infinity=True), enn.CTCLoss(blank=1,
                                                                        zero_infinity=True)
    assert repr(me) == repr(mt) == "CTCLoss()"
    assert list(me.state_dict()) == list(mt.state_dict()) == []
    assert (me.blank, me.reduction, me.zero_infinity) == (mt.blank, mt.reduction,
                                                          mt.zero_infinity)
    tg2 = np.array([[0, 2, 2], [3, 0, 2]])
    _same(me(e, ember.tensor(tg2), il, tl), mt(t, torch.tensor(tg2), il, tl), True)


def test_ctc_loss_errors():
    lp, tg, il, tl = _fixed()
    t, e = _pair(lp, False)
    tt, et = torch.tensor(tg), ember.tensor(tg)

    def both(args, kwargs, exc, match, lp_t=t, lp_e=e, tg_t=tt, tg_e=et):
        _raises_both(lambda: TF.ctc_loss(lp_t, tg_t, *args, **kwargs),
                     lambda: EF.ctc_loss(lp_e, tg_e, *args, **kwargs), exc, match)

    both(([6, 7], tl), {}, RuntimeError, "Expected input_lengths to have value at most 6, but "
         "got value 7")
    both(([-1, 2], tl), {}, RuntimeError, "Expected input_lengths to have value at least 0")
    both((il, [-1, 2]), {}, RuntimeError, "Expected target_lengths to have value at least 0")
    both(([6], tl), {}, RuntimeError, "input_lengths must be of size batch_size")
    both((il, [3]), {}, RuntimeError, "target_lengths must be of size batch_size")
    both((il, [4, 1]), {}, RuntimeError, "Expected tensor to have size at least 4 at dimension 1")
    both((il, tl), {"blank": 4}, RuntimeError, "blank must be in label range")
    both((il, tl), {"blank": -1}, RuntimeError, "blank must be in label range")
    both((il, tl), {"reduction": "foo"}, ValueError, "foo is not a valid value for reduction")
    both((il, tl), {}, RuntimeError, "Expected tensor to have size 5 at dimension 0",
         tg_t=tt.flatten(), tg_e=et.flatten())
    both((il, tl), {}, RuntimeError, "Expected tensor to have size 2 at dimension 0",
         tg_t=tt[:1], tg_e=et[:1])
    both((il, tl), {}, RuntimeError, "Expected 1 to 2 dimensions, but got 3-dimensional",
         tg_t=tt[None], tg_e=et[None])
    both((il, tl), {}, RuntimeError, "Expected 3-dimensional tensor, but got 2-dimensional",
         lp_t=t[0, 0], lp_e=e[0, 0])
    both((il, tl), {}, NotImplementedError, "\"ctc_loss_cpu\" not implemented for 'Half'",
         lp_t=t.half(), lp_e=e.half())
    both((torch.tensor(il), tl), {}, TypeError, "ctc_loss\\(\\) received an invalid combination")

"""Attention against PyTorch: F.scaled_dot_product_attention, F.multi_head_attention_forward,
nn.MultiheadAttention and the Transformer modules.

Tolerances, not bits: attention is built from matmul (batched products: NumPy's and PyTorch's
BLAS sum in different orders) and softmax (PyTorch's kernel uses its own fast `exp`), so values
are compared with rtol 1e-5 / atol 1e-6 (float32) and 1e-12 (float64). Parameters drawn at
initialisation use the same generator and formulas: those are compared bit for bit.
PyTorch's CPU sdpa takes a fused "flash attention for CPU" kernel for 4-d inputs with equal
head sizes and no dropout; the grad_fn names are compared where it takes its math path.
"""
import copy
import warnings

import numpy as np
import pytest

from helpers import assert_same

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def tol(dtype):
    return dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)


def pair(a, rg=False):
    a = np.array(a, copy=True)
    return (ember.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg))


def chain(fn, depth=8):
    """The grad_fn names of a graph, depth first (to compare recorded graphs)."""
    out = []

    def walk(f, d):
        if f is None or d > depth:
            return
        out.append(type(f).__name__)
        for g, _ in f.next_functions:
            walk(g, d + 1)
    walk(fn, 0)
    return out


def grads_close(es, ts, dtype=np.float32):
    for e, t in zip(es, ts):
        assert_same(e.grad, t.grad, rtol=tol(dtype)["rtol"], atol=tol(dtype)["atol"])


# -- scaled_dot_product_attention -----------------------------------------------------------------

SDPA_CASES = {
    "3d": ((2, 3, 4), (2, 5, 4), (2, 5, 6), {}),
    "3d-causal": ((2, 3, 4), (2, 5, 4), (2, 5, 6), dict(is_causal=True)),
    "4d-neg-scale": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6), dict(scale=-0.3)),
    "4d-flash": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {}),
    "4d-flash-causal-scale": ((1, 2, 4, 3), (1, 2, 4, 3), (1, 2, 4, 3),
                              dict(is_causal=True, scale=0.7)),
    "2d-bool-mask": ((3, 4), (5, 4), (5, 4), dict(attn_mask="bool")),
    "3d-float-mask": ((2, 3, 4), (2, 5, 4), (2, 5, 4), dict(attn_mask="float")),
    "4d-bool-mask": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), dict(attn_mask="bool")),
    "gqa": ((1, 4, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2), dict(enable_gqa=True)),
}


def _sdpa_inputs(name, dtype, seed=0):
    rng = np.random.default_rng(seed)
    sq, sk, sv, kw = SDPA_CASES[name]
    q, k, v = (pair(rng.standard_normal(s).astype(dtype), True) for s in (sq, sk, sv))
    ekw, tkw = dict(kw), dict(kw)
    if kw.get("attn_mask") == "bool":
        m = rng.random(sq[:-2] + (sq[-2], sk[-2])) > 0.4
        m[..., 0, :] = False                              # a fully masked row: zeros, not nan
        ekw["attn_mask"], tkw["attn_mask"] = pair(m)
    elif kw.get("attn_mask") == "float":
        ekw["attn_mask"], tkw["attn_mask"] = pair(rng.standard_normal((sq[-2], sk[-2]))
                                                  .astype(dtype))
    return q, k, v, ekw, tkw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SDPA_CASES))
def test_sdpa_values_and_grads(name, dtype):
    (eq, tq), (ek, tk), (ev, tv), ekw, tkw = _sdpa_inputs(name, dtype)
    e = EF.scaled_dot_product_attention(eq, ek, ev, **ekw)
    t = TF.scaled_dot_product_attention(tq, tk, tv, **tkw)
    assert_same(e, t, **tol(dtype))
    g = np.random.default_rng(1).standard_normal(tuple(t.shape)).astype(dtype)
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    grads_close((eq, ek, ev), (tq, tk, tv), dtype)
    if t.grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0":
        # PyTorch's fused CPU kernel; ember records its math path (which supports double
        # backward, where the fused node does not)
        assert type(e.grad_fn).__name__ == "UnsafeViewBackward0"
    else:
        assert chain(e.grad_fn) == chain(t.grad_fn)


def test_sdpa_math_path_graph_names():
    (eq, tq), (ek, tk), (ev, tv), ekw, tkw = _sdpa_inputs("4d-bool-mask", np.float32)
    # force the same path in PyTorch: its math kernel with the mask made additive
    m = tkw["attn_mask"]
    t = torch.ops.aten._scaled_dot_product_attention_math(
        tq, tk, tv, torch.zeros(m.shape).masked_fill(~m, float("-inf")))[0]
    e = EF.scaled_dot_product_attention(eq, ek, ev, **ekw)
    assert chain(e.grad_fn, 20) == chain(t.grad_fn, 20)
    assert "SafeSoftmaxBackward0" in chain(e.grad_fn)
    assert_same(e, t, **tol(np.float32))


def test_sdpa_double_backward_float64():
    (eq, _), (ek, _), (ev, _), ekw, _ = _sdpa_inputs("3d-float-mask", np.float64)
    assert ember.autograd.gradcheck(lambda a, b, c: EF.scaled_dot_product_attention(a, b, c),
                                    (eq, ek, ev))
    assert ember.autograd.gradgradcheck(
        lambda a, b, c: EF.scaled_dot_product_attention(a, b, c, is_causal=True), (eq, ek, ev))


def test_sdpa_dropout_draws_like_pytorch():
    (eq, tq), (ek, tk), (ev, tv), _, _ = _sdpa_inputs("4d-flash", np.float32)
    ember.manual_seed(3)
    torch.manual_seed(3)
    e = EF.scaled_dot_product_attention(eq, ek, ev, dropout_p=0.4)
    t = TF.scaled_dot_product_attention(tq, tk, tv, dropout_p=0.4)
    assert_same(e, t, **tol(np.float32))               # same mask, else far apart
    assert chain(e.grad_fn) == chain(t.grad_fn)        # math path (MulBackward0 of dropout)
    # and the next draw continues the same stream
    assert_same(EF.scaled_dot_product_attention(eq, ek, ev, dropout_p=1.0),
                TF.scaled_dot_product_attention(tq, tk, tv, dropout_p=1.0))
    assert ember.rand(3).tolist() == torch.rand(3).tolist()


def test_sdpa_safe_softmax_fully_masked_rows_are_zero():
    e = EF.scaled_dot_product_attention(ember.ones(2, 3), ember.ones(2, 3), ember.ones(2, 3),
                                        attn_mask=ember.zeros(2, 2, dtype=ember.bool))
    assert e.tolist() == [[0.0] * 3] * 2


def test_sdpa_float16_computed_in_float32():
    rng = np.random.default_rng(5)
    arrs = [rng.standard_normal((2, 3, 4)).astype(np.float16) for _ in range(3)]
    e = EF.scaled_dot_product_attention(*[ember.tensor(a) for a in arrs])
    t = TF.scaled_dot_product_attention(*[torch.tensor(a) for a in arrs])
    assert_same(e, t, rtol=1e-3, atol=1e-3)


SDPA_ERRORS = [
    (lambda T: ((T.ones(2, 3), T.ones(2, 3, dtype=T.float64), T.ones(2, 3)), {}),
     "Expected query, key, and value to have the same dtype, but got query.dtype: float key"
     ".dtype: double and value.dtype: float instead."),
    (lambda T: ((T.ones(3), T.ones(3), T.ones(3)), {}),
     "Expected query, key, and value to all be  at least 2 dimensional"),
    (lambda T: ((T.ones(2, 3), T.ones(2, 3), T.ones(2, 3)),
                dict(attn_mask=T.ones(2, 2, dtype=T.int64))),
     "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
     "attn_mask.dtype: long int and  query.dtype: float instead."),
    (lambda T: ((T.ones(2, 3), T.ones(2, 3), T.ones(2, 3)),
                dict(attn_mask=T.ones(2, 2, dtype=T.bool), is_causal=True)),
     "Explicit attn_mask should not be set when is_causal=True"),
    (lambda T: ((T.ones(4, 3, 2), T.ones(3, 3, 2), T.ones(3, 3, 2)), dict(enable_gqa=True)),
     "Number of heads in key and value must divide the number of heads in"),
    (lambda T: ((T.ones(2, 3), T.ones(2, 3), T.ones(2, 3)), dict(dropout_p=1.5)),
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda T: ((T.ones(2, 3, 4), T.ones(2, 5, 3), T.ones(2, 5, 4)), {}),
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: "
     r"\[2, 3\]."),
]


@pytest.mark.parametrize("case", range(len(SDPA_ERRORS)))
def test_sdpa_errors(case):
    make, match = SDPA_ERRORS[case]
    for T, F in ((torch, TF), (ember, EF)):
        args, kw = make(T)
        with pytest.raises(RuntimeError, match=match):
            F.scaled_dot_product_attention(*args, **kw)


# -- MultiheadAttention ----------------------------------------------------------------------------

MHA_CONFIGS = {
    "default": dict(embed_dim=8, num_heads=2),
    "batch_first-dropout": dict(embed_dim=8, num_heads=2, dropout=0.3, batch_first=True),
    "no-bias": dict(embed_dim=8, num_heads=4, bias=False),
    "bias_kv-zero_attn": dict(embed_dim=6, num_heads=3, add_bias_kv=True, add_zero_attn=True),
    "kdim-vdim": dict(embed_dim=8, num_heads=2, kdim=5, vdim=3),
}


def _both_mha(cfg, seed=0):
    ember.manual_seed(seed)
    e = enn.MultiheadAttention(**cfg)
    torch.manual_seed(seed)
    t = tnn.MultiheadAttention(**cfg)
    return e, t


@pytest.mark.parametrize("name", sorted(MHA_CONFIGS))
def test_mha_parameters_match_pytorch_bit_for_bit(name):
    e, t = _both_mha(MHA_CONFIGS[name])
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert_same(es[k], ts[k])
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert repr(e) == repr(t)
    # state dicts load across libraries
    t2 = tnn.MultiheadAttention(**MHA_CONFIGS[name])
    t2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in es.items()})
    e2 = enn.MultiheadAttention(**MHA_CONFIGS[name])
    e2.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ts.items()})


def _mha_inputs(cfg, rng, batched=True, self_attn=False):
    E, kd, vd = cfg["embed_dim"], cfg.get("kdim") or cfg["embed_dim"], \
        cfg.get("vdim") or cfg["embed_dim"]
    L, S, N = 3, 4, 2
    lead = lambda n: ((N, n) if cfg.get("batch_first") else (n, N)) if batched else (n,)  # noqa
    q = pair(rng.standard_normal(lead(L) + (E,)).astype(np.float32), True)
    if self_attn:
        return q, q, q
    k = pair(rng.standard_normal(lead(S) + (kd,)).astype(np.float32), True)
    v = pair(rng.standard_normal(lead(S) + (vd,)).astype(np.float32), True)
    return q, k, v


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("name", sorted(MHA_CONFIGS))
def test_mha_forward_backward(name, need_weights):
    cfg = MHA_CONFIGS[name]
    rng = np.random.default_rng(0)
    e, t = _both_mha(cfg)
    (eq, tq), (ek, tk), (ev, tv) = _mha_inputs(cfg, rng)
    N, L, S = 2, 3, 4
    kpm = rng.random((N, S)) > 0.7
    kpm[:, 0] = False
    ekpm, tkpm = pair(kpm)
    am = rng.standard_normal((L, S)).astype(np.float32)
    eam, tam = pair(am)
    ember.manual_seed(1)
    torch.manual_seed(1)
    eo, ew = e(eq, ek, ev, key_padding_mask=ekpm, attn_mask=eam, need_weights=need_weights)
    to, tw = t(tq, tk, tv, key_padding_mask=tkpm, attn_mask=tam, need_weights=need_weights)
    assert_same(eo, to, **tol(np.float32))
    if need_weights:
        assert_same(ew, tw, **tol(np.float32))
        assert chain(eo.grad_fn, 30) == chain(to.grad_fn, 30)
    else:
        assert ew is None and tw is None
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    grads_close((eq, ek, ev), (tq, tk, tv))
    for (n, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        assert_same(ep.grad, tp.grad, rtol=1e-5, atol=1e-5)


def test_mha_self_attention_unbatched_and_per_head_weights():
    cfg = dict(embed_dim=8, num_heads=2)
    e, t = _both_mha(cfg)
    rng = np.random.default_rng(2)
    (eq, tq), _, _ = _mha_inputs(cfg, rng, batched=False, self_attn=True)
    eo, ew = e(eq, eq, eq, average_attn_weights=False)
    to, tw = t(tq, tq, tq, average_attn_weights=False)
    assert_same(eo, to, **tol(np.float32))
    assert_same(ew, tw, **tol(np.float32))
    assert chain(eo.grad_fn, 30) == chain(to.grad_fn, 30)
    # a causal mask with the is_causal hint, without weights: sdpa's causal path
    mask = tnn.Transformer.generate_square_subsequent_mask(3)
    emask = enn.Transformer.generate_square_subsequent_mask(3)
    assert_same(emask, mask)
    eo = e(eq, eq, eq, attn_mask=emask, is_causal=True, need_weights=False)[0]
    to = t(tq, tq, tq, attn_mask=mask, is_causal=True, need_weights=False)[0]
    assert_same(eo, to, **tol(np.float32))


def test_mha_eval_fast_path_values():
    """PyTorch's inference fast path (`_native_multi_head_attention`): ember computes the
    same function the slow way."""
    cfg = dict(embed_dim=8, num_heads=2, batch_first=True)
    e, t = _both_mha(cfg)
    e.eval()
    t.eval()
    x = np.random.default_rng(3).standard_normal((2, 3, 8)).astype(np.float32)
    kpm = np.array([[False, False, True], [False, False, False]])
    with ember.no_grad(), torch.no_grad():
        eo, ew = e(ember.tensor(x), ember.tensor(x), ember.tensor(x),
                   key_padding_mask=ember.tensor(kpm))
        xt = torch.tensor(x)
        to, tw = t(xt, xt, xt, key_padding_mask=torch.tensor(kpm))
    assert_same(eo, to, **tol(np.float32))
    assert_same(ew, tw, **tol(np.float32))


def test_mha_mismatched_mask_types_warn():
    cfg = dict(embed_dim=4, num_heads=2)
    for T, nn in ((torch, tnn), (ember, enn)):
        m = nn.MultiheadAttention(**cfg)
        x = T.ones(3, 1, 4)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                             "attn_mask is deprecated"):
            m(x, x, x, key_padding_mask=T.zeros(1, 3, dtype=T.bool), attn_mask=T.zeros(3, 3))


MHA_ERRORS = [
    (ValueError, "embed_dim and num_heads must be greater than 0",
     lambda T, nn: nn.MultiheadAttention(0, 2)),
    (AssertionError, "embed_dim must be divisible by num_heads",
     lambda T, nn: nn.MultiheadAttention(5, 2)),
    (AssertionError, "query should be unbatched 2D or batched 3D tensor but received 4-D",
     lambda T, nn: nn.MultiheadAttention(4, 2)(*[T.ones(1, 2, 3, 4)] * 3)),
    (AssertionError, "For batched \\(3-D\\) `query`, expected `key` and `value` to be 3-D",
     lambda T, nn: nn.MultiheadAttention(4, 2)(T.ones(2, 1, 4), T.ones(2, 4), T.ones(2, 4))),
    (AssertionError, "was expecting embedding dimension of 4, but got 6",
     lambda T, nn: nn.MultiheadAttention(4, 2)(*[T.ones(2, 1, 6)] * 3)),
    (RuntimeError, "The shape of the 2D attn_mask is torch.Size\\(\\[2, 3\\]\\), but should be "
                   "\\(2, 2\\).",
     lambda T, nn: nn.MultiheadAttention(4, 2)(*[T.ones(2, 1, 4)] * 3,
                                               attn_mask=T.zeros(2, 3))),
    (AssertionError, "only bool and floating types of attn_mask are supported",
     lambda T, nn: nn.MultiheadAttention(4, 2)(*[T.ones(2, 1, 4)] * 3,
                                               attn_mask=T.zeros(2, 2, dtype=T.int64))),
    (RuntimeError, "Need attn_mask if specifying the is_causal hint",
     lambda T, nn: nn.MultiheadAttention(4, 2)(*[T.ones(2, 1, 4)] * 3, is_causal=True)),
    (AssertionError, "Expected key_padded_mask.shape\\[1\\] to be 2, but got 3",
     lambda T, nn: nn.MultiheadAttention(4, 2)(*[T.ones(2, 1, 4)] * 3,
                                               key_padding_mask=T.zeros(1, 3, dtype=T.bool))),
]


@pytest.mark.parametrize("case", range(len(MHA_ERRORS)))
def test_mha_errors(case):
    exc, match, fn = MHA_ERRORS[case]
    for T, nn in ((torch, tnn), (ember, enn)):
        with pytest.raises(exc, match=match):
            fn(T, nn)


def test_multi_head_attention_forward_functional_static_kv():
    rng = np.random.default_rng(4)
    E, H, L, N = 4, 2, 3, 2
    arrs = dict(x=rng.standard_normal((L, N, E)), w=rng.standard_normal((3 * E, E)),
                b=rng.standard_normal(3 * E), ow=rng.standard_normal((E, E)),
                sk=rng.standard_normal((N * H, 5, E // H)), sv=rng.standard_normal((N * H, 5, E // H)))
    outs = []
    for T, F in ((ember, EF), (torch, TF)):
        a = {k: T.tensor(v, dtype=T.float64) for k, v in arrs.items()}
        outs.append(F.multi_head_attention_forward(
            a["x"], a["x"], a["x"], E, H, a["w"], a["b"], None, None, False, 0.0, a["ow"], None,
            static_k=a["sk"], static_v=a["sv"]))
    assert_same(outs[0][0], outs[1][0], **tol(np.float64))
    assert_same(outs[0][1], outs[1][1], **tol(np.float64))


# -- Transformer ----------------------------------------------------------------------------------


def _both(make_e, make_t, seed=0):
    ember.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = make_e()
        torch.manual_seed(seed)
        t = make_t()
    return e, t


def _same_params(e, t):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert_same(es[k], ts[k])


ENCODER_LAYERS = {
    "post-norm-relu": dict(d_model=8, nhead=2, dim_feedforward=16),
    # (dropout 0 here: with batch_first, dropout1 gets a transposed tensor, whose mask PyTorch
    # draws in memory order (`empty_like` keeps the strides); ember's F.dropout draws it in
    # logical order, so the masks differ for non-contiguous inputs)
    "pre-norm-gelu-batch_first": dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=True,
                                      activation="gelu", batch_first=True, dropout=0.0),
    "no-bias": dict(d_model=8, nhead=4, dim_feedforward=12, bias=False, dropout=0.0),
}


@pytest.mark.parametrize("name", sorted(ENCODER_LAYERS))
def test_encoder_layer_train_forward_backward(name):
    cfg = ENCODER_LAYERS[name]
    e, t = _both(lambda: enn.TransformerEncoderLayer(**cfg),
                 lambda: tnn.TransformerEncoderLayer(**cfg))
    _same_params(e, t)
    assert repr(e) == repr(t)
    rng = np.random.default_rng(0)
    shape = (2, 5, 8) if cfg.get("batch_first") else (5, 2, 8)
    ex, tx = pair(rng.standard_normal(shape).astype(np.float32), True)
    kpm = np.array([[False] * 5, [False, False, False, True, True]])
    ember.manual_seed(7)
    torch.manual_seed(7)
    eo = e(ex, src_key_padding_mask=ember.tensor(kpm))
    to = t(tx, src_key_padding_mask=torch.tensor(kpm))
    assert_same(eo, to, rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(shape).astype(np.float32)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    assert_same(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    for (n, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
        assert_same(ep.grad, tp.grad, rtol=1e-4, atol=1e-5)


def test_encoder_layer_callable_activation_and_causal_mask():
    cfg = dict(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0)
    e, t = _both(lambda: enn.TransformerEncoderLayer(**cfg, activation=enn.Tanh()),
                 lambda: tnn.TransformerEncoderLayer(**cfg, activation=tnn.Tanh()))
    assert repr(e) == repr(t) and e.activation_relu_or_gelu == t.activation_relu_or_gelu == 0
    x = np.random.default_rng(1).standard_normal((3, 2, 4)).astype(np.float32)
    eo = e(ember.tensor(x), src_mask=enn.Transformer.generate_square_subsequent_mask(3),
           is_causal=True)
    to = t(torch.tensor(x), src_mask=tnn.Transformer.generate_square_subsequent_mask(3),
           is_causal=True)
    assert_same(eo, to, rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        enn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        tnn.TransformerEncoderLayer(4, 2, activation="tanh")


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_warnings_and_eval_paths(batch_first):
    msgs = []
    for nn in (tnn, enn):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first),
                                  2)
        msgs.append([str(x.message) for x in w if "nested" in str(x.message)])
    assert msgs[0] == msgs[1]
    assert bool(msgs[0]) != batch_first
    e, t = _both(lambda: enn.TransformerEncoder(
        enn.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first), 2, enn.LayerNorm(8)),
        lambda: tnn.TransformerEncoder(
        tnn.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first), 2, tnn.LayerNorm(8)))
    _same_params(e, t)
    e.eval()
    t.eval()
    shape = (2, 4, 8) if batch_first else (4, 2, 8)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    kpm = np.array([[False, False, True, True], [False, False, False, False]])
    with ember.no_grad(), torch.no_grad():
        # eval + no_grad: PyTorch's fast paths (nested tensors zero the padded positions)
        eo = e(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
        to = t(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    assert_same(eo, to, rtol=1e-5, atol=1e-5)


def test_decoder_and_transformer():
    cfg = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
               dim_feedforward=16, dropout=0.2)
    e, t = _both(lambda: enn.Transformer(**cfg), lambda: tnn.Transformer(**cfg))
    _same_params(e, t)
    assert repr(e) == repr(t)
    rng = np.random.default_rng(3)
    src = rng.standard_normal((5, 2, 8)).astype(np.float32)
    tgt = rng.standard_normal((4, 2, 8)).astype(np.float32)
    (es, ts), (et, tt) = pair(src, True), pair(tgt, True)
    ember.manual_seed(11)
    torch.manual_seed(11)
    eo = e(es, et, tgt_mask=enn.Transformer.generate_square_subsequent_mask(4),
           memory_key_padding_mask=ember.tensor([[False] * 4 + [True], [False] * 5]))
    to = t(ts, tt, tgt_mask=tnn.Transformer.generate_square_subsequent_mask(4),
           memory_key_padding_mask=torch.tensor([[False] * 4 + [True], [False] * 5]))
    assert_same(eo, to, rtol=1e-5, atol=1e-5)
    eo.sum().backward()
    to.sum().backward()
    assert_same(es.grad, ts.grad, rtol=1e-4, atol=1e-5)
    assert_same(et.grad, tt.grad, rtol=1e-4, atol=1e-5)
    for name, msg, a, b in (("batch", "the batch number of src and tgt must be equal",
                             (5, 2, 8), (4, 3, 8)),
                            ("feature", "the feature number of src and tgt must be equal to "
                                        "d_model", (5, 2, 8), (4, 2, 6))):
        for T, m in ((torch, t), (ember, e)):
            with pytest.raises(RuntimeError, match=msg):
                m(T.zeros(*a), T.zeros(*b))


def test_decoder_layer_norm_first_batch_first():
    cfg = dict(d_model=8, nhead=2, dim_feedforward=16, norm_first=True, batch_first=True,
               activation="gelu")
    e, t = _both(lambda: enn.TransformerDecoder(enn.TransformerDecoderLayer(**cfg), 2),
                 lambda: tnn.TransformerDecoder(tnn.TransformerDecoderLayer(**cfg), 2))
    _same_params(e, t)
    e.eval()
    t.eval()
    rng = np.random.default_rng(4)
    x, m = rng.standard_normal((2, 3, 8)), rng.standard_normal((2, 5, 8))
    eo = e(ember.tensor(x, dtype=ember.float32), ember.tensor(m, dtype=ember.float32),
           tgt_is_causal=False)
    to = t(torch.tensor(x, dtype=torch.float32), torch.tensor(m, dtype=torch.float32),
           tgt_is_causal=False)
    assert_same(eo, to, rtol=1e-5, atol=1e-5)


def test_generate_square_subsequent_mask_and_deepcopy():
    assert_same(enn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64),
                tnn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64))
    layer = enn.TransformerEncoderLayer(4, 2, 8)
    enc = enn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    assert enc.layers[0] is not enc.layers[1] and enc.layers[0] is not layer
    assert_same(enc.layers[1].linear1.weight, torch.tensor(layer.linear1.weight.detach().numpy()))
    assert copy.deepcopy(enc).num_layers == 2

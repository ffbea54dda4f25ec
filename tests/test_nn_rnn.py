"""Recurrent layers against PyTorch: RNN (tanh/relu), LSTM (with projections), GRU, with
num_layers, bias, batch_first, dropout, bidirectional, initial states, unbatched and packed
inputs; RNNCell, LSTMCell, GRUCell; parameter names, shapes, order and default
initialisation; reprs; and `nn.utils.rnn` (pack_padded_sequence, pad_packed_sequence,
pad_sequence, pack_sequence, unpack_sequence, unpad_sequence).

PyTorch runs float32 LSTMs through oneDNN, which adds in its own order: float32 results are
compared to 1e-5, float64 ones to 1e-12."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import torch.nn as tnn  # noqa: E402
import torch.nn.utils.rnn as TU  # noqa: E402
from ember.nn.modules import rnn as R  # noqa: E402
from ember.nn.utils import rnn as U  # noqa: E402

F32 = dict(rtol=1e-5, atol=1e-5)
F64 = dict(rtol=1e-12, atol=1e-12)
T_, B_, I_, H_ = 5, 3, 4, 6


def data(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def copy_weights(e, t):
    with ember.no_grad():
        for (n, pe), (m, pt) in zip(e.named_parameters(), t.named_parameters()):
            assert n == m
            pe.copy_(ember.tensor(pt.detach().numpy()))


def flat(out):
    """The tensors of a (nested) result: PackedSequence -> its data."""
    if isinstance(out, (U.PackedSequence, TU.PackedSequence)):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out]


def run(e, t, arrays, tol=F32, packed=None, lstm=False, check_nodes=True):
    """Same weights and inputs (input, then initial states): every output, and the gradients
    of the inputs and parameters for a random weighting of the outputs."""
    copy_weights(e, t)
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ein, tin = list(es), list(ts)
    if packed is not None:
        lengths, enforce = packed
        bf = getattr(e, "batch_first", False)
        ein[0] = U.pack_padded_sequence(es[0], lengths, batch_first=bf, enforce_sorted=enforce)
        tin[0] = TU.pack_padded_sequence(ts[0], lengths, batch_first=bf, enforce_sorted=enforce)
    if lstm and len(arrays) == 3:
        ein, tin = [ein[0], (ein[1], ein[2])], [tin[0], (tin[1], tin[2])]
    oe, ot = e(*ein), t(*tin)
    fe, ft = flat(oe), flat(ot)
    assert len(fe) == len(ft)
    for a, b in zip(fe, ft):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    if check_nodes and packed is None:
        # (PyTorch's oneDNN LSTM shows MkldnnRnnLayerBackward0 where ember stacks the steps,
        # and its batch_first RNN an in-place transpose)
        en, tn = fe[0].grad_fn.name(), ft[0].grad_fn.name()
        assert en == tn or en == "StackBackward0" or en[:9] == tn[:9] == "Transpose"
    weights = [data(tuple(b.shape), 50 + i, arrays[0].dtype) for i, b in enumerate(ft)]
    sum((a * ember.tensor(w)).sum() for a, w in zip(fe, weights)).backward()
    sum((b * torch.tensor(w)).sum() for b, w in zip(ft, weights)).backward()
    for i, (a, b) in enumerate(zip(es, ts)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), err_msg=f"input {i}", **tol)
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), err_msg=n, **tol)
    assert repr(e) == repr(t)
    return oe, ot


def make(name, *args, double=False, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                # dropout with one layer
        e, t = getattr(R, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    return (e.double(), t.double()) if double else (e, t)


# -- full layers -----------------------------------------------------------------------------------

CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bias=False),
    dict(batch_first=True),
    dict(bidirectional=True),
    dict(num_layers=3, bidirectional=True, batch_first=True),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers(name, kw):
    e, t = make(name, I_, H_, double=True, **kw)
    shape = (B_, T_, I_) if kw.get("batch_first") else (T_, B_, I_)
    run(e, t, [data(shape, 0, np.float64)], tol=F64, lstm=name == "LSTM")


@pytest.mark.parametrize("kw", [dict(), dict(bidirectional=True)], ids=str)
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_float32(name, kw):
    e, t = make(name, I_, H_, **kw)
    run(e, t, [data((T_, B_, I_))], lstm=name == "LSTM")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_with_initial_states(name):
    e, t = make(name, I_, H_, num_layers=2, bidirectional=True)
    states = [data((4, B_, H_), 1)] + ([data((4, B_, H_), 2)] if name == "LSTM" else [])
    run(e, t, [data((T_, B_, I_))] + states, lstm=name == "LSTM")


def test_rnn_relu_and_positional_nonlinearity():
    e, t = make("RNN", I_, H_, 2, "relu", bias=False)
    assert e.nonlinearity == "relu" and e.mode == "RNN_RELU"
    run(e, t, [data((T_, B_, I_)), data((2, B_, H_), 1)])


def test_lstm_with_projections():
    e, t = make("LSTM", I_, H_, num_layers=2, proj_size=3, bidirectional=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # PyTorch: "not supported with oneDNN"
        run(e, t, [data((T_, B_, I_)), data((4, B_, 3), 1), data((4, B_, H_), 2)], lstm=True)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(name):
    e, t = make(name, I_, H_, num_layers=2)
    states = [data((2, H_), 1)] + ([data((2, H_), 2)] if name == "LSTM" else [])
    run(e, t, [data((T_, I_))] + states, lstm=name == "LSTM")


def test_dropout_between_layers_draws_like_pytorch():
    """Training mode: the dropout masks between layers come from the generator in PyTorch's
    order; evaluation mode: no dropout."""
    e, t = make("LSTM", I_, H_, num_layers=3, dropout=0.4)
    copy_weights(e, t)
    x = data((T_, B_, I_))
    ember.manual_seed(5)
    torch.manual_seed(5)
    run(e, t, [x], lstm=True)
    e.eval()
    t.eval()
    oe, ot = e(ember.tensor(x))[0], t(torch.tensor(x))[0]
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), **F32)


# -- packed sequences ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("lengths,enforce", [([5, 3, 2], True), ([2, 5, 2], False),
                                             ([3, 5, 1], False)])
def test_packed_input(name, lengths, enforce):
    e, t = make(name, I_, H_, num_layers=2, bidirectional=True)
    run(e, t, [data((T_, B_, I_))], packed=(lengths, enforce), lstm=name == "LSTM")


def test_packed_input_with_states_and_batch_first():
    e, t = make("LSTM", I_, H_, batch_first=True, bidirectional=True)
    oe, ot = run(e, t, [data((B_, T_, I_)), data((2, B_, H_), 1), data((2, B_, H_), 2)],
                 packed=([3, 5, 1], False), lstm=True)
    assert isinstance(oe[0], U.PackedSequence)
    np.testing.assert_array_equal(oe[0].batch_sizes.numpy(), ot[0].batch_sizes.numpy())
    np.testing.assert_array_equal(oe[0].sorted_indices.numpy(), ot[0].sorted_indices.numpy())
    padded_e, lengths_e = U.pad_packed_sequence(oe[0], batch_first=True)
    padded_t, lengths_t = TU.pad_packed_sequence(ot[0], batch_first=True)
    np.testing.assert_allclose(padded_e.detach().numpy(), padded_t.detach().numpy(), **F32)
    np.testing.assert_array_equal(lengths_e.numpy(), lengths_t.numpy())


# -- cells -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,kw", [("RNNCell", dict()), ("RNNCell", dict(nonlinearity="relu")),
                                     ("RNNCell", dict(bias=False)), ("LSTMCell", dict()),
                                     ("LSTMCell", dict(bias=False)), ("GRUCell", dict())],
                         ids=str)
@pytest.mark.parametrize("with_state", [True, False])
def test_cells(name, kw, with_state):
    e, t = make(name, I_, H_, **kw)
    states = []
    if with_state:
        states = [data((B_, H_), 1)] + ([data((B_, H_), 2)] if name == "LSTMCell" else [])
    run(e, t, [data((B_, I_))] + states, lstm=name == "LSTMCell", check_nodes=False)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_unbatched(name):
    e, t = make(name, I_, H_)
    states = [data((H_,), 1)] + ([data((H_,), 2)] if name == "LSTMCell" else [])
    run(e, t, [data((I_,))] + states, lstm=name == "LSTMCell", check_nodes=False)


def test_a_cell_unrolled_by_hand_trains_like_pytorch():
    """A character-RNN-style loop over an LSTMCell, with a Linear head, backward through all
    steps."""
    e, t = make("LSTMCell", I_, H_)
    copy_weights(e, t)
    xs = data((T_, B_, I_))
    results = []
    for T, cell in ((ember, e), (torch, t)):
        h = c = T.zeros(B_, H_)
        total = 0
        for step in range(T_):
            h, c = cell(T.tensor(xs[step]), (h, c))
            total = total + (h * h).sum()
        total.backward()
        results.append([total.item()] + [p.grad.numpy() for p in cell.parameters()])
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-5)
    for a, b in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(a, b, **F32)


# -- parameters, initialisation, reprs -------------------------------------------------------------


@pytest.mark.parametrize("name,args,kw", [
    ("RNN", (10, 20), dict()),
    ("RNN", (10, 20, 2), dict(nonlinearity="relu", bias=False, batch_first=True)),
    ("LSTM", (10, 20), dict(num_layers=2, dropout=0.5, bidirectional=True)),
    ("LSTM", (10, 20), dict(proj_size=5)),
    ("GRU", (10, 20), dict(num_layers=3, bidirectional=True)),
    ("RNNCell", (10, 20), dict(nonlinearity="relu")),
    ("LSTMCell", (10, 20), dict(bias=False)),
    ("GRUCell", (10, 20), dict()),
], ids=lambda v: str(v))
def test_parameters_initialisation_and_repr(name, args, kw):
    ember.manual_seed(3)
    torch.manual_seed(3)
    e, t = make(name, *args, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for (n, pe), (m, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert n == m and tuple(pe.shape) == tuple(pt.shape)
        np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy(), err_msg=n)
    if hasattr(t, "all_weights"):
        assert [[tuple(w.shape) for w in ws] for ws in e.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in t.all_weights]


def test_constructor_checks_and_warnings():
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last"):
        R.LSTM(3, 4, dropout=0.2)
    for kw, exc in ((dict(dropout=1.5), ValueError), (dict(bias=1), TypeError),
                    (dict(proj_size=4), ValueError), (dict(num_layers=0), ValueError)):
        with pytest.raises(exc) as te:
            tnn.LSTM(3, 4, **kw)
        with pytest.raises(exc) as ee:
            R.LSTM(3, 4, **kw)
        assert str(ee.value) == str(te.value)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        R.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        R.RNN(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("call", [
    lambda T, m: m(T.zeros(5, 3, 7)),                                  # wrong input size
    lambda T, m: m(T.zeros(5, 3, 4), T.zeros(1, 2, 6)),                # wrong hidden batch
    lambda T, m: m(T.zeros(5, 3, 4), T.zeros(3, 6)),                   # 2-d hidden, 3-d input
    lambda T, m: m(T.zeros(5, 3, 4).double()),                         # dtype mismatch
    lambda T, m: m(T.zeros(2, 5, 3, 4)),                               # 4-d input
])
def test_forward_errors(call):
    e, t = make("GRU", I_, H_)
    with pytest.raises(Exception) as te:
        call(torch, t)
    with pytest.raises(type(te.value)) as ee:
        call(ember, e)
    assert str(ee.value) == str(te.value)


def test_cell_errors():
    e, t = make("LSTMCell", I_, H_)
    for args in (lambda T: (T.zeros(3, 5),), lambda T: (T.zeros(3, 4), (T.zeros(2, 6),
                                                                        T.zeros(2, 6))),
                 lambda T: (T.zeros(3, 4), (T.zeros(3, 5), T.zeros(3, 5)))):
        with pytest.raises(RuntimeError) as te:
            t(*args(torch))
        with pytest.raises(RuntimeError) as ee:
            e(*args(ember))
        assert str(ee.value) == str(te.value)


def test_second_derivatives_through_a_gru():
    e, t = make("GRU", 2, 3, double=True)
    copy_weights(e, t)
    x = data((3, 2, 2), 0, np.float64)
    results = []
    for T, m in ((ember, e), (torch, t)):
        xt = T.tensor(x, requires_grad=True)
        out, h = m(xt)
        g, = T.autograd.grad((out * out).sum(), xt, create_graph=True)
        results.append(T.autograd.grad((g * g).sum(), xt)[0].numpy())
    np.testing.assert_allclose(results[0], results[1], **F64)


# -- nn.utils.rnn ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lengths", [[2, 3, 3, 2, 5, 1, 3, 2, 2], [2] * 20,
                                     [3] * 17 + [4] * 5 + [1] * 30,
                                     list(np.random.default_rng(2).integers(1, 6, 100))])
def test_unsorted_lengths_sort_like_pytorch(lengths):
    """PyTorch sorts the lengths with an unstable sort: equal lengths come out in the order of
    its algorithm (libstdc++'s introsort), which ember replays."""
    x = data((max(lengths), len(lengths), 2))
    pe = U.pack_padded_sequence(ember.tensor(x), lengths, enforce_sorted=False)
    pt = TU.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths), enforce_sorted=False)
    for a, b in zip(pe, pt):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for batch_first in (False, True):
        a, la = U.pad_packed_sequence(pe, batch_first, -1.0, max(lengths) + 2)
        b, lb = TU.pad_packed_sequence(pt, batch_first, -1.0, max(lengths) + 2)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(la.numpy(), lb.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_gradients(batch_first):
    shape = (3, 5, 2) if batch_first else (5, 3, 2)
    x = data(shape)
    results = []
    for T, M in ((ember, U), (torch, TU)):
        xt = T.tensor(x, requires_grad=True)
        packed = M.pack_padded_sequence(xt, [4, 5, 2], batch_first=batch_first,
                                        enforce_sorted=False)
        padded, _ = M.pad_packed_sequence(packed, batch_first=batch_first, padding_value=3.0)
        (padded * padded).sum().backward()
        results.append((packed.data.grad_fn.name() if T is torch else
                        packed.data.grad_fn.name(), padded.detach().numpy(), xt.grad.numpy()))
    assert results[0][0] in (results[1][0], "IndexBackward0")
    for a, b in zip(results[0][1:], results[1][1:]):
        np.testing.assert_array_equal(a, b)


def test_pack_padded_sequence_node_and_errors():
    x = ember.tensor(data((5, 4, 3)), requires_grad=True)
    assert U.pack_padded_sequence(x, [5, 3, 3, 1]).data.grad_fn.name() == \
        "PackPaddedSequenceBackward0"
    for lengths in ([5, 3, 4, 1], [5, 3, 3, 0], [5, 3, 3]):
        with pytest.raises(RuntimeError) as te:
            TU.pack_padded_sequence(torch.zeros(5, 4, 3), lengths)
        with pytest.raises(RuntimeError) as ee:
            U.pack_padded_sequence(ember.zeros(5, 4, 3), lengths)
        assert str(ee.value) == str(te.value)
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        U.pad_packed_sequence(U.pack_padded_sequence(ember.zeros(5, 4, 3), [5, 3, 3, 1]),
                              total_length=3)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    seqs = [data((n, 3), i) for i, n in enumerate([4, 2, 5])]
    es = [ember.tensor(s, requires_grad=True) for s in seqs]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    a = U.pad_sequence(es, batch_first=batch_first, padding_value=9.0, padding_side=side)
    b = TU.pad_sequence(ts, batch_first=batch_first, padding_value=9.0, padding_side=side)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    (a * a).sum().backward()
    (b * b).sum().backward()
    for x, y in zip(es, ts):
        np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())


def test_pack_sequence_unpack_and_repr():
    seqs = [data((n, 3), i) for i, n in enumerate([4, 2, 5])]
    pe = U.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    pt = TU.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(pe.data.numpy(), pt.data.numpy())
    for a, b in zip(U.unpack_sequence(pe), TU.unpack_sequence(pt)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    padded, lengths = U.pad_packed_sequence(pe)
    for a, s in zip(U.unpad_sequence(padded, lengths), seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    small = [[1.0, 2.0], [3.0]]
    assert repr(U.pack_sequence([ember.tensor(s) for s in small])) == \
        repr(TU.pack_sequence([torch.tensor(s) for s in small]))
    assert U.PackedSequence._fields == TU.PackedSequence._fields

"""Recurrent layers: RNN (tanh or ReLU), LSTM, GRU, and the single-step cells RNNCell,
LSTMCell, GRUCell.

A recurrent layer reads a sequence one time step at a time and carries a hidden state from
step to step:
- RNN:  h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
- LSTM: gates i, f, g, o from the same two products; c_t = f * c_{t-1} + i * g,
        h_t = o * tanh(c_t)
- GRU:  gates r, z, n; h_t = (1 - z) * n + z * h_{t-1}

They are built from ember's ops (linear, sigmoid, tanh, slicing, stacking), so autograd
differentiates them through time by itself. The arithmetic follows PyTorch's CPU
implementation: the input projection of all time steps is one matrix product per layer, then
each step adds the hidden projection; `num_layers` layers are stacked (with dropout between
them in training), `bidirectional` layers also read the sequence backwards and concatenate
both outputs. Parameter names, shapes, order and initialisation are PyTorch's.

Inputs are (T, B, input_size) (or (B, T, input_size) with `batch_first=True`), unbatched
(T, input_size), or a `PackedSequence` (see `ember.nn.utils.rnn`).
"""
import math
import numbers
import warnings

from ... import _creation
from .. import functional as F, init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _cat, _stack
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _apply_permutation(tensor, permutation, dim=1):
    key = (slice(None),) * dim + (permutation,)
    return tensor[key]


def _zeros(*shape, like):
    return _creation.zeros(*shape, dtype=like.dtype, device=like.device)


# -- one time step ---------------------------------------------------------------------------------
#
# `igates`: the input's projection x_t W_ih^T + b_ih, computed for all steps beforehand (as
# PyTorch does on the CPU); the cell adds the hidden projection h W_hh^T + b_hh.


def _linear(x, w, b):
    return F.linear(x, w, b)


def _rnn_tanh_step(igates, hidden, p):
    return (_linear(hidden, p["w_hh"], p["b_hh"]) + igates).tanh()


def _rnn_relu_step(igates, hidden, p):
    return (_linear(hidden, p["w_hh"], p["b_hh"]) + igates).relu()


def _lstm_step(igates, hidden, p):
    hx, cx = hidden
    gates = _linear(hx, p["w_hh"], p["b_hh"]) + igates
    n = gates.shape[1] // 4
    ingate = gates[:, :n].sigmoid()
    forgetgate = gates[:, n:2 * n].sigmoid()
    cellgate = gates[:, 2 * n:3 * n].tanh()
    outgate = gates[:, 3 * n:].sigmoid()
    cy = forgetgate * cx + ingate * cellgate
    hy = outgate * cy.tanh()
    if p.get("w_hr") is not None:
        hy = hy.matmul(p["w_hr"].t())
    return hy, cy


def _gru_step(igates, hidden, p):
    hgates = _linear(hidden, p["w_hh"], p["b_hh"])
    n = hgates.shape[1] // 3
    reset_gate = (hgates[:, :n] + igates[:, :n]).sigmoid()
    input_gate = (hgates[:, n:2 * n] + igates[:, n:2 * n]).sigmoid()
    new_gate = (igates[:, 2 * n:] + hgates[:, 2 * n:] * reset_gate).tanh()
    return (hidden - new_gate) * input_gate + new_gate


_STEPS = {"RNN_TANH": _rnn_tanh_step, "RNN_RELU": _rnn_relu_step, "LSTM": _lstm_step,
          "GRU": _gru_step}


def _output_of(hidden):
    return hidden[0] if isinstance(hidden, tuple) else hidden


def _hidden_slice(hidden, start, end):
    if isinstance(hidden, tuple):
        return tuple(h[start:end] for h in hidden)
    return hidden[start:end]


def _hidden_concat(hiddens):
    if isinstance(hiddens[0], tuple):
        return tuple(_cat([h[i] for h in hiddens], 0) for i in range(len(hiddens[0])))
    return _cat(hiddens, 0)


# -- one layer, one direction ---------------------------------------------------------------------


def _full_layer(step, inputs, hidden, params, reverse):
    """A padded sequence (T, B, in): returns the outputs (T, B, H) and the last hidden."""
    inputs_w = _linear(inputs, params["w_ih"], params["b_ih"])
    steps = inputs_w.unbind(0)
    outputs = [None] * len(steps)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    for t in order:
        hidden = step(steps[t], hidden, params)
        outputs[t] = _output_of(hidden)
    return _stack(outputs, 0), hidden


def _packed_layer(step, data, batch_sizes, hidden, params):
    """Packed data (sum(batch_sizes), in), forwards: a sequence's hidden state is set aside
    when the sequence ends."""
    input_w = _linear(data, params["w_ih"], params["b_ih"])
    outputs, hiddens = [], []
    offset, last = 0, batch_sizes[0]
    for batch_size in batch_sizes:
        step_input = input_w[offset:offset + batch_size]
        offset += batch_size
        dec = last - batch_size
        if dec > 0:
            hiddens.append(_hidden_slice(hidden, last - dec, last))
            hidden = _hidden_slice(hidden, 0, last - dec)
        last = batch_size
        hidden = step(step_input, hidden, params)
        outputs.append(_output_of(hidden))
    hiddens.append(hidden)
    hiddens.reverse()
    return _cat(outputs, 0), _hidden_concat(hiddens)


def _reversed_packed_layer(step, data, batch_sizes, input_hidden, params):
    """Packed data, backwards: starts with the sequences still running at the last step and
    takes the others in as they begin."""
    input_w = _linear(data, params["w_ih"], params["b_ih"])
    outputs = []
    offset = data.shape[0]
    last = batch_sizes[-1]
    hidden = _hidden_slice(input_hidden, 0, last)
    for batch_size in reversed(batch_sizes):
        inc = batch_size - last
        if inc > 0:
            hidden = _hidden_concat([hidden, _hidden_slice(input_hidden, last, batch_size)])
        step_input = input_w[offset - batch_size:offset]
        offset -= batch_size
        last = batch_size
        hidden = step(step_input, hidden, params)
        outputs.append(_output_of(hidden))
    outputs.reverse()
    return _cat(outputs, 0), hidden


def _rnn_impl(mode, input, hx, layer_params, num_layers, dropout, train, bidirectional,
              batch_sizes):
    """All layers and directions: `(output, final hidden)`; `hx` is a tensor (L*D, B, H) or,
    for LSTM, a pair of them."""
    step = _STEPS[mode]
    lstm = mode == "LSTM"
    num_directions = 2 if bidirectional else 1
    layer_input = input
    final = []
    for layer in range(num_layers):
        outputs = []
        for direction in range(num_directions):
            index = layer * num_directions + direction
            h0 = (hx[0][index], hx[1][index]) if lstm else hx[index]
            params = layer_params[index]
            if batch_sizes is None:
                out, h = _full_layer(step, layer_input, h0, params, direction == 1)
            elif direction == 0:
                out, h = _packed_layer(step, layer_input, batch_sizes, h0, params)
            else:
                out, h = _reversed_packed_layer(step, layer_input, batch_sizes, h0, params)
            outputs.append(out)
            final.append(h)
        layer_output = outputs[0] if len(outputs) == 1 else _cat(outputs, -1)
        if dropout != 0 and train and layer < num_layers - 1:
            layer_output = F.dropout(layer_output, dropout, True)
        layer_input = layer_output
    if lstm:
        return layer_input, (_stack([h for h, _ in final], 0), _stack([c for _, c in final], 0))
    return layer_input, _stack(final, 0)


# -- the modules -----------------------------------------------------------------------------------


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction, their
    initialisation, the checks of inputs and hidden states, and the repr."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None,
                 dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode == "LSTM":
            gate_size = 4 * hidden_size
        elif mode == "GRU":
            gate_size = 3 * hidden_size
        elif mode in ("RNN_TANH", "RNN_RELU"):
            gate_size = hidden_size
        else:
            raise ValueError("Unrecognized RNN mode: " + mode)

        def empty(*shape):
            return Parameter(_creation.empty(shape, device=device, dtype=dtype))

        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden_size = proj_size if proj_size > 0 else hidden_size
                layer_input_size = (input_size if layer == 0
                                    else real_hidden_size * num_directions)
                w_ih = empty(gate_size, layer_input_size)
                w_hh = empty(gate_size, real_hidden_size)
                b_ih = empty(gate_size)
                b_hh = empty(gate_size)
                if self.proj_size == 0:
                    layer_params = (w_ih, w_hh, b_ih, b_hh) if bias else (w_ih, w_hh)
                else:
                    w_hr = empty(proj_size, hidden_size)
                    layer_params = ((w_ih, w_hh, b_ih, b_hh, w_hr) if bias
                                    else (w_ih, w_hh, w_hr))
                suffix = "_reverse" if direction == 1 else ""
                param_names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    param_names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if self.proj_size > 0:
                    param_names += ["weight_hr_l{}{}"]
                param_names = [x.format(layer, suffix) for x in param_names]
                for name, param in zip(param_names, layer_params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(param_names)
                self._all_weights.append(param_names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    def flatten_parameters(self):
        """A no-op (PyTorch packs the weights for cuDNN here)."""

    def reset_parameters(self):
        """Every parameter uniform on [-1/sqrt(hidden_size), 1/sqrt(hidden_size)], drawn in
        registration order (as PyTorch draws them)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _layer_params(self):
        result = []
        for names in self._all_weights:
            values = [getattr(self, n) for n in names]
            p = {"w_ih": values[0], "w_hh": values[1], "b_ih": None, "b_hh": None,
                 "w_hr": None}
            if self.bias:
                p["b_ih"], p["b_hh"] = values[2], values[3]
            if self.proj_size > 0:
                p["w_hr"] = values[-1]
            result.append(p)
        return result

    def check_input(self, input, batch_sizes):
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or "
                             f"convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got "
                               f"{input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        if self.proj_size > 0:
            return (self.num_layers * num_directions, mini_batch, self.proj_size)
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        expected_hidden_size = self.get_expected_hidden_size(input, batch_sizes)
        self.check_hidden_size(hidden, expected_hidden_size)

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- the forward pass shared by RNN and GRU (LSTM has a pair of states) --

    def _run(self, data, batch_sizes, hx):
        sizes = None if batch_sizes is None else [int(b) for b in batch_sizes._data]
        if batch_sizes is None and self.batch_first:
            data = data.transpose(0, 1)
        output, hidden = _rnn_impl(self.mode, data, hx, self._layer_params(), self.num_layers,
                                   self.dropout, self.training, self.bidirectional, sizes)
        if batch_sizes is None and self.batch_first:
            output = output.transpose(0, 1)
        return output, hidden

    def _forward_single_state(self, input, hx, name):
        num_directions = 2 if self.bidirectional else 1
        orig_input = input
        if isinstance(orig_input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            max_batch_size = int(batch_sizes[0])
            if hx is None:
                hx = _zeros(self.num_layers * num_directions, max_batch_size, self.hidden_size,
                            like=input)
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            is_batched = True
        else:
            batch_sizes = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 + ("tensor instead" if name == "RNN" else "instead"))
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
                if hx is not None:
                    if hx.dim() != 2:
                        raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but "
                                           f"got {hx.dim()}-D tensor")
                    hx = hx.unsqueeze(1)
            elif hx is not None and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                                   f"{hx.dim()}-D tensor")
            max_batch_size = input.size(0) if self.batch_first else input.size(1)
            sorted_indices = unsorted_indices = None
            if hx is None:
                hx = _zeros(self.num_layers * num_directions, max_batch_size, self.hidden_size,
                            like=input)
        self.check_forward_args(input, hx, batch_sizes)
        output, hidden = self._run(input, batch_sizes, hx)
        if isinstance(orig_input, PackedSequence):
            output_packed = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
            return output_packed, self.permute_hidden(hidden, unsorted_indices)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = hidden.squeeze(1)
        return output, self.permute_hidden(hidden, unsorted_indices)


class RNN(RNNBase):
    """Elman RNN: `h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)` (or ReLU with
    `nonlinearity='relu'`). Returns `(output, h_n)`.

    >>> import ember
    >>> from ember import nn
    >>> rnn = nn.RNN(10, 20, 2)
    >>> rnn
    RNN(10, 20, num_layers=2)
    >>> output, hn = rnn(ember.zeros(5, 3, 10))
    >>> output.shape, hn.shape
    (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx, "RNN")


class GRU(RNNBase):
    """Gated recurrent unit. Returns `(output, h_n)`.

    >>> from ember import nn
    >>> nn.GRU(10, 20, batch_first=True, bidirectional=True)
    GRU(10, 20, batch_first=True, bidirectional=True)
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx, "GRU")


class LSTM(RNNBase):
    """Long short-term memory. Returns `(output, (h_n, c_n))`.

    >>> import ember
    >>> from ember import nn
    >>> lstm = nn.LSTM(10, 20, num_layers=2, dropout=0.5)
    >>> lstm
    LSTM(10, 20, num_layers=2, dropout=0.5)
    >>> output, (hn, cn) = lstm(ember.zeros(5, 3, 10))
    >>> output.shape, hn.shape, cn.shape
    (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]), torch.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def forward(self, input, hx=None):
        orig_input = input
        batch_sizes = None
        num_directions = 2 if self.bidirectional else 1
        real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if isinstance(orig_input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            max_batch_size = int(batch_sizes[0])
            if hx is None:
                hx = (_zeros(self.num_layers * num_directions, max_batch_size, real_hidden_size,
                             like=input),
                      _zeros(self.num_layers * num_directions, max_batch_size, self.hidden_size,
                             like=input))
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(input, hx, batch_sizes)
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D "
                                 "instead")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            max_batch_size = input.size(0) if self.batch_first else input.size(1)
            sorted_indices = unsorted_indices = None
            if hx is None:
                hx = (_zeros(self.num_layers * num_directions, max_batch_size, real_hidden_size,
                             like=input),
                      _zeros(self.num_layers * num_directions, max_batch_size, self.hidden_size,
                             like=input))
                self.check_forward_args(input, hx, batch_sizes)
            else:
                if is_batched:
                    if hx[0].dim() != 3 or hx[1].dim() != 3:
                        raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D "
                                           f"but got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                else:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise RuntimeError("For unbatched 2-D input, hx and cx should also be "
                                           f"2-D but got ({hx[0].dim()}-D, {hx[1].dim()}-D) "
                                           "tensors")
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
                self.check_forward_args(input, hx, batch_sizes)
                hx = self.permute_hidden(hx, sorted_indices)
        output, hidden = self._run(input, batch_sizes, tuple(hx))
        if isinstance(orig_input, PackedSequence):
            output_packed = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
            return output_packed, self.permute_hidden(hidden, unsorted_indices)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1))
        return output, self.permute_hidden(hidden, unsorted_indices)


# -- single steps ---------------------------------------------------------------------------------


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size),
                                                   device=device, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size),
                                                   device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, device=device,
                                                     dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, device=device,
                                                     dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _params(self):
        return {"w_ih": self.weight_ih, "w_hh": self.weight_hh, "b_ih": self.bias_ih,
                "b_hh": self.bias_hh}

    def _check(self, input, hiddens):
        if input.shape[1] != self.weight_ih.shape[1]:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.weight_ih.shape[1]}")
        for label, hx in hiddens:
            if input.shape[0] != hx.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden"
                                   f"{label} batch size {hx.shape[0]}")
            if hx.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got "
                                   f"{hx.shape[1]}, expected {self.hidden_size}")

    def _igates(self, input):
        return _linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """One step of the Elman RNN: `h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`.

    >>> from ember import nn
    >>> nn.RNNCell(10, 20, nonlinearity="relu")
    RNNCell(10, 20, nonlinearity=relu)
    """
    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = _zeros(input.size(0), self.hidden_size, like=input)
        else:
            hx = hx.unsqueeze(0) if not is_batched else hx
        if self.nonlinearity == "tanh":
            step = _rnn_tanh_step
        elif self.nonlinearity == "relu":
            step = _rnn_relu_step
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check(input, [("", hx)])
        ret = step(self._igates(input), hx, self._params())
        return ret.squeeze(0) if not is_batched else ret


class LSTMCell(RNNCellBase):
    """One step of the LSTM: `(h', c')` from `x` and `(h, c)`.

    >>> from ember import nn
    >>> nn.LSTMCell(10, 20)
    LSTMCell(10, 20)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = _zeros(input.size(0), self.hidden_size, like=input)
            hx = (zeros, zeros)
        else:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0)) if not is_batched else tuple(hx)
        self._check(input, [("0", hx[0]), ("1", hx[1])])
        ret = _lstm_step(self._igates(input), hx, self._params())
        if not is_batched:
            ret = (ret[0].squeeze(0), ret[1].squeeze(0))
        return ret


class GRUCell(RNNCellBase):
    """One step of the GRU.

    >>> from ember import nn
    >>> nn.GRUCell(10, 20, bias=False)
    GRUCell(10, 20, bias=False)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = _zeros(input.size(0), self.hidden_size, like=input)
        else:
            hx = hx.unsqueeze(0) if not is_batched else hx
        self._check(input, [("", hx)])
        ret = _gru_step(self._igates(input), hx, self._params())
        return ret.squeeze(0) if not is_batched else ret

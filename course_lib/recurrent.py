"""Recurrent cells (vanilla RNN, LSTM, GRU) and `unroll`, which runs a cell over a sequence with lax.scan.

    state = init_lstm_state(N, H)
    state, hs = unroll(lstm_cell, params, state, xs)      # xs: (T, N, D) time-major  →  hs: (T, N, H)

Conventions (the same for every cell, and the ones `lax.scan` wants):
  * Sequences are TIME-MAJOR: xs[t] is the input x_t of every sequence of the batch, shape (N, D).
    A single sequence (T, D) works too; then states are (H,) instead of (N, H).
  * A cell is a step function `cell(params, state, x) -> (state, h)`: the new carry first, then the
    output of this step. For the RNN and the GRU the carry IS h; for the LSTM it is LSTMState(h, c).
  * Row-vector convention, as in layers.dense: a batch of states is a matrix whose rows are examples,
    and a weight matrix is applied on the right, `h @ W`. The slides write W h with column vectors,
    so our W is the transpose of theirs; the numbers are the same.
  * The gated cells read the concatenation [h_{t−1}, x_t] = concat([h, x], -1), shape (N, H + D), so
    each gate's W has shape (H + D, H): its first H rows act on h_{t−1}, its last D rows on x_t.
"""
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from course_lib import _validate, activations, init as initializers
from course_lib import layers

__all__ = ["RNNParams", "LSTMParams", "LSTMState", "GRUParams", "SequenceModel",
           "rnn_cell", "lstm_cell", "gru_cell", "unroll",
           "init_rnn", "init_lstm", "init_gru", "init_rnn_state", "init_lstm_state", "init_gru_state",
           "init_sequence_model", "sequence_model",
           "rnn_jacobian", "rnn_jacobian_norms", "bptt_norms", "global_norm", "clip_by_global_norm"]


class RNNParams(NamedTuple):
    """h_t = tanh(h_{t−1} W_hh + x_t W_xh + b)   (the slides' tanh(W_hh h_{t−1} + W_xh x_t + b) in rows)."""
    W_hh: jax.Array  # (H, H): hidden → hidden, the recurrent weights
    W_xh: jax.Array  # (D, H): input → hidden
    b: jax.Array     # (H,)


class LSTMParams(NamedTuple):
    """One weight matrix and one bias per gate; every W acts on [h_{t−1}, x_t]."""
    W_f: jax.Array  # (H + D, H) forget gate
    W_i: jax.Array  # (H + D, H) input gate
    W_c: jax.Array  # (H + D, H) candidate cell values C̃_t
    W_o: jax.Array  # (H + D, H) output gate
    b_f: jax.Array  # (H,)  init_lstm sets it to 1: remember by default
    b_i: jax.Array  # (H,)
    b_c: jax.Array  # (H,)
    b_o: jax.Array  # (H,)


class LSTMState(NamedTuple):
    """The LSTM's carry, hidden state first (the same order as the slides' [h_{t−1}, x_t])."""
    h: jax.Array  # (N, H) or (H,): hidden state h_t, also the cell's output
    c: jax.Array  # (N, H) or (H,): cell state C_t, the "memory lane"


class GRUParams(NamedTuple):
    """Update gate z, reset gate r and candidate h̃; every W acts on [h_{t−1}, x_t] (h̃ on [r ⊙ h_{t−1}, x_t])."""
    W_z: jax.Array  # (H + D, H) update gate
    W_r: jax.Array  # (H + D, H) reset gate
    W_h: jax.Array  # (H + D, H) candidate state h̃_t
    b_z: jax.Array  # (H,)  (the slides have no biases: b = 0 gives their equations exactly)
    b_r: jax.Array  # (H,)
    b_h: jax.Array  # (H,)


class SequenceModel(NamedTuple):
    """A recurrent cell followed by a dense read-out: y = h W_out + b_out (logits or a regression value)."""
    cell: NamedTuple             # RNNParams, LSTMParams or GRUParams
    head: layers.DenseParams     # W (H, K), b (K,)


# --- cells ----------------------------------------------------------------------------------------

def rnn_cell(params, h, x):
    """One step of the vanilla (Elman) RNN:  h_t = tanh(h_{t−1} W_hh + x_t W_xh + b).

    params: RNNParams   h: (N, H) or (H,)   x: (N, D) or (D,)   →   (h_t, h_t), each like h.
    The carry and the output are the same array.
    """
    h, x = _check_step("rnn_cell", params.W_xh.shape[0], params.W_hh.shape[1], h, x, "W_xh")
    _check_rnn_params(params)
    h_new = jnp.tanh(h @ params.W_hh + x @ params.W_xh + params.b)
    return h_new, h_new


def lstm_cell(params, state, x):
    """One step of the LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

    With [h_{t−1}, x_t] = concat([h, x], -1) of shape (N, H + D), σ the sigmoid and ⊙ elementwise:

        f_t = σ([h_{t−1}, x_t] W_f + b_f)            forget gate: how much of C_{t−1} to keep
        i_t = σ([h_{t−1}, x_t] W_i + b_i)            input gate: how much of the candidate to write
        C̃_t = tanh([h_{t−1}, x_t] W_c + b_c)         candidate values
        C_t = f_t ⊙ C_{t−1} + i_t ⊙ C̃_t              cell update
        o_t = σ([h_{t−1}, x_t] W_o + b_o)            output gate
        h_t = o_t ⊙ tanh(C_t)

    params: LSTMParams   state: LSTMState(h, c), each (N, H) or (H,)   x: (N, D) or (D,)
    → (LSTMState(h_t, C_t), h_t): the new carry first, then the output h_t.
    """
    if not isinstance(state, LSTMState):
        raise ValueError(f"lstm_cell: state must be an LSTMState(h, c), got {type(state).__name__}")
    H = _check_gated("lstm_cell", params, ("W_f", "W_i", "W_c", "W_o"), ("b_f", "b_i", "b_c", "b_o"))
    h, x = _check_step("lstm_cell", params.W_f.shape[0] - H, H, state.h, x, "W_f")
    c = _validate.array("lstm_cell", "state.c", state.c)
    if c.shape != h.shape:
        raise ValueError(f"lstm_cell: state.c must have the shape of state.h {tuple(h.shape)}, "
                         f"got {tuple(c.shape)}")
    hx = jnp.concatenate([h, x], axis=-1)
    f = activations.sigmoid(hx @ params.W_f + params.b_f)
    i = activations.sigmoid(hx @ params.W_i + params.b_i)
    c_tilde = jnp.tanh(hx @ params.W_c + params.b_c)
    c_new = f * c + i * c_tilde
    o = activations.sigmoid(hx @ params.W_o + params.b_o)
    h_new = o * jnp.tanh(c_new)
    return LSTMState(h_new, c_new), h_new


def gru_cell(params, h, x):
    """One step of the GRU (Cho et al. 2014), in the lecture's (and Colah's) convention:

        z_t = σ([h_{t−1}, x_t] W_z + b_z)             update gate
        r_t = σ([h_{t−1}, x_t] W_r + b_r)             reset gate
        h̃_t = tanh([r_t ⊙ h_{t−1}, x_t] W_h + b_h)    candidate state
        h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t

    z_t = 1 replaces the state by the candidate, z_t = 0 keeps it. (PyTorch and Flax swap the roles:
    h_t = (1 − z) ⊙ h̃ + z ⊙ h_{t−1}; the same family of functions with z ↔ 1 − z.)
    params: GRUParams   h: (N, H) or (H,)   x: (N, D) or (D,)   →   (h_t, h_t), each like h.
    """
    H = _check_gated("gru_cell", params, ("W_z", "W_r", "W_h"), ("b_z", "b_r", "b_h"))
    h, x = _check_step("gru_cell", params.W_z.shape[0] - H, H, h, x, "W_z")
    hx = jnp.concatenate([h, x], axis=-1)
    z = activations.sigmoid(hx @ params.W_z + params.b_z)
    r = activations.sigmoid(hx @ params.W_r + params.b_r)
    h_tilde = jnp.tanh(jnp.concatenate([r * h, x], axis=-1) @ params.W_h + params.b_h)
    h_new = (1 - z) * h + z * h_tilde
    return h_new, h_new


def unroll(cell, params, state, xs):
    """Run `cell` over the time axis of xs with lax.scan: the loop

        for t in range(T): state, hs[t] = cell(params, state, xs[t])

    compiled into one XLA loop.  xs: (T, N, D) time-major (or (T, D) for one sequence);
    state: the initial carry (h_0, or LSTMState(h_0, c_0)).  →  (final state, hs (T, N, H)).
    """
    if not callable(cell):
        raise ValueError(f"unroll: cell must be a function cell(params, state, x) -> (state, h), "
                         f"got {type(cell).__name__}")
    xs = _validate.array("unroll", "xs", xs)
    _validate.ndim("unroll", "xs", xs, (2, 3), "(T, N, D) (time-major) or (T, D)")
    return _scan(cell, params, state, xs)


@functools.partial(jax.jit, static_argnums=0)
def _scan(cell, params, state, xs):
    # jitted with the cell static: called again with the same cell and shapes, it reuses the compiled
    # loop (an un-jitted lax.scan would trace and compile its body again on every call)
    return jax.lax.scan(lambda s, x: cell(params, s, x), state, xs)


# --- parameters and initial states ---------------------------------------------------------------

def init_rnn(key, input_size, hidden_size, *, recurrent_scale=1.0):
    """RNNParams with W_xh ~ Xavier normal, W_hh a random orthogonal matrix times `recurrent_scale`
    (all its singular values equal recurrent_scale: below 1 gradients shrink through time, above 1
    they can grow), b = 0."""
    D = _validate.positive_int("init_rnn", "input_size", input_size)
    H = _validate.positive_int("init_rnn", "hidden_size", hidden_size)
    k_xh, k_hh = jax.random.split(key)
    return RNNParams(W_hh=recurrent_scale * _orthogonal(k_hh, H), W_xh=initializers.xavier_normal(k_xh, (D, H)),
                     b=jnp.zeros(H))


def init_lstm(key, input_size, hidden_size, *, forget_bias=1.0):
    """LSTMParams with every W ~ Xavier normal on (H + D, H), b_f = forget_bias (1 by default, so the
    untrained cell keeps most of its memory: Jozefowicz et al. 2015), the other biases 0."""
    D = _validate.positive_int("init_lstm", "input_size", input_size)
    H = _validate.positive_int("init_lstm", "hidden_size", hidden_size)
    W = [initializers.xavier_normal(k, (H + D, H)) for k in jax.random.split(key, 4)]
    return LSTMParams(*W, b_f=jnp.full(H, float(forget_bias)), b_i=jnp.zeros(H), b_c=jnp.zeros(H),
                      b_o=jnp.zeros(H))


def init_gru(key, input_size, hidden_size):
    """GRUParams with every W ~ Xavier normal on (H + D, H) and zero biases."""
    D = _validate.positive_int("init_gru", "input_size", input_size)
    H = _validate.positive_int("init_gru", "hidden_size", hidden_size)
    W = [initializers.xavier_normal(k, (H + D, H)) for k in jax.random.split(key, 3)]
    return GRUParams(*W, b_z=jnp.zeros(H), b_r=jnp.zeros(H), b_h=jnp.zeros(H))


def init_rnn_state(batch, hidden_size):
    """h_0 = 0: shape (batch, H), or (H,) when batch is None."""
    return jnp.zeros(_state_shape("init_rnn_state", batch, hidden_size))


def init_lstm_state(batch, hidden_size):
    """LSTMState(h_0 = 0, C_0 = 0), each (batch, H), or (H,) when batch is None."""
    shape = _state_shape("init_lstm_state", batch, hidden_size)
    return LSTMState(jnp.zeros(shape), jnp.zeros(shape))


def init_gru_state(batch, hidden_size):
    """h_0 = 0 (the GRU's carry is its hidden state): shape (batch, H), or (H,) when batch is None."""
    return jnp.zeros(_state_shape("init_gru_state", batch, hidden_size))


_KINDS = {"rnn": (init_rnn, init_rnn_state, rnn_cell), "lstm": (init_lstm, init_lstm_state, lstm_cell),
          "gru": (init_gru, init_gru_state, gru_cell)}


def init_sequence_model(key, kind, input_size, hidden_size, output_size, **cell_options):
    """A SequenceModel: a `kind` ("rnn", "lstm" or "gru") cell of width H and a dense head H → K
    (Xavier normal, b = 0). cell_options go to the cell's init (recurrent_scale, forget_bias)."""
    if kind not in _KINDS:
        raise ValueError(f"init_sequence_model: kind must be one of {sorted(_KINDS)}, got {kind!r}")
    K = _validate.positive_int("init_sequence_model", "output_size", output_size)
    k_cell, k_head = jax.random.split(key)
    cell = _KINDS[kind][0](k_cell, input_size, hidden_size, **cell_options)
    return SequenceModel(cell, layers.init_dense(k_head, int(hidden_size), K))


def sequence_model(params, xs, *, every_step=False):
    """Run the model's cell from a zero state over xs (T, N, D), time-major, and read out with the head.

    every_step=False (many-to-one, e.g. classify a sequence): y = h_T W + b, shape (N, K).
    every_step=True (many-to-many, one output per step):      y_t = h_t W + b, shape (T, N, K).
    """
    if not isinstance(params, SequenceModel):
        raise ValueError(f"sequence_model: params must be a SequenceModel, got {type(params).__name__}")
    _, init_state, cell = _cell_kind("sequence_model", params.cell)
    xs = _validate.array("sequence_model", "xs", xs)
    _validate.ndim("sequence_model", "xs", xs, (2, 3), "(T, N, D) (time-major) or (T, D)")
    H = params.head.W.shape[0]
    state = init_state(xs.shape[1] if xs.ndim == 3 else None, H)
    _, hs = unroll(cell, params.cell, state, xs)
    return hs @ params.head.W + params.head.b if every_step else hs[-1] @ params.head.W + params.head.b


# --- gradients through time ----------------------------------------------------------------------

def rnn_jacobian(params, h_prev, x):
    """∂h_t/∂h_{t−1} of one RNN step for ONE sequence, in the math convention J[k, l] = ∂h_t[k]/∂h_{t−1}[l]:

        J_t = diag(1 − tanh²(z_t)) · W_hhᵀ = diag(1 − h_t²) · W_hhᵀ,   z_t = h_{t−1} W_hh + x_t W_xh + b.

    (With the slides' column convention z_t = W_hh h_{t−1} + …, the same Jacobian reads diag(1 − h_t²) W_hh.)
    h_prev: (H,)   x: (D,)   →   (H, H)
    """
    h_prev = _validate.array("rnn_jacobian", "h_prev", h_prev)
    _validate.ndim("rnn_jacobian", "h_prev", h_prev, 1, "(H,) (one sequence)")
    h, _ = rnn_cell(params, h_prev, x)
    return (1 - h ** 2)[:, None] * params.W_hh.T


def rnn_jacobian_norms(params, h0, xs):
    """‖∂h_T/∂h_t‖₂ (the largest singular value) for t = T, T−1, …, 0 of ONE sequence, by the chain rule

        ∂h_T/∂h_t = J_T · J_{T−1} ⋯ J_{t+1},   J_s = diag(1 − h_s²) W_hhᵀ   (the empty product is I).

    h0: (H,)   xs: (T, D)   →   (T + 1,), entry k = ‖∂h_T/∂h_{T−k}‖₂ (so entry 0 is ‖I‖ = 1).
    """
    xs = _validate.array("rnn_jacobian_norms", "xs", xs)
    _validate.ndim("rnn_jacobian_norms", "xs", xs, 2, "(T, D) (one sequence)")
    h0 = _validate.array("rnn_jacobian_norms", "h0", h0)
    _validate.ndim("rnn_jacobian_norms", "h0", h0, 1, "(H,) (one sequence)")
    return _jacobian_norms(params, h0, xs)


@jax.jit
def _jacobian_norms(params, h0, xs):
    _, hs = unroll(rnn_cell, params, h0, xs)
    return bptt_norms(params.W_hh, hs)


def bptt_norms(W_hh, hs):
    """‖∂h_T/∂h_{T−k}‖₂ for k = 0, …, T from the hidden states h_1 … h_T of ONE sequence of a vanilla RNN
    (row convention h_t = tanh(h_{t−1} W_hh + x_t W_xh + b)):

        ∂h_T/∂h_{T−k} = J_T · J_{T−1} ⋯ J_{T−k+1},   J_s = diag(1 − h_s²) · W_hhᵀ,

    the empty product (k = 0) being the identity, and ‖·‖₂ the largest singular value.
    W_hh: (H, H)   hs: (T, H)   →   (T + 1,)
    """
    W_hh = _validate.array("bptt_norms", "W_hh", W_hh)
    hs = _validate.array("bptt_norms", "hs", hs)
    _validate.ndim("bptt_norms", "hs", hs, 2, "(T, H) (one sequence)")
    if W_hh.shape != (hs.shape[1], hs.shape[1]):
        raise ValueError(f"bptt_norms: W_hh must have shape (H, H) = {(hs.shape[1],) * 2} for hs {tuple(hs.shape)}, "
                         f"got {tuple(W_hh.shape)}")
    return _bptt_norms(W_hh, hs)


@jax.jit
def _bptt_norms(W_hh, hs):
    d = 1 - hs ** 2                                      # (T, H): tanh' at every step

    def back(product, d_s):                              # product = ∂h_T/∂h_s; one step further back
        product = product @ (d_s[:, None] * W_hh.T)
        return product, jnp.linalg.norm(product, ord=2)

    eye = jnp.eye(hs.shape[1], dtype=hs.dtype)
    _, norms = jax.lax.scan(back, eye, d[::-1])
    return jnp.concatenate([jnp.ones(1, hs.dtype), norms])


def global_norm(tree):
    """‖g‖ = √(Σ over every leaf of Σ g²): the length of the whole gradient as one long vector."""
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in leaves)) if leaves else jnp.float32(0.0)


def clip_by_global_norm(tree, max_norm):
    """Gradient clipping (Pascanu et al. 2013): g ← g · min(1, max_norm / ‖g‖). Keeps the direction,
    caps the length at max_norm, and leaves gradients shorter than max_norm unchanged."""
    if not max_norm > 0:
        raise ValueError(f"clip_by_global_norm: max_norm must be positive, got {max_norm!r}")
    norm = global_norm(tree)
    scale = jnp.minimum(1.0, max_norm / jnp.maximum(norm, 1e-12))
    return jax.tree_util.tree_map(lambda g: g * scale, tree)


# --- helpers --------------------------------------------------------------------------------------

def _orthogonal(key, n):
    q, r = jnp.linalg.qr(jax.random.normal(key, (n, n)))
    return q * jnp.sign(jnp.diag(r))  # the sign fix makes q uniformly distributed


def _state_shape(fn, batch, hidden_size):
    H = _validate.positive_int(fn, "hidden_size", hidden_size)
    return (H,) if batch is None else (_validate.positive_int(fn, "batch", batch), H)


def _cell_kind(fn, cell_params):
    kinds = {RNNParams: "rnn", LSTMParams: "lstm", GRUParams: "gru"}
    if type(cell_params) not in kinds:
        raise ValueError(f"{fn}: the cell's params must be RNNParams, LSTMParams or GRUParams, "
                         f"got {type(cell_params).__name__}")
    return _KINDS[kinds[type(cell_params)]]


def _check_step(fn, D, H, h, x, w_name):
    """h: (N, H) or (H,), x: (N, D) or (D,) with the same leading shape; returns both as arrays."""
    h = _validate.array(fn, "h" if fn != "lstm_cell" else "state.h", h)
    x = _validate.array(fn, "x", x)
    _validate.ndim(fn, "x", x, (1, 2), "(N, D) or (D,)")
    if x.shape[-1] != D:
        raise ValueError(f"{fn}: x has {x.shape[-1]} features but {w_name} expects D = {D} "
                         f"(x {tuple(x.shape)}, H = {H})")
    if h.shape != x.shape[:-1] + (H,):
        name = "state.h" if fn == "lstm_cell" else "h"
        raise ValueError(f"{fn}: {name} must have shape {x.shape[:-1] + (H,)} (the batch of x, H = {H} "
                         f"hidden units), got {tuple(h.shape)}")
    return h, x


def _check_rnn_params(params):
    H = params.W_hh.shape[-1]
    if params.W_hh.shape != (H, H) or params.W_xh.shape[-1] != H or params.b.shape != (H,):
        raise ValueError(f"rnn_cell: params must be W_hh (H, H), W_xh (D, H), b (H,) with one H, got "
                         f"W_hh {tuple(params.W_hh.shape)}, W_xh {tuple(params.W_xh.shape)}, "
                         f"b {tuple(params.b.shape)}")


def _check_gated(fn, params, w_names, b_names):
    """Every W of a gated cell is (H + D, H) with the same H and D, every b is (H,); returns H."""
    first = getattr(params, w_names[0])
    if first.ndim != 2 or first.shape[0] <= first.shape[1]:
        raise ValueError(f"{fn}: {w_names[0]} must have shape (H + D, H) with D ≥ 1, got {tuple(first.shape)}")
    H = first.shape[1]
    for name in w_names[1:]:
        if getattr(params, name).shape != first.shape:
            raise ValueError(f"{fn}: every W must have the shape of {w_names[0]} {tuple(first.shape)}, "
                             f"got {name} {tuple(getattr(params, name).shape)}")
    for name in b_names:
        if getattr(params, name).shape != (H,):
            raise ValueError(f"{fn}: {name} must have shape (H,) = ({H},), got {tuple(getattr(params, name).shape)}")
    return H

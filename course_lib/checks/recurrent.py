"""Checks for exercise 6, recurrent networks (solutions/06_rnn_lstm.ipynb): one function per question.

    check.rnn_cell(fn)    check.unroll(fn)    check.lstm_cell(fn)    check.gru_cell(fn)    check.bptt_norms(fn)

Each runs a small worked example, then `n_random` random cases (random shapes from a few fixed choices
of N, D and H, random parameters and states), against course_lib.recurrent. A failure raises
AssertionError with the case, the expected and the received value and a hint; a known mistake (a missing
tanh, swapped LSTM states, the PyTorch GRU convention, the Frobenius norm, …) gets a hint that names it.
Success prints one line that depends on n_random only, never on the seed.

seed fixes the random cases of the visible checks; seed=None (the hidden tests) draws fresh cases, with
larger weights. Shapes come from a few fixed choices, because JAX compiles each operation once per shape.
"""
import jax
import jax.numpy as jnp
import numpy as np

from course_lib import recurrent as _rec
from course_lib.checks._core import Case, as_array, as_tuple, assert_close, call, cases_rng, show

__all__ = ["rnn_cell", "unroll", "lstm_cell", "gru_cell", "bptt_norms"]

_SHAPES = ((2, 3, 4), (1, 2, 3), (3, 4, 2), (None, 3, 4))  # (N, D, H); N = None: one sequence, states (H,)

_HINTS = {
    "rnn_cell": "h_t = tanh(h_{t−1} @ W_hh + x_t @ W_xh + b) in the row convention, and return the pair "
                "(h_t, h_t): the new carry and this step's output.",
    "unroll": "step = lambda carry, x: cell(params, carry, x); then `state, hs = jax.lax.scan(step, state, xs)` "
              "runs it over the first axis of xs and stacks the outputs: return (state, hs).",
    "lstm_cell": "hx = jnp.concatenate([h, x], -1); f, i, o = σ(hx @ W + b) for the three gates, C̃ = tanh(hx @ W_c + b_c), "
                 "C = f * c + i * C̃, h = o * tanh(C); return (LSTMState(h, C), h).",
    "gru_cell": "z = σ([h, x] @ W_z + b_z), r = σ([h, x] @ W_r + b_r), h̃ = tanh([r * h, x] @ W_h + b_h), "
                "h_new = (1 − z) * h + z * h̃; return (h_new, h_new).",
    "bptt_norms": "start from P = I (H × H); going back from s = T to 1, P ← P @ (diag(1 − h_s²) @ W_hh.T) and "
                  "record jnp.linalg.norm(P, ord=2); the result is [1, ‖P after h_T‖, …], T + 1 numbers.",
}


def _rnn_no_tanh(p, h, x):
    z = h @ p.W_hh + x @ p.W_xh + p.b
    return z, z


def _rnn_transposed(p, h, x):
    h = jnp.tanh(h @ p.W_hh.T + x @ p.W_xh + p.b)
    return h, h


def _rnn_sigmoid(p, h, x):
    h = jax.nn.sigmoid(h @ p.W_hh + x @ p.W_xh + p.b)
    return h, h


def _lstm_parts(p, state, x, order="hx"):
    hx = jnp.concatenate([state.h, x] if order == "hx" else [x, state.h], axis=-1)
    f, i, o = (jax.nn.sigmoid(hx @ W + b) for W, b in ((p.W_f, p.b_f), (p.W_i, p.b_i), (p.W_o, p.b_o)))
    return f, i, o, jnp.tanh(hx @ p.W_c + p.b_c)


def _lstm_swapped_state(p, state, x):
    (h, c), out = _rec.lstm_cell(p, state, x)
    return _rec.LSTMState(c, h), out


def _lstm_x_first(p, state, x):
    f, i, o, c_tilde = _lstm_parts(p, state, x, order="xh")
    c = f * state.c + i * c_tilde
    return _rec.LSTMState(o * jnp.tanh(c), c), o * jnp.tanh(c)


def _lstm_h_without_tanh(p, state, x):
    f, i, o, c_tilde = _lstm_parts(p, state, x)
    c = f * state.c + i * c_tilde
    return _rec.LSTMState(o * c, c), o * c


def _lstm_sigmoid_candidate(p, state, x):
    f, i, o, _ = _lstm_parts(p, state, x)
    hx = jnp.concatenate([state.h, x], axis=-1)
    c = f * state.c + i * jax.nn.sigmoid(hx @ p.W_c + p.b_c)
    return _rec.LSTMState(o * jnp.tanh(c), c), o * jnp.tanh(c)


def _gru_parts(p, h, x):
    hx = jnp.concatenate([h, x], axis=-1)
    return jax.nn.sigmoid(hx @ p.W_z + p.b_z), jax.nn.sigmoid(hx @ p.W_r + p.b_r)


def _gru_torch(p, h, x):
    z, r = _gru_parts(p, h, x)
    h_tilde = jnp.tanh(jnp.concatenate([r * h, x], axis=-1) @ p.W_h + p.b_h)
    h = z * h + (1 - z) * h_tilde
    return h, h


def _gru_no_reset(p, h, x):
    z, _ = _gru_parts(p, h, x)
    h_tilde = jnp.tanh(jnp.concatenate([h, x], axis=-1) @ p.W_h + p.b_h)
    h = (1 - z) * h + z * h_tilde
    return h, h


def _norms(W_hh, hs, *, frobenius=False, transpose=True, derivative=True, reverse=False):
    d = 1 - hs ** 2 if derivative else jnp.ones_like(hs)
    W = W_hh.T if transpose else W_hh
    P, out = jnp.eye(hs.shape[1]), [1.0]
    steps = range(hs.shape[0]) if reverse else reversed(range(hs.shape[0]))
    for s in steps:
        P = (d[s][:, None] * W) @ P if reverse else P @ (d[s][:, None] * W)
        out.append(jnp.linalg.norm(P) if frobenius else jnp.linalg.norm(P, ord=2))
    return jnp.asarray(out)


_MISTAKES = {
    "rnn_cell": [
        (_rnn_no_tanh, "the tanh is missing: h_t = tanh(z_t) with z_t = h_{t−1} @ W_hh + x_t @ W_xh + b."),
        (_rnn_sigmoid, "the vanilla RNN of the lecture squashes with tanh (range −1 to 1), not the sigmoid."),
        (_rnn_transposed, "W_hh is applied from the right in the row convention: h @ W_hh, not h @ W_hh.T "
                          "(the slides' W_hh h is our h @ W_hh)."),
    ],
    "lstm_cell": [
        (_lstm_swapped_state, "the carry is LSTMState(h, c): hidden state first, then the cell state "
                              "(you returned them swapped, as seed 001's loop does)."),
        (_lstm_x_first, "the gates read [h_{t−1}, x_t]: concatenate h first, then x (the first H rows of each W "
                        "act on h)."),
        (_lstm_h_without_tanh, "h_t = o_t * tanh(C_t): the cell state is squashed by tanh before the output gate."),
        (_lstm_sigmoid_candidate, "the candidate C̃_t uses tanh (values −1 to 1), not the sigmoid: only the "
                                  "three gates use σ."),
    ],
    "gru_cell": [
        (_gru_torch, "you used the PyTorch convention h = z * h + (1 − z) * h̃. The lecture's is "
                     "h_t = (1 − z_t) * h_{t−1} + z_t * h̃_t: z = 1 takes the candidate."),
        (_gru_no_reset, "the reset gate is missing from the candidate: h̃_t = tanh([r_t * h_{t−1}, x_t] @ W_h + b_h)."),
    ],
    "bptt_norms": [
        (lambda W, hs: _norms(W, hs, frobenius=True),
         "use the spectral norm (the largest singular value), jnp.linalg.norm(P, ord=2); "
         "jnp.linalg.norm(P) alone is the Frobenius norm."),
        (lambda W, hs: _norms(W, hs, transpose=False),
         "in the row convention h_t = tanh(h_{t−1} @ W_hh + …) the Jacobian is diag(1 − h_t²) @ W_hh.T: "
         "J[k, l] = ∂h_t[k]/∂h_{t−1}[l] = (1 − h_t[k]²) W_hh[l, k]."),
        (lambda W, hs: _norms(W, hs, derivative=False),
         "the factor 1 − h_s² (tanh's slope) is missing: J_s = diag(1 − h_s²) @ W_hh.T."),
        (lambda W, hs: _norms(W, hs, reverse=True),
         "the product starts at the END of the sequence: ∂h_T/∂h_{T−k} = J_T J_{T−1} ⋯ J_{T−k+1}, so entry 1 "
         "uses h_T (the last row of hs), entry 2 adds h_{T−1}, and so on."),
    ],
}


def rnn_cell(fn, *, seed=0, n_random=5):
    """Question 1: h_t = tanh(h_{t−1} W_hh + x_t W_xh + b), returned as (h_t, h_t)."""
    rng, wide = cases_rng(seed), seed is None
    p = _rec.RNNParams(W_hh=jnp.array([[0.5, -1.0], [1.0, 0.5]]), W_xh=jnp.array([[1.0, 0.0]]),
                       b=jnp.array([0.0, 0.1]))
    cases = [Case("rnn_cell(params, h, x) with W_hh = [[0.5, -1], [1, 0.5]], W_xh = [[1, 0]], b = [0, 0.1], "
                  "h = [1, 0], x = [2] (one sequence)", (p, jnp.array([1.0, 0.0]), jnp.array([2.0])))]
    for i in range(n_random):
        N, D, H = _choice(rng, _SHAPES)
        p, h, x = _params(rng, "rnn", D, H, wide), _normal(rng, _batch(N, H), 1.0), _normal(rng, _batch(N, D), 1.0)
        cases.append(Case(f"rnn_cell(params, h, x) with {_shape_note(N, D, H)} (random case {i + 1})", (p, h, x)))
    count = _check("rnn_cell", fn, _rec.rnn_cell, cases, ("h_t (the new carry)", "h_t (the output)"))
    print(f"ok: rnn_cell passes {count} cases")


def unroll(fn, *, seed=0, n_random=5):
    """Question 2: unroll(cell, params, state, xs) → (final state, hs (T, N, H)), run with the reference
    RNN and LSTM cells, compared with course_lib.recurrent.unroll."""
    rng, wide = cases_rng(seed), seed is None
    p = _rec.RNNParams(jnp.array([[0.5]]), jnp.array([[1.0]]), jnp.array([0.0]))
    xs = jnp.array([[1.0], [0.0], [-1.0]])
    cases = [Case("unroll(rnn_cell, params, h0, xs) with W_hh = [[0.5]], W_xh = [[1]], b = [0], h0 = [0], "
                  "xs = [[1], [0], [-1]] (one sequence of T = 3 steps)", (_rec.rnn_cell, p, jnp.zeros(1), xs))]
    for i in range(n_random):
        N, D, H = _choice(rng, _SHAPES)
        T, kind = _choice(rng, (1, 4, 7)), _choice(rng, ("rnn", "lstm"))
        p, xs = _params(rng, kind, D, H, wide), _normal(rng, (T,) + _batch(N, D), 1.0)
        h0 = _normal(rng, _batch(N, H), 0.5)
        state = _rec.LSTMState(h0, _normal(rng, _batch(N, H), 0.5)) if kind == "lstm" else h0
        cell = _rec.lstm_cell if kind == "lstm" else _rec.rnn_cell
        cases.append(Case(f"unroll({kind}_cell, params, state, xs) with xs of shape {tuple(xs.shape)}, "
                          f"H = {H} (random case {i + 1})", (cell, p, state, xs)))
    hint = _HINTS["unroll"]
    for case in cases:
        expected = _rec.unroll(*case.args)
        received = call("unroll", fn, *case.args, case=case.description, hint=hint)
        state, hs = _pair("unroll", case.description, received, ("final state", "hs"), hint)
        if isinstance(expected[0], _rec.LSTMState):
            if not isinstance(state, _rec.LSTMState):
                raise AssertionError(f"unroll on {case.description}: the final state should be the LSTM's carry, an "
                                     f"LSTMState(h, c), but it is a {type(state).__name__}.\nHint: {hint}")
            assert_close("unroll's final state.h", case.description, state.h, expected[0].h, atol=1e-5, hint=hint)
            assert_close("unroll's final state.c", case.description, state.c, expected[0].c, atol=1e-5, hint=hint)
        else:
            assert_close("unroll's final state", case.description, state, expected[0], atol=1e-5, hint=hint)
        wrong_hint = (hint + " hs must hold h_t for every step, stacked along a new first axis (T, …); "
                      "jnp.stack turns a list into an array.")
        assert_close("unroll's hs", case.description, hs, expected[1], atol=1e-5, hint=wrong_hint)
    print(f"ok: unroll passes {len(cases)} cases")


def lstm_cell(fn, *, seed=0, n_random=5):
    """Question 3: the LSTM step of seeds 001/002 with W (H + D, H) on [h, x], (LSTMState(h, C), h)."""
    rng, wide = cases_rng(seed), seed is None
    eye = jnp.concatenate([jnp.zeros((1, 1)), jnp.ones((1, 1))])          # (H + D, H) = (2, 1): reads x only
    p = _rec.LSTMParams(eye, eye, eye, eye, jnp.zeros(1), jnp.zeros(1), jnp.zeros(1), jnp.zeros(1))
    state = _rec.LSTMState(jnp.array([0.0]), jnp.array([1.0]))
    cases = [Case("lstm_cell(params, state, x) with every W = [[0], [1]], every b = [0], h = [0], c = [1], "
                  "x = [0] (every gate σ(0) = 0.5, C̃ = 0: C = 0.5, h = 0.5·tanh(0.5))", (p, state, jnp.array([0.0])))]
    for i in range(n_random):
        N, D, H = _choice(rng, _SHAPES)
        p, x = _params(rng, "lstm", D, H, wide), _normal(rng, _batch(N, D), 1.0)
        state = _rec.LSTMState(_normal(rng, _batch(N, H), 0.5), _normal(rng, _batch(N, H), 1.0))
        cases.append(Case(f"lstm_cell(params, state, x) with {_shape_note(N, D, H)} (random case {i + 1})",
                          (p, state, x)))
    count = _check("lstm_cell", fn, _rec.lstm_cell, cases, ("new state", "h_t (the output)"))
    print(f"ok: lstm_cell passes {count} cases")


def gru_cell(fn, *, seed=0, n_random=5):
    """Question 4: the GRU step of seed 002 (with biases), (h_t, h_t)."""
    rng, wide = cases_rng(seed), seed is None
    W = jnp.zeros((2, 1))
    p = _rec.GRUParams(W, W, jnp.array([[0.0], [1.0]]), jnp.array([2.0]), jnp.zeros(1), jnp.zeros(1))
    cases = [Case("gru_cell(params, h, x) with W_z = W_r = 0, W_h = [[0], [1]], b_z = [2], b_r = b_h = [0], "
                  "h = [1], x = [0.5] (z = σ(2) ≈ 0.88 of the candidate tanh(0.5))",
                  (p, jnp.array([1.0]), jnp.array([0.5])))]
    for i in range(n_random):
        N, D, H = _choice(rng, _SHAPES)
        p, h, x = _params(rng, "gru", D, H, wide), _normal(rng, _batch(N, H), 0.7), _normal(rng, _batch(N, D), 1.0)
        cases.append(Case(f"gru_cell(params, h, x) with {_shape_note(N, D, H)} (random case {i + 1})", (p, h, x)))
    count = _check("gru_cell", fn, _rec.gru_cell, cases, ("h_t (the new carry)", "h_t (the output)"))
    print(f"ok: gru_cell passes {count} cases")


def bptt_norms(fn, *, seed=0, n_random=5):
    """Question 5: ‖∂h_T/∂h_{T−k}‖₂ for k = 0 … T from W_hh (H, H) and the states hs (T, H) of one sequence."""
    rng, wide = cases_rng(seed), seed is None
    cases = [Case("bptt_norms(W_hh, hs) with W_hh = 0.5·I (2 × 2) and hs = 0 for T = 4 steps "
                  "(every tanh' is 1, so the norms are 0.5^k)", (0.5 * jnp.eye(2), jnp.zeros((4, 2)))),
             Case("bptt_norms(W_hh, hs) with W_hh = [[0.5, 1], [0, 0.5]], hs = [[0.5, 0], [0, 0.8], [0.6, 0.2]]",
                  (jnp.array([[0.5, 1.0], [0.0, 0.5]]), jnp.array([[0.5, 0.0], [0.0, 0.8], [0.6, 0.2]])))]
    for i in range(n_random):
        H, T = _choice(rng, (2, 3, 5)), _choice(rng, (3, 6))
        scale = float(rng.choice([0.5, 1.0, 1.5, 3.0] if wide else [0.6, 1.0, 1.4]))
        W = _normal(rng, (H, H), scale / np.sqrt(H))
        hs = jnp.tanh(_normal(rng, (T, H), 1.0))
        cases.append(Case(f"bptt_norms(W_hh, hs) with W_hh = {show(W)}, hs of shape ({T}, {H}) "
                          f"(random case {i + 1})", (W, hs)))
    count = _check("bptt_norms", fn, _rec.bptt_norms, cases, None, rtol=1e-4)
    print(f"ok: bptt_norms passes {count} cases")


# --- helpers --------------------------------------------------------------------------------------

def _check(name, fn, reference, cases, outputs, *, rtol=1e-5):
    """Compare fn with reference on every case; a failing answer that matches a known mistake gets that
    mistake's hint. outputs names the two parts of a (carry, output) pair, or None for one array."""
    hint = _HINTS[name]
    for case in cases:
        expected = reference(*case.args)
        received = call(name, fn, *case.args, case=case.description, hint=hint)
        try:
            _compare(name, case.description, received, expected, outputs, hint, rtol)
        except AssertionError:
            for mistake, why in _MISTAKES.get(name, ()):
                if _matches(name, case.description, received, mistake(*case.args), outputs, rtol):
                    _compare(name, case.description, received, expected, outputs, why, rtol)
            raise
    return len(cases)


def _compare(name, case, received, expected, outputs, hint, rtol):
    if outputs is None:
        assert_close(name, case, received, expected, rtol=rtol, atol=1e-5, hint=hint)
        return
    carry, out = _pair(name, case, received, outputs, hint)
    if isinstance(expected[0], _rec.LSTMState):
        if not isinstance(carry, _rec.LSTMState):
            raise AssertionError(f"{name} on {case}: the new state should be an LSTMState(h, c), but it is a "
                                 f"{type(carry).__name__}.\nHint: {hint}")
        assert_close(f"{name}'s new state.h", case, carry.h, expected[0].h, rtol=rtol, atol=1e-5, hint=hint)
        assert_close(f"{name}'s new state.c", case, carry.c, expected[0].c, rtol=rtol, atol=1e-5, hint=hint)
    else:
        assert_close(f"{name}'s {outputs[0]}", case, carry, expected[0], rtol=rtol, atol=1e-5, hint=hint)
    assert_close(f"{name}'s {outputs[1]}", case, out, expected[1], rtol=rtol, atol=1e-5, hint=hint)


def _matches(name, case, received, wrong, outputs, rtol):
    try:
        _compare(name, case, received, wrong, outputs, "", rtol)
    except AssertionError:
        return False
    return True


def _pair(name, case, received, outputs, hint):
    """The two parts of a (carry, output) result; an LSTMState is itself a pair, but not the one asked for."""
    return as_tuple(name, case, received, outputs, hint, what=f"a pair ({', '.join(outputs)})",
                    reject=(_rec.LSTMState,))


def _params(rng, kind, D, H, wide):
    scale = 1.5 if wide else 0.7
    def m(*shape):
        return _normal(rng, shape, scale)
    if kind == "rnn":
        return _rec.RNNParams(m(H, H), m(D, H), m(H))
    if kind == "lstm":
        return _rec.LSTMParams(*(m(H + D, H) for _ in range(4)), *(m(H) for _ in range(4)))
    return _rec.GRUParams(*(m(H + D, H) for _ in range(3)), *(m(H) for _ in range(3)))


def _batch(N, size):
    return (size,) if N is None else (N, size)


def _shape_note(N, D, H):
    return f"D = {D} inputs, H = {H} hidden units, " + ("one sequence" if N is None else f"a batch of N = {N}")


def _normal(rng, shape, scale):
    return jnp.asarray(rng.normal(0, scale, shape), jnp.float32)


def _choice(rng, options):
    return options[int(rng.integers(len(options)))]

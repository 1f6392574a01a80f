"""course_lib.recurrent: the cells against NumPy implementations of the lecture equations (written here,
in the slides' column-vector form W·[h_{t−1}, x_t]), unroll against a Python loop, gradients against
central differences of the NumPy reference, the Jacobians against jax.jacobian, clipping against optax,
the ValueError messages, and the slide mistakes of seeds 001 and 002."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from course_lib import data, layers, recurrent as rec

KEY = jax.random.PRNGKey(0)
RNG = np.random.default_rng(0)
SHAPES = [(1, 1, 1), (3, 2, 4), (5, 6, 3), (None, 3, 2)]  # (N, D, H); N = None: one sequence


# ---- NumPy references: the slides' equations, column vectors, float64 -----------------------------------

def sigma(s):
    return 1 / (1 + np.exp(-s))


def np_rnn_step(p, h, x):
    """h_t = tanh(W_hh h_{t−1} + W_xh x_t + b) for one sequence, with the slides' (column) matrices."""
    W_hh, W_xh = np.asarray(p.W_hh, float).T, np.asarray(p.W_xh, float).T    # (H, H), (H, D)
    return np.tanh(W_hh @ h + W_xh @ x + np.asarray(p.b, float))


def np_lstm_step(p, h, c, x):
    """Seeds 001/002: f, i, C̃, C, o, h with W·[h_{t−1}, x_t] + b, one component at a time for C and h."""
    hx = np.concatenate([h, x])
    W = {k: np.asarray(getattr(p, "W_" + k), float).T for k in "fico"}        # (H, H + D) each
    b = {k: np.asarray(getattr(p, "b_" + k), float) for k in "fico"}
    f, i, o = (sigma(W[k] @ hx + b[k]) for k in "fio")
    c_tilde = np.tanh(W["c"] @ hx + b["c"])
    c_new = np.array([f[j] * c[j] + i[j] * c_tilde[j] for j in range(len(c))])
    h_new = np.array([o[j] * np.tanh(c_new[j]) for j in range(len(c))])
    return h_new, c_new


def np_gru_step(p, h, x):
    """Seed 002: z = σ(W_z·[h, x]), r = σ(W_r·[h, x]), h̃ = tanh(W·[r*h, x]), h = (1 − z)*h + z*h̃ (+ biases)."""
    W = {k: np.asarray(getattr(p, "W_" + k), float).T for k in "zrh"}
    b = {k: np.asarray(getattr(p, "b_" + k), float) for k in "zrh"}
    hx = np.concatenate([h, x])
    z, r = sigma(W["z"] @ hx + b["z"]), sigma(W["r"] @ hx + b["r"])
    h_tilde = np.tanh(W["h"] @ np.concatenate([r * h, x]) + b["h"])
    return (1 - z) * h + z * h_tilde


def np_run(kind, p, xs, h0, c0=None):
    """The Python loop over t and over the sequences of the batch: final (h, c) and every h_t.
    xs (T, N, D) or (T, D)."""
    xs = np.asarray(xs, float)
    single = xs.ndim == 2
    if single:
        xs, h0 = xs[:, None], np.asarray(h0)[None]
        c0 = None if c0 is None else np.asarray(c0)[None]
    T, N, _ = xs.shape
    h = np.array(h0, float)
    c = np.zeros_like(h) if c0 is None else np.array(c0, float)
    hs = np.zeros((T, N, h.shape[-1]))
    for t in range(T):
        for n in range(N):
            if kind == "rnn":
                h[n] = np_rnn_step(p, h[n], xs[t, n])
            elif kind == "gru":
                h[n] = np_gru_step(p, h[n], xs[t, n])
            else:
                h[n], c[n] = np_lstm_step(p, h[n], c[n], xs[t, n])
        hs[t] = h
    if single:
        return h[0], c[0], hs[:, 0]
    return h, c, hs


def random_params(kind, D, H, scale=0.8):
    """Random parameters drawn in NumPy (nonzero biases), independent of the init functions."""
    def m(*shape):
        return jnp.asarray(RNG.normal(0, scale, shape), jnp.float32)
    if kind == "rnn":
        return rec.RNNParams(m(H, H), m(D, H), m(H))
    if kind == "lstm":
        return rec.LSTMParams(*(m(H + D, H) for _ in range(4)), *(m(H) for _ in range(4)))
    return rec.GRUParams(*(m(H + D, H) for _ in range(3)), *(m(H) for _ in range(3)))


def batch_shape(N, H):
    return (H,) if N is None else (N, H)


CELLS = {"rnn": rec.rnn_cell, "lstm": rec.lstm_cell, "gru": rec.gru_cell}


def initial(kind, N, H, scale=0.5):
    h0 = jnp.asarray(RNG.normal(0, scale, batch_shape(N, H)), jnp.float32)
    c0 = jnp.asarray(RNG.normal(0, scale, batch_shape(N, H)), jnp.float32)
    return (rec.LSTMState(h0, c0) if kind == "lstm" else h0), h0, c0


# ---- cells against the lecture equations ---------------------------------------------------------------

@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("N, D, H", SHAPES)
def test_cell_matches_numpy_lecture_equations(kind, N, D, H):
    p = random_params(kind, D, H)
    state, h0, c0 = initial(kind, N, H)
    x = jnp.asarray(RNG.normal(size=batch_shape(N, D)), jnp.float32)
    new_state, out = CELLS[kind](p, state, x)
    h_ref, c_ref, _ = np_run(kind, p, x[None], h0, c0 if kind == "lstm" else None)
    assert out.shape == batch_shape(N, H)
    np.testing.assert_allclose(np.asarray(out), h_ref, rtol=1e-5, atol=1e-5)
    if kind == "lstm":
        assert isinstance(new_state, rec.LSTMState)
        np.testing.assert_allclose(np.asarray(new_state.h), h_ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(new_state.c), c_ref, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(np.asarray(new_state), np.asarray(out))


def test_lstm_gates_act_as_the_slides_say():
    """f = 1, i = 0 keeps C_{t−1} exactly; f = 0, i = 1 replaces it by C̃_t (seed 001 "Forgetting gate layer")."""
    D, H, big = 2, 3, 50.0
    W = jnp.zeros((H + D, H))
    c_prev = jnp.array([0.5, -1.0, 2.0])
    x = jnp.array([1.0, -1.0])
    W_c = jnp.asarray(RNG.normal(size=(H + D, H)), jnp.float32)
    keep = rec.LSTMParams(W, W, W_c, W, jnp.full(H, big), jnp.full(H, -big), jnp.zeros(H), jnp.zeros(H))
    state, _ = rec.lstm_cell(keep, rec.LSTMState(jnp.zeros(H), c_prev), x)
    np.testing.assert_allclose(np.asarray(state.c), np.asarray(c_prev), atol=1e-6)
    wipe = keep._replace(b_f=jnp.full(H, -big), b_i=jnp.full(H, big))
    state, _ = rec.lstm_cell(wipe, rec.LSTMState(jnp.zeros(H), c_prev), x)
    expected = np.tanh(np.concatenate([np.zeros(H), np.asarray(x)]) @ np.asarray(W_c, float))
    np.testing.assert_allclose(np.asarray(state.c), expected, atol=1e-5)


def test_gru_update_gate_zero_keeps_the_state_and_one_replaces_it():
    D, H = 2, 3
    p = random_params("gru", D, H)
    h, x = jnp.array([0.3, -0.7, 0.1]), jnp.array([1.0, 2.0])
    keep, _ = rec.gru_cell(p._replace(b_z=jnp.full(H, -60.0)), h, x)
    np.testing.assert_allclose(np.asarray(keep), np.asarray(h), atol=1e-6)
    replaced, _ = rec.gru_cell(p._replace(b_z=jnp.full(H, 60.0)), h, x)
    r = sigma(np.concatenate([h, x]) @ np.asarray(p.W_r, float) + np.asarray(p.b_r, float))
    h_tilde = np.tanh(np.concatenate([r * np.asarray(h), x]) @ np.asarray(p.W_h, float) + np.asarray(p.b_h, float))
    np.testing.assert_allclose(np.asarray(replaced), h_tilde, atol=1e-5)


# ---- unroll ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("T, N, D, H", [(1, 2, 3, 4), (7, 3, 2, 5), (5, None, 3, 2)])
def test_unroll_matches_the_python_loop(kind, T, N, D, H):
    p = random_params(kind, D, H, scale=0.6)
    state, h0, c0 = initial(kind, N, H)
    xs = jnp.asarray(RNG.normal(size=(T,) + batch_shape(N, D)), jnp.float32)
    final, hs = rec.unroll(CELLS[kind], p, state, xs)
    # the same loop in Python over our own cell...
    s, outs = state, []
    for t in range(T):
        s, h = CELLS[kind](p, s, xs[t])
        outs.append(h)
    np.testing.assert_allclose(np.asarray(hs), np.asarray(jnp.stack(outs)), rtol=1e-5, atol=1e-6)
    # ...and the NumPy reference of the lecture equations
    h_ref, c_ref, hs_ref = np_run(kind, p, xs, h0, c0 if kind == "lstm" else None)
    assert hs.shape == (T,) + batch_shape(N, H)
    np.testing.assert_allclose(np.asarray(hs), hs_ref, rtol=1e-4, atol=1e-5)
    if kind == "lstm":
        np.testing.assert_allclose(np.asarray(final.c), c_ref, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(final.h), h_ref, rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_allclose(np.asarray(final), h_ref, rtol=1e-4, atol=1e-5)


def test_unroll_is_jittable_and_differentiable():
    p = random_params("lstm", 2, 3, scale=0.5)
    xs = jnp.asarray(RNG.normal(size=(4, 2, 2)), jnp.float32)
    f = jax.jit(lambda p: jnp.sum(rec.unroll(rec.lstm_cell, p, rec.init_lstm_state(2, 3), xs)[1] ** 2))
    g = jax.grad(f)(p)
    assert isinstance(g, rec.LSTMParams) and g.W_f.shape == p.W_f.shape


# ---- gradients against central differences of the NumPy reference -------------------------------------

@pytest.mark.parametrize("kind", list(CELLS))
def test_bptt_gradient_matches_numerical_gradient(kind):
    """Backpropagation through time (jax.grad through lax.scan) against central differences of the NumPy
    loop in float64, for every parameter entry, with a loss on the last hidden state."""
    T, N, D, H = 4, 2, 2, 3
    p = random_params(kind, D, H, scale=0.7)
    xs = jnp.asarray(RNG.normal(size=(T, N, D)), jnp.float32)
    target = RNG.normal(size=(N, H))

    def loss_jax(p):
        state = rec.init_lstm_state(N, H) if kind == "lstm" else jnp.zeros((N, H))
        _, hs = rec.unroll(CELLS[kind], p, state, xs)
        return 0.5 * jnp.sum((hs[-1] - target) ** 2)

    def loss_np(leaves):
        q = type(p)(*leaves)
        h, _, _ = np_run(kind, q, xs, np.zeros((N, H)))
        return 0.5 * np.sum((h - target) ** 2)

    grads = jax.grad(loss_jax)(p)
    leaves = [np.asarray(a, float) for a in p]
    eps = 1e-6
    for k, leaf in enumerate(leaves):
        numeric = np.zeros_like(leaf)
        for idx in np.ndindex(leaf.shape):
            plus = [a.copy() for a in leaves]
            minus = [a.copy() for a in leaves]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            numeric[idx] = (loss_np(plus) - loss_np(minus)) / (2 * eps)
        np.testing.assert_allclose(np.asarray(grads[k]), numeric, rtol=1e-3, atol=1e-4,
                                   err_msg=f"{kind}: {p._fields[k]}")


# ---- Jacobians through time ----------------------------------------------------------------------------

def test_rnn_jacobian_matches_jax_jacobian():
    p = random_params("rnn", 3, 4)
    h, x = jnp.asarray(RNG.normal(size=4), jnp.float32), jnp.asarray(RNG.normal(size=3), jnp.float32)
    auto = jax.jacobian(lambda h: rec.rnn_cell(p, h, x)[0])(h)
    np.testing.assert_allclose(np.asarray(rec.rnn_jacobian(p, h, x)), np.asarray(auto), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_rnn_jacobian_norms_match_jacobians_of_the_unrolled_map(scale):
    T, D, H = 6, 2, 4
    p = rec.init_rnn(jax.random.PRNGKey(1), D, H, recurrent_scale=scale)
    h0 = jnp.asarray(RNG.normal(0, 0.3, H), jnp.float32)
    xs = jnp.asarray(RNG.normal(size=(T, D)), jnp.float32)
    norms = np.asarray(rec.rnn_jacobian_norms(p, h0, xs))
    assert norms.shape == (T + 1,)
    _, hs = rec.unroll(rec.rnn_cell, p, h0, xs)
    states = np.concatenate([np.asarray(h0)[None], np.asarray(hs)])       # h_0 … h_T

    for k in range(T + 1):                                                # ∂h_T/∂h_{T−k}
        start = T - k
        def run_from(h):
            return rec.unroll(rec.rnn_cell, p, h, xs[start:])[0] if k else h
        J = np.asarray(jax.jacobian(run_from)(jnp.asarray(states[start])), float)
        np.testing.assert_allclose(norms[k], np.linalg.norm(J, 2), rtol=1e-4, atol=1e-6)


def test_rnn_jacobian_norms_vanish_for_small_and_grow_for_large_recurrent_weights():
    T, D, H = 30, 1, 8
    xs = jnp.zeros((T, D))
    small = rec.init_rnn(KEY, D, H, recurrent_scale=0.5)
    large = rec.init_rnn(KEY, D, H, recurrent_scale=1.5)
    n_small = np.asarray(rec.rnn_jacobian_norms(small, jnp.zeros(H), xs))
    n_large = np.asarray(rec.rnn_jacobian_norms(large, jnp.zeros(H), xs))
    # with h ≡ 0 every tanh' is 1, so ∂h_T/∂h_{T−k} = (W_hhᵀ)^k exactly and its norm is scale^k
    np.testing.assert_allclose(n_small, 0.5 ** np.arange(T + 1), rtol=1e-3)
    np.testing.assert_allclose(n_large, 1.5 ** np.arange(T + 1), rtol=1e-3)


def test_clip_by_global_norm_matches_optax():
    tree = (jnp.array([3.0, 4.0]), {"w": jnp.array([[12.0]])})             # ‖g‖ = 13
    np.testing.assert_allclose(float(rec.global_norm(tree)), 13.0, rtol=1e-6)
    for max_norm in (1.0, 13.0, 100.0):
        ours = rec.clip_by_global_norm(tree, max_norm)
        theirs, _ = optax.clip_by_global_norm(max_norm).update(tree, optax.EmptyState())
        for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


# ---- init functions, states, the sequence model --------------------------------------------------------

def test_init_functions_shapes_and_documented_values():
    p = rec.init_rnn(KEY, 3, 5, recurrent_scale=0.9)
    assert (p.W_hh.shape, p.W_xh.shape, p.b.shape) == ((5, 5), (3, 5), (5,))
    np.testing.assert_allclose(np.linalg.svd(np.asarray(p.W_hh), compute_uv=False), 0.9, rtol=1e-5)
    lstm = rec.init_lstm(KEY, 3, 5)
    assert all(getattr(lstm, f"W_{k}").shape == (8, 5) for k in "fico")
    np.testing.assert_array_equal(np.asarray(lstm.b_f), np.ones(5))
    assert not np.any(np.asarray(lstm.b_i)) and not np.any(np.asarray(lstm.b_o))
    gru = rec.init_gru(KEY, 3, 5)
    assert all(getattr(gru, f"W_{k}").shape == (8, 5) for k in "zrh")
    assert rec.init_rnn_state(4, 5).shape == (4, 5) and rec.init_gru_state(None, 5).shape == (5,)
    s = rec.init_lstm_state(2, 5)
    assert isinstance(s, rec.LSTMState) and s.h.shape == s.c.shape == (2, 5) and not np.any(np.asarray(s.c))


@pytest.mark.parametrize("kind", list(CELLS))
def test_sequence_model_is_the_cell_then_the_dense_head(kind):
    T, N, D, H, K = 5, 3, 2, 4, 3
    model = rec.init_sequence_model(KEY, kind, D, H, K)
    xs = jnp.asarray(RNG.normal(size=(T, N, D)), jnp.float32)
    _, _, hs = np_run(kind, model.cell, xs, np.zeros((N, H)))
    W, b = np.asarray(model.head.W, float), np.asarray(model.head.b, float)
    np.testing.assert_allclose(np.asarray(rec.sequence_model(model, xs)), hs[-1] @ W + b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(rec.sequence_model(model, xs, every_step=True)), hs @ W + b,
                               rtol=1e-4, atol=1e-5)


def test_sequence_model_learns_the_adding_problem_better_than_the_mean():
    """A short training run lowers the error below the 1/6 of always answering 1."""
    model = rec.init_sequence_model(KEY, "lstm", 2, 8, 1)
    x, y = data.adding_problem(jax.random.PRNGKey(1), 256, 8)
    xs = jnp.swapaxes(x, 0, 1)

    def loss(m):
        return jnp.mean((rec.sequence_model(m, xs)[:, 0] - y) ** 2)

    step = jax.jit(lambda m: jax.tree_util.tree_map(lambda a, g: a - 0.5 * g, m, jax.grad(loss)(m)))
    for _ in range(150):
        model = step(model)
    assert float(loss(model)) < 0.8 * float(jnp.mean((1.0 - y) ** 2))


# ---- ValueErrors ---------------------------------------------------------------------------------------

def test_lstm_cell_rejects_x_with_the_wrong_number_of_features():
    p = rec.init_lstm(KEY, 2, 5)
    with pytest.raises(ValueError, match=r"lstm_cell: x has 3 features but W_f expects D = 2 \(x \(4, 3\), H = 5\)"):
        rec.lstm_cell(p, rec.init_lstm_state(4, 5), jnp.ones((4, 3)))


def test_cells_reject_a_state_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"rnn_cell: h must have shape \(4, 5\).*got \(4, 6\)"):
        rec.rnn_cell(rec.init_rnn(KEY, 2, 5), jnp.zeros((4, 6)), jnp.ones((4, 2)))
    with pytest.raises(ValueError, match=r"gru_cell: h must have shape \(3, 5\).*got \(4, 5\)"):
        rec.gru_cell(rec.init_gru(KEY, 2, 5), jnp.zeros((4, 5)), jnp.ones((3, 2)))
    with pytest.raises(ValueError, match=r"lstm_cell: state.c must have the shape of state.h \(4, 5\), got \(5,\)"):
        rec.lstm_cell(rec.init_lstm(KEY, 2, 5), rec.LSTMState(jnp.zeros((4, 5)), jnp.zeros(5)), jnp.ones((4, 2)))


def test_cells_reject_inconsistent_params_and_a_bare_tuple_state():
    p = rec.init_lstm(KEY, 2, 5)
    with pytest.raises(ValueError, match=r"lstm_cell: every W must have the shape of W_f \(7, 5\), got W_o \(6, 5\)"):
        rec.lstm_cell(p._replace(W_o=jnp.zeros((6, 5))), rec.init_lstm_state(1, 5), jnp.ones((1, 2)))
    with pytest.raises(ValueError, match=r"lstm_cell: b_i must have shape \(H,\) = \(5,\), got \(4,\)"):
        rec.lstm_cell(p._replace(b_i=jnp.zeros(4)), rec.init_lstm_state(1, 5), jnp.ones((1, 2)))
    with pytest.raises(ValueError, match=r"lstm_cell: state must be an LSTMState\(h, c\), got tuple"):
        rec.lstm_cell(p, (jnp.zeros((1, 5)), jnp.zeros((1, 5))), jnp.ones((1, 2)))
    with pytest.raises(ValueError, match=r"rnn_cell: x has 3 features but W_xh expects D = 2"):
        rec.rnn_cell(rec.init_rnn(KEY, 2, 5), jnp.zeros(5), jnp.ones(3))


def test_unroll_and_sequence_model_reject_bad_input():
    p = rec.init_rnn(KEY, 2, 3)
    with pytest.raises(ValueError, match=r"unroll: xs must have shape \(T, N, D\).*got shape \(2,\)"):
        rec.unroll(rec.rnn_cell, p, jnp.zeros(3), jnp.ones(2))
    with pytest.raises(ValueError, match=r"unroll: cell must be a function"):
        rec.unroll("rnn", p, jnp.zeros(3), jnp.ones((4, 2)))
    with pytest.raises(ValueError, match=r"rnn_cell: x has 4 features but W_xh expects D = 2"):
        rec.unroll(rec.rnn_cell, p, jnp.zeros((5, 3)), jnp.ones((6, 5, 4)))
    with pytest.raises(ValueError, match=r"sequence_model: params must be a SequenceModel, got RNNParams"):
        rec.sequence_model(p, jnp.ones((4, 1, 2)))
    with pytest.raises(ValueError, match=r"init_sequence_model: kind must be one of"):
        rec.init_sequence_model(KEY, "transformer", 2, 3, 1)
    with pytest.raises(ValueError, match=r"clip_by_global_norm: max_norm must be positive, got 0"):
        rec.clip_by_global_norm(p, 0)
    with pytest.raises(ValueError, match=r"init_lstm: hidden_size must be a positive integer, got 0"):
        rec.init_lstm(KEY, 2, 0)


# ---- the slides' mistakes -----------------------------------------------------------------------------

def _sketch_layers(p):
    """The four layers the seed-001 sketch calls, as functions of `combine` = [h_{t−1}, x_t]."""
    def layer(W, b, g):
        return lambda combine: g(np.asarray(combine, float) @ np.asarray(W, float) + np.asarray(b, float))
    return (layer(p.W_f, p.b_f, sigma), layer(p.W_c, p.b_c, np.tanh), layer(p.W_i, p.b_i, sigma),
            layer(p.W_o, p.b_o, sigma))


def test_seed001_lstm_sketch_returns_h_c_but_the_loop_unpacks_c_h():
    """Seed 001 "Python code for LSTM": LSTMCELL returns (ht, Ct) but the loop writes `ct, ht = LSTMCELL(...)`,
    so from the second step on the cell state and the hidden state trade places. With the order fixed
    (and [h, x] concatenated) the sketch is lstm_cell; as printed it is not."""
    D, H, T = 3, 3, 4
    p = random_params("lstm", D, H, scale=0.7)
    forget_layer, candidate_layer, input_layer, output_layer = _sketch_layers(p)

    def LSTMCELL(prev_ct, prev_ht, input):
        combine = np.concatenate([prev_ht, input])            # the slide's `prev_ht + input`, see the next test
        ft, candidate, it = forget_layer(combine), candidate_layer(combine), input_layer(combine)
        Ct = prev_ct * ft + candidate * it
        ot = output_layer(combine)
        ht = ot * np.tanh(Ct)
        return ht, Ct

    inputs = RNG.normal(size=(T, D))
    ct, ht = np.zeros(H), np.zeros(H)
    for x in inputs:                                          # as printed on the slide
        ct, ht = LSTMCELL(ct, ht, x)
    ct_fixed, ht_fixed = np.zeros(H), np.zeros(H)
    for x in inputs:                                          # corrected: unpack in the order returned
        ht_fixed, ct_fixed = LSTMCELL(ct_fixed, ht_fixed, x)
    state, _ = rec.unroll(rec.lstm_cell, p, rec.init_lstm_state(None, H), jnp.asarray(inputs, jnp.float32))
    np.testing.assert_allclose(ht_fixed, np.asarray(state.h), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ct_fixed, np.asarray(state.c), rtol=1e-4, atol=1e-5)
    assert not np.allclose(ht, np.asarray(state.h), atol=1e-3)  # the printed loop computes something else
    # as printed, after one step the variable called ct holds h_1 and the one called ht holds C_1
    ct, ht = LSTMCELL(np.zeros(H), np.zeros(H), inputs[0])
    state1, h1 = rec.lstm_cell(p, rec.init_lstm_state(None, H), jnp.asarray(inputs[0], jnp.float32))
    np.testing.assert_allclose(ct, np.asarray(h1), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ht, np.asarray(state1.c), rtol=1e-4, atol=1e-6)


def test_seed001_lstm_sketch_plus_adds_arrays_instead_of_concatenating():
    """`combine = prev_ht + input` concatenates Python lists but ADDS NumPy/JAX arrays: with H ≠ D it fails,
    with H = D it silently gives a vector of length H instead of H + D."""
    h, x = np.zeros(3), np.ones(2)
    with pytest.raises(ValueError):
        h + x
    assert (np.zeros(2) + np.ones(2)).shape == (2,)
    assert len([0, 0, 0] + [1, 1]) == 5
    assert rec.init_lstm(KEY, 2, 3).W_f.shape[0] == 3 + 2


def test_seed002_rnn_jacobian_is_diag_times_W_not_the_elementwise_product():
    """Seed 002 "Gradient Vanishing/Exploding Problem": ∂h_t/∂h_{t−1} = (1 − tanh²(z_t)) × W_hh is the
    Jacobian diag(1 − tanh²(z_t)) · W_hh (row k scaled by the k-th derivative), an (H, H) matrix; NumPy's
    elementwise `d * W_hh` scales the columns instead and is wrong."""
    H, D = 4, 2
    p = random_params("rnn", D, H)
    W_slide = np.asarray(p.W_hh, float).T                  # the slide's W_hh (column convention)
    h = jnp.asarray(RNG.normal(size=H), jnp.float32)
    x = jnp.asarray(RNG.normal(size=D), jnp.float32)
    J = np.asarray(jax.jacobian(lambda h: rec.rnn_cell(p, h, x)[0])(h), float)
    d = 1 - np.tanh(W_slide @ np.asarray(h, float) + np.asarray(p.W_xh, float).T @ np.asarray(x, float)
                    + np.asarray(p.b, float)) ** 2
    np.testing.assert_allclose(J, np.diag(d) @ W_slide, rtol=1e-4, atol=1e-6)
    assert not np.allclose(J, d * W_slide, atol=1e-3)


def test_seed002_deep_bidirectional_recurrence_needs_the_layer_index():
    """Seed 002 "Deep-Bidirectional RNN" writes V^(i) h_{t−1} without the layer index: layer i must feed
    back its own state h^(i)_{t−1}. With layers of different widths only that product has a shape."""
    V2 = np.ones((5, 5))              # layer 2's recurrent weights: H2 = 5
    h1_prev, h2_prev = np.ones(3), np.ones(5)   # layer 1 has H1 = 3
    assert (V2 @ h2_prev).shape == (5,)
    with pytest.raises(ValueError):
        V2 @ h1_prev


def test_bptt_norms_matches_a_numpy_product_of_jacobians():
    H, T = 3, 5
    W = RNG.normal(0, 0.8, (H, H))
    hs = np.tanh(RNG.normal(size=(T, H)))
    expected, P = [1.0], np.eye(H)
    for s in range(T - 1, -1, -1):                      # J_T first, then J_{T−1}, …
        P = P @ (np.diag(1 - hs[s] ** 2) @ W.T)
        expected.append(np.linalg.svd(P, compute_uv=False)[0])
    got = np.asarray(rec.bptt_norms(jnp.asarray(W, jnp.float32), jnp.asarray(hs, jnp.float32)))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-7)
    with pytest.raises(ValueError, match=r"bptt_norms: W_hh must have shape \(H, H\) = \(3, 3\) for hs \(5, 3\), got \(2, 2\)"):
        rec.bptt_norms(jnp.eye(2), jnp.asarray(hs))

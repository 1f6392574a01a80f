"""course_lib.layers: dense and mlp against NumPy loops, init shapes, and dropout's statistics."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import activations, init, layers

KEY = jax.random.PRNGKey(0)
RNG = np.random.default_rng(0)


def _params(*sizes):
    """Random DenseParams built in NumPy (not through init_mlp), so mlp is checked on its own."""
    return tuple(layers.DenseParams(RNG.normal(size=(m, n)).astype(np.float32),
                                    RNG.normal(size=n).astype(np.float32))
                 for m, n in zip(sizes[:-1], sizes[1:]))


def _dense_loop(W, b, x):
    """z_j = Σ_i x_i W_ij + b_j, one example at a time."""
    x = np.atleast_2d(x)
    out = np.zeros((x.shape[0], W.shape[1]))
    for n in range(x.shape[0]):
        for j in range(W.shape[1]):
            out[n, j] = sum(x[n, i] * W[i, j] for i in range(W.shape[0])) + b[j]
    return out


# ---- dense --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, d_in, d_out", [(1, 1, 1), (5, 3, 2), (4, 7, 6)])
def test_dense_matches_numpy_and_loop(n, d_in, d_out):
    (p,) = _params(d_in, d_out)
    x = RNG.normal(size=(n, d_in)).astype(np.float32)
    z = np.asarray(layers.dense(p, x))
    assert z.shape == (n, d_out)
    np.testing.assert_allclose(z, x.astype(np.float64) @ p.W + p.b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(z, _dense_loop(p.W, p.b, x), rtol=1e-5, atol=1e-5)


def test_dense_on_one_example_returns_a_vector():
    (p,) = _params(3, 4)
    x = RNG.normal(size=3).astype(np.float32)
    z = np.asarray(layers.dense(p, x))
    assert z.shape == (4,)
    np.testing.assert_allclose(z, _dense_loop(p.W, p.b, x)[0], rtol=1e-5, atol=1e-5)


# ---- init_dense, init_mlp ------------------------------------------------------------------------------

def test_init_dense_uses_the_initializer_and_zero_bias():
    p = layers.init_dense(KEY, 5, 3, init=init.he_normal)
    assert isinstance(p, layers.DenseParams)
    assert p.W.shape == (5, 3) and p.b.shape == (3,)
    np.testing.assert_array_equal(np.asarray(p.W), np.asarray(init.he_normal(KEY, (5, 3))))
    assert not np.any(np.asarray(p.b))


def test_init_dense_default_is_xavier_normal():
    np.testing.assert_array_equal(np.asarray(layers.init_dense(KEY, 4, 6).W),
                                  np.asarray(init.xavier_normal(KEY, (4, 6))))


@pytest.mark.parametrize("sizes", [(2, 1), (3, 4, 6, 2)])
def test_init_mlp_shapes(sizes):
    params = layers.init_mlp(KEY, sizes)
    assert len(params) == len(sizes) - 1
    for layer, m, n in zip(params, sizes[:-1], sizes[1:]):
        assert layer.W.shape == (m, n)
        assert layer.b.shape == (n,)
        assert not np.any(np.asarray(layer.b))


def test_init_mlp_layers_draw_from_different_keys():
    params = layers.init_mlp(KEY, (4, 4, 4, 4))
    Ws = [np.asarray(p.W) for p in params]
    assert not np.array_equal(Ws[0], Ws[1]) and not np.array_equal(Ws[1], Ws[2])


def test_init_mlp_same_key_same_params():
    a, b = layers.init_mlp(KEY, (4, 6, 3)), layers.init_mlp(KEY, (4, 6, 3))
    for pa, pb in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(pa), np.asarray(pb))


# ---- mlp ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(3, 2), (3, 5, 2), (4, 6, 5, 3)])
@pytest.mark.parametrize("activation, reference", [(activations.relu, lambda h: np.maximum(h, 0.0)),
                                                   (activations.tanh, np.tanh)])
def test_mlp_matches_manual_loop(sizes, activation, reference):
    params = _params(*sizes)
    x = RNG.normal(size=(6, sizes[0])).astype(np.float32)
    h = x.astype(np.float64)
    for layer in params[:-1]:
        h = reference(_dense_loop(layer.W, layer.b, h))
    expected = _dense_loop(params[-1].W, params[-1].b, h)  # the last layer stays linear
    out = np.asarray(layers.mlp(params, x, activation=activation))
    assert out.shape == (6, sizes[-1])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_mlp_default_activation_is_relu():
    params = _params(3, 4, 2)
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    hidden = np.maximum(x.astype(np.float64) @ params[0].W + params[0].b, 0.0)
    np.testing.assert_allclose(np.asarray(layers.mlp(params, x)), hidden @ params[1].W + params[1].b,
                               rtol=1e-5, atol=1e-5)


def test_mlp_with_one_layer_is_dense():
    params = _params(3, 2)
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(layers.mlp(params, x)), _dense_loop(params[0].W, params[0].b, x),
                               rtol=1e-5, atol=1e-5)


def test_mlp_gradient_flows_to_every_layer():
    params = layers.init_mlp(KEY, (4, 6, 3))
    x = jnp.asarray(RNG.normal(size=(5, 4)), jnp.float32)
    grads = jax.jit(jax.grad(lambda p: jnp.sum(layers.mlp(p, x, activation=activations.tanh) ** 2)))(params)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)
    for g in jax.tree_util.tree_leaves(grads):
        assert np.any(np.asarray(g) != 0)


# ---- dropout ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_dropout_off_in_evaluation(rate):
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(layers.dropout(KEY, x, rate, train=False)), x)


def test_dropout_rate_zero_is_identity_in_training():
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(layers.dropout(KEY, x, 0.0, train=True)), x)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_survivors_scaled_by_inverse_keep_probability(rate):
    x = RNG.uniform(1.0, 2.0, size=(50, 40)).astype(np.float32)  # never zero, so a zero means dropped
    out = np.asarray(layers.dropout(KEY, x, rate, train=True))
    kept = out != 0
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-6)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_drops_the_stated_fraction(rate):
    n = 100_000
    out = np.asarray(layers.dropout(jax.random.PRNGKey(3), np.ones(n, np.float32), rate, train=True))
    dropped = np.mean(out == 0)
    assert abs(dropped - rate) < 5 * np.sqrt(rate * (1 - rate) / n)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.75])
def test_dropout_preserves_mean_in_expectation(rate):
    n = 100_000
    x = np.full(n, 3.0, np.float32)
    out = np.asarray(layers.dropout(jax.random.PRNGKey(4), x, rate, train=True), np.float64)
    # each entry is 3/(1−rate) with probability 1−rate, else 0: mean 3, sd 3·√(rate/(1−rate))
    sd = 3.0 * np.sqrt(rate / (1 - rate))
    assert abs(out.mean() - 3.0) < 5 * sd / np.sqrt(n)


def test_dropout_mask_depends_on_key_only():
    x = np.ones((20, 20), np.float32)
    a = np.asarray(layers.dropout(jax.random.PRNGKey(1), x, 0.5, train=True))
    b = np.asarray(layers.dropout(jax.random.PRNGKey(1), x, 0.5, train=True))
    c = np.asarray(layers.dropout(jax.random.PRNGKey(2), x, 0.5, train=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ---- bad input -----------------------------------------------------------------------------------------

def test_dense_rejects_feature_mismatch():
    (p,) = _params(2, 3)
    with pytest.raises(ValueError, match=r"^dense: x has 3 features but W expects 2 \(x \(4, 3\), W \(2, 3\)\)"):
        layers.dense(p, np.ones((4, 3)))


@pytest.mark.parametrize("shape", [(), (4, 3, 2)])
def test_dense_rejects_x_of_wrong_ndim(shape):
    (p,) = _params(2, 3)
    with pytest.raises(ValueError, match=r"^dense: x must have shape \(N, D_in\) or \(D_in,\), got shape"):
        layers.dense(p, np.ones(shape))


def test_mlp_reports_feature_mismatch_of_its_input():
    with pytest.raises(ValueError, match=r"^dense: x has 5 features but W expects 3"):
        layers.mlp(_params(3, 4, 2), np.ones((2, 5)))


@pytest.mark.parametrize("params", [(), []])
def test_mlp_rejects_empty_params(params):
    with pytest.raises(ValueError, match=r"^mlp: params must hold at least one layer"):
        layers.mlp(params, np.ones((2, 3)))


@pytest.mark.parametrize("in_dim, out_dim, bad, value", [(0, 3, "in_dim", "0"), (3, -1, "out_dim", "-1"),
                                                         (2.0, 3, "in_dim", "2.0"), (2, True, "out_dim", "True")])
def test_init_dense_rejects_non_positive_integer_sizes(in_dim, out_dim, bad, value):
    with pytest.raises(ValueError, match=rf"^init_dense: {bad} must be a positive integer, got {value}"):
        layers.init_dense(KEY, in_dim, out_dim)


@pytest.mark.parametrize("sizes, match", [((3,), r"^init_mlp: sizes needs at least an input and an output width"),
                                          ((3, 0, 2), r"^init_mlp: sizes must be a tuple of positive integers"),
                                          ((), r"^init_mlp: sizes must be a tuple of positive integers")])
def test_init_mlp_rejects_bad_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        layers.init_mlp(KEY, sizes)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_rejects_rate_outside_zero_one(rate):
    with pytest.raises(ValueError, match=rf"^dropout: rate is the probability of dropping a unit and must be in "
                                         rf"\[0, 1\), got {rate!r}"):
        layers.dropout(KEY, np.ones(3), rate, train=True)


# ---- parameter counts (lecture 2) -----------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(2, 3), (2, 8, 2), (4, 5, 6, 3)])
def test_count_params_matches_the_arrays_and_the_formula(sizes):
    params = layers.init_mlp(KEY, sizes)
    by_arrays = sum(np.asarray(p.W).size + np.asarray(p.b).size for p in params)
    by_loop = 0
    for m, n in zip(sizes[:-1], sizes[1:]):
        by_loop += m * n + n
    assert layers.count_params(params) == by_arrays == by_loop == layers.mlp_param_count(sizes)


def test_mlp_param_count_without_bias():
    assert layers.mlp_param_count((3, 4, 2), bias=False) == 3 * 4 + 4 * 2


def test_seed004_equal_budget_widths_of_seide_et_al():
    # 11 frames x 39 features in, 9,304 tied states out (Seide, Li and Yu 2011), weights only
    d_in, d_out = 11 * 39, 9304
    for depth, width in [(5, 3772), (7, 4634)]:
        deep = layers.mlp_param_count((d_in,) + (2048,) * depth + (d_out,), bias=False)
        assert round(deep / (d_in + d_out)) == width
        assert layers.mlp_param_count((d_in, width, d_out), bias=False) == pytest.approx(deep, rel=2e-4)


@pytest.mark.parametrize("sizes", [(3,), (), (2, 0, 1)])
def test_mlp_param_count_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError, match=r"^mlp_param_count: sizes"):
        layers.mlp_param_count(sizes)


# Seed 003's worked three-layer sigmoid network (slide "Fully connected feed-forward network: FC-FFN"),
# recomputed with NumPy alone; lecture 1 shows these errata.
_SEED003_LAYERS = [(np.array([[1.0, -1.0], [-2.0, 1.0]]), np.array([1.0, 0.0])),
                   (np.array([[2.0, -2.0], [-1.0, -1.0]]), np.array([0.0, 0.0])),
                   (np.array([[3.0, -1.0], [-1.0, 4.0]]), np.array([-2.0, 2.0]))]


def _seed003_forward(x, first_W=None):
    h = np.asarray(x, dtype=float)
    for i, (W, b) in enumerate(_SEED003_LAYERS):
        h = 1 / (1 + np.exp(-(h @ (first_W if i == 0 and first_W is not None else W) + b)))
    return h


def test_seed003_first_layer_as_printed_gives_zero_not_the_slides_4_minus_2():
    printed = np.array([[1.0, -1.0], [2.0, -1.0]])
    np.testing.assert_allclose(np.array([1.0, -1.0]) @ printed + [1.0, 0.0], [0.0, 0.0])
    np.testing.assert_allclose(np.array([1.0, -1.0]) @ _SEED003_LAYERS[0][0] + [1.0, 0.0], [4.0, -2.0])


def test_seed003_network_output_is_0_62_0_83_not_the_slides_minus_0_83():
    np.testing.assert_allclose(np.round(_seed003_forward([1.0, -1.0]), 2), [0.62, 0.83])
    np.testing.assert_allclose(np.round(_seed003_forward([0.0, 0.0]), 2), [0.51, 0.85])  # the slide's, right


def test_mlp_reproduces_the_seed003_network():
    params = tuple(layers.DenseParams(jnp.asarray(W, jnp.float32), jnp.asarray(b, jnp.float32))
                   for W, b in _SEED003_LAYERS)
    x = jnp.array([[1.0, -1.0], [0.0, 0.0]])
    out = activations.sigmoid(layers.mlp(params, x, activation=activations.sigmoid))
    np.testing.assert_allclose(out, np.stack([_seed003_forward(r) for r in np.asarray(x)]), rtol=1e-5)


# ---- lecture 2: the slides' XOR networks and forward passes, recomputed with NumPy loops -------------

def _l2_sigmoid(s):
    return 1.0 / (1.0 + np.exp(-np.asarray(s, np.float64)))


L2_XOR_CORNERS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_seed002_sigmoid_xor_network_holds_all_twelve_claims_and_computes_xor():
    for x1, x2 in L2_XOR_CORNERS:
        h1, h2 = _l2_sigmoid(20 * x1 + 20 * x2 - 10), _l2_sigmoid(-20 * x1 - 20 * x2 + 30)
        y = _l2_sigmoid(20 * h1 + 20 * h2 - 30)
        assert abs(y - (x1 ^ x2)) < 1e-4
        assert abs(h1 - (x1 | x2)) < 1e-4 and abs(h2 - (1 - (x1 & x2))) < 1e-4
    for h1, h2, claim in [(0, 1, 0), (1, 0, 0), (1, 1, 1)]:
        assert abs(_l2_sigmoid(20 * h1 + 20 * h2 - 30) - claim) < 1e-4


def test_seed002_sigmoid_xor_network_through_layers_dense():
    hidden = layers.DenseParams(np.array([[20.0, -20.0], [20.0, -20.0]], np.float32), np.array([-10.0, 30.0], np.float32))
    output = layers.DenseParams(np.array([[20.0], [20.0]], np.float32), np.array([-30.0], np.float32))
    x = np.array(L2_XOR_CORNERS, np.float32)
    y = activations.sigmoid(layers.dense(output, activations.sigmoid(layers.dense(hidden, x))))[:, 0]
    np.testing.assert_allclose(np.asarray(y), [0, 1, 1, 0], atol=1e-4)


def test_seed002_pm1_xor_output_unit_is_h1_minus_h2_minus_1_not_h1_plus_h2_minus_1():
    g = lambda a: 1 if a >= 0 else -1  # noqa: E731
    slide_o, slide_y = [-1, 1, 1, -1], [-1, 1, 1, -1]
    fixed, printed = [], []
    for x1, x2 in [(0.5, 0.5), (1.5, 0.5), (0.5, 1.5), (1.5, 1.5)]:
        h1, h2 = g(x1 + x2 - 1.5), g(x1 + x2 - 2.5)
        fixed.append((h1 - h2 - 1, g(h1 - h2 - 1)))
        printed.append((h1 + h2 - 1, g(h1 + h2 - 1)))
    assert [o for o, _ in fixed] == slide_o and [y for _, y in fixed] == slide_y
    assert [o for o, _ in printed] == [-3, -1, -1, 1] and [y for _, y in printed] == [-1, -1, -1, 1]


def test_seed002_output_node_sum_over_i_is_the_matrix_product_not_p_plus_1_copies():
    w, h = np.array([-30.0, 20.0, 20.0]), np.array([1.0, 0.3, 0.9])  # h_0 = 1 carries the bias
    intended = sum(w[i] * h[i] for i in range(3))
    assert intended == pytest.approx(float(h @ w))
    assert 3 * w[2] * h[2] != pytest.approx(intended)


L2_SEED003_NET = [(np.array([[1.0, -1.0], [-2.0, 1.0]]), np.array([1.0, 0.0])),   # lecture 1's corrected W1
               (np.array([[2.0, -2.0], [-1.0, -1.0]]), np.array([0.0, 0.0])),
               (np.array([[3.0, -1.0], [-1.0, 4.0]]), np.array([-2.0, 2.0]))]


def _l2_seed003_trace(x):
    a, trace = np.asarray(x, np.float64), []
    for W, b in L2_SEED003_NET:
        z = np.array([sum(a[i] * W[i, j] for i in range(2)) + b[j] for j in range(2)])
        a = _l2_sigmoid(z)
        trace.append((z, a))
    return trace


def test_seed003_forward_pass_every_intermediate_vector():
    trace = _l2_seed003_trace([1.0, -1.0])
    np.testing.assert_allclose(trace[0][0], [4, -2])
    np.testing.assert_allclose(trace[0][1], [0.98, 0.12], atol=0.005)
    np.testing.assert_allclose(trace[1][0], [1.84, -2.08], atol=0.01)
    np.testing.assert_allclose(trace[1][1], [0.86, 0.11], atol=0.005)
    np.testing.assert_allclose(trace[2][0], [0.48, 1.58], atol=0.005)   # the slide's "[??, ??]"
    np.testing.assert_allclose(trace[2][1], [0.62, 0.83], atol=0.005)
    zero = _l2_seed003_trace([0.0, 0.0])
    np.testing.assert_allclose([a for _, a in zero], [[0.73, 0.50], [0.72, 0.12], [0.51, 0.85]], atol=0.005)


def test_seed003_do_it_yourself_from_the_rounded_second_layer_gives_0_47_1_58():
    W, b = L2_SEED003_NET[2]
    np.testing.assert_allclose(np.array([0.86, 0.11]) @ W + b, [0.47, 1.58], atol=1e-9)


def test_seed003_forward_row_and_column_conventions_and_layers_mlp_agree():
    x = np.array([[1.0, -1.0], [0.0, 0.0]], np.float32)
    net = tuple(layers.DenseParams(W.astype(np.float32), b.astype(np.float32)) for W, b in L2_SEED003_NET)
    row = activations.sigmoid(layers.mlp(net, x, activation=activations.sigmoid))
    col = x.T.astype(np.float64)
    for W, b in L2_SEED003_NET:
        col = _l2_sigmoid(W.T @ col + b[:, None])
    np.testing.assert_allclose(np.asarray(row), col.T, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(row), [_l2_seed003_trace(v)[-1][1] for v in x], rtol=1e-5)


def test_seed004_matrix_operation_bias_is_1_0_and_4_minus_2_is_z():
    W_col, x = np.array([[1.0, -2.0], [-1.0, 1.0]]), np.array([1.0, -1.0])
    np.testing.assert_array_equal(W_col, L2_SEED003_NET[0][0].T)
    np.testing.assert_allclose(W_col @ x + np.array([1.0, 0.0]), [4.0, -2.0])
    np.testing.assert_allclose(_l2_sigmoid(W_col @ x + np.array([1.0, 0.0])), [0.98, 0.12], atol=0.005)
    np.testing.assert_allclose(W_col @ x + np.array([4.0, -2.0]), [7.0, -4.0])   # the label's bias: wrong output
    assert abs(_l2_sigmoid(7.0) - 0.98) > 0.01


def test_seed004_homogeneous_form_has_one_output_per_unit():
    rng = np.random.default_rng(0)
    for J, N in [(1, 4), (3, 5)]:
        W, b, x = rng.normal(size=(J, N)), rng.normal(size=J), rng.normal(size=N)
        z = np.hstack([W, b[:, None]]) @ np.append(x, 1.0)
        assert z.shape == (J,)
        np.testing.assert_allclose(z, [sum(W[j, k] * x[k] for k in range(N)) + b[j] for j in range(J)])


def test_universality_best_broken_line_through_x_squared_has_error_one_over_8h2_never_zero():
    x = np.linspace(0, 1, 4001)
    for H in [1, 2, 5, 16, 64]:
        knots = np.linspace(0, 1, H + 1)
        gap = np.max(np.interp(x, knots, knots ** 2) - x ** 2)
        assert gap / 2 == pytest.approx(1 / (8 * H ** 2), rel=1e-3) and gap > 0


def test_tent_network_of_l_layers_has_2_to_the_l_pieces():
    first = layers.DenseParams(np.array([[1.0, 1.0]], np.float32), np.array([0.0, -0.5], np.float32))
    middle = layers.DenseParams(np.array([[2.0, 2.0], [-4.0, -4.0]], np.float32), np.array([0.0, -0.5], np.float32))
    last = layers.DenseParams(np.array([[2.0], [-4.0]], np.float32), np.array([0.0], np.float32))
    x = np.linspace(0, 1, 2 ** 10 + 1, dtype=np.float32)[:, None]
    tent = lambda v: np.where(v < 0.5, 2 * v, 2 - 2 * v)  # noqa: E731
    for L in [1, 3, 5]:
        y = np.asarray(layers.mlp((first,) + (middle,) * (L - 1) + (last,), x))[:, 0]
        expected = x[:, 0].astype(np.float64)
        for _ in range(L):
            expected = tent(expected)
        np.testing.assert_allclose(y, expected, atol=1e-5)
        assert np.sum(np.abs(np.diff(np.sign(np.diff(y)))) > 0) + 1 == 2 ** L


def test_seed000_one_hidden_layer_is_shallow_deep_needs_two():
    assert len((2, 54, 2)) - 2 == 1 and len((2, 10, 10, 10, 2)) - 2 == 3

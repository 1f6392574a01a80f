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

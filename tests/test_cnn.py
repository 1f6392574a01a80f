"""course_lib.cnn: the LeNet-style network's shapes, its forward pass against the same network written
with jax.lax primitives and NumPy, the intermediate maps it exposes, and its ValueErrors."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import cnn, layers

KEY = jax.random.PRNGKey(0)
RNG = np.random.default_rng(0)


def _reference_forward(params, x, pool):
    """conv (lax.conv_general_dilated, 'SAME') → ReLU → max pool (lax.reduce_window) per block, then NumPy dense."""
    h = jnp.asarray(x)
    for layer in params.convs:
        z = jax.lax.conv_general_dilated(h, layer.w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        a = np.maximum(np.asarray(z) + np.asarray(layer.b), 0.0)
        h = jax.lax.reduce_window(jnp.asarray(a), -jnp.inf, jax.lax.max, (1, pool, pool, 1), (1, pool, pool, 1),
                                  "VALID")
    h = np.asarray(h).reshape(len(x), -1)
    for i, dense in enumerate(params.dense):
        h = h @ np.asarray(dense.W) + np.asarray(dense.b)
        if i < len(params.dense) - 1:
            h = np.maximum(h, 0.0)
    return h


def test_shapes_of_the_digits_network():
    assert cnn.cnn_shapes((8, 8, 1), (16, 32)) == [
        ("input", (8, 8, 1)), ("conv1", (8, 8, 16)), ("pool1", (4, 4, 16)),
        ("conv2", (4, 4, 32)), ("pool2", (2, 2, 32)), ("flat", (128,))]


def test_shapes_of_odd_maps_drop_the_last_row_when_pooling():
    assert cnn.cnn_shapes((9, 7, 3), (4,), kernel=5, pool=2)[-2:] == [("pool1", (4, 3, 4)), ("flat", (48,))]
    assert cnn.cnn_shapes((12, 12, 1), (2, 2), pool=3)[-2:] == [("pool2", (1, 1, 2)), ("flat", (2,))]


def test_init_cnn_parameter_shapes():
    params = cnn.init_cnn(KEY, (8, 8, 1), (16, 32), 10, hidden=(20,))
    assert [p.w.shape for p in params.convs] == [(3, 3, 1, 16), (3, 3, 16, 32)]
    assert [p.b.shape for p in params.convs] == [(16,), (32,)]
    assert [d.W.shape for d in params.dense] == [(128, 20), (20, 10)]
    assert all(np.all(np.asarray(p.b) == 0) for p in params.convs)


def test_init_conv_is_he_normal_by_default():
    w = cnn.init_conv(KEY, 5, 16, 64).w
    assert w.shape == (5, 5, 16, 64)
    assert float(jnp.std(w)) == pytest.approx(np.sqrt(2 / (5 * 5 * 16)), rel=0.05)


@pytest.mark.parametrize("in_shape, channels, kernel, pool, hidden", [
    ((8, 8, 1), (16, 32), 3, 2, ()), ((9, 7, 3), (4,), 5, 2, (6,)), ((12, 12, 2), (3, 5), 3, 3, ())])
def test_forward_pass_matches_lax_and_numpy(in_shape, channels, kernel, pool, hidden):
    params = cnn.init_cnn(KEY, in_shape, channels, 7, kernel=kernel, pool=pool, hidden=hidden)
    params = params._replace(convs=tuple(p._replace(b=jnp.asarray(RNG.normal(size=p.b.shape), jnp.float32))
                                         for p in params.convs))
    x = RNG.normal(size=(3, *in_shape)).astype(np.float32)
    logits = cnn.cnn(params, x, pool=pool)
    assert logits.shape == (3, 7)
    np.testing.assert_allclose(logits, _reference_forward(params, x, pool), rtol=1e-4, atol=1e-4)


def test_activations_keep_every_intermediate_map():
    params = cnn.init_cnn(KEY, (8, 8, 1), (16, 32), 10)
    x = RNG.uniform(size=(2, 8, 8, 1)).astype(np.float32)
    out = cnn.cnn_activations(params, x)
    assert list(out) == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flat", "logits"]
    shapes = dict(cnn.cnn_shapes((8, 8, 1), (16, 32)))
    for name in ("conv1", "pool1", "conv2", "pool2", "flat"):
        assert out[name].shape[1:] == shapes[name]
    np.testing.assert_array_equal(out["relu1"], np.maximum(np.asarray(out["conv1"]), 0))
    np.testing.assert_array_equal(out["flat"], np.asarray(out["pool2"]).reshape(2, -1))
    np.testing.assert_allclose(out["logits"], layers.mlp(params.dense, out["flat"]), rtol=1e-6)


def test_forward_pass_jits_and_differentiates():
    params = cnn.init_cnn(KEY, (8, 8, 1), (4, 8), 10)
    x = jnp.asarray(RNG.uniform(size=(5, 8, 8, 1)).astype(np.float32))
    loss = jax.jit(jax.grad(lambda p: jnp.sum(cnn.cnn(p, x) ** 2)))
    grads = loss(params)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)
    assert float(jnp.sum(jnp.abs(grads.convs[0].w))) > 0


def test_cnn_rejects_wrong_channels_and_wrong_input_size():
    params = cnn.init_cnn(KEY, (8, 8, 1), (4, 8), 10)
    with pytest.raises(ValueError, match=r"cnn: x has 3 channels but the first conv layer expects 1"):
        cnn.cnn(params, np.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match=r"cnn: the last pooled maps \(3, 3, 8\) flatten to 72 features but the "
                                         r"dense layer expects 32"):
        cnn.cnn(params, np.zeros((1, 12, 12, 1)))
    with pytest.raises(ValueError, match=r"cnn: x must have shape \(N, H, W, C\), got shape \(8, 8, 1\)"):
        cnn.cnn(params, np.zeros((8, 8, 1)))


def test_cnn_shapes_rejects_even_kernels_and_too_many_blocks():
    with pytest.raises(ValueError, match="cnn_shapes: kernel must be odd"):
        cnn.cnn_shapes((8, 8, 1), (4,), kernel=4)
    with pytest.raises(ValueError, match=r"cnn_shapes: pool 2 is larger than the 1×1 maps after conv4"):
        cnn.cnn_shapes((8, 8, 1), (4, 4, 4, 4))
    with pytest.raises(ValueError, match="init_conv: c_out must be a positive integer, got 0"):
        cnn.init_conv(KEY, 3, 1, 0)

"""course_lib.backprop: the hand-written backward pass against jax.grad, against a naive NumPy loop over
the seeds' index formulas and against central differences; numerical_gradient and relative_error against
closed forms; and every number of the seeds' worked backpropagation examples recomputed independently."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import activations, backprop, layers, losses
from course_lib.layers import DenseParams

KEY = jax.random.PRNGKey(0)


def _net(sizes, seed=0, scale=1.0):
    params = layers.init_mlp(jax.random.PRNGKey(seed), sizes)
    # non-zero biases, so that a forgotten bias gradient shows
    return tuple(DenseParams(p.W * scale, 0.3 * jax.random.normal(jax.random.PRNGKey(seed + 7 + i), p.b.shape))
                 for i, p in enumerate(params))


def _data(n, d_in, d_out, seed=1):
    kx, kt = jax.random.split(jax.random.PRNGKey(seed))
    return jax.random.normal(kx, (n, d_in)), jax.random.uniform(kt, (n, d_out))


def _autodiff_cost(params, x, t, activation, output_activation):
    g = backprop.ACTIVATIONS[activation][0]
    g_out = backprop.ACTIVATIONS[output_activation][0]
    h = x
    for layer in params[:-1]:
        h = g(h @ layer.W + layer.b)
    return losses.squared_error(g_out(h @ params[-1].W + params[-1].b), t)


def _assert_trees_close(a, b, rtol=1e-5, atol=1e-6):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=rtol, atol=atol)


# ---- forward ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "softplus"])
def test_forward_with_identity_output_equals_layers_mlp(activation):
    params = _net((4, 6, 5, 3))
    x, _ = _data(7, 4, 3)
    y, cache = backprop.forward(params, x, activation)
    expected = layers.mlp(params, x, activation=getattr(activations, activation))
    np.testing.assert_allclose(np.asarray(y), np.asarray(expected), rtol=1e-6, atol=1e-6)
    assert [z.shape for z in cache.z] == [(7, 6), (7, 5), (7, 3)]
    assert [a.shape for a in cache.a] == [(7, 4), (7, 6), (7, 5), (7, 3)]
    np.testing.assert_array_equal(np.asarray(cache.a[0]), np.asarray(x))


def test_forward_keeps_z_and_a_equal_to_a_numpy_loop():
    params = _net((3, 4, 2))
    x, _ = _data(5, 3, 2)
    _, cache = backprop.forward(params, x, "sigmoid", "sigmoid")
    a = np.asarray(x, np.float64)
    for layer, z_got, a_got in zip(params, cache.z, cache.a[1:]):
        W, b = np.asarray(layer.W, np.float64), np.asarray(layer.b, np.float64)
        z = np.array([[sum(a[n, j] * W[j, i] for j in range(W.shape[0])) + b[i] for i in range(W.shape[1])]
                      for n in range(a.shape[0])])
        a = 1 / (1 + np.exp(-z))
        np.testing.assert_allclose(np.asarray(z_got), z, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(a_got), a, rtol=1e-5, atol=1e-6)


# ---- deltas and backward ------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(2, 2, 2), (4, 6, 5, 3), (3, 1, 4), (5, 3, 3, 3, 2)])
@pytest.mark.parametrize("activation, output_activation", [("sigmoid", "sigmoid"), ("tanh", "identity"),
                                                           ("relu", "identity"), ("softplus", "sigmoid")])
def test_deltas_equal_autodiff_derivatives_with_respect_to_each_z(sizes, activation, output_activation):
    """δˡ = ∂C/∂zˡ: jax.grad of the cost with an additive perturbation εˡ on zˡ, at ε = 0."""
    params = _net(sizes, seed=len(sizes))
    x, t = _data(6, sizes[0], sizes[-1])
    y, cache = backprop.forward(params, x, activation, output_activation)
    grad_y = (y - t) / x.shape[0]
    got = backprop.deltas(params, cache, grad_y, activation, output_activation)
    g = backprop.ACTIVATIONS[activation][0]
    g_out = backprop.ACTIVATIONS[output_activation][0]

    def cost(eps):
        h = x
        for l, layer in enumerate(params):
            z = h @ layer.W + layer.b + eps[l]
            h = g_out(z) if l == len(params) - 1 else g(z)
        return losses.squared_error(h, t)

    expected = jax.grad(cost)([jnp.zeros_like(z) for z in cache.z])
    assert len(got) == len(params)
    for d, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(d), np.asarray(e), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("sizes", [(2, 2, 2), (4, 6, 5, 3), (3, 1, 4), (5, 3, 3, 3, 2), (6, 4)])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "softplus"])
@pytest.mark.parametrize("output_activation", ["identity", "sigmoid"])
def test_loss_and_gradients_squared_error_match_jax_grad(sizes, activation, output_activation):
    params = _net(sizes, seed=sum(sizes))
    x, t = _data(9, sizes[0], sizes[-1])
    cost, grads = backprop.loss_and_gradients(params, x, t, activation=activation,
                                              output_activation=output_activation)
    expected_cost, expected = jax.value_and_grad(_autodiff_cost)(params, x, t, activation, output_activation)
    assert float(cost) == pytest.approx(float(expected_cost), rel=1e-6)
    assert all(isinstance(g, DenseParams) for g in grads)
    _assert_trees_close(grads, expected)


@pytest.mark.parametrize("sizes", [(64, 16, 10), (4, 6, 5, 3), (3, 2)])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_loss_and_gradients_softmax_cross_entropy_match_jax_grad(sizes, activation):
    params = _net(sizes, seed=3)
    x, _ = _data(11, sizes[0], 1)
    labels = jax.random.randint(jax.random.PRNGKey(5), (11,), 0, sizes[-1])

    def cost(p):
        return losses.softmax_cross_entropy(layers.mlp(p, x, activation=getattr(activations, activation)), labels)

    got_cost, got = backprop.loss_and_gradients(params, x, labels, loss="softmax_cross_entropy",
                                                activation=activation)
    assert float(got_cost) == pytest.approx(float(cost(params)), rel=1e-6)
    _assert_trees_close(got, jax.grad(cost)(params))


def test_backward_equals_a_naive_loop_over_the_seed_index_formulas():
    """∂C/∂wᵢⱼˡ = Σₙ aⱼˡ⁻¹ δᵢˡ with δᵢˡ = σ'(zᵢˡ) Σₖ wₖᵢˡ⁺¹ δₖˡ⁺¹ (seed 004), written as loops in float64."""
    params = _net((3, 4, 2), seed=11)
    x, t = _data(5, 3, 2)
    sig = lambda z: 1 / (1 + np.exp(-z))
    Ws = [np.asarray(p.W, np.float64) for p in params]
    bs = [np.asarray(p.b, np.float64) for p in params]
    X, T = np.asarray(x, np.float64), np.asarray(t, np.float64)
    N = len(X)
    dW = [np.zeros_like(W) for W in Ws]
    db = [np.zeros_like(b) for b in bs]
    for n in range(N):
        a0 = X[n]
        z1 = np.array([sum(a0[j] * Ws[0][j, i] for j in range(3)) + bs[0][i] for i in range(4)])
        a1 = sig(z1)
        z2 = np.array([sum(a1[j] * Ws[1][j, i] for j in range(4)) + bs[1][i] for i in range(2)])
        a2 = sig(z2)
        d2 = [a2[i] * (1 - a2[i]) * (a2[i] - T[n, i]) / N for i in range(2)]
        d1 = [a1[i] * (1 - a1[i]) * sum(Ws[1][i, k] * d2[k] for k in range(2)) for i in range(4)]
        for i in range(2):
            db[1][i] += d2[i]
            for j in range(4):
                dW[1][j, i] += a1[j] * d2[i]
        for i in range(4):
            db[0][i] += d1[i]
            for j in range(3):
                dW[0][j, i] += a0[j] * d1[i]
    _, grads = backprop.loss_and_gradients(params, x, t, output_activation="sigmoid")
    for g, w, b in zip(grads, dW, db):
        np.testing.assert_allclose(np.asarray(g.W), w, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(np.asarray(g.b), b, rtol=1e-5, atol=1e-7)


def test_backward_gradients_pass_a_float64_central_difference_check():
    params = _net((5, 7, 4, 3), seed=2)
    x, t = _data(8, 5, 3)
    _, grads = backprop.loss_and_gradients(params, x, t, activation="tanh", output_activation="sigmoid")
    result = backprop.gradient_check(lambda p: _autodiff_cost(p, x, t, "tanh", "sigmoid"), params, grads)
    assert result.ok and result.max_error < 1e-5


# ---- validation ---------------------------------------------------------------------------------------

def test_forward_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match=r"^forward: activation must be one of \['identity', 'relu', 'sigmoid', "
                                         r"'softplus', 'tanh'\], got 'swish'"):
        backprop.forward(_net((2, 2)), jnp.ones((1, 2)), "swish")


def test_forward_rejects_x_with_the_wrong_number_of_features():
    with pytest.raises(ValueError, match=r"^forward: x has 3 features but layer 1's W expects 2 \(W \(2, 4\)\)"):
        backprop.forward(_net((2, 4, 1)), jnp.ones((5, 3)))


def test_forward_rejects_layers_that_do_not_chain():
    params = (DenseParams(jnp.ones((2, 4)), jnp.zeros(4)), DenseParams(jnp.ones((3, 1)), jnp.zeros(1)))
    with pytest.raises(ValueError, match=r"^forward: layer 1 outputs 4 features but layer 2's W expects 3"):
        backprop.forward(params, jnp.ones((5, 2)))


def test_forward_rejects_a_single_layer_not_in_a_sequence_and_a_vector_x():
    with pytest.raises(ValueError, match=r"^forward: params must be a non-empty sequence of DenseParams"):
        backprop.forward(_net((2, 2))[0], jnp.ones((1, 2)))
    with pytest.raises(ValueError, match=r"^forward: x must have shape \(N, D_0\), got shape \(2,\)"):
        backprop.forward(_net((2, 2)), jnp.ones(2))


def test_deltas_rejects_grad_output_of_the_wrong_shape():
    params = _net((2, 3, 2))
    _, cache = backprop.forward(params, jnp.ones((4, 2)))
    with pytest.raises(ValueError, match=r"^deltas: grad_output must have the shape of the output, \(4, 2\), "
                                         r"got \(2, 4\)"):
        backprop.deltas(params, cache, jnp.ones((2, 4)))


def test_loss_and_gradients_rejects_bad_loss_target_and_output_activation():
    params, x = _net((2, 3, 2)), jnp.ones((4, 2))
    with pytest.raises(ValueError, match=r"^loss_and_gradients: loss must be one of"):
        backprop.loss_and_gradients(params, x, jnp.ones((4, 2)), loss="hinge")
    with pytest.raises(ValueError, match=r"^loss_and_gradients: target must have the output's shape \(N, D_L\) = "
                                         r"\(4, 2\) for the squared error, got \(4,\)"):
        backprop.loss_and_gradients(params, x, jnp.ones(4))
    with pytest.raises(ValueError, match=r"^loss_and_gradients: target must be integer labels of shape \(N,\)"):
        backprop.loss_and_gradients(params, x, jnp.ones(4), loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"output_activation must be 'identity', got 'sigmoid'"):
        backprop.loss_and_gradients(params, x, jnp.zeros(4, jnp.int32), loss="softmax_cross_entropy",
                                    output_activation="sigmoid")


# ---- numerical_gradient ----------------------------------------------------------------------------------

def test_numerical_gradient_of_a_quadratic_form_is_A_w_in_float64():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    A = A + A.T
    w = rng.normal(size=5)
    with jax.enable_x64(True):
        got = backprop.numerical_gradient(lambda v: 0.5 * v @ jnp.asarray(A) @ v, jnp.asarray(w))
        assert got.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(got), A @ w, rtol=1e-9, atol=1e-9)


def test_numerical_gradient_keeps_the_pytree_structure_and_matches_closed_forms():
    params = {"a": jnp.array([0.3, -1.2, 2.0]), "B": jnp.array([[0.5, 1.0], [-0.7, 0.1]])}
    f = lambda p: jnp.sum(jnp.sin(p["a"])) + jnp.sum(p["B"] ** 3)
    with jax.enable_x64(True):
        p64 = jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float64), params)
        got = backprop.numerical_gradient(f, p64)
    np.testing.assert_allclose(np.asarray(got["a"]), np.cos(np.asarray(params["a"], np.float64)), rtol=1e-8)
    np.testing.assert_allclose(np.asarray(got["B"]), 3 * np.asarray(params["B"], np.float64) ** 2, rtol=1e-8)


def test_numerical_gradient_in_float32_is_close_with_its_default_step():
    w = jnp.array([0.5, -1.0, 2.0])
    got = backprop.numerical_gradient(lambda v: jnp.sum(jnp.exp(v)), w)
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(got), np.exp(np.asarray(w, np.float64)), rtol=1e-3)


def test_numerical_gradient_error_shrinks_like_h_squared_in_float64():
    """Central differences are second order: halving h divides the error of f = exp by about 4."""
    with jax.enable_x64(True):
        w = jnp.array([1.0], jnp.float64)
        err = [abs(float(backprop.numerical_gradient(lambda v: jnp.sum(jnp.exp(v)), w, h)[0]) - math.e)
               for h in (1e-2, 5e-3)]
    assert err[0] / err[1] == pytest.approx(4.0, rel=0.01)


def test_numerical_gradient_matches_jax_grad_on_an_mlp_loss():
    params = _net((4, 5, 3), seed=4)
    x, t = _data(6, 4, 3)
    f = lambda p: _autodiff_cost(p, x, t, "sigmoid", "identity")
    with jax.enable_x64(True):
        p64 = jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float64), params)
        numeric = backprop.numerical_gradient(f, p64)
        exact = jax.grad(f)(p64)
    assert backprop.relative_error(numeric, exact) < 1e-8


@pytest.mark.parametrize("f, params, eps, match", [
    (lambda p: p * 2, jnp.ones(3), None, r"^numerical_gradient: f must return a scalar, got shape \(3,\)"),
    (lambda p: jnp.sum(p), jnp.ones(3, jnp.int32), None, r"^numerical_gradient: params must hold floating-point"),
    (lambda p: jnp.sum(p), jnp.ones(3), 0.0, r"^numerical_gradient: eps \(the step h\) must be positive, got 0.0"),
])
def test_numerical_gradient_rejects_bad_input(f, params, eps, match):
    with pytest.raises(ValueError, match=match):
        backprop.numerical_gradient(f, params, eps)


# ---- relative_error and gradient_check ---------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    ([1.0, 2.0], [1.0, 2.0], 0.0),
    ([0.0, 0.0], [0.0, 0.0], 0.0),
    ([3.0, 4.0], [0.0, 0.0], 1.0),
    ([1.0, 0.0], [0.0, 1.0], math.sqrt(2) / 2),
    ([1.0, 1.0], [1.0, 1.001], math.sqrt(1e-6) / (math.sqrt(2) + math.sqrt(1 + 1.001 ** 2))),
])
def test_relative_error_closed_forms(a, b, expected):
    assert backprop.relative_error(np.array(a), np.array(b)) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_relative_error_over_a_pytree_uses_all_leaves_together():
    a = (np.array([3.0]), {"x": np.array([0.0, 4.0])})
    b = (np.array([0.0]), {"x": np.array([0.0, 0.0])})
    assert backprop.relative_error(a, b) == pytest.approx(1.0)
    b2 = (np.array([3.0]), {"x": np.array([0.0, 0.0])})
    assert backprop.relative_error(a, b2) == pytest.approx(4.0 / (5.0 + 3.0))


def test_relative_error_rejects_different_structures_and_shapes():
    with pytest.raises(ValueError, match=r"^relative_error: a and b must have the same structure"):
        backprop.relative_error((np.ones(2),), [np.ones(2)])
    with pytest.raises(ValueError, match=r"^relative_error: a and b must have the same shapes, got \(2,\) and \(3,\)"):
        backprop.relative_error(np.ones(2), np.ones(3))


def test_gradient_check_passes_jax_grad_and_reports_every_array():
    params = _net((3, 4, 2), seed=9)
    x, t = _data(5, 3, 2)
    result = backprop.gradient_check(lambda p: _autodiff_cost(p, x, t, "sigmoid", "sigmoid"), params)
    assert result.ok
    assert list(result.errors) == ["[0].W", "[0].b", "[1].W", "[1].b"]
    text = str(result)
    assert text.splitlines()[0].startswith("[0].W  relative error ")
    assert text.splitlines()[-1].startswith("gradient check passed: largest relative error ")
    assert result.max_error < backprop.FLOAT32_ROUNDING and "relative error < 1e-06  ok" in text  # no noise digits


@pytest.mark.parametrize("err, floor, shown", [(7.06e-1, 1e-6, "7.1e-01"), (1.04e-6, 1e-6, "1.0e-06"),
                                               (9.9e-7, 1e-6, "< 1e-06"), (0.0, 1e-6, "< 1e-06"),
                                               (8e-12, 1e-10, "< 1e-10"), (np.float32(2e-3), 1e-6, "2.0e-03")])
def test_format_error_hides_rounding_noise_below_the_floor(err, floor, shown):
    assert backprop.format_error(err, floor) == shown


def test_gradient_check_catches_a_backward_pass_without_the_sigmoid_derivative():
    params = _net((3, 4, 2), seed=9)
    x, t = _data(5, 3, 2)
    y, cache = backprop.forward(params, x, "sigmoid", "sigmoid")
    # the mistake: treat the sigmoid units as if g' = 1 (identity) in the backward pass
    wrong = backprop.backward(params, cache, (y - t) / 5, "identity", "identity")
    result = backprop.gradient_check(lambda p: _autodiff_cost(p, x, t, "sigmoid", "sigmoid"), params, wrong)
    assert not result.ok and result.max_error > 0.1
    assert "WRONG?" in str(result) and "gradient check FAILED" in str(result)


def test_gradient_check_rejects_grads_of_another_structure():
    params = _net((3, 2))
    with pytest.raises(ValueError, match=r"^gradient_check: grads must have the structure of params"):
        backprop.gradient_check(lambda p: jnp.sum(p[0].W), params, [jnp.zeros((3, 2))])


# ---- seed 002, "MLP: Training, Error Back-Propagation: Example" --------------------------------------------
# x = (0.5, 0.5) with bias input 1; hidden weights (w_j1, w_j2, w_j0) = (1, 1, 0) and (0, 1, −2); output
# weights (w_1, w_2, w_0) = (1, 1, 1); linear output; target 1; η = 0.1; L = ½ (y − ŷ)².
# The reference here is plain Python (math.exp) for the forward pass and jax.grad for the gradients.

def _sig(a):
    return 1 / (1 + math.exp(-a))


X002, W1_002, W2_002, TARGET, ETA = (0.5, 0.5, 1.0), ((1.0, 1.0, 0.0), (0.0, 1.0, -2.0)), (1.0, 1.0, 1.0), 1.0, 0.1


def _seed002_forward():
    a = [sum(w * x for w, x in zip(row, X002)) for row in W1_002]
    h = [_sig(v) for v in a]
    y = W2_002[0] * h[0] + W2_002[1] * h[1] + W2_002[2] * 1.0
    return a, h, y


def _seed002_loss(w1, w2):
    x = jnp.asarray(X002)
    h = activations.sigmoid(w1 @ x)
    return 0.5 * (TARGET - (w2[:2] @ h + w2[2])) ** 2


def _seed002_step():
    w1, w2 = jnp.asarray(W1_002), jnp.asarray(W2_002)
    g1, g2 = jax.grad(_seed002_loss, argnums=(0, 1))(w1, w2)
    return np.asarray(w1 - ETA * g1, np.float64), np.asarray(w2 - ETA * g2, np.float64)


def test_seed002_hidden_outputs_are_0731_and_0182_not_the_slides_0269_and_0818():
    a, h, _ = _seed002_forward()
    assert a == [1.0, -1.5]                                   # the slide's a₁ = 1 and a₂ = −1.5 are right
    assert round(h[0], 3) == 0.731 and round(h[1], 3) == 0.182
    # the slide's numbers are σ(−a): the sign of the exponent is flipped for both units
    assert round(_sig(-1.0), 3) == 0.269 and round(_sig(1.5), 3) == 0.818


def test_seed002_network_output_is_1913_not_the_slides_2087():
    _, _, y = _seed002_forward()
    assert round(y, 3) == 1.913
    assert round(0.269 + 0.818 + 1, 3) == 2.087                # what the slide's wrong h values add up to


def test_seed002_library_backprop_reproduces_the_forward_pass_and_gradients():
    params = (DenseParams(jnp.asarray(W1_002)[:, :2].T, jnp.asarray(W1_002)[:, 2]),
              DenseParams(jnp.asarray(W2_002)[:2, None], jnp.asarray(W2_002)[2:]))
    x = jnp.asarray([X002[:2]])
    y, cache = backprop.forward(params, x, "sigmoid", "identity")
    _, _, y_ref = _seed002_forward()
    assert float(y[0, 0]) == pytest.approx(y_ref, rel=1e-6)
    grads = backprop.backward(params, cache, y - TARGET, "sigmoid", "identity")
    g1, g2 = jax.grad(_seed002_loss, argnums=(0, 1))(jnp.asarray(W1_002), jnp.asarray(W2_002))
    np.testing.assert_allclose(np.asarray(grads[1].W[:, 0]), np.asarray(g2[:2]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(grads[1].b), np.asarray(g2[2:]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(grads[0].W.T), np.asarray(g1[:, :2]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(grads[0].b), np.asarray(g1[:, 2]), rtol=1e-6)


def test_seed002_output_weights_move_down_to_0933_0983_0909_not_up_to_the_slides_1029_1089_1109():
    _, w2_new = _seed002_step()
    assert [round(float(v), 3) for v in w2_new] == [0.933, 0.983, 0.909]
    # the output 1.913 is above the target 1, so every output weight (all inputs h, 1 positive) must shrink
    assert all(w2_new < np.asarray(W2_002))


def test_seed002_hidden_weights_after_the_step_differ_from_the_slide():
    w1_new, _ = _seed002_step()
    got = [round(float(v), 3) for v in w1_new.ravel()]
    assert got == [0.991, 0.991, -0.018, -0.007, 0.993, -2.014]
    slide = [1.011, 1.011, 0.021, -0.005, 0.995, -1.984]
    assert all(abs(g - s) > 1e-3 for g, s in zip(got, slide))


def test_seed002_slides_own_sign_convention_gives_0008_not_its_printed_minus_0005_for_w21():
    """Even with the slide's h₂ = 0.818, ŷ = 2.087 and its update w − η(y − ŷ)·w₂·h₂(1 − h₂)·x, w₂₁ would be
    0 + 0.1·1.087·1·0.818·0.182·0.5 = +0.008 and w₂₂ = 1.008: the printed −0.005 and 0.995 follow from nothing."""
    h1, h2, y_hat = 0.269, 0.818, 2.087
    term = lambda w_out, h, x: -ETA * (TARGET - y_hat) * w_out * h * (1 - h) * x
    assert round(0.0 + term(1.0, h2, 0.5), 3) == 0.008
    assert round(1.0 + term(1.0, h2, 0.5), 3) == 1.008
    assert round(-2.0 + term(1.0, h2, 1.0), 3) == -1.984      # the slide's w₂₀ does follow its own rule
    assert round(1.0 + term(1.0, h1, 0.5), 3) == 1.011        # and so do w₁₁ = w₁₂ = 1.011
    assert round(1.0 - ETA * (TARGET - y_hat) * h1, 3) == 1.029


def test_seed002_correct_step_lowers_the_loss_and_the_slides_sign_raises_it():
    w1, w2 = jnp.asarray(W1_002), jnp.asarray(W2_002)
    g1, g2 = jax.grad(_seed002_loss, argnums=(0, 1))(w1, w2)
    before = float(_seed002_loss(w1, w2))
    down = float(_seed002_loss(w1 - ETA * g1, w2 - ETA * g2))
    up = float(_seed002_loss(w1 + ETA * g1, w2 + ETA * g2))   # the slide's rule is w + η·∂L/∂w
    assert round(before, 3) == 0.417
    assert down < before < up


# ---- seed 000, "Backpropagation" on the 2-2-2 network: compute every gradient before any update -----------

def test_seed000_updating_w5_first_changes_the_hidden_gradient_it_feeds():
    """∂E/∂w₁ contains w₅ (and w₇); once w₅ is updated, ∂E/∂w₁ at the new w₅ differs from the true gradient."""
    def error(w):
        w1, w2, w3, w4, w5, w6, w7, w8, b1, b2 = w
        f1, f2 = activations.sigmoid(0.05 * w1 + 0.10 * w2 + b1), activations.sigmoid(0.05 * w3 + 0.10 * w4 + b1)
        y1 = activations.sigmoid(f1 * w5 + f2 * w6 + b2)
        y2 = activations.sigmoid(f1 * w7 + f2 * w8 + b2)
        return 0.5 * ((0.01 - y1) ** 2 + (0.99 - y2) ** 2)

    w = jnp.array([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.60])
    g = jax.grad(error)(w)
    w_after_w5 = w.at[4].add(-0.5 * g[4])
    assert abs(float(jax.grad(error)(w_after_w5)[0]) - float(g[0])) > 1e-4 * abs(float(g[0]))


# ---- seed 004: the mean of the per-example gradients is the full gradient --------------------------------

def test_seed004_mean_of_per_example_gradients_equals_the_gradient_of_the_mean_cost():
    params = _net((4, 5, 3), seed=6)
    x, t = _data(10, 4, 3)
    full = backprop.loss_and_gradients(params, x, t)[1]
    per_example = [backprop.loss_and_gradients(params, x[r:r + 1], t[r:r + 1])[1] for r in range(10)]
    mean = jax.tree_util.tree_map(lambda *gs: sum(gs) / 10, *per_example)
    _assert_trees_close(mean, full)


# ---- vanishing gradients ------------------------------------------------------------------------------------

def test_deep_sigmoid_deltas_shrink_at_most_by_a_quarter_times_the_weight_norm_per_layer():
    """‖δˡ‖ ≤ 0.25 · ‖Wˡ⁺¹‖₂ · ‖δˡ⁺¹‖ for sigmoid units (σ' ≤ 0.25, seed 000), so δ vanishes in deep nets."""
    params = layers.init_mlp(KEY, (16,) + (16,) * 10 + (10,))
    x = jax.random.normal(jax.random.PRNGKey(3), (32, 16))
    labels = jnp.arange(32) % 10
    y, cache = backprop.forward(params, x, "sigmoid")
    grad_y = (activations.softmax(y) - jax.nn.one_hot(labels, 10)) / 32
    ds = backprop.deltas(params, cache, grad_y, "sigmoid")
    for l in range(len(ds) - 1):
        bound = 0.25 * np.linalg.norm(np.asarray(params[l + 1].W), 2) * np.linalg.norm(np.asarray(ds[l + 1]))
        assert np.linalg.norm(np.asarray(ds[l])) <= bound * (1 + 1e-5)
    assert np.linalg.norm(np.asarray(ds[0])) < 1e-3 * np.linalg.norm(np.asarray(ds[-1]))

"""course_lib.perceptron against Python loops (prediction, Rosenblatt's rule, brute-force grid search)
and jax.grad (the sigmoid neuron's gradient step)."""
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import data, perceptron

RNG = np.random.default_rng(0)
SEPARABLE = ["and", "or", "nand", "nor", "and_not"]


def _fires(w, b, x):
    """δ(w·x + b) for one example, in plain Python."""
    return 1.0 if sum(wi * xi for wi, xi in zip(w, x)) + b > 0 else 0.0


def _rosenblatt_loop(w, b, x, t, lr, max_epochs):
    """The perceptron rule in plain Python: visit the examples in order, epoch after epoch."""
    w, b, mistakes = [float(v) for v in w], float(b), []
    for _ in range(max_epochs):
        wrong = 0
        for xi, ti in zip(x.tolist(), t.tolist()):
            error = ti - _fires(w, b, xi)
            w = [wj + lr * error * xj for wj, xj in zip(w, xi)]
            b += lr * error
            wrong += error != 0
        mistakes.append(wrong)
        if wrong == 0:
            break
    return w, b, mistakes


# ---- predict ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, d", [(4, 2), (12, 3)])
def test_predict_matches_loop(n, d):
    w, b = RNG.normal(size=d), float(RNG.normal())
    x = RNG.normal(size=(n, d))
    out = np.asarray(perceptron.predict(w, b, x))
    assert out.shape == (n,)
    np.testing.assert_array_equal(out, [_fires(w, b, row) for row in x])


def test_predict_on_one_example_returns_a_number():
    out = perceptron.predict([1.0, -1.0], 0.5, [2.0, 1.0])
    assert out.shape == ()
    assert float(out) == _fires([1.0, -1.0], 0.5, [2.0, 1.0]) == 1.0


def test_predict_does_not_fire_at_exactly_zero():
    # w·x + b = 0 exactly: δ(0) = 0
    assert float(perceptron.predict([1.0, -1.0], 0.0, [1.0, 1.0])) == 0.0
    assert float(perceptron.predict([1.0, 1.0], -2.0, [1.0, 1.0])) == 0.0


def test_predict_and_gate_weights_compute_and():
    x, t = data.logic("and")
    np.testing.assert_array_equal(np.asarray(perceptron.predict([1.0, 1.0], -1.5, x)), np.asarray(t))


# ---- rosenblatt_update, rosenblatt_epoch --------------------------------------------------------------------

@pytest.mark.parametrize("w, b, x, t", [
    ([0.5, -0.5], 0.0, [1.0, 0.0], 1),    # fires correctly: nothing changes
    ([0.5, -0.5], 0.0, [1.0, 0.0], 0),    # fires but should not: w ← w − ηx
    ([-1.0, 0.2], -0.3, [2.0, 2.0], 1),   # silent but should fire: w ← w + ηx
    ([0.0, 0.0], 0.0, [2.0, 2.0], 1),     # δ(0) = 0, so the zero neuron is wrong on a positive example
    ([0.0, 0.0], 0.0, [3.0, 3.0], 0),
])
@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_rosenblatt_update_matches_hand_formula(w, b, x, t, lr):
    y = _fires(w, b, x)
    expected_w = [wi + lr * (t - y) * xi for wi, xi in zip(w, x)]
    expected_b = b + lr * (t - y)
    new_w, new_b = perceptron.rosenblatt_update(w, b, x, t, lr)
    np.testing.assert_allclose(np.asarray(new_w), expected_w, rtol=1e-6)
    assert float(new_b) == pytest.approx(expected_b)


def test_rosenblatt_update_default_learning_rate_is_one():
    new_w, new_b = perceptron.rosenblatt_update([0.0, 0.0], 0.0, [2.0, 2.0], 1)
    np.testing.assert_allclose(np.asarray(new_w), [2.0, 2.0])
    assert float(new_b) == 1.0


@pytest.mark.parametrize("lr", [1.0, 0.25])
def test_rosenblatt_epoch_matches_loop(lr):
    x = RNG.normal(size=(12, 3)).astype(np.float32)
    t = RNG.integers(0, 2, size=12).astype(np.float32)
    w0 = RNG.normal(size=3).astype(np.float32)
    w, b, mistakes = perceptron.rosenblatt_epoch(jnp.asarray(w0), jnp.asarray(0.1), jnp.asarray(x), jnp.asarray(t),
                                                 lr)
    ew, eb, emistakes = _rosenblatt_loop(w0, 0.1, x, t, lr, 1)
    np.testing.assert_allclose(np.asarray(w), ew, rtol=1e-5, atol=1e-6)
    assert float(b) == pytest.approx(eb, abs=1e-6)
    assert int(mistakes) == emistakes[0]


# ---- train_rosenblatt -----------------------------------------------------------------------------------

@pytest.mark.parametrize("op", SEPARABLE)
def test_train_rosenblatt_converges_on_linearly_separable_gates(op):
    x, t = data.logic(op)
    w, b, mistakes = perceptron.train_rosenblatt(x, t, max_epochs=50)
    assert mistakes[-1] == 0 and len(mistakes) < 50
    assert all(m > 0 for m in mistakes[:-1])
    np.testing.assert_array_equal(np.asarray(perceptron.predict(w, b, x)), np.asarray(t))


@pytest.mark.parametrize("op, lr", [("and", 1.0), ("or", 1.0), ("nand", 0.5), ("and_not", 0.1)])
def test_train_rosenblatt_matches_loop(op, lr):
    x, t = data.logic(op)
    w, b, mistakes = perceptron.train_rosenblatt(x, t, lr=lr, max_epochs=50)
    ew, eb, emistakes = _rosenblatt_loop([0.0, 0.0], 0.0, np.asarray(x), np.asarray(t), lr, 50)
    assert mistakes == emistakes
    np.testing.assert_allclose(np.asarray(w), ew, atol=1e-6)
    assert float(b) == pytest.approx(eb, abs=1e-6)


def test_train_rosenblatt_never_converges_on_xor():
    x, t = data.xor()
    w, b, mistakes = perceptron.train_rosenblatt(x, t, max_epochs=30)
    assert len(mistakes) == 30
    assert min(mistakes) > 0
    assert np.any(np.asarray(perceptron.predict(w, b, x)) != np.asarray(t))


def test_train_rosenblatt_starts_from_given_weights():
    x, t = data.logic("or")
    w, b, mistakes = perceptron.train_rosenblatt(x, t, w=[1.0, 1.0], b=-0.5)
    assert mistakes == [0]  # already computes OR: one clean epoch and nothing changes
    np.testing.assert_array_equal(np.asarray(w), [1.0, 1.0])
    assert float(b) == -0.5


def test_train_rosenblatt_on_random_separable_data():
    x = RNG.normal(size=(40, 3))
    true_w, true_b = np.array([1.0, -2.0, 0.5]), 0.3
    s = x @ true_w + true_b
    keep = np.abs(s) > 0.2  # a margin, so convergence is quick
    x, t = x[keep], (s[keep] > 0).astype(int)
    w, b, mistakes = perceptron.train_rosenblatt(x, t, max_epochs=200)
    assert mistakes[-1] == 0
    np.testing.assert_array_equal(np.asarray(perceptron.predict(w, b, x)), t)


# ---- grid_search_accuracy -------------------------------------------------------------------------------

def _grid_search_loop(x, t, values):
    best = 0.0
    for w1 in values:
        for w2 in values:
            for b in values:
                right = sum(_fires((w1, w2), b, xi) == ti for xi, ti in zip(x.tolist(), t.tolist()))
                best = max(best, right / len(t))
    return best


@pytest.mark.parametrize("op", sorted(data.LOGIC_OPS))
def test_grid_search_accuracy_matches_brute_force(op):
    x, t = data.logic(op)
    values = [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert float(perceptron.grid_search_accuracy(x, t, values)) == pytest.approx(
        _grid_search_loop(np.asarray(x), np.asarray(t), values))


def test_grid_search_accuracy_matches_brute_force_on_random_points():
    x = RNG.normal(size=(15, 2))
    t = RNG.integers(0, 2, size=15)
    values = [-2.0, -1.0, 0.0, 0.5, 1.5]
    assert float(perceptron.grid_search_accuracy(x, t, values)) == pytest.approx(_grid_search_loop(x, t, values))


@pytest.mark.parametrize("values", [np.linspace(-2, 2, 9), [-0.5, 1.0, 0.0, 2.0, -3.0]])
def test_grid_search_xor_is_three_quarters_with_an_or_line_on_the_grid(values):
    # w₁ = w₂ = 1, b = −0.5 computes OR, which is right on three of XOR's four rows
    x, t = data.xor()
    assert float(perceptron.grid_search_accuracy(x, t, values)) == 0.75


@pytest.mark.parametrize("seed", range(5))
def test_grid_search_xor_never_exceeds_three_quarters(seed):
    values = np.random.default_rng(seed).normal(scale=2.0, size=5)
    x, t = data.xor()
    best = float(perceptron.grid_search_accuracy(x, t, values))
    assert best <= 0.75
    assert best == pytest.approx(_grid_search_loop(np.asarray(x), np.asarray(t), values))


def test_grid_search_and_is_solved():
    x, t = data.logic("and")
    assert float(perceptron.grid_search_accuracy(x, t, np.linspace(-2, 2, 9))) == 1.0


# ---- sigmoid_neuron_step --------------------------------------------------------------------------------

@pytest.mark.parametrize("t", [0.0, 1.0])
@pytest.mark.parametrize("lr", [0.1, 2.0])
def test_sigmoid_neuron_step_matches_jax_grad(t, lr):
    w = jnp.asarray(RNG.normal(size=3), jnp.float32)
    b = jnp.float32(RNG.normal())
    x = jnp.asarray(RNG.normal(size=3), jnp.float32)

    def loss(w, b):
        return 0.5 * (t - jax.nn.sigmoid(jnp.dot(w, x) + b)) ** 2

    gw, gb = jax.jit(jax.grad(loss, argnums=(0, 1)))(w, b)
    new_w, new_b, y = perceptron.sigmoid_neuron_step(w, b, x, t, lr)
    np.testing.assert_allclose(np.asarray(new_w), np.asarray(w - lr * gw), rtol=1e-5, atol=1e-7)
    assert float(new_b) == pytest.approx(float(b - lr * gb), rel=1e-5, abs=1e-7)
    assert float(y) == pytest.approx(1 / (1 + math.exp(-float(jnp.dot(w, x) + b))), rel=1e-6)


def test_sigmoid_neuron_step_reduces_the_loss():
    w, b, x, t = jnp.array([0.5, -0.3]), 0.1, jnp.array([0.5, 0.1]), 1.0
    before = 0.5 * (t - float(jax.nn.sigmoid(w @ x + b))) ** 2
    new_w, new_b, _ = perceptron.sigmoid_neuron_step(w, b, x, t, 0.5)
    after = 0.5 * (t - float(jax.nn.sigmoid(new_w @ x + new_b))) ** 2
    assert after < before


# ---- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, args", [
    (perceptron.predict, ([1.0, 1.0, 1.0], 0.0, np.ones((4, 2)))),
    (perceptron.rosenblatt_update, ([1.0, 1.0, 1.0], 0.0, np.ones(2), 1)),
    (perceptron.sigmoid_neuron_step, ([1.0, 1.0, 1.0], 0.0, np.ones(2), 1.0, 0.1)),
])
def test_feature_mismatch_names_both_shapes(fn, args):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: x has 2 features but w has 3 "
                                         r"\(x \((4, )?2,?\), w \(3,\)\)"):
        fn(*args)


def test_predict_rejects_scalar_x():
    with pytest.raises(ValueError, match=r"^predict: x has 0 features but w has 2"):
        perceptron.predict([1.0, 1.0], 0.0, 3.0)


def test_predict_rejects_matrix_w():
    with pytest.raises(ValueError, match=r"^predict: w must have shape \(D,\), got shape \(2, 1\)"):
        perceptron.predict(np.ones((2, 1)), 0.0, np.ones((4, 2)))


@pytest.mark.parametrize("fn, args", [
    (perceptron.rosenblatt_update, ([1.0, 1.0], 0.0, np.ones((4, 2)), 1)),
    (perceptron.sigmoid_neuron_step, ([1.0, 1.0], 0.0, np.ones((4, 2)), 1.0, 0.1)),
])
def test_single_example_functions_reject_a_batch(fn, args):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: x must have shape \(D,\) \(one example\), "
                                         r"got shape \(4, 2\)"):
        fn(*args)


def test_train_rosenblatt_rejects_one_dimensional_x():
    with pytest.raises(ValueError, match=r"^train_rosenblatt: x must have shape \(N, D\), got shape \(4,\)"):
        perceptron.train_rosenblatt(np.ones(4), np.ones(4))


def test_train_rosenblatt_rejects_targets_of_wrong_length():
    with pytest.raises(ValueError, match=r"^train_rosenblatt: t must have shape \(N,\) = \(4,\), got \(3,\)"):
        perceptron.train_rosenblatt(np.ones((4, 2)), np.ones(3))


@pytest.mark.parametrize("max_epochs", [0, -1, 2.5])
def test_train_rosenblatt_rejects_bad_max_epochs(max_epochs):
    with pytest.raises(ValueError, match=rf"^train_rosenblatt: max_epochs must be a positive integer, "
                                         rf"got {max_epochs!r}"):
        perceptron.train_rosenblatt(np.ones((4, 2)), np.ones(4), max_epochs=max_epochs)


@pytest.mark.parametrize("w", [[1.0, 1.0, 1.0], np.ones((2, 1))])
def test_train_rosenblatt_rejects_initial_weights_of_wrong_shape(w):
    with pytest.raises(ValueError, match=r"^train_rosenblatt: w must have shape \(D,\) = \(2,\) to match x \(4, 2\), "
                                         rf"got {re.escape(str(np.shape(w)))}"):
        perceptron.train_rosenblatt(np.ones((4, 2)), np.ones(4), w=w)


@pytest.mark.parametrize("x, t, got", [(np.ones((4, 3)), np.ones(4), r"\(4, 3\) and \(4,\)"),
                                       (np.ones((4, 2)), np.ones(5), r"\(4, 2\) and \(5,\)")])
def test_grid_search_rejects_bad_shapes(x, t, got):
    with pytest.raises(ValueError, match=rf"^grid_search_accuracy: x must be \(N, 2\) and t \(N,\), got {got}"):
        perceptron.grid_search_accuracy(x, t, [0.0, 1.0])


def test_grid_search_rejects_one_dimensional_x():
    with pytest.raises(ValueError, match=r"^grid_search_accuracy: x must have shape \(N, 2\), got shape \(4,\)"):
        perceptron.grid_search_accuracy(np.ones(4), np.ones(4), [0.0, 1.0])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_predict_rejects_strings():
    with pytest.raises(ValueError, match=r"^predict: x must be an array of numbers, got str"):
        perceptron.predict([1.0], 0.0, "x")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_grid_search_rejects_values_that_are_not_numbers():
    with pytest.raises(ValueError, match=r"^grid_search_accuracy: values must be an array of numbers, got list"):
        perceptron.grid_search_accuracy(*data.xor(), ["a", "b"])


# Seed 002, slide "Learning: Gradient Descent": the errata lecture 1 shows, recomputed here without the library.
def test_seed002_a_learning_rate_of_one_can_be_safe_and_one_half_can_diverge():
    # the sigmoid neuron of the slide's Example 1, from lecture 1's starting weights, one step with α = 1
    w, b, x, t = np.array([0.5, 0.2]), -0.5, np.array([2.0, 2.0]), 1.0
    loss = lambda w, b: 0.5 * (t - 1 / (1 + np.exp(-(x @ w + b)))) ** 2
    y = 1 / (1 + np.exp(-(x @ w + b)))
    delta = (y - t) * y * (1 - y)
    assert loss(w - delta * x, b - delta) < loss(w, b)     # α = 1 lowers the loss, though the slide wants α < 1
    v = 1.0 - 0.5 * (10 * 1.0)                              # f(w) = 5w², f'(w) = 10w, α = 0.5
    assert 5 * v ** 2 > 5 * 1.0 ** 2                        # and α = 0.5 < 1 makes f grow


def test_seed002_gradient_descent_is_not_always_decreasing():
    w = 1.0
    w_new = w - 1.1 * 2 * w                                 # f(w) = w², α = 1.1 > 2 / f''
    assert w_new ** 2 == pytest.approx(1.44 * w ** 2)       # f grows by 1.44 per step, against "always smaller"

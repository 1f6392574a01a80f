"""course_lib.activations against independent references: Python/math loops, scipy.special, jax.nn and
jax.grad (for the hand-derived derivatives)."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from course_lib import activations as act

# A range that includes the extremes where a naive formula overflows (e^1000) or cancels.
S = np.concatenate([np.linspace(-30.0, 30.0, 121), [-1000.0, -100.0, -1e-3, 1e-3, 100.0, 1000.0]]).astype(np.float32)

ELEMENTWISE = ["step", "sigmoid", "tanh", "relu", "softplus",
               "step_grad", "sigmoid_grad", "tanh_grad", "relu_grad", "softplus_grad"]


def _softplus_reference(v):
    # ln(1 + e^v), rewritten as v + ln(1 + e^-v) for large v so math.exp never overflows
    return math.log1p(math.exp(v)) if v < 30 else v + math.log1p(math.exp(-v))


# ---- values against references ---------------------------------------------------------------------

def test_step_matches_python_threshold():
    expected = [1.0 if v > 0 else 0.0 for v in S.tolist()]
    np.testing.assert_array_equal(np.asarray(act.step(S)), expected)


def test_step_at_zero_is_zero():
    assert float(act.step(0.0)) == 0.0
    assert float(act.step(np.float32(1e-30))) == 1.0


def test_step_of_integers_returns_floats_zero_or_one():
    out = act.step(np.array([-2, 0, 3]))
    assert jnp.issubdtype(out.dtype, jnp.floating)
    np.testing.assert_array_equal(np.asarray(out), [0.0, 0.0, 1.0])


def test_sigmoid_matches_scipy_expit():
    np.testing.assert_allclose(np.asarray(act.sigmoid(S)), special.expit(S.astype(np.float64)),
                               rtol=1e-6, atol=1e-7)


def test_sigmoid_matches_math_formula_on_moderate_inputs():
    s = np.linspace(-8, 8, 33).astype(np.float32)
    expected = [1.0 / (1.0 + math.exp(-v)) for v in s.tolist()]
    np.testing.assert_allclose(np.asarray(act.sigmoid(s)), expected, rtol=1e-6)


def test_tanh_matches_math_tanh():
    expected = [math.tanh(v) for v in S.tolist()]
    np.testing.assert_allclose(np.asarray(act.tanh(S)), expected, rtol=1e-6, atol=1e-7)


def test_tanh_equals_two_sigmoid_of_twice_minus_one():
    s = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(np.asarray(act.tanh(s)), 2 * special.expit(2 * s) - 1, atol=1e-6)


def test_relu_matches_python_max():
    expected = [max(0.0, v) for v in S.tolist()]
    np.testing.assert_array_equal(np.asarray(act.relu(S)), np.asarray(expected, np.float32))


def test_softplus_matches_math_reference():
    expected = [_softplus_reference(v) for v in S.tolist()]
    np.testing.assert_allclose(np.asarray(act.softplus(S)), expected, rtol=1e-6, atol=1e-7)


def test_softplus_matches_jax_nn():
    np.testing.assert_allclose(np.asarray(act.softplus(S)), np.asarray(jax.nn.softplus(S)), rtol=1e-6, atol=1e-7)


def test_softplus_at_zero_is_ln2():
    assert float(act.softplus(0.0)) == pytest.approx(math.log(2), rel=1e-6)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_finite_at_large_inputs(name):
    out = np.asarray(getattr(act, name)(S))  # S holds ±100 and ±1000
    assert np.all(np.isfinite(out)), f"{name} gave {out[~np.isfinite(out)]} on {S[~np.isfinite(out)]}"


def test_softplus_finite_at_large_inputs():
    out = np.asarray(act.softplus(np.array([-1000.0, 1000.0], np.float32)))
    np.testing.assert_allclose(out, [0.0, 1000.0], atol=1e-6)


def test_sigmoid_saturates_to_zero_and_one_at_extremes():
    np.testing.assert_array_equal(np.asarray(act.sigmoid(np.array([-1000.0, 1000.0], np.float32))), [0.0, 1.0])


@pytest.mark.parametrize("shape", [(), (2, 3, 4)])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_preserves_shape_and_gives_floats(name, shape):
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape) - 2  # integers in, floats out
    out = getattr(act, name)(x)
    assert out.shape == shape
    assert jnp.issubdtype(out.dtype, jnp.floating)


# ---- softmax and log_softmax ------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_matches_scipy(axis):
    z = np.random.default_rng(0).normal(scale=3.0, size=(4, 5)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(act.softmax(z, axis=axis)),
                               special.softmax(z.astype(np.float64), axis=axis), rtol=1e-5, atol=1e-7)


def test_softmax_matches_naive_exp_formula():
    z = np.random.default_rng(1).normal(size=(4, 5))
    expected = np.array([[math.exp(v) / sum(math.exp(u) for u in row) for v in row] for row in z.tolist()])
    np.testing.assert_allclose(np.asarray(act.softmax(z.astype(np.float32))), expected, rtol=1e-5)


@pytest.mark.parametrize("shape", [(5,), (4, 5)])
def test_softmax_rows_sum_to_one_and_are_positive(shape):
    z = np.random.default_rng(2).normal(scale=5.0, size=shape).astype(np.float32)
    p = np.asarray(act.softmax(z))
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-6)


def test_softmax_invariant_to_shifts():
    z = np.random.default_rng(3).normal(size=(4, 5)).astype(np.float32)
    shift = np.array([[100.0], [-50.0], [7.0], [0.5]], np.float32)
    np.testing.assert_allclose(np.asarray(act.softmax(z + shift)), np.asarray(act.softmax(z)), atol=2e-5)


def test_softmax_finite_at_large_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], np.float32)
    p = np.asarray(act.softmax(z))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, special.softmax(z.astype(np.float64), axis=-1), atol=1e-7)


@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_matches_scipy(axis):
    z = np.random.default_rng(4).normal(scale=3.0, size=(4, 5)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(act.log_softmax(z, axis=axis)),
                               special.log_softmax(z.astype(np.float64), axis=axis), rtol=1e-5, atol=1e-5)


def test_log_softmax_equals_log_of_softmax_where_finite():
    z = np.random.default_rng(5).normal(scale=4.0, size=(4, 5)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(act.log_softmax(z)), np.log(np.asarray(act.softmax(z))),
                               rtol=1e-5, atol=1e-5)


def test_log_softmax_finite_at_large_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], np.float32)
    out = np.asarray(act.log_softmax(z))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, special.log_softmax(z.astype(np.float64), axis=-1), rtol=1e-6)


# ---- derivatives against jax.grad and the hand formulas ---------------------------------------------

AWAY_FROM_KINKS = np.concatenate([np.linspace(-6, -0.05, 30), np.linspace(0.05, 6, 30)]).astype(np.float32)

PAIRS = [("step", "step_grad"), ("sigmoid", "sigmoid_grad"), ("tanh", "tanh_grad"),
         ("relu", "relu_grad"), ("softplus", "softplus_grad")]


@pytest.mark.parametrize("fn, grad_fn", PAIRS)
def test_grad_matches_jax_grad_away_from_kinks(fn, grad_fn):
    f = getattr(act, fn)
    auto = jax.jit(jax.vmap(jax.grad(f)))(jnp.asarray(AWAY_FROM_KINKS))
    np.testing.assert_allclose(np.asarray(getattr(act, grad_fn)(AWAY_FROM_KINKS)), np.asarray(auto),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fn, grad_fn", [("sigmoid", "sigmoid_grad"), ("tanh", "tanh_grad"),
                                         ("softplus", "softplus_grad")])
def test_grad_matches_central_difference_of_float64_reference(fn, grad_fn):
    reference = {"sigmoid": special.expit, "tanh": np.tanh, "softplus": lambda v: np.logaddexp(0.0, v)}[fn]
    s = np.linspace(-5, 5, 21)
    h = 1e-5
    numeric = (reference(s + h) - reference(s - h)) / (2 * h)
    np.testing.assert_allclose(np.asarray(getattr(act, grad_fn)(s.astype(np.float32))), numeric, atol=1e-6)


def test_sigmoid_grad_is_sigma_times_one_minus_sigma():
    y = special.expit(S.astype(np.float64))
    np.testing.assert_allclose(np.asarray(act.sigmoid_grad(S)), y * (1 - y), atol=1e-7)


def test_sigmoid_grad_maximum_is_quarter_at_zero():
    assert float(act.sigmoid_grad(0.0)) == 0.25
    grid = np.linspace(-10, 10, 2001).astype(np.float32)
    g = np.asarray(act.sigmoid_grad(grid))
    assert g.max() <= 0.25
    assert grid[np.argmax(g)] == 0.0


def test_tanh_grad_is_one_at_zero_and_below_elsewhere():
    assert float(act.tanh_grad(0.0)) == 1.0
    assert np.all(np.asarray(act.tanh_grad(AWAY_FROM_KINKS)) < 1.0)


def test_softplus_grad_is_sigmoid():
    np.testing.assert_allclose(np.asarray(act.softplus_grad(S)), special.expit(S.astype(np.float64)),
                               rtol=1e-6, atol=1e-7)


def test_relu_grad_is_zero_at_and_below_zero_one_above():
    np.testing.assert_array_equal(np.asarray(act.relu_grad(np.array([-2.0, 0.0, 1e-3, 5.0], np.float32))),
                                  [0.0, 0.0, 1.0, 1.0])


def test_step_grad_is_zero_everywhere():
    np.testing.assert_array_equal(np.asarray(act.step_grad(S)), np.zeros_like(S))


def test_softmax_jacobian_is_diag_p_minus_outer_p():
    z = np.array([0.5, -1.0, 2.0, 0.0], np.float32)
    p = special.softmax(z.astype(np.float64))
    np.testing.assert_allclose(np.asarray(jax.jit(jax.jacobian(act.softmax))(z)), np.diag(p) - np.outer(p, p), atol=1e-6)


def test_log_softmax_jacobian_is_identity_minus_p():
    z = np.array([0.5, -1.0, 2.0, 0.0], np.float32)
    p = special.softmax(z.astype(np.float64))
    np.testing.assert_allclose(np.asarray(jax.jit(jax.jacobian(act.log_softmax))(z)), np.eye(4) - p[None, :], atol=1e-6)


# ---- bad input ----------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_rejects_strings(name):
    with pytest.raises(ValueError, match=rf"^{name}: s must be an array of numbers, got str 'abc'"):
        getattr(act, name)("abc")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_rejects_strings(name):
    with pytest.raises(ValueError, match=rf"^{name}: z must be an array of numbers, got list"):
        getattr(act, name)(["a", "b"])


# ---- one_hot (lecture 2) --------------------------------------------------------------------------------

def test_one_hot_matches_identity_rows_and_jax_nn():
    labels = np.array([2, 0, 1, 1, 3])
    out = np.asarray(act.one_hot(labels, 4))
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[labels])
    np.testing.assert_array_equal(out, np.asarray(jax.nn.one_hot(labels, 4)))
    assert out.dtype == np.float32


def test_one_hot_keeps_leading_shape():
    labels = np.array([[0, 2], [1, 1], [2, 0]])
    out = np.asarray(act.one_hot(labels, 3))
    assert out.shape == (3, 2, 3)
    for i, j in np.ndindex(labels.shape):  # a loop over every label: one 1 at its index
        assert out[i, j].tolist() == [float(k == labels[i, j]) for k in range(3)]


def test_one_hot_of_argmax_of_softmax_picks_the_largest_score():
    z = np.array([[1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0]])  # seed 004's softmax example: 4 wins
    np.testing.assert_array_equal(np.asarray(act.one_hot(np.argmax(act.softmax(z), -1), 7)), [[0, 0, 0, 1, 0, 0, 0]])


def test_one_hot_works_under_jit():
    out = jax.jit(act.one_hot, static_argnums=1)(jnp.array([1, 0]), 2)
    np.testing.assert_array_equal(np.asarray(out), [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize("labels, k, match", [
    (np.array([0, 3]), 3, r"^one_hot: labels must lie in \[0, 3\) for num_classes=3, got values from 0 to 3"),
    (np.array([-1, 1]), 3, r"^one_hot: labels must lie in \[0, 3\) for num_classes=3, got values from -1 to 1"),
    (np.array([0.0, 1.0]), 3, r"^one_hot: labels must be integer class indices, got dtype float"),
    (np.array([0, 1]), 0, r"^one_hot: num_classes must be a positive integer, got 0"),
    (np.array([0, 1]), 2.0, r"^one_hot: num_classes must be a positive integer, got 2.0"),
])
def test_one_hot_rejects_bad_input(labels, k, match):
    with pytest.raises(ValueError, match=match):
        act.one_hot(labels, k)


def test_one_hot_of_a_constant_inside_a_jitted_function():
    labels = jnp.array([2, 0])  # concrete, closed over by the traced function

    @jax.jit
    def f(z):
        return jnp.sum(z * act.one_hot(labels, 3))

    assert float(f(jnp.arange(6.0).reshape(2, 3))) == 2.0 + 3.0


def test_seed001_softmax_with_minus_exponents_reverses_the_order():
    s = np.array([1.0, 2.0, 3.0, 4.0])
    minus = np.exp(-s) / np.exp(-s).sum()
    p = np.asarray(act.softmax(s))
    assert np.argmax(minus) == 0 and np.argmax(p) == 3
    np.testing.assert_allclose(p, special.softmax(s), rtol=1e-6)


def test_two_class_softmax_is_sigmoid_of_the_score_difference():
    s0, s1 = 0.3, 1.7
    p1 = float(act.softmax(np.array([s0, s1]))[1])
    assert p1 == pytest.approx(1 / (1 + math.exp(-(s1 - s0))), rel=1e-6)
    assert math.exp(-s1) / (math.exp(-s0) + math.exp(-s1)) == pytest.approx(1 - p1, rel=1e-6)


def test_seed004_softmax_example():
    z = [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0]
    expected = [math.exp(v) / sum(math.exp(u) for u in z) for v in z]
    np.testing.assert_allclose(np.asarray(act.softmax(np.array(z))), expected, rtol=1e-6)
    np.testing.assert_allclose(np.round(expected, 3), [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175])

"""course_lib.losses against naive Python loops, scipy.special and numerical gradients."""
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from course_lib import losses

RNG = np.random.default_rng(0)
# Few distinct shapes on purpose: each new shape costs JAX a compilation per operation.
LARGE_LOGITS = np.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0],
                         [-1000.0, 1000.0, 1000.0]], np.float32)


def _squared_error_loop(y, t):
    """Mean over the batch (axis 0) of ½ Σ (t − y)² over each example's entries."""
    y, t = np.asarray(y, np.float64), np.asarray(t, np.float64)
    if y.ndim == 0:
        return 0.5 * (float(t) - float(y)) ** 2
    total = 0.0
    for yi, ti in zip(y, t):
        total += sum(0.5 * (b - a) ** 2 for a, b in zip(np.ravel(yi), np.ravel(ti)))
    return total / len(y)


def _bce_loop(p, t):
    p, t = np.asarray(p, np.float64), np.asarray(t, np.float64)
    total = 0.0
    for pi, ti in zip(p, t):
        total += sum(-(b * math.log(a) + (1 - b) * math.log(1 - a)) for a, b in zip(np.ravel(pi), np.ravel(ti)))
    return total / len(p)


def _softmax_ce_naive(z, labels):
    """−mean log( e^{z_label} / Σ_j e^{z_j} ), straight from the formula (for moderate logits)."""
    total = 0.0
    for row, k in zip(np.asarray(z, np.float64).tolist(), np.asarray(labels).tolist()):
        total -= math.log(math.exp(row[k]) / sum(math.exp(v) for v in row))
    return total / len(labels)


# ---- squared_error ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4,), (4, 3), (4, 2, 3)])
def test_squared_error_matches_loop(shape):
    y = RNG.normal(size=shape).astype(np.float32)
    t = RNG.normal(size=shape).astype(np.float32)
    assert float(losses.squared_error(y, t)) == pytest.approx(_squared_error_loop(y, t), rel=1e-5)


def test_squared_error_of_single_number_is_half_squared_difference():
    assert float(losses.squared_error(1.0, 3.0)) == pytest.approx(0.5 * (3.0 - 1.0) ** 2)
    assert float(losses.squared_error(np.float32(0.25), 1)) == pytest.approx(_squared_error_loop(0.25, 1.0))


def test_squared_error_does_not_grow_with_batch_size():
    y, t = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    doubled = losses.squared_error(np.concatenate([y, y]), np.concatenate([t, t]))
    assert float(doubled) == pytest.approx(float(losses.squared_error(y, t)), rel=1e-6)


def test_squared_error_grad_is_pred_minus_target_over_batch():
    y = RNG.normal(size=(4, 3)).astype(np.float32)
    t = RNG.normal(size=(4, 3)).astype(np.float32)
    g = jax.jit(jax.grad(losses.squared_error))(jnp.asarray(y), jnp.asarray(t))
    np.testing.assert_allclose(np.asarray(g), (y - t) / 4, rtol=1e-5, atol=1e-7)


def test_squared_error_zero_when_equal():
    y = RNG.normal(size=(4, 3))
    assert float(losses.squared_error(y, y)) == 0.0


# ---- binary_cross_entropy -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4,), (4, 3)])
def test_binary_cross_entropy_matches_loop(shape):
    p = RNG.uniform(0.02, 0.98, size=shape).astype(np.float32)
    t = RNG.integers(0, 2, size=shape)
    assert float(losses.binary_cross_entropy(p, t)) == pytest.approx(_bce_loop(p, t), rel=1e-5)


def test_binary_cross_entropy_of_sigmoid_equals_two_class_softmax_cross_entropy():
    # P(class 1) = σ(z) is the softmax of the logits (0, z)
    z = RNG.normal(scale=3.0, size=4).astype(np.float32)
    t = RNG.integers(0, 2, size=4).astype(np.int32)
    bce = losses.binary_cross_entropy(special.expit(z), t)
    sce = losses.softmax_cross_entropy(np.stack([np.zeros_like(z), z], 1), t)
    assert float(bce) == pytest.approx(float(sce), rel=1e-5)


def test_binary_cross_entropy_at_half_is_ln2():
    assert float(losses.binary_cross_entropy(np.full(4, 0.5), np.array([0, 1, 0, 1]))) == pytest.approx(math.log(2),
                                                                                                       rel=1e-6)


def test_binary_cross_entropy_finite_at_zero_and_one():
    right = losses.binary_cross_entropy(np.array([0.0, 1.0]), np.array([0, 1]))
    wrong = losses.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1, 0]))
    assert np.isfinite(float(right)) and np.isfinite(float(wrong))
    assert 0.0 <= float(right) < 1e-5  # certain and right: no loss
    assert float(wrong) > 10.0          # certain and wrong: a large but finite loss


def test_binary_cross_entropy_clip_matches_documented_eps():
    # p = 0 with t = 1 costs −log(BCE_EPS), the clip stated in the module
    assert float(losses.binary_cross_entropy(np.array([0.0]), np.array([1]))) == pytest.approx(
        -math.log(losses.BCE_EPS), rel=1e-4)


def test_binary_cross_entropy_gradient_finite_at_zero_and_one():
    g = jax.jit(jax.grad(losses.binary_cross_entropy))(jnp.array([0.0, 1.0, 0.3]), jnp.array([1.0, 0.0, 1.0]))
    assert np.all(np.isfinite(np.asarray(g)))


# ---- softmax_cross_entropy ------------------------------------------------------------------------------

@pytest.mark.parametrize("n, k", [(1, 2), (4, 3)])
def test_softmax_cross_entropy_matches_naive_formula(n, k):
    z = RNG.normal(scale=2.0, size=(n, k)).astype(np.float32)
    labels = RNG.integers(0, k, size=n).astype(np.int32)
    assert float(losses.softmax_cross_entropy(z, labels)) == pytest.approx(_softmax_ce_naive(z, labels), rel=1e-5)


def test_softmax_cross_entropy_matches_minus_log_scipy_softmax():
    z = RNG.normal(scale=4.0, size=(4, 3))
    labels = RNG.integers(0, 3, size=4)
    p = special.softmax(z, axis=-1)
    expected = -np.mean(np.log(p[np.arange(4), labels]))
    assert float(losses.softmax_cross_entropy(z.astype(np.float32), labels)) == pytest.approx(expected, rel=1e-5)


def test_softmax_cross_entropy_finite_at_large_logits():
    z = LARGE_LOGITS
    labels = np.array([0, 1, 2, 1])
    value = float(losses.softmax_cross_entropy(z, labels))
    expected = -np.mean(special.log_softmax(z.astype(np.float64), axis=-1)[np.arange(4), labels])
    assert np.isfinite(value)
    assert value == pytest.approx(expected, rel=1e-6)  # (0 + 2000 + ln 3 + 2000) / 4


def test_softmax_cross_entropy_gradient_finite_at_large_logits():
    g = jax.jit(jax.grad(losses.softmax_cross_entropy))(jnp.asarray(LARGE_LOGITS), jnp.array([1, 1, 0, 2]))
    assert np.all(np.isfinite(np.asarray(g)))


def test_softmax_cross_entropy_gradient_matches_central_differences():
    z = RNG.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])

    def reference(zz):  # float64 NumPy reimplementation
        return -np.mean(special.log_softmax(zz, axis=-1)[np.arange(len(labels)), labels])

    h = 1e-6
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        numeric[idx] = (reference(z + e) - reference(z - e)) / (2 * h)
    auto = jax.jit(jax.grad(losses.softmax_cross_entropy))(jnp.asarray(z, jnp.float32), jnp.asarray(labels))
    np.testing.assert_allclose(np.asarray(auto), numeric, atol=1e-6)


def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot_over_batch():
    z = RNG.normal(size=(4, 3)).astype(np.float32)
    labels = np.array([2, 0, 1, 1])
    expected = (special.softmax(z.astype(np.float64), axis=-1) - np.eye(3)[labels]) / 4
    auto = jax.jit(jax.grad(losses.softmax_cross_entropy))(jnp.asarray(z), jnp.asarray(labels))
    np.testing.assert_allclose(np.asarray(auto), expected, atol=1e-6)


# ---- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, names", [(losses.squared_error, "pred and target"),
                                       (losses.binary_cross_entropy, "p and t")])
def test_pairwise_losses_reject_shape_mismatch(fn, names):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: {names} must have the same shape, got \(3,\) and \(4,\)"):
        fn(np.ones(3) * 0.5, np.ones(4))


def test_squared_error_rejects_transposed_target():
    with pytest.raises(ValueError, match=r"squared_error: .*got \(2, 3\) and \(3, 2\)"):
        losses.squared_error(np.ones((2, 3)), np.ones((3, 2)))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_squared_error_rejects_strings():
    with pytest.raises(ValueError, match=r"^squared_error: target must be an array of numbers, got str"):
        losses.squared_error(1.0, "one")


def test_softmax_cross_entropy_rejects_float_labels():
    with pytest.raises(ValueError, match=r"^softmax_cross_entropy: labels must be integer class indices, "
                                         r"got dtype float32"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0], np.float32))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4)])
def test_softmax_cross_entropy_rejects_logits_of_wrong_ndim(shape):
    with pytest.raises(ValueError, match=rf"^softmax_cross_entropy: logits must have shape \(N, K\), "
                                         rf"got shape {re.escape(str(shape))}"):
        losses.softmax_cross_entropy(np.zeros(shape), np.zeros(shape[:1], np.int32))


def test_softmax_cross_entropy_rejects_labels_of_wrong_length():
    with pytest.raises(ValueError, match=r"^softmax_cross_entropy: labels must have shape \(N,\) = \(2,\) to match "
                                         r"logits \(2, 3\), got \(3,\)"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))


def test_softmax_cross_entropy_rejects_one_hot_labels():
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels must have shape \(N,\).*got \(2, 3\)"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.eye(3, dtype=np.int32)[[0, 1]])


# ---- seed 003's MAE, MSE, RMSE and cross-entropy (lecture 2) -------------------------------------------

def _l2_mean_loop(values):
    values = list(values)
    return sum(values) / len(values)


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 2)])
def test_mae_mse_rmse_match_loops_over_every_entry(shape):
    y = RNG.normal(size=shape).astype(np.float32)
    t = RNG.normal(size=shape).astype(np.float32)
    pairs = list(zip(np.ravel(y).tolist(), np.ravel(t).tolist()))
    mae = _l2_mean_loop(abs(b - a) for a, b in pairs)
    mse = _l2_mean_loop((b - a) ** 2 for a, b in pairs)
    assert float(losses.mean_absolute_error(y, t)) == pytest.approx(mae, rel=1e-5)
    assert float(losses.mean_squared_error(y, t)) == pytest.approx(mse, rel=1e-5)
    assert float(losses.root_mean_squared_error(y, t)) == pytest.approx(math.sqrt(mse), rel=1e-5)


def test_mse_matches_optax_squared_error_mean():
    optax = pytest.importorskip("optax")
    y, t = RNG.normal(size=(4, 3)).astype(np.float32), RNG.normal(size=(4, 3)).astype(np.float32)
    assert float(losses.mean_squared_error(y, t)) == pytest.approx(float(jnp.mean(optax.squared_error(y, t))), rel=1e-6)


def test_mse_is_twice_squared_error_over_outputs():
    y, t = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    assert float(losses.mean_squared_error(y, t)) == pytest.approx(2 * float(losses.squared_error(y, t)) / 3, rel=1e-6)


def test_mae_grad_is_sign_over_n_and_mse_grad_is_two_diff_over_n():
    y, t = RNG.normal(size=(4, 3)).astype(np.float32), RNG.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(jax.grad(losses.mean_absolute_error)(jnp.asarray(y), t)),
                               np.sign(y - t) / 12, atol=1e-7)
    np.testing.assert_allclose(np.asarray(jax.grad(losses.mean_squared_error)(jnp.asarray(y), t)),
                               2 * (y - t) / 12, rtol=1e-5, atol=1e-7)


def test_cross_entropy_matches_loop_for_one_hot_and_soft_targets():
    p = special.softmax(RNG.normal(size=(4, 5)), axis=-1)
    for t in (np.eye(5)[[0, 3, 3, 1]], special.softmax(RNG.normal(size=(4, 5)), axis=-1)):
        expected = _l2_mean_loop(-sum(tk * math.log(pk) for pk, tk in zip(prow, trow)) for prow, trow in zip(p.tolist(), t.tolist()))
        assert float(losses.cross_entropy(p, t)) == pytest.approx(expected, rel=1e-5)


def test_cross_entropy_of_softmax_equals_softmax_cross_entropy_for_one_hot_targets():
    z = RNG.normal(scale=2.0, size=(6, 4)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 3, 1])
    assert float(losses.cross_entropy(special.softmax(z, axis=-1), np.eye(4)[labels])) == pytest.approx(
        float(losses.softmax_cross_entropy(z, labels)), rel=1e-5)


def test_cross_entropy_is_finite_when_a_true_class_has_probability_zero():
    value = float(losses.cross_entropy(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])))
    assert value == pytest.approx(-math.log(losses.BCE_EPS), rel=1e-5)


def test_seed004_softmax_example_cross_entropy_is_minus_log_0_475():
    z = np.array([[1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0]])
    p = np.exp(z) / np.exp(z).sum()
    assert round(float(p[0, 3]), 3) == 0.475
    assert float(losses.cross_entropy(p, np.eye(7)[[3]])) == pytest.approx(-math.log(p[0, 3]), rel=1e-6)


@pytest.mark.parametrize("fn", [losses.mean_absolute_error, losses.mean_squared_error])
def test_mean_errors_reject_shape_mismatch(fn):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: pred and target must have the same shape, got \(2, 3\) and \(3, 2\)"):
        fn(np.ones((2, 3)), np.ones((3, 2)))


def test_cross_entropy_rejects_one_dimensional_inputs_and_mismatch():
    with pytest.raises(ValueError, match=r"^cross_entropy: p must have shape \(N, K\), got shape \(3,\)"):
        losses.cross_entropy(np.ones(3) / 3, np.eye(3)[0])
    with pytest.raises(ValueError, match=r"^cross_entropy: p and t must have the same shape, got \(2, 3\) and \(2,\)"):
        losses.cross_entropy(np.ones((2, 3)) / 3, np.array([0, 1]))


def test_seed003_log_plot_code_evaluates_logs_of_non_positive_numbers():
    y = np.linspace(-1.5, 1.5, 400)
    counts = [sum(1 for v in values if not v > 0) for values in (y, y, -y, 1 - y)]  # arguments of the four logs
    assert counts == [200, 200, 200, 67]
    with np.errstate(invalid="ignore", divide="ignore"):
        assert int(np.isnan(-np.log(1 - y)).sum()) == 67


def test_cross_entropy_slope_stays_near_minus_one_when_confidently_wrong_but_squared_error_vanishes():
    z = -8.0
    p = 1 / (1 + math.exp(-z))
    h = 1e-4
    ce = lambda s: -math.log(1 / (1 + math.exp(-s)))  # noqa: E731
    se = lambda s: (1 - 1 / (1 + math.exp(-s))) ** 2  # noqa: E731
    slope_ce = (ce(z + h) - ce(z - h)) / (2 * h)
    slope_se = (se(z + h) - se(z - h)) / (2 * h)
    assert slope_ce == pytest.approx(-(1 - p), rel=1e-5) and slope_ce < -0.999
    assert slope_se == pytest.approx(-2 * (1 - p) ** 2 * p, rel=1e-4) and abs(slope_se) < 1e-3

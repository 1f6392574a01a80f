"""course_lib.norm: batch norm against a NumPy loop written here, train and eval modes, dense and NHWC,
gradients against central differences, and the ValueError messages."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import norm
from course_lib.norm import BatchNormStats



def numpy_batch_norm(x, gamma, beta, mean_run, var_run, train, momentum, eps):
    """One feature at a time, with explicit sums over the m values: the algorithm box of seed 002."""
    x = np.asarray(x, np.float64)
    c = x.shape[-1]
    flat = x.reshape(-1, c)
    m = flat.shape[0]
    y = np.empty_like(flat)
    new_mean, new_var = np.array(mean_run, np.float64), np.array(var_run, np.float64)
    for j in range(c):
        if train:
            mu = sum(flat[i, j] for i in range(m)) / m
            var = sum((flat[i, j] - mu) ** 2 for i in range(m)) / m
            new_mean[j] = momentum * mean_run[j] + (1 - momentum) * mu
            new_var[j] = momentum * var_run[j] + (1 - momentum) * var
        else:
            mu, var = mean_run[j], var_run[j]
        for i in range(m):
            y[i, j] = gamma[j] * (flat[i, j] - mu) / np.sqrt(var + eps) + beta[j]
    return y.reshape(x.shape), new_mean, new_var


def random_case(seed, shape):
    rng = np.random.default_rng(seed)
    c = shape[-1]
    x = rng.normal(2.0, 3.0, shape).astype(np.float32)
    gamma = rng.uniform(0.5, 2.0, c).astype(np.float32)
    beta = rng.normal(0, 1, c).astype(np.float32)
    stats = BatchNormStats(rng.normal(0, 1, c).astype(np.float32), rng.uniform(0.5, 3, c).astype(np.float32))
    return x, gamma, beta, stats


SHAPES = [(8, 3), (5, 1), (2, 4, 4, 3), (3, 5, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("momentum, eps", [(0.9, 1e-5), (0.5, 1e-3), (0.0, 0.0), (1.0, 1e-5)])
def test_batch_norm_matches_numpy_loop(shape, train, momentum, eps):
    x, gamma, beta, stats = random_case(len(shape) + int(train), shape)
    y, new = norm.batch_norm(x, gamma, beta, stats, train=train, momentum=momentum, eps=eps)
    y_ref, mean_ref, var_ref = numpy_batch_norm(x, gamma, beta, np.asarray(stats.mean), np.asarray(stats.var),
                                                train, momentum, eps)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(new.mean, mean_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(new.var, var_ref, rtol=1e-5, atol=1e-5)
    assert isinstance(new, BatchNormStats)


@pytest.mark.parametrize("shape", SHAPES[:1] + SHAPES[2:3])
def test_train_mode_output_has_mean_beta_and_std_gamma_per_feature(shape):
    x, gamma, beta, stats = random_case(1, shape)
    y, _ = norm.batch_norm(x, gamma, beta, stats, train=True, eps=0.0)
    axes = tuple(range(len(shape) - 1))
    np.testing.assert_allclose(np.mean(y, axis=axes), beta, atol=1e-5)
    np.testing.assert_allclose(np.std(y, axis=axes), gamma, rtol=1e-4)


def test_variance_is_biased_divided_by_m():
    x = jnp.array([[1.0], [2.0], [3.0], [6.0]])  # mean 3, squared deviations 4, 1, 0, 9: sum 14
    _, stats = norm.batch_norm(x, jnp.ones(1), jnp.zeros(1), BatchNormStats(jnp.zeros(1), jnp.zeros(1)),
                               train=True, momentum=0.0)
    assert float(stats.mean[0]) == pytest.approx(3.0)
    assert float(stats.var[0]) == pytest.approx(14 / 4)  # not 14 / 3
    assert float(np.var([1, 2, 3, 6])) == pytest.approx(14 / 4)


def test_eval_mode_uses_running_stats_and_returns_them_unchanged():
    x, gamma, beta, stats = random_case(3, (6, 4))
    y, out = norm.batch_norm(x, gamma, beta, stats, train=False)
    assert out.mean is not None
    np.testing.assert_array_equal(out.mean, stats.mean)
    np.testing.assert_array_equal(out.var, stats.var)
    np.testing.assert_allclose(y, gamma * (x - stats.mean) / np.sqrt(stats.var + 1e-5) + beta, rtol=1e-5, atol=1e-5)


def test_eval_output_of_one_example_does_not_depend_on_the_rest_of_the_batch():
    x, gamma, beta, stats = random_case(4, (6, 3))
    alone, _ = norm.batch_norm(x[:1], gamma, beta, stats, train=False)
    together, _ = norm.batch_norm(x, gamma, beta, stats, train=False)
    np.testing.assert_allclose(alone[0], together[0], rtol=1e-6)


def test_train_mode_on_a_batch_of_one_outputs_beta_whatever_the_input():
    # the failure the lecture shows: with m = 1, x − μ_B = 0, so y = β for every input
    _, gamma, beta, stats = random_case(5, (1, 3))
    for x in (jnp.full((1, 3), -7.0), jnp.array([[1.0, 2.0, 3.0]])):
        y, _ = norm.batch_norm(x, gamma, beta, stats, train=True)
        np.testing.assert_allclose(y[0], beta, atol=1e-6)


def test_running_stats_converge_to_population_statistics():
    rng = np.random.default_rng(0)
    _, stats = norm.init_batch_norm(2)
    step = jax.jit(lambda x, s: norm.batch_norm(x, jnp.ones(2), jnp.zeros(2), s, train=True)[1])
    for _ in range(200):
        stats = step(jnp.asarray(rng.normal([3.0, -1.0], [2.0, 0.5], (256, 2)), jnp.float32), stats)
    np.testing.assert_allclose(stats.mean, [3.0, -1.0], atol=0.1)
    # the average of biased variances of batches of m has expectation (m − 1)/m · σ²
    np.testing.assert_allclose(stats.var, np.array([4.0, 0.25]) * 255 / 256, rtol=0.08)


def test_init_batch_norm_starts_at_identity():
    params, stats = norm.init_batch_norm(3)
    np.testing.assert_array_equal(params.gamma, np.ones(3))
    np.testing.assert_array_equal(params.beta, np.zeros(3))
    np.testing.assert_array_equal(stats.mean, np.zeros(3))
    np.testing.assert_array_equal(stats.var, np.ones(3))  # running variance starts at one, as in flax
    x = jnp.arange(6.0).reshape(2, 3)
    y, _ = norm.batch_norm(x, params.gamma, params.beta, stats, train=False, eps=0.0)
    np.testing.assert_allclose(y, x)


def test_nhwc_normalizes_per_channel_over_n_h_w():
    x, gamma, beta, stats = random_case(6, (2, 3, 3, 4))
    y, _ = norm.batch_norm(x, gamma, beta, stats, train=True)
    y_flat, _ = norm.batch_norm(x.reshape(-1, 4), gamma, beta, stats, train=True)
    np.testing.assert_allclose(y, np.asarray(y_flat).reshape(x.shape), rtol=1e-5, atol=1e-5)


def test_batch_norm_is_jittable_with_train_static():
    x, gamma, beta, stats = random_case(7, (4, 2))
    f = jax.jit(norm.batch_norm, static_argnames=("train",))
    y, s = f(x, gamma, beta, stats, train=True)
    y0, s0 = norm.batch_norm(x, gamma, beta, stats, train=True)
    np.testing.assert_allclose(y, y0, rtol=1e-6)
    np.testing.assert_allclose(s.var, s0.var, rtol=1e-6)


# ---- gradients -------------------------------------------------------------------------------------

def numerical_grad(f, x, h=1e-5):
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        g[idx] = (f(up) - f(down)) / (2 * h)
    return g


def numpy_train_y(x, gamma, beta, eps):
    return numpy_batch_norm(x, gamma, beta, np.zeros(x.shape[-1]), np.ones(x.shape[-1]), True, 0.9, eps)[0]


@pytest.mark.parametrize("shape", [(5, 2), (2, 2, 2, 2)])
def test_jax_grad_of_batch_norm_matches_central_differences(shape):
    x, gamma, beta, stats = random_case(8, shape)
    w = np.random.default_rng(9).normal(size=shape)  # L = Σ w ⊙ y, so ∂L/∂y = w
    loss = lambda x_, g_, b_: jnp.sum(w * norm.batch_norm(x_, g_, b_, stats, train=True)[0])
    grads = jax.grad(loss, argnums=(0, 1, 2))(x, gamma, beta)
    x64, g64, b64 = (np.asarray(a, np.float64) for a in (x, gamma, beta))
    np.testing.assert_allclose(grads[0], numerical_grad(lambda v: np.sum(w * numpy_train_y(v, g64, b64, 1e-5)), x64),
                               rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(grads[1], numerical_grad(lambda v: np.sum(w * numpy_train_y(x64, v, b64, 1e-5)), g64),
                               rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(grads[2], numerical_grad(lambda v: np.sum(w * numpy_train_y(x64, g64, v, 1e-5)), b64),
                               rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 3, 2), (2, 1)])
def test_batch_norm_input_grad_matches_jax_grad_and_central_differences(shape):
    x, gamma, beta, stats = random_case(10, shape)
    dy = np.random.default_rng(11).normal(size=shape).astype(np.float32)
    dx = norm.batch_norm_input_grad(x, gamma, dy)
    auto = jax.grad(lambda v: jnp.sum(dy * norm.batch_norm(v, gamma, beta, stats, train=True)[0]))(x)
    numeric = numerical_grad(lambda v: np.sum(dy * numpy_train_y(v, np.asarray(gamma, np.float64), beta, 1e-5)), x)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, auto, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(dx, numeric, rtol=2e-3, atol=2e-3)


def test_input_grad_sums_to_zero_per_feature():
    # y does not change when the same constant is added to every x of a feature
    x, gamma, _, _ = random_case(12, (7, 3))
    dx = norm.batch_norm_input_grad(x, gamma, np.random.default_rng(1).normal(size=(7, 3)))
    np.testing.assert_allclose(np.sum(dx, axis=0), 0.0, atol=1e-5)


# ---- bad input ---------------------------------------------------------------------------------------

def good():
    x, gamma, beta, stats = random_case(0, (4, 3))
    return x, gamma, beta, stats


def test_gamma_of_the_wrong_length_is_rejected():
    x, gamma, beta, stats = good()
    with pytest.raises(ValueError, match=r"^batch_norm: gamma must have shape \(3,\), one value per feature of "
                                         r"the last axis of x \(4, 3\), got shape \(2,\)"):
        norm.batch_norm(x, gamma[:2], beta, stats, train=True)


@pytest.mark.parametrize("which", ["beta", "mean", "var"])
def test_beta_and_stats_of_the_wrong_shape_are_rejected(which):
    x, gamma, beta, stats = good()
    bad = np.ones((3, 1), np.float32)
    if which == "beta":
        beta, name = bad, "beta"
    elif which == "mean":
        stats, name = BatchNormStats(bad, stats.var), r"stats\.mean"
    else:
        stats, name = BatchNormStats(stats.mean, bad), r"stats\.var"
    with pytest.raises(ValueError, match=rf"^batch_norm: {name} must have shape \(3,\).*got shape \(3, 1\)"):
        norm.batch_norm(x, gamma, beta, stats, train=True)


@pytest.mark.parametrize("momentum", [-0.1, 1.5])
def test_momentum_outside_unit_interval_is_rejected(momentum):
    x, gamma, beta, stats = good()
    with pytest.raises(ValueError, match=rf"^batch_norm: momentum must be in \[0, 1\], got {momentum}"):
        norm.batch_norm(x, gamma, beta, stats, train=True, momentum=momentum)


def test_negative_eps_is_rejected():
    x, gamma, beta, stats = good()
    with pytest.raises(ValueError, match=r"^batch_norm: eps must be non-negative, got -1e-05"):
        norm.batch_norm(x, gamma, beta, stats, train=True, eps=-1e-5)


@pytest.mark.parametrize("x", [np.ones(3), np.float32(2.0)])
def test_x_without_a_batch_axis_is_rejected(x):
    with pytest.raises(ValueError, match=r"^batch_norm: x must have shape \(N, C\) or \(N, H, W, C\)"):
        norm.batch_norm(x, np.ones(3), np.zeros(3), BatchNormStats(np.zeros(3), np.ones(3)), train=True)


def test_stats_must_be_batch_norm_stats_and_train_a_bool():
    x, gamma, beta, stats = good()
    with pytest.raises(ValueError, match=r"^batch_norm: stats must be a BatchNormStats\(mean, var\), got tuple"):
        norm.batch_norm(x, gamma, beta, (stats.mean, stats.var), train=True)
    with pytest.raises(ValueError, match=r"^batch_norm: train must be True or False, got 'yes'"):
        norm.batch_norm(x, gamma, beta, stats, train="yes")
    with pytest.raises(TypeError):
        norm.batch_norm(x, gamma, beta, stats)  # train is required, keyword-only


def test_input_grad_rejects_dy_of_another_shape_and_bad_gamma():
    x, gamma, _, _ = good()
    with pytest.raises(ValueError, match=r"^batch_norm_input_grad: dy must have the shape of x \(4, 3\), got shape \(4, 2\)"):
        norm.batch_norm_input_grad(x, gamma, np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"^batch_norm_input_grad: gamma must have shape \(3,\)"):
        norm.batch_norm_input_grad(x, np.ones(4), np.ones((4, 3)))


def test_init_batch_norm_rejects_non_positive_width():
    with pytest.raises(ValueError, match=r"^init_batch_norm: num_features must be a positive integer, got 0"):
        norm.init_batch_norm(0)


# ---- lecture 9: the slides' numbers and errata ----------------------------------------------------------

def test_lecture_worked_mini_batch_statistics():
    x = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 0.0], [6.0, 10.0]])
    _, stats = norm.batch_norm(x, np.ones(2), np.zeros(2), BatchNormStats(np.zeros(2), np.ones(2)),
                               train=True, momentum=0.9)
    # by hand: means 12/4 = 3 and 40/4 = 10; variances (4+1+0+9)/4 = 3.5 and (0+100+100+0)/4 = 50
    np.testing.assert_allclose(stats.mean, 0.1 * np.array([3.0, 10.0]), rtol=1e-6)
    np.testing.assert_allclose(stats.var, 0.9 + 0.1 * np.array([3.5, 50.0]), rtol=1e-6)


def test_seed002_test_time_averages_mean_and_variance_not_gamma_and_beta():
    # The slide says the test uses "a weighted average of gamma and beta"; what is averaged is μ_B, σ²_B.
    # γ, β are the trained values; averaging them instead gives a different (wrong) output.
    rng = np.random.default_rng(3)
    gamma, beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])
    stats = BatchNormStats(np.zeros(2), np.ones(2))
    batches = [rng.normal([3.0, -1.0], [2.0, 0.5], (32, 2)).astype(np.float32) for _ in range(50)]
    for b in batches:
        _, stats = norm.batch_norm(b, gamma, beta, stats, train=True)
    run_mean, run_var = np.zeros(2), np.ones(2)
    for b in batches:
        run_mean = 0.9 * run_mean + 0.1 * b.mean(0)
        run_var = 0.9 * run_var + 0.1 * b.var(0)
    np.testing.assert_allclose(stats.mean, run_mean, rtol=1e-4)
    np.testing.assert_allclose(stats.var, run_var, rtol=1e-4)
    x = np.array([[5.0, -3.0]], np.float32)
    y, _ = norm.batch_norm(x, gamma, beta, stats, train=False)
    np.testing.assert_allclose(y[0], gamma * (x[0] - run_mean) / np.sqrt(run_var + 1e-5) + beta, rtol=1e-4)


def test_seed002_results_table_speedups():
    inception = 31.0e6
    assert round(inception / 13.3e6, 1) == 2.3
    assert round(inception / 2.1e6, 1) == 14.8
    assert round(inception / 2.7e6, 1) == 11.5

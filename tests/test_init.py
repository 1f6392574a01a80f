"""course_lib.init: fans, and each initializer's empirical distribution against the documented formula
(sample moments and scipy.stats Kolmogorov–Smirnov tests on a large draw)."""
import math

import jax
import numpy as np
import pytest
from scipy import stats

from course_lib import init

KEY = jax.random.PRNGKey(0)

INITIALIZERS = ["zeros", "normal", "lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform",
                "he_normal", "he_uniform"]
RANDOM = INITIALIZERS[1:]
FAN_BASED = INITIALIZERS[2:]


def _fans_reference(shape):
    if len(shape) == 2:
        return shape[0], shape[1]
    kh, kw, c_in, c_out = shape
    return kh * kw * c_in, kh * kw * c_out


def _documented_variance(name, shape):
    fan_in, fan_out = _fans_reference(shape)
    return {"lecun_normal": 1 / fan_in, "lecun_uniform": 1 / fan_in,
            "xavier_normal": 2 / (fan_in + fan_out), "xavier_uniform": 2 / (fan_in + fan_out),
            "he_normal": 2 / fan_in, "he_uniform": 2 / fan_in}[name]


# Large draws for the statistics; the dense shape is deliberately not square, so swapping fan_in and
# fan_out changes He's variance. Few distinct shapes: each one costs a compilation.
SHAPES = [(300, 500), (5, 5, 40, 24)]
SMALL = [(6, 5), (3, 3, 2, 5)]


@pytest.mark.parametrize("shape, expected", [((3, 7), (3, 7)), ((784, 10), (784, 10)),
                                             ((3, 3, 2, 4), (18, 36)), ((5, 1, 3, 8), (15, 40))])
def test_fans_of_dense_and_conv_shapes(shape, expected):
    assert init.fans(shape) == expected
    assert init.fans(shape) == _fans_reference(shape)


def test_fans_accepts_numpy_integers_and_lists():
    assert init.fans([np.int64(3), 4]) == (3, 4)


@pytest.mark.parametrize("name", FAN_BASED)
@pytest.mark.parametrize("shape", SHAPES)
def test_variance_matches_documented_formula(name, shape):
    w = np.asarray(getattr(init, name)(KEY, shape), np.float64)
    var = _documented_variance(name, shape)
    n = w.size
    assert w.shape == shape
    assert abs(w.mean()) < 5 * math.sqrt(var / n)
    # the sample variance of n draws has relative standard error ≈ √(2/n) (normal) or less (uniform)
    assert w.var() == pytest.approx(var, rel=5 * math.sqrt(2 / n))


@pytest.mark.parametrize("name", ["lecun_normal", "xavier_normal", "he_normal"])
@pytest.mark.parametrize("shape", SHAPES)
def test_normal_initializers_follow_a_normal_distribution(name, shape):
    w = np.asarray(getattr(init, name)(KEY, shape), np.float64).ravel()
    sd = math.sqrt(_documented_variance(name, shape))
    assert stats.kstest(w, stats.norm(0, sd).cdf).pvalue > 1e-3


@pytest.mark.parametrize("name", ["lecun_uniform", "xavier_uniform", "he_uniform"])
@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_initializers_follow_a_uniform_distribution(name, shape):
    w = np.asarray(getattr(init, name)(KEY, shape), np.float64).ravel()
    a = math.sqrt(3 * _documented_variance(name, shape))  # U(−a, a) has variance a²/3
    assert stats.kstest(w, stats.uniform(-a, 2 * a).cdf).pvalue > 1e-3


@pytest.mark.parametrize("name, bound", [("lecun_uniform", lambda fi, fo: math.sqrt(3 / fi)),
                                         ("xavier_uniform", lambda fi, fo: math.sqrt(6 / (fi + fo))),
                                         ("he_uniform", lambda fi, fo: math.sqrt(6 / fi))])
@pytest.mark.parametrize("shape", SHAPES + SMALL)
def test_uniform_bounds_respected(name, bound, shape):
    a = bound(*_fans_reference(shape))
    w = np.asarray(getattr(init, name)(KEY, shape))
    assert np.all(np.abs(w) <= a * (1 + 1e-6))
    if w.size >= 1000:  # a large draw reaches close to both ends
        assert w.max() > 0.98 * a and w.min() < -0.98 * a


def test_normal_default_std_is_one_hundredth():
    w = np.asarray(init.normal(KEY, (300, 500)), np.float64)
    assert abs(w.mean()) < 5 * 0.01 / np.sqrt(w.size)
    assert w.std() == pytest.approx(0.01, rel=0.01)


@pytest.mark.parametrize("std", [0.1, 2.0])
def test_normal_std_argument(std):
    w = np.asarray(init.normal(KEY, (300, 500), std=std), np.float64)
    assert w.std() == pytest.approx(std, rel=0.01)
    assert stats.kstest(w.ravel(), stats.norm(0, std).cdf).pvalue > 1e-3


def test_normal_ignores_layer_size():
    dense = np.asarray(init.normal(KEY, (300, 500)), np.float64)
    conv = np.asarray(init.normal(KEY, (5, 5, 40, 24)), np.float64)
    assert dense.std() == pytest.approx(conv.std(), rel=0.03)


@pytest.mark.parametrize("name", RANDOM)
def test_same_key_gives_same_array(name):
    fn = getattr(init, name)
    np.testing.assert_array_equal(np.asarray(fn(jax.random.PRNGKey(7), (6, 5))),
                                  np.asarray(fn(jax.random.PRNGKey(7), (6, 5))))


@pytest.mark.parametrize("name", RANDOM)
def test_different_keys_give_different_arrays(name):
    fn = getattr(init, name)
    a, b = np.asarray(fn(jax.random.PRNGKey(1), (6, 5))), np.asarray(fn(jax.random.PRNGKey(2), (6, 5)))
    assert not np.any(a == b)


@pytest.mark.parametrize("shape", SMALL + [(7,)])
def test_zeros_is_all_zero_of_the_shape(shape):
    w = init.zeros(KEY, shape)
    assert w.shape == shape
    assert not np.any(np.asarray(w))


@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.parametrize("shape", SMALL)
def test_initializers_return_float32_of_the_requested_shape(name, shape):
    w = getattr(init, name)(KEY, shape)
    assert w.shape == shape
    assert w.dtype == np.float32


# ---- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, -2), (3, 0), (2.0, 3), (), 5, (True, 3)])
def test_fans_rejects_shapes_that_are_not_positive_integers(shape):
    with pytest.raises(ValueError, match=r"^fans: shape must be a tuple of positive integers, got"):
        init.fans(shape)


@pytest.mark.parametrize("shape", [(3,), (3, 3, 3), (1, 2, 3, 4, 5)])
def test_fans_rejects_shapes_that_are_neither_dense_nor_conv(shape):
    with pytest.raises(ValueError, match=r"^fans: shape must be \(fan_in, fan_out\) or \(KH, KW, C_in, C_out\), "
                                         rf"got \({shape[0]},"):
        init.fans(shape)


@pytest.mark.parametrize("name", FAN_BASED)
@pytest.mark.parametrize("shape", [(3, 3, 3), (4, -1)])
def test_fan_based_initializers_reject_bad_shapes(name, shape):
    with pytest.raises(ValueError, match=r"^fans: shape must be"):
        getattr(init, name)(KEY, shape)


@pytest.mark.parametrize("name", ["zeros", "normal"])
@pytest.mark.parametrize("shape", [(3, -1), (), (2.5,)])
def test_shape_only_initializers_reject_bad_shapes(name, shape):
    with pytest.raises(ValueError, match=rf"^{name}: shape must be a tuple of positive integers, got"):
        getattr(init, name)(KEY, shape)


@pytest.mark.parametrize("std", [0, 0.0, -0.01])
def test_normal_rejects_non_positive_std(std):
    with pytest.raises(ValueError, match=rf"^normal: std must be positive, got {std!r}"):
        init.normal(KEY, (3, 3), std=std)


# ---- lecture 8: the slides' formulas --------------------------------------------------------------------

@pytest.mark.parametrize("n_prev, n_next", [(100, 100), (256, 64), (2, 10)])
def test_seed002_uniform_bounds_have_the_variance_of_the_normal_forms(n_prev, n_next):
    # U(−a, a) has variance a²/3 (integral of w²/(2a) over (−a, a)), so the slide's bounds √(3/n),
    # √(6/(n_in + n_out)) and √(6/n) give 1/n, 2/(n_in + n_out) and 2/n: the normal forms' variances.
    for a2, var in [(3 / n_prev, 1 / n_prev), (6 / (n_prev + n_next), 2 / (n_prev + n_next)), (6 / n_prev, 2 / n_prev)]:
        grid = np.linspace(-math.sqrt(a2), math.sqrt(a2), 200_001)
        assert np.mean(grid ** 2) == pytest.approx(var, rel=1e-4)


def test_variance_preserving_forward_pass_needs_one_over_fan_in_linear_and_two_over_fan_in_relu():
    # Var(z) = n·Var(w)·E[x²]: a linear layer keeps the variance with Var(w) = 1/n, a ReLU layer
    # (which halves E[x²]) with Var(w) = 2/n, and 1/n shrinks it by 2 per ReLU layer; a 10-layer stack
    # checks it without the library's formulas.
    rng = np.random.default_rng(0)
    n = 500
    relu = lambda z: np.maximum(z, 0)
    for var_w, act, expected in [(1 / n, lambda z: z, 1.0), (2 / n, relu, 1.0), (1 / n, relu, 2.0 ** -10)]:
        z = rng.normal(size=(1000, n))
        for _ in range(10):
            z = act(z) @ rng.normal(0, math.sqrt(var_w), (n, n))
        assert np.var(z) / expected == pytest.approx(1.0, rel=0.5)
        w = np.asarray(init.lecun_normal(KEY, (n, n)) if var_w == 1 / n else init.he_normal(KEY, (n, n)))
        assert np.var(w) == pytest.approx(var_w, rel=0.02)


# ---- lecture 8: the slides' experiment and errata -----------------------------------------------------------

def test_seed002_zero_init_gives_loss_ln2_accuracy_half_and_no_gradient():
    # Strategy 1 on any balanced 2-class set: a 2-10-5-1 ReLU network with all weights zero predicts
    # p = σ(0) = 1/2 everywhere; BCE = ln 2 = 0.693 (the slide's number), accuracy 50%, and the only
    # parameter with a gradient in principle, the output bias, gets mean(p − t) = 0.
    from course_lib import layers
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(40, 2)), np.arange(40) % 2
    params = layers.init_mlp(KEY, (2, 10, 5, 1), init=init.zeros)

    def loss(p):
        z = layers.mlp(p, x)[:, 0]
        return jax.numpy.mean(jax.numpy.logaddexp(0.0, z) - t * z)
    z = np.asarray(layers.mlp(params, x))[:, 0]
    assert float(loss(params)) == pytest.approx(math.log(2)) == pytest.approx(0.693, abs=5e-4)
    assert np.mean((z > 0) == (t == 1)) == 0.5
    grads = jax.grad(loss)(params)
    assert all(not np.any(np.asarray(leaf)) for leaf in jax.tree_util.tree_leaves(grads))


def test_seed002_small_weights_vanish_through_w_not_through_the_sigmoid_slope():
    # The slide blames σ' ≈ 0 for small weights too; with N(0, 0.01²) weights the pre-activations are
    # tiny, the slope is its maximum 0.25, and the backward factor per layer is 0.25·√n·σ ≈ 0.04.
    rng = np.random.default_rng(1)
    n, sigma = 256, 0.01
    h = rng.normal(size=(300, n))
    slopes = []
    for _ in range(5):
        s = h @ rng.normal(0, sigma, (n, n))
        y = 1 / (1 + np.exp(-s))
        slopes.append(np.mean(y * (1 - y)))
        h = y
    assert min(slopes) > 0.245 and max(slopes) <= 0.25  # σ'(0) = 0.25 is the largest slope
    delta = rng.normal(size=(300, n))
    W = rng.normal(0, sigma, (n, n))
    back = (0.25 * delta) @ W.T
    assert np.std(back) / np.std(delta) == pytest.approx(0.25 * math.sqrt(n) * sigma, rel=0.05)


def test_seed002_he_is_for_relu_whose_halving_gives_the_factor_two():
    # "LeLU" on the slide is the ReLU: E[ReLU(s)²] = Var(s)/2 for symmetric s
    s = np.random.default_rng(2).normal(size=1_000_000)
    assert np.mean(np.maximum(s, 0) ** 2) / np.var(s) == pytest.approx(0.5, abs=0.003)

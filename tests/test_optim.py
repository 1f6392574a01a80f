"""course_lib.optim: sgd's update rule on pytrees, apply_updates, and minimising a quadratic against the
closed-form gradient-descent trajectory."""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import layers, optim

RNG = np.random.default_rng(0)


class Pair(NamedTuple):
    W: jax.Array
    b: jax.Array


def _trees():
    """The same numbers as a tuple, a NamedTuple, a dict and a nested mix."""
    W = RNG.normal(size=(3, 2)).astype(np.float32)
    b = RNG.normal(size=2).astype(np.float32)
    c = np.float32(RNG.normal())
    return [(jnp.asarray(W), jnp.asarray(b)),
            Pair(jnp.asarray(W), jnp.asarray(b)),
            {"W": jnp.asarray(W), "b": jnp.asarray(b)},
            {"layers": [layers.DenseParams(jnp.asarray(W), jnp.asarray(b))], "scale": jnp.asarray(c)}]


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


@pytest.mark.parametrize("lr", [0.1, 1.0, 0.003])
@pytest.mark.parametrize("grads", _trees(), ids=["tuple", "namedtuple", "dict", "nested"])
def test_sgd_update_is_minus_lr_times_gradient(grads, lr):
    opt = optim.sgd(lr)
    state = opt.init(grads)
    updates, new_state = opt.update(grads, state, grads)
    assert jax.tree_util.tree_structure(updates) == jax.tree_util.tree_structure(grads)
    for u, g in zip(_leaves(updates), _leaves(grads)):
        np.testing.assert_allclose(u, -lr * g.astype(np.float64), rtol=1e-6)
    assert new_state == state


def test_sgd_update_without_params():
    grads = {"w": jnp.array([1.0, -2.0])}
    opt = optim.sgd(0.5)
    updates, _ = opt.update(grads, opt.init(grads))
    np.testing.assert_allclose(np.asarray(updates["w"]), [-0.5, 1.0])


def test_optimizer_is_a_named_pair_of_functions():
    opt = optim.sgd(0.1)
    assert isinstance(opt, optim.Optimizer)
    init, update = opt
    assert init is opt.init and update is opt.update


@pytest.mark.parametrize("tree", _trees(), ids=["tuple", "namedtuple", "dict", "nested"])
def test_apply_updates_adds_leaf_by_leaf(tree):
    updates = jax.tree_util.tree_map(lambda x: jnp.full_like(x, 0.25) * jnp.arange(x.size).reshape(x.shape), tree)
    new = optim.apply_updates(tree, updates)
    assert jax.tree_util.tree_structure(new) == jax.tree_util.tree_structure(tree)
    for n, p, u in zip(_leaves(new), _leaves(tree), _leaves(updates)):
        np.testing.assert_allclose(n, p.astype(np.float64) + u, rtol=1e-6)
        assert n.dtype == p.dtype


def test_apply_updates_keeps_the_params_dtype():
    params = {"w": jnp.ones(3, jnp.bfloat16)}
    new = optim.apply_updates(params, {"w": jnp.full(3, 0.5, jnp.float32)})
    assert new["w"].dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(new["w"], np.float32), 1.5)


def test_apply_updates_accepts_python_number_leaves():
    # e.g. a point (x, y) on a loss surface, written as plain floats
    params = (1.0, -2.0)
    grads = jax.grad(lambda p: p[0] ** 2 + 3 * p[1] ** 2)(params)
    opt = optim.sgd(0.1)
    updates, _ = opt.update(grads, opt.init(params))
    new = optim.apply_updates(params, updates)
    np.testing.assert_allclose([float(v) for v in new], [1.0 - 0.1 * 2.0, -2.0 - 0.1 * (-12.0)], rtol=1e-6)


def test_apply_updates_accepts_numpy_params():
    new = optim.apply_updates({"w": np.array([1.0, 2.0], np.float32)}, {"w": np.array([0.5, -0.5], np.float32)})
    np.testing.assert_allclose(np.asarray(new["w"]), [1.5, 1.5])


def test_apply_updates_works_under_jit():
    f = jax.jit(optim.apply_updates)
    new = f(Pair(jnp.ones(2), jnp.zeros(1)), Pair(jnp.array([1.0, 2.0]), jnp.array([-1.0])))
    np.testing.assert_allclose(np.asarray(new.W), [2.0, 3.0])
    np.testing.assert_allclose(np.asarray(new.b), [-1.0])


# ---- minimising a quadratic -----------------------------------------------------------------------------

A = np.array([[3.0, 0.5], [0.5, 1.0]])  # symmetric positive definite
C = np.array([1.0, -2.0])


def _quadratic(w):
    d = w - jnp.asarray(C, jnp.float32)
    return 0.5 * d @ jnp.asarray(A, jnp.float32) @ d


def test_sgd_follows_the_closed_form_gradient_descent_trajectory():
    # ∇f = A (w − c), so gradient descent gives w_k − c = (I − ηA)^k (w_0 − c)
    lr, w0 = 0.1, np.array([4.0, 3.0])
    opt = optim.sgd(lr)
    w = jnp.asarray(w0, jnp.float32)
    state = opt.init(w)
    M = np.eye(2) - lr * A
    grad = jax.jit(jax.grad(_quadratic))
    for k in range(1, 31):
        updates, state = opt.update(grad(w), state, w)
        w = optim.apply_updates(w, updates)
        np.testing.assert_allclose(np.asarray(w), C + np.linalg.matrix_power(M, k) @ (w0 - C), rtol=1e-5, atol=1e-5)


def test_sgd_minimises_a_quadratic_on_a_pytree():
    params = {"x": jnp.array(5.0), "y": (jnp.array(-4.0),)}
    loss = lambda p: (p["x"] - 1.0) ** 2 + 2.0 * (p["y"][0] + 3.0) ** 2
    opt = optim.sgd(0.1)
    state = opt.init(params)
    start = float(loss(params))
    for _ in range(100):
        updates, state = opt.update(jax.grad(loss)(params), state, params)
        params = optim.apply_updates(params, updates)
    assert float(loss(params)) < 1e-6 * start
    np.testing.assert_allclose([float(params["x"]), float(params["y"][0])], [1.0, -3.0], atol=1e-4)


def test_sgd_too_large_a_step_diverges():
    # on f = ½ a w², gradient descent diverges exactly when η > 2/a
    a = 4.0
    w = jnp.array(1.0)
    opt = optim.sgd(0.6)  # 0.6 > 2/4
    state = opt.init(w)
    for _ in range(20):
        updates, state = opt.update(jax.grad(lambda v: 0.5 * a * v ** 2)(w), state)
        w = optim.apply_updates(w, updates)
    np.testing.assert_allclose(float(w), (1 - 0.6 * a) ** 20, rtol=1e-4)
    assert abs(float(w)) > 1.0


# ---- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lr", [0, 0.0, -0.1])
def test_sgd_rejects_non_positive_learning_rate(lr):
    with pytest.raises(ValueError, match=rf"^sgd: lr \(the learning rate η\) must be positive, got {lr!r}"):
        optim.sgd(lr)


@pytest.mark.parametrize("params, updates", [
    ((jnp.ones(2),), {"a": jnp.ones(2)}),
    ((jnp.ones(2), jnp.ones(3)), (jnp.ones(2),)),
    (Pair(jnp.ones(2), jnp.ones(1)), (jnp.ones(2), jnp.ones(1))),
])
def test_apply_updates_rejects_a_different_tree(params, updates):
    with pytest.raises(ValueError, match=r"^apply_updates: updates must have the structure of params, got "
                                         r"PyTreeDef.* for params PyTreeDef"):
        optim.apply_updates(params, updates)


# =========================================================================================================
# Lecture 7: momentum, Nesterov, Adagrad, Adadelta, RMSProp, Adam, schedules
# =========================================================================================================

import optax  # noqa: E402  (a test dependency: the independent reference for every optimizer)

ROSEN = lambda w: (1.0 - w[0]) ** 2 + 100.0 * (w[1] - w[0] ** 2) ** 2  # noqa: E731


def _random_grads(tree, steps, seed=0, scale=1.0):
    """A fixed sequence of `steps` random gradient trees shaped like `tree` (independent of the params,
    so two implementations see exactly the same inputs and rounding cannot grow along the trajectory)."""
    rng = np.random.default_rng(seed)
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return [jax.tree_util.tree_unflatten(treedef, [jnp.asarray(scale * rng.normal(size=np.shape(x)), jnp.float32)
                                                   for x in leaves]) for _ in range(steps)]


def _run_updates(opt, params, grads_seq):
    """The updates of each step and the params after it, for a given gradient sequence."""
    state, out = opt.init(params), []
    for g in grads_seq:
        updates, state = opt.update(g, state, params)
        params = optim.apply_updates(params, updates)
        out.append((updates, params))
    return out


def _assert_same_run(ours, theirs, rtol=2e-5, atol=1e-7):
    """Equal updates at every step; equal params up to float32 rounding summed over the steps."""
    for k, ((u1, p1), (u2, p2)) in enumerate(zip(ours, theirs)):
        for a, b in zip(_leaves(u1), _leaves(u2)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"updates of step {k + 1}")
        for a, b in zip(_leaves(p1), _leaves(p2)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol + 1e-7 * (k + 1),
                                       err_msg=f"params after step {k + 1}")


# Each contract optimizer and the optax configuration that follows the same formula (the mapping is
# derived in each optimizer's docstring).
OPTAX_TWINS = {
    "sgd": (lambda: optim.sgd(0.1), lambda: optax.sgd(0.1)),
    # optax: t ← βt + g, Δ = −η t; ours: v ← βv + ηg, Δ = −v; v = η t for a constant η
    "momentum": (lambda: optim.momentum(0.05, beta=0.9), lambda: optax.sgd(0.05, momentum=0.9)),
    "momentum_beta_0.5": (lambda: optim.momentum(0.2, beta=0.5), lambda: optax.sgd(0.2, momentum=0.5)),
    "nesterov": (lambda: optim.nesterov(0.05, beta=0.9), lambda: optax.sgd(0.05, momentum=0.9, nesterov=True)),
    "momentum_flag": (lambda: optim.momentum(0.05, 0.8, nesterov=True),
                      lambda: optax.sgd(0.05, momentum=0.8, nesterov=True)),
    # optax's default starts G at 0.1 and uses ε = 1e-7; ours starts at 0 with ε inside the root
    "adagrad": (lambda: optim.adagrad(0.3), lambda: optax.adagrad(0.3, initial_accumulator_value=0.0, eps=1e-8)),
    "adagrad_eps": (lambda: optim.adagrad(0.3, eps=1e-3),
                    lambda: optax.adagrad(0.3, initial_accumulator_value=0.0, eps=1e-3)),
    "adadelta": (lambda: optim.adadelta(), lambda: optax.adadelta(1.0, rho=0.9, eps=1e-6)),
    "adadelta_lr_rho": (lambda: optim.adadelta(0.5, rho=0.95, eps=1e-4),
                        lambda: optax.adadelta(0.5, rho=0.95, eps=1e-4)),
    "rmsprop": (lambda: optim.rmsprop(0.01), lambda: optax.rmsprop(0.01, decay=0.9, eps=1e-8)),
    "rmsprop_decay": (lambda: optim.rmsprop(0.01, decay=0.99, eps=1e-4),
                      lambda: optax.rmsprop(0.01, decay=0.99, eps=1e-4)),
    "adam": (lambda: optim.adam(0.01), lambda: optax.adam(0.01, b1=0.9, b2=0.999, eps=1e-8)),
    "adam_b": (lambda: optim.adam(0.02, b1=0.5, b2=0.9, eps=1e-3), lambda: optax.adam(0.02, b1=0.5, b2=0.9, eps=1e-3)),
    "adam_b1_0": (lambda: optim.adam(0.02, b1=0.0), lambda: optax.adam(0.02, b1=0.0)),
    # with a schedule: η_k from the update count, as optax's scale_by_learning_rate does
    "sgd_schedule": (lambda: optim.sgd(optim.exponential_decay(0.1, 0.5, 10)),
                     lambda: optax.sgd(optax.exponential_decay(0.1, 10, 0.5))),
    "adam_schedule": (lambda: optim.adam(optim.step_decay(0.05, 0.5, 7)),
                      lambda: optax.adam(optax.exponential_decay(0.05, 7, 0.5, staircase=True))),
    "rmsprop_schedule": (lambda: optim.rmsprop(optim.exponential_decay(0.01, 0.9, 5)),
                         lambda: optax.rmsprop(optax.exponential_decay(0.01, 5, 0.9))),
    "adagrad_schedule": (lambda: optim.adagrad(optim.step_decay(0.3, 0.1, 20)),
                         lambda: optax.adagrad(optax.exponential_decay(0.3, 20, 0.1, staircase=True),
                                               initial_accumulator_value=0.0, eps=1e-8)),
}


@pytest.mark.parametrize("name", list(OPTAX_TWINS))
@pytest.mark.parametrize("tree", _trees(), ids=["tuple", "namedtuple", "dict", "nested"])
def test_optimizer_updates_equal_optax_for_the_same_gradients(name, tree):
    ours, theirs = (make() for make in OPTAX_TWINS[name])
    grads = _random_grads(tree, 60, seed=1)
    run_ours, run_theirs = _run_updates(ours, tree, grads), _run_updates(theirs, tree, grads)
    _assert_same_run(run_ours, run_theirs)
    assert jax.tree_util.tree_structure(run_ours[-1][0]) == jax.tree_util.tree_structure(tree)


@pytest.mark.parametrize("name", list(OPTAX_TWINS))
def test_optimizer_trajectory_on_a_quadratic_equals_optax(name):
    ours, theirs = (make() for make in OPTAX_TWINS[name])
    grad = jax.grad(_quadratic)
    w0 = jnp.array([4.0, 3.0])
    a, b = np.asarray(optim.trajectory(ours, grad, w0, 300)), np.asarray(optim.trajectory(theirs, grad, w0, 300))
    assert a.shape == (301, 2)
    # Step for step, each coordinate until its gradient first falls below 0.05. From there it is about as
    # small as its float32 rounding, which differs between CPUs (XLA compiles per instruction set), and an
    # adaptive step (Adam divides by √v̂) turns that noise into visibly different paths: both must stay close.
    reached = np.maximum.accumulate(np.abs((a - np.asarray(C)) @ A) < 0.05, axis=0)
    np.testing.assert_allclose(a[~reached], b[~reached], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[reached], b[reached], atol=0.05)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"])
def test_optimizer_trajectory_on_rosenbrock_equals_optax(name):
    ours, theirs = (make() for make in OPTAX_TWINS[name])
    small = {"sgd": 1e-3, "momentum": 1e-4, "nesterov": 1e-4}  # keep the plain methods stable on Rosenbrock
    if name in small:
        ours = {"sgd": optim.sgd, "momentum": optim.momentum, "nesterov": optim.nesterov}[name](small[name])
        theirs = optax.sgd(small[name], momentum=None if name == "sgd" else 0.9, nesterov=name == "nesterov")
    grad = jax.grad(ROSEN)
    w0 = jnp.array([-1.2, 1.0])
    a, b = optim.trajectory(ours, grad, w0, 100), optim.trajectory(theirs, grad, w0, 100)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


# ---- independent NumPy loops of the contract's formulas (float64) -------------------------------------

def _numpy_momentum(lrs, beta, grads, nesterov=False):
    v, out = 0.0, []
    for eta, g in zip(lrs, grads):
        v = beta * v + eta * g
        out.append(-(beta * v + eta * g) if nesterov else -v)
    return out


def _numpy_adadelta(grads, rho, eps, lr=1.0):
    eg, ex, out = 0.0, 0.0, []
    for g in grads:
        eg = rho * eg + (1 - rho) * g ** 2
        dx = -np.sqrt(ex + eps) / np.sqrt(eg + eps) * g
        ex = rho * ex + (1 - rho) * dx ** 2
        out.append(lr * dx)
    return out


def _numpy_adam(lrs, b1, b2, eps, grads):
    m = v = 0.0
    out = []
    for t, (eta, g) in enumerate(zip(lrs, grads), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        out.append(-eta * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps))
    return out


def _numpy_adagrad(lr, eps, grads):
    G, out = 0.0, []
    for g in grads:
        G = G + g ** 2
        out.append(-lr * g / np.sqrt(G + eps))
    return out


def _numpy_rmsprop(lr, decay, eps, grads):
    E, out = 0.0, []
    for g in grads:
        E = decay * E + (1 - decay) * g ** 2
        out.append(-lr * g / np.sqrt(E + eps))
    return out


def _ours_updates(opt, grads):
    """Updates of `opt` for a sequence of gradient vectors (params fixed at zero: updates only)."""
    w = jnp.zeros(grads.shape[1], jnp.float32)
    state, out = opt.init(w), []
    for g in grads:
        u, state = opt.update(jnp.asarray(g, jnp.float32), state, w)
        out.append(np.asarray(u))
    return np.array(out)


def _assert_close_per_weight(ours, expected, rtol=1e-5):
    """float32 against float64: each weight (column) compared up to rtol of its own largest update, since
    a velocity or running average that sums terms of both signs loses relative precision near zero."""
    expected = np.asarray(expected)
    scale = np.max(np.abs(expected), axis=0, keepdims=True)
    np.testing.assert_array_less(np.abs(ours - expected), rtol * np.abs(expected) + 5 * rtol * scale + 1e-30)


GRADS = np.random.default_rng(7).normal(size=(80, 5)) * np.array([1e-3, 0.1, 1.0, 10.0, 100.0])


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_momentum_matches_numpy_loop_of_the_formula(beta, nesterov):
    ours = _ours_updates(optim.momentum(0.03, beta, nesterov=nesterov), GRADS)
    _assert_close_per_weight(ours, _numpy_momentum([0.03] * 80, beta, GRADS, nesterov))


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_with_a_schedule_keeps_each_gradients_own_rate(nesterov):
    # optax.sgd(schedule, momentum) rescales the whole trace by the current η; the contract does not
    schedule = optim.exponential_decay(0.1, 0.5, 10)
    lrs = [0.1 * 0.5 ** (k / 10) for k in range(80)]
    ours = _ours_updates(optim.momentum(schedule, 0.9, nesterov=nesterov), GRADS)
    _assert_close_per_weight(ours, _numpy_momentum(lrs, 0.9, GRADS, nesterov))
    theirs = np.array([np.asarray(u) for u, _ in _run_updates(
        optax.sgd(optax.exponential_decay(0.1, 10, 0.5), momentum=0.9, nesterov=nesterov),
        jnp.zeros(5), [jnp.asarray(g, jnp.float32) for g in GRADS])])
    assert not np.allclose(ours, theirs, rtol=1e-3)  # the documented difference is real


@pytest.mark.parametrize("rho, eps, lr", [(0.9, 1e-6, 1.0), (0.95, 1e-6, 1.0), (0.5, 1e-2, 0.3)])
def test_adadelta_matches_numpy_loop_of_zeilers_algorithm(rho, eps, lr):
    ours = _ours_updates(optim.adadelta(lr, rho, eps), GRADS)
    _assert_close_per_weight(ours, _numpy_adadelta(GRADS, rho, eps, lr), rtol=2e-5)


@pytest.mark.parametrize("b1, b2, eps", [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3), (0.0, 0.99, 1e-8)])
def test_adam_matches_numpy_loop_with_bias_correction(b1, b2, eps):
    ours = _ours_updates(optim.adam(0.01, b1, b2, eps), GRADS)
    _assert_close_per_weight(ours, _numpy_adam([0.01] * 80, b1, b2, eps, GRADS), rtol=3e-5)


def test_adagrad_and_rmsprop_match_numpy_loops():
    _assert_close_per_weight(_ours_updates(optim.adagrad(0.2), GRADS), _numpy_adagrad(0.2, 1e-8, GRADS))
    _assert_close_per_weight(_ours_updates(optim.rmsprop(0.01, 0.9), GRADS), _numpy_rmsprop(0.01, 0.9, 1e-8, GRADS))


def test_adam_first_step_is_lr_times_sign_of_the_gradient():
    # m̂₁ = g, v̂₁ = g², so Δ₁ = −η g / (|g| + ε) ≈ −η sign(g), whatever the scale of g
    g = jnp.array([1e-3, -2.0, 50.0])
    u, _ = optim.adam(0.1).update(g, optim.adam(0.1).init(g))
    np.testing.assert_allclose(np.asarray(u), [-0.1, 0.1, -0.1], rtol=1e-4)


def test_adadelta_first_step_is_sqrt_eps_over_rms_of_the_gradient():
    # E[g²]₁ = (1 − ρ) g², E[Δx²]₀ = 0: Δx₁ = −√ε / √((1 − ρ) g² + ε) · g, about −√(ε / (1 − ρ)) sign(g)
    g = jnp.array([3.0, -0.5])
    u, _ = optim.adadelta().update(g, optim.adadelta().init(g))
    expected = -np.sqrt(1e-6) / np.sqrt(0.1 * np.array([3.0, -0.5]) ** 2 + 1e-6) * np.array([3.0, -0.5])
    np.testing.assert_allclose(np.asarray(u), expected, rtol=1e-5)


def test_nesterov_is_the_slides_look_ahead_method_at_the_look_ahead_point():
    # slides: v_t = γv_{t−1} + η∇J(w_t − γv_{t−1}), w_{t+1} = w_t − v_t; ours runs on φ_t = w_t − γv_{t−1}
    grad = jax.grad(_quadratic)
    lr, gamma, w = 0.1, 0.9, np.array([4.0, 3.0])
    v = np.zeros(2)
    phis = optim.trajectory(optim.nesterov(lr, gamma), grad, jnp.asarray(w, jnp.float32), 40)
    for t in range(40):
        np.testing.assert_allclose(np.asarray(phis[t]), w - gamma * v, rtol=1e-5, atol=1e-5)
        v = gamma * v + lr * np.asarray(grad(jnp.asarray(w - gamma * v, jnp.float32)), np.float64)
        w = w - v


# ---- every optimizer minimises a quadratic and Rosenbrock -----------------------------------------------

MINIMISERS = {
    "sgd": (optim.sgd(0.1), optim.sgd(1e-3)),
    "momentum": (optim.momentum(0.05), optim.momentum(2e-4)),
    "nesterov": (optim.nesterov(0.05), optim.nesterov(2e-4)),
    "adagrad": (optim.adagrad(1.0), optim.adagrad(0.5)),
    "adadelta": (optim.adadelta(), optim.adadelta(rho=0.95)),
    "rmsprop": (optim.rmsprop(0.02), optim.rmsprop(1e-3)),
    "adam": (optim.adam(0.1), optim.adam(0.02)),
}


@pytest.mark.parametrize("name", list(MINIMISERS))
def test_optimizer_minimises_a_quadratic(name):
    opt = MINIMISERS[name][0]
    path = optim.trajectory(opt, jax.grad(_quadratic), jnp.array([4.0, 3.0]), 3000)
    losses = np.array([float(_quadratic(w)) for w in path[::100]])
    assert losses[-1] < 1e-3 * losses[0]
    np.testing.assert_allclose(np.asarray(path[-1]), C, atol=0.05)


@pytest.mark.parametrize("name", list(MINIMISERS))
def test_optimizer_minimises_rosenbrock(name):
    opt = MINIMISERS[name][1]
    path = optim.trajectory(opt, jax.grad(ROSEN), jnp.array([-1.2, 1.0]), 20000)
    start, end = float(ROSEN(path[0])), float(ROSEN(path[-1]))
    assert np.isfinite(end) and end < 0.05 * start, (start, end)


# ---- schedules ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("init, rate, steps", [(0.1, 0.5, 10), (1.0, 0.9, 1), (0.3, 0.99, 3.5)])
def test_exponential_decay_equals_optax_and_the_formula(init, rate, steps):
    ours, theirs = optim.exponential_decay(init, rate, steps), optax.exponential_decay(init, steps, rate)
    for k in range(0, 60):
        np.testing.assert_allclose(float(ours(k)), float(theirs(k)), rtol=1e-6)
        np.testing.assert_allclose(float(ours(k)), init * rate ** (k / steps), rtol=1e-5)


@pytest.mark.parametrize("init, drop, every", [(0.1, 0.5, 10), (1.0, 0.1, 3)])
def test_step_decay_equals_optax_staircase_and_the_formula(init, drop, every):
    ours, theirs = optim.step_decay(init, drop, every), optax.exponential_decay(init, every, drop, staircase=True)
    for k in range(0, 40):
        np.testing.assert_allclose(float(ours(k)), float(theirs(k)), rtol=1e-6)
        np.testing.assert_allclose(float(ours(k)), init * drop ** (k // every), rtol=1e-6)


def test_constant_schedule_and_a_plain_function_as_schedule():
    g = jnp.array([2.0])
    for lr in (optim.constant(0.25), lambda k: 0.25):
        opt = optim.sgd(lr)
        state = opt.init(g)
        for _ in range(3):
            u, state = opt.update(g, state)
            np.testing.assert_allclose(np.asarray(u), [-0.5])
        assert int(state.count) == 3


def test_schedule_is_used_with_the_update_count_from_zero():
    seen = []
    opt = optim.adam(lambda k: (seen.append(k), 0.1)[1])
    state = opt.init(jnp.ones(2))
    for _ in range(3):
        _, state = jax.jit(opt.update)(jnp.ones(2), state)
    assert int(state[1].count) == 3
    u, _ = opt.update(jnp.ones(2), opt.init(jnp.ones(2)))
    assert int(seen[-1]) == 0  # eager call: the first update asks for η_0


def test_schedule_under_jit_in_fit_decays_the_steps():
    # sgd with step_decay on f = ½w²: each step multiplies w by (1 − η_k)
    opt = optim.sgd(optim.step_decay(0.5, 0.5, 2))
    path = optim.trajectory(opt, lambda w: w, jnp.array(1.0), 6)
    factors = [1 - 0.5 * 0.5 ** (k // 2) for k in range(6)]
    np.testing.assert_allclose(np.asarray(path), np.cumprod([1.0] + factors), rtol=1e-6)


# ---- states and structure ------------------------------------------------------------------------------------

def test_states_are_namedtuples_of_the_params_shapes():
    params = {"W": jnp.ones((3, 2)), "b": jnp.ones(2)}
    state = optim.adam(0.1).init(params)
    adam_state = state[0]
    assert isinstance(adam_state, optim.AdamState) and adam_state.count.dtype == jnp.int32
    assert jax.tree_util.tree_map(jnp.shape, adam_state.m) == {"W": (3, 2), "b": (2,)}
    assert isinstance(optim.adadelta().init(params)[0], optim.AdadeltaState)
    assert isinstance(optim.momentum(0.1).init(params)[1], optim.TraceState)


def test_momentum_state_holds_the_slides_velocity():
    g = jnp.array([1.0, -2.0])
    opt = optim.momentum(0.1, 0.9)
    state = opt.init(g)
    for _ in range(2):
        _, state = opt.update(g, state)
    np.testing.assert_allclose(np.asarray(state[1].v), (0.9 * 0.1 + 0.1) * np.array([1.0, -2.0]), rtol=1e-6)


def test_nesterov_is_the_momentum_flag():
    g = _random_grads(jnp.ones(4), 20, seed=3)
    a = _run_updates(optim.nesterov(0.1, 0.8), jnp.zeros(4), g)
    b = _run_updates(optim.momentum(0.1, 0.8, nesterov=True), jnp.zeros(4), g)
    _assert_same_run(a, b, rtol=0, atol=0)


def test_optimizers_work_under_jit_and_keep_float32():
    params = (jnp.ones(3), {"b": jnp.zeros(2)})
    for opt in (optim.adam(0.1), optim.adadelta(), optim.nesterov(0.1), optim.adagrad(0.1), optim.rmsprop(0.1)):
        state = opt.init(params)
        updates, state = jax.jit(opt.update)(params, state, params)
        assert all(u.dtype == jnp.float32 for u in jax.tree_util.tree_leaves(updates))


def test_trajectory_accepts_a_pytree_and_stacks_steps_first():
    params = {"a": jnp.array([1.0, 2.0]), "b": (jnp.array(3.0),)}
    path = optim.trajectory(optim.sgd(0.5), lambda p: p, params, 4)
    assert path["a"].shape == (5, 2) and path["b"][0].shape == (5,)
    np.testing.assert_allclose(np.asarray(path["b"][0]), 3.0 * 0.5 ** np.arange(5))


# ---- bad hyperparameters ------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, name", [
    (lambda lr: optim.momentum(lr), "momentum"), (lambda lr: optim.nesterov(lr), "nesterov"),
    (lambda lr: optim.adagrad(lr), "adagrad"), (lambda lr: optim.adadelta(lr), "adadelta"),
    (lambda lr: optim.rmsprop(lr), "rmsprop"), (lambda lr: optim.adam(lr), "adam"), (optim.sgd, "sgd")])
@pytest.mark.parametrize("lr", [-0.1, 0.0, -1])
def test_optimizers_reject_a_non_positive_learning_rate(make, name, lr):
    with pytest.raises(ValueError, match=rf"^{name}: lr \(the learning rate η\) must be positive, got {lr!r}$"):
        make(lr)


@pytest.mark.parametrize("lr", ["0.1", None, [0.1], True])
def test_optimizers_reject_a_learning_rate_that_is_not_a_number(lr):
    with pytest.raises(ValueError, match=r"^adam: lr \(the learning rate η\) must be a positive number or a schedule"):
        optim.adam(lr)


@pytest.mark.parametrize("beta", [-0.1, 1.0, 1.5])
@pytest.mark.parametrize("fn", ["momentum", "nesterov"])
def test_momentum_rejects_beta_outside_0_1(fn, beta):
    with pytest.raises(ValueError, match=rf"^{fn}: beta \(β, the momentum coefficient\) must be in \[0, 1\), "
                                         rf"got {beta!r}$"):
        getattr(optim, fn)(0.1, beta)


@pytest.mark.parametrize("call, message", [
    (lambda: optim.adam(0.1, b1=1.0), r"^adam: b1 \(β₁, the decay of the first moment\) must be in \[0, 1\), got 1.0$"),
    (lambda: optim.adam(0.1, b2=-0.5), r"^adam: b2 \(β₂, the decay of the second moment\) must be in \[0, 1\), got -0.5$"),
    (lambda: optim.adam(0.1, eps=0.0), r"^adam: eps \(ε\) must be positive, got 0.0$"),
    (lambda: optim.rmsprop(0.1, decay=1.0), r"^rmsprop: decay \(γ, the decay of the running average\) must be in "
                                            r"\[0, 1\), got 1.0$"),
    (lambda: optim.rmsprop(0.1, eps=-1e-8), r"^rmsprop: eps \(ε\) must be positive, got -1e-08$"),
    (lambda: optim.adadelta(rho=1.2), r"^adadelta: rho \(ρ, the decay of the running averages\) must be in "
                                      r"\[0, 1\), got 1.2$"),
    (lambda: optim.adadelta(eps=0), r"^adadelta: eps \(ε\) must be positive, got 0$"),
    (lambda: optim.adagrad(0.1, eps="small"), r"^adagrad: eps \(ε\) must be a number, got str 'small'$"),
    (lambda: optim.adam(0.1, b1=float("nan")), r"^adam: b1 \(β₁, the decay of the first moment\) must be finite"),
    (lambda: optim.exponential_decay(-1.0, 0.5), r"^exponential_decay: init_lr \(η₀\) must be positive, got -1.0$"),
    (lambda: optim.exponential_decay(0.1, 1.5), r"^exponential_decay: decay_rate \(r\) must be in \(0, 1\], got 1.5$"),
    (lambda: optim.exponential_decay(0.1, 0.5, 0), r"^exponential_decay: decay_steps \(s, updates per factor r\) "
                                                   r"must be positive, got 0$"),
    (lambda: optim.step_decay(0.1, 0.0), r"^step_decay: drop \(the factor per drop\) must be in \(0, 1\], got 0.0$"),
    (lambda: optim.step_decay(0.1, 0.5, 2.5), r"^step_decay: every \(updates between drops\) must be a positive "
                                              r"integer, got 2.5$"),
    (lambda: optim.trajectory(optim.sgd(0.1), lambda w: w, jnp.ones(2), -1),
     r"^trajectory: steps must be a non-negative integer, got -1$"),
])
def test_bad_hyperparameters_raise_a_value_error_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_learning_rate_may_be_traced_under_jit():
    # e.g. a widget or a sweep that makes the rate an argument of a jitted function
    run = jax.jit(lambda lr: optim.trajectory(optim.adam(lr), lambda w: w, jnp.ones(2), 3))
    eager = optim.trajectory(optim.adam(0.1), lambda w: w, jnp.ones(2), 3)
    np.testing.assert_allclose(np.asarray(run(0.1)), np.asarray(eager), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(eager[1]), [0.9, 0.9], rtol=1e-5)  # Adam's first step is η


# ---- the slides' worked claims, recomputed (errata of notebooks/07_optimizers.ipynb) -------------------------

def test_seed004_total_loss_is_the_mean_example_loss_not_the_mean_target():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 2)), rng.normal(3.0, 1.0, 50)
    theta = np.array([0.3, -0.2])
    per_example = 0.5 * (x @ theta - y) ** 2
    total = float(jax.jit(lambda t: 0.5 * jnp.mean((jnp.asarray(x) @ t - jnp.asarray(y)) ** 2))(jnp.asarray(theta)))
    np.testing.assert_allclose(total, per_example.mean(), rtol=1e-5)   # C = E_r[C^r]
    assert abs(total - y.mean()) > 1.0                                   # not E[ŷ^r]
    full = jax.grad(lambda t: 0.5 * jnp.mean((jnp.asarray(x) @ t - jnp.asarray(y)) ** 2))(jnp.asarray(theta))
    np.testing.assert_allclose(np.asarray(full), (x * (x @ theta - y)[:, None]).mean(axis=0), rtol=1e-5)


def test_seed002_learning_rate_range_0_to_1_is_neither_necessary_nor_sufficient():
    # f = a w²/2: gradient descent multiplies w by 1 − ηa, converging iff 0 < η < 2/a
    diverges = optim.trajectory(optim.sgd(0.6), lambda w: 4.0 * w, jnp.array(1.0), 10)    # η < 1, a = 4
    converges = optim.trajectory(optim.sgd(3.0), lambda w: 0.5 * w, jnp.array(1.0), 10)   # η > 1, a = 0.5
    np.testing.assert_allclose(float(diverges[-1]), 1.4 ** 10, rtol=1e-5)
    np.testing.assert_allclose(float(converges[-1]), 0.5 ** 10, rtol=1e-5)


def test_seed002_momentum_subtracts_v_the_slides_w_t_equals_w_t_plus_1_minus_v_climbs():
    grad = jax.grad(lambda w: 0.01 * w[0] ** 2 + w[1] ** 2)
    f = lambda w: 0.01 * w[0] ** 2 + w[1] ** 2
    w0 = jnp.array([-9.0, 1.5])
    ours = optim.trajectory(optim.momentum(0.05, 0.9), grad, w0, 20)[-1]
    w, v = np.asarray(w0, np.float64), np.zeros(2)
    for _ in range(20):  # the slide solved for w_{t+1}: w_{t+1} = w_t + v_t
        v = 0.9 * v + 0.05 * np.asarray(grad(jnp.asarray(w, jnp.float32)))
        w = w + v
    assert float(f(ours)) < float(f(w0)) < f(w)


def test_seed002_adagrad_uses_the_gradient_at_w_not_the_look_ahead_point():
    # the method (and optax) takes the gradient at the current parameters
    grad = jax.grad(lambda w: 0.01 * w[0] ** 2 + w[1] ** 2)
    w0 = jnp.array([-9.0, 1.5])
    ours = optim.trajectory(optim.adagrad(1.0), grad, w0, 60)
    theirs = optim.trajectory(optax.adagrad(1.0, initial_accumulator_value=0.0, eps=1e-8), grad, w0, 60)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)
    w, v, G = np.asarray(w0, np.float64), np.zeros(2), np.zeros(2)
    for _ in range(60):  # the slide's g = ∇J(w − γv), with momentum's v
        g = np.asarray(grad(jnp.asarray(w - 0.9 * v, jnp.float32)), np.float64)
        G, v = G + g ** 2, 0.9 * v + g
        w = w - g / np.sqrt(G + 1e-8)
    assert np.max(np.abs(w - np.asarray(ours[-1]))) > 0.1


def test_seed002_adadelta_first_step_is_about_0_003_not_the_slides_3_16():
    # the slide's "Adadelta" with η = 1 is RMSProp: first step g/√(0.1 g²) = 3.16 sign(g)
    g = jnp.array([0.5, -4.0])
    slide, _ = optim.rmsprop(1.0, 0.9, 1e-6).update(g, optim.rmsprop(1.0, 0.9, 1e-6).init(g))
    zeiler, _ = optim.adadelta().update(g, optim.adadelta().init(g))
    np.testing.assert_allclose(np.abs(np.asarray(slide)), 1 / np.sqrt(0.1), rtol=1e-4)
    np.testing.assert_allclose(np.abs(np.asarray(zeiler)), np.sqrt(1e-6 / 0.1), rtol=1e-3)
    theirs, _ = optax.adadelta(1.0).update(g, optax.adadelta(1.0).init(g), g)
    np.testing.assert_allclose(np.asarray(zeiler), np.asarray(theirs), rtol=1e-6)


def test_seed002_rmsprop_divides_by_rms_5_not_the_slides_double_root_2_24():
    # E[g²] = 0.04 after one step with decay 0 and g = 0.2: factor 1/RMS = 5, slide 1/√(RMS + ε) ≈ 2.24
    g = jnp.array([0.2])
    opt = optim.rmsprop(1.0, decay=0.0, eps=1e-8)
    u, _ = opt.update(g, opt.init(g))
    np.testing.assert_allclose(float(-u[0] / g[0]), 5.0, rtol=1e-5)
    assert abs(1 / np.sqrt(np.sqrt(0.04 + 1e-8) + 1e-8) - 2.2361) < 1e-4


def test_seed002_adam_eps_outside_the_root_first_step_0_99_not_the_slides_0_01():
    g = jnp.array([1e-6])
    u, _ = optim.adam(1.0).update(g, optim.adam(1.0).init(g))
    theirs, _ = optax.adam(1.0).update(g, optax.adam(1.0).init(g))
    np.testing.assert_allclose(float(-u[0]), 1e-6 / (1e-6 + 1e-8), rtol=1e-5)       # 0.990
    np.testing.assert_allclose(float(u[0]), float(theirs[0]), rtol=1e-6)
    assert abs(1e-6 / np.sqrt(1e-12 + 1e-8) - 0.0100) < 1e-4                      # the slide's form


def test_adam_without_bias_correction_would_step_3_16_eta_first_and_6_5_eta_at_t_10():
    b1, b2, g = 0.9, 0.999, 2.0
    m = v = 0.0
    ratios = []
    for _ in range(10):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        ratios.append(m / np.sqrt(v))
    np.testing.assert_allclose(ratios[0], 0.1 / np.sqrt(0.001), rtol=1e-12)
    np.testing.assert_allclose([ratios[0], ratios[9]], [3.162, 6.528], atol=1e-3)
    u, _ = optim.adam(1.0).update(jnp.array([g]), optim.adam(1.0).init(jnp.array([g])))
    np.testing.assert_allclose(float(-u[0]), 1.0, rtol=2e-5)  # corrected: η (float32 1 − β₂)


def test_seed002_gradient_descent_escapes_a_saddle_unless_started_exactly_on_its_attracting_line():
    # f = w1² + w2⁴/4 − w2²/2: near the origin w2 grows by (1 + η) per step, so an offset δ escapes,
    # slowly; only δ = 0 is trapped ("SGD cannot escape saddle points" overstates it)
    f = lambda w: w[0] ** 2 + 0.25 * w[1] ** 4 - 0.5 * w[1] ** 2
    escape = {}
    for delta in (0.0, 1e-3, 1e-6):
        path = np.asarray(optim.trajectory(optim.sgd(0.1), jax.grad(f), jnp.array([-2.0, delta]), 200))
        out = np.flatnonzero(np.abs(path[:, 1]) > 0.5)
        escape[delta] = int(out[0]) if out.size else None
    assert escape[0.0] is None
    for delta in (1e-3, 1e-6):  # about ln(0.5/δ)/ln(1.1) steps, plus a few while w1 settles
        assert np.log(0.5 / delta) / np.log(1.1) - 5 < escape[delta] < np.log(0.5 / delta) / np.log(1.1) + 10
    assert escape[1e-6] > 2 * escape[1e-3] - 10


@pytest.mark.parametrize("name", list(OPTAX_TWINS))
def test_optimizer_trajectory_in_float64_equals_optax_to_1e_9(name):
    # in double precision the two follow one formula to rounding: a float32 step anywhere (Adam's bias
    # corrections once were) shows as a drift of about 1e-6 within these 60 updates
    with jax.enable_x64(True):
        ours, theirs = (make() for make in OPTAX_TWINS[name])
        w0 = jnp.array([4.0, 3.0, -2.0], dtype=jnp.float64)
        grad = jax.grad(lambda w: 0.5 * (w[:2] - C) @ A @ (w[:2] - C) + jnp.sum(jnp.sin(w) ** 2))
        a, b = optim.trajectory(ours, grad, w0, 60), optim.trajectory(theirs, grad, w0, 60)
        assert a.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12)

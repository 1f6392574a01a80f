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

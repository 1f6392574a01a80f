"""Optimizers as pairs of pure functions, in the style of optax.

    opt = sgd(0.1)
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = apply_updates(params, updates)          # params + updates, leaf by leaf

`params`, `grads` and `updates` are any pytree (arrays, tuples, NamedTuples, dicts) of the same
structure. `update` returns the step Δ to ADD, so for gradient descent Δ = −η g.
Lecture 7 adds momentum, Nesterov, Adagrad, Adadelta, RMSProp and Adam.
"""
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["Optimizer", "sgd", "apply_updates"]


class Optimizer(NamedTuple):
    init: Callable    # params -> state
    update: Callable  # (grads, state, params=None) -> (updates, state)


class SgdState(NamedTuple):
    """Plain gradient descent keeps no state."""


def sgd(lr):
    """Gradient descent: w ← w − η ∂L/∂w, i.e. Δ = −η g with learning rate η = `lr`."""
    if not lr > 0:
        raise ValueError(f"sgd: lr (the learning rate η) must be positive, got {lr!r}")

    def init(params):
        return SgdState()

    def update(grads, state, params=None):
        return jax.tree_util.tree_map(lambda g: -lr * g, grads), state

    return Optimizer(init, update)


def apply_updates(params, updates):
    """params + updates, leaf by leaf (the trees must have the same structure)."""
    p_tree = jax.tree_util.tree_structure(params)
    u_tree = jax.tree_util.tree_structure(updates)
    if p_tree != u_tree:
        raise ValueError(f"apply_updates: updates must have the structure of params, "
                         f"got {u_tree} for params {p_tree}")
    # jnp.result_type, not p.dtype: a leaf may be a plain Python number, e.g. params = (1.0, -2.0)
    return jax.tree_util.tree_map(lambda p, u: jnp.asarray(p + u, dtype=jnp.result_type(p)), params, updates)

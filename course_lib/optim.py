"""Optimizers as pairs of pure functions, in the style of optax.

    opt = adam(1e-3)
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = apply_updates(params, updates)          # params + updates, leaf by leaf

`params`, `grads` and `updates` are any pytree (arrays, tuples, NamedTuples, dicts) of the same
structure. `update` returns the step Δ to ADD, so for gradient descent Δ = −η g. All arithmetic is
elementwise: every weight has its own velocity and its own squared-gradient averages.

Each named optimizer is a short `chain` of small transforms (the same `(init, update)` pair, acting on
the gradient on its way to becoming an update), written in lecture 7's symbols, with t = 1, 2, … the
number of the update and g = g_t the gradient at the current parameters w_t:

    sgd(η)               Δ = −η g
    momentum(η, β)       v ← β v + η g,                        Δ = −v
    nesterov(η, β)       v ← β v + η g,                        Δ = −(β v + η g)     (v the new velocity)
    adagrad(η, ε)        G ← G + g²,                           Δ = −η g / √(G + ε)
    adadelta(η, ρ, ε)    E[g²] ← ρ E[g²] + (1 − ρ) g²,         Δx = −√(E[Δx²] + ε) / √(E[g²] + ε) · g,
                         E[Δx²] ← ρ E[Δx²] + (1 − ρ) Δx²,      Δ = η Δx   (Zeiler 2012 is η = 1)
    rmsprop(η, γ, ε)     E[g²] ← γ E[g²] + (1 − γ) g²,         Δ = −η g / √(E[g²] + ε)
    adam(η, β₁, β₂, ε)   m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
                         m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ),  Δ = −η m̂ / (√v̂ + ε)

Every state starts at zero. A learning rate η is a positive number or a schedule, a function of the
update count k = 0, 1, 2, … returning η_k (`exponential_decay`, `step_decay`): the first update uses
η_0. Each docstring names the optax configuration that produces the same trajectory.
"""
import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    # the interface
    "Optimizer", "apply_updates", "trajectory",
    # named optimizers
    "sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
    # learning-rate schedules
    "constant", "exponential_decay", "step_decay",
    # the small transforms they are built from, and their states
    "chain", "scale", "scale_by_learning_rate", "trace", "scale_by_rss", "scale_by_rms",
    "scale_by_adadelta", "scale_by_adam",
    "EmptyState", "ScheduleState", "TraceState", "RssState", "RmsState", "AdadeltaState", "AdamState",
]

Params = Any  # a pytree of arrays


class Optimizer(NamedTuple):
    init: Callable    # params -> state
    update: Callable  # (grads, state, params=None) -> (updates, state)


# ---- states (each field: its shape) --------------------------------------------------------------------

class EmptyState(NamedTuple):
    """A transform that keeps no state (plain gradient descent with a constant η)."""


SgdState = EmptyState  # the name lecture 1's sgd used


class ScheduleState(NamedTuple):
    count: jax.Array  # shape (), int32: updates made so far, k; the next update uses η_k


class TraceState(NamedTuple):
    v: Params  # velocity v, same tree and shapes as params


class RssState(NamedTuple):
    G: Params  # Σ g² over all updates so far (the diagonal of Adagrad's G_t), same tree as params


class RmsState(NamedTuple):
    e_g2: Params  # E[g²], the running average of squared gradients, same tree as params


class AdadeltaState(NamedTuple):
    e_g2: Params   # E[g²], the running average of squared gradients, same tree as params
    e_dx2: Params  # E[Δx²], the running average of squared updates, same tree as params


class AdamState(NamedTuple):
    count: jax.Array  # shape (), int32: updates made so far, t − 1 during update t
    m: Params         # first moment (running mean of g), same tree as params
    v: Params         # second moment (running mean of g²), same tree as params


# ---- the interface ------------------------------------------------------------------------------------

def apply_updates(params, updates):
    """params + updates, leaf by leaf (the trees must have the same structure)."""
    p_tree = jax.tree_util.tree_structure(params)
    u_tree = jax.tree_util.tree_structure(updates)
    if p_tree != u_tree:
        raise ValueError(f"apply_updates: updates must have the structure of params, "
                         f"got {u_tree} for params {p_tree}")
    # jnp.result_type, not p.dtype: a leaf may be a plain Python number, e.g. params = (1.0, -2.0)
    return jax.tree_util.tree_map(lambda p, u: jnp.asarray(p + u, dtype=jnp.result_type(p)), params, updates)


def trajectory(optimizer, grad_fn, params, steps):
    """The iterates w_0, w_1, …, w_steps of `optimizer` minimising a function whose gradient is `grad_fn`.

    grad_fn: params -> grads (e.g. jax.grad(f)).   Returns a pytree like params whose leaves have a new
    leading axis of length steps + 1 (w_0 = params first). Runs as one jitted lax.scan; any object with
    optax's (init, update) interface works, so optax optimizers can be compared with these.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"trajectory: steps must be a non-negative integer, got {steps!r}")
    params = jax.tree_util.tree_map(jnp.asarray, params)

    def step(carry, _):
        w, state = carry
        updates, state = optimizer.update(grad_fn(w), state, w)
        w = apply_updates(w, updates)
        return (w, state), w

    @jax.jit
    def run(w0):
        _, ws = jax.lax.scan(step, (w0, optimizer.init(w0)), None, length=int(steps))
        return jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), w0, ws)

    return run(params)


# ---- small transforms -----------------------------------------------------------------------------------

def chain(*transforms):
    """Apply transforms one after the other: the updates of one are the input of the next.
    The state is the tuple of their states."""
    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        new_state = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return Optimizer(init, update)


def scale(factor):
    """u → factor · u."""
    def init(params):
        return EmptyState()

    def update(updates, state, params=None):
        return _map(lambda u: factor * u, updates), state

    return Optimizer(init, update)


def scale_by_learning_rate(lr, *, flip_sign=True):
    """u → −η u (or +η u with flip_sign=False); η a positive number, or a schedule k -> η_k that is
    called with the number of updates made so far (ScheduleState.count, starting at 0)."""
    return _scale_by_lr(_learning_rate("scale_by_learning_rate", lr), flip_sign)


def trace(beta, nesterov=False):
    """Momentum on whatever arrives, u: v ← β v + u, out = v, or out = β v + u with nesterov=True."""
    return _trace(_unit_interval("trace", "beta", "β, the momentum coefficient", beta), nesterov)


def scale_by_rss(eps=1e-8):
    """Adagrad's scaling: G ← G + g² (the sum of all squared gradients so far), g → g / √(G + ε)."""
    eps = _positive("scale_by_rss", "eps", "ε", eps)

    def init(params):
        return RssState(G=_zeros(params))

    def update(grads, state, params=None):
        G = _map(lambda G, g: G + g * g, state.G, grads)
        return _map(lambda g, G: g / jnp.sqrt(G + eps), grads, G), RssState(G=G)

    return Optimizer(init, update)


def scale_by_rms(decay=0.9, eps=1e-8):
    """RMSProp's scaling: E[g²] ← γ E[g²] + (1 − γ) g², g → g / √(E[g²] + ε), with γ = `decay`."""
    decay = _unit_interval("scale_by_rms", "decay", "γ, the decay of the running average", decay)
    eps = _positive("scale_by_rms", "eps", "ε", eps)

    def init(params):
        return RmsState(e_g2=_zeros(params))

    def update(grads, state, params=None):
        e_g2 = _map(lambda e, g: decay * e + (1 - decay) * g * g, state.e_g2, grads)
        return _map(lambda g, e: g / jnp.sqrt(e + eps), grads, e_g2), RmsState(e_g2=e_g2)

    return Optimizer(init, update)


def scale_by_adadelta(rho=0.9, eps=1e-6):
    """Adadelta's step (Zeiler 2012, Algorithm 1), in the direction of the gradient (the sign is flipped
    by scale_by_learning_rate):

        E[g²] ← ρ E[g²] + (1 − ρ) g²
        u = RMS[Δx]_{t−1} / RMS[g]_t · g      with RMS[y] = √(E[y²] + ε)
        E[Δx²] ← ρ E[Δx²] + (1 − ρ) u²        (the running average of squared updates)
    """
    rho = _unit_interval("scale_by_adadelta", "rho", "ρ, the decay of the running averages", rho)
    eps = _positive("scale_by_adadelta", "eps", "ε", eps)

    def init(params):
        return AdadeltaState(e_g2=_zeros(params), e_dx2=_zeros(params))

    def update(grads, state, params=None):
        e_g2 = _map(lambda e, g: rho * e + (1 - rho) * g * g, state.e_g2, grads)
        dx = _map(lambda g, eg, ex: jnp.sqrt(ex + eps) / jnp.sqrt(eg + eps) * g, grads, e_g2, state.e_dx2)
        e_dx2 = _map(lambda e, d: rho * e + (1 - rho) * d * d, state.e_dx2, dx)
        return dx, AdadeltaState(e_g2=e_g2, e_dx2=e_dx2)

    return Optimizer(init, update)


def scale_by_adam(b1=0.9, b2=0.999, eps=1e-8):
    """Adam's step direction: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², g → m̂ / (√v̂ + ε) with the
    bias-corrected m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), t the number of this update (1, 2, …)."""
    b1 = _unit_interval("scale_by_adam", "b1", "β₁, the decay of the first moment", b1)
    b2 = _unit_interval("scale_by_adam", "b2", "β₂, the decay of the second moment", b2)
    eps = _positive("scale_by_adam", "eps", "ε", eps)
    return _adam(b1, b2, eps)


# ---- named optimizers ------------------------------------------------------------------------------------

def sgd(lr):
    """Gradient descent: w ← w − η ∂L/∂w, i.e. Δ = −η g with learning rate η = `lr`.

    Same trajectory as optax.sgd(lr)."""
    return _scale_by_lr(_learning_rate("sgd", lr), flip_sign=True)


def momentum(lr, beta=0.9, nesterov=False):
    """Gradient descent with momentum (the slides' convention, η inside the velocity):

        v ← β v + η g,    Δ = −v                         (v starts at 0, one per weight)

    With nesterov=True, the look-ahead rule of Nesterov rewritten at the current parameters:
    Δ = −(β v + η g) with the new v (see `nesterov`).

    optax.sgd(lr, momentum=β, nesterov=...) keeps t ← β t + g and steps −η t instead. For a constant η
    the two are the same trajectory, since v = η t at every step; with a schedule η_k they differ
    (here each gradient keeps the rate of its own step, in optax every past gradient is rescaled by the
    current rate), and tests compare that case with a NumPy loop of the formula above.
    """
    return _momentum("momentum", lr, beta, nesterov)


def nesterov(lr, beta=0.9):
    """Nesterov's accelerated gradient. The slides' look-ahead form evaluates the gradient at
    w − βv:  v ← βv + η ∇J(w − βv),  w ← w − v.  Written for the look-ahead point φ = w − βv_prev,
    where the gradient is taken, the same method is

        v ← β v + η g(φ),    Δφ = −(β v + η g(φ))        (v the new velocity)

    which is what this returns (momentum with nesterov=True); its iterates are the slides' look-ahead
    points, and both converge to the same minimum. Same trajectory as optax.sgd(lr, momentum=β,
    nesterov=True) for a constant η."""
    return _momentum("nesterov", lr, beta, True)


def adagrad(lr, eps=1e-8):
    """Adagrad: every weight divides η by the root of the sum of its squared gradients so far,

        G ← G + g²,    Δ = −η g / √(G + ε)              (G starts at 0; ε inside the root)

    Same trajectory as optax.adagrad(lr, initial_accumulator_value=0.0, eps=ε) (optax's defaults start
    G at 0.1 and use ε = 1e-7)."""
    lr = _learning_rate("adagrad", lr)
    eps = _positive("adagrad", "eps", "ε", eps)
    return chain(scale_by_rss(eps), _scale_by_lr(lr, True))


def adadelta(lr=1.0, rho=0.9, eps=1e-6):
    """Adadelta (Zeiler 2012): RMSProp's division by RMS[g], with η replaced by the RMS of the
    previous updates, so that the step has the units of w and no learning rate is needed:

        E[g²] ← ρ E[g²] + (1 − ρ) g²
        Δx = −√(E[Δx²] + ε) / √(E[g²] + ε) · g           (E[Δx²] of the previous step)
        E[Δx²] ← ρ E[Δx²] + (1 − ρ) Δx²
        Δ = η Δx                                           (the paper's method is η = 1, the default)

    The running average E[Δx²] is of Δx before η, as in optax and PyTorch. Same trajectory as
    optax.adadelta(lr, rho=ρ, eps=ε)."""
    lr = _learning_rate("adadelta", lr)
    rho = _unit_interval("adadelta", "rho", "ρ, the decay of the running averages", rho)
    eps = _positive("adadelta", "eps", "ε", eps)
    return chain(scale_by_adadelta(rho, eps), _scale_by_lr(lr, True))


def rmsprop(lr, decay=0.9, eps=1e-8):
    """RMSProp (Hinton): divide η by the root of a running average of squared gradients,

        E[g²] ← γ E[g²] + (1 − γ) g²,    Δ = −η g / √(E[g²] + ε)     (γ = `decay`, E[g²] starts at 0)

    Same trajectory as optax.rmsprop(lr, decay=γ, eps=ε) (with its defaults initial_scale=0,
    eps_in_sqrt=True, centered=False, no momentum, no bias correction)."""
    lr = _learning_rate("rmsprop", lr)
    decay = _unit_interval("rmsprop", "decay", "γ, the decay of the running average", decay)
    eps = _positive("rmsprop", "eps", "ε", eps)
    return chain(scale_by_rms(decay, eps), _scale_by_lr(lr, True))


def adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma & Ba 2015), bias-corrected, ε outside the root as in the paper:

        m ← β₁ m + (1 − β₁) g,    v ← β₂ v + (1 − β₂) g²             (both start at 0)
        m̂ = m / (1 − β₁ᵗ),       v̂ = v / (1 − β₂ᵗ),   Δ = −η m̂ / (√v̂ + ε)    (t = 1, 2, …)

    Same trajectory as optax.adam(lr, b1=β₁, b2=β₂, eps=ε) (eps_root=0)."""
    lr = _learning_rate("adam", lr)
    b1 = _unit_interval("adam", "b1", "β₁, the decay of the first moment", b1)
    b2 = _unit_interval("adam", "b2", "β₂, the decay of the second moment", b2)
    eps = _positive("adam", "eps", "ε", eps)
    return chain(_adam(b1, b2, eps), _scale_by_lr(lr, True))


# ---- learning-rate schedules: functions of the update count k = 0, 1, 2, … ---------------------------

def constant(lr):
    """η_k = η for every k."""
    lr = _positive("constant", "lr", "the learning rate η", lr)
    return lambda k: lr * jnp.ones((), jnp.float32)


def exponential_decay(init_lr, decay_rate, decay_steps=1):
    """η_k = η₀ · r^(k / s): the rate shrinks smoothly by the factor r every s updates.

    Same values as optax.exponential_decay(init_lr, transition_steps=s, decay_rate=r)."""
    init_lr = _positive("exponential_decay", "init_lr", "η₀", init_lr)
    decay_rate = _decay_factor("exponential_decay", "decay_rate", "r", decay_rate)
    decay_steps = _positive("exponential_decay", "decay_steps", "s, updates per factor r", decay_steps)
    return lambda k: init_lr * jnp.power(decay_rate, jnp.asarray(k, jnp.float32) / decay_steps)


def step_decay(init_lr, drop=0.5, every=10):
    """η_k = η₀ · drop^⌊k / every⌋: the rate is multiplied by `drop` after every `every` updates.

    Same values as optax.exponential_decay(init_lr, transition_steps=every, decay_rate=drop,
    staircase=True)."""
    init_lr = _positive("step_decay", "init_lr", "η₀", init_lr)
    drop = _decay_factor("step_decay", "drop", "the factor per drop", drop)
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"step_decay: every (updates between drops) must be a positive integer, got {every!r}")
    return lambda k: init_lr * jnp.power(drop, jnp.floor(jnp.asarray(k, jnp.float32) / every))


# ---- private ------------------------------------------------------------------------------------------------

def _map(f, *trees):
    return jax.tree_util.tree_map(f, *trees)


def _zeros(params):
    return _map(jnp.zeros_like, params)


def _scale_by_lr(lr, flip_sign):
    sign = -1.0 if flip_sign else 1.0
    if not callable(lr):
        return scale(sign * lr)

    def init(params):
        return ScheduleState(count=jnp.zeros((), jnp.int32))

    def update(updates, state, params=None):
        eta = lr(state.count)
        return _map(lambda u: (sign * eta * u).astype(jnp.result_type(u)), updates), ScheduleState(state.count + 1)

    return Optimizer(init, update)


def _trace(beta, nesterov):
    def init(params):
        return TraceState(v=_zeros(params))

    def update(updates, state, params=None):
        v = _map(lambda v, u: beta * v + u, state.v, updates)
        out = _map(lambda v, u: beta * v + u, v, updates) if nesterov else v
        return out, TraceState(v=v)

    return Optimizer(init, update)


def _momentum(name, lr, beta, nesterov):
    lr = _learning_rate(name, lr)
    beta = _unit_interval(name, "beta", "β, the momentum coefficient", beta)
    # η g first (sign kept), so that v is the slides' v ← βv + ηg; the minus sign comes last
    return chain(_scale_by_lr(lr, False), _trace(beta, bool(nesterov)), scale(-1.0))


def _adam(b1, b2, eps):
    def init(params):
        return AdamState(count=jnp.zeros((), jnp.int32), m=_zeros(params), v=_zeros(params))

    def update(grads, state, params=None):
        t = state.count + 1
        m = _map(lambda m, g: b1 * m + (1 - b1) * g, state.m, grads)
        v = _map(lambda v, g: b2 * v + (1 - b2) * g * g, state.v, grads)

        def direction(m, v):
            # the bias corrections in the parameters' precision (float64 under jax_enable_x64), never
            # below float32, so that β^t stays exact for a half-precision tree
            dtype = jnp.promote_types(m.dtype, jnp.float32)
            tt = t.astype(dtype)
            step = (m / (1 - b1 ** tt)) / (jnp.sqrt(v / (1 - b2 ** tt)) + eps)
            return step.astype(m.dtype)

        step = _map(direction, m, v)
        return step, AdamState(count=t, m=m, v=v)

    return Optimizer(init, update)


def _number(fn, name, symbol, value):
    """value as a float, or a ValueError that says what `name` is and what arrived."""
    if isinstance(value, bool):
        raise ValueError(f"{fn}: {name} ({symbol}) must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: {name} ({symbol}) must be a number, got {type(value).__name__} "
                         f"{value!r:.60}") from None
    if not math.isfinite(number):
        raise ValueError(f"{fn}: {name} ({symbol}) must be finite, got {value!r}")
    return number


def _learning_rate(fn, lr):
    """A learning rate: a schedule (any callable) as it is, or a positive number."""
    if callable(lr):
        return lr
    if isinstance(lr, jax.core.Tracer):  # under jit the value is unknown: trust it
        return lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.number, np.ndarray, jax.Array)):
        raise ValueError(f"{fn}: lr (the learning rate η) must be a positive number or a schedule "
                         f"(a function k -> η_k), got {type(lr).__name__} {lr!r:.60}")
    if not _number(fn, "lr", "the learning rate η", lr) > 0:
        raise ValueError(f"{fn}: lr (the learning rate η) must be positive, got {lr!r}")
    return float(lr)


def _positive(fn, name, symbol, value):
    number = _number(fn, name, symbol, value)
    if not number > 0:
        raise ValueError(f"{fn}: {name} ({symbol}) must be positive, got {value!r}")
    return number


def _unit_interval(fn, name, symbol, value):
    number = _number(fn, name, symbol, value)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"{fn}: {name} ({symbol}) must be in [0, 1), got {value!r}")
    return number


def _decay_factor(fn, name, symbol, value):
    number = _number(fn, name, symbol, value)
    if not 0.0 < number <= 1.0:
        raise ValueError(f"{fn}: {name} ({symbol}) must be in (0, 1], got {value!r}")
    return number

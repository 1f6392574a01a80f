"""Checks for exercise 9, batch normalization (solutions/09_batchnorm.ipynb): one function per question.

    check.batch_norm_train(fn)    check.running_update(fn)    check.batch_norm_eval(fn)
    check.batch_norm_grad(fn)

Each runs the lecture's worked mini-batch, then random dense (N, C) and NHWC (N, H, W, C) cases, against
course_lib.norm (the gradient against jax.grad of it). A known mistake (the unbiased variance, the
wrong axis, momentum on the wrong side, batch statistics at test time, a gradient that forgets that
μ_B and σ²_B depend on x) gets a hint that names it. Success prints one line that does not depend on
the seed; seed=None (the hidden tests) draws fresh cases.
"""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from course_lib import norm as _norm
from course_lib.checks._core import Case, as_tuple, assert_close, call, cases_rng, show

__all__ = ["batch_norm_train", "running_update", "batch_norm_eval", "batch_norm_grad"]

# The lecture's worked mini-batch: m = 4 examples of 2 features.
WORKED_X = jnp.array([[1.0, 10.0], [2.0, 20.0], [3.0, 0.0], [6.0, 10.0]])

_HINTS = {
    "batch_norm_train": "over every axis but the last (axis=tuple(range(x.ndim - 1))): mean = jnp.mean(x, axes), "
                        "var = jnp.mean((x - mean)**2, axes) (divided by m), x̂ = (x − mean)/√(var + eps), "
                        "y = gamma·x̂ + beta; return (y, mean, var).",
    "running_update": "new = momentum·running + (1 − momentum)·batch, for the mean and the variance alike; "
                      "return (new_mean, new_var).",
    "batch_norm_eval": "at test time use the running statistics, not the batch's: "
                       "y = gamma·(x − running_mean)/√(running_var + eps) + beta.",
    "batch_norm_grad": "with g = gamma·dy and x̂ = (x − μ)/√(σ² + ε), dx = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε), "
                       "the means over every axis but the last.",
}


def _axes(x):
    return tuple(range(x.ndim - 1))


@partial(jax.jit, static_argnums=3)
def _train_reference(x, gamma, beta, eps):
    axes = _axes(x)
    mean, var = jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
    y, _ = _norm.batch_norm(x, gamma, beta, _norm.BatchNormStats(mean, var), train=True, eps=eps)
    return y, mean, var


@partial(jax.jit, static_argnums=5)
def _eval_reference(x, gamma, beta, running_mean, running_var, eps):
    return _norm.batch_norm(x, gamma, beta, _norm.BatchNormStats(running_mean, running_var), train=False, eps=eps)[0]


def _running_reference(running_mean, running_var, batch_mean, batch_var, momentum):
    return (momentum * running_mean + (1 - momentum) * batch_mean,
            momentum * running_var + (1 - momentum) * batch_var)


@partial(jax.jit, static_argnums=3)
def _grad_reference(x, gamma, dy, eps):
    stats = _norm.BatchNormStats(jnp.zeros_like(gamma), jnp.ones_like(gamma))
    return jax.grad(lambda v: jnp.sum(dy * _norm.batch_norm(v, gamma, jnp.zeros_like(gamma), stats,
                                                            train=True, eps=eps)[0]))(x)


def _normalized(x, axes, gamma, beta, eps, ddof=0):
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.var(x, axis=axes, keepdims=True, ddof=ddof)
    return gamma * (x - mean) / jnp.sqrt(var + eps) + beta


_MISTAKES = {
    "batch_norm_train": [
        (lambda x, g, b, e: (_normalized(x, _axes(x), g, b, e, ddof=1), jnp.mean(x, _axes(x)), jnp.var(x, _axes(x), ddof=1)),
         "this is the unbiased variance (divided by m − 1); batch norm divides by m: σ²_B = (1/m) Σ (xᵢ − μ_B)²."),
        (lambda x, g, b, e: (_normalized(x, (x.ndim - 1,), g, b, e), None, None),
         "you normalized each example over its features (the last axis); batch norm normalizes each feature over "
         "the batch: every axis BUT the last."),
        (lambda x, g, b, e: (_normalized(x, _axes(x), g, b, 0.0), None, None),
         "eps is missing: x̂ = (x − μ_B)/√(σ²_B + eps)."),
        (lambda x, g, b, e: (g * (x - jnp.mean(x, _axes(x))) / (jnp.var(x, _axes(x)) + e) + b, None, None),
         "divide by the standard deviation √(σ²_B + eps), not by the variance."),
    ],
    "running_update": [
        (lambda rm, rv, bm, bv, mo: _running_reference(rm, rv, bm, bv, 1 - mo),
         "momentum weighs the OLD running value: new = momentum·running + (1 − momentum)·batch (momentum = 0.9 "
         "keeps 90% of the history)."),
    ],
    "batch_norm_eval": [
        (lambda x, g, b, rm, rv, e: _train_reference(x, g, b, e)[0],
         "these are the batch's own statistics; at test time use running_mean and running_var, so the output "
         "of one example does not depend on the others in the batch."),
    ],
    "batch_norm_grad": [
        (lambda x, g, dy, e: g * dy / jnp.sqrt(jnp.var(x, _axes(x)) + e),
         "this treats μ_B and σ²_B as constants; they depend on every xᵢ, which adds the terms −mean(g) and "
         "−x̂·mean(g·x̂)."),
        (lambda x, g, dy, e: (g * dy - jnp.mean(g * dy, _axes(x))) / jnp.sqrt(jnp.var(x, _axes(x)) + e),
         "the mean's dependence is there, the variance's is missing: subtract x̂·mean(g·x̂) as well."),
    ],
}


def batch_norm_train(fn, *, seed=0, n_random=5):
    """Question 1: batch_norm_train(x, gamma, beta, eps) → (y, mean, var), training mode."""
    cases = [Case(f"batch_norm_train(x, gamma, beta, eps) on the lecture's mini-batch x = {show(WORKED_X)}, gamma = [1, 1], "
                  f"beta = [0, 0], eps = 0", (WORKED_X, jnp.ones(2), jnp.zeros(2), 0.0)),
             Case("the same mini-batch with gamma = [2, 0.5], beta = [1, -1], eps = 1e-5",
                  (WORKED_X, jnp.array([2.0, 0.5]), jnp.array([1.0, -1.0]), 1e-5)),
             Case("the same mini-batch with gamma = [1, 1], beta = [0, 0] and a large eps = 1 (to see where it goes)",
                  (WORKED_X, jnp.ones(2), jnp.zeros(2), 1.0))]
    cases += _random_cases(seed, n_random, "batch_norm_train", lambda rng, x, g, b: (x, g, b, 1e-5))
    count = _check("batch_norm_train", fn, _train_reference, cases, outputs=("y", "mean", "var"))
    print(f"ok: batch_norm_train passes {count} cases")


def running_update(fn, *, seed=0, n_random=5):
    """Question 2: running_update(running_mean, running_var, batch_mean, batch_var, momentum) → (mean, var)."""
    rng = cases_rng(seed)
    _, m, v = _train_reference(WORKED_X, jnp.ones(2), jnp.zeros(2), 0.0)
    cases = [Case(f"running_update from the initial stats (mean [0, 0], var [1, 1]) with the lecture's batch "
                  f"(mean {show(m)}, var {show(v)}), momentum 0.9", (jnp.zeros(2), jnp.ones(2), m, v, 0.9))]
    for i in range(n_random):
        c = int(rng.choice([1, 3, 5]))
        args = tuple(jnp.asarray(rng.normal(0, 2, c) if k % 2 == 0 else rng.uniform(0.1, 4, c), jnp.float32)
                     for k in range(4))
        mo = float(np.round(rng.uniform(0.5, 0.99), 2))
        cases.append(Case(f"running_update with running ({show(args[0])}, {show(args[1])}), batch ({show(args[2])}, "
                          f"{show(args[3])}), momentum {mo} (random case {i + 1})", (*args, mo)))
    count = _check("running_update", fn, _running_reference, cases, outputs=("mean", "var"))
    print(f"ok: running_update passes {count} cases")


def batch_norm_eval(fn, *, seed=0, n_random=5):
    """Question 3: batch_norm_eval(x, gamma, beta, running_mean, running_var, eps) → y, inference mode."""
    cases = [Case("batch_norm_eval on the lecture's mini-batch with running_mean = [3, 10], running_var = [4, 50], "
                  "gamma = [1, 1], beta = [0, 0], eps = 0",
                  (WORKED_X, jnp.ones(2), jnp.zeros(2), jnp.array([3.0, 10.0]), jnp.array([4.0, 50.0]), 0.0)),
             Case("batch_norm_eval on a batch of ONE example [[2, 20]] with the same statistics",
                  (WORKED_X[1:2], jnp.ones(2), jnp.zeros(2), jnp.array([3.0, 10.0]), jnp.array([4.0, 50.0]), 0.0))]
    cases += _random_cases(seed, n_random, "batch_norm_eval", lambda rng, x, g, b: (
        x, g, b, jnp.asarray(rng.normal(0, 1, g.shape), jnp.float32),
        jnp.asarray(rng.uniform(0.5, 3, g.shape), jnp.float32), 1e-5))
    count = _check("batch_norm_eval", fn, _eval_reference, cases)
    print(f"ok: batch_norm_eval passes {count} cases")


def batch_norm_grad(fn, *, seed=0, n_random=5):
    """Question 4: batch_norm_grad(x, gamma, dy, eps) → dx, compared with jax.grad of the reference."""
    cases = [Case("batch_norm_grad on the lecture's mini-batch with gamma = [1, 1], dy = [[1, 0], [0, 0], [0, 0], [0, 1]], "
                  "eps = 1e-5", (WORKED_X, jnp.ones(2), jnp.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0]]), 1e-5))]
    cases += _random_cases(seed, n_random, "batch_norm_grad", lambda rng, x, g, b: (
        x, g, jnp.asarray(rng.normal(0, 1, x.shape), jnp.float32), 1e-5))
    count = _check("batch_norm_grad", fn, _grad_reference, cases, atol=1e-4, rtol=1e-3)
    print(f"ok: batch_norm_grad passes {count} cases (against jax.grad)")


def _random_cases(seed, n_random, name, make):
    rng, wide = cases_rng(seed), seed is None
    cases = []
    for i in range(n_random):
        shape = [(8, 3), (5, 2), (2, 3, 3, 4), (4, 2, 2, 3)][int(rng.integers(4))]
        x = jnp.asarray(rng.normal(rng.uniform(-5, 5), 10 if wide else 2, shape), jnp.float32)
        g = jnp.asarray(rng.uniform(0.5, 2, shape[-1]), jnp.float32)
        b = jnp.asarray(rng.normal(0, 1, shape[-1]), jnp.float32)
        layout = "dense (N, C)" if len(shape) == 2 else "NHWC (N, H, W, C)"
        cases.append(Case(f"{name} on a random {layout} x of shape {shape} (random case {i + 1})", make(rng, x, g, b)))
    return cases


def _check(name, fn, reference, cases, *, outputs=None, rtol=1e-4, atol=1e-5):
    hint = _HINTS[name]
    for case in cases:
        expected = reference(*case.args)
        received = call(name, fn, *case.args, case=case.description, hint=hint)
        try:
            _compare(name, case.description, received, expected, outputs, hint, rtol, atol)
        except AssertionError:
            for mistake, why in _MISTAKES.get(name, ()):
                wrong = mistake(*case.args)
                if _matches(name, case.description, received, wrong, outputs, rtol, atol):
                    _compare(name, case.description, received, expected, outputs, why, rtol, atol)
            raise
    return len(cases)


def _compare(name, case, received, expected, outputs, hint, rtol, atol):
    if outputs is None:
        assert_close(name, case, received, expected, rtol=rtol, atol=atol, hint=hint)
        return
    received = as_tuple(name, case, received, outputs, hint,
                        what=f"a tuple ({', '.join(outputs)}) of {len(outputs)} arrays")
    for part, got, exp in zip(outputs, received, expected):
        assert_close(f"{name}'s {part}", case, got, exp, rtol=rtol, atol=atol, hint=hint)


def _matches(name, case, received, wrong, outputs, rtol, atol):
    """Does the answer match a known mistake? Parts given as None in the mistake are not compared."""
    if outputs is not None:
        if not isinstance(received, (tuple, list)) or len(received) != len(outputs):
            return False
        pairs = [(g, w) for g, w in zip(received, wrong) if w is not None]
    else:
        pairs = [(received, wrong)]
    try:
        for got, want in pairs:
            assert_close(name, case, got, want, rtol=rtol, atol=atol)
    except AssertionError:
        return False
    return True

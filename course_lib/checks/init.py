"""Checks for exercise 8, weight initialization (solutions/08_initialization.ipynb): one function per question.

    check.fans(fn)    check.xavier(xavier_normal, xavier_uniform)    check.he(he_normal, he_uniform)
    check.activation_stds(fn)    check.stability(answers)

fans and activation_stds are compared with course_lib's reference on the lecture's shapes and random
ones. Initializers are random, so they are judged by their distribution: the shape, then the mean and
variance of a large draw against the formula, the bounds of the uniform forms, the tails that tell a
normal from a uniform draw, and that the draw comes from `key` (same key, same array; new key, new
array). A known mistake (the forward-only variance, a missing factor 3, fan_out in He) gets a hint that
names it. Success prints one line that does not depend on the seed.

seed fixes the visible random cases; seed=None (the hidden tests) draws fresh shapes and keys.
"""
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from course_lib import activations as _activations
from course_lib import init as _init
from course_lib.checks._core import Case, as_array, assert_close, call, cases_rng

__all__ = ["fans", "xavier", "he", "activation_stds", "stability"]

_HINTS = {
    "fans": "dense (n_in, n_out): fan_in = n_in, fan_out = n_out; conv (KH, KW, C_in, C_out): every weight "
            "sees a KH×KW window, so fan_in = KH·KW·C_in and fan_out = KH·KW·C_out. Return a tuple of two ints.",
    "xavier_normal": "Xavier (Glorot) normal: N(0, σ²) with σ² = 2 / (fan_in + fan_out); draw "
                     "std · jax.random.normal(key, shape) with std = √σ².",
    "xavier_uniform": "Xavier (Glorot) uniform: U(−a, a) with a = √(6 / (fan_in + fan_out)), since U(−a, a) "
                      "has variance a²/3; use jax.random.uniform(key, shape, minval=-a, maxval=a).",
    "he_normal": "He normal: N(0, σ²) with σ² = 2 / fan_in (fan_in only: the ReLU halves the variance).",
    "he_uniform": "He uniform: U(−a, a) with a = √(6 / fan_in), whose variance a²/3 = 2 / fan_in.",
    "activation_stds": "start from h = x; for each layer (W, b) in params compute h = activation(h @ W + b) and "
                       "record jnp.std(h) over all its entries; return the L values as an array of shape (L,).",
    "stability": "simulate it: activation_stds of the network with each scheme, then compare the last "
                 "layer's std with the first layer's.",
}

_VERDICTS = ("vanish", "stable", "explode")
# The networks of question 5: 10 square layers of width 256, inputs N(0, 1), no biases.
STABILITY_PAIRS = (("relu", "normal_0.01"), ("relu", "normal_1"), ("relu", "xavier_normal"), ("relu", "he_normal"),
                   ("linear", "xavier_normal"), ("linear", "he_normal"), ("tanh", "normal_0.01"))
_SCHEMES = {"normal_0.01": lambda k, s: _init.normal(k, s, 0.01), "normal_1": lambda k, s: _init.normal(k, s, 1.0),
            "xavier_normal": _init.xavier_normal, "he_normal": _init.he_normal}
_ACTS = {"relu": _activations.relu, "tanh": _activations.tanh, "linear": lambda z: z}


def fans(fn, *, seed=0, n_random=5):
    """Question 1: fans(shape) → (fan_in, fan_out) for dense and conv shapes, against course_lib.init.fans."""
    rng = cases_rng(seed)
    shapes = [(784, 100), (3, 3, 3, 64), (5, 5, 16, 32), (1, 1, 64, 16)]
    for _ in range(n_random):
        if rng.random() < 0.5:
            shapes.append(tuple(int(v) for v in rng.integers(1, 1000, 2)))
        else:
            k = int(rng.choice([1, 3, 5, 7]))
            shapes.append((k, int(rng.choice([k, 1, 3])), *(int(v) for v in rng.integers(1, 256, 2))))
    hint = _HINTS["fans"]
    for shape in shapes:
        case = f"fans({shape})"
        got = call("fans", fn, shape, case=case, hint=hint)
        want = _init.fans(shape)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise AssertionError(f"fans on {case} returned {got!r:.80}; expected a tuple (fan_in, fan_out) of two "
                                 f"numbers.\nHint: {hint}")
        got = tuple(float(as_array(f"fans' {part}", case, value, (), hint=hint))
                    for part, value in zip(("fan_in", "fan_out"), got))
        try:
            assert_close("fans", case, np.asarray(got), np.asarray(want, np.float64), rtol=0, atol=0)
        except AssertionError as error:
            if len(shape) == 4 and tuple(int(v) for v in got) == shape[2:]:
                raise AssertionError(f"{error}\nHint: the KH·KW window is missing: a conv weight is used at every "
                                     f"position of a KH×KW window, so fan_in = KH·KW·C_in = "
                                     f"{shape[0]}·{shape[1]}·{shape[2]}, not C_in.") from None
            if tuple(int(v) for v in got) == want[::-1]:
                raise AssertionError(f"{error}\nHint: fan_in and fan_out are swapped: fan_in counts the inputs "
                                     f"(the first dense dimension, C_in for conv).") from None
            raise
    print(f"ok: fans passes {len(shapes)} dense and conv shapes")


def xavier(normal_fn, uniform_fn, *, seed=0):
    """Question 2: xavier_normal and xavier_uniform, judged by the distribution of large draws."""
    _initializer("xavier_normal", normal_fn, "normal", seed)
    _initializer("xavier_uniform", uniform_fn, "uniform", seed)
    print("ok: xavier_normal and xavier_uniform have variance 2 / (fan_in + fan_out) on dense and conv shapes")


def he(normal_fn, uniform_fn, *, seed=0):
    """Question 3: he_normal and he_uniform, judged by the distribution of large draws."""
    _initializer("he_normal", normal_fn, "normal", seed)
    _initializer("he_uniform", uniform_fn, "uniform", seed)
    print("ok: he_normal and he_uniform have variance 2 / fan_in on dense and conv shapes")


def activation_stds(fn, *, seed=0, n_random=3):
    """Question 4: activation_stds(params, x, activation) → (L,), against reference_activation_stds."""
    rng = cases_rng(seed)
    cases = []
    x = jnp.asarray([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]])
    params = ((jnp.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]]), jnp.array([0.0, 1.0, -0.5])),
              (jnp.array([[1.0], [-1.0], [2.0]]), jnp.array([0.5])))
    cases.append(Case(f"activation_stds(params, x, relu) with the small 2-3-1 network of the exercise text", (params, x, _activations.relu)))
    for i in range(n_random):
        depth, width = int(rng.integers(2, 5)), int(rng.choice([4, 8, 16]))
        name = str(rng.choice(["tanh", "relu", "sigmoid"]))
        ps = tuple((jnp.asarray(rng.normal(0, 1 / math.sqrt(width), (width, width)), jnp.float32),
                    jnp.asarray(rng.normal(0, 0.1, width), jnp.float32)) for _ in range(depth))
        xs = jnp.asarray(rng.normal(0, 1, (6, width)), jnp.float32)
        cases.append(Case(f"activation_stds(params, x, {name}) with {depth} layers of width {width} (random case {i + 1})",
                          (ps, xs, getattr(_activations, name))))
    hint = _HINTS["activation_stds"]
    for case in cases:
        want = reference_activation_stds(*case.args)
        got = call("activation_stds", fn, *case.args, case=case.description, hint=hint)
        try:
            assert_close("activation_stds", case.description, got, want, rtol=1e-4, atol=1e-6, hint=hint)
        except AssertionError as error:
            pre = _pre_activation_stds(*case.args)
            if np.shape(got) == want.shape and np.allclose(np.asarray(got, np.float64), pre, rtol=1e-4):
                raise AssertionError(f"{error}\nHint: these are the stds of the pre-activations h @ W + b: "
                                     f"apply the activation before taking the std.") from None
            raise
    print(f"ok: activation_stds passes {len(cases)} cases")


def stability(answers):
    """Question 5: answers maps each (activation, scheme) pair of STABILITY_PAIRS to "vanish", "stable" or
    "explode"; each verdict is checked against a simulation of the network."""
    if not isinstance(answers, dict):
        raise AssertionError(f"answers should be a dict, got {type(answers).__name__}.")
    for pair in STABILITY_PAIRS:
        if pair not in answers:
            raise AssertionError(f"answers has no verdict for {pair}: give one of {_VERDICTS} for every pair.")
        verdict = answers[pair]
        if not isinstance(verdict, str) or verdict not in _VERDICTS:
            raise AssertionError(f"answers[{pair}] is {verdict!r}; it must be one of {_VERDICTS}.")
    wrong = [pair for pair in STABILITY_PAIRS if answers[pair] != simulate_verdict(*pair)[0]]
    if wrong:
        act, scheme = wrong[0]
        raise AssertionError(f"{len(wrong)} of {len(STABILITY_PAIRS)} verdicts are wrong, e.g. {wrong[0]}: "
                             f"you said {answers[wrong[0]]!r}. Think about the variance factor per layer: "
                             f"n·Var(w) for a linear layer, n·Var(w)/2 for a ReLU layer (n = 256)."
                             f"\nHint: {_HINTS['stability']}")
    print(f"ok: all {len(STABILITY_PAIRS)} verdicts agree with the simulation")


def reference_activation_stds(params, x, activation):
    """The std of every layer's output, h_l = activation(h_{l−1} W_l + b_l), h_0 = x → (L,)."""
    h, out = x, []
    for W, b in params:
        h = activation(h @ W + b)
        out.append(jnp.std(h))
    return jnp.stack(out)


@functools.lru_cache(maxsize=None)
def simulate_verdict(activation, scheme, *, depth=10, width=256, seed=0):
    """(verdict, stds): the per-layer output stds of `depth` layers of `width` units with `scheme` on
    N(0, 1) inputs; "vanish" when the last std is below half the first, "explode" above twice it."""
    k_x, *keys = jax.random.split(jax.random.PRNGKey(seed), depth + 1)
    x = jax.random.normal(k_x, (200, width))
    params = tuple((_SCHEMES[scheme](k, (width, width)), jnp.zeros(width)) for k in keys)
    stds = np.asarray(reference_activation_stds(params, x, _ACTS[activation]))
    ratio = stds[-1] / stds[0]
    return ("vanish" if ratio < 0.5 else "explode" if ratio > 2 else "stable"), stds


def _pre_activation_stds(params, x, activation):
    h, out = x, []
    for W, b in params:
        z = h @ W + b
        out.append(float(jnp.std(z)))
        h = activation(z)
    return np.array(out)


# ---- the initializer checks ----------------------------------------------------------------------------

def _formula(name, shape):
    fan_in, fan_out = _init.fans(shape)
    return 2.0 / (fan_in + fan_out) if name.startswith("xavier") else 2.0 / fan_in


def _initializer(name, fn, kind, seed):
    rng = cases_rng(seed)
    hint = _HINTS[name]
    # Large enough for a 5% test of the variance (its relative standard error is below 1%), and few
    # distinct shapes: each new shape costs the student's jax.random call a compilation.
    shapes = [(200, 300), (3, 3, 64, 64)]
    if seed is None:
        shapes = [[(250, 150), (150, 350)][int(rng.integers(2))], [(3, 3, 48, 80), (5, 5, 32, 48)][int(rng.integers(2))]]
    key = jax.random.PRNGKey(int(rng.integers(0, 2**31 - 1)) if seed is None else seed)
    for shape in [(6, 5)] + shapes:
        case = f"{name}(key, {shape})"
        w = as_array(name, case, call(name, fn, key, shape, case=case, hint=hint), shape, hint=hint)
        if shape == (6, 5):
            continue
        var, n = _formula(name, shape), w.size
        fan_in, fan_out = _init.fans(shape)
        if abs(w.mean()) > 6 * math.sqrt(var / n):
            raise AssertionError(f"{name} on {case}: the mean of the {n} weights is {w.mean():.4g}; it should be "
                                 f"close to 0 (the distribution is centred).\nHint: {hint}")
        got = float(np.mean(w ** 2))
        if not abs(got / var - 1) < 0.05:
            known = [(1 / fan_in, "this is 1/fan_in, the forward-only (LeCun) variance: Xavier averages both "
                                  "directions, 2 / (fan_in + fan_out)"),
                     (2 / fan_in, "this is 2/fan_in, He's variance: Xavier's is 2 / (fan_in + fan_out)"),
                     (2 / fan_out, "this is 2/fan_out: He uses the fan_in (the number of inputs each unit sums)"),
                     (2 / (fan_in + fan_out), "this is Xavier's 2/(fan_in + fan_out): He's variance is 2/fan_in"),
                     (var / 3, "a uniform draw U(−a, a) has variance a²/3, so for variance σ² the bound is "
                               "a = √(3σ²); you used a = √σ²"),
                     (var ** 2, "you used the variance as the standard deviation: std = √variance")]
            why = next((text for value, text in known if abs(got / value - 1) < 0.05), None)
            raise AssertionError(f"{name} on {case}: the {n} weights have variance {got:.4g}, expected "
                                 f"{var:.4g} (fan_in = {fan_in}, fan_out = {fan_out})."
                                 f"{' ' + why[0].upper() + why[1:] + '.' if why else ''}\nHint: {hint}")
        kurtosis = float(np.mean(w ** 4) / got ** 2)
        if kind == "uniform":
            a = math.sqrt(3 * var)
            if abs(kurtosis - 1.8) > 0.1:
                raise AssertionError(f"{name} on {case}: the draw does not look uniform (E[w⁴]/E[w²]² = "
                                     f"{kurtosis:.2f}; a uniform draw gives 1.8, a normal one 3).\nHint: {hint}")
            if np.max(np.abs(w)) > a * (1 + 1e-5):
                raise AssertionError(f"{name} on {case}: a weight {np.max(np.abs(w)):.4g} lies outside the "
                                     f"bounds ±a = ±{a:.4g}.\nHint: {hint}")
        elif abs(kurtosis - 3.0) > 0.25:
            raise AssertionError(f"{name} on {case}: the draw does not look normal (E[w⁴]/E[w²]² = {kurtosis:.2f}; "
                                 f"a normal draw gives 3, a uniform one 1.8).\nHint: {hint}")
    shape = (6, 5)
    first = as_array(name, f"{name}(key, {shape})", fn(key, shape), shape)
    again = as_array(name, f"{name}(key, {shape})", fn(key, shape), shape)
    other = as_array(name, f"{name}(key, {shape})", fn(jax.random.fold_in(key, 1), shape), shape)
    if not np.array_equal(first, again) or np.array_equal(first, other):
        raise AssertionError(f"{name}: the weights must come from `key` alone: the same key must give the same "
                             f"array and another key another array. Use jax.random with the given key "
                             f"(not np.random).\nHint: {hint}")

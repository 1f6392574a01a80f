"""Checks for exercise 7, optimizers (solutions/07_optimizers.ipynb): one function per question.

    check.sgd(sgd)    check.momentum(momentum)    check.nesterov(nesterov)    check.adagrad(adagrad)
    check.rmsprop(rmsprop)    check.adam(adam)    check.adam_moments(fn)

The first six take the student's optimizer *factory* (e.g. `momentum(lr, beta)`), which must return a
pair (init, update) like course_lib.optim.Optimizer. Each is run side by side with course_lib.optim's
optimizer over many steps on the same gradients: first on one array, then on a dict of arrays (a
pytree), then along a whole trajectory on the lecture's ravine. Every step's updates are compared; a
failure names the case, the step, the expected and the received updates and a hint, and a known
mistake (a flipped sign, ε in the wrong place, a missing bias correction, a state that is never
returned) gets a hint that names it. Success prints one line that depends on n_random and steps only.

seed fixes the random cases of the visible checks; seed=None (the hidden tests) draws fresh
hyperparameters and gradients. Shapes come from a few fixed choices, so JAX compiles little.
"""
import jax
import jax.numpy as jnp
import numpy as np

from course_lib import optim as _optim
from course_lib.checks._core import as_array, as_tuple, assert_close, call, cases_rng, show

__all__ = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adam_moments"]

_HINTS = {
    "sgd": "init(params) may return an empty tuple (); update returns (updates, state) with updates = −lr·g "
           "for every leaf: jax.tree_util.tree_map(lambda g: -lr * g, grads).",
    "momentum": "the state is the velocity v, zeros shaped like params; each update: v ← beta·v + lr·g, "
                "updates = −v, and return the NEW v as the state.",
    "nesterov": "the same velocity as momentum, v ← beta·v + lr·g, but the step is −(beta·v + lr·g) with the "
                "new v.",
    "adagrad": "the state is G, zeros shaped like params; each update: G ← G + g², updates = −lr·g / √(G + eps) "
               "with the NEW G and eps inside the root.",
    "rmsprop": "the state is E[g²], zeros shaped like params; E ← decay·E + (1 − decay)·g², "
               "updates = −lr·g / √(E + eps).",
    "adam": "the state is (t, m, v) with t = 0 and zeros; each update: t ← t + 1, m ← b1·m + (1 − b1)·g, "
            "v ← b2·v + (1 − b2)·g², m̂ = m / (1 − b1**t), v̂ = v / (1 − b2**t), updates = −lr·m̂ / (√v̂ + eps).",
    "adam_moments": "with the same g at every step, m_t = (1 − b1**t)·g and v_t = (1 − b2**t)·g² (or loop t "
                    "times); m̂_t = m_t / (1 − b1**t), v̂_t = v_t / (1 − b2**t).",
}

_PYTREE_HINT = ("params here is a dict of two arrays (a pytree): build the state and the updates with "
                "jax.tree_util.tree_map, which applies a function to every leaf (and to matching leaves of "
                "several trees: tree_map(f, grads, state)).")


# ---- the mistakes students make, as factories --------------------------------------------------------------

def _tm(f, *trees):
    return jax.tree_util.tree_map(f, *trees)


def _stateful(init_leaf, step):
    """An Optimizer whose state is a tuple of per-leaf trees plus a count; step(count, g, *states) ->
    (update, *new_states) on one leaf."""
    def init(params):
        return (0,) + tuple(_tm(lambda p: jnp.zeros_like(p) + v, params) for v in init_leaf)

    def update(grads, state, params=None):
        t = state[0] + 1
        leaves, treedef = jax.tree_util.tree_flatten(grads)
        per = [jax.tree_util.tree_leaves(s) for s in state[1:]]
        outs = [step(t, g, *[p[i] for p in per]) for i, g in enumerate(leaves)]
        upd = jax.tree_util.tree_unflatten(treedef, [o[0] for o in outs])
        new = tuple(jax.tree_util.tree_unflatten(treedef, [o[k + 1] for o in outs]) for k in range(len(per)))
        return upd, (t,) + new

    return _optim.Optimizer(init, update)


def _momentum_like(lr, beta, rule):
    return _stateful((0.0,), lambda t, g, v: rule(lr, beta, g, v))


def _mom_rule(lr, beta, g, v):
    v = beta * v + lr * g
    return -v, v


_MISTAKES = {
    "sgd": [(lambda lr: _stateful((), lambda t, g: (lr * g,)),
             "the sign is flipped: updates are ADDED to the params, so gradient descent returns −lr·g.")],
    "momentum": [
        (lambda lr, beta: _stateful((0.0,), lambda t, g, v: (-(beta * v + lr * g), v)),
         "the velocity never changes: update must return the NEW v as the state, so the next step "
         "starts from it (your steps are those of plain SGD)."),
        (lambda lr, beta: _momentum_like(lr, beta, lambda lr, b, g, v: (-lr * (b * v + (1 - b) * g),
                                                                          b * v + (1 - b) * g)),
         "the slides' velocity is v ← beta·v + lr·g, without a factor (1 − beta) (that is an average, as "
         "in Adam's m, and makes the steps 10 times smaller)."),
        (lambda lr, beta: _momentum_like(lr, beta, lambda lr, b, g, v: (b * v + lr * g, b * v + lr * g)),
         "the sign is flipped: the step is −v (the params move against the velocity built from the "
         "gradients)."),
    ],
    "nesterov": [
        (lambda lr, beta: _momentum_like(lr, beta, _mom_rule),
         "this is plain momentum (step −v). Nesterov's step at the current parameters is "
         "−(beta·v + lr·g) with the new v: one more beta·v, the look-ahead."),
    ],
    "adagrad": [
        (lambda lr, eps: _stateful((0.0,), lambda t, g, G: (-lr * g / (jnp.sqrt(G + g * g) + eps), G + g * g)),
         "eps belongs inside the root: −lr·g / √(G + eps), not −lr·g / (√G + eps)."),
        (lambda lr, eps: _stateful((0.0,), lambda t, g, G: (-lr * g / jnp.sqrt(g * g + eps), G + g * g)),
         "G must be the SUM of all squared gradients so far (G ← G + g²), not only the current g²."),
        (lambda lr, eps: _stateful((0.0,), lambda t, g, G: (-lr * g / jnp.sqrt(G + eps), G + g * g)),
         "add the current g² to G first, then divide by √(G + eps) with the new G."),
    ],
    "rmsprop": [
        (lambda lr, decay, eps: _stateful((0.0,), lambda t, g, E: _rms(lr, g, (1 - decay) * E + decay * g * g,
                                                                        eps)),
         "the weights are swapped: E ← decay·E + (1 − decay)·g² keeps 90 % of the old average (decay = 0.9)."),
        (lambda lr, decay, eps: _stateful((0.0,), lambda t, g, E: (
            -lr * g / (jnp.sqrt(decay * E + (1 - decay) * g * g) + eps), decay * E + (1 - decay) * g * g)),
         "eps belongs inside the root: −lr·g / √(E + eps)."),
        (lambda lr, decay, eps: _stateful((0.0,), lambda t, g, E: (
            -lr * g / jnp.sqrt(jnp.sqrt(decay * E + (1 - decay) * g * g + eps) + eps),
            decay * E + (1 - decay) * g * g)),
         "this is the slide's second formula, √(RMS[g] + eps) with RMS[g] = √(E + eps): the root is taken "
         "twice. The step is −lr·g / RMS[g] = −lr·g / √(E + eps) (see the lecture's erratum)."),
    ],
    "adam": [
        (lambda lr, b1, b2, eps: _stateful((0.0, 0.0), lambda t, g, m, v: _adam_step(lr, b1, b2, eps, t, g, m, v,
                                                                                     correct=False)),
         "the bias correction is missing: divide m by (1 − b1**t) and v by (1 − b2**t), with t = 1 at the "
         "first update."),
        (lambda lr, b1, b2, eps: _stateful((0.0, 0.0), lambda t, g, m, v: _adam_step(lr, b1, b2, eps, t, g, m, v,
                                                                                     eps_inside=True)),
         "eps belongs outside the root, −lr·m̂ / (√v̂ + eps) as in the Adam paper; the slide's √(v̂ + eps) "
         "differs when gradients are small."),
        (lambda lr, b1, b2, eps: _stateful((0.0, 0.0), lambda t, g, m, v: _adam_step(lr, b1, b2, eps, t + 1, g, m,
                                                                                     v)),
         "the step count t is off by one: t = 1 at the first update (so 1 − b1**t = 1 − b1 then)."),
    ],
}


def _rms(lr, g, E, eps):
    return -lr * g / jnp.sqrt(E + eps), E


def _adam_step(lr, b1, b2, eps, t, g, m, v, correct=True, eps_inside=False):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    mh, vh = (m / (1 - b1 ** t), v / (1 - b2 ** t)) if correct else (m, v)
    step = -lr * mh / (jnp.sqrt(vh + eps) if eps_inside else jnp.sqrt(vh) + eps)
    return step, m, v


# ---- the checks ------------------------------------------------------------------------------------------------

def sgd(make, *, seed=0, n_random=2, steps=30):
    """Question 1: sgd(lr) as an (init, update) pair, compared with course_lib.optim.sgd."""
    rng = cases_rng(seed)
    configs = [((0.1,), "lr = 0.1")] + [((lr,), f"lr = {lr}") for lr in _lrs(rng, n_random, 0.01, 1.0)]
    _check_optimizer("sgd", make, _optim.sgd, configs, rng, steps)


def momentum(make, *, seed=0, n_random=2, steps=30):
    """Question 2: momentum(lr, beta), v ← βv + ηg, Δ = −v, compared with course_lib.optim.momentum."""
    rng = cases_rng(seed)
    configs = [((0.1, 0.9), "lr = 0.1, beta = 0.9")]
    configs += [((lr, b), f"lr = {lr}, beta = {b}") for lr, b in zip(_lrs(rng, n_random, 0.01, 0.3),
                                                                    _betas(rng, n_random, 0.0, 0.99))]
    _check_optimizer("momentum", make, _optim.momentum, configs, rng, steps)


def nesterov(make, *, seed=0, n_random=2, steps=30):
    """Question 3: nesterov(lr, beta), v ← βv + ηg, Δ = −(βv + ηg), compared with course_lib.optim.nesterov."""
    rng = cases_rng(seed)
    configs = [((0.1, 0.9), "lr = 0.1, beta = 0.9")]
    configs += [((lr, b), f"lr = {lr}, beta = {b}") for lr, b in zip(_lrs(rng, n_random, 0.01, 0.3),
                                                                    _betas(rng, n_random, 0.0, 0.99))]
    _check_optimizer("nesterov", make, _optim.nesterov, configs, rng, steps)


def adagrad(make, *, seed=0, n_random=2, steps=30):
    """Question 4: adagrad(lr, eps), G ← G + g², Δ = −ηg/√(G + ε), compared with course_lib.optim.adagrad."""
    rng = cases_rng(seed)
    configs = [((0.5, 1e-8), "lr = 0.5, eps = 1e-8"), ((0.5, 1e-2), "lr = 0.5, eps = 0.01 (a large ε)")]
    configs += [((lr, e), f"lr = {lr}, eps = {e:g}") for lr, e in zip(_lrs(rng, n_random, 0.05, 1.0),
                                                                     _epsilons(rng, n_random))]
    _check_optimizer("adagrad", make, _optim.adagrad, configs, rng, steps)


def rmsprop(make, *, seed=0, n_random=2, steps=30):
    """Question 5: rmsprop(lr, decay, eps), compared with course_lib.optim.rmsprop."""
    rng = cases_rng(seed)
    configs = [((0.01, 0.9, 1e-8), "lr = 0.01, decay = 0.9, eps = 1e-8"),
               ((0.01, 0.9, 1e-2), "lr = 0.01, decay = 0.9, eps = 0.01 (a large ε)")]
    configs += [((lr, d, e), f"lr = {lr}, decay = {d}, eps = {e:g}")
                for lr, d, e in zip(_lrs(rng, n_random, 0.001, 0.1), _betas(rng, n_random, 0.5, 0.99),
                                    _epsilons(rng, n_random))]
    _check_optimizer("rmsprop", make, _optim.rmsprop, configs, rng, steps)


def adam(make, *, seed=0, n_random=2, steps=30):
    """Question 6: adam(lr, b1, b2, eps), bias-corrected, compared with course_lib.optim.adam."""
    rng = cases_rng(seed)
    configs = [((0.01, 0.9, 0.999, 1e-8), "lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8"),
               ((0.01, 0.9, 0.999, 1e-2), "lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 0.01 (a large ε)")]
    configs += [((lr, b1, b2, e), f"lr = {lr}, b1 = {b1}, b2 = {b2}, eps = {e:g}")
                for lr, b1, b2, e in zip(_lrs(rng, n_random, 0.001, 0.1), _betas(rng, n_random, 0.0, 0.95),
                                         _betas(rng, n_random, 0.9, 0.9999), _epsilons(rng, n_random))]
    _check_optimizer("adam", make, _optim.adam, configs, rng, steps)


def adam_moments(fn, *, seed=0, n_random=5):
    """Question 7: adam_moments(g, b1, b2, t) -> (m_t, v_t, m̂_t, v̂_t) for the same gradient g at steps
    1 … t, starting from m_0 = v_0 = 0, compared with a loop of the formulas."""
    rng = cases_rng(seed)
    hint = _HINTS["adam_moments"]
    cases = [(2.0, 0.9, 0.999, 1, "the first step, g = 2"), (2.0, 0.9, 0.999, 10, "g = 2 after 10 steps"),
             (-0.5, 0.9, 0.999, 100, "g = −0.5 after 100 steps")]
    for i in range(n_random):
        cases.append((round(float(rng.normal(0, 3)), 3), float(_betas(rng, 1, 0.5, 0.99)[0]),
                      float(_betas(rng, 1, 0.9, 0.9999)[0]), int(rng.integers(1, 200)), f"random case {i + 1}"))
    names = ("m_t", "v_t", "m_hat", "v_hat")
    for g, b1, b2, t, note in cases:
        case = f"adam_moments(g={g}, b1={b1}, b2={b2}, t={t}) ({note})"
        expected = _moments(g, b1, b2, t)
        received = call("adam_moments", fn, g, b1, b2, t, case=case, hint=hint)
        parts = as_tuple("adam_moments", case, received, names, hint)
        try:
            for name, got, want in zip(names, parts, expected):
                assert_close(f"adam_moments' {name}", case, got, want, rtol=1e-4, atol=1e-9, hint=hint)
        except AssertionError:
            if _is_uncorrected(parts, expected):
                raise AssertionError(f"adam_moments on {case}: m_hat and v_hat equal m_t and v_t: the bias "
                                     f"correction is missing (expected m_hat = {expected[2]:.6g}, v_hat = "
                                     f"{expected[3]:.6g}).\nHint: {hint}") from None
            raise
    print(f"ok: adam_moments passes {len(cases)} cases")


# ---- machinery --------------------------------------------------------------------------------------------------

def _check_optimizer(name, make, reference, configs, rng, steps):
    hint = _HINTS[name]
    runs = 0
    for args, described in configs:
        for kind in ("array", "pytree", "ravine"):
            case = f"{name}({described}), {_KINDS[kind]}"
            rng_state = _seed_of(rng)
            expected = _run(reference(*args), kind, rng_state, steps)
            student = call(name, make, *args, case=f"creating the optimizer {name}({described})", hint=hint)
            init, update = _pair(name, student, hint)
            try:
                _compare_run(name, case, init, update, kind, rng_state, steps, expected,
                             hint + (f"\n{_PYTREE_HINT}" if kind == "pytree" else ""))
            except AssertionError:
                for wrong, why in _MISTAKES.get(name, ()):
                    mistaken = _run(wrong(*args), kind, rng_state, steps)
                    if _same(mistaken, _run_safely(init, update, kind, rng_state, steps)):
                        _compare_run(name, case, init, update, kind, rng_state, steps, expected, why)
                raise
            runs += 1
    print(f"ok: {name} follows course_lib.optim.{name} on {runs} runs of {steps} steps")


_KINDS = {"array": "params one array of shape (3,), random gradients",
          "pytree": "params a dict {'W': (2, 3), 'b': (3,)}, random gradients",
          "ravine": "a trajectory on the ravine f = 0.01·w1² + w2² from w = (-9, 1.5)"}


def _seed_of(rng):
    return int(rng.integers(2 ** 31))


def _params(kind):
    if kind == "array":
        return jnp.array([0.5, -1.0, 2.0])
    if kind == "pytree":
        return {"W": jnp.array([[0.1, -0.2, 0.3], [0.0, 0.5, -1.0]]), "b": jnp.zeros(3)}
    return jnp.array([-9.0, 1.5])


def _gradients(kind, seed, steps):
    """For 'array' and 'pytree', a fixed random sequence (the same for the student and the reference);
    some steps have small gradients, where ε matters. For 'ravine', None: the gradient at the params."""
    if kind == "ravine":
        return None
    r = np.random.default_rng(seed)
    scale = np.where(np.arange(steps) % 3 == 2, 1e-3, 1.0)[:, None]
    if kind == "array":
        return [jnp.asarray(s * r.normal(size=3), jnp.float32) for s in scale]
    return [{"W": jnp.asarray(s * r.normal(size=(2, 3)), jnp.float32), "b": jnp.asarray(s * r.normal(size=3),
                                                                                     jnp.float32)}
            for s in scale]


def _ravine_grad(w):
    return jnp.array([0.02, 2.0]) * w


def _run(opt, kind, seed, steps):
    return _run_pair(opt.init, opt.update, kind, seed, steps)


def _run_pair(init, update, kind, seed, steps):
    """The list of (updates, params) after each step."""
    params, grads = _params(kind), _gradients(kind, seed, steps)
    state, out = init(params), []
    for k in range(steps):
        g = grads[k] if grads is not None else _ravine_grad(params)
        updates, state = update(g, state, params) if kind != "array" else update(g, state)
        params = _optim.apply_updates(params, updates) if kind == "ravine" else params
        out.append(updates)
    return out


def _run_safely(init, update, kind, seed, steps):
    try:
        return _run_pair(init, update, kind, seed, steps)
    except Exception:
        return None


def _same(a, b):
    if a is None or b is None:
        return False
    try:
        return all(np.allclose(np.asarray(x, np.float64), np.asarray(y, np.float64), rtol=1e-4, atol=1e-6)
                   for u, w in zip(a, b)
                   for x, y in zip(jax.tree_util.tree_leaves(u), jax.tree_util.tree_leaves(w)))
    except Exception:
        return False


def _compare_run(name, case, init, update, kind, seed, steps, expected, hint):
    params, grads = _params(kind), _gradients(kind, seed, steps)
    state = call(f"{name}'s init", init, params, case=case, hint=hint)
    for k in range(steps):
        g = grads[k] if grads is not None else _ravine_grad(params)
        where = f"{case}, step {k + 1} of {steps}"
        args = (g, state, params) if kind != "array" else (g, state)
        received = call(f"{name}'s update", update, *args, case=where, hint=hint)
        updates, state = as_tuple(f"{name}'s update", where, received, ("updates", "state"), hint)
        _compare_tree(f"{name}'s updates", where, updates, expected[k], hint)
        if kind == "ravine":
            params = _optim.apply_updates(params, expected[k])


def _compare_tree(name, case, received, expected, hint):
    want_tree = jax.tree_util.tree_structure(expected)
    leaves, got_tree = _leaves_or_none(received)
    if got_tree != want_tree:
        raise AssertionError(f"{name} on {case}: expected a tree like the gradients ({_describe(expected)}), "
                             f"got {_describe(received)}.\nHint: {hint}")
    for path_leaf, got, want in zip(_paths(expected), leaves, jax.tree_util.tree_leaves(expected)):
        assert_close(f"{name}{path_leaf}", case, got, want, rtol=1e-4, atol=1e-6, hint=hint)


def _leaves_or_none(tree):
    try:
        return jax.tree_util.tree_leaves(tree), jax.tree_util.tree_structure(tree)
    except Exception:
        return [], None


def _paths(tree):
    return ["" if not p else "[" + ", ".join(jax.tree_util.keystr((k,)).strip("[]") for k in p) + "]"
            for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]


def _describe(tree):
    if tree is None:
        return "None"
    if isinstance(tree, dict):
        return "a dict with keys " + str(sorted(tree))
    if isinstance(tree, (list, tuple)):
        return f"a {type(tree).__name__} of {len(tree)} items"
    shape = getattr(tree, "shape", None)
    if isinstance(tree, (np.ndarray, np.generic, jax.Array)):
        return f"an array of shape {tuple(shape)}"
    return f"a {type(tree).__name__}" + (f" of shape {tuple(shape)}" if shape is not None else "")


def _pair(name, student, hint):
    """(init, update) from what the factory returned: an Optimizer or any pair of functions."""
    if student is None:
        raise AssertionError(f"{name}(...) returned None. Did you forget `return Optimizer(init, update)`?"
                             f"\nHint: {hint}")
    try:
        init, update = student
    except (TypeError, ValueError):
        raise AssertionError(f"{name}(...) returned a {type(student).__name__}; expected a pair (init, update) "
                             f"of functions, e.g. optim.Optimizer(init, update).\nHint: {hint}") from None
    if not (callable(init) and callable(update)):
        raise AssertionError(f"{name}(...) returned ({type(init).__name__}, {type(update).__name__}); "
                             f"expected two functions (init, update).\nHint: {hint}")
    return init, update


def _is_uncorrected(parts, expected):
    """True when the answer is (m_t, v_t, m_t, v_t): the moments without their bias correction."""
    try:
        got = [float(np.asarray(p, np.float64)) for p in parts]
    except (TypeError, ValueError):
        return False
    return bool(np.allclose(got, list(expected[:2]) * 2, rtol=1e-4, atol=1e-9))


def _moments(g, b1, b2, t):
    m = v = 0.0
    for _ in range(t):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
    return m, v, m / (1 - b1 ** t), v / (1 - b2 ** t)


def _lrs(rng, n, low, high):
    return [float(f"{v:.2g}") for v in np.exp(rng.uniform(np.log(low), np.log(high), n))]


def _betas(rng, n, low, high):
    return [round(float(v), 4) for v in rng.uniform(low, high, n)]


def _epsilons(rng, n):
    return [float(10.0 ** rng.integers(-8, -1)) for _ in range(n)]

"""Checks for exercise 1, the single neuron (solutions/01_perceptron.ipynb): one function per question.

    check.activations(step, sigmoid, relu, softplus)    check.sigmoid_grad(fn)      check.predict(fn)
    check.rosenblatt_update(fn)    check.sigmoid_neuron_step(fn)    check.train_perceptron(fn)
    check.best_grid_accuracy(fn)

Each runs the lecture's worked examples, then `n_random` random cases, against course_lib.activations
and course_lib.perceptron (train_perceptron is checked by behaviour: its (w, b) must classify every
example of linearly separable sets). A failure raises AssertionError with the case, the expected and
the received value and a hint; a known mistake (step firing at 0, a flipped sign, a missing factor)
gets a hint that names it. Success prints one line that depends on n_random only, never on the seed.

seed fixes the random cases of the visible checks; seed=None (the hidden tests) draws fresh cases
from wider ranges of values. Random shapes come from a few fixed choices, because JAX compiles each
operation once per shape: a new shape per case would make every check take seconds.
"""
import jax.numpy as jnp
import numpy as np

from course_lib import activations as _activations
from course_lib import data as _data
from course_lib import perceptron as _perceptron
from course_lib.checks._core import Case, as_array, as_tuple, assert_close, call, cases_rng, show

__all__ = ["activations", "sigmoid_grad", "predict", "rosenblatt_update", "sigmoid_neuron_step",
           "train_perceptron", "best_grid_accuracy"]

_HINTS = {
    "step": "δ(s) = 1.0 where s > 0 and 0.0 elsewhere, so δ(0) = 0; jnp.where chooses elementwise.",
    "sigmoid": "σ(s) = 1 / (1 + e^(−s)) elementwise; jnp.exp works on whole arrays.",
    "relu": "R(s) = max(0, s) elementwise: jnp.maximum compares element by element (Python's max cannot).",
    "softplus": "SR(s) = ln(1 + e^s) elementwise, finite even where e^s overflows (see jnp.logaddexp).",
    "sigmoid_grad": "σ'(s) = σ(s)(1 − σ(s)): compute y = σ(s) first, then y(1 − y).",
    "predict": "predict(w, b, X) = δ(X @ w + b): one 0/1 value per row of X, an array of shape (N,).",
    "rosenblatt_update": "with y = δ(w·x + b) the prediction before the update, return "
                         "(w + lr·(t − y)·x, b + lr·(t − y)); nothing changes when y = t.",
    "sigmoid_neuron_step": "y = σ(w·x + b); ∂L/∂wᵢ = (y − t)·y(1 − y)·xᵢ and ∂L/∂b = (y − t)·y(1 − y); "
                           "return (w − lr·∂L/∂w, b − lr·∂L/∂b).",
    "train_perceptron": "start from w = 0, b = 0; in each epoch apply rosenblatt_update to every example "
                        "in order; stop after an epoch that makes no mistake, or after max_epochs epochs.",
    "best_grid_accuracy": "try every (w1, w2, b) with each of the three taken from values; the accuracy of one "
                          "choice is the mean of step(w1·x1 + w2·x2 + b) == t; return the largest.",
}

_FEATURES = (2, 3, 4, 5)  # the D of random cases

# Known mistakes: (what the mistaken answer computes, the hint that names it).
_MISTAKES = {
    "step": [(lambda s: jnp.where(s >= 0, 1.0, 0.0),
              "step must be 0 at s = 0 (δ(0) = 0 in the lecture): use s > 0, not s >= 0.")],
    "sigmoid": [
        (lambda s: 1 / (1 + jnp.exp(s)), "σ(s) = 1 / (1 + e^(−s)): the exponent is −s, not s."),
        (lambda s: jnp.exp(s) / (1 + jnp.exp(s)),
         "e^s overflows to inf for large s, and inf / inf is nan: use 1 / (1 + jnp.exp(-s))."),
    ],
    "softplus": [(lambda s: jnp.log(1 + jnp.exp(s)),
                  "softplus overflowed: e^s is inf in floating point once s > 88 (float32), e.g. at "
                  "s = 1000. ln(1 + e^s) equals jnp.logaddexp(0, s), which never forms e^s.")],
    "sigmoid_grad": [
        (lambda s: s * (1 - s), "σ'(s) = σ(s)(1 − σ(s)): apply y(1 − y) to y = σ(s), not to s itself "
                                "(you computed s * (1 - s))."),
        (lambda s: jnp.exp(-s) / (1 + jnp.exp(-s)) ** 2,
         "e^(−s) overflows for very negative s, and inf / inf is nan: compute y = σ(s), then y * (1 - y)."),
    ],
    "predict": [
        (lambda w, b, x: jnp.where(x @ w + b >= 0, 1.0, 0.0),
         "a point exactly on the line w·x + b = 0 is class 0, since δ(0) = 0: use s > 0, not s >= 0."),
        (lambda w, b, x: _activations.step(x @ w), "the bias is missing: predict δ(X @ w + b), not δ(X @ w)."),
    ],
    "rosenblatt_update": [
        (lambda w, b, x, t, lr: _perceptron.rosenblatt_update(w, b, x, t, -lr),
         "the sign is flipped: the rule ADDS lr·(t − y)·x, so a missed positive example (t = 1, y = 0) "
         "moves w towards x."),
        (lambda w, b, x, t, lr: (_perceptron.rosenblatt_update(w, b, x, t, lr)[0], b),
         "b was not updated: the bias learns too, b ← b + lr·(t − y)."),
    ],
    "sigmoid_neuron_step": [
        (lambda w, b, x, t, lr: _sigmoid_step_without_slope(w, b, x, t, lr),
         "the factor y(1 − y) = σ'(s) is missing: by the chain rule ∂L/∂wᵢ = (y − t)·y(1 − y)·xᵢ."),
        (lambda w, b, x, t, lr: _sigmoid_neuron_step(w, b, x, t, -lr),
         "the step goes uphill: gradient descent SUBTRACTS lr·∂L/∂w, with ∂L/∂wᵢ = (y − t)·y(1 − y)·xᵢ."),
    ],
    "best_grid_accuracy": [
        (lambda x, t, values: _grid_without_bias(x, t, values),
         "b is not searched: try every b from values too, not only w1 and w2 (AND needs a negative bias)."),
    ],
}


def activations(step, sigmoid, relu, softplus, *, seed=0, n_random=5):
    """Question 1: δ, σ, R and SR elementwise, compared with course_lib.activations."""
    rng, wide = cases_rng(seed), seed is None
    random_s = [_random_s(rng, wide) for _ in range(n_random)]
    worked = {
        "step": [([-2.0, -0.5, 0.0, 0.5, 3.0], "δ(0) = 0")],
        "sigmoid": [([-2.0, 0.0, 2.0], "σ(0) = 0.5"), ([-1000.0, 1000.0], "large |s|")],
        "relu": [([-2.0, 0.0, 3.0], "R(0) = 0")],
        "softplus": [([-1.0, 0.0, 2.0], "SR(0) = ln 2"), ([-1000.0, 1000.0], "large |s|: SR(1000) = 1000")],
    }
    count = 0
    for name, fn in (("step", step), ("sigmoid", sigmoid), ("relu", relu), ("softplus", softplus)):
        cases = [Case(f"{name}(s) with s = {show(s)} ({note})", (jnp.asarray(s, jnp.float32),))
                 for s, note in worked[name]]
        cases += [Case(f"{name}(s) with s = {show(s)} (random case {i + 1})", (s,))
                  for i, s in enumerate(random_s)]
        count += _check(name, fn, getattr(_activations, name), cases)
    print(f"ok: step, sigmoid, relu and softplus pass {count} cases")


def sigmoid_grad(fn, *, seed=0, n_random=5):
    """Question 2: σ'(s) = σ(s)(1 − σ(s)) elementwise, compared with course_lib.activations.sigmoid_grad."""
    rng, wide = cases_rng(seed), seed is None
    cases = [Case("sigmoid_grad(s) with s = [-2., 0., 2.] (σ'(0) = 0.25, the largest slope)",
                  (jnp.array([-2.0, 0.0, 2.0]),)),
             Case("sigmoid_grad(s) with s = [-1000., 1000.] (large |s|: the slope is 0)",
                  (jnp.array([-1000.0, 1000.0]),))]
    cases += [Case(f"sigmoid_grad(s) with s = {show(s)} (random case {i + 1})", (s,))
              for i, s in enumerate(_random_s(rng, wide) for _ in range(n_random))]
    count = _check("sigmoid_grad", fn, _activations.sigmoid_grad, cases)
    print(f"ok: sigmoid_grad passes {count} cases")


def predict(fn, *, seed=0, n_random=5):
    """Question 3: predict(w, b, X) = δ(X @ w + b), X (N, D) → (N,), compared with course_lib.perceptron."""
    rng, wide = cases_rng(seed), seed is None
    gates = [(op, _data.logic(op).x, [1.0, 1.0], b) for op, b in (("and", -1.5), ("or", -0.5))]
    cases = [Case(f"predict(w, b, X) with X = the {op.upper()} truth table {show(x)}, w = {show(w)}, b = {b}",
                  (jnp.asarray(w), b, x)) for op, x, w, b in gates]
    w, x = jnp.array([1.0, 1.0]), jnp.array([[1.0, 1.0], [2.0, 0.0], [3.0, 1.0]])
    cases.append(Case(f"predict(w, b, X) with X = {show(x)}, w = {show(w)}, b = -2.0 "
                      "(the first two points lie on the line w·x + b = 0)", (w, -2.0, x)))
    for i in range(n_random):
        d, n = _choice(rng, _FEATURES), _choice(rng, (3, 6))
        w, x = _grid(rng, (d,), 2), _grid(rng, (n, d), 10 if wide else 3)
        b = _bias(rng, w, x)
        cases.append(Case(f"predict(w, b, X) with w = {show(w)}, b = {b}, X = {show(x)} (random case {i + 1})",
                          (w, b, x)))
    count = _check("predict", fn, _perceptron.predict, cases)
    print(f"ok: predict passes {count} cases")


def rosenblatt_update(fn, *, seed=0, n_random=5):
    """Question 4: one application of Rosenblatt's rule, (w, b, x, t, lr) → (w_new, b_new)."""
    rng, wide = cases_rng(seed), seed is None
    lecture = [([0.0, 0.0], 0.0, [2.0, 2.0], 1, 1.0, "the first example of lecture notes 002, missed: y = 0, t = 1"),
               ([2.0, 2.0], 1.0, [3.0, 3.0], 0, 1.0, "their second example, missed: y = 1, t = 0"),
               ([-1.0, -1.0], 0.0, [3.0, 3.0], 0, 0.5, "already right: y = t = 0, nothing changes")]
    cases = [Case(f"rosenblatt_update(w, b, x, t, lr) with w = {show(w)}, b = {b}, x = {show(x)}, t = {t}, "
                  f"lr = {lr} ({note})", (jnp.asarray(w), b, jnp.asarray(x), t, lr))
             for w, b, x, t, lr, note in lecture]
    for i in range(n_random):
        d = _choice(rng, _FEATURES)
        w, x = _grid(rng, (d,), 2), _grid(rng, (d,), 10 if wide else 3)
        b, t, lr = _bias(rng, w, x), _choice(rng, (0, 1)), round(float(rng.uniform(0.05, 1.0)), 2)
        cases.append(Case(f"rosenblatt_update(w, b, x, t, lr) with w = {show(w)}, b = {b}, x = {show(x)}, "
                          f"t = {t}, lr = {lr} (random case {i + 1})", (w, b, x, t, lr)))
    count = _check("rosenblatt_update", fn, _perceptron.rosenblatt_update, cases, outputs=("w_new", "b_new"),
                   atol=1e-5)
    print(f"ok: rosenblatt_update passes {count} cases")


def sigmoid_neuron_step(fn, *, seed=0, n_random=5):
    """Question 5: one gradient step of y = σ(w·x + b) on L = ½(t − y)², (w, b, x, t, lr) → (w_new, b_new)."""
    rng, wide = cases_rng(seed), seed is None
    w0, b0, x1, x2 = jnp.zeros(2), 0.0, jnp.array([2.0, 2.0]), jnp.array([3.0, 3.0])
    w1, b1 = _sigmoid_neuron_step(w0, b0, x1, 1, 1.0)  # where the first example leaves the neuron
    lecture = [(w0, b0, x1, 1, 1.0, "the first example of lecture notes 002, α = 1"),
               (w1, float(b1), x2, 0, 1.0, "their second example, after the first"),
               (w0, b0, x1, 1, 0.5, "their first example, α = 0.5")]
    cases = [Case(f"sigmoid_neuron_step(w, b, x, t, lr) with w = {show(w)}, b = {b}, x = {show(x)}, t = {t}, "
                  f"lr = {lr} ({note})", (w, b, x, t, lr)) for w, b, x, t, lr, note in lecture]
    for i in range(n_random):
        d, scale = _choice(rng, _FEATURES), 3.0 if wide else 1.0
        w, x = _normal(rng, (d,), scale), _normal(rng, (d,), 2 * scale)
        b, t, lr = round(float(rng.normal(0, scale)), 3), _choice(rng, (0, 1)), round(float(rng.uniform(0.05, 2)), 2)
        cases.append(Case(f"sigmoid_neuron_step(w, b, x, t, lr) with w = {show(w)}, b = {b}, x = {show(x)}, "
                          f"t = {t}, lr = {lr} (random case {i + 1})", (w, b, x, t, lr)))
    count = _check("sigmoid_neuron_step", fn, _sigmoid_neuron_step, cases, outputs=("w_new", "b_new"), atol=1e-5)
    print(f"ok: sigmoid_neuron_step passes {count} cases")


def train_perceptron(fn, *, seed=0, n_random=5):
    """Question 6: train_perceptron(X, t, lr, max_epochs) → (w, b) must classify every example of
    linearly separable sets: the AND and OR gates, then random sets with a margin."""
    rng, wide = cases_rng(seed), seed is None
    sets = [(f"the {op.upper()} gate", *_data.logic(op), 1.0, 100) for op in ("and", "or")]
    sets += [(f"a random separable set of {len(x)} points in {x.shape[1]}-D (random case {i + 1})", x, t,
              round(float(rng.uniform(0.1, 1.0)), 2), 100)
             for i, (x, t) in enumerate(_separable(rng, wide) for _ in range(n_random))]
    hint = _HINTS["train_perceptron"]
    for what, x, t, lr, max_epochs in sets:
        case = f"{what} (lr = {lr}, max_epochs = {max_epochs})"
        received = call("train_perceptron", fn, x, t, lr, max_epochs, case=case, hint=hint)
        w, b = as_tuple("train_perceptron", case, received, ("w", "b"), hint)
        # Only type and shape are compared here: the values are judged by what they predict.
        w = as_array("train_perceptron's w", case, w, (x.shape[1],),
                     hint="w holds one weight per feature: shape (D,) for X of shape (N, D).")
        b = float(as_array("train_perceptron's b", case, b, (),
                           hint="b is a single number (shape ()), not an array."))
        wrong = np.flatnonzero(np.asarray(_perceptron.predict(w, b, x)) != np.asarray(t))
        if wrong.size:
            k = int(wrong[0])
            raise AssertionError(
                f"train_perceptron on {case}: with the returned w = {show(w)}, b = {b:.6g} the perceptron "
                f"misclassifies {wrong.size} of {len(t)} examples, e.g. x = {show(x[k])}: predicted {1 - int(t[k])}, "
                f"target t = {int(t[k])}. "
                f"The set is linearly separable, so training must go on until every example is right."
                f"\nHint: {hint}")
    print(f"ok: train_perceptron separates all {len(sets)} linearly separable sets")


def best_grid_accuracy(fn, *, seed=0, n_random=5):
    """Question 7: the best accuracy of step(w1·x1 + w2·x2 + b) over a grid, compared with
    course_lib.perceptron.grid_search_accuracy (AND → 1.0, XOR → 0.75)."""
    rng, wide = cases_rng(seed), seed is None
    values = np.linspace(-1.0, 1.0, 5, dtype=np.float32)  # NumPy: the reference iterates over it
    cases = [Case(f"best_grid_accuracy(X, t, values) on the {op.upper()} truth table, values = {show(values)}",
                  (*_data.logic(op), values)) for op in ("and", "xor")]
    for i in range(n_random):
        n, k = _choice(rng, (4, 8)), _choice(rng, (3, 5))
        x, t = _grid(rng, (n, 2), 10 if wide else 2), jnp.asarray(rng.integers(0, 2, n), jnp.int32)
        values = np.sort(rng.choice(np.arange(-8, 9) / 2, size=k, replace=False)).astype(np.float32)
        cases.append(Case(f"best_grid_accuracy(X, t, values) with X = {show(x)}, t = {show(t)}, "
                          f"values = {show(values)} (random case {i + 1})", (x, t, values)))
    count = _check("best_grid_accuracy", fn, _perceptron.grid_search_accuracy, cases)
    print(f"ok: best_grid_accuracy passes {count} cases")


def _check(name, fn, reference, cases, *, outputs=None, atol=1e-6):
    """Compare fn with reference on every case; when a failing answer matches a known mistake, its hint
    replaces the general one. outputs names the parts of a tuple result, e.g. ("w_new", "b_new")."""
    hint = _HINTS[name]
    for case in cases:
        expected = reference(*case.args)  # before the student's call, whatever it does to its arguments
        received = call(name, fn, *case.args, case=case.description, hint=hint)
        try:
            _compare(name, case.description, received, expected, outputs, hint, atol)
        except AssertionError:
            for mistake, why in _MISTAKES.get(name, ()):
                if _matches(name, case.description, received, mistake(*case.args), outputs, atol):
                    _compare(name, case.description, received, expected, outputs, why, atol)
            raise
    return len(cases)


def _compare(name, case, received, expected, outputs, hint, atol):
    if outputs is None:
        assert_close(name, case, received, expected, atol=atol, hint=hint)
        return
    for part, got, want in zip(outputs, as_tuple(name, case, received, outputs, hint), expected):
        assert_close(f"{name}'s {part}", case, got, want, atol=atol, hint=hint)


def _matches(name, case, received, wrong, outputs, atol):
    try:
        _compare(name, case, received, wrong, outputs, "", atol)
    except AssertionError:
        return False
    return True


def _sigmoid_neuron_step(w, b, x, t, lr):
    """The reference without its third return value (the output y before the step)."""
    w, b, _ = _perceptron.sigmoid_neuron_step(w, b, x, t, lr)
    return w, b


def _sigmoid_step_without_slope(w, b, x, t, lr):
    y = _activations.sigmoid(jnp.dot(w, x) + b)
    return w - lr * (y - t) * x, b - lr * (y - t)


def _grid_without_bias(x, t, values):
    """grid_search_accuracy with b = 0 only."""
    w1, w2 = (a.ravel() for a in jnp.meshgrid(values, values))
    return jnp.max(jnp.mean(_activations.step(x[:, :1] * w1 + x[:, 1:] * w2) == t[:, None], axis=0))


def _random_s(rng, wide):
    """Random pre-activations, shape (n,) or (r, c), multiples of 1/4 so that exact zeros occur."""
    shape = _choice(rng, ((3,), (6,), (2, 4)))
    return jnp.asarray(np.round(rng.normal(0, 30 if wide else 3, shape) * 4) / 4, jnp.float32)


def _grid(rng, shape, high):
    """Random multiples of 1/2 in [−high, high]: sums of their products are exact in any order, so a
    prediction cannot flip between two correct implementations, and points on the boundary occur."""
    return jnp.asarray(rng.integers(-2 * high, 2 * high + 1, shape) / 2, jnp.float32)


def _bias(rng, w, x):
    """A random b on the grid or, half the time, the b that puts a random row of x exactly on the line
    w·x + b = 0, so that the random cases test δ(0) = 0 too."""
    if rng.random() < 0.5:
        return float(_grid(rng, (), 2))
    row = x if x.ndim == 1 else x[int(rng.integers(len(x)))]
    return -float(row @ w) + 0.0  # + 0.0 turns −0.0 into 0.0 for the message


def _normal(rng, shape, scale):
    return jnp.asarray(rng.normal(0, scale, shape), jnp.float32)


def _choice(rng, options):
    return options[int(rng.integers(len(options)))]


def _separable(rng, wide):
    """A random linearly separable set (X (N, D), t (N,)) with both classes and every point at least
    spread/4 from the separating plane, so Rosenblatt's rule converges in a few epochs."""
    d, n, spread = _choice(rng, (2, 3, 4)), _choice(rng, (8, 16)), 5.0 if wide else 1.0
    while True:
        w, b = rng.normal(size=d), spread * rng.normal()
        x = rng.uniform(-2 * spread, 2 * spread, size=(4 * n, d))
        x = x[np.abs(x @ w + b) >= spread / 4 * np.linalg.norm(w)][:n]
        t = (x @ w + b > 0).astype(np.int32)
        if len(x) == n and 0 < t.sum() < n:
            return jnp.asarray(x, jnp.float32), jnp.asarray(t)

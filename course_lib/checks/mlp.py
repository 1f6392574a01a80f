"""Checks for exercise 2, XOR and the multilayer perceptron (solutions/02_xor_mlp.ipynb): one per question.

    check.forward(fn)      check.xor_weights(fn)      check.softmax(fn)
    check.cross_entropy(fn)      check.one_hot(fn)      check.train_xor(fn)

Each runs the lecture's worked examples, then `n_random` random cases, against course_lib.layers,
course_lib.activations and course_lib.losses. xor_weights and train_xor are checked by behaviour: the
network they define must compute XOR. A failure raises AssertionError with the case, the expected and
the received value and a hint; a known mistake (transposed weights, a forgotten bias, a softmax that
overflows, a sum where a mean belongs) gets a hint that names it. Success prints one line that depends
on n_random only, never on the seed.

seed fixes the random cases of the visible checks; seed=None (the hidden tests) draws fresh cases
from wider ranges of values. Random shapes come from a few fixed choices, so JAX compiles little.
"""
import jax
import jax.numpy as jnp
import numpy as np

from course_lib import activations as _activations
from course_lib import data as _data
from course_lib import layers as _layers
from course_lib import losses as _losses
from course_lib.checks._core import Case, as_array, as_tuple, assert_close, call, cases_rng, show

__all__ = ["forward", "xor_weights", "softmax", "cross_entropy", "one_hot", "train_xor"]

_HINTS = {
    "forward": "row-vector convention: H = σ(X @ W1 + b1), then Y = σ(H @ W2 + b2); X is (N, D), W1 (D, H), "
               "W2 (H, K), and the result (N, K) has one row per example.",
    "xor_weights": "h = step(x @ W1 + b1) with one column of W1 per hidden unit (OR-like and NAND-like, or AND-like), "
                   "then y = step(h @ W2 + b2). Keep every pre-activation at least 0.25 away from 0 on the corners.",
    "softmax": "subtract each row's maximum first (jnp.max(z, axis=-1, keepdims=True)); then e = jnp.exp(z − max) "
               "and e / e.sum(axis=-1, keepdims=True).",
    "cross_entropy": "L = mean over the rows of −Σₖ Tₖ log softmax(z)ₖ, with log softmax(z) = z − m − log Σⱼ e^(zⱼ − m) "
                     "and m the row's maximum: never take the log of a softmax that may be 0.",
    "one_hot": "an (N, K) array of floats whose row n is 1.0 in column labels[n] and 0.0 elsewhere; compare "
               "labels[:, None] with jnp.arange(K).",
    "train_xor": "start from layers.init_mlp(key, (2, H, 2)), then repeat a gradient step on "
                 "losses.softmax_cross_entropy(layers.mlp(params, X, activations.tanh), t) a few hundred times.",
}

# The first two layers of seed 003's network (lecture 1's sign-corrected W1), in the row convention x W + b.
SEED003_W1, SEED003_B1 = [[1.0, -1.0], [-2.0, 1.0]], [1.0, 0.0]
SEED003_W2, SEED003_B2 = [[2.0, -2.0], [-1.0, -1.0]], [0.0, 0.0]
SEED004_SOFTMAX_INPUT = [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0]
XOR_SHIFTS = tuple((dx, dy) for dx in (-0.1, 0.1) for dy in (-0.1, 0.1))
TRAIN_XOR_ACTIVATION = _activations.tanh


def _forward_reference(x, w1, b1, w2, b2):
    net = (_layers.DenseParams(w1, b1), _layers.DenseParams(w2, b2))
    return _activations.sigmoid(_layers.mlp(net, x, activation=_activations.sigmoid))


def _cross_entropy_reference(z, t):
    return _losses.softmax_cross_entropy(z, jnp.argmax(t, axis=-1))


def _one_hot_reference(labels, k):
    return _activations.one_hot(labels, k)


def _softmax_reference(z):
    return _activations.softmax(z, axis=-1)


_MISTAKES = {
    "forward": [
        (lambda x, w1, b1, w2, b2: _forward_reference(x, w1.T, b1, w2.T, b2),
         "the weight matrices are transposed: in the row convention a layer is X @ W with W of shape "
         "(inputs, units), column j holding unit j's weights; W.T @ x is the column convention."),
        (lambda x, w1, b1, w2, b2: _layers.mlp((_layers.DenseParams(w1, b1), _layers.DenseParams(w2, b2)), x,
                                               activation=_activations.sigmoid),
         "the output layer has no sigmoid: both layers apply σ, Y = σ(H @ W2 + b2)."),
        (lambda x, w1, b1, w2, b2: _forward_reference(x, w1, 0 * b1, w2, 0 * b2),
         "the biases are missing: each layer adds its b after the product."),
    ],
    "softmax": [
        (lambda z: jnp.exp(z) / jnp.sum(jnp.exp(z), axis=-1, keepdims=True),
         "e^z overflowed: e^1000 is inf in float32 and inf/inf is nan. Subtract each row's maximum before exp; "
         "softmax(z − m) = softmax(z)."),
        (lambda z: _activations.softmax(z, axis=0),
         "the sum runs over the wrong axis: each ROW (axis -1) must sum to 1, not each column."),
        (lambda z: _global_max_softmax(z),
         "the maximum of the whole array was subtracted: a row far below it underflows to 0/0. Use each row's "
         "own maximum, jnp.max(z, axis=-1, keepdims=True)."),
    ],
    "cross_entropy": [
        (lambda z, t: _cross_entropy_reference(z, t) * z.shape[0],
         "the loss is summed over the batch: take the MEAN over the N rows, so it does not grow with N."),
        (lambda z, t: -_cross_entropy_reference(z, t),
         "the sign is flipped: log p ≤ 0, so the loss −Σ T log p is ≥ 0."),
        (lambda z, t: jnp.nan,
         "the loss is nan at large logits: e^1000 overflows, log 0 = −inf and 0·(−inf) = nan. Never take the "
         "log of a softmax; compute log softmax directly, z − m − log Σⱼ e^(zⱼ − m) with m the row's maximum."),
        (lambda z, t: jnp.inf,
         "the loss is inf at large logits: the softmax of a class rounded to 0 and log 0 = −inf. Compute "
         "log softmax directly, z − m − log Σⱼ e^(zⱼ − m) with m the row's maximum."),
    ],
    "one_hot": [
        (lambda labels, k: _activations.one_hot(labels, k).T,
         "the result is transposed: one ROW per label, (N, K), not one column."),
    ],
}


def forward(fn, *, seed=0, n_random=5):
    """Question 1: Y = σ(σ(X W1 + b1) W2 + b2) for a batch X (N, D), compared with course_lib.layers."""
    rng, wide = cases_rng(seed), seed is None
    w1, b1, w2, b2 = (jnp.asarray(a) for a in (SEED003_W1, SEED003_B1, SEED003_W2, SEED003_B2))
    cases = [Case(f"forward(X, W1, b1, W2, b2) with X = {show(x)} and the first two layers of seed 003's network "
                  f"(W1 = {show(w1)}, b1 = {show(b1)}, W2 = {show(w2)}, b2 = {show(b2)})", (x, w1, b1, w2, b2))
             for x in (jnp.array([[1.0, -1.0]]), jnp.array([[1.0, -1.0], [0.0, 0.0]]))]
    for i in range(n_random):
        n, d, h, k = _choice(rng, ((3, 2, 4, 2), (5, 3, 2, 4)))
        scale = 3.0 if wide else 1.0
        args = (_normal(rng, (n, d), scale), _normal(rng, (d, h), scale), _normal(rng, (h,), scale),
                _normal(rng, (h, k), scale), _normal(rng, (k,), scale))
        cases.append(Case(f"forward(X, W1, b1, W2, b2) with X of shape {(n, d)}, W1 {(d, h)}, b1 {(h,)}, W2 {(h, k)}, "
                          f"b2 {(k,)}: X = {show(args[0])} (random case {i + 1})", args))
    count = _check("forward", fn, _forward_reference, cases, atol=1e-5)
    print(f"ok: forward passes {count} cases")


def xor_weights(fn, *, seed=0, n_random=5):
    """Question 2: the weights (W1, b1, W2, b2) of a two-layer step network that computes XOR, on the four
    corners and on corners moved by up to 0.1 in each coordinate (so nothing sits on a boundary)."""
    rng = cases_rng(seed)
    hint = _HINTS["xor_weights"]
    received = call("xor_weights", fn, case="xor_weights()", hint=hint)
    w1, b1, w2, b2 = as_tuple("xor_weights", "xor_weights()", received, ("W1", "b1", "W2", "b2"), hint)
    w1 = _matrix("xor_weights' W1", "", w1, 2, "W1 has shape (2, H): one row per input, one column per hidden unit.")
    h = w1.shape[1]
    b1 = as_array("xor_weights' b1", "", b1, (h,), hint=f"b1 holds one bias per hidden unit: shape ({h},).")
    w2 = as_array("xor_weights' W2", "", w2, (h,), hint=f"W2 holds one weight per hidden unit: shape ({h},).")
    b2 = float(as_array("xor_weights' b2", "", b2, (), hint="b2 is a single number."))
    shifts = list(XOR_SHIFTS) + [tuple(rng.uniform(-0.1, 0.1, 2)) for _ in range(n_random)]
    x, t = (np.asarray(a) for a in _data.xor())
    for shift in [(0.0, 0.0)] + shifts:
        corners = x + np.asarray(shift)
        hidden = np.asarray(_activations.step(corners @ w1 + b1))
        y = np.asarray(_activations.step(hidden @ w2 + b2))
        wrong = np.flatnonzero(y != t)
        if wrong.size:
            k = int(wrong[0])
            where = "the corners" if shift == (0.0, 0.0) else f"the corners moved by ({shift[0]:+.3f}, {shift[1]:+.3f})"
            raise AssertionError(
                f"xor_weights: on {where} the network outputs {show(y)}, XOR is {show(t)}. At x = {show(corners[k])} "
                f"the hidden units give h = {show(hidden[k])} and y = {int(y[k])}, expected {int(t[k])}.\nHint: {hint}")
    print(f"ok: xor_weights computes XOR on the corners and on {len(shifts)} shifted copies")


def softmax(fn, *, seed=0, n_random=5):
    """Question 3: a numerically stable softmax along the last axis, compared with course_lib.activations."""
    rng, wide = cases_rng(seed), seed is None
    cases = [Case(f"softmax(z) with z = {show(SEED004_SOFTMAX_INPUT)} (seed 004's example)",
                  (jnp.asarray(SEED004_SOFTMAX_INPUT),)),
             Case("softmax(z) with z = [[1000, 999, -1000], [-1000, -1000, -1000]] (large logits)",
                  (jnp.array([[1000.0, 999.0, -1000.0], [-1000.0, -1000.0, -1000.0]]),)),
             Case("softmax(z) with z = [[1000, 999], [-1000, -1001]] (rows on very different scales)",
                  (jnp.array([[1000.0, 999.0], [-1000.0, -1001.0]]),))]
    for i in range(n_random):
        z = _normal(rng, _choice(rng, ((4,), (3, 5), (2, 3, 4))), 300.0 if wide else 3.0)
        cases.append(Case(f"softmax(z) with z = {show(z)} (random case {i + 1})", (z,)))
    count = _check("softmax", fn, _softmax_reference, cases)
    print(f"ok: softmax passes {count} cases")


def cross_entropy(fn, *, seed=0, n_random=5):
    """Question 4: the mean softmax cross-entropy of logits z (N, K) against one-hot targets T (N, K)."""
    rng, wide = cases_rng(seed), seed is None
    z7 = jnp.asarray([SEED004_SOFTMAX_INPUT])
    cases = [Case(f"cross_entropy(z, T) with z = {show(z7)}, T = one-hot of class {k} ({note})",
                  (z7, _activations.one_hot(jnp.array([k]), 7))) for k, note in ((3, "the largest score"),
                                                                                 (0, "a small score"))]
    big = jnp.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0]])
    cases.append(Case(f"cross_entropy(z, T) with z = {show(big)}, T = one-hot of classes [0, 1] (large logits)",
                      (big, _activations.one_hot(jnp.array([0, 1]), 3))))
    for i in range(n_random):
        n, k = _choice(rng, ((4, 3), (6, 5)))
        z = _normal(rng, (n, k), 100.0 if wide else 2.0)
        labels = jnp.asarray(rng.integers(0, k, n), jnp.int32)
        cases.append(Case(f"cross_entropy(z, T) with z = {show(z)}, T = one-hot of classes {show(labels)} "
                          f"(random case {i + 1})", (z, _activations.one_hot(labels, k))))
    count = _check("cross_entropy", fn, _cross_entropy_reference, cases, atol=1e-4)
    print(f"ok: cross_entropy passes {count} cases")


def one_hot(fn, *, seed=0, n_random=5):
    """Question 5: one-hot encoding (N,) integer labels → (N, K) floats, compared with course_lib.activations."""
    rng = cases_rng(seed)
    cases = [Case("one_hot(labels, K) with labels = [0, 2, 1], K = 3", (jnp.array([0, 2, 1]), 3)),
             Case("one_hot(labels, K) with labels = [3, 0, 9, 3], K = 10 (digits)", (jnp.array([3, 0, 9, 3]), 10))]
    for i in range(n_random):
        n, k = _choice(rng, ((5, 3), (4, 6)))
        labels = jnp.asarray(rng.integers(0, k, n), jnp.int32)
        cases.append(Case(f"one_hot(labels, K) with labels = {show(labels)}, K = {k} (random case {i + 1})",
                          (labels, k)))
    count = _check("one_hot", fn, _one_hot_reference, cases)
    print(f"ok: one_hot passes {count} cases")


def train_xor(fn, *, seed=0, n_random=1):
    """Question 6: train_xor(key) returns MLP parameters (as layers.init_mlp builds them) that classify all
    four XOR inputs with layers.mlp(params, X, activations.tanh); different keys must give different
    parameters (training starts from random weights). Visible: keys 0 and 1 plus n_random random keys."""
    rng = cases_rng(seed)
    hint = _HINTS["train_xor"]
    x, t = _data.xor()
    keys = [0, 1] + [int(rng.integers(2, 2**31 - 1)) for _ in range(n_random)]
    trained = []
    for k in keys:
        case = f"train_xor(jax.random.PRNGKey({k}))"
        params = call("train_xor", fn, jax.random.PRNGKey(k), case=case, hint=hint)
        logits = _mlp_logits(params, x, case, hint)
        predicted = np.asarray(jnp.argmax(logits, axis=-1))
        if np.any(predicted != np.asarray(t)):
            raise AssertionError(f"train_xor on {case}: the trained network predicts {show(predicted)} for the inputs "
                                 f"{show(x)}, XOR is {show(t)} ({int(np.sum(predicted == np.asarray(t)))}/4 right)."
                                 f"\nHint: {hint}")
        trained.append(np.concatenate([np.ravel(np.asarray(leaf)) for leaf in jax.tree_util.tree_leaves(params)]))
    if len({a.tobytes() for a in trained}) < len(trained):
        raise AssertionError("train_xor returned the same parameters for different keys: train from random "
                             f"weights drawn with the key you are given.\nHint: {hint}")
    print(f"ok: train_xor learns XOR 4/4 from {len(keys)} random starts")


def _mlp_logits(params, x, case, hint):
    """layers.mlp(params, x, tanh) after checking that params is a sequence of (W, b) layers of the right shapes."""
    want = "a tuple of DenseParams(W, b), one per layer, as layers.init_mlp returns"
    if params is None:
        raise AssertionError(f"train_xor on {case} returned None. Did you forget the `return` statement? "
                             f"It should return {want}.\nHint: {hint}")
    if not isinstance(params, (tuple, list)) or not params or not all(
            hasattr(layer, "W") and hasattr(layer, "b") for layer in params):
        raise AssertionError(f"train_xor on {case} returned a {type(params).__name__}; expected {want}.\nHint: {hint}")
    width = 2
    for i, layer in enumerate(params):
        w = _matrix(f"train_xor's layer {i} W", case, layer.W, width,
                    f"layer {i}'s W has shape ({width}, units): one row per input of the layer.")
        as_array(f"train_xor's layer {i} b", case, layer.b, (w.shape[1],), hint=hint)
        width = w.shape[1]
    if width != 2:
        raise AssertionError(f"train_xor on {case}: the last layer has {width} outputs; expected 2 logits, one per "
                             f"class.\nHint: {hint}")
    return _layers.mlp(tuple(_layers.DenseParams(jnp.asarray(l.W), jnp.asarray(l.b)) for l in params), x,
                       activation=TRAIN_XOR_ACTIVATION)


def _check(name, fn, reference, cases, *, atol=1e-6):
    """Compare fn with reference on every case; when a failing answer matches a known mistake, its hint
    replaces the general one."""
    hint = _HINTS[name]
    for case in cases:
        expected = reference(*case.args)
        received = call(name, fn, *case.args, case=case.description, hint=hint)
        try:
            assert_close(name, case.description, received, expected, atol=atol, hint=hint)
        except AssertionError:
            for mistake, why in _MISTAKES.get(name, ()):
                if _matches(name, case.description, received, mistake, case.args, atol):
                    assert_close(name, case.description, received, expected, atol=atol, hint=why)
            raise
    return len(cases)


def _matches(name, case, received, mistake, args, atol):
    try:
        wrong = mistake(*args)
        assert_close(name, case, received, wrong, atol=atol)
    except Exception:
        return False
    return True


def _global_max_softmax(z):
    e = jnp.exp(z - jnp.max(z))
    return e / jnp.sum(e, axis=-1, keepdims=True)


def _matrix(name, case, received, rows, hint):
    """A returned weight matrix as float64 NumPy after checking its type and that it is (rows, any ≥ 1)."""
    got = as_array(name, case, received, np.shape(received) if _is_array(received) else (rows, 1), hint=hint)
    if got.ndim != 2 or got.shape[0] != rows or got.shape[1] < 1:
        where = f"{name} on {case}" if case else name
        raise AssertionError(f"{where}: expected shape ({rows}, H) with H ≥ 1, got shape {got.shape}.\nHint: {hint}")
    return got


def _is_array(x):
    return isinstance(x, (np.ndarray, np.generic)) or isinstance(x, jax.Array)


def _normal(rng, shape, scale):
    return jnp.asarray(rng.normal(0, scale, shape), jnp.float32)


def _choice(rng, options):
    return options[int(rng.integers(len(options)))]

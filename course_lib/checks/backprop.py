"""Checks for exercise 3, backpropagation and training (solutions/03_backprop.ipynb): one function per question.

    check.two_layer_gradients(fn)   check.numerical_gradient(fn)   check.delta_recursion(fn)
    check.minibatches(fn)           check.sgd_epoch(fn)            check.train_digits(fn)

The gradient questions run the lecture's worked example (seed 000's 2-2-2 network), then random shapes,
against course_lib.backprop (itself tested against jax.grad); numerical_gradient is compared with exact
derivatives in float64; minibatches and train_digits are judged by behaviour (every example once, shuffled
by the key; test accuracy). A failure raises AssertionError with the case, the expected and the received
value and a hint; a known mistake (a missing σ', a flipped sign, a forgotten 1/N, forward differences, a
dropped last batch) gets a hint that names it. Success prints one line that never depends on the seed.

seed fixes the random cases of the visible checks; seed=None (the hidden tests) draws fresh cases.
"""
import jax
import jax.numpy as jnp
import numpy as np

from course_lib import activations as _activations
from course_lib import backprop as _backprop
from course_lib import data as _data
from course_lib import layers as _layers
from course_lib import losses as _losses
from course_lib.checks._core import as_array, as_tuple, assert_close, call, cases_rng, show
from course_lib.layers import DenseParams

__all__ = ["two_layer_gradients", "numerical_gradient", "delta_recursion", "minibatches", "sgd_epoch",
           "train_digits"]

_HINTS = {
    "two_layer_gradients": "forward: H = σ(X W1 + b1), Y = σ(H W2 + b2); backward: δ2 = (Y − T)/N ⊙ Y(1 − Y), "
                           "dW2 = Hᵀ δ2, db2 = Σₙ δ2; δ1 = (δ2 W2ᵀ) ⊙ H(1 − H), dW1 = Xᵀ δ1, db1 = Σₙ δ1.",
    "numerical_gradient": "for every index i of w: copy w, add eps at i for f₊, subtract eps at i for f₋, "
                          "and store (f₊ − f₋) / (2·eps); np.ndindex(w.shape) visits every index of any shape.",
    "delta_recursion": "start from δᴸ = delta_L, then for l = L−1, …, 1: δˡ = g_prime(zˡ) ⊙ (δˡ⁺¹ (Wˡ⁺¹)ᵀ); "
                       "return the list [δ¹, …, δᴸ] (first layer first). In Python, layer l is index l − 1.",
    "minibatches": "perm = np.asarray(jax.random.permutation(key, N)); then for start in range(0, N, "
                   "batch_size): idx = perm[start:start + batch_size] and yield (x[idx], y[idx]).",
    "sgd_epoch": "for each (xb, yb) in batches, in order: g = jax.grad(loss_fn)(params, xb, yb), then "
                 "params = jax.tree_util.tree_map(lambda p, gp: p - lr * gp, params, g); return params.",
    "train_digits": "init_mlp(key, (64, 128, 10)), loss = softmax_cross_entropy(mlp(p, x, activation=relu), y); "
                    "about 30 epochs of your sgd_epoch over minibatches of 32 with lr ≈ 0.1 (jit the gradient).",
}

# (N, D, H, K) of the random cases: two fixed shapes with N, D, H, K all different (so a transposed matrix
# has the wrong shape), because JAX compiles every operation once per shape
_SHAPES = ((5, 3, 4, 2), (2, 4, 3, 5))


# ---- question 1 -------------------------------------------------------------------------------------------

def seed000_example():
    """Seed 000's 2-2-2 network with the numbers the lecture chose (the slide's figure is lost): one
    example x = (0.05, 0.10), targets (0.01, 0.99), hidden weights w1…w4 with one shared bias b1 = 0.35,
    output weights w5…w8 with one shared bias b2 = 0.60. Returns (W1, b1, W2, b2, X, T) in the row
    convention: column j of W1 holds the weights into hidden unit j (f_j), column k of W2 those into y_k."""
    W1 = jnp.array([[0.15, 0.25], [0.20, 0.30]])   # f1 = L(x1 w1 + x2 w2 + b1), f2 = L(x1 w3 + x2 w4 + b1)
    W2 = jnp.array([[0.40, 0.50], [0.45, 0.55]])   # y1 = L(f1 w5 + f2 w6 + b2), y2 = L(f1 w7 + f2 w8 + b2)
    return W1, jnp.array([0.35, 0.35]), W2, jnp.array([0.60, 0.60]), jnp.array([[0.05, 0.10]]), \
        jnp.array([[0.01, 0.99]])


def _two_layer_reference(W1, b1, W2, b2, X, T):
    params = (DenseParams(W1, b1), DenseParams(W2, b2))
    y, cache = _backprop.forward(params, X, "sigmoid", "sigmoid")   # eager: no compilation per shape
    grads = _backprop.backward(params, cache, (y - T) / X.shape[0], "sigmoid", "sigmoid")
    return grads[0].W, grads[0].b, grads[1].W, grads[1].b


def _two_layer_variant(W1, b1, W2, b2, X, T, *, scale=None, sign=1.0, out_prime=True, hidden_prime=True):
    """The reference with a known mistake switched on."""
    H = _activations.sigmoid(X @ W1 + b1)
    Y = _activations.sigmoid(H @ W2 + b2)
    n = X.shape[0] if scale is None else scale
    d2 = sign * (Y - T) / n * (Y * (1 - Y) if out_prime else 1.0)
    d1 = (d2 @ W2.T) * (H * (1 - H) if hidden_prime else 1.0)
    return X.T @ d1, d1.sum(0), H.T @ d2, d2.sum(0)


_TWO_LAYER_MISTAKES = [
    (lambda *a: _two_layer_variant(*a, scale=1.0),
     "your gradients are N times too large: C is the MEAN over the N examples of ½Σ(T − Y)², so ∂C/∂Y = (Y − T)/N."),
    (lambda *a: _two_layer_variant(*a, sign=-1.0),
     "the sign is flipped: ∂C/∂Y = Y − T (output minus target), not T − Y."),
    (lambda *a: _two_layer_variant(*a, out_prime=False),
     "the output layer's σ'(z) = Y(1 − Y) is missing: δ2 = (Y − T)/N ⊙ Y(1 − Y), since Y = σ(H W2 + b2)."),
    (lambda *a: _two_layer_variant(*a, hidden_prime=False),
     "the hidden layer's σ'(z) = H(1 − H) is missing: δ1 = (δ2 W2ᵀ) ⊙ H(1 − H)."),
]


def two_layer_gradients(fn, *, seed=0, n_random=3):
    """Question 1: (dW1, db1, dW2, db2) of the two-layer sigmoid MLP, compared with course_lib.backprop."""
    rng = cases_rng(seed)
    cases = [("two_layer_gradients on seed 000's 2-2-2 network (one example x = (0.05, 0.10), T = (0.01, 0.99))",
              seed000_example())]
    for i in range(n_random):
        n, d, h, k = _SHAPES[int(rng.integers(len(_SHAPES)))]
        W1, W2 = _normal(rng, (d, h)), _normal(rng, (h, k))
        b1, b2 = _normal(rng, (h,), 0.5), _normal(rng, (k,), 0.5)
        X, T = _normal(rng, (n, d), 1.5), jnp.asarray(rng.uniform(0, 1, (n, k)), jnp.float32)
        cases.append((f"two_layer_gradients with N = {n} examples, D = {d} inputs, H = {h} hidden units, "
                      f"K = {k} outputs (random case {i + 1})", (W1, b1, W2, b2, X, T)))
    names = ("dW1", "db1", "dW2", "db2")
    for description, args in cases:
        expected = _two_layer_reference(*args)
        received = call("two_layer_gradients", fn, *args, case=description, hint=_HINTS["two_layer_gradients"])
        parts = as_tuple("two_layer_gradients", description, received, names, _HINTS["two_layer_gradients"])
        shapes = ", ".join(f"{nm} {tuple(e.shape)}" for nm, e in zip(names, expected))
        for name, got, want in zip(names, parts, expected):
            as_array(f"two_layer_gradients' {name}", description, got, want.shape,
                     hint=f"every gradient has the shape of its parameter: {shapes}.")
        _compare_with_mistakes("two_layer_gradients", description, parts, expected, names,
                               lambda: [(m(*args), why) for m, why in _TWO_LAYER_MISTAKES], rtol=2e-4, atol=1e-6)
    print(f"ok: two_layer_gradients matches backpropagation on {len(cases)} networks")


# ---- question 2 -------------------------------------------------------------------------------------------

_FUNCTIONS = [  # (description, f in NumPy, its exact gradient, the shape of w)
    ("f(w) = Σ wᵢ³", lambda w: np.sum(w ** 3), lambda w: 3 * w ** 2, (4,)),
    ("f(w) = Σ sin(wᵢ)·wᵢ²", lambda w: np.sum(np.sin(w) * w ** 2), lambda w: np.cos(w) * w ** 2 + 2 * w * np.sin(w),
     (5,)),
    ("f(w) = log Σ exp(wᵢ)", lambda w: np.log(np.sum(np.exp(w))), lambda w: np.exp(w) / np.sum(np.exp(w)), (3,)),
    ("f(W) = Σ exp(W)·W for a matrix W (2, 3)", lambda w: np.sum(np.exp(w) * w), lambda w: np.exp(w) * (1 + w),
     (2, 3)),
]


def numerical_gradient(fn, *, seed=0, n_random=3):
    """Question 2: central differences (f(w + eps·eᵢ) − f(w − eps·eᵢ)) / (2·eps), compared with the exact
    gradient of NumPy functions at float64 points (eps = 1e-4, where forward differences are visibly off)."""
    rng, eps = cases_rng(seed), 1e-4
    cases = [(f"numerical_gradient(f, w, eps={eps}) with {desc}, w = {show(w)}", f, g, w)
             for (desc, f, g, _), w in zip(_FUNCTIONS[:2], (np.array([1.0, -2.0, 0.5, 3.0]),
                                                            np.array([0.0, 1.0, 2.0, -1.5, 0.3])))]
    for i in range(n_random):
        desc, f, g, shape = _FUNCTIONS[int(rng.integers(len(_FUNCTIONS)))]
        w = rng.uniform(-2, 2, shape)
        cases.append((f"numerical_gradient(f, w, eps={eps}) with {desc}, w = {show(w)} (random case {i + 1})",
                      f, g, w))
    hint = _HINTS["numerical_gradient"]
    for description, f, g, w in cases:
        original = w.copy()
        received = call("numerical_gradient", fn, f, w, eps, case=description, hint=hint)
        if not np.array_equal(w, original):
            raise AssertionError(f"numerical_gradient on {description}: your function changed w itself (it now "
                                 f"holds {show(w)}). Perturb a copy (w.copy()), or undo each change, so the caller's "
                                 f"w is left as it was.\nHint: {hint}")
        forward = np.array([(f(w + eps * e) - f(w)) / eps for e in np.eye(w.size).reshape((w.size,) + w.shape)])
        mistakes = [((forward.reshape(w.shape),), "these are forward differences (f(w + eps) − f(w)) / eps, whose "
                     "error is O(eps); use central differences (f(w + eps) − f(w − eps)) / (2·eps), error O(eps²)."),
                    ((2 * g(original),), "your values are twice the derivative: the two points w ± eps are 2·eps "
                     "apart, so divide f₊ − f₋ by 2·eps, not by eps.")]
        as_array("numerical_gradient", description, received, w.shape,
                 hint="return one partial derivative per entry of w: an array of w's shape.")
        if np.asarray(received).dtype == np.float32:
            hint_dtype = ("your result is float32: work in NumPy float64 (w.copy(), np.zeros(w.shape)), because "
                          "jnp arrays are float32 and eps = 1e-4 is lost in their rounding.")
            mistakes.append(((np.asarray(received, np.float64),), hint_dtype))
        _compare_with_mistakes("numerical_gradient", description, (received,), (g(original),), None,
                               mistakes, rtol=1e-6, atol=1e-7)
    print(f"ok: numerical_gradient matches the exact derivatives in {len(cases)} cases")


# ---- question 3 -------------------------------------------------------------------------------------------

_NETWORKS = ((3, 2, 5), (2, 5, 3, 1), (4, 3, 3, 2, 2))   # widths (D_0, …, D_L) of the random cases
_G_PRIMES = {"sigmoid": _activations.sigmoid_grad, "tanh": _activations.tanh_grad, "relu": _activations.relu_grad}


def delta_recursion(fn, *, seed=0, n_random=3):
    """Question 3: [δ¹, …, δᴸ] from δᴸ, the weights and the pre-activations, compared with backprop.deltas."""
    rng = cases_rng(seed)
    W1, b1, W2, b2, X, T = seed000_example()
    params = (DenseParams(W1, b1), DenseParams(W2, b2))
    y, cache = _backprop.forward(params, X, "sigmoid", "sigmoid")
    delta_L = (y - T) * y * (1 - y)
    cases = [("delta_recursion on seed 000's 2-2-2 network (sigmoid, L = 2)", [W1, W2], list(cache.z), delta_L,
              "sigmoid")]
    for i in range(n_random):
        widths = list(_NETWORKS[int(rng.integers(len(_NETWORKS)))])
        depth, n, name = len(widths) - 1, 3, ("sigmoid", "tanh", "relu")[int(rng.integers(3))]
        Ws = [_normal(rng, (a, b)) for a, b in zip(widths[:-1], widths[1:])]
        zs = [_normal(rng, (n, w), 2.0) for w in widths[1:]]
        cases.append((f"delta_recursion with L = {depth} layers of widths {widths}, N = {n}, g' = {name}' "
                      f"(random case {i + 1})", Ws, zs, _normal(rng, (n, widths[-1])), name))
    hint = _HINTS["delta_recursion"]
    for description, Ws, zs, delta_L, name in cases:
        params = tuple(DenseParams(W, jnp.zeros(W.shape[1])) for W in Ws)
        cache = _backprop.Cache(tuple(zs), (None,) * (len(zs) + 1))
        expected = _backprop.deltas(params, cache, delta_L, name, "identity")
        received = call("delta_recursion", fn, list(Ws), list(zs), delta_L, _G_PRIMES[name], case=description,
                        hint=hint)
        names = tuple(f"δ{_superscript(l)}" for l in range(1, len(Ws) + 1))
        if isinstance(received, (tuple, list)) and len(received) == len(expected) > 1:
            if _close_all(list(received)[::-1], expected) and not _close_all(received, expected):
                raise AssertionError(f"delta_recursion on {description}: your list is in reverse order. Return "
                                     f"[δ¹, …, δᴸ], the first layer's delta first and δᴸ = delta_L last.\nHint: {hint}")
        parts = as_tuple("delta_recursion", description, received, names, hint)
        for nm, got, want in zip(names, parts, expected):
            as_array(f"delta_recursion's {nm}", description, got, want.shape,
                     hint=f"δˡ has the shape of zˡ: (N, D_l). {hint}")
        no_prime = _deltas_without_g_prime(Ws, delta_L)
        _compare_with_mistakes("delta_recursion", description, parts, expected, names,
                               [(no_prime, "g'(zˡ) is missing: every step multiplies elementwise by g_prime(zˡ), "
                                 "δˡ = g_prime(zˡ) ⊙ (δˡ⁺¹ (Wˡ⁺¹)ᵀ).")], rtol=1e-5, atol=1e-6)
    print(f"ok: delta_recursion matches backpropagation on {len(cases)} networks")


# ---- question 4 -------------------------------------------------------------------------------------------

def minibatches(fn, *, seed=0, n_random=2):
    """Question 4: minibatches(key, x, y, batch_size) yields (x_batch, y_batch) pairs that cover every
    example exactly once, in an order shuffled by `key` (the same for the same key), the last batch smaller."""
    rng = cases_rng(seed)
    shapes = [(10, 3), (10, 10), (10, 16)]           # a remainder, one full batch, batch_size > N
    extra = [(10, 4), (12, 5), (12, 4), (12, 3)]   # N is 10 or 12 only: JAX compiles every operation once per shape
    shapes += [extra[int(i)] for i in rng.choice(len(extra), size=min(n_random, len(extra)), replace=False)]
    hint = _HINTS["minibatches"]
    for k, (n, b) in enumerate(shapes):
        key = jax.random.PRNGKey(int(rng.integers(2 ** 31)))
        x = jnp.asarray(np.stack([np.arange(n), -np.arange(n)], axis=1), jnp.float32)  # row i = (i, −i)
        y = jnp.asarray(np.arange(n) * 3 + 1, jnp.int32)
        description = f"minibatches(key, x, y, batch_size={b}) with N = {n} examples, x (N, 2), row i of x = (i, −i)"
        order = _order("minibatches", fn, key, x, y, b, description, hint)
        full, rest = divmod(n, b)
        sizes = [len(batch) for batch in order]
        if sizes == [b] * full and rest:
            raise AssertionError(f"minibatches on {description}: you yielded {full} batches of {b}, and the last "
                                 f"{rest} examples never appear. Keep the last, smaller batch: every example must "
                                 f"be seen once per epoch.\nHint: {hint}")
        if sizes != [b] * full + ([rest] if rest else []):
            raise AssertionError(f"minibatches on {description}: expected batch sizes {[b] * full + ([rest] if rest else [])}, "
                                 f"got {sizes}.\nHint: {hint}")
        flat = [int(i) for batch in order for i in batch]
        if sorted(flat) != list(range(n)):
            repeated = sorted({i for i in flat if flat.count(i) > 1})
            raise AssertionError(f"minibatches on {description}: every example must appear exactly once per epoch, "
                                 f"but {len(set(flat))} of {n} appear" +
                                 (f" and {repeated[:5]} appear more than once (sampling with replacement?)"
                                  if repeated else "") + f".\nHint: {hint}")
        if n >= 10 and flat == list(range(n)):
            raise AssertionError(f"minibatches on {description}: the examples come in their original order "
                                 f"0, 1, 2, …; shuffle them with the key (jax.random.permutation(key, N)).\n"
                                 f"Hint: {hint}")
        if k == 0:
            again = [int(i) for batch in _order("minibatches", fn, key, x, y, b, description, hint) for i in batch]
            other = _order("minibatches", fn, jax.random.PRNGKey(int(rng.integers(2 ** 31)) + 1), x, y, b,
                           description, hint)
            if again != flat:
                raise AssertionError(f"minibatches on {description}: two calls with the same key gave different "
                                     f"orders. Draw the order from `key` only (no np.random, no global state).\n"
                                     f"Hint: {hint}")
            if [int(i) for batch in other for i in batch] == flat:
                raise AssertionError(f"minibatches on {description}: two different keys gave the same order; the "
                                     f"shuffle must come from `key`.\nHint: {hint}")
    print(f"ok: minibatches covers every example once, shuffled by the key, in {len(shapes)} cases")


# ---- question 5 -------------------------------------------------------------------------------------------

def sgd_epoch(fn, *, seed=0, n_random=1):
    """Question 5: sgd_epoch(params, batches, lr, loss_fn) applies θ ← θ − lr·∇loss_fn(θ, xb, yb) once per
    batch, in order, and returns the new params (same structure), compared with a step-by-step reference."""
    rng = cases_rng(seed)
    cases = []
    d, h, k = 3, 4, 2   # one network shape and batch sizes 2 and 4 only: JAX compiles each gradient once
    for i in range(1 + n_random):
        params = (DenseParams(_normal(rng, (d, h), 0.5), _normal(rng, (h,), 0.1)),   # NumPy draws: no compilation
                  DenseParams(_normal(rng, (h, k), 0.5), _normal(rng, (k,), 0.1)))
        sizes = [4, 4, 2] if i == 0 else [4] * int(rng.integers(2, 5))   # one shape: one compilation per call
        batches = [(_normal(rng, (s, d), 1.5), jnp.asarray(rng.integers(0, k, s), jnp.int32)) for s in sizes]
        lr = 0.5 if i == 0 else round(float(rng.uniform(0.05, 1.0)), 2)
        what = "an MLP (%d, %d, %d) with softmax cross-entropy, batches of sizes %s, lr = %s" % (d, h, k, sizes, lr)
        cases.append((what if i == 0 else f"{what} (random case {i})", params, batches, lr, _mlp_loss))
    w = jnp.array([0.5, -1.0])
    line_batches = [(jnp.array([[1.0, 2.0], [0.0, 1.0]]), jnp.array([1.0, 0.0])), (jnp.array([[2.0, -1.0]]), jnp.array([3.0]))]
    cases.append(("linear regression, params = w (2,), loss = mean ½(x·w − y)², two batches, lr = 0.1",
                  w, line_batches, 0.1, _line_loss))
    hint = _HINTS["sgd_epoch"]
    for description, params, batches, lr, loss_fn in cases:
        expected = _sgd_reference(params, batches, lr, loss_fn)
        received = call("sgd_epoch", fn, params, list(batches), lr, loss_fn, case=description, hint=hint)
        if received is None:
            raise AssertionError(f"sgd_epoch on {description} returned None. Did you forget to return params?\n"
                                 f"Hint: {hint}")
        if jax.tree_util.tree_structure(received) != jax.tree_util.tree_structure(expected):
            raise AssertionError(f"sgd_epoch on {description}: the result must have the structure of params, "
                                 f"{jax.tree_util.tree_structure(expected)}, got {jax.tree_util.tree_structure(received)}."
                                 f"\nHint: {hint}")
        def mistakes(params=params, batches=batches, lr=lr, loss_fn=loss_fn):
            return [(jax.tree_util.tree_leaves(m), why) for m, why in [
                (_sgd_reference(params, batches, -lr, loss_fn),
                 "the parameters went uphill: gradient descent SUBTRACTS lr · gradient."),
                (_sgd_all_at_start(params, batches, lr, loss_fn),
                 "every gradient was taken at the starting params: update params after EACH batch, so the "
                 "next batch's gradient is taken at the new params."),
                (_sgd_reference(params, batches[-1:], lr, loss_fn),
                 "only the last batch's step is in your result: carry the updated params from one batch to the "
                 "next.")]]

        leaves = jax.tree_util.tree_leaves(received)
        names = tuple(jax.tree_util.keystr(p) or "params" for p, _ in jax.tree_util.tree_flatten_with_path(expected)[0])
        _compare_with_mistakes("sgd_epoch", description, leaves, jax.tree_util.tree_leaves(expected), names,
                               mistakes, rtol=1e-4, atol=1e-5)
    print(f"ok: sgd_epoch takes one correct step per batch in {len(cases)} cases")


# ---- question 6 -------------------------------------------------------------------------------------------

def train_digits(fn, *, seed=0, threshold=0.95):
    """Question 6: train_digits(key) returns MLP params whose layers.mlp(params, x, activation=relu) reaches
    `threshold` accuracy on the digits test set (data.digits()). seed=None draws the key at random."""
    key_int = int(cases_rng(seed).integers(2 ** 31))
    description = f"train_digits(jax.random.PRNGKey({key_int}))" if seed is not None else "train_digits(a random key)"
    hint = _HINTS["train_digits"]
    received = call("train_digits", fn, jax.random.PRNGKey(key_int), case=description, hint=hint)
    if received is None:
        raise AssertionError(f"{description} returned None. Did you forget to return the params?\nHint: {hint}")
    if (not isinstance(received, (tuple, list)) or not received
            or not all(hasattr(layer, "W") and hasattr(layer, "b") for layer in received)):
        raise AssertionError(f"{description} must return the params of layers.mlp: a tuple of DenseParams "
                             f"(W, b), one per layer, as layers.init_mlp makes; got {type(received).__name__}."
                             f"\nHint: {hint}")
    split = _data.digits()
    try:
        logits = _layers.mlp(tuple(received), split.x_test, activation=_activations.relu)
    except ValueError as error:
        raise AssertionError(f"{description}: the returned params do not make a network from 64 inputs: {error}"
                             f"\nHint: {hint}") from None
    as_array("train_digits' network", description, logits, (split.x_test.shape[0], 10),
             hint="the last layer needs 10 outputs, one score per digit.")
    acc = float(jnp.mean(jnp.argmax(logits, axis=1) == split.y_test))
    if not acc >= threshold:
        raise AssertionError(f"{description}: test accuracy {acc:.3f}, below the required {threshold:.2f}. Train "
                             f"longer, or with another learning rate, and check that the loss goes down.\nHint: {hint}")
    print(f"ok: train_digits reaches at least {threshold:.0%} test accuracy on digits")


# ---- helpers ----------------------------------------------------------------------------------------------

def _mlp_loss(params, x, y):
    return _losses.softmax_cross_entropy(_layers.mlp(params, x, activation=_activations.sigmoid), y)


def _line_loss(w, x, y):
    return jnp.mean(0.5 * (x @ w - y) ** 2)


_GRADS = {_mlp_loss: jax.jit(jax.grad(_mlp_loss)), _line_loss: jax.jit(jax.grad(_line_loss))}


def _jitted_grad(loss_fn):
    return _GRADS.get(loss_fn) or jax.grad(loss_fn)


def _sgd_reference(params, batches, lr, loss_fn):
    grad = _jitted_grad(loss_fn)
    for xb, yb in batches:
        g = grad(params, xb, yb)
        params = jax.tree_util.tree_map(lambda p, gp: p - lr * gp, params, g)
    return params


def _sgd_all_at_start(params, batches, lr, loss_fn):
    total, grad = None, _jitted_grad(loss_fn)
    for xb, yb in batches:
        g = grad(params, xb, yb)
        total = g if total is None else jax.tree_util.tree_map(jnp.add, total, g)
    return jax.tree_util.tree_map(lambda p, gp: p - lr * gp, params, total)


def _deltas_without_g_prime(Ws, delta_L):
    out = [delta_L]
    for W in Ws[:0:-1]:
        out.append(out[-1] @ W.T)
    return tuple(reversed(out))


def _order(name, fn, key, x, y, b, description, hint):
    """The example indices of each batch the student's iterator yields (checking types and pairing)."""
    received = call(name, fn, key, x, y, b, case=description, hint=hint)
    if received is None:
        raise AssertionError(f"{name} on {description} returned None: return a list of (x_batch, y_batch) "
                             f"pairs, or yield them.\nHint: {hint}")
    try:
        batches = list(received)
    except TypeError:
        raise AssertionError(f"{name} on {description} returned a {type(received).__name__}, which cannot be "
                             f"iterated: return a list of (x_batch, y_batch) pairs, or yield them.\nHint: {hint}") from None
    except Exception as error:
        raise AssertionError(f"{name} raised {type(error).__name__} on {description}: {error}\nHint: {hint}") from error
    order = []
    for j, item in enumerate(batches):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise AssertionError(f"{name} on {description}: batch {j} is a {type(item).__name__}; each batch must "
                                 f"be a pair (x_batch, y_batch).\nHint: {hint}")
        rows = np.shape(item[0])[0] if np.ndim(item[0]) else 0
        xb = as_array(f"{name}'s x_batch {j}", description, item[0], (rows, 2),
                      hint="x_batch holds whole rows of x: shape (B, 2) here.")
        yb = as_array(f"{name}'s y_batch {j}", description, item[1], (len(xb),),
                      hint="y_batch holds the labels of the same rows: shape (B,).")
        idx = xb[:, 0].astype(int)
        if not np.array_equal(xb[:, 1], -xb[:, 0]) or not np.all(idx == xb[:, 0]):
            raise AssertionError(f"{name} on {description}: x_batch {j} holds rows that are not rows of x.\n"
                                 f"Hint: {hint}")
        if not np.array_equal(yb, idx * 3 + 1):
            raise AssertionError(f"{name} on {description}: in batch {j} the labels do not belong to the rows "
                                 f"(x and y were shuffled differently?). Index x and y with the SAME indices.\n"
                                 f"Hint: {hint}")
        order.append(idx)
    return order


def _compare_with_mistakes(name, description, parts, expected, names, mistakes, *, rtol, atol):
    """Compare each part with the expected one; on failure, if the parts equal a known mistake, say so."""
    hint = _HINTS[name]
    try:
        for i, (got, want) in enumerate(zip(parts, expected)):
            label = f"{name}'s {names[i]}" if names else name
            assert_close(label, description, got, want, rtol=rtol, atol=atol, hint=hint)
    except AssertionError as error:
        for wrong, why in (mistakes() if callable(mistakes) else mistakes):
            if _close_all(parts, wrong, rtol=rtol, atol=atol):
                raise AssertionError(f"{error}".split("\nHint:")[0] + f"\nHint: {why}") from None
        raise


def _close_all(parts, expected, rtol=1e-5, atol=1e-6):
    try:
        return len(parts) == len(expected) and all(
            np.shape(p) == np.shape(e) and np.allclose(np.asarray(p, np.float64), np.asarray(e, np.float64),
                                                       rtol=rtol, atol=atol)
            for p, e in zip(parts, expected))
    except (TypeError, ValueError):
        return False


def _normal(rng, shape, scale=1.0):
    return jnp.asarray(rng.normal(0, scale, shape), jnp.float32)


def _superscript(n):
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))

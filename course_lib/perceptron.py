"""The single neuron as a classifier: Rosenblatt's perceptron and the gradient-trained sigmoid neuron.

    s = w·x + b                      pre-activation (w: (D,), x: (D,) or a batch (N, D), b: a number)
    y = δ(s) ∈ {0, 1}                the perceptron's prediction, δ the step function (δ(0) = 0)

Rosenblatt's rule, for one example (x, t) with target t ∈ {0, 1} and learning rate η:
    w ← w + η (t − y) x,   b ← b + η (t − y)          (nothing changes when y = t)
Gradient descent on a sigmoid neuron y = σ(s) with the squared loss L = ½ (t − y)² (seed 002):
    ∂L/∂wᵢ = (y − t) · y(1 − y) · xᵢ,   ∂L/∂b = (y − t) · y(1 − y)
    w ← w − α ∂L/∂w,   b ← b − α ∂L/∂b
"""
import jax
import jax.numpy as jnp

from course_lib import _validate, activations

__all__ = ["predict", "rosenblatt_update", "rosenblatt_epoch", "train_rosenblatt",
           "sigmoid_neuron_step", "grid_search_accuracy"]


def predict(w, b, x):
    """δ(x·w + b): 1.0 where the neuron fires, else 0.0.   x: (N, D) → (N,), or (D,) → ()."""
    w, x = _weights_and_inputs("predict", w, x)
    return activations.step(x @ w + b)


def rosenblatt_update(w, b, x, t, lr=1.0):
    """One application of the perceptron rule to one example x: (D,) with target t ∈ {0, 1}.
    Returns the new (w, b)."""
    w, x = _weights_and_inputs("rosenblatt_update", w, x)
    _validate.ndim("rosenblatt_update", "x", x, 1, "(D,) (one example)")
    error = t - predict(w, b, x)
    return w + lr * error * x, b + lr * error


@jax.jit
def rosenblatt_epoch(w, b, x, t, lr=1.0):
    """The rule applied to every example of x: (N, D), t: (N,) in order.
    Returns (w, b, mistakes), mistakes = how many examples were misclassified when visited."""
    def visit(carry, example):
        w, b = carry
        xi, ti = example
        error = ti - activations.step(xi @ w + b)
        return (w + lr * error * xi, b + lr * error), error != 0

    (w, b), wrong = jax.lax.scan(visit, (w, b), (x, t))
    return w, b, jnp.sum(wrong)


def train_rosenblatt(x, t, lr=1.0, max_epochs=100, w=None, b=0.0):
    """Repeat rosenblatt_epoch until an epoch makes no mistake (or max_epochs passes).

    x: (N, D), t: (N,) in {0, 1}; w starts at zeros unless given.
    Returns (w, b, mistakes) with mistakes the list of per-epoch mistake counts; a final 0 means every
    example is classified correctly. On linearly separable data this always happens (the perceptron
    convergence theorem); on XOR it never does.
    """
    x = _validate.array("train_rosenblatt", "x", x).astype(float)
    t = _validate.array("train_rosenblatt", "t", t).astype(float)
    _validate.ndim("train_rosenblatt", "x", x, 2, "(N, D)")
    if t.shape != x.shape[:1]:
        raise ValueError(f"train_rosenblatt: t must have shape (N,) = {x.shape[:1]}, got {tuple(t.shape)}")
    max_epochs = _validate.positive_int("train_rosenblatt", "max_epochs", max_epochs)
    w = jnp.zeros(x.shape[1]) if w is None else _validate.array("train_rosenblatt", "w", w).astype(float)
    if w.shape != x.shape[1:]:
        raise ValueError(f"train_rosenblatt: w must have shape (D,) = {x.shape[1:]} to match x {tuple(x.shape)}, "
                         f"got {tuple(w.shape)}")
    b = jnp.asarray(b, float)
    mistakes = []
    for _ in range(max_epochs):
        w, b, wrong = rosenblatt_epoch(w, b, x, t, lr)
        mistakes.append(int(wrong))
        if wrong == 0:
            break
    return w, b, mistakes


def sigmoid_neuron_step(w, b, x, t, lr):
    """One gradient-descent step of y = σ(w·x + b) on L = ½(t − y)² for one example x: (D,).
    Returns (w, b, y) with y the output BEFORE the step."""
    w, x = _weights_and_inputs("sigmoid_neuron_step", w, x)
    _validate.ndim("sigmoid_neuron_step", "x", x, 1, "(D,) (one example)")
    y = activations.sigmoid(x @ w + b)
    delta = (y - t) * y * (1.0 - y)  # ∂L/∂s by the chain rule: ∂L/∂y · ∂y/∂s
    return w - lr * delta * x, b - lr * delta, y


def grid_search_accuracy(x, t, values):
    """The best accuracy of δ(w₁x₁ + w₂x₂ + b) on (x, t) over every w₁, w₂, b taken from `values`.

    x: (N, 2), t: (N,) in {0, 1}. 1.0 means some line on the grid separates the classes; on XOR the
    answer is at most 0.75 for any grid, since no line does (0.75 once the grid holds an OR or a
    NAND line, e.g. w₁ = w₂ = 1, b = −0.5)."""
    x = _validate.array("grid_search_accuracy", "x", x).astype(float)
    t = _validate.array("grid_search_accuracy", "t", t)
    _validate.ndim("grid_search_accuracy", "x", x, 2, "(N, 2)")
    if x.shape[1] != 2 or t.shape != x.shape[:1]:
        raise ValueError(f"grid_search_accuracy: x must be (N, 2) and t (N,), got {tuple(x.shape)} and {tuple(t.shape)}")
    v = _validate.array("grid_search_accuracy", "values", values).astype(float).ravel()
    w1, w2, b = (g.ravel() for g in jnp.meshgrid(v, v, v, indexing="ij"))  # every (w1, w2, b): G = len(v)³
    predictions = activations.step(x @ jnp.stack([w1, w2]) + b)            # (N, G)
    return jnp.max(jnp.mean(predictions == t[:, None], axis=0))


def _weights_and_inputs(fn, w, x):
    w = _validate.array(fn, "w", w).astype(float)
    x = _validate.array(fn, "x", x).astype(float)
    _validate.ndim(fn, "w", w, 1, "(D,)")
    if x.ndim == 0 or x.shape[-1] != w.shape[0]:
        raise ValueError(f"{fn}: x has {x.shape[-1] if x.ndim else 0} features but w has {w.shape[0]} "
                         f"(x {tuple(x.shape)}, w {tuple(w.shape)})")
    return w, x

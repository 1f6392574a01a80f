"""Loss functions L(prediction, target) averaged over a mini-batch.

Convention, stated once: axis 0 is the batch; a loss sums over every other axis of one example and
takes the mean over the batch, so the value does not grow with the batch size.
"""
import jax.numpy as jnp

from course_lib import _validate, activations

__all__ = ["squared_error", "binary_cross_entropy", "softmax_cross_entropy",
           "mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "cross_entropy"]

BCE_EPS = 1e-7  # p is clipped to [eps, 1 − eps] so log p stays finite at p = 0 or 1


def squared_error(pred, target):
    """L = mean over the batch of ½ Σ (t − y)²  (the ½ cancels the 2 of the derivative: ∂L/∂y = y − t).

    pred y, target t: the same shape, (N, …) with N examples, or () for a single number.
    """
    y, t = _pair("squared_error", "pred", pred, "target", target)
    per_example = 0.5 * (t - y) ** 2
    return _batch_mean(per_example)


def binary_cross_entropy(p, t):
    """L = mean over the batch of −[t log p + (1 − t) log(1 − p)],  p = P(class 1) in [0, 1], t in {0, 1}.

    p, t: the same shape, (N,) or (N, K) for K independent yes/no outputs (summed over K).
    """
    p, t = _pair("binary_cross_entropy", "p", p, "t", t)
    p = jnp.clip(p, BCE_EPS, 1.0 - BCE_EPS)
    per_example = -(t * jnp.log(p) + (1.0 - t) * jnp.log1p(-p))
    return _batch_mean(per_example)


def softmax_cross_entropy(logits, labels):
    """L = mean over the batch of −log softmax(z)_label, with integer class labels.

    logits z: (N, K) unnormalised scores; labels: (N,) integers in [0, K).
    Computed through log_softmax, so it is finite for any finite logits (even ±1000).
    """
    z = _validate.array("softmax_cross_entropy", "logits", logits)
    labels = _validate.array("softmax_cross_entropy", "labels", labels)
    _validate.ndim("softmax_cross_entropy", "logits", z, 2, "(N, K)")
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise ValueError(f"softmax_cross_entropy: labels must be integer class indices, got dtype {labels.dtype}")
    if labels.shape != z.shape[:1]:
        raise ValueError(f"softmax_cross_entropy: labels must have shape (N,) = {z.shape[:1]} to match "
                         f"logits {tuple(z.shape)}, got {tuple(labels.shape)}")
    log_p = activations.log_softmax(z, axis=-1)
    return -jnp.mean(jnp.take_along_axis(log_p, labels[:, None], axis=-1))


def _pair(fn, name_a, a, name_b, b):
    a = _validate.array(fn, name_a, a).astype(float)
    b = _validate.array(fn, name_b, b).astype(float)
    if a.shape != b.shape:
        raise ValueError(f"{fn}: {name_a} and {name_b} must have the same shape, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


def _batch_mean(per_element):
    if per_element.ndim == 0:
        return per_element
    return jnp.mean(jnp.sum(per_element.reshape(per_element.shape[0], -1), axis=1))


def mean_absolute_error(pred, target):
    """MAE = Σ |t − y| / n, the mean over ALL n entries (seed 003's "sum(|t − y|)/n").

    pred y, target t: the same shape, any; returns a scalar. Unlike squared_error this averages over
    every entry, not only over the batch: a batch of N examples with K outputs has n = N·K.
    """
    y, t = _pair("mean_absolute_error", "pred", pred, "target", target)
    return jnp.mean(jnp.abs(t - y))


def mean_squared_error(pred, target):
    """MSE = Σ (t − y)² / n over all n entries (seed 003). No ½: for (N, K) arrays
    MSE = 2·squared_error / K.   pred, target: the same shape; returns a scalar."""
    y, t = _pair("mean_squared_error", "pred", pred, "target", target)
    return jnp.mean((t - y) ** 2)


def root_mean_squared_error(pred, target):
    """RMSE = √MSE, in the units of y itself (seed 003: "(MSE)^(1/2)").
    pred, target: the same shape; returns a scalar."""
    return jnp.sqrt(mean_squared_error(pred, target))


def cross_entropy(p, t):
    """L = mean over the batch of −Σₖ tₖ log pₖ, seed 003's "−sum(t·log(y))" for a softmax output.

    p: (N, K) probabilities (rows of a softmax), t: (N, K) targets (one-hot rows, or any rows that sum
    to 1). With a one-hot t only the true class's −log pₖ counts. p is clipped to [eps, 1] with
    eps = BCE_EPS so that log 0 stays finite; from logits, softmax_cross_entropy is the stable route.
    """
    p, t = _pair("cross_entropy", "p", p, "t", t)
    _validate.ndim("cross_entropy", "p", p, 2, "(N, K)")
    return jnp.mean(-jnp.sum(t * jnp.log(jnp.clip(p, BCE_EPS, 1.0)), axis=1))

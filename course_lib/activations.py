"""Activation functions g(s) of an artificial neuron y = g(s), s = Σᵢ wᵢxᵢ + b, and their derivatives.

Every function is elementwise on an array of any shape (softmax and log_softmax act along `axis`).
They are plain jax.numpy expressions: a jitted caller (a model, a training step) fuses them.
The derivatives are the ones the lectures derive by hand; tests check them against jax.grad.
"""
import jax
import jax.numpy as jnp
import numpy as np

from course_lib import _validate

__all__ = [
    "step", "sigmoid", "tanh", "relu", "softplus", "softmax", "log_softmax",
    "step_grad", "sigmoid_grad", "tanh_grad", "relu_grad", "softplus_grad",
    "one_hot",
]


def step(s):
    """Heaviside step, the McCulloch–Pitts threshold: δ(s) = 1 if s > 0 else 0 (so δ(0) = 0)."""
    s = _validate.array("step", "s", s)
    return jnp.where(s > 0, 1.0, 0.0).astype(_float_dtype(s))


def sigmoid(s):
    """Logistic sigmoid σ(s) = 1 / (1 + e^(−s)), range (0, 1). Stable for large |s|."""
    return jax.nn.sigmoid(_float("sigmoid", s))


def tanh(s):
    """Hyperbolic tangent tanh(s) = (e^s − e^(−s)) / (e^s + e^(−s)) = 2σ(2s) − 1, range (−1, 1)."""
    return jnp.tanh(_float("tanh", s))


def relu(s):
    """Rectified linear unit R(s) = max(0, s). Its autodiff slope at the corner s = 0 is 0, as relu_grad says
    (jax.nn.relu; a bare jnp.maximum(s, 0) would split the tie and give 0.5)."""
    return jax.nn.relu(_float("relu", s))


def softplus(s):
    """Softplus SR(s) = ln(1 + e^s), a smooth ReLU; computed as logaddexp(0, s) so e^s never overflows."""
    return jnp.logaddexp(_float("softplus", s), 0.0)


def softmax(z, axis=-1):
    """softmax(z)ₖ = e^(zₖ) / Σⱼ e^(zⱼ) along `axis`; outputs are positive and sum to 1.

    Subtracting max(z) first changes nothing mathematically and keeps e^z finite for any finite z.
    """
    z = _float("softmax", z)
    e = jnp.exp(z - jax.lax.stop_gradient(jnp.max(z, axis=axis, keepdims=True)))
    return e / jnp.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """log softmax(z)ₖ = zₖ − log Σⱼ e^(zⱼ), computed without forming e^z of large numbers."""
    z = _float("log_softmax", z)
    shifted = z - jax.lax.stop_gradient(jnp.max(z, axis=axis, keepdims=True))
    return shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=axis, keepdims=True))


def step_grad(s):
    """δ'(s) = 0 wherever it exists (everywhere but s = 0): why the step unit cannot be trained by gradients."""
    return jnp.zeros_like(_float("step_grad", s))


def sigmoid_grad(s):
    """σ'(s) = σ(s)(1 − σ(s)); its maximum is σ'(0) = 0.25, the bound behind vanishing gradients."""
    y = sigmoid(_float("sigmoid_grad", s))
    return y * (1.0 - y)


def tanh_grad(s):
    """tanh'(s) = 1 − tanh²(s); its maximum is tanh'(0) = 1."""
    y = tanh(_float("tanh_grad", s))
    return 1.0 - y * y


def relu_grad(s):
    """R'(s) = 1 if s > 0 else 0 (the value 0 at s = 0 is the usual convention, as in jax.nn.relu)."""
    s = _float("relu_grad", s)
    return jnp.where(s > 0, 1.0, 0.0).astype(s.dtype)


def softplus_grad(s):
    """SR'(s) = e^s / (1 + e^s) = σ(s): the derivative of softplus is the sigmoid."""
    return sigmoid(_float("softplus_grad", s))


def _float_dtype(a):
    return a.dtype if jnp.issubdtype(a.dtype, jnp.floating) else jnp.result_type(float)


def _float(fn, s):
    a = _validate.array(fn, "s" if fn not in ("softmax", "log_softmax") else "z", s)
    return a.astype(_float_dtype(a))


def one_hot(labels, num_classes):
    """One-hot encoding, the target a softmax output is compared with: class k becomes the vector with
    a 1 in position k and 0 elsewhere (the limit of softmax(z) when z_k dominates every other score).

    labels: integer array (…) with values in [0, num_classes)  →  float32 (…, num_classes),
    out[…, j] = 1.0 if labels[…] == j else 0.0.
    """
    fn = "one_hot"
    num_classes = _validate.positive_int(fn, "num_classes", num_classes)
    labels = _validate.array(fn, "labels", labels)
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise ValueError(f"{fn}: labels must be integer class indices, got dtype {labels.dtype}")
    if not isinstance(labels, jax.core.Tracer) and labels.size:  # values are known: check them (NumPy, not staged)
        low, high = int(np.min(np.asarray(labels))), int(np.max(np.asarray(labels)))
        if low < 0 or high >= num_classes:
            raise ValueError(f"{fn}: labels must lie in [0, {num_classes}) for num_classes={num_classes}, "
                             f"got values from {low} to {high}")
    return (labels[..., None] == jnp.arange(num_classes)).astype(jnp.float32)

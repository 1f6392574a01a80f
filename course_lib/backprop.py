"""Backpropagation written out by hand, and the tools that check any gradient against the definition.

The forward pass keeps every pre-activation zˡ and activation aˡ; the backward pass runs the delta
recursion of lecture 3 from the last layer to the first. Row-vector convention of course_lib.layers
(a batch has one example per row):

    a⁰ = X,   zˡ = aˡ⁻¹ Wˡ + bˡ,   aˡ = g(zˡ) (l < L),   aᴸ = g_out(zᴸ) = y
    Wˡ: (D_{l−1}, D_l)   bˡ: (D_l,)   zˡ, aˡ, δˡ: (N, D_l)

With δˡ = ∂C/∂zˡ (one row per example):

    δᴸ = g_out'(zᴸ) ⊙ ∂C/∂y                   (seed 004: δᴸ = σ'(zᴸ) ⊙ ∇C(y))
    δˡ = g'(zˡ) ⊙ (δˡ⁺¹ (Wˡ⁺¹)ᵀ)              (seed 004: δˡ = σ'(zˡ) ⊙ (Wˡ⁺¹)ᵀ δˡ⁺¹)
    ∂C/∂Wˡ = (aˡ⁻¹)ᵀ δˡ,   ∂C/∂bˡ = Σₙ δˡₙ      (seed 004: ∂C/∂wᵢⱼˡ = aⱼˡ⁻¹ δᵢˡ)

The slides write one example as a column vector, zˡ = Wˡ aˡ⁻¹ + bˡ, so their Wˡ is our Wˡ transposed and
their (Wˡ⁺¹)ᵀ δˡ⁺¹ is our row δˡ⁺¹ (Wˡ⁺¹)ᵀ. Activations are named: "sigmoid", "tanh", "relu", "softplus",
"identity" (each with its derivative from course_lib.activations).
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from course_lib import _validate, activations
from course_lib.layers import DenseParams

__all__ = ["ACTIVATIONS", "Cache", "GradientCheck", "forward", "deltas", "backward", "loss_and_gradients",
           "numerical_gradient", "relative_error", "format_error", "gradient_check", "FLOAT32_ROUNDING"]

ACTIVATIONS = {
    "sigmoid": (activations.sigmoid, activations.sigmoid_grad),
    "tanh": (activations.tanh, activations.tanh_grad),
    "relu": (activations.relu, activations.relu_grad),
    "softplus": (activations.softplus, activations.softplus_grad),
    "identity": (lambda z: z, jnp.ones_like),
}

LOSSES = ("squared_error", "softmax_cross_entropy")


class Cache(NamedTuple):
    """What the forward pass keeps for the backward pass."""
    z: tuple  # (z¹, …, zᴸ): pre-activations, zˡ of shape (N, D_l)
    a: tuple  # (a⁰, …, aᴸ): a⁰ = x (N, D_0), aˡ = g(zˡ) (N, D_l); aᴸ is the network's output y


class GradientCheck(NamedTuple):
    """The result of gradient_check; print it for one line per parameter array."""
    errors: dict      # {name of the parameter array, e.g. "[0].W": its relative error (a float)}
    max_error: float  # the largest of them
    tol: float        # the threshold: the check passes when max_error < tol
    ok: bool          # max_error < tol

    def __str__(self):
        width = max(len(name) for name in self.errors)
        lines = [f"{name:<{width}}  relative error {format_error(err):>7}  {'ok' if err < self.tol else 'WRONG?'}"
                 for name, err in self.errors.items()]
        verdict = "passed" if self.ok else "FAILED"
        return "\n".join(lines + [f"gradient check {verdict}: largest relative error {format_error(self.max_error)} "
                                  f"(tolerance {self.tol:.0e})"])


def forward(params, x, activation="sigmoid", output_activation="identity"):
    """The forward pass that remembers: (y, cache) with y = aᴸ (N, D_L) and cache = Cache(z, a).

    params: a sequence of DenseParams (W (D_{l−1}, D_l), b (D_l,)), as layers.init_mlp makes;
    x: (N, D_0). Hidden layers use `activation`, the last one `output_activation` (by name).
    With output_activation="identity" y equals layers.mlp(params, x, activation=g).
    """
    params, x = _check_network("forward", params, x)
    g, _ = _activation("forward", "activation", activation)
    g_out, _ = _activation("forward", "output_activation", output_activation)
    zs, acts = [], [x]
    for l, layer in enumerate(params):
        z = acts[-1] @ layer.W + layer.b
        zs.append(z)
        acts.append(g_out(z) if l == len(params) - 1 else g(z))
    return acts[-1], Cache(tuple(zs), tuple(acts))


def deltas(params, cache, grad_output, activation="sigmoid", output_activation="identity"):
    """The delta recursion: (δ¹, …, δᴸ) with δˡ = ∂C/∂zˡ of shape (N, D_l).

    grad_output: ∂C/∂y (N, D_L), the cost's derivative with respect to the network's output y = aᴸ.
    δᴸ = g_out'(zᴸ) ⊙ ∂C/∂y, then δˡ = g'(zˡ) ⊙ (δˡ⁺¹ (Wˡ⁺¹)ᵀ) for l = L−1, …, 1.
    """
    _, g_prime = _activation("deltas", "activation", activation)
    _, g_out_prime = _activation("deltas", "output_activation", output_activation)
    grad_output = _validate.array("deltas", "grad_output", grad_output)
    if grad_output.shape != cache.z[-1].shape:
        raise ValueError(f"deltas: grad_output must have the shape of the output, {tuple(cache.z[-1].shape)}, "
                         f"got {tuple(grad_output.shape)}")
    delta = g_out_prime(cache.z[-1]) * grad_output
    out = [delta]
    for l in range(len(params) - 2, -1, -1):           # layers L−1, …, 1 (0-based l)
        delta = g_prime(cache.z[l]) * (delta @ params[l + 1].W.T)
        out.append(delta)
    return tuple(reversed(out))


def backward(params, cache, grad_output, activation="sigmoid", output_activation="identity"):
    """The gradients of C for every layer, a tuple of DenseParams(W=∂C/∂Wˡ, b=∂C/∂bˡ) shaped like params.

    ∂C/∂Wˡ = (aˡ⁻¹)ᵀ δˡ  (D_{l−1}, D_l): the sum over the batch of (input of the layer) × (its delta);
    ∂C/∂bˡ = Σₙ δˡₙ (D_l,). grad_output is ∂C/∂y (N, D_L); see deltas.
    """
    ds = deltas(params, cache, grad_output, activation, output_activation)
    return tuple(DenseParams(W=a_prev.T @ d, b=jnp.sum(d, axis=0)) for a_prev, d in zip(cache.a[:-1], ds))


def loss_and_gradients(params, x, target, *, loss="squared_error", activation="sigmoid",
                       output_activation="identity"):
    """Cost and every gradient by hand-written backpropagation: (C, grads), grads shaped like params.

    loss="squared_error": C = mean over the batch of ½ Σ (t − y)² (losses.squared_error), target (N, D_L),
        so ∂C/∂y = (y − t) / N;
    loss="softmax_cross_entropy": y are logits (output_activation must be "identity"), target (N,) integer
        labels, C = losses.softmax_cross_entropy(y, target), and δᴸ = (softmax(y) − onehot(t)) / N.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss_and_gradients: loss must be one of {LOSSES}, got {loss!r}")
    params, x = _check_network("loss_and_gradients", params, x)
    _activation("loss_and_gradients", "activation", activation)
    _activation("loss_and_gradients", "output_activation", output_activation)
    target = _validate.array("loss_and_gradients", "target", target)
    n, d_out = x.shape[0], params[-1].W.shape[1]
    if loss == "squared_error":
        if target.shape != (n, d_out):
            raise ValueError(f"loss_and_gradients: target must have the output's shape (N, D_L) = {(n, d_out)} "
                             f"for the squared error, got {tuple(target.shape)}")
    else:
        if output_activation != "identity":
            raise ValueError(f"loss_and_gradients: softmax_cross_entropy takes logits, so output_activation "
                             f"must be 'identity', got {output_activation!r}")
        if target.shape != (n,) or not jnp.issubdtype(target.dtype, jnp.integer):
            raise ValueError(f"loss_and_gradients: target must be integer labels of shape (N,) = ({n},) for "
                             f"softmax_cross_entropy, got {target.dtype} {tuple(target.shape)}")
    return _loss_and_gradients(tuple(params), x, target, loss, activation, output_activation)


def numerical_gradient(f, params, eps=None):
    """Central differences: ∂f/∂θᵢ ≈ (f(θ + h eᵢ) − f(θ − h eᵢ)) / 2h for every number θᵢ in params.

    f: params → scalar, a JAX function (it is vmapped over the perturbations); params: any pytree of float
    arrays. Returns a pytree shaped like params, in params' dtype. The error is O(h²) from the Taylor
    expansion plus O(ε_machine / h) from rounding; eps=None takes h = ε_machine^(1/3), which balances the
    two: 4.9e-3 in float32, 6.1e-6 in float64. Costs 2 evaluations of f per parameter.
    """
    flat, unravel = ravel_pytree(params)
    if flat.size == 0 or not jnp.issubdtype(flat.dtype, jnp.floating):
        raise ValueError(f"numerical_gradient: params must hold floating-point arrays, got "
                         f"{flat.size} numbers of dtype {flat.dtype}")
    h = float(jnp.finfo(flat.dtype).eps) ** (1 / 3) if eps is None else eps
    if not h > 0:
        raise ValueError(f"numerical_gradient: eps (the step h) must be positive, got {eps!r}")
    value = jax.eval_shape(f, params)   # the output's shape without running f op by op
    if value.shape != ():
        raise ValueError(f"numerical_gradient: f must return a scalar, got shape {tuple(value.shape)}")

    def central(flat, i):
        step = jnp.zeros_like(flat).at[i].set(h)
        return (f(unravel(flat + step)) - f(unravel(flat - step))) / (2 * h)

    def all_entries(flat):   # one compiled program: every perturbation at once, or in blocks of 256
        idx = jnp.arange(flat.size)
        if flat.size <= 1024:
            return jax.vmap(lambda i: central(flat, i))(idx)
        return jax.lax.map(lambda i: central(flat, i), idx, batch_size=256)

    # traced afresh on every call (no cache keyed on f), so f always sees the current values it reads
    return jax.jit(lambda flat: unravel(all_entries(flat).astype(flat.dtype)))(flat)


FLOAT32_ROUNDING = 1e-6  # below this, a float32 gradient and its float64 reference differ by rounding alone


def format_error(err, floor=FLOAT32_ROUNDING):
    """An error as a person should read it: two significant digits ("7.1e-01"), or "< 1e-06" below `floor`.

    Below the floor the digits are rounding noise, and they differ from one CPU to another (XLA compiles for
    the instruction set it runs on), so they are not shown. Use floor=1e-10 for a float64 computation."""
    err = float(err)
    return f"< {floor:.0e}" if err < floor else f"{err:.1e}"


def relative_error(a, b):
    """‖a − b‖ / (‖a‖ + ‖b‖) over all numbers of two pytrees (or arrays) of the same structure, in float64.

    0 when they are equal (also when both are zero), at most 1. Rules of thumb for a gradient check in
    float64: below 1e-7 the two agree; above 1e-3 one of them is wrong. Returns a Python float.
    """
    ta, tb = jax.tree_util.tree_structure(a), jax.tree_util.tree_structure(b)
    if ta != tb:
        raise ValueError(f"relative_error: a and b must have the same structure, got {ta} and {tb}")
    pairs = [(np.asarray(u, np.float64), np.asarray(v, np.float64))
             for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))]
    for u, v in pairs:
        if u.shape != v.shape:
            raise ValueError(f"relative_error: a and b must have the same shapes, got {u.shape} and {v.shape}")
    diff = np.sqrt(sum(np.sum((u - v) ** 2) for u, v in pairs))
    size = np.sqrt(sum(np.sum(u ** 2) for u, _ in pairs)) + np.sqrt(sum(np.sum(v ** 2) for _, v in pairs))
    return float(diff / size) if size > 0 else 0.0


def gradient_check(f, params, grads=None, *, eps=None, tol=1e-4):
    """Compare a gradient with central differences computed in float64: a GradientCheck (print it).

    f: params → scalar (a JAX function); grads: the gradient to test, shaped like params (your backward
    pass), or None to test jax.grad(f). The numerical gradient is computed in float64 (inside
    jax.enable_x64) so that rounding does not hide a small mistake; each parameter array gets its own
    relative_error, and the check passes when the largest is below `tol`.
    """
    if grads is None:
        grads = jax.jit(jax.grad(f))(params)
    if jax.tree_util.tree_structure(grads) != jax.tree_util.tree_structure(params):
        raise ValueError(f"gradient_check: grads must have the structure of params, got "
                         f"{jax.tree_util.tree_structure(grads)} for params {jax.tree_util.tree_structure(params)}")
    with jax.enable_x64(True):
        params64 = jax.tree_util.tree_map(lambda p: jnp.asarray(p, jnp.float64), params)
        numeric = numerical_gradient(f, params64, eps)
        numeric = jax.tree_util.tree_map(lambda g: np.asarray(g, np.float64), numeric)
    paths = jax.tree_util.tree_flatten_with_path(params)[0]
    errors = {jax.tree_util.keystr(path): relative_error(g, n) for (path, _), g, n
              in zip(paths, jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(numeric))}
    worst = max(errors.values())
    return GradientCheck(errors, worst, tol, bool(worst < tol))


def _loss_and_gradients_impl(params, x, target, loss, activation, output_activation):
    y, cache = forward(params, x, activation, output_activation)
    n = x.shape[0]
    if loss == "squared_error":
        cost = jnp.mean(jnp.sum(0.5 * (target - y) ** 2, axis=1))
        grad_y = (y - target) / n
    else:
        log_p = activations.log_softmax(y)
        cost = -jnp.mean(jnp.take_along_axis(log_p, target[:, None], axis=1))
        grad_y = (jnp.exp(log_p) - jax.nn.one_hot(target, y.shape[1], dtype=y.dtype)) / n
    return cost, backward(params, cache, grad_y, activation, output_activation)


_loss_and_gradients = jax.jit(_loss_and_gradients_impl, static_argnums=(3, 4, 5))


def _activation(fn, name, value):
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise ValueError(f"{fn}: {name} must be one of {sorted(ACTIVATIONS)}, got {value!r}")
    return ACTIVATIONS[value]


def _check_network(fn, params, x):
    """params as a tuple of layers with W (D_in, D_out) and b (D_out,) that chain, x as (N, D_0)."""
    if isinstance(params, DenseParams) or not isinstance(params, (tuple, list)) or not params:
        raise ValueError(f"{fn}: params must be a non-empty sequence of DenseParams (one per layer), "
                         f"got {type(params).__name__}")
    x = _validate.array(fn, "x", x)
    _validate.ndim(fn, "x", x, 2, "(N, D_0)")
    width = x.shape[1]
    for l, layer in enumerate(params, start=1):
        W, b = getattr(layer, "W", None), getattr(layer, "b", None)
        if W is None or b is None or jnp.ndim(W) != 2 or jnp.shape(b) != jnp.shape(W)[1:]:
            raise ValueError(f"{fn}: layer {l} must have W (D_in, D_out) and b (D_out,), got "
                             f"W {jnp.shape(W) if W is not None else None}, b {jnp.shape(b) if b is not None else None}")
        if W.shape[0] != width:
            what = "x has" if l == 1 else f"layer {l - 1} outputs"
            raise ValueError(f"{fn}: {what} {width} features but layer {l}'s W expects {W.shape[0]} "
                             f"(W {tuple(W.shape)})")
        width = W.shape[1]
    return tuple(params), x

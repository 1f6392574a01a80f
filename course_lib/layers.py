"""Dense layers and the multilayer perceptron, in the row-vector convention of the slides.

A batch is a matrix whose rows are examples, and a layer computes z = x W + b:

    x: (N, D_in)   W: (D_in, D_out)   b: (D_out,)   z: (N, D_out)

Parameters are NamedTuples (pytrees), so jax.grad returns gradients of the same shape and an
optimizer updates them with one tree_map.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp

from course_lib import _validate, activations, init as initializers

__all__ = ["DenseParams", "init_dense", "dense", "init_mlp", "mlp", "dropout", "count_params",
           "mlp_param_count"]


class DenseParams(NamedTuple):
    W: jax.Array  # (D_in, D_out): column j holds the weights of output unit j
    b: jax.Array  # (D_out,): one bias per output unit


def init_dense(key, in_dim, out_dim, init=initializers.xavier_normal):
    """A dense layer's parameters: W = init(key, (in_dim, out_dim)), b = 0."""
    in_dim = _validate.positive_int("init_dense", "in_dim", in_dim)
    out_dim = _validate.positive_int("init_dense", "out_dim", out_dim)
    return DenseParams(W=init(key, (in_dim, out_dim)), b=jnp.zeros(out_dim))


def dense(params, x):
    """z = x W + b.   x: (N, D_in) or (D_in,)  →  z: (N, D_out) or (D_out,)."""
    x = _validate.array("dense", "x", x)
    _validate.ndim("dense", "x", x, (1, 2), "(N, D_in) or (D_in,)")
    if x.shape[-1] != params.W.shape[0]:
        raise ValueError(f"dense: x has {x.shape[-1]} features but W expects {params.W.shape[0]} "
                         f"(x {tuple(x.shape)}, W {tuple(params.W.shape)})")
    return x @ params.W + params.b


def init_mlp(key, sizes, init=initializers.xavier_normal):
    """Parameters of an MLP with layer widths `sizes` = (D_in, H_1, …, D_out): one DenseParams per layer,
    each from its own split of `key`."""
    sizes = _validate.shape_tuple("init_mlp", "sizes", sizes)
    if len(sizes) < 2:
        raise ValueError(f"init_mlp: sizes needs at least an input and an output width, got {sizes}")
    keys = jax.random.split(key, len(sizes) - 1)
    return tuple(init_dense(k, m, n, init) for k, m, n in zip(keys, sizes[:-1], sizes[1:]))


def mlp(params, x, activation=activations.relu):
    """Forward pass: h⁰ = x, hˡ = g(hˡ⁻¹ Wˡ + bˡ) for the hidden layers, and the last layer linear.

    Returns the last layer's pre-activation (the logits, for a classifier): apply softmax or sigmoid
    in the loss, where it can be done stably.   x: (N, D_in)  →  (N, D_out).
    """
    if not params:
        raise ValueError("mlp: params must hold at least one layer, got an empty sequence")
    h = x
    for layer in params[:-1]:
        h = activation(dense(layer, h))
    return dense(params[-1], h)


def dropout(key, x, rate, *, train):
    """Inverted dropout: during training each entry is zeroed with probability `rate` (the DROP
    probability) and the survivors are scaled by 1 / (1 − rate), so the expected value is unchanged and
    nothing needs rescaling at test time. With train=False, x is returned as it is."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate is the probability of dropping a unit and must be in [0, 1), got {rate!r}")
    x = _validate.array("dropout", "x", x)
    if not train or rate == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0.0)


def count_params(params):
    """The number of trainable numbers in a parameter pytree (every weight and bias), as an int."""
    return int(sum(jnp.size(leaf) for leaf in jax.tree_util.tree_leaves(params)))


def mlp_param_count(sizes, *, bias=True):
    """Parameters of an MLP with widths `sizes` = (D_in, H_1, …, D_out), without building it:
    Σₗ (H_(l−1) · H_l + H_l), or Σₗ H_(l−1) · H_l with bias=False. Use it to compare architectures with
    an equal budget (deep and thin against shallow and fat)."""
    sizes = _validate.shape_tuple("mlp_param_count", "sizes", sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp_param_count: sizes needs at least an input and an output width, got {sizes}")
    return sum(m * n + (n if bias else 0) for m, n in zip(sizes[:-1], sizes[1:]))

"""Batch normalization (Ioffe & Szegedy 2015): normalize each feature over the mini-batch, then scale and shift.

    x: (N, D) for a dense layer, or (N, H, W, C) for a convolution (one γ, β, μ, σ² per channel C);
    every axis but the last is the "batch" the statistics are taken over (m = N or m = N·H·W values).

    μ_B  = (1/m) Σᵢ xᵢ                    mini-batch mean
    σ²_B = (1/m) Σᵢ (xᵢ − μ_B)²           mini-batch variance (biased: divided by m, not m − 1)
    x̂ᵢ   = (xᵢ − μ_B) / √(σ²_B + ε)       normalize
    yᵢ   = γ x̂ᵢ + β                       scale and shift (γ, β are learned)

Training uses μ_B, σ²_B and updates running averages, kept apart from the trainable γ and β (an
optimizer never sees them): running ← momentum · running + (1 − momentum) · batch. Inference uses the
running averages instead of the batch's, so one example's output does not depend on the others.
The running mean starts at 0 and the running variance at 1 (as in flax), so an untrained layer is
the identity at test time when γ = 1, β = 0.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp

from course_lib import _validate

__all__ = ["BatchNormStats", "BatchNormParams", "init_batch_norm", "batch_norm", "batch_norm_input_grad"]


class BatchNormStats(NamedTuple):
    mean: jax.Array  # (C,): running average of the mini-batch means μ_B
    var: jax.Array   # (C,): running average of the mini-batch (biased) variances σ²_B


class BatchNormParams(NamedTuple):
    gamma: jax.Array  # (C,): scale γ, trainable, starts at 1
    beta: jax.Array   # (C,): shift β, trainable, starts at 0


def init_batch_norm(num_features):
    """(BatchNormParams(γ = 1, β = 0), BatchNormStats(mean = 0, var = 1)), each of shape (num_features,)."""
    c = _validate.positive_int("init_batch_norm", "num_features", num_features)
    return BatchNormParams(jnp.ones(c), jnp.zeros(c)), BatchNormStats(jnp.zeros(c), jnp.ones(c))


def batch_norm(x, gamma, beta, stats, *, train, momentum=0.9, eps=1e-5):
    """y = γ (x − μ) / √(σ² + ε) + β over every axis of x but the last.

    x: (N, C) or (N, H, W, C) (any rank ≥ 2; the last axis holds the features or channels)
    gamma, beta: (C,)   stats: BatchNormStats with mean, var of shape (C,)
    train=True:  μ, σ² are the batch's mean and biased variance over the m = x.size / C values of each
                 feature; returns (y, updated stats) with running ← momentum·running + (1 − momentum)·batch.
    train=False: μ, σ² are stats.mean, stats.var; returns (y, stats) with stats unchanged.
    y has the shape of x.
    """
    x = _validate.array("batch_norm", "x", x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: x must have shape (N, C) or (N, H, W, C), got shape {tuple(x.shape)}")
    c = x.shape[-1]
    gamma = _feature_vector("gamma", gamma, c, x.shape)
    beta = _feature_vector("beta", beta, c, x.shape)
    if not isinstance(stats, BatchNormStats):
        raise ValueError(f"batch_norm: stats must be a BatchNormStats(mean, var), got {type(stats).__name__}")
    running_mean = _feature_vector("stats.mean", stats.mean, c, x.shape)
    running_var = _feature_vector("stats.var", stats.var, c, x.shape)
    if not isinstance(train, bool):
        raise ValueError(f"batch_norm: train must be True or False, got {train!r}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"batch_norm: momentum must be in [0, 1], got {momentum!r}")
    if not eps >= 0:
        raise ValueError(f"batch_norm: eps must be non-negative, got {eps!r}")
    axes = tuple(range(x.ndim - 1))
    if train:
        mean = jnp.mean(x, axis=axes)
        var = jnp.mean(jnp.square(x - mean), axis=axes)  # biased: divided by m
        stats = BatchNormStats(momentum * running_mean + (1 - momentum) * mean,
                               momentum * running_var + (1 - momentum) * var)
    else:
        mean, var = running_mean, running_var
        stats = BatchNormStats(running_mean, running_var)
    y = gamma * (x - mean) * jax.lax.rsqrt(var + eps) + beta
    return y, stats


def batch_norm_input_grad(x, gamma, dy, eps=1e-5):
    """∂L/∂x of training-mode batch norm, given dy = ∂L/∂y (the backward pass written out).

    x, dy: (N, C) or (N, H, W, C)   gamma: (C,)   returns dx of the shape of x. With m values per
    feature, x̂ = (x − μ_B)/√(σ²_B + ε) and g = γ·dy:

        dx = (1 / √(σ²_B + ε)) · (g − mean(g) − x̂ · mean(g · x̂)),    means over the m values.

    The two subtracted terms come from μ_B and σ²_B depending on every xᵢ; without them this would be
    the gradient of a fixed affine map.
    """
    x = _validate.array("batch_norm_input_grad", "x", x)
    dy = _validate.array("batch_norm_input_grad", "dy", dy)
    if x.ndim < 2:
        raise ValueError(f"batch_norm_input_grad: x must have shape (N, C) or (N, H, W, C), "
                         f"got shape {tuple(x.shape)}")
    if dy.shape != x.shape:
        raise ValueError(f"batch_norm_input_grad: dy must have the shape of x {tuple(x.shape)}, "
                         f"got shape {tuple(dy.shape)}")
    gamma = _feature_vector("gamma", gamma, x.shape[-1], x.shape, fn="batch_norm_input_grad")
    axes = tuple(range(x.ndim - 1))
    mean = jnp.mean(x, axis=axes)
    inv_std = jax.lax.rsqrt(jnp.mean(jnp.square(x - mean), axis=axes) + eps)
    x_hat = (x - mean) * inv_std
    g = gamma * dy
    return inv_std * (g - jnp.mean(g, axis=axes) - x_hat * jnp.mean(g * x_hat, axis=axes))


def _feature_vector(name, v, c, x_shape, fn="batch_norm"):
    v = _validate.array(fn, name, v)
    if v.shape != (c,):
        raise ValueError(f"{fn}: {name} must have shape ({c},), one value per feature of the last axis "
                         f"of x {tuple(x_shape)}, got shape {tuple(v.shape)}")
    return v

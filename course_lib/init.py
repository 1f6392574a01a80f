"""Weight initializers, each `(key, shape) -> array`.

`shape` is (fan_in, fan_out) for a dense layer or (KH, KW, C_in, C_out) for a convolution kernel,
where fan_in = KH·KW·C_in and fan_out = KH·KW·C_out (the number of inputs and outputs one weight
touches). Normal initializers draw from an untruncated normal, so the stated variance is exact.

    name            distribution                      variance
    zeros           0                                 0
    normal          N(0, std²)                        std²   (a fixed scale, std = 0.01 by default)
    lecun_normal    N(0, 1 / fan_in)                  1 / fan_in   (the forward-only "Xavier" of lecture 8)
    lecun_uniform   U(−a, a), a = √(3 / fan_in)       the same
    xavier_normal   N(0, 2 / (fan_in + fan_out))      2 / (fan_in + fan_out)   (Glorot & Bengio 2010)
    xavier_uniform  U(−a, a), a = √(6 / (fan_in + fan_out))   the same
    he_normal       N(0, 2 / fan_in)                  2 / fan_in               (He et al. 2015, for ReLU)
    he_uniform      U(−a, a), a = √(6 / fan_in)       the same
"""
import math

import jax
import jax.numpy as jnp

from course_lib import _validate

__all__ = ["fans", "zeros", "normal", "lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform",
           "he_normal", "he_uniform"]


def fans(shape):
    """(fan_in, fan_out) of a dense (fan_in, fan_out) or conv (KH, KW, C_in, C_out) weight shape."""
    shape = _validate.shape_tuple("fans", "shape", shape)
    if len(shape) == 2:
        return shape
    if len(shape) == 4:
        receptive = shape[0] * shape[1]
        return receptive * shape[2], receptive * shape[3]
    raise ValueError(f"fans: shape must be (fan_in, fan_out) or (KH, KW, C_in, C_out), got {shape}")


def zeros(key, shape):
    """All zeros (`key` is accepted for a uniform signature and unused). Every unit of a layer then
    computes the same thing and receives the same gradient: the symmetry problem of lecture 8."""
    return jnp.zeros(_validate.shape_tuple("zeros", "shape", shape))


def normal(key, shape, std=0.01):
    """N(0, std²) whatever the layer's size."""
    if not std > 0:
        raise ValueError(f"normal: std must be positive, got {std!r}")
    return std * jax.random.normal(key, _validate.shape_tuple("normal", "shape", shape))


def lecun_normal(key, shape):
    """N(0, σ²) with σ² = 1 / fan_in: keeps Var(z) = Var(x) on the forward pass only (LeCun et al. 1998;
    lecture notes 002 call it Xavier initialization "considering the forward path only")."""
    fan_in, _ = fans(shape)
    return math.sqrt(1.0 / fan_in) * jax.random.normal(key, tuple(shape))


def lecun_uniform(key, shape):
    """U(−a, a) with a = √(3 / fan_in), whose variance a²/3 = 1 / fan_in."""
    fan_in, _ = fans(shape)
    a = math.sqrt(3.0 / fan_in)
    return jax.random.uniform(key, tuple(shape), minval=-a, maxval=a)


def xavier_normal(key, shape):
    """N(0, σ²) with σ² = 2 / (fan_in + fan_out)."""
    fan_in, fan_out = fans(shape)
    return math.sqrt(2.0 / (fan_in + fan_out)) * jax.random.normal(key, tuple(shape))


def xavier_uniform(key, shape):
    """U(−a, a) with a = √(6 / (fan_in + fan_out)), whose variance a²/3 = 2 / (fan_in + fan_out)."""
    fan_in, fan_out = fans(shape)
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, tuple(shape), minval=-a, maxval=a)


def he_normal(key, shape):
    """N(0, σ²) with σ² = 2 / fan_in."""
    fan_in, _ = fans(shape)
    return math.sqrt(2.0 / fan_in) * jax.random.normal(key, tuple(shape))


def he_uniform(key, shape):
    """U(−a, a) with a = √(6 / fan_in), whose variance a²/3 = 2 / fan_in."""
    fan_in, _ = fans(shape)
    a = math.sqrt(6.0 / fan_in)
    return jax.random.uniform(key, tuple(shape), minval=-a, maxval=a)

"""A small LeNet-style convolutional network: [conv → ReLU → max pool] × L, flatten, dense layers → logits.

    params = init_cnn(key, (8, 8, 1), channels=(8, 16), classes=10)
    logits = cnn(params, x)                 # x: (N, 8, 8, 1)  →  (N, 10); softmax lives in the loss

Every convolution is 'same'-padded (P = ⌊K/2⌋, stride 1), so only the pooling shrinks the maps: with
pool size p each block maps (H, W, C) to (⌊H/p⌋, ⌊W/p⌋, C_out). Parameters are NamedTuples of arrays (a
pytree for jax.grad and the optimizers); the pool size is a keyword of the forward pass, not a parameter.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp

from course_lib import _validate, activations, conv, init as initializers, layers, pooling

__all__ = ["ConvParams", "CNNParams", "init_conv", "init_cnn", "cnn", "cnn_activations", "cnn_shapes"]


class ConvParams(NamedTuple):
    w: jax.Array  # (KH, KW, C_in, C_out): one KH×KW×C_in filter per output channel
    b: jax.Array  # (C_out,): one bias per output channel


class CNNParams(NamedTuple):
    convs: tuple  # ConvParams of each conv block, in order
    dense: tuple  # DenseParams of the classifier, from the flattened maps to the logits


def init_conv(key, kernel, c_in, c_out, init=initializers.he_normal):
    """A conv layer's parameters: w = init(key, (K, K, c_in, c_out)) (fan_in = K·K·c_in), b = 0."""
    kernel = _validate.positive_int("init_conv", "kernel", kernel)
    c_in = _validate.positive_int("init_conv", "c_in", c_in)
    c_out = _validate.positive_int("init_conv", "c_out", c_out)
    return ConvParams(w=init(key, (kernel, kernel, c_in, c_out)), b=jnp.zeros(c_out))


def init_cnn(key, in_shape, channels=(8, 16), classes=10, *, kernel=3, pool=2, hidden=(),
             init=initializers.he_normal):
    """Parameters of a CNN for inputs of shape in_shape = (H, W, C): one K×K conv block per entry of
    `channels` (its number of filters), then dense layers of widths `hidden`, then `classes` outputs.
    `pool` must be the pool size the forward pass will use: it fixes the flattened size."""
    in_shape = _validate.shape_tuple("init_cnn", "in_shape", in_shape)
    channels = _validate.shape_tuple("init_cnn", "channels", channels)
    shapes = cnn_shapes(in_shape, channels, kernel=kernel, pool=pool)
    keys = jax.random.split(key, len(channels) + 1)
    c_ins = (in_shape[2],) + channels[:-1]
    convs = tuple(init_conv(k, kernel, c_in, c_out, init) for k, c_in, c_out in zip(keys, c_ins, channels))
    (flat,) = shapes[-1][1]
    dense = layers.init_mlp(keys[-1], (flat, *tuple(hidden), classes), init=init)
    return CNNParams(convs, dense)


def cnn(params, x, *, pool=2):
    """The forward pass: for each block z = conv2d(h, w, b, padding=⌊K/2⌋), h = max_pool2d(ReLU(z), pool);
    then flatten and the dense layers (ReLU between them, the last one linear).

    x: (N, H, W, C)  →  logits (N, classes). Apply softmax (or softmax_cross_entropy) to the logits.
    """
    return cnn_activations(params, x, pool=pool)["logits"]


def cnn_activations(params, x, *, pool=2):
    """The forward pass with every intermediate kept, for plotting feature maps:
    {"conv1": z, "relu1": ReLU(z), "pool1": pooled, …, "flat": (N, D), "logits": (N, classes)}."""
    x = _validate.array("cnn", "x", x)
    _validate.ndim("cnn", "x", x, 4, "(N, H, W, C)")
    if x.shape[-1] != params.convs[0].w.shape[2]:
        raise ValueError(f"cnn: x has {x.shape[-1]} channels but the first conv layer expects "
                         f"{params.convs[0].w.shape[2]} (x {tuple(x.shape)}, w {tuple(params.convs[0].w.shape)})")
    out, h = {}, x
    for i, layer in enumerate(params.convs, start=1):
        kh, kw = layer.w.shape[:2]
        out[f"conv{i}"] = z = conv.conv2d(h, layer.w, layer.b, padding=(kh // 2, kw // 2))
        out[f"relu{i}"] = a = activations.relu(z)
        out[f"pool{i}"] = h = pooling.max_pool2d(a, pool)
    out["flat"] = pooling.flatten(h)
    if out["flat"].shape[1] != params.dense[0].W.shape[0]:
        raise ValueError(f"cnn: the last pooled maps {tuple(h.shape[1:])} flatten to {out['flat'].shape[1]} "
                         f"features but the dense layer expects {params.dense[0].W.shape[0]}: was the "
                         f"network initialised for this input size and pool={pool}?")
    out["logits"] = layers.mlp(params.dense, out["flat"])
    return out


def cnn_shapes(in_shape, channels, *, kernel=3, pool=2):
    """The shape of one example after every layer, without computing anything: a list of (name, shape).

    Each 'same' conv keeps H and W and sets C to its number of filters; each pool maps H to
    ⌊(H − p) / p⌋ + 1 = ⌊H / p⌋ (pooling.pool_output_size); flatten gives H·W·C features."""
    h, w, c = _validate.shape_tuple("cnn_shapes", "in_shape", in_shape)
    channels = _validate.shape_tuple("cnn_shapes", "channels", channels)
    kernel = _validate.positive_int("cnn_shapes", "kernel", kernel)
    pool = _validate.positive_int("cnn_shapes", "pool", pool)
    if kernel % 2 == 0:
        raise ValueError(f"cnn_shapes: kernel must be odd so that 'same' padding ⌊K/2⌋ keeps the size, got {kernel}")
    shapes = [("input", (h, w, c))]
    for i, c in enumerate(channels, start=1):
        shapes.append((f"conv{i}", (h, w, c)))
        if pool > min(h, w):
            raise ValueError(f"cnn_shapes: pool {pool} is larger than the {h}×{w} maps after conv{i}: "
                             f"too many blocks for input {tuple(in_shape)}")
        h, w = pooling.pool_output_size(h, pool), pooling.pool_output_size(w, pool)
        shapes.append((f"pool{i}", (h, w, c)))
    shapes.append(("flat", (h * w * c,)))
    return shapes

"""Pooling: shrink a feature map by summarising each window with one number, and the way back up.

A pooling layer slides a KH×KW window over every channel of x (N, H, W, C) separately, in steps of S,
and keeps one number per window: its largest value (max pooling) or its mean (average pooling).
It has no weights. One output side is, as for a convolution without padding,

    H_out = ⌊(H − KH) / S_h⌋ + 1        (rows that do not fill a whole window are dropped)

and the stride defaults to the window size, so that windows tile the map without overlapping.
Max unpooling goes back: each pooled value returns to the position its maximum came from, zeros elsewhere.
"""
from functools import partial

import jax
import jax.numpy as jnp

from course_lib import _validate

__all__ = ["pool_output_size", "pool_windows", "max_pool2d", "avg_pool2d", "max_pool2d_with_indices",
           "max_unpool2d", "global_avg_pool2d", "flatten"]


def pool_output_size(n, size, stride=None):
    """Length of one pooled side: ⌊(n − size) / stride⌋ + 1, with stride = size when it is None.

    n: input side H, size: window side KH, stride: step S_h. A window never hangs over the border.
    """
    n = _validate.positive_int("pool_output_size", "n", n)
    size = _validate.positive_int("pool_output_size", "size", size)
    stride = size if stride is None else _validate.positive_int("pool_output_size", "stride", stride)
    if size > n:
        raise ValueError(f"pool_output_size: window size {size} is larger than the input side n = {n}")
    return (n - size) // stride + 1


def pool_windows(x, size, stride=None):
    """Every pooling window of x, channel by channel: the view behind both poolings.

    x: (N, H, W, C)   size, stride: an int or an (h, w) pair (stride defaults to size)
    returns (N, H_out, W_out, KH·KW, C), where entry [n, i, j, :, c] lists the window
    x[n, i·S_h : i·S_h + KH, j·S_w : j·S_w + KW, c] row by row (index k = m·KW + l for offset (m, l)).
    """
    x, size, stride = _arguments("pool_windows", x, size, stride)
    return _windows(x, size, stride)


def max_pool2d(x, size, stride=None):
    """Max pooling: the largest value of every KH×KW window, channel by channel.

    x: (N, H, W, C)   size, stride: an int or an (h, w) pair; stride defaults to size
    returns (N, H_out, W_out, C) with H_out = ⌊(H − KH) / S_h⌋ + 1 (W_out likewise) and

        y[n, i, j, c] = max_{0 ≤ m < KH, 0 ≤ l < KW} x[n, i·S_h + m, j·S_w + l, c]
    """
    x, size, stride = _arguments("max_pool2d", x, size, stride)
    return _max_pool(x, size, stride)


def avg_pool2d(x, size, stride=None):
    """Average pooling: the mean of every KH×KW window, channel by channel.

    x: (N, H, W, C)   size, stride: an int or an (h, w) pair; stride defaults to size
    returns (N, H_out, W_out, C), shapes as max_pool2d, with

        y[n, i, j, c] = 1/(KH·KW) · Σ_{m, l} x[n, i·S_h + m, j·S_w + l, c]

    which is a stride-S convolution of each channel with a KH×KW kernel whose n = KH·KW weights are all 1/n.
    """
    x, size, stride = _arguments("avg_pool2d", x, size, stride)
    return _avg_pool(x, size, stride)


def max_pool2d_with_indices(x, size, stride=None):
    """Max pooling that also remembers where each maximum was, for max_unpool2d.

    x: (N, H, W, C)   returns (y, indices), both (N, H_out, W_out, C): y as max_pool2d, and
    indices[n, i, j, c] = h·W + w, the position (h, w) of that window's maximum in the H×W plane of
    channel c (the convention of PyTorch's MaxPool2d(return_indices=True)). When a window holds its
    maximum more than once, the first one row by row is taken.
    """
    x, size, stride = _arguments("max_pool2d_with_indices", x, size, stride)
    return _max_pool_with_indices(x, size, stride)


def max_unpool2d(y, indices, output_hw):
    """Max unpooling: put every pooled value back where its maximum came from, zeros everywhere else.

    y: (N, H_out, W_out, C) pooled values (or anything of that shape, e.g. a decoder's feature map)
    indices: (N, H_out, W_out, C) ints from max_pool2d_with_indices, positions h·W + w in the H×W plane
    output_hw: (H, W), the size of the map before pooling
    returns z: (N, H, W, C) with z[n, h, w, c] = Σ of y[n, i, j, c] over the windows whose maximum sat at
    (h, w): one value for non-overlapping windows, a sum where overlapping windows share a maximum.
    So max_unpool2d(g, indices, (H, W)) is exactly how max pooling's backward pass routes a gradient g.
    """
    fn = "max_unpool2d"
    y = _validate.array(fn, "y", y)
    indices = _validate.array(fn, "indices", indices)
    _validate.ndim(fn, "y", y, 4, "(N, H_out, W_out, C)")
    if indices.shape != y.shape:
        raise ValueError(f"{fn}: indices must have the shape of y {tuple(y.shape)}, got {tuple(indices.shape)}")
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        raise ValueError(f"{fn}: indices must be integer positions h·W + w, got dtype {indices.dtype}")
    output_hw = _pair(fn, "output_hw", output_hw)
    if output_hw[0] < y.shape[1] or output_hw[1] < y.shape[2]:
        raise ValueError(f"{fn}: output_hw {output_hw} must be at least the pooled size "
                         f"{tuple(y.shape[1:3])} of y {tuple(y.shape)}")
    return _max_unpool(y, indices, output_hw)


def global_avg_pool2d(x):
    """Global average pooling: the mean of each channel over the whole map, F_k = 1/(H·W) Σ_{h,w} x[h, w, k].

    x: (N, H, W, C)  →  (N, C). It is avg_pool2d with a window the size of the map, flattened.
    """
    x = _validate.array("global_avg_pool2d", "x", x)
    _validate.ndim("global_avg_pool2d", "x", x, 4, "(N, H, W, C)")
    return jnp.mean(x, axis=(1, 2))


def flatten(x):
    """Flatten every example's feature maps into one vector for a dense layer: (N, H, W, C) → (N, H·W·C),
    in row-major (h, w, c) order: entry h·W·C + w·C + c holds x[n, h, w, c]."""
    x = _validate.array("flatten", "x", x)
    if x.ndim < 2:
        raise ValueError(f"flatten: x must have shape (N, ...) with a batch axis first, got shape {tuple(x.shape)}")
    return x.reshape(x.shape[0], -1)


# ---------------------------------------------------------------- jitted kernels (size, stride static)

@partial(jax.jit, static_argnums=(1, 2))
def _windows(x, size, stride):
    (kh, kw), (sh, sw) = size, stride
    h_out = (x.shape[1] - kh) // sh + 1
    w_out = (x.shape[2] - kw) // sw + 1
    # Offset (m, l) inside the window sees rows m, m + S_h, …, m + (H_out − 1)·S_h of every window at
    # once (columns likewise): one strided slice per offset, KH·KW slices in all.
    shifted = [x[:, m:m + (h_out - 1) * sh + 1:sh, l:l + (w_out - 1) * sw + 1:sw, :]
               for m in range(kh) for l in range(kw)]
    return jnp.stack(shifted, axis=3)                     # (N, H_out, W_out, KH·KW, C)


@partial(jax.jit, static_argnums=(1, 2))
def _max_pool(x, size, stride):
    return jnp.max(_windows(x, size, stride), axis=3)


@partial(jax.jit, static_argnums=(1, 2))
def _avg_pool(x, size, stride):
    return jnp.mean(_windows(x, size, stride), axis=3)


@partial(jax.jit, static_argnums=(1, 2))
def _max_pool_with_indices(x, size, stride):
    (kh, kw), (sh, sw) = size, stride
    windows = _windows(x, size, stride)                   # (N, H_out, W_out, KH·KW, C)
    k = jnp.argmax(windows, axis=3)                       # offset k = m·KW + l of the first maximum
    rows = jnp.arange(windows.shape[1])[:, None, None] * sh + k // kw
    cols = jnp.arange(windows.shape[2])[None, :, None] * sw + k % kw
    return jnp.max(windows, axis=3), (rows * x.shape[2] + cols).astype(jnp.int32)


@partial(jax.jit, static_argnums=(2,))
def _max_unpool(y, indices, output_hw):
    n, _, _, c = y.shape
    flat = jnp.zeros((n, output_hw[0] * output_hw[1], c), y.dtype)
    batch = jnp.arange(n)[:, None, None, None]
    channel = jnp.arange(c)[None, None, None, :]
    return flat.at[batch, indices, channel].add(y).reshape(n, *output_hw, c)


# ---------------------------------------------------------------- argument checks

def _arguments(fn, x, size, stride):
    """x as a 4-D array, size and stride as (h, w) pairs; the window must fit inside the map."""
    x = _validate.array(fn, "x", x)
    _validate.ndim(fn, "x", x, 4, "(N, H, W, C)")
    size = _pair(fn, "size", size)
    stride = size if stride is None else _pair(fn, "stride", stride)
    for n, k, axis in zip(x.shape[1:3], size, ("height", "width")):
        if k > n:
            raise ValueError(f"{fn}: size (the window) {size} does not fit: window {axis} {k} is larger than "
                             f"the input {axis} {n} (x {tuple(x.shape)})")
    return x, size, stride


def _pair(fn, name, value):
    """A positive int or an (h, w) pair of positive ints, as an (h, w) tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{fn}: {name} must be a positive integer or an (h, w) pair, got {value!r}")
        return tuple(_validate.positive_int(fn, name, v) for v in value)
    v = _validate.positive_int(fn, name, value)
    return (v, v)

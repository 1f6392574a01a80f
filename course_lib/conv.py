"""Convolution: the 1-D and 2-D signal-processing operations and the deep-learning layer built on them.

Two operations slide a kernel g over a signal f; they differ only in whether g is flipped first:

    correlation   (f ⋆ g)[i, j] = Σ_m Σ_n f[i + m, j + n] · g[m, n]
    convolution   (f ∗ g)[i, j] = Σ_m Σ_n f[i − m, j − n] · g[m, n]  =  correlation with g flipped in both axes

Every deep-learning framework calls the first one "convolution"; `conv2d` is that layer. Images are
channel-last: x is (N, H, W, C_in) and a kernel is (KH, KW, C_in, C_out). One output side is

    H_out = ⌊(H + 2P − F) / S⌋ + 1        (input H, padding P, kernel F, stride S)
"""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from course_lib import _validate

__all__ = ["conv_output_size", "correlate1d", "convolve1d", "correlate2d", "convolve2d",
           "im2col", "conv2d", "conv_transpose2d"]

_MODES = ("valid", "same", "full")


def conv_output_size(n, k, padding=0, stride=1):
    """Length of one output side: ⌊(n + 2·padding − k) / stride⌋ + 1.

    n: input size H, k: kernel size F, padding: zeros added on EACH side (P), stride: step S.
    When (n + 2P − k) is not a multiple of S the last positions that do not fit a whole window are
    dropped (the floor), which is what PyTorch, TensorFlow ("VALID") and jax.lax do.
    """
    n = _validate.positive_int("conv_output_size", "n", n)
    k = _validate.positive_int("conv_output_size", "k", k)
    padding = _non_negative_int("conv_output_size", "padding", padding)
    stride = _validate.positive_int("conv_output_size", "stride", stride)
    if k > n + 2 * padding:
        raise ValueError(f"conv_output_size: kernel size k={k} is larger than the padded input "
                         f"n + 2·padding = {n} + 2·{padding} = {n + 2 * padding}")
    return (n + 2 * padding - k) // stride + 1


# ---------------------------------------------------------------- signal processing: 1-D and 2-D arrays

def correlate1d(f, g, mode="full"):
    """1-D cross-correlation (f ⋆ g)[i] = Σ_m f[i + m] · g[m], with scipy.signal.correlate's modes.

    f: (L,)   g: (K,)   returns (L − K + 1,) for "valid", (L,) for "same", (L + K − 1,) for "full".
    It is convolution with g reversed; for an even K, "same" keeps the same window as
    scipy.signal.correlate and numpy.correlate (scipy's correlate2d centres it one step later).
    """
    f, g = _signal_args("correlate1d", f, g, mode, 1, "(L,)")
    return convolve1d(f, g[::-1], mode)


def convolve1d(f, g, mode="full"):
    """1-D convolution (f ∗ g)[i] = Σ_m f[i − m] · g[m], with numpy.convolve / scipy.signal's modes.

    f: (L,)   g: (K,)   returns (L − K + 1,) for "valid", (L,) for "same", (L + K − 1,) for "full".
    Index 0 of the "full" result is f[0]·g[0]: if f starts at index a and g at index b (as on the
    slides, f[−3:3] and g[−1:1]), result index i holds (f ∗ g)[a + b + i].
    """
    f, g = _signal_args("convolve1d", f, g, mode, 1, "(L,)")
    return convolve2d(f[None, :], g[None, :], mode)[0]


def correlate2d(f, g, mode="valid"):
    """2-D cross-correlation (f ⋆ g)[i, j] = Σ_m Σ_n f[i + m, j + n] · g[m, n] (the kernel is NOT flipped).

    f: (H, W) image   g: (KH, KW) kernel, with scipy.signal.correlate2d's modes:
      "valid": only positions where g lies inside f           → (H − KH + 1, W − KW + 1)
      "full":  every position where g and f overlap at all     → (H + KH − 1, W + KW − 1)
               (f padded with KH − 1, KW − 1 zeros on each side)
      "same":  the centre (H, W) part of "full"                → (H, W)
    """
    f, g = _signal_args("correlate2d", f, g, mode, 2, "(H, W)")
    if mode == "valid":
        return _valid_correlate(f, g)
    kh, kw = g.shape
    full = _valid_correlate(jnp.pad(f, ((kh - 1, kh - 1), (kw - 1, kw - 1))), g)
    if mode == "same":
        # scipy centres "same" on the full result so that, for an odd kernel, the kernel's centre sits on
        # f[i, j]; for an even kernel the extra row/column goes to the start (correlation) side.
        top, left = kh // 2, kw // 2
        return full[top:top + f.shape[0], left:left + f.shape[1]]
    return full


def convolve2d(f, g, mode="valid"):
    """2-D convolution (f ∗ g)[i, j] = Σ_m Σ_n f[i − m, j − n] · g[m, n]: correlation with g flipped
    left–right AND up–down. Shapes and modes as `correlate2d` (scipy.signal.convolve2d's meaning)."""
    f, g = _signal_args("convolve2d", f, g, mode, 2, "(H, W)")
    kh, kw = g.shape
    full = correlate2d(f, g[::-1, ::-1], "full")
    if mode == "valid":
        return full[kh - 1:full.shape[0] - kh + 1, kw - 1:full.shape[1] - kw + 1]
    if mode == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        return full[top:top + f.shape[0], left:left + f.shape[1]]
    return full


def _valid_correlate(f, g):
    """Valid correlation of two 2-D arrays via the layer: one image, one channel in, one out."""
    return _conv2d(f[None, :, :, None], g[:, :, None, None], (1, 1), (0, 0))[0, :, :, 0]


def _signal_args(fn, f, g, mode, ndim, shape_doc):
    if mode not in _MODES:
        raise ValueError(f"{fn}: mode must be one of {_MODES}, got {mode!r}")
    f = _validate.array(fn, "f", f)
    g = _validate.array(fn, "g", g)
    kernel_doc = "(K,)" if ndim == 1 else "(KH, KW)"
    _validate.ndim(fn, "f", f, ndim, shape_doc)
    _validate.ndim(fn, "g", g, ndim, kernel_doc)
    if 0 in f.shape or 0 in g.shape:
        raise ValueError(f"{fn}: f and g must not be empty, got f {tuple(f.shape)}, g {tuple(g.shape)}")
    if mode == "valid" and any(k > n for n, k in zip(f.shape, g.shape)):
        raise ValueError(f"{fn}: in 'valid' mode the kernel g {tuple(g.shape)} must not be larger than "
                         f"f {tuple(f.shape)} in any dimension")
    return f, g


# ---------------------------------------------------------------- the deep-learning layer (NHWC × HWIO)

def im2col(x, kh, kw, *, stride=1, padding=0):
    """Every kernel-sized window of x, flattened: the view that turns convolution into one matrix product.

    x: (N, H, W, C)   returns (N, H_out, W_out, KH·KW·C), where entry [n, i, j] is the window
    x_padded[n, i·S_h : i·S_h + KH, j·S_w : j·S_w + KW, :] flattened in (KH, KW, C) order — the same
    order as w.reshape(KH·KW·C, C_out) for a kernel w of shape (KH, KW, C, C_out).
    """
    x = _validate.array("im2col", "x", x)
    _validate.ndim("im2col", "x", x, 4, "(N, H, W, C)")
    kh = _validate.positive_int("im2col", "kh", kh)
    kw = _validate.positive_int("im2col", "kw", kw)
    stride, padding = _layer_geometry("im2col", x.shape, (kh, kw), stride, padding)
    return _im2col(x, kh, kw, stride, padding)


def conv2d(x, w, b=None, *, stride=1, padding=0):
    """2-D cross-correlation, the layer every framework calls "convolution".

    x: (N, H, W, C_in)   w: (KH, KW, C_in, C_out)   b: (C_out,) or None
    stride S and padding P: an int, or an (h, w) pair; P zeros are added on each side.
    returns z: (N, H_out, W_out, C_out), H_out = ⌊(H + 2P_h − KH) / S_h⌋ + 1 (W_out likewise), with

        z[n, i, j, o] = b[o] + Σ_{m, l, c} x_padded[n, i·S_h + m, j·S_w + l, c] · w[m, l, c, o]

    computed as im2col(x) @ w.reshape(KH·KW·C_in, C_out): each output pixel is the dot product of one
    flattened window with each flattened filter.
    """
    x = _validate.array("conv2d", "x", x)
    w = _validate.array("conv2d", "w", w)
    _validate.ndim("conv2d", "x", x, 4, "(N, H, W, C_in)")
    _validate.ndim("conv2d", "w", w, 4, "(KH, KW, C_in, C_out)")
    if x.shape[-1] != w.shape[2]:
        raise ValueError(f"conv2d: x has {x.shape[-1]} channels but w expects {w.shape[2]} "
                         f"(x {tuple(x.shape)}, w {tuple(w.shape)})")
    stride, padding = _layer_geometry("conv2d", x.shape, w.shape[:2], stride, padding)
    z = _conv2d(x, w, stride, padding)
    if b is not None:
        b = _validate.array("conv2d", "b", b)
        if b.shape != (w.shape[3],):
            raise ValueError(f"conv2d: b must have shape (C_out,) = ({w.shape[3]},), got {tuple(b.shape)}")
        z = z + b
    return z


def conv_transpose2d(x, w, b=None, *, stride=1, padding=0, output_padding=0):
    """Transposed convolution ("deconvolution"): the upsampling layer of decoders, e.g. in auto-encoders.

    x: (N, H, W, C_in)   w: (KH, KW, C_in, C_out)   b: (C_out,) or None
    returns (N, H_out, W_out, C_out) with H_out = (H − 1)·S_h − 2P_h + KH + output_padding_h (W likewise).

    Every input pixel x[n, i, j, :] stamps the KH×KW×C_out block Σ_c x[n, i, j, c] · w[:, :, c, :] onto
    the output at rows i·S_h − P_h … i·S_h − P_h + KH − 1 (columns likewise); overlapping stamps add up,
    and stamps falling outside the output are cut off. `padding` therefore REMOVES P rows/columns from
    each border, and `output_padding` (< stride) adds rows/columns at the bottom/right, to pick among
    the input sizes that a stride-S conv2d maps to the same H.

    It is the transpose (adjoint) of conv2d: for w_t = w.transpose(0, 1, 3, 2),
    ⟨conv_transpose2d(x, w), y⟩ = ⟨x, conv2d(y, w_t, stride=S, padding=P)⟩ for every y of the output shape.
    """
    x = _validate.array("conv_transpose2d", "x", x)
    w = _validate.array("conv_transpose2d", "w", w)
    _validate.ndim("conv_transpose2d", "x", x, 4, "(N, H, W, C_in)")
    _validate.ndim("conv_transpose2d", "w", w, 4, "(KH, KW, C_in, C_out)")
    if x.shape[-1] != w.shape[2]:
        raise ValueError(f"conv_transpose2d: x has {x.shape[-1]} channels but w expects {w.shape[2]} "
                         f"(x {tuple(x.shape)}, w {tuple(w.shape)})")
    stride = _pair("conv_transpose2d", "stride", stride, _validate.positive_int)
    padding = _pair("conv_transpose2d", "padding", padding, _non_negative_int)
    output_padding = _pair("conv_transpose2d", "output_padding", output_padding, _non_negative_int)
    for s, op in zip(stride, output_padding):
        if op >= s:
            raise ValueError(f"conv_transpose2d: output_padding must be smaller than stride in each "
                             f"dimension, got output_padding {output_padding} with stride {stride}")
    for n, k, s, p, op in zip(x.shape[1:3], w.shape[:2], stride, padding, output_padding):
        if (n - 1) * s - 2 * p + k + op < 1:
            raise ValueError(f"conv_transpose2d: padding {padding} removes the whole output "
                             f"(x {tuple(x.shape)}, w {tuple(w.shape)}, stride {stride})")
    z = _conv_transpose2d(x, w, stride, padding, output_padding)
    if b is not None:
        b = _validate.array("conv_transpose2d", "b", b)
        if b.shape != (w.shape[3],):
            raise ValueError(f"conv_transpose2d: b must have shape (C_out,) = ({w.shape[3]},), "
                             f"got {tuple(b.shape)}")
        z = z + b
    return z


@partial(jax.jit, static_argnums=(1, 2, 3, 4))
def _im2col(x, kh, kw, stride, padding):
    (sh, sw), (ph, pw) = stride, padding
    x = jnp.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    h_out = (x.shape[1] - kh) // sh + 1
    w_out = (x.shape[2] - kw) // sw + 1
    # Window i starts at row i·S_h, so its row m is i·S_h + m (columns likewise). One indexing
    # operation gathers every window at once, whatever the kernel size.
    rows = jnp.arange(h_out)[:, None] * sh + jnp.arange(kh)[None, :]      # (H_out, KH)
    cols = jnp.arange(w_out)[:, None] * sw + jnp.arange(kw)[None, :]      # (W_out, KW)
    windows = x[:, rows[:, :, None, None], cols[None, None, :, :], :]     # (N, H_out, KH, W_out, KW, C)
    windows = windows.transpose(0, 1, 3, 2, 4, 5)                        # (N, H_out, W_out, KH, KW, C)
    return windows.reshape(*windows.shape[:3], -1)                        # (N, H_out, W_out, KH·KW·C)


@partial(jax.jit, static_argnums=(2, 3))
def _conv2d(x, w, stride, padding):
    kh, kw, c_in, c_out = w.shape
    columns = _im2col(x, kh, kw, stride, padding)         # (N, H_out, W_out, KH·KW·C_in)
    return columns @ w.reshape(kh * kw * c_in, c_out)     # (N, H_out, W_out, C_out)


@partial(jax.jit, static_argnums=(2, 3, 4))
def _conv_transpose2d(x, w, stride, padding, output_padding):
    kh, kw = w.shape[:2]
    # Spread the input out (S − 1 zeros between neighbours), pad it by K − 1 − P (a negative amount
    # crops), and slide the flipped kernel over it: the same sums as stamping w at every input pixel.
    spread = jax.lax.pad(x, jnp.zeros((), x.dtype), (
        (0, 0, 0),
        (kh - 1 - padding[0], kh - 1 - padding[0] + output_padding[0], stride[0] - 1),
        (kw - 1 - padding[1], kw - 1 - padding[1] + output_padding[1], stride[1] - 1),
        (0, 0, 0)))
    return _conv2d(spread, w[::-1, ::-1], (1, 1), (0, 0))


def _non_negative_int(fn, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{fn}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def _pair(fn, name, value, check):
    """An int or an (h, w) pair of ints, as an (h, w) tuple checked by `check`."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{fn}: {name} must be an int or an (h, w) pair, got {value!r}")
        return tuple(check(fn, name, v) for v in value)
    v = check(fn, name, value)
    return (v, v)


def _layer_geometry(fn, x_shape, kernel_hw, stride, padding):
    stride = _pair(fn, "stride", stride, _validate.positive_int)
    padding = _pair(fn, "padding", padding, _non_negative_int)
    for n, k, p, axis in zip(x_shape[1:3], kernel_hw, padding, ("height", "width")):
        if k > n + 2 * p:
            raise ValueError(f"{fn}: kernel {axis} {k} is larger than the padded input {axis} "
                             f"{n} + 2·{p} = {n + 2 * p} (x {tuple(x_shape)}, kernel {tuple(kernel_hw)}, "
                             f"padding {padding})")
    return stride, padding

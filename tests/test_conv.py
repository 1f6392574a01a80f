"""course_lib.conv against independent references: naive NumPy loops, scipy.signal, jax.lax primitives,
the adjoint property through jax.vjp, and the worked numbers of the seed lectures (000, 001, 002)."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.signal

from course_lib import conv

RNG = np.random.default_rng(20261124)


def _naive_conv2d(x, w, b, stride, padding):
    """Cross-correlation written as the textbook's four nested loops, in float64."""
    (sh, sw), (ph, pw) = stride, padding
    x = np.pad(np.asarray(x, np.float64), ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    w = np.asarray(w, np.float64)
    kh, kw, _, c_out = w.shape
    h_out = (x.shape[1] - kh) // sh + 1
    w_out = (x.shape[2] - kw) // sw + 1
    z = np.zeros((x.shape[0], h_out, w_out, c_out))
    for n in range(x.shape[0]):
        for i in range(h_out):
            for j in range(w_out):
                window = x[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                for o in range(c_out):
                    z[n, i, j, o] = np.sum(window * w[:, :, :, o])
    return z if b is None else z + np.asarray(b, np.float64)


def _naive_conv_transpose2d(x, w, stride, padding, output_padding):
    """Transposed convolution as the scatter the docstring describes: stamp w at every input pixel."""
    (sh, sw), (ph, pw), (oph, opw) = stride, padding, output_padding
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, h, wd, _ = x.shape
    kh, kw, _, c_out = w.shape
    full = np.zeros((n, (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw, c_out))
    for b in range(n):
        for i in range(h):
            for j in range(wd):
                full[b, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.einsum("c,klco->klo", x[b, i, j], w)
    return full[:, ph:full.shape[1] - ph, pw:full.shape[2] - pw]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ------------------------------------------------------------------------------------------ output size

@pytest.mark.parametrize("n,k,p,s", [(6, 3, 0, 1), (7, 3, 0, 2), (7, 3, 1, 3), (227, 11, 0, 4),
                                     (32, 5, 0, 1), (5, 3, 1, 1), (10, 4, 2, 3), (8, 8, 0, 5), (1, 3, 1, 1)])
def test_conv_output_size_matches_lax_output_shape(n, k, p, s):
    x = jnp.zeros((1, n, n, 1))
    w = jnp.zeros((k, k, 1, 1))
    out = jax.lax.conv_general_dilated(x, w, (s, s), [(p, p), (p, p)],
                                       dimension_numbers=("NHWC", "HWIO", "NHWC"))
    assert conv.conv_output_size(n, k, p, s) == out.shape[1]


def test_conv_output_size_floors_when_the_stride_does_not_fit():
    # (7 + 0 - 3) / 3 + 1 = 2.33...: only two whole windows fit (columns 0-2 and 3-5); column 6 is dropped.
    assert conv.conv_output_size(7, 3, 0, 3) == 2
    assert conv.conv_output_size(224, 11, 0, 4) == 54   # AlexNet's often-quoted 224 gives 54.25 -> 54


@pytest.mark.parametrize("args,message", [
    ((5, 7), "kernel size k=7 is larger than the padded input"),
    ((5, 3, 0, 0), "stride must be a positive integer, got 0"),
    ((5, 3, -1), "padding must be a non-negative integer, got -1"),
    ((0, 3), "n must be a positive integer, got 0"),
    ((5.0, 3), "n must be a positive integer, got 5.0"),
])
def test_conv_output_size_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match="conv_output_size: " + message.replace("(", r"\(")):
        conv.conv_output_size(*args)


# ------------------------------------------------------------------------------- 1-D and 2-D signals

@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("f_shape,g_shape", [((6, 6), (3, 3)), ((7, 5), (2, 2)), ((5, 8), (3, 4)),
                                             ((4, 4), (4, 4)), ((6, 3), (1, 3)), ((9, 9), (5, 2))])
def test_correlate2d_and_convolve2d_match_scipy_signal(mode, f_shape, g_shape):
    f = RNG.normal(size=f_shape)
    g = RNG.normal(size=g_shape)
    np.testing.assert_allclose(conv.correlate2d(f, g, mode), scipy.signal.correlate2d(f, g, mode),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(conv.convolve2d(f, g, mode), scipy.signal.convolve2d(f, g, mode),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("length,k", [(7, 3), (9, 4), (5, 5), (6, 1), (10, 2)])
def test_convolve1d_and_correlate1d_match_scipy_signal(mode, length, k):
    f = RNG.normal(size=length)
    g = RNG.normal(size=k)
    np.testing.assert_allclose(conv.convolve1d(f, g, mode), scipy.signal.convolve(f, g, mode),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(conv.correlate1d(f, g, mode), scipy.signal.correlate(f, g, mode),
                               rtol=1e-5, atol=1e-5)


def test_convolve2d_equals_correlate2d_with_the_kernel_flipped_both_ways():
    f = RNG.normal(size=(6, 6))
    g = RNG.normal(size=(3, 3))
    np.testing.assert_allclose(conv.convolve2d(f, g), conv.correlate2d(f, g[::-1, ::-1]), rtol=1e-6)
    assert not np.allclose(conv.convolve2d(f, g), conv.correlate2d(f, g))


def test_integer_inputs_give_exact_integer_results():
    f = np.arange(25).reshape(5, 5)
    g = np.array([[1, 0, -1]] * 3)
    out = conv.correlate2d(f, g)
    assert jnp.issubdtype(out.dtype, jnp.integer)
    np.testing.assert_array_equal(out, scipy.signal.correlate2d(f, g, "valid"))


@pytest.mark.parametrize("call,message", [
    (lambda: conv.correlate2d(np.ones((3, 3)), np.ones((4, 2))),
     r"correlate2d: in 'valid' mode the kernel g \(4, 2\) must not be larger than f \(3, 3\)"),
    (lambda: conv.convolve2d(np.ones((3, 3)), np.ones((2, 2)), mode="circular"),
     r"convolve2d: mode must be one of \('valid', 'same', 'full'\), got 'circular'"),
    (lambda: conv.correlate2d(np.ones((1, 3, 3)), np.ones((2, 2))),
     r"correlate2d: f must have shape \(H, W\), got shape \(1, 3, 3\)"),
    (lambda: conv.convolve2d(np.ones((3, 3)), np.ones(2)),
     r"convolve2d: g must have shape \(KH, KW\), got shape \(2,\)"),
    (lambda: conv.convolve1d(np.ones((3, 3)), np.ones(2)),
     r"convolve1d: f must have shape \(L,\), got shape \(3, 3\)"),
    (lambda: conv.correlate2d(np.ones((3, 0)), np.ones((1, 1))), r"correlate2d: f and g must not be empty"),
    (lambda: conv.correlate2d("image", np.ones((1, 1))), r"correlate2d: f must be an array of numbers"),
])
def test_signal_functions_reject_bad_input_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------------------------- the layer

_GRID = [  # (N, H, W, C_in, C_out, KH, KW, stride, padding)
    (2, 7, 6, 3, 4, 3, 3, 1, 0),
    (1, 9, 8, 2, 5, 3, 2, 2, 1),
    (3, 11, 11, 1, 2, 5, 5, (2, 3), (1, 2)),
    (1, 5, 5, 3, 2, 5, 5, 1, 0),          # kernel as large as the image: one output pixel
    (2, 6, 6, 2, 3, 1, 1, 2, 0),          # 1x1 convolution, stride 2
    (2, 10, 7, 3, 2, 4, 3, 3, (2, 1)),    # stride that does not divide: floor
    (1, 13, 13, 2, 3, 3, 3, 2, 1),        # odd size, stride 2, padding 1
    (1, 3, 3, 1, 1, 5, 5, 1, 1),          # kernel larger than the image but not than the padded image
    (2, 8, 5, 4, 1, 2, 4, (1, 2), 0),
]


@pytest.mark.parametrize("n,h,w,c_in,c_out,kh,kw,stride,padding", _GRID)
def test_conv2d_matches_lax_conv_general_dilated_over_a_grid(n, h, w, c_in, c_out, kh, kw, stride, padding):
    x = RNG.normal(size=(n, h, w, c_in)).astype(np.float32)
    k = RNG.normal(size=(kh, kw, c_in, c_out)).astype(np.float32)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    ref = jax.lax.conv_general_dilated(x, k, (sh, sw), [(ph, ph), (pw, pw)],
                                       dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                       precision=jax.lax.Precision.HIGHEST)
    out = conv.conv2d(x, k, stride=stride, padding=padding)
    assert out.shape == ref.shape == (n, conv.conv_output_size(h, kh, ph, sh),
                                      conv.conv_output_size(w, kw, pw, sw), c_out)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (2, 0))])
def test_conv2d_with_bias_matches_a_naive_loop(stride, padding):
    x = RNG.normal(size=(2, 7, 8, 3))
    w = RNG.normal(size=(3, 2, 3, 4))
    b = RNG.normal(size=4)
    out = conv.conv2d(x, w, b, stride=stride, padding=padding)
    np.testing.assert_allclose(out, _naive_conv2d(x, w, b, _pair(stride), _pair(padding)), rtol=1e-4, atol=1e-4)


def test_conv2d_single_channel_equals_correlate2d_valid():
    f = RNG.normal(size=(6, 6))
    g = RNG.normal(size=(3, 3))
    out = conv.conv2d(f[None, :, :, None], g[:, :, None, None])[0, :, :, 0]
    np.testing.assert_allclose(out, scipy.signal.correlate2d(f, g, "valid"), rtol=1e-5, atol=1e-5)


def test_conv2d_is_differentiable_and_its_gradient_matches_lax():
    x = jnp.asarray(RNG.normal(size=(2, 6, 6, 2)), jnp.float32)
    w = jnp.asarray(RNG.normal(size=(3, 3, 2, 3)), jnp.float32)

    def ours(x, w):
        return jnp.sum(jnp.sin(conv.conv2d(x, w, stride=2, padding=1)))

    def lax(x, w):
        return jnp.sum(jnp.sin(jax.lax.conv_general_dilated(x, w, (2, 2), [(1, 1), (1, 1)],
                                                            dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                                            precision=jax.lax.Precision.HIGHEST)))

    for g_ours, g_lax in zip(jax.grad(ours, (0, 1))(x, w), jax.grad(lax, (0, 1))(x, w)):
        np.testing.assert_allclose(g_ours, g_lax, rtol=1e-4, atol=1e-4)


def test_conv2d_works_inside_a_users_jit():
    x = RNG.normal(size=(1, 5, 5, 2)).astype(np.float32)
    w = RNG.normal(size=(3, 3, 2, 1)).astype(np.float32)
    jitted = jax.jit(lambda x, w: conv.conv2d(x, w, padding=1))
    np.testing.assert_allclose(jitted(x, w), conv.conv2d(x, w, padding=1), rtol=1e-6)


def test_im2col_rows_are_the_flattened_windows_in_kernel_order():
    x = RNG.normal(size=(2, 5, 6, 3))
    cols = conv.im2col(x, 3, 2, stride=(2, 1), padding=1)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    assert cols.shape == (2, 3, 7, 3 * 2 * 3)
    for n, i, j in itertools.product(range(2), range(3), range(7)):
        window = padded[n, 2 * i:2 * i + 3, j:j + 2, :]
        np.testing.assert_allclose(cols[n, i, j], window.reshape(-1), rtol=1e-6)


def test_im2col_times_the_reshaped_kernel_is_conv2d():
    x = RNG.normal(size=(2, 8, 8, 3)).astype(np.float32)
    w = RNG.normal(size=(5, 5, 3, 6)).astype(np.float32)
    product = conv.im2col(x, 5, 5) @ w.reshape(-1, 6)
    np.testing.assert_allclose(product, _naive_conv2d(x, w, None, (1, 1), (0, 0)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("call,message", [
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4))),
     r"conv2d: x has 3 channels but w expects 2 \(x \(1, 5, 5, 3\), w \(3, 3, 2, 4\)\)"),
    (lambda: conv.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((5, 5, 1, 1))),
     r"conv2d: kernel height 5 is larger than the padded input height 4 \+ 2·0 = 4"),
    (lambda: conv.conv2d(np.zeros((1, 6, 4, 1)), np.zeros((3, 7, 1, 1)), padding=1),
     r"conv2d: kernel width 7 is larger than the padded input width 4 \+ 2·1 = 6"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), stride=0),
     r"conv2d: stride must be a positive integer, got 0"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), stride=(1, -2)),
     r"conv2d: stride must be a positive integer, got -2"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), padding=-1),
     r"conv2d: padding must be a non-negative integer, got -1"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), padding=(1, 1, 1)),
     r"conv2d: padding must be an int or an \(h, w\) pair, got \(1, 1, 1\)"),
    (lambda: conv.conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 4))),
     r"conv2d: x must have shape \(N, H, W, C_in\), got shape \(5, 5, 3\)"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3))),
     r"conv2d: w must have shape \(KH, KW, C_in, C_out\), got shape \(3, 3, 3\)"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4)), np.zeros(3)),
     r"conv2d: b must have shape \(C_out,\) = \(4,\), got \(3,\)"),
    (lambda: conv.im2col(np.zeros((5, 5)), 3, 3), r"im2col: x must have shape \(N, H, W, C\), got shape \(5, 5\)"),
])
def test_conv2d_rejects_bad_input_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------------------ transposed convolution

_T_GRID = [  # (N, H, W, C_in, C_out, KH, KW, stride, padding, output_padding)
    (1, 3, 3, 1, 1, 3, 3, 1, 0, 0),
    (2, 4, 5, 3, 2, 3, 3, 2, 0, 0),
    (2, 7, 7, 4, 3, 3, 3, 2, 1, 1),       # 7 -> 14: the decoder step of a small auto-encoder
    (1, 5, 4, 2, 3, 4, 2, (2, 3), (1, 0), (1, 2)),
    (1, 3, 3, 2, 2, 2, 2, 2, 0, 0),       # non-overlapping stamps: the unpooling-like case
    (1, 6, 6, 1, 2, 5, 5, 3, 2, 0),
]


@pytest.mark.parametrize("n,h,w,c_in,c_out,kh,kw,stride,padding,output_padding", _T_GRID)
def test_conv_transpose2d_matches_the_naive_scatter(n, h, w, c_in, c_out, kh, kw, stride, padding, output_padding):
    x = RNG.normal(size=(n, h, w, c_in)).astype(np.float32)
    k = RNG.normal(size=(kh, kw, c_in, c_out)).astype(np.float32)
    out = conv.conv_transpose2d(x, k, stride=stride, padding=padding, output_padding=output_padding)
    ref = _naive_conv_transpose2d(x, k, _pair(stride), _pair(padding), _pair(output_padding))
    (sh, sw), (ph, pw), (oh, ow) = _pair(stride), _pair(padding), _pair(output_padding)
    assert out.shape == ref.shape == (n, (h - 1) * sh - 2 * ph + kh + oh, (w - 1) * sw - 2 * pw + kw + ow, c_out)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n,h,w,c_in,c_out,kh,kw,stride,padding,output_padding", _T_GRID)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(n, h, w, c_in, c_out, kh, kw, stride, padding, output_padding):
    # <convT(x), y> = <x, conv(y)>, with conv's gradient w.r.t. its input (jax.vjp) as the transpose.
    x = jnp.asarray(RNG.normal(size=(n, h, w, c_in)), jnp.float32)
    k = jnp.asarray(RNG.normal(size=(kh, kw, c_in, c_out)), jnp.float32)
    out = conv.conv_transpose2d(x, k, stride=stride, padding=padding, output_padding=output_padding)
    y = jnp.asarray(RNG.normal(size=out.shape), jnp.float32)
    k_t = k.transpose(0, 1, 3, 2)
    forward = lambda y: conv.conv2d(y, k_t, stride=stride, padding=padding)
    assert forward(y).shape == x.shape      # conv2d maps the upsampled size back to the input size
    _, pullback = jax.vjp(forward, y)
    np.testing.assert_allclose(out, pullback(x)[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(jnp.vdot(out, y), jnp.vdot(x, forward(y)), rtol=1e-4)


def test_conv_transpose2d_matches_lax_conv_transpose_with_transposed_kernel():
    x = RNG.normal(size=(2, 5, 5, 3)).astype(np.float32)
    k = RNG.normal(size=(3, 3, 3, 4)).astype(np.float32)
    # lax.conv_transpose(transpose_kernel=True) treats k as the kernel of the FORWARD conv (HWIO of that
    # conv: I = 4 output channels of ours, O = 3 of ours), hence the swap; "VALID" means no cropping.
    ref = jax.lax.conv_transpose(x, k.transpose(0, 1, 3, 2), (2, 2), "VALID",
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"), transpose_kernel=True,
                                 precision=jax.lax.Precision.HIGHEST)
    out = conv.conv_transpose2d(x, k, stride=2)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


def test_conv_transpose2d_adds_the_bias_to_every_output_pixel():
    x = RNG.normal(size=(1, 3, 3, 2))
    k = RNG.normal(size=(2, 2, 2, 3))
    b = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(conv.conv_transpose2d(x, k, b, stride=2),
                               conv.conv_transpose2d(x, k, stride=2) + b, rtol=1e-6)


@pytest.mark.parametrize("call,message", [
    (lambda: conv.conv_transpose2d(np.zeros((1, 3, 3, 2)), np.zeros((3, 3, 3, 1))),
     r"conv_transpose2d: x has 2 channels but w expects 3 \(x \(1, 3, 3, 2\), w \(3, 3, 3, 1\)\)"),
    (lambda: conv.conv_transpose2d(np.zeros((1, 3, 3, 1)), np.zeros((3, 3, 1, 1)), stride=2, output_padding=2),
     r"conv_transpose2d: output_padding must be smaller than stride"),
    (lambda: conv.conv_transpose2d(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1)), padding=1),
     r"conv_transpose2d: padding \(1, 1\) removes the whole output"),
    (lambda: conv.conv_transpose2d(np.zeros((1, 3, 3, 1)), np.zeros((3, 3, 1, 1)), stride=0),
     r"conv_transpose2d: stride must be a positive integer, got 0"),
    (lambda: conv.conv_transpose2d(np.zeros((3, 3, 1)), np.zeros((3, 3, 1, 1))),
     r"conv_transpose2d: x must have shape \(N, H, W, C_in\), got shape \(3, 3, 1\)"),
])
def test_conv_transpose2d_rejects_bad_input_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------ the seeds' worked numbers, recomputed

SEED000_F = np.array([[1, 4, 5, 8, 2, 1],       # f[-3:2][-3:2]: row index m = -3..2, column n = -3..2
                      [0, 3, 1, 5, 7, 2],
                      [1, 2, 1, 4, 7, 1],
                      [2, 2, 0, 3, 6, 2],
                      [0, 1, 7, 3, 5, 3],
                      [1, 3, 4, 1, 2, 4]])
SEED000_G = np.array([[-1, 0, 1],               # g[-1:1][-1:1]
                      [-2, 0, 2],
                      [-3, 0, 3]])


def _seed000_conv(m, n):
    """(f ∗ g)[m][n] = Σ_y Σ_x f[m − y][n − x] g[y][x], straight from the slide's formula, with f zero
    outside its index range (zero padding)."""
    def f(i, j):
        return int(SEED000_F[i + 3, j + 3]) if -3 <= i <= 2 and -3 <= j <= 2 else 0

    return sum(f(m - y, n - x) * int(SEED000_G[y + 1, x + 1]) for y in (-1, 0, 1) for x in (-1, 0, 1))


def test_seed000_1d_example_f_conv_g_at_2_is_minus_2():
    f = {i: v for i, v in zip(range(-3, 4), [1, 9, 0, 5, 2, 4, 3])}
    g = {i: v for i, v in zip(range(-1, 2), [-2, 0, 2])}
    by_formula = sum(f[2 - m] * g[m] for m in (-1, 0, 1))
    full = conv.convolve1d(np.array(list(f.values())), np.array(list(g.values())), "full")
    assert by_formula == -2
    assert int(full[2 - (-3 + -1)]) == -2          # full index 0 holds (f ∗ g)[-3 + -1]


def test_seed000_2d_example_conv_at_0_0_is_minus_28_not_the_slides_minus_45():
    assert _seed000_conv(0, 0) == -28
    same = conv.convolve2d(SEED000_F, SEED000_G, "same")     # same[i, j] holds (f ∗ g)[i - 3][j - 3]
    assert int(same[3, 3]) == -28
    assert -45 not in {_seed000_conv(m, n) for m in range(-4, 4) for n in range(-4, 4)}


def test_seed000_2d_slide_window_sits_at_minus1_0_where_the_value_is_minus_36():
    # The slide multiplies the window [[1, 5, 7], [1, 4, 7], [0, 3, 6]] by the flipped kernel.
    window = np.array([[1, 5, 7], [1, 4, 7], [0, 3, 6]])
    assert np.array_equal(SEED000_F[1:4, 2:5], window)      # rows -2..0, columns -1..1: centre (-1, 0)
    assert int(np.sum(window * SEED000_G[::-1, ::-1])) == -36 == _seed000_conv(-1, 0)


def test_seed000_padded_example_11_is_conv_at_minus3_2_and_conv_at_2_2_is_19():
    window = np.array([[0, 0, 0], [2, 1, 0], [7, 2, 0]])    # the slide's window in the padded image
    padded = np.pad(SEED000_F, 1)                            # padded[i, j] holds f[i - 4][j - 4]
    assert np.array_equal(padded[0:3, 5:8], window)          # rows -4..-2, columns 1..3: centre (-3, 2)
    assert int(np.sum(window * SEED000_G[::-1, ::-1])) == 11 == _seed000_conv(-3, 2)
    assert _seed000_conv(2, 2) == 19
    assert int(conv.convolve2d(padded, SEED000_G, "valid")[2 + 3, 2 + 3]) == 19


SEED001_X = np.array([[1, 2, 3, 1, 3, 5],
                      [2, 2, 5, 4, 2, 5],
                      [0, 6, 9, 6, 2, 2],
                      [2, 0, 1, 9, 4, 0],
                      [5, 5, 4, 6, 7, 6],
                      [6, 1, 3, 7, 1, 5]])
SEED001_K = np.array([[1, 0, -1]] * 3)


def test_seed001_stride1_example_bottom_right_is_11_not_the_slides_10():
    by_loop = _naive_conv2d(SEED001_X[None, :, :, None], SEED001_K[:, :, None, None], None, (1, 1), (0, 0))[0, :, :, 0]
    slide = np.array([[-14, -1, 10, -1], [-11, -11, 7, 12], [-7, -10, 1, 13], [5, -16, -4, 10]])
    differs = np.argwhere(by_loop != slide)
    assert differs.tolist() == [[3, 3]] and by_loop[3, 3] == 11
    np.testing.assert_array_equal(conv.correlate2d(SEED001_X, SEED001_K), by_loop)


def test_seed001_stride2_example_matches_the_slide():
    out = conv.conv2d(SEED001_X[None, :, :, None], SEED001_K[:, :, None, None], stride=2)[0, :, :, 0]
    np.testing.assert_array_equal(out, [[-14, 10], [-7, 1]])


def test_seed001_vertical_sobel_kernel_needs_plus_signs_in_its_last_row():
    horizontal = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    slide_vertical = np.array([[-1, -2, -1], [0, 0, 0], [-1, -2, -1]])
    flat = np.full((5, 5), 7)
    # A derivative kernel must give 0 on a flat image; the slide's gives -8 * 7 everywhere.
    assert np.all(scipy.signal.correlate2d(flat, slide_vertical, "valid") == -56)
    assert np.all(scipy.signal.correlate2d(flat, horizontal.T, "valid") == 0)
    assert horizontal.T.tolist() == [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]


def test_seed001_32x32x3_image_with_six_5x5x3_filters_gives_28x28x6():
    x = jnp.ones((1, 32, 32, 3))
    w = jnp.ones((5, 5, 3, 6))
    assert conv.conv2d(x, w).shape == (1, 28, 28, 6)
    assert w.size + 6 == 456                     # 6 filters of 5·5·3 weights plus one bias each


def test_seed001_alexnet_first_layer_has_290400_neurons_not_253440():
    counts = [55 * 55 * 96, 27 * 27 * 256, 13 * 13 * 384, 13 * 13 * 384, 13 * 13 * 256]
    assert counts == [290400, 186624, 64896, 64896, 43264]   # the slide lists 253440 first; the rest agree


def test_seed000_alexnet_first_layer_windows_start_at_0_to_216_not_220():
    # 224 + 2·2 padding, 11×11, stride 4: 55 windows, starting at 0, 4, …, 216 (220 would end at 230 > 227)
    assert conv.conv_output_size(224, 11, padding=2, stride=4) == 55
    assert conv.conv_output_size(227, 11, padding=0, stride=4) == 55
    starts = list(range(0, 224 + 2 * 2 - 11 + 1, 4))
    assert len(starts) == 55 and starts[-1] == 216
    assert len(range(0, 221, 4)) == 56


SEED002_BINARY = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
SEED002_X_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
SEED002_IMAGE = np.array([[105, 102, 100, 97, 96], [103, 99, 103, 101, 102], [101, 98, 104, 102, 100],
                          [99, 101, 106, 104, 99], [104, 104, 104, 100, 98]])
SEED002_SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])


def test_seed002_binary_image_example_first_output_is_4():
    out = _naive_conv2d(SEED002_BINARY[None, :, :, None], SEED002_X_KERNEL[:, :, None, None], None, (1, 1), (0, 0))
    assert out[0, 0, 0, 0] == 4
    np.testing.assert_array_equal(conv.correlate2d(SEED002_BINARY, SEED002_X_KERNEL), out[0, :, :, 0])


def test_seed002_sharpen_kernel_on_padded_image_gives_320_top_left():
    by_hand = 0 * 0 + 0 * -1 + 0 * 0 + 0 * -1 + 105 * 5 + 102 * -1 + 0 * 0 + 103 * -1 + 99 * 0
    out = conv.conv2d(SEED002_IMAGE[None, :, :, None], SEED002_SHARPEN[:, :, None, None], padding=1)
    assert by_hand == 320 == int(out[0, 0, 0, 0])
    np.testing.assert_array_equal(out[0, :, :, 0], scipy.signal.correlate2d(SEED002_IMAGE, SEED002_SHARPEN, "same"))


def test_seed002_output_size_formula_is_not_an_integer_for_stride_2_on_6x6_with_3x3():
    assert (6 + 2 * 0 - 3) / 2 + 1 == 2.5
    assert conv.conv_output_size(6, 3, 0, 2) == 2


def test_seed002_googlenet_counts_are_multiplications_not_parameters():
    mults_5x5 = (14 * 14 * 48) * (5 * 5 * 480)
    mults_1x1, mults_after = (14 * 14 * 16) * (1 * 1 * 480), (14 * 14 * 48) * (5 * 5 * 16)
    assert (round(mults_5x5 / 1e6, 1), round(mults_1x1 / 1e6, 1), round(mults_after / 1e6, 1)) == (112.9, 1.5, 3.8)
    assert round((mults_1x1 + mults_after) / 1e6, 1) == 5.3
    # The weights (without biases) are far fewer: one 5×5×480 filter per output channel.
    assert (5 * 5 * 480 * 48, 1 * 1 * 480 * 16 + 5 * 5 * 16 * 48) == (576000, 26880)
    # and the multiplications are what conv2d does: one per weight per output pixel
    assert mults_5x5 == 14 * 14 * 5 * 5 * 480 * 48

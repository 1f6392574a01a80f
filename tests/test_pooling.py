"""course_lib.pooling: max and average pooling against naive NumPy loops and jax.lax.reduce_window over a
grid of sizes, strides and odd shapes; average pooling as a strided convolution with weights 1/n; the
remembered argmax positions and max unpooling (against a loop and against max pooling's own gradient);
the worked numbers of the slides; and the ValueError messages."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import conv, pooling

RNG = np.random.default_rng(0)

# Seed 000, slides "Stride": the 6×6 input pooled with 3×3 windows
SEED000_F = np.array([[1, 4, 5, 8, 2, 1],
                      [0, 3, 1, 5, 7, 2],
                      [1, 2, 1, 4, 7, 1],
                      [2, 2, 0, 3, 6, 2],
                      [0, 1, 7, 3, 5, 3],
                      [1, 3, 4, 1, 2, 4]], dtype=np.float32)
# Seed 002, slides "Convolutional Auto-Encoder" (Max Pooling / Max Unpooling): the 4×4 input
SEED002_A = np.array([[1, 2, 6, 3],
                      [3, 5, 2, 1],
                      [1, 2, 2, 1],
                      [7, 3, 4, 8]], dtype=np.float32)


def _nhwc(a):
    return np.asarray(a, np.float32)[None, :, :, None]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pool_loop(x, size, stride, reduce):
    """The definition, one window at a time: y[n, i, j, c] = reduce(x[n, i·S_h:i·S_h+KH, j·S_w:j·S_w+KW, c])."""
    x = np.asarray(x, np.float64)
    (kh, kw), (sh, sw) = _pair(size), _pair(stride)
    n, h, w, c = x.shape
    h_out, w_out = (h - kh) // sh + 1, (w - kw) // sw + 1
    y = np.zeros((n, h_out, w_out, c))
    for b, i, j, ch in itertools.product(range(n), range(h_out), range(w_out), range(c)):
        y[b, i, j, ch] = reduce(x[b, i * sh:i * sh + kh, j * sw:j * sw + kw, ch])
    return y


def _argmax_loop(x, size, stride):
    """Flat positions h·W + w of each window's first maximum (row by row), one window at a time."""
    x = np.asarray(x)
    (kh, kw), (sh, sw) = _pair(size), _pair(stride)
    n, h, w, c = x.shape
    h_out, w_out = (h - kh) // sh + 1, (w - kw) // sw + 1
    idx = np.zeros((n, h_out, w_out, c), np.int64)
    for b, i, j, ch in itertools.product(range(n), range(h_out), range(w_out), range(c)):
        window = x[b, i * sh:i * sh + kh, j * sw:j * sw + kw, ch]
        m, l = divmod(int(np.argmax(window)), kw)
        idx[b, i, j, ch] = (i * sh + m) * w + (j * sw + l)
    return idx


def _unpool_loop(y, idx, hw):
    n, _, _, c = y.shape
    out = np.zeros((n, hw[0] * hw[1], c))
    for b, i, j, ch in itertools.product(range(n), range(y.shape[1]), range(y.shape[2]), range(c)):
        out[b, idx[b, i, j, ch], ch] += y[b, i, j, ch]
    return out.reshape(n, *hw, c)


def _reduce_window(x, size, stride, kind):
    (kh, kw), (sh, sw) = _pair(size), _pair(stride)
    dims, strides = (1, kh, kw, 1), (1, sh, sw, 1)
    if kind == "max":
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, dims, strides, "VALID")
    return jax.lax.reduce_window(x, 0.0, jax.lax.add, dims, strides, "VALID") / (kh * kw)


# (input shape, size, stride): square and rectangular windows, overlapping, tiling and gapped strides,
# odd sides whose last rows/columns do not fill a window, a window as large as the map
GRID = [((2, 6, 6, 1), 2, None), ((2, 6, 6, 1), 3, 1), ((1, 6, 6, 1), 3, 3), ((3, 7, 5, 2), 2, 2),
        ((1, 7, 9, 3), 3, 2), ((2, 5, 5, 1), (2, 3), (1, 2)), ((1, 8, 8, 4), 2, 3), ((1, 4, 6, 2), (4, 2), None),
        ((1, 9, 4, 1), (3, 1), (2, 1)), ((2, 3, 3, 2), 3, 1), ((1, 5, 7, 1), 1, 1), ((1, 11, 6, 2), 4, (3, 1))]


@pytest.mark.parametrize("shape, size, stride", GRID)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_naive_loop_and_reduce_window(shape, size, stride, kind):
    x = RNG.normal(size=shape).astype(np.float32)
    pool = pooling.max_pool2d if kind == "max" else pooling.avg_pool2d
    y = np.asarray(pool(x, size, stride))
    step = size if stride is None else stride
    expected = _pool_loop(x, size, step, np.max if kind == "max" else np.mean)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y, np.asarray(_reduce_window(x, size, step, kind)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, size, stride", GRID)
def test_output_shape_follows_floor_formula(shape, size, stride):
    (kh, kw), (sh, sw) = _pair(size), _pair(size if stride is None else stride)
    expected = (shape[0], (shape[1] - kh) // sh + 1, (shape[2] - kw) // sw + 1, shape[3])
    x = jnp.zeros(shape)
    assert pooling.max_pool2d(x, size, stride).shape == expected
    assert pooling.avg_pool2d(x, size, stride).shape == expected
    assert pooling.pool_output_size(shape[1], kh, sh) == expected[1]
    assert pooling.pool_output_size(shape[2], kw, sw) == expected[2]


@pytest.mark.parametrize("n, size, stride", [(6, 3, 1), (6, 3, 3), (7, 2, None), (9, 4, 2), (5, 5, 1), (8, 3, 5)])
def test_pool_output_size_counts_the_windows_that_fit(n, size, stride):
    step = size if stride is None else stride
    count = len(range(0, n - size + 1, step))         # window starts 0, S, 2S, … that still fit
    assert pooling.pool_output_size(n, size, stride) == count
    assert pooling.pool_output_size(n, size, stride) == conv.conv_output_size(n, size, 0, step)


def test_stride_defaults_to_the_window_size():
    x = RNG.normal(size=(2, 8, 6, 3)).astype(np.float32)
    np.testing.assert_array_equal(pooling.max_pool2d(x, 2), pooling.max_pool2d(x, 2, 2))
    np.testing.assert_array_equal(pooling.avg_pool2d(x, (4, 3)), pooling.avg_pool2d(x, (4, 3), (4, 3)))


def test_int_and_pair_arguments_agree():
    x = RNG.normal(size=(1, 7, 7, 2)).astype(np.float32)
    np.testing.assert_array_equal(pooling.max_pool2d(x, 3, 2), pooling.max_pool2d(x, (3, 3), (2, 2)))
    np.testing.assert_array_equal(pooling.avg_pool2d(x, 3, 2), pooling.avg_pool2d(x, [3, 3], [2, 2]))


def test_channels_and_examples_are_pooled_independently():
    x = RNG.normal(size=(3, 6, 6, 4)).astype(np.float32)
    y = np.asarray(pooling.max_pool2d(x, 2))
    for n, c in itertools.product(range(3), range(4)):
        np.testing.assert_array_equal(y[n:n + 1, ..., c:c + 1], pooling.max_pool2d(x[n:n + 1, ..., c:c + 1], 2))


@pytest.mark.parametrize("shape, size, stride", GRID)
def test_pool_windows_lists_each_window_row_by_row(shape, size, stride):
    x = RNG.normal(size=shape).astype(np.float32)
    win = np.asarray(pooling.pool_windows(x, size, stride))
    (kh, kw), (sh, sw) = _pair(size), _pair(size if stride is None else stride)
    for i, j in [(0, 0), (win.shape[1] - 1, win.shape[2] - 1)]:
        expected = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :].reshape(shape[0], kh * kw, shape[3])
        np.testing.assert_array_equal(win[:, i, j], expected)


# ---- average pooling is a strided convolution with weights 1/n (seed 002, "Strided Convolution") ----

@pytest.mark.parametrize("shape, size, stride", GRID)
def test_avg_pool_equals_depthwise_strided_convolution_with_weights_one_over_n(shape, size, stride):
    x = RNG.normal(size=shape).astype(np.float32)
    (kh, kw), step = _pair(size), _pair(size if stride is None else stride)
    c = shape[3]
    kernel = jnp.full((kh, kw, 1, c), 1.0 / (kh * kw))      # HWIO, one 1/n filter per channel
    expected = jax.lax.conv_general_dilated(x, kernel, step, "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                            feature_group_count=c)
    np.testing.assert_allclose(pooling.avg_pool2d(x, size, stride), expected, rtol=1e-5, atol=1e-6)


def test_avg_pool_equals_course_conv2d_with_a_diagonal_one_over_n_kernel():
    x = RNG.normal(size=(2, 9, 7, 3)).astype(np.float32)
    w = np.zeros((3, 3, 3, 3), np.float32)
    for c in range(3):
        w[:, :, c, c] = 1 / 9                      # channel c reads only channel c: no mixing
    np.testing.assert_allclose(pooling.avg_pool2d(x, 3, 2), conv.conv2d(x, w, stride=2), rtol=1e-5, atol=1e-6)


# ---- indices and max unpooling -------------------------------------------------------------------

@pytest.mark.parametrize("shape, size, stride", GRID)
def test_indices_point_at_the_first_maximum_of_each_window(shape, size, stride):
    x = RNG.integers(0, 4, size=shape).astype(np.float32)     # small integers: many ties
    y, idx = pooling.max_pool2d_with_indices(x, size, stride)
    step = size if stride is None else stride
    np.testing.assert_array_equal(idx, _argmax_loop(x, size, step))
    np.testing.assert_array_equal(y, pooling.max_pool2d(x, size, stride))
    flat = x.reshape(shape[0], -1, shape[3])
    np.testing.assert_array_equal(np.take_along_axis(flat, np.asarray(idx).reshape(shape[0], -1, shape[3]), 1),
                                  np.asarray(y).reshape(shape[0], -1, shape[3]))
    assert idx.dtype == jnp.int32


@pytest.mark.parametrize("shape, size, stride", GRID)
def test_max_unpool_matches_loop(shape, size, stride):
    x = RNG.normal(size=shape).astype(np.float32)
    y, idx = pooling.max_pool2d_with_indices(x, size, stride)
    g = RNG.normal(size=y.shape).astype(np.float32)
    z = pooling.max_unpool2d(g, idx, shape[1:3])
    assert z.shape == shape
    np.testing.assert_allclose(z, _unpool_loop(g, np.asarray(idx), shape[1:3]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, size, stride", GRID)
def test_max_unpool_is_the_backward_pass_of_max_pooling(shape, size, stride):
    x = RNG.normal(size=shape).astype(np.float32)            # continuous values: no ties inside a window
    step = size if stride is None else stride
    y, vjp = jax.vjp(lambda v: _reduce_window(v, size, step, "max"), jnp.asarray(x))
    g = RNG.normal(size=y.shape).astype(np.float32)
    _, idx = pooling.max_pool2d_with_indices(x, size, stride)
    np.testing.assert_allclose(pooling.max_unpool2d(g, idx, shape[1:3]), vjp(g)[0], rtol=1e-5, atol=1e-5)


def test_unpool_of_pool_keeps_only_each_windows_maximum():
    x = RNG.uniform(0.1, 1.0, size=(2, 6, 6, 3)).astype(np.float32)   # positive: the zeros stay below
    y, idx = pooling.max_pool2d_with_indices(x, 2)
    z = np.asarray(pooling.max_unpool2d(y, idx, (6, 6)))
    assert np.count_nonzero(z) == y.size                   # one survivor per window
    np.testing.assert_array_equal(pooling.max_pool2d(z, 2), y)   # pooling again gives the same maxima
    np.testing.assert_array_equal(z[z != 0], x[z != 0])


# ---- the slides' worked numbers ------------------------------------------------------------------

def test_seed000_max_pool_3x3_stride1_gives_the_slides_4x4_map():
    slide = [[5, 8, 8, 8], [3, 5, 7, 7], [7, 7, 7, 7], [7, 7, 7, 6]]
    y = np.asarray(pooling.max_pool2d(_nhwc(SEED000_F), 3, 1))[0, :, :, 0]
    np.testing.assert_array_equal(y, _pool_loop(_nhwc(SEED000_F), 3, 1, np.max)[0, :, :, 0])
    np.testing.assert_array_equal(y, slide)


def test_seed000_max_pool_3x3_stride3_gives_the_slides_2x2_map():
    y = np.asarray(pooling.max_pool2d(_nhwc(SEED000_F), 3, 3))[0, :, :, 0]
    np.testing.assert_array_equal(y, [[5, 8], [7, 6]])
    np.testing.assert_array_equal(y, [[SEED000_F[:3, :3].max(), SEED000_F[:3, 3:].max()],
                                      [SEED000_F[3:, :3].max(), SEED000_F[3:, 3:].max()]])


def test_seed000_example_average_pooling_3x3_stride3():
    y = np.asarray(pooling.avg_pool2d(_nhwc(SEED000_F), 3))[0, :, :, 0]
    np.testing.assert_allclose(y * 9, [[18, 37], [20, 29]], rtol=1e-6)    # the window sums


def test_seed002_max_pooling_remembers_where_each_maximum_was():
    y, idx = pooling.max_pool2d_with_indices(_nhwc(SEED002_A), 2)
    np.testing.assert_array_equal(np.asarray(y)[0, :, :, 0], [[5, 6], [7, 8]])
    positions = [divmod(int(i), 4) for i in np.asarray(idx).ravel()]
    assert positions == [(1, 1), (0, 2), (3, 0), (3, 3)]


def test_seed002_max_unpooling_puts_1_2_3_4_where_the_maxima_were():
    _, idx = pooling.max_pool2d_with_indices(_nhwc(SEED002_A), 2)
    z = np.asarray(pooling.max_unpool2d(_nhwc([[1, 2], [3, 4]]), idx, (4, 4)))[0, :, :, 0]
    np.testing.assert_array_equal(z, [[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]])


# ---- global average pooling, flatten, jit and grad ---------------------------------------------------

def test_global_avg_pool_is_the_mean_of_each_channel_and_avg_pool_with_the_whole_map():
    x = RNG.normal(size=(3, 5, 4, 6)).astype(np.float32)
    g = pooling.global_avg_pool2d(x)
    assert g.shape == (3, 6)
    np.testing.assert_allclose(g, x.astype(np.float64).mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, pooling.avg_pool2d(x, (5, 4))[:, 0, 0, :], rtol=1e-5, atol=1e-6)


def test_flatten_keeps_examples_and_orders_h_w_c():
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5).astype(np.float32)
    f = np.asarray(pooling.flatten(x))
    assert f.shape == (2, 60)
    h, w, c = 2, 1, 3
    assert f[1, h * 4 * 5 + w * 5 + c] == x[1, h, w, c]


def test_pooling_works_inside_jit_and_grad():
    x = jnp.asarray(RNG.normal(size=(2, 6, 6, 2)).astype(np.float32))
    loss = jax.jit(lambda v: jnp.sum(pooling.max_pool2d(v, 2) ** 2) + jnp.sum(pooling.avg_pool2d(v, 3, 1)))
    grad = jax.grad(loss)(x)
    expected = jax.grad(lambda v: jnp.sum(_reduce_window(v, 2, 2, "max") ** 2)
                        + jnp.sum(_reduce_window(v, 3, 1, "avg")))(x)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-5)


def test_avg_pool_gradient_matches_central_differences():
    x = RNG.normal(size=(1, 5, 5, 1))
    w = RNG.normal(size=(1, 2, 2, 1))
    f = lambda v: float(jnp.sum(pooling.avg_pool2d(jnp.asarray(v, jnp.float32), 2, 2) * w))
    grad = np.asarray(jax.grad(lambda v: jnp.sum(pooling.avg_pool2d(v, 2, 2) * w))(jnp.asarray(x, jnp.float32)))
    eps = 1e-2
    for pos in [(0, 0, 0, 0), (0, 1, 3, 0), (0, 4, 4, 0), (0, 3, 2, 0)]:
        e = np.zeros_like(x)
        e[pos] = eps
        numeric = (f(x + e) - f(x - e)) / (2 * eps)
        assert grad[pos] == pytest.approx(numeric, abs=1e-3)


# ---- ValueErrors name the function, the argument, what was expected and what arrived ------------------

@pytest.mark.parametrize("fn", [pooling.max_pool2d, pooling.avg_pool2d, pooling.max_pool2d_with_indices,
                                pooling.pool_windows])
def test_window_larger_than_the_input_is_rejected(fn):
    with pytest.raises(ValueError) as error:
        fn(np.zeros((1, 4, 6, 1)), 5)
    message = str(error.value)
    assert message.startswith(fn.__name__ + ": size")
    assert "window height 5 is larger than the input height 4" in message and "(1, 4, 6, 1)" in message


@pytest.mark.parametrize("fn", [pooling.max_pool2d, pooling.avg_pool2d])
@pytest.mark.parametrize("size, stride, name, shown", [(0, None, "size", "0"), (-2, None, "size", "-2"),
                                                       (2, 0, "stride", "0"), (2, (1, -1), "stride", "-1"),
                                                       (2.5, None, "size", "2.5"), (True, None, "size", "True")])
def test_non_positive_or_non_integer_size_and_stride_are_rejected(fn, size, stride, name, shown):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: {name} must be a positive integer, got {shown}$"):
        fn(np.zeros((1, 4, 4, 1)), size, stride)


def test_pair_of_the_wrong_length_is_rejected():
    with pytest.raises(ValueError, match=r"max_pool2d: size must be a positive integer or an \(h, w\) pair, "
                                         r"got \(2, 2, 2\)"):
        pooling.max_pool2d(np.zeros((1, 4, 4, 1)), (2, 2, 2))


@pytest.mark.parametrize("fn", [pooling.max_pool2d, pooling.avg_pool2d, pooling.max_pool2d_with_indices])
@pytest.mark.parametrize("shape", [(4, 4), (4, 4, 1), (1, 1, 4, 4, 1)])
def test_wrong_ndim_is_rejected_with_the_expected_layout(fn, shape):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: x must have shape \(N, H, W, C\), "
                                         rf"got shape {re_tuple(shape)}$"):
        fn(np.zeros(shape), 2)


def re_tuple(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def test_non_numeric_input_is_rejected():
    with pytest.raises(ValueError, match="avg_pool2d: x must be an array of numbers"):
        pooling.avg_pool2d([[object()]], 1)


def test_pool_output_size_rejects_a_window_larger_than_n():
    with pytest.raises(ValueError, match="pool_output_size: window size 7 is larger than the input side n = 6"):
        pooling.pool_output_size(6, 7)


def test_max_unpool_rejects_mismatched_indices_and_small_outputs():
    y, idx = pooling.max_pool2d_with_indices(np.zeros((1, 4, 4, 2)), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: indices must have the shape of y \(1, 2, 2, 2\), "
                                         r"got \(1, 2, 2, 1\)"):
        pooling.max_unpool2d(y, idx[..., :1], (4, 4))
    with pytest.raises(ValueError, match="max_unpool2d: indices must be integer positions"):
        pooling.max_unpool2d(y, idx.astype(jnp.float32), (4, 4))
    with pytest.raises(ValueError, match=r"max_unpool2d: output_hw \(1, 4\) must be at least the pooled size"):
        pooling.max_unpool2d(y, idx, (1, 4))
    with pytest.raises(ValueError, match=r"max_unpool2d: y must have shape \(N, H_out, W_out, C\)"):
        pooling.max_unpool2d(y[0], idx[0], (4, 4))


def test_flatten_and_global_pool_reject_wrong_shapes():
    with pytest.raises(ValueError, match=r"flatten: x must have shape \(N, \.\.\.\)"):
        pooling.flatten(np.zeros(3))
    with pytest.raises(ValueError, match=r"global_avg_pool2d: x must have shape \(N, H, W, C\), got shape \(4, 4\)"):
        pooling.global_avg_pool2d(np.zeros((4, 4)))


# ---- the slides' mistakes, pinned with independently computed values -----------------------------------

def test_seed001_alexnet_first_layer_has_290400_neurons_not_the_slides_253440():
    side = len(range(0, 227 - 11 + 1, 4))                   # 11×11 windows at stride 4 on 227 pixels
    assert side == 55
    assert side * side * 96 == 290_400 != 253_440
    # the other counts of the slide follow from the overlapping 3×3 / 2 poolings: 55 → 27 → 13
    assert pooling.pool_output_size(55, 3, 2) == 27 and 27 * 27 * 256 == 186_624
    assert pooling.pool_output_size(27, 3, 2) == 13 and 13 * 13 * 384 == 64_896 and 13 * 13 * 256 == 43_264
    assert pooling.pool_output_size(13, 3, 2) == 6


def test_seed002_cam_global_average_pooling_divides_the_slides_sum_by_h_times_w():
    f = RNG.uniform(size=(1, 7, 7, 4)).astype(np.float32)
    slide_sum = f.astype(np.float64).sum(axis=(1, 2))
    np.testing.assert_allclose(pooling.global_avg_pool2d(f), slide_sum / 49, rtol=1e-5)
    assert not np.allclose(pooling.global_avg_pool2d(f), slide_sum)


def test_seed002_transposed_convolution_stride_0_does_not_exist_stride_1_gives_the_pictures_sizes():
    x, w = np.ones((1, 3, 3, 1), np.float32), np.ones((3, 3, 1, 1), np.float32)
    with pytest.raises(ValueError, match="stride must be a positive integer, got 0"):
        conv.conv_transpose2d(x, w, stride=0)
    # stride 1 on the slide's 3×3 feature map: padding 0 grows it to 5×5, padding 1 keeps 3×3
    assert conv.conv_transpose2d(x, w, stride=1, padding=0).shape == (1, 5, 5, 1)
    assert conv.conv_transpose2d(x, w, stride=1, padding=1).shape == (1, 3, 3, 1)
    assert conv.conv_transpose2d(x, w, stride=2, padding=0).shape == (1, 7, 7, 1)


def test_seed002_googlenet_pooling_rows_need_one_pixel_of_padding():
    # 3×3 max pooling at stride 2 halves 112 → 56 → 28 → 14 → 7 only with padding 1; without it 112 → 55
    assert pooling.pool_output_size(112, 3, 2) == 55
    assert [conv.conv_output_size(n, 3, 1, 2) for n in (112, 56, 28, 14)] == [56, 28, 14, 7]
    assert pooling.pool_output_size(7, 7, 1) == 1

"""Checks for exercise 5, pooling and a small CNN (solutions/05_pooling_cnn.ipynb): one function per question.

    check.max_pool2d(fn)    check.avg_pool2d(fn)    check.max_unpool2d(fn)    check.cnn_shapes(fn)
    check.cnn_forward(fn)    check.example_params() (the parameters of cnn_forward's first case)

Each runs the lecture's worked examples (seed 000's 6×6 map, seed 002's 4×4 unpooling example, the digits
CNN), then `n_random` random cases, against course_lib.pooling and course_lib.cnn. A failure raises
AssertionError with the case, the expected and the received value and a hint; a known mistake (a stride
that is ignored, a kernel 1/n that mixes channels, a maximum put back twice, a forgotten padding, a softmax
at the end of the network) gets a hint that names it. Success prints one line that depends on n_random only.

seed fixes the random cases of the visible checks; seed=None (the hidden tests) draws fresh cases. Random
shapes come from a few fixed choices, because JAX compiles each operation once per shape.
"""
import jax.numpy as jnp
import numpy as np

from course_lib import activations as _activations
from course_lib import cnn as _cnn
from course_lib import conv as _conv
from course_lib import data as _data
from course_lib import layers as _layers
from course_lib import pooling as _pooling
from course_lib.checks._core import Case, as_array, assert_close, call, cases_rng, show

__all__ = ["max_pool2d", "avg_pool2d", "max_unpool2d", "cnn_shapes", "cnn_forward"]

_HINTS = {
    "max_pool2d": "output side H_out = (H − K) // S + 1; y[:, i, j, :] is the max of x[:, i·S:i·S+K, j·S:j·S+K, :] "
                  "over axes 1 and 2 (jnp.max(..., axis=(1, 2))), channel by channel; stride=None means S = K.",
    "avg_pool2d": "the same windows as max pooling, with jnp.mean instead of jnp.max; or conv.conv2d with stride S "
                  "and a (K, K, C, C) kernel that is 1/K² where input channel = output channel and 0 elsewhere.",
    "max_unpool2d": "for each K×K window of x find the position of its first maximum (jnp.argmax of the "
                    "flattened window), and put the matching value of y there; every other entry is 0.",
    "cnn_shapes": "a conv layer gives H + 2P − K + 1 rows (stride 1) and as many channels as it has filters; "
                  "a pool of size p (stride p) gives (H − p) // p + 1 rows and keeps the channels.",
    "cnn_forward": "for each conv layer: h = max_pool2d(relu(conv.conv2d(h, w, b, padding=K // 2)), 2); then "
                   "h.reshape(N, -1), then the dense layers with ReLU between them and none after the last.",
}

SEED000_F = ((1, 4, 5, 8, 2, 1), (0, 3, 1, 5, 7, 2), (1, 2, 1, 4, 7, 1),
             (2, 2, 0, 3, 6, 2), (0, 1, 7, 3, 5, 3), (1, 3, 4, 1, 2, 4))
SEED002_A = ((1, 2, 6, 3), (3, 5, 2, 1), (1, 2, 2, 1), (7, 3, 4, 8))

# (shape, size, stride) of the random pooling cases: tiling, overlapping and gapped strides, odd sides
_POOL_GEOMETRIES = (((2, 6, 6, 1), 2, 2), ((1, 7, 7, 3), 3, 2), ((2, 8, 6, 2), 2, 1), ((1, 9, 9, 1), 3, 3),
                    ((3, 5, 7, 2), 2, 3))
_UNPOOL_GEOMETRIES = (((2, 4, 4, 1), 2), ((1, 6, 6, 3), 3), ((2, 8, 6, 2), 2), ((1, 6, 9, 2), 3))


def max_pool2d(fn, *, seed=0, n_random=5):
    """Question 1: max pooling of (N, H, W, C) with window K and stride S, against course_lib.pooling."""
    cases = _pool_cases("max_pool2d", seed, n_random)
    count = _check("max_pool2d", fn, _pooling.max_pool2d, cases)
    print(f"ok: max_pool2d passes {count} cases")


def avg_pool2d(fn, *, seed=0, n_random=5):
    """Question 2: average pooling of (N, H, W, C) with window K and stride S, against course_lib.pooling."""
    cases = _pool_cases("avg_pool2d", seed, n_random, channels=3)
    count = _check("avg_pool2d", fn, _pooling.avg_pool2d, cases)
    print(f"ok: avg_pool2d passes {count} cases")


def max_unpool2d(fn, *, seed=0, n_random=5):
    """Question 3: max_unpool2d(x, y, K) puts y at the maxima of x's K×K windows (stride K), zeros elsewhere."""
    rng = cases_rng(seed)
    a = _nhwc(SEED002_A)
    cases = [Case("max_unpool2d(x, y, 2) with x = seed 002's 4×4 map, y = [[1, 2], [3, 4]]",
                  (a, _nhwc(((1, 2), (3, 4))), 2)),
             Case(f"max_unpool2d(x, y, 3) with x = seed 000's 6×6 map and y = its own max pooling [[5, 8], [7, 6]]",
                  (_nhwc(SEED000_F), _nhwc(((5, 8), (7, 6))), 3))]
    tie = _nhwc(((1, 9, 0, 0), (9, 2, 0, 0), (3, 3, 4, 4), (3, 3, 4, 4)))
    cases.append(Case(f"max_unpool2d(x, y, 2) with x = {show(tie[0, :, :, 0])}: windows holding their maximum "
                      f"more than once (the first one, row by row, gets the value)", (tie, _nhwc(((5, 6), (7, 8))), 2)))
    for i in range(n_random):
        shape, size = _UNPOOL_GEOMETRIES[int(rng.integers(len(_UNPOOL_GEOMETRIES)))]
        x = _normal(rng, shape)
        y = _normal(rng, (shape[0], shape[1] // size, shape[2] // size, shape[3]))
        cases.append(Case(f"max_unpool2d(x, y, {size}) with x of shape {shape}, y of shape {tuple(y.shape)} "
                          f"(random case {i + 1})", (x, y, size)))
    count = _check("max_unpool2d", fn, _unpool_reference, cases)
    print(f"ok: max_unpool2d passes {count} cases")


def cnn_shapes(fn, *, seed=0, n_random=5):
    """Question 4: the shape of one example after every conv and pool layer, as a list of (H, W, C) tuples."""
    rng = cases_rng(seed)
    cases = [((8, 8, 1), (16, 32), 3, 1, 2, "the lecture's digits CNN"),
             ((32, 32, 1), (6, 16), 5, 0, 2, "LeNet-5's two conv blocks (seed 004)"),
             ((9, 7, 3), (4,), 3, 1, 2, "odd sides: the last row and column are dropped by the pooling")]
    while len(cases) < 3 + n_random:
        k = int(rng.choice([1, 3, 5]))
        p, pool = int(rng.integers(0, k // 2 + 1)), int(rng.choice([2, 3]))
        channels = tuple(int(c) for c in rng.choice([2, 4, 6, 8, 16], size=int(rng.integers(1, 3))))
        in_shape = (int(rng.integers(12, 40)), int(rng.integers(12, 40)), int(rng.choice([1, 3])))
        try:
            _shapes_reference(in_shape, channels, k, p, pool)
        except ValueError:  # the maps became smaller than a window: draw another network
            continue
        cases.append((in_shape, channels, k, p, pool, f"random case {len(cases) - 2}"))
    hint = _HINTS["cnn_shapes"]
    for in_shape, channels, k, p, pool, note in cases:
        description = (f"cnn_shapes({in_shape}, {channels}, kernel={k}, padding={p}, pool={pool}) ({note})")
        expected = _shapes_reference(in_shape, channels, k, p, pool)
        received = call("cnn_shapes", fn, in_shape, channels, k, p, pool, case=description, hint=hint)
        _compare_shapes(description, received, expected, in_shape, channels, k, p, pool)
    print(f"ok: cnn_shapes passes {len(cases)} cases")


def cnn_forward(fn, *, seed=0, n_random=3):
    """Question 5: the logits of a course_lib.cnn network, computed with the student's own pooling."""
    rng = cases_rng(seed)
    digits = _data.digits(images=True).x_test[:4]
    cases = [Case("cnn_forward(params, x) with params = example_params(), the lecture's digits CNN (16 and 32 "
                  "filters of 3×3, 10 classes) with random weights, and 4 test digits", (example_params(), digits))]
    configs = (((8, 8, 1), (4, 8), 3, ()), ((12, 10, 3), (6,), 5, (7,)), ((8, 8, 2), (3, 5), 3, (6, 4)))
    for i in range(n_random):
        in_shape, channels, k, hidden = configs[int(rng.integers(len(configs)))]
        params = _random_cnn(rng, in_shape, channels, k, hidden, 5)
        x = _normal(rng, (3, *in_shape))
        cases.append(Case(f"cnn_forward(params, x) with x of shape {(3, *in_shape)}, {len(channels)} conv layer(s) "
                          f"with {channels} filters of {k}×{k}, dense layers {hidden} → 5 (random case {i + 1})",
                          (params, x)))
    count = _check("cnn_forward", fn, _cnn.cnn, cases, atol=1e-4)
    print(f"ok: cnn_forward passes {count} cases")


def example_params():
    """The parameters of the lecture's digits CNN (input (8, 8, 1), 16 and 32 filters of 3×3, 10 classes),
    with fixed He-normal random weights: the first case of check.cnn_forward."""
    return _random_cnn(np.random.default_rng(0), (8, 8, 1), (16, 32), 3, (), 10)


def _random_cnn(rng, in_shape, channels, kernel, hidden, classes):
    """A course_lib.cnn.CNNParams with He-normal weights and small random biases, drawn with NumPy (fast:
    no JAX random kernels to compile)."""
    convs, c_in = [], in_shape[2]
    for c_out in channels:
        w = _normal(rng, (kernel, kernel, c_in, c_out), np.sqrt(2 / (kernel * kernel * c_in)))
        convs.append(_cnn.ConvParams(w, _normal(rng, (c_out,), 0.3)))
        c_in = c_out
    (flat,) = _cnn.cnn_shapes(in_shape, channels, kernel=kernel)[-1][1]
    sizes = (flat, *hidden, classes)
    dense = tuple(_layers.DenseParams(_normal(rng, (m, n), np.sqrt(2 / m)), _normal(rng, (n,), 0.3))
                  for m, n in zip(sizes[:-1], sizes[1:]))
    return _cnn.CNNParams(tuple(convs), dense)


# ---------------------------------------------------------------- references and known mistakes

def _unpool_reference(x, y, size):
    _, indices = _pooling.max_pool2d_with_indices(x, size)
    return _pooling.max_unpool2d(y, indices, x.shape[1:3])


def _shapes_reference(in_shape, channels, k, p, pool):
    h, w, _ = in_shape
    shapes = []
    for c in channels:
        h, w = _conv.conv_output_size(h, k, p), _conv.conv_output_size(w, k, p)
        shapes.append((h, w, c))
        h, w = _pooling.pool_output_size(h, pool), _pooling.pool_output_size(w, pool)
        shapes.append((h, w, c))
    return shapes


def _shapes_mistakes(in_shape, channels, k, p, pool):
    """(wrong list, hint) for the usual slips in the shape arithmetic."""
    def walk(conv_side, pool_side, channel_of):
        h, w, c_in = in_shape
        out = []
        for c in channels:
            h, w = conv_side(h), conv_side(w)
            out.append((h, w, channel_of(c, c_in)))
            h, w = pool_side(h), pool_side(w)
            out.append((h, w, channel_of(c, c_in)))
        return out

    same, floor = (lambda n: n + 2 * p - k + 1), (lambda n: (n - pool) // pool + 1)
    return [
        (walk(lambda n: n - k + 1, floor, lambda c, c_in: c),
         "the padding is missing: with P zeros on each side a conv layer gives H + 2P − K + 1 rows."),
        (walk(same, lambda n: -(-(n - pool) // pool) + 1, lambda c, c_in: c),
         "pooling rounds DOWN: a window that would hang over the border is dropped, so (H − p) // p + 1."),
        (walk(same, lambda n: n // pool if n % pool == 0 else n // pool + 1, lambda c, c_in: c),
         "pooling rounds DOWN: a window that would hang over the border is dropped, so (H − p) // p + 1."),
        (walk(same, floor, lambda c, c_in: c_in),
         "a conv layer outputs one channel per filter: C becomes the layer's number of filters."),
        (walk(same, lambda n: n, lambda c, c_in: c),
         "the pooling layer is missing: after each conv layer a pool of size p shrinks H and W."),
    ]


def _compare_shapes(description, received, expected, *args):
    hint = _HINTS["cnn_shapes"]
    want = f"a list of {len(expected)} (H, W, C) tuples, one after each conv layer and one after each pool layer"
    if received is None:
        raise AssertionError(f"cnn_shapes on {description} returned None. Did you forget the `return` statement? "
                             f"It should return {want}.\nHint: {hint}")
    if not isinstance(received, (list, tuple)):
        raise AssertionError(f"cnn_shapes on {description} returned a {type(received).__name__}; expected {want}."
                             f"\nHint: {hint}")
    if len(received) != len(expected):
        raise AssertionError(f"cnn_shapes on {description} returned {len(received)} entries; expected {want}: "
                             f"{expected}.\nHint: {hint}")
    got = []
    for layer, shape in enumerate(received):
        if not isinstance(shape, (tuple, list)) or len(shape) != 3 or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in shape):
            raise AssertionError(f"cnn_shapes on {description}: entry {layer} is {shape!r}; expected a tuple of "
                                 f"three ints (H, W, C) like {expected[layer]}.\nHint: {hint}")
        got.append(tuple(int(v) for v in shape))
    if got != expected:
        layer = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
        name = f"{'conv' if layer % 2 == 0 else 'pool'}{layer // 2 + 1}"
        for wrong, why in _shapes_mistakes(*args):
            if got == wrong:
                hint = why
                break
        raise AssertionError(f"cnn_shapes on {description}: after {name} expected {expected[layer]}, got "
                             f"{got[layer]} (all expected: {expected}).\nHint: {hint}")


def _ignores_stride(x, size, stride=None):
    return _pooling.max_pool2d(x, size)


def _avg_over_k(x, size, stride=None):
    return _pooling.avg_pool2d(x, size, stride) * size


def _avg_mixing_channels(x, size, stride=None):
    c = x.shape[-1]
    w = jnp.full((size, size, c, c), 1.0 / (size * size))
    return _conv.conv2d(x, w, stride=size if stride is None else stride)


def _unpool_every_maximum(x, y, size):
    """The mask x == (its window's maximum): a tie puts the value in more than one place."""
    upsampled = jnp.repeat(jnp.repeat(_pooling.max_pool2d(x, size), size, 1), size, 2)
    values = jnp.repeat(jnp.repeat(y, size, 1), size, 2)
    h, w = upsampled.shape[1:3]
    return jnp.zeros_like(x).at[:, :h, :w].set(jnp.where(x[:, :h, :w] == upsampled, values, 0.0))


def _unpool_nearest(x, y, size):
    values = jnp.repeat(jnp.repeat(y, size, 1), size, 2)
    h, w = values.shape[1:3]
    return jnp.zeros_like(x).at[:, :h, :w].set(values)


def _forward_with_softmax(params, x):
    return _activations.softmax(_cnn.cnn(params, x))


def _forward_without_relu(params, x):
    h = x
    for layer in params.convs:
        k = layer.w.shape[0]
        h = _pooling.max_pool2d(_conv.conv2d(h, layer.w, layer.b, padding=k // 2), 2)
    return _layers.mlp(params.dense, h.reshape(h.shape[0], -1))


def _forward_channels_first_flatten(params, x):
    h = _cnn.cnn_activations(params, x)[f"pool{len(params.convs)}"]
    return _layers.mlp(params.dense, jnp.transpose(h, (0, 3, 1, 2)).reshape(h.shape[0], -1))


_MISTAKES = {
    "max_pool2d": [(_ignores_stride, "the stride is ignored: windows start every S pixels (i·S), which is not "
                                     "the window size K when S ≠ K. Only stride=None means S = K.")],
    "avg_pool2d": [(_avg_over_k, "divide each window's sum by the number of values in it, K·K = K², not by K."),
                   (_avg_mixing_channels, "a (K, K, C, C) kernel full of 1/K² adds up all C channels: channel c "
                                          "of the output must read only channel c of the input (w[:, :, c, c] = 1/K², "
                                          "0 elsewhere).")],
    "max_unpool2d": [(_unpool_every_maximum, "a window whose maximum occurs twice must get the value once, at its "
                                             "FIRST maximum row by row (jnp.argmax), not at every position equal "
                                             "to the maximum."),
                     (_unpool_nearest, "every value was copied to the whole window (nearest-neighbour upsampling): "
                                       "max unpooling puts it only where the window's maximum was, 0 elsewhere.")],
    "cnn_forward": [(_forward_with_softmax, "return the logits: the softmax belongs to the loss, and cnn_forward "
                                            "stops at the last dense layer."),
                    (_forward_without_relu, "the ReLU is missing: each block is conv → ReLU → max pool."),
                    (_forward_channels_first_flatten, "flatten the channel-last maps as they are, "
                                                      "h.reshape(N, -1), in (H, W, C) order: the dense weights "
                                                      "expect that order.")],
}


def _check(name, fn, reference, cases, *, atol=1e-5):
    """Compare fn with reference on every case; when a failing answer matches a known mistake, its hint
    replaces the general one."""
    hint = _HINTS[name]
    for case in cases:
        expected = reference(*case.args)
        received = call(name, fn, *case.args, case=case.description, hint=hint)
        try:
            _compare(name, case.description, received, expected, atol, hint)
        except AssertionError:
            for mistake, why in _MISTAKES.get(name, ()):
                try:
                    _compare(name, case.description, received, mistake(*case.args), atol, "")
                except AssertionError:
                    continue
                _compare(name, case.description, received, expected, atol, why)
            raise
    return len(cases)


def _compare(name, case, received, expected, atol, hint):
    """assert_close, but a single map (1, H, W, 1) is shown as the H×W matrix a student reads on a slide."""
    want = np.asarray(expected, dtype=np.float64)
    if want.ndim == 4 and want.shape[0] == 1 and want.shape[3] == 1:
        got = as_array(name, case, received, want.shape, hint=hint)
        assert_close(name, f"{case}, shown as the map [0, :, :, 0]", got[0, :, :, 0], want[0, :, :, 0],
                     atol=atol, hint=hint)
    else:
        assert_close(name, case, received, want, atol=atol, hint=hint)


def _pool_cases(name, seed, n_random, channels=1):
    rng = cases_rng(seed)
    f = _nhwc(SEED000_F)
    cases = [Case("{name}(x, 3, 1) with x = seed 000's 6×6 map (stride 1: 4×4)", (f, 3, 1)),
             Case("{name}(x, 3, 3) with x = seed 000's 6×6 map (stride 3: 2×2)", (f, 3, 3)),
             Case("{name}(x, 2) with x = seed 000's 6×6 map (stride=None means stride = size: 3×3)", (f, 2))]
    if channels > 1:
        two = jnp.concatenate([f, 10 - f, -f], axis=-1)
        cases.append(Case("{name}(x, 3, 3) with 3 channels: seed 000's map f, 10 − f and −f", (two, 3, 3)))
    for i in range(n_random):
        shape, size, stride = _POOL_GEOMETRIES[int(rng.integers(len(_POOL_GEOMETRIES)))]
        x = _normal(rng, shape)
        cases.append(Case(f"{{name}}(x, {size}, {stride}) with x of shape {shape} (random case {i + 1})",
                          (x, size, stride)))
    return [Case(c.description.replace("{name}", name), c.args) for c in cases]


def _nhwc(rows):
    return jnp.asarray(rows, jnp.float32)[None, :, :, None]


def _normal(rng, shape, scale=1.0):
    return jnp.asarray(rng.normal(0, scale, shape), jnp.float32)

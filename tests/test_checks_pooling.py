"""course_lib.checks.pooling: the checks of exercise 5 pass the reference answers, reject the usual wrong
ones with a message that names the mistake, reject wrong types and shapes, and print one seed-free line."""
import itertools

import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import activations, cnn, conv, pooling
from course_lib.checks import pooling as check


def reference_unpool(x, y, size):
    _, indices = pooling.max_pool2d_with_indices(x, size)
    return pooling.max_unpool2d(y, indices, x.shape[1:3])


def reference_shapes(in_shape, channels, kernel, padding, pool):
    """Written out by hand here, independently of the check's own reference."""
    h, w, _ = in_shape
    out = []
    for c in channels:
        h, w = h + 2 * padding - kernel + 1, w + 2 * padding - kernel + 1
        out.append((h, w, c))
        h, w = (h - pool) // pool + 1, (w - pool) // pool + 1
        out.append((h, w, c))
    return out


REFERENCES = {
    "max_pool2d": pooling.max_pool2d,
    "avg_pool2d": pooling.avg_pool2d,
    "max_unpool2d": reference_unpool,
    "cnn_shapes": reference_shapes,
    "cnn_forward": cnn.cnn,
}


def failure(name, answer, seed=0):
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(answer, seed=seed)
    return str(error.value)


class AlwaysEqual:
    """A hostile answer: claims to equal anything."""
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_module_exports_one_check_per_question():
    assert check.__all__ == list(REFERENCES)


@pytest.mark.parametrize("seed", [0, None], ids=["visible", "hidden"])
@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_passes_the_reference_implementation(name, seed, capsys):
    getattr(check, name)(REFERENCES[name], seed=seed, n_random=8)
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_success_line_is_the_same_for_any_seed(name, capsys):
    getattr(check, name)(REFERENCES[name], seed=0)
    visible = capsys.readouterr().out
    getattr(check, name)(REFERENCES[name], seed=None)
    assert capsys.readouterr().out == visible
    assert visible.count("\n") == 1


# --- question 1: max_pool2d --------------------------------------------------------------------------

def loop_max_pool(x, size, stride=None):
    """A correct student answer written with loops, not with course_lib."""
    stride = size if stride is None else stride
    n, h, w, c = x.shape
    rows = [[jnp.max(x[:, i * stride:i * stride + size, j * stride:j * stride + size, :], axis=(1, 2))
             for j in range((w - size) // stride + 1)] for i in range((h - size) // stride + 1)]
    return jnp.stack([jnp.stack(r, axis=1) for r in rows], axis=1)


def test_max_pool_accepts_a_loop_answer(capsys):
    check.max_pool2d(loop_max_pool, seed=None, n_random=10)
    assert capsys.readouterr().out.startswith("ok: max_pool2d passes")


def test_max_pool_rejects_an_ignored_stride():
    message = failure("max_pool2d", lambda x, size, stride=None: loop_max_pool(x, size))
    assert message.startswith("max_pool2d on max_pool2d(x, 3, 1) with x = seed 000's 6×6 map")
    assert "expected shape (1, 4, 4, 1), got shape (1, 2, 2, 1)" in message
    assert "the stride is ignored" in message


def test_max_pool_rejects_a_missing_default_stride():
    message = failure("max_pool2d", lambda x, size, stride: loop_max_pool(x, size, stride))
    assert "max_pool2d raised TypeError on max_pool2d(x, 2) with x = seed 000's 6×6 map" in message
    assert "stride=None means S = K" in message


def test_max_pool_shows_a_single_map_as_a_matrix():
    message = failure("max_pool2d", lambda x, size, stride=None: loop_max_pool(x, size, stride) + 1)
    assert "shown as the map [0, :, :, 0]: expected [[5, 8, 8, 8],\n [3, 5, 7, 7]," in message
    assert "got [[6, 9, 9, 9]," in message


def test_max_pool_rejects_pooling_across_channels():
    def over_channels(x, size, stride=None):
        return jnp.max(loop_max_pool(x, size, stride), axis=-1)

    message = failure("max_pool2d", over_channels)
    assert "expected shape (1, 4, 4, 1), got shape (1, 4, 4)" in message


# --- question 2: avg_pool2d --------------------------------------------------------------------------

def test_avg_pool_accepts_a_depthwise_convolution(capsys):
    def as_convolution(x, size, stride=None):
        c = x.shape[-1]
        w = jnp.zeros((size, size, c, c)).at[:, :, jnp.arange(c), jnp.arange(c)].set(1 / size ** 2)
        return conv.conv2d(x, w, stride=size if stride is None else stride)

    check.avg_pool2d(as_convolution, seed=None, n_random=10)
    assert capsys.readouterr().out.startswith("ok: avg_pool2d passes")


def test_avg_pool_rejects_division_by_k_instead_of_k_squared():
    message = failure("avg_pool2d", lambda x, size, stride=None: pooling.avg_pool2d(x, size, stride) * size)
    assert "expected [[2, 3.667, 4.444, 4.111]," in message
    assert "not by K" in message


def test_avg_pool_rejects_a_kernel_that_mixes_channels():
    def mixing(x, size, stride=None):
        c = x.shape[-1]
        return conv.conv2d(x, jnp.full((size, size, c, c), 1 / size ** 2), stride=size if stride is None else stride)

    message = failure("avg_pool2d", mixing)
    assert "with 3 channels: seed 000's map f, 10 − f and −f" in message
    assert "adds up all C channels" in message


# --- question 3: max_unpool2d -------------------------------------------------------------------------

def test_unpool_rejects_every_tied_maximum_getting_the_value():
    message = failure("max_unpool2d", check._unpool_every_maximum)
    assert "windows holding their maximum more than once" in message
    assert "expected [[0, 5, 6, 0]," in message and "FIRST maximum" in message


def test_unpool_rejects_nearest_neighbour_upsampling():
    message = failure("max_unpool2d", check._unpool_nearest)
    assert "seed 002's 4×4 map, y = [[1, 2], [3, 4]]" in message
    assert "expected [[0, 0, 2, 0],\n [0, 1, 0, 0],\n [0, 0, 0, 0],\n [3, 0, 0, 4]]" in message
    assert "nearest-neighbour upsampling" in message


def test_unpool_rejects_the_pooled_map_itself():
    message = failure("max_unpool2d", lambda x, y, size: y)
    assert "expected shape (1, 4, 4, 1), got shape (1, 2, 2, 1)" in message


# --- question 4: cnn_shapes ---------------------------------------------------------------------------

def shapes_without_padding(in_shape, channels, kernel, padding, pool):
    return reference_shapes(in_shape, channels, kernel, 0, pool)


def test_shapes_reject_a_forgotten_padding():
    message = failure("cnn_shapes", shapes_without_padding)
    assert message.startswith("cnn_shapes on cnn_shapes((8, 8, 1), (16, 32), kernel=3, padding=1, pool=2)")
    assert "after conv1 expected (8, 8, 16), got (6, 6, 16)" in message
    assert "the padding is missing" in message


def test_shapes_reject_rounding_up_in_the_pooling():
    def ceil_pool(in_shape, channels, kernel, padding, pool):
        h, w, _ = in_shape
        out = []
        for c in channels:
            h, w = h + 2 * padding - kernel + 1, w + 2 * padding - kernel + 1
            out.append((h, w, c))
            h, w = -(-h // pool), -(-w // pool)
            out.append((h, w, c))
        return out

    message = failure("cnn_shapes", ceil_pool)
    assert "odd sides" in message and "after pool1 expected (4, 3, 4), got (5, 4, 4)" in message
    assert "pooling rounds DOWN" in message


def test_shapes_reject_channels_left_unchanged():
    def same_channels(in_shape, channels, kernel, padding, pool):
        return [(h, w, in_shape[2]) for h, w, _ in reference_shapes(in_shape, channels, kernel, padding, pool)]

    message = failure("cnn_shapes", same_channels)
    assert "one channel per filter" in message


def test_shapes_reject_only_the_pooled_shapes_and_non_tuples():
    message = failure("cnn_shapes", lambda *a: reference_shapes(*a)[1::2])
    assert "returned 2 entries; expected a list of 4 (H, W, C) tuples" in message
    message = failure("cnn_shapes", lambda *a: [list(map(float, s)) for s in reference_shapes(*a)])
    assert "entry 0 is [8.0, 8.0, 16.0]; expected a tuple of three ints" in message
    message = failure("cnn_shapes", lambda *a: np.array(reference_shapes(*a)))
    assert "returned a ndarray; expected a list of 4" in message


# --- question 5: cnn_forward --------------------------------------------------------------------------

def test_forward_rejects_a_softmax_at_the_end():
    message = failure("cnn_forward", lambda p, x: activations.softmax(cnn.cnn(p, x)))
    assert message.startswith("cnn_forward on cnn_forward(params, x) with params = example_params(), the lecture's digits CNN")
    assert "return the logits" in message


def test_forward_rejects_a_missing_relu_and_a_channels_first_flatten():
    assert "the ReLU is missing" in failure("cnn_forward", check._forward_without_relu)
    assert "in (H, W, C) order" in failure("cnn_forward", check._forward_channels_first_flatten)


def test_forward_without_padding_fails_with_a_clear_message():
    def no_padding(params, x):
        h = x
        for layer in params.convs:
            h = pooling.max_pool2d(activations.relu(conv.conv2d(h, layer.w, layer.b)), 2)
        return cnn.layers.mlp(params.dense, h.reshape(h.shape[0], -1))

    message = failure("cnn_forward", no_padding)
    assert message.startswith("cnn_forward raised ValueError on cnn_forward(params, x)")
    assert "padding=K // 2" in message


# --- every check ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_rejects_an_object_that_equals_everything(name):
    message = failure(name, lambda *args: AlwaysEqual())
    assert "returned a AlwaysEqual" in message


@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_says_forgot_return_when_an_answer_returns_none(name):
    message = failure(name, lambda *args: None)
    assert "returned None. Did you forget the `return` statement?" in message


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "max_unpool2d", "cnn_forward"])
def test_check_rejects_a_nested_list(name):
    message = failure(name, lambda *args: np.asarray(REFERENCES[name](*args)).tolist())
    assert "returned a list; expected an array or a number" in message


@pytest.mark.parametrize("name", list(REFERENCES))
def test_unfinished_answer_raises_not_implemented_with_the_hint(name):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError) as error:
        getattr(check, name)(unfinished)
    assert "is not written yet" in str(error.value)
    assert f"\nHint: {check._HINTS[name]}" in str(error.value)


def right_then_wrong(calls, right, wrong):
    count = itertools.count()
    return lambda *args: right(*args) if next(count) < calls else wrong(*args)


def test_visible_check_gives_the_same_message_every_time_and_hidden_draws_fresh_cases():
    wrong = lambda x, size, stride=None: pooling.max_pool2d(x, size, stride) + 0.5
    visible = {failure("max_pool2d", right_then_wrong(3, pooling.max_pool2d, wrong)) for _ in range(2)}
    assert len(visible) == 1 and "(random case 1)" in visible.pop()
    hidden = {failure("max_pool2d", right_then_wrong(3, pooling.max_pool2d, wrong), seed=None) for _ in range(4)}
    assert len(hidden) > 1

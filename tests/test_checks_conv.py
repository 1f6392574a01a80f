"""course_lib.checks.conv: the checks of exercise 4 pass the reference answers, reject the usual wrong ones
with a message that names the mistake, reject wrong types and shapes, and give the same visible message
every run."""
import itertools
import math

import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import conv
from course_lib.checks import conv as check


def ref_convolve1d(f, g):
    return conv.convolve1d(f, g, "full")


def ref_correlate2d(f, g):
    return conv.correlate2d(f, g, "valid")


def ref_convolve2d(f, g):
    return conv.convolve2d(f, g, "valid")


def ref_zero_pad(image, p):
    return jnp.pad(image, p)


def ref_output_size(n, k, p, s):
    return conv.conv_output_size(n, k, p, s)


def ref_conv2d(x, w, b, s, p):
    return conv.conv2d(x, w, b, stride=s, padding=p)


def naive_param_counts(h, w, c_in, f, c_out):
    """Counted by building the layers' shapes, independently of the check's formula."""
    kernel, bias = (f, f, c_in, c_out), (c_out,)
    n_in, n_out = h * w * c_in, conv.conv_output_size(h, f) * conv.conv_output_size(w, f) * c_out
    return math.prod(kernel) + math.prod(bias), math.prod((n_in, n_out)) + n_out


REFERENCES = {
    "convolve1d": ref_convolve1d,
    "correlate2d": ref_correlate2d,
    "convolve2d": ref_convolve2d,
    "zero_pad": ref_zero_pad,
    "output_size": ref_output_size,
    "conv2d": ref_conv2d,
    "param_counts": naive_param_counts,
}


def failure(name, answer, seed=0, n_random=5):
    """The AssertionError message of check `name` on `answer`."""
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(answer, seed=seed, n_random=n_random)
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
    getattr(check, name)(REFERENCES[name], seed=seed, n_random=10)
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_success_line_is_the_same_for_any_seed(name, capsys):
    getattr(check, name)(REFERENCES[name], seed=0)
    visible = capsys.readouterr().out
    getattr(check, name)(REFERENCES[name], seed=None)
    assert capsys.readouterr().out == visible
    assert visible.count("\n") == 1


# --- question 1: convolve1d --------------------------------------------------------------------------

def test_convolve1d_rejects_cross_correlation():
    message = failure("convolve1d", lambda f, g: conv.correlate1d(f, g, "full"))
    assert message.startswith("convolve1d on convolve1d(f, g) with seed 000's f")
    assert "this is cross-correlation: convolution flips g" in message


def test_convolve1d_rejects_the_valid_part_only():
    message = failure("convolve1d", lambda f, g: conv.convolve1d(f, g, "valid"))
    assert "expected shape (9,), got shape (5,)" in message
    assert "the result has L + K − 1 values" in message


def test_convolve1d_message_shows_expected_and_received_values():
    message = failure("convolve1d", lambda f, g: conv.convolve1d(f, g, "full") + 1)
    assert "expected [-2, -18, 2, 8, -4, 2, -2, 8, 6], got [-1, -17, 3, 9, -3, 3, -1, 9, 7]" in message
    assert "first difference at index (0,): expected -2, got -1" in message


# --- question 2: correlate2d -------------------------------------------------------------------------

def test_correlate2d_rejects_a_flipped_kernel():
    message = failure("correlate2d", lambda f, g: conv.convolve2d(f, g, "valid"))
    assert "seed 001's 6×6 image" in message
    assert "you flipped the kernel: that is convolution" in message


def test_correlate2d_rejects_a_transposed_kernel():
    message = failure("correlate2d", lambda f, g: conv.correlate2d(f, g.T, "valid"))
    assert "your answer uses g transposed" in message


def test_correlate2d_rejects_same_mode_output():
    message = failure("correlate2d", lambda f, g: conv.correlate2d(f, g, "same"))
    assert "expected shape (4, 4), got shape (6, 6)" in message


# --- question 3: convolve2d --------------------------------------------------------------------------

@pytest.mark.parametrize("flip,hint", [
    (lambda g: g, "the kernel was not flipped"),
    (lambda g: g[:, ::-1], "flipped left–right only"),
    (lambda g: g[::-1, :], "flipped up–down only"),
])
def test_convolve2d_rejects_incomplete_flips(flip, hint):
    message = failure("convolve2d", lambda f, g: conv.correlate2d(f, flip(g), "valid"))
    assert message.startswith("convolve2d on convolve2d(f, g) with seed 000's 6×6 image")
    assert hint in message


def test_convolve2d_rejects_transpose_instead_of_rotation():
    message = failure("convolve2d", lambda f, g: conv.correlate2d(f, g.T, "valid"))
    assert "g.T transposes the kernel" in message


# --- question 4: zero_pad ----------------------------------------------------------------------------

def test_zero_pad_rejects_padding_on_one_side_only():
    message = failure("zero_pad", lambda image, p: jnp.pad(image, ((p, 0), (p, 0))))
    assert "expected shape (8, 8), got shape (7, 7)" in message
    assert "at the top AND at the bottom" in message


def test_zero_pad_rejects_padding_with_ones():
    message = failure("zero_pad", lambda image, p: jnp.pad(image, p, constant_values=1.0))
    assert "zero_pad on zero_pad(image, p) with seed 000's 6×6 image, p = 1" in message
    assert "expected" in message and "got" in message


# --- question 5: output_size -------------------------------------------------------------------------

def test_output_size_rejects_true_division():
    message = failure("output_size", lambda n, k, p, s: (n + 2 * p - k) / s + 1)
    assert "returned float 4.0; expected the int 4" in message
    assert "you used true division /" in message


def test_output_size_rejects_rounding_up():
    message = failure("output_size", lambda n, k, p, s: math.ceil((n + 2 * p - k) / s) + 1)
    assert "seed 001, stride 2" in message and "expected 2, got 3" in message
    assert "you rounded up" in message


def test_output_size_rejects_padding_on_one_side():
    message = failure("output_size", lambda n, k, p, s: (n + p - k) // s + 1)
    assert "padding adds zeros on BOTH sides" in message


def test_output_size_accepts_numpy_integers(capsys):
    check.output_size(lambda n, k, p, s: np.int64((n + 2 * p - k) // s + 1))
    assert capsys.readouterr().out.startswith("ok: ")


# --- question 6: conv2d ------------------------------------------------------------------------------

def test_conv2d_rejects_a_missing_bias():
    message = failure("conv2d", lambda x, w, b, s, p: conv.conv2d(x, w, stride=s, padding=p))
    assert "b = [10] (a bias)" in message and "the bias b is missing" in message


def test_conv2d_rejects_a_flipped_kernel():
    message = failure("conv2d", lambda x, w, b, s, p: conv.conv2d(x, w[::-1, ::-1], b, stride=s, padding=p))
    assert "you flipped the kernel" in message


def test_conv2d_rejects_an_ignored_stride():
    message = failure("conv2d", lambda x, w, b, s, p: conv.conv2d(x, w, b, padding=p))
    assert "the slide's stride-2 example" in message
    assert "expected shape (1, 2, 2, 1), got shape (1, 4, 4, 1)" in message


def test_conv2d_rejects_an_ignored_padding():
    message = failure("conv2d", lambda x, w, b, s, p: conv.conv2d(x, w, b, stride=s))
    assert "seed 002's 5×5 pixels and the sharpen kernel" in message
    assert "expected shape (1, 5, 5, 1), got shape (1, 3, 3, 1)" in message


def test_conv2d_random_cases_include_several_channels_and_stride_2():
    assert any(layout[3] > 1 and layout[4] > 1 for layout in check._CONV2D_LAYOUTS)
    assert any(layout[6] == 2 and layout[7] == 1 for layout in check._CONV2D_LAYOUTS)


# --- question 7: param_counts ------------------------------------------------------------------------

def test_param_counts_reference_gives_seed001_numbers():
    assert naive_param_counts(32, 32, 3, 5, 6) == (456, 3072 * 4704 + 4704)


@pytest.mark.parametrize("wrong,hint", [
    (lambda h, w, c, f, o: (f * f * c * o, naive_param_counts(h, w, c, f, o)[1]), "the conv layer's biases are missing"),
    (lambda h, w, c, f, o: (f * f * o + o, naive_param_counts(h, w, c, f, o)[1]), "a conv kernel spans ALL input channels"),
    (lambda h, w, c, f, o: (naive_param_counts(h, w, c, f, o)[0],
                            naive_param_counts(h, w, c, f, o)[1] - (h - f + 1) * (w - f + 1) * o),
     "the dense layer's biases are missing"),
])
def test_param_counts_rejects_known_mistakes(wrong, hint):
    message = failure("param_counts", wrong)
    assert "seed 001's layer" in message and hint in message


def test_param_counts_rejects_a_single_number():
    message = failure("param_counts", lambda *a: naive_param_counts(*a)[0])
    assert "returned int; expected a tuple (conv, dense) of 2 numbers" in message


# --- every check -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in REFERENCES if n != "output_size"])
def test_check_rejects_an_object_that_equals_everything(name):
    message = failure(name, lambda *args: AlwaysEqual() if name != "param_counts" else (AlwaysEqual(), AlwaysEqual()))
    assert "returned a AlwaysEqual" in message


def test_output_size_rejects_an_object_that_equals_everything():
    message = failure("output_size", lambda *args: AlwaysEqual())
    assert "returned AlwaysEqual" in message and "expected the int 4" in message


@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_says_forgot_return_when_an_answer_returns_none(name):
    message = failure(name, lambda *args: None)
    assert "returned None. Did you forget the `return` statement?" in message


@pytest.mark.parametrize("name", ["convolve1d", "correlate2d", "zero_pad", "conv2d"])
def test_check_rejects_a_python_list(name):
    message = failure(name, lambda *args: np.asarray(REFERENCES[name](*args)).tolist())
    assert "returned a list; expected an array" in message


@pytest.mark.parametrize("name", list(REFERENCES))
def test_unfinished_answer_raises_not_implemented_with_the_hint(name):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError) as error:
        getattr(check, name)(unfinished)
    assert "is not written yet" in str(error.value)
    assert f"\nHint: {check._HINTS[name]}" in str(error.value)


def test_a_crashing_answer_reports_the_case_and_the_error():
    message = failure("correlate2d", lambda f, g: f @ g)
    assert message.startswith("correlate2d raised TypeError on correlate2d(f, g) with seed 001's 6×6 image")


def right_then_wrong(calls, right, wrong):
    """An answer that computes `right` on its first `calls` calls (the worked examples) and `wrong` after."""
    count = itertools.count()
    return lambda *args: right(*args) if next(count) < calls else wrong(*args)


def test_visible_check_gives_the_same_message_for_seed_0_every_time():
    # correlate2d has three worked cases: the fourth call is the first random one
    answer = lambda: right_then_wrong(3, ref_correlate2d, lambda f, g: ref_correlate2d(f, g) * 0)  # noqa: E731
    messages = {failure("correlate2d", answer()) for _ in range(2)}
    assert len(messages) == 1 and "(random case 1)" in messages.pop()


def test_hidden_check_draws_fresh_random_cases():
    answer = lambda: right_then_wrong(3, ref_correlate2d, lambda f, g: ref_correlate2d(f, g) * 0)  # noqa: E731
    messages = {failure("correlate2d", answer(), seed=None) for _ in range(3)}
    assert len(messages) > 1

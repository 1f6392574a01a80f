"""course_lib.checks.perceptron: the checks of exercise 1 pass the reference answers, reject the usual
wrong ones with a message that names the mistake, and give the same visible message every run."""
import itertools

import jax.numpy as jnp
import pytest

from course_lib import activations, perceptron
from course_lib.checks import perceptron as check


def reference_sigmoid_step(w, b, x, t, lr):
    w, b, _ = perceptron.sigmoid_neuron_step(w, b, x, t, lr)
    return w, b


def reference_train(x, t, lr, max_epochs):
    w, b, _ = perceptron.train_rosenblatt(x, t, lr, max_epochs)
    return w, b


ACTIVATIONS = (activations.step, activations.sigmoid, activations.relu, activations.softplus)
# Each check with the reference answers it takes, in its argument order.
REFERENCES = {
    "activations": ACTIVATIONS,
    "sigmoid_grad": (activations.sigmoid_grad,),
    "predict": (perceptron.predict,),
    "rosenblatt_update": (perceptron.rosenblatt_update,),
    "sigmoid_neuron_step": (reference_sigmoid_step,),
    "train_perceptron": (reference_train,),
    "best_grid_accuracy": (perceptron.grid_search_accuracy,),
}


def failure(name, *answers, seed=0, n_random=5):
    """The AssertionError message of check `name` on the given answers; the ones not given are the references."""
    given = answers + REFERENCES[name][len(answers):]
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(*given, seed=seed, n_random=n_random)
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
    getattr(check, name)(*REFERENCES[name], seed=seed, n_random=20)
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_success_line_is_the_same_for_any_seed(name, capsys):
    getattr(check, name)(*REFERENCES[name], seed=0)
    visible = capsys.readouterr().out
    getattr(check, name)(*REFERENCES[name], seed=None)
    assert capsys.readouterr().out == visible
    assert visible.count("\n") == 1


# --- question 1: activations -------------------------------------------------------------------

def test_activations_rejects_step_that_fires_at_zero():
    message = failure("activations", lambda s: jnp.where(s >= 0, 1.0, 0.0))
    assert "step on step(s) with s = [-2, -0.5, 0, 0.5, 3] (δ(0) = 0)" in message
    assert "expected [0, 0, 0, 1, 1], got [0, 0, 1, 1, 1]" in message
    assert "use s > 0, not s >= 0" in message


def test_activations_rejects_sigmoid_with_positive_exponent():
    message = failure("activations", activations.step, lambda s: 1 / (1 + jnp.exp(s)))
    assert message.startswith("sigmoid on sigmoid(s) with s = [-2, 0, 2]")
    assert "the exponent is −s, not s" in message


def test_activations_rejects_sigmoid_that_overflows_for_large_s():
    message = failure("activations", activations.step, lambda s: jnp.exp(s) / (1 + jnp.exp(s)))
    assert "s = [-1000, 1000]" in message and "got nan" in message
    assert "use 1 / (1 + jnp.exp(-s))" in message


def test_activations_rejects_relu_written_with_python_max():
    message = failure("activations", *ACTIVATIONS[:2], lambda s: max(0, s))
    assert message.startswith("relu raised")
    assert "jnp.maximum" in message


def test_activations_rejects_naive_softplus_that_overflows_at_1000():
    message = failure("activations", *ACTIVATIONS[:3], lambda s: jnp.log(1 + jnp.exp(s)))
    assert "s = [-1000, 1000]" in message and "got inf" in message
    assert "softplus overflowed" in message and "jnp.logaddexp(0, s)" in message


def test_activations_message_names_the_case_the_expected_and_the_received_value():
    message = failure("activations", *ACTIVATIONS[:3], activations.relu)
    assert "softplus on softplus(s) with s = [-1, 0, 2]" in message
    assert "expected 0.313262, got 0" in message


# --- question 2: sigmoid_grad --------------------------------------------------------------------

def test_sigmoid_grad_rejects_s_times_one_minus_s():
    message = failure("sigmoid_grad", lambda s: s * (1 - s))
    assert "σ'(0) = 0.25" in message
    assert "not to s itself" in message


def test_sigmoid_grad_rejects_the_quotient_formula_that_overflows():
    message = failure("sigmoid_grad", lambda s: jnp.exp(-s) / (1 + jnp.exp(-s)) ** 2)
    assert "got nan" in message and "compute y = σ(s), then y * (1 - y)" in message


# --- question 3: predict -------------------------------------------------------------------------

def test_predict_rejects_a_python_list():
    message = failure("predict", lambda w, b, x: [float(v) for v in activations.step(x @ w + b)])
    assert "predict on predict(w, b, X) with X = the AND truth table" in message
    assert "returned a list; expected an array" in message


def test_predict_rejects_a_column_of_shape_n_by_1():
    message = failure("predict", lambda w, b, x: activations.step(x @ w[:, None] + b))
    assert "expected shape (4,), got shape (4, 1)" in message
    assert "an array of shape (N,)" in message


def test_predict_rejects_points_on_the_line_predicted_as_one():
    message = failure("predict", lambda w, b, x: jnp.where(x @ w + b >= 0, 1.0, 0.0))
    assert "lie on the line w·x + b = 0" in message
    assert "use s > 0, not s >= 0" in message


def test_predict_rejects_a_forgotten_bias():
    message = failure("predict", lambda w, b, x: activations.step(x @ w))
    assert "the bias is missing" in message


# --- question 4: rosenblatt_update ---------------------------------------------------------------

def test_rosenblatt_update_rejects_flipped_sign():
    def flipped(w, b, x, t, lr):
        error = t - activations.step(w @ x + b)
        return w - lr * error * x, b - lr * error

    message = failure("rosenblatt_update", flipped)
    assert message.startswith("rosenblatt_update's w_new on rosenblatt_update(w, b, x, t, lr) with w = [0, 0]")
    assert "expected [2, 2], got [-2, -2]" in message
    assert "the sign is flipped" in message and "lr·(t − y)·x" in message


def test_rosenblatt_update_rejects_a_bias_that_never_learns():
    message = failure("rosenblatt_update", lambda w, b, x, t, lr: (perceptron.rosenblatt_update(w, b, x, t, lr)[0], b))
    assert message.startswith("rosenblatt_update's b_new")
    assert "b ← b + lr·(t − y)" in message


def test_rosenblatt_update_rejects_a_single_array_instead_of_a_pair():
    message = failure("rosenblatt_update", lambda w, b, x, t, lr: perceptron.rosenblatt_update(w, b, x, t, lr)[0])
    assert "expected a tuple (w_new, b_new) of 2 values" in message


# --- question 5: sigmoid_neuron_step -------------------------------------------------------------

def test_sigmoid_neuron_step_rejects_missing_sigmoid_slope_factor():
    def without_slope(w, b, x, t, lr):
        y = activations.sigmoid(w @ x + b)
        return w - lr * (y - t) * x, b - lr * (y - t)

    message = failure("sigmoid_neuron_step", without_slope)
    assert "the first example of lecture notes 002" in message
    assert "expected [0.25, 0.25], got [1, 1]" in message
    assert "the factor y(1 − y) = σ'(s) is missing" in message


def test_sigmoid_neuron_step_rejects_a_step_uphill():
    message = failure("sigmoid_neuron_step", lambda w, b, x, t, lr: reference_sigmoid_step(w, b, x, t, -lr))
    assert "the step goes uphill" in message


def test_sigmoid_neuron_step_rejects_three_return_values():
    message = failure("sigmoid_neuron_step", perceptron.sigmoid_neuron_step)
    assert "returned 3 values; expected a tuple (w_new, b_new) of 2 values" in message


# --- question 6: train_perceptron ----------------------------------------------------------------

def one_epoch_only(x, t, lr, max_epochs):
    w, b, _ = perceptron.rosenblatt_epoch(jnp.zeros(x.shape[1]), 0.0, x.astype(float), t.astype(float), lr)
    return w, b


def test_train_rejects_stopping_after_one_epoch():
    message = failure("train_perceptron", one_epoch_only)
    assert message.startswith("train_perceptron on the AND gate (lr = 1.0, max_epochs = 100)")
    assert "misclassifies 3 of 4 examples, e.g. x = [0, 0]: predicted 1, target t = 0" in message
    assert "stop after an epoch that makes no mistake" in message


def test_train_rejects_weights_of_the_wrong_shape():
    message = failure("train_perceptron", lambda x, t, lr, n: (reference_train(x, t, lr, n)[0][:, None],
                                                               reference_train(x, t, lr, n)[1]))
    assert "train_perceptron's w on the AND gate" in message
    assert "expected shape (2,), got shape (2, 1)" in message


def test_train_rejects_a_bias_that_is_an_array():
    message = failure("train_perceptron", lambda x, t, lr, n: (reference_train(x, t, lr, n)[0],
                                                               jnp.atleast_1d(reference_train(x, t, lr, n)[1])))
    assert "expected shape (), got shape (1,)" in message and "b is a single number" in message


def test_train_accepts_any_separating_solution(capsys):
    def backwards_from_ones(x, t, lr, max_epochs):  # another start and another order: still correct
        w, b, _ = perceptron.train_rosenblatt(x[::-1], t[::-1], lr, max_epochs, w=jnp.ones(x.shape[1]), b=1.0)
        return w, b

    check.train_perceptron(backwards_from_ones, seed=None, n_random=20)
    assert capsys.readouterr().out.startswith("ok: ")


# --- question 7: best_grid_accuracy --------------------------------------------------------------

def test_grid_rejects_a_search_that_ignores_b():
    def no_bias(x, t, values):
        return max(float(jnp.mean(activations.step(x @ jnp.array([w1, w2])) == t))
                   for w1, w2 in itertools.product(values, repeat=2))

    message = failure("best_grid_accuracy", no_bias)
    assert "on the AND truth table" in message and "expected 1, got 0.75" in message
    assert "b is not searched" in message


def test_grid_rejects_returning_the_best_weights_instead_of_the_accuracy():
    message = failure("best_grid_accuracy", lambda x, t, values: (perceptron.grid_search_accuracy(x, t, values),
                                                                   values[0]))
    assert "returned a tuple; expected an array or a number" in message


# --- every check -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_rejects_an_object_that_equals_everything(name):
    message = failure(name, lambda *args: AlwaysEqual())
    assert "returned a AlwaysEqual" in message


@pytest.mark.parametrize("name", ["rosenblatt_update", "sigmoid_neuron_step", "train_perceptron"])
def test_check_rejects_a_pair_of_objects_that_equal_everything(name):
    message = failure(name, lambda *args: (AlwaysEqual(), AlwaysEqual()))
    assert "returned a AlwaysEqual; expected an array or a number" in message


@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_says_forgot_return_when_an_answer_returns_none(name):
    message = failure(name, lambda *args: None)
    assert "returned None. Did you forget the `return` statement?" in message


@pytest.mark.parametrize("name", list(REFERENCES))
def test_unfinished_answer_raises_not_implemented_with_the_hint(name):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError) as error:
        getattr(check, name)(unfinished, *REFERENCES[name][1:])
    assert "is not written yet" in str(error.value)
    assert f"\nHint: {check._HINTS[name if name != 'activations' else 'step']}" in str(error.value)


def right_then_wrong(calls, right, wrong):
    """An answer that computes `right` on its first `calls` calls (the worked examples) and `wrong` after."""
    count = itertools.count()
    return lambda *args: right(*args) if next(count) < calls else wrong(*args)


def zeros(s):
    return jnp.zeros_like(s)


def test_visible_check_gives_the_same_message_for_seed_0_every_time():
    # sigmoid_grad has two worked cases: the third call is the first random one
    messages = {failure("sigmoid_grad", right_then_wrong(2, activations.sigmoid_grad, zeros)) for _ in range(2)}
    assert len(messages) == 1
    assert "(random case 1)" in messages.pop()


def test_hidden_check_draws_fresh_random_cases():
    messages = {failure("sigmoid_grad", right_then_wrong(2, activations.sigmoid_grad, zeros), seed=None)
                for _ in range(3)}
    assert len(messages) > 1


def test_hidden_random_cases_put_points_exactly_on_the_boundary():
    # δ(0) = 0 is tested by the random cases too, not only by the worked example (3 worked cases come first)
    fires_at_zero = right_then_wrong(3, perceptron.predict, lambda w, b, x: jnp.where(x @ w + b >= 0, 1.0, 0.0))
    message = failure("predict", fires_at_zero, seed=None, n_random=50)
    assert "(random case" in message and "use s > 0, not s >= 0" in message

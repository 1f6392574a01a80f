"""course_lib.checks.mlp: the checks of exercise 2 pass the reference answers, reject the usual wrong ones
with a message that names the mistake, and give the same visible message every run."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import activations, data, layers, losses
from course_lib.checks import mlp as check

X_XOR, T_XOR = data.xor()


def reference_forward(x, w1, b1, w2, b2):
    """σ(σ(x W1 + b1) W2 + b2) written out with NumPy, independently of course_lib.layers."""
    sig = lambda s: 1 / (1 + np.exp(-np.asarray(s, np.float64)))
    return sig(sig(np.asarray(x) @ np.asarray(w1) + np.asarray(b1)) @ np.asarray(w2) + np.asarray(b2))


def reference_xor_weights():
    """Seed 002's decomposition with step units: OR-like and NAND-like hidden units, an AND-like output."""
    return (jnp.array([[20.0, -20.0], [20.0, -20.0]]), jnp.array([-10.0, 30.0]), jnp.array([20.0, 20.0]), -30.0)


def reference_cross_entropy(z, t):
    return losses.softmax_cross_entropy(z, jnp.argmax(t, axis=-1))


@jax.jit
def _train(params):
    def loss(p):
        return losses.softmax_cross_entropy(layers.mlp(p, X_XOR, activations.tanh), T_XOR)

    def step(p, _):
        return jax.tree_util.tree_map(lambda w, d: w - 0.5 * d, p, jax.grad(loss)(p)), None

    return jax.lax.scan(step, params, None, length=500)[0]


def reference_train_xor(key):
    return _train(layers.init_mlp(key, (2, 8, 2)))


REFERENCES = {
    "forward": reference_forward,
    "xor_weights": reference_xor_weights,
    "softmax": activations.softmax,
    "cross_entropy": reference_cross_entropy,
    "one_hot": activations.one_hot,
    "train_xor": reference_train_xor,
}


def failure(name, answer, seed=0, **kwargs):
    """The AssertionError message of check `name` on `answer`."""
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(answer, seed=seed, **kwargs)
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
    getattr(check, name)(REFERENCES[name], seed=seed, n_random=3 if name == "train_xor" else 20)
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_success_line_is_the_same_for_any_seed(name, capsys):
    getattr(check, name)(REFERENCES[name], seed=0)
    visible = capsys.readouterr().out
    getattr(check, name)(REFERENCES[name], seed=None)
    assert capsys.readouterr().out == visible
    assert visible.count("\n") == 1


# --- question 1: forward -------------------------------------------------------------------------------

def test_forward_worked_example_is_seed003_first_two_layers():
    # lecture 1's corrected W1; the slide's second layer output is [0.86, 0.11] for input [1, -1]
    out = reference_forward([[1.0, -1.0], [0.0, 0.0]], check.SEED003_W1, check.SEED003_B1, check.SEED003_W2,
                            check.SEED003_B2)
    np.testing.assert_allclose(out, [[0.86, 0.11], [0.72, 0.12]], atol=0.005)


def test_forward_rejects_transposed_weights():
    message = failure("forward", lambda x, w1, b1, w2, b2: reference_forward(x, w1.T, b1, w2.T, b2))
    assert "first two layers of seed 003" in message
    assert "the weight matrices are transposed" in message


def test_forward_rejects_a_missing_output_sigmoid():
    def linear_output(x, w1, b1, w2, b2):
        return 1 / (1 + np.exp(-(np.asarray(x) @ np.asarray(w1) + np.asarray(b1)))) @ np.asarray(w2) + np.asarray(b2)

    message = failure("forward", linear_output)
    assert "the output layer has no sigmoid" in message


def test_forward_rejects_forgotten_biases():
    message = failure("forward", lambda x, w1, b1, w2, b2: reference_forward(x, w1, 0 * b1, w2, 0 * b2))
    assert "the biases are missing" in message


def test_forward_rejects_the_column_convention_with_a_clear_message():
    message = failure("forward", lambda x, w1, b1, w2, b2: (w2 @ (w1 @ x.T + b1[:, None]) + b2[:, None]))
    assert "forward raised TypeError" in message or "expected shape" in message
    assert "Hint: row-vector convention" in message


# --- question 2: xor_weights ---------------------------------------------------------------------------

def test_xor_weights_accepts_another_decomposition(capsys):
    # AND-like and OR-like hidden units, output "OR and not AND" (another valid XOR network)
    check.xor_weights(lambda: (jnp.array([[1.0, 1.0], [1.0, 1.0]]), jnp.array([-1.5, -0.5]), jnp.array([-1.0, 1.0]),
                               -0.5), seed=None)
    assert capsys.readouterr().out.startswith("ok: ")


def test_xor_weights_rejects_the_or_gate():
    message = failure("xor_weights", lambda: (jnp.ones((2, 1)), jnp.array([-0.5]), jnp.array([1.0]), -0.5))
    assert "on the corners the network outputs [0, 1, 1, 1], XOR is [0, 1, 1, 0]" in message
    assert "At x = [1, 1]" in message


def test_xor_weights_rejects_weights_whose_boundary_touches_a_corner():
    # hidden threshold exactly at the corner (1, 0): right on the corners, wrong once they move by 0.1
    message = failure("xor_weights", lambda: (jnp.array([[1.0, 1.0], [1.0, 1.0]]), jnp.array([-1.0, -0.5]),
                                              jnp.array([-1.0, 1.0]), -0.5))
    assert "on the corners moved by" in message


def test_xor_weights_rejects_wrong_shapes():
    message = failure("xor_weights", lambda: (jnp.ones((3, 2)), jnp.zeros(2), jnp.ones(2), 0.0))
    assert "xor_weights' W1: expected shape (2, H) with H ≥ 1, got shape (3, 2)" in message
    message = failure("xor_weights", lambda: (jnp.ones((2, 2)), jnp.zeros(2), jnp.ones((2, 1)), 0.0))
    assert "xor_weights' W2" in message and "expected shape (2,), got shape (2, 1)" in message


def test_xor_weights_rejects_three_values():
    message = failure("xor_weights", lambda: reference_xor_weights()[:3])
    assert "returned 3 values; expected a tuple (W1, b1, W2, b2) of 4 values" in message


# --- question 3: softmax -------------------------------------------------------------------------------

def test_softmax_worked_example_is_seed004():
    z = np.array(check.SEED004_SOFTMAX_INPUT)
    np.testing.assert_allclose(np.exp(z) / np.exp(z).sum(), [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175],
                               atol=5e-4)


def test_softmax_rejects_the_naive_formula_that_overflows():
    message = failure("softmax", lambda z: jnp.exp(z) / jnp.sum(jnp.exp(z), axis=-1, keepdims=True))
    assert "(large logits)" in message and "e^z overflowed" in message


def test_softmax_rejects_normalising_the_wrong_axis():
    message = failure("softmax", lambda z: activations.softmax(z, axis=0))
    assert "the sum runs over the wrong axis" in message


def test_softmax_rejects_subtracting_the_global_maximum():
    def global_max(z):
        e = jnp.exp(z - jnp.max(z))
        return e / jnp.sum(e, axis=-1, keepdims=True)

    message = failure("softmax", global_max)
    assert "got nan" in message and "each row's own maximum" in message


# --- question 4: cross_entropy -------------------------------------------------------------------------

def test_cross_entropy_worked_example_is_minus_log_0_475():
    z = np.array(check.SEED004_SOFTMAX_INPUT)
    assert float(reference_cross_entropy(jnp.asarray([z]), activations.one_hot(jnp.array([3]), 7))) == \
        pytest.approx(-np.log(np.exp(4) / np.exp(z).sum()), rel=1e-5)


def test_cross_entropy_rejects_a_sum_over_the_batch():
    message = failure("cross_entropy", lambda z, t: reference_cross_entropy(z, t) * z.shape[0])
    assert "summed over the batch" in message


def test_cross_entropy_rejects_a_flipped_sign():
    message = failure("cross_entropy", lambda z, t: -reference_cross_entropy(z, t))
    assert "the sign is flipped" in message


def test_cross_entropy_rejects_log_of_softmax_at_large_logits():
    message = failure("cross_entropy", lambda z, t: -jnp.mean(jnp.sum(t * jnp.log(activations.softmax(z)), axis=-1)))
    assert "(large logits)" in message and "Never take the log of a softmax" in message


def test_cross_entropy_rejects_log_of_the_naive_softmax():
    def naive(z, t):
        p = jnp.exp(z) / jnp.sum(jnp.exp(z), axis=-1, keepdims=True)
        return -jnp.mean(jnp.sum(t * jnp.log(p), axis=-1))

    assert "compute log softmax directly" in failure("cross_entropy", naive)


# --- question 5: one_hot -------------------------------------------------------------------------------

def test_one_hot_rejects_a_transposed_result():
    message = failure("one_hot", lambda labels, k: activations.one_hot(labels, k).T)
    assert "expected shape (3, 3)" not in message  # the first case is square: the values give it away
    assert "the result is transposed" in message


def test_one_hot_rejects_integer_lists():
    message = failure("one_hot", lambda labels, k: [[int(j == v) for j in range(k)] for v in labels.tolist()])
    assert "returned a list; expected an array" in message


def test_one_hot_rejects_one_based_labels():
    message = failure("one_hot", lambda labels, k: activations.one_hot(jnp.clip(labels - 1, 0, k - 1), k))
    assert "one_hot on one_hot(labels, K) with labels = [0, 2, 1], K = 3" in message


# --- question 6: train_xor -----------------------------------------------------------------------------

def test_train_xor_rejects_fixed_hand_made_weights():
    fixed = (layers.DenseParams(jnp.array([[20.0, -20.0], [20.0, -20.0]]), jnp.array([-10.0, 30.0])),
             layers.DenseParams(jnp.array([[-20.0, 20.0], [-20.0, 20.0]]), jnp.array([30.0, -30.0])))
    # they do compute XOR with tanh hidden units ...
    assert np.all(np.argmax(np.asarray(layers.mlp(fixed, X_XOR, activations.tanh)), -1) == np.asarray(T_XOR))
    # ... but they are not trained from the random start the key gives
    message = failure("train_xor", lambda key: fixed)
    assert "the same parameters for different keys" in message


def test_train_xor_rejects_an_untrained_network():
    message = failure("train_xor", lambda key: layers.init_mlp(key, (2, 8, 2)))
    assert "train_xor on train_xor(jax.random.PRNGKey(0)): the trained network predicts" in message
    assert "XOR is [0, 1, 1, 0]" in message


def test_train_xor_rejects_one_output_instead_of_two_logits():
    message = failure("train_xor", lambda key: layers.init_mlp(key, (2, 8, 1)))
    assert "the last layer has 1 outputs; expected 2 logits" in message


def test_train_xor_rejects_weights_that_do_not_chain():
    message = failure("train_xor", lambda key: layers.init_mlp(key, (3, 8, 2)))
    assert "layer 0 W" in message and "expected shape (2, H)" in message


def test_train_xor_rejects_a_bare_array():
    message = failure("train_xor", lambda key: jnp.zeros((2, 2)))
    assert "expected a tuple of DenseParams(W, b)" in message


# --- every check ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_rejects_an_object_that_equals_everything(name):
    message = failure(name, lambda *args: AlwaysEqual())
    assert "AlwaysEqual" in message


def test_xor_weights_rejects_four_objects_that_equal_everything():
    message = failure("xor_weights", lambda: (AlwaysEqual(),) * 4)
    assert "returned a AlwaysEqual; expected an array or a number" in message


def test_train_xor_rejects_layers_of_objects_that_equal_everything():
    message = failure("train_xor", lambda key: (layers.DenseParams(AlwaysEqual(), AlwaysEqual()),))
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
        getattr(check, name)(unfinished)
    assert "is not written yet" in str(error.value)
    assert f"\nHint: {check._HINTS[name]}" in str(error.value)


def right_then_wrong(calls, right, wrong):
    """An answer that computes `right` on its first `calls` calls (the worked examples) and `wrong` after."""
    count = itertools.count()
    return lambda *args: right(*args) if next(count) < calls else wrong(*args)


def test_visible_check_gives_the_same_message_for_seed_0_every_time():
    answer = lambda: right_then_wrong(3, activations.softmax, lambda z: jnp.zeros_like(z))  # noqa: E731
    messages = {failure("softmax", answer()) for _ in range(2)}
    assert len(messages) == 1
    assert "(random case 1)" in messages.pop()


def test_hidden_check_draws_fresh_random_cases():
    answer = lambda: right_then_wrong(3, activations.softmax, lambda z: jnp.zeros_like(z))  # noqa: E731
    messages = {failure("softmax", answer(), seed=None) for _ in range(3)}
    assert len(messages) > 1

"""course_lib.checks.recurrent: the checks of exercise 6 pass the reference answers, reject the usual
wrong ones with a message that names the mistake, reject wrong types and shapes, and give the same
visible message every run."""
import jax
import jax.numpy as jnp
import pytest

from course_lib import recurrent
from course_lib.checks import recurrent as check

REFERENCES = {
    "rnn_cell": recurrent.rnn_cell,
    "unroll": recurrent.unroll,
    "lstm_cell": recurrent.lstm_cell,
    "gru_cell": recurrent.gru_cell,
    "bptt_norms": recurrent.bptt_norms,
}


def failure(name, answer, seed=0, n_random=5):
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


@pytest.mark.parametrize("name", list(REFERENCES))
def test_unfinished_answer_says_not_written_yet(name):
    def unfinished(*args):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError, match="is not written yet"):
        getattr(check, name)(unfinished)


@pytest.mark.parametrize("name", ["rnn_cell", "gru_cell", "lstm_cell", "unroll"])
def test_pair_results_reject_none_a_single_array_and_always_equal(name):
    assert "Did you forget the `return` statement?" in failure(name, lambda *args: None)
    assert "expected a pair" in failure(name, lambda *args: jnp.zeros(3))
    message = failure(name, lambda *args: (AlwaysEqual(), AlwaysEqual()))
    assert "AlwaysEqual" in message


def test_bptt_norms_rejects_always_equal_list_and_wrong_shape():
    assert "returned a AlwaysEqual" in failure("bptt_norms", lambda W, hs: AlwaysEqual())
    assert "returned a list" in failure("bptt_norms", lambda W, hs: [1.0] * (hs.shape[0] + 1))
    assert "expected shape (5,), got shape (4,)" in failure("bptt_norms", lambda W, hs: recurrent.bptt_norms(W, hs)[1:])


# --- question 1 -------------------------------------------------------------------------------------------

def test_rnn_cell_names_a_missing_tanh():
    message = failure("rnn_cell", lambda p, h, x: (h @ p.W_hh + x @ p.W_xh + p.b,) * 2)
    assert "rnn_cell's h_t (the new carry) on rnn_cell(params, h, x) with W_hh = [[0.5, -1], [1, 0.5]]" in message
    assert "the tanh is missing" in message


def test_rnn_cell_names_the_transposed_recurrent_matrix():
    message = failure("rnn_cell", lambda p, h, x: (jnp.tanh(h @ p.W_hh.T + x @ p.W_xh + p.b),) * 2)
    assert "not h @ W_hh.T" in message


def test_rnn_cell_names_the_sigmoid():
    message = failure("rnn_cell", lambda p, h, x: (jax.nn.sigmoid(h @ p.W_hh + x @ p.W_xh + p.b),) * 2)
    assert "not the sigmoid" in message


def test_rnn_cell_that_crashes_on_a_batch_reports_the_case():
    def column_convention(p, h, x):            # works for one sequence, fails for a batch
        h = jnp.tanh(p.W_hh.T @ h + p.W_xh.T @ x + p.b)
        return h, h
    message = failure("rnn_cell", column_convention)
    assert "random case" in message


# --- question 2 -------------------------------------------------------------------------------------------

def test_unroll_rejects_a_list_of_states_and_the_last_state_only():
    def as_list(cell, params, state, xs):
        hs = []
        for x in xs:
            state, h = cell(params, state, x)
            hs.append(h)
        return state, hs
    assert "returned a list" in failure("unroll", as_list)
    last_only = lambda cell, params, state, xs: (lambda s, hs: (s, hs[-1]))(*recurrent.unroll(cell, params, state, xs))
    message = failure("unroll", last_only)
    assert "expected shape (3, 1), got shape (1,)" in message and "jnp.stack" in message


def test_unroll_rejects_swapped_outputs_and_a_bare_tuple_lstm_state():
    swapped = lambda cell, params, state, xs: recurrent.unroll(cell, params, state, xs)[::-1]
    assert "unroll's final state on unroll(rnn_cell" in failure("unroll", swapped)
    def tuple_state(cell, params, state, xs):
        final, hs = recurrent.unroll(cell, params, state, xs)
        return tuple(final) if isinstance(final, recurrent.LSTMState) else final, hs
    assert "should be the LSTM's carry, an LSTMState(h, c), but it is a tuple" in failure("unroll", tuple_state,
                                                                                          n_random=10)


# --- question 3 -------------------------------------------------------------------------------------------

def test_lstm_cell_names_swapped_states():
    def swapped(p, state, x):
        (h, c), out = recurrent.lstm_cell(p, state, x)
        return recurrent.LSTMState(c, h), out
    message = failure("lstm_cell", swapped)
    assert "hidden state first" in message and "every W = [[0], [1]]" in message


def test_lstm_cell_names_x_first_concatenation_and_missing_tanh():
    def x_first(p, state, x):
        flipped = recurrent.LSTMState(state.h, state.c)
        hx = jnp.concatenate([x, flipped.h], axis=-1)
        f, i, o = (jax.nn.sigmoid(hx @ W + b) for W, b in ((p.W_f, p.b_f), (p.W_i, p.b_i), (p.W_o, p.b_o)))
        c = f * state.c + i * jnp.tanh(hx @ p.W_c + p.b_c)
        return recurrent.LSTMState(o * jnp.tanh(c), c), o * jnp.tanh(c)
    assert "concatenate h first, then x" in failure("lstm_cell", x_first)

    def no_tanh(p, state, x):
        (h, c), _ = recurrent.lstm_cell(p, state, x)
        hx = jnp.concatenate([state.h, x], axis=-1)
        o = jax.nn.sigmoid(hx @ p.W_o + p.b_o)
        return recurrent.LSTMState(o * c, c), o * c
    assert "squashed by tanh before the output gate" in failure("lstm_cell", no_tanh)


def test_lstm_cell_rejects_a_plain_tuple_state():
    message = failure("lstm_cell", lambda p, s, x: (tuple(recurrent.lstm_cell(p, s, x)[0]), recurrent.lstm_cell(p, s, x)[1]))
    assert "should be an LSTMState(h, c), but it is a tuple" in message


# --- question 4 -------------------------------------------------------------------------------------------

def test_gru_cell_names_the_pytorch_convention_and_a_missing_reset_gate():
    def torch_style(p, h, x):
        hx = jnp.concatenate([h, x], axis=-1)
        z, r = jax.nn.sigmoid(hx @ p.W_z + p.b_z), jax.nn.sigmoid(hx @ p.W_r + p.b_r)
        h_tilde = jnp.tanh(jnp.concatenate([r * h, x], axis=-1) @ p.W_h + p.b_h)
        return (z * h + (1 - z) * h_tilde,) * 2
    assert "PyTorch convention" in failure("gru_cell", torch_style)

    def no_reset(p, h, x):
        hx = jnp.concatenate([h, x], axis=-1)
        z = jax.nn.sigmoid(hx @ p.W_z + p.b_z)
        return ((1 - z) * h + z * jnp.tanh(hx @ p.W_h + p.b_h),) * 2
    assert "reset gate is missing" in failure("gru_cell", no_reset)


# --- question 5 -------------------------------------------------------------------------------------------

def _norms(W_hh, hs, norm=lambda P: jnp.linalg.norm(P, ord=2), transpose=True, slope=True):
    W = W_hh.T if transpose else W_hh
    P, out = jnp.eye(W.shape[0]), [1.0]
    for h in hs[::-1]:
        P = P @ (jnp.diag(1 - h ** 2 if slope else jnp.ones_like(h)) @ W)
        out.append(norm(P))
    return jnp.array(out)


def test_bptt_norms_names_the_frobenius_norm():
    assert "largest singular value" in failure("bptt_norms", lambda W, hs: _norms(W, hs, norm=jnp.linalg.norm))


def test_bptt_norms_names_the_untransposed_matrix_and_the_missing_slope():
    assert "diag(1 − h_t²) @ W_hh.T" in failure("bptt_norms", lambda W, hs: _norms(W, hs, transpose=False))
    assert "the factor 1 − h_s² (tanh's slope) is missing" in failure("bptt_norms",
                                                                     lambda W, hs: _norms(W, hs, slope=False))


def test_bptt_norms_message_shows_the_worked_case():
    message = failure("bptt_norms", lambda W, hs: jnp.ones(hs.shape[0] + 1))
    assert "W_hh = 0.5·I (2 × 2)" in message and "expected [1, 0.5, 0.25, 0.125, 0.0625], got [1, 1, 1, 1, 1]" in message

"""course_lib.checks.norm: the checks of exercise 9 pass the reference answers, reject the usual wrong
ones with a message that names the mistake, and give the same visible message every run."""
import jax
import jax.numpy as jnp
import pytest

from course_lib import norm
from course_lib.checks import norm as check
from course_lib.norm import BatchNormStats


def ref_train(x, gamma, beta, eps=1e-5):
    axes = tuple(range(x.ndim - 1))
    mean, var = jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
    y, _ = norm.batch_norm(x, gamma, beta, BatchNormStats(mean, var), train=True, eps=eps)
    return y, mean, var


def ref_running(rm, rv, bm, bv, momentum=0.9):
    # one train-mode call of the library on a batch with exactly these statistics would need data; the
    # update rule itself is what the library applies: running <- momentum·running + (1 − momentum)·batch
    return momentum * rm + (1 - momentum) * bm, momentum * rv + (1 - momentum) * bv


def ref_eval(x, gamma, beta, rm, rv, eps=1e-5):
    return norm.batch_norm(x, gamma, beta, BatchNormStats(rm, rv), train=False, eps=eps)[0]


def ref_grad(x, gamma, dy, eps=1e-5):
    return norm.batch_norm_input_grad(x, gamma, dy, eps)


REFERENCES = {"batch_norm_train": ref_train, "running_update": ref_running, "batch_norm_eval": ref_eval,
              "batch_norm_grad": ref_grad}


def failure(name, answer, seed=0):
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(answer, seed=seed)
    return str(error.value)


class AlwaysEqual:
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


def test_running_reference_agrees_with_the_library_update():
    x = jax.random.normal(jax.random.PRNGKey(0), (16, 3)) * 2 + 1
    start = BatchNormStats(jnp.array([0.5, -1.0, 2.0]), jnp.array([1.0, 2.0, 0.5]))
    _, new = norm.batch_norm(x, jnp.ones(3), jnp.zeros(3), start, train=True, momentum=0.8)
    mean, var = ref_running(start.mean, start.var, x.mean(0), x.var(0), 0.8)
    assert jnp.allclose(new.mean, mean, atol=1e-6) and jnp.allclose(new.var, var, atol=1e-5)


# --- question 1 ------------------------------------------------------------------------------------------

def _with_ddof1(x, gamma, beta, eps=1e-5):
    axes = tuple(range(x.ndim - 1))
    mean, var = jnp.mean(x, axis=axes), jnp.var(x, axis=axes, ddof=1)
    return gamma * (x - mean) / jnp.sqrt(var + eps) + beta, mean, var


def test_unbiased_variance_is_named():
    message = failure("batch_norm_train", _with_ddof1)
    assert "on the lecture's mini-batch" in message
    assert "unbiased variance (divided by m − 1)" in message


def test_normalizing_over_the_feature_axis_is_named():
    def per_example(x, gamma, beta, eps=1e-5):
        y = gamma * (x - x.mean(-1, keepdims=True)) / jnp.sqrt(x.var(-1, keepdims=True) + eps) + beta
        return y, *ref_train(x, gamma, beta, eps)[1:]
    assert "every axis BUT the last" in failure("batch_norm_train", per_example)


def test_missing_eps_is_named():
    def no_eps(x, gamma, beta, eps=1e-5):
        return ref_train(x, gamma, beta, 0.0)
    assert "eps is missing" in failure("batch_norm_train", no_eps)


def test_dividing_by_the_variance_is_named():
    def by_var(x, gamma, beta, eps=1e-5):
        y, mean, var = ref_train(x, gamma, beta, eps)
        return gamma * (x - mean) / (var + eps) + beta, mean, var
    assert "not by the variance" in failure("batch_norm_train", by_var)


@pytest.mark.parametrize("answer, expected", [
    (lambda x, g, b, e: None, "returned None"),
    (lambda x, g, b, e: ref_train(x, g, b, e)[0], "expected a tuple (y, mean, var)"),
    (lambda x, g, b, e: ref_train(x, g, b, e)[:2], "returned 2 values"),
    (lambda x, g, b, e: (AlwaysEqual(), AlwaysEqual(), AlwaysEqual()), "returned a AlwaysEqual"),
    (lambda x, g, b, e: (ref_train(x, g, b, e)[0].tolist(), *ref_train(x, g, b, e)[1:]), "returned a list"),
    (lambda x, g, b, e: (ref_train(x, g, b, e)[0], x.mean(0, keepdims=True), ref_train(x, g, b, e)[2]),
     "expected shape (2,), got shape (1, 2)"),
])
def test_batch_norm_train_rejects_malformed_answers(answer, expected):
    assert expected in failure("batch_norm_train", answer)


def test_unfinished_answer_raises_not_implemented():
    def unfinished(x, gamma, beta, eps=1e-5):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError, match="batch_norm_train is not written yet"):
        check.batch_norm_train(unfinished)


# --- questions 2 and 3 -----------------------------------------------------------------------------------

def test_momentum_on_the_wrong_side_is_named():
    message = failure("running_update", lambda rm, rv, bm, bv, mo: ref_running(rm, rv, bm, bv, 1 - mo))
    assert "momentum weighs the OLD running value" in message


def test_running_update_forgetting_the_variance_fails():
    message = failure("running_update", lambda rm, rv, bm, bv, mo: (ref_running(rm, rv, bm, bv, mo)[0], rv))
    assert "running_update's var" in message


def test_eval_with_batch_statistics_is_named():
    message = failure("batch_norm_eval", lambda x, g, b, rm, rv, e: ref_train(x, g, b, e)[0])
    assert "these are the batch's own statistics" in message


def test_eval_rejects_lookalike():
    assert "returned a AlwaysEqual" in failure("batch_norm_eval", lambda *a: AlwaysEqual())


# --- question 4 -------------------------------------------------------------------------------------------

def test_gradient_treating_the_statistics_as_constants_is_named():
    def constant_stats(x, gamma, dy, eps=1e-5):
        return gamma * dy / jnp.sqrt(x.var(axis=tuple(range(x.ndim - 1))) + eps)
    assert "treats μ_B and σ²_B as constants" in failure("batch_norm_grad", constant_stats)


def test_gradient_missing_the_variance_term_is_named():
    def mean_only(x, gamma, dy, eps=1e-5):
        axes = tuple(range(x.ndim - 1))
        return (gamma * dy - jnp.mean(gamma * dy, axes)) / jnp.sqrt(x.var(axes) + eps)
    assert "the variance's is missing" in failure("batch_norm_grad", mean_only)


def test_gradient_of_wrong_shape_fails():
    assert "expected shape (4, 2), got shape (2,)" in failure(
        "batch_norm_grad", lambda x, g, dy, e: ref_grad(x, g, dy, e).sum(0))

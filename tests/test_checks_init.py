"""course_lib.checks.init: the checks of exercise 8 pass the reference answers, reject the usual wrong
ones with a message that names the mistake, and give the same visible message every run."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import init
from course_lib.checks import init as check

REFERENCES = {
    "fans": (init.fans,),
    "xavier": (init.xavier_normal, init.xavier_uniform),
    "he": (init.he_normal, init.he_uniform),
    "activation_stds": (check.reference_activation_stds,),
}
RIGHT_ANSWERS = {("relu", "normal_0.01"): "vanish", ("relu", "normal_1"): "explode",
                 ("relu", "xavier_normal"): "vanish", ("relu", "he_normal"): "stable",
                 ("linear", "xavier_normal"): "stable", ("linear", "he_normal"): "explode",
                 ("tanh", "normal_0.01"): "vanish"}


def failure(name, *answers, seed=0):
    given = answers + REFERENCES[name][len(answers):]
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(*given, seed=seed)
    return str(error.value)


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_module_exports_one_check_per_question():
    assert check.__all__ == [*REFERENCES, "stability"]


@pytest.mark.parametrize("seed", [0, None], ids=["visible", "hidden"])
@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_passes_the_reference_implementation(name, seed, capsys):
    getattr(check, name)(*REFERENCES[name], seed=seed)
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("name", ["fans", "activation_stds"])
def test_success_line_is_the_same_for_any_seed(name, capsys):
    getattr(check, name)(*REFERENCES[name], seed=0)
    visible = capsys.readouterr().out
    getattr(check, name)(*REFERENCES[name], seed=None)
    assert capsys.readouterr().out == visible
    assert visible.count("\n") == 1


# --- question 1: fans -------------------------------------------------------------------------------

def test_fans_without_the_window_gets_the_window_hint():
    message = failure("fans", lambda s: (s[0], s[1]) if len(s) == 2 else (s[2], s[3]))
    assert "fans((3, 3, 3, 64))" in message
    assert "the KH·KW window is missing" in message


def test_swapped_fans_get_the_swap_hint():
    message = failure("fans", lambda s: init.fans(s)[::-1])
    assert "fan_in and fan_out are swapped" in message


@pytest.mark.parametrize("answer, expected", [(lambda s: None, "expected a tuple (fan_in, fan_out)"),
                                              (lambda s: list(s), "expected a tuple (fan_in, fan_out)"),
                                              (lambda s: AlwaysEqual(), "expected a tuple (fan_in, fan_out)")])
def test_fans_rejects_answers_that_are_not_pairs(answer, expected):
    assert expected in failure("fans", answer)


def test_fans_rejects_pair_of_lookalikes():
    message = failure("fans", lambda s: (AlwaysEqual(), AlwaysEqual()))
    assert "fans" in message


# --- questions 2 and 3: initializers ---------------------------------------------------------------------

def test_xavier_with_forward_only_variance_is_named():
    message = failure("xavier", init.lecun_normal)
    assert "expected 0.004" in message
    assert "1/fan_in, the forward-only (LeCun) variance" in message


def test_xavier_normal_with_he_variance_is_named():
    assert "2/fan_in, He's variance" in failure("xavier", init.he_normal)


def test_xavier_uniform_with_bound_missing_factor_three_is_named():
    def uniform_too_narrow(key, shape):
        fi, fo = init.fans(shape)
        a = np.sqrt(2 / (fi + fo))
        return jax.random.uniform(key, shape, minval=-a, maxval=a)
    assert "A uniform draw U(−a, a) has variance a²/3" in failure("xavier", init.xavier_normal, uniform_too_narrow)


def test_he_with_fan_out_is_named():
    message = failure("he", lambda k, s: np.sqrt(2 / init.fans(s)[1]) * jax.random.normal(k, s))
    assert "2/fan_out" in message


def test_he_with_variance_as_std_is_named():
    message = failure("he", lambda k, s: (2 / init.fans(s)[0]) * jax.random.normal(k, s))
    assert "You used the variance as the standard deviation" in message


def test_uniform_check_rejects_a_normal_draw():
    assert "does not look uniform" in failure("he", init.he_normal, init.he_normal)


def test_normal_check_rejects_a_uniform_draw():
    assert "does not look normal" in failure("he", init.he_uniform)


def test_initializer_ignoring_the_key_is_rejected():
    rng = np.random.default_rng(0)

    def numpy_he(key, shape):
        return jnp.asarray(rng.normal(0, np.sqrt(2 / init.fans(shape)[0]), shape), jnp.float32)
    assert "must come from `key` alone" in failure("he", numpy_he)


def test_initializer_with_wrong_shape_or_none_is_rejected():
    assert "expected shape (6, 5), got shape (5, 6)" in failure("he", lambda k, s: init.he_normal(k, s[::-1]))
    assert "returned None" in failure("he", lambda k, s: None)
    assert "returned a list" in failure("he", lambda k, s: [0.0] * s[0])
    assert "returned a AlwaysEqual" in failure("he", lambda k, s: AlwaysEqual())


def test_unfinished_initializer_raises_not_implemented():
    def unfinished(key, shape):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError, match="he_normal is not written yet"):
        check.he(unfinished, init.he_uniform)


# --- question 4: activation_stds --------------------------------------------------------------------------

def test_stds_of_pre_activations_get_the_hint():
    def pre(params, x, g):
        h, out = x, []
        for W, b in params:
            z = h @ W + b
            out.append(jnp.std(z))
            h = g(z)
        return jnp.stack(out)
    assert "stds of the pre-activations" in failure("activation_stds", pre)


def test_activation_stds_rejects_a_list_and_a_wrong_length():
    assert "returned a list" in failure("activation_stds", lambda p, x, g: list(check.reference_activation_stds(p, x, g)))
    assert "expected shape (2,), got shape (1,)" in failure(
        "activation_stds", lambda p, x, g: check.reference_activation_stds(p, x, g)[-1:])


# --- question 5: stability ----------------------------------------------------------------------------------

def test_stability_accepts_the_simulated_verdicts(capsys):
    check.stability(RIGHT_ANSWERS)
    assert capsys.readouterr().out == "ok: all 7 verdicts agree with the simulation\n"


def test_the_simulation_agrees_with_the_factor_per_layer():
    # factor per layer of the second moment: n·Var(w) (linear), n·Var(w)/2 (ReLU), n = 256
    for (act, scheme), verdict in RIGHT_ANSWERS.items():
        var = {"normal_0.01": 1e-4, "normal_1": 1.0, "xavier_normal": 1 / 256, "he_normal": 2 / 256}[scheme]
        factor = 256 * var / (2 if act == "relu" else 1)
        expected = "vanish" if factor ** 4.5 < 0.5 else "explode" if factor ** 4.5 > 2 else "stable"  # std ratio over 9 layers
        assert verdict == expected == check.simulate_verdict(act, scheme)[0]


def test_stability_rejects_wrong_missing_and_invalid_verdicts():
    with pytest.raises(AssertionError, match=r"1 of 7 verdicts are wrong, e.g. \('relu', 'xavier_normal'\)"):
        check.stability({**RIGHT_ANSWERS, ("relu", "xavier_normal"): "stable"})
    with pytest.raises(AssertionError, match="has no verdict for"):
        check.stability({k: v for k, v in RIGHT_ANSWERS.items() if k[0] != "tanh"})
    with pytest.raises(AssertionError, match="must be one of"):
        check.stability({**RIGHT_ANSWERS, ("relu", "he_normal"): None})
    with pytest.raises(AssertionError, match="answers should be a dict"):
        check.stability(list(RIGHT_ANSWERS.items()))

"""course_lib.checks.optim: the checks of exercise 7 pass the reference optimizers (and a student-style
flat implementation), reject the usual wrong ones with a message that names the mistake, reject wrong
types and shapes clearly, and give the same visible message every run."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import optim
from course_lib.checks import optim as check

tm = jax.tree_util.tree_map


def reference_moments(g, b1, b2, t):
    m = v = 0.0
    for _ in range(t):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    return m, v, m / (1 - b1 ** t), v / (1 - b2 ** t)


REFERENCES = {"sgd": optim.sgd, "momentum": optim.momentum, "nesterov": optim.nesterov, "adagrad": optim.adagrad,
              "rmsprop": optim.rmsprop, "adam": optim.adam, "adam_moments": reference_moments}


def adam_like(step_count_offset=0, correct=True, eps_inside=False):
    """A student-style Adam with a plain tuple state (t, m, v) and optional mistakes."""
    def make(lr, b1=0.9, b2=0.999, eps=1e-8):
        def init(params):
            z = tm(jnp.zeros_like, params)
            return (0, z, z)

        def update(grads, state, params=None):
            t, m, v = state
            t = t + 1
            m = tm(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
            v = tm(lambda v, g: b2 * v + (1 - b2) * g ** 2, v, grads)
            k = t + step_count_offset

            def step(m, v):
                mh, vh = (m / (1 - b1 ** k), v / (1 - b2 ** k)) if correct else (m, v)
                return -lr * mh / (jnp.sqrt(vh + eps) if eps_inside else jnp.sqrt(vh) + eps)
            return tm(step, m, v), (t, m, v)
        return init, update
    return make


def velocity(rule):
    """A student-style momentum-like optimizer: rule(lr, beta, v, g) -> (step, new_v)."""
    def make(lr, beta=0.9):
        def update(grads, v, params=None):
            pairs = tm(lambda v, g: rule(lr, beta, v, g), v, grads)
            treedef = jax.tree_util.tree_structure(grads)
            flat = treedef.flatten_up_to(pairs)
            return treedef.unflatten([p[0] for p in flat]), treedef.unflatten([p[1] for p in flat])
        return lambda params: tm(jnp.zeros_like, params), update
    return make


def accumulator(rule):
    """rule(lr, eps, G, g) -> (step, new_G), with G starting at 0 (Adagrad- and RMSProp-like)."""
    def make(lr, *hyper):
        def update(grads, G, params=None):
            pairs = tm(lambda G, g: rule(lr, *hyper, G, g), G, grads)
            treedef = jax.tree_util.tree_structure(grads)
            flat = treedef.flatten_up_to(pairs)
            return treedef.unflatten([p[0] for p in flat]), treedef.unflatten([p[1] for p in flat])
        return lambda params: tm(jnp.zeros_like, params), update
    return make


def failure(name, answer, seed=0, **kwargs):
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(answer, seed=seed, **kwargs)
    return str(error.value)


class AlwaysEqual:
    """A hostile answer: claims to equal anything."""
    shape = (3,)

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_module_exports_one_check_per_question():
    assert check.__all__ == list(REFERENCES)


@pytest.mark.parametrize("seed", [0, None], ids=["visible", "hidden"])
@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_passes_the_reference(name, seed, capsys):
    getattr(check, name)(REFERENCES[name], seed=seed)
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_success_line_is_the_same_for_any_seed(name, capsys):
    getattr(check, name)(REFERENCES[name], seed=0)
    visible = capsys.readouterr().out
    getattr(check, name)(REFERENCES[name], seed=None)
    assert capsys.readouterr().out == visible
    assert visible.count("\n") == 1


def test_student_style_flat_implementations_pass(capsys):
    check.momentum(velocity(lambda lr, b, v, g: (-(b * v + lr * g), b * v + lr * g)))
    check.nesterov(velocity(lambda lr, b, v, g: (-(b * (b * v + lr * g) + lr * g), b * v + lr * g)))
    check.adagrad(accumulator(lambda lr, eps, G, g: (-lr * g / jnp.sqrt(G + g * g + eps), G + g * g)))
    check.rmsprop(accumulator(lambda lr, d, eps, E, g: (-lr * g / jnp.sqrt(d * E + (1 - d) * g * g + eps),
                                                         d * E + (1 - d) * g * g)))
    check.adam(adam_like())
    assert capsys.readouterr().out.count("ok: ") == 5


# ---- known mistakes get the hint that names them --------------------------------------------------------------

def test_sgd_rejects_a_flipped_sign():
    message = failure("sgd", lambda lr: (lambda p: (), lambda g, s, p=None: (tm(lambda g: lr * g, g), s)))
    assert "step 1 of 30" in message and "updates are ADDED" in message


def test_momentum_rejects_a_state_that_is_never_returned():
    message = failure("momentum", velocity(lambda lr, b, v, g: (-(b * v + lr * g), v)))
    assert "must return the NEW v" in message and "step 2 of 30" in message


def test_momentum_rejects_the_average_form_with_one_minus_beta():
    message = failure("momentum", velocity(lambda lr, b, v, g: (-lr * (b * v + (1 - b) * g), b * v + (1 - b) * g)))
    assert "without a factor (1 − beta)" in message


def test_nesterov_rejects_plain_momentum():
    message = failure("nesterov", velocity(lambda lr, b, v, g: (-(b * v + lr * g), b * v + lr * g)))
    assert "this is plain momentum" in message


def test_adagrad_rejects_eps_outside_the_root():
    message = failure("adagrad", accumulator(lambda lr, eps, G, g: (-lr * g / (jnp.sqrt(G + g * g) + eps), G + g * g)))
    assert "eps = 0.01 (a large ε)" in message and "eps belongs inside the root" in message


def test_adagrad_rejects_only_the_current_squared_gradient():
    message = failure("adagrad", accumulator(lambda lr, eps, G, g: (-lr * g / jnp.sqrt(g * g + eps), G + g * g)))
    assert "SUM of all squared gradients" in message


def test_rmsprop_rejects_swapped_weights():
    message = failure("rmsprop", accumulator(lambda lr, d, eps, E, g: (-lr * g / jnp.sqrt((1 - d) * E + d * g * g + eps),
                                                                        (1 - d) * E + d * g * g)))
    assert "the weights are swapped" in message


def test_rmsprop_rejects_the_slides_double_root():
    def double_root(lr, d, eps, E, g):
        E = d * E + (1 - d) * g * g
        return -lr * g / jnp.sqrt(jnp.sqrt(E + eps) + eps), E
    message = failure("rmsprop", accumulator(double_root))
    assert "the root is taken twice" in message


def test_adam_rejects_a_missing_bias_correction():
    assert "the bias correction is missing" in failure("adam", adam_like(correct=False))


def test_adam_rejects_eps_inside_the_root():
    message = failure("adam", adam_like(eps_inside=True))
    assert "eps = 0.01 (a large ε)" in message and "eps belongs outside the root" in message


def test_adam_rejects_a_step_count_off_by_one():
    assert "off by one" in failure("adam", adam_like(step_count_offset=1))


def test_adam_moments_rejects_a_missing_correction():
    message = failure("adam_moments", lambda g, b1, b2, t: reference_moments(g, b1, b2, t)[:2] * 2)
    assert "the bias correction is missing" in message and "m_hat = 2" in message


# ---- types, shapes, pytrees, unfinished answers ----------------------------------------------------------------

def test_check_names_a_factory_that_returns_none():
    message = failure("sgd", lambda lr: None)
    assert "returned None" in message and "Optimizer(init, update)" in message


def test_check_names_an_update_that_returns_only_the_updates():
    message = failure("sgd", lambda lr: (lambda p: (), lambda g, s, p=None: tm(lambda g: -lr * g, g)))
    assert "expected a tuple (updates, state)" in message


def test_check_rejects_updates_as_a_python_list():
    message = failure("sgd", lambda lr: (lambda p: (), lambda g, s, p=None: ([float(v) for v in -lr * g], s)))
    assert "expected a tree like the gradients (an array of shape (3,)), got a list of 3 items" in message


def test_check_rejects_updates_of_the_wrong_shape():
    message = failure("sgd", lambda lr: (lambda p: (), lambda g, s, p=None: (-lr * jnp.ravel(g)[:, None], s)))
    assert "expected shape (3,), got shape (3, 1)" in message


def test_check_rejects_an_object_that_claims_to_equal_everything():
    message = failure("sgd", lambda lr: (lambda p: (), lambda g, s, p=None: (AlwaysEqual(), s)))
    assert "AlwaysEqual" in message


def test_check_explains_pytrees_when_only_single_arrays_work():
    message = failure("momentum", lambda lr, beta=0.9: (lambda p: jnp.zeros_like(p),
                                                         lambda g, v, p=None: (-(beta * v + lr * g), beta * v + lr * g)))
    assert "params a dict" in message and "jax.tree_util.tree_map" in message


def test_check_says_not_written_yet_for_an_unfinished_answer():
    def unfinished(lr):
        def init(params):
            raise NotImplementedError()
        return init, lambda g, s, p=None: (g, s)
    with pytest.raises(NotImplementedError, match="not written yet"):
        check.sgd(unfinished)


def test_adam_moments_rejects_a_single_number():
    message = failure("adam_moments", lambda g, b1, b2, t: 0.2)
    assert "expected a tuple (m_t, v_t, m_hat, v_hat)" in message

"""course_lib.checks.backprop: the checks of exercise 3 pass the reference answers, reject the usual wrong
ones with a message that names the mistake, reject wrong types and shapes clearly, and print one success
line that does not depend on the seed."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_lib import activations, backprop, data, layers, losses
from course_lib.checks import backprop as check
from course_lib.layers import DenseParams


def ref_two_layer(W1, b1, W2, b2, X, T):
    _, g = backprop.loss_and_gradients((DenseParams(W1, b1), DenseParams(W2, b2)), X, T,
                                       output_activation="sigmoid")
    return g[0].W, g[0].b, g[1].W, g[1].b


def ref_numerical(f, w, eps=1e-4):
    grad = np.zeros(w.shape)
    for i in np.ndindex(w.shape):
        e = np.zeros(w.shape)
        e[i] = eps
        grad[i] = (f(w + e) - f(w - e)) / (2 * eps)
    return grad


def ref_deltas(weights, zs, delta_L, g_prime):
    out = [delta_L]
    for l in range(len(weights) - 2, -1, -1):
        out.append(g_prime(zs[l]) * (out[-1] @ weights[l + 1].T))
    return out[::-1]


def ref_minibatches(key, x, y, batch_size):
    perm = np.asarray(jax.random.permutation(key, x.shape[0]))
    return [(x[perm[s:s + batch_size]], y[perm[s:s + batch_size]]) for s in range(0, x.shape[0], batch_size)]


def ref_sgd_epoch(params, batches, lr, loss_fn):
    for xb, yb in batches:
        g = jax.grad(loss_fn)(params, xb, yb)
        params = jax.tree_util.tree_map(lambda p, gp: p - lr * gp, params, g)
    return params


_TRAINED = {}


def ref_train_digits(key):
    """Train once per test session (the check only looks at the returned params)."""
    if "params" not in _TRAINED:
        split = data.digits()
        params = layers.init_mlp(key, (64, 64, 10))
        loss = lambda p, x, y: losses.softmax_cross_entropy(layers.mlp(p, x, activation=activations.relu), y)
        step = jax.jit(lambda p, x, y: jax.tree_util.tree_map(lambda a, g: a - 0.2 * g, p, jax.grad(loss)(p, x, y)))
        for epoch_key in jax.random.split(key, 25):
            for xb, yb in ref_minibatches(epoch_key, split.x_train, split.y_train, 32):
                params = step(params, xb, yb)
        _TRAINED["params"] = params
    return _TRAINED["params"]


REFERENCES = {
    "two_layer_gradients": ref_two_layer,
    "numerical_gradient": ref_numerical,
    "delta_recursion": ref_deltas,
    "minibatches": ref_minibatches,
    "sgd_epoch": ref_sgd_epoch,
    "train_digits": ref_train_digits,
}


def failure(name, answer, seed=0):
    with pytest.raises(AssertionError) as error:
        getattr(check, name)(answer, seed=seed)
    return str(error.value)


class AlwaysEqual:
    """A hostile answer: claims to equal anything."""
    shape = ()

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_module_exports_one_check_per_question():
    assert check.__all__ == list(REFERENCES)


@pytest.mark.parametrize("seed", [0, None], ids=["visible", "hidden"])
@pytest.mark.parametrize("name", list(REFERENCES))
def test_check_passes_the_reference_implementation(name, seed, capsys):
    getattr(check, name)(REFERENCES[name], seed=seed)
    out = capsys.readouterr().out
    assert out.startswith("ok: ") and out.count("\n") == 1


@pytest.mark.parametrize("name", ["two_layer_gradients", "numerical_gradient", "delta_recursion", "minibatches"])
def test_success_line_is_the_same_for_any_seed(name, capsys):
    getattr(check, name)(REFERENCES[name], seed=0)
    visible = capsys.readouterr().out
    getattr(check, name)(REFERENCES[name], seed=None)
    assert capsys.readouterr().out == visible


@pytest.mark.parametrize("name", list(REFERENCES))
def test_unfinished_answer_raises_not_implemented_with_the_hint(name):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="is not written yet") as error:
        getattr(check, name)(unfinished)
    assert "Hint:" in str(error.value)


# --- question 1 ------------------------------------------------------------------------------------------

def _two_layer_with(**kw):
    return lambda *a: check._two_layer_variant(*a, **kw)


def test_two_layer_worked_example_is_seed_000s_network():
    W1, b1, W2, b2, X, T = check.seed000_example()
    np.testing.assert_allclose(np.asarray(W1), [[0.15, 0.25], [0.20, 0.30]])
    dW1, _, dW2, _ = ref_two_layer(W1, b1, W2, b2, X, T)
    assert round(float(dW2[0, 0]), 6) == 0.082167 and round(float(dW1[0, 0]), 6) == 0.000439


@pytest.mark.parametrize("kwargs, hint", [
    ({"scale": 1.0}, "N times too large"),
    ({"sign": -1.0}, "the sign is flipped"),
    ({"out_prime": False}, "the output layer's σ'(z) = Y(1 − Y) is missing"),
    ({"hidden_prime": False}, "the hidden layer's σ'(z) = H(1 − H) is missing"),
])
def test_two_layer_rejects_known_mistakes_with_their_hint(kwargs, hint):
    message = failure("two_layer_gradients", _two_layer_with(**kwargs))
    assert hint in message
    assert "two_layer_gradients" in message and "expected" in message


def test_two_layer_rejects_wrong_shapes_none_lists_and_impostors():
    message = failure("two_layer_gradients", lambda *a: tuple(g.T for g in ref_two_layer(*a)))
    assert "dW1 on two_layer_gradients on seed 000's 2-2-2 network" in message or "expected shape" in message
    assert "returned None" in failure("two_layer_gradients", lambda *a: None)
    assert "returned 2 values" in failure("two_layer_gradients", lambda *a: ref_two_layer(*a)[:2])
    assert "returned a list; expected an array" in failure(
        "two_layer_gradients", lambda *a: tuple(np.asarray(g).tolist() for g in ref_two_layer(*a)))
    assert "returned a AlwaysEqual" in failure("two_layer_gradients", lambda *a: (AlwaysEqual(),) * 4)


def test_two_layer_rejects_a_transposed_hidden_gradient_on_a_non_square_case():
    def transposed(W1, b1, W2, b2, X, T):
        g = ref_two_layer(W1, b1, W2, b2, X, T)
        return (g[0].T if g[0].shape[0] != g[0].shape[1] else g[0]) , g[1], g[2], g[3]

    assert "expected shape" in failure("two_layer_gradients", transposed)


# --- question 2 ------------------------------------------------------------------------------------------

def test_numerical_gradient_rejects_forward_differences():
    def forward(f, w, eps=1e-4):
        g = np.zeros(w.shape)
        for i in np.ndindex(w.shape):
            e = np.zeros(w.shape)
            e[i] = eps
            g[i] = (f(w + e) - f(w)) / eps
        return g

    assert "these are forward differences" in failure("numerical_gradient", forward)


def test_numerical_gradient_rejects_dividing_by_eps_instead_of_two_eps():
    assert "divide f₊ − f₋ by 2·eps" in failure("numerical_gradient", lambda f, w, eps=1e-4: 2 * ref_numerical(f, w, eps))


def test_numerical_gradient_rejects_changing_w_in_place():
    def in_place(f, w, eps=1e-4):
        g = ref_numerical(f, w, eps)
        w[0] += eps
        return g

    assert "your function changed w itself" in failure("numerical_gradient", in_place)


def test_numerical_gradient_in_float32_gets_the_dtype_hint():
    def float32(f, w, eps=1e-4):
        w32 = jnp.asarray(w, jnp.float32)
        g = np.zeros(w.shape, np.float32)
        for i in np.ndindex(w.shape):
            wp, wm = np.array(w32.at[i].add(eps)), np.array(w32.at[i].add(-eps))
            g[i] = (f(wp) - f(wm)) / (2 * eps)
        return g

    assert "your result is float32" in failure("numerical_gradient", float32)


def test_numerical_gradient_rejects_a_flat_result_for_a_matrix():
    message = failure("numerical_gradient", lambda f, w, eps=1e-4: ref_numerical(f, w, eps).ravel(), seed=3)
    assert "expected shape (2, 3), got shape (6,)" in message


# --- question 3 ------------------------------------------------------------------------------------------

def test_delta_recursion_rejects_a_missing_g_prime():
    assert "g'(zˡ) is missing" in failure("delta_recursion", lambda W, z, d, gp: ref_deltas(W, z, d, lambda v: 1.0 + 0 * v))


def test_delta_recursion_rejects_the_reverse_order():
    message = failure("delta_recursion", lambda W, z, d, gp: ref_deltas(W, z, d, gp)[::-1])
    assert "your list is in reverse order" in message


def test_delta_recursion_rejects_a_missing_transpose():
    message = failure("delta_recursion", lambda W, z, d, gp: ref_deltas([w.T for w in W], z, d, gp))
    assert message.startswith("delta_recursion")          # a value (square W) or shape mismatch, or a crash
    assert "(Wˡ⁺¹)ᵀ" in message


def test_delta_recursion_rejects_a_wrong_length():
    assert "returned 1 values" in failure("delta_recursion", lambda W, z, d, gp: [d])


# --- question 4 ------------------------------------------------------------------------------------------

def test_minibatches_rejects_a_dropped_last_batch():
    def drop_last(key, x, y, b):
        return [batch for batch in ref_minibatches(key, x, y, b) if len(batch[1]) == b]

    assert "Keep the last, smaller batch" in failure("minibatches", drop_last)


def test_minibatches_rejects_no_shuffle():
    def in_order(key, x, y, b):
        return [(x[s:s + b], y[s:s + b]) for s in range(0, x.shape[0], b)]

    assert "come in their original order" in failure("minibatches", in_order)


def test_minibatches_rejects_x_and_y_shuffled_differently():
    def two_perms(key, x, y, b):
        k1, k2 = jax.random.split(key)
        px, py = np.asarray(jax.random.permutation(k1, x.shape[0])), np.asarray(jax.random.permutation(k2, x.shape[0]))
        return [(x[px[s:s + b]], y[py[s:s + b]]) for s in range(0, x.shape[0], b)]

    assert "Index x and y with the SAME indices" in failure("minibatches", two_perms)


def test_minibatches_rejects_sampling_with_replacement():
    def replacement(key, x, y, b):
        idx = np.asarray(jax.random.randint(key, (x.shape[0],), 0, x.shape[0]))
        return [(x[idx[s:s + b]], y[idx[s:s + b]]) for s in range(0, x.shape[0], b)]

    assert "appear more than once" in failure("minibatches", replacement)


def test_minibatches_rejects_an_order_that_ignores_the_key():
    rng = np.random.default_rng()

    def global_rng(key, x, y, b):
        perm = rng.permutation(x.shape[0])
        return [(x[perm[s:s + b]], y[perm[s:s + b]]) for s in range(0, x.shape[0], b)]

    assert "two calls with the same key gave different orders" in failure("minibatches", global_rng)


def test_minibatches_rejects_none_and_non_pairs():
    assert "returned None" in failure("minibatches", lambda key, x, y, b: None)
    assert "each batch must be a pair" in failure("minibatches", lambda key, x, y, b: [x])


# --- question 5 ------------------------------------------------------------------------------------------

def test_sgd_epoch_rejects_gradient_ascent():
    assert "SUBTRACTS lr · gradient" in failure("sgd_epoch", lambda p, bs, lr, f: ref_sgd_epoch(p, bs, -lr, f))


def test_sgd_epoch_rejects_all_gradients_at_the_start():
    def at_start(params, batches, lr, loss_fn):
        grads = [jax.grad(loss_fn)(params, xb, yb) for xb, yb in batches]
        total = jax.tree_util.tree_map(lambda *g: sum(g), *grads)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, total)

    assert "update params after EACH batch" in failure("sgd_epoch", at_start)


def test_sgd_epoch_rejects_returning_only_the_last_batch_step():
    assert "carry the updated params" in failure("sgd_epoch", lambda p, bs, lr, f: ref_sgd_epoch(p, bs[-1:], lr, f))


def test_sgd_epoch_rejects_none_and_another_structure():
    assert "returned None" in failure("sgd_epoch", lambda p, bs, lr, f: None)
    assert "must have the structure of params" in failure("sgd_epoch", lambda p, bs, lr, f: list(ref_sgd_epoch(p, bs, lr, f)))


def test_sgd_epoch_rejects_impostor_leaves():
    message = failure("sgd_epoch", lambda p, bs, lr, f: jax.tree_util.tree_map(lambda _: AlwaysEqual(), p))
    assert "AlwaysEqual" in message


# --- question 6 ------------------------------------------------------------------------------------------

def test_train_digits_rejects_an_untrained_network():
    message = failure("train_digits", lambda key: layers.init_mlp(key, (64, 16, 10)))
    assert "test accuracy" in message and "below the required 0.95" in message


def test_train_digits_rejects_wrong_types_and_sizes():
    assert "returned None" in failure("train_digits", lambda key: None)
    assert "a tuple of DenseParams" in failure("train_digits", lambda key: {"W": 1})
    assert "do not make a network from 64 inputs" in failure("train_digits", lambda key: layers.init_mlp(key, (10, 10)))
    assert "the last layer needs 10 outputs" in failure("train_digits", lambda key: layers.init_mlp(key, (64, 3)))

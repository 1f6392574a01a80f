"""course_lib.train: mini-batches, the jitted step, fit (against a step-by-step reimplementation) and
accuracy (against NumPy)."""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from course_lib import layers, losses, optim, train

KEY = jax.random.PRNGKey(0)


def _blobs(n=42, seed=0):
    """Two well separated Gaussian blobs in the plane, labels 0 and 1: a linearly separable problem."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(scale=0.5, size=(n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.int32)


def _loss(params, x, y):
    return losses.softmax_cross_entropy(layers.dense(params, x), y)


def _params():
    return layers.init_dense(jax.random.PRNGKey(1), 2, 2)


def _fit_by_hand(key, loss_fn, params, optimizer, x, y, epochs, batch_size, keep=False):
    """fit, written out: per-epoch keys from one split of `key`, each epoch's batches from train.batches,
    one make_step per batch, the epoch loss weighted by batch size. keep=True also returns the params
    after every epoch."""
    step = train.make_step(loss_fn, optimizer)
    state = optimizer.init(params)
    history, per_epoch, n = [], [], x.shape[0]
    for epoch_key in jax.random.split(key, epochs):
        total = 0.0
        for idx in train.batches(epoch_key, n, batch_size):
            params, state, loss = step(params, state, x[idx], y[idx])
            total += float(loss) * len(idx)
        history.append(total / n)
        per_epoch.append(params)
    return (params, history, per_epoch) if keep else (params, history)


def _assert_trees_close(a, b, **tol):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), **tol)


# ---- batches ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, batch_size", [(10, 3), (10, 5), (10, 10), (5, 8), (1, 1)])
def test_batches_cover_every_index_once(n, batch_size):
    parts = train.batches(KEY, n, batch_size)
    flat = np.concatenate([np.asarray(p) for p in parts])
    assert sorted(flat.tolist()) == list(range(n))
    full, rest = divmod(n, batch_size)
    assert [len(p) for p in parts] == [batch_size] * full + ([rest] if rest else [])
    assert all(jnp.issubdtype(p.dtype, jnp.integer) for p in parts)


def test_batches_same_key_same_order():
    a = np.concatenate(train.batches(jax.random.PRNGKey(3), 20, 6))
    b = np.concatenate(train.batches(jax.random.PRNGKey(3), 20, 6))
    np.testing.assert_array_equal(a, b)


def test_batches_differ_across_keys():
    orders = {tuple(np.concatenate(train.batches(jax.random.PRNGKey(k), 20, 6)).tolist()) for k in range(4)}
    assert len(orders) == 4


def test_batches_are_shuffled():
    assert np.concatenate(train.batches(KEY, 20, 6)).tolist() != list(range(20))


@pytest.mark.parametrize("n, batch_size, bad, value", [(0, 2, "n", "0"), (10, 0, "batch_size", "0"),
                                                       (10, 2.5, "batch_size", "2.5"), (True, 2, "n", "True"),
                                                       (-3, 2, "n", "-3")])
def test_batches_rejects_non_positive_integers(n, batch_size, bad, value):
    with pytest.raises(ValueError, match=rf"^batches: {bad} must be a positive integer, got {value}"):
        train.batches(KEY, n, batch_size)


# ---- make_step ----------------------------------------------------------------------------------------

def test_make_step_equals_value_and_grad_then_update():
    x, y = _blobs(10)
    params = _params()
    opt = optim.sgd(0.3)
    step = train.make_step(_loss, opt)
    new_params, state, loss = step(params, opt.init(params), x, y)

    value, grads = jax.jit(jax.value_and_grad(_loss))(params, x, y)
    expected = [np.asarray(p, np.float64) - 0.3 * np.asarray(g, np.float64) for p, g in zip(params, grads)]
    assert float(loss) == pytest.approx(float(value), rel=1e-6)
    assert isinstance(new_params, layers.DenseParams)
    for got, want in zip(new_params, expected):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-7)
    assert state == opt.init(params)


def test_make_step_gradient_matches_central_differences():
    x, y = _blobs(8)
    params = _params()
    new_params, _, _ = train.make_step(_loss, optim.sgd(1.0))(params, optim.sgd(1.0).init(params), x, y)
    step_taken = [np.asarray(p, np.float64) - np.asarray(q, np.float64) for p, q in zip(params, new_params)]  # = g

    xs, ys = np.asarray(x, np.float64), np.asarray(y)

    def reference(W, b):  # the same loss in float64 NumPy
        return -np.mean(special.log_softmax(xs @ W + b, axis=1)[np.arange(len(ys)), ys])

    W, b = (np.asarray(v, np.float64) for v in params)
    h = 1e-6
    numeric_W = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[idx] = h
        numeric_W[idx] = (reference(W + e, b) - reference(W - e, b)) / (2 * h)
    numeric_b = np.array([(reference(W, b + h * e) - reference(W, b - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(step_taken[0], numeric_W, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(step_taken[1], numeric_b, rtol=1e-3, atol=1e-6)


# ---- fit ----------------------------------------------------------------------------------------------

FIT_KEY = jax.random.PRNGKey(2)


@pytest.fixture(scope="module")
def run():
    """One fit on 42 examples in batches of 8 (five full batches and a last one of 2), with an evaluate
    that records the parameters it is given. Shared by the tests below: each fit compiles an epoch."""
    x, y = _blobs()
    seen = []

    def evaluate(p):
        seen.append(p)
        return {"train_acc": train.accuracy(layers.dense(p, x), y), "train_loss": _loss(p, x, y)}

    params, history = train.fit(FIT_KEY, _loss, _params(), optim.sgd(0.5), x, y, epochs=4, batch_size=8,
                                evaluate=evaluate)
    return x, y, params, history, seen, evaluate


def test_fit_history_keys_and_lengths(run):
    *_, history, _, _ = run
    assert set(history) == {"epoch", "loss", "train_acc", "train_loss"}
    assert history["epoch"] == [1, 2, 3, 4]
    assert all(len(v) == 4 for v in history.values())
    assert all(isinstance(v, float) for k in ("loss", "train_acc", "train_loss") for v in history[k])


def test_fit_loss_decreases_on_a_separable_problem(run):
    x, y, params, history, _, _ = run
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["train_loss"][-1] < float(_loss(_params(), x, y))
    assert history["train_acc"][-1] == 1.0
    assert float(train.accuracy(layers.dense(params, x), y)) == 1.0


def test_fit_epochs_equal_make_step_over_the_same_batches(run):
    x, y, params, history, seen, _ = run
    expected_params, expected_losses, per_epoch = _fit_by_hand(FIT_KEY, _loss, _params(), optim.sgd(0.5),
                                                               x, y, 4, 8, keep=True)
    _assert_trees_close(params, expected_params, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["loss"], expected_losses, rtol=1e-5)
    # evaluate is called after each epoch, with that epoch's parameters
    assert len(seen) == 4
    for p, q in zip(seen, per_epoch):
        _assert_trees_close(p, q, rtol=1e-5, atol=1e-6)


def test_fit_records_what_evaluate_returns(run):
    x, y, _, history, seen, _ = run
    for p, acc, loss in zip(seen, history["train_acc"], history["train_loss"]):
        logits = np.asarray(layers.dense(p, x))
        assert acc == pytest.approx(np.mean(np.argmax(logits, 1) == np.asarray(y)))
        assert loss == pytest.approx(float(_loss(p, x, y)), rel=1e-6)


def test_fit_same_key_identical_history_and_params(run):
    x, y, params, history, _, evaluate = run
    again = train.fit(FIT_KEY, _loss, _params(), optim.sgd(0.5), x, y, epochs=4, batch_size=8, evaluate=evaluate)
    assert again[1] == history
    _assert_trees_close(again[0], params, rtol=0, atol=0)


def test_fit_different_key_different_history(run):
    x, y, _, history, _, _ = run
    other = train.fit(jax.random.PRNGKey(3), _loss, _params(), optim.sgd(0.5), x, y, epochs=4, batch_size=8)[1]
    assert other["loss"] != history["loss"]


@pytest.mark.parametrize("n, batch_size", [(10, 16)])  # (42, 8), with a remainder, is the shared run
def test_fit_equals_make_step_with_batch_size_above_n(n, batch_size):
    x, y = _blobs(n)
    key = jax.random.PRNGKey(11)
    params, history = train.fit(key, _loss, _params(), optim.sgd(0.2), x, y, epochs=3, batch_size=batch_size)
    expected_params, expected_losses = _fit_by_hand(key, _loss, _params(), optim.sgd(0.2), x, y, 3, batch_size)
    _assert_trees_close(params, expected_params, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["loss"], expected_losses, rtol=1e-5)


class CountState(NamedTuple):
    count: jax.Array  # shape (), int32: steps taken


def _decaying_sgd(lr):
    """Δ = −η g / (1 + k) at step k: a stateful optimizer, to check fit threads the state through."""
    def init(params):
        return CountState(jnp.zeros((), jnp.int32))

    def update(grads, state, params=None):
        scale = -lr / (1.0 + state.count)
        return jax.tree_util.tree_map(lambda g: scale * g, grads), CountState(state.count + 1)

    return optim.Optimizer(init, update)


def test_fit_carries_optimizer_state_across_batches_and_epochs():
    x, y = _blobs(30)
    key = jax.random.PRNGKey(5)
    params, history = train.fit(key, _loss, _params(), _decaying_sgd(0.5), x, y, epochs=3, batch_size=7)
    expected_params, expected_losses = _fit_by_hand(key, _loss, _params(), _decaying_sgd(0.5), x, y, 3, 7)
    _assert_trees_close(params, expected_params, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["loss"], expected_losses, rtol=1e-5)


def test_fit_prints_nothing_outside_a_notebook(capsys):
    x, y = _blobs(8)
    train.fit(KEY, _loss, _params(), optim.sgd(0.3), x, y, epochs=2, batch_size=8, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0, "batch_size": 4}, r"^fit: epochs must be a positive integer, got 0"),
    ({"epochs": 2.0, "batch_size": 4}, r"^fit: epochs must be a positive integer, got 2.0"),
    ({"epochs": 1, "batch_size": 0}, r"^fit: batch_size must be a positive integer, got 0"),
    ({"epochs": 1, "batch_size": None}, r"^fit: batch_size must be a positive integer, got None"),
])
def test_fit_rejects_bad_epochs_and_batch_size(kwargs, match):
    x, y = _blobs(8)
    with pytest.raises(ValueError, match=match):
        train.fit(KEY, _loss, _params(), optim.sgd(0.1), x, y, **kwargs)


@pytest.mark.parametrize("x_shape, y_shape", [((8, 2), (7,)), ((), (3,)), ((3, 2), ())])
def test_fit_rejects_x_and_y_of_different_lengths(x_shape, y_shape):
    with pytest.raises(ValueError, match=r"^fit: x and y must have the same number of examples along axis 0, "
                                         rf"got x \({', '.join(map(str, x_shape))}.*\) and y"):
        train.fit(KEY, _loss, _params(), optim.sgd(0.1), np.zeros(x_shape), np.zeros(y_shape, np.int32),
                  epochs=1, batch_size=2)


# ---- accuracy -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, k", [(1, 2), (20, 3), (50, 10)])
def test_accuracy_matches_numpy(n, k):
    rng = np.random.default_rng(n)
    logits = rng.normal(size=(n, k)).astype(np.float32)
    labels = rng.integers(0, k, size=n)
    expected = sum(int(np.argmax(row) == t) for row, t in zip(logits, labels)) / n
    assert float(train.accuracy(logits, labels)) == pytest.approx(expected)


def test_accuracy_all_right_and_all_wrong():
    logits = np.eye(3, dtype=np.float32)
    assert float(train.accuracy(logits, np.array([0, 1, 2]))) == 1.0
    assert float(train.accuracy(logits, np.array([1, 2, 0]))) == 0.0


def test_accuracy_rejects_one_dimensional_logits():
    with pytest.raises(ValueError, match=r"^accuracy: logits must have shape \(N, K\), got shape \(4,\)"):
        train.accuracy(np.zeros(4), np.zeros(4, np.int32))


def test_accuracy_rejects_labels_of_wrong_shape():
    with pytest.raises(ValueError, match=r"^accuracy: labels must have shape \(N,\) = \(3,\) to match logits "
                                         r"\(3, 2\), got \(4,\)"):
        train.accuracy(np.zeros((3, 2)), np.zeros(4, np.int32))


# ---- fit options of lecture 3: record_steps and shuffle --------------------------------------------------

def test_fit_record_steps_gives_every_batch_loss_in_order():
    x, y = _blobs(30)
    key = jax.random.PRNGKey(7)
    params, history = train.fit(key, _loss, _params(), optim.sgd(0.3), x, y, epochs=2, batch_size=7,
                                record_steps=True)
    assert len(history["step_loss"]) == 2 * 5                      # 4 batches of 7 and one of 2, per epoch
    step = train.make_step(_loss, optim.sgd(0.3))
    p, state, expected = _params(), optim.sgd(0.3).init(_params()), []
    for epoch_key in jax.random.split(key, 2):
        for idx in train.batches(epoch_key, 30, 7):
            p, state, loss = step(p, state, x[idx], y[idx])
            expected.append(float(loss))
    np.testing.assert_allclose(history["step_loss"], expected, rtol=1e-5)
    # the epoch loss is the batch-size-weighted mean of that epoch's batch losses
    first = np.array(history["step_loss"][:5])
    assert history["loss"][0] == pytest.approx(float((first[:4].sum() * 7 + first[4] * 2) / 30), rel=1e-5)


def test_fit_without_record_steps_has_no_step_loss():
    x, y = _blobs(8)
    _, history = train.fit(KEY, _loss, _params(), optim.sgd(0.3), x, y, epochs=1, batch_size=4)
    assert "step_loss" not in history


def test_fit_without_shuffle_visits_examples_in_stored_order():
    x, y = _blobs(12)
    params, history = train.fit(KEY, _loss, _params(), optim.sgd(0.3), x, y, epochs=2, batch_size=5,
                                shuffle=False, record_steps=True)
    step = train.make_step(_loss, optim.sgd(0.3))
    p, state, expected = _params(), optim.sgd(0.3).init(_params()), []
    for _ in range(2):
        for start in range(0, 12, 5):
            p, state, loss = step(p, state, x[start:start + 5], y[start:start + 5])
            expected.append(float(loss))
    np.testing.assert_allclose(history["step_loss"], expected, rtol=1e-5)
    _assert_trees_close(params, p, rtol=1e-5, atol=1e-6)


# ---- fit compiles once per program ---------------------------------------------------------------------

@pytest.fixture
def compilations():
    """A counter of XLA compilations in this process (JAX's backend_compile event, one per program built)."""
    from jax import monitoring

    count = [0]

    def listen(event, seconds, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            count[0] += 1

    monitoring.register_event_duration_secs_listener(listen)
    yield count
    monitoring.unregister_event_duration_listener(listen)


def _fit_digits_like(optimizer, scale=1.0, epochs=2):
    """A fit as a notebook cell writes it: a new lambda and a new optimizer object on every run."""
    x, y = _blobs(26, seed=4)
    loss = lambda p, xb, yb: scale * losses.softmax_cross_entropy(layers.dense(p, xb), yb)  # noqa: E731
    return train.fit(KEY, loss, _params(), optimizer, x, y, epochs=epochs, batch_size=5, progress=False)


def test_fit_compiles_its_epoch_once_for_a_loss_and_optimizer_rebuilt_identically(compilations):
    first = _fit_digits_like(optim.adam(0.0123))
    after_first = compilations[0]
    assert after_first > 0, "the first fit of a new program compiles it"
    again = _fit_digits_like(optim.adam(0.0123), epochs=3)  # new objects, same program, more epochs
    assert compilations[0] == after_first, "a rebuilt loss and optimizer that trace to the same program reuse it"
    assert again[1]["loss"][:2] == first[1]["loss"]


@pytest.mark.parametrize("change", ["learning rate", "captured scale", "optimizer"])
def test_fit_compiles_again_when_the_program_changes(compilations, change):
    _fit_digits_like(optim.adam(0.0321), scale=1.5)
    before = compilations[0]
    optimizer, scale = optim.adam(0.0321), 1.5
    if change == "learning rate":
        optimizer = optim.adam(0.0322)
    elif change == "captured scale":
        scale = 2.5
    else:
        optimizer = optim.rmsprop(0.0321)
    _fit_digits_like(optimizer, scale=scale)
    assert compilations[0] > before, f"a different {change} is a different program"


def test_program_key_follows_code_closures_and_globals_not_identity():
    def make(c):
        return lambda v: v * c
    assert train._program_key(make(2.0)) == train._program_key(make(2.0))
    assert train._program_key(make(2.0)) != train._program_key(make(3.0))
    assert train._program_key(make(np.ones(3))) != train._program_key(make(np.zeros(3)))
    assert train._program_key(optim.sgd(0.1)) == train._program_key(optim.sgd(0.1))
    assert train._program_key(optim.momentum(0.1)) != train._program_key(optim.nesterov(0.1))
    assert train._program_key(lambda v: v + 1) != train._program_key(lambda v: v + 2)


# ---- confusion_matrix -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, k", [(1, 2), (30, 3), (200, 10)])
def test_confusion_matrix_matches_a_numpy_loop(n, k):
    rng = np.random.default_rng(n)
    labels, predictions = rng.integers(0, k, n), rng.integers(0, k, n)
    expected = np.zeros((k, k), int)
    for t, p in zip(labels, predictions):
        expected[t, p] += 1
    got = train.confusion_matrix(labels, predictions, k)
    assert got.dtype == jnp.int32
    np.testing.assert_array_equal(np.asarray(got), expected)
    assert int(jnp.trace(got)) == int(np.sum(labels == predictions))


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match=r"^confusion_matrix: labels must lie in \[0, 3\), got values from 0 to 3"):
        train.confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match=r"^confusion_matrix: predictions must be integer classes, got dtype float32"):
        train.confusion_matrix(np.array([0, 1]), np.array([0.0, 1.0], np.float32), 3)
    with pytest.raises(ValueError, match=r"^confusion_matrix: labels and predictions must have the same shape, "
                                         r"got \(2,\) and \(3,\)"):
        train.confusion_matrix(np.array([0, 1]), np.array([0, 1, 2]), 3)
    with pytest.raises(ValueError, match=r"^confusion_matrix: num_classes must be a positive integer, got 0"):
        train.confusion_matrix(np.array([0]), np.array([0]), 0)

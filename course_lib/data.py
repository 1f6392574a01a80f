"""Datasets of the course, all offline: small real data shipped in course_lib/data/, the rest generated.

    xor(), logic(op)   the four rows of a two-input truth table
    iris()             Fisher's iris: 150 flowers, 4 measurements (cm), 3 species
    digits()           1,797 handwritten digits, 8×8 pixels, a fixed train/test split
    spirals(key, n)    interleaved spiral arms in the plane, one class per arm
    adding_problem(key, n, T), delayed_recall(key, n, delay), weather(key, days), windows(series, T)
                       generated sequence tasks for the recurrent networks of lecture 6

Inputs are float32, labels int32. Iris and digits are the UCI Machine Learning Repository datasets
(CC BY 4.0) in the versions scikit-learn distributes; see README.md for the credits.
"""
from importlib import resources
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from course_lib import _validate

__all__ = ["Dataset", "Split", "LOGIC_OPS", "xor", "logic", "iris", "digits", "spirals",
           "IRIS_FEATURES", "IRIS_CLASSES", "adding_problem", "delayed_recall", "weather", "windows"]


class Dataset(NamedTuple):
    x: jax.Array  # (N, D) float32 inputs
    y: jax.Array  # (N,) int32 labels


class Split(NamedTuple):
    x_train: jax.Array  # (N_train, …) float32
    y_train: jax.Array  # (N_train,) int32
    x_test: jax.Array   # (N_test, …) float32
    y_test: jax.Array   # (N_test,) int32


LOGIC_OPS = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xor": lambda a, b: a ^ b,
    "and_not": lambda a, b: a & (1 - b),  # x1 AND NOT x2, the McCulloch–Pitts example of seed 001
}

IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def logic(op):
    """The truth table of a two-input gate: x = (0,0), (0,1), (1,0), (1,1) as (4, 2); y = op(x1, x2)."""
    if op not in LOGIC_OPS:
        raise ValueError(f"logic: op must be one of {sorted(LOGIC_OPS)}, got {op!r}")
    a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    return Dataset(jnp.asarray(np.stack([a, b], 1), jnp.float32), jnp.asarray(LOGIC_OPS[op](a, b), jnp.int32))


def xor():
    """XOR's truth table: y = 1 exactly when x1 ≠ x2. No single line separates the two classes."""
    return logic("xor")


def iris():
    """Fisher's iris data: x (150, 4) in cm, columns IRIS_FEATURES; y (150,) in {0, 1, 2} = IRIS_CLASSES,
    50 flowers each, in the original order (setosa first)."""
    with np.load(_data_file("iris.npz")) as f:
        return Dataset(jnp.asarray(f["x"], jnp.float32), jnp.asarray(f["y"], jnp.int32))


def digits(*, images=False, test_size=360):
    """Handwritten digits 0–9 as 8×8 grey images with values scaled from 0–16 to [0, 1].

    A fixed split (the same in every lecture, so results compare): `test_size` random examples for
    testing, the rest (1,437 by default) for training.
    images=False: x is (N, 64), one row per image, for dense networks;
    images=True:  x is (N, 8, 8, 1), channel-last, for convolutions.
    """
    with np.load(_data_file("digits.npz")) as f:
        pixels, labels = f["images"], f["labels"]
    n = len(labels)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, np.integer)) or not 0 < test_size < n:
        raise ValueError(f"digits: test_size must be an integer in (0, {n}), got {test_size!r}")
    order = np.random.default_rng(0).permutation(n)
    x = pixels.astype(np.float32)[order] / 16.0
    x = x[..., None] if images else x.reshape(n, 64)
    y = labels.astype(np.int32)[order]
    test, train = slice(0, test_size), slice(test_size, n)
    return Split(jnp.asarray(x[train]), jnp.asarray(y[train]), jnp.asarray(x[test]), jnp.asarray(y[test]))


def spirals(key, n, classes=2, *, turns=1.0, noise=0.05):
    """`classes` interleaved spiral arms, `n` points on each: a classic task no straight line solves.

    Point i of arm k sits at radius r = i / n and angle θ = 2π·turns·r + 2πk / classes, plus Gaussian
    noise of standard deviation `noise` on each coordinate.  →  x (n·classes, 2), y (n·classes,) = arm k.
    """
    n = _validate.positive_int("spirals", "n", n)
    classes = _validate.positive_int("spirals", "classes", classes)
    if classes < 2:
        raise ValueError(f"spirals: classes must be at least 2, got {classes}")
    if noise < 0:
        raise ValueError(f"spirals: noise must be non-negative, got {noise!r}")
    if not turns > 0:
        raise ValueError(f"spirals: turns must be positive, got {turns!r}")
    r = jnp.tile(jnp.arange(n) / n, classes)
    arm = jnp.repeat(jnp.arange(classes), n)
    theta = 2 * jnp.pi * (turns * r + arm / classes)
    x = jnp.stack([r * jnp.cos(theta), r * jnp.sin(theta)], axis=1)
    x = x + noise * jax.random.normal(key, x.shape)
    return Dataset(x.astype(jnp.float32), arm.astype(jnp.int32))


# --- sequence tasks (lecture 6) -------------------------------------------------------------------
# Sequences are batch-first here, x (N, T, D), so that train.fit cuts mini-batches along axis 0;
# recurrent.unroll wants time-major (T, N, D): use jnp.swapaxes(x, 0, 1). Every generator is pure JAX
# with static sizes, so it can be called inside a jitted training step to draw fresh data.

def adding_problem(key, n, T):
    """Hochreiter & Schmidhuber's adding problem: add the two numbers that are marked.

    x (n, T, 2): channel 0 holds T random numbers from U(0, 1); channel 1 is a marker, 1 at exactly two
    steps (one in the first half of the sequence, one in the second) and 0 elsewhere.
    y (n,) float32: the sum of the two marked numbers. Predicting 1 always has mean squared error 1/6 ≈ 0.167.
    """
    n = _validate.positive_int("adding_problem", "n", n)
    T = _validate.positive_int("adding_problem", "T", T)
    if T < 2:
        raise ValueError(f"adding_problem: T must be at least 2 (two marked steps), got {T}")
    k_val, k_first, k_second = jax.random.split(key, 3)
    values = jax.random.uniform(k_val, (n, T))
    half = T // 2
    first = jax.random.randint(k_first, (n,), 0, half)
    second = jax.random.randint(k_second, (n,), half, T)
    steps = jnp.arange(T)
    marker = ((steps == first[:, None]) | (steps == second[:, None])).astype(jnp.float32)
    x = jnp.stack([values, marker], axis=-1)
    return Dataset(x.astype(jnp.float32), jnp.sum(values * marker, axis=1).astype(jnp.float32))


def delayed_recall(key, n, delay, *, symbols=4, length=None, distractors=True):
    """Remember a symbol for `delay` steps: a classification task with a long-range dependency.

    Each sequence has `length` steps (default delay + 1). At step t* = length − delay − 1 it shows one of
    `symbols` symbols as a one-hot vector, with an extra "store this" cue channel set to 1; every other
    step shows a random distractor symbol (a one-hot with the cue at 0), or nothing (all zeros) when
    distractors=False. After the last step the model must name the cued symbol, seen `delay` steps before.
    Keeping `length` fixed while `delay` varies keeps every array the same shape (one compilation).
    x (n, length, symbols + 1) float32, y (n,) int32 in {0, …, symbols − 1}; chance accuracy 1 / symbols.
    """
    n = _validate.positive_int("delayed_recall", "n", n)
    if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)) or delay < 0:
        raise ValueError(f"delayed_recall: delay must be an integer ≥ 0, got {delay!r}")
    symbols = _validate.positive_int("delayed_recall", "symbols", symbols)
    if symbols < 2:
        raise ValueError(f"delayed_recall: symbols must be at least 2, got {symbols}")
    length = delay + 1 if length is None else _validate.positive_int("delayed_recall", "length", length)
    if length < delay + 1:
        raise ValueError(f"delayed_recall: length must be at least delay + 1 = {delay + 1}, got {length}")
    k_target, k_noise = jax.random.split(key)
    y = jax.random.randint(k_target, (n,), 0, symbols)
    shown = jax.random.randint(k_noise, (n, length), 0, symbols)
    cue = jnp.arange(length) == length - delay - 1                    # (length,)
    shown = jnp.where(cue, y[:, None], shown)
    onehot = jax.nn.one_hot(shown, symbols) * (cue | distractors)[None, :, None]
    x = jnp.concatenate([onehot, jnp.broadcast_to(cue, (n, length))[..., None].astype(onehot.dtype)], axis=-1)
    return Dataset(x.astype(jnp.float32), y.astype(jnp.int32))


def weather(key, days, *, period=365.0, mean=12.0, amplitude=10.0, noise=3.0, persistence=0.8):
    """A generated daily temperature record (°C): a yearly cycle plus weather that persists from day to day.

        T_d = mean + amplitude · sin(2π d / period) + e_d,   e_d = persistence · e_{d−1} + √(1 − persistence²) · noise · ε_d

    with ε_d ~ N(0, 1), so the anomaly e_d has standard deviation `noise` on every day and tomorrow's
    anomaly is `persistence` times today's plus fresh noise. No forecast can beat an RMSE of
    noise · √(1 − persistence²) for tomorrow (the fresh noise).   →   (days,) float32
    """
    days = _validate.positive_int("weather", "days", days)
    if not period > 0:
        raise ValueError(f"weather: period must be positive, got {period!r}")
    if noise < 0:
        raise ValueError(f"weather: noise must be non-negative, got {noise!r}")
    if not 0 <= persistence < 1:
        raise ValueError(f"weather: persistence must be in [0, 1), got {persistence!r}")
    k_first, k_rest = jax.random.split(key)
    shocks = jnp.sqrt(1 - persistence ** 2) * noise * jax.random.normal(k_rest, (days,))
    first = noise * jax.random.normal(k_first, ())
    _, rest = jax.lax.scan(lambda e, s: (persistence * e + s,) * 2, first, shocks[1:])
    anomaly = jnp.concatenate([first[None], rest])
    d = jnp.arange(days)
    return (mean + amplitude * jnp.sin(2 * jnp.pi * d / period) + anomaly).astype(jnp.float32)


def windows(series, length):
    """Cut a series into forecasting examples: x = `length` consecutive values, y = the next value.

    series (S,)  →  x (S − length, length, 1), y (S − length,): example i is series[i : i + length]
    and its target series[i + length].
    """
    series = _validate.array("windows", "series", series)
    _validate.ndim("windows", "series", series, 1, "(S,)")
    length = _validate.positive_int("windows", "length", length)
    if length >= series.shape[0]:
        raise ValueError(f"windows: length must be smaller than the series ({series.shape[0]} values), "
                         f"got {length}")
    idx = jnp.arange(series.shape[0] - length)[:, None] + jnp.arange(length)
    return series[idx][..., None], series[length:]


def _data_file(name):
    return resources.files("course_lib") / "data" / name

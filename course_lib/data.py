"""Datasets of the course, all offline: small real data shipped in course_lib/data/, the rest generated.

    xor(), logic(op)   the four rows of a two-input truth table
    iris()             Fisher's iris: 150 flowers, 4 measurements (cm), 3 species
    digits()           1,797 handwritten digits, 8×8 pixels, a fixed train/test split
    spirals(key, n)    interleaved spiral arms in the plane, one class per arm

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
           "IRIS_FEATURES", "IRIS_CLASSES"]


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


def _data_file(name):
    return resources.files("course_lib") / "data" / name

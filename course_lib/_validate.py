"""Argument checks shared by the library: each raises ValueError naming the function, the argument,
what was expected and what arrived. Shapes are static under jit, so these checks cost nothing there."""
import jax.numpy as jnp
import numpy as np


def array(fn, name, x):
    """`x` as a JAX array, or a ValueError if it is not numbers (strings, objects, ragged lists)."""
    try:
        a = jnp.asarray(x)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: {name} must be an array of numbers, got {type(x).__name__} {x!r:.60}") from None
    if not (jnp.issubdtype(a.dtype, jnp.number) or a.dtype == jnp.bool_):
        raise ValueError(f"{fn}: {name} must be an array of numbers, got dtype {a.dtype}")
    return a


def ndim(fn, name, x, expected, shape_doc):
    """Raise unless x.ndim is `expected` (an int or a tuple of ints); `shape_doc` says e.g. '(N, D)'."""
    allowed = (expected,) if isinstance(expected, int) else tuple(expected)
    if x.ndim not in allowed:
        raise ValueError(f"{fn}: {name} must have shape {shape_doc}, got shape {tuple(x.shape)}")


def positive_int(fn, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")
    return int(value)


def shape_tuple(fn, name, shape):
    """A shape as a tuple of positive ints."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"{fn}: {name} must be a tuple of positive integers, got {shape!r}") from None
    if not dims or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                           for d in dims):
        raise ValueError(f"{fn}: {name} must be a tuple of positive integers, got {shape!r}")
    return tuple(int(d) for d in dims)

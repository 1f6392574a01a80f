"""The comparison machinery behind every check: call safely, then compare type, shape and values."""
import numbers
from typing import NamedTuple

import numpy as np

__all__ = ["Case", "cases_rng", "call", "assert_close", "check_function"]

_ARRAY_TYPES = (np.ndarray, np.generic, numbers.Number)


class Case(NamedTuple):
    description: str  # how the case reads in a message, e.g. "sigmoid(s) with s = [0. 2.]"
    args: tuple       # positional arguments for the student's and the reference function


def cases_rng(seed):
    """The random source of a check: a fixed seed for visible checks, None (fresh entropy) for hidden ones."""
    return np.random.default_rng(seed)


def call(name, fn, *args, case="", hint=""):
    """fn(*args), turning the student's unfinished or crashing code into a message they can act on."""
    if not callable(fn):
        raise AssertionError(f"{name} should be a function, but it is {type(fn).__name__} {fn!r:.60}.")
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotImplementedError(f"{name} is not written yet: replace `raise NotImplementedError()` "
                                  f"with your code.{_hint(hint)}") from None
    except Exception as error:
        raise AssertionError(f"{name} raised {type(error).__name__} on {case or 'the test case'}: "
                             f"{error}{_hint(hint)}") from error


def assert_close(name, case, received, expected, *, rtol=1e-5, atol=1e-6, hint=""):
    """Compare a returned array (or number) to the expected one: type first, then shape, then values.

    Only plain numbers and NumPy/JAX arrays are accepted, and they are converted to a float64 NumPy
    array before comparing, so an object that claims to equal everything cannot pass."""
    where = f"{name} on {case}" if case else name
    if received is None:
        raise AssertionError(f"{where} returned None. Did you forget the `return` statement?{_hint(hint)}")
    if not (isinstance(received, _ARRAY_TYPES) or _is_jax_array(received)) or isinstance(received, complex):
        raise AssertionError(f"{where} returned a {type(received).__name__}; expected an array or a number "
                             f"like {_show(expected)}.{_hint(hint)}")
    got = np.array(received, dtype=np.float64)
    want = np.array(expected, dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{where}: expected shape {want.shape}, got shape {got.shape}.{_hint(hint)}")
    if np.any(np.isfinite(want) & ~np.isfinite(got)):
        bad = tuple(int(i) for i in np.argwhere(np.isfinite(want) & ~np.isfinite(got))[0])
        raise AssertionError(f"{where}: got {got[bad] if got.ndim else got} at index {bad}, expected the finite "
                             f"value {want[bad] if want.ndim else want}.{_hint(hint)}")
    close = np.isclose(got, want, rtol=rtol, atol=atol) | (np.isnan(want) & np.isnan(got))
    if not np.all(close):
        bad = tuple(int(i) for i in np.argwhere(~close)[0])
        index = f" at index {bad}" if got.ndim else ""
        raise AssertionError(f"{where}: expected {_show(want)}, got {_show(got)} "
                             f"(first difference{index}: expected {want[bad]:.6g}, got {got[bad]:.6g})."
                             f"{_hint(hint)}")


def check_function(name, student, reference, cases, *, rtol=1e-5, atol=1e-6, hint=""):
    """Run student(*case.args) and reference(*case.args) for every case and compare the results.
    Returns the number of cases checked, so a test cell can print it."""
    for case in cases:
        received = call(name, student, *case.args, case=case.description, hint=hint)
        assert_close(name, case.description, received, reference(*case.args), rtol=rtol, atol=atol, hint=hint)
    return len(cases)


def _is_jax_array(x):
    try:
        import jax
    except ImportError:  # pragma: no cover - jax is a dependency of the course
        return False
    return isinstance(x, jax.Array)


def _hint(hint):
    return f"\nHint: {hint}" if hint else ""


def _show(value):
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return np.array2string(a, separator=", ", threshold=12, edgeitems=3, formatter={"float_kind": "{:.4g}".format})

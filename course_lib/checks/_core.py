"""The comparison machinery behind every check: call safely, then compare type, shape and values."""
import numbers
from typing import NamedTuple

import numpy as np

__all__ = ["Case", "cases_rng", "call", "as_array", "as_tuple", "assert_close", "check_function", "show"]

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
    except NotImplementedError as error:
        unfinished = _innermost_function(error)
        who = name if unfinished in (None, name, getattr(fn, "__name__", name)) else f"{unfinished} (used by {name})"
        raise NotImplementedError(f"{who} is not written yet: replace `raise NotImplementedError()` "
                                  f"with your code.{_hint(hint)}") from None
    except Exception as error:
        raise AssertionError(f"{name} raised {type(error).__name__} on {case or 'the test case'}: "
                             f"{error}{_hint(hint)}") from error


def as_array(name, case, received, shape, *, like=None, hint=""):
    """The student's returned value as a float64 NumPy array, after checking it is one: a number or a
    NumPy/JAX array (no lists, None or look-alike objects), of real dtype and of the expected `shape`.

    This is the type-and-shape half of every check; use it alone where values are judged by behaviour."""
    where = f"{name} on {case}" if case else name
    example = f" like {show(like)}" if like is not None else f" of shape {tuple(shape)}"
    if received is None:
        raise AssertionError(f"{where} returned None. Did you forget the `return` statement?{_hint(hint)}")
    if not (isinstance(received, _ARRAY_TYPES) or _is_jax_array(received)) or isinstance(received, complex):
        raise AssertionError(f"{where} returned a {type(received).__name__}; expected an array or a number"
                             f"{example}.{_hint(hint)}")
    dtype = np.dtype(getattr(received, "dtype", np.float64))
    if dtype.kind in "cUSO":  # complex, strings, objects: float64 would drop or invent values
        raise AssertionError(f"{where} returned an array of dtype {dtype}; expected real numbers{example}."
                             f"{_hint(hint)}")
    got = np.array(received, dtype=np.float64)
    if got.shape != tuple(shape):
        raise AssertionError(f"{where}: expected shape {tuple(shape)}, got shape {got.shape}.{_hint(hint)}")
    return got


def as_tuple(name, case, received, outputs, hint="", *, what=None, reject=()):
    """The parts of a result that must be a tuple with one value per name in `outputs`, after checking it is
    one (a list is accepted; None, another type, an instance of `reject` or the wrong length are not).
    `what` says what the student should return (default: "a tuple (a, b) of 2 values")."""
    where = f"{name} on {case}" if case else name
    want = what or f"a tuple ({', '.join(outputs)}) of {len(outputs)} values"
    if received is None:
        raise AssertionError(f"{where} returned None. Did you forget the `return` statement? "
                             f"It should return {want}.{_hint(hint)}")
    if isinstance(received, reject) or not isinstance(received, (tuple, list)):
        raise AssertionError(f"{where} returned a {type(received).__name__}; expected {want}.{_hint(hint)}")
    if len(received) != len(outputs):
        raise AssertionError(f"{where} returned {len(received)} values; expected {want}.{_hint(hint)}")
    return tuple(received)


def assert_close(name, case, received, expected, *, rtol=1e-5, atol=1e-6, hint=""):
    """Compare a returned array (or number) to the expected one: type first, then shape, then values.

    Only plain numbers and NumPy/JAX arrays are accepted, and they are converted to a float64 NumPy
    array before comparing, so an object that claims to equal everything cannot pass."""
    where = f"{name} on {case}" if case else name
    want = np.array(expected, dtype=np.float64)
    got = as_array(name, case, received, want.shape, like=want, hint=hint)
    if np.any(np.isfinite(want) & ~np.isfinite(got)):
        bad = tuple(int(i) for i in np.argwhere(np.isfinite(want) & ~np.isfinite(got))[0])
        raise AssertionError(f"{where}: got {got[bad] if got.ndim else got} at index {bad}, expected the finite "
                             f"value {want[bad] if want.ndim else want}.{_hint(hint)}")
    close = np.isclose(got, want, rtol=rtol, atol=atol) | (np.isnan(want) & np.isnan(got))
    if not np.all(close):
        bad = tuple(int(i) for i in np.argwhere(~close)[0])
        index = f" at index {bad}" if got.ndim else ""
        raise AssertionError(f"{where}: expected {show(want)}, got {show(got)} "
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


def _innermost_function(error):
    """The name of the innermost named function (not a lambda or comprehension) in `error`'s traceback."""
    name, tb = None, error.__traceback__.tb_next  # skip call()'s own frame
    while tb is not None:
        if not tb.tb_frame.f_code.co_name.startswith("<"):
            name = tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    return name


def _hint(hint):
    return f"\nHint: {hint}" if hint else ""


def show(value):
    """A number or a small array as a student reads it: 4 significant digits, no padding, long arrays elided."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return np.array2string(a, separator=", ", threshold=12, edgeitems=3, formatter={"float_kind": "{:.4g}".format})

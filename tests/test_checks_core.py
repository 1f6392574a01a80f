"""course_lib.checks._core: the comparison machinery every exercise check uses. What a student's answer
may be (numbers, NumPy and JAX arrays), what it may not (None, lists, lookalike objects, complex or text),
and that every failure message says what was expected and what arrived."""
import re

import jax.numpy as jnp
import numpy as np
import pytest

from course_lib.checks import Case, as_array, as_tuple, assert_close, call, cases_rng, check_function


class AlwaysEqual:
    """A student's object that claims to equal anything."""

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.array([1.0, 2.0], dtype=dtype)


class LyingArray(np.ndarray):
    """A real ndarray subclass whose == always says True."""

    def __eq__(self, other):
        return np.ones(self.shape, bool)


# ---- assert_close: what passes ------------------------------------------------------------------------

@pytest.mark.parametrize("received, expected", [
    (np.array([0.5, 1.0]), np.array([0.5, 1.0])),
    (jnp.array([0.5, 1.0]), np.array([0.5, 1.0])),
    (np.array([0.5, 1.0], np.float32), jnp.array([0.5, 1.0])),
    (2, 2.0),
    (0.25, np.float32(0.25)),
    (np.float32(0.1), 0.1),
    (jnp.float32(3.0), 3),
    (np.array(True), 1.0),
    (np.array([[1, 2], [3, 4]]), np.array([[1.0, 2.0], [3.0, 4.0]])),
    (jnp.ones(2, jnp.bfloat16), np.ones(2)),
])
def test_assert_close_accepts_equal_numbers_and_arrays(received, expected):
    assert assert_close("f", "a case", received, expected) is None


def test_assert_close_accepts_differences_within_tolerance():
    assert_close("f", "", np.array([1.0 + 5e-6]), np.array([1.0]))
    assert_close("f", "", 1.05, 1.0, rtol=0.1)


def test_assert_close_accepts_nan_where_nan_is_expected_and_matching_infinities():
    assert_close("f", "", np.array([np.nan, np.inf, -np.inf]), np.array([np.nan, np.inf, -np.inf]))


# ---- assert_close: what fails, and what the message says -----------------------------------------------------

def test_assert_close_rejects_none_and_mentions_return():
    with pytest.raises(AssertionError, match=r"^sigmoid on s = 0 returned None\. Did you forget the `return`"):
        assert_close("sigmoid", "s = 0", None, 0.5)


def test_assert_close_rejects_wrong_shape_naming_both_shapes():
    with pytest.raises(AssertionError, match=r"^f on c: expected shape \(3,\), got shape \(2,\)") as info:
        assert_close("f", "c", np.zeros(2), np.zeros(3))
    assert "(3,)" in str(info.value) and "(2,)" in str(info.value)


def test_assert_close_rejects_a_scalar_where_an_array_is_expected():
    with pytest.raises(AssertionError, match=r"expected shape \(1,\), got shape \(\)"):
        assert_close("f", "c", 0.5, np.array([0.5]))


def test_assert_close_rejects_transposed_result():
    with pytest.raises(AssertionError, match=r"expected shape \(2, 3\), got shape \(3, 2\)"):
        assert_close("f", "c", np.zeros((3, 2)), np.zeros((2, 3)))


def test_assert_close_rejects_wrong_value_naming_expected_and_got():
    with pytest.raises(AssertionError) as info:
        assert_close("f", "c", np.array([0.5, 1.0, 7.0]), np.array([0.5, 2.0, 7.0]))
    message = str(info.value)
    # both whole arrays, then the first entry that differs
    assert re.match(r"^f on c: expected \[0\.5, +2\.?, +7\.?\], got \[0\.5, +1\.?, +7\.?\]", message), message
    assert "(first difference at index (1,): expected 2, got 1)" in message


def test_assert_close_rejects_wrong_scalar_value():
    with pytest.raises(AssertionError, match=r"^f on c: expected 0\.25, got 0\.3 \(first difference: "
                                             r"expected 0\.25, got 0\.3\)"):
        assert_close("f", "c", 0.3, 0.25)


def test_assert_close_respects_the_tolerance():
    with pytest.raises(AssertionError):
        assert_close("f", "c", 1.05, 1.0, rtol=0.01, atol=0.0)
    with pytest.raises(AssertionError):
        assert_close("f", "c", np.array([1.0 + 1e-4]), np.array([1.0]))


@pytest.mark.parametrize("received, shown", [([0.5, 1.0], "list"), ((0.5, 1.0), "tuple"), ("0.5", "str"),
                                             ({"y": 0.5}, "dict"), (AlwaysEqual(), "AlwaysEqual"),
                                             (0.5 + 0j, "complex")])
def test_assert_close_rejects_what_is_not_a_number_or_array(received, shown):
    with pytest.raises(AssertionError, match=rf"^f on c returned a {shown}; expected an array or a number like"):
        assert_close("f", "c", received, np.array([0.5, 1.0]))


def test_assert_close_lookalike_array_cannot_pass_on_equality():
    liar = np.array([9.0, 9.0]).view(LyingArray)
    assert (liar == np.array([1.0, 2.0])).all()  # it lies to ==
    with pytest.raises(AssertionError, match=r"first difference at index \(0,\): expected 1, got 9"):
        assert_close("f", "c", liar, np.array([1.0, 2.0]))


@pytest.mark.parametrize("received", [np.array([0.5 + 1j, 1.0]), np.complex64(0.5), jnp.array([0.5 + 0j, 1.0]),
                                      np.array(["0.5", "1.0"]), np.str_("0.5"), np.array([0.5, 1.0], dtype=object)])
def test_assert_close_rejects_complex_text_and_object_arrays(received):
    expected = np.array([0.5, 1.0]) if np.ndim(received) else 0.5
    with pytest.raises(AssertionError, match=r"^f on c returned an array of dtype \S+; expected real numbers like"):
        assert_close("f", "c", received, expected)


@pytest.mark.parametrize("received, index, got", [(np.array([1.0, np.nan]), r"\(1,\)", "nan"),
                                                  (np.array([np.inf, 2.0]), r"\(0,\)", "inf"),
                                                  (np.float64(-np.inf), r"\(\)", "-inf")])
def test_assert_close_rejects_non_finite_where_finite_expected(received, index, got):
    expected = np.array([1.0, 2.0]) if np.ndim(received) else 3.0
    with pytest.raises(AssertionError, match=rf"^f on c: got {got} at index {index}, expected the finite value"):
        assert_close("f", "c", received, expected)


def test_assert_close_rejects_nan_where_infinity_expected():
    with pytest.raises(AssertionError, match="expected inf, got nan"):
        assert_close("f", "c", np.array([np.nan]), np.array([np.inf]))


def test_assert_close_without_case_names_only_the_function():
    with pytest.raises(AssertionError, match=r"^relu: expected shape"):
        assert_close("relu", "", np.zeros(2), np.zeros(3))


def test_assert_close_appends_the_hint():
    with pytest.raises(AssertionError, match=r"\nHint: use jnp\.maximum$"):
        assert_close("relu", "c", np.array([1.0]), np.array([0.0]), hint="use jnp.maximum")


# ---- as_array -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("received", [jnp.array([1, 2], jnp.int32), np.array([1.0, 2.0], np.float32)])
def test_as_array_returns_float64_numpy_of_the_shape(received):
    got = as_array("f", "c", received, (2,))
    assert type(got) is np.ndarray and got.dtype == np.float64
    np.testing.assert_array_equal(got, [1.0, 2.0])


def test_as_array_without_example_names_the_expected_shape():
    with pytest.raises(AssertionError, match=r"^f on c returned a tuple; expected an array or a number "
                                             r"of shape \(2,\)"):
        as_array("f", "c", (1.0, 2.0), (2,))


def test_as_array_rejects_wrong_shape():
    with pytest.raises(AssertionError, match=r"^f: expected shape \(2, 2\), got shape \(4,\)"):
        as_array("f", "", np.zeros(4), (2, 2))


# ---- call ---------------------------------------------------------------------------------------------

def test_call_returns_the_result():
    assert call("f", lambda a, b: a * b, 3, 4) == 12


def test_call_turns_not_implemented_into_a_message_with_the_hint():
    def unfinished(s):
        raise NotImplementedError()

    expected = (r"^sigmoid is not written yet: replace `raise NotImplementedError\(\)` with your code\."
                r"\nHint: 1/\(1\+e\^-s\)$")
    with pytest.raises(NotImplementedError, match=expected) as info:
        call("sigmoid", unfinished, 0.0, hint="1/(1+e^-s)")
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("error", [ZeroDivisionError("division by zero"), TypeError("bad operand"),
                                   ValueError("shapes (2,) and (3,) not aligned"), KeyError("w"),
                                   AssertionError("inner")])
def test_call_turns_other_exceptions_into_assertion_errors_chained_to_the_original(error):
    def broken(x):
        raise error

    with pytest.raises(AssertionError) as info:
        call("relu", broken, 1.0, case="relu(s) with s = [1.]", hint="check the sign")
    message = str(info.value)
    assert message.startswith(f"relu raised {type(error).__name__} on relu(s) with s = [1.]: {error}")
    assert message.endswith("\nHint: check the sign")
    assert info.value.__cause__ is error


def test_call_names_the_unfinished_helper_a_function_uses():
    def helper(s):
        raise NotImplementedError()

    def neuron(s):
        return helper(s) + 1

    with pytest.raises(NotImplementedError, match=r"^helper \(used by neuron\) is not written yet"):
        call("neuron", neuron, 0.0)


def test_call_without_case_says_the_test_case():
    with pytest.raises(AssertionError, match=r"^f raised ZeroDivisionError on the test case: division by zero$"):
        call("f", lambda: 1 / 0)


@pytest.mark.parametrize("fn, shown", [(None, "NoneType"), (3.0, "float"), ("sigmoid", "str")])
def test_call_rejects_what_is_not_a_function(fn, shown):
    with pytest.raises(AssertionError, match=rf"^sigmoid should be a function, but it is {shown}"):
        call("sigmoid", fn, 0.0)


# ---- check_function, cases_rng --------------------------------------------------------------------------

def _cases(n):
    return [Case(f"square(x) with x = {x}", (np.array([x, -x]),)) for x in np.linspace(-2, 2, n)]


@pytest.mark.parametrize("n", [0, 1, 5])
def test_check_function_counts_the_cases(n):
    calls = []

    def student(x):
        calls.append(x)
        return x ** 2

    assert check_function("square", student, np.square, _cases(n)) == n
    assert len(calls) == n


def test_check_function_names_the_first_failing_case():
    def student(x):
        return x ** 2 if x[0] < 1 else x * 2  # wrong from x = 1 on

    with pytest.raises(AssertionError, match=r"^square on square\(x\) with x = 1\.0: expected"):
        check_function("square", student, np.square, _cases(5))


def test_check_function_reports_crashes_and_unfinished_answers():
    with pytest.raises(AssertionError, match=r"^square raised IndexError on square\(x\) with x = -2\.0"):
        check_function("square", lambda x: x[5], np.square, _cases(3))
    with pytest.raises(NotImplementedError, match=r"^square is not written yet"):
        check_function("square", lambda x: (_ for _ in ()).throw(NotImplementedError()), np.square, _cases(3))


def test_check_function_passes_tolerances_through():
    student = lambda x: x ** 2 * (1 + 1e-3)  # noqa: E731
    with pytest.raises(AssertionError):
        check_function("square", student, np.square, _cases(3))
    assert check_function("square", student, np.square, _cases(3), rtol=1e-2) == 3


def test_cases_rng_is_reproducible_with_a_seed_and_fresh_without():
    assert cases_rng(3).normal(size=5).tolist() == cases_rng(3).normal(size=5).tolist()
    assert cases_rng(3).normal(size=5).tolist() != cases_rng(4).normal(size=5).tolist()
    assert cases_rng(None).normal(size=5).tolist() != cases_rng(None).normal(size=5).tolist()


def test_as_tuple_returns_the_parts_of_a_tuple_or_list():
    assert as_tuple("f", "case 1", [1, 2], ("a", "b")) == (1, 2)


@pytest.mark.parametrize("received, message", [
    (None, "f on case 1 returned None. Did you forget the `return` statement? It should return a tuple (a, b) of 2 values."),
    (np.zeros(2), "f on case 1 returned a ndarray; expected a tuple (a, b) of 2 values."),
    ((1, 2, 3), "f on case 1 returned 3 values; expected a tuple (a, b) of 2 values."),
])
def test_as_tuple_names_what_was_expected_and_what_arrived(received, message):
    with pytest.raises(AssertionError) as error:
        as_tuple("f", "case 1", received, ("a", "b"), hint="return (a, b)")
    assert str(error.value) == message + "\nHint: return (a, b)"


def test_as_tuple_rejects_a_tuple_of_the_wrong_kind():
    class Pair(tuple):
        pass

    with pytest.raises(AssertionError, match="returned a Pair; expected a pair"):
        as_tuple("f", "", Pair((1, 2)), ("a", "b"), what="a pair (a, b)", reject=(Pair,))

"""Checks for the exercise notebooks: run a student's function against the course_lib reference.

Each lecture has a module (`from course_lib.checks import perceptron as check`) whose functions take
the student's function, run it on the lecture's worked example and on random cases, and raise
AssertionError with the case, the expected and the received value and a hint when something is off,
or NotImplementedError (with the hint) when the answer is not written yet.

`seed` fixes the random cases of the visible checks; hidden tests pass seed=None, which draws new
cases at grading time, so an answer that only reproduces the visible cases does not pass.

In a notebook, a failed check's traceback leaves out the frames of course_lib.checks (see _display): the
student sees their cell, the line of their own code that failed, and the message with its hint.
"""
from course_lib.checks import _display
from course_lib.checks._core import Case, as_array, as_tuple, assert_close, call, cases_rng, check_function, show

_display.install()  # in a notebook, a failed check shows the student's code and the message, not the checks'

__all__ = ["Case", "as_array", "as_tuple", "assert_close", "call", "cases_rng", "check_function", "show"]

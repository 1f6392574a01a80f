"""course_lib.checks._display: in a real kernel, a failed check shows the student's cell, the student's own
failing line and the message with its hint, and none of the checking machinery's frames."""
import re
import sys

import nbclient
import nbformat
import pytest

from course_lib.checks import _display
from course_lib.checks import perceptron as check

ANSI = re.compile(r"\x1b\[[0-9;]*m")

CELLS = {
    "unfinished": "def sigmoid_grad(s):\n    raise NotImplementedError()\n\ncheck.sigmoid_grad(sigmoid_grad)",
    "crashing": "def sigmoid_grad(s):\n    y = s.no_such_attribute\n    return y\n\ncheck.sigmoid_grad(sigmoid_grad)",
    "wrong": "def sigmoid_grad(s):\n    return s * (1 - s)\n\ncheck.sigmoid_grad(sigmoid_grad)",
    "plain_assert": "def helper():\n    assert 1 == 2, 'my own assertion'\n\nhelper()",
    "plain_error": "1 / 0",
}


@pytest.fixture(scope="module")
def tracebacks():
    """Each cell of CELLS run in one real kernel; {name: (ename, traceback text without colours)}."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from course_lib.checks import perceptron as check")]
                                  + [nbformat.v4.new_code_cell(source) for source in CELLS.values()])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    shown = {}
    for name, cell in zip(CELLS, nb.cells[1:]):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1, f"{name}: the cell must fail, with one error output"
        shown[name] = (errors[0].ename, ANSI.sub("", "\n".join(errors[0].traceback)))
    return shown


def test_an_unfinished_answer_shows_the_message_and_hint_but_no_checks_code(tracebacks):
    ename, text = tracebacks["unfinished"]
    assert ename == "NotImplementedError"
    assert "check.sigmoid_grad(sigmoid_grad)" in text and "Hint:" in text
    assert "course_lib/checks" not in text and "_core.py" not in text


def test_a_crashing_answer_shows_the_students_failing_line(tracebacks):
    ename, text = tracebacks["crashing"]
    assert ename == "AssertionError"
    assert "y = s.no_such_attribute" in text, "the student must see where their own code failed"
    assert "AttributeError" in text and "Hint:" in text
    assert "course_lib/checks" not in text


def test_a_wrong_answer_shows_expected_and_received(tracebacks):
    ename, text = tracebacks["wrong"]
    assert ename == "AssertionError"
    assert "expected" in text and "got" in text and "Hint:" in text
    assert "course_lib/checks" not in text


def test_errors_outside_the_checks_keep_their_full_traceback(tracebacks):
    ename, text = tracebacks["plain_assert"]
    assert ename == "AssertionError" and "assert 1 == 2" in text and "helper()" in text
    ename, text = tracebacks["plain_error"]
    assert ename == "ZeroDivisionError" and "1 / 0" in text


def test_without_check_frames_keeps_only_frames_outside_the_checks():
    def students_function(s):
        raise NotImplementedError()

    try:
        check.sigmoid_grad(students_function)
    except NotImplementedError:
        tb = sys.exc_info()[2]
    full = _frames(tb)
    kept = _frames(_display.without_check_frames(tb))
    assert any("course_lib/checks" in f for f in full), "the check's own frames are in the raw traceback"
    assert kept and not any("course_lib/checks" in f for f in kept)
    assert kept == [f for f in full if "course_lib/checks" not in f]


def test_install_outside_ipython_does_nothing():
    assert _display.install() is False


def _frames(tb):
    files = []
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename.replace("\\", "/"))
        tb = tb.tb_next
    return files

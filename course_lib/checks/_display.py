"""How a failed check looks in a notebook: the student's cell, the student's code, the message — not the checks'.

A check that fails raises AssertionError or NotImplementedError from inside course_lib.checks. IPython's
usual traceback would show every frame of the checking machinery between the student's cell and the
message, a wall of code that is not theirs. `install()` registers an IPython handler for those two
exceptions that drops the frames of course_lib.checks from the traceback, and from the exception it was
raised from (the student's own error, when their function crashed), so what remains is the cell that ran
the check, the line of the student's function that failed, if any, and the message with its hint.

The exception is still raised: the cell fails, "Run All" and the grader see an error as before. Errors that
do not pass through course_lib.checks are shown by IPython's usual handler, unchanged.
"""
import types
from pathlib import Path

__all__ = ["install", "without_check_frames"]

_CHECKS_DIR = str(Path(__file__).resolve().parent)


def _in_checks(frame):
    return str(Path(frame.f_code.co_filename).resolve()).startswith(_CHECKS_DIR)


def without_check_frames(tb):
    """A copy of the traceback chain `tb` without the frames whose code lives in course_lib/checks/."""
    kept = []
    while tb is not None:
        if not _in_checks(tb.tb_frame):
            kept.append(tb)
        tb = tb.tb_next
    trimmed = None
    for entry in reversed(kept):
        trimmed = types.TracebackType(trimmed, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return trimmed


def _passes_through_checks(tb):
    while tb is not None:
        if _in_checks(tb.tb_frame):
            return True
        tb = tb.tb_next
    return False


def _show_check_failure(shell, etype, value, tb, tb_offset=None):
    """IPython custom-exception handler: show `value` with the frames of course_lib.checks left out.
    (IPython calls it for display only; the cell has failed either way.)"""
    if _passes_through_checks(tb):
        _trim_chain(value)
        tb = without_check_frames(tb)
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def _trim_chain(error):
    """Trim the exceptions `error` was raised from or during; one that happened entirely inside the
    checks (a comparison caught and re-raised with a better hint) is not shown at all."""
    for link in ("__cause__", "__context__"):
        chained = getattr(error, link)
        if chained is None or chained.__traceback__ is None:
            continue
        chained.__traceback__ = without_check_frames(chained.__traceback__)
        if chained.__traceback__ is None:
            setattr(error, link, None)
            if link == "__context__":
                error.__suppress_context__ = True
        else:
            _trim_chain(chained)


def install():
    """Register the handler in the running IPython shell, if there is one (a kernel or the terminal)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course's kernel
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((AssertionError, NotImplementedError), _show_check_failure)
    return True

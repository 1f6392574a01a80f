"""The exercise format: nbgrader's cell metadata (schema 3) and its marker comments.

A solution cell: metadata.nbgrader = {"schema_version": 3, "grade": false, "solution": true,
"locked": false, "grade_id": "q1_sigmoid"}; the reference answer sits between `### BEGIN SOLUTION`
and `### END SOLUTION`.
A test cell: {"schema_version": 3, "grade": true, "solution": false, "locked": true, "points": 2,
"grade_id": "q1_sigmoid_tests"}; lines between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`
are for grading only.
A question is a solution cell plus the test cells up to the next solution cell; its points are the sum
of its test cells' points, and its id is the solution cell's grade_id.
"""
from typing import NamedTuple

__all__ = ["FormatError", "BEGIN_SOLUTION", "END_SOLUTION", "BEGIN_HIDDEN", "END_HIDDEN",
           "nbgrader", "is_solution", "is_test", "regions", "Question", "questions"]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


class FormatError(ValueError):
    """A source notebook that breaks the exercise format; the message names the notebook and cell."""


class Question(NamedTuple):
    grade_id: str          # the solution cell's grade_id, e.g. "q1_activations"
    solution_index: int    # index of the solution cell in the notebook
    test_indices: tuple    # indices of its test cells
    test_points: tuple     # the points of each test cell, in the same order
    points: float          # sum of its test cells' points


def nbgrader(cell):
    """The cell's nbgrader metadata, or {} for an ordinary cell."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution(cell):
    return bool(nbgrader(cell).get("solution"))


def is_test(cell):
    return bool(nbgrader(cell).get("grade")) and not is_solution(cell)


def regions(source, begin, end, where):
    """[(first, last)] line-index pairs of every begin…end block (markers included) in `source`."""
    found, start = [], None
    for i, line in enumerate(source.splitlines()):
        marker = line.strip()
        if marker == begin:
            if start is not None:
                raise FormatError(f"{where}: '{begin}' on line {i + 1} before the '{end}' of line {start + 1}")
            start = i
        elif marker == end:
            if start is None:
                raise FormatError(f"{where}: '{end}' on line {i + 1} without a '{begin}' before it")
            found.append((start, i))
            start = None
    if start is not None:
        raise FormatError(f"{where}: '{begin}' on line {start + 1} is never closed by '{end}'")
    return found


def questions(nb, name="notebook"):
    """The questions of a source notebook, in notebook order, after checking its metadata."""
    seen, result, current = set(), [], None
    for index, cell in enumerate(nb.cells):
        meta, where = nbgrader(cell), f"{name}, cell {index}"
        if not meta:
            for marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
                if marker in cell.source:
                    raise FormatError(f"{where}: '{marker}' in a cell without nbgrader metadata")
            continue
        if meta.get("schema_version") != 3:
            raise FormatError(f"{where}: nbgrader schema_version must be 3, got {meta.get('schema_version')!r}")
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str) or not grade_id or grade_id in seen:
            raise FormatError(f"{where}: grade_id must be a unique non-empty string, got {grade_id!r}")
        seen.add(grade_id)
        if is_solution(cell):
            if meta.get("grade"):
                raise FormatError(f"{where}: a cell is either a solution or a test, not both ({grade_id})")
            if cell.cell_type == "code" and not regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, where):
                raise FormatError(f"{where}: solution cell {grade_id} has no '{BEGIN_SOLUTION}' block")
            current = Question(grade_id, index, (), (), 0.0)
            result.append(current)
        elif is_test(cell):
            points = meta.get("points")
            if cell.cell_type != "code" or not isinstance(points, (int, float)) or points <= 0:
                raise FormatError(f"{where}: test cell {grade_id} must be code with positive points, got {points!r}")
            if current is None:
                raise FormatError(f"{where}: test cell {grade_id} comes before any solution cell")
            regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, where)
            current = current._replace(test_indices=current.test_indices + (index,),
                                       test_points=current.test_points + (points,),
                                       points=current.points + points)
            result[-1] = current
        if not is_solution(cell) and BEGIN_SOLUTION in cell.source:
            raise FormatError(f"{where}: '{BEGIN_SOLUTION}' outside a solution cell")
        if not is_test(cell) and BEGIN_HIDDEN in cell.source:
            raise FormatError(f"{where}: '{BEGIN_HIDDEN}' outside a test cell")
    for q in result:
        if not q.test_indices:
            raise FormatError(f"{name}: question {q.grade_id} has no test cell after it")
    return result

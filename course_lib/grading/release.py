"""Student notebooks from solution notebooks: `course-grade release` and `make exercises`.

For each solutions/NN_topic.ipynb, exercises/NN_topic.ipynb gets:
- every `### BEGIN SOLUTION … ### END SOLUTION` block replaced by `# YOUR CODE HERE` and
  `raise NotImplementedError()` at the block's indentation (a markdown answer by "YOUR ANSWER HERE");
- every `### BEGIN HIDDEN TESTS … ### END HIDDEN TESTS` block removed;
- outputs and execution counts cleared;
- the tag `raises-exception` on solution and test cells, so "Run All" goes on past unfinished answers
  and nbval accepts their errors while every other cell must run cleanly.
"""
import copy
from pathlib import Path

import nbformat

from course_lib.grading import format as fmt

__all__ = ["release_notebook", "release", "STUDENT_STUB", "MARKDOWN_STUB"]

STUDENT_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"
EXCEPTION_TAG = "raises-exception"


def release_notebook(nb, name="notebook"):
    """The student version of a solution notebook (a new notebook; `nb` is not changed)."""
    fmt.questions(nb, name)  # validates the whole notebook first
    student = copy.deepcopy(nb)
    for index, cell in enumerate(student.cells):
        where = f"{name}, cell {index}"
        if fmt.is_solution(cell):
            cell.source = (MARKDOWN_STUB if cell.cell_type == "markdown"
                           else _replace_blocks(cell.source, fmt.BEGIN_SOLUTION, fmt.END_SOLUTION, where, STUDENT_STUB))
        elif fmt.is_test(cell):
            cell.source = _replace_blocks(cell.source, fmt.BEGIN_HIDDEN, fmt.END_HIDDEN, where, ())
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if fmt.is_solution(cell) or fmt.is_test(cell):
                tags = cell.metadata.setdefault("tags", [])
                if EXCEPTION_TAG not in tags:
                    tags.append(EXCEPTION_TAG)
            cell.metadata.pop("execution", None)
    student.metadata.pop("widgets", None)
    return student


def release(solutions="solutions", exercises="exercises"):
    """Write exercises/X.ipynb for every solutions/X.ipynb and delete exercises with no source.
    Returns the paths written."""
    solutions, exercises = Path(solutions), Path(exercises)
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise fmt.FormatError(f"release: no notebooks in {solutions.resolve()}")
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = exercises / source.name
        student = release_notebook(nbformat.read(source, as_version=4), source.name)
        text = nbformat.writes(student) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    for stale in set(exercises.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written


def _replace_blocks(source, begin, end, where, replacement):
    lines = source.splitlines()
    for first, last in reversed(fmt.regions(source, begin, end, where)):
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        lines[first:last + 1] = [indent + line for line in replacement]
    return "\n".join(lines)

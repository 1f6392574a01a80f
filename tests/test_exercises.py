"""The committed exercises: generated from solutions/, free of answers, and failing helpfully when untouched.

(Every solution notebook is also re-executed by the nbval collection in conftest.py, hidden tests
included: any check that fails on a reference answer fails the suite there.)
"""
from pathlib import Path

import nbclient
import nbformat
import pytest

from course_lib.grading import format as fmt, release

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "solutions").glob("*.ipynb"))
EXPECTED_ERRORS = {"NotImplementedError", "AssertionError"}


def _blocks(source, begin, end):
    lines = source.splitlines()
    return [lines[first + 1:last] for first, last in fmt.regions(source, begin, end, "source")]


def test_there_are_exercises():
    assert SOURCES, "solutions/ holds the exercises"


def test_exercises_equal_what_release_generates(tmp_path):
    release(ROOT / "solutions", tmp_path)
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.ipynb")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "exercises").glob("*.ipynb")}
    assert sorted(committed) == sorted(generated), "run `make exercises`: exercises/ and solutions/ differ in files"
    for name in generated:
        assert committed[name] == generated[name], f"exercises/{name} is stale or hand-edited: run `make exercises`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_solution_or_hidden_test_survives_in_the_exercise(source):
    solution_nb = nbformat.read(source, as_version=4)
    exercise_text = (ROOT / "exercises" / source.name).read_text(encoding="utf-8")
    for marker in (fmt.BEGIN_SOLUTION, fmt.END_SOLUTION, fmt.BEGIN_HIDDEN, fmt.END_HIDDEN):
        assert marker not in exercise_text
    secret_lines = set()
    for cell in solution_nb.cells:
        for begin, end in ((fmt.BEGIN_SOLUTION, fmt.END_SOLUTION), (fmt.BEGIN_HIDDEN, fmt.END_HIDDEN)):
            for block in _blocks(cell.source, begin, end):
                secret_lines |= {line.strip() for line in block if len(line.strip()) > 12}
    exercise_lines = {line.strip() for cell in nbformat.reads(exercise_text, as_version=4).cells
                      for line in cell.source.splitlines()}
    assert secret_lines, "a solution notebook with nothing to hide is suspicious"
    assert not secret_lines & exercise_lines, f"answer text left in exercises/{source.name}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_untouched_exercise_fails_every_check_with_a_helpful_error(source):
    path = ROOT / "exercises" / source.name
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if fmt.is_test(cell):
            assert len(errors) == 1, f"cell {index}: an untouched answer must fail its check"
            assert errors[0].ename in EXPECTED_ERRORS, f"cell {index}: {errors[0].ename}: {errors[0].evalue}"
            if errors[0].ename == "NotImplementedError":
                assert "Hint:" in errors[0].evalue, f"cell {index}: the student needs the hint"
        elif not fmt.is_solution(cell):
            assert not errors, f"cell {index} is not an answer or a check, yet fails: {errors[0].evalue}"

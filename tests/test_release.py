"""course_lib.grading: the exercise format (format.py) and student notebooks generated from it (release.py)."""
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib.grading import FormatError, questions, release, release_notebook

BIN = Path(__import__("sys").executable).parent


def solution_cell(grade_id, source):
    return new_code_cell(source, metadata={"nbgrader": {
        "schema_version": 3, "grade": False, "solution": True, "locked": False, "grade_id": grade_id}})


def test_cell(grade_id, source, points=1):
    return new_code_cell(source, metadata={"nbgrader": {
        "schema_version": 3, "grade": True, "solution": False, "locked": True, "points": points,
        "grade_id": grade_id}})


test_cell.__test__ = False  # a cell factory, not a test

SOLUTION = """def sigmoid(s):
    \"\"\"σ(s) = 1 / (1 + e^(−s))\"\"\"
    ### BEGIN SOLUTION
    secret_line = 1 / (1 + jnp.exp(-s))
    return secret_line
    ### END SOLUTION"""

TESTS = """check.sigmoid(sigmoid)
### BEGIN HIDDEN TESTS
check.sigmoid(sigmoid, seed=None)  # hidden_marker
### END HIDDEN TESTS
print("done")"""


def sample_notebook():
    nb = new_notebook(cells=[new_markdown_cell("# Exercise"), new_code_cell("import jax.numpy as jnp"),
                             solution_cell("q1", SOLUTION), test_cell("q1_tests", TESTS, points=2),
                             test_cell("q1_more", "assert True", points=1)])
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="old output\n")]
    return nb


def test_release_replaces_the_solution_block_at_its_indentation():
    student = release_notebook(sample_notebook())
    assert student.cells[2].source == ('def sigmoid(s):\n    """σ(s) = 1 / (1 + e^(−s))"""\n'
                                       "    # YOUR CODE HERE\n    raise NotImplementedError()")


def test_release_removes_hidden_tests_and_keeps_visible_ones():
    student = release_notebook(sample_notebook())
    assert student.cells[3].source == 'check.sigmoid(sigmoid)\nprint("done")'


def test_release_clears_outputs_and_tags_graded_cells():
    student = release_notebook(sample_notebook())
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            graded = index >= 2
            assert ("raises-exception" in cell.metadata.get("tags", [])) == graded


def test_release_leaves_the_source_notebook_unchanged():
    nb = sample_notebook()
    before = nbformat.writes(nb)
    release_notebook(nb)
    assert nbformat.writes(nb) == before


def test_release_replaces_a_markdown_answer():
    nb = new_notebook(cells=[new_markdown_cell("Because the slope is 0.25.", metadata={"nbgrader": {
        "schema_version": 3, "grade": False, "solution": True, "locked": False, "grade_id": "q1"}}),
        test_cell("q1_tests", "assert True")])
    assert release_notebook(nb).cells[0].source == "YOUR ANSWER HERE"


def test_questions_sum_points_of_the_test_cells_after_each_solution():
    (question,) = questions(sample_notebook())
    assert question.grade_id == "q1" and question.points == 3 and question.test_indices == (3, 4)


@pytest.mark.parametrize("mutate, message", [
    (lambda nb: nb.cells[2].update(source=SOLUTION.replace("    ### END SOLUTION", "")), "never closed"),
    (lambda nb: nb.cells[2].update(source="### END SOLUTION\n" + SOLUTION), "without a '### BEGIN SOLUTION'"),
    (lambda nb: nb.cells[2].update(source="def f():\n    return 1"), "has no '### BEGIN SOLUTION' block"),
    (lambda nb: nb.cells[4].metadata.nbgrader.update(grade_id="q1"), "unique"),
    (lambda nb: nb.cells[4].metadata.nbgrader.pop("points"), "positive points"),
    (lambda nb: nb.cells[3].metadata.nbgrader.update(schema_version=2), "schema_version must be 3"),
    (lambda nb: nb.cells[1].update(source="### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), "without nbgrader metadata"),
    (lambda nb: nb.cells.insert(0, test_cell("early", "assert True")), "before any solution"),
    (lambda nb: nb.cells.pop(3) and nb.cells.pop(3), "has no test cell"),
])
def test_format_errors_name_the_cell_and_the_problem(mutate, message):
    nb = sample_notebook()
    mutate(nb)
    with pytest.raises(FormatError, match=message):
        release_notebook(nb, "bad.ipynb")


def test_release_writes_every_exercise_and_removes_stale_ones(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir(), exercises.mkdir()
    nbformat.write(sample_notebook(), solutions / "01_demo.ipynb")
    (exercises / "99_gone.ipynb").write_text("{}")
    written = release(solutions, exercises)
    assert written == [exercises / "01_demo.ipynb"]
    assert sorted(p.name for p in exercises.iterdir()) == ["01_demo.ipynb"]
    text = (exercises / "01_demo.ipynb").read_text()
    assert "secret_line" not in text and "hidden_marker" not in text and "YOUR CODE HERE" in text


def test_course_grade_release_command(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(sample_notebook(), solutions / "01_demo.ipynb")
    done = subprocess.run([BIN / "course-grade", "release", "--solutions", solutions, "--exercises", exercises],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and (exercises / "01_demo.ipynb").exists()


def test_course_grade_release_reports_a_broken_source_and_fails(tmp_path):
    nb = sample_notebook()
    nb.cells[2].source = "def f():\n    ### BEGIN SOLUTION\n    return 1"
    (tmp_path / "s").mkdir()
    nbformat.write(nb, tmp_path / "s" / "01_bad.ipynb")
    done = subprocess.run([BIN / "course-grade", "release", "--solutions", tmp_path / "s", "--exercises",
                           tmp_path / "e"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "01_bad.ipynb, cell 2" in done.stderr and "never closed" in done.stderr

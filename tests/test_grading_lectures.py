"""course-grade grade on every real lecture: each solution gets full marks and each untouched exercise 0.

A file of its own (not part of tests/test_grading.py) so that pytest-xdist runs it on another worker than
test_grading.py's corpus: each is a few minutes of kernels. Lecture 1 is left to the corpus, which grades its
solution ("reference") and its untouched exercise ("untouched") with the same expectations.
"""
import pytest

from test_grading import ROOT, SOURCE, grade_folder

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("source", sorted(set((ROOT / "solutions").glob("*.ipynb")) - {SOURCE}), ids=lambda p: p.stem)
def test_every_solution_gets_full_marks_and_every_exercise_zero(tmp_path, source):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "solution.ipynb").write_bytes(source.read_bytes())
    (tmp_path / "subs" / "exercise.ipynb").write_bytes((ROOT / "exercises" / source.name).read_bytes())
    rows = grade_folder(tmp_path / "subs", tmp_path / "out", "--jobs", "2", source=source)
    assert rows["solution"]["total"] == rows["solution"]["max_total"], rows["solution"]
    assert float(rows["exercise"]["total"]) == 0 and rows["exercise"]["status"] == "ok", rows["exercise"]

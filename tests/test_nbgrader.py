"""The exercise format is nbgrader's: real nbgrader generates an assignment from a solutions/ notebook and
autogrades it, giving the reference answers full marks and an untouched exercise (its own or ours) zero."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import format as fmt

ROOT = Path(__file__).resolve().parents[1]
NAME = "01_perceptron.ipynb"
pytestmark = pytest.mark.slow


def _nbgrader(course, *args):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([Path(sys.executable).parent / "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_nbgrader_generates_and_autogrades_a_course_exercise(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(tmp_path)!r}\nc.CourseDirectory.course_id = 'course'\n")
    (tmp_path / "source" / "ps1").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / NAME, tmp_path / "source" / "ps1" / NAME)
    _nbgrader(tmp_path, "generate_assignment", "ps1", "--create")

    released = nbformat.read(tmp_path / "release" / "ps1" / NAME, as_version=4)
    ours = nbformat.read(ROOT / "exercises" / NAME, as_version=4)
    assert [c.source for c in released.cells] == [c.source for c in ours.cells], \
        "nbgrader's student version and ours must show the student the same cells"

    submissions = {"reference": ROOT / "solutions" / NAME, "untouched_nbgrader": tmp_path / "release" / "ps1" / NAME,
                   "untouched_ours": ROOT / "exercises" / NAME}
    for student, path in submissions.items():
        (tmp_path / "submitted" / student / "ps1").mkdir(parents=True)
        shutil.copy(path, tmp_path / "submitted" / student / "ps1" / NAME)
    _nbgrader(tmp_path, "autograde", "ps1", "--create")
    _nbgrader(tmp_path, "export")

    total = sum(q.points for q in fmt.questions(nbformat.read(ROOT / "solutions" / NAME, as_version=4)))
    scores = {row["student_id"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert float(scores["reference"]["score"]) == float(scores["reference"]["max_score"]) == total
    assert float(scores["untouched_nbgrader"]["score"]) == 0
    assert float(scores["untouched_ours"]["score"]) == 0

"""course-grade grade: every submission gets a result and a reason, whatever it does.

The corpus is built at test time from the real solution notebook of lecture 1, so it follows the exercise
as it changes: the reference answers, the untouched exercise, and submissions that loop, exit, kill the
kernel, exhaust memory, flood the output, tamper with the tests or are not notebooks at all.
"""
import copy
import csv
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import format as fmt
from course_lib.grading.grade import Limits, export, feedback, find_submissions, gradebook
from course_lib.grading.release import release_notebook
from course_lib.grading.worker import assemble

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "01_perceptron.ipynb"
EXERCISE = ROOT / "exercises" / "01_perceptron.ipynb"
GRADE = [str(Path(sys.executable).parent / "course-grade"), "grade"]
CELL_TIMEOUT, TIMEOUT = 12, 120  # the reference's slowest cell takes about 3 s alone
pytestmark = pytest.mark.slow


def _source():
    return nbformat.read(SOURCE, as_version=4)


QUESTIONS = fmt.questions(_source())
POINTS = {q.grade_id: q.points for q in QUESTIONS}
MAX = sum(POINTS.values())
ORDER = [q.grade_id for q in QUESTIONS]


def _answer(nb, grade_id):
    return next(c for c in nb.cells if fmt.nbgrader(c).get("grade_id") == grade_id)


def _with_answer_prefix(grade_id, line):
    nb = _source()
    cell = _answer(nb, grade_id)
    cell.source = f"{line}\n{cell.source}"
    return nb


def _full_except(*failed):
    return {g: (0 if g in failed else POINTS[g]) for g in ORDER}


def _before(grade_id):
    """Full points for the questions before grade_id, 0 from it on (a run that ended there)."""
    stop = ORDER.index(grade_id)
    return {g: (POINTS[g] if i < stop else 0) for i, g in enumerate(ORDER)}


def _with_answer(grade_id, source):
    nb = _source()
    _answer(nb, grade_id).source = source
    return nb


def _tests_replaced_by_pass():
    nb = nbformat.read(EXERCISE, as_version=4)
    for cell in nb.cells:
        if fmt.is_test(cell):
            cell.source = "pass"
    return nb


def _points_inflated():
    nb = _source()
    for cell in nb.cells:
        if fmt.is_test(cell):
            cell.metadata.nbgrader["points"] = 100
    return nb


def _tests_deleted():
    nb = _source()
    nb.cells = [c for c in nb.cells if not fmt.is_test(c)]
    return nb


def _wrong_kernel():
    nb = _source()
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    return nb


def _always_equal():
    return _with_answer("q7_xor_grid", "class _Anything:\n    def __eq__(self, other):\n        return True\n"
                                       "    __array_priority__ = 1000\n\n"
                                       "def best_grid_accuracy(X, t, values):\n    return _Anything()")


# student -> (how to build the submission, expected status, expected points per question). Answers that
# later answers call (step, predict, rosenblatt_update) are left alone, so one broken answer costs one
# question. None: either 0 or full marks. IPython's exit() shuts the kernel down only after its cell, so
# whether the next cells still run is a race; os._exit ends the kernel at once.
CORPUS = {
    "reference": (_source, "ok", _full_except()),
    "untouched": (lambda: nbformat.read(EXERCISE, as_version=4), "ok", {g: 0 for g in ORDER}),
    "endless_loop": (lambda: _with_answer_prefix("q2_sigmoid_grad", "while True:\n    pass"), "timeout",
                     _full_except("q2_sigmoid_grad")),
    "calls_exit": (lambda: _with_answer("q2_sigmoid_grad", "exit()"), "kernel_died",
                   {**_before("q2_sigmoid_grad"), **{g: None for g in ORDER[2:]}}),
    "calls_sys_exit": (lambda: _with_answer_prefix("q5_sigmoid_step", "import sys\nsys.exit(0)"), "ok",
                       _full_except("q5_sigmoid_step")),
    "calls_os_exit": (lambda: _with_answer_prefix("q2_sigmoid_grad", "import os\nos._exit(1)"), "kernel_died",
                      _before("q2_sigmoid_grad")),
    "memory_bomb": (lambda: _with_answer_prefix("q2_sigmoid_grad", "hog = bytearray(16 * 1024**3)"), "ok",
                    _full_except("q2_sigmoid_grad")),
    "huge_output": (lambda: _with_answer_prefix("q1_activations",
                                                "for _ in range(300):\n    print('x' * 1_000_000)"), "ok",
                    _full_except()),
    "tests_deleted": (_tests_deleted, "ok", _full_except()),
    "tests_replaced_by_pass": (_tests_replaced_by_pass, "ok", {g: 0 for g in ORDER}),
    "points_inflated": (_points_inflated, "ok", _full_except()),
    "wrong_kernel": (_wrong_kernel, "ok", _full_except()),
    "always_equal": (_always_equal, "ok", _full_except("q7_xor_grid")),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole corpus once, with --jobs 2, and record how long it took."""
    base = tmp_path_factory.mktemp("grading")
    submissions, out = base / "submissions", base / "out"
    submissions.mkdir()
    for student, (build, _, _) in CORPUS.items():
        nbformat.write(build(), submissions / f"{student}.ipynb")
    (submissions / "not_json.ipynb").write_text("this is not a notebook {", encoding="utf-8")
    (submissions / "empty_folder").mkdir()
    (submissions / "in_a_folder").mkdir()
    nbformat.write(nbformat.read(EXERCISE, as_version=4), submissions / "in_a_folder" / "my_work.ipynb")
    before = _hashes(submissions)
    started = time.monotonic()
    done = subprocess.run([*GRADE, SOURCE, submissions, "--out", out, "--jobs", "2",
                           "--cell-timeout", str(CELL_TIMEOUT), "--timeout", str(TIMEOUT), "--memory-mb", "2048"],
                          capture_output=True, text=True, timeout=3600)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    return {"out": out, "results": results, "elapsed": elapsed, "before": before,
            "after": _hashes(submissions), "stdout": done.stdout, "count": len(CORPUS) + 3}


def _hashes(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("student", CORPUS)
def test_each_submission_gets_the_expected_status_and_points(graded, student):
    _, status, points = CORPUS[student]
    result = graded["results"][student]
    assert result["status"] == status, result["reason"]
    got = {g: q["points"] for g, q in result["questions"].items()}
    assert list(got) == ORDER
    for grade_id, expected in points.items():
        allowed = (0, POINTS[grade_id]) if expected is None else (expected,)
        assert got[grade_id] in allowed, (grade_id, result)
    assert result["points"] == sum(got.values()) and result["max_points"] == MAX
    assert result["reason"]
    for q in result["questions"].values():
        assert q["passed"] == (q["points"] == q["max_points"]) and q["message"]


@pytest.mark.parametrize("student, reason", [("not_json", "not a Jupyter notebook"),
                                             ("empty_folder", "no notebook in the folder")])
def test_unusable_submissions_are_invalid_with_a_reason(graded, student, reason):
    result = graded["results"][student]
    assert result["status"] == "invalid" and reason in result["reason"] and result["points"] == 0


def test_a_student_folder_holding_one_notebook_is_graded(graded):
    result = graded["results"]["in_a_folder"]  # the untouched exercise: every question graded, none passed
    assert result["status"] == "ok" and list(result["questions"]) == ORDER and result["points"] == 0


def test_the_endless_loop_is_reported_on_its_question(graded):
    message = graded["results"]["endless_loop"]["questions"]["q2_sigmoid_grad"]["message"]
    assert "timed out" in message or "not defined" in message
    assert f"longer than {CELL_TIMEOUT} s" in graded["results"]["endless_loop"]["reason"]


def test_a_dead_kernel_scores_the_questions_not_reached_zero_with_the_reason(graded):
    result = graded["results"]["calls_os_exit"]
    assert "kernel died" in result["reason"]
    assert "not run" in result["questions"][ORDER[-1]]["message"]


def test_huge_output_is_capped_not_stored(graded):
    assert "output past the cap was discarded" in graded["results"]["huge_output"]["reason"]
    assert sum(p.stat().st_size for p in graded["out"].rglob("*")) < 1_000_000


def test_grading_never_modifies_a_submission(graded):
    assert graded["after"] == graded["before"]


def test_the_corpus_finishes_within_the_sum_of_its_deadlines(graded):
    assert graded["elapsed"] < graded["count"] * TIMEOUT


def test_gradebook_has_a_row_per_student_and_a_column_per_question(graded):
    rows = list(csv.DictReader((graded["out"] / "gradebook.csv").open()))
    assert list(rows[0]) == ["student", *ORDER, "total", "max_total", "status"]
    assert sorted(r["student"] for r in rows) == sorted(graded["results"])
    for row in rows:
        result = graded["results"][row["student"]]
        assert float(row["total"]) == result["points"] and row["status"] == result["status"]
        assert sum(float(row[g]) for g in ORDER) == result["points"]


def test_feedback_shows_check_messages_but_never_hidden_test_code(graded):
    hidden = set()
    for cell in _source().cells:
        if fmt.is_test(cell):
            for first, last in fmt.regions(cell.source, fmt.BEGIN_HIDDEN, fmt.END_HIDDEN, "source"):
                hidden |= {line.strip() for line in cell.source.splitlines()[first + 1:last] if line.strip()}
    assert hidden
    for path in (graded["out"] / "feedback").glob("*.md"):
        text = path.read_text()
        assert not any(line in text for line in hidden), f"hidden test code in {path.name}"
    untouched = (graded["out"] / "feedback" / "untouched.md").read_text()
    assert "not written yet" in untouched and f"0 / {MAX:g} points" in untouched


def grade_folder(folder, out, *options, source=SOURCE):
    done = subprocess.run([*GRADE, source, folder, "--out", out, *options], capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr
    return {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


def _tiny_assignment():
    """A three-question assignment that needs no JAX (each kernel starts in about a second), so that a
    property of the grader, not of a lecture, is tested on many submissions quickly."""
    def solution(grade_id, answer):
        return nbformat.v4.new_code_cell(f"def {grade_id}(x):\n    ### BEGIN SOLUTION\n    {answer}\n"
                                         f"    ### END SOLUTION", metadata={"nbgrader": {
                                             "schema_version": 3, "grade": False, "solution": True,
                                             "locked": False, "grade_id": grade_id}})

    def test(grade_id, points, visible, hidden):
        return nbformat.v4.new_code_cell(f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS",
                                         metadata={"nbgrader": {
                                             "schema_version": 3, "grade": True, "solution": False, "locked": True,
                                             "points": points, "grade_id": f"{grade_id}_tests"}})

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# A tiny assignment"),
                solution("double", "return 2 * x"),
                test("double", 1, "assert double(2) == 4", "assert double(-3) == -6"),
                solution("square", "return x * x"),
                test("square", 2, "assert square(3) == 9", "assert square(-4) == 16"),
                solution("halve", "return x / 2"),
                test("halve", 3, "assert halve(4) == 2", "assert halve(1) == 0.5")]
    return nb


def test_grades_do_not_depend_on_the_number_of_jobs(tmp_path):
    source = tmp_path / "tiny.ipynb"
    nbformat.write(_tiny_assignment(), source)
    subs = tmp_path / "subs"
    subs.mkdir()
    answers = {"full": {}, "hard_coded": {"double": "return 4", "halve": "return 2"},
               "wrong_square": {"square": "return 2 * x"}, "slow": {"double": "import time; time.sleep(1.5); return 2 * x"},
               "crashes": {"square": "import os; os._exit(1)"}}
    for student, changes in answers.items():
        nb = _tiny_assignment()
        for cell in nb.cells:
            grade_id = fmt.nbgrader(cell).get("grade_id")
            if fmt.is_solution(cell) and grade_id in changes:
                cell.source = f"def {grade_id}(x):\n    {changes[grade_id]}"
        nbformat.write(nb, subs / f"{student}.ipynb")
    nbformat.write(release_notebook(_tiny_assignment()), subs / "untouched.ipynb")
    one = grade_folder(subs, tmp_path / "jobs1", "--jobs", "1", source=source)
    three = grade_folder(subs, tmp_path / "jobs3", "--jobs", "3", "--format", "canvas", "--format", "moodle",
                         source=source)
    assert one == three
    assert {s: float(r["total"]) for s, r in one.items()} == {
        "full": 6, "hard_coded": 2, "wrong_square": 4, "slow": 6, "crashes": 1, "untouched": 0}
    assert one["crashes"]["status"] == "kernel_died"
    # The platforms' layouts carry the same totals, one row per student, in the order of the gradebook.
    canvas = list(csv.reader((tmp_path / "jobs3" / "gradebook-canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "tiny"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "6"]
    assert [(row[3], row[5]) for row in canvas[2:]] == [(s, r["total"]) for s, r in three.items()]
    moodle = list(csv.DictReader((tmp_path / "jobs3" / "gradebook-moodle.csv").open()))
    assert [(row["Username"], row["tiny"]) for row in moodle] == [(s, r["total"]) for s, r in three.items()]
    feedback_of = {row["Username"]: row["Feedback"] for row in moodle}
    assert feedback_of["crashes"].startswith("1 / 6 points (kernel_died: the kernel died")
    assert feedback_of["full"] == "6 / 6 points (ok: all cells ran)"
    assert not (tmp_path / "jobs1" / "gradebook-canvas.csv").exists(), "a layout is written only when asked for"


def test_a_submission_that_ignores_interrupts_is_stopped_at_the_deadline(tmp_path):
    source, subs = tmp_path / "tiny.ipynb", tmp_path / "subs"
    nbformat.write(_tiny_assignment(), source)
    subs.mkdir()
    stubborn = _tiny_assignment()
    for cell in stubborn.cells:
        if fmt.is_solution(cell) and fmt.nbgrader(cell)["grade_id"] == "square":
            cell.source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    nbformat.write(stubborn, subs / "stubborn.ipynb")
    started = time.monotonic()
    # The tiny assignment needs no JAX: its kernel reaches the stubborn cell within seconds even on a loaded machine.
    rows = grade_folder(subs, tmp_path / "out", "--cell-timeout", "2", "--timeout", "12", source=source)
    assert time.monotonic() - started < 12 + 20, "the deadline must stop the submission"
    result = json.loads((tmp_path / "out" / "results" / "stubborn.json").read_text())
    assert rows["stubborn"]["status"] == "timeout" and "deadline of 12 s" in result["reason"]
    assert result["questions"]["double"]["points"] == 1
    assert result["questions"]["halve"]["message"].startswith("not run")


# --- fast unit tests of the pieces (no kernel) ---

def test_assemble_takes_answers_by_grade_id_and_everything_else_from_the_source():
    source = _source()
    submission = copy.deepcopy(source)
    for cell in submission.cells:
        if fmt.is_test(cell):
            cell.source = "pass"
        elif fmt.is_solution(cell):
            cell.source = f"# student answer {fmt.nbgrader(cell)['grade_id']}"
    submission.cells.reverse()  # moved cells are still found by grade_id
    graded, missing = assemble(source, submission)
    assert missing == []
    for mine, theirs in zip(graded.cells, source.cells):
        if fmt.is_solution(theirs):
            assert mine.source == f"# student answer {fmt.nbgrader(theirs)['grade_id']}"
        else:
            assert mine.source == theirs.source


def test_assemble_reports_missing_answers_and_makes_them_fail():
    source = _source()
    submission = copy.deepcopy(source)
    submission.cells = [c for c in submission.cells if fmt.nbgrader(c).get("grade_id") != "q2_sigmoid_grad"]
    graded, missing = assemble(source, submission)
    assert missing == ["q2_sigmoid_grad"]
    assert "raise NotImplementedError" in _answer(graded, "q2_sigmoid_grad").source


def test_find_submissions_names_students_by_file_stem_or_folder(tmp_path):
    (tmp_path / "ann.ipynb").write_text("{}")
    (tmp_path / "ben").mkdir()
    (tmp_path / "ben" / "01_perceptron.ipynb").write_text("{}")
    (tmp_path / "ben" / "scratch.ipynb").write_text("{}")
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "a.ipynb").write_text("{}")
    (tmp_path / "cat" / "b.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("ignored")
    found = {s.student: s for s in find_submissions(tmp_path, "01_perceptron.ipynb")}
    assert sorted(found) == ["ann", "ben", "cat"]
    assert found["ben"].path.name == "01_perceptron.ipynb"
    assert found["cat"].path is None and "2 notebooks" in found["cat"].problem


def test_gradebook_and_feedback_format_points_without_trailing_zeros():
    result = {"student": "ann", "status": "ok", "reason": "all cells ran", "points": 1.0, "max_points": 3.0,
              "questions": {"q1": {"points": 1.0, "max_points": 1.0, "passed": True, "message": "passed"},
                            "q2": {"points": 0, "max_points": 2.0, "passed": False, "message": "AssertionError: x"}}}
    questions = [fmt.Question("q1", 0, (1,), (1.0,), 1.0), fmt.Question("q2", 2, (3,), (2.0,), 2.0)]
    assert gradebook([result], questions) == "student,q1,q2,total,max_total,status\nann,1,0,1,3,ok\n"
    text = feedback(result, "01_demo")
    assert "**1 / 3 points**" in text and "## q2" in text and "AssertionError: x" in text and "## q1" not in text


def test_export_lays_out_the_totals_for_canvas_and_moodle_and_names_a_wrong_layout():
    results = [{"student": "ann", "status": "ok", "reason": "all cells ran", "points": 7.5, "max_points": 10.0},
               {"student": "bob", "status": "timeout", "reason": "too slow", "points": 0.0, "max_points": 10.0}]
    assert export(results, "canvas", "01_perceptron") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,01_perceptron\nPoints Possible,,,,,10\n"
        "ann,,,ann,,7.5\nbob,,,bob,,0\n")
    assert export(results, "moodle", "01_perceptron") == (
        "Username,01_perceptron,Feedback\nann,7.5,7.5 / 10 points (ok: all cells ran)\n"
        "bob,0,0 / 10 points (timeout: too slow)\n")
    with pytest.raises(ValueError, match="format: expected one of canvas, moodle, got 'blackboard'"):
        export(results, "blackboard", "01_perceptron")


def test_grade_help_explains_every_option():
    done = subprocess.run([*GRADE, "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for option in ("--out", "--jobs", "--cell-timeout", "--timeout", "--memory-mb", "--max-output-mb", "SOURCE",
                   "SUBMISSIONS", "gradebook.csv", "results/STUDENT.json", "feedback/STUDENT.md", "--format",
                   "{canvas,moodle}", "gradebook-canvas.csv", "SIS Login ID", "gradebook-moodle.csv", "Username"):
        assert option in done.stdout
    assert Limits().memory_mb == 2048


@pytest.mark.parametrize("args, message", [
    (["solutions/does_not_exist.ipynb", "subs"], "No such file"),
    (["{source}", "{empty}"], "no submissions"),
    (["{source}", "{empty}", "--jobs", "0"], "must be positive"),
    (["{source}", "{empty}", "--format", "blackboard"], "invalid choice: 'blackboard'"),
])
def test_grade_reports_bad_arguments(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    args = [a.format(source=SOURCE, empty=tmp_path / "empty") for a in args]
    done = subprocess.run([*GRADE, *args, "--out", tmp_path / "out"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and message in done.stderr

"""`course-grade grade`: every submission graded against the source notebook, whatever it does.

Each submission runs in its own worker process (worker.py) with a fresh, memory-limited kernel, a per-cell
timeout and a cap on captured output; this module enforces the whole-notebook deadline by killing the
worker and its kernel, then turns the worker's cell events into points. Nothing in SUBMISSIONS is written.

Results in OUT: gradebook.csv, results/<student>.json and feedback/<student>.md, each written atomically, and
on request the same totals laid out for a learning platform's grade import (EXPORTS: gradebook-canvas.csv,
gradebook-moodle.csv).
"""
import csv
import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import nbformat

from course_lib.grading import format as fmt

__all__ = ["EXPORTS", "Limits", "Submission", "export", "find_submissions", "grade_submission", "grade"]

STATUSES = ("ok", "timeout", "kernel_died", "invalid")


class Limits(NamedTuple):
    cell_timeout: float = 60.0        # seconds one cell may run before it is interrupted
    timeout: float = 600.0            # seconds for the whole submission, kernel start included
    memory_mb: int = 2048             # RLIMIT_DATA of the kernel: JAX runs in 1 GB, but tightly once the heap fragments
    max_output_bytes: int = 10 * 2**20  # output captured per submission; the rest is discarded


class Submission(NamedTuple):
    student: str        # the file stem or the folder name
    path: Path | None   # the notebook, or None when none could be chosen
    problem: str = ""   # why path is None


def find_submissions(folder, source_name):
    """Submissions in `folder`: NAME.ipynb files (student NAME) and NAME/ folders (student NAME) holding
    one notebook, or several of which one is named like the source."""
    folder = Path(folder)
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, entry))
        elif entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            named = [p for p in notebooks if p.name == source_name]
            if len(notebooks) == 1 or len(named) == 1:
                found.append(Submission(entry.name, (named or notebooks)[0]))
            else:
                problem = ("no notebook in the folder" if not notebooks else
                           f"{len(notebooks)} notebooks in the folder and none named {source_name}")
                found.append(Submission(entry.name, None, problem))
    return found


def grade_submission(source, questions, submission, limits):
    """The result dict of one submission (see README: results/<student>.json)."""
    if submission.path is None:
        return _result(submission.student, questions, [], "invalid", submission.problem)
    config = {"source": str(Path(source).resolve()), "submission": str(submission.path.resolve()),
              "cell_timeout": limits.cell_timeout, "memory_mb": limits.memory_mb,
              "max_output_bytes": limits.max_output_bytes}
    started = time.monotonic()
    worker = subprocess.Popen([sys.executable, "-m", "course_lib.grading.worker", json.dumps(config)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    events, lines = [], queue.Queue()
    readers = [threading.Thread(target=_read_lines, args=(worker.stdout, lines), daemon=True),
               threading.Thread(target=_drain, args=(worker.stderr,), daemon=True)]
    for reader in readers:
        reader.start()
    deadline_hit = False
    while True:
        try:
            line = lines.get(timeout=max(0.0, started + limits.timeout - time.monotonic()))
        except queue.Empty:
            deadline_hit = True
            break
        if line is None:
            break
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    _kill(worker, events)
    kinds = {e.get("event") for e in events}
    if "invalid" in kinds:
        return _result(submission.student, questions, events, "invalid", _first(events, "invalid")["reason"])
    if deadline_hit:
        return _result(submission.student, questions, events, "timeout",
                       f"the whole-notebook deadline of {limits.timeout:g} s was reached; questions not reached score 0")
    if "kernel_died" in kinds:
        index = _first(events, "kernel_died")["index"]
        return _result(submission.student, questions, events, "kernel_died",
                       f"the kernel died while running cell {index} (exit(), os._exit(), a crash or the memory "
                       f"limit of {limits.memory_mb} MB); questions not reached score 0")
    if "done" not in kinds:
        return _result(submission.student, questions, events, "kernel_died",
                       f"the grading process stopped unexpectedly (exit code {worker.returncode})")
    timed_out = [e["index"] for e in events if e.get("event") == "cell" and e.get("status") == "timeout"]
    if timed_out:
        return _result(submission.student, questions, events, "timeout",
                       f"cell(s) {', '.join(map(str, timed_out))} ran longer than {limits.cell_timeout:g} s "
                       "and were interrupted; the other questions were graded")
    notes = ["output past the cap was discarded"] if "output_capped" in kinds else []
    return _result(submission.student, questions, events, "ok", "; ".join(notes) or "all cells ran")


def grade(source, submissions, out, *, jobs=1, limits=Limits(), progress=None, formats=()):
    """Grade every submission in the folder `submissions` against `source`; write OUT and return the results.
    `progress(done, total, result)` is called after each submission; `formats` names EXPORTS to write too."""
    source, out = Path(source), Path(out)
    for name in formats:  # a wrong name is reported before any grading, not after
        _layout(name)
    questions = fmt.questions(nbformat.read(source, as_version=4), source.name)
    found = find_submissions(submissions, source.name)
    if not found:
        raise FileNotFoundError(f"no submissions in {submissions}: expected NAME.ipynb files or NAME/ folders")
    for sub in ("results", "feedback"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    results, lock = {}, threading.Lock()

    def one(submission):
        result = grade_submission(source, questions, submission, limits)
        _write(out / "results" / f"{_safe(result['student'])}.json", json.dumps(result, indent=2) + "\n")
        _write(out / "feedback" / f"{_safe(result['student'])}.md", feedback(result, source.stem))
        with lock:
            results[submission.student] = result
            if progress:
                progress(len(results), len(found), result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, found))
    ordered = [results[s.student] for s in found]
    _write(out / "gradebook.csv", gradebook(ordered, questions))
    for name in formats:
        _write(out / f"gradebook-{name}.csv", export(ordered, name, source.stem))
    return ordered


def gradebook(results, questions):
    """CSV text: student, one column per question in notebook order, total, max_total, status."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["student", *(q.grade_id for q in questions), "total", "max_total", "status"])
    for r in results:
        writer.writerow([r["student"], *(_num(r["questions"][q.grade_id]["points"]) for q in questions),
                         _num(r["points"]), _num(r["max_points"]), r["status"]])
    return text.getvalue()


# Grade-import layouts of learning platforms: the header, then one row per student, the total in a column
# named after the assignment. A student is named by the submission's file or folder name, so name
# submissions by the platform's login (Canvas: SIS Login ID; Moodle: username).
EXPORTS = {
    # Canvas (Grades > Import): Student, ID, SIS User ID, SIS Login ID and Section, then one column per
    # assignment (a new column name creates the assignment), and a "Points Possible" row under the header.
    "canvas": lambda r, assignment: (
        [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment],
         ["Points Possible", "", "", "", "", _num(r[0]["max_points"]) if r else ""]]
        + [[x["student"], "", "", x["student"], "", _num(x["points"])] for x in r]),
    # Moodle (Grade administration > Import > CSV file): map "Username" to username, the assignment column
    # to its grade item and "Feedback" to that item's feedback.
    "moodle": lambda r, assignment: (
        [["Username", assignment, "Feedback"]]
        + [[x["student"], _num(x["points"]),
            f"{_num(x['points'])} / {_num(x['max_points'])} points ({x['status']}: {x['reason']})"] for x in r]),
}


def export(results, name, assignment):
    """CSV text of `results` in the grade-import layout EXPORTS[name] ("canvas" or "moodle")."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(_layout(name)(results, assignment))
    return text.getvalue()


def _layout(name):
    if name not in EXPORTS:
        raise ValueError(f"format: expected one of {', '.join(EXPORTS)}, got {name!r}")
    return EXPORTS[name]


def feedback(result, assignment):
    """Markdown for the student: per question the points and the visible message, never test code."""
    lines = [f"# {assignment}: feedback for {result['student']}", "",
             f"**{_num(result['points'])} / {_num(result['max_points'])} points** — status `{result['status']}`: "
             f"{result['reason']}", "", "| question | points | result |", "|---|---|---|"]
    for grade_id, q in result["questions"].items():
        lines.append(f"| {grade_id} | {_num(q['points'])} / {_num(q['max_points'])} | "
                     f"{'passed' if q['passed'] else 'not passed'} |")
    for grade_id, q in result["questions"].items():
        if not q["passed"]:
            lines += ["", f"## {grade_id}", "", "```text", q["message"], "```"]
    return "\n".join(lines) + "\n"


def _result(student, questions, events, status, reason):
    cells = {e["index"]: e for e in events if e.get("event") == "cell"}
    missing = {g for e in events if e.get("event") == "missing" for g in e["grade_ids"]}
    stop = next((e.get("event") for e in events if e.get("event") in ("invalid", "kernel_died")), None)
    per_question, total = {}, 0.0
    for q in questions:
        tests = [cells.get(i) for i in q.test_indices]
        points = sum(p for p, cell in zip(q.test_points, tests) if cell and cell["status"] == "ok")
        passed = all(cell and cell["status"] == "ok" for cell in tests)
        per_question[q.grade_id] = {"points": points, "max_points": q.points, "passed": passed,
                                    "message": _message(q, cells, missing, stop)}
        total += points
    return {"student": student, "status": status, "reason": reason, "points": total,
            "max_points": sum(q.points for q in questions), "questions": per_question}


def _message(question, cells, missing, stop):
    if stop == "invalid":
        return "not graded: the submission is not a usable notebook"
    if question.grade_id in missing:
        return f"no answer: the submission has no cell with grade_id {question.grade_id}"
    answer = cells.get(question.solution_index)
    for index in question.test_indices:
        cell = cells.get(index)
        if cell is None:
            return ("not run: the kernel died before this question" if stop == "kernel_died" else
                    "not run: the notebook deadline was reached before this question")
        if cell["status"] == "timeout":
            return f"timed out: {cell['evalue']} (an endless loop?)"
        if cell["status"] == "error":
            text = f"{cell['ename']}: {cell['evalue']}"
            if answer and answer["status"] != "ok":
                text = f"your answer cell raised {answer['ename']}: {answer['evalue']}\n{text}"
            return text
    return "passed"


def _first(events, kind):
    return next(e for e in events if e.get("event") == kind)


def _read_lines(stream, lines):
    for raw in iter(stream.readline, b""):
        lines.put(raw[:100_000].decode("utf-8", "replace"))
    lines.put(None)


def _drain(stream):
    for _ in iter(lambda: stream.read(65536), b""):
        pass


def _kill(worker, events):
    """End the worker and its kernel (which runs in its own session, so it is killed by its own pid)."""
    for event in events:
        if event.get("event") == "kernel" and event.get("pid"):
            try:
                os.killpg(event["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    worker.wait()


def _write(path, text):
    """Write atomically: a reader (or an interrupted run) sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _safe(student):
    return re.sub(r"[^A-Za-z0-9._-]", "_", student) or "_"


def _num(value):
    return int(value) if float(value).is_integer() else round(value, 3)

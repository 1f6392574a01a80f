"""7. The grader: `course-grade grade` on copies of a typical exercise, with --jobs 1 and --jobs 2.

SUBMISSIONS copies of the solution notebook (every answer right, so every cell runs) are graded by the real
command line, as an instructor runs it, in a temporary folder. The peer is the notebook alone: the
same solution notebook executed once by nbclient in a fresh kernel, which is the least any grader has to
do. Per submission: the command's wall time / SUBMISSIONS. The grader's own overhead per submission is
(--jobs 1 per submission) − (the notebook alone): the CLI's start, the worker process, rebuilding the
notebook from the source, the memory-limited kernel and writing the results.
Target: at least 20 submissions per minute with --jobs 2 (3 s per submission).
"""
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.notebooks import ROOT, execute

GROUP = "7. The grader: submissions per minute and overhead"
EXERCISE = ROOT / "solutions" / "01_perceptron.ipynb"
SUBMISSIONS = 4
PER_MINUTE_TARGET = 20


def grade_command(source, submissions, out, jobs):
    script = Path(sys.executable).with_name("course-grade")
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "course_lib.grading.cli"]
    return [*prefix, "grade", str(source), str(submissions), "--out", str(out), "--jobs", str(jobs)]


def run(settings):
    if not EXERCISE.exists():
        return [harness.skipped(f"course-grade --jobs {j}", f"course-grade --jobs {j}", "the notebook alone",
                                f"{EXERCISE.relative_to(ROOT)} not found", group=GROUP) for j in (1, 2)]
    count = 2 if settings.quick else SUBMISSIONS
    rounds = settings.rounds(full=2, quick=1)
    with tempfile.TemporaryDirectory(prefix="course-bench-grader-") as scratch:
        scratch = Path(scratch)
        subs = scratch / "submissions"
        subs.mkdir()
        for i in range(count):
            shutil.copy(EXERCISE, subs / f"student_{i + 1:02d}.ipynb")
        plain_dir = scratch / "plain"
        plain_dir.mkdir()
        shutil.copy(EXERCISE, plain_dir / EXERCISE.name)
        outcomes = {}

        def grade(jobs):
            def call():
                out = scratch / f"grades_jobs{jobs}"
                shutil.rmtree(out, ignore_errors=True)
                done = subprocess.run(grade_command(EXERCISE, subs, out, jobs), capture_output=True, text=True)
                outcomes[jobs] = _check(done, out / "gradebook.csv", count)
                return None
            return call

        def plain():
            result = execute(plain_dir / EXERCISE.name, allow_errors=True)
            outcomes["plain"] = result["error"]
            return result

        m = harness.interleave({"plain": plain, "jobs1": grade(1), "jobs2": grade(2)}, rounds, warmup=False,
                               number=1)
    # The grading rounds time the whole command; per submission is that / count.
    jobs = {j: _scaled(m[f"jobs{j}"], 1 / count) for j in (1, 2)}
    plain_m = m["plain"]
    overhead = jobs[1].median - plain_m.median
    rows = []
    for j in (1, 2):
        per_minute = 60 / jobs[j].median
        note = [f"{per_minute:.1f} submissions per minute ({count} submissions per run)"]
        if j == 1:
            note.append(f"grader overhead {harness.format_seconds(overhead)} per submission beyond the notebook's "
                        f"own {harness.format_seconds(plain_m.median)}")
        if outcomes.get(j):
            note.insert(0, f"GRADING PROBLEM: {outcomes[j]}")
        if outcomes.get("plain"):
            note.append(f"the notebook alone raised: {outcomes['plain']}")
        target = (harness.at_most_s(60 / PER_MINUTE_TARGET, f"≥ {PER_MINUTE_TARGET} submissions/min "
                                    f"(≤ {60 / PER_MINUTE_TARGET:g} s each)") if j == 2 else None)
        row = harness.result(f"course-grade --jobs {j}, per submission ({EXERCISE.relative_to(ROOT)})",
                             f"course-grade grade --jobs {j}", jobs[j], "the notebook alone (nbclient, fresh kernel)",
                             plain_m, target=target, note="; ".join(note), group=GROUP, submissions_per_minute=per_minute)
        if outcomes.get(j):
            row["met"] = False
        if row["met"] is False:
            row["note"] += "; " + _profile(plain_m.median, overhead, jobs[2].median)
        rows.append(row)
    over = harness.Measurement((overhead,), 1, float("nan"), 0.0, False)
    rows.append(harness.result("grader overhead per submission (--jobs 1 minus the notebook alone)",
                               "course-grade grade --jobs 1", over, None, None,
                               note="CLI start + worker process + source rebuild + memory-limited kernel + results, "
                                    "amortised over the submissions", group=GROUP))
    return rows


def _scaled(m, factor):
    return harness.Measurement(tuple(s * factor for s in m.samples), m.number, m.first_s, m.compile_s,
                               m.recompiles, m.value)


def _check(done, gradebook, count):
    """None when every submission was graded ok with full points; else what went wrong."""
    if done.returncode != 0:
        return f"exit code {done.returncode}: {done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else ''}"
    try:
        rows = list(csv.DictReader(gradebook.open()))
    except OSError as error:
        return f"no gradebook ({error})"
    bad = [r["student"] for r in rows if r["status"] != "ok" or float(r["total"]) != float(r["max_total"])]
    if len(rows) != count or bad:
        return f"{len(rows)} of {count} graded; not ok or not full marks: {', '.join(bad) or 'none'}"
    return None


def _profile(notebook_s, overhead_s, jobs2_s):
    """What a submission's time is made of, from the two measured parts and two import times."""
    imports = {}
    for module in ("course_lib.grading.cli", "course_lib.grading.worker"):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
        imports[module] = time.perf_counter() - t0
    return (f"profile: of a --jobs 1 submission, the notebook itself (kernel start, imports, cells) takes "
            f"{harness.format_seconds(notebook_s)} and the grader {harness.format_seconds(overhead_s)}; "
            f"starting a Python that imports the worker takes {harness.format_seconds(imports['course_lib.grading.worker'])} "
            f"(the CLI: {harness.format_seconds(imports['course_lib.grading.cli'])}, once per run). With --jobs 2 on "
            f"this machine a submission costs {harness.format_seconds(jobs2_s)}: "
            + ("the notebook's own execution dominates, so 20/min needs a faster notebook (a lighter kernel start, "
               "fewer imports, smaller cases) or more cores, not a faster grader" if notebook_s >= overhead_s else
               "the grader's own work dominates: a worker per submission that imports less (not course_lib and jax), "
               "or kernels reused across submissions, would close it"))

"""`course-grade`: the instructor's command line.

    course-grade release                                   exercises/ from solutions/ (= make exercises)
    course-grade grade SOURCE SUBMISSIONS --out DIR [...]  grade a folder of submissions
"""
import argparse
import sys

from course_lib.grading import FormatError, release
from course_lib.grading.grade import EXPORTS, Limits, grade

__all__ = ["main"]

DESCRIPTION = """Instructor tools for the course.

  release  writes the student notebooks in exercises/ from the solution notebooks in solutions/.
  grade    grades a folder of submitted notebooks against a solution notebook, hidden tests included."""

GRADE_EPILOG = """Every submission gets a result: ok, timeout, kernel_died or invalid, with its points per question
and the reason. The graded notebook is rebuilt from SOURCE: only the answer cells are taken from the
submission (by grade_id); every test cell, hidden tests included, comes from SOURCE. Submissions are
read, never written.

Written to DIR:
  gradebook.csv              one row per student: student, one column per question, total, max_total, status
  results/STUDENT.json       status, reason, points and per-question points, max_points, passed, message
  feedback/STUDENT.md        for the student: points and check messages per question (no test code)
  gradebook-canvas.csv       with --format canvas: Canvas's grade import (Student, ID, SIS User ID,
                             SIS Login ID, Section, then the assignment's column; a Points Possible row)
  gradebook-moodle.csv       with --format moodle: Moodle's CSV grade import (Username, the assignment's
                             column, Feedback); map Username to username when importing
A student is named by the submission's file or folder name: for Canvas and Moodle, name each submission
by the student's login (SIS Login ID, username).

Run the same command again to regrade: every file is rewritten."""


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course-grade", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    rel = commands.add_parser(
        "release", help="write the student notebooks in exercises/ from solutions/",
        description="Generate every exercises/NN_topic.ipynb from solutions/NN_topic.ipynb: answers and hidden "
                    "tests removed, outputs cleared, answer and check cells tagged raises-exception. Exercises "
                    "with no source are deleted. Same as `make exercises`.")
    rel.add_argument("--solutions", default="solutions", help="folder of solution notebooks (default: solutions)")
    rel.add_argument("--exercises", default="exercises",
                     help="folder the student notebooks are written to (default: exercises)")

    gr = commands.add_parser(
        "grade", help="grade a folder of submissions against a solution notebook",
        description="Grade every submission in SUBMISSIONS against SOURCE, each in its own process and fresh "
                    "kernel, under time, memory and output limits.",
        epilog=GRADE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    gr.add_argument("source", metavar="SOURCE", help="the solution notebook, e.g. solutions/01_perceptron.ipynb")
    gr.add_argument("submissions", metavar="SUBMISSIONS",
                    help="folder of STUDENT.ipynb files, or of STUDENT/ folders each holding the student's notebook")
    gr.add_argument("--out", required=True, metavar="DIR", help="folder for the gradebook, results and feedback")
    defaults = Limits()
    gr.add_argument("--jobs", type=_positive(int), default=1, metavar="N",
                    help="submissions graded at the same time (default: 1); results do not depend on it")
    gr.add_argument("--cell-timeout", type=_positive(float), default=defaults.cell_timeout, metavar="S",
                    help=f"seconds one cell may run before it is interrupted and its question scores 0 "
                         f"(default: {defaults.cell_timeout:g})")
    gr.add_argument("--timeout", type=_positive(float), default=defaults.timeout, metavar="S",
                    help=f"seconds for a whole submission, kernel start included; then it is stopped and the "
                         f"questions not reached score 0 (default: {defaults.timeout:g})")
    gr.add_argument("--memory-mb", type=_positive(int), default=defaults.memory_mb, metavar="M",
                    help=f"memory limit of each kernel (RLIMIT_DATA) in MB; an allocation past it fails with "
                         f"MemoryError (default: {defaults.memory_mb})")
    gr.add_argument("--max-output-mb", type=_positive(float), default=defaults.max_output_bytes / 2**20,
                    metavar="MB", help="output captured per submission; the rest is discarded "
                                       f"(default: {defaults.max_output_bytes / 2**20:g})")
    gr.add_argument("--format", action="append", choices=sorted(EXPORTS), default=[], dest="formats",
                    help="also write gradebook-FORMAT.csv in the layout that platform imports; may be repeated")
    args = parser.parse_args(argv)

    try:
        if args.command == "release":
            for path in release(args.solutions, args.exercises):
                print(f"wrote {path}")
            return 0
        limits = Limits(args.cell_timeout, args.timeout, args.memory_mb, int(args.max_output_mb * 2**20))
        results = grade(args.source, args.submissions, args.out, jobs=args.jobs, limits=limits,
                        progress=_progress_bar(), formats=args.formats)
    except (FormatError, FileNotFoundError, NotADirectoryError) as error:
        print(f"course-grade {args.command}: {error}", file=sys.stderr)
        return 2
    counts = {status: sum(r["status"] == status for r in results) for status in ("ok", "timeout", "kernel_died", "invalid")}
    print(f"graded {len(results)} submissions ({', '.join(f'{n} {s}' for s, n in counts.items() if n)}); "
          f"gradebook: {args.out}/gradebook.csv")
    return 0


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _progress_bar(stream=sys.stderr, width=30):
    def show(done, total, result):
        filled = width * done // total
        line = (f"grading [{'#' * filled}{'.' * (width - filled)}] {done}/{total}  "
                f"{result['student']}: {result['status']} {result['points']:g}/{result['max_points']:g}")
        end = "\r" if stream.isatty() and done < total else "\n"
        stream.write(("\r" if stream.isatty() else "") + line.ljust(width + 60) + end)
        stream.flush()
    return show


if __name__ == "__main__":
    sys.exit(main())

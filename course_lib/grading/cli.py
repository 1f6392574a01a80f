"""`course-grade`: the instructor's command line.

    course-grade release     write exercises/ from solutions/ (what `make exercises` runs)
"""
import argparse
import sys

from course_lib.grading import FormatError, release

__all__ = ["main"]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="course-grade",
        description="Instructor tools for the course: generate student notebooks and grade submissions.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rel = commands.add_parser(
        "release", help="write the student notebooks in exercises/ from the solution notebooks in solutions/",
        description="Generate every exercises/NN_topic.ipynb from solutions/NN_topic.ipynb: solutions and "
                    "hidden tests removed, outputs cleared. Exercises with no source are deleted.")
    rel.add_argument("--solutions", default="solutions", help="folder of solution notebooks (default: solutions)")
    rel.add_argument("--exercises", default="exercises", help="folder to write student notebooks to (default: exercises)")
    args = parser.parse_args(argv)

    if args.command == "release":
        try:
            written = release(args.solutions, args.exercises)
        except FormatError as error:
            print(f"course-grade release: {error}", file=sys.stderr)
            return 2
        for path in written:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

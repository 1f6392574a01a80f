"""The course map, in README.md and in the start-here notebook, lists every lecture and exercise that exists,
links only to files that exist, and gives each exercise the points its solution notebook awards."""
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import format as fmt

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if not p.stem.startswith("00"))
ROW = re.compile(r"^\| (\d+) \|.*\[(\w+)\]\(([^)]+)\) \| \[(\w+)\]\(([^)]+)\)(?: \((\d+)\))? \|$", re.M)


def _rows(text):
    return {m.group(2): m for m in ROW.finditer(text)}


def test_readme_map_lists_every_lecture_with_its_exercise_and_points():
    rows = _rows((ROOT / "README.md").read_text())
    assert sorted(rows) == LECTURES
    for stem, row in rows.items():
        assert (ROOT / row.group(3)).is_file() and (ROOT / row.group(5)).is_file(), row.group(0)
        questions = fmt.questions(nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4))
        assert int(row.group(6)) == sum(q.points for q in questions), f"{stem}: points in the README map"


def test_start_here_map_lists_every_lecture_with_links_that_resolve():
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    rows = _rows("\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    assert sorted(rows) == LECTURES
    for row in rows.values():
        assert (ROOT / "notebooks" / row.group(3)).resolve().is_file(), row.group(0)
        assert (ROOT / "notebooks" / row.group(5)).resolve().is_file(), row.group(0)


@pytest.mark.parametrize("stem", LECTURES)
def test_every_lecture_has_a_solution_and_an_exercise(stem):
    assert (ROOT / "solutions" / f"{stem}.ipynb").is_file() and (ROOT / "exercises" / f"{stem}.ipynb").is_file()

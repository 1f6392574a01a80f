"""course_lib's layering (DESIGN.md): the core never imports the presentation or exercise modules, and
`import course_lib` gives every core module."""
import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import course_lib

PACKAGE = Path(course_lib.__file__).parent
ON_TOP = {"plot", "widgets", "checks", "grading"}  # presentation and exercise tools
CORE = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_") and p.stem not in ON_TOP)


def _imported_course_modules(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("course_lib"):
            parts = node.module.split(".")
            names |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("course_lib.")}
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_never_imports_presentation_or_exercise_tools(module):
    assert not _imported_course_modules(PACKAGE / f"{module}.py") & ON_TOP


def test_import_course_lib_gives_every_core_module():
    assert sorted(course_lib.__all__) == CORE
    for module in CORE:
        assert getattr(course_lib, module) is importlib.import_module(f"course_lib.{module}")


def test_the_grader_starts_without_importing_jax():
    code = "import sys, course_lib.grading.worker, course_lib.grading.kernel; print('jax' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

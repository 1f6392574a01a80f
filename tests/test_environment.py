"""The course's packaging: pyproject.toml, environment.yml (Binder), postBuild, Makefile and .ci/run agree,
and a wheel built from the checkout carries the whole library with its data."""
import re
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from the PyPI names (none today; the mapping is where one would go)
CONDA_NAME = {}


def _split(requirement):
    name, spec = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", requirement.strip()).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_lists_exactly_the_runtime_dependencies(pyproject, environment):
    runtime = dict(_split(r) for r in pyproject["project"]["dependencies"])
    conda = dict(_split(d) for d in environment["dependencies"] if isinstance(d, str))
    conda.pop("python"), conda.pop("pip", None)
    expected = {CONDA_NAME.get(name, name): spec for name, spec in runtime.items()}
    assert conda == expected, "environment.yml must list pyproject's runtime dependencies with the same bounds"


def test_environment_pins_a_python_the_package_supports(pyproject, environment):
    python = next(d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python"))
    minor = re.fullmatch(r"python=(3\.\d+)", python)
    assert minor, f"environment.yml must pin Python to a minor version, got {python!r}"
    required = re.fullmatch(r">=(3\.\d+)", pyproject["project"]["requires-python"]).group(1)
    assert tuple(map(int, minor.group(1).split("."))) >= tuple(map(int, required.split(".")))
    assert environment["channels"] == ["conda-forge"]


def test_dev_extra_has_what_the_tests_use(pyproject):
    dev = {_split(r)[0] for r in pyproject["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "nbval", "nbclient", "nbformat", "scipy", "pyyaml"} <= dev


def test_postbuild_is_executable_and_installs_the_package_without_dependencies():
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR, "Binder runs postBuild only if it is executable"
    assert "pip install --no-deps -e ." in post_build.read_text()


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert (ROOT / ".ci" / "run").stat().st_mode & stat.S_IXUSR
    assert re.search(r"^make test$", ci, re.M)
    assert "make test" in (ROOT / "README.md").read_text().split("\n## ")[0], "README's first screen shows it"


def test_makefile_bootstraps_the_venv_for_every_command():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "exercises"):
        assert re.search(rf"^{target}: \$\(STAMP\)$", makefile, re.M), f"make {target} must depend on the venv"
    assert 'pip install -e ".[dev]"' in makefile
    assert "notebooks/00_start_here.ipynb" in makefile


def test_wheel_contains_every_module_and_the_datasets(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("course_lib-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "course_lib").rglob("*.py")}
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "course_lib" / "data").glob("*.npz")}
    assert data, "the datasets ship inside the package"
    assert sources | data <= names, f"missing from the wheel: {sorted((sources | data) - names)}"

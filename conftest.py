"""What `pytest` with no flags (what `make test` runs) sets up before any test.

Notebook collection: notebooks/ and solutions/ are checked as `pytest --nbval` does (every cell re-executed
and its outputs compared with the stored ones), exercises/ as `pytest --nbval-lax` does (every cell must run;
only the cells tagged raises-exception may fail). Given --nbval or --nbval-lax explicitly, nbval collects as usual.

Another CPU: XLA compiles for the instruction set of the CPU it runs on, and a result can differ in its last
bits from one to the next. So the whole run (this process, its xdist workers, notebook kernels, the grader)
has XLA generate code for COURSE_XLA_ISA, SSE4_2 unless told otherwise, an instruction set older than any
machine's own: a stored output that only the author's CPU computes fails here, before it is committed.
COURSE_XLA_ISA=native leaves XLA alone; `make reproducible` (tests/reproducible.py) sweeps several.

One compilation cache: the run's processes share a JAX persistent compilation cache in a temporary folder
(removed at the end), so a function that every kernel compiles again (a check, a lecture's model, reached by
nbval, the grader and the browser) is compiled once. Its key includes XLA_FLAGS, so the instruction set holds.

Two cores kept busy: `make test` runs pytest-xdist with --dist loadfile, one file per worker at a time (a
notebook's cells share a kernel, a module's fixtures are built once). `-m "not slow"` leaves out the files of a
minute or more (the lectures in a browser, a Binder build, graded corpora) for a quick run while editing.
(--dist loadgroup, which could split a file, does not work with pytest 9.2: xdist 3.8 renames nodes through an
attribute pytest no longer reads.)
"""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

from nbval.plugin import IPyNbFile

ROOT = Path(__file__).parent
STRICT = {ROOT / "notebooks", ROOT / "solutions"}
LAX = {ROOT / "exercises"}

ISA = os.environ.setdefault("COURSE_XLA_ISA", "SSE4_2")
if ISA != "native" and "--xla_cpu_max_isa" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_max_isa={ISA}".strip()

if "JAX_COMPILATION_CACHE_DIR" not in os.environ:  # set once, by the first process; xdist workers inherit it
    _cache = tempfile.mkdtemp(prefix="course-jax-cache-")
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
    os.environ.update(JAX_COMPILATION_CACHE_DIR=_cache, JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                      JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="-1")


def pytest_report_header(config):
    return [f"XLA_FLAGS={os.environ['XLA_FLAGS']!r}" if ISA != "native" else "XLA: the machine's own instruction set",
            f"JAX compilation cache: {os.environ['JAX_COMPILATION_CACHE_DIR']}"]


def pytest_collect_file(file_path, parent):
    option = parent.config.option
    if file_path.suffix != ".ipynb" or option.nbval or option.nbval_lax:
        return None
    if file_path.parent in STRICT | LAX:
        notebook = IPyNbFile.from_parent(parent, path=file_path)
        notebook.compare_outputs = file_path.parent in STRICT
        return notebook
    return None

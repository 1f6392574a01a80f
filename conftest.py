"""Notebook collection for `pytest` with no flags (what `make test` runs).

notebooks/ and solutions/ are checked as `pytest --nbval` does (every cell re-executed and its outputs
compared with the stored ones), exercises/ as `pytest --nbval-lax` does (every cell must run; only the
cells tagged raises-exception may fail). Given --nbval or --nbval-lax explicitly, nbval collects as usual.
"""
from pathlib import Path

from nbval.plugin import IPyNbFile

ROOT = Path(__file__).parent
STRICT = {ROOT / "notebooks", ROOT / "solutions"}
LAX = {ROOT / "exercises"}


def pytest_collect_file(file_path, parent):
    option = parent.config.option
    if file_path.suffix != ".ipynb" or option.nbval or option.nbval_lax:
        return None
    if file_path.parent in STRICT | LAX:
        notebook = IPyNbFile.from_parent(parent, path=file_path)
        notebook.compare_outputs = file_path.parent in STRICT
        return notebook
    return None

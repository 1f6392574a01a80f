"""6. The whole course: every notebook in notebooks/ and solutions/ executed headless, top to bottom.

Each notebook runs once in a fresh kernel of this Python (ipykernel, as `pytest --nbval-current-env`
does), with the working directory set to its folder, and is never written back. Its wall time includes
starting the kernel (reported in the note). Targets: no notebook over 60 s, the whole course under
5 minutes (DESIGN.md: on a 2-core CPU; the machine section says how many cores this run had).
A notebook that stops with an error gets its time so far and the error in the note.
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from benchmarks import harness

GROUP = "6. The whole course, every notebook executed headless"
ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions")
NOTEBOOK_BUDGET_S = 60.0
COURSE_BUDGET_S = 300.0
CELL_TIMEOUT_S = 300


def notebook_paths(root=ROOT):
    return [p for folder in FOLDERS for p in sorted((root / folder).glob("*.ipynb"))]


def execute(path, *, allow_errors=False, timeout=CELL_TIMEOUT_S):
    """Run the notebook at `path` in a fresh kernel with cwd = its folder; never write it back.

    Returns a dict: seconds (wall, kernel start included), kernel_s (kernel start), cells [(index, seconds,
    first line)], error (None, or "CellExecutionError in cell i: ...")."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    cells, error, kernel_s = [], None, None
    with tempfile.TemporaryDirectory(prefix="course-bench-kernel-") as spec_dir:
        # A kernelspec that runs THIS Python, whatever kernels the machine has installed.
        spec = Path(spec_dir) / "kernels" / "course-bench"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "course bench", "language": "python"}))
        specs = KernelSpecManager(kernel_dirs=[str(spec.parent)])
        km = KernelManager(kernel_name="course-bench", kernel_spec_manager=specs)
        client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=allow_errors, record_timing=True,
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            with client.setup_kernel(cleanup_kc=True):  # we made km, so nbclient would leave the kernel running
                kernel_s = time.perf_counter() - started
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    t0 = time.perf_counter()
                    try:
                        client.execute_cell(cell, index)
                    except CellExecutionError as exc:
                        first = str(exc).strip().splitlines()
                        error = f"{type(exc).__name__} in cell {index}: {first[-1][:200] if first else ''}"
                        cells.append((index, time.perf_counter() - t0, _first_line(cell.source)))
                        break
                    cells.append((index, time.perf_counter() - t0, _first_line(cell.source)))
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return {"seconds": time.perf_counter() - started, "kernel_s": kernel_s, "cells": cells, "error": error}


def _first_line(source):
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:60]
    return ""


def run(settings):
    paths = notebook_paths()
    if not paths:
        return [harness.skipped("whole course", "all notebooks", None, "no notebooks found", group=GROUP)]
    rows, total = [], 0.0
    rounds = settings.repeats or 1  # a notebook takes seconds to a minute: one run each, unless --repeats
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        before = _listing(path.parent)
        runs = []
        m = harness.interleave({"nb": lambda: runs.append(execute(path)) or runs[-1]}, rounds, warmup=False,
                               number=1)
        created = sorted(_listing(path.parent) - before)
        last = runs[-1]
        slowest = sorted(last["cells"], key=lambda c: -c[1])[:3]
        note = [f"kernel start {harness.format_seconds(last['kernel_s'])}",
                "slowest cells: " + ", ".join(f"{i} ({harness.format_seconds(s)}: {src})" for i, s, src in slowest)]
        if last["error"]:
            note.insert(0, f"FAILED: {last['error']}")
        if created:
            note.append(f"the notebook wrote files into its folder: {', '.join(created[:5])}")
        row = harness.result(f"execute {rel}", rel, m["nb"], None, None,
                             target=harness.at_most_s(NOTEBOOK_BUDGET_S, f"≤ {NOTEBOOK_BUDGET_S:g} s"),
                             note="; ".join(note), group=GROUP)
        if last["error"]:
            row["met"] = False
        harness.log(f"   ... {rel}: {harness.format_seconds(row['ours_s'])}" + (" (FAILED)" if last["error"] else ""))
        rows.append(row)
        total += row["ours_s"]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    total_m = harness.Measurement((total,), 1, float("nan"), 0.0, False)
    rows.append(harness.result(f"the whole course ({len(paths)} notebooks)", "notebooks/ + solutions/", total_m,
                               target=harness.at_most_s(COURSE_BUDGET_S, f"≤ {COURSE_BUDGET_S:g} s on 2 cores"),
                               note=f"sum of the rows above, run one after another on {cpus} usable CPU(s)"
                                    + ("" if cpus == 2 else " (the target is stated for 2 cores)"),
                               group=GROUP))
    slowest = sorted(rows[:-1], key=lambda r: -r["ours_s"])[:3]
    rows[-1]["note"] += "; the slowest: " + ", ".join(f"{r['ours']} ({harness.format_seconds(r['ours_s'])}, "
                                                      f"{r['ours_s'] / total:.0%})" for r in slowest)
    if any(r["met"] is False for r in rows[:-1]):
        rows[-1]["note"] += "; over budget: " + ", ".join(r["ours"] for r in rows[:-1] if r["met"] is False)
    return rows


def _listing(folder):
    return {p.name for p in Path(folder).iterdir()}

"""make reproducible: do the stored outputs hold on every CPU?

XLA compiles for the instruction set of the CPU it runs on, so a float can differ in its last bits from one
machine to another, and long training turns that into a different printed digit. This re-executes
notebooks/ and solutions/ once per instruction set, with XLA told to generate code for it
(XLA_FLAGS=--xla_cpu_max_isa=ISA, set by conftest.py from COURSE_XLA_ISA), compares every cell with its
stored output as `make test` does, and lists each cell that differs and under which instruction sets.

    python tests/reproducible.py                        # SSE4_2, AVX2 and the machine's own (native)
    python tests/reproducible.py --isa SSE4_2 notebooks/06_rnn_lstm.ipynb

Exit status 0 when no cell differs anywhere, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ISAS = ("SSE4_2", "AVX2", "native")


def differing_cells(isa, paths, jobs):
    """{"notebooks/NN.ipynb::Cell K": first lines of nbval's report} for one instruction set."""
    with tempfile.TemporaryDirectory(prefix="course-reproducible-") as scratch:
        report = Path(scratch) / "junit.xml"
        command = [sys.executable, "-m", "pytest", *paths, "-q", "--nbval", f"--junitxml={report}",
                   *(["-n", str(jobs), "--dist", "loadfile"] if jobs > 1 else [])]
        # conftest.py turns COURSE_XLA_ISA into XLA_FLAGS, unless XLA_FLAGS already names an instruction set
        flags = " ".join(f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith("--xla_cpu_max_isa"))
        done = subprocess.run(command, cwd=ROOT, env={**os.environ, "COURSE_XLA_ISA": isa, "XLA_FLAGS": flags},
                              capture_output=True, text=True)
        if not report.exists():
            raise SystemExit(f"pytest did not run under {isa} (exit {done.returncode}):\n{done.stdout[-3000:]}")
        cells = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            for problem in [*case.iter("failure"), *case.iter("error")]:
                name = f"{case.get('classname', '').replace('.', '/')}::{case.get('name')}"
                cells[_notebook_name(case) or name] = _summary(problem.get("message", "") + "\n" + (problem.text or ""))
        return cells


def _notebook_name(case):
    """junit names a notebook cell by its path with dots for slashes (notebooks.06_rnn_lstm) and "Cell 19"."""
    classname, name = case.get("classname", ""), case.get("name", "")
    for folder in ("notebooks", "solutions"):
        if classname.startswith(folder + "."):
            return f"{folder}/{classname[len(folder) + 1:]}.ipynb::{name}"
    return None


def _summary(text, lines=8):
    """The lines of nbval's report that show the difference (those marked - and +), or its first lines."""
    body = [line for line in text.splitlines() if line.strip()]
    diff = [line for line in body if line.lstrip().startswith(("- ", "+ ", "-  ", "+  "))]
    return "\n".join((diff or body)[:lines])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=["notebooks", "solutions"],
                        help="notebooks or folders to check (default: notebooks solutions)")
    parser.add_argument("--isa", default=",".join(ISAS),
                        help=f"comma-separated instruction sets; native = the machine's own (default: {','.join(ISAS)})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="pytest-xdist workers")
    args = parser.parse_args(argv)
    found = {}
    for isa in args.isa.split(","):
        cells = differing_cells(isa, args.paths, args.jobs)
        print(f"{isa:>7}: {len(cells)} cell(s) differ from the stored outputs", flush=True)
        for cell, summary in cells.items():
            found.setdefault(cell, {})[isa] = summary
    for cell, by_isa in sorted(found.items()):
        print(f"\n{cell} differs under {', '.join(by_isa)}")
        print("\n".join("    " + line for line in next(iter(by_isa.values())).splitlines()))
    if not found:
        print("every stored output is what each of these instruction sets computes")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

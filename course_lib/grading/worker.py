"""Grade one submission in a fresh kernel and report every code cell's outcome as JSON lines on stdout.

    python -m course_lib.grading.worker '{"source": ..., "submission": ..., "cell_timeout": ...,
                                          "memory_mb": ..., "max_output_bytes": ...}'

The parent (grade.py) reads the events as they come, so it keeps every result reached even when it has
to kill this process at the notebook deadline. Events:
    {"event": "invalid", "reason": ...}                 the submission is not a usable notebook
    {"event": "missing", "grade_ids": [...]}            answer cells absent from the submission
    {"event": "kernel", "pid": ...}                     the kernel started (the parent kills it at the deadline)
    {"event": "cell", "index": i, "status": "ok" | "error" | "timeout", "ename": ..., "evalue": ...}
    {"event": "output_capped", "index": i}              later output was discarded, not stored
    {"event": "kernel_died", "index": i}                the kernel exited during cell i
    {"event": "done"}
"""
import copy
import json
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from course_lib.grading import format as fmt
from course_lib.grading.kernel import TRUNCATED

__all__ = ["assemble", "main"]

KERNEL_NAME = "course-grader"
TIMEOUT_ENAME = "CellTimeout"
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
MAX_MESSAGE_CHARS = 2000


def emit(**event):
    print(json.dumps(event), flush=True)


def assemble(source, submission):
    """The notebook to run: a copy of `source` whose answer cells hold the submission's cells with the same
    grade_id (same cell type). Every other cell, hidden tests included, comes from the source.
    Returns (notebook, grade_ids of answers missing from the submission)."""
    answers = {}
    for cell in submission.cells:
        grade_id = fmt.nbgrader(cell).get("grade_id") if isinstance(cell.get("metadata"), dict) else None
        if isinstance(grade_id, str) and isinstance(cell.get("source"), str):
            answers.setdefault((grade_id, cell.get("cell_type")), cell.source)
    graded, missing = copy.deepcopy(source), []
    for cell in graded.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if fmt.is_solution(cell):
            key = (fmt.nbgrader(cell)["grade_id"], cell.cell_type)
            if key in answers:
                cell.source = answers[key]
            else:
                missing.append(key[0])
                cell.source = f"raise NotImplementedError('no answer cell {key[0]} in the submission')"
    return graded, missing


class _Client(NotebookClient):
    """nbclient with a cap on stored output: past max_output_bytes, outputs are counted and dropped."""

    def __init__(self, nb, max_output_bytes, **kwargs):
        super().__init__(nb, **kwargs)
        self.max_output_bytes, self.output_bytes, self.capped = max_output_bytes, 0, False

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        self.output_bytes += len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        if self.output_bytes > self.max_output_bytes or TRUNCATED in content.get("text", ""):
            if not self.capped:
                self.capped = True
                emit(event="output_capped", index=cell_index)
            return None
        return super().output(outs, msg, display_id, cell_index)


def _report(cell, cell_index, execute_reply):
    content = execute_reply.get("content", {})
    status = content.get("status", "error")
    if status == "ok":
        emit(event="cell", index=cell_index, status="ok")
    else:
        ename, evalue = str(content.get("ename", "Error")), str(content.get("evalue", ""))
        emit(event="cell", index=cell_index, status="timeout" if ename == TIMEOUT_ENAME else "error",
             ename=ename, evalue=evalue[:MAX_MESSAGE_CHARS])


def _kernel_manager(spec_dir, memory_mb, max_output_bytes):
    spec = Path(spec_dir) / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    # The course's own Python, whatever kernelspec the submission names.
    argv = [sys.executable, "-m", "course_lib.grading.kernel", str(memory_mb), str(max_output_bytes),
            "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "course grader",
                                                  "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(spec.parent)])
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)  # nbclient needs the async one


def run(config):
    path = Path(config["submission"])
    try:
        if path.stat().st_size > MAX_SUBMISSION_BYTES:
            return emit(event="invalid", reason=f"the file is larger than {MAX_SUBMISSION_BYTES // 2**20} MB")
        submission = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        if not isinstance(submission.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as error:  # anything unreadable is reported, never raised: the submission is invalid
        return emit(event="invalid", reason=f"not a Jupyter notebook ({type(error).__name__}: {str(error)[:200]})")
    source = nbformat.read(config["source"], as_version=4)
    graded, missing = assemble(source, submission)
    if missing:
        emit(event="missing", grade_ids=missing)
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        kernel = _kernel_manager(scratch, config["memory_mb"], config["max_output_bytes"])
        client = _Client(graded, config["max_output_bytes"], km=kernel,
                         timeout=config["cell_timeout"], interrupt_on_timeout=True, allow_errors=True,
                         error_on_timeout={"ename": TIMEOUT_ENAME,
                                           "evalue": f"the cell ran longer than {config['cell_timeout']} s"},
                         on_cell_executed=_report, resources={"metadata": {"path": scratch}})
        with client.setup_kernel():
            emit(event="kernel", pid=client.km.provisioner.pid)
            for index, cell in enumerate(graded.cells):
                if cell.cell_type != "code":
                    continue
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError:
                    return emit(event="kernel_died", index=index)
    emit(event="done")


def main():
    run(json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()

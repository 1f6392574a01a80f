"""make reproducible (tests/reproducible.py): re-executes notebooks under each instruction set asked for and
names every cell whose output differs from the stored one. Run here on a two-cell notebook without JAX, one
cell stored right and one stored wrong, so that what is tested is the sweep and its report, not a CPU."""
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
import reproducible  # noqa: E402


def _notebook(path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    right = nbformat.v4.new_code_cell("print(1 + 1)", execution_count=1,
                                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="2\n")])
    wrong = nbformat.v4.new_code_cell("print(3 * 3)", execution_count=2,
                                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="10\n")])
    nb.cells = [right, wrong]
    nbformat.write(nb, path)


def test_the_sweep_names_each_differing_cell_and_its_instruction_sets(tmp_path, capsys):
    _notebook(tmp_path / "demo.ipynb")
    status = reproducible.main([str(tmp_path / "demo.ipynb"), "--isa", "SSE4_2,native", "--jobs", "1"])
    out = capsys.readouterr().out
    assert status == 1
    assert "SSE4_2: 1 cell(s) differ" in out and "native: 1 cell(s) differ" in out
    assert "Cell 1 differs under SSE4_2, native" in out and "Cell 0" not in out
    assert "10" in out and "9" in out  # the stored and the computed output, as nbval reports them


def test_a_clean_sweep_says_so_and_exits_0(tmp_path, capsys):
    _notebook(tmp_path / "demo.ipynb")
    nb = nbformat.read(tmp_path / "demo.ipynb", as_version=4)
    nb.cells = nb.cells[:1]
    nbformat.write(nb, tmp_path / "demo.ipynb")
    assert reproducible.main([str(tmp_path / "demo.ipynb"), "--isa", "AVX2", "--jobs", "1"]) == 0
    assert "every stored output is what each of these instruction sets computes" in capsys.readouterr().out

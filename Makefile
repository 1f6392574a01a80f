# The course's commands. Each one creates .venv with the course installed when it is missing.
#   make lab        start JupyterLab at the course's first notebook (extra options: make lab LAB_ARGS="--no-browser")
#   make test       run the whole test suite (what CI runs), on every core (TEST_JOBS=0: one process)
#   make reproducible  re-run notebooks/ and solutions/ with XLA compiling for SSE4_2, AVX2 and this CPU;
#                   list every cell whose output differs from the stored one (options via REPRO_ARGS)
#   make exercises  regenerate exercises/ from solutions/
#   make grade      grade a folder of submissions: make grade SOURCE=solutions/01_perceptron.ipynb SUBMISSIONS=submissions/
#   make bench      run the benchmarks and write benchmarks/RESULTS.md

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: lab test reproducible exercises grade bench clean

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(LAB_ARGS)

# pytest-xdist workers: one per core and one more, since many tests wait (on kernels, a browser, a deadline);
# --dist loadfile keeps each notebook (and each test file's fixtures) on one worker.
TEST_JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) + 1 )))

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

reproducible: $(STAMP)
	$(BIN)/python tests/reproducible.py $(REPRO_ARGS)

exercises: $(STAMP)
	$(BIN)/course-grade release

grade: $(STAMP)
	$(BIN)/course-grade grade $(SOURCE) $(SUBMISSIONS) --out $(or $(OUT),grades)

# The benchmarks' peers (PyTorch CPU, scikit-learn) come from the `bench` extra, installed on first use.
# Options go through BENCH_ARGS, e.g. make bench BENCH_ARGS="--only conv,pool --quick".
BENCH_STAMP := $(VENV)/.bench-installed-stamp

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -e ".[dev,bench]"
	touch $(BENCH_STAMP)

# Re-install only when the package definition changes; the install is editable, so code edits need nothing.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "The course needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1). Try: make test PYTHON=python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info

# The README's two commands:
#   make lab    set up (once) and open JupyterLab on the series' first notebook
#   make test   set up (once) and run lint, unit tests and nbval over every notebook
# Set-up is idempotent: a stamp file in .venv records that the install matches pyproject.toml,
# so a second run starts straight away.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Installing with uv takes seconds instead of most of a minute; pip is the fallback.
INSTALL = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); \
          else $(BIN)/python -m pip install --quiet $(1); fi
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test lint bridge e2e screenshots bench notebooks student student-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.4" || true

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(call INSTALL,-e ".[notebooks]")
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(call INSTALL,-e ".[test]")
	touch $(VENV)/.installed-notebooks $@

lab: $(VENV)/.installed-notebooks
	cd notebooks && ../$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) 00_start_here.ipynb

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check backprop_lib tests bench tools

test: lint
	$(BIN)/python -m pytest

# The bridge to PyTorch (notebook 12, tests/test_bridge.py): the optional `bridge` extra.
# PyTorch's CPU build comes from pip (uv would pick a CUDA build of several GB); then every
# test that needs torch runs with it, and a torch that fails to import fails the target.
TORCH ?= torch==2.13.0
$(VENV)/.installed-bridge: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$(TORCH)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[bridge]"
	touch $@

bridge: $(VENV)/.installed-bridge
	$(BIN)/python -c "import torch; print('torch', torch.__version__)"
	$(BIN)/python -m pytest tests/test_bridge.py tests/test_torch_compat.py \
	    tests/test_conv_torch.py tests/test_recurrent_torch.py \
	    tests/test_capstone_claims.py tests/test_exercises_capstone.py \
	    tests/test_optimizers.py tests/test_schedules.py notebooks/12_capstone.ipynb

# Browser tests: JupyterLab + headless Chromium run every dashboard notebook and move its
# slider (tests/e2e). They need a Chromium (Debian/Ubuntu: apt-get install chromium) and
# skip with a message without one. `make screenshots` rewrites docs/img/ from the same run.
$(VENV)/.installed-e2e: pyproject.toml $(VENV)/.installed-test
	$(call INSTALL,-e ".[e2e]")
	touch $@

e2e: $(VENV)/.installed-e2e
	$(BIN)/python -m pytest tests/e2e -m e2e $(E2E_ARGS)

screenshots: $(VENV)/.installed-e2e
	E2E_SCREENSHOT_DIR=docs/img $(BIN)/python -m pytest tests/e2e -m e2e \
	    -k test_dashboard_notebook $(E2E_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python bench/training.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/conv.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build/student

# Re-execute the notebooks and store them with normalised outputs (see CONTRIBUTING.md).
notebooks: $(VENV)/.installed-test
	$(BIN)/python tools/execute_notebooks.py $(NB)

# The student edition (README.md, "For instructors"): build/student/NN_*.ipynb, every solution
# between nbgrader's markers replaced by its placeholder, outputs cleared. `make student-test`
# also runs each one top to bottom and requires every check to say "not attempted yet".
student: $(VENV)/.installed-test
	$(BIN)/python tools/student_edition.py $(NB)

student-test: $(VENV)/.installed-test
	$(BIN)/python tools/student_edition.py --execute $(NB)

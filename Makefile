# Lab to Launch — the two commands of the README, and a few helpers.
#   make course   run every notebook headless (default profile) and print a results table
#   make test     unit tests + every notebook under nbval (smoke profile, offline); CI runs this
#   make lint     ruff on helpers, tests, benchmarks and the notebooks (make test runs it first)
#   make lab      open JupyterLab on the notebooks
#   make rehearse the `full` profile (the GPU path) executed on the CPU with a small model
#   make canary   the tests on the newest releases of transformers, datasets, accelerate, peft,
#                 seqeval (and torch) in a separate venv: version drift, seen before learners see it

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0
# Elsewhere, a CPU-only torch: make TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_ARGS ?=
# Nothing in the tests may reach the Hugging Face hub: the offline paths are what CI checks.
TEST_ENV := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 COURSE_PROFILE=smoke

.PHONY: course test unit notebooks lint lab install strip lock clean canary rehearse

install: $(STAMP)

# torch goes first, pinned, on its own: an unpinned torch would pull gigabytes of CUDA wheels.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

course: $(STAMP)
	$(PY) -m helpers.course run

# The `full` profile is what a GPU learner runs (Colab, a lab's GPU box): every example,
# max_length 256, the largest plans of notebooks 06 and 08, bert-base-cased when the hub answers.
# Without a GPU this rehearses that path on the CPU (.ci/run runs it after make course),
# offline, with MiniLM's embeddings and first two layers (benchmarks/small_model.py),
# and the full plans' shape at a CPU's scale for notebook 08 and the appendix
# (COURSE_PLAN=rehearsal): every branch a GPU learner reaches runs; its scores are only checked
# to beat guessing. Copies go to build/notebooks-full/.
REHEARSAL_MODEL := $(CURDIR)/build/rehearsal/minilm-l2
rehearse: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) benchmarks/small_model.py --layers 2 --out $(REHEARSAL_MODEL)
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 COURSE_MODEL=$(REHEARSAL_MODEL) COURSE_PLAN=rehearsal \
		$(PY) -m helpers.course run --profile full --out build/notebooks-full

# --durations: the 15 slowest tests and notebook cells, so CI's log shows where its time goes
test: $(STAMP) lint
	$(TEST_ENV) $(PY) -m pytest -p no:cacheprovider tests notebooks helpers --doctest-modules \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=900 --durations=15

unit: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -p no:cacheprovider tests helpers --doctest-modules

notebooks: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -p no:cacheprovider notebooks \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=900

# ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade; settings in pyproject.toml) on the
# code and the notebooks' code cells.
lint: $(STAMP)
	$(VENV)/bin/ruff check helpers tests benchmarks notebooks

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

# Remove outputs and execution counts from the notebooks before committing.
strip: $(STAMP)
	$(VENV)/bin/nbstripout --drop-empty-cells notebooks/*.ipynb

# Re-resolve the pinned set in a scratch environment (after a deliberate upgrade).
lock:
	rm -rf build/lock-venv && $(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS)
	build/lock-venv/bin/pip install --quiet -e ".[dev]"
	{ sed -n '/^#/p' constraints.txt; build/lock-venv/bin/pip freeze --exclude-editable \
		| grep -viE '^(pip|setuptools|wheel)==' | sed -E 's/^(torch==[^+]*)\+.*/\1/'; } \
		> constraints.txt.new && mv constraints.txt.new constraints.txt

# The drift canary (.ci/canary): build/canary-venv with the newest releases, the unit tests and
# the smoke notebooks there; build/canary/report.md has the versions and the result.
canary:
	PYTHON=$(PYTHON) bash .ci/canary

clean:
	rm -rf build .pytest_cache

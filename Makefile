# Two entry points for a fresh clone:
#   make demo   set up, generate a demo landing zone, build the warehouse, serve the dashboard
#   make test   set up, then run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO   ?= demo
PORT   ?= 8501

.PHONY: setup demo refresh test lint bench bench-refresh browser-deps spark-deps clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: refresh
	$(BIN)/posaudit dashboard --warehouse $(DEMO)/warehouse --port $(PORT)

# Exit 1 means "published with warnings"; a re-run with nothing new publishes nothing and
# exits as the run before it. The output is one line per layout, the summary and warnings.
refresh: setup
	$(BIN)/posaudit generate --out $(DEMO)/landing --seed 1
	$(BIN)/posaudit refresh --landing $(DEMO)/landing --warehouse $(DEMO)/warehouse || [ $$? -eq 1 ]

# mypy through scripts/typecheck.py: it checks ingest/, expectations/ and dashboards/ under the
# posaudit.* names they install as (pyproject.toml's [tool.mypy] says what and how strictly).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/python scripts/typecheck.py

CHROMIUM ?= /usr/bin/chromium
SUDO    := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# The dashboards' browser test drives Debian's Chromium through Playwright; a browser is never
# downloaded by a test tool. The Chinese pages need CJK fonts to render (and be screenshotted).
CJK_FONTS ?= fonts-noto-cjk

browser-deps: setup
	@test -x $(CHROMIUM) || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver)
	@dpkg -s $(CJK_FONTS) >/dev/null 2>&1 || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $(CJK_FONTS))

# The Spark engine (docs/scale-out.md) needs a Java runtime; PySpark comes with the Python
# packages (the spark extra, part of dev).
JAVA ?= java
JRE  ?= openjdk-17-jre-headless

spark-deps: setup
	@command -v $(JAVA) >/dev/null 2>&1 || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $(JRE))

# Two test files at a time (pytest-xdist): much of a test's time is one Python process (dbt
# parsing, Spark's driver), so two side by side keep both cores busy. A file stays on one worker,
# its module fixtures built once.
test: lint browser-deps spark-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=15

bench: setup
	$(BIN)/python benchmarks/scale.py

# The refresh performance targets side by side (docs/benchmarks.md) (10M transactions; needs ~16 GB free for pandas).
bench-refresh: setup
	$(BIN)/python benchmarks/refresh.py

clean:
	rm -rf $(DEMO) target logs .pytest_cache

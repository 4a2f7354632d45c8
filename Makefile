# The README's two commands: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app hub
GOVUK_DIST := node_modules/govuk-frontend/dist/govuk
ASSETS := hub/static/govuk
VENDOR := hub/static/vendor

.PHONY: run test install assets db demo audit lint format bench bench-retries bench-dispatch bench-sweep bench-stats bench-search clean

# The scheduler runs beside the web server in its own process; stopping `make run` (Ctrl-C)
# stops both.
run: install db demo ## serve the demo hub on http://127.0.0.1:5000, with the scheduler
	@trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) scheduler & scheduler=$$!; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# The tests run in one worker process per core (at most 4: each has its own databases and
# browser), a worker taking the next test as it finishes one.
test: install ## install what is missing and run every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist worksteal $(PYTEST_ARGS)

install: $(VENV)/.installed assets

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# GOV.UK Frontend's built stylesheet, script, fonts and images, and Chart.js's built UMD file
# for the managers' dashboard, copied from the npm packages (both folders are gitignored).
assets: $(ASSETS)/.built $(VENDOR)/chart.umd.min.js

$(ASSETS)/.built: node_modules/.installed
	rm -rf $(ASSETS)
	mkdir -p $(ASSETS)
	cp $(GOVUK_DIST)/govuk-frontend.min.css $(GOVUK_DIST)/govuk-frontend.min.js $(ASSETS)/
	cp -R $(GOVUK_DIST)/assets $(ASSETS)/assets
	touch $@

$(VENDOR)/chart.umd.min.js: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/chart.js/dist/chart.umd.min.js $@

db: install ## create or migrate the database
	$(FLASK) db upgrade

demo: db ## load the demo hub (development only)
	$(FLASK) demo load

# Known vulnerabilities in the installed packages (pip-audit, PyPI's advisories). --strict also
# fails when a package cannot be checked, so a run that could not reach the advisories never
# passes for clean. Not part of `make test` yet: see docs/decisions.md, "Dependency audit".
audit: install ## fail on a known vulnerability in the installed packages
	$(BIN)/pip-audit --skip-editable --strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## print the submission throughput figures
	$(BIN)/python bench/submissions.py

bench-retries: install ## 50 submitters x 20, each sent twice: count what was lost or doubled
	$(BIN)/python bench/retries.py

bench-dispatch: install ## print outbox messages per second against fake Twilio and SMTP servers
	$(BIN)/python bench/dispatch.py

bench-sweep: install ## time one run-due at 10,000 and 1,000,000 referrals
	$(BIN)/python bench/sweep.py

bench-stats: install ## time the managers' figures for a year at 1,000,000 referrals
	$(BIN)/python bench/stats.py

bench-search: install ## time searches at 100,000 referrals on SQLite, then on PostgreSQL
	$(BIN)/python bench/search.py
	$(BIN)/python bench/search.py --postgres

clean:
	rm -rf $(VENV) node_modules $(ASSETS) $(VENDOR) .pytest_cache

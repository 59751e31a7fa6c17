# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
DBT_FILES := $(shell find dbt_project/models dbt_project/macros dbt_project/data-tests -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml
SAMPLE_CUSTOMERS ?= 5000
DAGSTER_STORAGE ?= sqlite

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_PROJECT_DIR := $(CURDIR)/dbt_project
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
# dagster-dbt looks for `dbt` on PATH when it prepares the manifest under `dagster dev`.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

SPARK_INSTALLED := $(VENV)/.spark-installed
POSTGRES_INSTALLED := $(VENV)/.postgres-installed

.PHONY: run check report docs test test-unit test-browser test-ops test-e2e test-spark test-cluster test-crash lint format dev sample bench bench-xl bench-engines bench-clv install manifest clean

# LIFECYCLE_ENGINE=spark make run: the same pipeline with the dbt models built on Spark (installs pyspark).
ENGINE_DEPS := $(if $(filter spark,$(shell echo '$(LIFECYCLE_ENGINE)' | tr A-Z a-z)),$(SPARK_INSTALLED)) \
	$(if $(filter postgres,$(DAGSTER_STORAGE)),$(POSTGRES_INSTALLED))

run: $(INSTALLED) $(ENGINE_DEPS) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	@if [ -z "$$LIFECYCLE_LANDING_DIR" ] && [ -z "$$(find data/landing -type f ! -name .gitkeep | head -n 1)" ]; then \
		$(MAKE) --no-print-directory sample; fi
	@$(PY) -m orchestration.cli run $(if $(FULL_REFRESH),--full-refresh) $(if $(AS_OF),--as-of $(AS_OF)) $(if $(REPLACE_PUBLISHED),--replace-published)

# Every landing file judged as the next run would judge it, nothing written: LANDING=folder or s3://bucket/prefix
# (default: the configured landing root). Exits 1 when a file would be blocked.
check: $(INSTALLED)
	$(PY) -m orchestration.cli check $(if $(LANDING),"$(LANDING)")

# The lifecycle report `make run` published beside the serving file: prints its path, opens it on a desktop.
report: $(INSTALLED)
	@$(PY) -m orchestration.cli report

# The metric catalogue: dbt's docs site (every model and column with its formula, tests, lineage down to
# the report and BI tools) built beside the serving file and served on 127.0.0.1 (DOCS_PORT).
DOCS_PORT ?= 8580
docs: $(INSTALLED) $(MANIFEST)
	$(PY) -m orchestration.cli docs --port $(DOCS_PORT)

# The unit and pipeline tiers: what CI runs and the README shows, on two workers (pytest-xdist; a test
# module is one unit of work: tests/conftest.py). More workers than cores only make each slower. The
# slowest tests are listed at the end, where a change that slows the tier shows.
TEST_WORKERS ?= 2
test: $(INSTALLED) $(MANIFEST)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=15 tests/unit tests/pipeline

# Seconds to a minute, no Dagster run: run it on every change.
test-unit: $(INSTALLED) $(MANIFEST)
	$(PY) -m pytest tests/unit

test-e2e: $(INSTALLED) $(MANIFEST)
	$(PY) -m pytest -m e2e tests/e2e

# `make run` killed with SIGKILL in each stage, then run again; and a run waiting for a live one.
test-crash: $(INSTALLED) $(MANIFEST)
	$(PY) -m pytest -m crash tests/crash

# The report and the Dagster UI in headless Chromium, driven by Playwright. Chromium comes from the
# distribution's packages (Playwright's own download is unreachable): installed here when missing (as root).
export LIFECYCLE_CHROMIUM ?= /usr/bin/chromium
test-browser: $(INSTALLED) $(MANIFEST) $(LIFECYCLE_CHROMIUM)
	$(PY) -m pytest -m browser tests/browser

$(LIFECYCLE_CHROMIUM):
	apt-get install -y --no-install-recommends chromium || \
		(apt-get update && apt-get install -y --no-install-recommends chromium)

# The landing sensor and the run queue under a real `dagster dev`: dropped files ingested without a click,
# two runs launched together one after the other.
test-ops: $(INSTALLED) $(MANIFEST)
	$(PY) -m pytest -m ops tests/ops

# ruff (lint and format) on the Python; sqlfluff on the dbt models, compiled by dbt (.sqlfluff).
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m tools.lint_dbt lint dbt_project/models

# Apply what the linters can fix by themselves.
format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(PY) -m tools.lint_dbt fix dbt_project/models

# The same marts on DuckDB and on Spark (local mode; needs Java 17+). Installs pyspark on first use.
test-spark: $(SPARK_INSTALLED) $(MANIFEST)
	$(PY) -m pytest -m spark tests/spark

# Nothing on a shared disk: SeaweedFS (S3), PostgreSQL (metastore, Dagster), a Spark master, two workers, a
# Thrift and a Connect server on 127.0.0.1 (tools/cluster), `make run` on them against the DuckDB build, and
# the faults. FUSE (to mount the bucket on the Spark hosts) and PostgreSQL's JDBC driver come from the
# distribution's packages, installed here when missing (as root).
CLUSTER_PACKAGES := /usr/bin/fusermount3 /usr/share/java/postgresql.jar
test-cluster: $(SPARK_INSTALLED) $(POSTGRES_INSTALLED) $(MANIFEST) $(CLUSTER_PACKAGES)
	$(PY) -m pytest -m cluster tests/cluster

$(CLUSTER_PACKAGES):
	apt-get install -y --no-install-recommends fuse3 libpostgresql-jdbc-java || \
		(apt-get update && apt-get install -y --no-install-recommends fuse3 libpostgresql-jdbc-java)

dev: $(INSTALLED) $(ENGINE_DEPS) $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Full pipeline vs one plain DuckDB script, the daily incremental run, and Materialize all clicked in the UI
# (Chromium, as in the browser tier), per tier (S M L).
BENCH_TIERS ?= S M L
bench: $(INSTALLED) $(MANIFEST) $(LIFECYCLE_CHROMIUM)
	$(PY) -m benchmarks.pipeline --tiers $(BENCH_TIERS) --out bench-results/pipeline.json

# One machine's ceiling, on demand: tier XL (10M customers, ~45M orders, Parquet) with the default memory
# settings and under a small limit (XL_SMALL_LIMIT), beside tier L's Parquet build.
XL_SMALL_LIMIT ?= 4GB
bench-xl: $(INSTALLED) $(MANIFEST)
	$(PY) -m benchmarks.ceiling --small-limit $(XL_SMALL_LIMIT) --out bench-results/ceiling.json

# The same pipeline on DuckDB, on Spark in local mode and on the cluster stack (as in test-cluster) at two sizes,
# and whether all published the same marts.
ENGINE_BENCH_CUSTOMERS ?= 5000 50000
ENGINE_BENCH_ENGINES ?= duckdb spark cluster
bench-engines: $(SPARK_INSTALLED) $(MANIFEST) \
		$(if $(filter cluster,$(ENGINE_BENCH_ENGINES)),$(POSTGRES_INSTALLED) $(CLUSTER_PACKAGES))
	$(PY) -m benchmarks.engines --customers $(ENGINE_BENCH_CUSTOMERS) --engines $(ENGINE_BENCH_ENGINES) \
		--out bench-results/engines.json

bench-clv: $(INSTALLED)
	mkdir -p bench-results
	$(PY) -m benchmarks.clv_fit --out bench-results/clv_fit.json

sample: $(INSTALLED)
	@$(PY) -m tools.sample_data --landing-dir data/landing --customers $(SAMPLE_CUSTOMERS)

install: $(INSTALLED)
manifest: $(MANIFEST)

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $@

$(SPARK_INSTALLED): $(INSTALLED)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,spark]"
	touch $@

$(POSTGRES_INSTALLED): $(INSTALLED)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,cluster]"
	touch $@

# Through the CLI, which hands dbt the pipeline's resolved settings (profiles.yml keeps no defaults).
# Parsed for DuckDB whatever the engine: Dagster's asset graph does not depend on it.
$(MANIFEST): $(INSTALLED) $(DBT_FILES)
	@LIFECYCLE_ENGINE=duckdb $(PY) -m orchestration.cli dbt parse --quiet
	@touch $@

# Keep a DAGSTER_HOME of the user's own: only write the project's instance settings where none exist.
# DAGSTER_STORAGE=postgres: a team's instance in PostgreSQL (DAGSTER_PG_* from the environment); SQLite otherwise.
$(DAGSTER_HOME)/dagster.yaml:
	@mkdir -p $(DAGSTER_HOME)
	@test -f $@ || cp orchestration/$(if $(filter postgres,$(DAGSTER_STORAGE)),dagster.postgres.yaml,dagster.yaml) $@

clean:
	rm -rf dbt_project/target dbt_project/logs data/warehouse data/serving data/lake data/spark .dagster_home

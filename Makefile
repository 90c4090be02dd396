# wagewatch — 根治欠薪智慧监管平台
# `make run`: set up and serve the demo on http://127.0.0.1:8000   `make test`: the whole suite
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_WORKERS ?= 2

.PHONY: install install-dev run demo test test-suite test-jobs bench lint check-deploy browser clean clean-data

# A venv built by another Python (or half-built) is replaced rather than patched.
$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "需要 Python 3.11 或更新版本"'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PIP) -r requirements.txt
	$(PY) -m wagewatch.documents.fonts prepare >/dev/null
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(PIP) -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

# Debian's Chromium and a CJK font for the browser tests (never a downloaded browser build).
BROWSER_PACKAGES := chromium fonts-noto-cjk poppler-utils
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Sans CJK" && command -v pdftotext >/dev/null 2>&1; } || \
	{ command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null)) \
	  || echo "未安装 chromium:浏览器测试将跳过"; }

# Migrate, load the demo into an empty database, then serve the site with an embedded worker
# and beat. Run it again: the data stays, the demo is not loaded twice.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty
	$(PY) manage.py run_embedded --exit-with-parent

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty

# SQLite by default; DATABASE_URL=postgres://… runs the same suite on PostgreSQL (one test
# database per xdist worker). Job tests start real Celery workers and run on their own.
test: install-dev browser test-suite test-jobs

test-suite: install-dev
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not jobs"

# Exit code 5 (nothing collected) is not a failure here: the marker may select nothing in a subset run.
test-jobs: install-dev
	@rc=0; $(PY) -m pytest -m jobs || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "没有 jobs 测试"; elif [ $$rc -ne 0 ]; then exit $$rc; fi

bench: install-dev
	$(PY) bench/run.py

lint: install-dev
	$(VENV)/bin/ruff check .

# The production settings with throwaway secrets: fails on any warning of `check --deploy`.
check-deploy: install
	DJANGO_SETTINGS_MODULE=wagewatch.settings_production \
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	FIELD_ENCRYPTION_KEY="$$($(PY) -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')" \
	FIELD_LOOKUP_KEY="$$($(PY) -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')" \
	HISTORY_SIGNING_KEY="$$($(PY) -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')" \
	ALLOWED_HOSTS=wagewatch.example.gov.cn \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles

# Deletes the embedded database, its generated keys and the job queue: the next `make run` starts afresh.
clean-data:
	rm -rf var

# wagewatch — 根治欠薪智慧监管平台
# `make run`: set up and serve the demo on http://127.0.0.1:8000   `make test`: the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-jobs bench lint check-deploy browser clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
	  || echo "未安装 chromium:浏览器测试将跳过"; }

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --if-empty
	$(PY) manage.py run_embedded

test: install browser
	$(PY) -m pytest -n 2 --dist loadfile -m "not jobs"
	$(PY) -m pytest -m jobs

bench: install
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var staticfiles

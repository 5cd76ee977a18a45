#!/usr/bin/env bash
# Installs what is missing, builds, exports the TorchScript model zoo the import tests read, and runs
# the whole test suite. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build
scripts/test_fixtures.sh build
ctest --test-dir build --output-on-failure -j2 --timeout 600

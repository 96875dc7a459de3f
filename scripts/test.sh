#!/usr/bin/env bash
# The test command: JDK 25 + Redis/RabbitMQ up + Chromium for the browser tests, then `mvn -B verify`
# (extra args go to mvn).
#   scripts/test.sh                 full build + tests
#   scripts/test.sh -Dtest=FooTest  pass-through to Maven
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
bash "$ROOT/scripts/services.sh"
bash "$ROOT/scripts/browser.sh"

command -v mvn >/dev/null 2>&1 || { echo "test.sh: ERROR: mvn (Maven) not found on PATH" >&2; exit 1; }
echo "test.sh: mvn -B verify $*" >&2
exec mvn -B verify "$@"

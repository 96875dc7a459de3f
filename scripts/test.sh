#!/usr/bin/env bash
# The test command: JDK 25 + Redis/RabbitMQ up + Chromium for the browser tests + Node.js for the
# client.js tests, then `mvn -B verify`
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
# The unit tests of /client.js run on Node's own test runner (ClientScriptTest fails without it too).
command -v node >/dev/null 2>&1 || { echo "test.sh: ERROR: node (Node.js 20 or later) not found on PATH: the"\
    "client.js tests need it (Debian: apt-get install nodejs)" >&2; exit 1; }

command -v mvn >/dev/null 2>&1 || { echo "test.sh: ERROR: mvn (Maven) not found on PATH" >&2; exit 1; }
echo "test.sh: mvn -B verify $*" >&2
exec mvn -B verify "$@"

#!/usr/bin/env bash
# Where the service's CPU samples fall, by stage and by thread, from a JFR recording:
#   BENCH_SERVICE_JAVA_OPTS="-Xmx512m -XX:StartFlightRecording=filename=/tmp/service.jfr,settings=profile" \
#       bench/run.sh relay
#   bench/profile.sh /tmp/service.jfr
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
. scripts/env.sh
[ -f "${1:-}" ] || { echo "usage: bench/profile.sh RECORDING.jfr" >&2; exit 2; }
[ -d target/bench-classes/io/assistantstream/bench ] || mvn -B -q test-compile -Pbench
exec "$JAVA_HOME/bin/java" -cp "target/bench-classes" io.assistantstream.bench.JfrSummary "$1"

#!/usr/bin/env bash
# The benchmark suite (not part of the tests):
#   bench/run.sh [relay] [capacity] [open] [throughput] [startup] [--quick] [--out DIR]
# No scenario names = all four. --quick = small, seconds-long versions (a smoke test, used by CI).
# Starts the built service and a fake OpenAI as separate processes, drives them over RabbitMQ and
# WebSocket on loopback, writes bench/results/latest.{json,md} and relay-latency.svg, and removes its
# own queues, exchanges and Redis keys. BENCH_SERVICE_JAVA_OPTS sets the service's JVM options
# (default -Xmx512m).
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
. scripts/env.sh
bash scripts/services.sh
echo "bench: building (mvn -B -q package -DskipTests)" >&2
mvn -B -q package -DskipTests
exec "$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:target/libs/*" \
    io.assistantstream.bench.LoadDriver "$@"

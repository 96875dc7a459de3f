#!/usr/bin/env bash
# The benchmark suite (not part of the tests):
#   bench/run.sh [relay] [capacity] [open] [throughput] [startup] [resume] [idle] [memory] [cancel]
#                [capacity-cluster] [--quick] [--out DIR]
# No scenario names = the first nine; capacity-cluster runs only when named (capacity on the standalone
# Redis and then on a 3-master Redis Cluster of six redis-servers it starts and stops, side by side).
# --quick = small, seconds-long versions (a smoke test, used by CI).
# Starts the built service and a fake OpenAI as separate processes, drives them over RabbitMQ and
# WebSocket on loopback, writes bench/results/latest.{json,md} and relay-latency.svg, and removes its
# own queues, exchanges and Redis keys. BENCH_SERVICE_JAVA_OPTS sets the service's JVM options
# (default -Xmx512m). For startup it first lays out the images it compares with scripts/runtime-image.sh
# under target/bench-images/: jlink/ (jlinked runtime with an AOT cache) and jdk/ (full JDK with one);
# --quick: jlink/ only, without a cache.
# The driver's sources are bench/src/main/java, built with -Pbench into target/bench-classes; it runs
# against the test classes for the fake OpenAI and testing/Launched (see the bench profile in pom.xml).
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
. scripts/env.sh
bash scripts/services.sh
echo "bench: building (mvn -B -q package -DskipTests -Pbench)" >&2
mvn -B -q package -DskipTests -Pbench

# Does LoadDriver run startup (named, or no scenario named at all)?
quick=0 all=1 startup=0
for ((i = 1; i <= $#; i++)); do
    case ${!i} in
        --quick) quick=1 ;;
        --out) i=$((i + 1)) ;;
        startup) all=0 startup=1 ;;
        *) all=0 ;;
    esac
done
if [[ $all -eq 1 || $startup -eq 1 ]]; then
    images=target/bench-images
    # Trained with the options the service runs with.
    export JAVA_OPTS=${BENCH_SERVICE_JAVA_OPTS:--Xmx512m}
    if [[ $quick -eq 1 ]]; then
        bash scripts/runtime-image.sh --no-build --image "$images/jlink"
        rm -rf "$images/jdk"
    else
        bash scripts/runtime-image.sh --no-build --aot --image "$images/jlink"
        bash scripts/runtime-image.sh --no-build --aot --full-jdk --image "$images/jdk"
    fi
    unset JAVA_OPTS
    export BENCH_IMAGES=$images
fi
exec "$JAVA_HOME/bin/java" -cp "target/bench-classes:target/test-classes:target/classes:target/libs/*" \
    io.assistantstream.bench.LoadDriver "$@"

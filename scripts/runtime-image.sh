#!/usr/bin/env bash
# Lays out the service's container image without Docker: a jlinked Java runtime, the jar, its libs and
# a launcher. The Dockerfile's build stage runs this same script, and RuntimeImageTest runs it in CI.
#   scripts/runtime-image.sh [--no-build] [--aot] [--full-jdk] [--image DIR]
#   --no-build   use target/assistant-stream.jar and target/libs/ as they are (default: mvn package first)
#   --aot        also train a JDK 25 AOT cache (see below); needs Redis and RabbitMQ, which
#                scripts/services.sh checks or brings up
#   --full-jdk   use the whole JDK as the runtime instead of jlinking one (to compare start-up)
#   --image DIR  where to lay it out (default target/image); DIR is replaced, so it must be empty, absent
#                or an image this script made
#
# DIR/runtime/                  jlink of the modules jdeps finds, without java.desktop, plus KEEP_MODULES;
#                               --strip-debug --no-man-pages --no-header-files --compress=zip-6
# DIR/app/assistant-stream.jar  the jar, and DIR/app/libs/ exactly the jars its manifest's Class-Path names
# DIR/app/assistant-stream.aot  --aot only: trained by starting the app on DIR/runtime with
#                               -XX:AOTCacheOutput, waiting for /observe/health/ready, calling a few
#                               endpoints, then SIGTERM (the JVM writes the cache as it exits). Every run
#                               deletes the old cache first: a stale one would be used silently.
# DIR/bin/assistant-stream      the launcher (uses the cache when present); DIR/bin/healthcheck GETs
#                               /observe/health/ready with bash alone (the image has no curl)
# The training never sees the caller's settings: it has its own queue, exchange, routing key and Redis
# prefix (NAME_queue, NAME_exchange, NAME_key, NAME: with NAME=$AOT_TRAINING_NAME, default aot_training;
# they stay behind, empty, and the next training reuses them), a dummy OpenAI key, and only the caller's
# JAVA_OPTS, REDIS_URL and RABBITMQ_URL (train with the JVM options you run with).
# Prints the module list and the sizes.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=target/assistant-stream.jar
LIBS=target/libs
# Kept whatever jdeps says: the JDK HTTP client (relay mode, the command line), sun.misc for netty and
# signals, com.sun.management for the JVM metrics. TLS needs nothing more on JDK 25: SunEC moved into
# java.base (JDK 22), so jdk.crypto.ec is an empty module.
KEEP_MODULES=(java.net.http jdk.unsupported jdk.management)
# jdeps lists it only for java.beans in code paths the service never runs (amqp-client's JSON-RPC
# tools, micrometer's Log4j2 binder); it is 15 MB of AWT and Swing.
DROP_MODULES=(java.desktop)
JLINK_OPTIONS=(--strip-debug --no-man-pages --no-header-files --compress=zip-6)
MARKER=.assistant-stream-image
READY_TIMEOUT=120
TRAINING_NAME=${AOT_TRAINING_NAME:-aot_training}

log() { printf 'runtime-image.sh: %s\n' "$*" >&2; }
die() { printf 'runtime-image.sh: ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

build=1 aot=0 full_jdk=0 image=target/image
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-build) build=0 ;;
        --aot) aot=1 ;;
        --full-jdk) full_jdk=1 ;;
        --image) [[ $# -ge 2 && -n $2 ]] || die "--image needs a directory"; image=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
done

[[ $TRAINING_NAME =~ ^[A-Za-z0-9_]+$ ]] || die "AOT_TRAINING_NAME must be letters, digits and _"

# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
for tool in jar jdeps jlink; do
    [[ -x $JAVA_HOME/bin/$tool ]] || die "$JAVA_HOME has no bin/$tool (a full JDK 25 is needed, not a JRE)"
done

# ---- 1. the jar and its libs ---------------------------------------------------------------------
if [[ $build -eq 1 ]]; then
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven) not found on PATH (or pass --no-build)"
    log "building $JAR (mvn -B -q package -DskipTests)"
    mvn -B -q package -DskipTests || die "Maven build failed"
fi
[[ -f $JAR ]] || die "$JAR is missing: build it (mvn package) or drop --no-build"

# The jars the manifest's Class-Path names (libs/x.jar ...): target/libs may also hold jars of older builds.
manifest_classpath() {
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && "$JAVA_HOME/bin/jar" xf "$ROOT/$JAR" META-INF/MANIFEST.MF) || { rm -rf "$tmp"; return 1; }
    # Manifest lines wrap at 72 bytes; a continuation line starts with one space.
    tr -d '\r' <"$tmp/META-INF/MANIFEST.MF" \
        | awk '/^ / { line = line substr($0, 2); next } { if (NR > 1) print line; line = $0 } END { print line }' \
        | sed -n 's/^Class-Path: //p' | tr ' ' '\n' | sed '/^$/d'
    rm -rf "$tmp"
}
mapfile -t classpath < <(manifest_classpath) || die "cannot read the manifest of $JAR"
[[ ${#classpath[@]} -gt 0 ]] || die "$JAR's manifest has no Class-Path (is it the Maven-built jar?)"

# ---- 2. the image directory ----------------------------------------------------------------------
if [[ -e $image ]]; then
    [[ -d $image ]] || die "--image $image exists and is not a directory"
    if [[ ! -e $image/$MARKER && -n $(ls -A -- "$image") ]]; then
        die "$image is not empty and was not made by this script; not replacing it"
    fi
    rm -rf -- "$image"
fi
mkdir -p "$image/app/libs" "$image/bin"
image=$(cd -- "$image" && pwd -P)
touch "$image/$MARKER"
cp "$JAR" "$image/app/"
for entry in "${classpath[@]}"; do
    [[ $entry == libs/* && -f target/$entry ]] || die "the manifest names $entry, which is not in $LIBS/ (run mvn package)"
    cp "target/$entry" "$image/app/libs/"
done
cp src/image/bin/assistant-stream src/image/bin/healthcheck "$image/bin/"
chmod 755 "$image/bin/"*

# ---- 3. the runtime ------------------------------------------------------------------------------
if [[ $full_jdk -eq 1 ]]; then
    ln -s "$JAVA_HOME" "$image/runtime"
    log "runtime: the full JDK at $JAVA_HOME (--full-jdk)"
else
    log "jdeps over the jar and ${#classpath[@]} libs"
    found=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 \
        --class-path "$image/app/libs/*" "$image/app/assistant-stream.jar") || die "jdeps failed"
    [[ $found == java.base* ]] || die "unexpected jdeps output: $found"
    modules=$( { tr ',' '\n' <<<"$found"; printf '%s\n' "${KEEP_MODULES[@]}"; } \
        | grep -vxF -f <(printf '%s\n' "${DROP_MODULES[@]}") | sort -u | paste -sd, -)
    log "jdeps: $found"
    log "modules: $modules"
    "$JAVA_HOME/bin/jlink" --add-modules "$modules" "${JLINK_OPTIONS[@]}" --output "$image/runtime" \
        || die "jlink failed"
    have=$("$image/runtime/bin/java" --list-modules) || die "the new runtime does not start"
    for module in ${modules//,/ }; do
        grep -q "^$module@" <<<"$have" || die "module $module is missing from the new runtime"
    done
fi

# ---- 4. the AOT cache ----------------------------------------------------------------------------
train_aot() {
    local cache=$image/app/assistant-stream.aot out pid port="" path deadline status
    [[ $cache != *[[:space:]]* ]] || die "the launcher passes JAVA_OPTS split on spaces: --image DIR must have none"
    bash "$ROOT/scripts/services.sh" >&2
    out=$(mktemp)
    rm -f "$cache"
    log "training the AOT cache (the app on its new runtime; output in $out)"
    # A clean environment: the caller's queue, relay or backend settings must never reach the training.
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" TMPDIR="${TMPDIR:-/tmp}" \
        JAVA_OPTS="${JAVA_OPTS:-} -XX:AOTCacheOutput=$cache" \
        OPENAI_API_KEY=aot-training-not-a-key OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
        QUEUE_NAME="${TRAINING_NAME}_queue" EXCHANGE_NAME="${TRAINING_NAME}_exchange" \
        ROUTING_KEY="${TRAINING_NAME}_key" REDIS_PREFIX="$TRAINING_NAME:" SERVER_PORT=0 \
        REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}" \
        RABBITMQ_URL="${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/}" \
        "$image/bin/assistant-stream" >"$out" 2>&1 &
    pid=$!
    trap 'kill -KILL '"$pid"' 2>/dev/null || true' EXIT
    deadline=$((SECONDS + READY_TIMEOUT)) status=""
    while :; do
        [[ -n $port ]] || port=$(grep -o -m1 'assistant-stream ready on port [0-9]*' "$out" | grep -o '[0-9]*$' || true)
        if [[ -n $port ]] && status=$(HEALTHCHECK_PORT=$port "$image/bin/healthcheck" 2>&1); then break; fi
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$out" >&2; die "the app stopped before it was ready"; }
        ((SECONDS < deadline)) || { tail -n 30 "$out" >&2; die "not ready within ${READY_TIMEOUT}s (${status:-no port yet})"; }
        sleep 0.2
    done
    log "ready on port $port; calling a few endpoints"
    for _ in 1 2 3; do
        for path in /observe/health/ready /observe/health /observe/metrics /admin/threads/stats /ws /missing; do
            HEALTHCHECK_PORT=$port "$image/bin/healthcheck" "$path" >/dev/null 2>&1 || true
        done
    done
    kill -TERM "$pid"
    wait "$pid" || true # 143: ended by SIGTERM, as it should be
    trap - EXIT
    [[ -s $cache ]] || { tail -n 30 "$out" >&2; die "no AOT cache was written to $cache"; }
    # AOTMode=on fails instead of running without the cache, so this proves the cache loads.
    JAVA_OPTS="${JAVA_OPTS:-} -XX:AOTMode=on" "$image/bin/assistant-stream" --help >/dev/null 2>>"$out" \
        || { tail -n 30 "$out" >&2; die "the new AOT cache does not load"; }
    rm -f "$out"
}
[[ $aot -eq 0 ]] || train_aot

# ---- 5. sizes ------------------------------------------------------------------------------------
mib() { du -sL --apparent-size -B1 -- "$@" | awk '{ s += $1 } END { printf "%.1f MiB", s / 1048576 }'; }
log "image: $image"
log "  runtime  $(mib "$image/runtime")"
log "  app      $(mib "$image/app/assistant-stream.jar" "$image/app/libs") (jar + ${#classpath[@]} libs)"
[[ $aot -eq 0 ]] || log "  AOT      $(mib "$image/app/assistant-stream.aot")"
log "  total    $(mib "$image")"

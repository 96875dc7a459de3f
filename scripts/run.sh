#!/usr/bin/env bash
# Run the service locally: JDK 25 + Redis/RabbitMQ up, build if stale, then start the jar.
#   scripts/run.sh [--rebuild] [app args...]
#   --rebuild  force `mvn package` even if target/assistant-stream.jar is up to date
#   --         everything after it goes to the app verbatim
# Requires OPENAI_API_KEY in the environment, unless OPENAI_API=echo (no model server: each message is
# streamed back) or chat (a local server may need no key). To try it without a key:
#   OPENAI_API=echo ADMIN_TOKEN=try-it scripts/run.sh     then open http://localhost:8080/
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JAR=target/assistant-stream.jar

# Split our own flag from the app's arguments.
rebuild=0
app_args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --rebuild) rebuild=1 ;;
        --) shift; app_args+=("$@"); break ;;
        *) app_args+=("$1") ;;
    esac
    shift
done

# Say it early: the app refuses to start without a key for the APIs that need one.
api=$(printf '%s' "${OPENAI_API:-responses}" | tr '[:upper:]' '[:lower:]')
if [[ -z ${OPENAI_API_KEY:-} && $api != echo && $api != chat ]]; then
    echo "run.sh: ERROR: OPENAI_API_KEY is not set. Set it first, e.g. export OPENAI_API_KEY=sk-...," \
         "or try the service without a key: OPENAI_API=echo ADMIN_TOKEN=try-it scripts/run.sh" >&2
    exit 2
fi

# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"
bash "$ROOT/scripts/services.sh"

# Stale if the jar is missing or anything under src/ or pom.xml is newer than it.
if [[ $rebuild -eq 0 ]]; then
    if [[ ! -f $JAR ]]; then
        rebuild=1
    else
        sources=(pom.xml)
        [[ -d src ]] && sources+=(src)
        if [[ -n $(find "${sources[@]}" -newer "$JAR" -print -quit) ]]; then rebuild=1; fi
    fi
fi

if [[ $rebuild -eq 1 ]]; then
    command -v mvn >/dev/null 2>&1 || { echo "run.sh: ERROR: mvn (Maven) not found on PATH" >&2; exit 1; }
    echo "run.sh: building $JAR (mvn -B -q package -DskipTests)" >&2
    mvn -B -q package -DskipTests || { echo "run.sh: ERROR: Maven build failed" >&2; exit 1; }
    [[ -f $JAR ]] || { echo "run.sh: ERROR: build succeeded but $JAR is missing (check <finalName> in pom.xml)" >&2; exit 1; }
else
    echo "run.sh: $JAR is up to date (use --rebuild to force a build)" >&2
fi

# Point at the page (it sends through the admin routes, so it needs ADMIN_TOKEN); not for a command.
page_off=$(printf '%s' "${DEMO_PAGE:-true}" | tr '[:upper:]' '[:lower:]')
if [[ ${#app_args[@]} -eq 0 && $page_off != false ]]; then
    echo "run.sh: the page to try it: http://localhost:${SERVER_PORT:-8080}/" \
         "$([[ -n ${ADMIN_TOKEN:-} ]] && echo "(type your ADMIN_TOKEN in it)" \
            || echo "(set ADMIN_TOKEN to send from it)")" >&2
fi

exec "$JAVA_HOME/bin/java" -jar "$JAR" "${app_args[@]}"

#!/usr/bin/env bash
# shellcheck disable=SC2016  # inner `bash -c` scripts get host/port as $0/$1 on purpose
# Make sure Redis and RabbitMQ are reachable, then print their state. Idempotent.
#
#   REDIS_URL     (default redis://127.0.0.1:6379)         e.g. redis://:pw@localhost:6380/0
#   RABBITMQ_URL  (default amqp://guest:guest@127.0.0.1:5672) e.g. amqp://u:p@localhost:5673/%2f
#   SERVICES_WAIT_SECONDS  how long to wait for each service (default 90)
#
# For a loopback host (127.0.0.1, localhost, ::1): start the server if it is installed but
# not running, installing it from the Debian packages first if missing. For any other
# host only reachability is checked. A running server is never stopped, restarted or flushed.
set -euo pipefail

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" # rabbitmq-server/rabbitmqctl live in sbin
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-90}
[[ $WAIT_SECONDS =~ ^[0-9]+$ ]] || { echo "services.sh: ERROR: SERVICES_WAIT_SECONDS must be a number" >&2; exit 1; }

log() { printf 'services.sh: %s\n' "$*"; }
die() { printf 'services.sh: ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# parse_hostport URL DEFAULT_PORT -> sets HP_HOST, HP_PORT.
# Accepts scheme://[user[:pass]@]host[:port][/path][?query], [ipv6]:port, or plain host[:port].
parse_hostport() {
    local url=$1 rest
    HP_PORT=$2
    rest=${url#*://}
    rest=${rest%%[/?]*}
    rest=${rest##*@}
    if [[ $rest == \[*\]* ]]; then # [ipv6]:port
        HP_HOST=${rest%%]*}; HP_HOST=${HP_HOST#[}
        rest=${rest#*]}
    else
        HP_HOST=${rest%%:*}
        rest=${rest#"$HP_HOST"}
    fi
    rest=${rest#:}
    [[ -n $rest ]] && HP_PORT=$rest
    [[ -n $HP_HOST ]] || die "cannot find a host in '$url' (unix sockets are not supported)"
    [[ $HP_PORT =~ ^[0-9]+$ ]] || die "bad port '$HP_PORT' in '$url'"
}

is_loopback() { case ${1,,} in 127.0.0.1 | localhost | ::1) return 0 ;; *) return 1 ;; esac; }

# TCP connect test.
tcp_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Prints Redis' first reply line to PING (e.g. PONG, NOAUTH ..., LOADING ...), or nothing.
redis_ping() {
    local reply
    if have redis-cli; then
        reply=$(timeout 5 redis-cli -h "$1" -p "$2" ping 2>&1 </dev/null || true)
    else
        reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "PING\r\n" >&3
            IFS= read -r line <&3; printf "%s" "$line"' "$1" "$2" 2>/dev/null || true)
        reply=${reply%$'\r'}; reply=${reply#[+-]}
    fi
    printf '%s' "${reply%%$'\n'*}"
}

# Ready = answers PONG, or refuses with an auth error (server is up; auth is the app's job).
redis_ready() {
    local reply
    reply=$(redis_ping "$1" "$2")
    [[ $reply == PONG || $reply =~ (NOAUTH|WRONGPASS|[Aa]uthentication) ]]
}

# Sends the AMQP 0-9-1 protocol header; a broker answers with a Connection.Start frame
# (first byte 01) or, for a protocol mismatch, its own "AMQP" header (41).
amqp_ready() {
    local first
    first=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "AMQP\x00\x00\x09\x01" >&3
        head -c 1 <&3' "$1" "$2" 2>/dev/null | od -An -tx1 | tr -d ' \n' || true)
    [[ $first == 01 || $first == 41 ]]
}

rabbit_process_running() { have pgrep && pgrep -f 'beam.*rabbit' >/dev/null 2>&1; }

APT_UPDATED=0
apt_install() {
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        have sudo || die "need root (or sudo) to apt-get install $*"
        sudo=(sudo -n)
    fi
    have apt-get || die "$* not installed and apt-get is not available; install them manually"
    log "installing $* from Debian packages"
    if [[ $APT_UPDATED -eq 0 ]]; then
        "${sudo[@]}" apt-get update || die "apt-get update failed"
        APT_UPDATED=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" </dev/null \
        || die "apt-get install -y $* failed"
}

start_redis() {
    local port=$1 dir=/var/lib/redis logdir=/var/log/redis logfile
    mkdir -p "$dir" "$logdir" 2>/dev/null || true
    if [[ ! -w $dir || ! -w $logdir ]]; then # not root: fall back to a private directory
        dir=${TMPDIR:-/tmp}/redis-ci; logdir=$dir; mkdir -p "$dir"
    fi
    logfile=$logdir/ci.log
    [[ $port == 6379 ]] || logfile=$logdir/ci-$port.log
    log "starting redis-server on 127.0.0.1:$port (log: $logfile)"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
        --dir "$dir" --logfile "$logfile" </dev/null || log "warning: redis-server exited with $?"
    REDIS_LOG=$logfile
}

start_rabbitmq() {
    local port=$1
    log "starting rabbitmq-server (detached) on port $port"
    if [[ $port == 5672 ]]; then
        rabbitmq-server -detached </dev/null || log "warning: rabbitmq-server exited with $?"
    else
        RABBITMQ_NODE_PORT=$port rabbitmq-server -detached </dev/null || log "warning: rabbitmq-server exited with $?"
    fi
}

# ---------------------------------------------------------------------------------------
parse_hostport "${REDIS_URL:-redis://127.0.0.1:6379}" 6379
REDIS_HOST=$HP_HOST REDIS_PORT=$HP_PORT
rabbit_default_port=5672
[[ ${RABBITMQ_URL:-} == amqps://* ]] && rabbit_default_port=5671
parse_hostport "${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672}" "$rabbit_default_port"
RABBIT_HOST=$HP_HOST RABBIT_PORT=$HP_PORT
REDIS_LOG=""

redis_state="already running"
rabbit_state="already running"
redis_up=0 rabbit_up=0
if redis_ready "$REDIS_HOST" "$REDIS_PORT"; then redis_up=1; fi
if amqp_ready "$RABBIT_HOST" "$RABBIT_PORT"; then rabbit_up=1; fi

# Install missing servers (loopback only, and only when the service is not already up).
missing=()
if [[ $redis_up -eq 0 ]] && is_loopback "$REDIS_HOST" && ! have redis-server; then
    missing+=(redis-server)
fi
if [[ $rabbit_up -eq 0 ]] && is_loopback "$RABBIT_HOST" && ! have rabbitmq-server; then
    missing+=(rabbitmq-server)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
    for cmd in "${missing[@]}"; do
        have "$cmd" || die "$cmd still not found after apt-get install"
    done
fi

# Start what is down. Only when nothing listens on the port (and, for RabbitMQ, no node is
# already booting), so a running or starting server is never touched.
if [[ $redis_up -eq 0 ]]; then
    if ! is_loopback "$REDIS_HOST"; then
        redis_state="remote, waiting"
        log "Redis at $REDIS_HOST:$REDIS_PORT is not loopback; only waiting for it"
    elif ! tcp_open "$REDIS_HOST" "$REDIS_PORT"; then
        start_redis "$REDIS_PORT"
        redis_state="started by services.sh"
    else
        redis_state="port open, waiting for PONG"
    fi
fi
if [[ $rabbit_up -eq 0 ]]; then
    if ! is_loopback "$RABBIT_HOST"; then
        rabbit_state="remote, waiting"
        log "RabbitMQ at $RABBIT_HOST:$RABBIT_PORT is not loopback; only waiting for it"
    elif tcp_open "$RABBIT_HOST" "$RABBIT_PORT"; then
        rabbit_state="port open, waiting for AMQP"
    elif rabbit_process_running; then
        rabbit_state="a local node is already running/booting, not starting another"
        log "a RabbitMQ node is already running or booting; waiting for it on port $RABBIT_PORT (if it listens on another port, fix RABBITMQ_URL)"
    else
        start_rabbitmq "$RABBIT_PORT"
        rabbit_state="started by services.sh"
    fi
fi

# Wait for both (each gets up to WAIT_SECONDS, counted from now).
deadline=$((SECONDS + WAIT_SECONDS))
until redis_ready "$REDIS_HOST" "$REDIS_PORT"; do
    if ((SECONDS >= deadline)); then
        [[ -n $REDIS_LOG && -r $REDIS_LOG ]] && tail -n 20 "$REDIS_LOG" >&2
        die "Redis not reachable at $REDIS_HOST:$REDIS_PORT after ${WAIT_SECONDS}s ($redis_state; last reply: '$(redis_ping "$REDIS_HOST" "$REDIS_PORT")')"
    fi
    sleep 1
done

deadline=$((SECONDS + WAIT_SECONDS))
until amqp_ready "$RABBIT_HOST" "$RABBIT_PORT"; do
    if ((SECONDS >= deadline)); then
        die "RabbitMQ not reachable at $RABBIT_HOST:$RABBIT_PORT after ${WAIT_SECONDS}s ($rabbit_state); see /var/log/rabbitmq/"
    fi
    sleep 2
done
# The AMQP listener is up; also let the node finish booting when we can ask it.
if is_loopback "$RABBIT_HOST" && have rabbitmqctl; then
    remaining=$((deadline - SECONDS)); ((remaining >= 10)) || remaining=10
    if ! timeout "$remaining" rabbitmqctl await_startup </dev/null >/dev/null 2>&1; then
        log "warning: 'rabbitmqctl await_startup' failed (the AMQP port answers, continuing)"
    fi
fi

redis_version=""
if have redis-cli; then
    redis_version=$(timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" info server 2>/dev/null </dev/null \
        | sed -n 's/^redis_version:\([^[:space:]]*\).*/, redis \1/p' || true)
fi
log "Redis    $REDIS_HOST:$REDIS_PORT  ready ($redis_state$redis_version)"
log "RabbitMQ $RABBIT_HOST:$RABBIT_PORT  ready ($rabbit_state)"

#!/usr/bin/env bash
# Make sure the browser tests have a Chromium and its chromedriver: Debian's `chromium` and
# `chromium-driver` packages, installed when missing. CHROMIUM_BINARY and CHROMEDRIVER point the
# tests (and this check) at others. Idempotent; fails loudly when they cannot be had.
set -euo pipefail

chromium=${CHROMIUM_BINARY:-/usr/bin/chromium}
driver=${CHROMEDRIVER:-/usr/bin/chromedriver}
log() { printf 'browser.sh: %s\n' "$*"; }
die() { printf 'browser.sh: ERROR: %s\n' "$*" >&2; exit 1; }

if [[ ! -x $chromium || ! -x $driver ]]; then
    [[ -z ${CHROMIUM_BINARY:-}${CHROMEDRIVER:-} ]] \
        || die "CHROMIUM_BINARY ($chromium) or CHROMEDRIVER ($driver) is not an executable"
    command -v apt-get >/dev/null 2>&1 || die "no Chromium at $chromium and no apt-get to install it"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
    log "installing chromium and chromium-driver from Debian packages"
    "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver </dev/null \
        || die "apt-get install chromium chromium-driver failed"
    [[ -x $chromium && -x $driver ]] || die "still no $chromium and $driver after apt-get install"
fi
log "$("$chromium" --version 2>/dev/null | head -n 1), $("$driver" --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2)"

#!/usr/bin/env bash
# Source this file (". scripts/env.sh") to select a JDK 25:
# exports JAVA_HOME and puts "$JAVA_HOME/bin" first on PATH.
#
# Search order:
#   1. $JAVA_HOME, if its java reports version 25 (anything else is ignored)
#   2. /usr/lib/jvm/*25* (Temurin first)
#   3. the `java` found on PATH, if it is version 25
#   4. fallback: apt-get install openjdk-25-jdk-headless, only if apt-cache knows it
# Fails (non-zero, message on stderr) when no JDK 25 can be found.
set -euo pipefail

# Prints the JDK home (as given) if "$1" is a JDK (java + javac) whose version is 25.
_envsh_check_jdk25() {
    local home=$1 out
    [[ -n $home && -x $home/bin/java && -x $home/bin/javac ]] || return 1
    out=$("$home/bin/java" -version 2>&1) || return 1
    # Matches e.g. version "25", "25.0.3", "25-ea"; not "17.0.25" or "250".
    [[ $out =~ version\ \"25([^0-9\"][^\"]*)?\" ]] || return 1
    printf '%s\n' "${home%/}"
}

_envsh_find_jdk25() {
    local cand java_bin found

    if [[ -n ${JAVA_HOME:-} ]]; then
        if found=$(_envsh_check_jdk25 "$JAVA_HOME"); then
            printf '%s\n' "$found"; return 0
        fi
        echo "env.sh: ignoring JAVA_HOME=$JAVA_HOME (not a JDK 25)" >&2
    fi

    # Temurin first, then any other directory whose name contains 25.
    for cand in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25*; do
        [[ -d $cand ]] || continue
        if found=$(_envsh_check_jdk25 "$cand"); then
            printf '%s\n' "$found"; return 0
        fi
    done

    if java_bin=$(command -v java 2>/dev/null); then
        java_bin=$(readlink -f -- "$java_bin")
        if found=$(_envsh_check_jdk25 "${java_bin%/bin/java}"); then
            printf '%s\n' "$found"; return 0
        fi
    fi

    # Last resort: a distribution package, only if apt already knows it.
    if [[ $(id -u) -eq 0 ]] && command -v apt-cache >/dev/null 2>&1 \
        && apt-cache show openjdk-25-jdk-headless 2>/dev/null | grep -q '^Package:'; then
        echo "env.sh: no JDK 25 found; installing openjdk-25-jdk-headless via apt" >&2
        if DEBIAN_FRONTEND=noninteractive apt-get install -y openjdk-25-jdk-headless >&2; then
            for cand in /usr/lib/jvm/*25*; do
                [[ -d $cand ]] || continue
                if found=$(_envsh_check_jdk25 "$cand"); then
                    printf '%s\n' "$found"; return 0
                fi
            done
        fi
    fi
    return 1
}

if _envsh_home=$(_envsh_find_jdk25); then
    export JAVA_HOME=$_envsh_home
    export PATH="$JAVA_HOME/bin:$PATH"
    _envsh_ver=$("$JAVA_HOME/bin/java" -version 2>&1 | grep -m1 ' version ' || true)
    echo "env.sh: using JDK 25 at $JAVA_HOME (${_envsh_ver})" >&2
    unset _envsh_home _envsh_ver
    unset -f _envsh_check_jdk25 _envsh_find_jdk25
else
    unset _envsh_home
    unset -f _envsh_check_jdk25 _envsh_find_jdk25
    cat >&2 <<'MSG'
env.sh: ERROR: no JDK 25 found.
  Looked at $JAVA_HOME, /usr/lib/jvm/*25* and the `java` on PATH (need bin/java + bin/javac
  reporting version "25..."), and apt has no openjdk-25-jdk-headless.
  Install a JDK 25 (e.g. Eclipse Temurin 25 under /usr/lib/jvm/) or set JAVA_HOME to one.
MSG
    # Works both when sourced (return) and when executed directly (exit).
    # shellcheck disable=SC2317
    return 1 2>/dev/null || exit 1
fi

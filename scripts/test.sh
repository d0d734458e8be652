#!/usr/bin/env bash
# The one test command for Sejuk, used by developers and by CI (.ci/run).
#
#   bash scripts/test.sh            # lint + the whole suite on SQLite, then on PostgreSQL
#   bash scripts/test.sh -k audit   # extra arguments go to both pytest runs
#
# It works on a fresh clone of a bare Debian 12 machine: it installs what is
# missing (PostgreSQL, Chromium, a venv), starts a throw-away PostgreSQL on a
# free loopback port, and removes it again on exit. Nothing touches var/ or a
# system database cluster. A second run reuses the apt packages and the venv.
#
# Both backends always run, even when lint or the first run fails, so one run
# shows everything that is broken. The exit status is non-zero if lint or
# either pytest run failed (pytest's exit 5, "no tests collected", is a
# failure too: a run that tested nothing must not pass).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PHASE_START=$SECONDS
TOTAL_START=$SECONDS
TIMINGS=()

log() { printf '\n==> %s\n' "$*"; }

# Record how long the phase that just ended took (printed in the summary).
end_phase() {
    local took=$((SECONDS - PHASE_START))
    TIMINGS+=("$1: ${took}s")
    printf -- '--> %s took %ss\n' "$1" "$took"
    PHASE_START=$SECONDS
}

# ---------------------------------------------------------------------------
# Clean-up: stop the throw-away PostgreSQL and remove every temp dir, however
# the script ends (success, failure, Ctrl-C).
# ---------------------------------------------------------------------------
PGDATA=""
PGBIN=""
TMP_DIRS=()
# shellcheck disable=SC2317  # called through the trap below
cleanup() {
    if [[ -n $PGDATA && -f $PGDATA/postmaster.pid ]]; then
        (cd / && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop) \
            >/dev/null 2>&1 || true
    fi
    if [[ ${#TMP_DIRS[@]} -gt 0 ]]; then
        rm -rf -- "${TMP_DIRS[@]}"
    fi
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap above always runs.
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# 1. System packages. Only installed when missing, so a second run (and CI on
#    a machine that already has them) does no apt work at all. The tests drive
#    Debian's /usr/bin/chromium through Playwright's executable_path: never
#    `playwright install`, which downloads a browser and cannot work offline.
# ---------------------------------------------------------------------------
log "system packages"

pkg_installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

newest_pg_bin() {
    # Server binaries are not on PATH on Debian; take the newest major version.
    local ver
    # shellcheck disable=SC2012  # the names are plain version numbers
    ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $ver && -x /usr/lib/postgresql/$ver/bin/initdb ]]; then
        echo "/usr/lib/postgresql/$ver/bin"
    fi
}

missing=()
[[ -n $(newest_pg_bin) ]] || missing+=(postgresql)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# Chromium needs at least one font to lay out pages; the e2e tests measure text.
pkg_installed fonts-dejavu-core || missing+=(fonts-dejavu-core)

if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing: ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: need root to apt-get install ${missing[*]} (or install them yourself)" >&2
        exit 1
    fi
    # Wait for the dpkg lock rather than fail if another apt run holds it.
    apt_opts=(-q -o DPkg::Lock::Timeout=600)
    # The package lists may be stale or absent on a new machine: refresh once.
    apt-get "${apt_opts[@]}" update
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends \
        "${missing[@]}"
else
    echo "postgresql, chromium and fonts already installed"
fi

PGBIN=$(newest_pg_bin)
if [[ -z $PGBIN ]]; then
    echo "error: PostgreSQL server binaries not found under /usr/lib/postgresql" >&2
    exit 1
fi
# The server refuses to run as root, so it runs as the `postgres` OS user.
# The Debian package creates it; create it if the binaries came some other way.
if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin postgres
fi
end_phase "system packages"

# ---------------------------------------------------------------------------
# 2. Python venv. Python 3.11 only (pyproject requires it). constraints.txt
#    pins every transitive package, so CI and developers test the same set.
#    A stamp with the hash of pyproject.toml + constraints.txt skips pip when
#    nothing changed (rerun pip: delete .venv/.sejuk-install-*).
# ---------------------------------------------------------------------------
log "python venv"

pick_python() {
    if command -v python3.11 >/dev/null 2>&1 && python3.11 -c '' >/dev/null 2>&1; then
        echo python3.11
    elif command -v python3 >/dev/null 2>&1 &&
        python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        echo python3
    else
        echo "error: Python 3.11 not found (need python3.11, or python3 being 3.11)" >&2
        return 1
    fi
}

venv_ok() {
    [[ -x .venv/bin/python ]] &&
        .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

if ! venv_ok; then
    PYTHON=$(pick_python)
    echo "creating .venv with $PYTHON"
    rm -rf .venv
    "$PYTHON" -m venv .venv
fi

stamp=.venv/.sejuk-install-test
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo ".venv is up to date with pyproject.toml and constraints.txt"
else
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -c constraints.txt -e ".[test]"
    echo "$want" >"$stamp"
fi
end_phase "python venv"

# ---------------------------------------------------------------------------
# 3. Lint. Recorded, not fatal here: the tests still run so one CI run shows
#    every problem; the final exit status includes it.
# ---------------------------------------------------------------------------
log "lint (ruff)"
lint_status=passed
if ! .venv/bin/ruff check .; then lint_status="FAILED (ruff check)"; fi
if ! .venv/bin/ruff format --check .; then
    if [[ $lint_status == passed ]]; then
        lint_status="FAILED (ruff format)"
    else
        lint_status="FAILED (ruff check, ruff format)"
    fi
fi
end_phase "lint"

# ---------------------------------------------------------------------------
# Test runs. SEJUK_TESTING=1 selects the test settings. Each run gets its own
# fresh SEJUK_STATE_DIR so no run touches the developer's var/ (secret key,
# SQLite files) or sees the other run's leftovers. SEJUK_DATA_DIR is left as
# it is: unset, the app and the tests use ../shared/data beside the repo.
# ---------------------------------------------------------------------------
export SEJUK_TESTING=1
# Belt and braces: nothing may try to download a Playwright browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# One scratch dir holds each run's state dir; the EXIT trap removes it.
SCRATCH=$(mktemp -d -t sejuk-test.XXXXXX)
TMP_DIRS+=("$SCRATCH")

# run_pytest NAME [VAR=value ...] -- [pytest args]; sets RESULT to the summary word.
RESULT=""
run_pytest() {
    local name=$1 rc=0
    shift
    local envs=()
    while [[ $1 != -- ]]; do
        envs+=("$1")
        shift
    done
    shift
    env "${envs[@]}" .venv/bin/python -m pytest -p no:cacheprovider "$@" || rc=$?
    case $rc in
        0) RESULT=passed ;;
        5) RESULT="FAILED (exit 5: no tests collected)" ;;
        *) RESULT="FAILED (exit $rc)" ;;
    esac
    echo "--> $name: $RESULT"
}

# ---------------------------------------------------------------------------
# 4. SQLite (the default backend when DATABASE_URL is unset).
# ---------------------------------------------------------------------------
log "pytest on SQLite"
sqlite_state=$SCRATCH/state-sqlite
mkdir "$sqlite_state"
run_pytest sqlite -u DATABASE_URL "SEJUK_STATE_DIR=$sqlite_state" -- "$@"
sqlite_status=$RESULT
end_phase "pytest sqlite"

# ---------------------------------------------------------------------------
# 5. Throw-away PostgreSQL: a fresh cluster in a temp dir, trust auth for the
#    superuser `sejuk`, loopback only, its socket inside the data dir (so it
#    never clashes with a system cluster), durability off because the data is
#    thrown away. The port is the first free one from 54329 up.
# ---------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_postgres() { (cd / && runuser -u postgres -- "$@"); }

start_postgres() {
    PGPORT=54329
    while port_in_use "$PGPORT"; do
        PGPORT=$((PGPORT + 1))
        if ((PGPORT > 54429)); then
            echo "error: no free port in 54329-54429" >&2
            return 1
        fi
    done

    PGDATA=$(mktemp -d -t sejuk-pgdata.XXXXXX)
    TMP_DIRS+=("$PGDATA")
    chown postgres: "$PGDATA"
    chmod 700 "$PGDATA"

    # C.UTF-8: UTF-8 text with byte-order collation, the same on every
    # machine. Plain C is the fallback where that locale is missing.
    local out
    if ! out=$(as_postgres "$PGBIN/initdb" -D "$PGDATA" -A trust -U sejuk --encoding=UTF8 \
        --locale=C.UTF-8 2>&1); then
        echo "initdb with locale C.UTF-8 failed; retrying with locale C"
        find "$PGDATA" -mindepth 1 -delete
        if ! out=$(as_postgres "$PGBIN/initdb" -D "$PGDATA" -A trust -U sejuk --encoding=UTF8 \
            --locale=C 2>&1); then
            echo "$out" >&2
            return 1
        fi
    fi

    if ! as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" \
        -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        -w -t 60 start -l "$PGDATA/log"; then
        echo "error: PostgreSQL did not start; last lines of its log:" >&2
        tail -n 30 "$PGDATA/log" >&2 || true
        return 1
    fi
    if ! "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U sejuk sejuk; then
        tail -n 30 "$PGDATA/log" >&2 || true
        return 1
    fi
    echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT"
}

log "start PostgreSQL"
if start_postgres; then
    pg_started=yes
else
    pg_started=no
fi
end_phase "postgresql start"

# ---------------------------------------------------------------------------
# 6. PostgreSQL run, last, so the final pytest summary line is this one.
# ---------------------------------------------------------------------------
if [[ $pg_started == yes ]]; then
    log "pytest on PostgreSQL"
    pg_state=$SCRATCH/state-pg
    mkdir "$pg_state"
    run_pytest postgresql "DATABASE_URL=postgres://sejuk@127.0.0.1:$PGPORT/sejuk" \
        "SEJUK_STATE_DIR=$pg_state" -- "$@"
    pg_status=$RESULT
    end_phase "pytest postgresql"
else
    pg_status="FAILED (server did not start)"
fi

# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
echo
echo "==================== scripts/test.sh summary ===================="
echo "lint: $lint_status"
echo "sqlite: $sqlite_status"
echo "postgresql: $pg_status"
echo "timings: $(printf '%s, ' "${TIMINGS[@]}")total: $((SECONDS - TOTAL_START))s"

if [[ $lint_status == passed && $sqlite_status == passed && $pg_status == passed ]]; then
    echo "result: all passed"
    exit 0
fi
echo "result: FAILED"
exit 1

# shellcheck shell=bash
# Shared by bin/demo, bin/test and .ci/run (sourced, not run).
#
# pace_venv: make sure ./.venv exists and holds requirements.txt and
# requirements-dev.txt, the locked runtime and development trees (bin/lock makes
# them). pip checks every file against its hash in the lock. The install is
# skipped while a stamp file named after the SHA-256 of both files is present, so
# it runs again only when the lock changes. Needs only python3 (or $PYTHON).
# Afterwards the venv's bin/ is first on PATH, so `python` is the venv's.

PACE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_pace_sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        cat "$@" | sha256sum | cut -d' ' -f1
    else
        cat "$@" | shasum -a 256 | cut -d' ' -f1
    fi
}

pace_venv() {
    local python="${PYTHON:-python3}"
    local venv="$PACE_ROOT/.venv"

    if ! command -v "$python" >/dev/null 2>&1; then
        echo "error: $python not found; install Python 3.11 first." >&2
        return 1
    fi
    # A missing or broken venv (e.g. its Python was removed) is made afresh.
    if ! "$venv/bin/python" -c "" >/dev/null 2>&1; then
        echo "Creating $venv ..."
        "$python" -m venv --clear "$venv" || return 1
    fi

    local digest stamp
    digest="$(_pace_sha256 "$PACE_ROOT/requirements.txt" "$PACE_ROOT/requirements-dev.txt")" || return 1
    stamp="$venv/.installed-$digest"
    if [[ ! -e "$stamp" ]]; then
        echo "Installing requirements.txt and requirements-dev.txt into .venv (quietly) ..."
        # One pip run for both files, so the two locks are resolved together.
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
            -r "$PACE_ROOT/requirements.txt" -r "$PACE_ROOT/requirements-dev.txt" || return 1
        rm -f "$venv"/.installed-*
        : >"$stamp"
    fi

    export VIRTUAL_ENV="$venv"
    export PATH="$venv/bin:$PATH"
}

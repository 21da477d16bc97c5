#!/usr/bin/env bash
# Install and start what the executors and their tests need, on a fresh Debian (bookworm) machine.
# Idempotent: what is already there is kept; a second run takes a second or two.
#
#   scripts/install-system-deps.sh                 # local executor + Docker engine + python image
#   SKIP_DOCKER=1 scripts/install-system-deps.sh   # local executor only
#
# local  : bubblewrap (bwrap), setpriv (util-linux), CA certificates; uv comes from PyPI with the
#          project's dev extra (installed here too when .venv already exists).
# docker : docker.io, started as root in the background (dockerd; log in $DOCKERD_LOG), and the
#          local python:3.11-slim image (scripts/build-python-image.sh: debootstrap + docker import,
#          since no registry is reachable). The executor uses the Docker SDK directly, so
#          testcontainers' Ryuk plays no part (set TESTCONTAINERS_RYUK_DISABLED=true in the CI
#          environment for anything else that uses testcontainers: no registry serves its image).
set -euo pipefail
cd "$(dirname "$0")/.."

SKIP_DOCKER="${SKIP_DOCKER:-0}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/argo-parity-dockerd.log}"

log() { printf 'install-system-deps: %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages ------------------------------------------------------------------------
# chromium: the HTML report's browser test (tests/test_report_browser.py) opens it headless.
# libseccomp2: the syscall filter that keeps builders off the network (harness.builders.network_guard).
packages=(bubblewrap util-linux ca-certificates chromium libseccomp2)
[[ "$SKIP_DOCKER" == 1 ]] || packages+=(docker.io debootstrap)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- uv (PyPI) --------------------------------------------------------------------------------
if [[ -x .venv/bin/python ]] && ! .venv/bin/python -c "import uv" 2>/dev/null; then
    log "pip install uv into .venv"
    .venv/bin/python -m pip install --quiet "uv>=0.4"
fi

# --- the sandbox works here? -------------------------------------------------------------------
if ! complaint=$(bwrap --unshare-all --unshare-user --disable-userns --die-with-parent --cap-drop ALL \
        --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
        --proc /proc --dev /dev -- /bin/true 2>&1); then
    log "WARNING: bubblewrap cannot create its sandbox here: ${complaint##*$'\n'}"
    log "         (user namespaces disabled? see docs/execution.md); the local executor will say unavailable"
fi

[[ "$SKIP_DOCKER" == 1 ]] && exit 0

# --- Docker engine -----------------------------------------------------------------------------
start_dockerd() {
    # A pid file left by a dockerd that died keeps a new one from starting.
    if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        as_root rm -f /var/run/docker.pid
    fi
    log "starting dockerd $* (log: $DOCKERD_LOG)"
    as_root sh -c "nohup setsid dockerd $* >>'$DOCKERD_LOG' 2>&1 </dev/null &"
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

if docker info >/dev/null 2>&1; then
    log "Docker engine already running"
elif ! start_dockerd; then
    # Machines without overlayfs or iptables: the slow but portable storage driver, no bridge.
    log "dockerd did not come up; retrying with --storage-driver=vfs --iptables=false --bridge=none"
    # Stop the dockerd started above (by the pid it wrote), if it is still there.
    if [[ -f /var/run/docker.pid ]]; then
        pid=$(cat /var/run/docker.pid)
        as_root kill "$pid" 2>/dev/null || true
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    start_dockerd --storage-driver=vfs --iptables=false --bridge=none || {
        log "dockerd could not start; last lines of $DOCKERD_LOG:"; tail -n 20 "$DOCKERD_LOG" >&2; exit 1; }
fi

# --- the local python image --------------------------------------------------------------------
as_root scripts/build-python-image.sh

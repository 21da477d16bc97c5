#!/usr/bin/env bash
# Build the local Docker image the docker executor runs `python:3.11-slim` templates in.
#
# No container registry is reachable from CI, so the image cannot be pulled: it is made from a
# debootstrap'd Debian bookworm (minbase) with python3 and pip, and loaded with `docker import`.
# It is shaped like the official image where scripts can tell: `python`, `python3`, `pip` and
# `pip3` on PATH, `pip install` allowed as root (no PEP 668 "externally managed" refusal),
# LANG=C.UTF-8, default command `python3`. Python is Debian's 3.11.
#
# Idempotent: an image already tagged with this recipe's hash is kept (FORCE=1 rebuilds).
#
#   scripts/build-python-image.sh                 # tag python:3.11-slim
#   TAG=python:3.11-slim MIRROR=http://deb.debian.org/debian scripts/build-python-image.sh
set -euo pipefail

TAG="${TAG:-python:3.11-slim}"
SUITE="${SUITE:-bookworm}"
FORCE="${FORCE:-0}"
PACKAGES="python3,python3-pip,python3-venv,python-is-python3,ca-certificates,bash"

log() { printf 'build-python-image: %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
    log "must run as root (debootstrap needs it)"; exit 2
fi
for tool in debootstrap docker; do
    command -v "$tool" >/dev/null || { log "$tool not found (run scripts/install-system-deps.sh)"; exit 2; }
done
docker info >/dev/null 2>&1 || { log "no Docker engine reachable (start dockerd first)"; exit 2; }

# The mirror apt already uses here (deb822 or one-line sources), else Debian's default.
if [[ -z "${MIRROR:-}" ]]; then
    MIRROR=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
                grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'; } \
              | grep -v -e security -e nodesource -e google | head -n1 || true)
    MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi

# The image trusts what the host trusts: where PyPI is reached through a TLS-intercepting proxy,
# its CA is in the host's bundle and `pip install` in a container needs it too.
HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
ca_hash=none
[[ -s "$HOST_CA_BUNDLE" ]] && ca_hash=$(sha256sum "$HOST_CA_BUNDLE" | cut -d' ' -f1)
RECIPE=$(printf '%s\n' "$SUITE" "$PACKAGES" "$(sha256sum "$0" | cut -d' ' -f1)" "$ca_hash" | sha256sum | cut -c1-16)
if [[ "$FORCE" != 1 ]] && \
   [[ $(docker image inspect -f '{{ index .Config.Labels "argo-parity.recipe" }}' "$TAG" 2>/dev/null || true) == "$RECIPE" ]]; then
    log "$TAG is up to date (recipe $RECIPE)"; exit 0
fi

ROOTFS=$(mktemp -d /var/tmp/argo-parity-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS" "$ROOTFS.log"' EXIT
started=$(date +%s)
log "debootstrap $SUITE from $MIRROR into $ROOTFS"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
    || { tail -n 40 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"

# The official image lets root `pip install` into the system Python; Debian's marker forbids it.
rm -f "$ROOTFS"/usr/lib/python3*/EXTERNALLY-MANAGED
# Smaller image, faster import: apt lists and caches, docs, man pages.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*
if [[ -s "$HOST_CA_BUNDLE" ]]; then
    cp "$HOST_CA_BUNDLE" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
fi
# debootstrap leaves the host's resolver config; Docker provides its own at run time.
: >"$ROOTFS/etc/resolv.conf"

log "importing as $TAG"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --change "LABEL argo-parity.recipe=$RECIPE" \
    --message "argo-parity local stand-in for $TAG (debootstrap $SUITE minbase + python3)" \
    - "$TAG" >/dev/null
# The image this one replaced, now untagged.
docker image prune -f --filter "label=argo-parity.recipe" >/dev/null || true
log "built $TAG in $(( $(date +%s) - started ))s: $(docker run --rm "$TAG" python --version 2>&1)"

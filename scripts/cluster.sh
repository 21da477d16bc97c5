#!/usr/bin/env bash
# Create or delete the local Kubernetes cluster with Argo Workflows that `--execute cluster` runs on.
#
#   scripts/cluster.sh up     # kind or k3d (whichever is installed) + a pinned Argo Workflows release
#   scripts/cluster.sh down   # delete the cluster
#
# The work is done by harness/argo/provision.py (standard library only, so no virtualenv is
# needed). When kind/k3d, a container engine, kubectl or registry access is missing it exits 2
# with one line saying what (also when the Python found is older than 3.11); it never installs
# them. At the end it prints the kubeconfig context `--execute cluster` runs in. Settings:
# PARITY_CLUSTER_TOOL (kind|k3d), PARITY_CLUSTER_NAME (argo-parity), PARITY_ARGO_VERSION,
# PARITY_ARGO_MANIFEST (a mirror's install.yaml), PARITY_REGISTRY_PROBES (URLs to check; empty:
# skip the check), PARITY_PYTHON (the Python to run it with).
set -euo pipefail

# Builtins only up to the exec: the script must be able to say what is missing on a bare PATH.
script="${BASH_SOURCE[0]}"
case "$script" in
  */*) scripts_dir="${script%/*}" ;;
  *) scripts_dir="." ;;
esac
root="$(cd "$scripts_dir/.." && pwd)"

if [[ -n "${PARITY_PYTHON:-}" ]]; then
  python="$PARITY_PYTHON"
elif [[ -x "$root/.venv/bin/python" ]]; then
  python="$root/.venv/bin/python"
elif python="$(command -v python3)"; then
  :
else
  echo "cluster.sh: python3 is not installed (it runs harness/argo/provision.py)" >&2
  exit 2
fi

# harness/argo needs Python 3.11 (datetime.UTC, enum.StrEnum): say so in one line, not a traceback.
# The probe itself runs on any Python, 2 included.
if ! version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
    || [[ ! "$version" =~ ^([0-9]+)\.([0-9]+)$ ]]; then
  echo "cluster.sh: $python cannot be run as Python (set PARITY_PYTHON to a Python 3.11 or newer)" >&2
  exit 2
fi
if (( BASH_REMATCH[1] < 3 || (BASH_REMATCH[1] == 3 && BASH_REMATCH[2] < 11) )); then
  echo "cluster.sh: $python is Python $version; harness/argo/provision.py needs 3.11 or newer (set PARITY_PYTHON)" >&2
  exit 2
fi

export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m harness.argo.provision "$@"

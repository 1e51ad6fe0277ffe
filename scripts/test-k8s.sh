#!/usr/bin/env bash
# The proof that the Kubernetes manifests and the image run as written
# (deploy/kube-local, deploy/README.md): installs Docker's engine and
# debootstrap from Debian when missing, starts dockerd (host networking only:
# no bridge, no iptables), builds the base image from Debian packages (kept
# between runs) and the Parley image, validates every overlay, then runs the
# postgres and single-host overlays with kube-local and drives them
# (deploy/kube-local/test).
# KUBE_LOCAL_LOG_DIR=<dir> keeps the containers' output.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
elapsed() { echo "$(($(date +%s) - start)) s"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "test-k8s: needs root (dockerd, debootstrap)" >&2
  exit 1
fi
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v kubectl >/dev/null || missing+=(kubectl)
if [[ ${#missing[@]} -gt 0 ]]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# An engine of our own when none answers; its pid is kept so only it is stopped.
if ! docker info >/dev/null 2>&1; then
  echo "test-k8s: starting dockerd"
  dockerd --bridge=none --iptables=false --ip6tables=false >/var/log/dockerd.log 2>&1 &
  dockerd_pid=$!
  # Stop the engine started here (by its pid) when done; the images stay
  # in /var/lib/docker for the next run.
  trap 'kill "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null
fi

bash deploy/docker/build-base.sh
echo "test-k8s: base image ready ($(elapsed))"
# The legacy builder: the engine of Debian's docker.io has no buildx plugin.
DOCKER_BUILDKIT=0 docker build --force-rm --network host --build-arg BASE=parley-base:trixie \
  -f deploy/docker/Dockerfile -t parley:latest .
echo "test-k8s: image parley:latest built ($(elapsed))"

if ! command -v pnpm >/dev/null 2>&1; then
  npm install -g pnpm@10
fi
pnpm install --frozen-lockfile
pnpm tsc -b
for dir in k8s/overlays/*/; do
  node deploy/kube-local/dist/src/main.js validate "$dir"
done
echo "test-k8s: proofs ($(elapsed))"
# plan.test.ts (unit), proof.test.ts (the postgres overlay, or
# KUBE_LOCAL_OVERLAY), single-host.test.ts; one file at a time.
pnpm vitest run --config deploy/kube-local/vitest.config.ts
echo "test-k8s: done ($(elapsed))"

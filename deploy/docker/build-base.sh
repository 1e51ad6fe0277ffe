#!/usr/bin/env bash
# Builds the base image `parley-base:trixie` from Debian packages only, for
# machines that can reach a Debian mirror and the npm registry but no
# container registry: debootstrap of Debian 13 (its nodejs is 20, with npm)
# into a directory, imported with `docker import`. Skips when the image
# exists (pass --force to rebuild).
#
#   deploy/docker/build-base.sh [--force]
#   docker build --network host --build-arg BASE=parley-base:trixie \
#     -f deploy/docker/Dockerfile -t parley:latest .
#
# Environment: PARLEY_BASE_IMAGE (default parley-base:trixie), PARLEY_BASE_EXTRA_CAS
# (local CAs to trust, default /usr/local/share/ca-certificates), DEBIAN_MIRROR
# (default: the first deb.debian.org-style URI of this machine's apt
# sources, else http://deb.debian.org/debian), DEBIAN_SUITE (default trixie).
# Needs root, debootstrap and a running Docker engine.
set -euo pipefail

image="${PARLEY_BASE_IMAGE:-parley-base:trixie}"
suite="${DEBIAN_SUITE:-trixie}"
force=0
[[ "${1:-}" == "--force" ]] && force=1

if [[ $force -eq 0 ]] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "build-base: $image exists (use --force to rebuild)"
  exit 0
fi

mirror="${DEBIAN_MIRROR:-}"
if [[ -z "$mirror" ]]; then
  # The mirror this machine's apt uses (deb822 or one-line sources), minus
  # the security archive.
  mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' \
    | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true)"
fi
if [[ -z "$mirror" ]]; then
  mirror="$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null \
    | awk '{ print $2 }' | grep -v -- '-security' | head -n 1 || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

command -v debootstrap >/dev/null || {
  echo "build-base: debootstrap is missing (apt-get install -y debootstrap)" >&2
  exit 1
}

root="$(mktemp -d "${TMPDIR:-/tmp}/parley-base.XXXXXX")"
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
echo "build-base: debootstrap $suite from $mirror into $root"
if ! debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror"; then
  tail -n 40 "$root/debootstrap/debootstrap.log" >&2 || true
  exit 1
fi
# nodejs + npm run the build stage (pnpm is installed with npm); apt resolves
# npm's many node-* dependencies better than debootstrap --include does. The
# native modules (lmdb, msgpackr-extract) come with prebuilt linux-x64
# binaries in their npm packages, so no compiler is needed.
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -q
chroot "$root" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends nodejs npm
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"
: >"$root/etc/resolv.conf"

# A machine whose HTTPS goes through an intercepting proxy trusts the
# proxy's CA in /usr/local/share/ca-certificates; the image build fetches
# pnpm and the npm packages through it, so the base trusts the same local
# CAs (PARLEY_BASE_EXTRA_CAS: another directory of *.crt, or '' for none).
extra_cas="${PARLEY_BASE_EXTRA_CAS-/usr/local/share/ca-certificates}"
if [[ -n "$extra_cas" ]] && compgen -G "$extra_cas/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp "$extra_cas"/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates
fi

# The Dockerfile ends with `USER node` (uid 1000), as in the official image.
if ! chroot "$root" getent passwd node >/dev/null; then
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
fi
# Smaller image: package caches and docs are not needed at run time.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
  "$root"/var/cache/debconf/*-old "$root"/var/log/*.log

tar --numeric-owner -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  - "$image"
echo "build-base: built $image ($(chroot "$root" node --version))"

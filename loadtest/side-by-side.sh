#!/usr/bin/env bash
# Parley side by side with Debian's ejabberd and Prosody: the same users and
# scenarios against ejabberd, Prosody, Parley's single node and Parley's
# local cluster, one after the other; one markdown table with the ratios to
# ejabberd on stdout, the table and every figure (JSON) in --out (default
# /tmp/parley-side-by-side/<time>/). See loadtest/README.md, "Side by side".
#
#   bash loadtest/side-by-side.sh            # about 40 minutes
#   bash loadtest/side-by-side.sh --quick    # about 10 minutes
#   bash loadtest/side-by-side.sh --help     # every option
#
# Needs root (ejabberd in its own mount namespace, Prosody as root; both
# started by the run on free loopback ports and stopped by PID at the end).
# Installs what is missing first: ejabberd, prosody, lua-unbound, dnsmasq
# (the peers' resolver), nats-server and redis-server (the cluster), as
# scripts/install-test-deps.sh does; the packaged services are not started.
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then
    exec node loadtest/dist/src/side-by-side/main.js --help
  fi
done

missing=()
command -v ejabberdctl >/dev/null 2>&1 || [ -x /usr/sbin/ejabberdctl ] || missing+=(ejabberd)
command -v prosody >/dev/null 2>&1 || missing+=(prosody)
ls /usr/lib/*/liblua5.*-unbound.so.* >/dev/null 2>&1 || missing+=(lua-unbound)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "side-by-side: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # The packaged servers would hold 5222/5269/5280: the run starts its own instances.
  # shellcheck source=../scripts/lib/disable-packaged-services.sh
  source scripts/lib/disable-packaged-services.sh
  disable_packaged_services "${missing[*]}" prosody ejabberd redis-server
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "side-by-side: pnpm is required (see scripts/quickstart.sh)" >&2
  exit 1
fi
pnpm exec tsc -b services/server loadtest >&2 ||
  echo "side-by-side: warning: the build failed; running the existing dist/ files" >&2

# Every idle session is a file descriptor in the generator and in the server.
hard="$(ulimit -Hn)"
want=20000
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
ulimit -n "$want"

# The driver pins itself to the generator CPU (default 1) and each target to
# its own (default 0; the cluster 0,1). On Ctrl-C (or --max-minutes) it stops
# every server it started, by PID, and prints the partial table.
exec node loadtest/dist/src/side-by-side/main.js "$@"

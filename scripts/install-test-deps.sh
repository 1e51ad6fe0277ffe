#!/usr/bin/env bash
# Installs the external programs the integration and interop tests drive:
# nats-server, redis-server, PostgreSQL (initdb/postgres for the store tests),
# the slixmpp client library, chromium (headless, for the Converse.js test),
# and the federation peers of @parley/testkit (prosody with lua-unbound,
# ejabberd, dnsmasq) and coturn (XEP-0215 test) as Debian packages. The
# prosody, ejabberd and coturn services the packages may start are stopped
# and disabled again: the tests run their own instances on loopback and need
# ports 5222/5269/5280/3478 free.
# Does nothing when they are already there; needs root (or sudo) otherwise.
set -euo pipefail
missing=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
/usr/bin/python3 -c 'import slixmpp' >/dev/null 2>&1 || missing+=(python3-slixmpp)
/usr/bin/python3 -c 'import aiohttp' >/dev/null 2>&1 || missing+=(python3-aiohttp) # slixmpp's xep_0363 uploads with it
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v prosody >/dev/null 2>&1 || missing+=(prosody)
ls /usr/lib/*/liblua5.*-unbound.so.* >/dev/null 2>&1 || missing+=(lua-unbound)
command -v ejabberdctl >/dev/null 2>&1 || [ -x /usr/sbin/ejabberdctl ] || missing+=(ejabberd)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing test dependencies: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Packaged servers the tests do not want running (started unless policy-rc.d forbids it).
# shellcheck source=lib/disable-packaged-services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/disable-packaged-services.sh"
disable_packaged_services "${missing[*]}" prosody ejabberd coturn

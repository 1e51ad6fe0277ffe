# shellcheck shell=bash
# Sourced by scripts/install-test-deps.sh and loadtest/side-by-side.sh after
# they apt-get install what is missing. Debian starts the services of the
# XMPP servers (and redis-server, coturn) it installs, unless policy-rc.d
# forbids it; the tests and the side-by-side run start their own instances
# on loopback and need the ports (5222, 5269, 5280, 6379, 3478) free.
#
#   disable_packaged_services "<packages just installed>" <service>...
#
# Stops and disables each named service whose package was just installed
# (the first argument, space-separated, e.g. "${missing[*]}"): with systemd
# when it runs, else through /etc/init.d and update-rc.d. A service that was
# already installed is left as the operator set it up. Runs the commands
# with $SUDO when the caller set it (not root); every failure is ignored
# (a service that does not exist, no init system in a container).
disable_packaged_services() {
  local installed=" $1 " service
  shift
  for service in "$@"; do
    case "$installed" in *" $service "*) ;; *) continue ;; esac
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      ${SUDO:-} systemctl disable --now "$service" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$service" ]; then
      ${SUDO:-} "/etc/init.d/$service" stop >/dev/null 2>&1 || true
      if command -v update-rc.d >/dev/null 2>&1; then
        ${SUDO:-} update-rc.d "$service" disable >/dev/null 2>&1 || true
      fi
    fi
  done
}

"""Shared pieces of the single-server interop scenarios (slixmpp_scenario.py,
slixmpp_muc.py, slixmpp_pep.py, slixmpp_mam_scenario.py).

A scenario is an async function taking (port, result): it logs its clients in
over STARTTLS to the server's client port (the script's first argument),
fills `result` with what it observed and returns whether every step worked.
`run` prints `result` as the last stdout line, which slixmpp-runner.ts reads,
and exits 0 only if the scenario said so; an exception is printed as
{"error": ...} and exits 1. The cluster scenarios have their own client in
cluster_client.py.
"""
import asyncio
import json
import ssl
import sys

import slixmpp

DOMAIN = "localhost"
TIMEOUT = 15


class Client(slixmpp.ClientXMPP):
    """A client of the test server: trusts its certificate, registers `plugins`;
    on session start fetches the roster (unless `roster` is false), sends
    available presence and sets `online`."""

    every = []

    def __init__(self, jid, plugins=(), roster=True, password="secret"):
        super().__init__(jid, password)
        Client.every.append(self)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for plugin in plugins:
            self.register_plugin(plugin)
        self.fetch_roster = roster
        self.online = asyncio.Event()
        self.add_event_handler("session_start", self._on_start)

    async def _on_start(self, _event):
        if self.fetch_roster:
            await self.get_roster()
        self.send_presence()
        self.online.set()


async def log_in(port, *clients):
    """Connects every client over STARTTLS and waits until each is online."""
    for c in clients:
        c.connect(("127.0.0.1", port), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(*(c.online.wait() for c in clients)), TIMEOUT)


async def next_matching(queue, pred):
    """The next item of `queue` that matches `pred` (earlier ones are dropped)."""
    while True:
        item = await asyncio.wait_for(queue.get(), TIMEOUT)
        if pred(item):
            return item


def run(scenario, timeout=None):
    """Runs `scenario(port, result)`, disconnects its clients, prints `result` and exits."""

    async def main():
        result = {}
        ok = await asyncio.wait_for(scenario(int(sys.argv[1]), result), timeout)
        for c in Client.every:
            c.disconnect()
        print(json.dumps(result))
        return 0 if ok else 1

    try:
        code = asyncio.run(main())
    except Exception as exc:  # report and fail clearly
        print(json.dumps({"error": repr(exc)}))
        code = 1
    sys.exit(code)

"""An external component (XEP-0114) made with slixmpp's ComponentXMPP: it
connects to Parley's component listener with the handshake, answers every
chat or normal message with "echo: <body>", disco#info (identity component/
generic, name Echo) and software version (XEP-0092: Echo 1.0) queries.

Usage: component_echo.py <port> <domain> <secret>

Runs until its stdin closes (then it disconnects cleanly) or the server
closes the stream. Writes one JSON object per line on stdout:
  {"event": "ready"} once the handshake is accepted,
  {"event": "message", "from": ..., "to": ..., "body": ...} per echoed message,
and last the result: {"ready": bool, "refused": bool, "stream_error":
"<condition>"|null, "messages": <count>, "disconnected": bool}. "refused"
means the server closed the stream before the handshake was accepted (a
wrong secret, for instance); the exit code is 0 only after a session.
"""
import asyncio
import json
import os
import sys

from slixmpp import ComponentXMPP

TIMEOUT = 30


def emit(obj):
    print(json.dumps(obj), flush=True)


class Echo(ComponentXMPP):
    def __init__(self, domain, secret, port):
        super().__init__(domain, secret, "127.0.0.1", port)
        self.result = {
            "ready": False,
            "refused": False,
            "stream_error": None,
            "messages": 0,
            "disconnected": False,
        }
        self.done = asyncio.get_event_loop().create_future()
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0092", {"name": "Echo", "version": "1.0"})
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_disconnected)

    def on_start(self, _event):
        self["xep_0030"].add_identity(category="component", itype="generic", name="Echo")
        self.result["ready"] = True
        emit({"event": "ready"})

    def on_message(self, msg):
        if msg["type"] not in ("chat", "normal") or not msg["body"]:
            return
        self.result["messages"] += 1
        emit({"event": "message", "from": str(msg["from"]), "to": str(msg["to"]), "body": msg["body"]})
        msg.reply("echo: " + msg["body"]).send()

    def on_stream_error(self, error):
        self.result["stream_error"] = error["condition"]

    def on_disconnected(self, _event):
        self.result["disconnected"] = True
        if not self.result["ready"]:
            self.result["refused"] = True
        if not self.done.done():
            self.done.set_result(None)


async def main():
    port, domain, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    loop = asyncio.get_event_loop()
    xmpp = Echo(domain, secret, port)
    xmpp.connect()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    finished, _ = await asyncio.wait(
        [xmpp.done, stdin_closed], timeout=TIMEOUT * 4, return_when=asyncio.FIRST_COMPLETED
    )
    if xmpp.done not in finished and xmpp.result["ready"]:
        # stdin closed (or the time is up): leave with </stream:stream>.
        xmpp.disconnect()
        await asyncio.wait([xmpp.done], timeout=TIMEOUT)
    emit(xmpp.result)
    return 0 if xmpp.result["ready"] else 1


if __name__ == "__main__":
    code = asyncio.get_event_loop().run_until_complete(main())
    sys.stdout.flush()
    # The stdin reader thread may still block: do not wait for it.
    os._exit(code)

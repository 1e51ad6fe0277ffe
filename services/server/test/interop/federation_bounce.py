"""A user of another server (Prosody, ejabberd), driven by slixmpp over
STARTTLS, sends a chat message to a Parley user that its server cannot
deliver, and reports the error stanza that comes back to it.

Usage: federation_bounce.py '<json>' with
  {"ca": "<CA file the user's server certificate chains to>",
   "user": {"jid": "...", "password": "...", "port": <c2s port>},
   "to": "<addressee>",
   "body": "<text>" (optional),
   "timeout": <seconds to wait for the error>}

The last stdout line is {"ok": bool, "error": "..."?, "bounce": {"from": "...",
"type": "...", "condition": "...", "text": "...", "id": "..."}?}: ok means an
error message for the sent stanza (same id) came back within the timeout.
"""
import asyncio
import json
import sys

import slixmpp

TIMEOUT = 20


class User(slixmpp.ClientXMPP):
    def __init__(self, spec, ca):
        super().__init__(spec["jid"], spec["password"])
        self.port = spec["port"]
        self.ca_certs = ca
        self.errors = asyncio.Queue()
        self.online = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self._started)
        self.add_event_handler("failed_all_auth", self._failed("authentication failed"))
        self.add_event_handler("connection_failed", self._failed("connection failed"))
        self.add_event_handler("message_error", self.errors.put_nowait)

    async def _started(self, _event):
        self.send_presence()
        if not self.online.done():
            self.online.set_result(True)

    def _failed(self, reason):
        def handler(event):
            if not self.online.done():
                self.online.set_exception(RuntimeError(f"{self.boundjid.bare}: {reason}: {event}"))

        return handler


async def scenario(spec, result):
    t = spec.get("timeout", TIMEOUT)
    user = User(spec["user"], spec["ca"])
    user.connect(address=("127.0.0.1", user.port))
    await asyncio.wait_for(user.online, t)
    try:
        msg = user.make_message(
            mto=spec["to"], mbody=spec.get("body", "will this arrive?"), mtype="chat"
        )
        msg["id"] = "bounce-1"
        msg.send()
        while True:
            err = await asyncio.wait_for(user.errors.get(), t)
            if err["id"] == "bounce-1":
                break
        result["bounce"] = {
            "from": str(err["from"]),
            "type": err["type"],
            "id": err["id"],
            "condition": err["error"]["condition"],
            "text": err["error"]["text"],
        }
        result["ok"] = True
    finally:
        user.disconnect()
        await asyncio.sleep(0.1)


def main():
    spec = json.loads(sys.argv[1])
    result = {"ok": False}
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(scenario(spec, result))
    except asyncio.TimeoutError as err:
        result["error"] = f"timed out: {err}"
    except Exception as err:  # report anything as the result line
        result["error"] = f"{type(err).__name__}: {err}"
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()

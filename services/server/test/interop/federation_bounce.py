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

from federation_scenario import TIMEOUT, User, expect, run


class Sender(User):
    """A User that also keeps the error messages that come back to it."""

    def __init__(self, spec, ca):
        super().__init__(spec, ca)
        self.errors = asyncio.Queue()
        self.add_event_handler("message_error", self.errors.put_nowait)


async def scenario(spec, result):
    t = spec.get("timeout", TIMEOUT)
    user = await Sender(spec["user"], spec["ca"]).login(t)
    try:
        msg = user.make_message(
            mto=spec["to"], mbody=spec.get("body", "will this arrive?"), mtype="chat"
        )
        msg["id"] = "bounce-1"
        msg.send()
        err = await expect(user.errors, lambda e: e["id"] == "bounce-1", t)
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


if __name__ == "__main__":
    run(scenario)

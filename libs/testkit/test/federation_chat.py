"""A chat message across two federated servers, with slixmpp.

Usage: federation_chat.py '<json>' where the JSON object is
  {"ca": "<CA file of both servers' certificates>",
   "sender": {"jid": "...", "password": "...", "port": <c2s port on 127.0.0.1>},
   "receiver": {"jid": ..., "password": ..., "port": ...},
   "body": "...", "timeout": <seconds>}

Both users log in over STARTTLS (certificates checked against "ca"); the
sender writes to the receiver's bare JID, the receiver answers the full JID
it came from. The last stdout line is a JSON object: {"ok": true,
"received": {...}, "reply": {...}} or {"ok": false, "error": "..."}.
"""
import asyncio
import json
import sys

import slixmpp


class User(slixmpp.ClientXMPP):
    def __init__(self, spec, ca):
        super().__init__(spec["jid"], spec["password"])
        self.port = spec["port"]
        self.ca_certs = ca
        self.messages = asyncio.Queue()
        self.online = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self._started)
        self.add_event_handler("failed_auth", self._failed("authentication failed"))
        self.add_event_handler("connection_failed", self._failed("connection failed"))
        self.add_event_handler("message", self._message)

    async def _started(self, _event):
        self.send_presence()
        if not self.online.done():
            self.online.set_result(True)

    def _failed(self, reason):
        def handler(event):
            if not self.online.done():
                self.online.set_exception(RuntimeError(f"{self.boundjid.bare}: {reason}: {event}"))

        return handler

    def _message(self, msg):
        self.messages.put_nowait(msg)

    async def login(self, timeout):
        self.connect(address=("127.0.0.1", self.port))
        await asyncio.wait_for(self.online, timeout)
        return self

    async def expect(self, body, timeout):
        while True:
            msg = await asyncio.wait_for(self.messages.get(), timeout)
            if msg["body"] == body:
                return {"from": str(msg["from"]), "to": str(msg["to"]), "type": msg["type"], "body": body}


async def scenario(spec):
    timeout = spec.get("timeout", 20)
    sender = await User(spec["sender"], spec["ca"]).login(timeout)
    receiver = await User(spec["receiver"], spec["ca"]).login(timeout)
    try:
        body = spec["body"]
        sender.send_message(mto=receiver.boundjid.bare, mbody=body, mtype="chat")
        received = await receiver.expect(body, timeout)
        receiver.send_message(mto=received["from"], mbody=f"re: {body}", mtype="chat")
        reply = await sender.expect(f"re: {body}", timeout)
        return {"ok": True, "received": received, "reply": reply}
    finally:
        for user in (sender, receiver):
            user.disconnect()


def main():
    spec = json.loads(sys.argv[1])
    loop = asyncio.get_event_loop()
    try:
        result = loop.run_until_complete(scenario(spec))
    except asyncio.TimeoutError:
        result = {"ok": False, "error": "timed out"}
    except Exception as err:  # report anything as the result line
        result = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()

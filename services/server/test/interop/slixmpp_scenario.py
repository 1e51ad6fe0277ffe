"""Interop scenario driven by slixmpp, an independent XMPP client library.

Two clients log in over STARTTLS, fetch their rosters, subscribe to each
other, see each other's presence and exchange messages. Prints one JSON
object with what was observed and exits 0 only if every step worked.
"""
import asyncio
import json
import ssl
import sys

import slixmpp

PORT = int(sys.argv[1])
DOMAIN = "localhost"
TIMEOUT = 15


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.messages = asyncio.Queue()
        self.presences = asyncio.Queue()
        self.subscribe_requests = asyncio.Queue()
        self.online = asyncio.Event()
        self.session_ok = False
        self.auto_authorize = None  # we answer subscription requests ourselves
        self.auto_subscribe = False
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", lambda m: self.messages.put_nowait(m))
        self.add_event_handler("presence_available", lambda p: self.presences.put_nowait(p))
        self.add_event_handler("presence_subscribe", lambda p: self.subscribe_requests.put_nowait(p))
        self.auth_failures = 0
        self.add_event_handler("failed_auth", self.on_failed_auth)

    def on_failed_auth(self, _event):
        self.auth_failures += 1

    async def on_start(self, _event):
        self.session_ok = True
        await self.get_roster()
        self.send_presence()
        self.online.set()


async def next_matching(queue, pred):
    while True:
        item = await asyncio.wait_for(queue.get(), TIMEOUT)
        if pred(item):
            return item


async def main():
    result = {}
    a = Client(f"slix-a@{DOMAIN}/one", "secret")
    b = Client(f"slix-b@{DOMAIN}/two", "secret")
    for c in (a, b):
        c.connect(("127.0.0.1", PORT), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.online.wait(), b.online.wait()), TIMEOUT)
    result["login"] = a.session_ok and b.session_ok
    result["auth_failures"] = a.auth_failures + b.auth_failures
    result["bound"] = [str(a.boundjid), str(b.boundjid)]

    # a subscribes to b, b approves and subscribes back, a approves.
    a.send_presence(pto=f"slix-b@{DOMAIN}", ptype="subscribe")
    req = await next_matching(b.subscribe_requests, lambda p: p["from"].bare == f"slix-a@{DOMAIN}")
    b.send_presence(pto=req["from"].bare, ptype="subscribed")
    b.send_presence(pto=req["from"].bare, ptype="subscribe")
    req2 = await next_matching(a.subscribe_requests, lambda p: p["from"].bare == f"slix-b@{DOMAIN}")
    a.send_presence(pto=req2["from"].bare, ptype="subscribed")

    seen_b = await next_matching(a.presences, lambda p: p["from"].bare == f"slix-b@{DOMAIN}")
    seen_a = await next_matching(b.presences, lambda p: p["from"].bare == f"slix-a@{DOMAIN}")
    result["presence"] = [str(seen_b["from"]), str(seen_a["from"])]

    await a.get_roster()
    result["subscription"] = a.client_roster[f"slix-b@{DOMAIN}"]["subscription"]

    a.send_message(mto=f"slix-b@{DOMAIN}", mbody="hello from a", mtype="chat")
    msg = await next_matching(b.messages, lambda m: m["body"] == "hello from a")
    result["message_from"] = str(msg["from"])
    b.send_message(mto=str(msg["from"]), mbody="hello back", mtype="chat")
    back = await next_matching(a.messages, lambda m: m["body"] == "hello back")
    result["reply_from"] = str(back["from"])

    for c in (a, b):
        c.disconnect()
    print(json.dumps(result))
    ok = (
        result["login"]
        and result["subscription"] == "both"
        and result["message_from"] == f"slix-a@{DOMAIN}/one"
        and result["reply_from"] == f"slix-b@{DOMAIN}/two"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except Exception as exc:  # report and fail clearly
        print(json.dumps({"error": repr(exc)}))
        sys.exit(1)

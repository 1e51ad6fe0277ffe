"""Interop scenario driven by slixmpp, an independent XMPP client library.

Two clients log in over STARTTLS, fetch their rosters, subscribe to each
other, see each other's presence and exchange messages. Prints one JSON
object with what was observed and exits 0 only if every step worked.
"""
import asyncio

from scenario_client import DOMAIN, Client, log_in, next_matching, run


class ChatClient(Client):
    def __init__(self, jid):
        super().__init__(jid)
        self.messages = asyncio.Queue()
        self.presences = asyncio.Queue()
        self.subscribe_requests = asyncio.Queue()
        self.auto_authorize = None  # we answer subscription requests ourselves
        self.auto_subscribe = False
        self.add_event_handler("message", lambda m: self.messages.put_nowait(m))
        self.add_event_handler("presence_available", lambda p: self.presences.put_nowait(p))
        self.add_event_handler("presence_subscribe", lambda p: self.subscribe_requests.put_nowait(p))
        self.auth_failures = 0
        self.add_event_handler("failed_auth", self.on_failed_auth)

    def on_failed_auth(self, _event):
        self.auth_failures += 1


async def scenario(port, result):
    a = ChatClient(f"slix-a@{DOMAIN}/one")
    b = ChatClient(f"slix-b@{DOMAIN}/two")
    await log_in(port, a, b)
    result["login"] = a.online.is_set() and b.online.is_set()
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

    return (
        result["login"]
        and result["subscription"] == "both"
        and result["message_from"] == f"slix-a@{DOMAIN}/one"
        and result["reply_from"] == f"slix-b@{DOMAIN}/two"
    )


if __name__ == "__main__":
    run(scenario)

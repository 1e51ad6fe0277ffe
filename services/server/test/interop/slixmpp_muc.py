"""XEP-0045 interop scenario driven by slixmpp's xep_0045 plugin.

Client a creates a room (reserved: it fetches and submits the
configuration form), says something; client b joins and gets that as
history, then both exchange groupchat messages and a private message.
Prints one JSON object with what was observed and exits 0 only if every
step worked.
"""
import asyncio
import json
import ssl
import sys

import slixmpp

PORT = int(sys.argv[1])
DOMAIN = "localhost"
ROOM = sys.argv[2] if len(sys.argv) > 2 else f"slix@conference.{DOMAIN}"
TIMEOUT = 15


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0045")
        self.groupchat = asyncio.Queue()
        self.private = asyncio.Queue()
        self.online = asyncio.Event()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("groupchat_message", lambda m: self.groupchat.put_nowait(m))
        self.add_event_handler(
            "message", lambda m: m["type"] == "chat" and self.private.put_nowait(m)
        )

    async def on_start(self, _event):
        self.send_presence()
        self.online.set()


async def next_matching(queue, pred):
    while True:
        item = await asyncio.wait_for(queue.get(), TIMEOUT)
        if pred(item):
            return item


async def main():
    result = {}
    a = Client(f"slix-ma@{DOMAIN}/one", "secret")
    b = Client(f"slix-mb@{DOMAIN}/two", "secret")
    for c in (a, b):
        c.connect(("127.0.0.1", PORT), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.online.wait(), b.online.wait()), TIMEOUT)
    muc_a = a.plugin["xep_0045"]
    muc_b = b.plugin["xep_0045"]

    info = await a.plugin["xep_0030"].get_info(jid=f"conference.{DOMAIN}", timeout=TIMEOUT)
    result["service_is_muc"] = "http://jabber.org/protocol/muc" in info["disco_info"]["features"]

    pres, _subject, _occupants, _history = await muc_a.join_muc_wait(ROOM, "Alpha", timeout=TIMEOUT)
    codes = sorted(pres["muc"]["status_codes"])
    result["created_codes"] = codes
    if 201 in codes:
        form = await muc_a.get_room_config(ROOM, timeout=TIMEOUT)
        form.set_values({"muc#roomconfig_roomname": "Slix Room"})
        await muc_a.set_room_config(ROOM, form, timeout=TIMEOUT)
    result["affiliation"] = pres["muc"]["affiliation"]

    a.send_message(mto=ROOM, mbody="before b", mtype="groupchat")
    await next_matching(a.groupchat, lambda m: m["body"] == "before b")

    pres_b, subject_b, occupants_b, history_b = await muc_b.join_muc_wait(
        ROOM, "Beta", maxstanzas=10, timeout=TIMEOUT
    )
    result["b_role"] = pres_b["muc"]["role"]
    result["b_history"] = [m["body"] for m in history_b]
    result["b_occupants"] = sorted(str(p["from"].resource) for p in occupants_b)

    a.send_message(mto=ROOM, mbody="hello room", mtype="groupchat")
    got = await next_matching(b.groupchat, lambda m: m["body"] == "hello room")
    result["groupchat_from"] = str(got["from"])
    b.send_message(mto=ROOM, mbody="hello back", mtype="groupchat")
    back = await next_matching(a.groupchat, lambda m: m["body"] == "hello back")
    result["reply_from"] = str(back["from"])

    b.send_message(mto=f"{ROOM}/Alpha", mbody="private", mtype="chat")
    pm = await next_matching(a.private, lambda m: m["body"] == "private")
    result["pm_from"] = str(pm["from"])

    muc_b.leave_muc(ROOM, "Beta")
    muc_a.leave_muc(ROOM, "Alpha")
    await asyncio.sleep(0.2)
    for c in (a, b):
        c.disconnect()
    print(json.dumps(result))
    ok = (
        result["service_is_muc"]
        and 110 in result["created_codes"]
        and result["b_history"] == ["before b"]
        and result["groupchat_from"] == f"{ROOM}/Alpha"
        and result["reply_from"] == f"{ROOM}/Beta"
        and result["pm_from"] == f"{ROOM}/Beta"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except Exception as exc:  # report and fail clearly
        print(json.dumps({"error": repr(exc)}))
        sys.exit(1)

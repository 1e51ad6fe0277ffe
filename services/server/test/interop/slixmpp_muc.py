"""XEP-0045 interop scenario driven by slixmpp's xep_0045 plugin.

Client a creates a room (reserved: it fetches and submits the
configuration form), says something; client b joins and gets that as
history, then both exchange groupchat messages and a private message.
Prints one JSON object with what was observed and exits 0 only if every
step worked.
"""
import asyncio
import sys

from scenario_client import DOMAIN, TIMEOUT, Client, log_in, next_matching, run

ROOM = sys.argv[2] if len(sys.argv) > 2 else f"slix@conference.{DOMAIN}"


class MucClient(Client):
    def __init__(self, jid):
        super().__init__(jid, plugins=("xep_0030", "xep_0004", "xep_0045"), roster=False)
        self.groupchat = asyncio.Queue()
        self.private = asyncio.Queue()
        self.add_event_handler("groupchat_message", lambda m: self.groupchat.put_nowait(m))
        self.add_event_handler(
            "message", lambda m: m["type"] == "chat" and self.private.put_nowait(m)
        )


async def scenario(port, result):
    a = MucClient(f"slix-ma@{DOMAIN}/one")
    b = MucClient(f"slix-mb@{DOMAIN}/two")
    await log_in(port, a, b)
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
    return (
        result["service_is_muc"]
        and 110 in result["created_codes"]
        and result["b_history"] == ["before b"]
        and result["groupchat_from"] == f"{ROOM}/Alpha"
        and result["reply_from"] == f"{ROOM}/Beta"
        and result["pm_from"] == f"{ROOM}/Beta"
    )


if __name__ == "__main__":
    run(scenario)

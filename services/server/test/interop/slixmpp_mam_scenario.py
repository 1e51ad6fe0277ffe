"""XEP-0313 interop scenario driven by slixmpp's xep_0313/xep_0441 plugins.

Two clients log in; a sends b 25 messages, b records the stanza-id of each.
Then b reads its archive with slixmpp's RSM iterator (pages of 10), with
filters, the field form, the metadata and the preferences, and a tries to
read b's archive. Prints one JSON object with what was observed and exits 0
only if every step worked.
"""
import asyncio
import json
import ssl
import sys
from datetime import datetime, timedelta, timezone

import slixmpp
from slixmpp.exceptions import IqError

PORT = int(sys.argv[1])
DOMAIN = "localhost"
TIMEOUT = 15
COUNT = 25
SID = "{urn:xmpp:sid:0}stanza-id"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for plugin in ("xep_0030", "xep_0059", "xep_0297", "xep_0313", "xep_0359", "xep_0441"):
            self.register_plugin(plugin)
        self.messages = asyncio.Queue()
        self.online = asyncio.Event()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)

    def on_message(self, msg):
        if msg["body"]:
            self.messages.put_nowait(msg)

    async def on_start(self, _event):
        await self.get_roster()
        self.send_presence()
        self.online.set()


def stanza_id(msg, by):
    for el in msg.xml.findall(SID):
        if el.get("by") == by:
            return el.get("id")
    return None


async def collect(it):
    out = []
    async for msg in it:
        fwd = msg["mam_result"]["forwarded"]["stanza"]
        out.append({"id": msg["mam_result"]["id"], "body": fwd["body"], "from": str(fwd["from"])})
    return out


async def main():
    result = {}
    a = Client(f"slix-mam-a@{DOMAIN}/one", "secret")
    b = Client(f"slix-mam-b@{DOMAIN}/two", "secret")
    a_bare, b_bare = f"slix-mam-a@{DOMAIN}", f"slix-mam-b@{DOMAIN}"
    for c in (a, b):
        c.connect(("127.0.0.1", PORT), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.online.wait(), b.online.wait()), TIMEOUT)
    started = datetime.now(timezone.utc) - timedelta(seconds=1)

    delivered = []
    for i in range(COUNT):
        a.send_message(mto=b_bare, mbody=f"mam {i}", mtype="chat")
        msg = await asyncio.wait_for(b.messages.get(), TIMEOUT)
        delivered.append({"body": msg["body"], "stanza_id": stanza_id(msg, b_bare)})
    result["delivered"] = len(delivered)
    result["stanza_ids"] = all(d["stanza_id"] for d in delivered)

    # Forward paging through the whole archive with RSM (max 10 per page).
    archived = await collect(b["xep_0313"].iterate(jid=b_bare, rsm={"max": 10}))
    result["archived_bodies_in_order"] = [r["body"] for r in archived] == [
        f"mam {i}" for i in range(COUNT)
    ]
    result["ids_match_stanza_ids"] = [r["id"] for r in archived] == [
        d["stanza_id"] for d in delivered
    ]
    result["archived"] = len(archived)

    # Filters: with (bare JID of the sender), start in the future.
    with_a = await collect(b["xep_0313"].iterate(jid=b_bare, with_jid=slixmpp.JID(a_bare), rsm={"max": 50}))
    result["with_count"] = len(with_a)
    with_nobody = await collect(
        b["xep_0313"].iterate(jid=b_bare, with_jid=slixmpp.JID(f"nobody@{DOMAIN}"), rsm={"max": 50})
    )
    result["with_nobody"] = len(with_nobody)
    since = await collect(b["xep_0313"].iterate(jid=b_bare, start=started, rsm={"max": 50}))
    result["since_start"] = len(since)
    future = datetime.now(timezone.utc) + timedelta(days=1)
    result["future"] = len(await collect(b["xep_0313"].iterate(jid=b_bare, start=future, rsm={"max": 50})))

    # One page with retrieve(): <fin/> with RSM first/last/count.
    page = await b["xep_0313"].retrieve(jid=b_bare, rsm={"max": 5})
    fin = page["mam_fin"]
    result["page_size"] = len(page["mam"]["results"])
    result["fin_count"] = fin["rsm"]["count"]
    result["fin_first_is_first"] = fin["rsm"]["first"] == delivered[0]["stanza_id"]

    form = await b["xep_0313"].get_fields(jid=b_bare)
    fields = form["fields"]
    fields = fields.values() if hasattr(fields, "values") else fields
    result["fields"] = sorted(f["var"] for f in fields)

    md = await b["xep_0313"].get_archive_metadata(jid=b_bare)
    result["metadata_end"] = md["mam_metadata"]["end"]["id"] == delivered[-1]["stanza_id"]

    await b["xep_0441"].set_preferences(default="always", always=[], never=[slixmpp.JID(f"spam@{DOMAIN}")])
    default, _always, never = await b["xep_0441"].get_preferences()
    result["prefs"] = [default, sorted(str(j) for j in never)]

    try:
        await a["xep_0313"].retrieve(jid=b_bare, rsm={"max": 5})
        result["foreign_archive"] = "allowed"
    except IqError as err:
        result["foreign_archive"] = err.iq["error"]["condition"]

    for c in (a, b):
        c.disconnect()
    print(json.dumps(result))
    ok = (
        result["stanza_ids"]
        and result["archived_bodies_in_order"]
        and result["ids_match_stanza_ids"]
        and result["foreign_archive"] == "forbidden"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        code = asyncio.run(asyncio.wait_for(main(), 120))
    except Exception as exc:  # report, then fail
        print(json.dumps({"exception": repr(exc)}))
        code = 1
    sys.exit(code)

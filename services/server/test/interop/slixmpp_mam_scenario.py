"""XEP-0313 interop scenario driven by slixmpp's xep_0313/xep_0441 plugins.

Two clients log in; a sends b 25 messages, b records the stanza-id of each.
Then b reads its archive with slixmpp's RSM iterator (pages of 10), with
filters, the field form, the metadata and the preferences, and a tries to
read b's archive. Prints one JSON object with what was observed and exits 0
only if every step worked.
"""
import asyncio
from datetime import datetime, timedelta, timezone

import slixmpp
from slixmpp.exceptions import IqError

from scenario_client import DOMAIN, TIMEOUT, Client, log_in, run

COUNT = 25
SID = "{urn:xmpp:sid:0}stanza-id"


class MamClient(Client):
    def __init__(self, jid):
        super().__init__(
            jid, plugins=("xep_0030", "xep_0059", "xep_0297", "xep_0313", "xep_0359", "xep_0441")
        )
        self.messages = asyncio.Queue()
        self.add_event_handler("message", self.on_message)

    def on_message(self, msg):
        if msg["body"]:
            self.messages.put_nowait(msg)


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


async def scenario(port, result):
    a = MamClient(f"slix-mam-a@{DOMAIN}/one")
    b = MamClient(f"slix-mam-b@{DOMAIN}/two")
    a_bare, b_bare = f"slix-mam-a@{DOMAIN}", f"slix-mam-b@{DOMAIN}"
    await log_in(port, a, b)
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

    return (
        result["stanza_ids"]
        and result["archived_bodies_in_order"]
        and result["ids_match_stanza_ids"]
        and result["foreign_archive"] == "forbidden"
    )


if __name__ == "__main__":
    run(scenario, timeout=120)

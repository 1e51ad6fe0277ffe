"""PEP interop scenario driven by slixmpp (plugins xep_0060, xep_0163, xep_0084).

Two clients with a mutual presence subscription log in; slixmpp announces
entity capabilities including urn:xmpp:avatar:metadata+notify (xep_0084
registers that interest with xep_0163). The first client publishes an
avatar (data, then metadata) to its PEP service; the second must receive
the metadata event from the first's bare JID and fetch the data item.
Prints one JSON object and exits 0 only if every step worked.
"""
import asyncio
import hashlib

from scenario_client import DOMAIN, TIMEOUT, Client, log_in, run

IMAGE = bytes(range(256)) * 4


class PepClient(Client):
    def __init__(self, jid):
        super().__init__(jid, plugins=("xep_0030", "xep_0060", "xep_0115", "xep_0163", "xep_0084"))
        self.events = asyncio.Queue()
        self.add_event_handler("avatar_metadata_publish", lambda m: self.events.put_nowait(m))


async def scenario(port, result):
    a = PepClient(f"slix-pa@{DOMAIN}/one")
    b = PepClient(f"slix-pb@{DOMAIN}/two")
    await log_in(port, a, b)
    result["login"] = True
    # Let the server learn b's caps (it asks b's disco#info once).
    await asyncio.sleep(1)

    avatar_id = hashlib.sha1(IMAGE).hexdigest()
    await a["xep_0084"].publish_avatar(IMAGE, timeout=TIMEOUT)
    await a["xep_0084"].publish_avatar_metadata(
        items=[{"id": avatar_id, "type": "image/png", "bytes": len(IMAGE)}], timeout=TIMEOUT
    )
    result["published"] = avatar_id

    msg = await asyncio.wait_for(b.events.get(), TIMEOUT)
    items = msg["pubsub_event"]["items"]
    result["event_from"] = str(msg["from"])
    result["event_node"] = items["node"]
    result["event_item"] = items["item"]["id"]

    iq = await b["xep_0084"].retrieve_avatar(a.boundjid.bare, avatar_id, timeout=TIMEOUT)
    value = iq["pubsub"]["items"]["item"]["avatar_data"]["value"]
    result["retrieved"] = value == IMAGE

    return (
        result["event_from"] == f"slix-pa@{DOMAIN}"
        and result["event_node"] == "urn:xmpp:avatar:metadata"
        and result["event_item"] == avatar_id
        and result["retrieved"]
    )


if __name__ == "__main__":
    run(scenario)

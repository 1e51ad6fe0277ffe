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
import json
import ssl
import sys

import slixmpp

PORT = int(sys.argv[1])
DOMAIN = "localhost"
TIMEOUT = 15
IMAGE = bytes(range(256)) * 4


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for plugin in ("xep_0030", "xep_0060", "xep_0115", "xep_0163", "xep_0084"):
            self.register_plugin(plugin)
        self.online = asyncio.Event()
        self.events = asyncio.Queue()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("avatar_metadata_publish", lambda m: self.events.put_nowait(m))

    async def on_start(self, _event):
        await self.get_roster()
        self.send_presence()
        self.online.set()


async def main():
    result = {}
    a = Client(f"slix-pa@{DOMAIN}/one", "secret")
    b = Client(f"slix-pb@{DOMAIN}/two", "secret")
    for c in (a, b):
        c.connect(("127.0.0.1", PORT), force_starttls=True)
    await asyncio.wait_for(asyncio.gather(a.online.wait(), b.online.wait()), TIMEOUT)
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

    for c in (a, b):
        c.disconnect()
    print(json.dumps(result))
    ok = (
        result["event_from"] == f"slix-pa@{DOMAIN}"
        and result["event_node"] == "urn:xmpp:avatar:metadata"
        and result["event_item"] == avatar_id
        and result["retrieved"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except Exception as exc:  # report and fail clearly
        print(json.dumps({"error": repr(exc)}))
        sys.exit(1)

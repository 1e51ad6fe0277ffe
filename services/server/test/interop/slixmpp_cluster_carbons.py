"""XEP-0280 Message Carbons through the balancer, with slixmpp's xep_0280.

Connections, in order (the balancer alternates gateways): dora/one,
dora/two, ed. Args: <balancer port>.
"""
from slixmpp.xmlstream import ET

from cluster_client import DOMAIN, Client, is_message, run

DORA, ED = f"c-dora@{DOMAIN}", f"c-ed@{DOMAIN}"
NS_CARBONS = "urn:xmpp:carbons:2"
NS_FORWARD = "urn:xmpp:forward:0"


def carbon(kind):
    """A <sent/> or <received/> carbon from the own account; matches on the inner body."""

    def inner(s):
        if not is_message()(s) or s["from"] != s["to"].bare:
            return None
        return s.xml.find(f"{{{NS_CARBONS}}}{kind}/{{{NS_FORWARD}}}forwarded/{{jabber:client}}message")

    return inner


def carbon_body(kind):
    def pred(s):
        m = carbon(kind)(s)
        return m is not None and m.findtext("{jabber:client}body")

    return pred


def is_carbon(kind, body):
    return lambda s: carbon_body(kind)(s) == body


def private():
    return [ET.Element(f"{{{NS_CARBONS}}}private"), ET.Element("{urn:xmpp:hints}no-copy")]


async def scenario(args, r):
    port = int(args[0])
    one = await Client("dora1", f"{DORA}/one", plugins=["xep_0280"]).login(port)
    two = await Client("dora2", f"{DORA}/two", plugins=["xep_0280"]).login(port)
    ed = await Client("ed", f"{ED}/e").login(port)
    for c in (one, two):
        await c["xep_0280"].enable()

    # Received: ed writes to dora/one; dora/two gets a copy.
    ed.chat(f"{DORA}/one", "for one")
    await one.next(is_message("for one"), "the message at dora/one")
    rc = await two.next(is_carbon("received", "for one"), "the received carbon at dora/two")
    inner = carbon("received")(rc)
    r["received"] = {"from": inner.get("from"), "to": inner.get("to"), "wrapper": str(rc["from"])}

    # Sent: dora/one writes to ed; dora/two gets a copy.
    one.chat(ED, "from one")
    await ed.next(is_message("from one"), "the message at ed")
    sc = await two.next(is_carbon("sent", "from one"), "the sent carbon at dora/two")
    inner = carbon("sent")(sc)
    r["sent"] = {"from": inner.get("from"), "to": inner.get("to")}

    one.mark()
    two.mark()
    # To the bare JID, both resources at the same priority: each gets the message
    # itself, and neither gets a carbon of it (XEP-0280 section 6).
    ed.chat(DORA, "to both")
    for c, name in ((one, "dora/one"), (two, "dora/two")):
        await c.next(is_message("to both"), f"the bare-JID message at {name}")

    # Private (<private/> with the no-copy hint) both ways, and the no-copy hint alone:
    # delivered, never copied. The marker's carbon says nothing else came before it.
    one.chat(ED, "private out", extra=private())
    await ed.next(is_message("private out"), "the private message at ed")
    ed.chat(f"{DORA}/one", "private in", extra=private())
    await one.next(is_message("private in"), "the private message at dora/one")
    ed.chat(f"{DORA}/one", "no-copy in", extra=[ET.Element("{urn:xmpp:hints}no-copy")])
    await one.next(is_message("no-copy in"), "the no-copy message at dora/one")
    ed.chat(f"{DORA}/one", "marker")
    await two.next(is_carbon("received", "marker"), "the marker's carbon")
    await one.ping_server()  # dora/one: nothing pending either
    r["copies_at_one"] = [
        carbon_body("sent")(s) or carbon_body("received")(s)
        for s in one.since(lambda s: bool(carbon_body("sent")(s) or carbon_body("received")(s)))
    ]
    r["copied_before_marker"] = [
        carbon_body("sent")(s) or carbon_body("received")(s)
        for s in two.since(lambda s: bool(carbon_body("sent")(s) or carbon_body("received")(s)))
    ]
    r["dora2_direct"] = [s["body"] for s in two.since(is_message()) if s["body"]]
    r["dora1_direct"] = [s["body"] for s in one.since(is_message()) if s["body"]]


if __name__ == "__main__":
    run(scenario)

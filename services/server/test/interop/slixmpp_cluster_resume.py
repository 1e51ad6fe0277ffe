"""XEP-0198 stream resumption through the balancer, with slixmpp's xep_0198.

Connections, in order (the balancer alternates gateways): ben, ann, ann
again (resumed: the other gateway), ann a third time (resumed: back on the
first), ann/tablet (bogus resumption id).
Args: <balancer port> <account prefix> (s: s-ann and s-ben, ...).
"""
from slixmpp.stanza import Presence

from cluster_client import DOMAIN, Client, is_message, run, subscribe_both

NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


async def scenario(args, r):
    global ANN, BEN
    port = int(args[0])
    ANN, BEN = f"{args[1]}-ann@{DOMAIN}", f"{args[1]}-ben@{DOMAIN}"
    ben = await Client("ben", f"{BEN}/desk").login(port)
    ann = Client("ann", f"{ANN}/phone", plugins=["xep_0198", "xep_0280"])
    await ann.login(port)
    enabled = await ann.wait_event("sm_enabled")
    sm = ann["xep_0198"]
    r["enabled"] = {"resume": enabled.xml.get("resume"), "id": bool(sm.sm_id)}
    # Session state that must survive the resumption: contacts and carbons.
    await subscribe_both(ann, ben)
    await ann["xep_0280"].enable()

    before = [f"before-{i}" for i in range(5)]
    for b in before:
        ben.chat(f"{ANN}/phone", b)
    await ann.next(is_message(before[-1]), "the last message before the drop")
    # A round trip: the server has handled everything she sent.
    await ann.ping_server()

    # The connection dies: a TCP reset, no stream close. ann's session waits for her.
    previd, h_at_drop, sent_at_drop = sm.sm_id, sm.handled, sm.seq
    ann.kill_tcp()
    await ann.wait_event("disconnected")

    detached = [f"detached-{i}" for i in range(5)]
    for b in detached:
        ben.chat(f"{ANN}/phone", b)
    # Same sender, same partition: once this is answered the messages were routed.
    await ben.disco_info(ANN)

    # Reconnect through the balancer (the other gateway) and resume: previd and h.
    ann.connect(("127.0.0.1", port), force_starttls=True)
    resumed = await ann.wait_event("session_resumed")
    r["resumed"] = {
        "previd_matches": resumed.xml.get("previd") == previd,
        # <resume h=...> told the server what ann had; <resumed h=...> what the server had.
        "client_h_counts_the_messages": h_at_drop >= len(before),
        "server_h_is_what_ann_sent": int(resumed.xml.get("h")) == sent_at_drop,
        "session_start_again": len(ann.events.get("session_start", [])) > 1,
    }

    after = [f"after-{i}" for i in range(5)]
    for b in after:
        ben.chat(f"{ANN}/phone", b)
    await ann.next(is_message(after[-1]), "the last message after resumption")
    # One more round trip through the server on the resumed stream, then nothing is pending.
    await ann.ping_server()
    r["received"] = [s["body"] for s in ann.since(is_message(frm=BEN))]

    # ann writes from the resumed stream: it is the same session, full JID and all.
    ann.chat(BEN, "back again")
    m = await ben.next(is_message("back again"), "ann's message from the resumed stream")
    r["from_resumed"] = str(m["from"])
    # Her contact never saw her go (her presence goes the way her message went).
    r["ben_saw_ann_go"] = [
        s.xml.get("type")
        for s in ben.since(lambda s: isinstance(s, Presence) and str(s["from"]) == f"{ANN}/phone")
        if s.xml.get("type") == "unavailable"
    ]

    # Second drop, right after ben got what ann wrote and before any ack round trip:
    # the server's h (from the gateway she resumes on, back on the first one) must
    # count those messages, or a client would send them again. (slixmpp itself would
    # not: it empties its unacknowledged queue when it sends <resume/>.)
    ben.mark()
    out = [f"out-{i}" for i in range(5)]
    for b in out:
        ann.chat(BEN, b)
    await ben.next(is_message(out[-1]), "ann's last message before the second drop")
    sent = sm.seq
    ann.kill_tcp()
    await ann.wait_event("disconnected", 2)
    ann.connect(("127.0.0.1", port), force_starttls=True)
    resumed = await ann.wait_event("session_resumed", 2)
    ann.chat(BEN, "marker")
    await ben.next(is_message("marker"), "ann's marker after the second resumption")
    r["second"] = {
        "server_h_counts_every_message": int(resumed.xml.get("h")) == sent,
        "ben_got": [s["body"] for s in ben.since(is_message(frm=ANN))],
    }

    # A bogus resumption id: <failed> with item-not-found, then a fresh bind works.
    tablet = Client("tablet", f"{ANN}/tablet", plugins=["xep_0198"])
    tablet["xep_0198"].sm_id = "bogus-resumption-id"
    await tablet.login(port)
    failed = await tablet.wait_event("sm_failed")
    await tablet.wait_event("sm_enabled")
    r["failed"] = {
        "condition": [c.tag.split("}", 1)[1] for c in failed.xml if c.tag.startswith(f"{{{NS_STANZAS}}}")],
        "bound": str(tablet.boundjid),
    }
    ben.chat(f"{ANN}/tablet", "to the tablet")
    await tablet.next(is_message("to the tablet"), "a message on the fresh session")
    r["tablet_ok"] = True
    # Carbons, enabled before the drop, still copy to the resumed session.
    c = await ann.next(
        lambda s: is_message()(s)
        and s.xml.find("{urn:xmpp:carbons:2}received") is not None
        and "to the tablet" in (s.xml.findtext(".//{jabber:client}body") or ""),
        "the carbon of the tablet's message at the resumed phone",
    )
    r["carbon_after_resume"] = str(c["from"])


if __name__ == "__main__":
    run(scenario)

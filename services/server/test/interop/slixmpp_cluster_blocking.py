"""XEP-0191 Blocking Command through the balancer, with slixmpp's xep_0191.

Connections, in order (the balancer alternates gateways): alice/one,
alice/two, bob. Args: <balancer port>.
"""
from slixmpp.stanza import Iq, Presence

from cluster_client import (
    DOMAIN,
    Client,
    error_condition,
    is_message,
    is_presence,
    run,
    subscribe_both,
)

ALICE, BOB = f"k-alice@{DOMAIN}", f"k-bob@{DOMAIN}"
NS_BLOCKING = "urn:xmpp:blocking"
NS_BLOCKING_ERRORS = "urn:xmpp:blocking:errors"


def is_push(kind):
    return lambda s: isinstance(s, Iq) and s["type"] == "set" and s.xml.find(f"{{{NS_BLOCKING}}}{kind}") is not None


def pushed(iq, kind):
    return [i.get("jid") for i in iq.xml.find(f"{{{NS_BLOCKING}}}{kind}")]


async def blocklist(c):
    return sorted(str(j) for j in (await c["xep_0191"].get_blocked())["blocklist"]["items"])


async def scenario(args, r):
    port = int(args[0])
    one = await Client("alice1", f"{ALICE}/one", plugins=["xep_0191"]).login(port)
    two = await Client("alice2", f"{ALICE}/two", plugins=["xep_0191"]).login(port)
    bob = await Client("bob", f"{BOB}/b").login(port)
    await subscribe_both(one, bob)
    await bob.next(is_presence(f"{ALICE}/two"), "alice/two's presence after the subscription")

    # Both resources ask for the blocklist, so both get the pushes.
    r["initial"] = [await blocklist(one), await blocklist(two)]

    # alice/one blocks bob: pushes to both resources, bob sees alice go unavailable.
    bob.mark()
    await one["xep_0191"].block(BOB)
    p1 = await one.next(is_push("block"), "the block push at alice/one")
    p2 = await two.next(is_push("block"), "the block push at alice/two (other gateway)")
    r["block_push"] = [pushed(p1, "block"), pushed(p2, "block")]
    for res in ("one", "two"):
        await bob.next(is_presence(f"{ALICE}/{res}", "unavailable"), f"alice/{res} unavailable at bob")
    r["blocklist"] = await blocklist(two)

    # bob writes to alice: he gets service-unavailable (as if she did not exist); she gets nothing.
    bob.chat(ALICE, "let me in", mid="in-1")
    err = await bob.next(is_message(mtype="error"), "the error for bob")
    r["inbound_error"] = {"id": err["id"], "condition": error_condition(err)}
    # Round trips through alice's own account: the markers after which nothing may have come.
    for c in (one, two):
        await c.roster_items()
    r["alice_got_from_bob"] = [s["body"] for c in (one, two) for s in c.since(is_message(frm=BOB))]

    # alice writes to bob: not-acceptable with <blocked/>.
    one.chat(BOB, "hello?", mid="out-1")
    err = await one.next(is_message(mtype="error"), "the blocked error for alice")
    r["outbound_error"] = {
        "id": err["id"],
        "condition": error_condition(err),
        "blocked": err.xml.find(f"{{jabber:client}}error/{{{NS_BLOCKING_ERRORS}}}blocked") is not None,
    }

    # alice changes her presence while bob is blocked: he must not see it. The unblock
    # sends him her current presence once; her message after it is the marker.
    one.send_presence(pshow="away", pstatus="while blocked")
    await one.next(is_presence(f"{ALICE}/one", status="while blocked"), "alice/one's own away")
    await one["xep_0191"].unblock(BOB)
    p1 = await one.next(is_push("unblock"), "the unblock push at alice/one")
    p2 = await two.next(is_push("unblock"), "the unblock push at alice/two (other gateway)")
    r["unblock_push"] = [pushed(p1, "unblock"), pushed(p2, "unblock")]
    one.chat(BOB, "unblocked")
    await bob.next(is_message("unblocked"), "alice's message after the unblock")
    r["bob_saw_from_alice1"] = [
        (s.xml.get("type") or "available", s["status"])
        for s in bob.since(lambda s: isinstance(s, Presence) and str(s["from"]) == f"{ALICE}/one")
    ]
    r["blocklist_after"] = await blocklist(one)

    bob.chat(ALICE, "welcome back")
    for c in (one, two):
        await c.next(is_message("welcome back"), "bob's message after the unblock")
    r["delivered_after_unblock"] = True


if __name__ == "__main__":
    run(scenario)

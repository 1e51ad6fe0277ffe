"""Presence (RFC 6121 sections 3 and 4) through the balancer, with slixmpp.

Connections, in order (the balancer alternates gateways): alice/one, bob/one,
carol, alice/two, bob/two. Args: <balancer port>.
"""
from cluster_client import DOMAIN, Client, is_message, is_presence, run, subscribe_both

ALICE, BOB, CAROL = (f"p-{n}@{DOMAIN}" for n in ("alice", "bob", "carol"))


def priority(p):
    return p["priority"]


async def scenario(args, r):
    port = int(args[0])
    alice1 = await Client("alice1", f"{ALICE}/one").login(port, priority=1)
    bob1 = await Client("bob1", f"{BOB}/one").login(port)

    # Subscription handshake both ways, each step with its roster push.
    r["handshake"] = await subscribe_both(alice1, bob1)

    # Directed presence from someone who is not a contact.
    carol = await Client("carol", f"{CAROL}/x").login(port)
    carol.send_presence(pto=BOB, pstatus="hi bob")
    p = await bob1.next(is_presence(CAROL), "carol's directed presence")
    r["directed"] = {"from": str(p["from"]), "status": p["status"]}

    # A second resource of alice with a higher priority; bob sees it come online.
    alice2 = await Client("alice2", f"{ALICE}/two").login(port, priority=5)
    p = await bob1.next(is_presence(f"{ALICE}/two"), "alice/two's initial presence")
    r["alice2_seen_with_priority"] = priority(p)

    # A chat message to the bare JID goes to the highest priority resource only;
    # a message to the other resource's full JID is the marker that nothing else came.
    bob1.chat(ALICE, "prio-1")
    m = await alice2.next(is_message("prio-1"), "prio-1 on the priority 5 resource")
    bob1.chat(f"{ALICE}/one", "marker-1")
    await alice1.next(is_message("marker-1"), "marker-1")
    r["prio1"] = {
        "to_two": str(m["to"]),
        "one_got_it": any(s["body"] == "prio-1" for s in alice1.since(is_message())),
    }

    # alice/two goes negative: bare-JID messages now go to alice/one (the other gateway).
    alice2.send_presence(ppriority=-1)
    await bob1.next(lambda s: is_presence(f"{ALICE}/two")(s) and priority(s) == -1, "priority -1")
    bob1.chat(ALICE, "prio-2")
    await alice1.next(is_message("prio-2"), "prio-2 on alice/one")
    bob1.chat(f"{ALICE}/two", "marker-2")
    await alice2.next(is_message("marker-2"), "marker-2")
    r["prio2_to_two"] = any(s["body"] == "prio-2" for s in alice2.since(is_message()))

    # Unavailable on logout: to the target of directed presence, and to subscribers
    # when the connection is lost.
    await carol.logout()
    p = await bob1.next(is_presence(f"{CAROL}/x", "unavailable"), "carol's unavailable")
    r["carol_unavailable"] = str(p["from"])
    # bob's connection just dies (a reset, no stream close, no stream management).
    bob1.kill_tcp()
    await bob1.wait_event("disconnected")
    for a, name in ((alice1, "alice1"), (alice2, "alice2")):
        await a.next(is_presence(f"{BOB}/one", "unavailable"), f"bob's unavailable at {name}")
    r["bob_unavailable_seen"] = True

    # Initial presence of bob's next login: broadcast to alice's resources, and the
    # probe answered with both of alice's resources (the negative one included).
    bob2 = await Client("bob2", f"{BOB}/two").login(port, roster=True)
    for a, name in ((alice1, "alice1"), (alice2, "alice2")):
        await a.next(is_presence(f"{BOB}/two"), f"bob/two's initial presence at {name}")
    probe1 = await bob2.next(is_presence(f"{ALICE}/one"), "the probe result for alice/one")
    probe2 = await bob2.next(is_presence(f"{ALICE}/two"), "the probe result for alice/two")
    r["probe"] = {"one": priority(probe1), "two": priority(probe2)}
    r["roster_after"] = (await bob2.roster_items()).get(ALICE)


if __name__ == "__main__":
    run(scenario)

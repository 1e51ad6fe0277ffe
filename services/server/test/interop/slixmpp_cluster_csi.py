"""XEP-0352 Client State Indication through the balancer, with slixmpp's
xep_0352 (and xep_0085 for chat states).

What the server promises (services/gateway/src/csi.ts): while a client is
inactive, presence and chat-state-only messages are held, keeping only the
latest presence per sender; anything else (a message with a body, IQs, ...)
first flushes what is held, in order, and is written at once; <active/>
flushes too. The gateways' parley_csi_held_stanzas gauge shows the held
stanzas, which is how this scenario knows they arrived and were held.

Connections, in order (the balancer alternates gateways): alice, bob.
Args: <balancer port> <gateway http port>...
"""
from slixmpp.stanza import Message, Presence

from cluster_client import DOMAIN, Client, is_message, is_presence, run, subscribe_both, wait_metric

ALICE, BOB = f"x-alice@{DOMAIN}", f"x-bob@{DOMAIN}"
HELD = "parley_csi_held_stanzas"


def from_bob(s):
    return isinstance(s, (Message, Presence)) and s["from"].bare == BOB


def describe(s):
    if isinstance(s, Presence):
        return ["presence", s.xml.get("type") or "available", s["status"]]
    if s["body"]:
        return ["message", s["body"]]
    return ["chatstate", s["chat_state"]]


async def go_inactive(alice):
    alice["xep_0352"].send_inactive()
    # The gateway reads alice's stream in order: once the ping is answered, she is inactive.
    await alice.ping_server()
    alice.mark()


async def scenario(args, r):
    port, http_ports = int(args[0]), [int(a) for a in args[1:]]
    alice = Client("alice", f"{ALICE}/phone", plugins=["xep_0352", "xep_0085"])
    await alice.login(port)
    bob = await Client("bob", f"{BOB}/desk", plugins=["xep_0085"]).login(port)
    r["csi_offered"] = alice["xep_0352"].enabled
    await subscribe_both(alice, bob)

    # Inactive: a flood of presence updates and chat states is held, not written.
    await go_inactive(alice)
    for i in range(1, 6):
        bob.send_presence(pstatus=f"p{i}")
    for state in ("composing", "paused", "composing"):
        m = bob.make_message(mto=f"{ALICE}/phone", mtype="chat")
        m["chat_state"] = state
        m.send()
    # One presence (the latest replaced the others) and three chat states are held.
    r["held"] = await wait_metric(http_ports, HELD, 4, "the held presence and chat states")
    r["written_while_inactive"] = [describe(s) for s in alice.since(from_bob)]

    # Active again: the held stanzas come, oldest first; the ping reply is the marker.
    alice["xep_0352"].send_active()
    await alice.next(lambda s: is_message()(s) and s["chat_state"] == "composing", "the flush")
    await alice.ping_server()
    r["flushed_on_active"] = [describe(s) for s in alice.since(from_bob)]
    r["held_after_active"] = await wait_metric(http_ports, HELD, 0, "an empty queue")

    # Inactive again: presence is held, but a chat message comes at once, after
    # the latest held presence.
    await go_inactive(alice)
    for i in range(6, 9):
        bob.send_presence(pstatus=f"p{i}")
    bob.chat(ALICE, "urgent")
    await alice.next(is_message("urgent"), "the chat message while inactive")
    r["written_for_a_message"] = [describe(s) for s in alice.since(from_bob)]
    r["held_after_message"] = await wait_metric(http_ports, HELD, 0, "an empty queue")
    alice["xep_0352"].send_active()
    # Bob's own resource saw every update: the server held them only for alice.
    r["bob_saw_own"] = [s["status"] for s in bob.since(is_presence(f"{BOB}/desk"))][-8:]


if __name__ == "__main__":
    run(scenario)

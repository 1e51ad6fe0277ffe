"""One-to-one chat (RFC 6121 section 8) through the balancer, with slixmpp.

Connections, in order (the balancer alternates gateways): alice, bob,
carol, carol again. Args: <balancer port>.
"""
from cluster_client import DOMAIN, Client, error_condition, is_message, run

ALICE, BOB, CAROL = (f"o-{n}@{DOMAIN}" for n in ("alice", "bob", "carol"))


async def scenario(args, r):
    port = int(args[0])
    alice = await Client("alice", f"{ALICE}/desk").login(port)
    bob = await Client("bob", f"{BOB}/phone").login(port)

    # To the bare JID, with an id that must arrive unchanged.
    alice.chat(BOB, "to bare", mid="rt-1")
    m = await bob.next(is_message("to bare"), "the message to the bare JID")
    r["bare"] = {"from": str(m["from"]), "to": str(m["to"]), "id": m["id"], "type": m["type"]}

    # A reply to the full JID it came from.
    bob.chat(str(m["from"]), "to full", mid="rt-2")
    m = await alice.next(is_message("to full"), "the reply to the full JID")
    r["full"] = {"from": str(m["from"]), "to": str(m["to"]), "id": m["id"]}

    # To a resource that does not exist: a chat message goes to the bare JID (RFC 6121 8.5.3.2.1).
    alice.chat(f"{BOB}/gone", "to a gone resource")
    m = await bob.next(is_message("to a gone resource"), "the message to a gone resource")
    r["gone_resource"] = str(m["to"])

    # An IQ between the two clients (slixmpp answers disco#info itself), and its result back.
    r["client_iq"] = await alice.disco_info(f"{BOB}/phone")

    # An account that does not exist: an error with the original id (RFC 6121 8.5.1).
    alice.chat(f"nobody@{DOMAIN}", "anyone there?", mid="unknown-1")
    err = await alice.next(is_message(mtype="error"), "the error for an unknown user")
    r["unknown"] = {
        "from": str(err["from"]),
        "id": err["id"],
        "condition": error_condition(err),
    }

    # A burst of 50 arrives complete and in order.
    burst = [f"burst-{i}" for i in range(50)]
    bob.mark()
    for b in burst:
        alice.chat(BOB, b)
    await bob.next(is_message(burst[-1]), "the last message of the burst")
    r["burst"] = [m["body"] for m in bob.since(lambda s: is_message()(s) and s["body"] in burst)]

    # Offline storage: carol logs in once and out again, alice writes to her,
    # and carol gets it with a delay stamp when she logs in again (on the other gateway).
    carol = await Client("carol1", f"{CAROL}/laptop").login(port)
    await carol.logout()
    alice.chat(CAROL, "while you were away", mid="off-1")
    # Same sender, same partition: once this is answered the message is stored.
    r["barrier"] = await alice.disco_info(CAROL)
    carol2 = await Client("carol2", f"{CAROL}/laptop").login(port)
    m = await carol2.next(is_message("while you were away"), "the offline message")
    delay = m.xml.find("{urn:xmpp:delay}delay")
    r["offline"] = {
        "from": str(m["from"]),
        "id": m["id"],
        "delay": delay is not None and bool(delay.get("stamp")),
    }


if __name__ == "__main__":
    run(scenario)

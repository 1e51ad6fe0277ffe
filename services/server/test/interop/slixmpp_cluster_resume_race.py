"""XEP-0198: messages that are in flight while the client resumes on the other
gateway, with slixmpp's xep_0198.

ann's connection is dropped three times; each time ben sends 60 messages
while ann reconnects through the balancer and resumes (each resumption lands
on the other gateway). Every round's messages must arrive once and in order.
Args: <balancer port>.
"""
import asyncio

from cluster_client import DOMAIN, Client, is_message, run

ANN, BEN = f"r-ann@{DOMAIN}", f"r-ben@{DOMAIN}"
ROUNDS, PER_ROUND = 3, 60


async def scenario(args, r):
    port = int(args[0])
    ben = await Client("ben", f"{BEN}/desk").login(port)
    ann = Client("ann", f"{ANN}/phone", plugins=["xep_0198"])
    await ann.login(port)
    await ann.wait_event("sm_enabled")
    rounds = []
    for k in range(ROUNDS):
        ann.mark()
        ann.kill_tcp()
        await ann.wait_event("disconnected", k + 1)
        burst = [f"r{k}-{i}" for i in range(PER_ROUND)]

        async def send():
            for i, b in enumerate(burst):
                ben.chat(f"{ANN}/phone", b)
                if i % 5 == 4:
                    await asyncio.sleep(0)  # let the resumption make progress meanwhile

        sender = asyncio.ensure_future(send())
        ann.connect(("127.0.0.1", port), force_starttls=True)
        await ann.wait_event("session_resumed", k + 1)
        await sender
        await ann.next(is_message(burst[-1]), f"the last message of round {k}")
        await ann.ping_server()  # anything still coming for this round came before the pong
        rounds.append([s["body"] for s in ann.since(is_message(frm=BEN))])
    r["rounds"] = rounds


if __name__ == "__main__":
    run(scenario)

"""XEP-0357 push with Debian's slixmpp: a phone registers on the built-in push
service with an ad-hoc command (XEP-0050, as Conversations does with p2),
enables push on its account with the node and secret it got, loses its
connection without closing the stream (XEP-0198 keeps the session), and a
contact writes to it.

Debian's slixmpp 1.8 has no xep_0357 plugin: the <enable/> is built here
with slixmpp's own stanza classes, exactly as the XEP's example 9 shows.

Args: <port> <fcm|apns> <device token> <device id> <account prefix>.
The test talks to the script through stdin/stdout: after the drop the script
prints {"step": "dropped"} and waits for a line on stdin (the test has seen
the gateway detach the session); after the contact's message it prints
{"step": "sent"} and waits again (the test has seen the push arrive).
"""
import asyncio
import json
import sys

from slixmpp.xmlstream import ET

from cluster_client import DOMAIN, TIMEOUT, Client, run

NS_PUSH = "urn:xmpp:push:0"
NS_PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options"
SERVICE = f"push.{DOMAIN}"


def step(name):
    print(json.dumps({"step": name}), flush=True)


async def wait_for_test():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if line.strip() == "":
        raise RuntimeError("the test closed stdin")


def values(form):
    return {k: v for k, v in form.get_values().items()}


async def scenario(args, r):
    port, kind, token, device_id, prefix = int(args[0]), args[1], args[2], args[3], args[4]
    phone_jid = f"{prefix}-phone@{DOMAIN}"
    phone = Client("phone", f"{phone_jid}/phone", plugins=["xep_0004", "xep_0050", "xep_0198"])
    await phone.login(port)
    enabled = await phone.wait_event("sm_enabled")
    r["sm_resume"] = enabled.xml.get("resume")

    # The service's commands (XEP-0050 discovery).
    items = await phone["xep_0050"].get_commands(SERVICE, timeout=TIMEOUT)
    r["commands"] = [i[1] for i in items["disco_items"]["items"]]

    # register-push-<kind>: execute, get the form, complete it.
    node = f"register-push-{kind}"
    first = await phone["xep_0050"].send_command(SERVICE, node, timeout=TIMEOUT)
    r["first_status"] = first["command"]["status"]
    sessionid = first["command"]["sessionid"]
    asked = list(first["command"]["form"].get_fields().keys())
    r["asked"] = asked
    form = phone["xep_0004"].make_form(ftype="submit")
    form.add_field(var="token", value=token)
    form.add_field(var="device-id", value=device_id)
    done = await phone["xep_0050"].send_command(
        SERVICE, node, action="complete", sessionid=sessionid, payload=form, timeout=TIMEOUT
    )
    r["status"] = done["command"]["status"]
    got = values(done["command"]["form"])
    r["registered"] = {"jid": got.get("jid"), "node": bool(got.get("node")), "secret": bool(got.get("secret"))}

    # XEP-0357 enable, with the secret as a publish option.
    iq = phone.make_iq_set(ito=phone_jid)
    enable = ET.Element(f"{{{NS_PUSH}}}enable", {"jid": got["jid"], "node": got["node"]})
    options = phone["xep_0004"].make_form(ftype="submit")
    options.add_field(var="FORM_TYPE", ftype="hidden", value=NS_PUBLISH_OPTIONS)
    options.add_field(var="secret", value=got["secret"])
    enable.append(options.xml)
    iq.append(enable)
    reply = await iq.send(timeout=TIMEOUT)
    r["enable"] = reply["type"]

    # The connection dies without a stream close: the session waits for resumption.
    phone.kill_tcp()
    await phone.wait_event("disconnected")
    step("dropped")
    await wait_for_test()

    friend = Client("friend", f"{prefix}-friend@{DOMAIN}/desk")
    await friend.login(port)
    friend.chat(phone_jid, "a secret only the phone may read")
    await friend.ping_server()
    step("sent")
    await wait_for_test()
    r["done"] = True


if __name__ == "__main__":
    run(scenario)

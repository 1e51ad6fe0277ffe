"""Shared pieces of the cluster conformance scenarios (slixmpp_cluster_*.py).

Every client is a plain slixmpp ClientXMPP that connects over STARTTLS to the
one balancer port it is given. It records every message, presence and IQ it
receives, in order, and the local port of each TCP connection it makes, so
the test can ask the balancer which gateway each connection went to.

A scenario is an async function taking (args, result); it fills `result`
with what it observed, and the runner prints `result` as the last stdout
line. Nothing here sleeps for a fixed time: a step waits for the stanza or
event it needs, and "nothing else arrived" is judged at a marker stanza
that was sent after.
"""
import asyncio
import json
import socket
import ssl
import struct
import sys
import traceback
import urllib.request

import slixmpp
from slixmpp.exceptions import IqError
from slixmpp.stanza import Iq, Message, Presence

DOMAIN = "localhost"
TIMEOUT = 15
NS_ROSTER = "jabber:iq:roster"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


class StepTimeout(Exception):
    pass


class Client(slixmpp.ClientXMPP):
    every = []

    def __init__(self, name, jid, plugins=(), password="secret"):
        super().__init__(jid, password)
        self.name = name
        Client.every.append(self)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.auto_authorize = None  # subscription requests are answered by the scenario
        self.auto_subscribe = False
        # Like any real client: answer disco#info (XEP-0030) and pings (XEP-0199).
        for p in ("xep_0030", "xep_0199", *plugins):
            self.register_plugin(p)
        self.inbox = []
        self.base = 0
        self.taken = set()
        self.ports = []
        self.events = {}
        self._wake = []
        self.add_filter("in", self._record)
        for name in ("session_start", "session_resumed", "sm_enabled", "sm_failed", "disconnected"):
            self.add_event_handler(name, self._remember(name))

    # --- bookkeeping -------------------------------------------------------

    def _record(self, stanza):
        if isinstance(stanza, (Message, Presence, Iq)):
            self.inbox.append(stanza)
            self._notify()
        return stanza

    def _remember(self, name):
        def handler(data):
            self.events.setdefault(name, []).append(data)
            self._notify()

        return handler

    def _notify(self):
        for f in self._wake:
            if not f.done():
                f.set_result(None)
        self._wake.clear()

    def connection_made(self, transport):
        super().connection_made(transport)
        port = transport.get_extra_info("sockname")[1]
        if not self.ports or self.ports[-1] != port:  # STARTTLS keeps the TCP connection
            self.ports.append(port)

    async def _changed(self, deadline, what):
        loop = asyncio.get_running_loop()
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise StepTimeout(f"{self.boundjid or self.requested_jid}: timed out waiting for {what}")
        f = loop.create_future()
        self._wake.append(f)
        try:
            await asyncio.wait_for(f, remaining)
        except asyncio.TimeoutError:
            pass

    async def wait_event(self, name, count=1, timeout=TIMEOUT):
        """Waits until event `name` has fired `count` times; returns its last data."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.events.get(name, [])) < count:
            await self._changed(deadline, f"event {name} #{count}")
        return self.events[name][count - 1]

    def mark(self):
        """Later next()/since() calls only look at stanzas received from now on."""
        self.base = len(self.inbox)

    async def next(self, pred, what, timeout=TIMEOUT):
        """The first stanza since the mark, not returned before, that matches `pred`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for i in range(self.base, len(self.inbox)):
                if i not in self.taken and pred(self.inbox[i]):
                    self.taken.add(i)
                    return self.inbox[i]
            await self._changed(deadline, what)

    def since(self, pred=lambda _s: True, start=None):
        """Every stanza since the mark (or index `start`) that matches `pred`, in order."""
        return [s for s in self.inbox[self.base if start is None else start :] if pred(s)]

    # --- connection --------------------------------------------------------

    async def login(self, port, presence=True, priority=None, roster=True):
        """Connects through the balancer and waits for the session; then roster and presence."""
        self.connect(("127.0.0.1", port), force_starttls=True)
        await self.wait_event("session_start")
        if roster:
            await self.get_roster()
        if presence:
            self.send_presence(ppriority=priority)
        return self

    def kill_tcp(self):
        """Drops the TCP connection with a reset: no </stream:stream>, no TLS close_notify."""
        sock = self.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    async def logout(self):
        count = len(self.events.get("disconnected", [])) + 1
        self.disconnect()
        await self.wait_event("disconnected", count)

    # --- stanzas -------------------------------------------------------------

    def chat(self, to, body, mid=None, mtype="chat", extra=()):
        m = self.make_message(mto=to, mbody=body, mtype=mtype)
        if mid is not None:
            m["id"] = mid
        for el in extra:
            m.append(el)
        m.send()
        return m

    async def ping_server(self):
        """A round trip to the server: everything the gateway wrote before the reply came first."""
        iq = self.make_iq_get(queryxmlns="urn:xmpp:ping", ito=DOMAIN)
        del iq["query"]
        iq.xml.append(slixmpp.xmlstream.ET.Element("{urn:xmpp:ping}ping"))
        await iq.send(timeout=TIMEOUT)

    async def disco_info(self, jid):
        """disco#info to `jid`; returns "result", or "error:<condition>"."""
        iq = self.make_iq_get(queryxmlns="http://jabber.org/protocol/disco#info", ito=jid)
        try:
            await iq.send(timeout=TIMEOUT)
            return "result"
        except IqError as e:
            return f"error:{e.condition}"

    async def roster_items(self):
        """The roster as {jid: subscription}, fetched from the server."""
        iq = self.make_iq_get(queryxmlns=NS_ROSTER)
        reply = await iq.send(timeout=TIMEOUT)
        return {
            i.get("jid"): i.get("subscription", "none")
            for i in reply.xml.iter(f"{{{NS_ROSTER}}}item")
        }


# --- predicates ---------------------------------------------------------------


def body(s):
    return s["body"] if isinstance(s, Message) else None


def is_message(body_text=None, mtype=None, frm=None):
    def pred(s):
        return (
            isinstance(s, Message)
            and (body_text is None or s["body"] == body_text)
            and (mtype is None or s["type"] == mtype)
            and (frm is None or str(s["from"]) == frm or s["from"].bare == frm)
        )

    return pred


def is_presence(frm=None, ptype=None, status=None):
    """Presence from `frm` (full JID, or any resource of a bare JID); ptype None = available."""

    def pred(s):
        if not isinstance(s, Presence):
            return False
        t = s.xml.get("type")
        if (t or None) != ptype:
            return False
        if frm is not None and str(s["from"]) != frm and s["from"].bare != frm:
            return False
        return status is None or s["status"] == status

    return pred


def is_roster_push(jid, subscription=None, ask=None):
    def pred(s):
        if not isinstance(s, Iq) or s["type"] != "set":
            return False
        for item in s.xml.iter(f"{{{NS_ROSTER}}}item"):
            if item.get("jid") != jid:
                continue
            if subscription is not None and item.get("subscription", "none") != subscription:
                continue
            if ask is not None and item.get("ask") != ask:
                continue
            return True
        return False

    return pred


def error_condition(s):
    err = s.xml.find("{jabber:client}error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith(f"{{{NS_STANZAS}}}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return None


async def subscribe_both(a, b):
    """RFC 6121 subscription handshake both ways between two online clients; returns what was seen."""
    ja, jb = a.boundjid.bare, b.boundjid.bare
    seen = {}
    a.send_presence(pto=jb, ptype="subscribe")
    await a.next(is_roster_push(jb, "none", "subscribe"), "roster push ask=subscribe")
    await b.next(is_presence(ja, "subscribe"), "the subscription request")
    b.send_presence(pto=ja, ptype="subscribed")
    await b.next(is_roster_push(ja, "from"), "roster push subscription=from")
    await a.next(is_roster_push(jb, "to"), "roster push subscription=to")
    await a.next(is_presence(jb, "subscribed"), "the subscribed presence")
    await a.next(is_presence(str(b.boundjid)), "the contact's presence after approval")
    b.send_presence(pto=ja, ptype="subscribe")
    await b.next(is_roster_push(ja, "from", "subscribe"), "roster push from + ask")
    await a.next(is_presence(jb, "subscribe"), "the reverse subscription request")
    a.send_presence(pto=jb, ptype="subscribed")
    await a.next(is_roster_push(jb, "both"), "roster push subscription=both (a)")
    await b.next(is_roster_push(ja, "both"), "roster push subscription=both (b)")
    await b.next(is_presence(str(a.boundjid)), "the user's presence after approval")
    seen["roster_a"] = (await a.roster_items()).get(jb)
    seen["roster_b"] = (await b.roster_items()).get(ja)
    return seen


def fetch_metric(http_ports, name):
    """Sum of an unlabelled metric over the /metrics pages of the given ports."""
    total = 0.0
    for p in http_ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{p}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " ") or line.startswith(name + "{"):
                    total += float(line.rsplit(" ", 1)[1])
    return total


async def wait_metric(http_ports, name, want, what, timeout=TIMEOUT):
    """Polls a metric until it equals `want` (the event itself, observed from outside)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await asyncio.to_thread(fetch_metric, http_ports, name)
        if value == want:
            return value
        if loop.time() > deadline:
            raise StepTimeout(f"timed out waiting for {what}: {name} = {value}, want {want}")
        await asyncio.sleep(0.05)


def run(scenario):
    """Runs `scenario(args, result)`, prints `result` (plus the error, if any) as JSON."""

    async def main():
        result = {"ports": {}}
        code = 0
        try:
            await asyncio.wait_for(scenario(sys.argv[1:], result), 60)
        except Exception as exc:  # reported, the test shows it
            result["error"] = f"{type(exc).__name__}: {exc}"
            result["trace"] = traceback.format_exc()[-1500:]
            code = 1
        for c in Client.every:
            result["ports"][c.name] = list(c.ports)
        closing = [c.disconnect() for c in Client.every if c.transport is not None]
        try:
            await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), 10)
        except asyncio.TimeoutError:
            pass
        print(json.dumps(result))
        return code

    sys.exit(asyncio.run(main()))


"""Federation scenario between a Parley user and a user of another server
(Prosody, ejabberd), both driven by slixmpp over STARTTLS.

Usage: federation_scenario.py '<json>' with
  {"ca": "<CA file both servers' c2s certificates chain to>",
   "local":  {"jid": "...", "password": "...", "port": <Parley c2s port>},
   "remote": {"jid": "...", "password": "...", "port": <peer c2s port>},
   "room": "<room@conference.<parley domain>>" (optional),
   "steps": ["subscribe", "presence", "broadcast", "probe", "chat", "version", "muc"]
            (default: all),
   "timeout": <seconds per wait>}

Every step writes what it saw into the result; the last stdout line is
{"ok": bool, "failed": "<step>"?, "error": "..."?, "<step>": {...}}.
"""
import asyncio
import json
import sys

import slixmpp

TIMEOUT = 20


class User(slixmpp.ClientXMPP):
    def __init__(self, spec, ca):
        super().__init__(spec["jid"], spec["password"])
        self.port = spec["port"]
        self.ca_certs = ca
        for plugin in ("xep_0030", "xep_0004", "xep_0045", "xep_0092", "xep_0199"):
            self.register_plugin(plugin)
        self.roster.auto_authorize = True
        self.roster.auto_subscribe = True
        self.messages = asyncio.Queue()
        self.groupchat = asyncio.Queue()
        self.available = {}
        self.shows = {}
        self.online = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self._started)
        self.add_event_handler("failed_all_auth", self._failed("authentication failed"))
        self.add_event_handler("connection_failed", self._failed("connection failed"))
        self.add_event_handler(
            "message", lambda m: m["type"] in ("chat", "normal") and self.messages.put_nowait(m)
        )
        self.add_event_handler("groupchat_message", lambda m: self.groupchat.put_nowait(m))
        # slixmpp names presence events by show (presence_away, ...): take them all here.
        self.add_event_handler("presence", self._available)

    async def _started(self, _event):
        await self.get_roster()
        self.send_presence()
        if not self.online.done():
            self.online.set_result(True)

    def _failed(self, reason):
        def handler(event):
            if not self.online.done():
                self.online.set_exception(RuntimeError(f"{self.boundjid.bare}: {reason}: {event}"))

        return handler

    def _available(self, pres):
        if pres["type"] not in ("available", "away", "chat", "dnd", "xa"):
            return
        self.available[str(pres["from"])] = True
        self.shows[str(pres["from"])] = pres["show"]

    async def login(self, timeout):
        self.connect(address=("127.0.0.1", self.port))
        await asyncio.wait_for(self.online, timeout)
        return self

    def subscription(self, bare):
        return self.client_roster[bare]["subscription"] if bare in self.client_roster else "none"


async def until(predicate, timeout, what):
    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise asyncio.TimeoutError(what)
        await asyncio.sleep(0.05)


async def expect(queue, predicate, timeout):
    while True:
        msg = await asyncio.wait_for(queue.get(), timeout)
        if predicate(msg):
            return msg


async def step_subscribe(local, remote, t):
    r_bare, l_bare = remote.boundjid.bare, local.boundjid.bare
    local.send_presence_subscription(pto=r_bare)
    await until(
        lambda: local.subscription(r_bare) == "both" and remote.subscription(l_bare) == "both",
        t,
        "subscriptions to become both",
    )
    return {"local": local.subscription(r_bare), "remote": remote.subscription(l_bare)}


async def step_presence(local, remote, t):
    await until(
        lambda: str(remote.boundjid) in local.available and str(local.boundjid) in remote.available,
        t,
        "each to see the other available",
    )
    return {"local_sees": str(remote.boundjid), "remote_sees": str(local.boundjid)}


async def step_broadcast(local, remote, t):
    """A presence change of each user reaches the other (RFC 6121 4.4 broadcast)."""
    local.send_presence(pshow="away", pstatus="on the balcony")
    await until(lambda: remote.shows.get(str(local.boundjid)) == "away", t, "remote to see away")
    remote.send_presence(pshow="dnd")
    await until(lambda: local.shows.get(str(remote.boundjid)) == "dnd", t, "local to see dnd")
    local.send_presence()
    remote.send_presence()
    await until(lambda: remote.shows.get(str(local.boundjid)) == "", t, "remote to see available")
    return {"remote_saw": "away", "local_saw": "dnd"}


async def step_probe(local, remote_spec, ca, t):
    """A second session of the remote user learns the local user's presence by a probe
    (RFC 6121 4.3): its server asks ours when it comes online."""
    spec = dict(remote_spec)
    spec["jid"] = spec["jid"].split("/")[0] + "/probe"
    second = await User(spec, ca).login(t)
    try:
        await until(lambda: str(local.boundjid) in second.available, t, "a probe answer")
        return {"learnt": str(local.boundjid)}
    finally:
        second.disconnect()


async def step_chat(local, remote, t):
    local.send_message(mto=remote.boundjid.bare, mbody="hello across", mtype="chat")
    got = await expect(remote.messages, lambda m: m["body"] == "hello across", t)
    remote.send_message(mto=got["from"], mbody="hello back", mtype="chat")
    back = await expect(local.messages, lambda m: m["body"] == "hello back", t)
    return {"received_from": str(got["from"]), "reply_from": str(back["from"])}


async def step_version(local, remote, t):
    out = {}
    a = await local.plugin["xep_0092"].get_version(remote.boundjid, timeout=t)
    out["remote_user"] = a["software_version"]["name"]
    b = await remote.plugin["xep_0092"].get_version(local.boundjid, timeout=t)
    out["local_user"] = b["software_version"]["name"]
    c = await remote.plugin["xep_0092"].get_version(local.boundjid.domain, timeout=t)
    out["local_server"] = c["software_version"]["name"]
    d = await local.plugin["xep_0092"].get_version(remote.boundjid.domain, timeout=t)
    out["remote_server"] = d["software_version"]["name"]
    info = await remote.plugin["xep_0030"].get_info(jid=local.boundjid.domain, timeout=t)
    out["local_server_features"] = len(info["disco_info"]["features"])
    return out


async def step_muc(local, remote, room, t):
    muc_l, muc_r = local.plugin["xep_0045"], remote.plugin["xep_0045"]
    pres, _s, _o, _h = await muc_l.join_muc_wait(room, "Local", timeout=t)
    if 201 in pres["muc"]["status_codes"]:
        form = await muc_l.get_room_config(room, timeout=t)
        await muc_l.set_room_config(room, form, timeout=t)
    pres_r, _s, occupants, _h = await muc_r.join_muc_wait(room, "Remote", maxstanzas=0, timeout=t)
    out = {
        "remote_role": pres_r["muc"]["role"],
        "remote_sees": sorted(str(p["from"].resource) for p in occupants),
    }
    local.send_message(mto=room, mbody="from local", mtype="groupchat")
    got = await expect(remote.groupchat, lambda m: m["body"] == "from local", t)
    out["remote_got_from"] = str(got["from"])
    remote.send_message(mto=room, mbody="from remote", mtype="groupchat")
    back = await expect(local.groupchat, lambda m: m["body"] == "from remote", t)
    out["local_got_from"] = str(back["from"])
    muc_r.leave_muc(room, "Remote")
    muc_l.leave_muc(room, "Local")
    return out


async def scenario(spec, result):
    t = spec.get("timeout", TIMEOUT)
    local = await User(spec["local"], spec["ca"]).login(t)
    remote = await User(spec["remote"], spec["ca"]).login(t)
    steps = spec.get(
        "steps", ["subscribe", "presence", "broadcast", "probe", "chat", "version", "muc"]
    )
    try:
        for step in steps:
            result["failed"] = step
            if step == "subscribe":
                result[step] = await step_subscribe(local, remote, t)
            elif step == "presence":
                result[step] = await step_presence(local, remote, t)
            elif step == "broadcast":
                result[step] = await step_broadcast(local, remote, t)
            elif step == "probe":
                result[step] = await step_probe(local, spec["remote"], spec["ca"], t)
            elif step == "chat":
                result[step] = await step_chat(local, remote, t)
            elif step == "version":
                result[step] = await step_version(local, remote, t)
            elif step == "muc":
                result[step] = await step_muc(local, remote, spec["room"], t)
        del result["failed"]
        result["ok"] = True
    finally:
        for user in (local, remote):
            user.disconnect()
        await asyncio.sleep(0.1)


def run(play):
    """Runs `await play(spec, result)` with the JSON spec of argv[1], prints the
    result as the last stdout line and exits 0 when it says ok."""
    spec = json.loads(sys.argv[1])
    result = {"ok": False}
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(play(spec, result))
    except asyncio.TimeoutError as err:
        result["error"] = f"timed out: {err}"
    except Exception as err:  # report anything as the result line
        result["error"] = f"{type(err).__name__}: {err}"
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    run(scenario)

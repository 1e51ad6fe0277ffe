"""XEP-0363 interop scenario driven by slixmpp's xep_0363 plugin.

A client finds the upload service through disco (items of its server, then
the one with identity store/file and the upload feature), uploads a file
with upload_file (slot request, then an HTTP PUT with the slot's headers),
and reports the GET URL; the test downloads it and compares the bytes. Then
two requests the server must refuse: a file above max-file-size
(not-acceptable with <file-too-large>) and one over the user's quota
(resource-constraint with <retry>). Arguments: port, file size, oversize
request size, over-quota request size.
"""
import asyncio
import io
import sys

from slixmpp.exceptions import IqError

from scenario_client import DOMAIN, TIMEOUT, Client, log_in, run

NS = "{urn:xmpp:http:upload:0}"


def payload(size):
    """The bytes uploaded: the test computes the same ones."""
    return bytes((i * 7 + 3) % 256 for i in range(size))


async def refusal(client, service, filename, size):
    """The error of a slot request the server should refuse, as a dict."""
    try:
        await client["xep_0363"].request_slot(service, filename, size, "application/octet-stream", timeout=TIMEOUT)
    except IqError as e:
        err = e.iq["error"]
        max_size = e.iq.xml.find(f".//{NS}max-file-size")
        retry = e.iq.xml.find(f".//{NS}retry")
        return {
            "condition": err["condition"],
            "type": err["type"],
            "max_file_size": None if max_size is None else max_size.text,
            "retry": None if retry is None else retry.get("stamp"),
        }
    return {"condition": None}


async def prime_domain_infos(client):
    """What xep_0030's get_info_from_domain collects (the server's disco#info and
    that of each of its items), gathered with tasks: in Debian's slixmpp 1.8 it
    hands coroutines to asyncio.wait, which Python 3.11 refuses. upload_file
    then finds the service in that cache with its own logic."""
    disco = client["xep_0030"]
    items = await disco.get_items(DOMAIN, timeout=TIMEOUT)
    jids = [DOMAIN] + [item[0] for item in items["disco_items"]["items"]]
    infos = await asyncio.gather(*(disco.get_info(j, timeout=TIMEOUT) for j in jids))
    disco.domain_infos[DOMAIN] = list(infos)


async def scenario(port, result):
    size, oversize, overquota = (int(a) for a in sys.argv[2:5])
    c = Client(f"slix-up@{DOMAIN}/phone", plugins=("xep_0030", "xep_0363"), roster=False)
    await log_in(port, c)
    result["login"] = True
    await prime_domain_infos(c)

    url = await c["xep_0363"].upload_file(
        "notes ü.bin", size=size, content_type="application/x-parley-test",
        input_file=io.BytesIO(payload(size)), timeout=TIMEOUT,
    )
    result["service"] = str(c["xep_0363"].upload_service)
    result["max_file_size"] = c["xep_0363"].max_file_size
    result["url"] = url

    result["oversize"] = await refusal(c, c["xep_0363"].upload_service, "big.bin", oversize)
    result["overquota"] = await refusal(c, c["xep_0363"].upload_service, "more.bin", overquota)
    return (
        result["oversize"]["condition"] == "not-acceptable"
        and result["overquota"]["condition"] == "resource-constraint"
    )


if __name__ == "__main__":
    run(scenario)

"""Build WARC files by hand for the tests (no writer library, every byte in view)."""

from __future__ import annotations

import gzip
import random

ARTICLE = (
    "<!doctype html><html><head><title>Rice exports rise</title></head><body>"
    "<nav><a href='/'>Home</a></nav><article><h1>Rice exports rise</h1>"
    "<p>Rice exports from the Mekong Delta rose by five percent in May compared with a "
    "year earlier, the Ministry of Agriculture said on Monday.</p>"
    "<p>Traders said demand from the Philippines and Indonesia stayed strong, while prices "
    "for fragrant varieties reached their highest level since the start of the year.</p>"
    "<p>The ministry expects shipments to keep growing through the third quarter as new "
    "harvests come in across the southern provinces.</p></article></body></html>"
)


def http_response(
    body: bytes, *, status: str = "200 OK", content_type: str = "text/html", extra: str = ""
) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}"
    if "Transfer-Encoding" not in extra:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def record(
    rtype: str,
    block: bytes,
    *,
    uri: str | None = "https://news.example/a.html",
    date: str = "2023-10-13T08:00:00Z",
    content_type: str | None = None,
) -> bytes:
    if content_type is None:
        content_type = {
            "response": "application/http; msgtype=response",
            "request": "application/http; msgtype=request",
        }.get(rtype, "application/warc-fields")
    lines = ["WARC/1.0", f"WARC-Type: {rtype}", f"WARC-Date: {date}"]
    if uri:
        lines.append(f"WARC-Target-URI: {uri}")
    lines += [
        "WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000000>",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(block)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


WORDS = [
    "rice",
    "coffee",
    "port",
    "river",
    "bridge",
    "school",
    "hospital",
    "market",
    "budget",
    "council",
    "farmer",
    "storm",
    "harvest",
    "export",
    "import",
    "factory",
    "railway",
    "airport",
    "tourist",
    "festival",
    "museum",
    "vaccine",
    "bank",
    "loan",
    "solar",
    "wind",
    "ferry",
    "island",
    "forest",
    "village",
    "border",
    "delta",
    "coast",
    "highway",
    "investor",
]


def page_html(seed: int) -> str:
    """An article page whose text shares next to nothing with another seed's."""
    rng = random.Random(seed)
    paragraphs = [
        " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(3)
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>Story {seed}</title></head><body>"
        f"<article><h1>Story {seed}</h1>{body}</article></body></html>"
    )


def page_records(count: int, *, start: int = 0) -> list[bytes]:
    """A request and an HTML response per page; the pages' texts are all distinct."""
    out = []
    for i in range(start, start + count):
        uri = f"https://news.example/{i}.html"
        body = page_html(i)
        out.append(record("request", b"GET / HTTP/1.1\r\n\r\n", uri=uri))
        out.append(record("response", http_response(body.encode()), uri=uri))
    return out


def gzipped(records: list[bytes]) -> bytes:
    """One gzip member per record, as WARC.gz files are written."""
    return b"".join(gzip.compress(r, mtime=0) for r in records)

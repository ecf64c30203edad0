"""Hostile and broken sitemaps for tests/test_sitemaps.py (served by tests.local_server)."""

from __future__ import annotations

import gzip
import zlib

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def urlset(*urls: str, lastmod: str | None = None) -> bytes:
    items = "".join(
        f"<url><loc>{u}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>"
        for u in urls
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">{items}</urlset>'.encode()


def index(*sitemaps: str) -> bytes:
    items = "".join(f"<sitemap><loc>{s}</loc></sitemap>" for s in sitemaps)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NS}">{items}</sitemapindex>'
    ).encode()


def billion_laughs() -> bytes:
    """The classic entity-expansion bomb: ~3 GB once expanded."""
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [' + "".join(entities) + "]>\n"
        f'<urlset xmlns="{NS}"><url><loc>http://local.test/&lol9;</loc></url></urlset>'
    ).encode()


def external_entity() -> bytes:
    """XXE: an external entity that would read a local file into a <loc>."""
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f'<urlset xmlns="{NS}"><url><loc>http://local.test/&xxe;</loc></url></urlset>'
    ).encode()


def gzip_bomb(decompressed: int) -> bytes:
    """A gzip file of one real URL followed by ``decompressed`` bytes of whitespace."""
    head = (
        f'<?xml version="1.0"?>\n<urlset xmlns="{NS}"><url><loc>http://local.test/real</loc></url>'
    ).encode()
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(head)]
    block = b" " * (1 << 20)
    for _ in range(decompressed // len(block)):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)

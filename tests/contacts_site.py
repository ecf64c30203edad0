"""Synthetic pages for the contact tests: one small site whose pages hold every way of
writing an address, with helpers to serve them from a LocalServer."""

from __future__ import annotations

from tests.local_server import Handler, LocalServer, fixed

HOST = "bloom.example"
ARTICLE = "/2024/05/how-to-compost/"


def entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def cfemail(address: str, key: int = 0x42) -> str:
    return f"{key:02x}" + "".join(f"{b ^ key:02x}" for b in address.encode())


def html(title: str, body: str, head: str = "", nav: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><header><nav>{nav}</nav></header><main>{body}</main>"
        "<footer><p>&copy; Bloom</p></footer></body></html>"
    ).encode()


NAV = (
    '<a href="/">Home</a> <a href="/contact-page.html">Contact</a> '
    '<a href="/about">About us</a> <a href="/write-for-us/">Write for us</a>'
)
ARTICLE_PAGE = html(
    "How to compost | Bloom",
    '<article><h1>How to compost</h1><p class="byline">By Jane Doe</p>'
    "<p>Compost is rotted organic matter, and making it takes a few weeks of patience.</p>"
    "<p>Questions? Write to jane.doe [at] bloom [dot] example.</p></article>"
    '<p>Newsletter: <a href="mailto:noreply@bloom.example">subscribe</a></p>',
    head=(
        '<meta name="author" content="Jane Doe">'
        '<script type="application/ld+json">{"@type": "Article", "author": '
        '{"@type": "Person", "name": "Jane Doe"}}</script>'
    ),
    nav=NAV,
)
CONTACT_PAGE = html(
    "Contact | Bloom",
    "<h1>Contact us</h1>"
    '<p>General: <a href="mailto:info@bloom.example">email the team</a></p>'
    f'<p>Shop: <a href="/cdn-cgi/l/email-protection#{cfemail("sales@bloom.example")}" '
    f'data-cfemail="{cfemail("sales@bloom.example")}">[email&#160;protected]</a></p>'
    "<p>Our gardener: bloomgardener@gmail.com</p>"
    "<p>Test mailbox: someone@mail.test</p>"
    f"<p>Legacy: {'a' * 65}@bloom.example</p>"
    '<form action="/send" method="post"><textarea name="message"></textarea></form>',
    nav=NAV,
)
ABOUT_PAGE = html(
    "About | Bloom",
    f"<h1>About Bloom</h1><p>Say hi: {entities('hello@bloom.example')}</p>"
    "<p>Sam writes most of our guides: sam.green(at)bloom.example</p>",
    head='<meta name="author" content="Sam Green">',
    nav=NAV,
)
WRITE_PAGE = html(
    "Write for us | Bloom",
    "<h1>Write for us</h1><p>Send your pitch to submissions@bloom.example.</p>"
    '<p>Or the editor: <span id="e1">(JavaScript needed)</span></p>'
    '<script>(function(){var u="editor",d="bloom.example";'
    "document.getElementById('e1').innerHTML='<a href=\"mailto:'+u+'&#64;'+d+'\">'"
    "+u+'&#64;'+d+'</a>';})();</script>",
    nav=NAV,
)


def serve_bloom(server: LocalServer) -> None:
    """The whole site: article, contact, about and write-for-us pages."""
    routes: dict[str, Handler] = {
        ARTICLE: fixed(200, ARTICLE_PAGE),
        "/contact-page.html": fixed(200, CONTACT_PAGE),
        "/about": fixed(200, ABOUT_PAGE),
        "/write-for-us/": fixed(200, WRITE_PAGE),
    }
    server.routes.update(routes)


FORM_ONLY_CONTACT = html(
    "Contact",
    "<h1>Contact</h1><p>Use the form below.</p>"
    '<form action="/search"><input name="q"></form>'
    '<form action="/contact/send" method="post"><input name="name">'
    '<textarea name="message"></textarea><button>Send</button></form>',
)
FORM_ONLY_WRITE = html(
    "Write for us",
    "<h1>Write for us</h1><p>Pitch us with the form.</p>"
    '<form action="/pitch" method="post"><textarea name="pitch"></textarea></form>',
)
RESOURCES = html(
    "Composting links",
    '<h1>Composting links</h1><ul><li><a href="https://other.example/">Other</a></li></ul>',
)

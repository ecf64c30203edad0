"""Extraction from HTML, raw or rendered: links with placement and visibility, canonical,
robots, emails, authors and the editorial text. One entry point: :func:`extract`."""

from prospector.web.extract.core import extract
from prospector.web.extract.dom import HIDDEN_ATTR, RENDERED_ATTR, VISIBLE_ATTR
from prospector.web.extract.model import PLACEMENTS, Author, Email, Extraction

__all__ = [
    "HIDDEN_ATTR",
    "PLACEMENTS",
    "RENDERED_ATTR",
    "VISIBLE_ATTR",
    "Author",
    "Email",
    "Extraction",
    "extract",
]

"""Schema migrations, applied in order by ``open_db()``; each runs once, in a transaction.

Add a migration by appending a function to ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

Migration = Callable[[Database], None]


def m001_core(db: Database) -> None:
    """Campaigns, runs, the event log, and what the web layer sees (pages, links, checks)."""
    db.table("campaigns").create(
        {"name": str, "path": str, "description": str, "loaded_at": str},
        pk="name",
    )
    db.table("runs").create(
        {
            "id": int,
            "job": str,
            "campaign": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "counts": str,
            "error": str,
        },
        pk="id",
        not_null={"job", "started_at", "status"},
    )
    db.table("events").create(
        {
            "id": int,
            "at": str,
            "entity": str,
            "entity_id": str,
            "kind": str,
            "actor": str,
            "run_id": int,
            "data": str,
        },
        pk="id",
        not_null={"at", "entity", "kind", "actor"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("events").create_index(["entity", "entity_id"])
    db.table("pages").create(
        {
            "id": int,
            "url": str,
            "final_url": str,
            "host": str,
            "http_status": int,
            "title": str,
            "canonical": str,
            "noindex": int,
            "content_hash": str,
            "rendered": int,
            "fetched_at": str,
            "run_id": int,
        },
        pk="id",
        not_null={"url", "host", "fetched_at"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("pages").create_index(["url"], unique=True)
    db.table("pages").create_index(["host"])
    db.table("links").create(
        {
            "id": int,
            "page_id": int,
            "href": str,
            "anchor": str,
            "rel": str,
            "placement": str,
            "visible": int,
            "internal": int,
        },
        pk="id",
        not_null={"page_id", "href"},
        foreign_keys=[("page_id", "pages", "id")],
    )
    db.table("links").create_index(["page_id"])
    db.table("links").create_index(["href"])
    db.table("url_checks").create(
        {
            "id": int,
            "url": str,
            "checked_at": str,
            "verdict": str,
            "status": str,
            "http_status": int,
            "final_url": str,
            "detail": str,
            "run_id": int,
        },
        pk="id",
        not_null={"url", "checked_at", "verdict", "status"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("url_checks").create_index(["url", "checked_at"])


def m002_discovery(db: Database) -> None:
    """Discovery: candidate pages (the resumable frontier), imported backlinks, the search
    cache, and prospects with their evidence."""
    db.table("candidates").create(
        {
            "id": int,
            "campaign": str,
            "url": str,
            "source": str,  # search | seed | site | sitemap | explore | probe | import
            "source_detail": str,
            "found_at": str,
            "state": str,  # new | done | failed
            "attempts": int,
            "detail": str,
            "run_id": int,
        },
        pk="id",
        not_null={"campaign", "url", "source", "found_at", "state"},
        defaults={"state": "new", "attempts": 0},
    )
    db.table("candidates").create_index(["campaign", "url"], unique=True)
    db.table("candidates").create_index(["campaign", "state"])
    db.table("backlinks").create(
        {
            "id": int,
            "campaign": str,
            "source_url": str,
            "target_url": str,
            "anchor": str,
            "nofollow": int,
            "first_seen": str,
            "last_seen": str,
            "metrics": str,  # JSON: what the export said (domain rating, traffic, ...)
            "tool": str,  # ahrefs | semrush | moz | gsc | generic
            "file": str,
            "line": int,
            "imported_at": str,
        },
        pk="id",
        not_null={"campaign", "source_url", "imported_at"},
    )
    db.table("backlinks").create_index(["campaign", "source_url", "target_url"], unique=True)
    db.table("search_cache").create(
        {
            "provider": str,
            "query": str,
            "page": int,
            "fetched_at": str,
            "results": str,  # JSON list of {url, title, snippet}
        },
        pk=("provider", "query", "page"),
    )
    db.table("prospects").create(
        {
            "id": int,
            "campaign": str,
            "type": str,  # broken_link | resource_page | guest_post
            "url": str,
            "domain": str,
            "page_id": int,
            "state": str,
            "evidence": str,  # JSON
            "created_at": str,
            "updated_at": str,
            "run_id": int,
        },
        pk="id",
        not_null={"campaign", "type", "url", "domain", "state", "created_at"},
        foreign_keys=[("page_id", "pages", "id")],
    )
    db.table("prospects").create_index(["campaign", "type", "url"], unique=True)
    db.table("prospects").create_index(["campaign", "domain"])
    db.table("prospects").create_index(["state"])


def m003_suppression(db: Database) -> None:
    """The global do-not-contact list: email addresses and whole domains."""
    db.table("suppression").create(
        {
            "id": int,
            "kind": str,  # email | domain
            "value": str,  # lower-cased address or registrable domain
            "reason": str,  # unsubscribe | hard_bounce | complaint | do_not_contact | ...
            "source": str,  # who or what added it
            "added_at": str,
        },
        pk="id",
        not_null={"kind", "value", "added_at"},
    )
    db.table("suppression").create_index(["kind", "value"], unique=True)


def m004_qualify(db: Database) -> None:
    """Qualification: imported rank lists, cached authority answers, per-page facts for the
    quality signals, contacts, and each prospect's score with its breakdown."""
    db.table("ranks").create(
        {"list": str, "domain": str, "rank": int, "value": float, "imported_at": str},
        pk=("list", "domain"),
        not_null={"list", "domain", "rank"},
    )
    db.table("authority").create(
        {
            "domain": str,
            "provider": str,
            "raw": str,
            "score": float,
            "detail": str,
            "fetched_at": str,
        },
        pk=("domain", "provider"),
        not_null={"domain", "provider", "fetched_at"},
    )
    db.table("page_facts").create(
        {"page_id": int, "facts": str, "updated_at": str},
        pk="page_id",
        foreign_keys=[("page_id", "pages", "id")],
    )
    db.table("contacts").create(
        {
            "id": int,
            "prospect_id": int,
            "email": str,
            "name": str,
            "kind": str,
            "source": str,
            "source_url": str,
            "confidence": float,
            "syntax_ok": int,
            "mx_ok": int,
            "form_url": str,
            "found_at": str,
        },
        pk="id",
        not_null={"prospect_id", "found_at"},
        foreign_keys=[("prospect_id", "prospects", "id")],
    )
    db.table("contacts").create_index(["prospect_id", "email", "form_url"], unique=True)
    db.table("mx_cache").create(
        {"domain": str, "ok": int, "detail": str, "checked_at": str}, pk="domain"
    )
    prospects = db.table("prospects")
    prospects.add_column("score", float)
    prospects.add_column("scores", str)  # JSON: every component with its evidence
    prospects.add_column("qualified_at", str)


def m005_outreach(db: Database) -> None:
    """Outreach: every pitch and follow-up as a message with its state and Message-ID."""
    db.table("messages").create(
        {
            "id": int,
            "prospect_id": int,
            "campaign": str,
            "step": int,  # 0 = the pitch, 1.. = follow-ups
            "template": str,
            "to_email": str,
            "to_name": str,
            "subject": str,
            "body_text": str,
            "body_html": str,
            # draft | approved | sending | sent | needs_review | failed | cancelled | rejected
            "state": str,
            "message_id": str,
            "in_reply_to": str,
            "refs": str,  # space-separated Message-IDs of the thread so far
            "unsubscribe_token": str,
            "mailbox": str,
            "date_header": str,
            "edited": int,
            "approved_by": str,
            "approved_at": str,
            "sending_at": str,
            "sent_at": str,
            "attempts": int,
            "next_attempt_at": str,
            "error": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"prospect_id", "campaign", "step", "state", "created_at"},
        defaults={"attempts": 0, "edited": 0},
        foreign_keys=[("prospect_id", "prospects", "id")],
    )
    db.table("messages").create_index(["prospect_id", "step"], unique=True)
    db.table("messages").create_index(["state"])
    db.table("messages").create_index(["message_id"], unique=True)
    db.table("messages").create_index(["unsubscribe_token"])


def m006_replies(db: Database) -> None:
    """Inbound mail: every message read over IMAP (classified, matched to our thread), and
    where the incremental sync of each mailbox stands."""
    db.table("replies").create(
        {
            "id": int,
            "mailbox": str,
            "uidvalidity": int,
            "uid": int,
            "message_id": str,  # the inbound mail's own Message-ID header
            "in_reply_to": str,
            "refs": str,
            "from_addr": str,
            "subject": str,
            "sent_date": str,  # its Date header (ISO)
            "kind": str,  # bounce | auto_reply | complaint | unsubscribe | reply
            "bounce_type": str,
            "status_code": str,
            "failed_recipients": str,  # JSON list
            "intent": str,
            "reply_text": str,
            "return_date": str,
            "evidence": str,  # JSON
            "matched_message": int,  # messages.id of our message it answers
            "prospect_id": int,
            "matched_by": str,  # in_reply_to | references | sender_subject | none
            "effect": str,  # what it changed, in words
            "processed_at": str,
        },
        pk="id",
        not_null={"mailbox", "uidvalidity", "uid", "kind", "processed_at"},
        foreign_keys=[("matched_message", "messages", "id"), ("prospect_id", "prospects", "id")],
    )
    db.table("replies").create_index(["mailbox", "uidvalidity", "uid"], unique=True)
    db.table("replies").create_index(["prospect_id"])
    db.table("imap_sync").create(
        {"mailbox": str, "uidvalidity": int, "last_uid": int, "synced_at": str},
        pk="mailbox",
    )


def m007_placements(db: Database) -> None:
    """Earned links and their checks; syndicated copies of our content and theirs."""
    db.table("placements").create(
        {
            "id": int,
            "campaign": str,
            "prospect_id": int,
            "url": str,  # the linking page (empty until known)
            "target": str,  # our page the link should point to
            "anchor": str,  # the anchor we expect, if any
            "source": str,  # reply | manual | import | reclaim
            "state": str,  # pending | live | downgraded | lost | unknown
            "misses": int,  # consecutive checks that did not find the link
            "last_checked_at": str,
            "live_since": str,
            "lost_at": str,
            "detail": str,  # JSON: the last check's summary
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"target", "source", "state", "created_at"},
        defaults={"misses": 0},
        foreign_keys=[("prospect_id", "prospects", "id")],
    )
    db.table("placements").create_index(["url", "target"], unique=True)
    db.table("placements").create_index(["prospect_id"])
    db.table("placement_checks").create(
        {
            "id": int,
            "placement_id": int,
            "checked_at": str,
            "outcome": str,  # live | downgraded | missing | inconclusive
            "page_verdict": str,
            "page_status": str,
            "http_status": int,
            "final_url": str,
            "evidence": str,  # JSON: redirects, robots, noindex, canonical, the link, diffs
            "run_id": int,
        },
        pk="id",
        not_null={"placement_id", "checked_at", "outcome"},
        foreign_keys=[("placement_id", "placements", "id"), ("run_id", "runs", "id")],
    )
    db.table("placement_checks").create_index(["placement_id", "checked_at"])
    db.table("syndicated_copies").create(
        {
            "id": int,
            "campaign": str,
            "url": str,
            "original": str,
            "require": str,  # canonical | noindex | canonical_or_noindex | none
            "attribution": int,  # an attribution link is required
            "source": str,  # campaign | manual
            "verdict": str,  # canonicalised | noindexed | attributed_only | missing_attribution
            "last_checked_at": str,
            "created_at": str,
        },
        pk="id",
        not_null={"url", "original", "source", "created_at"},
    )
    db.table("syndicated_copies").create_index(["url", "original"], unique=True)
    db.table("syndication_checks").create(
        {
            "id": int,
            "copy_id": int,
            "checked_at": str,
            "verdict": str,
            "ok": int,  # meets what the copy requires
            "evidence": str,  # JSON
            "run_id": int,
        },
        pk="id",
        not_null={"copy_id", "checked_at", "verdict"},
        foreign_keys=[("copy_id", "syndicated_copies", "id"), ("run_id", "runs", "id")],
    )
    db.table("syndication_checks").create_index(["copy_id", "checked_at"])


MIGRATIONS: list[Migration] = [
    m001_core,
    m002_discovery,
    m003_suppression,
    m004_qualify,
    m005_outreach,
    m006_replies,
    m007_placements,
]

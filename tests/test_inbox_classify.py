"""Inbound mail classification: bounces (hard vs soft), complaints, auto-replies, unsubscribes
and human replies (quote stripping, intent), and ``prospector inspect email``.

Every fixture in ``tests/mail_fixtures`` is synthetic, written for these tests in the style of
the format it imitates; no third-party mail is copied here.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from prospector.errors import UserError
from prospector.inbox.bounds import MAX_HEADER_CHARS, MAX_PARTS
from prospector.inbox.classify import Classification, classify
from prospector.inbox.dates import return_date
from prospector.inbox.intent import judge_intent, removal_request
from prospector.inbox.message import MailParseError, html_to_text, parse_mail
from prospector.inbox.quotes import strip_quotes
from prospector.inbox.reports import enhanced_codes
from prospector.inbox.severity import judge
from tests.cli_helpers import prospector

FIXTURES = Path(__file__).parent / "mail_fixtures"
CONTRACT = {
    "kind",
    "bounce_type",
    "failed_recipients",
    "status_code",
    "intent",
    "reply_text",
    "in_reply_to",
}


def load(name: str, **kwargs: bool) -> Classification:
    return classify((FIXTURES / name).read_bytes(), **kwargs)


def lower(addresses: list[str]) -> list[str]:
    return [a.lower() for a in addresses]


# --- bounces: delivery-status reports ---------------------------------------------------------


def test_a_dsn_for_an_unknown_user_is_a_hard_bounce_matched_to_our_pitch() -> None:
    got = load("dsn_hard_511.eml")
    assert got.kind == "bounce"
    assert got.bounce_type == "hard"
    assert got.status_code == "5.1.1"
    assert got.failed_recipients == ["jane@blog.example"]
    assert got.in_reply_to == "<pitch-1@prospector.ours.example>"  # from the returned headers
    assert got.intent is None and got.reply_text is None


def test_a_full_mailbox_is_a_soft_bounce() -> None:
    got = load("dsn_soft_522.eml")
    assert (got.kind, got.bounce_type, got.status_code) == ("bounce", "soft", "5.2.2")
    assert lower(got.failed_recipients) == ["tom@blog.example"]
    assert got.in_reply_to == "<pitch-2@prospector.ours.example>"  # the attached original


def test_a_policy_or_spam_rejection_is_soft_even_with_a_5xx_code() -> None:
    got = load("dsn_policy_571.eml")
    assert (got.kind, got.bounce_type) == ("bounce", "soft")
    assert got.status_code == "5.7.1"  # the diagnostic's specific code beats Status: 5.0.0
    assert got.failed_recipients == ["editor@news.example"]


def test_a_delayed_dsn_is_a_soft_bounce_with_its_4xx_code() -> None:
    got = load("dsn_delayed_447.eml")
    assert (got.kind, got.bounce_type, got.status_code) == ("bounce", "soft", "4.4.7")
    assert got.failed_recipients == ["ana@slow.example"]
    assert got.in_reply_to == "<pitch-4@prospector.ours.example>"


def test_a_delivery_success_report_is_not_a_bounce() -> None:
    got = load("dsn_success.eml")
    assert got.kind == "auto_reply"
    assert got.auto_reply_type == "delivery_report"
    assert got.bounce_type is None and got.failed_recipients == []
    assert got.in_reply_to == "<pitch-5@prospector.ours.example>"


# --- bounces: non-standard formats ------------------------------------------------------------


@pytest.mark.parametrize("use_flufl", [True, False], ids=["with-flufl", "own-extraction"])
def test_a_qmail_notice_is_a_hard_bounce_with_the_quoted_originals_message_id(
    use_flufl: bool,
) -> None:
    got = load("qmail.eml", use_flufl=use_flufl)
    assert (got.kind, got.bounce_type, got.status_code) == ("bounce", "hard", "5.1.1")
    assert got.failed_recipients == ["pat@host.example"]
    assert got.in_reply_to == "<pitch-6@prospector.ours.example>"


def test_an_exchange_ndr_for_a_recipient_not_found_is_hard() -> None:
    got = load("exchange_ndr.eml")
    assert (got.kind, got.bounce_type, got.status_code) == ("bounce", "hard", "5.1.10")
    assert got.failed_recipients == ["lee@corp.example"]
    assert got.in_reply_to == "<pitch-7@prospector.ours.example>"


def test_a_postfix_plain_text_notice_for_a_domain_that_does_not_exist_is_hard() -> None:
    got = load("postfix_plain.eml")
    assert (got.kind, got.bounce_type) == ("bounce", "hard")
    assert got.failed_recipients == ["kim@gone.example"]  # not the postmaster address
    assert got.in_reply_to == "<pitch-8@prospector.ours.example>"


def test_a_dns_lookup_failure_that_says_try_again_is_soft() -> None:
    data = (FIXTURES / "postfix_plain.eml").read_bytes()
    data = data.replace(b"type=MX: Host not found", b"type=MX: Host not found, try again")
    assert classify(data).bounce_type == "soft"


def test_an_exim_notice_names_its_failed_recipient_in_x_failed_recipients() -> None:
    data = (
        b"From: Mail Delivery System <Mailer-Daemon@mx.host.example>\n"
        b"To: sam@ours.example\nSubject: Mail delivery failed: returning message to sender\n"
        b"X-Failed-Recipients: gone@host.example\n\n"
        b"This message was created automatically by mail delivery software.\n\n"
        b"A message that you sent could not be delivered to one or more of its\n"
        b"recipients. This is a permanent error. The following address(es) failed:\n\n"
        b"  gone@host.example\n    mailbox is full: retry timeout exceeded\n"
    )
    got = classify(data)
    assert (got.kind, got.bounce_type) == ("bounce", "soft")
    assert got.failed_recipients == ["gone@host.example"]


def test_a_human_reply_that_mentions_a_failed_delivery_is_not_a_bounce() -> None:
    data = (
        b"From: Jo <jo@site.example>\nTo: sam@ours.example\nSubject: Re: Undelivered links\n\n"
        b"Your first email could not be delivered to my colleague, so I answer. Sure, add it.\n"
    )
    got = classify(data)
    assert (got.kind, got.intent) == ("reply", "positive")


# --- hard vs soft, the rules themselves -------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "text", "expected"),
    [
        (["5.0.0"], "550 Requested action not taken", "soft"),  # a 5.x.x code alone
        (["5.2.1"], "550 5.2.1 The email account that you tried to reach is disabled", "hard"),
        (["5.2.1"], "550 5.2.1 Mailbox blocked by policy", "soft"),
        (["5.3.0"], "553 5.3.0 <a@b.example>... No such user here", "hard"),
        (["5.1.6"], "recipient has moved", "hard"),
        (["4.2.2"], "452 4.2.2 user unknown? mailbox full", "soft"),  # any 4.x.x
        ([], "Sorry, no mailbox here by that name.", "hard"),
        ([], "This account is over quota.", "soft"),
        ([], "Message size exceeds fixed maximum message size", "soft"),
        ([], "Domain gone.example does not accept mail (nullMX)", "hard"),
        ([], "Unrouteable address", "hard"),
    ],
)
def test_hard_only_when_the_address_will_never_work(
    codes: list[str], text: str, expected: str
) -> None:
    assert judge(codes, text, delayed=False).bounce_type == expected


def test_a_delay_is_always_soft() -> None:
    assert judge(["5.1.1"], "user unknown", delayed=True).bounce_type == "soft"


def test_enhanced_codes_are_found_but_not_in_ip_addresses_or_versions() -> None:
    text = "host 192.0.2.10 (Exim 4.92.3) said: 550-5.7.1 blocked (#5.1.1) 8.12.2"
    assert enhanced_codes(text) == ["5.7.1", "5.1.1"]


# --- complaints -------------------------------------------------------------------------------


def test_an_arf_report_is_a_complaint_naming_the_original_recipient() -> None:
    got = load("arf_complaint.eml")
    assert got.kind == "complaint"
    assert got.feedback_type == "abuse"
    assert got.failed_recipients == ["reader@isp.example"]
    assert got.in_reply_to == "<pitch-9@prospector.ours.example>"
    assert got.bounce_type is None


# --- auto-replies -----------------------------------------------------------------------------


def test_an_rfc3834_auto_reply_gives_the_stated_return_date() -> None:
    got = load("autoreply_rfc3834.eml")
    assert got.kind == "auto_reply"
    assert got.auto_reply_type == "out_of_office"
    assert got.return_date == date(2026, 12, 14)
    assert got.in_reply_to == "<pitch-1@prospector.ours.example>"
    assert any("Auto-Submitted" in e for e in got.evidence)


def test_an_out_of_office_subject_is_enough_and_a_date_past_new_year_rolls_over() -> None:
    got = load("ooo_subject_only.eml")
    assert (got.kind, got.auto_reply_type) == ("auto_reply", "out_of_office")
    assert got.return_date == date(2027, 1, 5)  # sent 21 Dec 2026: "returning Jan 5th"


def test_an_out_of_office_body_without_auto_headers_is_an_auto_reply() -> None:
    got = load("ooo_body_only.eml")
    assert (got.kind, got.auto_reply_type) == ("auto_reply", "out_of_office")
    assert got.return_date == date(2026, 12, 14)  # "until 12/14"


def test_x_auto_response_suppress_alone_does_not_make_an_auto_reply() -> None:
    data = (
        b"From: tom@corp.example\nTo: sam@ours.example\nSubject: RE: Your link\n"
        b"X-Auto-Response-Suppress: All\n\nYes, go ahead.\n"
    )
    got = classify(data)
    assert (got.kind, got.intent) == ("reply", "positive")


def test_a_subject_word_from_our_own_pitch_is_not_an_out_of_office_cue() -> None:
    data = (
        b"From: tom@corp.example\nTo: sam@ours.example\n"
        b"Subject: Re: Vacation rentals resource page\n\nSounds good, added it.\n"
    )
    assert classify(data).kind == "reply"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on Monday 14 December.", date(2026, 12, 14)),
        ("I return on 2026-12-14.", date(2026, 12, 14)),
        ("Away until 12/14, limited email.", date(2026, 12, 14)),
        ("Back in the office on 14.12.2026", date(2026, 12, 14)),
        ("Returning Jan 5th.", date(2027, 1, 5)),
        ("I'll be back on Monday.", date(2026, 12, 7)),  # the next Monday after Wed 2 Dec
        ("I am out of the office.", None),
    ],
)
def test_return_dates_are_read_relative_to_the_message_date(
    text: str, expected: date | None
) -> None:
    assert return_date(text, date(2026, 12, 2)) == expected


# --- unsubscribes -----------------------------------------------------------------------------


def test_a_reply_asking_to_be_taken_off_the_list_is_an_unsubscribe() -> None:
    got = load("unsubscribe_reply.eml")
    assert got.kind == "unsubscribe"
    assert got.reply_text == "Please take me off your list."  # our quoted "STOP" is ignored
    assert got.in_reply_to == "<pitch-12@prospector.ours.example>"


def test_a_mail_to_our_unsubscribe_address_is_an_unsubscribe() -> None:
    assert load("unsubscribe_mailto.eml").kind == "unsubscribe"


def test_a_one_word_stop_is_an_unsubscribe() -> None:
    data = b"From: a@site.example\nTo: sam@ours.example\nSubject: Re: Hello\n\nSTOP\n"
    assert classify(data).kind == "unsubscribe"


def test_removal_requests_are_recognised_but_removing_a_link_is_not_one() -> None:
    assert removal_request("Please stop emailing me.") is not None
    assert removal_request("Do not contact us again") is not None
    assert removal_request("Can you remove the old link and add yours?") is None


# --- human replies: quote stripping -----------------------------------------------------------


def test_a_gmail_reply_loses_its_two_line_attribution_and_quote() -> None:
    got = load("reply_gmail_positive.eml")
    assert got.kind == "reply"
    assert got.reply_text == "Sure, happy to add it! I've updated the link on the page.\n\nJane"
    assert got.in_reply_to == "<pitch-1@prospector.ours.example>"
    assert got.references == [
        "<pitch-0@prospector.ours.example>",
        "<pitch-1@prospector.ours.example>",
    ]


def test_an_outlook_reply_is_cut_at_original_message() -> None:
    got = load("reply_outlook_negative.eml")
    assert (
        got.reply_text == "Thanks for reaching out, but we're not interested.\n\nTom Green | Editor"
    )


def test_an_outlook_header_block_and_get_outlook_signature_are_stripped() -> None:
    got = load("reply_outlook_header_positive.eml")
    assert got.reply_text == "No problem, added it."
    assert got.in_reply_to == "<pitch-13@prospector.ours.example>"  # last of References


def test_an_iphone_reply_loses_its_signature_and_quoted_attribution() -> None:
    got = load("reply_apple_question.eml")
    assert got.reply_text == "Sounds interesting. What's your rate for a sponsored post?"


def test_an_html_only_outlook_reply_is_turned_into_text_without_the_old_message() -> None:
    got = load("reply_html_neutral.eml")
    assert got.reply_text == "Thanks for reaching out, I'll take a look."
    assert got.intent == "neutral"


def test_a_german_reply_loses_its_signature_and_schrieb_attribution() -> None:
    got = load("reply_german_schrieb.eml")
    assert got.reply_text == "Danke, ich schaue es mir an. Grüße"


@pytest.mark.parametrize(
    "attribution",
    [
        "Le mar. 1 déc. 2026 à 10:00, Sam <sam@ours.example> a écrit :",
        "El mar, 1 dic 2026 a las 10:00, Sam (<sam@ours.example>) escribió:",
        "Op di 1 dec. 2026 om 10:00 schreef Sam <sam@ours.example>:",
    ],
)
def test_localised_attributions_are_stripped(attribution: str) -> None:
    assert strip_quotes(f"Merci !\n\n{attribution}\n> Bonjour\n") == "Merci !"


def test_bottom_posted_text_after_a_quote_is_kept() -> None:
    text = "On 01/12/2026 10:00, Sam wrote:\n> Would you add our guide?\nYes, done.\n"
    assert strip_quotes(text) == "Yes, done."


def test_html_quotes_become_one_cut_marker() -> None:
    html = '<div>Hi!</div><div class="gmail_quote">On Tue wrote:<blockquote>old</blockquote></div>'
    assert strip_quotes(html_to_text(html)) == "Hi!"


# --- human replies: intent --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sure, happy to add it!", "positive"),
        ("No problem, added it.", "positive"),  # "no" that is not a refusal
        ("Go ahead and send it over.", "positive"),
        ("Thanks, but we're not interested.", "negative"),  # "interested" under negation
        ("No thanks.", "negative"),
        ("We don't accept guest posts, sorry.", "negative"),
        ("I won't be adding links this year.", "negative"),
        ("We are not happy to add links.", "negative"),
        ("Can you send the draft?", "question"),
        ("Do you pay for placements?", "question"),
        ("Sure. Our fee is $150 per link.", "question"),  # asking for payment
        ("Thanks, I'll take a look.", "neutral"),
    ],
)
def test_intent_is_judged_on_weighted_cues_with_negation(text: str, expected: str) -> None:
    assert judge_intent(text).intent == expected


def test_a_reply_reports_the_cues_behind_its_intent() -> None:
    got = load("reply_outlook_negative.eml")
    assert got.intent == "negative"
    assert any("not interested" in e for e in got.evidence)


def test_a_payment_question_is_a_question() -> None:
    got = load("reply_apple_question.eml")
    assert (got.kind, got.intent) == ("reply", "question")


# --- robustness -------------------------------------------------------------------------------


def test_an_unknown_charset_is_decoded_with_replacement_not_a_crash() -> None:
    got = load("broken_charset.eml")
    assert got.kind == "reply"
    assert got.reply_text is not None and got.reply_text.startswith("Caf")


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"hello world, this is not a mail\n"],
    ids=["empty", "binary", "plain-text"],
)
def test_bytes_that_are_not_a_mail_are_refused_as_a_user_error(data: bytes) -> None:
    with pytest.raises(MailParseError) as raised:
        classify(data)
    assert isinstance(raised.value, UserError)
    assert raised.value.exit_code == 2


# --- the CLI ----------------------------------------------------------------------------------


def test_inspect_email_json_follows_the_contract() -> None:
    result = prospector("inspect", "email", "--json", str(FIXTURES / "dsn_hard_511.eml"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= CONTRACT
    assert data["kind"] == "bounce"
    assert data["bounce_type"] == "hard"
    assert data["failed_recipients"] == ["jane@blog.example"]
    assert data["status_code"] == "5.1.1"
    assert data["in_reply_to"] == "<pitch-1@prospector.ours.example>"
    assert data["intent"] is None and data["reply_text"] is None
    assert isinstance(data["evidence"], list) and data["evidence"]


def test_inspect_email_prints_a_readable_summary_without_json() -> None:
    result = prospector("inspect", "email", str(FIXTURES / "reply_gmail_positive.eml"))
    assert result.returncode == 0, result.stderr
    assert "reply, intent positive" in result.stdout
    assert "I've updated the link" in result.stdout
    assert "wrote:" not in result.stdout


def test_inspect_email_on_a_binary_file_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    result = prospector("inspect", "email", "--json", str(binary))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "not an email" in lines[0]


def test_inspect_email_on_a_missing_file_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    result = prospector("inspect", "email", str(tmp_path / "nope.eml"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr


# -- mail built to make the parser work for minutes -----------------------------------------------

_HEAD = b"From: Grace <grace@b.example>\r\nTo: outreach@soilsmith.example\r\nMIME-Version: 1.0\r\n"
_THANKS = b"\r\n\r\nThanks, happy to add your guide to the page!\r\n"
PARSER_BOMBS = {
    # before the bounds: minutes of CPU each (quadratic in the header, or a dozen parses a part)
    "encoded words in the subject": _HEAD + b"Subject: " + b"=?utf-8?q?a?= " * 280_000 + _THANKS,
    "folded encoded words": _HEAD + b"Subject: " + b"=?utf-8?q?a?=\r\n " * 100_000 + _THANKS,
    "content-type parameters": _HEAD
    + b"Subject: Re: your guide\r\nContent-Type: text/plain; "
    + b"a=b; " * 300_000
    + _THANKS,
    "parameters in a part": _HEAD
    + b"Subject: Re: your guide\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
    + b"Content-Type: text/plain; "
    + b"a=b; " * 300_000
    + _THANKS
    + b"--z--\r\n",
    "a hundred thousand parts": _HEAD
    + b"Subject: Re: your guide\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
    + b"--z\r\nContent-Type: text/plain\r\n\r\nThanks, happy to add your guide!\r\n" * 100_000
    + b"--z--\r\n",
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(PARSER_BOMBS))
def test_a_mail_built_to_stall_the_parser_is_read_within_bounds(name: str) -> None:
    data = PARSER_BOMBS[name]
    parsed = parse_mail(data)
    for part in parsed.msg.walk():
        assert all(len(str(value)) <= MAX_HEADER_CHARS for _, value in part.raw_items())
    assert sum(1 for _ in parsed.msg.walk()) <= MAX_PARTS
    mail = classify(data)
    assert mail.kind == "reply" and mail.sender == "grace@b.example"
    assert "thanks, happy to add your guide" in (mail.reply_text or "").lower()

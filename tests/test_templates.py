"""Pitch templates: the shipped ones render; every mistake names the template file and line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from prospector.campaigns import load_campaign
from prospector.errors import TemplateError
from prospector.outreach.templates import (
    VARIABLES,
    Draft,
    check_template,
    find_placeholders,
    format_draft,
    load_template,
    parse_draft,
    sample_context,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
SHIPPED = [
    ("broken_link.j2", "broken_link"),
    ("resource_page.j2", "resource_page"),
    ("guest_post.j2", "guest_post"),
    ("followup_1.j2", "followup"),
    ("followup_2.j2", "followup"),
]


def write(tmp_path: Path, text: str, name: str = "pitch.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, context: dict[str, Any] | None = None) -> str:
    """The one-line message of rendering ``path`` (or loading it, if that already fails)."""
    with pytest.raises(TemplateError) as caught:
        load_template(path).render(context or sample_context("resource_page"))
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- the shipped templates -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "role"), SHIPPED)
def test_shipped_templates_render_against_the_samples(name: str, role: str) -> None:
    template = check_template(TEMPLATES / name, role)
    context = sample_context(role)
    draft = template.render(context)
    assert draft.subject and "\n" not in draft.subject
    assert draft.text.startswith("Hi Maria,")
    sender, unsubscribe = context["sender"], context["unsubscribe"]
    assert draft.text.endswith(
        f"{sender['name']}\n{sender['postal_address']}\nTo stop hearing from me: {unsubscribe['url']}"
    )
    if role == "followup":
        assert draft.subject == f"Re: {context['original']['subject']}"
    assert (draft.html is not None) == (name == "broken_link.j2")


def test_broken_link_without_wayback_anchor_or_names_still_reads_well() -> None:
    context = sample_context("broken_link")
    context["wayback"] = None
    context["dead_link"] = {**context["dead_link"], "anchor": ""}
    context["contact"].update(name="", first_name="")
    context["page"]["title"] = ""
    context["unsubscribe"]["url"] = ""
    draft = load_template(TEMPLATES / "broken_link.j2").render(context)
    assert draft.subject == "A broken link on greenthumbgazette.example"
    assert draft.text.startswith("Hi there,\n\nI was reading https://greenthumbgazette.example/")
    assert "no longer works.\n\nWe published" in draft.text
    assert '("' not in draft.text and "used to point" not in draft.text
    assert draft.text.endswith(f"To stop hearing from me: {context['unsubscribe']['mailto']}")


def test_broken_link_html_part_mentions_the_archived_title() -> None:
    draft = load_template(TEMPLATES / "broken_link.j2").render(sample_context("broken_link"))
    assert draft.html is not None and draft.html.startswith("<p>Hi Maria,</p>")
    assert 'It used to point to "Bokashi basics: fermenting kitchen scraps".' in draft.html


def test_sample_context_has_every_documented_variable() -> None:
    for role in ("broken_link", "resource_page", "guest_post", "followup"):
        assert set(sample_context(role)) == set(VARIABLES)
    assert sample_context("resource_page")["dead_link"] is None
    assert sample_context("guest_post")["dead_links"] == []
    assert sample_context("followup")["followup"] == {"step": 1, "after_days": 5}


# --- errors name the file and line ---------------------------------------------------------


def test_undefined_attribute_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi,\n\nI read {{ page.titel }} today.\n")
    assert refused(path) == (
        f"{path}:5: undefined variable 'page.titel' (did you mean 'page.title'?)"
    )


def test_undefined_attribute_of_a_loop_variable_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Subject: Hello\n\nHi,\n{% for d in dead_links %}\n- {{ d.ancor }}\n{% endfor %}\n",
    )
    message = refused(path, sample_context("broken_link"))
    assert message == f"{path}:5: undefined variable 'd.ancor' (did you mean 'd.anchor'?)"


def test_attribute_of_a_variable_that_is_none_says_to_test_it_first(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi,\n\nYour link {{ dead_link.url }} is dead.\n")
    message = refused(path)  # a resource-page prospect: dead_link is None
    assert message.startswith(f"{path}:5: undefined variable 'dead_link.url' (dead_link is None")
    assert "{% if dead_link %}" in message


def test_printing_none_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi,\nArchived: {{ wayback }}\n")
    assert refused(path) == f"{path}:4: 'wayback' is None here; test it first: {{% if wayback %}}"


def test_typo_in_a_branch_the_samples_skip_is_caught_by_check_template(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Subject: Hello\n\nHi,\n{% if followup and followup.step > 7 %}\n"
        "{{ original.subjetc }}\n{% endif %}\n",
    )
    load_template(path)  # compiles: the lookup is only checked against the samples
    with pytest.raises(TemplateError) as caught:
        check_template(path, "followup")
    assert str(caught.value) == (
        f"{path}:5: undefined variable 'original.subjetc' (did you mean 'original.subject'?)"
    )


def test_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi,\n\n{% if page.title %}\nno end\n")
    with pytest.raises(
        TemplateError, match=rf"^{path}:6: syntax error: Unexpected end of template"
    ):
        load_template(path)


def test_unknown_filter_is_refused_at_load(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi,\n{{ page.title | shout }}\n")
    with pytest.raises(TemplateError, match=rf"^{path}:4: syntax error: No filter named 'shout'"):
        load_template(path)


def test_unknown_top_level_variable_is_refused_at_load(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello {{ page.title }}\n\nHi,\n\nSee {{ pgae.url }}.\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:5: unknown variable 'pgae' (did you mean 'page'?) (known: ")
    assert "replacement" in message


def test_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=rf"^{tmp_path / 'nope.j2'}: not found$"):
        load_template(tmp_path / "nope.j2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1: empty; the first line must be 'Subject: ...'"),
        ("\nTo: someone@example.com\n\nHi\n", "2: the first line must be 'Subject: ...', not a 'To:' header"),
        ("Subject: Hi\nBcc: spy@example.com\n\nHi\n", "2: only the Subject header may be set; 'Bcc:' is not allowed"),
        ("Subject: Hi\n  continued\n\nHi\n", "2: the subject must be one line"),
        ("Subject: Hi\nHello there\n", "2: a blank line must separate the subject from the body"),
        ("Subject: Hi\n\n\n", "3: the body is empty"),
        ("Subject: Hi\n\nHi\n--- html ---\n\n", "4: the html part is empty"),
        ("Subject: Hi\n\nHi\n--- html ---\n<p>a</p>\n--- html ---\n", "6: only one '--- html ---' line"),
    ],
)  # fmt: skip
def test_file_format_mistakes_name_the_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert str(caught.value).startswith(f"{path}:{expected}")


def test_html_part_errors_name_the_line_in_the_file(tmp_path: Path) -> None:
    body = "Subject: Hello\n\nHi,\n\nplain\n--- html ---\n<p>Hi,</p>\n\n<p>{{ page.titel }}</p>\n"
    path = write(tmp_path, body)
    assert refused(path).startswith(f"{path}:9: undefined variable 'page.titel'")
    path = write(tmp_path, body.replace("{{ page.titel }}", "{% if %}"))
    with pytest.raises(TemplateError, match=rf"^{path}:9: syntax error"):
        load_template(path)
    path = write(tmp_path, body.replace("page.titel", "sendr.name"))
    with pytest.raises(TemplateError, match=rf"^{path}:9: unknown variable 'sendr'"):
        load_template(path)


def test_html_part_escapes_values_and_the_text_part_keeps_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Subject: About {{ page.title }}\n\nRead {{ page.title }}\n--- html ---\n"
        '<p>Read <a href="{{ page.url }}">{{ page.title }}</a></p>\n',
    )
    context = sample_context("resource_page")
    context["page"]["title"] = "Tips <script>alert(1)</script> & tricks"
    context["page"]["url"] = 'https://x.example/?a=1&b="2"'
    draft = load_template(path).render(context)
    assert draft.text == "Read Tips <script>alert(1)</script> & tricks"
    assert draft.html == (
        '<p>Read <a href="https://x.example/?a=1&amp;b=&#34;2&#34;">'
        "Tips &lt;script&gt;alert(1)&lt;/script&gt; &amp; tricks</a></p>"
    )


@pytest.mark.parametrize(
    "expression",
    [
        "''.__class__.__mro__[1].__subclasses__()",
        "page.__init__.__globals__",
        "campaign.keywords.append('spam')",
        "page.update(title='x')",
        "dead_links.__class__",
    ],
)
def test_sandbox_escapes_are_refused_with_the_line(tmp_path: Path, expression: str) -> None:
    path = write(tmp_path, f"Subject: Hello\n\nHi,\n{{{{ {expression} }}}}\n")
    assert refused(path).startswith(f"{path}:4: not allowed: access to attribute ")


def test_any_other_rendering_failure_is_one_line_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi,\n\n{{ followup.step / 0 if False else 1 / 0 }}\n")
    assert refused(path) == f"{path}:5: ZeroDivisionError: division by zero"


def test_subject_with_line_breaks_from_a_page_title_becomes_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: About {{ page.title }}\n\nHi\n")
    context = sample_context("resource_page")
    context["page"]["title"] = "Compost\r\nBcc: spy@example.com\x00\t tips\u2028more"
    assert load_template(path).render(context).subject == (
        "About Compost Bcc: spy@example.com tips more"
    )


def test_empty_subject_or_body_after_rendering_is_refused(tmp_path: Path) -> None:
    context = sample_context("resource_page")
    context["page"]["title"] = ""
    path = write(tmp_path, "Subject: {{ page.title }}\n\nHi\n")
    assert refused(path, context) == f"{path}:1: the subject is empty after rendering"
    path = write(tmp_path, "Subject: Hi\n\n{{ page.title }}\n")
    assert refused(path, context) == f"{path}:3: the text body is empty after rendering"


def test_leftover_placeholder_in_the_template_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "Subject: Hello\n\nHi {{ contact.first_name }},\n\nRegards,\n[Your Name]\n"
    )
    assert refused(path) == f"{path}:6: leftover placeholder '[Your Name]' in the draft"


def test_leftover_placeholder_in_the_html_part_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi\n--- html ---\n<p>Hi</p>\n<p>TODO: sign</p>\n")
    assert refused(path) == f"{path}:6: leftover placeholder 'TODO' in the draft"


def test_leftover_placeholder_from_a_value_names_where_the_value_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi,\n\nAbout {{ replacement.summary }}\n")
    context = sample_context("resource_page")
    context["replacement"]["summary"] = "A guide for {first_name} and friends."
    assert refused(path, context) == (
        f"{path}:5: leftover placeholder '{{first_name}}' in the draft (from replacement.summary)"
    )


def test_check_template_renders_the_sparse_variant_too(tmp_path: Path) -> None:
    path = write(tmp_path, "Subject: Hello\n\nHi {{ contact.name[0] }}.,\n")
    assert load_template(path).render(sample_context("guest_post")).text == "Hi M.,"
    with pytest.raises(TemplateError, match=rf"^{path}:3: undefined variable 'contact.name\[0\]'"):
        check_template(path, "guest_post")  # the variant whose contact has no name
    path = write(tmp_path, "Subject: Hello\n\n{{ wayback.title }}\n")
    with pytest.raises(TemplateError, match=rf"^{path}:3: undefined variable 'wayback.title'"):
        check_template(path, "broken_link")  # the variant without a wayback snapshot


# --- leftover placeholders -----------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "{{ page.title }}", "{% if x %}", "[Name]", "[First Name]", "[Your Name]", "[Company]",
        "[Website]", "[URL]", "[Link]", "[Topic]", "[insert link here]",
        "[Insert a short description of the resource]", "[FirstName]", "[recipient's name]",
        "[Anchor Text]", "[Date]", "[keyword]", "{first_name}", "{ name }", "%FIRSTNAME%",
        "%first_name%", "<<Company>>", "TODO", "TBD", "FIXME", "Lorem ipsum",
    ],
)  # fmt: skip
def test_placeholders_are_found(token: str) -> None:
    assert find_placeholders(f"Hello,\nsee {token} here.\n") == [(2, token)]


@pytest.mark.parametrize(
    "text",
    [
        "Composting guide [PDF]",
        "As shown in [1] and [23].",
        "He wrote 'their' [sic] twice.",
        "Spring update [Updated 2024]",
        "Watch [Video] now",
        "See [our guide](https://soilsmith.example/guide) for more.",
        "https://x.example/caf%C3%A9s%20ABC%20x and 50% off, 20% more",
        "Todo sobre compost",
        "A long bracket [this is not a name of anything really]",
        "Styles: p {margin: 0} and a { color: red }",
    ],
)
def test_ordinary_text_is_not_a_placeholder(text: str) -> None:
    assert find_placeholders(text) == []


# --- the edit format -----------------------------------------------------------------------


def test_format_and_parse_draft_round_trip() -> None:
    for draft in (
        Draft("A broken link on Compost tips", "Hi Maria,\n\n  indented\n\nSam"),
        Draft("Hello", "Body", "<p>Body</p>\n<p>more</p>"),
    ):
        text = format_draft(draft)
        assert parse_draft(text, "edit.txt") == draft
        assert format_draft(parse_draft(text, "edit.txt")) == text
    assert format_draft(Draft("S", "T", "<p>H</p>")) == "Subject: S\n\nT\n--- html ---\n<p>H</p>\n"


def test_parse_draft_normalises_what_editors_do() -> None:
    edited = "\r\nSubject:   Hello  \r\n\r\n\r\nHi,\r\n\r\nthere\r\n\r\n"
    assert parse_draft(edited, "e.txt") == Draft("Hello", "Hi,\n\nthere")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi,\n\nno subject\n", "e.txt:1: the first line must be 'Subject: ...'"),
        ("Subject: Hi\nBcc: spy@example.com\n\nHi\n", "e.txt:2: only the Subject header may be set; 'Bcc:' is not allowed"),
        ("Subject: Hi\rBcc: spy@example.com\n\nHi\n", "e.txt:2: only the Subject header may be set; 'Bcc:' is not allowed"),
        ("Subject: Hi\x0bthere\n\nHi\n", "e.txt:1: the subject contains control characters"),
        ("Subject:\n\nHi\n", "e.txt:1: the subject is empty"),
        ("Subject: Hi\n\n   \n\n", "e.txt:3: the body is empty"),
        ("Subject: Hi\n\nHi [First Name],\n", "e.txt:3: leftover placeholder '[First Name]'"),
        ("Subject: Hi\n\nHi,\n\nsee {{ page.url }}\n", "e.txt:5: leftover placeholder '{{ page.url }}'"),
        ("Subject: Hi\n\nHi\n--- html ---\n<p>[Name]</p>\n", "e.txt:5: leftover placeholder '[Name]'"),
        ("Subject: Hi [Company]\n\nHi\n", "e.txt:1: leftover placeholder '[Company]'"),
    ],
)  # fmt: skip
def test_parse_draft_errors_name_the_line(text: str, expected: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_draft(text, "e.txt")
    assert str(caught.value) == expected


# --- campaigns -----------------------------------------------------------------------------

CAMPAIGN = """
name = "spring"
keywords = ["compost"]
opportunity_types = ["resource_page", "broken_link"]
[[targets]]
url = "https://soilsmith.example/guides/hot-composting"
title = "Hot composting"
summary = "A guide."
[[followups]]
after_days = 4
template = "followup_1.j2"
"""


@pytest.fixture
def campaign_dirs(tmp_path: Path) -> tuple[Path, Path]:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    path = tmp_path / "spring.toml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    return path, templates


def test_campaign_with_valid_templates_loads(campaign_dirs: tuple[Path, Path]) -> None:
    path, templates = campaign_dirs
    assert load_campaign(path, templates).name == "spring"


@pytest.mark.parametrize(
    ("name", "old", "new", "line", "what"),
    [
        ("resource_page.j2", "{{ page.url }}", "{{ page.ulr }}", 5, "undefined variable 'page.ulr'"),
        ("broken_link.j2", "{% endif %} no longer", "{% endfi %} no longer", 6, "syntax error"),
        ("broken_link.j2", "<p>Either way", "<p>[Insert a line here] Either way", 34, "leftover placeholder"),
        ("followup_1.j2", "{{ sender.name }}", "{{ sendr.name }}", 7, "unknown variable 'sendr'"),
        ("followup_1.j2", "Hi {{ contact.first_name", "Hi {{ dead_link.anchor }} {{ contact.first_name", 3, "undefined variable 'dead_link.anchor' (dead_link is None"),
    ],
)  # fmt: skip
def test_campaign_whose_template_has_an_error_is_refused_at_load(
    campaign_dirs: tuple[Path, Path], name: str, old: str, new: str, line: int, what: str
) -> None:
    path, templates = campaign_dirs
    template = templates / name
    text = template.read_text(encoding="utf-8")
    assert old in text
    template.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_campaign(path, templates)
    assert str(caught.value).startswith(f"{template}:{line}: {what}")

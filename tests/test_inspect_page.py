"""`prospector inspect page`: the JSON contract, FILE mode without network, page types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prospector.demo.server import DemoWeb
from tests.cli_helpers import prospector

pytestmark = pytest.mark.browser
CONTRACT = {
    "url",
    "final_url",
    "title",
    "canonical",
    "canonical_rendered",
    "noindex",
    "links",
    "emails",
    "page_type",
    "page_type_signals",
}


def demo_config(web: DemoWeb, tmp_path: Path) -> Path:
    resolve = "\n".join(f'"{k}" = "{v}"' for k, v in web.resolve_map().items())
    path = tmp_path / "p.toml"
    path.write_text(
        f'database = "p.db"\n[network]\nca_bundle = "{web.ca_pem_path}"\n'
        f"[network.resolve]\n{resolve}\n[fetch]\nmin_host_gap_s = 0.0\n"
    )
    return path


def test_a_file_is_read_as_if_served_from_the_base_url_with_no_network(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><title>T</title><link rel="canonical" href="/canonical">'
        '<meta name="robots" content="noindex"><link rel="stylesheet" '
        'href="https://soilsmith.example/style.css"></head><body><main><p>Text '
        '<a href="/relative">relative</a> <a rel="nofollow sponsored" '
        'href="https://soilsmith.example/x">ours</a> <span style="display:none">'
        '<a href="https://hidden.example/">hidden</a></span></p></main>'
        '<script>document.querySelector("main").insertAdjacentHTML("beforeend",'
        '"<a href=\\"https://soilsmith.example/js\\">js</a>")</script></body></html>'
    )
    demo_web.clear_hits()
    result = prospector(
        "--config",
        str(demo_config(demo_web, tmp_path)),
        "inspect",
        "page",
        "--json",
        "--base-url",
        "http://fakehost/test/page.html",
        str(page),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= CONTRACT
    links = {link["href"]: link for link in report["links"]}
    assert "http://fakehost/relative" in links
    assert links["https://soilsmith.example/x"]["rel"] == ["nofollow", "sponsored"]
    assert links["https://hidden.example/"]["visible"] is False
    assert "https://soilsmith.example/js" in report["rendered_only_links"]
    assert report["canonical"] == "http://fakehost/canonical" and report["noindex"] is True
    assert demo_web.hits == []  # rendering a file fetched nothing


@pytest.mark.integration
@pytest.mark.parametrize(
    ("path", "page_type"),
    [("/resources/", "resource_page"), ("/write-for-us/", "guest_post"), ("/about/", "other")],
)
def test_page_types_of_live_pages(
    demo_web: DemoWeb, tmp_path: Path, path: str, page_type: str
) -> None:
    result = prospector(
        "--config",
        str(demo_config(demo_web, tmp_path)),
        "inspect",
        "page",
        "--json",
        f"https://compostcorner.example{path}",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= CONTRACT
    assert report["page_type"] == page_type
    assert report["page_type_signals"]


def test_an_unreachable_url_is_one_line_and_non_zero(tmp_path: Path) -> None:
    result = prospector("inspect", "page", "--json", "http://10.9.8.7/", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: http://10.9.8.7/: forbidden")
    assert len(result.stderr.strip().splitlines()) == 1

"""Data Docs served through the dashboard: the site's pages listed, one page made
self-contained (local assets inlined, links inert), nothing outside the site ever read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posaudit.dashboards import data_docs
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.dashboard_app import login

RUN = "validations/incoming/pos_journal/__none__/20261206T222415.290349Z/posaudit-batches.html"
OLDER = "validations/incoming/pos_journal/__none__/20261205T080000.000000Z/posaudit-batches.html"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "local_site"
    (root / "static" / "styles").mkdir(parents=True)
    (root / "static" / "images").mkdir(parents=True)
    (root / "static" / "styles" / "own.css").write_text("body { color: #123456; }")
    (root / "static" / "images" / "logo.png").write_bytes(b"\x89PNG-logo")
    (root / "static" / "app.js").write_text("var docs = 1; // </script> inside")
    (root / "index.html").write_text(
        '<html><head><link rel="shortcut icon" href="./static/images/favicon.ico"/>'
        '<link rel="stylesheet" href="./static/styles/own.css">'
        '<link rel="stylesheet" href="https://cdn.example.org/bootstrap.css">'
        '<script src="./static/app.js"></script>'
        '<script src="https://cdn.example.org/jquery.js"></script></head>'
        '<body><img src="./static/images/logo.png"><a href="expectations/pos_journal.html">'
        'pos_journal</a><a href="#top">top</a><a href="https://greatexpectations.io">GX</a>'
        '<img src="../secret.png"></body></html>')
    for rel in (RUN, OLDER, "expectations/pos_journal.html"):
        page = root / rel
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<html><body>{rel}</body></html>")
    (tmp_path / "secret.png").write_bytes(b"not for the browser")
    return root


def test_the_pages_of_the_site_index_first_then_newest_validations(site: Path) -> None:
    found = data_docs.pages(site)
    assert [p.path for p in found] == ["index.html", RUN, OLDER, "expectations/pos_journal.html"]
    assert found[1] == data_docs.DocPage(RUN, data_docs.VALIDATION, "incoming.pos_journal",
                                         "2026-12-06T22:24:15+00:00")
    assert found[3].kind == data_docs.SUITE and found[3].name == "pos_journal"
    assert data_docs.pages(site / "nowhere") == []


def test_a_page_is_served_self_contained(site: Path) -> None:
    page = data_docs.render(site, "index.html")
    assert page is not None
    assert "<style>\nbody { color: #123456; }\n</style>" in page
    assert "var docs = 1; // <\\/script> inside" in page
    assert "data:image/png;base64," in page
    assert "favicon" not in page and "./static/" not in page
    # What comes from the web stays a web address; links to other pages lead nowhere.
    assert 'href="https://cdn.example.org/bootstrap.css"' in page
    assert '<script src="https://cdn.example.org/jquery.js"></script>' in page
    assert 'href="#" data-docs-page="expectations/pos_journal.html"' in page
    assert 'href="#top"' in page and 'href="https://greatexpectations.io"' in page
    assert "bm90IGZvciB0aGUgYnJvd3Nlcg" not in page  # the file outside the site


@pytest.mark.parametrize("rel", ["../secret.png", "../../etc/passwd", "/etc/passwd",
                                 "static/styles/own.css", "missing.html"])
def test_nothing_outside_the_sites_pages_is_served(site: Path, rel: str) -> None:
    assert data_docs.render(site, rel) is None


@pytest.mark.slow
def test_the_data_quality_page_serves_the_docs_only_after_login(
        make_case_app: Callable[..., AppTest], case_warehouse: Path, built: Built) -> None:
    # The case warehouse shares the session's snapshot; give it the session's Data Docs too.
    dq = Warehouse.at(built.warehouse).dq_dir
    (case_warehouse / dq.name).symlink_to(dq)
    index = Warehouse.at(case_warehouse).data_docs_index
    assert index.is_file()

    at = make_case_app("data_quality")  # not logged in: the page asks for a login first
    assert not at.exception
    assert served(at) == []
    assert not any("Expectation" in m.value for m in at.markdown)

    login(at, "aud")
    assert not at.exception, [e.value for e in at.exception]
    (page,) = served(at)
    assert "file://" not in page and str(index.parent) not in page
    assert 'data-docs-page="' in page  # the index, its links to other pages made inert
    choice = at.selectbox(key="dq_docs_page")
    assert choice.value == "index.html" and choice.options[0] == "Overview of every validation"
    suite = next(p for p in data_docs.pages(index.parent) if p.kind == data_docs.SUITE)
    choice.set_value(suite.path).run()
    (page,) = served(at)
    assert suite.name.split(".")[-1] in page and page != ""


def served(at: AppTest) -> list[str]:
    """The HTML documents the page embeds."""
    return [el.proto.srcdoc for el in at.get("iframe")]

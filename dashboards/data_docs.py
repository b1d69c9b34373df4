"""The Great Expectations Data Docs site, served through the dashboard.

The refresh builds the site under the warehouse (``W/dq/gx/uncommitted/data_docs/local_site``);
a browser elsewhere cannot open that folder. The Data quality page lists the site's pages and
embeds the chosen one as a self-contained document: its local stylesheets, scripts and images
inlined, links to other pages of the site made inert (the page list replaces them). Only files
inside the site are ever read. Plain Python (no Streamlit), so every rule here is testable
alone.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

INDEX, VALIDATION, SUITE = "index", "validation", "suite"
# GX names a run's folder by its UTC time: 20261206T222415.290349Z.
_RUN_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})")
_LINK_CSS = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_SCRIPT_SRC = re.compile(r"<script\b([^>]*?)\bsrc=[\"']([^\"']+)[\"']([^>]*)>\s*</script>",
                         re.IGNORECASE)
_IMG_SRC = re.compile(r"(<img\b[^>]*?\bsrc=)[\"']([^\"']+)[\"']", re.IGNORECASE)
_HREF = re.compile(r"\bhref=[\"']([^\"']+)[\"']", re.IGNORECASE)
_ATTR = re.compile(r"\b(rel|href)=[\"']([^\"']*)[\"']", re.IGNORECASE)


@dataclass(frozen=True)
class DocPage:
    path: str  # relative to the site, with forward slashes
    kind: str  # INDEX, VALIDATION or SUITE
    name: str  # the suite
    run_time: str | None = None  # a validation's run, "2026-12-06T22:24:15+00:00"


def pages(site: Path) -> list[DocPage]:
    """The site's pages: the index, then validations (newest run first), then suites."""
    if not (site / "index.html").is_file():
        return []
    found = [DocPage("index.html", INDEX, "")]
    validations: list[DocPage] = []
    suites: list[DocPage] = []
    for file in site.rglob("*.html"):
        parts = file.relative_to(site).parts
        rel = "/".join(parts)
        if parts[0] == "validations" and len(parts) >= 5:
            validations.append(DocPage(rel, VALIDATION, ".".join(parts[1:-3]),
                                       _run_time(parts[-2])))
        elif parts[0] == "expectations" and len(parts) >= 2:
            suites.append(DocPage(rel, SUITE, ".".join((*parts[1:-1], Path(parts[-1]).stem))))
    validations.sort(key=lambda p: (p.run_time or "", p.name), reverse=True)
    suites.sort(key=lambda p: p.name)
    return found + validations + suites


def _run_time(folder: str) -> str | None:
    match = _RUN_TIME.match(folder)
    if not match:
        return None
    y, mo, d, h, mi, s = match.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}+00:00"


def inside(site: Path, rel: str) -> Path | None:
    """``rel`` as a file of the site; None for anything outside it (``..``, absolute paths,
    links out of the folder) or not there."""
    root = site.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


def render(site: Path, rel: str) -> str | None:
    """One page of the site as a self-contained HTML document; None when it is not a page of
    the site."""
    file = inside(site, rel)
    if file is None or file.suffix != ".html":
        return None
    folder = file.parent
    text = file.read_text(encoding="utf-8", errors="replace")
    text = _LINK_CSS.sub(lambda m: _inline_link(site, folder, m.group(0)), text)
    text = _SCRIPT_SRC.sub(lambda m: _inline_script(site, folder, m), text)
    text = _IMG_SRC.sub(lambda m: m.group(1) + '"' + _data_uri(site, folder, m.group(2)) + '"',
                        text)
    return _HREF.sub(lambda m: _inert_link(m.group(0), m.group(1)), text)


def _local(url: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^#", url, re.IGNORECASE)


def _resolve(site: Path, folder: Path, url: str) -> Path | None:
    if not _local(url):
        return None
    path = url.split("#", 1)[0].split("?", 1)[0]
    try:
        rel = str((folder / path).resolve().relative_to(site.resolve()))
    except ValueError:
        return None
    return inside(site, rel)


def _inline_link(site: Path, folder: Path, tag: str) -> str:
    attrs = {k.lower(): v for k, v in _ATTR.findall(tag)}
    href = attrs.get("href", "")
    if not _local(href):
        return tag  # a stylesheet from a CDN: the browser fetches it as from the file
    if "stylesheet" not in attrs.get("rel", "").lower():
        return ""  # a local icon: nothing to show in an embedded page
    file = _resolve(site, folder, href)
    if file is None:
        return ""
    return f"<style>\n{file.read_text(encoding='utf-8', errors='replace')}\n</style>"


def _inline_script(site: Path, folder: Path, match: re.Match[str]) -> str:
    src = match.group(2)
    if not _local(src):
        return match.group(0)
    file = _resolve(site, folder, src)
    if file is None:
        return ""
    code = file.read_text(encoding="utf-8", errors="replace").replace("</script", "<\\/script")
    return f"<script{match.group(1)}{match.group(3)}>\n{code}\n</script>"


def _data_uri(site: Path, folder: Path, src: str) -> str:
    if not _local(src):
        return src
    file = _resolve(site, folder, src)
    if file is None:
        return ""
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


def _inert_link(attr: str, url: str) -> str:
    """A link to another page of the site leads nowhere inside an embedded document: keep its
    text, name the page it meant (``data-docs-page``)."""
    if not _local(url) or url.startswith("#"):
        return attr
    return f'href="#" data-docs-page="{html.escape(url, quote=True)}"'

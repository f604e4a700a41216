"""The built book as a reader sees it: every page of ``_build/html`` in headless Chromium.

For each page, opened from disk (``file://``, as a reader without network opens it) with every
request to another host refused, the test waits until the page settles (load, MathJax's
typesetting, fonts, images) and checks:

* every formula is typeset: each Sphinx math element holds MathJax output, none is a MathJax
  error, and no raw ``\\(``, ``\\[`` or ``$$`` is left in the visible text (code excluded);
* every image loaded (``naturalWidth > 0``);
* no JavaScript error, no console error, no failed request, no request to another host;
* every internal link resolves: the target file exists and so does its anchor;
* each chapter's download menu offers the executed notebook (``.ipynb``, with outputs) and the
  MyST source (``.md``), and both links resolve.

A full-page screenshot of each page lands in ``_build/screenshots/`` for a person to look at.

Needs the book built (``make book``) and Chromium (Debian: ``apt-get install chromium``; or
set ``COLLECTIVE_CHROMIUM`` to a Chromium/Chrome binary), driven through the pinned
``playwright`` package with the system browser (``playwright install`` is not needed), headless,
in a fresh temporary profile, with the flags in :data:`FLAGS`. Run it with ``make browser-test``.
Without Chromium or the build the tests are skipped, unless ``COLLECTIVE_BROWSER_TEST_REQUIRED=1``
(CI) makes that a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
HTML = REPO_ROOT / "_build" / "html"
SCREENSHOTS = REPO_ROOT / "_build" / "screenshots"
CHROMIUM = (
    os.environ.get("COLLECTIVE_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)
FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETTLE_MS = 60_000

pytestmark = pytest.mark.browser
#: Set (as .ci/run does) to fail instead of skipping when Chromium or the built book is missing.
REQUIRED = os.environ.get("COLLECTIVE_BROWSER_TEST_REQUIRED", "") not in ("", "0")


@pytest.fixture(scope="module", autouse=True)
def _needs_chromium_and_book():
    reason = None
    if CHROMIUM is None:
        reason = (
            "no Chromium: install it (Debian/Ubuntu: `apt-get install chromium`) or set "
            "COLLECTIVE_CHROMIUM to a Chromium binary"
        )
    elif not (HTML / "index.html").exists():
        reason = f"the book is not built ({HTML} is missing): run `make book` first"
    if reason:
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)


def _pages() -> list[str]:
    if not HTML.exists():
        return []
    return sorted(
        str(p.relative_to(HTML))
        for p in HTML.rglob("*.html")
        if not p.relative_to(HTML).parts[0].startswith("_")
    )


@cache
def _anchors(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return frozenset(re.findall(r"""\b(?:id|name)=["']([^"']+)["']""", text))


@pytest.fixture(scope="module")
def browser(_needs_chromium_and_book):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -r requirements.txt"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


# Waits for MathJax (if the page loads it), fonts and images; returns what the checks need.
SETTLE_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? null :
    new Promise(done => { img.onload = img.onerror = done; })));
  const maths = Array.from(document.querySelectorAll(".math"));
  const untypeset = maths.filter(el => !el.querySelector("mjx-container"))
                         .map(el => el.textContent.slice(0, 80));
  const errors = Array.from(document.querySelectorAll("mjx-merror"))
                      .map(el => el.getAttribute("data-mjx-error") || el.textContent);
  const body = document.body.cloneNode(true);
  body.querySelectorAll("pre, code, script, style, mjx-container, .highlight, textarea")
      .forEach(el => el.remove());
  return {
    mathjax: !!window.MathJax,
    n_math: maths.length,
    n_typeset: document.querySelectorAll("mjx-container").length,
    untypeset, errors,
    text: body.innerText,
    broken_images: images.filter(img => !(img.complete && img.naturalWidth > 0))
                         .map(img => img.getAttribute("src")),
    n_images: images.length,
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.getAttribute("href")),
    downloads: Array.from(document.querySelectorAll(".dropdown-download-buttons a[href]"))
                    .map(a => a.getAttribute("href")),
  };
}
"""

REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="\d+;\s*url=([^"]+)"', re.IGNORECASE)
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{")


@pytest.mark.parametrize("page", _pages())
def test_page_renders(browser, page):
    path = HTML / page
    redirect = REDIRECT.search(path.read_text(encoding="utf-8", errors="replace"))
    if redirect:  # the top-level index.html only forwards to the root chapter
        target = (path.parent / unquote(redirect.group(1))).resolve()
        assert target.exists(), f"{page} redirects to a missing {target}"
        return
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    remote: list[str] = []

    def _route(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            remote.append(url)
            route.abort()

    context.route("**/*", _route)
    tab = context.new_page()
    tab.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    tab.on("pageerror", lambda e: problems.append(f"javascript: {e}"))
    tab.on(
        "requestfailed",
        lambda r: problems.append(f"failed request: {r.url} ({r.failure})"),
    )
    try:
        tab.goto(path.as_uri(), wait_until="load", timeout=SETTLE_MS)
        state = tab.evaluate(SETTLE_JS)
        tab.wait_for_timeout(300)  # late console messages
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / (page.replace("/", "__").removesuffix(".html") + ".png")
        tab.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()

    assert not remote, f"{page} requested other hosts: {remote}"
    assert not problems, f"{page}: " + "\n".join(problems)

    # Formulas.
    assert not state["errors"], f"{page}: MathJax errors {state['errors']}"
    assert not state["untypeset"], f"{page}: formulas not typeset: {state['untypeset'][:5]}"
    if state["n_math"]:
        assert state["mathjax"] and state["n_typeset"] >= state["n_math"], state
    raw = [
        state["text"][max(0, m.start() - 40) : m.end() + 40]
        for m in RAW_TEX.finditer(state["text"])
    ]
    assert not raw, f"{page}: raw TeX in the visible text: {raw[:5]}"

    # Images.
    assert not state["broken_images"], f"{page}: images not loaded: {state['broken_images']}"

    # Internal links: the file exists, and so does the anchor.
    broken, checked = [], 0
    for href in state["links"]:
        parsed = urlparse(href)
        if parsed.scheme or href.startswith(("//", "mailto:", "javascript:")):
            continue
        checked += 1
        target, fragment = urldefrag(href)
        target_path = (path.parent / unquote(target)).resolve() if target else path
        if target_path.is_dir():
            target_path = target_path / "index.html"
        if not target_path.exists():
            broken.append(f"{href} (no file {target_path})")
        elif (
            fragment
            and target_path.suffix == ".html"
            and unquote(fragment) not in _anchors(target_path)
        ):
            broken.append(f"{href} (no anchor #{fragment} in {target_path.name})")
    assert not broken, f"{page}: broken internal links: {broken}"
    assert checked, f"{page}: no internal link found (navigation missing?)"

    # Downloads: a chapter (a notebook page) offers its executed notebook and its source.
    source = REPO_ROOT / Path(page).with_suffix(".md")
    if source.exists() and "kernelspec:" in source.read_text()[:500]:
        downloads = state["downloads"]
        notebooks = [h for h in downloads if h.endswith(".ipynb")]
        sources = [h for h in downloads if h.endswith(".md")]
        assert notebooks and sources, f"{page}: download menu offers {downloads}"
        notebook = json.loads((path.parent / unquote(notebooks[0])).read_text())
        outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        assert outputs, f"{page}: the downloadable notebook {notebooks[0]} has no outputs"
        assert (path.parent / unquote(sources[0])).read_text() == source.read_text()


def test_every_chapter_is_a_page():
    """The test above saw every chapter of the table of contents."""
    toc = (REPO_ROOT / "_toc.yml").read_text()
    chapters = re.findall(r"(?:root|file):\s*(\S+)", toc)
    missing = [c for c in chapters if f"{c}.html" not in _pages()]
    assert chapters and not missing, f"chapters without a page in {HTML}: {missing}"

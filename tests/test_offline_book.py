"""The book's Sphinx extension (_ext/offline_book.py): MathJax from a pinned package, and the
build-time check that no page loads anything from another host."""

from __future__ import annotations

from pathlib import Path

import pytest
from _scripts import load_script

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ext():
    return load_script("_ext/offline_book.py")


def test_mathjax_3_ships_in_the_pinned_package(ext):
    es5 = ext.mathjax_es5()
    bundle = (es5 / ext.MATHJAX_BUNDLE).read_text(encoding="utf-8", errors="replace")
    assert "3.2.2" in bundle  # MathJax's version string is in the combined component
    assert list((es5 / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    pin = [
        line
        for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
        if line.lower().startswith("django-static-mathjax==")
    ]
    assert pin, "django-static-mathjax is not pinned in requirements.txt"


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>',
        "<link rel='stylesheet' href='//fonts.googleapis.com/css?family=Lato'>",
        '<img class="x" src="http://example.org/a.png">',
    ],
)
def test_remote_resources_are_found(ext, html):
    assert ext._REMOTE.search(html)


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://doi.org/10.1007/s00521-020-05302-x">doi</a>',
        '<script src="../_static/mathjax/tex-chtml.js"></script>',
        '<link rel="stylesheet" href="_static/styles/theme.css">',
    ],
)
def test_links_and_local_resources_pass(ext, html):
    assert not ext._REMOTE.search(html)


def test_css_imports_from_other_hosts_are_found(ext):
    assert ext._CSS_REMOTE.search('@import url("https://fonts.googleapis.com/css2?family=X");')
    assert ext._CSS_REMOTE.search("src: url(//cdn.example.org/font.woff2)")
    assert not ext._CSS_REMOTE.search('src: url("../webfonts/fa-solid-900.woff2")')

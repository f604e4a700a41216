"""Sphinx extension of the book: it reads offline, and every chapter downloads as a notebook.

* **MathJax from the book's own ``_static``.** MathJax 3 comes from a pinned registry package,
  ``django-static-mathjax`` (PyPI; MathJax 3.2.2's ``es5`` bundles and fonts, Apache-2.0). At
  build time its ``es5`` folder is copied to ``_static/mathjax`` and ``mathjax_path`` points at
  ``mathjax/tex-chtml.js`` there, so formulas typeset without network.
* **Nothing from other hosts.** myst-nb's ipywidgets scripts (require.js and the widget manager
  from CDNs) and sphinx-thebe's page scripts (thebe from a CDN; the book has no live-code
  button) are switched off; after the build every page is checked for a script, stylesheet,
  image or font loaded from ``http(s)://`` and the build fails (a warning, so ``-W``) if any is.
* **Executed notebooks to download.** myst-nb writes each executed chapter to
  ``_build/jupyter_execute/<page>.ipynb``; it is copied next to the page's source in
  ``_sources`` and the theme's download menu offers it as ``.ipynb``, beside the ``.md``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

MATHJAX_DIR = "mathjax"  # under _static
MATHJAX_BUNDLE = "tex-chtml.js"

# Attributes that make a browser fetch something: src/href of script, link, img, iframe...
_REMOTE = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(src|href)=[\"'](https?:)?//",
    re.IGNORECASE,
)
_CSS_REMOTE = re.compile(r"(@import\s+(url\()?|url\()\s*[\"']?(https?:)?//", re.IGNORECASE)


def mathjax_es5() -> Path:
    """The ``es5`` folder of MathJax 3 shipped by the pinned ``django-static-mathjax``."""
    try:
        import mathjax  # the import name of django-static-mathjax
    except ImportError as err:  # pragma: no cover - the environment is pinned
        raise RuntimeError(
            "The book serves MathJax from the package django-static-mathjax; install the "
            "pinned environment (pip install -r requirements.txt)."
        ) from err
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / MATHJAX_BUNDLE).exists():
        raise RuntimeError(f"django-static-mathjax has no {MATHJAX_BUNDLE} in {es5}")
    return es5


def _set_mathjax_path(app: Sphinx, config) -> None:
    mathjax_es5()  # fail early, at configuration time, if the package is missing
    config.mathjax_path = f"{MATHJAX_DIR}/{MATHJAX_BUNDLE}"
    # myst-nb would load require.js and the ipywidgets manager from CDNs on widget pages.
    if hasattr(config, "nb_ipywidgets_js"):
        config.nb_ipywidgets_js = {}
    # The theme's light/dark switch: without a default mode, pydata-sphinx-theme logs a console
    # error on a first visit ("Got invalid theme mode"). Light suits the figures.
    config.html_context.setdefault("default_mode", "light")
    # jupyter-book always loads sphinx-thebe, which puts on every page a script that points at
    # thebe on a CDN (loaded on "launch") and declares a constant that a second copy of the
    # same script redeclares (a JavaScript error). The book has no live-code launch button:
    # thebe's page scripts are not added.
    for listener in list(app.events.listeners.get("env-before-read-docs", [])):
        handler = listener.handler
        if (
            getattr(handler, "__module__", "") == "sphinx_thebe"
            and handler.__name__ == "init_thebe_core"
        ):
            app.disconnect(listener.id)


def _offer_executed_notebook(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    """Copy the executed notebook of a chapter into ``_sources`` for the download menu."""
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.exists():
        logger.warning(f"no executed notebook for {pagename} at {executed}", type="offline_book")
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _copy_mathjax_and_check_hosts(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    dest = outdir / "_static" / MATHJAX_DIR
    if dest.exists():
        shutil.rmtree(dest)
    # tex-chtml.js and what it loads on demand (extensions, fonts, menu, speech); not the
    # other combined bundles.
    unused = shutil.ignore_patterns(
        "tex-svg*.js", "tex-mml-*.js", "mml-*.js", "tex-chtml-full*.js", "node-main.js"
    )
    shutil.copytree(mathjax_es5(), dest, ignore=unused)
    for path in sorted(outdir.rglob("*.html")) + sorted((outdir / "_static").rglob("*.css")):
        if dest in path.parents:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        pattern = _REMOTE if path.suffix == ".html" else _CSS_REMOTE
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            logger.warning(
                f"{path.relative_to(outdir)}:{line} loads a resource from another host "
                f"({text[match.start() : match.end() + 40]!r}); the book must read offline",
                type="offline_book",
            )


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _set_mathjax_path, priority=900)
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _offer_executed_notebook, priority=500)
    app.connect("build-finished", _copy_mathjax_and_check_hosts)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

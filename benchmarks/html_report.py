"""Size and load time of the HTML report in headless Chromium.

    python -m benchmarks.html_report [--articles N]

Renders the report of the seeds and of the first N SaudiNewsNet articles
(default: all of them) and loads each in Debian's Chromium (via selenium),
printing the file size, the texts it embeds, and the time from navigation
start until the application has drawn its first view (the data decoded),
then the time to draw a document and a pair view.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Document, read_documents, scan
from dedup.cores import cores
from dedup.reports.html import render_html

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def measure(name: str, docs: list[Document], driver, folder: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    start = time.perf_counter()
    result = scan(docs, workers=cores())
    scanned = time.perf_counter() - start
    by_id = {d.id: d.text for d in docs}
    start = time.perf_counter()
    html = render_html(result, lambda ids: ((i, by_id[i]) for i in ids))
    rendered = time.perf_counter() - start
    path = folder / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    driver.get(path.as_uri())
    WebDriverWait(driver, 300).until(
        lambda d: d.execute_script("return document.body.dataset.ready")
    )
    ready_ms = driver.execute_script(
        "return performance.now() - performance.getEntriesByType('navigation')[0].startTime"
    )
    views = []
    biggest = max(result.spans, key=lambda s: s.end - s.start, default=None)
    if biggest is not None:
        for fragment in (
            f"#doc?d={biggest.doc}",
            f"#pair?a={biggest.doc}&b={biggest.duplicate_of.doc}",
            "#documents?q=" + by_id[biggest.doc].split()[len(by_id[biggest.doc].split()) // 2],
        ):
            views.append(
                driver.execute_async_script(
                    """const done = arguments[1], t = performance.now();
                    location.hash = arguments[0];
                    requestAnimationFrame(() => setTimeout(() => done(performance.now() - t)));""",
                    fragment,
                )
            )
    print(
        f"{name}: {len(docs):,} documents, scan {scanned:.1f} s, render {rendered:.1f} s, "
        f"{path.stat().st_size / 1e6:.2f} MB, Chromium: first view drawn {ready_ms:.0f} ms"
        + (
            f"; a document {views[0]:.0f} ms, a pair {views[1]:.0f} ms, a word search "
            f"{views[2]:.0f} ms"
            if views
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=None, help="default: all")
    args = parser.parse_args()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        sys.exit("skipped: selenium is not installed (pip install '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-sync",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            measure("seeds", list(read_documents(SEEDS)), driver, Path(tmp))
            if SAUDINEWSNET.exists():
                docs = list(saudinewsnet(args.articles))
                measure(f"saudinewsnet-{len(docs)}", docs, driver, Path(tmp))
            else:
                print(f"SaudiNewsNet skipped: {SAUDINEWSNET} not found")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()

"""Size and load time of the HTML report in headless Chromium.

    python -m benchmarks.html_report [--articles 2000]

Renders the report of the seeds and of the first N SaudiNewsNet articles and
loads each in Debian's Chromium (via selenium), printing the file size, the
number of rendered documents and marks, and the browser's load time
(navigation start to the end of the load event).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Document, read_documents, scan
from dedup.reports.html import render_html

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def measure(name: str, docs: list[Document], driver, folder: Path) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = scan(docs)
    by_id = {d.id: d.text for d in docs}
    html = render_html(result, lambda ids: ((i, by_id[i]) for i in ids))
    seconds = time.perf_counter() - start
    path = folder / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    driver.get(path.as_uri())
    load_ms = driver.execute_script(
        "const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd;"
    )
    views = driver.execute_script("return document.querySelectorAll('section.doc').length")
    marks = driver.execute_script("return document.querySelectorAll('a.dup').length")
    print(
        f"{name}: {len(docs):,} documents, scan+render {seconds:.1f} s, "
        f"{path.stat().st_size / 1e6:.2f} MB, {views:,} document views, {marks:,} marks, "
        f"Chromium load {load_ms:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
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
                measure(f"saudinewsnet-{args.articles}", docs, driver, Path(tmp))
            else:
                print(f"SaudiNewsNet skipped: {SAUDINEWSNET} not found")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()

"""The HTML report: one file whose data says what the scan found, and an
application that shows it right, tried in a real browser."""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import CleanPolicy, Document, ScanResult, clean_documents, scan
from dedup.cli import app
from dedup.reports.html import render_html
from tests.conftest import SEEDS, needs

runner = CliRunner()
S001 = "001_78ea9c6ae5c3d444.txt"


def page_of(docs: list[Document], result: ScanResult | None = None, **kwargs: int) -> str:
    by_id = {d.id: d.text for d in docs}
    result = result or scan(docs)
    return render_html(result, lambda ids: ((i, by_id[i]) for i in ids if i in by_id), **kwargs)


def embedded(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/gzip" id="data">([^<]*)</script>', page)
    assert found is not None
    data: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(found.group(1))))
    return data


HOSTILE_ID = "<img src=x onerror=\"document.title='pwned'\">\u202eevil.txt"
HOSTILE = (
    "<script>document.title='pwned'</script></div><b>bold?</b> سطر مكرر طويل بما يكفي هنا"
    " \ud800 😀 and more words after the emoji"
)


def test_the_page_holds_the_findings_as_data_and_nothing_of_the_corpus_as_markup(
    seed_texts: dict[str, str],
) -> None:
    docs = [Document(k, v) for k, v in seed_texts.items()]
    docs += [Document(HOSTILE_ID, HOSTILE + "\n" + HOSTILE), Document("copy", seed_texts[S001])]
    result = scan(docs)
    page = page_of(docs, result)
    assert page.count("<script") == 2  # the data and the application, nothing else
    assert "<img" not in page and "<b>" not in page and "pwned" not in page
    data = embedded(page)
    ids = [d[0] for d in data["docs"]]
    assert ids == [d.id for d in result.documents]
    texts = {ids[t[0]]: t[1] for t in data["texts"]}
    assert texts[HOSTILE_ID] == HOSTILE + "\n" + HOSTILE  # lone surrogate and emoji intact
    assert texts[S001] == seed_texts[S001] and texts["copy"] == seed_texts[S001]
    assert "002_5fedb9670b56af32.txt" not in texts  # no findings: listed, text not embedded
    spans = [
        (ids[s[0]], s[1], s[2], data["kinds"][s[3]][0], ids[s[5]], s[6], s[7])
        for s in data["spans"]
    ]
    assert spans == [
        (s.doc, s.start, s.end, s.kind, s.duplicate_of.doc, s.duplicate_of.start,
         s.duplicate_of.end)
        for s in result.spans
    ]  # fmt: skip
    assert [ids[c[1]] for c in data["clusters"]] == [c.representative for c in result.clusters]


def test_what_the_page_says_clean_removes_is_what_clean_removes(
    seed_texts: dict[str, str],
) -> None:
    docs = [Document(k, v) for k, v in seed_texts.items()] + [Document("copy", seed_texts[S001])]
    result = scan(docs)
    data = embedded(page_of(docs, result))
    ids = [d[0] for d in data["docs"]]
    cuts = [(ids[c[0]], c[1], c[2], c[3]) for c in data["clean"]["cuts"]]
    dropped = {ids[d[0]]: ids[d[1]] for d in data["clean"]["dropped"]}
    expected_cuts, expected_dropped = [], {}
    cleaned = clean_documents(docs, CleanPolicy(), result=result)
    for doc, (_, removals) in zip(docs, cleaned, strict=True):
        for r in removals:
            if r.reason == "near-duplicate":
                assert r.duplicate_of is not None
                expected_dropped[r.doc] = r.duplicate_of.doc
            else:
                expected_cuts.append((r.doc, r.start, r.end, r.reason))
                assert doc.text[r.start : r.end].strip()  # real text is cut
    assert sorted(cuts) == sorted(expected_cuts) and cuts
    assert dropped == expected_dropped and dropped
    why = {ids[d]: lines for d, lines in data["clean"]["why"]}
    kept = next(iter(dropped.values()))
    dropped_doc = next(iter(dropped))
    assert why[dropped_doc][0].startswith(f"drops it whole as a near-duplicate of {kept}")
    assert any(line.startswith("removes 1 within span") for line in why[kept])
    covered = sum(1 for k in dropped.values() if k == kept)  # from clean's own plan
    assert why[kept][0] == (
        f"keeps it, and drops the {covered} near-duplicate document it covers (--keep covering)"
    )


def test_report_command_renders_a_saved_report(tmp_path: Path) -> None:
    report, first, second = tmp_path / "r.json", tmp_path / "a.html", tmp_path / "b.html"
    args = ["scan", str(SEEDS), "--json", str(report), "--html", str(first), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, ["report", str(report), "--html", str(second)]).exit_code == 0
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    moved = tmp_path / "seeds"
    shutil.copytree(SEEDS, moved)
    again = runner.invoke(
        app, ["report", str(report), "--html", str(tmp_path / "c.html"), "--input", str(moved)]
    )
    assert again.exit_code == 0
    (moved / S001).write_text("changed", encoding="utf-8")
    bad = runner.invoke(
        app, ["report", str(report), "--html", str(tmp_path / "d.html"), "--input", str(moved)]
    )
    assert bad.exit_code == 1 and f"'{S001}' is not the text the report describes" in bad.output


def test_explain_says_what_was_found_and_what_clean_does(
    tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    report = tmp_path / "r.json"
    assert runner.invoke(app, ["scan", str(SEEDS), "--json", str(report), "-q"]).exit_code == 0
    out = runner.invoke(app, ["explain", str(report), S001])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == f"{S001}: 3,390 characters, 19 paragraphs"
    span = lines.index(
        "  [1835, 3390) within (paragraph, similarity 0.996): copies [266, 1834) earlier in "
        "this document"
    )
    quoted = " ".join(seed_texts[S001][1835:3390].split())[:100]
    assert lines[span + 1] == f"      «{quoted}…»"  # the span's own text, quoted
    assert lines[-1].startswith("  removes 1 within span (1,555 characters")
    kept = runner.invoke(app, ["explain", str(report), S001, "--no-within"])
    assert kept.output.splitlines()[-1].startswith("  keeps its 1 within span")
    # the corpus gone: explained all the same, unquoted, with a word on stderr
    moved = tmp_path / "gone"
    wrong = runner.invoke(app, ["explain", str(report), S001, "--input", str(moved)])
    assert wrong.exit_code == 0 and "spans not quoted: " in wrong.output
    assert "«" not in wrong.output
    typo = runner.invoke(app, ["explain", str(report), S001[:-5]])
    assert typo.exit_code == 1
    assert typo.output == (
        f"error: {report}: no document '{S001[:-5]}' (5 documents); did you mean '{S001}'?\n"
    )


# --- in a real browser -------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def open_page(browser, path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.as_uri())
    WebDriverWait(browser, 60).until(
        lambda b: b.execute_script(
            "return document.body.dataset.ready || document.querySelector('p.error')"
        )
    )
    assert browser.execute_script("return document.body.dataset.ready") == "1"


def go(browser, fragment: str) -> None:  # type: ignore[no-untyped-def]
    """Follow a link to ``fragment``, as a click would (a new history entry),
    and wait for its view."""
    from selenium.webdriver.support.ui import WebDriverWait

    before = browser.execute_script("return document.body.dataset.renders")
    browser.execute_script("location.hash = arguments[0]", fragment)
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("return document.body.dataset.renders") != before
    )


def search(browser, query: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``query`` in the search box, press Enter, and wait for its view:
    the page draws it on the hash's change, after the key's event (read
    before, the last view's elements go stale under the test)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    before = browser.execute_script("return document.body.dataset.renders")
    box = browser.find_element(By.ID, "search")
    box.clear()
    box.send_keys(query, Keys.ENTER)
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("return document.body.dataset.renders") != before
    )


def wait_for_hash(browser, fragment: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return location.hash") == fragment)


def marked_text(browser, key: str, side: int | None = None) -> str:  # type: ignore[no-untyped-def]
    """The text of every piece marked ``key`` (on one side of the pair view)."""
    text: str = browser.execute_script(
        """const root = arguments[1] === null ? document
             : document.querySelectorAll('.pair .text')[arguments[1]];
        return [...root.querySelectorAll(`[data-keys~="${arguments[0]}"]`)]
            .map((e) => e.textContent).join('');""",
        key,
        side,
    )
    return text


def test_seeds_report_in_chromium(browser, tmp_path: Path, seed_texts: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    html = tmp_path / "seeds.html"
    assert runner.invoke(app, ["scan", str(SEEDS), "--html", str(html), "-q"]).exit_code == 0
    open_page(browser, html)
    go(browser, "#doc?" + f"d={S001}")
    text = seed_texts[S001]
    assert marked_text(browser, "s0") == text[1835:3390]  # the repeat
    assert marked_text(browser, "o0") == text[266:1834]  # what it repeats
    removal = next(r for _, rs in clean_documents([Document(S001, text)]) for r in rs)
    assert marked_text(browser, "c0") == text[removal.start : removal.end]  # what clean cuts
    box = browser.find_element(By.CSS_SELECTOR, "div.text")
    # Arabic laid out right to left: the first line's first character sits at
    # the right edge of the text box.
    assert browser.execute_script("return getComputedStyle(arguments[0]).direction", box) == "rtl"
    first_char_right, box_right, box_left = browser.execute_script(
        """const box = arguments[0]; const r = document.createRange();
        r.setStart(box.firstChild, 0); r.setEnd(box.firstChild, 1);
        const c = r.getBoundingClientRect(), b = box.getBoundingClientRect();
        return [c.right, b.right, b.left];""",
        box,
    )
    assert box_right - first_char_right < 30 < first_char_right - box_left
    mark = browser.find_element(By.CSS_SELECTOR, '[data-keys~="s0"]')
    assert "similarity 0.996" in mark.get_attribute("title")
    # the jump to the original, and back to where it started
    browser.execute_script("scrollTo(0, 150)")
    before = browser.execute_script("return scrollY")
    mark.click()
    wait_for_hash(browser, f"#doc?d={S001}&s=0&o=1")
    assert browser.execute_script(
        "return document.querySelector('[data-keys~=\"o0\"]').classList.contains('hl')"
    )
    browser.back()
    wait_for_hash(browser, f"#doc?d={S001}")
    assert browser.execute_script("return scrollY") == before
    browser.save_screenshot(str(tmp_path / "seeds.png"))
    assert (tmp_path / "seeds.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Document], ScanResult]:
    needs(SAUDINEWSNET)
    docs = list(saudinewsnet(1500))
    result = scan(docs)
    path = tmp_path_factory.mktemp("news") / "news.html"
    path.write_text(page_of(docs, result), encoding="utf-8")
    return path, docs, result


def test_search_finds_documents_by_id_and_by_phrase(browser, news) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    path, docs, result = news
    open_page(browser, path)
    target = result.spans[len(result.spans) // 2].doc
    search(browser, target)
    wait_for_hash(browser, "#documents?q=" + target.replace("/", "%2F"))  # as URLSearchParams
    rows = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "main table td:first-child a")]
    assert rows == [target]
    # a phrase: six words from the middle of that document
    text = next(d.text for d in docs if d.id == target)
    words = text.split()
    phrase = " ".join(words[len(words) // 2 : len(words) // 2 + 6])
    texts = {t[0]: t[1] for t in embedded(path.read_text(encoding="utf-8"))["texts"]}
    expected = sum(1 for i, d in enumerate(docs) if phrase in texts.get(i, ""))
    search(browser, phrase)
    found = browser.find_element(By.CSS_SELECTOR, "main .tools .muted").text
    assert found.startswith(f"{expected:,} found, {expected:,} by their text"), found
    rows = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "main table td:first-child a")]
    assert target in rows


def test_sorting_clusters_by_size_puts_the_largest_first(browser, news) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    path, _, result = news
    open_page(browser, path)
    go(browser, "#clusters")
    header = browser.find_element(By.XPATH, "//th[text()='documents']")
    header.click()  # a number column sorts largest first
    sizes = [
        int(td.text.replace(",", ""))
        for td in browser.find_elements(By.CSS_SELECTOR, "main table tr td:nth-child(2)")
    ]
    assert sizes[0] == max(len(c.members) for c in result.clusters) > 2
    assert sizes == sorted(sizes, reverse=True) and len(sizes) == min(50, len(result.clusters))
    browser.find_element(By.XPATH, "//th[text()='documents']").click()
    smallest = browser.find_element(By.CSS_SELECTOR, "main table tr td:nth-child(2)").text
    assert int(smallest) == min(len(c.members) for c in result.clusters)
    # a filter: the spans of one kind, from a given size
    go(browser, "#spans?kind=boilerplate&size=20")
    expected = [s for s in result.spans if s.kind == "boilerplate" and s.end - s.start >= 20]
    shown = browser.find_element(By.CSS_SELECTOR, "main .pager .rows").text
    assert shown == f"1–{min(50, len(expected))} of {len(expected):,}"
    kinds = {td.text for td in browser.find_elements(By.CSS_SELECTOR, "main td:nth-child(4)")}
    assert kinds == {"boilerplate"}


def test_pair_view_aligns_both_texts_at_the_reported_offsets(browser, news) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    path, docs, result = news
    text = {d.id: d.text for d in docs}
    between: dict[tuple[str, str], list[int]] = {}
    for n, s in enumerate(result.spans):
        if s.doc != s.duplicate_of.doc:
            between.setdefault((s.doc, s.duplicate_of.doc), []).append(n)
    (a, b), spans = max(between.items(), key=lambda kv: len(kv[1]))
    assert len(spans) >= 3
    open_page(browser, path)
    go(browser, f"#pair?a={a}&b={b}")
    for n in spans:
        s = result.spans[n]
        o = s.duplicate_of
        assert marked_text(browser, f"s{n}", 0) == text[a][s.start : s.end]
        assert marked_text(browser, f"o{n}", 1) == text[b][o.start : o.end]
    # a click on the last span's mark brings its original into view beside it
    last = spans[-1]
    browser.find_elements(By.CSS_SELECTOR, f'.pair .text [data-keys~="s{last}"]')[0].click()
    visible = browser.execute_script(
        """const t = document.querySelectorAll('.pair .text')[1];
        const m = t.querySelector(`[data-keys~="o${arguments[0]}"]`).getBoundingClientRect();
        const r = t.getBoundingClientRect();
        return m.top >= r.top - 1 && m.top < r.bottom;""",
        last,
    )
    assert visible
    assert f"&s={last}" in browser.execute_script("return location.hash")
    dirs = browser.execute_script(
        "return [...document.querySelectorAll('.pair .text')].map((t) => t.dir)"
    )
    assert dirs == ["rtl", "rtl"]


def test_back_returns_to_where_the_jump_started(browser, news) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    path, _, _ = news
    open_page(browser, path)
    go(browser, "#overview")
    link = browser.find_element(By.CSS_SELECTOR, "main ol li a")  # the largest cluster
    browser.execute_script("scrollTo(0, 400)")
    before = browser.execute_script("return scrollY")
    assert before == 400
    browser.execute_script("arguments[0].click()", link)  # as it is, not scrolled to it
    assert browser.execute_script("return location.hash").startswith("#cluster?c=")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Cluster ")
    browser.back()
    wait_for_hash(browser, "#overview")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("dedup report")
    assert browser.execute_script("return scrollY") == before
    browser.forward()
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Cluster ")


def test_hostile_text_stays_inert_in_chromium(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    copy = "<svg onload=\"document.title='pwned'\">"
    docs = [Document(HOSTILE_ID, HOSTILE + "\n" + HOSTILE), Document(copy, HOSTILE + "\n")]
    html = tmp_path / "evil.html"
    html.write_text(page_of(docs), encoding="utf-8")
    open_page(browser, html)
    for view in ("#overview", "#documents", "#spans", "#doc?d=" + HOSTILE_ID):
        go(browser, view)
        assert browser.title != "pwned"
        assert (
            browser.find_elements(By.CSS_SELECTOR, "main img, main svg, main b, main script") == []
        )
    # (as JSON: the lone surrogate would not cross the WebDriver protocol)
    shown = browser.execute_script(
        "return JSON.stringify(document.querySelector('div.text').textContent)"
    )
    assert json.loads(shown) == HOSTILE + "\n" + HOSTILE
    assert browser.find_element(By.TAG_NAME, "h1").get_attribute("textContent") == HOSTILE_ID

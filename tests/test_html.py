"""The HTML report: escaped, well nested, capped, and right in a real browser."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedup import Document, scan
from dedup.cli import app
from dedup.reports.html import _marked, _Region, render_html
from tests.conftest import SEEDS

runner = CliRunner()
S001 = "001_78ea9c6ae5c3d444.txt"


class _Texts(HTMLParser):
    """Text of every element with an id (parts joined), and a well-formedness check."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str | None]] = []
        self.text: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "br", "hr", "img", "link", "input"):
            return  # void elements: nothing to close
        a = dict(attrs)
        key = a.get("id") or a.get("data-part-of")
        self.open.append((tag, key))
        if key:
            self.text.setdefault(key, "")

    def handle_endtag(self, tag: str) -> None:
        opened, _ = self.open.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"

    def handle_data(self, data: str) -> None:
        for _, key in self.open:
            if key:
                self.text[key] += data


def texts_of(html: str) -> dict[str, str]:
    parser = _Texts()
    parser.feed(html)
    return parser.text


def page(docs: list[Document], **kwargs: int) -> str:
    by_id = {d.id: d.text for d in docs}
    return render_html(scan(docs), lambda ids: ((i, by_id[i]) for i in ids), **kwargs)


def test_overlapping_regions_nest_and_keep_their_text() -> None:
    text = "abcdefghijklmnop"
    regions = [
        _Region(1, 9, '<a id="x">', "</a>", 0),
        _Region(4, 14, '<b id="y">', "</b>", 0),
        _Region(4, 14, '<i id="z">', "</i>", 1),
        _Region(0, 16, '<u id="w">', "</u>", 0),
    ]
    got = texts_of("<p>" + _marked(text, regions) + "</p>")
    assert got == {"x": text[1:9], "y": text[4:14], "z": text[4:14], "w": text}


def test_document_text_is_escaped() -> None:
    evil = "<script>alert('x')</script></div>&amp; «نص» مكرر في هذا السطر الطويل جدا"
    docs = [Document("evil", evil + "\n" + evil)]
    html = page(docs)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    ids = texts_of(html)
    assert ids["s0"] == ids["o0"] == evil  # the escaped text reads back exactly


def test_cap_on_rendered_documents(seed_texts: dict[str, str]) -> None:
    docs = [Document(k, v) for k, v in seed_texts.items()]
    html = page(docs, max_documents=1)
    assert "Showing the first 1; 1 more documents with findings are not rendered" in html
    assert html.count('<section class="doc"') == 1
    assert "Documents without findings (3)" in html


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
        "--window-size=1200,1600",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def test_seeds_report_in_chromium(browser, tmp_path: Path, seed_texts: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    html = tmp_path / "seeds.html"
    assert runner.invoke(app, ["scan", str(SEEDS), "--html", str(html), "-q"]).exit_code == 0
    browser.get(html.as_uri())
    text = seed_texts[S001]
    section = browser.find_element(By.XPATH, f"//section[h3='{S001}']")
    block = section.find_element(By.CSS_SELECTOR, "a.dup.within")
    assert block.get_attribute("textContent") == text[1835:3390]
    # its link leads to the original block
    href = block.get_attribute("href")
    assert href.endswith("#o0")
    block.click()
    assert browser.execute_script("return location.hash") == "#o0"
    original = browser.find_element(By.ID, "o0")
    assert original.get_attribute("textContent") == text[266:1834]
    assert browser.execute_script(
        "return document.querySelector(':target') === arguments[0]", original
    )
    # Arabic laid out right to left: computed direction, and the first line's
    # first character sits at the right edge of the text box.
    box = section.find_element(By.CSS_SELECTOR, "div.text")
    assert browser.execute_script("return getComputedStyle(arguments[0]).direction", box) == "rtl"
    first_char_right, box_right, box_left = browser.execute_script(
        """const box = arguments[0]; const r = document.createRange();
        r.setStart(box.firstChild, 0); r.setEnd(box.firstChild, 1);
        const c = r.getBoundingClientRect(), b = box.getBoundingClientRect();
        return [c.right, b.right, b.left];""",
        box,
    )
    assert box_right - first_char_right < 5 < first_char_right - box_left
    assert "similarity 0.996" in block.get_attribute("title")
    browser.save_screenshot(str(tmp_path / "seeds.png"))
    assert (tmp_path / "seeds.png").stat().st_size > 10_000


def test_escaped_markup_shows_as_text_in_chromium(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    line = "<script>document.title='pwned'</script></div><b>bold?</b> سطر مكرر طويل بما يكفي هنا"
    docs = [Document("evil", line + "\n" + line)]
    html = tmp_path / "evil.html"
    html.write_text(page(docs), encoding="utf-8")
    browser.get(html.as_uri())
    assert browser.title != "pwned"
    assert browser.find_elements(By.CSS_SELECTOR, "div.text b") == []
    box = browser.find_element(By.CSS_SELECTOR, "div.text")
    assert box.get_attribute("textContent") == line + "\n" + line

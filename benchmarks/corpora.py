"""Readers for the evaluation corpora in ../shared/data (never copied into the project)."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from dedup.models import Document

DATA = Path(os.environ.get("DEDUP_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
SAUDINEWSNET = DATA / "saudinewsnet"
EXARAPLAGDET = DATA / "exaraplagdet-dev"


def saudinewsnet(limit: int | None = None) -> Iterator[Document]:
    """Articles in file order; id ``<date>/<index>``, meta: source outlet and url."""
    n = 0
    for zpath in sorted(SAUDINEWSNET.glob("*.zip")):
        with zipfile.ZipFile(zpath) as z:
            for name in sorted(z.namelist()):
                for i, art in enumerate(json.loads(z.read(name))):
                    if limit is not None and n >= limit:
                        return
                    n += 1
                    yield Document(
                        f"{zpath.stem}/{i:04d}",
                        art.get("content") or "",
                        {
                            "source": art.get("source"),
                            "url": art.get("url"),
                            "title": art.get("title"),
                        },
                    )


def write_jsonl(docs: Iterator[Document], path: Path) -> int:
    """Write documents as JSONL (``id``, ``text`` and their meta); returns the count."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"id": d.id, "text": d.text, **d.meta}, ensure_ascii=False) + "\n")
            n += 1
    return n


def jsonl_corpus(given: Path | None, folder: str | Path, limit: int | None = None) -> Path:
    """``given``, or SaudiNewsNet (its first ``limit`` articles) written as JSONL
    into ``folder``; exits with a message when the data is not there."""
    if given is not None:
        return given
    if not SAUDINEWSNET.exists():
        sys.exit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")
    path = Path(folder) / "corpus.jsonl"
    write_jsonl(saudinewsnet(limit), path)
    return path


# Real text in scripts written without spaces, and in Cyrillic and English,
# as Debian installs it: Vim's tutor translated (vim-runtime) and the
# translations of the system's messages (gettext catalogs). Not invented text.
VIM_TUTOR = Path("/usr/share/vim/vim90/tutor")
LOCALE = Path("/usr/share/locale")


def vim_tutor(lang: str) -> str:
    """Vim's tutor in ``lang`` (``zh_cn``, ``ja``, ``ru``, ``en``)."""
    name = "tutor.utf-8" if lang == "en" else f"tutor.{lang}.utf-8"
    return (VIM_TUTOR / name).read_text(encoding="utf-8")


def messages(lang: str) -> list[str]:
    """The system's messages translated into ``lang`` (a locale folder name:
    ``zh_CN``, ``ja``, ``th``, ``ru``), in file order; for ``en``, the English
    originals of the Russian catalogs."""
    import gettext

    found = []
    for mo in sorted((LOCALE / ("ru" if lang == "en" else lang) / "LC_MESSAGES").glob("*.mo")):
        with mo.open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        pairs = [(k, v) for k, v in catalog.items() if isinstance(k, str) and k]
        found += [k if lang == "en" else v for k, v in pairs]
    return found

"""Every parameter, its default and its valid range."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_type_hints

from dedup.errors import ConfigError

# What a scan can find, each level its own stage (pipeline.py).
LEVELS = ("documents", "paragraphs", "passages", "repetition")

# Which documents of a near-duplicate cluster are kept (cluster.py).
Keep = Literal["covering", "first", "longest"]
KEEP: tuple[Keep, ...] = ("covering", "first", "longest")


def _option(default: Any, help: str) -> Any:
    """A field and the help of its command-line option (cli.py builds the
    options of ``scan`` and ``clean`` from the fields: declared once, here)."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Config:
    # Word k-grams. 5 is what datatrove and text-dedup use for documents.
    shingle_size: int = _option(5, "Words per shingle.")
    # 128 permutations: the MinHash estimate's standard error is about
    # sqrt(J(1-J)/128) <= 0.044, enough to feed LSH; every reported
    # similarity is verified exactly anyway.
    num_perm: int = _option(128, "MinHash permutations.")
    seed: int = _option(1, "MinHash seed.")  # datasketch.MinHash's default seed
    # Jaccard similarity of shingle sets at which two paragraphs are copies.
    # One word edited in a 25-word paragraph already costs 5 of its ~21
    # shingles (J ~ 0.65); 0.6 keeps such copies (SaudiNewsNet injections).
    paragraph_threshold: float = _option(
        0.6, "Jaccard similarity at which two paragraphs are copies."
    )
    # One edited word costs a paragraph k of its shingles, k + 2 where it is
    # three letter pairs (Chinese, Japanese, Thai): under 24 tokens, 32 in
    # letter pairs (k = 5, threshold 0.6), that alone may take it under
    # paragraph_threshold, and a short paragraph copied with a word changed
    # would go unseen. Such paragraphs are compared token by token instead:
    # a copy may have one token in eight inserted, deleted or replaced
    # (tests/test_languages.py: a word or two letters replaced in paragraphs
    # of 16-31 tokens).
    edit_threshold: float = _option(
        0.875, "Token edit similarity at which two short paragraphs are copies."
    )
    # Jaccard similarity at which two documents are near-duplicates ...
    document_threshold: float = _option(
        0.8, "Jaccard similarity at which two documents are near-duplicates."
    )
    # ... or the share of the smaller one's shingles found in the larger one
    # (wire copy republished with a lead-in added).
    containment_threshold: float = _option(
        0.8, "Share of a document found in another at which that other covers it."
    )
    # The smaller document needs this many shingles for containment to count:
    # a one-line document is "contained" in anything that quotes it.
    min_containment_shingles: int = _option(
        20, "Shingles a document needs for containment to count."
    )
    # Paragraphs shorter than this (tokens) never make a within/across span on
    # their own, but may sit inside a longer repeated block: a shared heading
    # or byline ("بين الماضي والحاضر", "د. زيد محمد الرماني") is no sign of
    # copying. 5 = one full shingle. Boilerplate has no minimum.
    min_paragraph_tokens: int = _option(5, "Shorter paragraphs are not reported on their own.")
    # Unrepeated paragraphs the original side of a block may skip (the short
    # "اقــرأ أيضاً" line inside 001's original block).
    max_gap: int = _option(1, "Unrepeated paragraphs a repeated block's original may skip.")
    # A repeat inside a document that a reader keeps is a "formula" (clean
    # leaves it): a paragraph found in at least formula_min_docs documents (a
    # condolence cable's formula used for a second sender, a cabinet
    # decision's closing line), or a repeat of fewer than formula_max_tokens
    # tokens away from its first occurrence (a refrain, a list item under two
    # headings), or a short paragraph repeated away from it with a word or
    # two edited (see edit_threshold: the cable's thanks to a second
    # minister). A repeat right after its original (a doubled headline or
    # block) is always "within". Measured on benchmarks/quality/judged.
    formula_min_docs: int = _option(
        3, "A repeated paragraph found in this many documents is a formula (kept)."
    )
    formula_max_tokens: int = _option(
        16, "A shorter repeat away from its first occurrence is a refrain (kept)."
    )
    # A paragraph in at least this many documents is boilerplate.
    boilerplate_min_docs: int = _option(10, "A paragraph in this many documents is boilerplate.")
    # Passages inside paragraphs (see finders/passages.py): seeds are words found in
    # at most passage_max_df documents; a passage needs passage_min_seeds
    # distinct seeds chained with gaps of at most passage_gap tokens, at least
    # passage_min_tokens tokens, and Jaccard >= passage_threshold of their word
    # sets and of their words counted with repeats.
    # Tuned on ExAraPlagDet dev (benchmarks/quality).
    # A pipeline that only wants near-duplicate documents leaves the rest out
    # and gets them faster (documents only: no paragraph, token or word
    # stores at all).
    levels: str = _option(
        ",".join(LEVELS),
        "What to find, comma-separated: documents (near-duplicate documents), paragraphs "
        "(repeated, copied and boilerplate paragraphs), passages (copied inside "
        "paragraphs), repetition (Gopher statistics).",
    )
    passage_gap: int = _option(25, "Tokens at most between two seeds of a passage.")
    passage_min_seeds: int = _option(5, "Distinct rare words a passage needs.")
    passage_max_df: int = _option(20, "A passage seed is a word in at most this many documents.")
    passage_min_tokens: int = _option(20, "Tokens a passage needs.")
    passage_threshold: float = _option(
        0.3,
        "Jaccard similarity a passage and its original must reach, of their word sets "
        "and of their words counted with repeats.",
    )
    # Which documents of a near-duplicate cluster are kept (cluster.py):
    # covering (the copy that covers the others), first or longest.
    representative: Keep = _option(  # noqa: RUF009 (a str: immutable)
        "covering", "Which document of a cluster is kept: covering | first | longest."
    )
    # Containment candidates (lsh.sketch_pairs): a short copy inside a long
    # article has a Jaccard similarity far below the document threshold, so
    # LSH misses it. Each document's containment_sketch smallest shingle
    # hashes are looked up in every document; a hash found in more than
    # containment_max_df documents (boilerplate) counts for nothing.
    # benchmarks/quality/clusters.py measures the recall against an exact join.
    containment_sketch: int = _option(
        16, "Smallest shingle hashes of a document looked up for containment candidates."
    )
    containment_max_df: int = _option(
        50, "A sketch hash in more documents than this counts for nothing."
    )

    def __post_init__(self) -> None:
        checks = [
            (1 <= self.shingle_size <= 64, "shingle_size must be between 1 and 64"),
            (16 <= self.num_perm <= 1024, "num_perm must be between 16 and 1024"),
            (0 <= self.seed < 2**32, "seed must be between 0 and 2**32 - 1"),
            (0 < self.paragraph_threshold <= 1, "paragraph_threshold must be in (0, 1]"),
            (0 < self.edit_threshold <= 1, "edit_threshold must be in (0, 1]"),
            (0 < self.document_threshold <= 1, "document_threshold must be in (0, 1]"),
            (0 < self.containment_threshold <= 1, "containment_threshold must be in (0, 1]"),
            (self.min_containment_shingles >= 1, "min_containment_shingles must be >= 1"),
            (self.min_paragraph_tokens >= 1, "min_paragraph_tokens must be >= 1"),
            (self.max_gap >= 0, "max_gap must be >= 0"),
            (self.boilerplate_min_docs >= 2, "boilerplate_min_docs must be >= 2"),
            (self.formula_min_docs >= 2, "formula_min_docs must be >= 2"),
            (self.formula_max_tokens >= 0, "formula_max_tokens must be >= 0"),
            (self.representative in KEEP, "representative must be " + " | ".join(KEEP)),
            (self.containment_sketch >= 1, "containment_sketch must be >= 1"),
            (self.containment_max_df >= 2, "containment_max_df must be >= 2"),
            (self.passage_gap >= 1, "passage_gap must be >= 1"),
            (self.passage_min_seeds >= 2, "passage_min_seeds must be >= 2"),
            (self.passage_max_df >= 2, "passage_max_df must be >= 2"),
            (self.passage_min_tokens >= 1, "passage_min_tokens must be >= 1"),
            (0 < self.passage_threshold <= 1, "passage_threshold must be in (0, 1]"),
        ]
        levels = self._level_names()
        checks.append(
            (
                all(name in LEVELS for name in levels) and any(levels),
                f"levels must be some of {', '.join(LEVELS)}, not {self.levels!r}",
            )
        )
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def _level_names(self) -> list[str]:
        return [name.strip() for name in self.levels.split(",")]

    def finds(self, level: str) -> bool:
        """Whether ``level`` (one of LEVELS) is looked for."""
        return level in self._level_names()

    def describe(self) -> dict[str, Any]:
        """Everything a report must record to be reproducible and comparable."""
        from dedup.lsh import lsh_params  # here: the CLI's --help needs no numpy
        from dedup.text import NORMALIZATION, NORMALIZATION_VERSION

        para_b, para_r = lsh_params(self.paragraph_threshold, self.num_perm)
        doc_b, doc_r = lsh_params(self.document_threshold, self.num_perm)
        return {
            **asdict(self),
            "normalization_version": NORMALIZATION_VERSION,
            "normalization": NORMALIZATION,
            "minhash_scheme": "datasketch-2 affine32",
            "shingle_hash": "FNV-1a-64 + fmix64 per normalized token, positional mix, fmix64; "
            "MinHash takes the low 32 bits",
            "lsh": {
                "paragraph": {"bands": para_b, "rows": para_r},
                "document": {"bands": doc_b, "rows": doc_r},
            },
        }

    @classmethod
    def from_toml(cls, path: Path, **overrides: Any) -> Config:
        """Settings from a TOML file (keys are the field names, at the top level
        or under ``[scan]``), then ``overrides`` on top."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: not a TOML file ({e})") from None
        data = data.get("scan", data)
        types = get_type_hints(cls)
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            want = types[key]
            kind = str if want == Keep else want
            ok = isinstance(value, kind) and (kind is not int or not isinstance(value, bool))
            if kind is float:
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok:
                raise ConfigError(f"{path}: {key} must be {kind.__name__}, not {value!r}")
        return cls(**{**data, **overrides})

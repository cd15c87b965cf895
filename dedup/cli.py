"""The command line: a thin translation of arguments into library calls.

This is the only module that prints. Library errors (``DedupError``) become
one line on stderr and exit code 1; usage errors exit 2 (typer's default).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dedup import __version__
from dedup.config import Config
from dedup.errors import DedupError
from dedup.models import Document, ScanResult
from dedup.pipeline import scan as run_scan
from dedup.readers import read_documents
from dedup.reports.json import check_output, write_json
from dedup.reports.terminal import render

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Find near-duplicate documents, repeated paragraphs and boilerplate in text corpora.",
)
_err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dedup {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Find near-duplicate documents, repeated paragraphs and boilerplate in text corpora."""


def _fail(message: str) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(1)


_D = Config()


@app.command()
def scan(
    path: Annotated[
        Path,
        typer.Argument(
            help="A .txt file, a JSONL file (.jsonl, .jsonl.gz) "
            "or a folder of them (read recursively)."
        ),
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON report here.")
    ] = None,
    text_key: Annotated[str, typer.Option(help="JSONL field holding the text.")] = "text",
    id_key: Annotated[
        str, typer.Option(help="JSONL field holding the document id (default: the line number).")
    ] = "id",
    shingle_size: Annotated[int, typer.Option(help="Words per shingle.")] = _D.shingle_size,
    num_perm: Annotated[int, typer.Option(help="MinHash permutations.")] = _D.num_perm,
    seed: Annotated[int, typer.Option(help="MinHash seed.")] = _D.seed,
    paragraph_threshold: Annotated[
        float, typer.Option(help="Jaccard similarity at which two paragraphs are copies.")
    ] = _D.paragraph_threshold,
    document_threshold: Annotated[
        float, typer.Option(help="Jaccard similarity at which two documents are near-duplicates.")
    ] = _D.document_threshold,
    containment_threshold: Annotated[
        float,
        typer.Option(
            help="Share of the smaller document inside the larger at which it counts as contained."
        ),
    ] = _D.containment_threshold,
    min_paragraph_tokens: Annotated[
        int, typer.Option(help="Shorter paragraphs are not reported on their own.")
    ] = _D.min_paragraph_tokens,
    max_gap: Annotated[
        int, typer.Option(help="Unrepeated paragraphs a repeated block's original may skip.")
    ] = _D.max_gap,
    boilerplate_min_docs: Annotated[
        int, typer.Option(help="A paragraph in this many documents is boilerplate.")
    ] = _D.boilerplate_min_docs,
    passages: Annotated[
        bool,
        typer.Option(help="Also find passages copied inside paragraphs (span level)."),
    ] = _D.passages,
    passage_threshold: Annotated[
        float,
        typer.Option(help="Word-set Jaccard similarity a passage and its original must reach."),
    ] = _D.passage_threshold,
    representative: Annotated[
        str, typer.Option(help="Cluster representative: first | longest.")
    ] = _D.representative,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary, no progress.")] = False,
) -> None:
    """Scan a corpus and report every duplicated span, cluster and boilerplate paragraph."""
    try:
        config = Config(
            shingle_size=shingle_size,
            num_perm=num_perm,
            seed=seed,
            paragraph_threshold=paragraph_threshold,
            document_threshold=document_threshold,
            containment_threshold=containment_threshold,
            min_paragraph_tokens=min_paragraph_tokens,
            max_gap=max_gap,
            boilerplate_min_docs=boilerplate_min_docs,
            representative=_representative(representative),
            passages=passages,
            passage_threshold=passage_threshold,
        )
        if json_out is not None:
            check_output(json_out)
        result = _scan_with_progress(path, config, text_key, id_key, quiet)
        if json_out is not None:
            write_json(result, json_out)
    except DedupError as e:
        raise _fail(str(e)) from None
    if not quiet:
        Console().print(render(result))
        if json_out is not None:
            _err.print(f"report written to {json_out}", highlight=False)


def _representative(value: str) -> Literal["first", "longest"]:
    if value == "first":
        return "first"
    if value == "longest":
        return "longest"
    raise DedupError(f"--representative must be first or longest, not {value!r}")


def _scan_with_progress(
    path: Path, config: Config, text_key: str, id_key: str, quiet: bool
) -> ScanResult:
    docs = read_documents(path, text_key=text_key, id_key=id_key)
    if quiet or not sys.stderr.isatty():
        return run_scan(docs, config)
    with Progress(
        TextColumn("reading"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,} docs"),
        TextColumn("{task.fields[mb]:.1f} MB"),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    ) as bar:
        task = bar.add_task("scan", total=None, mb=0.0)
        size = [0]

        def advance(doc: Document) -> None:
            size[0] += len(doc.text)
            bar.update(task, advance=1, mb=size[0] / 1e6)

        return run_scan(docs, config, progress=advance)

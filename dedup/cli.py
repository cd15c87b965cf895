"""The command line: a thin translation of arguments into library calls.

This is the only module that prints. Library errors (``DedupError``) become
one line on stderr and exit code 1; usage errors exit 2 (typer's default).
"""

from __future__ import annotations

import signal


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


# The interrupts received. Python raises KeyboardInterrupt wherever the main
# thread is, and a library can swallow it (one raised inside a garbage
# collector callback, as Dask's gc diagnostics run while a cluster starts, is
# printed and dropped): the command checks this before it writes anything.
_INTERRUPTED: list[int] = []


def _interrupt(signum: int, frame: object) -> None:
    _INTERRUPTED.append(signum)
    raise KeyboardInterrupt


# First of all, before the imports that take time: a terminated run unwinds
# like an interrupted one, so staged outputs are removed and nothing
# half-written is left behind.
signal.signal(signal.SIGTERM, _terminate)
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not ignored by the shell
    signal.signal(signal.SIGINT, _interrupt)

import functools  # noqa: E402
import gc  # noqa: E402
import inspect  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from contextlib import ExitStack, contextmanager, nullcontext  # noqa: E402
from dataclasses import asdict, fields  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar, get_type_hints  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402

from dedup import __version__  # noqa: E402
from dedup.config import KEEP, Config, Keep  # noqa: E402
from dedup.cores import cores  # noqa: E402
from dedup.errors import DedupError, OutputError  # noqa: E402
from dedup.heap import fix_bounds  # noqa: E402

if TYPE_CHECKING:
    from rich.progress import Progress

    from dedup.clean import CorpusCheck
    from dedup.engines import Engine
    from dedup.formats import Source
    from dedup.models import Document, Removal, ScanResult

# The commands import the rest (the pipeline, the reports) when they run:
# ``dedup --help`` stays quick.

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Find near-duplicate documents, repeated paragraphs and boilerplate in text corpora.",
)
_err = Console(stderr=True, markup=False)  # its lines name files: [a] is no markup
T = TypeVar("T")


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
    # A lone surrogate (a JSON "\ud800" escape in the input) has no UTF-8:
    # shown as that escape instead of a crash.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    own_process()


def own_process() -> None:
    """What the command sets for the process it owns (the library leaves a
    process be; benchmarks.compare runs a scan as the command does)."""
    # A scan makes hundreds of thousands of objects that live to its end
    # (documents read, spans, pairs): Python's collector, run every 700 new
    # ones, spent 0.62 s of a 14 s SaudiNewsNet scan walking them; every
    # 10,000, 0.15 s.
    gc.set_threshold(10_000)
    # numpy asks Linux for huge pages (2 MB) for arrays of 4 MB or more, and
    # the kernel compacts memory to find each one when the array is first
    # written: on this project's virtual machines, the first 200 MB array of
    # a process took 1.8 s to fill (0.1 s in small pages), and a SaudiNewsNet
    # scan spent 0.4-0.8 s more in the system. Unless NUMPY_MADVISE_HUGEPAGE
    # says otherwise, small pages.
    switch = huge_pages_switch()
    if switch is not None and "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
        switch(False)
    fix_bounds()  # glibc's malloc bounds (heap.py)


def huge_pages_switch() -> Callable[[bool], bool] | None:
    """numpy's switch of huge pages (it returns the setting it replaces), if it has one."""
    import numpy as np

    # numpy 2's is in numpy._core; numpy 1 has a numpy._core without it, once imported.
    core = getattr(np, "_core", None)
    multiarray = getattr(core, "multiarray", None) or getattr(np, "core").multiarray  # noqa: B009
    switch: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    return switch


def run() -> None:
    """The ``dedup`` command: ``app``, saying so when it is stopped."""
    try:
        app(prog_name="dedup")
    except SystemExit as e:
        if e.code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
            how = "interrupted" if e.code == 128 + signal.SIGINT else "terminated"
            _err.print(f"dedup: {how}; outputs it had not finished are removed", highlight=False)
        raise
    finally:
        # Python's exit collects garbage several times, each walking every
        # object left, numba's typing tables most of them once a kernel has
        # loaded: 0.2-0.3 s of each command. The command's work is done and
        # its files closed; what is left is freed with the process.
        gc.freeze()


def _unless_interrupted() -> None:
    """Stop here if an interrupt came and was swallowed on its way up."""
    if _INTERRUPTED:
        raise KeyboardInterrupt


def _fail(message: str) -> typer.Exit:
    # Escaped: a file name or a hint may hold [brackets] (pip install 'dedup[dask]').
    _err.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True
    )
    return typer.Exit(1)


def _with_config(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` an option for every Config field (help from the
    field's metadata: declared once, in config.py) and ``--config FILE``; it
    receives the ``config`` they make, None when none was given."""
    hints = get_type_hints(Config)
    panel = "Scan settings"
    added = []
    for f in fields(Config):
        flag = "--" + f.name.replace("_", "-")
        kind = hints[f.name]
        default = str(f.default).lower() if kind is bool else str(f.default)
        names = [f"{flag}/--no-{flag[2:]}"] if kind is bool else [flag]
        option = typer.Option(
            *names, help=f.metadata["help"], show_default=default, rich_help_panel=panel
        )
        kind = str if kind == Keep else kind  # Config checks the choice
        added.append(
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[kind | None, option],
            )
        )
    toml = typer.Option(
        "--config",
        help="Scan settings from a TOML file (the names above, with _ for -); "
        "options given here win.",
        rich_help_panel=panel,
    )
    added.append(
        inspect.Parameter(
            "config_file",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[Path | None, toml],
        )
    )
    resolved = get_type_hints(command, include_extras=True)  # the strings of __future__
    own = [
        p.replace(annotation=resolved[p.name])
        for p in inspect.signature(command).parameters.values()
        if p.name != "config"
    ]

    @functools.wraps(command)
    def with_config(**kwargs: Any) -> None:
        given = {f.name: v for f in fields(Config) if (v := kwargs.pop(f.name)) is not None}
        path = kwargs.pop("config_file")
        try:
            config = Config.from_toml(path, **given) if path else Config(**given)
        except DedupError as e:
            raise _fail(str(e)) from None
        command(config=config if (given or path) else None, **kwargs)

    with_config.__signature__ = inspect.Signature(own + added)  # type: ignore[attr-defined]
    return with_config


_INCLUDE = (
    "In a folder, read only the files matching this glob (on the path relative "
    "to the folder; * spans folders too). Repeatable."
)
_EXCLUDE = "In a folder, leave out the files matching this glob. Repeatable."
_INDEX_PANEL = "Persistent index"
_EngineOption = Annotated[
    str | None,
    typer.Option(
        help="Where the tasks run: local (this machine's processes, --workers) or dask "
        "(a Dask cluster: a LocalCluster of --workers processes, or --scheduler's). "
        "Default: dask with a scheduler, else local.",
        show_default=False,
        rich_help_panel="Engine",
    ),
]
_SchedulerOption = Annotated[
    str | None,
    typer.Option(
        envvar="DASK_SCHEDULER_ADDRESS",
        help="A running Dask scheduler (tcp://host:8786) to run the tasks on; implies "
        "--engine dask. Its workers need no disk shared with this machine.",
        rich_help_panel="Engine",
    ),
]
_SharedOption = Annotated[
    bool | None,
    typer.Option(
        "--shared-tmp-dir/--no-shared-tmp-dir",
        help="Whether the Dask workers see --tmp-dir at the same path (an HPC scratch or NFS "
        "folder): they read and write the scan's files there instead of receiving what they "
        "read. Default: only the workers of a LocalCluster.",
        show_default=False,
        rich_help_panel="Engine",
    ),
]


@app.command()
@_with_config
def scan(
    path: Annotated[
        str,
        typer.Argument(
            help="A file (.txt, .jsonl, .json, .csv, .tsv, each also .gz, .bz2, .xz or .zst; "
            ".parquet; .warc, .wet, also .gz), a folder of them (read recursively), "
            "an archive of them (.zip, .tar, .tar.gz or .tgz, .tar.bz2, .tar.xz, .tar.zst), "
            "a URL fsspec reads (s3://bucket/crawl/, gs://..., https://...), "
            "or - for JSON Lines on standard input."
        ),
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON report here.")
    ] = None,
    jsonl_out: Annotated[
        Path | None,
        typer.Option("--jsonl", help="Write the findings as JSONL, one a line, here."),
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here.")
    ] = None,
    parquet_out: Annotated[
        Path | None,
        typer.Option("--parquet", help="Write the findings as a Parquet table here."),
    ] = None,
    attributes_out: Annotated[
        Path | None,
        typer.Option(
            "--attributes",
            help="Write Dolma attribute files (a JSONL file an input file) in this new folder.",
        ),
    ] = None,
    text_key: Annotated[
        str, typer.Option(help="JSON field or CSV column holding the text.")
    ] = "text",
    id_key: Annotated[
        str,
        typer.Option(help="JSON field or CSV column holding the id (default: the record number)."),
    ] = "id",
    include: Annotated[list[str] | None, typer.Option(help=_INCLUDE)] = None,
    exclude: Annotated[list[str] | None, typer.Option(help=_EXCLUDE)] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes for per-document work (default: every core this process may use; "
            "one for inputs under 8 MB); with --engine dask, the LocalCluster's workers."
        ),
    ] = 0,
    tmp_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the scan's temporary files (shingles, band keys, tokens: "
            "about 4x the input file's size); default: the system's."
        ),
    ] = None,
    engine: _EngineOption = None,
    scheduler: _SchedulerOption = None,
    shared_tmp_dir: _SharedOption = None,
    index: Annotated[
        Path | None,
        typer.Option(
            help="A persistent index (SQLite; made if missing): scan the input as a new batch "
            "against every document indexed before, then add it.",
            rich_help_panel=_INDEX_PANEL,
        ),
    ] = None,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="With --index: check against it, add nothing.",
            rich_help_panel=_INDEX_PANEL,
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing reports.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary, no progress.")] = False,
    config: Config | None = None,
) -> None:
    """Scan a corpus and report every duplicated span, cluster and boilerplate paragraph."""
    from dedup.formats import location
    from dedup.outputs import check

    try:
        corpus = location(path)
        outs = [o for o in (json_out, jsonl_out, html_out, parquet_out) if o is not None]
        check([corpus], outs, force, files=True)
        if attributes_out is not None:
            check([corpus], [*outs, attributes_out], force)
        _check_tmp_dir(tmp_dir)
        source = _source(corpus, text_key, id_key, include, exclude, quiet)
        for given, option in ((html_out, "--html"), (attributes_out, "--attributes")):
            if given is not None:
                _rereadable(source, option)
        _check_index(index, read_only, corpus, outs + ([attributes_out] if attributes_out else []))
        config = _index_config(config, index)
        # Imported once the arguments are checked: a mistyped path is told
        # at once, not after the kernels' imports (half a second).
        from dedup.reports.attributes import write_attributes
        from dedup.reports.html import write_html
        from dedup.reports.json import write_json
        from dedup.reports.jsonl import write_jsonl
        from dedup.reports.parquet import write_parquet
        from dedup.reports.terminal import render

        recorded: dict[str, Any] = {"path": _absolute(corpus), "text_key": text_key}
        recorded["id_key"] = id_key
        recorded.update({k: v for k, v in (("include", include), ("exclude", exclude)) if v})

        def write(result: ScanResult) -> None:
            _unless_interrupted()
            if json_out is not None:
                write_json(result, json_out, None if _is_stdin(corpus) else recorded, force)
            if jsonl_out is not None:
                write_jsonl(result, jsonl_out, force)
            if html_out is not None:
                write_html(
                    result, html_out, _texts(source, quiet, len(result.documents)), force=force
                )
            if parquet_out is not None:
                write_parquet(result, parquet_out, force)
            if attributes_out is not None:
                write_attributes(result, source, attributes_out, force)

        # With an index, the reports are written before the batch is added:
        # a run stopped between the two leaves reports and an index without
        # the batch (run it again with --force), never a batch nobody saw.
        adding = index is not None and not read_only
        with_index: dict[str, Any] = {
            "index": index, "read_only": read_only, "batch_name": str(corpus),
        }  # fmt: skip
        if adding:
            with_index["before_adding"] = write
        result = _scan_with_progress(
            source, config, quiet, _Where(workers, tmp_dir, engine, scheduler, shared_tmp_dir),
            **with_index,
        )  # fmt: skip
        if not adding:
            write(result)
    except DedupError as e:
        raise _fail(str(e)) from None
    if not quiet:
        Console().print(render(result))
        if index is not None:
            _err.print(_index_line(result.config["index"]), highlight=False)
        for output in (json_out, jsonl_out, html_out, parquet_out, attributes_out):
            if output is not None:
                _err.print(f"report written to {output}", highlight=False)


@app.command()
def report(
    report_path: Annotated[
        Path, typer.Argument(metavar="REPORT", help="A JSON report of dedup scan.")
    ],
    html_out: Annotated[Path, typer.Option("--html", help="Write the HTML report here.")],
    input_path: Annotated[
        Path | None,
        typer.Option("--input", help="The scanned corpus (default: the path the report records)."),
    ] = None,
    max_documents: Annotated[
        int, typer.Option(help="Texts of documents with findings embedded at most.")
    ] = 100_000,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing report.")] = False,
) -> None:
    """Render a saved JSON report as HTML, without scanning again."""
    from dedup.outputs import check
    from dedup.reports.json import read_report

    try:
        check([report_path], [html_out], force, files=True)
        result, recorded = read_report(report_path)
        source = _recorded(report_path, recorded, input_path)
        check([report_path, source.path], [html_out], force, files=True)
        # (after the checks: they import the kernels)
        from dedup.clean import CorpusCheck
        from dedup.reports.html import write_html

        # The corpus checked against the report as its texts are read.
        checking = CorpusCheck(result, str(source.path))
        texts = _texts(source, False, len(result.documents), checking)
        write_html(result, html_out, texts, max_documents, force)
    except DedupError as e:
        raise _fail(str(e)) from None
    _err.print(f"report written to {html_out}", highlight=False)


def _counted(items: Iterable[T], advance: Callable[[int], None]) -> Iterator[T]:
    for item in items:
        advance(1)
        yield item


def _recorded(
    report_path: Path, recorded: dict[str, Any] | None, input_path: Path | None
) -> Source:
    """The corpus a report describes: where it records (``recorded``, its
    ``input``; or ``input_path``), read with the keys it records."""
    from dedup.formats import Source, location

    source = recorded or {}
    corpus = input_path or (location(source["path"]) if "path" in source else None)
    if corpus is None:
        raise DedupError(f"{report_path}: records no input path; give it with --input")
    return Source(
        corpus,
        source.get("text_key", "text"),
        source.get("id_key", "id"),
        tuple(source.get("include", ())),
        tuple(source.get("exclude", ())),
    )


@app.command()
def explain(
    report_path: Annotated[
        Path, typer.Argument(metavar="REPORT", help="A JSON report of dedup scan.")
    ],
    doc: Annotated[str, typer.Argument(metavar="DOC", help="The document's id.")],
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="The scanned corpus, to quote the spans (default: the path the report records).",
        ),
    ] = None,
    within: _Within = True,
    formula: _Formula = False,
    near_duplicates: _NearDuplicates = True,
    keep: _KeepOption = Config.representative,
    across: _Across = False,
    boilerplate: _BoilerplateOption = False,
) -> None:
    """Say what was found in one document, what it copies, and what clean does to it and why."""
    import difflib

    from dedup.readers import read_documents
    from dedup.reports.json import read_report

    try:
        result, recorded = read_report(report_path)
        stats = {d.id: d for d in [*result.indexed, *result.documents]}
        if doc not in stats:
            near = difflib.get_close_matches(doc, list(stats), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise DedupError(f"{report_path}: no document {doc!r} ({len(stats):,} documents){hint}")
        from dedup.clean import CleanPolicy, check_text, plan  # (after the checks: the kernels)
        from dedup.reports.explain import explain as explain_doc

        policy = CleanPolicy(
            within, near_duplicates, _representative(keep, "--keep"), across, boilerplate, formula
        )
        text: str | None = None
        try:
            source = _recorded(report_path, recorded, input_path)
            text = next((d.text for d in read_documents(source) if d.id == doc), None)
        except DedupError as e:  # the corpus moved or is gone: say so, explain without quotes
            _err.print(f"spans not quoted: {e}", highlight=False, soft_wrap=True)
        if text is not None:
            check_text(stats[doc], text, str(source.path))
        lines = explain_doc(
            result, doc, plan(result, policy), policy, lambda d: text if d == doc else None
        )
    except DedupError as e:
        raise _fail(str(e)) from None
    typer.echo("\n".join(lines))


# What clean removes: its options, which dedup explain takes too.
_CLEAN_PANEL = "What clean removes"
_Within = Annotated[
    bool,
    typer.Option(
        help="Remove later copies of blocks repeated inside a document.",
        rich_help_panel=_CLEAN_PANEL,
    ),
]
_Formula = Annotated[
    bool,
    typer.Option(
        help="Also remove repeated formulas and refrains (a condolence or cabinet "
        "formula for a second case, a poem's refrain).",
        rich_help_panel=_CLEAN_PANEL,
    ),
]
_NearDuplicates = Annotated[
    bool,
    typer.Option(
        help="Drop each document that a kept document covers (see --keep).",
        rich_help_panel=_CLEAN_PANEL,
    ),
]
_KeepOption = Annotated[
    str,
    typer.Option(
        help="Which document of a cluster to keep: covering (the copy that covers "
        "the others) | first | longest.",
        rich_help_panel=_CLEAN_PANEL,
    ),
]
_Across = Annotated[
    bool,
    typer.Option(
        help="Remove paragraphs that copy an earlier document's paragraph.",
        rich_help_panel=_CLEAN_PANEL,
    ),
]
_BoilerplateOption = Annotated[
    bool,
    typer.Option(
        help="Remove boilerplate paragraphs, first occurrences too.",
        rich_help_panel=_CLEAN_PANEL,
    ),
]


@app.command()
@_with_config
def clean(
    path: Annotated[str, typer.Argument(help="The corpus: as for dedup scan.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Where to write the cleaned corpus (same format as the input)."
        ),
    ],
    within: _Within = True,
    formula: _Formula = False,
    near_duplicates: _NearDuplicates = True,
    keep: _KeepOption = Config.representative,
    across: _Across = False,
    boilerplate: _BoilerplateOption = False,
    log: Annotated[
        Path | None,
        typer.Option(help="Removal log (JSONL). Default: OUT.removals.jsonl beside the output."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Use this JSON report of the same corpus instead of scanning again."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.")] = False,
    text_key: Annotated[
        str, typer.Option(help="JSON field or CSV column holding the text.")
    ] = "text",
    id_key: Annotated[str, typer.Option(help="JSON field or CSV column holding the id.")] = "id",
    include: Annotated[list[str] | None, typer.Option(help=_INCLUDE)] = None,
    exclude: Annotated[list[str] | None, typer.Option(help=_EXCLUDE)] = None,
    workers: Annotated[
        int, typer.Option(help="Processes for the scan (default: as for scan).")
    ] = 0,
    tmp_dir: Annotated[
        Path | None, typer.Option(help="Folder for the scan's temporary files.")
    ] = None,
    engine: _EngineOption = None,
    scheduler: _SchedulerOption = None,
    shared_tmp_dir: _SharedOption = None,
    index: Annotated[
        Path | None,
        typer.Option(
            help="A persistent index: also remove what its documents already hold "
            "(they are the originals). Read only: scan --index adds a batch.",
            rich_help_panel=_INDEX_PANEL,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary, no progress.")] = False,
    config: Config | None = None,
) -> None:
    """Write the corpus back without its repeats (never text found nowhere else), log each cut."""
    from dedup.formats import location
    from dedup.outputs import check, staged
    from dedup.readers import read_documents
    from dedup.reports.json import read_json
    from dedup.reports.terminal import render_removals
    from dedup.writers import write_corpus, write_removals

    log = log or out.with_name(out.name + ".removals.jsonl")
    try:
        corpus = location(path)
        source = _source(corpus, text_key, id_key, include, exclude, quiet)
        _rereadable(source, "clean")
        # (after the checks: the kernels)
        from dedup.clean import CleanPolicy, CorpusCheck, clean_text, plan

        policy = CleanPolicy(
            within, near_duplicates, _representative(keep, "--keep"), across, boilerplate, formula
        )
        with ExitStack() as outputs:
            if not dry_run:  # claimed first: a second run on them stops before scanning
                check([corpus] + ([report] if report else []), [out, log], force)
                out_tmp, log_tmp = outputs.enter_context(staged([out, log], force))
            if report is not None:
                if config is not None:
                    raise DedupError("scan settings do not apply with --report (its scan's do)")
                if index is not None:
                    raise DedupError("--index does not apply with --report (its scan's did)")
                result = read_json(report)
                # The corpus is checked against it as it is cleaned (below).
                checking: CorpusCheck | None = CorpusCheck(result, str(source.path))
            else:
                checking = None
                _check_index(index, False, corpus, [out, log])
                config = _index_config(config, index)
                _check_tmp_dir(tmp_dir)
                with_index = {"index": index, "read_only": True} if index else {}
                result = _scan_with_progress(
                    source, config, quiet,
                    _Where(workers, tmp_dir, engine, scheduler, shared_tmp_dir), **with_index,
                )  # fmt: skip
                if index is not None and (skipped := result.config["index"]["skipped"]):
                    raise DedupError(
                        f"{corpus}: {skipped:,} of its documents are in the index already: clean "
                        "a batch before scan --index adds it, or with --report of that scan"
                    )
            todo = plan(result, policy)
            removals: list[Removal] = []
            writing = outputs.enter_context(
                _progress(quiet, "cleaning", len(result.documents), "documents")
            )[0]

            def cleaned(doc: Document) -> str | None:
                writing(1)
                if checking is not None:
                    checking(doc)
                if doc.id in todo.dropped:
                    removals.append(todo.dropped[doc.id])
                    return None
                if doc.id not in todo.cuts:
                    return doc.text
                text, cut = clean_text(doc.id, doc.text, todo.cuts[doc.id])
                removals.extend(cut)
                return text

            if dry_run:
                for doc in read_documents(source):
                    cleaned(doc)
            else:
                try:
                    write_corpus(source, out_tmp, cleaned, out.name)
                except OSError as e:
                    raise OutputError(f"{out}: cannot write ({e.strerror})") from None
            if checking is not None:
                checking.done()
            if not dry_run:
                try:
                    write_removals((asdict(r) for r in removals), log_tmp)
                except OSError as e:
                    raise OutputError(f"{log}: cannot write ({e.strerror})") from None
    except DedupError as e:
        raise _fail(str(e)) from None
    if not quiet or dry_run:
        Console().print(render_removals(removals, result, dry_run))
        if not dry_run:
            _err.print(f"cleaned corpus written to {out}, removal log to {log}", highlight=False)


index_app = typer.Typer(no_args_is_help=True, help="Persistent indexes (scan --index).")
app.add_typer(index_app, name="index")


@index_app.command("info")
def index_info(
    path: Annotated[Path, typer.Argument(help="The index file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
) -> None:
    """Say what an index holds (documents, batches) and how it was built."""
    import json

    from dedup.archive import describe

    try:
        info = describe(path)
    except DedupError as e:
        raise _fail(str(e)) from None
    if as_json:
        typer.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    p = info["parameters"]
    lines = [
        f"{info['path']}: {info['schema']}, created {info['created']}",
        f"{info['documents']:,} documents in {len(info['batches']):,} "
        f"batch{'' if len(info['batches']) == 1 else 'es'}, "
        f"{info['bytes']:,} bytes ({info['bytes'] // max(info['documents'], 1):,} a document)",
        f"shingles of {p['shingle_size']} tokens, {p['num_perm']} permutations, seed {p['seed']}, "
        f"normalization {p['normalization_version']}, {p['minhash_scheme']}",
    ]
    lines += [
        f"  batch {b['batch']}: {b['documents']:,} documents from {b['name']} ({b['added']})"
        for b in info["batches"][-10:]
    ]
    typer.echo("\n".join(lines))


def _texts(
    source: Source, quiet: bool, total: int, checking: CorpusCheck | None = None
) -> Callable[[set[str]], Iterator[tuple[str, str]]]:
    """The texts of the documents asked for, read again from the corpus (for
    the HTML report, which embeds only those with findings); with
    ``checking``, every document is read and checked."""
    from dedup.readers import read_documents

    def texts(ids: set[str]) -> Iterator[tuple[str, str]]:
        left = set(ids)
        with _progress(quiet, "reading texts", total, "documents") as (advance, _):
            for doc in _counted(read_documents(source), advance):
                if checking is not None:
                    checking(doc)
                if doc.id in left:
                    left.discard(doc.id)
                    yield doc.id, doc.text
                    if not left and checking is None:
                        return
        if checking is not None:
            checking.done()

    return texts


def _source(
    path: Path,
    text_key: str,
    id_key: str,
    include: list[str] | None,
    exclude: list[str] | None,
    quiet: bool,
) -> Source:
    """The corpus the options describe; says which files of a folder no format reads."""
    from dedup.formats import Source
    from dedup.readers import input_files, left_out

    source = Source(path, text_key, id_key, tuple(include or ()), tuple(exclude or ()))
    # (a big folder, or a compressed tar archive, which is read whole to list its files)
    shown = not quiet and _err.is_terminal
    with _err.status(f"listing the files of {path}") if shown else nullcontext():
        if not source.path.is_dir():  # a file missing or of no kind dedup reads: said now
            input_files(source)
        skipped = left_out(source)
    if skipped and not quiet:
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in sorted(skipped.items()))
        _err.print(
            f"{path}: left out {skipped.total():,} files of kinds dedup does not read ({kinds})",
            highlight=False,
            soft_wrap=True,
        )
    return source


def _absolute(path: Path) -> str:
    """Where the corpus is, recorded in a report: a URL as given."""
    from dedup.formats import is_url

    return str(path if is_url(path) else path.resolve())


def _is_stdin(path: Path) -> bool:
    from dedup.formats import STDIN

    return str(path) == STDIN


def _rereadable(source: Source, what: str) -> None:
    """Standard input is read once: ``what`` needs the texts again."""
    if _is_stdin(source.path):
        raise DedupError(
            f"{what} reads the corpus twice, standard input only once: save it to a file first"
        )


def _check_index(index: Path | None, read_only: bool, path: Path, outputs: list[Path]) -> None:
    """The index is neither an input nor an output (it may exist: it grows)."""
    from dedup.outputs import check

    if index is None:
        if read_only:
            raise DedupError("--read-only applies to --index")
        return
    check([path], [index, *outputs], force=True, files=True)


def _index_config(config: Config | None, index: Path | None) -> Config:
    """The settings given, else those an existing index was made with, else the defaults."""
    if config is None and index is not None and index.exists():
        from dedup.archive import settings

        return settings(index)
    return config or Config()


def _index_line(described: dict[str, Any]) -> str:
    """What a scan with an index did to it, in a line."""
    line = (
        f"index {described['path']}: checked against {described['documents_before']:,} "
        f"documents (read {described['read']:,}), added {described['added']:,}"
    )
    if described["skipped"]:
        line += f"; {described['skipped']:,} already in it, left out"
    return line


def _check_tmp_dir(tmp_dir: Path | None) -> None:
    if tmp_dir is not None and not tmp_dir.is_dir():
        what = "is not a folder" if tmp_dir.exists() else "does not exist"
        raise DedupError(f"{tmp_dir}: --tmp-dir {what}")


def _representative(value: str, option: str = "--representative") -> Keep:
    for keep in KEEP:
        if value == keep:
            return keep
    raise DedupError(f"{option} must be {' | '.join(KEEP)}, not {value!r}")


# Inputs smaller than this are scanned in one process by default: starting a
# worker (its imports and compiled kernels) takes longer than the work it
# would take over.
_SMALL_INPUT = 8_000_000  # bytes


def _default_workers(size: int | None) -> int:
    """Every core this process may use (cores.py), unless the input (of
    ``size`` bytes) is small."""
    small = size is not None and size < _SMALL_INPUT  # standard input: of unknown size
    return 1 if small else cores()


def _engine(
    name: str | None, scheduler: str | None, shared: bool | None, workers: int, quiet: bool
) -> Engine | None:
    """The engine ``--engine``, ``--scheduler`` and ``--shared-tmp-dir`` ask
    for (None: the local one). A scheduler means Dask, unless ``--engine
    local`` says otherwise (DASK_SCHEDULER_ADDRESS may be set for others)."""
    name = name or ("dask" if scheduler else "local")
    if name not in ("local", "dask"):
        raise DedupError(f"--engine must be local | dask, not {name!r}")
    if name == "local":
        if shared is not None:
            raise DedupError("--shared-tmp-dir applies to Dask workers (--engine dask)")
        return None
    from dedup.engines.dask import DaskEngine

    def started(dashboard: str) -> None:
        if not quiet:
            _err.print(f"dask dashboard: {dashboard}", highlight=False)

    return DaskEngine(address=scheduler, workers=workers, started=started, shared_disk=shared)


class _Where(NamedTuple):
    """Where a scan runs: the options of the Engine panel, and --tmp-dir."""

    workers: int
    tmp_dir: Path | None
    engine: str | None
    scheduler: str | None
    shared_tmp_dir: bool | None


def _scan_with_progress(
    source: Source, config: Config, quiet: bool, where: _Where, **with_index: Any
) -> ScanResult:
    """``pipeline.scan`` with a progress bar (``with_index``: its index
    arguments), where ``where`` says (the engine: ``_engine``)."""
    from dedup.pipeline import scan as run_scan

    size = _input_size(source)
    workers, tmp_dir = where.workers or _default_workers(size), where.tmp_dir
    engine = _engine(where.engine, where.scheduler, where.shared_tmp_dir, workers, quiet)
    # The tasks read the files (and say how many of their bytes) unless an
    # index has the documents read here first: then the total is unknown.
    total = None if with_index.get("index") else size
    with _progress(quiet, "reading", total, "bytes") as (advance, bar):

        def progress(documents: int, characters: int, size: int) -> None:
            advance(size, documents)

        def stage(name: str) -> None:
            assert bar is not None  # reading is done: the bar stands full, the clock counts on
            bar.update(bar.task_ids[0], description=name)

        # No bar, no callbacks: reading documents here would encode every
        # text to count its bytes for nothing.
        shown = bar is not None
        result = run_scan(
            source, config, progress=progress if shown else None, workers=workers,
            tmp_dir=tmp_dir, stage=stage if shown else None, engine=engine, **with_index,
        )  # fmt: skip
    _unless_interrupted()
    return result


@contextmanager
def _progress(
    quiet: bool, description: str, total: int | None, unit: str
) -> Iterator[tuple[Callable[..., None], Progress | None]]:
    """A progress bar on stderr (when it is a terminal and not ``quiet``) of
    ``total`` ``unit`` (``bytes`` or ``documents``), with an ETA when the
    total is known; yields ``advance(n, documents=0)`` and the bar."""
    if quiet or not _err.is_terminal:
        yield (lambda n, documents=0: None), None
        return
    from datetime import timedelta

    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
    )
    from rich.table import Column
    from rich.text import Text

    class Clock(ProgressColumn):
        """Time left while the total is known and not reached, else time taken."""

        def render(self, task: Task) -> Text:
            left = task.time_remaining
            if task.total is None or task.finished or left is None:
                return Text(str(timedelta(seconds=int(task.elapsed or 0))), style="yellow")
            return Text(f"{timedelta(seconds=int(left))} left", style="cyan")

    columns: list[Any] = [
        TextColumn("{task.description}", table_column=Column(max_width=26, no_wrap=True)),
        BarColumn(bar_width=16),
    ]
    if unit == "bytes":
        columns += [TextColumn("{task.fields[documents]:,} docs"), DownloadColumn()]
    else:
        columns += [MofNCompleteColumn(), TextColumn(unit)]
    columns.append(Clock())
    with Progress(*columns, console=_err, transient=True) as bar:
        task = bar.add_task(description, total=total, documents=0)
        count = [0]

        def advance(n: int, documents: int = 0) -> None:
            count[0] += documents
            bar.update(task, advance=n, documents=count[0])

        yield advance, bar


def _input_size(source: Source) -> int | None:
    """Bytes of the corpus's files (None for standard input)."""
    from dedup.formats.archives import size_of
    from dedup.readers import input_files

    if _is_stdin(source.path):
        return None
    return sum(size_of(f.path) for f in input_files(source))

"""Parquet (``.parquet``; a Hugging Face dataset's folder of shards is a
folder of them): a document a row, its text and id in the columns named by
``Source.text_key`` and ``id_key`` (without an id column, the row's number:
1 for the first). Read ``_ROWS`` rows at a time (pyarrow), so memory stays
flat however big the file; written back with the same schema, row order
and compression."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dedup.errors import InputError
from dedup.formats import (
    Cleaner,
    File,
    Format,
    Record,
    Source,
    Splitter,
    columns,
    is_url,
    open_bytes,
)
from dedup.formats.archives import member_of
from dedup.models import Document

if TYPE_CHECKING:  # imported where used: pyarrow costs 0.2 s to import
    import pyarrow as pa
    import pyarrow.parquet as pq

_ROWS = 1_000


def _batches(
    file: File, source: Source, groups: range | None = None, n: int = 0
) -> Iterator[tuple[pa.RecordBatch, list[Document]]]:
    """Each batch of rows (of the row ``groups``, which ``n`` rows come
    before; default: all), and its documents."""
    import pyarrow as pa

    path = file.path
    try:
        # Pages streamed through a small buffer: by default a whole column
        # chunk is read at once, and memory grew with the file (0.5 GB at 1 GB).
        parquet = _open(path, buffer_size=1 << 20, pre_buffer=False)
        names = parquet.schema_arrow.names
        if source.text_key not in names:
            raise InputError(
                f"{path}: no {source.text_key!r} column (it has {columns(names)}; "
                "--text-key names one)"
            )
        kind = parquet.schema_arrow.field(source.text_key).type
        if not any(test(kind) for test in (pa.types.is_string, pa.types.is_large_string)):
            raise InputError(f"{path}: column {source.text_key!r} holds {kind}, not text")
        with_id = source.id_key in names
        for batch in parquet.iter_batches(batch_size=_ROWS, row_groups=groups):
            texts = batch.column(source.text_key).to_pylist()
            ids = batch.column(source.id_key).to_pylist() if with_id else [None] * len(texts)
            docs = []
            for text, ident in zip(texts, ids, strict=True):
                n += 1
                if text is None:
                    raise InputError(
                        f"{path}: row {n}: no text (column {source.text_key!r} is null)"
                    )
                doc_id = str(n) if ident is None else str(ident)
                docs.append(
                    Document(f"{file.id_prefix}{doc_id}", text, {"source": str(path), "row": n})
                )
            yield batch, docs
    except (OSError, pa.ArrowException) as e:
        raise InputError(f"{path}: row {n + 1}: cannot read as Parquet ({e})") from None


def _open(path: Path, **options: Any) -> pq.ParquetFile:
    """A Parquet file; a URL's through fsspec, a zip member's from its
    archive (pyarrow reads them as file objects)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(open_bytes(path) if is_url(path) or member_of(path) else path, **options)


def read(file: File, source: Source) -> Iterator[Record]:
    for _, docs in _batches(file, source):
        for doc in docs:
            yield Record(doc)


def _ranges(file: File, size: int) -> list[tuple[int, int]] | None:
    """Runs of row groups of about ``size`` bytes (a row group is not split)."""
    import pyarrow as pa

    try:
        meta = _open(file.path).metadata
    except (OSError, pa.ArrowException):  # reading it whole says what is wrong, on one line
        return None
    ranges, start, held = [], 0, 0
    for g in range(meta.num_row_groups):
        held += meta.row_group(g).total_byte_size
        if held >= size or g == meta.num_row_groups - 1:
            ranges.append((start, g + 1))
            start, held = g + 1, 0
    return ranges if len(ranges) > 1 else None


def _count(file: File, start: int, stop: int) -> int:
    meta = _open(file.path).metadata
    return sum(meta.row_group(g).num_rows for g in range(start, stop))


def _read_range(file: File, source: Source, start: int, stop: int, rows: int) -> Iterator[Record]:
    for _, docs in _batches(file, source, range(start, stop), rows):
        for doc in docs:
            yield Record(doc)


def write(file: File, source: Source, dest: Path, name: str, clean: Cleaner) -> None:
    """The kept rows in their order, every column as it was, only the text
    replaced; the input's schema (its metadata too) and compression."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = _open(file.path)
    schema = parquet.schema_arrow
    row_groups = parquet.metadata.num_row_groups
    codec = parquet.metadata.row_group(0).column(0).compression if row_groups else "SNAPPY"
    codec = {"UNCOMPRESSED": "NONE", "LZ4_RAW": "LZ4"}.get(codec, codec)
    at = schema.get_field_index(source.text_key)
    with pq.ParquetWriter(dest, schema, compression=codec) as out:
        for batch, docs in _batches(file, source):
            texts = [clean(doc) for doc in docs]
            kept = pa.Table.from_batches([batch]).filter(pa.array([t is not None for t in texts]))
            column = pa.array([t for t in texts if t is not None], schema.field(at).type)
            out.write_table(kept.set_column(at, schema.field(at), column))


FORMAT = Format("parquet", (".parquet",), read, write, Splitter(_ranges, _count, _read_range))

"""Compressed outputs written a block a thread (dedup/formats/compress.py)
read back as the bytes written: by Python's modules and by the
command-line tools, in blocks of many sizes, written in pieces of any size."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup.formats import compress
from dedup.formats.compress import BlockWriter

DECOMPRESS = {".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress}
TOOLS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}


@pytest.fixture(scope="module")
def news_bytes(seed_texts: dict[str, str]) -> bytes:
    texts = list(seed_texts.values())
    if SAUDINEWSNET.exists():
        texts += [d.text for d in saudinewsnet(300)]
    return "\n".join(texts).encode("utf-8")


def write(path: Path, data: bytes, suffix: str, block: int | None, seed: int = 0) -> None:
    """``data`` in pieces of random sizes (some empty), as bytes, bytearray
    or memoryview, by 3 threads (more than the cores, so blocks finish out
    of turn)."""
    rng = random.Random(seed)
    with BlockWriter(path.open("wb"), suffix, threads=3, block=block) as fh:
        at = 0
        while at < len(data):
            piece = data[at : at + rng.choice([0, 1, 100, 5000, 70000])]
            fh.write(rng.choice([bytes, bytearray, memoryview])(piece))
            at += len(piece)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("block", [1000, 65536, None])
def test_blocks_read_back_as_written(
    tmp_path: Path, news_bytes: bytes, suffix: str, block: int | None
) -> None:
    path = tmp_path / f"out{suffix}"
    write(path, news_bytes, suffix, block)
    packed = path.read_bytes()
    assert DECOMPRESS[suffix](packed) == news_bytes
    if suffix == ".gz":  # one gzip member (as pigz writes it), not one a block
        whole = zlib.decompressobj(16 + zlib.MAX_WBITS)
        assert whole.decompress(packed) == news_bytes
        assert whole.eof and not whole.unused_data
        # The blocks' sync flushes and fresh starts cost little against one gzip -6.
        if block is not None and block >= 65536:
            assert len(packed) < 1.01 * len(gzip.compress(news_bytes, 6))


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_nothing_written_is_an_empty_compressed_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    with BlockWriter(path.open("wb"), suffix):
        pass
    assert path.stat().st_size > 0 and DECOMPRESS[suffix](path.read_bytes()) == b""


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_the_command_line_tools_read_them(tmp_path: Path, news_bytes: bytes, suffix: str) -> None:
    tool = shutil.which(TOOLS[suffix])
    if tool is None:
        pytest.skip(f"{TOOLS[suffix]} is not installed")
    path = tmp_path / f"out{suffix}"
    write(path, news_bytes, suffix, block=65536, seed=1)
    done = subprocess.run([tool, "-dc", str(path)], capture_output=True, check=True)
    assert done.stdout == news_bytes


def test_an_error_while_writing_abandons_the_rest(tmp_path: Path, news_bytes: bytes) -> None:
    """Closed on the way out of an error (directly, or by a TextIOWrapper
    over it), the writer compresses nothing more: its output is dropped
    (outputs are staged), and an interrupt must not wait for xz's blocks."""
    for wrapped in (False, True):
        path = tmp_path / f"cut{wrapped}.gz"
        raw = BlockWriter(path.open("wb"), ".gz", block=65536)
        with pytest.raises(RuntimeError, match="stop"), raw:
            if wrapped:
                with io.TextIOWrapper(raw, "utf-8") as text:
                    text.write(news_bytes.decode("utf-8"))
                    raise RuntimeError("stop")
            raw.write(news_bytes)
            raise RuntimeError("stop")
        assert raw.closed
        with pytest.raises(EOFError):  # no last block, no trailer
            gzip.decompress(path.read_bytes())


def test_gzipped_bytes_are_the_bytes_and_the_block_writers(
    news_bytes: bytes, tmp_path: Path
) -> None:
    """compress.gzipped (the HTML report's data): one gzip member that gzip
    reads back as the bytes given, over several blocks and for none, as
    BlockWriter writes it to a file."""
    data = news_bytes * (1 + (3 << 20) // len(news_bytes))  # 3 MB and more: 4 blocks
    for given in (data, b""):
        packed = compress.gzipped(given)
        assert gzip.decompress(packed) == given
        with BlockWriter((tmp_path / "f.gz").open("wb"), ".gz", threads=3) as fh:
            fh.write(given)
        assert (tmp_path / "f.gz").read_bytes() == packed
    # At another level (the report's 4): other bytes, the same data back.
    quick = compress.gzipped(data, level=4)
    assert gzip.decompress(quick) == data and quick != compress.gzipped(data)
    assert len(quick) < len(compress.gzipped(data, level=1))

#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets of tests/fuzz, made from fixtures/ at run time.

usage: make_seeds.py FIXTURES_DIR OUT_DIR

Writes OUT_DIR/<target>/<name> for every target: real files from the fixtures (manifests, meta
files, shard archives, and the TSM files, tombstones, blocks and block sections inside them) plus
a few hand-made inputs for layouts the fixtures lack (zstd archives, v1-v3 tombstones, WAL
segments: backups hold none). Nothing
here is committed; scripts/fuzz regenerates it into the build directory.
"""
import gzip
import hashlib
import io
import pathlib
import shutil
import struct
import subprocess
import sys
import tarfile


def uvarint(data, pos):
    """Go's binary.Uvarint: (value, next position) or (None, pos) when malformed."""
    value = shift = 0
    while pos < len(data) and shift < 70:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
    return None, pos


def tsm_blocks(tsm):
    """(type, block bytes without CRC) for every index entry of a TSM file (docs/FORMATS.md §6.2)."""
    if len(tsm) < 13:
        return
    index_at = struct.unpack(">Q", tsm[-8:])[0]
    pos, end = index_at, len(tsm) - 8
    while pos + 2 <= end:
        key_len = struct.unpack(">H", tsm[pos:pos + 2])[0]
        pos += 2 + key_len
        block_type, count = tsm[pos], struct.unpack(">H", tsm[pos + 1:pos + 3])[0]
        pos += 3
        for _ in range(count):
            _, _, offset, size = struct.unpack(">qqQI", tsm[pos:pos + 28])
            pos += 28
            yield block_type, tsm[offset + 4:offset + size]


def block_sections(block):
    """(timestamp section, value section) of a block (docs/FORMATS.md §7.1)."""
    ts_len, at = uvarint(block, 1)
    if ts_len is None:
        return None
    return block[at:at + ts_len], block[at + ts_len:]


class Seeds:
    def __init__(self, out):
        self.out = pathlib.Path(out)

    def add(self, target, data, name=None):
        d = self.out / target
        d.mkdir(parents=True, exist_ok=True)
        (d / (name or hashlib.sha1(data).hexdigest())).write_bytes(data)


def snappy_literal(data):
    """A Snappy raw block holding `data` as literals only (docs/FORMATS.md §7.7), no library needed."""
    out = bytearray()
    n = len(data)
    while True:  # uvarint of the decompressed length
        out.append((n & 0x7F) | (0x80 if n >= 0x80 else 0))
        n >>= 7
        if not out[-1] & 0x80:
            break
    for at in range(0, len(data), 60):
        chunk = data[at:at + 60]
        out.append((len(chunk) - 1) << 2)  # tag 00: a literal of up to 60 bytes
        out += chunk
    return bytes(out)


def wal_entry(entry_type, data):
    """One WAL entry (docs/FORMATS.md §11.2): type, u32 BE length, Snappy block."""
    block = snappy_literal(data)
    return struct.pack(">BI", entry_type, len(block)) + block


def wal_seeds(seeds):
    """WAL segments with every entry and value type (§11.3-§11.5), whole and cut short."""
    def record(value_type, key, values):
        return struct.pack(">BH", value_type, len(key)) + key + struct.pack(">I", len(values)) + b"".join(values)

    write = (record(1, b"cpu,host=a#!~#f", [struct.pack(">qd", 1, 1.5), struct.pack(">qd", 0, -2.0)])
             + record(2, b"cpu,host=a#!~#i", [struct.pack(">qq", 1, -7)])
             + record(3, b"cpu,host=a#!~#b", [struct.pack(">qB", 1, 1), struct.pack(">qB", 1, 0)])
             + record(4, b"cpu,host=a#!~#s", [struct.pack(">qI", 2, 3) + b"abc", struct.pack(">qI", 3, 0)])
             + record(5, b"cpu,host=a#!~#u", [struct.pack(">qQ", 4, 2**64 - 1)]))
    delete = wal_entry(2, b"cpu,host=a#!~#f\nmem#!~#free")
    delete_range = wal_entry(3, struct.pack(">qqI", -5, 100, 15) + b"cpu,host=a#!~#i")
    segment = wal_entry(1, write) + delete_range + wal_entry(1, write[:60]) + delete
    seeds.add("wal_segment_fuzz", segment, "all-entries")
    seeds.add("wal_segment_fuzz", segment[:-7], "cut-short")
    seeds.add("wal_segment_fuzz", b"", "empty")


def tar_members(data):
    """(name, bytes) of each regular file in a tar, plain or gzip-wrapped."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for m in tar.getmembers():
                if m.isfile():
                    yield m.name, tar.extractfile(m).read()
    except (tarfile.TarError, EOFError, OSError):
        return


def zstd_compress(data):
    zstd = shutil.which("zstd")
    if not zstd:
        return None
    return subprocess.run([zstd, "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout


def main(fixtures, out):
    fixtures = pathlib.Path(fixtures)
    seeds = Seeds(out)
    shutil.rmtree(out, ignore_errors=True)
    files = sorted(p for p in fixtures.rglob("*") if p.is_file())
    archives = []
    for p in files:
        data = p.read_bytes()
        if p.suffix == ".manifest":
            seeds.add("manifest_fuzz", data)
        elif p.suffix == ".meta":
            seeds.add("portable_meta_fuzz", data)
            blob_len, at = uvarint(data, 1)
            if data[:1] == b"\x0a" and blob_len is not None:
                seeds.add("meta_data_fuzz", data[at:at + blob_len])
        elif p.name.startswith("meta.") and p.name[5:].isdigit():
            seeds.add("legacy_meta_fuzz", data)
            blob_len = struct.unpack(">Q", data[8:16])[0]
            seeds.add("meta_data_fuzz", data[16:16 + blob_len])
        elif p.name.endswith(".tar.gz") or p.suffix[1:].isdigit():
            archives.append(data)
        elif p.suffix == ".json":
            for line in p.read_text(errors="replace").splitlines():
                if '"line_protocol"' in line:
                    seeds.add("line_protocol_fuzz", line.strip().encode()[:4096])

    # Archives: as stored, and (the smallest few) recompressed with zstd; their contents feed
    # the TSM, tombstone, block and section targets.
    for data in archives:
        seeds.add("shard_archive_fuzz", data)
        raw = data if data[:2] != b"\x1f\x8b" else gzip.decompress(data)
        if len(raw) <= 16384:
            z = zstd_compress(raw)
            if z:
                seeds.add("shard_archive_fuzz", z)
        for name, body in tar_members(data):
            seeds.add("shard_entry_name_fuzz", name.encode())
            if name.endswith(".tsm"):
                seeds.add("tsm_file_fuzz", body)
                for block_type, block in tsm_blocks(body):
                    seeds.add("block_fuzz", block)
                    sections = block_sections(block)
                    if not sections:
                        continue
                    times, values = sections
                    seeds.add("timestamp_codec_fuzz", times)
                    target = {0: "float_codec_fuzz", 1: "integer_codec_fuzz", 2: "boolean_codec_fuzz",
                              3: "string_codec_fuzz", 4: "unsigned_codec_fuzz"}.get(block_type)
                    if target:
                        seeds.add(target, values)
                    if block_type == 1:  # same layout (docs/FORMATS.md §7.5)
                        seeds.add("unsigned_codec_fuzz", values)
            elif name.endswith(".tombstone"):
                seeds.add("tombstone_fuzz", body)

    # Tombstone versions the fixtures do not hold (influxd 1.6.7 writes v4 only).
    record = struct.pack(">I", 14) + b"cpu,host=a#!~#" + struct.pack(">qq", -5, 100)
    seeds.add("tombstone_fuzz", b"cpu,host=a#!~#value\nmem#!~#free\r\n", "v1")
    seeds.add("tombstone_fuzz", struct.pack(">I", 0x1502) + record * 2, "v2")
    seeds.add("tombstone_fuzz", struct.pack(">I", 0x1503) + gzip.compress(record * 2, mtime=0), "v3")
    seeds.add("tombstone_fuzz", struct.pack(">I", 0x1504) + gzip.compress(record, mtime=0) * 2, "v4")
    wal_seeds(seeds)
    for name in (b"db/rp/1/000000001-000000001.tsm", b"/db/rp/1/x", b"db/../1/x", b"db/rp/18446744073709551616/x"):
        seeds.add("shard_entry_name_fuzz", name)
    seeds.add("line_protocol_fuzz", b"cpu\x02host\x01a\x01 b,\\=\"\x00" + bytes(range(0, 64)))
    for target in ("manifest_fuzz", "legacy_meta_fuzz", "portable_meta_fuzz", "meta_data_fuzz"):
        seeds.add(target, b"", "empty")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))

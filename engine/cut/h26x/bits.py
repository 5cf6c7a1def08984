"""Bits of H.264 / HEVC headers: Exp-Golomb reads and writes, emulation prevention, header splices.

Only headers are ever parsed (parameter sets, slice headers). Slice data is never touched bit by
bit: a rewritten slice is its new header spliced onto the ORIGINAL escaped bytes of the rest of
the NAL unit, so a picture costs a few hundred bytes of Python work whatever its size.

Malformed input raises ``ValueError``.
"""

from __future__ import annotations

import re

_EPB_NEEDED = re.compile(b"\x00\x00(?=[\x00-\x03])")


def unescape(data: bytes) -> bytes:
    """RBSP from escaped bytes: drop emulation prevention bytes (``00 00 03`` -> ``00 00``).

    ``bytes.replace`` scans left to right without overlap, which is exactly the spec's zero
    counter (it starts again after an emulation prevention byte).
    """
    return data.replace(b"\x00\x00\x03", b"\x00\x00")


def escape(rbsp: bytes) -> bytes:
    """Escaped bytes from RBSP: a 03 after every ``00 00`` that a byte 00..03 follows."""
    return _EPB_NEEDED.sub(b"\x00\x00\x03", rbsp)


def escaped_offset(ebsp: bytes, rbsp_offset: int) -> int:
    """Where, in the escaped bytes, the byte at ``rbsp_offset`` of the unescaped ones is."""
    zeros = 0
    i = 0  # escaped position
    n = 0  # unescaped bytes passed
    while n < rbsp_offset:
        if i >= len(ebsp):
            raise ValueError("offset past the end of the NAL unit")
        b = ebsp[i]
        if zeros >= 2 and b == 3:
            zeros = 0
            i += 1
            continue
        zeros = zeros + 1 if b == 0 else 0
        i += 1
        n += 1
    # an emulation prevention byte right at the cut belongs to the prefix
    if zeros >= 2 and i < len(ebsp) and ebsp[i] == 3:
        i += 1
    return i


def splice_header(ebsp: bytes, old_header_len: int, new_header: bytes) -> bytes:
    """Replace the first ``old_header_len`` unescaped bytes of ``ebsp`` by ``new_header`` (RBSP).

    The rest stays as escaped bytes. That is exact when the byte before the cut is non-zero in
    both versions (the zero counter is then 0 on both sides), which holds for a slice header:
    its last byte carries the alignment 1 bit.
    """
    cut = escaped_offset(ebsp, old_header_len)
    rbsp_old = unescape(ebsp[:cut])
    if not rbsp_old or rbsp_old[-1] == 0 or not new_header or new_header[-1] == 0:
        raise ValueError("cannot splice a header at a zero byte")
    return escape(new_header) + ebsp[cut:]


class BitReader:
    """MSB-first reads over RBSP bytes, with Exp-Golomb codes."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos  # in bits
        self.value = int.from_bytes(data, "big")
        self.nbits = len(data) * 8

    def u(self, n: int) -> int:
        if n == 0:
            return 0
        if self.pos + n > self.nbits:
            raise ValueError("read past the end of the header")
        v = (self.value >> (self.nbits - self.pos - n)) & ((1 << n) - 1)
        self.pos += n
        return v

    def flag(self) -> bool:
        return bool(self.u(1))

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)

    def skip(self, n: int) -> None:
        if self.pos + n > self.nbits:
            raise ValueError("read past the end of the header")
        self.pos += n

    def byte_aligned(self) -> bool:
        return self.pos % 8 == 0

    def bits(self, start: int, end: int) -> tuple[int, int]:
        """The bits [start, end) as (value, count)."""
        n = end - start
        if n <= 0:
            return 0, 0
        return (self.value >> (self.nbits - end)) & ((1 << n) - 1), n

    def rbsp_payload_end(self) -> int:
        """Bit position of the rbsp_stop_one_bit (the last 1 bit of the data)."""
        v = self.value
        if v == 0:
            raise ValueError("no rbsp stop bit")
        trailing = (v & -v).bit_length() - 1
        return self.nbits - trailing - 1


class BitWriter:
    """MSB-first writes, with Exp-Golomb codes and the two kinds of alignment."""

    def __init__(self):
        self.value = 0
        self.n = 0

    def u(self, n: int, v: int) -> None:
        if n == 0:
            return
        if v < 0 or v >= 1 << n:
            raise ValueError(f"value {v} does not fit {n} bits")
        self.value = (self.value << n) | v
        self.n += n

    def ue(self, v: int) -> None:
        v += 1
        length = v.bit_length()
        self.u(length - 1, 0)
        self.u(length, v)

    def se(self, v: int) -> None:
        self.ue(2 * v - 1 if v > 0 else -2 * v)

    def append(self, value: int, count: int) -> None:
        """Bits as :meth:`BitReader.bits` gives them."""
        self.u(count, value)

    def align_with_stop_bit(self) -> None:
        """rbsp_trailing_bits / byte_alignment(): a 1, then 0s up to a byte boundary."""
        self.u(1, 1)
        self.u((-self.n) % 8, 0)

    def align_with_ones(self) -> None:
        """H.264 cabac_alignment_one_bit up to a byte boundary."""
        pad = (-self.n) % 8
        self.u(pad, (1 << pad) - 1)

    def to_bytes(self) -> bytes:
        if self.n % 8:
            raise ValueError("not byte aligned")
        return self.value.to_bytes(self.n // 8, "big")


def ue_bits(v: int) -> BitWriter:
    """One Exp-Golomb value, as bits to splice into a header."""
    w = BitWriter()
    w.ue(v)
    return w


def u_bits(n: int, v: int) -> BitWriter:
    """One fixed-width value, as bits to splice into a header."""
    w = BitWriter()
    w.u(n, v)
    return w


def rewrite_rbsp(rbsp: bytes, edits: list[tuple[int, int, BitWriter]]) -> bytes:
    """The RBSP (up to its stop bit) with bit spans replaced, re-terminated with rbsp_trailing_bits.

    ``edits`` are (start bit, end bit, new bits), sorted and disjoint.
    """
    r = BitReader(rbsp)
    end = r.rbsp_payload_end()
    w = BitWriter()
    pos = 0
    for start, stop, new in sorted(edits, key=lambda e: e[0]):
        if start < pos:
            raise ValueError("overlapping header edits")
        w.append(*r.bits(pos, start))
        w.append(new.value, new.n)
        pos = stop
    w.append(*r.bits(pos, end))
    w.align_with_stop_bit()
    return w.to_bytes()

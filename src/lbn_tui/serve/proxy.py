"""The PROXY protocol (v1 text, v2 binary), as HAProxy sends it: a small,
strict, bounded parser of our own.

Behind a TCP load balancer every connection comes from the balancer; with
``send-proxy-v2`` (or ``send-proxy``) it first writes one header naming the
reader's real address.  `read_header` reads exactly that header from a socket,
never a byte of what follows (the SSH stream), so the socket can be handed
on as it is.  Anything that is not a complete, well-formed header within
`HEADER_TIMEOUT` seconds and `V1_MAX_BYTES` / `V2_MAX_BYTES` bytes is
refused with `ProxyHeaderError`.

Specification: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt
No asyncssh here (import-linter checks it).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

#: v2's fixed 12-byte signature; v1 starts with ``PROXY ``.
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_PREFIX = b"PROXY "
#: v1's longest header, CRLF included (the specification's 107).
V1_MAX_BYTES = 107
#: v2: 16 fixed bytes, then at most this many bytes of addresses and TLVs.
#: IPv6 addresses take 36; HAProxy adds TLVs only when told to (unique-id,
#: ALPN, SSL...), which a plain TCP front does not need.  A UNIX-socket header
#: (216 bytes of addresses) is refused anyway.
V2_MAX_PAYLOAD = 512
V2_MAX_BYTES = 16 + V2_MAX_PAYLOAD
#: Seconds for the whole header to arrive (HAProxy sends it at once).
HEADER_TIMEOUT = 5.0

_V1_PORT_DIGITS = 5


class ProxyHeaderError(Exception):
    """The connection did not start with a header we accept."""


@dataclass(frozen=True, slots=True)
class ProxyHeader:
    """What the header said.  ``source`` is None for v2 LOCAL and v1 UNKNOWN
    (the proxy speaking for itself, e.g. a health check): the connection's own
    address is then the one to use."""

    version: int
    source: tuple[str, int] | None
    destination: tuple[str, int] | None
    length: int  # bytes the header took


# -- Parsing bytes.


def parse_v1(line: bytes) -> ProxyHeader:
    """One v1 line, ``PROXY TCP4 src dst sport dport\\r\\n`` (CRLF included)."""
    if len(line) > V1_MAX_BYTES:
        raise ProxyHeaderError(f"v1 header longer than {V1_MAX_BYTES} bytes")
    if not line.startswith(V1_PREFIX) or not line.endswith(b"\r\n"):
        raise ProxyHeaderError("v1 header must be 'PROXY ...' ending in CRLF")
    body = line[len(V1_PREFIX) : -2]
    if b"\r" in body or b"\n" in body:
        raise ProxyHeaderError("v1 header has a stray CR or LF")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise ProxyHeaderError("v1 header is not ASCII") from None
    if text == "UNKNOWN" or text.startswith("UNKNOWN "):
        return ProxyHeader(1, None, None, len(line))
    parts = text.split(" ")
    if len(parts) != 5:
        raise ProxyHeaderError("v1 header needs protocol, two addresses and two ports")
    proto, src, dst, sport, dport = parts
    if proto == "TCP4":
        version: type[ipaddress.IPv4Address] | type[ipaddress.IPv6Address] = ipaddress.IPv4Address
    elif proto == "TCP6":
        version = ipaddress.IPv6Address
    else:
        raise ProxyHeaderError(f"v1 protocol must be TCP4, TCP6 or UNKNOWN, not {proto[:8]!r}")
    try:
        source = str(version(src))
        destination = str(version(dst))
    except ValueError:
        raise ProxyHeaderError(f"v1 addresses are not {proto} addresses") from None
    return ProxyHeader(1, (source, _v1_port(sport)), (destination, _v1_port(dport)), len(line))


def _v1_port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > _V1_PORT_DIGITS:
        raise ProxyHeaderError("v1 port is not a number")
    if len(text) > 1 and text[0] == "0":
        raise ProxyHeaderError("v1 port has a leading zero")
    port = int(text)
    if port > 65535:
        raise ProxyHeaderError("v1 port above 65535")
    return port


def v2_length(fixed: bytes) -> int:
    """Bytes after the 16 fixed ones, from those 16; checks what they say."""
    if len(fixed) != 16 or not fixed.startswith(V2_SIGNATURE):
        raise ProxyHeaderError("not a v2 header")
    version, command = fixed[12] >> 4, fixed[12] & 0x0F
    if version != 2:
        raise ProxyHeaderError(f"v2 header with version {version}")
    if command not in (0, 1):
        raise ProxyHeaderError(f"v2 header with command {command}")
    (length,) = struct.unpack("!H", fixed[14:16])
    if length > V2_MAX_PAYLOAD:
        raise ProxyHeaderError(f"v2 header longer than {V2_MAX_BYTES} bytes")
    return int(length)


def parse_v2(data: bytes) -> ProxyHeader:
    """A whole v2 header (16 fixed bytes and the length they give)."""
    length = v2_length(data[:16])
    if len(data) != 16 + length:
        raise ProxyHeaderError("v2 header length does not match")
    command, family = data[12] & 0x0F, data[13]
    payload = data[16:]
    if command == 0:  # LOCAL: the proxy itself (health checks); addresses ignored
        return ProxyHeader(2, None, None, len(data))
    if family == 0x11:  # TCP over IPv4
        size, pack = 4, socket.AF_INET
    elif family == 0x21:  # TCP over IPv6
        size, pack = 16, socket.AF_INET6
    elif family == 0x00:  # UNSPEC with PROXY: treat like LOCAL, as the spec says
        return ProxyHeader(2, None, None, len(data))
    else:
        raise ProxyHeaderError(f"v2 address family/protocol 0x{family:02x} is not TCP")
    if length < 2 * size + 4:
        raise ProxyHeaderError("v2 header too short for its addresses")
    src = socket.inet_ntop(pack, payload[:size])
    dst = socket.inet_ntop(pack, payload[size : 2 * size])
    sport, dport = struct.unpack("!HH", payload[2 * size : 2 * size + 4])
    _check_tlvs(payload[2 * size + 4 :])
    return ProxyHeader(2, (src, sport), (dst, dport), len(data))


def _check_tlvs(data: bytes) -> None:
    """TLVs are skipped, but must add up exactly."""
    offset = 0
    while offset < len(data):
        if offset + 3 > len(data):
            raise ProxyHeaderError("v2 header ends inside a TLV")
        (size,) = struct.unpack("!H", data[offset + 1 : offset + 3])
        offset += 3 + size
        if offset > len(data):
            raise ProxyHeaderError("v2 TLV longer than the header")


# -- Reading from a socket.


async def _recv_exactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = await loop.sock_recv(sock, count - len(data))
        if not chunk:
            raise ProxyHeaderError("connection closed inside the PROXY header")
        data += chunk
    return bytes(data)


async def _read(sock: socket.socket) -> ProxyHeader:
    loop = asyncio.get_running_loop()
    # Both versions are told apart by their first 5 bytes ("PROXY" and
    # "\r\n\r\n\0"), and neither is shorter than 16 bytes: reading 5 never
    # takes a byte of the stream behind the header.
    start = await _recv_exactly(loop, sock, 5)
    if start == V1_PREFIX[:5]:
        line = bytearray(start)
        # One byte at a time: a v1 header has no length, and we must not read
        # past its CRLF.  At most 107 small reads, once per connection.
        while not line.endswith(b"\r\n"):
            if len(line) >= V1_MAX_BYTES:
                raise ProxyHeaderError(f"no CRLF within {V1_MAX_BYTES} bytes (v1)")
            line += await _recv_exactly(loop, sock, 1)
        return parse_v1(bytes(line))
    if start == V2_SIGNATURE[:5]:
        fixed = start + await _recv_exactly(loop, sock, 11)
        length = v2_length(fixed)
        return parse_v2(fixed + await _recv_exactly(loop, sock, length))
    raise ProxyHeaderError("the connection does not start with a PROXY header")


async def read_header(sock: socket.socket, timeout: float = HEADER_TIMEOUT) -> ProxyHeader:
    """Read one PROXY header (v1 or v2) from a non-blocking socket, and not a
    byte more.  Raises `ProxyHeaderError` (also on timeout)."""
    try:
        return await asyncio.wait_for(_read(sock), timeout)
    except TimeoutError:
        raise ProxyHeaderError(f"no complete PROXY header within {timeout:g} seconds") from None
    except OSError as exc:
        raise ProxyHeaderError(f"reading the PROXY header: {exc.strerror or exc}") from None


# -- Who may send one.


class ProxyAllowList:
    """The addresses (or networks) allowed to send PROXY headers."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks = tuple(parse_proxy_network(entry) for entry in entries)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def __str__(self) -> str:
        return ",".join(str(network) for network in self.networks)


def parse_proxy_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An address or network (``10.0.0.5``, ``10.0.0.0/24``, ``::1``); no names."""
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not an IP address or network ({exc})") from None

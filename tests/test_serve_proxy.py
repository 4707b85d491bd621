"""The PROXY protocol (``lbn-tui serve --proxy-protocol``): the parser
(`lbn_tui.serve.proxy`) byte by byte, then the real server given headers by
hand, then three real servers behind a real HAProxy (Debian's package) with
asyncssh readers from several loopback addresses."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

asyncssh = pytest.importorskip("asyncssh")

from test_serve import (  # noqa: E402
    APP_TEXT,
    Server,
    _open_reader,
    _read_all,
    _read_until,
)

from lbn_tui.serve import proxy  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the server is Linux-only")

HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
)
REPO = Path(__file__).resolve().parent.parent


def v2(
    command: int = 1,
    family: int = 0x11,
    src: str = "192.0.2.7",
    dst: str = "127.0.0.1",
    ports: tuple[int, int] = (50412, 2222),
    tlvs: bytes = b"",
    version: int = 2,
) -> bytes:
    if family == 0x21:
        addrs = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    elif family == 0x11:
        addrs = socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst)
    else:
        addrs = b""
    payload = addrs + (struct.pack("!HH", *ports) if addrs else b"") + tlvs
    return (
        proxy.V2_SIGNATURE
        + bytes([(version << 4) | command, family])
        + struct.pack("!H", len(payload))
        + payload
    )


# --------------------------------------------------------------------------
# The parser.


def test_v1_tcp4_tcp6_and_unknown() -> None:
    line = b"PROXY TCP4 192.0.2.7 127.0.0.1 50412 2222\r\n"
    assert proxy.parse_v1(line) == proxy.ProxyHeader(
        1, ("192.0.2.7", 50412), ("127.0.0.1", 2222), len(line)
    )
    header = proxy.parse_v1(b"PROXY TCP6 2001:db8::7 ::1 1 65535\r\n")
    assert header.source == ("2001:db8::7", 1)
    assert header.destination == ("::1", 65535)
    assert proxy.parse_v1(b"PROXY UNKNOWN\r\n").source is None
    assert proxy.parse_v1(b"PROXY UNKNOWN ffff::1 ::1 1 2\r\n").source is None
    longest = b"PROXY TCP6 " + b"ffff:" * 7 + b"ffff " + b"ffff:" * 7 + b"ffff 65535 65535\r\n"
    assert proxy.parse_v1(longest).source is not None
    # The specification's worst case is 107 bytes (UNKNOWN with two IPv6 addresses).
    padded = b"PROXY UNKNOWN " + b"x" * (proxy.V1_MAX_BYTES - 16) + b"\r\n"
    assert len(padded) == proxy.V1_MAX_BYTES
    assert proxy.parse_v1(padded).source is None
    with pytest.raises(proxy.ProxyHeaderError, match="longer than 107"):
        proxy.parse_v1(padded[:-2] + b"x\r\n")


@pytest.mark.parametrize(
    "line",
    [
        b"PROXY TCP4 192.0.2.7 127.0.0.1 50412 2222\n",  # LF only
        b"PROXY TCP4 192.0.2.7 127.0.0.1 50412\r\n",  # a port missing
        b"PROXY TCP4 192.0.2.7 127.0.0.1 50412 2222 9\r\n",  # one field too many
        b"PROXY TCP4  192.0.2.7 127.0.0.1 50412 2222\r\n",  # two spaces
        b"PROXY TCP4 192.0.2.7 ::1 50412 2222\r\n",  # IPv6 in TCP4
        b"PROXY TCP6 192.0.2.7 127.0.0.1 50412 2222\r\n",  # IPv4 in TCP6
        b"PROXY TCP4 192.0.2.256 127.0.0.1 50412 2222\r\n",
        b"PROXY TCP4 example.org 127.0.0.1 50412 2222\r\n",  # a name
        b"PROXY TCP4 192.0.2.7 127.0.0.1 65536 2222\r\n",
        b"PROXY TCP4 192.0.2.7 127.0.0.1 -1 2222\r\n",
        b"PROXY TCP4 192.0.2.7 127.0.0.1 0080 2222\r\n",  # leading zero
        b"PROXY TCP4 192.0.2.7 127.0.0.1 \xd9\xa1 2222\r\n",  # Arabic-Indic digit
        b"PROXY UDP4 192.0.2.7 127.0.0.1 50412 2222\r\n",
        b"PROXY tcp4 192.0.2.7 127.0.0.1 50412 2222\r\n",
        b"PROXY TCP4 192.0.2.7\r127.0.0.1 50412 2222\r\n",
        b"proxy TCP4 192.0.2.7 127.0.0.1 50412 2222\r\n",
        b"PROXY TCP6 " + b"f" * 100 + b"\r\n",  # longer than 107
    ],
)
def test_v1_malformed_is_refused(line: bytes) -> None:
    with pytest.raises(proxy.ProxyHeaderError):
        proxy.parse_v1(line)


def test_v2_tcp4_tcp6_local_and_tlvs() -> None:
    data = v2()
    assert proxy.parse_v2(data) == proxy.ProxyHeader(
        2, ("192.0.2.7", 50412), ("127.0.0.1", 2222), 28
    )
    header = proxy.parse_v2(v2(family=0x21, src="2001:db8::7", dst="::1"))
    assert header.source == ("2001:db8::7", 50412)
    assert proxy.parse_v2(v2(command=0)).source is None  # LOCAL: a health check
    assert proxy.parse_v2(v2(family=0x00)).source is None  # UNSPEC
    tlvs = b"\x04\x00\x00" + b"\x05\x00\x03abc"  # NOOP (empty), UNIQUE_ID
    assert proxy.parse_v2(v2(tlvs=tlvs)).source == ("192.0.2.7", 50412)


@pytest.mark.parametrize(
    "data",
    [
        v2(version=1),
        v2(command=2),
        v2(family=0x12),  # UDP over IPv4
        v2(family=0x31),  # UNIX stream
        v2(tlvs=b"\x05\x00"),  # a TLV cut short
        v2(tlvs=b"\x05\x00\x09abc"),  # a TLV longer than the header
        v2()[:-1],  # shorter than it says
        v2()[:14] + struct.pack("!H", 8) + v2()[16:24],  # too short for two IPv4 addresses
        v2()[:14] + struct.pack("!H", proxy.V2_MAX_PAYLOAD + 1) + b"\0" * 600,
        b"\r\n\r\n\x00\r\nQUIX\n" + v2()[12:],
    ],
)
def test_v2_malformed_is_refused(data: bytes) -> None:
    with pytest.raises(proxy.ProxyHeaderError):
        proxy.parse_v2(data)


def test_allow_list() -> None:
    allowed = proxy.ProxyAllowList(["127.0.0.1", "10.0.0.0/24", "::1"])
    assert "127.0.0.1" in allowed
    assert "10.0.0.200" in allowed
    assert "::ffff:10.0.0.3" in allowed  # an IPv4 peer on a dual-stack socket
    assert "::1" in allowed
    assert "127.0.0.2" not in allowed
    assert "10.0.1.1" not in allowed
    assert "not-an-address" not in allowed
    for bad in ("example.org", "10.0.0.1/24", ""):
        with pytest.raises(ValueError):
            proxy.parse_proxy_network(bad)


async def _read_from_pair(
    *chunks: bytes, delay: float = 0.0, timeout: float = 2.0, close: bool = False
) -> Any:
    """read_header on one end of a socket pair, ``chunks`` written to the
    other (``delay`` apart); returns (header or error, the bytes left)."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.setblocking(False)
    loop = asyncio.get_running_loop()

    async def feed() -> None:
        for chunk in chunks:
            await loop.sock_sendall(theirs, chunk)
            await asyncio.sleep(delay)
        if close:
            theirs.shutdown(socket.SHUT_WR)

    feeder = asyncio.create_task(feed())
    try:
        # Bounded here too: a reader without its own timeout fails, not hangs.
        result: Any = await asyncio.wait_for(proxy.read_header(ours, timeout=timeout), timeout + 5)
    except proxy.ProxyHeaderError as exc:
        result = exc
    except TimeoutError:
        result = "still reading"
    await feeder
    theirs.close()
    rest = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := ours.recv(65536):
            rest += chunk
    ours.close()
    return result, rest


async def test_read_header_takes_the_header_and_not_a_byte_more() -> None:
    ssh = b"SSH-2.0-OpenSSH_9.2p1\r\n"
    line = b"PROXY TCP4 192.0.2.7 127.0.0.1 50412 2222\r\n"
    header, rest = await _read_from_pair(line + ssh)
    assert header.source == ("192.0.2.7", 50412) and rest == ssh
    header, rest = await _read_from_pair(v2() + ssh)
    assert header.source == ("192.0.2.7", 50412) and rest == ssh
    # Byte by byte, 1 ms apart: still one header.
    data = v2(family=0x21, src="2001:db8::7", dst="::1") + ssh
    header, rest = await _read_from_pair(*[data[i : i + 1] for i in range(len(data))], delay=0.001)
    assert header.source == ("2001:db8::7", 50412) and rest == ssh


async def test_read_header_refuses_missing_oversize_and_slow_headers() -> None:
    ssh = b"SSH-2.0-OpenSSH_9.2p1\r\n"
    error, _ = await _read_from_pair(ssh)
    assert isinstance(error, proxy.ProxyHeaderError)
    assert "does not start with a PROXY header" in str(error)
    error, _ = await _read_from_pair(b"PROXY TCP4 " + b"1" * 200 + b"\r\n")
    assert "no CRLF within 107 bytes" in str(error)
    big = v2()[:14] + struct.pack("!H", 65535)
    error, _ = await _read_from_pair(big + b"\0" * 1000)
    assert "longer than" in str(error)
    started = time.monotonic()
    error, _ = await _read_from_pair(b"PROXY TCP4 192.0.2.7 ", timeout=0.5)
    assert "within 0.5 seconds" in str(error)
    assert time.monotonic() - started < 1.5
    error, _ = await _read_from_pair(b"PROX", close=True)  # then the peer closes
    assert "closed inside" in str(error)
    # A slowloris: one byte every 0.2 s is cut off at the timeout, not per byte.
    line = b"PROXY TCP4 192.0.2.7 127.0.0.1 50412 2222\r\n"
    started = time.monotonic()
    error, _ = await _read_from_pair(
        *[line[i : i + 1] for i in range(len(line))], delay=0.2, timeout=1.0
    )
    assert isinstance(error, proxy.ProxyHeaderError)
    assert time.monotonic() - started < 11  # the feeder's own time; the read stopped at 1 s


# --------------------------------------------------------------------------
# The real server, headers written by hand.


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


async def _ssh_via(
    port: int, header: bytes, source: str = "127.0.0.1"
) -> asyncssh.SSHClientConnection:
    sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    sock.sendall(header)
    return await asyncssh.connect(
        sock=sock,
        username="reader",
        known_hosts=None,
        config=None,
        client_keys=None,
        agent_path=None,
    )


def _health(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.settimeout(5)
        data = b""
        while chunk := sock.recv(100):
            data += chunk
        return data


async def test_proxied_readers_are_limited_and_logged_by_their_real_address(
    servers: list[Server], tmp_path: Path
) -> None:
    server = Server(
        tmp_path,
        "--proxy-protocol",
        "--proxy-from",
        "127.0.0.1",
        "--max-per-address",
        "1",
        "--max-sessions",
        "2",
        "--health-port",
        "0",
    )
    servers.append(server)
    health_port = int(re.search(r"health_port=(\d+)", server.wait_for("listen"))[1])  # type: ignore[index]
    assert _health(health_port) == b"ok\n"
    line = b"PROXY TCP4 198.51.100.1 127.0.0.1 40001 2222\r\n"
    first = await _ssh_via(server.port, line)
    same = await _ssh_via(server.port, v2(src="198.51.100.1", ports=(40002, 2222)))
    other = await _ssh_via(server.port, v2(src="198.51.100.2", ports=(40003, 2222)))
    try:
        reader = await _open_reader(first)
        await _read_until(reader, APP_TEXT)
        # Same real address, through the same proxy: over the cap.
        output = await _read_all(await _open_reader(same))
        assert b"already connected from your address" in output
        # Another real address, through the same proxy: admitted.
        await _read_until(await _open_reader(other), APP_TEXT)
        assert _health(health_port) == b"full\n"  # 2 readers of 2
        log = server.log()
        assert re.search(r"connect conn=\d+ addr=198\.51\.100\.1 port=40001 via=127\.0\.0\.1:", log)
        assert re.search(r"session session=\S+ addr=198\.51\.100\.2 ", log)
        assert re.search(r"refuse session=\S+ addr=198\.51\.100\.1 .*what=limit", log)
        assert "addr=127.0.0.1 " not in log.split("listen", 1)[1].replace("via=127.0.0.1", "")
    finally:
        for conn in (first, same, other):
            conn.close()
    server.wait_for(r"session-end .*addr=198\.51\.100\.2")


async def _refused(port: int, data: bytes, source: str = "127.0.0.1") -> bytes:
    """What the server sends back before closing (its SSH banner must not come)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(data)
    seen = b""
    with contextlib.suppress(ConnectionError):
        while chunk := await asyncio.wait_for(reader.read(1000), 10):
            seen += chunk
    writer.close()
    return seen


async def test_missing_bad_and_unlisted_headers_are_refused(
    servers: list[Server], tmp_path: Path
) -> None:
    server = Server(tmp_path, "--proxy-protocol", "--proxy-from", "127.0.0.1")
    servers.append(server)
    assert await _refused(server.port, b"SSH-2.0-OpenSSH_9.2p1\r\n") == b""
    server.wait_for(r'refuse addr=127\.0\.0\.1 .*what=proxy why="the connection does not start')
    assert await _refused(server.port, b"PROXY TCP4 x y 1 2\r\n") == b""
    server.wait_for(r'what=proxy why="v1 addresses are not TCP4')
    # From an address that is not a listed proxy, even a good header.
    good = b"PROXY TCP4 192.0.2.7 127.0.0.1 50412 2222\r\n"
    assert await _refused(server.port, good, source="127.0.0.2") == b""
    server.wait_for(r'refuse addr=127\.0\.0\.2 .*why="not a listed proxy')
    assert "session session=" not in server.log()
    # Still serving.
    conn = await _ssh_via(server.port, good)
    try:
        await _read_until(await _open_reader(conn), APP_TEXT)
    finally:
        conn.close()


def test_proxy_options_go_together(tmp_path: Path) -> None:
    from test_serve import _serve_command

    for options, message in (
        (["--proxy-protocol"], "--proxy-protocol needs --proxy-from"),
        (["--proxy-from", "127.0.0.1"], "--proxy-from is only used with --proxy-protocol"),
    ):
        result = subprocess.run(
            [*_serve_command(), "--port", "0", "--host-key", str(tmp_path / "k"), *options],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2
        assert message in result.stderr
    result = subprocess.run(
        [*_serve_command(), "--proxy-protocol", "--proxy-from", "example.org"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "'example.org' is not an IP address or network" in result.stderr

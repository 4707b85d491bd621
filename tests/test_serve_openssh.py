"""The OpenSSH way (deploy/openssh): Debian's sshd with the shipped snippet.

``sshd -T`` shows the effective settings for the reader account; a real sshd
on a loopback port (with the snippet's Match block pointed at the current
user, keys instead of the empty password) logs in and runs the browser
through the shipped wrapper, and refuses commands and forwarding."""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SNIPPET = REPO / "deploy" / "openssh" / "lbn-tui.conf"
WRAPPER = REPO / "deploy" / "openssh" / "lbn-tui-session"
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"

pytestmark = [
    pytest.mark.skipif(not Path(SSHD).exists(), reason="needs OpenSSH's sshd"),
    pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen"),
]


def _prepare_privsep() -> None:
    # As root, sshd insists on its privilege separation directory (which the
    # ssh.service unit would create).
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)


def _host_key(tmp: Path) -> Path:
    key = tmp / "ssh_host_ed25519_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30
    )
    return key


def _main_config(tmp: Path, snippet: Path, port: int, *extra: str) -> Path:
    """Like Debian's sshd_config: the drop-in directory included at the top,
    then global settings more permissive than the snippet's."""
    config = tmp / "sshd_config"
    lines = [
        f"Include {snippet}",
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {_host_key(tmp)}",
        f"PidFile {tmp / 'sshd.pid'}",
        "UsePAM no",
        "PasswordAuthentication no",
        "PermitEmptyPasswords no",
        "AllowTcpForwarding yes",
        "AllowAgentForwarding yes",
        "AllowStreamLocalForwarding yes",
        "X11Forwarding yes",
        "PermitTunnel yes",
        "PermitUserRC yes",
        "AcceptEnv *",
        *extra,
    ]
    config.write_text("\n".join(lines) + "\n")
    return config


def _effective(config: Path, user: str) -> dict[str, list[str]]:
    _prepare_privsep()
    result = subprocess.run(
        [SSHD, "-T", "-f", str(config), "-C", f"user={user},host=reader.test,addr=127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    settings: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        settings.setdefault(key, []).append(value)
    return settings


READER_SETTINGS = {
    "forcecommand": "/usr/local/bin/lbn-tui-session",
    "disableforwarding": "yes",
    "allowtcpforwarding": "no",
    "allowagentforwarding": "no",
    "allowstreamlocalforwarding": "no",
    "x11forwarding": "no",
    "permittunnel": "no",
    "permituserrc": "no",
    "permittty": "yes",
    "permitopen": "none",
    "permitlisten": "none",
    "clientaliveinterval": "60",
    "clientalivecountmax": "3",
    "maxsessions": "1",
}


def test_sshd_gives_the_reader_account_only_the_browser(tmp_path: Path) -> None:
    config = _main_config(tmp_path, SNIPPET, 2222)
    reader = _effective(config, "lbn-reader")
    for key, value in READER_SETTINGS.items():
        assert reader[key] == [value], key
    assert reader["acceptenv"] == ["LANG", "LC_*", "COLORTERM", "NO_COLOR"]
    # Open to everyone: the "none" method on an account with an empty password.
    assert reader["authenticationmethods"] == ["none"]
    assert reader["permitemptypasswords"] == ["yes"]
    assert reader["passwordauthentication"] == ["yes"]

    # Nobody else is touched by the snippet.
    other = _effective(config, "someone-else")
    assert other["forcecommand"] == ["none"]
    assert other["permitemptypasswords"] == ["no"]
    assert other["authenticationmethods"] == ["any"]
    assert other["permittunnel"] == ["yes"]
    assert other["disableforwarding"] == ["no"]


def _keys_only(snippet_text: str) -> str:
    """The documented variant: the three 'open to everyone' lines become one."""
    text = snippet_text.replace(
        "    AuthenticationMethods none\n", "    AuthenticationMethods publickey\n"
    )
    text = text.replace("    PermitEmptyPasswords yes\n", "")
    text = text.replace("    PasswordAuthentication yes\n", "")
    assert len(re.findall(r"^ +AuthenticationMethods publickey$", text, re.M)) == 1
    return text


def test_sshd_keys_only_variant(tmp_path: Path) -> None:
    snippet = tmp_path / "lbn-tui.conf"
    snippet.write_text(_keys_only(SNIPPET.read_text()))
    reader = _effective(_main_config(tmp_path, snippet, 2222), "lbn-reader")
    assert reader["authenticationmethods"] == ["publickey"]
    assert reader["permitemptypasswords"] == ["no"]
    assert reader["passwordauthentication"] == ["no"]
    assert reader["forcecommand"] == ["/usr/local/bin/lbn-tui-session"]


def test_wrapper_is_posix_sh() -> None:
    assert os.access(WRAPPER, os.X_OK)
    subprocess.run(["sh", "-n", str(WRAPPER)], check=True, timeout=10)
    checker = shutil.which("shellcheck")
    if checker:
        subprocess.run([checker, "-s", "sh", str(WRAPPER)], check=True, timeout=30)


# --------------------------------------------------------------------------
# A live sshd on loopback.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _lbn_tui_executable() -> str:
    beside = Path(sys.executable).with_name("lbn-tui")
    return str(beside) if beside.exists() else shutil.which("lbn-tui") or ""


class LiveSshd:
    def __init__(self, tmp: Path) -> None:
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.tmp = tmp
        wrapper = tmp / "lbn-tui-session"
        text = WRAPPER.read_text()
        assert "LBN_TUI=/usr/local/bin/lbn-tui\n" in text
        wrapper.write_text(
            text.replace("LBN_TUI=/usr/local/bin/lbn-tui\n", f"LBN_TUI={_lbn_tui_executable()}\n")
        )
        wrapper.chmod(0o755)
        snippet = tmp / "lbn-tui.conf"
        snippet.write_text(
            _keys_only(SNIPPET.read_text())
            .replace("Match User lbn-reader", f"Match User {self.user}")
            .replace("ForceCommand /usr/local/bin/lbn-tui-session", f"ForceCommand {wrapper}")
        )
        self.client_key = tmp / "client_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.client_key)],
            check=True,
            timeout=30,
        )
        authorized = tmp / "authorized_keys"
        shutil.copy(self.client_key.with_suffix(".pub"), authorized)
        authorized.chmod(0o600)
        self.port = _free_port()
        config = _main_config(
            tmp,
            snippet,
            self.port,
            f"AuthorizedKeysFile {authorized}",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "LogLevel VERBOSE",
        )
        _prepare_privsep()
        self.log = tmp / "sshd.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise AssertionError(f"sshd did not start: {self.log.read_text()}")

    def ssh(self, *options: str, command: tuple[str, ...] = ()) -> list[str]:
        return [
            "ssh",
            "-F",
            "/dev/null",
            "-p",
            str(self.port),
            "-i",
            str(self.client_key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={self.tmp / 'known_hosts'}",
            "-o",
            "LogLevel=ERROR",
            *options,
            f"{self.user}@127.0.0.1",
            *command,
        ]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[LiveSshd]:
    if not _lbn_tui_executable():
        pytest.skip("no lbn-tui executable beside this Python")
    if shutil.which("ssh") is None:
        pytest.skip("needs the OpenSSH client")
    server = LiveSshd(tmp_path)
    yield server
    server.stop()


def _served_apps() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"LBN_TUI_SERVED=1" in environ and any(
            item.startswith(b"HOME=") and b"lbn-tui-session-" in item for item in environ
        ):
            found.append(int(entry.name))
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = [item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_logging_in_runs_the_browser(sshd: LiveSshd) -> None:
    name = f"lbn-sshd-{os.getpid()}-{time.monotonic_ns()}"
    command = shlex.join(
        sshd.ssh(
            "-tt",
            "-o",
            "SetEnv=TEXTUAL_DRIVER=os:getcwd PYTHONPATH=/tmp COLORTERM=truecolor LANG=C.UTF-8",
        )
    )
    before = set(_served_apps())
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24",
         f"{command}; echo SSH-EXIT=$?; sleep 60"],
        check=True,
        timeout=10,
    )  # fmt: skip
    try:

        def screen() -> str:
            return subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
            ).stdout

        deadline = time.monotonic() + 30
        while "left behind" not in screen() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "left behind" in screen(), screen() + sshd.log.read_text()
        (app,) = set(_served_apps()) - before
        env = _environ(app)
        assert env["LBN_TUI_SERVED"] == "1"
        assert env["COLORTERM"] == "truecolor"
        assert "TEXTUAL_DRIVER" not in env
        assert "PYTHONPATH" not in env
        assert "SSH_CONNECTION" not in env
        assert Path(env["XDG_STATE_HOME"]).parent == Path(env["HOME"])
        home = Path(env["HOME"])
        assert home.is_dir()
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        deadline = time.monotonic() + 20
        while "SSH-EXIT=0" not in screen() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "SSH-EXIT=0" in screen(), screen()
        deadline = time.monotonic() + 5
        while home.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not home.exists(), "the session directory is removed"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def test_commands_and_terminal_less_sessions_are_refused(sshd: LiveSshd, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    result = subprocess.run(
        sshd.ssh(command=("touch", str(marker))), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "commands are not available here" in result.stderr
    assert not marker.exists()

    result = subprocess.run(sshd.ssh("-T"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "needs a terminal" in result.stdout


def test_forwarding_is_refused(sshd: LiveSshd) -> None:
    # ssh -R: the server refuses to listen.
    target = socket.socket()
    target.bind(("127.0.0.1", 0))
    target.listen()
    target.settimeout(0.5)
    target_port = target.getsockname()[1]
    remote = _free_port()
    result = subprocess.run(
        sshd.ssh(
            "-N", "-o", "ExitOnForwardFailure=yes",
            "-R", f"127.0.0.1:{remote}:127.0.0.1:{target_port}",
        ),
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    assert result.returncode != 0
    assert "forwarding failed" in result.stderr.lower()

    # ssh -L: the client listens, but the server opens nothing for it.
    local = _free_port()
    tunnel = subprocess.Popen(
        sshd.ssh("-N", "-L", f"127.0.0.1:{local}:127.0.0.1:{target_port}"),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                probe = socket.create_connection(("127.0.0.1", local), timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "ssh -L never listened"
                time.sleep(0.1)
        with probe:
            probe.settimeout(5)
            data = probe.recv(10)
            assert data == b""  # closed at once: the channel was refused
        with pytest.raises(TimeoutError):
            target.accept()
    finally:
        tunnel.terminate()
        tunnel.communicate(timeout=10)
        target.close()
    assert "refused local port forward" in sshd.log.read_text()

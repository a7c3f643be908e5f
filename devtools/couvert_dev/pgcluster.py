"""A local PostgreSQL cluster for development and tests (never used in AWS).

Finds the server binaries, runs initdb (as the `postgres` user when we are root: initdb and
postgres refuse to run as root), and starts the server on a free port with its socket inside
the data directory.  Throwaway clusters trade durability for speed (fsync off).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_INSTALL_HINT = (
    "No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found.  Install them, e.g. "
    "`apt-get update && apt-get install -y postgresql postgresql-contrib` on Debian/Ubuntu or "
    "`brew install postgresql@15` on macOS, or set DATABASE_URL to an existing PostgreSQL 15+ server."
)


class PostgresNotFound(RuntimeError):
    pass


def find_bindir() -> Path:
    """pg_config --bindir, then PATH, then Debian's versioned directories (newest first)."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates.extend(Path(p) for p in debian)
    for bindir in candidates:
        if all((bindir / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresNotFound(_INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30,
                  log: Path | None = None) -> None:
    """Until a local server we started accepts connections; a RuntimeError (with its log) when it
    exits or takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                detail = log.read_text() if log and log.exists() else ""
                raise RuntimeError(f"{what} did not start" + (f":\n{detail}" if detail else "")) from None
            time.sleep(0.1)


def as_postgres_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


def _others_can_reach(directory: Path) -> bool:
    """Whether the `postgres` user can walk down to `directory` (every existing ancestor lets others
    through).  A checkout in a private directory (`mktemp -d`, a 0700 home) does not."""
    for path in (directory, *directory.parents):
        if path.exists() and not os.stat(path).st_mode & 0o001:
            return False
    return True


def _linked_outside(datadir: Path) -> Path:
    """The data directory of a checkout `postgres` cannot reach, kept under /var/tmp and linked from
    where it is asked for (so `.local/pg` still names it, and `make dev-stop` finds it)."""
    import hashlib

    target = Path("/var/tmp") / f"couvert-pg-{hashlib.sha1(str(datadir).encode()).hexdigest()[:12]}"
    target.mkdir(exist_ok=True)
    if datadir.is_dir() and not datadir.is_symlink() and not any(datadir.iterdir()):
        datadir.rmdir()  # left empty by an earlier attempt that postgres could not reach
    if not datadir.is_symlink() and not datadir.exists():
        datadir.parent.mkdir(parents=True, exist_ok=True)
        datadir.symlink_to(target)
    return datadir


@dataclass
class LocalCluster:
    datadir: Path
    throwaway: bool = True
    port: int | None = None
    # fsync off for tests; benchmarks run durable, like production, so ratios to pgbench are fair.
    durable: bool = False
    # Libraries the server loads at start (the benchmarks read pg_stat_statements).
    preload: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.datadir = Path(self.datadir).absolute()
        if os.geteuid() == 0 and not _others_can_reach(self.datadir.parent):
            self.datadir = _linked_outside(self.datadir)
        self.datadir = self.datadir.resolve()
        self.bindir = find_bindir()

    @property
    def socket_dir(self) -> Path:
        return self.datadir

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, cmd: list[str]) -> None:
        result = subprocess.run(as_postgres_user(cmd), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")

    def _prepare_dir(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
            os.chmod(self.datadir, 0o700)

    def is_initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        pidfile = self.datadir / "postmaster.pid"
        if not pidfile.exists():
            return False
        lines = pidfile.read_text().splitlines()
        try:
            os.kill(int(lines[0]), 0)
        except (ProcessLookupError, ValueError, IndexError):
            return False
        except PermissionError:
            pass
        if len(lines) > 3:
            self.port = int(lines[3])
        return True

    def start(self) -> LocalCluster:
        if self.is_running():
            return self
        self._prepare_dir()
        if not self.is_initialised():
            self._run([str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                       "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
        self.port = self.port or free_port()
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.socket_dir}",
                   "-c max_connections=200", "-c shared_buffers=256MB"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        if self.preload:
            options.append(f"-c shared_preload_libraries={','.join(self.preload)}")
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.datadir / "server.log"),
                   "-o", " ".join(options), "-w", "-t", "60", "start"])
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, remove: bool | None = None) -> None:
        if self.is_running():
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
        if self.throwaway if remove is None else remove:
            shutil.rmtree(self.datadir, ignore_errors=True)

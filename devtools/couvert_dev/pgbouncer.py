"""PgBouncer in transaction mode in front of a PostgreSQL server: the test stand-in for RDS Proxy.

In transaction mode every transaction may run on another server connection, so anything a request
leaves on its session (a SET, a session advisory lock, a prepared statement) would leak into
someone else's request or be lost.  Running the suite through it proves the functions keep all
per-request state inside their transaction (begin_request, set_config(..., true),
pg_advisory_xact_lock, no server-side prepared statements).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from couvert_dev.pgcluster import as_postgres_user, free_port, wait_for_port


def find_pgbouncer() -> str:
    """The pgbouncer binary; installs Debian's package when missing and we are root."""
    found = shutil.which("pgbouncer") or (os.path.exists("/usr/sbin/pgbouncer") and "/usr/sbin/pgbouncer")
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "pgbouncer"], check=True, capture_output=True, env=env)
        found = shutil.which("pgbouncer") or (os.path.exists("/usr/sbin/pgbouncer") and "/usr/sbin/pgbouncer")
    if not found:
        raise RuntimeError("pgbouncer is not installed (Debian/Ubuntu: apt-get install pgbouncer)")
    return found


class LocalPgBouncer:
    def __init__(self, server_url: str, users: dict[str, str], pool_size: int = 40) -> None:
        self.pool_size = pool_size
        server = conninfo_to_dict(server_url)
        self.upstream_host = server.get("host", "127.0.0.1")
        self.upstream_port = int(server.get("port", 5432))
        self.users = users
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="couvert-pgbouncer-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> LocalPgBouncer:
        (self.dir / "userlist.txt").write_text("".join(f'"{u}" "{p}"\n' for u, p in self.users.items()))
        (self.dir / "pgbouncer.ini").write_text(f"""[databases]
* = host={self.upstream_host} port={self.upstream_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = plain
auth_file = {self.dir / 'userlist.txt'}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = {self.pool_size}
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {self.dir / 'pgbouncer.log'}
pidfile = {self.dir / 'pgbouncer.pid'}
""")
        if os.geteuid() == 0:  # pgbouncer refuses to run as root, like postgres
            shutil.chown(self.dir, "postgres", "postgres")
            for f in self.dir.iterdir():
                shutil.chown(f, "postgres", "postgres")
        self.process = subprocess.Popen(as_postgres_user([find_pgbouncer(), str(self.dir / "pgbouncer.ini")]),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, "pgbouncer", seconds=15, log=self.dir / "pgbouncer.log")
        return self

    def url(self, direct_url: str) -> str:
        """The same database and login, through the pooler."""
        return make_conninfo(direct_url, host="127.0.0.1", port=str(self.port))

    def stop(self) -> None:
        pidfile = self.dir / "pgbouncer.pid"
        if pidfile.exists():  # the pooler itself, not the runuser in front of it
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        if self.process:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

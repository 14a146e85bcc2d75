"""Finding the machine's PostgreSQL server binaries, and whom to run them as."""

# Starting local server binaries with arguments we build is this module's purpose.
# ruff: noqa: S603

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from switchboard.servicekit.devinfra._process import InfraError

# initdb and postgres refuse to run as root; these accounts exist on Debian-like systems.
UNPRIVILEGED_USERS = ("postgres", "nobody")


def find_bindir() -> Path:
    """pg_config's answer when it has initdb next to it, else the newest Debian install."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        bindir = Path(result.stdout.strip())
        if result.returncode == 0 and (bindir / "initdb").is_file():
            return bindir
    installs = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    installs.sort(key=lambda bindir: int(bindir.parent.name) if bindir.parent.name.isdigit() else 0)
    if installs:
        return installs[-1]
    on_path = shutil.which("initdb")
    if on_path is not None:
        return Path(on_path).parent
    raise InfraError("no PostgreSQL server binaries (initdb) found: install postgresql")


def server_user() -> pwd.struct_passwd | None:
    """The account to drop to when we are root, or None when we already are not root."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise InfraError("running as root and no unprivileged 'postgres' or 'nobody' user exists")


def hand_over(path: Path, user: pwd.struct_passwd | None) -> None:
    """Give the server's directory to the server's user, and check it can reach it."""
    if user is None:
        return
    for root, dirs, files in os.walk(path):
        for name in (
            root,
            *(os.path.join(root, d) for d in dirs),
            *(os.path.join(root, f) for f in files),
        ):
            os.chown(name, user.pw_uid, user.pw_gid)
    for parent in path.resolve().parents:
        if not os.stat(parent).st_mode & 0o001:
            raise InfraError(
                f"{parent} is not searchable by other users, so the '{user.pw_name}' user "
                f"cannot reach {path}: choose a data dir under a world-searchable directory "
                "(e.g. /tmp) or `chmod o+x` the parents"
            )

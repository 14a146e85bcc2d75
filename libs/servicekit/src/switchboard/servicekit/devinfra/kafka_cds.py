"""A class-data-sharing archive of the broker's classes, which roughly halves JVM start-up
(the broker loads ~6,000 classes from 46 jars; tests restart it).

The first broker run on a machine records the archive as it exits (JDK 13+ dynamic
archiving; that one stop takes a few seconds longer); later runs map it. The name hashes
the JVM binary and the jar set, so a new JDK or a new Kafka version records a fresh one.
Each recording goes to a private temp file renamed into place only after a clean exit:
concurrent brokers never see a half-written archive.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def archive_for(java: str, libs_dir: Path) -> Path:
    binary = os.path.realpath(java)
    jars = (libs_dir / ".complete").read_text().strip()
    key = f"{binary}:{os.stat(binary).st_mtime_ns}:{jars}".encode()
    return libs_dir.parent / f"kafka-{hashlib.sha256(key).hexdigest()[:16]}.jsa"


class ClassArchive:
    """The JVM flags for one broker run, and the hand-over of a freshly recorded archive."""

    def __init__(self, java: str, libs_dir: Path) -> None:
        self.archive = archive_for(java, libs_dir)
        self._recording: Path | None = None

    def flags(self) -> list[str]:
        if self.archive.is_file():
            return [f"-XX:SharedArchiveFile={self.archive}"]
        if not os.access(self.archive.parent, os.W_OK):
            return []
        self._recording = self.archive.with_name(
            f"{self.archive.name}.{os.getpid()}-{id(self)}.tmp"
        )
        return [f"-XX:ArchiveClassesAtExit={self._recording}"]

    def finish(self, *, clean_exit: bool) -> None:
        """Publish the recording if the JVM exited on its own terms, else discard it."""
        recording, self._recording = self._recording, None
        if recording is None or not recording.exists():
            return
        if clean_exit and recording.stat().st_size > 0:
            os.replace(recording, self.archive)
        else:
            recording.unlink(missing_ok=True)

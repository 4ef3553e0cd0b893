"""What an import did: imported (by status and type), skipped as duplicate, rejected with
the reason, tombstones made, per thread. Printed at the end and written as JSON."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Rejections listed one by one in the report (all are counted).
MAX_LISTED = 1000


@dataclass
class ThreadReport:
    key: str
    rules: set[str] = field(default_factory=set)
    title: str | None = None
    url: str | None = None
    imported: int = 0
    approved: int = 0
    duplicates: int = 0
    rejected: int = 0
    tombstones: int = 0


@dataclass
class Report:
    format: str
    file: str
    site: str
    dry_run: bool
    parsed: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    tombstones: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[str, ThreadReport] = field(default_factory=dict)
    seconds: float = 0.0
    #: ``complete``, or why the run stopped (a re-run resumes where it stopped).
    outcome: str = "complete"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def thread(self, key: str, rule: str, title: str | None, url: str | None) -> ThreadReport:
        with self._lock:
            found = self.threads.get(key)
            if found is None:
                found = self.threads[key] = ThreadReport(key, title=title, url=url)
            found.rules.add(rule)
            return found

    def stored(self, key: str | None, status: str, kind: str) -> None:
        with self._lock:
            self.imported += 1
            self.by_status[status] = self.by_status.get(status, 0) + 1
            self.by_type[kind] = self.by_type.get(kind, 0) + 1
            if key is not None and key in self.threads:
                self.threads[key].imported += 1
                self.threads[key].approved += status == "approved"

    def duplicate(self, key: str | None) -> None:
        with self._lock:
            self.duplicates += 1
            if key is not None and key in self.threads:
                self.threads[key].duplicates += 1

    def tombstone(self, key: str) -> None:
        with self._lock:
            self.tombstones += 1
            if key in self.threads:
                self.threads[key].tombstones += 1

    def reject(self, key: str | None, source_id: str, where: str | None, reason: str) -> None:
        with self._lock:
            self.rejected += 1
            if key is not None and key in self.threads:
                self.threads[key].rejected += 1
            if len(self.rejections) < MAX_LISTED:
                self.rejections.append(
                    {"source_id": source_id, "where": where, "thread": key, "reason": reason}
                )

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "threads"}
        data["threads"] = [
            {**asdict(t), "rules": sorted(t.rules)}
            for t in sorted(self.threads.values(), key=lambda t: t.key)
        ]
        return data

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n")

    def summary(self) -> str:
        """A few lines for the terminal."""
        verb = "would import" if self.dry_run else "imported"
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.by_status.items())) or "none"
        types = ", ".join(f"{n} {t}" for t, n in sorted(self.by_type.items()) if t != "comment")
        lines = [
            f"{self.format} {self.file} → site {self.site}: {self.outcome}",
            f"  parsed {self.parsed}; {verb} {self.imported} ({statuses})"
            + (f"; linkbacks: {types}" if types else ""),
            f"  duplicates skipped {self.duplicates}; rejected {self.rejected}; "
            f"tombstones {self.tombstones}; threads {len(self.threads)}; {self.seconds:.1f} s",
        ]
        rules: dict[str, int] = {}
        for thread in self.threads.values():
            for rule in thread.rules:
                rules[rule] = rules.get(rule, 0) + 1
        if rules:
            lines.append(
                "  thread keys: " + ", ".join(f"{n} by {r}" for r, n in sorted(rules.items()))
            )
        for rejection in self.rejections[:10]:
            lines.append(
                f"  rejected {rejection['source_id']} ({rejection['where']}): {rejection['reason']}"
            )
        if self.rejected > 10:
            lines.append(f"  … {self.rejected - 10} more rejections in the JSON report")
        return "\n".join(lines)

"""What a fleet is: a FLEET.yaml file, or paths and URLs given on the command line.

    defaults:            # optional; applies to every entry that does not say otherwise
      branch: main
      timeout: 600
    repositories:
      - path: /srv/mirrors/churn-model.git
      - url: https://github.example.com/ml/ranker.git
        name: ranker
        rev: v2.1          # or branch: release
        confirmations: confirmations/ranker.yml

Validation fails with one line naming the entry and the key, so a typo in entry 40 of 300 is
found before any repository is fetched.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

ENTRY_KEYS = {"path", "url", "name", "branch", "rev", "confirmations", "timeout"}
DEFAULT_KEYS = {"branch", "rev", "confirmations", "timeout"}
_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


class ManifestError(Exception):
    """The fleet description cannot be used; the message names the entry and key."""


@dataclass(frozen=True)
class FleetEntry:
    """One repository of the fleet. `source` is a local path or a git URL (`is_url`)."""

    name: str
    source: str
    is_url: bool
    rev: str | None = None
    confirmations: str | None = None
    timeout: float | None = None


def looks_like_url(text: str) -> bool:
    return bool(_URL.match(text))


def default_name(source: str) -> str:
    """The repository's name from its path or URL: the last segment without `.git`."""
    tail = source.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if tail == "repo":  # a bare mirror laid out as OWNER+NAME/repo
        tail = source.rstrip("/").rsplit("/", 2)[-2] if source.count("/") else tail
    return tail[:-4] if tail.endswith(".git") and len(tail) > 4 else (tail or source)


def _check_keys(where: str, data: dict, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise ManifestError(f"{where}: unknown key {key!r} (expected one of {', '.join(sorted(allowed))})")


def _entry(where: str, raw: object, defaults: dict, base: Path) -> FleetEntry:
    if isinstance(raw, str):
        raw = {"url": raw} if looks_like_url(raw) else {"path": raw}
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a mapping with 'path' or 'url', got {type(raw).__name__}")
    _check_keys(where, raw, ENTRY_KEYS)
    if ("path" in raw) == ("url" in raw):
        raise ManifestError(f"{where}: give exactly one of 'path' or 'url'")
    merged = {**defaults, **raw}
    for key in ("path", "url", "name", "branch", "rev", "confirmations"):
        if key in merged and merged[key] is not None and not isinstance(merged[key], (str, int, float)):
            raise ManifestError(f"{where}: key {key!r} must be a string")
    if "branch" in raw and "rev" in raw:
        raise ManifestError(f"{where}: give 'branch' or 'rev', not both")
    timeout = merged.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ManifestError(f"{where}: key 'timeout' must be a positive number of seconds")
    is_url = "url" in raw
    source = str(raw["url"] if is_url else raw["path"])
    if not source:
        raise ManifestError(f"{where}: key {'url' if is_url else 'path'!r} is empty")
    if not is_url:
        source = str((base / source).resolve()) if not Path(source).is_absolute() else source
    rev = raw.get("rev", raw.get("branch", merged.get("rev", merged.get("branch"))))
    conf = merged.get("confirmations")
    if conf is not None:
        conf = str((base / str(conf)).resolve()) if not Path(str(conf)).is_absolute() else str(conf)
    name = str(merged.get("name") or default_name(source))
    return FleetEntry(name=name, source=source, is_url=is_url, rev=str(rev) if rev is not None else None,
                      confirmations=conf, timeout=float(timeout) if timeout is not None else None)


def _unique(entries: list[FleetEntry]) -> list[FleetEntry]:
    seen: dict[str, str] = {}
    for e in entries:
        if e.name in seen:
            raise ManifestError(f"repository {e.name!r}: the name is used twice ({seen[e.name]} and {e.source}); "
                                "give one of them a 'name'")
        seen[e.name] = e.source
    if not entries:
        raise ManifestError("the fleet has no repositories")
    return entries


def parse_manifest(data: object, base: Path) -> list[FleetEntry]:
    """Entries from the parsed YAML (`repositories:` list, or a bare list)."""
    if isinstance(data, list):
        data = {"repositories": data}
    if not isinstance(data, dict):
        raise ManifestError("expected a mapping with a 'repositories' list")
    _check_keys("fleet", data, {"defaults", "repositories"})
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ManifestError("defaults: expected a mapping")
    _check_keys("defaults", defaults, DEFAULT_KEYS)
    repos = data.get("repositories")
    if not isinstance(repos, list):
        raise ManifestError("repositories: expected a list")
    return _unique([_entry(f"repositories[{n}]", raw, defaults, base) for n, raw in enumerate(repos)])


def load_manifest(path: Path) -> list[FleetEntry]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ManifestError(f"{path}: not valid YAML{where}") from None
    try:
        return parse_manifest(data, path.parent)
    except ManifestError as exc:
        raise ManifestError(f"{path}: {exc}") from None


def entries_from_args(sources: list[str]) -> list[FleetEntry]:
    """A fleet given as paths and URLs on the command line."""
    return parse_manifest([{"url": s} if looks_like_url(s) else {"path": s} for s in sources], Path.cwd())


def fleet_digest(entries: list[FleetEntry]) -> str:
    """Identifies a fleet, so `--resume` continues a run of the same repositories only."""
    blob = json.dumps([asdict(e) for e in entries], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]

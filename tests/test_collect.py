"""Collection: the process pool gives the same facts as one process; the cache is safe."""

from __future__ import annotations

from mlscorecard.audit import audit_snapshot, run_audit
from mlscorecard.cache import BlobCache
from mlscorecard.collect import POOL_THRESHOLD, collect
from mlscorecard.heuristics import load_heuristics
from mlscorecard.reports.json_report import render_json
from mlscorecard.snapshot import Snapshot

HEUR = load_heuristics()


def many_files(n: int) -> dict[str, str]:
    files = {f"pkg/mod{i}.py": f"import numpy as np\nnp.random.seed({i})\n" for i in range(n)}
    files.update({f"tests/test_{i}.py": f"from pkg.mod{i} import x\n\ndef test_x():\n    assert x == {i}\n" for i in range(n)})
    return files


def test_process_pool_and_single_process_agree():
    files = many_files(POOL_THRESHOLD + 5)
    pooled = collect(Snapshot.from_files(files), HEUR, jobs=2)
    single = collect(Snapshot.from_files(files), HEUR, jobs=1)
    assert pooled.python == single.python
    assert len(pooled.python) == 2 * (POOL_THRESHOLD + 5)
    use = pooled.python["pkg/mod3.py"]["uses"][0]
    assert (use["name"], use["line"]) == ("numpy.random.seed", 2)


def test_warm_cache_gives_the_same_report(tmp_path):
    files = many_files(4)
    cache = BlobCache(tmp_path / "cache", "test")
    cold = render_json(audit_snapshot(Snapshot.from_files(files), HEUR, cache=cache), HEUR)
    cache.flush()
    assert cache.misses == 8 and cache.hits == 0
    warm_cache = BlobCache(tmp_path / "cache", "test")
    warm = render_json(audit_snapshot(Snapshot.from_files(files), HEUR, cache=warm_cache), HEUR)
    assert warm_cache.hits == 8 and warm == cold


def test_a_corrupt_cache_is_a_warning_not_a_failure(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "train.py").write_text("import random\nrandom.seed(1)\n")
    result = run_audit(str(tmp_path / "repo"), cache_dir=tmp_path / "cache")
    assert result.facts["seeds"] and any("cache" in w.message for w in result.warnings)


def test_the_cache_key_includes_the_heuristics(tmp_path):
    files = {"train.py": "import random\nrandom.seed(1)\n"}
    cache = BlobCache(tmp_path / "c", "v1:heuristics-a")
    audit_snapshot(Snapshot.from_files(files), HEUR, cache=cache)
    cache.flush()
    other = BlobCache(tmp_path / "c", "v1:heuristics-b")
    audit_snapshot(Snapshot.from_files(files), HEUR, cache=other)
    assert other.hits == 0

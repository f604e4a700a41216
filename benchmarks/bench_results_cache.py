"""Reading the results cache as it grows (issue 10, point 9), measured in one run.

For files of 10,000 and 100,000 synthetic records (shaped like the committed ones: the real
config, metric and provenance fields, about 1.7 kB a line) the script prints records/s of:

1. **a cold read**: :func:`collective.runner.read_records` of the whole file in a process that
   has not read it (JSON parsing plus the checks on read: the key recomputed from the config,
   required metrics, rates in [0, 1], the corpus);
2. **a warm read after one append**: what every ``run`` of a sweep does before and after it
   computes (the reader remembers what it parsed and reads only the new bytes), next to the
   cold read it replaces (the ratio is printed);
3. **a sweep's planning**: :func:`collective.runner.sweep.plan` of 1,000 configs against the file
   (one read per firm, not two per run).

The machine may be shared: the load average is printed with the numbers.

    python benchmarks/bench_results_cache.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from collective.runner import RunConfig, append_record, read_records  # noqa: E402
from collective.runner.cache import forget_parsed, record_key  # noqa: E402
from collective.runner.config import RUNNER_VERSION  # noqa: E402


def _template() -> dict:
    committed = Path(__file__).resolve().parents[1] / "data" / "results" / "linear.jsonl"
    with open(committed) as fh:
        return json.loads(fh.readline())


def _records(n: int, template: dict):
    for i in range(n):
        config = {**template["config"], "seed": i, "alpha": 0.001 * (i % 97)}
        yield {**template, "config": config, "key": record_key(config, RUNNER_VERSION)}


def _write(path: Path, n: int, template: dict) -> None:
    with open(path, "w") as fh:
        for record in _records(n, template):
            fh.write(json.dumps(record, sort_keys=True) + "\n")


def main() -> None:
    template = _template()
    sha = template["provenance"]["data_sha256"]
    print(
        f"load average {os.getloadavg()[0]:.2f} (2 cores shared); record size {len(json.dumps(template))} bytes"
    )
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("error")  # every synthetic record must pass the checks
        for n in (10_000, 100_000):
            path = Path(tmp) / f"linear-{n}.jsonl"
            _write(path, n, template)
            forget_parsed()
            start = time.perf_counter()
            records = read_records(path, sha)
            cold = time.perf_counter() - start
            assert len(records) == n
            extra = next(
                _records(n + 1, {**template, "config": {**template["config"], "seed": -1}})
            )
            extra["config"]["seed"] = n + 10
            extra["key"] = record_key(extra["config"], RUNNER_VERSION)
            append_record(path, extra)
            start = time.perf_counter()
            records = read_records(path, sha)
            warm = time.perf_counter() - start
            assert len(records) == n + 1
            configs = [RunConfig.from_dict({**template["config"], "seed": i}) for i in range(1000)]
            from collective.runner.sweep import plan

            forget_parsed()
            start = time.perf_counter()
            planned = plan(configs, results_dir=tmp_results(path, sha), data=None)
            planning = time.perf_counter() - start
            print(
                f"{n:>7,} records: cold read {cold:6.2f} s ({n / cold:9,.0f} records/s); "
                f"warm read after an append {warm * 1e3:7.2f} ms ({cold / warm:,.0f}x faster than re-reading); "
                f"planning 1,000 configs {planning:5.2f} s ({planned['cached']} cached)"
            )
    print(f"load average {os.getloadavg()[0]:.2f}")


def tmp_results(path: Path, sha: str) -> Path:
    """A results folder holding ``path`` as linear.jsonl, bound to the template's corpus."""
    folder = path.parent / f"folder-{path.stem}"
    folder.mkdir(exist_ok=True)
    target = folder / "linear.jsonl"
    if not target.exists():
        os.link(path, target)
    (folder / "corpus.sha256").write_text(sha + "\n")
    return folder


if __name__ == "__main__":
    main()

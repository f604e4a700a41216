"""Print the mutation score per module from mutmut's results (``make mutants``).

Reads ``mutants/**/*.py.meta`` (mutmut 3). Killed: a selected test failed (or timed out);
survived: all selected tests passed; no tests: no selected test runs the mutated function.
Score = killed / (killed + survived). For collective/firms/transformer/firm.py only the input
building is counted (``model_inputs``; the dataset, collator and batches are batches.py);
its training and device code is exercised by the slow and GPU tests, not here.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from pathlib import Path

# mutmut exit codes: 1 killed (test failed), 0 survived, 33 no tests, 36/-24 timeout, None not run
KILLED = {1, 3, 36, -24, 255}
SURVIVED = {0}
NO_TESTS = {33}

ONLY = {
    # the dataset, the collator and the length batches are collective/firms/transformer/batches.py
    # (all of it counted); of the firm's module only the building of the model inputs
    "collective/firms/transformer/firm.py": ["*ǁmodel_inputs__*"],
}


def main(root: Path = Path("mutants")) -> int:
    metas = sorted(root.glob("collective/**/*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/: run `make mutants` first", file=sys.stderr)
        return 1
    rows = []
    for meta in metas:
        module = str(meta.relative_to(root))[: -len(".meta")]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        patterns = ONLY.get(module)
        if patterns:
            codes = {k: v for k, v in codes.items() if any(fnmatch.fnmatch(k, p) for p in patterns)}
        killed = sum(v in KILLED for v in codes.values())
        survived = sum(v in SURVIVED for v in codes.values())
        no_tests = sum(v in NO_TESTS for v in codes.values())
        not_run = sum(v is None for v in codes.values())
        tested = killed + survived
        score = f"{100 * killed / tested:.1f}%" if tested else "-"
        rows.append(
            (
                module + (" (input building)" if patterns else ""),
                len(codes),
                killed,
                survived,
                no_tests,
                not_run,
                score,
            )
        )
    header = ("module", "mutants", "killed", "survived", "no tests", "not run", "score")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(x) for x in row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

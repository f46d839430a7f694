"""A long fuzz campaign against the engine (the suite runs a small, fixed sample).

    python benchmarks/fuzz_campaign.py [--examples N] [--seed S] [--out FILE]

Three campaigns, N examples each, every rule selected and the pre-filter off:
- `generated`: programs from `hypothesmith.from_grammar()`;
- `generated-in-script`: such a program appended to a real training script;
- `mutated`: real training scripts (fixtures/) with 1-4 random mutations
  (lines deleted, duplicated, swapped, indented, dedented; truncation mid-token;
  bytes flipped; junk brackets, quotes, BOMs, CR/CRLF inserted).
Each example must satisfy `tests/robustness/invariants.py`: no exception
escapes, no internal error, every finding lies inside the file, the fixed
output re-parses (and compiles when the input did) and a second fix pass
changes nothing. Failures are printed with a reproducer; exit 1 if any.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from typing import Callable, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "robustness"))
os.environ["CKPTLINT_NO_PREFILTER"] = "1"

from invariants import check_bytes, check_text, mutate, training_scripts  # noqa: E402


def _failure(kind: str, data, exc: BaseException) -> Dict[str, str]:
    return {
        "campaign": kind,
        "input": repr(data)[:2000],
        "error": f"{type(exc).__name__}: {exc}"[:2000],
        "traceback": "".join(traceback.format_exception(exc))[-3000:],
    }


def hypothesis_campaign(kind: str, examples: int, seed: int, body: Callable) -> Dict[str, object]:
    import hypothesmith
    from hypothesis import HealthCheck, given, seed as hseed, settings, strategies as st

    count = 0
    failures: List[Dict[str, str]] = []
    scripts = training_scripts()
    strategy = hypothesmith.from_grammar()
    extra = st.sampled_from(scripts) if kind == "generated-in-script" else st.just(b"")

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy, extra)
    def run(source: str, script: bytes) -> None:
        nonlocal count
        count += 1
        text = (script.decode("utf-8") + "\n" + source) if script else source
        try:
            body(text)
        except Exception as exc:
            failures.append(_failure(kind, text, exc))

    run()
    return {"examples": count, "failures": failures}


def mutation_campaign(examples: int, seed: int) -> Dict[str, object]:
    rng = random.Random(seed)
    scripts = training_scripts()
    failures: List[Dict[str, str]] = []
    for _ in range(examples):
        script = rng.choice(scripts)
        data = mutate(script, rng.randrange(2**32), rng.randint(1, 4))
        try:
            check_bytes(data)
        except Exception as exc:
            failures.append(_failure("mutated", data, exc))
    return {"examples": examples, "failures": failures}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="examples per campaign")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    results = {}
    for kind in ("generated", "generated-in-script"):
        start = time.perf_counter()
        results[kind] = hypothesis_campaign(kind, args.examples, args.seed, check_text)
        results[kind]["seconds"] = round(time.perf_counter() - start, 1)
        print(f"{kind}: {results[kind]['examples']} examples, {len(results[kind]['failures'])} failures", flush=True)
    start = time.perf_counter()
    results["mutated"] = mutation_campaign(args.examples, args.seed)
    results["mutated"]["seconds"] = round(time.perf_counter() - start, 1)
    print(f"mutated: {results['mutated']['examples']} examples, {len(results['mutated']['failures'])} failures", flush=True)
    failures = [f for r in results.values() for f in r["failures"]]  # type: ignore[union-attr]
    for failure in failures[:20]:
        print(f"--- {failure['campaign']}: {failure['error']}\n{failure['input'][:500]}\n{failure['traceback'][-1500:]}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

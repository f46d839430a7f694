"""Time `ckptlint server` as an editor uses it: open, edit, type, ask for code actions.

    python benchmarks/realworld/build.py        # once: the real training scripts
    python benchmarks/bench_lsp.py [--repeat 5] [--keys 10] [--scripts synthetic,litgpt,yolov5,torchtune]

Starts the server as a subprocess (stdio, JSON-RPC) the way an editor does, in a copy of each
script's project (its whole source tree, with an empty `[tool.ckptlint]`, so the default rules
and the project index apply), and for each script measures:
- open: didOpen -> the first diagnostics, and -> the diagnostics with the project index (a
  script whose imported modules were never summarised is linted on its own first);
- change: didChange (one line added) -> the diagnostics of that version, warm, median;
- typing: `--keys` keystrokes 200 ms apart (5 keys/s) into a new line in the middle of the file,
  each a didChange; the time from the last key to the diagnostics of the final text, how many
  intermediate versions were published (each was current when published: a lint shorter
  than the time between two keys finishes), and the most threads the server ran meanwhile
  (a server that lints each keystroke on a thread of its own grows one per lint still running);
- code action: the quick fixes of the first finding with a fix, the first request after an
  edit and the median of the requests after it (warm); fix-all asked for explicitly (`only:
  source.fixAll`);
- the server's peak memory (VmHWM) at the end.
Scripts: `synthetic` (the 1,000-line file of earlier versions of this benchmark), and three
real training scripts of the real-code set, of about 500, 750 and 1,000 lines. Run it with
`PYTHONPATH` pointing at another checkout to measure that build's server ("before").
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

import machine  # benchmarks/machine.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lsp"))

from lsp_client import LspClient  # noqa: E402

REALWORLD = os.path.join(HERE, "realworld", "corpus")
# name -> (source folder in the real-code set, script inside it)
SCRIPTS: Dict[str, Tuple[str, str]] = {
    "litgpt": ("litgpt-0.5.13", "litgpt/pretrain.py"),  # 532 lines
    "yolov5": ("yolov5-7.0.14", "yolov5/train.py"),  # 735 lines
    "torchtune": ("torchtune-0.6.1", "recipes/full_finetune_distributed.py"),  # 954 lines
}
KEY_INTERVAL = 0.2  # 5 keys per second


def synthetic(lines: int = 1000) -> str:
    out = ["import os", "import torch", "import torch.nn as nn", ""]
    block = [
        "def step_{i}(model, path):",
        "    note = \"é ü 😀 checkpoint {i}\"",
        "    state = torch.load(os.path.join(path, \"ckpt_{i}.pt\"))",
        "    model.load_state_dict(state[\"model\"])",
        "    torch.save(model.state_dict(), f\"{{path}}/out_{i}.pt\")",
        "    return note",
        "",
    ]
    i = 0
    while len(out) < lines:
        out.extend(line.format(i=i) for line in block)
        i += 1
    return "\n".join(out[:lines]) + "\n"


def project(name: str, workdir: str) -> Tuple[str, str]:
    """A copy of the script's project in ``workdir``: (project root, script path)."""
    root = os.path.join(workdir, name)
    if name == "synthetic":
        os.makedirs(root)
        script = os.path.join(root, "bench.py")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(synthetic())
    else:
        source, relative = SCRIPTS[name]
        shutil.copytree(os.path.join(REALWORLD, source), root)
        script = os.path.join(root, relative)
    with open(os.path.join(root, "pyproject.toml"), "w", encoding="utf-8") as handle:
        handle.write("[tool.ckptlint]\n")
    return root, script


class Session:
    """One server, one document."""

    def __init__(self, root: str, script: str) -> None:
        env = dict(os.environ, CKPTLINT_CACHE_DIR=os.path.join(root, ".bench_cache"))
        self.client = LspClient(cwd=root, env=env)
        self.client.initialize("file://" + root)
        self.uri = "file://" + script
        with open(script, encoding="utf-8") as handle:
            self.text = handle.read()
        self.version = 1

    def publish(self, version: int, timeout: float = 60) -> dict:
        return self.client.diagnostics(self.uri, version=version, timeout=timeout)

    def change(self, text: str) -> int:
        self.version += 1
        self.client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": self.uri, "version": self.version}, "contentChanges": [{"text": text}]},
        )
        return self.version

    def threads(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.client.proc.pid}/task"))
        except OSError:
            return 0

    def peak_mib(self) -> float:
        try:
            with open(f"/proc/{self.client.proc.pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0


def measure(name: str, workdir: str, repeat: int, keys: int) -> Dict[str, object]:
    root, script = project(name, workdir)
    session = Session(root, script)
    client = session.client
    result: Dict[str, object] = {"lines": session.text.count("\n")}
    try:
        started = time.perf_counter()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": session.uri, "languageId": "python", "version": 1, "text": session.text}})
        first = session.publish(1)
        result["open_first_ms"] = (time.perf_counter() - started) * 1000
        try:  # the diagnostics with the project index, when the first lint ran without it
            improved = client.diagnostics(session.uri, version=1, timeout=20)
            result["open_indexed_ms"] = (time.perf_counter() - started) * 1000
        except TimeoutError:
            improved = first
        result["diagnostics"] = len(improved["diagnostics"])

        changes = []
        for n in range(repeat):
            t0 = time.perf_counter()
            version = session.change(session.text + f"x_{n} = {n}\n")
            session.publish(version)
            changes.append(time.perf_counter() - t0)
        result["change_ms"] = [round(c * 1000) for c in changes]
        result["change_median_ms"] = statistics.median(changes) * 1000

        result.update(typing(session, keys))

        first_action, actions, fix_all = code_actions(session, repeat)
        result["code_action_first_ms"] = first_action
        result["code_action_ms"] = actions
        result["fix_all_ms"] = fix_all
        result["peak_rss_mib"] = session.peak_mib()
        client.shutdown()
    finally:
        client.close()
    return result


def typing(session: Session, keys: int) -> Dict[str, object]:
    """``keys`` keystrokes at 5 keys/s into a new comment line in the middle of the file."""
    lines = session.text.splitlines(keepends=True)
    middle = len(lines) // 2
    while middle < len(lines) and lines[middle].strip():  # a blank line: the comment is harmless there
        middle += 1
    before, after = "".join(lines[:middle]), "".join(lines[middle:])
    threads: List[int] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            threads.append(session.threads())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    typed = "# "
    first_version = session.version + 1
    last_key = time.perf_counter()
    for index in range(keys):
        if index:
            time.sleep(KEY_INTERVAL)
        typed += "abcdefghijklmnopqrstuvwxyz"[index % 26]
        version = session.change(before + typed + "\n" + after)
        last_key = time.perf_counter()
    session.publish(version)  # at once after the last key: the wait is the measure
    final_ms = (time.perf_counter() - last_key) * 1000
    sampling.set()
    sampler.join()
    session.text = before + typed + "\n" + after
    intermediate = [
        m for m in session.client.notifications
        if m.get("method") == "textDocument/publishDiagnostics" and first_version <= (m["params"].get("version") or 0) < version
    ]
    session.client.notifications.clear()
    return {"typing_final_ms": final_ms, "typing_intermediate_publishes": len(intermediate), "typing_max_threads": max(threads or [0])}


def code_actions(session: Session, repeat: int) -> Tuple[Optional[float], Optional[float], Optional[float]]:
    """The time of a code action request at the first finding with a fix, first after an edit and
    median of the requests after it (unchanged buffer), and of fix-all asked for explicitly."""
    version = session.change(session.text + "y = 0\n")
    diagnostics = session.publish(version)["diagnostics"]
    target = None
    for diagnostic in diagnostics:
        result = session.client.request(
            "textDocument/codeAction",
            {"textDocument": {"uri": session.uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}},
            timeout=60,
        )
        if any(action["title"].startswith("Fix ") for action in result or []):
            target = diagnostic
            break
    if target is None:
        return None, None, None
    # The first request after an edit (what the version's code actions compute once is not there yet).
    version = session.change(session.text + "y = 0\nz = 0\n")
    session.publish(version)
    t0 = time.perf_counter()
    session.client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": session.uri}, "range": target["range"], "context": {"diagnostics": [target]}},
        timeout=60,
    )
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        session.client.request(
            "textDocument/codeAction",
            {"textDocument": {"uri": session.uri}, "range": target["range"], "context": {"diagnostics": [target]}},
            timeout=60,
        )
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    session.client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": session.uri}, "range": target["range"], "context": {"diagnostics": [target], "only": ["source.fixAll"]}},
        timeout=120,
    )
    return first, statistics.median(times) * 1000, (time.perf_counter() - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--scripts", default="synthetic,litgpt,yolov5,torchtune")
    args = parser.parse_args()
    names = [name for name in args.scripts.split(",") if name]
    missing = [name for name in names if name != "synthetic" and not os.path.isdir(os.path.join(REALWORLD, SCRIPTS[name][0]))]
    if missing:
        print(f"no real-code set for {', '.join(missing)}: run benchmarks/realworld/build.py first", file=sys.stderr)
        return 2
    print(machine.state("at start"))
    columns = ("lines", "diagnostics", "open_first_ms", "open_indexed_ms", "change_median_ms", "typing_final_ms",
               "typing_intermediate_publishes", "typing_max_threads", "code_action_first_ms", "code_action_ms", "fix_all_ms",
               "peak_rss_mib")
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            results[name] = measure(name, workdir, args.repeat, args.keys)
            print(f"{name}: " + ", ".join(f"{key}={_fmt(results[name].get(key))}" for key in columns) + f"; changes {results[name]['change_ms']} ms")
    print(machine.state("at end"))
    return 0


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())

"""Time `ckptlint server` from didOpen to publishDiagnostics on a 1,000-line file.

    python benchmarks/bench_lsp.py [--lines 1000] [--repeat 5]

Starts the server as a subprocess (stdio, JSON-RPC), opens fresh documents
and reports the wall time until their diagnostics arrive; also the time
from a didChange (which is debounced by 150 ms) to the new diagnostics.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lsp"))

from lsp_client import LspClient  # noqa: E402


def corpus(lines: int) -> str:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = corpus(args.lines)
    with tempfile.TemporaryDirectory() as root:
        client = LspClient(cwd=root)
        try:
            started = time.perf_counter()
            client.initialize("file://" + root)
            print(f"server start + initialize: {(time.perf_counter() - started) * 1000:.0f} ms")
            opens, changes, count = [], [], 0
            for n in range(args.repeat):
                uri = f"file://{root}/bench_{n}.py"
                t0 = time.perf_counter()
                client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
                count = len(client.diagnostics(uri, version=1, timeout=60)["diagnostics"])
                opens.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text + "x = 1\n"}]})
                client.diagnostics(uri, version=2, timeout=60)
                changes.append(time.perf_counter() - t0)
            ms = lambda xs: ", ".join(f"{x * 1000:.0f}" for x in xs)  # noqa: E731
            print(f"{args.lines} lines, {count} diagnostics per document")
            print(f"didOpen -> diagnostics (ms): {ms(opens)}; median {statistics.median(opens) * 1000:.0f} ms (first includes warm-up)")
            print(f"didChange -> diagnostics (ms, includes the 150 ms debounce): {ms(changes)}; median {statistics.median(changes) * 1000:.0f} ms")
            client.shutdown()
        finally:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A minimal LSP client over a subprocess's stdio (Content-Length framing).

Used by the end-to-end tests and by `benchmarks/bench_lsp.py`. Every wait
has a deadline, and `close()` kills the server if it has not exited.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional


class LspClient:
    def __init__(self, argv: Optional[List[str]] = None, cwd: Optional[str] = None, env=None) -> None:
        self.proc = subprocess.Popen(
            argv or [sys.executable, "-m", "ckptlint", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        self.messages: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.notifications: List[Dict[str, Any]] = []
        self.stderr: List[bytes] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- transport --------------------------------------------------------

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            headers: Dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body.decode("utf-8")))

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def send(self, message: Dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any = None, timeout: float = 10) -> Any:
        self._next_id += 1
        ident = self._next_id
        self.send({"id": ident, "method": method, "params": params})
        message = self.wait(lambda m: m.get("id") == ident and "method" not in m, timeout)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        return message.get("result")

    def wait(self, predicate: Callable[[Dict[str, Any]], bool], timeout: float = 10) -> Dict[str, Any]:
        """The first message (in arrival order) that satisfies ``predicate``; others are kept."""
        deadline = time.monotonic() + timeout
        for index, seen in enumerate(self.notifications):
            if predicate(seen):
                return self.notifications.pop(index)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching message; stderr: {b''.join(self.stderr[-20:]).decode(errors='replace')}")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if "id" in message and "method" in message:  # a server->client request: answer it
                self.send({"id": message["id"], "result": None})
            if predicate(message):
                return message
            self.notifications.append(message)

    def diagnostics(self, uri: str, version: Optional[int] = None, timeout: float = 10) -> Dict[str, Any]:
        def match(message: Dict[str, Any]) -> bool:
            if message.get("method") != "textDocument/publishDiagnostics":
                return False
            params = message["params"]
            return params["uri"] == uri and (version is None or params.get("version") == version)

        return self.wait(match, timeout)["params"]

    # -- lifecycle --------------------------------------------------------

    def initialize(self, root_uri: str, encodings: Optional[List[str]] = None) -> Dict[str, Any]:
        capabilities: Dict[str, Any] = {
            "textDocument": {
                "publishDiagnostics": {"versionSupport": True},
                "codeAction": {
                    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}},
                    "resolveSupport": {"properties": ["edit"]},
                },
            }
        }
        if encodings:
            capabilities["general"] = {"positionEncodings": encodings}
        result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": "ws"}],
                "capabilities": capabilities,
            },
            timeout=20,
        )
        self.notify("initialized", {})
        return result

    def shutdown(self, timeout: float = 10) -> int:
        self.request("shutdown", None, timeout)
        self.notify("exit", None)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def utf16_offset(text: str, line: int, character: int) -> int:
    """Code-point offset of an LSP (UTF-16) position, computed independently of the server."""
    lines = text.splitlines(keepends=True)
    offset = sum(len(l) for l in lines[:line])
    current = lines[line] if line < len(lines) else ""
    units = 0
    for index, char in enumerate(current):
        if units >= character:
            return offset + index
        units += 2 if ord(char) > 0xFFFF else 1
    return offset + len(current.rstrip("\r\n"))


def apply_text_edits(text: str, edits: List[Dict[str, Any]]) -> str:
    spans = []
    for edit in edits:
        start = utf16_offset(text, edit["range"]["start"]["line"], edit["range"]["start"]["character"])
        end = utf16_offset(text, edit["range"]["end"]["line"], edit["range"]["end"]["character"])
        spans.append((start, end, edit["newText"]))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text

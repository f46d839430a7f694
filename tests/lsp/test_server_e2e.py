"""`ckptlint server` end to end: a subprocess spoken to over stdio with JSON-RPC."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")

from lsp_client import LspClient, apply_text_edits  # noqa: E402

from ckptlint.links import rule_url  # noqa: E402

HARD_TIMEOUT = 30.0
# An astral-plane emoji (2 UTF-16 units, 1 code point) and an accent before the finding.
TEXT = 'import torch\n\nlabel = "😀 café"; state = torch.load("model.pt")\n'


@contextlib.contextmanager
def started(cwd):
    """A server process in ``cwd``, killed at the hard deadline if it is still running."""
    lsp = LspClient(cwd=str(cwd))
    killer = threading.Timer(HARD_TIMEOUT, lsp.proc.kill)  # the hard deadline for the whole test
    killer.start()
    try:
        yield lsp
    finally:
        killer.cancel()
        lsp.close()


@pytest.fixture
def client(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n", encoding="utf-8")
    with started(tmp_path) as lsp:
        yield lsp


def _open(client: LspClient, uri: str, text: str, version: int = 1) -> None:
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}},
    )


def _change(client: LspClient, uri: str, text: str, version: int) -> None:
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
    )


def _actions(client: LspClient, uri: str, diagnostics, only=None):
    context = {"diagnostics": diagnostics}
    if only:
        context["only"] = only
    return client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": diagnostics[0]["range"], "context": context},
    )


def test_open_diagnose_fix_disable_and_exit(client, tmp_path):
    result = client.initialize(tmp_path.as_uri())
    capabilities = result["capabilities"]
    assert capabilities.get("positionEncoding", "utf-16") == "utf-16"
    assert "source.fixAll.ckptlint" in capabilities["codeActionProvider"]["codeActionKinds"]
    uri = (tmp_path / "train.py").as_uri()
    _open(client, uri, TEXT)

    published = client.diagnostics(uri, version=1)
    diagnostics = published["diagnostics"]
    assert [d["code"] for d in diagnostics] == ["CKPT201", "CKPT202"]
    line = TEXT.splitlines()[2]
    start_cp = line.index("torch.load")
    start_utf16 = start_cp + 1  # the emoji counts twice in UTF-16
    length = len('torch.load("model.pt")')
    for d in diagnostics:
        assert d["source"] == "ckptlint"
        assert d["codeDescription"]["href"] == rule_url(d["code"])
        assert d["range"] == {
            "start": {"line": 2, "character": start_utf16},
            "end": {"line": 2, "character": start_utf16 + length},
        }

    actions = _actions(client, uri, diagnostics)
    titles = [a["title"] for a in actions]
    fix_201 = next(a for a in actions if a["title"].startswith("Fix CKPT201"))
    fix_202 = next(a for a in actions if a["title"].startswith("Fix CKPT202"))
    assert fix_201["kind"] == "quickfix" and fix_201.get("isPreferred") is True
    assert "unsafe" in fix_202["title"] and not fix_202.get("isPreferred")
    assert "Disable CKPT201 for this line" in titles and "Disable CKPT202 for this line" in titles
    # Fix-all is offered without its edit, which is computed only if the user picks it.
    fix_all = [a for a in actions if a["kind"] == "source.fixAll.ckptlint"]
    assert len(fix_all) == 1 and "edit" not in fix_all[0]
    resolved = client.request("codeAction/resolve", fix_all[0])
    assert 'map_location="cpu"' in apply_text_edits(TEXT, resolved["edit"]["changes"][uri])

    # Only the fixAll source action, with its edit, when the client asks for it (e.g. on save).
    only_source = _actions(client, uri, diagnostics, only=["source.fixAll"])
    assert [a["kind"] for a in only_source] == ["source.fixAll.ckptlint"]
    assert only_source[0]["edit"]["changes"][uri] == resolved["edit"]["changes"][uri]

    # Apply the safe fix for CKPT201.
    text = apply_text_edits(TEXT, fix_201["edit"]["changes"][uri])
    assert 'torch.load("model.pt", map_location="cpu")' in text
    _change(client, uri, text, 2)
    remaining = client.diagnostics(uri, version=2)["diagnostics"]
    assert [d["code"] for d in remaining] == ["CKPT202"]

    # Disable CKPT202 on that line with a noqa comment.
    actions = _actions(client, uri, remaining)
    disable = next(a for a in actions if a["title"] == "Disable CKPT202 for this line")
    text = apply_text_edits(text, disable["edit"]["changes"][uri])
    assert text.splitlines()[2].endswith('map_location="cpu")  # noqa: CKPT202')
    _change(client, uri, text, 3)
    assert client.diagnostics(uri, version=3)["diagnostics"] == []

    # A buffer that does not parse: no crash, and nothing stale.
    _change(client, uri, "import torch\ntorch.load(\n", 4)
    assert client.diagnostics(uri, version=4)["diagnostics"] == []
    _change(client, uri, TEXT, 5)
    assert len(client.diagnostics(uri, version=5)["diagnostics"]) == 2

    assert client.shutdown() == 0


def _disabled(client: LspClient, uri: str, text: str, code: str):
    """Open ``text``, apply "Disable ``code`` for this line": the new text and the actions offered."""
    _open(client, uri, text)
    actions = _actions(client, uri, client.diagnostics(uri, version=1)["diagnostics"])
    disable = next(a for a in actions if a["title"] == f"Disable {code} for this line")
    return apply_text_edits(text, disable["edit"]["changes"][uri]), actions


def test_fix_all_and_noqa_merge(client, tmp_path):
    client.initialize(tmp_path.as_uri())
    uri = (tmp_path / "a.py").as_uri()
    text = 'import torch\nsd = torch.load("a.pt")  # noqa: E501\n'
    merged, actions = _disabled(client, uri, text, "CKPT201")
    assert merged.splitlines()[1].endswith("# noqa: E501, CKPT201")
    fix_all = client.request("codeAction/resolve", next(a for a in actions if a["kind"] == "source.fixAll.ckptlint"))
    fixed = apply_text_edits(text, fix_all["edit"]["changes"][uri])
    assert 'map_location="cpu"' in fixed and "weights_only" not in fixed  # safe fixes only
    assert client.shutdown() == 0


def test_utf8_position_encoding_and_rapid_edits(client, tmp_path):
    result = client.initialize(tmp_path.as_uri(), encodings=["utf-8", "utf-16"])
    assert result["capabilities"]["positionEncoding"] == "utf-8"
    uri = (tmp_path / "b.py").as_uri()
    _open(client, uri, TEXT)
    first = client.diagnostics(uri, version=1)["diagnostics"]
    line = TEXT.splitlines()[2]
    start = len(line[: line.index("torch.load")].encode("utf-8"))
    assert first[0]["range"]["start"] == {"line": 2, "character": start}
    # Several edits inside the debounce window: only the last version is published.
    for version in range(2, 7):
        _change(client, uri, TEXT + f"x = {version}\n", version)
    last = client.diagnostics(uri, version=6)
    assert len(last["diagnostics"]) == 2
    stale = [
        m for m in client.notifications
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") in (2, 3, 4, 5)
    ]
    assert stale == []
    assert client.shutdown() == 0


def test_config_error_does_not_crash(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\nno-such-key = 1\n", encoding="utf-8")
    with started(tmp_path) as lsp:
        lsp.initialize(tmp_path.as_uri())
        uri = (tmp_path / "c.py").as_uri()
        _open(lsp, uri, TEXT)
        shown = lsp.wait(lambda m: m.get("method") == "window/showMessage")
        assert "no-such-key" in shown["params"]["message"] or "configuration" in shown["params"]["message"]
        assert len(lsp.diagnostics(uri, version=1)["diagnostics"]) == 2  # falls back to the defaults
        assert lsp.shutdown() == 0


def test_server_without_lsp_extra_exits_2():
    code = "import sys; sys.modules['pygls'] = None; from ckptlint.cli import main; main(['server'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ckptlint[lsp]" in lines[0]


def test_cli_import_does_not_import_pygls():
    code = "import sys, ckptlint.cli; print('pygls' in sys.modules, 'torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.stdout.split() == ["False", "False"]


def test_disable_never_writes_into_a_string(client, tmp_path):
    """#20 item 5: the action was a regex over the raw line and merged into the
    `# noqa: E501` inside the string, changing the checkpoint's path."""
    client.initialize(tmp_path.as_uri())
    uri = (tmp_path / "d.py").as_uri()
    text = 'import torch\nsd = torch.load("runs/x # noqa: E501 here.pt")\n'
    edited, _ = _disabled(client, uri, text, "CKPT201")
    assert edited.splitlines()[1] == 'sd = torch.load("runs/x # noqa: E501 here.pt")  # noqa: CKPT201'
    _change(client, uri, edited, 2)
    assert [d["code"] for d in client.diagnostics(uri, version=2)["diagnostics"]] == ["CKPT202"]
    assert client.shutdown() == 0


def test_disable_is_not_offered_where_a_comment_would_land_in_a_string(client, tmp_path):
    client.initialize(tmp_path.as_uri())
    uri = (tmp_path / "m.py").as_uri()
    text = 'import torch\nx = f"""{torch.load(\n\'a\')}"""\n'  # line 2 ends inside the f-string
    _open(client, uri, text)
    diagnostics = client.diagnostics(uri, version=1)["diagnostics"]
    assert diagnostics
    titles = [a["title"] for a in _actions(client, uri, diagnostics)]
    assert titles and not [t for t in titles if t.startswith("Disable")]
    assert client.shutdown() == 0


def test_excluded_files_get_no_diagnostics_and_per_file_ignores_apply(tmp_path):
    """#20 item 6: the editor linted files the configuration excludes; the CLI and the hook skip them."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ckptlint]\nextend-exclude = ["legacy"]\nper-file-ignores = { "tests/*.py" = ["CKPT202"] }\n',
        encoding="utf-8",
    )
    (tmp_path / ".gitignore").write_text("generated_*.py\n", encoding="utf-8")
    with started(tmp_path) as lsp:
        lsp.initialize(tmp_path.as_uri())
        uris = {
            name: (tmp_path / name).as_uri()
            for name in ("legacy/old.py", "generated_model.py", "tests/test_load.py", "train.py")
        }
        for name, uri in uris.items():
            _open(lsp, uri, TEXT)
        published = {name: [d["code"] for d in lsp.diagnostics(uri, version=1)["diagnostics"]] for name, uri in uris.items()}
        assert published == {
            "legacy/old.py": [],
            "generated_model.py": [],
            "tests/test_load.py": ["CKPT201"],
            "train.py": ["CKPT201", "CKPT202"],
        }
        # the command line (as the pre-commit hook runs it) agrees, file by file
        for name in uris:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(TEXT, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "ckptlint", "--force-exclude", "--no-cache", "--output-format", "concise", *uris],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        found = {name: [] for name in uris}
        for line in result.stdout.splitlines():
            if ": CKPT" in line:
                found[line.split(":")[0]].append(line.split()[1])
        assert found == published
        assert lsp.shutdown() == 0


def test_configuration_is_read_again_when_it_is_saved(client, tmp_path):
    client.initialize(tmp_path.as_uri())
    uri = (tmp_path / "train.py").as_uri()
    _open(client, uri, TEXT)
    assert [d["code"] for d in client.diagnostics(uri, version=1)["diagnostics"]] == ["CKPT201", "CKPT202"]
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.ckptlint]\nignore = ["CKPT202"]\n', encoding="utf-8")
    client.notify("textDocument/didSave", {"textDocument": {"uri": config.as_uri()}})
    assert [d["code"] for d in client.diagnostics(uri, version=1)["diagnostics"]] == ["CKPT201"]
    assert client.shutdown() == 0


def test_a_notebook_opened_as_text_gets_no_misplaced_diagnostics(client, tmp_path):
    client.initialize(tmp_path.as_uri())
    uri = (tmp_path / "nb.ipynb").as_uri()
    notebook = '{"cells": [{"cell_type": "code", "source": ["import torch\\n", "torch.load(\'a\')\\n"]}]}'
    _open(client, uri, notebook)
    assert client.diagnostics(uri, version=1)["diagnostics"] == []
    assert client.shutdown() == 0


# -- other modules (#17, "Language server") -------------------------------------------------------

TRAIN = """import torch
import torch.distributed as dist
import utils


def main(model, optimizer, loader, epochs):
    dist.init_process_group("nccl")
    for epoch in range(epochs):
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        utils.save_on_master({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, "ckpt.pt")
    if dist.get_rank() == 0:
        torch.save(model.state_dict(), "weights.pt")
"""
GUARDED = """import torch
import torch.distributed as dist


def is_main_process():
    return not dist.is_initialized() or dist.get_rank() == 0


def save_on_master(*args, **kwargs):
    if is_main_process():
        torch.save(*args, **kwargs)
"""
UNGUARDED = GUARDED.replace("    if is_main_process():\n        torch.save", "    torch.save")


def _codes_at(client: LspClient, uri: str, predicate, timeout: float = 20):
    """The (line, code) pairs of the first publish for ``uri`` that satisfies ``predicate``."""
    def match(message):
        if message.get("method") != "textDocument/publishDiagnostics" or message["params"]["uri"] != uri:
            return False
        return predicate({(d["range"]["start"]["line"] + 1, d["code"]) for d in message["params"]["diagnostics"]})

    found = client.wait(match, timeout)["params"]["diagnostics"]
    return {(d["range"]["start"]["line"] + 1, d["code"]) for d in found}


def test_editing_a_helper_module_changes_the_open_scripts_diagnostics(client, tmp_path):
    (tmp_path / "utils.py").write_text(GUARDED, encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    client.initialize(tmp_path.as_uri())
    train, utils = (tmp_path / "train.py").as_uri(), (tmp_path / "utils.py").as_uri()
    _open(client, train, TRAIN)
    # First the script alone (utils.py was never summarised), then with utils.py's summary: the
    # save through `utils.save_on_master` is a save (CKPT501 on its path), rank-guarded inside.
    with_index = _codes_at(client, train, lambda found: (13, "CKPT501") in found)
    assert (13, "CKPT301") not in with_index

    # The helper loses its guard in the editor (not saved): the script's save now runs on every rank.
    _open(client, utils, GUARDED)
    _change(client, utils, UNGUARDED, 2)
    assert (13, "CKPT301") in _codes_at(client, train, lambda found: (13, "CKPT301") in found)

    # Closed without saving: the file on disk, guarded, counts again.
    client.notify("textDocument/didClose", {"textDocument": {"uri": utils}})
    assert (13, "CKPT301") not in _codes_at(client, train, lambda found: (13, "CKPT501") in found and (13, "CKPT301") not in found)

    # Saved unguarded on disk and reported by the file watcher: CKPT301 again.
    (tmp_path / "utils.py").write_text(UNGUARDED, encoding="utf-8")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": utils, "type": 2}]})
    assert (13, "CKPT301") in _codes_at(client, train, lambda found: (13, "CKPT301") in found)
    assert client.shutdown() == 0


def test_a_module_nobody_read_changes_nothing(client, tmp_path):
    (tmp_path / "utils.py").write_text(GUARDED, encoding="utf-8")
    (tmp_path / "other.py").write_text("x = 1\n", encoding="utf-8")
    client.initialize(tmp_path.as_uri())
    train = (tmp_path / "train.py").as_uri()
    _open(client, train, TRAIN)
    _codes_at(client, train, lambda found: (13, "CKPT501") in found)
    client.notifications.clear()  # the first publish (the script alone) among them
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": (tmp_path / "other.py").as_uri(), "type": 2}]})
    with pytest.raises(TimeoutError):
        _codes_at(client, train, lambda found: True, timeout=1.5)
    assert client.shutdown() == 0


def test_saving_an_unchanged_document_lints_nothing(client, tmp_path):
    client.initialize(tmp_path.as_uri())
    uri = (tmp_path / "train.py").as_uri()
    _open(client, uri, TEXT)
    assert [d["code"] for d in client.diagnostics(uri, version=1)["diagnostics"]] == ["CKPT201", "CKPT202"]
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    with pytest.raises(TimeoutError):  # its diagnostics are current: no lint, no publish
        client.diagnostics(uri, timeout=1.5)
    _change(client, uri, TEXT + "x = 1\n", 2)
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})  # right after the edit
    assert [d["code"] for d in client.diagnostics(uri, version=2)["diagnostics"]] == ["CKPT201", "CKPT202"]
    with pytest.raises(TimeoutError):  # the lint of the edit was not started again
        client.diagnostics(uri, timeout=1.5)
    assert client.shutdown() == 0


SEEDS_LATER = """import torch
from helpers import setup

setup()
state = torch.load("init.pt", map_location="cpu", weights_only=True)
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    model(torch.ones(2)).sum().backward()
    optimizer.step()
"""
PRINTS = "def setup():\n    print('ready')\n"
SEEDS = "import torch\n\n\ndef setup():\n    torch.manual_seed(0)\n"


def test_a_helper_that_starts_holding_a_rules_word_re_lints_the_open_script(client, tmp_path):
    """CKPT404 was left out of the script's lint: no code it reaches seeds, and no fact of the rules
    that ran looked at `setup`. The pre-filter's walk read `helpers.py`, which makes the script one
    of its importers: once `setup` seeds in the editor, the script is linted again."""
    (tmp_path / "pyproject.toml").write_text('[tool.ckptlint]\nextend-select = ["CKPT404"]\n', encoding="utf-8")
    (tmp_path / "helpers.py").write_text(PRINTS, encoding="utf-8")
    client.initialize(tmp_path.as_uri())
    train, helpers = (tmp_path / "train.py").as_uri(), (tmp_path / "helpers.py").as_uri()
    _open(client, train, SEEDS_LATER)
    assert client.diagnostics(train, version=1)["diagnostics"] == []  # the script alone
    assert client.diagnostics(train, version=1)["diagnostics"] == []  # with `helpers.py`'s summary
    _open(client, helpers, PRINTS)
    _change(client, helpers, SEEDS, 2)
    assert (4, "CKPT404") in _codes_at(client, train, lambda found: (4, "CKPT404") in found)
    assert client.shutdown() == 0

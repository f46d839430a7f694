"""Position conversion (code points -> UTF-8/16/32) and the publish-only-if-current rule."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")
from hypothesis import given, strategies as st  # noqa: E402
from lsprotocol import types  # noqa: E402

from ckptlint.diagnostics import Span  # noqa: E402
from ckptlint.engine.suppressions.writer import noqa_edit  # noqa: E402
from ckptlint.lsp.positions import PositionMapper  # noqa: E402
from ckptlint.fixes.model import apply_edits  # noqa: E402


def test_span_to_range_in_each_encoding():
    text = "a\r\nx = '😀é'; y\n"
    col = text.splitlines()[1].index("y") + 1  # 1-based code-point column
    span = Span(2, col, 2, col + 1, 0, 0)
    assert PositionMapper(text, "utf-32").span_range(span).start.character == col - 1
    assert PositionMapper(text, "utf-16").span_range(span).start.character == col  # the emoji is 2 units
    assert PositionMapper(text, "utf-8").span_range(span).start.character == col - 1 + 3 + 1
    assert PositionMapper(text, types.PositionEncodingKind.Utf16).encoding == "utf-16"


@given(st.lists(st.sampled_from(["a", "é", "😀", "\n", "\r\n", "\r", " ", "中"]), max_size=30), st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_offsets_round_trip(parts, encoding):
    text = "".join(parts)
    mapper = PositionMapper(text, encoding)
    for offset in range(len(text) + 1):
        if offset and text[offset - 1] == "\r" and text[offset : offset + 1] == "\n":
            continue  # between \r and \n is not a position
        assert mapper.offset(mapper.position(offset)) == offset


@pytest.mark.parametrize(
    "line, expected",
    [
        ("x = torch.load(p)", "x = torch.load(p)  # noqa: CKPT201"),
        ("x = torch.load(p)   ", "x = torch.load(p)  # noqa: CKPT201"),
        ("x = torch.load(p)  # noqa: E501", "x = torch.load(p)  # noqa: E501, CKPT201"),
        ("x = torch.load(p)  # noqa: E501,CKPT202 why", "x = torch.load(p)  # noqa: E501,CKPT202, CKPT201 why"),
        ("x = torch.load(p)  # noqa: CKPT201", None),
        ("x = torch.load(p)  # noqa", None),
    ],
)
def test_noqa_edit(line, expected):
    text = f"import torch\n{line}\nz = 1\n"
    edit = noqa_edit(text, 2, "CKPT201")
    if expected is None:
        assert edit is None
    else:
        assert apply_edits(text, [edit]).splitlines()[1] == expected


def test_slow_lint_never_overwrites_a_newer_version():
    """The document moves from version 1 to 2 while version 1 is being linted."""
    from ckptlint.lsp import server as server_module

    uri = "file:///tmp/never_written.py"
    document = SimpleNamespace(source="import torch\ntorch.load('a')\n", version=1)
    published = []

    class Fake(server_module.CkptlintServer):
        workspace = SimpleNamespace(  # type: ignore[assignment]
            get_text_document=lambda u: document,
            text_documents={uri: document},
            folders={},
            position_encoding="utf-16",
        )

        def text_document_publish_diagnostics(self, params):
            published.append(params)

        def window_log_message(self, params):
            pass

        def lint_now(self, uri, text, version, settings, options, alone=False):
            result = super().lint_now(uri, text, version, settings, options, alone)
            document.version = 2  # an edit arrives while we lint
            return result

    fake = Fake()

    async def run():
        job = fake.schedule(uri, 0)
        await asyncio.wait_for(job.task, 10)

    asyncio.run(run())
    assert published == []  # version 1's findings were dropped
    assert uri not in fake.results


def test_configuration_is_read_once_per_folder(tmp_path, monkeypatch):
    """The server used to call `load_settings` (reading the files) on every lint."""
    from ckptlint.lsp import server as server_module

    (tmp_path / "pyproject.toml").write_text("[tool.ckptlint]\n")
    loads = []
    real = server_module.load_settings
    monkeypatch.setattr(server_module, "load_settings", lambda start: loads.append(start) or real(start))

    class Fake(server_module.CkptlintServer):
        workspace = SimpleNamespace(folders={}, text_documents={})  # type: ignore[assignment]

    fake = Fake()
    for name in ("a.py", "b.py", "a.py"):
        fake.settings_for(str(tmp_path / name))
    assert loads == [str(tmp_path)]
    fake.configuration_changed()
    fake.settings_for(str(tmp_path / "a.py"))
    assert loads == [str(tmp_path), str(tmp_path)]

"""`ckptlint server`: a pygls 2 language server over stdio.

A buffer's unsaved text goes through the pipeline a file on the command line
goes through (`api.process_document`: pre-filter, rule selection with
`per-file-ignores`, analysis), with the configuration `load_settings` finds
from the document's folder. A document the configuration excludes
(`exclude`, `extend-exclude`, `.gitignore`: what a walk of the project, or
`--force-exclude`, skips) gets no diagnostics, as in `ruff server`.
Configurations are read once per folder and read again only when the client
reports a configuration or `.gitignore` file changed (saved in the editor,
or a watched-files event), never on every lint.

Each open/change/save schedules a lint after a short debounce; the lint runs
in a worker thread so the connection stays responsive, and its result is
published only if the document is still at the version it was computed
from, so a slow lint can never overwrite a newer one. A buffer that does not
parse gets an empty diagnostic list (the editor's Python support reports the
syntax error), so nothing stale stays on screen.

Findings are published as warnings: they are advice about a training script,
not errors that stop anything in the editor.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from ckptlint import __version__
from ckptlint.api import FixMode, fix_source, process_document
from ckptlint.config.errors import ConfigError
from ckptlint.config.loader import CONFIG_FILES, build_settings, load_settings
from ckptlint.config.settings import Settings
from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.discovery import Discovery
from ckptlint.engine.session.documents import text_document
from ckptlint.engine.session.notebook import NOTEBOOK_SUFFIX
from ckptlint.links import rule_url
from ckptlint.lsp import actions
from ckptlint.lsp.positions import PositionMapper

SOURCE = "ckptlint"
DEBOUNCE_SECONDS = 0.15
# Files whose change changes settings or exclusions: re-read on change only.
WATCHED = (*CONFIG_FILES, ".gitignore")
log = logging.getLogger(__name__)


@dataclass
class Linted:
    """The findings of one version of one document."""

    version: Optional[int]
    text: str
    path: str
    diagnostics: List[Diagnostic]


class CkptlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("ckptlint", __version__)
        self.pending: Dict[str, asyncio.Task] = {}
        self.results: Dict[str, Linted] = {}
        self.reported_config_errors: set = set()
        self.configurations: Dict[str, Tuple[Settings, Discovery]] = {}  # by folder

    # -- configuration -------------------------------------------------

    def _start_dir(self, path: str) -> str:
        folder = os.path.dirname(os.path.abspath(path))
        best = None
        for workspace_folder in self.workspace.folders.values():
            root = to_fs_path(workspace_folder.uri)
            if root and (folder == root or folder.startswith(root.rstrip(os.sep) + os.sep)):
                if best is None or len(root) > len(best):
                    best = root
        # The nearest configuration above the document wins (as on the command
        # line run from its folder); the workspace folder bounds nothing.
        return folder if os.path.isdir(folder) else (best or os.getcwd())

    def configuration(self, path: str) -> Tuple[Settings, Discovery]:
        """The settings for ``path`` and what they exclude, read once per folder."""
        start = self._start_dir(path)
        if start not in self.configurations:
            settings = self._load(start)
            self.configurations[start] = (settings, Discovery(settings))
        return self.configurations[start]

    def settings_for(self, path: str) -> Settings:
        return self.configuration(path)[0]

    def _load(self, start: str) -> Settings:
        try:
            return load_settings(start)
        except ConfigError as exc:
            message = f"ckptlint: configuration error: {exc}"
            if message not in self.reported_config_errors:
                self.reported_config_errors.add(message)
                self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=message))
            return build_settings({}, root=start)

    def configuration_changed(self) -> None:
        """Forget every configuration read, and lint the open documents again."""
        self.configurations.clear()
        self.reported_config_errors.clear()
        for uri in list(self.workspace.text_documents):
            self.schedule(uri, 0)

    # -- linting -------------------------------------------------------

    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    @staticmethod
    def lintable(path: str, discovery: Discovery) -> bool:
        """Not excluded, and a Python buffer: a notebook's JSON opened as text has
        no positions its cells' findings could map to (editors sync notebooks
        as notebook documents, which this server does not take)."""
        return not path.endswith(NOTEBOOK_SUFFIX) and not discovery.is_excluded(path)

    def lint_now(self, uri: str, text: str, version: Optional[int], settings: Settings) -> Tuple[Linted, Optional[str]]:
        """Lint one text (in a worker thread): the findings and why some are missing, if so."""
        path = self.path_of(uri)
        report = process_document(text_document(text, path), settings, FixMode.CHECK)
        problem = "; ".join(error.render() for error in report.errors) or None
        return Linted(version, text, path, report.diagnostics), problem

    def schedule(self, uri: str, delay: float) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            document = self.workspace.get_text_document(uri)
            text, version = document.source, document.version
            settings, discovery = self.configuration(self.path_of(uri))
            if not self.lintable(self.path_of(uri), discovery):
                linted, problem = Linted(version, text, self.path_of(uri), []), None
            else:
                loop = asyncio.get_running_loop()
                linted, problem = await loop.run_in_executor(None, self.lint_now, uri, text, version, settings)
        except asyncio.CancelledError:
            return
        except Exception as exc:  # a lint must never take the server down
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=f"ckptlint: {type(exc).__name__}: {exc}")
            )
            return
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # closed, or edited while we linted: a newer lint is on its way
        if problem:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=f"{uri}: {problem}"))
        self.results[uri] = linted
        self.publish(uri, linted)

    def to_lsp(self, diagnostic: Diagnostic, mapper: PositionMapper) -> types.Diagnostic:
        return types.Diagnostic(
            range=mapper.span_range(diagnostic.span),
            message=diagnostic.message,
            severity=types.DiagnosticSeverity.Warning,
            code=diagnostic.code,
            code_description=types.CodeDescription(href=rule_url(diagnostic.code)),
            source=SOURCE,
            data={"name": diagnostic.name, "fixable": diagnostic.fix is not None},
        )

    def mapper(self, text: str) -> PositionMapper:
        return PositionMapper(text, self.workspace.position_encoding or "utf-16")

    def publish(self, uri: str, linted: Linted) -> None:
        mapper = self.mapper(linted.text)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                version=linted.version,
                diagnostics=[self.to_lsp(d, mapper) for d in linted.diagnostics],
            )
        )

    def clear(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.results.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def current(self, uri: str) -> Linted:
        """The findings of the document's current text (re-linted if the cache is stale)."""
        document = self.workspace.get_text_document(uri)
        cached = self.results.get(uri)
        if cached is not None and cached.version == document.version and cached.text == document.source:
            return cached
        settings, discovery = self.configuration(self.path_of(uri))
        if not self.lintable(self.path_of(uri), discovery):
            return Linted(document.version, document.source, self.path_of(uri), [])
        loop = asyncio.get_running_loop()
        linted, _ = await loop.run_in_executor(None, self.lint_now, uri, document.source, document.version, settings)
        return linted


server = CkptlintServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CkptlintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)  # nothing to coalesce yet: lint at once


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CkptlintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: CkptlintServer, params: types.DidSaveTextDocumentParams) -> None:
    if os.path.basename(ls.path_of(params.text_document.uri)) in WATCHED:
        ls.configuration_changed()
    else:
        ls.schedule(params.text_document.uri, 0)


@server.feature(types.INITIALIZED)
def initialized(ls: CkptlintServer, params: types.InitializedParams) -> None:
    """Ask the client to report changes to configuration files, where it can."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return  # such clients still report configurations saved in the editor (did_save)
    watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in WATCHED]
    ls.client_register_capability(
        types.RegistrationParams(
            registrations=[
                types.Registration(
                    id="ckptlint-configuration",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                )
            ]
        )
    )


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: CkptlintServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(os.path.basename(ls.path_of(change.uri)) in WATCHED for change in params.changes):
        ls.configuration_changed()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CkptlintServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.clear(params.text_document.uri)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND],
        resolve_provider=False,
    ),
)
async def code_action(ls: CkptlintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
    uri = params.text_document.uri
    only = params.context.only
    linted = await ls.current(uri)
    mapper = ls.mapper(linted.text)
    result: List[types.CodeAction] = []
    if actions.wanted(only, types.CodeActionKind.QuickFix):
        fixes: List[types.CodeAction] = []
        disables: List[types.CodeAction] = []
        for diagnostic in linted.diagnostics:
            lsp_diagnostic = ls.to_lsp(diagnostic, mapper)
            if not actions.overlaps(lsp_diagnostic.range, params.range):
                continue
            fix = actions.fix_action(uri, mapper, diagnostic, lsp_diagnostic)
            if fix is not None:
                fixes.append(fix)
            disable = actions.noqa_action(uri, linted.text, mapper, diagnostic, lsp_diagnostic)
            if disable is not None:
                disables.append(disable)
        result.extend(fixes + disables)
    if actions.wanted(only, actions.FIX_ALL_KIND) and linted.diagnostics:
        settings = ls.settings_for(linted.path)
        loop = asyncio.get_running_loop()
        fixed = await loop.run_in_executor(None, lambda: fix_source(linted.text, linted.path, settings))
        action = actions.fix_all_action(uri, mapper, fixed.text)
        if action is not None:
            result.append(action)
    return result


def serve() -> None:
    """Run the server over stdio until the client says exit."""
    server.start_io()

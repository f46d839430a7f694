"""`ckptlint server`: a pygls 2 language server over stdio.

A buffer's unsaved text goes through the analysis a file on the command line
goes through (`api.lint_source`: pre-filter, rule selection with
`per-file-ignores`, analysis), with the configuration `load_settings` finds
from the document's folder (the nearest one above it). A document the
configuration excludes (`exclude`, `extend-exclude`, `.gitignore`: what a walk
of the project, or `--force-exclude`, skips) gets no diagnostics, as in `ruff
server`. Configurations are read once per folder and read again only when the
client reports a configuration or `.gitignore` file changed (saved in the
editor, or a watched-files event), never on every lint.

Speed (issue #19): each open/change schedules a lint of the document
(`scheduler`; a save only when its diagnostics are not current, since saving
changes none of them): one lint at a time on one worker thread, a superseded lint
stops at its next checkpoint, and a lint reads the newest text when its turn
comes, so no stale work is ever queued; its result is published only if the
document is still at the version it was computed from. Lints build no fixes:
each finding keeps its fix's builder, and a code action builds the fixes of
the findings under the cursor only; fix-all runs when the client asks for
`source.fixAll`, or resolves the action it was offered.

Other modules (issue #17): a document is linted with its project's index
(`workspace_index`): the first lint of a document whose imports were never
summarised runs on its own, the summaries are built in the background, and
the document is linted again with them; an edit to a module (in the editor,
saved, or on disk) re-lints the open documents whose last lint read it.

A buffer that does not parse gets an empty diagnostic list (the editor's
Python support reports the syntax error), so nothing stale stays on screen.
Findings are published as warnings: they are advice about a training
script, not errors that stop anything in the editor.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ckptlint import __version__
from ckptlint.api import fix_source, lint_source
from ckptlint.config.errors import ConfigError
from ckptlint.config.loader import CONFIG_FILES, build_settings, load_settings
from ckptlint.config.settings import Settings
from ckptlint.diagnostics import Diagnostic
from ckptlint.engine.discovery import Discovery
from ckptlint.engine.options import Cancelled, LintOptions
from ckptlint.engine.session.notebook import NOTEBOOK_SUFFIX
from ckptlint.engine.suppressions.writer import NoqaWriter
from ckptlint.links import rule_url
from ckptlint.lsp import actions
from ckptlint.lsp.collector import Collector
from ckptlint.lsp.positions import PositionMapper
from ckptlint.lsp.scheduler import Job, Scheduler
from ckptlint.lsp.workspace_index import WorkspaceIndex
from ckptlint.semantic.program.index import let_models_go, store_grown

if TYPE_CHECKING:
    from ckptlint.semantic.program.view import FileView

SOURCE = "ckptlint"
# Changes closer together than this are linted once: the notifications of one edit, which a
# client sends in a burst (pygls reads each message through a thread hop, well under a
# millisecond apart when the worker is idle). Typing is the client's to debounce (Neovim waits
# 150 ms; VS Code sends every keystroke) and is handled here by superseding, not by waiting, so
# this is all the server adds to an edit's latency.
DEBOUNCE_SECONDS = 0.005
# A module's change re-lints the documents that import it once the typing in it pauses.
IMPORTERS_DELAY_SECONDS = 0.3
# Files whose change changes settings or exclusions: re-read on change only.
WATCHED = (*CONFIG_FILES, ".gitignore")
log = logging.getLogger(__name__)


@dataclass
class Linted:
    """The findings of one version of one document (each with its fix's builder)."""

    version: Optional[int]
    text: str
    path: str
    diagnostics: List[Diagnostic]
    view: "Optional[FileView]" = None  # how the lint saw the project (`view.reads`: the modules it read)
    _writer: Optional[NoqaWriter] = field(default=None, repr=False)
    # Lets the lint's model go once no fix of these findings will be built (`LintOutcome.close`).
    close: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)

    def noqa_writer(self) -> NoqaWriter:
        """Where the text's lines can take a `# noqa` (it tokenizes the whole text: once per version,
        and only when a code action asks)."""
        if self._writer is None:
            self._writer = NoqaWriter(self.text)
        return self._writer


class CkptlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("ckptlint", __version__)
        self.scheduler = Scheduler()
        self.collector = Collector(self.scheduler)
        self.index = WorkspaceIndex()
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
        # line); the workspace folder bounds nothing.
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

    def lint_now(
        self, uri: str, text: str, version: Optional[int], settings: Settings, options: LintOptions, alone: bool = False
    ) -> Tuple[Linted, Optional[str]]:
        """Lint one text (in the worker thread): the findings and why some are missing, if so.
        ``alone``: without the other modules of its project (their summaries are not built yet).
        Raises `Cancelled` when ``options`` say the lint is superseded."""
        path = self.path_of(uri)
        view = None if alone else self.index.view(settings.project, path)
        outcome = lint_source(text, path, settings, view=view, options=options)
        if outcome.view is not None:
            outcome.view.freeze()  # read in the event loop's thread (`WorkspaceIndex.linted`)
        if view is not None:
            store_grown()  # the facts of other modules this lint computed, for the next start
            let_models_go()  # the next lint of this document reads the same facts, computed now
        problem = "; ".join(error.render() for error in outcome.errors) or None
        return Linted(version, text, path, outcome.diagnostics, outcome.view, close=outcome.close), problem

    def schedule(self, uri: str, delay: float) -> Job:
        """Lint ``uri`` after ``delay`` seconds, superseding the lint scheduled or running for it
        (and postponing the idle collection: the server is busy again)."""
        job = self.scheduler.schedule(uri, delay, lambda job: self._lint(job, uri))
        self.collector.lint_scheduled()
        return job

    async def _lint(self, job: Job, uri: str) -> None:
        try:
            await self._lint_and_publish(job, uri)
        finally:
            self.collector.lint_ended()

    async def _lint_and_publish(self, job: Job, uri: str) -> None:
        async with self.scheduler.turn(job):
            document = self.workspace.text_documents.get(uri)
            if document is None:
                return  # closed meanwhile
            text, version, path = document.source, document.version, self.path_of(uri)
            try:
                settings, discovery = self.configuration(path)
                if not self.lintable(path, discovery):
                    linted, problem, missing = Linted(version, text, path, []), None, []
                else:
                    await self.scheduler.call(self.collector.before_lint)
                    missing = self.index.missing(settings.project, path, text)
                    options = LintOptions(fixes=False, cancelled=job.stop.is_set)
                    linted, problem = await self.scheduler.call(
                        self.lint_now, uri, text, version, settings, options, bool(missing)
                    )
            except Cancelled:
                return  # superseded: a newer lint is on its way
            except Exception as exc:  # a lint must never take the server down
                self.window_log_message(
                    types.LogMessageParams(type=types.MessageType.Error, message=f"ckptlint: {type(exc).__name__}: {exc}")
                )
                return
        self.index.linted(path, linted.view)
        current = self.workspace.text_documents.get(uri)
        if job.stop.is_set() or current is None or current.version != version:
            linted.close()
            return  # closed, or edited while we linted: a newer lint is on its way
        if problem:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=f"{uri}: {problem}"))
        self._keep(uri, linted)
        self.publish(uri, linted)
        if missing:
            self.scheduler.schedule(f"index:{uri}", 0, lambda job: self._summarise(job, uri, settings, missing))

    async def _summarise(self, job: Job, uri: str, settings: Settings, modules: List[str]) -> None:
        """Build the summaries a document lacked, one module per turn (lints come between), then
        lint it with them."""
        for module in modules:
            async with self.scheduler.turn(job):
                await self.scheduler.call(self._summarise_one, settings, module)
            self.index.summarised(module)
            if job.stop.is_set():
                return  # superseded during its turn: the job that replaced it goes on
        if uri in self.workspace.text_documents and not self.scheduler.busy(uri):
            self.schedule(uri, 0)

    def _summarise_one(self, settings: Settings, module: str) -> None:
        """One module's summary (in the worker thread), with automatic collection: nobody waits for it."""
        with self.collector.automatic():
            self.index.summarise(settings.project, module)

    def up_to_date(self, uri: str) -> bool:
        """Whether the diagnostics of the document's current text are published or on their way."""
        if self.scheduler.busy(uri):
            return True  # the lint scheduled or running reads the newest text
        document = self.workspace.text_documents.get(uri)
        cached = self.results.get(uri)
        return document is not None and cached is not None and (cached.version, cached.text) == (document.version, document.source)

    def module_changed(self, path: str) -> None:
        """A module's text changed (edited, saved, or on disk): re-lint the documents that read it."""
        for importer in self.index.importers(path):
            uri = from_fs_path(importer)
            if uri is not None and uri in self.workspace.text_documents:
                self.schedule(uri, IMPORTERS_DELAY_SECONDS)

    def to_lsp(self, diagnostic: Diagnostic, mapper: PositionMapper) -> types.Diagnostic:
        return types.Diagnostic(
            range=mapper.span_range(diagnostic.span),
            message=diagnostic.message,
            severity=types.DiagnosticSeverity.Warning,
            code=diagnostic.code,
            code_description=types.CodeDescription(href=rule_url(diagnostic.code)),
            source=SOURCE,
            data={"name": diagnostic.name},
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

    def _keep(self, uri: str, linted: Linted) -> None:
        """``linted`` is the document's result now. Code actions read only the current result, so
        no fix of the one it replaces will be built: that lint's model is closed, and what it built
        is freed with it (by reference counting: no collection has to find it)."""
        replaced = self.results.get(uri)
        self.results[uri] = linted
        if replaced is not None and replaced is not linted:
            replaced.close()

    def clear(self, uri: str) -> None:
        self.scheduler.supersede(uri)
        self.scheduler.supersede(f"index:{uri}")
        replaced = self.results.pop(uri, None)
        if replaced is not None:
            replaced.close()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def current(self, uri: str) -> Optional[Linted]:
        """The findings of the document's current text: the published ones, or those of the lint
        on its way (None if the document is closed)."""
        for _ in range(10):  # each round waits for one lint; more rounds only while edits arrive
            document = self.workspace.text_documents.get(uri)
            if document is None:
                return None
            cached = self.results.get(uri)
            if cached is not None and cached.version == document.version and cached.text == document.source:
                return cached
            if not self.scheduler.busy(uri):
                self.schedule(uri, 0)
            await self.scheduler.wait(uri)
        return None

    async def fix_all(self, linted: Linted) -> str:
        """The text with every safe fix applied (in a turn of the worker thread, with automatic
        collection: a fix pass lints the text again and again)."""
        settings = self.settings_for(linted.path)

        def fix() -> str:
            with self.collector.automatic():
                return fix_source(linted.text, linted.path, settings).text

        async with self.scheduler.turn(Job("fix-all")):
            return await self.scheduler.call(fix)


server = CkptlintServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CkptlintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.index.opened(ls.path_of(params.text_document.uri), params.text_document.text)
    ls.schedule(params.text_document.uri, 0)  # nothing to coalesce yet: lint at once


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CkptlintServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    if document is not None:
        ls.index.opened(ls.path_of(uri), document.source)
    ls.schedule(uri, DEBOUNCE_SECONDS)
    ls.module_changed(ls.path_of(uri))


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: CkptlintServer, params: types.DidSaveTextDocumentParams) -> None:
    path = ls.path_of(params.text_document.uri)
    if os.path.basename(path) in WATCHED:
        ls.configuration_changed()
    else:
        if not ls.up_to_date(params.text_document.uri):  # a save changes no finding of the document
            ls.schedule(params.text_document.uri, 0)
        ls.module_changed(path)


@server.feature(types.INITIALIZED)
def initialized(ls: CkptlintServer, params: types.InitializedParams) -> None:
    """Warm the analysis up; ask the client to report changes to configuration files and modules,
    where it can."""
    ls.collector.start()
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return  # such clients still report files saved in the editor (did_save)
    watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in (*WATCHED, "*.py")]
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
    paths = [ls.path_of(change.uri) for change in params.changes]
    if any(os.path.basename(path) in WATCHED for path in paths):
        ls.configuration_changed()
        return
    for path in paths:
        if path.endswith(".py"):
            ls.index.on_disk(path)  # created, changed or deleted
        if path.endswith(".py") and os.path.abspath(path) not in ls.index.unsaved:
            ls.module_changed(path)  # an open document's own text is the editor's, not the disk's


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CkptlintServer, params: types.DidCloseTextDocumentParams) -> None:
    path = ls.path_of(params.text_document.uri)
    ls.index.closed(path)
    ls.clear(params.text_document.uri)
    ls.module_changed(path)  # the importers read the file on disk again


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND],
        resolve_provider=True,
    ),
)
async def code_action(ls: CkptlintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
    """Quick fixes and "Disable" actions for the findings in the range (their fixes built now, and
    only theirs); fix-all when the client asks for `source.fixAll`, or, in the plain list, as an
    action resolved (`codeAction/resolve`) only if picked, for clients that resolve actions."""
    uri = params.text_document.uri
    only = params.context.only
    linted = await ls.current(uri)
    if linted is None:
        return []
    mapper = ls.mapper(linted.text)
    result: List[types.CodeAction] = []
    if actions.wanted(only, types.CodeActionKind.QuickFix):
        result.extend(actions.quick_fixes(uri, linted.noqa_writer, mapper, linted.diagnostics, params.range, ls.to_lsp))
    if linted.diagnostics and actions.asked_for(only, actions.FIX_ALL_KIND):
        action = actions.fix_all_action(uri, mapper, await ls.fix_all(linted))
        if action is not None:
            result.append(action)
    elif linted.diagnostics and actions.wanted(only, actions.FIX_ALL_KIND) and _resolves_edits(ls):
        result.append(actions.unresolved_fix_all(uri, linted.version))
    return result


@server.feature(types.CODE_ACTION_RESOLVE)
async def resolve_code_action(ls: CkptlintServer, action: types.CodeAction) -> types.CodeAction:
    """The edit of the fix-all action offered unresolved, for the text it was offered for."""
    uri, version = actions.unresolved_target(action)
    linted = await ls.current(uri) if uri is not None else None
    if linted is None or linted.version != version:
        return action  # the document moved on: no edit (the client asks again)
    resolved = actions.fix_all_action(uri, ls.mapper(linted.text), await ls.fix_all(linted))
    return resolved if resolved is not None else action


def _resolves_edits(ls: CkptlintServer) -> bool:
    text_document = ls.client_capabilities.text_document
    code_action = text_document.code_action if text_document is not None else None
    support = code_action.resolve_support if code_action is not None else None
    return support is not None and "edit" in support.properties


# While a lint holds the interpreter, the thread that reads the client's messages waits this long
# for its turn at each step (several per message); the default, 5 ms, delayed the edit that
# supersedes a running lint by 6-14 ms.
SWITCH_INTERVAL_SECONDS = 0.001


def serve() -> None:
    """Run the server over stdio until the client says exit."""
    server.collector.take_over()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    server.start_io()

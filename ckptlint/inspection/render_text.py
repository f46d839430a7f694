"""The human-readable form of `ckptlint inspect`: one block per checkpoint.

Each block starts with ``PATH: status`` and lists one labelled row per part
(format, weights, optimizer, scheduler, scaler, rng, progress, ...), then the
problems, each with its rule code where the catalog has one. A part that is
absent says "none", so a reader sees what is missing at a glance.
"""

from __future__ import annotations

from typing import Iterable, List, Sequence, Tuple

from ckptlint.inspection.report import Contents, FileReport, Finding, Rng, TrainingState, Weights, plural

Row = Tuple[str, str]
LABEL_WIDTH = len("other keys")  # the longest label, so values line up in every block

_CONTAINERS = {
    "zip": "torch.save zip archive",
    "legacy": "torch.save legacy (non-zip) format",
    "dcp": "torch.distributed.checkpoint folder",
    "empty": "empty file",
    "missing": "not found",
    "directory": "folder",
    "unknown": "unknown file type",
}
_KINDS = {
    "training-checkpoint": "training checkpoint (model weights + optimizer state)",
    "weights-only": "model weights only (not resumable)",
    "pointer": "ckptlint pointer file",
    "unrecognised": "no model weights recognised",
}
_CUDA = {"every-device": "CUDA: every device", "current-device-only": "CUDA: current device only",
         "none": "no CUDA state", "unknown": "CUDA: not read"}
# ckptlint's sharded saves keep scheduler and scaler state inside one entry that is not read.
_INSIDE_INFO = "in the `ckptlint` entry if saved (not read)"


def render_text(reports: Sequence[FileReport]) -> str:
    blocks = [_block(report) for report in reports]
    return "\n\n".join(blocks) + "\n\n" + _summary(reports) + "\n"


def _block(report: FileReport) -> str:
    rows = [("format", _format(report))]
    if report.contents is not None:
        rows += _content_rows(report.contents)
    if report.shards:
        rows.append(("shards", _shards(report)))
    if report.unsafe_globals:
        rows.append(("globals", ", ".join(report.unsafe_globals)))
    if report.error:
        rows.append(("error", report.error))
    rows += _finding_rows(report.findings)
    lines = [f"{report.path}: {report.status}"]
    lines += [f"  {label:<{LABEL_WIDTH}}  {value}" for label, value in rows]
    return "\n".join(lines)


def _format(report: FileReport) -> str:
    text = _CONTAINERS.get(report.container, report.container)
    if report.size is not None:
        text += f", {human_bytes(report.size)}"
    fmt = report.contents.format if report.contents is not None else None
    return text + (f" ({fmt})" if fmt else "")


def _content_rows(contents: Contents) -> List[Row]:
    if contents.pointer is not None:
        pointer = contents.pointer
        state = "" if pointer.target_exists else " (missing)"
        counters = "".join(f", {name} {value}" for name, value in (("epoch", pointer.epoch),
                                                                     ("step", pointer.step)) if value is not None)
        return [("kind", _KINDS["pointer"]), ("points to", f"{pointer.target}{state}{counters}")]
    rows: List[Row] = [("kind", _KINDS[contents.kind]), ("torch", _torch_version(contents))]
    rows += _labelled("weights", [_weights(w) for w in contents.weights])
    rows += _labelled("optimizer", [_state(s) for s in contents.optimizers])
    absent = _INSIDE_INFO if contents.layout == "ckptlint-sharded" else "none"
    rows += _labelled("scheduler", [_state(s) for s in contents.schedulers], absent)
    rows += _labelled("scaler", [_state(s) for s in contents.scalers], absent)
    rows += _labelled("rng", [_rng(r) for r in contents.rng])
    rows.append(("progress", _counters(contents) or "none"))
    if contents.versions:
        rows.append(("versions", ", ".join(f"{_without_suffix(k)} {v}" for k, v in contents.versions.items())))
    if contents.other_keys:
        rows.append(("other keys", ", ".join(contents.other_keys)))
    return rows


def _torch_version(contents: Contents) -> str:
    if contents.torch_version:
        return contents.torch_version
    if contents.layout == "ckptlint-sharded":
        return "in the `ckptlint` entry (not read)"
    return "unknown (not recorded in the checkpoint)"


def _without_suffix(key: str) -> str:
    """"pytorch-lightning_version" -> "pytorch-lightning"."""
    stem = key[:-len("version")] if key.lower().endswith("version") else key
    return stem.rstrip("_-. ") or key


def _labelled(label: str, values: List[str], absent: str = "none") -> List[Row]:
    """One row per value, the label on the first only; ``absent`` when there is no value."""
    if not values:
        return [(label, absent)]
    return [(label if i == 0 else "", value) for i, value in enumerate(values)]


def _where(location: str) -> str:
    return f"`{location}`" if location else "the whole file"


def _weights(weights: Weights) -> str:
    role = " (the model)" if weights.is_model and weights.location else ""
    dtypes = ", ".join(f"{name} x{count}" if len(weights.dtypes) > 1 else name
                       for name, count in weights.dtypes.items())
    text = (f"{_where(weights.location)}{role}: {weights.tensors:,} tensors, "
            f"{weights.parameters:,} parameters, {human_bytes(weights.bytes)}, {dtypes}")
    if weights.devices:
        text += f", saved on {', '.join(weights.devices)}"
    return text + (f", every key prefixed `{weights.prefix}`" if weights.prefix else "")


def _state(state: TrainingState) -> str:
    return f"{_where(state.location)}: {state.summary}"


def _rng(rng: Rng) -> str:
    ranks = f", {plural(rng.ranks, 'rank')}" if rng.ranks else ""
    if not rng.sources:
        return f"{_where(rng.location)}: values in the shards (not read){ranks}"
    return f"{_where(rng.location)}: {', '.join(rng.sources)} ({_CUDA[rng.cuda]}){ranks}"


def _counters(contents: Contents) -> str:
    return ", ".join(f"{key} (value in the shards)" if value is None else f"{key} {value}"
                     for key, value in contents.counters.items())


def _shards(report: FileReport) -> str:
    names = [shard.name for shard in report.shards]
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return f"{plural(len(names), 'file')}: {shown}"


def _finding_rows(findings: Iterable[Finding]) -> List[Row]:
    rows = [f"{f.code} {f.name}: {f.message}" if f.code else f"{f.name}: {f.message}" for f in findings]
    return _labelled("problems", rows) if rows else []


def _summary(reports: Sequence[FileReport]) -> str:
    counts = {status: sum(1 for r in reports if r.status == status) for status in ("ok", "problems", "unreadable")}
    return (f"{plural(len(reports), 'checkpoint')}: {counts['ok']} ok, {counts['problems']} with problems, "
            f"{counts['unreadable']} unreadable")


def human_bytes(count: int) -> str:
    """1536 -> "1.5 KiB"; exact below a KiB."""
    if count < 1024:
        return f"{count} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"

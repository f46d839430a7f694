"""Notice a preemption signal; the training loop saves at its next step boundary.

Clusters preempt a job with a signal and a grace period (SIGTERM from
Kubernetes, torchrun or ``scancel``; SLURM's ``--signal=USR1@90``).
:class:`SignalWatch` replaces the handlers of the chosen signals with one
that only sets a flag. Nothing is saved inside the handler: it may run
between any two bytecodes (in the middle of ``optimizer.step()``, with the
parameters half updated, or inside another save), and a collective started
there on one rank would hang the others. The loop reads the flag at a step
boundary through ``CheckpointManager.preempted``, which agrees across ranks.

A handler that was a Python function before is still called after ours
(Lightning's signal connector chains them the same way); the default action
(terminate) and ``SIG_IGN`` are not, since terminating is what we prevent.
Handlers can only be installed from the main thread (a Python rule).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, Iterable, Optional

__all__ = ["SignalWatch", "DEFAULT_SIGNALS"]

DEFAULT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGUSR1")
                        if hasattr(signal, name))


class SignalWatch:
    """Handlers that record a preemption signal; restore the previous ones with ``restore()``.

    Also a context manager: ``with manager.save_on_signal(): ...`` restores
    the handlers on exit.
    """

    def __init__(self, signals: Iterable[int] = DEFAULT_SIGNALS) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise ValueError("save_on_signal() must be called from the main thread (Python "
                             "delivers signals to the main thread only)")
        self.signals = tuple(signals)
        if not self.signals:
            raise ValueError("save_on_signal() needs at least one signal")
        self.received: Optional[int] = None
        self._previous: dict[int, Any] = {}
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)

    @property
    def requested(self) -> bool:
        """True once one of the signals arrived."""
        return self.received is not None

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.received is None:
            self.received = signum
        previous = self._previous.get(signum)
        if callable(previous):
            previous(signum, frame)

    def restore(self) -> None:
        """Put the previous handlers back (idempotent)."""
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous = {}

    def __enter__(self) -> "SignalWatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

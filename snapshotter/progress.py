"""What a capture reports as it goes: pages and items per collection, retries and waits.

`CaptureObserver` does nothing; `RichProgress` draws rich progress bars on
stderr (only when stderr is a terminal: logs stay clean under schedulers).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from entra_kri.snapshotter.http import RequestStats
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn


class CaptureObserver:
    """The no-op observer: subclasses override what they show. Called from many threads."""

    def page(self, collection: str, items: int) -> None:
        """A page of `items` objects of `collection` was written."""

    def done(self, collection: str, items: int, outcome: str) -> None:
        """`collection` is complete (or refused)."""


class RichProgress(CaptureObserver):
    """One line per collection (pages, items, state) and one for requests, retries, 429s."""

    def __init__(self, progress: Progress, stats: RequestStats) -> None:
        self.progress = progress
        self.stats = stats
        self._tasks: dict[str, TaskID] = {}
        self._pages: dict[str, int] = {}
        self._lock = threading.Lock()
        self._http = progress.add_task("requests", total=None, info="")

    def page(self, collection: str, items: int) -> None:
        with self._lock:
            if collection not in self._tasks:
                self._tasks[collection] = self.progress.add_task(collection, total=None,
                                                                 info="")
                self._pages[collection] = 0
            self._pages[collection] += 1
            task = self._tasks[collection]
            pages = self._pages[collection]
        self.progress.update(task, advance=items, info=f"{pages} pages")
        self._show_stats()

    def done(self, collection: str, items: int, outcome: str) -> None:
        with self._lock:
            task = self._tasks.get(collection)
        if task is None:
            task = self.progress.add_task(collection, total=None, info="")
        self.progress.update(task, total=items, completed=items,
                             info=outcome if outcome != "ok" else "done")
        self._show_stats()

    def _show_stats(self) -> None:
        s = self.stats
        self.progress.update(self._http, completed=s.requests,
                             info=f"{s.retries} retries, {s.throttled} throttled (429), "
                                  f"{s.waited_seconds:.0f} s waited")


@contextmanager
def capture_progress(stats: RequestStats, enabled: bool,
                     console: Console | None = None) -> Iterator[CaptureObserver]:
    """Progress bars on stderr while the block runs, or the no-op observer."""
    if not enabled:
        yield CaptureObserver()
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description:<30}"),
        TextColumn("{task.completed:>10,.0f}"), TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(), console=console or Console(stderr=True),
    ) as progress:
        yield RichProgress(progress, stats)

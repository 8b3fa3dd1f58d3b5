"""What the fake served, with timings and sizes, for the benchmark's critical path (`bench/`).

FakeGraph(tenant, traffic=TrafficLog()) records one `Exchange` per answered request: when
the handler started on it and finished writing the answer (monotonic seconds), the status,
and the body's size as JSON (`raw_bytes`) and as sent (`wire_bytes`, after gzip when the
client asked for it). No header, hence no token, is kept.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Exchange:
    """One request the fake answered."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    raw_bytes: int
    wire_bytes: int
    started: float
    finished: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def is_graph(self) -> bool:
        return self.path.lower().startswith(("/v1.0/", "/beta/"))


class TrafficLog:
    """Every exchange, in the order they finished. Thread-safe."""

    def __init__(self) -> None:
        self._exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def record(self, method: str, target: str, status: int, raw_bytes: int, wire_bytes: int,
               started: float) -> None:
        split = urlsplit(target)
        exchange = Exchange(method, split.path,
                            tuple(parse_qsl(split.query, keep_blank_values=True)), status,
                            raw_bytes, wire_bytes, started, time.monotonic())
        with self._lock:
            self._exchanges.append(exchange)

    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()

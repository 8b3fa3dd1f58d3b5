"""OData paging: follow `@odata.nextLink` verbatim until Graph stops sending one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from entra_kri.errors import GraphError


class JsonGetter(Protocol):
    def get_json(self, url: str) -> dict[str, Any]: ...


def fetch_pages(client: JsonGetter, url: str) -> Iterator[list[dict[str, Any]]]:
    """Yield each page's `value` list, in order.

    A nextLink seen before would loop forever: it is an error, not a page.
    """
    seen: set[str] = set()
    next_url: str | None = url
    while next_url:
        seen.add(next_url)
        body = client.get_json(next_url)
        yield list(body.get("value", []))
        next_url = body.get("@odata.nextLink")
        if next_url in seen:
            raise GraphError(
                f"Graph sent the same @odata.nextLink twice while paging {url}; stopping "
                "rather than looping forever.",
                "Run the capture again; if it repeats, report it with the request URL.",
            )

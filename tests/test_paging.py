"""NextLinkPager rules (snapshotter/paging.py): follow nextLink verbatim, never loop."""

import pytest
from entra_kri.snapshotter.paging import fetch_pages

from entra_kri.errors import GraphError


class ScriptedGraph:
    def __init__(self, pages: dict[str, dict]):
        self.pages = pages
        self.asked: list[str] = []

    def get_json(self, url: str) -> dict:
        self.asked.append(url)
        return self.pages[url]


def test_follows_next_links_verbatim_in_order():
    graph = ScriptedGraph({
        "u": {"value": [{"id": "1"}], "@odata.nextLink": "u?$skiptoken=X%2bY"},
        "u?$skiptoken=X%2bY": {"value": [{"id": "2"}, {"id": "3"}]},
    })
    assert list(fetch_pages(graph, "u")) == [[{"id": "1"}], [{"id": "2"}, {"id": "3"}]]
    assert graph.asked == ["u", "u?$skiptoken=X%2bY"]


def test_a_repeated_next_link_is_an_error_not_a_loop():
    graph = ScriptedGraph({
        "u": {"value": [], "@odata.nextLink": "u?$skiptoken=A"},
        "u?$skiptoken=A": {"value": [{"id": "1"}], "@odata.nextLink": "u?$skiptoken=A"},
    })
    with pytest.raises(GraphError, match=r"same @odata\.nextLink twice"):
        list(fetch_pages(graph, "u"))
    assert len(graph.asked) == 2


def test_a_page_without_value_is_empty():
    assert list(fetch_pages(ScriptedGraph({"u": {}}), "u")) == [[]]

"""National clouds: where to log in and where Graph lives.

Our own table rather than msal's constants, which lag behind Microsoft's
documentation (Germany's cloud, for one, closed in 2021).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from entra_kri.errors import ConfigurationError


@dataclass(frozen=True)
class Cloud:
    """The two endpoints a capture talks to."""

    graph_url: str
    login_url: str

    @property
    def graph_root(self) -> str:
        """`https://host` of Graph, the resource whose `/.default` scope we ask for."""
        parts = urlsplit(self.graph_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def scope(self) -> str:
        return f"{self.graph_root}/.default"

    @property
    def login_host_is_microsoft(self) -> bool:
        return urlsplit(self.login_url).hostname in MICROSOFT_LOGIN_HOSTS


CLOUDS: dict[str, Cloud] = {
    "global": Cloud("https://graph.microsoft.com/v1.0", "https://login.microsoftonline.com"),
    "usgov": Cloud("https://graph.microsoft.us/v1.0", "https://login.microsoftonline.us"),
    "usgovdod": Cloud("https://dod-graph.microsoft.us/v1.0", "https://login.microsoftonline.us"),
    "china": Cloud(
        "https://microsoftgraph.chinacloudapi.cn/v1.0", "https://login.partner.microsoftonline.cn"
    ),
}

MICROSOFT_LOGIN_HOSTS = frozenset(urlsplit(c.login_url).hostname for c in CLOUDS.values())


def resolve_cloud(name: str = "global", graph_url: str | None = None,
                  login_url: str | None = None) -> Cloud:
    """The named cloud, with either endpoint overridden by an explicit URL."""
    if name not in CLOUDS:
        raise ConfigurationError(
            f"Unknown cloud {name!r}.", f"Use one of: {', '.join(CLOUDS)}, or give --graph-url "
            "and --login-url explicitly."
        )
    base = CLOUDS[name]
    cloud = Cloud(
        (graph_url or base.graph_url).rstrip("/"), (login_url or base.login_url).rstrip("/")
    )
    for label, url in (("--graph-url", cloud.graph_url), ("--login-url", cloud.login_url)):
        if urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
            raise ConfigurationError(
                f"{label} {url!r} is not an https:// URL.",
                "Microsoft's endpoints and msal's authority both require https.",
            )
    return cloud

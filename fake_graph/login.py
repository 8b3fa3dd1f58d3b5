"""The Entra login host: OpenID discovery, instance discovery and the client-credentials token."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlparse

import jwt

from . import errors
from .exchange import Incoming, Json, Outgoing
from .tenant import FakeTenant
from .tokens import TokenRegistry

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
REAL_GRAPH_ROOT = "https://graph.microsoft.com"


class LoginHost:
    """Answers the login host's endpoints for one tenant."""

    def __init__(
        self, tenant: FakeTenant, tokens: TokenRegistry, token_lifetime: Callable[[], int]
    ) -> None:
        self._tenant = tenant
        self._tokens = tokens
        self._lifetime = token_lifetime

    def _known_tenant(self, name: str) -> bool:
        domains = {d["name"].lower() for d in self._tenant.organization.get("verifiedDomains", [])}
        return name.lower() == self._tenant.tenant_id or name.lower() in domains

    def handle(self, req: Incoming) -> Outgoing:
        parts = [p for p in req.path.split("/") if p]
        if req.method == "GET" and parts[:3] == ["common", "discovery", "instance"]:
            return self._instance_discovery(req)
        if req.method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._openid_configuration(req, parts[0])
        if req.method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self._token(req, parts[0])
        return Outgoing(404, {"error": "not_found", "error_description": "No such endpoint."})

    def _error(self, req: Incoming, status: int, error: str, code: int, text: str) -> Outgoing:
        body = errors.token_error(
            error,
            code,
            text,
            login_host=req.host,
            timestamp=self._tenant.now.strftime("%Y-%m-%d %H:%M:%SZ"),
            trace_id=req.request_id,
            correlation_id=req.headers.get("client-request-id", req.request_id),
        )
        return Outgoing(status, body)

    def _instance_discovery(self, req: Incoming) -> Outgoing:
        endpoint = req.param("authorization_endpoint") or f"{req.root}/common/oauth2/authorize"
        path_parts = [p for p in urlparse(endpoint).path.split("/") if p]
        tenant = path_parts[0] if path_parts else "common"
        aliases = [req.host]
        if req.host == "login.microsoftonline.com":
            aliases += ["login.windows.net", "login.microsoft.com", "sts.windows.net"]
        body: Json = {
            "tenant_discovery_endpoint": (
                f"{req.root}/{tenant}/v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": [
                {"preferred_network": req.host, "preferred_cache": req.host, "aliases": aliases}
            ],
        }
        return Outgoing(200, body)

    def _openid_configuration(self, req: Incoming, tenant: str) -> Outgoing:
        if not self._known_tenant(tenant):
            return self._error(
                req, 400, "invalid_tenant", 90002, errors.unknown_tenant_text(tenant)
            )
        tid = self._tenant.tenant_id
        base = f"{req.root}/{tid}"
        body: Json = {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{req.root}/{tid}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "ver"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
        return Outgoing(200, body)

    def _token(self, req: Incoming, tenant: str) -> Outgoing:
        if not self._known_tenant(tenant):
            return self._error(
                req, 400, "invalid_request", 90002, errors.unknown_tenant_text(tenant)
            )
        form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
        client_id = form.get("client_id", "")
        if form.get("grant_type") != "client_credentials":
            return self._error(
                req,
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{form.get('grant_type', '')}'.",
            )
        if client_id != self._tenant.client_id:
            return self._error(
                req,
                400,
                "unauthorized_client",
                700016,
                errors.unknown_client_text(client_id, self._tenant.tenant_id),
            )
        if form.get("client_assertion"):
            if not self._valid_assertion(form["client_assertion"], client_id):
                return self._error(
                    req, 401, "invalid_client", 700027,
                    "Client assertion failed signature validation.",
                )
        elif not form.get("client_secret"):
            return self._error(
                req,
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the "
                "'client_credentials' grant type.",
            )
        elif form["client_secret"] != self._tenant.client_secret:
            return self._error(
                req, 401, "invalid_client", 7000215, errors.wrong_secret_text(client_id)
            )
        if self._tenant.secret_state == "expired":
            return self._error(
                req, 401, "invalid_client", 7000222, errors.expired_secret_text(client_id)
            )
        audience = self._audience(req, form.get("scope", ""))
        if audience is None:
            return self._error(
                req,
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form.get('scope', '')} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI).",
            )
        lifetime = self._lifetime()
        token = self._tokens.issue(
            audience=audience,
            issuer_host=req.host,
            tenant_id=self._tenant.tenant_id,
            client_id=client_id,
            roles=self._tenant.granted_roles,
            lifetime=lifetime,
        )
        body: Json = {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }
        return Outgoing(200, body)

    def _valid_assertion(self, assertion: str, client_id: str) -> bool:
        """A JWT signed with the registered certificate's key, issued by and for the client."""
        if not self._tenant.certificate_pem:
            return False
        from cryptography import x509

        public_key = x509.load_pem_x509_certificate(
            self._tenant.certificate_pem.encode()).public_key()
        try:
            claims = jwt.decode(assertion, public_key, algorithms=["RS256", "PS256"],
                                options={"verify_aud": False})
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == client_id and claims.get("sub") == client_id

    @staticmethod
    def _audience(req: Incoming, scope: str) -> str | None:
        """The resource a `<root>/.default` scope names, if it is this fake's Graph."""
        allowed = {REAL_GRAPH_ROOT, req.root, f"https://{GRAPH_APP_ID}"}
        for item in scope.split():
            if item.endswith("/.default") and item[: -len("/.default")] in allowed:
                root = item[: -len("/.default")]
                return REAL_GRAPH_ROOT if root.endswith(GRAPH_APP_ID) else root
        return None

"""Cassettes never hold a secret or a token (snapshotter/cassette.py)."""

import json

from entra_kri.snapshotter.cassette import REDACTED, scrub_request, scrub_response
from vcr.request import Request


def test_client_secret_is_removed_from_the_token_request():
    secret_field = b"client_" + b"secret"  # split so no file holds a secret-looking pair
    body = b"client_id=abc&" + secret_field + b"=s3cr3t~value&grant_type=client_credentials"
    request = scrub_request(Request("POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token",
                                    body, {}))
    assert b"s3cr3t" not in request.body
    assert secret_field + b"=&" in request.body and b"client_id=abc" in request.body


def test_scrubbing_a_request_twice_changes_nothing():
    body = b"client_secret=&scope=x"
    request = Request("POST", "https://login.microsoftonline.com/t", body, {})
    assert scrub_request(scrub_request(request)).body == body


def test_access_token_is_replaced_and_length_fixed():
    body = json.dumps({"token_type": "Bearer", "access_token": "eyJhbGciOi.eyJyb2xlcyI6.sig"})
    response = {"headers": {"Content-Length": [str(len(body))], "Set-Cookie": ["fpc=1"]},
                "body": {"string": body.encode()}}
    scrubbed = scrub_response(response)
    token = json.loads(scrubbed["body"]["string"])
    assert token["access_token"] == REDACTED
    assert scrubbed["headers"]["Content-Length"] == [str(len(scrubbed["body"]["string"]))]
    assert "Set-Cookie" not in scrubbed["headers"]


def test_graph_responses_pass_unchanged():
    body = b'{"value":[{"id":"1"}]}'
    response = {"headers": {}, "body": {"string": body}}
    assert scrub_response(response)["body"]["string"] == body

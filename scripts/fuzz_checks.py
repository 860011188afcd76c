"""The check the outside fuzzer (schemathesis) applies to every answer
muster gives it, loaded by scripts/fuzz.sh through SCHEMATHESIS_HOOKS.

schemathesis's own `not_a_server_error` counts every GraphQL error as a
server error, refusals included (`UNAUTHENTICATED` for a mutation sent
without a token is the right answer, not a finding). This check asks
instead what muster promises: no 5xx; JSON back for a well-formed request;
every error carries an `extensions.code`, and none is `INTERNAL` (an
internal error is a bug the fuzzer found, whatever the status).
"""

import schemathesis


@schemathesis.check
def answers_json_and_never_internal(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}: {response.text[:200]!r}")
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    try:
        body = response.json()
    except Exception as err:  # any parse failure is the finding
        raise AssertionError(
            f"not JSON (status {response.status_code}, {content_type}): {response.text[:200]!r}"
        ) from err
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL":
            raise AssertionError(f"extensions.code INTERNAL: {error.get('message')!r}")
        if code is None:
            raise AssertionError(f"an error without extensions.code: {error!r}")

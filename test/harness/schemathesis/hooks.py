"""Schemathesis hooks for the AUREN ingest run (test/e2e/openapi-schemathesis.e2e.ts).

Ingest refuses any JSON object key "__proto__", and a "constructor" key holding "prototype", at
any depth (400, prototype-pollution guard; docs/ingest.md). OpenAPI 3.0 cannot state a rule on
the keys of free-form objects at every depth (no propertyNames, no recursive schemas the
generators follow), so /docs-json says it in words and this keeps such keys out of generated
bodies. The refusal itself is tested in test/integration/http-errors-truth.test.ts.
"""

import schemathesis


def _has_forbidden_key(value, depth=0):
    if depth > 64:
        return False
    if isinstance(value, dict):
        if "__proto__" in value:
            return True
        ctor = value.get("constructor")
        if isinstance(ctor, dict) and "prototype" in ctor:
            return True
        return any(_has_forbidden_key(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_has_forbidden_key(v, depth + 1) for v in value)
    return False


@schemathesis.hook
def filter_body(context, body):
    return not _has_forbidden_key(body)

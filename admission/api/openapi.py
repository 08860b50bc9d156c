"""The OpenAPI document: how it is served, and the errors every operation can answer with.

Litestar documents each operation's success and a generic 400; the service answers every error
as RFC 9457 problem details (`admission.api.problems`). The document says so for each status an
operation can meet, so generated clients and the API fuzzer in CI hold the service to it.
"""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
)

from admission import __version__

PROBLEM_MEDIA_TYPE = "application/problem+json"

# What any authenticated operation may answer besides its success, and why.
PROBLEM_STATUSES = {
    400: "The request is malformed or breaks a documented limit",
    401: "No token, or one that is unknown or revoked",
    403: "The token's role (or its device) may not do this",
    404: "What the request names does not exist",
    409: "It clashes with what is already there",
    413: "The body is too large",
    415: "The body's media type is not accepted here",
    422: "Well-formed, but the rules do not allow it",
    429: "Too many requests: wait as Retry-After says",
    503: "The database is busy or unreachable: try again (Retry-After)",
}

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details",
    required=["title", "status"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "extra": Schema(),
    },
)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="admission",
        version=__version__,
        description="Offline-first ticketing and admission control. Every call needs a bearer token.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="device token")
            },
        ),
        security=[{"bearer": []}],
    )


def document_problems(document: OpenAPI) -> None:
    """Give every operation the problem-details answers it can meet (replacing Litestar's 400)."""
    schemas = document.components.schemas if document.components.schemas is not None else {}
    schemas["Problem"] = PROBLEM_SCHEMA
    document.components.schemas = schemas
    problem = OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))
    for path_item in (document.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            for status, description in PROBLEM_STATUSES.items():
                responses[str(status)] = OpenAPIResponse(
                    description=description, content={PROBLEM_MEDIA_TYPE: problem}
                )
            if _offers_csv(operation):
                _add_csv(responses)
            operation.responses = responses


def _offers_csv(operation: Operation) -> bool:
    """Reports answer CSV too (`?format=csv`)."""
    parameters = operation.parameters or ()
    return any(isinstance(parameter, Parameter) and parameter.name == "format" for parameter in parameters)


def _add_csv(responses: dict[str, OpenAPIResponse | Reference]) -> None:
    for status, response in responses.items():
        if status.startswith("2") and isinstance(response, OpenAPIResponse):
            content = response.content if response.content is not None else {}
            content["text/csv"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
            response.content = content

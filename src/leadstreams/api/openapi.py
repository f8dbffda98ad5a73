"""The OpenAPI document as the API answers: every error in the one envelope (api/errors.py),
documented as each operation's `default` answer, and 422 with the same envelope (FastAPI's
own 422 schema is not what we send)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel


class ErrorDetail(BaseModel):
    path: str
    message: str


class Error(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorEnvelope(BaseModel):
    error: Error


_REF = "#/components/schemas/{model}"
_ENVELOPE = {"$ref": _REF.format(model="ErrorEnvelope")}
_METHODS = {"get", "post", "put", "patch", "delete"}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_envelope(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _with_envelope(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorDetail, Error, ErrorEnvelope):
        schemas[model.__name__] = model.model_json_schema(ref_template=_REF)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    error = {"content": {"application/json": {"schema": _ENVELOPE}}}
    for path in document.get("paths", {}).values():
        for method, operation in path.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Invalid input", **error}
            responses["default"] = {"description": "An error (see the envelope's code)", **error}
    return document

"""The ``google.rpc.BadRequest`` detail of a failed call: which request fields were wrong, and why."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def bad_request(error: grpc.RpcError) -> error_details_pb2.BadRequest | None:
    """Returns the ``google.rpc.BadRequest`` detail of ``error``, or None when it has none.

    A Todo server attaches one to every ``INVALID_ARGUMENT``, listing every violation at once (it
    travels in the ``grpc-status-details-bin`` trailer, as a ``google.rpc.Status``).
    """
    if not isinstance(error, grpc.Call):
        return None
    status = rpc_status.from_call(error)
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            found = error_details_pb2.BadRequest()
            detail.Unpack(found)
            return found
    return None


def field_violations(error: grpc.RpcError) -> dict[str, str]:
    """The field violations of ``error``'s BadRequest, as ``{"task.title": "is required"}``.

    Empty when there is none; a field with two violations keeps the first.
    """
    found = bad_request(error)
    out: dict[str, str] = {}
    for violation in found.field_violations if found else ():
        out.setdefault(violation.field, violation.description)
    return out

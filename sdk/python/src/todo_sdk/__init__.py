"""The Python SDK of the Todo API.

The messages and gRPC stubs are generated from the API's protos into modules named after the proto
packages (``todo.task.v1.task_service_pb2``, ``todo.task.v1.task_service_pb2_grpc``, ...); their
comments are the reference. This package adds what a Python user expects on top: :func:`connect`,
which opens one channel and returns the stub of every service with the access token attached, and
:func:`bad_request` / :func:`field_violations`, which read the ``google.rpc.BadRequest`` detail of
an ``INVALID_ARGUMENT``.
"""

from todo_sdk._client import TodoClient, connect
from todo_sdk._errors import bad_request, field_violations

__all__ = ["TodoClient", "bad_request", "connect", "field_violations"]
__version__ = "0.1.0"

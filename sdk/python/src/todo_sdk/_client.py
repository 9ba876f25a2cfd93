"""A channel to a Todo server with the access token attached, and one stub per service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from todo.assistant.v1 import assistant_service_pb2_grpc
from todo.identity.v1 import auth_service_pb2_grpc
from todo.notification.v1 import notification_service_pb2_grpc
from todo.scheduler.v1 import scheduler_service_pb2_grpc
from todo.tag.v1 import tag_service_pb2_grpc
from todo.task.v1 import task_service_pb2_grpc

#: An access token, or a function that returns the one to send with each call ("" or None: none).
Token = str | Callable[[], str | None] | None


class _AuthInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer <token>`` to every call's metadata."""

    def __init__(self, token: Callable[[], str | None]) -> None:
        self._token = token

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        token = self._token()
        if not token:
            return details
        metadata = [*(details.metadata or ()), ("authorization", f"Bearer {token}")]
        return _CallDetails(details, metadata)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


class _CallDetails(grpc.ClientCallDetails):
    """``details`` with other metadata (grpc.ClientCallDetails has no public constructor)."""

    def __init__(self, details: grpc.ClientCallDetails, metadata: list[tuple[str, str]]) -> None:
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)


class TodoClient:
    """One gRPC channel and the stub of every Todo service on it.

    The stubs' methods are the RPCs (``client.tasks.CreateTask(request, timeout=5)``); a
    ``timeout`` (seconds) is the call's deadline, sent to the server. Use it as a context manager,
    or call :meth:`close`, to close the channel.
    """

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.auth = auth_service_pb2_grpc.AuthServiceStub(channel)
        self.tasks = task_service_pb2_grpc.TaskServiceStub(channel)
        self.tags = tag_service_pb2_grpc.TagServiceStub(channel)
        self.scheduler = scheduler_service_pb2_grpc.SchedulerServiceStub(channel)
        self.notifications = notification_service_pb2_grpc.NotificationServiceStub(channel)
        self.assistant = assistant_service_pb2_grpc.AssistantServiceStub(channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> TodoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    target: str,
    *,
    token: Token = None,
    credentials: grpc.ChannelCredentials | None = None,
    options: list[tuple[str, Any]] | None = None,
) -> TodoClient:
    """Returns a :class:`TodoClient` for the Todo server's gRPC port at ``target`` (``host:port``).

    ``token`` is the ``access_token`` of ``AuthService.SignUp``/``SignIn``, or a function called
    before every call that returns it (so it may be refreshed). Without ``credentials`` the channel
    is plaintext (h2c, a server's ``GRPC_PORT`` on a trusted network); pass
    ``grpc.ssl_channel_credentials()`` for TLS. ``options`` are gRPC channel arguments.
    """
    if credentials is None:
        channel = grpc.insecure_channel(target, options=options)
    else:
        channel = grpc.secure_channel(target, credentials, options=options)
    if token:
        get_token = token if callable(token) else (lambda: token)
        channel = grpc.intercept_channel(channel, _AuthInterceptor(get_token))
    return TodoClient(channel)

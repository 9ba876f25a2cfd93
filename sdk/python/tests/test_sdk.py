"""The SDK against a running Todo server (``bun start``), the way another team would use it.

``bun run test:sdk`` (scripts/sdk-test.ts) starts the server on free ports and sets
``TODO_SDK_TEST_GRPC_URL`` (its h2c port, ``http://host:port``); without it every test fails, none
is skipped.
"""

from __future__ import annotations

import importlib
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

import todo_sdk
from todo.identity.v1 import auth_service_pb2
from todo.task.v1 import task_change_pb2, task_pb2, task_service_pb2

PASSWORD = "a long passphrase for the Python SDK"


def test_every_generated_module_imports() -> None:
    # The generated code checks the protobuf and grpcio versions at import: import all of it.
    # `todo` and its subpackages are namespace packages, which pkgutil does not walk: list files.
    import todo

    names = sorted(
        ".".join(["todo", *file.relative_to(base).with_suffix("").parts])
        for base in map(Path, todo.__path__)
        for file in base.rglob("*.py")
    )
    assert "todo.task.v1.task_service_pb2_grpc" in names
    for name in names:
        importlib.import_module(name)


@pytest.fixture(scope="module")
def target() -> str:
    url = os.environ.get("TODO_SDK_TEST_GRPC_URL", "")
    if not url:
        pytest.fail(
            "TODO_SDK_TEST_GRPC_URL is not set: these tests need a running Todo server; run them "
            "with `bun run test:sdk`, which starts `bun start` and sets it"
        )
    return url.removeprefix("http://")


def sign_up(target: str) -> auth_service_pb2.SignUpResponse:
    email = f"python-sdk-{time.time_ns()}@example.com"
    with todo_sdk.connect(target) as anonymous:
        response = anonymous.auth.SignUp(
            auth_service_pb2.SignUpRequest(email=email, password=PASSWORD, display_name="Python SDK"),
            timeout=10,
        )
    assert response.access_token
    assert response.user.email == email
    return response


@pytest.fixture(scope="module")
def client(target: str):
    token = sign_up(target).access_token
    with todo_sdk.connect(target, token=token) as client:
        yield client


def test_sign_up_returns_a_token_the_other_services_accept(target: str) -> None:
    signed_up = sign_up(target)
    with todo_sdk.connect(target, token=lambda: signed_up.access_token) as client:
        me = client.auth.GetCurrentUser(auth_service_pb2.GetCurrentUserRequest(), timeout=10)
        assert me.user.id == signed_up.user.id
        assert me.user.display_name == "Python SDK"
        listed = client.tasks.ListTasks(task_service_pb2.ListTasksRequest(), timeout=10)
        assert listed.total_size == 0


def test_a_call_without_a_token_is_unauthenticated(target: str) -> None:
    with todo_sdk.connect(target) as anonymous, pytest.raises(grpc.RpcError) as raised:
        anonymous.tasks.ListTasks(task_service_pb2.ListTasksRequest(), timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_recurring_task_created_arrives_on_watch_tasks(client: todo_sdk.TodoClient) -> None:
    stream = client.tasks.WatchTasks(task_service_pb2.WatchTasksRequest(), timeout=20)
    try:
        # The server's first message is an empty keep-alive: once it is here, the stream is live.
        first = next(stream)
        assert not first.HasField("change")

        due = Timestamp()
        due.FromDatetime(datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc))  # a Monday
        created = client.tasks.CreateTask(
            task_service_pb2.CreateTaskRequest(
                task=task_pb2.Task(
                    title="Water the plants",
                    priority=task_pb2.PRIORITY_HIGH,
                    tags=["home"],
                    due_time=due,
                    time_zone="UTC",
                    recurrence=task_pb2.Recurrence(
                        rrule="FREQ=WEEKLY;BYDAY=MO", anchor=task_pb2.RECURRENCE_ANCHOR_SCHEDULE
                    ),
                ),
                request_id=f"python-sdk-{time.time_ns()}",
            ),
            timeout=10,
        ).task
        assert created.id and created.series_id
        assert created.status == task_pb2.TASK_STATUS_OPEN
        assert created.recurrence.rrule == "FREQ=WEEKLY;BYDAY=MO"
        assert created.due_time == due

        for message in stream:
            if message.HasField("change") and message.change.task.id == created.id:
                assert message.change.type == task_change_pb2.CHANGE_TYPE_CREATED
                assert message.change.task.title == "Water the plants"
                break
        else:
            pytest.fail("WatchTasks ended before the new task's change arrived")
    finally:
        stream.cancel()


def test_list_tasks_with_a_filter(client: todo_sdk.TodoClient) -> None:
    def create(title: str, priority: int) -> task_pb2.Task:
        request = task_service_pb2.CreateTaskRequest(
            task=task_pb2.Task(title=title, priority=priority, tags=["py-filter"])
        )
        return client.tasks.CreateTask(request, timeout=10).task

    urgent = create("Renew the passport", task_pb2.PRIORITY_URGENT)
    create("Sort the photos", task_pb2.PRIORITY_LOW)
    listed = client.tasks.ListTasks(
        task_service_pb2.ListTasksRequest(filter="priority >= HIGH AND tags:py-filter"), timeout=10
    )
    assert [task.id for task in listed.tasks] == [urgent.id]
    assert listed.total_size == 1


def test_an_invalid_argument_carries_its_field_violations(client: todo_sdk.TodoClient) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.tasks.CreateTask(
            task_service_pb2.CreateTaskRequest(task=task_pb2.Task(title="")), timeout=10
        )
    error = raised.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = todo_sdk.bad_request(error)
    assert details is not None, f"no google.rpc.BadRequest in {error!r}"
    violations = todo_sdk.field_violations(error)
    assert "required" in violations.get("task.title", ""), violations
    assert [v.field for v in details.field_violations] == list(violations)

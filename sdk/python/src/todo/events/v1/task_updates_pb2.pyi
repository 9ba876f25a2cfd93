from google.api import field_behavior_pb2 as _field_behavior_pb2
from todo.task.v1 import task_change_pb2 as _task_change_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskChanged(_message.Message):
    __slots__ = ("user_id", "change")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    change: _task_change_pb2.TaskChange
    def __init__(self, user_id: _Optional[str] = ..., change: _Optional[_Union[_task_change_pb2.TaskChange, _Mapping]] = ...) -> None: ...

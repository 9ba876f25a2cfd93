from google.api import field_behavior_pb2 as _field_behavior_pb2
from todo.task.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_TYPE_UNSPECIFIED: _ClassVar[ActionType]
    ACTION_TYPE_CREATE_TASK: _ClassVar[ActionType]
    ACTION_TYPE_UPDATE_TASK: _ClassVar[ActionType]
    ACTION_TYPE_COMPLETE_TASK: _ClassVar[ActionType]
    ACTION_TYPE_REOPEN_TASK: _ClassVar[ActionType]
    ACTION_TYPE_DELETE_TASK: _ClassVar[ActionType]
    ACTION_TYPE_LIST_TASKS: _ClassVar[ActionType]
    ACTION_TYPE_RENAME_TAG: _ClassVar[ActionType]
    ACTION_TYPE_CLARIFY: _ClassVar[ActionType]
ACTION_TYPE_UNSPECIFIED: ActionType
ACTION_TYPE_CREATE_TASK: ActionType
ACTION_TYPE_UPDATE_TASK: ActionType
ACTION_TYPE_COMPLETE_TASK: ActionType
ACTION_TYPE_REOPEN_TASK: ActionType
ACTION_TYPE_DELETE_TASK: ActionType
ACTION_TYPE_LIST_TASKS: ActionType
ACTION_TYPE_RENAME_TAG: ActionType
ACTION_TYPE_CLARIFY: ActionType

class Action(_message.Message):
    __slots__ = ("type", "tasks", "summary")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    type: ActionType
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.Task]
    summary: str
    def __init__(self, type: _Optional[_Union[ActionType, str]] = ..., tasks: _Optional[_Iterable[_Union[_task_pb2.Task, _Mapping]]] = ..., summary: _Optional[str] = ...) -> None: ...

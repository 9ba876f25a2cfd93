import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReminderDue(_message.Message):
    __slots__ = ("user_id", "task_id", "reminder_id", "occurrence_key", "fire_time", "task_title", "due_time", "time_zone")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    REMINDER_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_KEY_FIELD_NUMBER: _ClassVar[int]
    FIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    TASK_TITLE_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    task_id: str
    reminder_id: str
    occurrence_key: str
    fire_time: _timestamp_pb2.Timestamp
    task_title: str
    due_time: _timestamp_pb2.Timestamp
    time_zone: str
    def __init__(self, user_id: _Optional[str] = ..., task_id: _Optional[str] = ..., reminder_id: _Optional[str] = ..., occurrence_key: _Optional[str] = ..., fire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_title: _Optional[str] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class DigestDue(_message.Message):
    __slots__ = ("user_id", "local_date", "time_zone", "overdue_count", "tasks", "digest_time")
    class OverdueTask(_message.Message):
        __slots__ = ("id", "title", "due_time")
        ID_FIELD_NUMBER: _ClassVar[int]
        TITLE_FIELD_NUMBER: _ClassVar[int]
        DUE_TIME_FIELD_NUMBER: _ClassVar[int]
        id: str
        title: str
        due_time: _timestamp_pb2.Timestamp
        def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCAL_DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_TIME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    local_date: str
    time_zone: str
    overdue_count: int
    tasks: _containers.RepeatedCompositeFieldContainer[DigestDue.OverdueTask]
    digest_time: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., local_date: _Optional[str] = ..., time_zone: _Optional[str] = ..., overdue_count: _Optional[int] = ..., tasks: _Optional[_Iterable[_Union[DigestDue.OverdueTask, _Mapping]]] = ..., digest_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class TagRenamed(_message.Message):
    __slots__ = ("user_id", "tag_id", "old_name", "new_name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TAG_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    tag_id: str
    old_name: str
    new_name: str
    def __init__(self, user_id: _Optional[str] = ..., tag_id: _Optional[str] = ..., old_name: _Optional[str] = ..., new_name: _Optional[str] = ...) -> None: ...

class TagDeleted(_message.Message):
    __slots__ = ("user_id", "tag_id", "name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TAG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    tag_id: str
    name: str
    def __init__(self, user_id: _Optional[str] = ..., tag_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

from google.api import field_behavior_pb2 as _field_behavior_pb2
from todo.assistant.v1 import action_pb2 as _action_pb2
from todo.validation.v1 import text_pb2 as _text_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChatRequest(_message.Message):
    __slots__ = ("conversation_id", "message")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message: str
    def __init__(self, conversation_id: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ChatResponse(_message.Message):
    __slots__ = ("conversation_id", "reply", "actions")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    reply: str
    actions: _containers.RepeatedCompositeFieldContainer[_action_pb2.Action]
    def __init__(self, conversation_id: _Optional[str] = ..., reply: _Optional[str] = ..., actions: _Optional[_Iterable[_Union[_action_pb2.Action, _Mapping]]] = ...) -> None: ...

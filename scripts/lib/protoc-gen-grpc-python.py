"""A protoc plugin (``protoc-gen-grpc-python``) that writes gRPC Python stubs with grpcio-tools.

grpcio-tools ships its generator only inside its own compiler (``python -m grpc_tools.protoc
--grpc_python_out``), not as a plugin program, and buf runs ``protoc_builtin`` plugins only for
protoc's own languages. This plugin hands buf's request to that compiler unchanged: the request's
files become a descriptor set, ``grpc_tools.protoc --descriptor_set_in`` generates the stubs for
the files buf asked for (with buf's ``opt`` as the generator's parameter), and the files it wrote
become the response. ``bun run gen`` installs it into the SDK tools' venv (scripts/lib/sdk-tools.ts).
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory(prefix="protoc-gen-grpc-python-") as tmp:
        image = os.path.join(tmp, "request.binpb")
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        with open(image, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        parameter = f"{request.parameter}:" if request.parameter else ""
        code = protoc.main(
            [
                "grpc_tools.protoc",
                f"--descriptor_set_in={image}",
                f"--grpc_python_out={parameter}{out}",
                *request.file_to_generate,
            ]
        )
        if code != 0:
            response.error = f"grpc_tools.protoc --grpc_python_out exited with {code}"
            return response
        for root, dirs, files in os.walk(out):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    response.file.add(name=os.path.relpath(path, out), content=f.read())
    return response


if __name__ == "__main__":
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())

#!/usr/bin/env bash
# Regenerates the plugin protocol's Go code (plugins/proto/pluginv1) from
# the .proto files beside this script. The generated files are committed, so
# only someone changing a .proto needs this; the generator versions are
# pinned so that everyone gets byte-identical output.
set -euo pipefail

# protoc-gen-go comes from the protobuf module the code runs against, so
# keep it at the version go.mod requires.
PROTOC_GEN_GO_VERSION=v1.36.10
PROTOC_GEN_GO_GRPC_VERSION=v1.6.1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

# protoc and the well-known types (google/protobuf/*.proto) from Debian.
if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/struct.proto ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler libprotobuf-dev
fi

# The generators go into a throwaway GOBIN so that nothing on PATH changes.
gobin=$(mktemp -d)
trap 'rm -rf "$gobin"' EXIT
GOBIN=$gobin go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
GOBIN=$gobin go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"

out=$root/plugins/proto/pluginv1
rm -f "$out"/*.pb.go
cd "$here"
PATH=$gobin:$PATH protoc \
	-I "$here" -I /usr/include \
	--go_out="$root" --go_opt=module=deploy \
	--go-grpc_out="$root" --go-grpc_opt=module=deploy \
	deploy/plugin/v1/*.proto
echo "generated $(ls "$out"/*.pb.go | wc -l) files in plugins/proto/pluginv1"

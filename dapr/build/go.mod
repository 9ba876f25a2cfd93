// Builds daprd and the Dapr scheduler from the Go module proxy at a pinned Dapr version.
// scripts/dapr.ts runs the build; see docs/dapr.md for why the component set is trimmed.
module todo.local/daprbuild

go 1.26.4

require (
	github.com/dapr/dapr v1.18.0
	// Dapr 1.18.0 asks for v0.12.5, which the module proxy does not serve; v0.12.6 is its next patch.
	github.com/diagridio/go-etcd-cron v0.12.6
)

// Copied from github.com/dapr/dapr v1.18.0's go.mod: replace directives are not inherited.
replace (
	dubbo.apache.org/dubbo-go/v3 => dubbo.apache.org/dubbo-go/v3 v3.0.3-0.20230118042253-4f159a2b38f3
	gopkg.in/couchbaselabs/gocbconnstr.v1 => github.com/couchbaselabs/gocbconnstr v1.0.5
)

replace (
	github.com/chenzhuoyu/iasm => github.com/chenzhuoyu/iasm v0.9.0
	github.com/chzyer/logex => github.com/chzyer/logex v1.2.1
	github.com/gobwas/pool => github.com/gobwas/pool v0.2.1
	github.com/toolkits/concurrent => github.com/niean/gotools v0.0.0-20151221085310-ff3f51fc5c60
)

// scripts/dapr.ts copies the module above out of the module cache into .src/dapr and replaces the
// package cmd/daprd/components with components/registry.go (see that file).
replace github.com/dapr/dapr => ./.src/dapr

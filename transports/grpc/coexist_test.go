package grpc_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSDKGoProtobufCoexists checks that a program can import this package
// together with sdk-go's protobuf event format
// (github.com/cloudevents/sdk-go/binding/format/protobuf/v2), whose
// generated types register io.cloudevents.v1.CloudEvent and its siblings
// in the global protobuf registry. The package links no generated
// io.cloudevents.v1 (or openevents.v1, which imports it) types, so nothing
// is registered twice and the protobuf runtime does not panic at start-up.
//
// It builds and runs internal/coexist, which sends an event that sdk-go
// encoded through the de-facto CloudEventService served here and decodes
// the relayed copy with sdk-go. This test binary cannot import sdk-go's
// protobuf format itself: its other tests use the generated types as
// clients do.
func TestSDKGoProtobufCoexists(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the program: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const pkg = "github.com/openevents/openevents/transports/grpc"
	deps, err := exec.CommandContext(ctx, goTool, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, gen := range []string{
		"github.com/openevents/openevents/proto/gen/io/cloudevents/v1",
		"github.com/openevents/openevents/proto/gen/openevents/v1",
	} {
		if slices.Contains(strings.Fields(string(deps)), gen) {
			t.Errorf("%s depends on %s, which registers the official io.cloudevents.v1 names or imports the package that does", pkg, gen)
		}
	}

	bin := filepath.Join(t.TempDir(), "coexist")
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./internal/coexist")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./internal/coexist: %v\n%s", err, out)
	}
	run := exec.CommandContext(ctx, bin)
	// The protobuf runtime's default: a conflict panics. A setting
	// inherited from the environment must not hide one.
	run.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GOLANG_PROTOBUF_REGISTRATION_CONFLICT=")
	}), "GOLANG_PROTOBUF_REGISTRATION_CONFLICT=panic")
	var out bytes.Buffer
	run.Stdout, run.Stderr = &out, &out
	run.WaitDelay = 10 * time.Second
	if err := run.Run(); err != nil {
		t.Fatalf("the program linking sdk-go's protobuf format and cegrpc failed: %v\n%s", err, out.Bytes())
	}
	if strings.Contains(out.String(), "conflict") {
		t.Errorf("the program reported a registration conflict:\n%s", out.Bytes())
	}
}

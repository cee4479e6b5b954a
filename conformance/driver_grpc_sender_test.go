package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/format/protoformat"
	"github.com/openevents/openevents/spec"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// grpcSenderCases returns the results of the gRPC sender cases of res.
func grpcSenderCases(t *testing.T, res *Result) []CaseResult {
	t.Helper()
	var out []CaseResult
	for _, c := range res.Cases {
		if c.Binding == BindingGRPC && c.Role == RoleSender {
			out = append(out, c)
		}
	}
	if len(out) < 10 {
		t.Fatalf("%d gRPC sender cases ran, want at least 10", len(out))
	}
	return out
}

// TestGRPCSenderReference: OpenEvents' gRPC client passes every gRPC
// sender case, by Publish and in one Stream batch; the HTTP sender cases
// say the sender is tested over gRPC.
func TestGRPCSenderReference(t *testing.T) {
	for name, send := range map[string]func(context.Context, string, []byte) error{
		"publish": ReferenceSendGRPC,
		"stream":  ReferenceStreamGRPC,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			res, err := Run(ctx, Config{
				Sender:         &SenderTarget{SendGRPC: send},
				Profile:        Profile{Spec: spec.Profile102},
				LabelFilter:    "sender",
				RequestTimeout: 10 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range grpcSenderCases(t, res) {
				if c.Verdict != Pass {
					t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
				}
			}
			overGRPC := 0
			for _, c := range res.Cases {
				// NOT-TESTED: the sender is tested over gRPC (or the case
				// is outside the profile, which is decided first).
				if c.Binding == BindingHTTP && c.Role == RoleSender && c.Verdict != NotTested {
					t.Errorf("HTTP sender case %s: %s %q, want NOT-TESTED (the sender is tested over gRPC)", c.Name, c.Verdict, c.Message)
				} else if c.Binding == BindingHTTP && c.Role == RoleSender && strings.Contains(c.Message, "tested over GRPC") {
					overGRPC++
				}
			}
			if overGRPC == 0 {
				t.Error("no HTTP sender case says the sender is tested over gRPC")
			}
		})
	}
}

// The child process of TestGRPCSenderCommand: a sender program under the
// gRPC sender contract.
const grpcSenderChildEnv = "CONFORMANCE_GRPC_SENDER_CHILD"

func TestGRPCSenderChild(t *testing.T) {
	if os.Getenv(grpcSenderChildEnv) == "" {
		t.Skip("run by TestGRPCSenderCommand")
	}
	if b := os.Getenv(EnvSenderBinding); b != BindingGRPC {
		t.Fatalf("%s=%q, want grpc", EnvSenderBinding, b)
	}
	if m := os.Getenv(EnvSenderMode); m != string(ModeStructured) {
		t.Fatalf("%s=%q, want structured", EnvSenderMode, m)
	}
	events, err := os.ReadFile(os.Getenv(EnvSenderEvents))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := ReferenceSendGRPC(ctx, os.Getenv(EnvSenderTarget), events); err != nil {
		t.Fatal(err)
	}
}

// TestGRPCSenderCommand: a sender program gets the gRPC contract's
// environment (checked by the child, which fails otherwise) and its
// events are judged; a program that exits non-zero fails the run.
func TestGRPCSenderCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t.Setenv(grpcSenderChildEnv, "1")
	var out strings.Builder
	res, err := Run(ctx, Config{
		Sender: &SenderTarget{
			Command: []string{os.Args[0], "-test.run=^TestGRPCSenderChild$", "-test.count=1"},
			Binding: BindingGRPC,
			Output:  &out,
		},
		LabelFilter:    "grpc && sender",
		RequestTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	for _, c := range grpcSenderCases(t, res) {
		if c.Verdict != Pass {
			t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}

	_, err = Run(ctx, Config{
		Sender:         &SenderTarget{Command: []string{"/bin/sh", "-c", "echo refusing; exit 3"}, Binding: BindingGRPC},
		LabelFilter:    "grpc && sender",
		RequestTimeout: 10 * time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "sender failed (gRPC)") || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("a sender exiting 3: %v, want the sender's failure with its output", err)
	}
}

// TestGRPCSenderConfig: contradictory sender settings are configuration
// errors.
func TestGRPCSenderConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"unknown binding":   {Sender: &SenderTarget{Command: []string{"true"}, Binding: "nats"}},
		"SendGRPC and http": {Sender: &SenderTarget{SendGRPC: ReferenceSendGRPC, Binding: BindingHTTP}},
		"Send and grpc":     {Sender: &SenderTarget{Send: ReferenceSend, Binding: BindingGRPC}},
		"two senders":       {Sender: &SenderTarget{SendGRPC: ReferenceSendGRPC, Send: ReferenceSend}},
		"gRPC and MQTT":     {Sender: &SenderTarget{Command: []string{"true"}, Binding: BindingGRPC}, MQTT: &MQTTTarget{Broker: "tcp://127.0.0.1:1", Topic: "t", Role: RoleSender}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Run(context.Background(), cfg)
			if !IsConfigError(err) {
				t.Errorf("Run: %v, want a configuration error", err)
			}
		})
	}
}

// TestGRPCSenderCaseValidation: a gRPC sender case holds only checks of
// what arrives, in structured mode, and a rule of OpenEvents' gRPC
// binding needs the openevents service.
func TestGRPCSenderCaseValidation(t *testing.T) {
	const good = `{"name": "n", "requirements": ["PROTO-DATA-4"], "role": "sender", "binding": "grpc", "mode": "structured", "send": {"specversion": "1.0", "id": "x", "source": "/s", "type": "t"}, %s "expect": {"event": {"attributes": {"id": "x"}, "partial": true}}}`
	for name, tc := range map[string]struct {
		grpc, want string
		mode       string
	}{
		"fine":          {grpc: `"grpc": {"dataField": "text"},`},
		"status":        {grpc: `"grpc": {"status": "OK"},`, want: "sends nothing itself"},
		"event":         {grpc: `"grpc": {"event": {"id": "y"}},`, want: "sends nothing itself"},
		"binary mode":   {grpc: ``, mode: "binary", want: "structured mode"},
		"member":        {grpc: `"grpc": {"members": {"time": "ce_time"}},`, want: "not a CloudEventAttributeValue member"},
		"data field":    {grpc: `"grpc": {"dataField": "json"},`, want: "want binary, text or proto"},
		"grpc rule":     {grpc: `"grpc": {},`, want: "set grpc.service to openevents"},
		"grpc rule set": {grpc: `"grpc": {"service": "openevents"},`},
	} {
		t.Run(name, func(t *testing.T) {
			c := fmt.Sprintf(good, tc.grpc)
			if tc.mode != "" {
				c = strings.Replace(c, `"structured"`, `"`+tc.mode+`"`, 1)
			}
			if strings.HasPrefix(name, "grpc rule") {
				c = strings.Replace(c, "PROTO-DATA-4", "GRPC-META-1", 1)
			}
			_, err := loadCases(fstest.MapFS{"testdata/x.json": {Data: []byte("[" + c + "]")}}, spec.Default())
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid case refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestGRPCSenderLimit: the suite's server keeps no more events than it
// asked for plus senderExtra, by Publish and in a Stream batch, and says
// so with RESOURCE_EXHAUSTED; the events asked for are still judged.
func TestGRPCSenderLimit(t *testing.T) {
	var mu sync.Mutex
	var publishCode codes.Code
	var streamFailures int
	flood := func(ctx context.Context, target string, events []byte) error {
		if err := ReferenceSendGRPC(ctx, target, events); err != nil {
			return err
		}
		c, err := cegrpc.NewClient(target)
		if err != nil {
			return err
		}
		defer func() { _ = c.Close(ctx) }()
		es, _ := jsonformat.DecodeBatch(events, nil)
		extra := es[0].Clone()
		var last error
		for i := range senderExtra + 1 {
			extra.SetID(fmt.Sprintf("flood-%d", i))
			if last = c.Publish(ctx, &extra); last != nil {
				break
			}
		}
		batch := make([]json.RawMessage, 3)
		for i := range batch {
			batch[i] = json.RawMessage(fmt.Sprintf(`{"specversion":"1.0","id":"flood-batch-%d","source":"/s","type":"t"}`, i))
		}
		b, _ := json.Marshal(batch)
		bs, _ := jsonformat.DecodeBatch(b, nil)
		serr := c.SendBatch(ctx, bs)
		var ce *cegrpc.Error
		mu.Lock()
		defer mu.Unlock()
		publishCode = status.Code(last)
		if errors.As(serr, &ce) {
			streamFailures++
		}
		return nil
	}
	res := runGRPCSender(t, flood)
	for _, c := range grpcSenderCases(t, res) {
		if c.Verdict != Pass {
			t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if publishCode != codes.ResourceExhausted {
		t.Errorf("Publish beyond the limit: %s, want RESOURCE_EXHAUSTED", publishCode)
	}
	if streamFailures != 1 {
		t.Errorf("a Stream batch beyond the limit was accepted, want its events failed")
	}
}

// TestGRPCSenderUndecodable: bytes that are no CloudEvent message are
// refused with INVALID_ARGUMENT, and the cases whose event never came
// are NOT-TESTED with a note naming what came instead.
func TestGRPCSenderUndecodable(t *testing.T) {
	var code codes.Code
	garbage := func(ctx context.Context, target string, _ []byte) error {
		conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }()
		req := protowire.AppendTag(nil, 1, protowire.BytesType)
		req = protowire.AppendBytes(req, []byte{0x0a, 0xff}) // field 1, a length past the end
		m := rawMsg(req)
		code = status.Code(conn.Invoke(ctx, "/"+cloudEventServiceName+"/Publish", &m, new(rawMsg)))
		return nil
	}
	res := runGRPCSender(t, garbage)
	if code != codes.InvalidArgument {
		t.Errorf("Publish of a broken CloudEvent: %s, want INVALID_ARGUMENT", code)
	}
	for _, c := range grpcSenderCases(t, res) {
		if strings.Contains(c.Message, "it presumes the case") {
			continue // the case it presumes says why
		}
		if c.Verdict != NotTested || !strings.Contains(c.Message, "not a CloudEvent message") {
			t.Errorf("%s: %s %q, want NOT-TESTED naming the undecodable message", c.Name, c.Verdict, c.Message)
		}
	}
}

// TestGRPCSenderCloudEventService: a sender using the de-facto
// CloudEventService is judged on the core and protobuf rules, and the
// rules of OpenEvents' gRPC binding are NOT-TESTED for it, never failed.
func TestGRPCSenderCloudEventService(t *testing.T) {
	viaCES := func(ctx context.Context, target string, events []byte) error {
		es, err := jsonformat.DecodeBatch(events, nil)
		if err != nil {
			return err
		}
		conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }()
		for i := range es {
			ev, err := protoformat.Marshal(&es[i])
			if err != nil {
				return err
			}
			req := protowire.AppendTag(nil, 1, protowire.BytesType)
			req = protowire.AppendBytes(req, ev)
			m := rawMsg(req)
			if err := conn.Invoke(ctx, "/"+cloudEventServiceName+"/Publish", &m, new(rawMsg)); err != nil {
				return err
			}
		}
		return nil
	}
	res := runGRPCSender(t, viaCES)
	for _, c := range grpcSenderCases(t, res) {
		grpcRule := strings.HasPrefix(c.Requirements[0], "GRPC-")
		switch {
		case grpcRule && (c.Verdict != NotTested || !strings.Contains(c.Message, cloudEventServiceName)):
			t.Errorf("%s: %s %q, want NOT-TESTED through CloudEventService", c.Name, c.Verdict, c.Message)
		case !grpcRule && c.Verdict != Pass:
			t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}
}

// TestGRPCSenderUndecided: a placement rule is NOT-TESTED, not failed,
// for an event that arrived without what it places (no data for the data
// field rules, no source for PROTO-ATTR-1): the rules that require those
// judge their absence.
func TestGRPCSenderUndecided(t *testing.T) {
	strip := grpcSenderFault{name: "strip", event: func(fs []protoField) []protoField {
		for _, num := range []protowire.Number{fieldBinaryData, fieldTextData, fieldProtoData, fieldSource} {
			fs = dropField(fs, num)
		}
		return fs
	}}
	res := runGRPCSender(t, strip.send())
	for _, c := range grpcSenderCases(t, res) {
		switch c.Requirements[0] {
		case "PROTO-DATA-1", "PROTO-DATA-4", "PROTO-DATA-6", "PROTO-ATTR-1":
			if c.Verdict != NotTested || !strings.Contains(c.Message, "arrived without") {
				t.Errorf("%s: %s %q, want NOT-TESTED for what the event arrived without", c.Name, c.Verdict, c.Message)
			}
		case "CORE-ATTR-1":
			if c.Verdict != Fail {
				t.Errorf("%s: %s %q, want FAIL for the missing source", c.Name, c.Verdict, c.Message)
			}
		}
	}
}

package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openevents/openevents/event/binding"
)

// The sender contract's environment variables (spec/conformance-contract.md).
const (
	EnvSenderTarget = "CE_CONFORMANCE_TARGET" // the URL to send to
	EnvSenderEvents = "CE_CONFORMANCE_EVENTS" // a file holding a JSON array of events
	EnvSenderMode   = "CE_CONFORMANCE_MODE"   // binary or structured
)

// Bounds of the suite's own receiver in the sender role.
const (
	senderBodyLimit = 1 << 20 // per message
	senderExtra     = 16      // messages accepted beyond those asked for
)

// SenderTarget is a provider in the sender role: a program (or a Go
// function) that sends the events the suite asks for, to a receiver the
// suite hosts. The suite asks once per content mode and checks every
// message that arrives against the producer rules of its case.
type SenderTarget struct {
	// Command is the sender program and its arguments. It is started
	// once per content mode with the environment of the sender contract
	// (EnvSenderTarget, EnvSenderEvents, EnvSenderMode) added to the
	// suite's, must send every event of the file, in order, one request
	// each, and exit 0. Its output goes to Output.
	Command []string
	// Send, instead of Command, is called in-process with the same
	// contract: the URL, the mode and the JSON array of events.
	Send func(ctx context.Context, target string, mode Mode, events []byte) error
	// SendMQTT, instead of both, is an in-process sender over MQTT (with
	// an MQTTTarget in the sender role): it publishes the events to the
	// broker and topic of to, with its protocol version and content mode.
	SendMQTT func(ctx context.Context, to MQTTSend, events []byte) error
	// SendGRPC, instead of the others, is an in-process sender over gRPC
	// (driver_grpc_sender.go): it sends the events to the suite's
	// EventService and CloudEventService at target (host:port), by
	// Publish or in Stream batches.
	SendGRPC func(ctx context.Context, target string, events []byte) error
	// Binding is the binding a Command sender is tested over: "" or
	// "http" (the default; MQTT with an MQTT target in the sender role)
	// or "grpc", which runs Command once with EnvSenderTarget set to the
	// host:port of the suite's gRPC server and EnvSenderBinding to grpc.
	// SendGRPC implies "grpc".
	Binding string
	// Listen is the address of the suite's receiver (default
	// "127.0.0.1:0").
	Listen string
	// Output receives the sender program's standard output and error
	// (nil: discarded).
	Output io.Writer
}

func (s *SenderTarget) validate() error {
	if n := len(slices.DeleteFunc([]bool{len(s.Command) > 0, s.Send != nil, s.SendMQTT != nil, s.SendGRPC != nil}, func(b bool) bool { return !b })); n != 1 {
		return errors.New("conformance: a sender target needs exactly one of Command, Send, SendMQTT and SendGRPC")
	}
	if s.Listen == "" {
		s.Listen = "127.0.0.1:0"
	}
	return nil
}

// sent is one message the sender delivered.
type sent struct {
	method string
	uri    string // the request URI: path and query
	at     time.Time
	// answer is what the suite answered when the case asked for an
	// answer of its own (nil: 204), at answeredAt.
	answer     *Answer
	answeredAt time.Time
	header     http.Header
	body       []byte
	log        *senderLog // the run it came in (sender_webhook.go)
}

// senderRun asks the sender for the events of the given sender cases, all
// in one content mode, and returns per case the message that carried its
// event's id (nil: none arrived), or an error when the run failed as a
// whole.
func senderRun(ctx context.Context, t *SenderTarget, mode Mode, cases []*Case, timeout time.Duration) ([]*sent, error) {
	events := make([]json.RawMessage, len(cases))
	for i, c := range cases {
		events[i] = c.Send
	}
	file, err := json.Marshal(events)
	if err != nil {
		return nil, err
	}

	var mu sync.Mutex
	var got []sent
	limit := len(cases) + senderExtra
	log := &senderLog{target: "/?" + senderQuery, token: newSenderToken()}
	answered := map[string]bool{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			mu.Lock()
			defer mu.Unlock()
			if len(log.handshakes) >= senderExtra {
				http.Error(w, "conformance: more handshakes than the run takes", http.StatusTooManyRequests)
				return
			}
			log.handshakes = append(log.handshakes, grantHandshake(w, r))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, senderBodyLimit))
		if err != nil {
			http.Error(w, "conformance: message too large", http.StatusRequestEntityTooLarge)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) >= limit {
			http.Error(w, "conformance: more messages than events asked for", http.StatusTooManyRequests)
			return
		}
		got = append(got, sent{method: r.Method, uri: r.RequestURI, at: time.Now(), header: r.Header.Clone(), body: body, log: log})
		if a := answerFirst(cases, &got[len(got)-1], answered); a != nil {
			a.write(w, &got[len(got)-1])
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", t.Listen)
	if err != nil {
		return nil, fmt.Errorf("conformance: the sender role's receiver: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: timeout, ReadTimeout: timeout}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	defer func() {
		_ = srv.Close()
		<-done
	}()
	target := "http://" + ln.Addr().String() + log.target

	// The sender gets a request timeout per event and a little more.
	sctx, cancel := context.WithTimeout(ctx, time.Duration(len(cases)+2)*timeout)
	defer cancel()
	if t.Send != nil {
		err = t.Send(context.WithValue(sctx, senderTokenKey{}, log.token), target, mode, file)
	} else {
		err = runSenderCommand(sctx, t, mode, file, EnvSenderTarget+"="+target, EnvSenderToken+"="+log.token)
	}
	if err != nil {
		err = fmt.Errorf("the sender failed (%s mode): %w", mode, err)
	}
	// Close waits for nothing: the sender has its answers, so every
	// message it sent is in got. The messages are returned even when the
	// sender failed, for cases that expect it may (an Answer).
	mu.Lock()
	defer mu.Unlock()
	log.all = got
	out := make([]*sent, len(cases))
	for i, c := range cases {
		id := sendID(c)
		for j := range got {
			if slices.Contains(messageIDs(&got[j]), id) { // sender_webhook.go
				out[i] = &got[j]
				break
			}
		}
	}
	return out, err
}

// runSenderCommand runs the sender program once, per the contract, with
// env (the target's variables) added to the environment.
func runSenderCommand(ctx context.Context, t *SenderTarget, mode Mode, events []byte, env ...string) error {
	dir, err := os.MkdirTemp("", "ce-conformance-sender-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	file := filepath.Join(dir, "events.json")
	if err := os.WriteFile(file, events, 0o600); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, t.Command[0], t.Command[1:]...)
	cmd.Env = append(append(os.Environ(), env...), EnvSenderEvents+"="+file, EnvSenderMode+"="+string(mode))
	var tail bytes.Buffer
	out := io.Writer(&tail)
	if t.Output != nil {
		out = io.MultiWriter(t.Output, &tail)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(tail.String())
		if len(msg) > 500 {
			msg = "…" + msg[len(msg)-500:]
		}
		return fmt.Errorf("%s: %w (output: %q)", strings.Join(t.Command, " "), err, msg)
	}
	return nil
}

// sendID is the id of the event a sender case asks for (checked to be a
// string when the case was loaded).
func sendID(c *Case) string {
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(c.Send, &e)
	return e.ID
}

// messageID is the id a message carries: the ce-id header of a binary
// message, the id member of a structured one; "" when there is none.
func messageID(m *sent) string {
	if vs := m.header.Values("Ce-Id"); len(vs) == 1 {
		if id, err := binding.DecodeHeaderValue(vs[0]); err == nil {
			return id
		}
		return vs[0]
	}
	var e struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(m.body, &e) == nil {
		return e.ID
	}
	return ""
}

// judgeSent checks the message a sender delivered for case c.
func judgeSent(c *Case, m *sent) error {
	if m == nil {
		return fmt.Errorf("%w: no message carried the event %q: the sender did not send it (an SDK that refuses to build an event says so in the sender's output)", errNotApplicable, sendID(c))
	}
	resp := &response{status: http.StatusOK, header: m.header, body: m.body}
	if c.Expect.NoBatch && sentMode(m) == ModeBatch {
		return fmt.Errorf("the sender was asked for %s mode and sent the event in a batch, which the receiver never asked for", c.Mode)
	}
	if mode := sentMode(m); mode != c.Mode {
		return fmt.Errorf("%w: the sender was asked for %s mode and sent %s mode", errNotApplicable, c.Mode, mode)
	}
	if err := judgeWebhook(c, m); err != nil {
		return err
	}
	errs := append(judgeHeaders(c, resp, "message"), judgeDelivery(c, m)...)
	return errors.Join(append(errs, judgeEvent(c, resp, "message", nil))...)
}

// sentMode is the content mode of a message, by its Content-Type.
func sentMode(m *sent) Mode {
	ct := strings.ToLower(m.header.Get("Content-Type"))
	switch {
	case strings.HasPrefix(ct, "application/cloudevents-batch"):
		return ModeBatch
	case strings.HasPrefix(ct, "application/cloudevents"):
		return ModeStructured
	}
	return ModeBinary
}

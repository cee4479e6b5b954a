package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	cehttp "github.com/openevents/openevents/transports/http"
	cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
)

// Reference is the embedded reference provider: OpenEvents' fasthttp server on
// 127.0.0.1 with an echo Replier, the provider `ce conformance run` tests
// when no target is given. It answers each single event with itself in
// binary mode, as `ce listen --http ADDR --reply` does, and accepts
// batches without a reply.
type Reference struct {
	// URL is the provider's address, http://127.0.0.1:PORT/.
	URL  string
	srv  *cefasthttp.Server
	ln   net.Listener
	done chan error
}

// StartReference starts the reference provider on 127.0.0.1 and a free
// port. Call Close to stop it.
func StartReference() (*Reference, error) {
	echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = e.Clone()
		return true, nil
	})
	srv, err := cefasthttp.NewServer(echo)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Reference{URL: "http://" + ln.Addr().String() + "/", srv: srv, ln: ln, done: make(chan error, 1)}
	go func() { r.done <- srv.Serve(ln) }()
	return r, nil
}

// Close stops the provider, waiting up to five seconds for requests in
// flight, and returns the server's error, if any.
func (r *Reference) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	// A Shutdown that comes before Serve has registered the listener does
	// not stop it (fasthttp), so close the listener too: Serve then
	// returns whichever came first.
	if cerr := r.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = errors.Join(err, cerr)
	}
	select {
	case serr := <-r.done:
		if serr != nil && !errors.Is(serr, net.ErrClosed) {
			err = errors.Join(err, serr)
		}
	case <-ctx.Done():
		err = errors.Join(err, errors.New("conformance: the reference provider did not stop"))
	}
	return err
}

// ReferenceSend is the embedded reference sender, for
// SenderTarget.Send: OpenEvents' HTTP Sender, sending each event of the
// JSON array events to target in mode, one request each.
func ReferenceSend(ctx context.Context, target string, mode Mode, events []byte) error {
	return referenceSend(ctx, target, mode, events)
}

// referenceSend is ReferenceSend with extra sender options (the faulty
// senders of the tests rewrite requests with a Doer).
func referenceSend(ctx context.Context, target string, mode Mode, events []byte, opts ...cehttp.SenderOption) error {
	es, err := jsonformat.DecodeBatch(events, nil)
	if err != nil {
		return fmt.Errorf("the events to send: %w", err)
	}
	m := binding.ModeBinary
	if mode == ModeStructured {
		m = binding.ModeStructured
	}
	s, err := cehttp.NewSender(target, append([]cehttp.SenderOption{cehttp.WithMode(m)}, opts...)...)
	if err != nil {
		return err
	}
	defer s.CloseIdleConnections()
	for i := range es {
		if _, err := s.Send(ctx, &es[i]); err != nil {
			return fmt.Errorf("event %s: %w", es[i].ID(), err)
		}
	}
	return nil
}

package grpc

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/protoformat"
)

// Filter selects events for a subscription. An empty field matches every
// event; the zero Filter matches all.
type Filter struct {
	Type          string // the type attribute, exactly
	Source        string // the source attribute, exactly
	SubjectPrefix string // the start of the subject attribute
	// ClusterName matches the clustername extension exactly. Only the
	// de-facto CloudEventService carries it (SubscriptionRequest
	// cluster_name).
	ClusterName string
	// TypePrefix matches a type equal to it or starting with it and a dot.
	// Only the de-facto CloudEventService carries it (data_type).
	TypePrefix string
}

// Match reports whether e passes the filter.
func (f *Filter) Match(e *event.Event) bool {
	if f.Type != "" && e.Type() != f.Type {
		return false
	}
	if f.Source != "" && e.Source() != f.Source {
		return false
	}
	if f.SubjectPrefix != "" && !strings.HasPrefix(e.Subject(), f.SubjectPrefix) {
		return false
	}
	if f.TypePrefix != "" && e.Type() != f.TypePrefix && !strings.HasPrefix(e.Type(), f.TypePrefix+".") {
		return false
	}
	if f.ClusterName != "" {
		v, ok := e.Extension("clustername")
		if !ok || v.Text() != f.ClusterName {
			return false
		}
	}
	return true
}

// subscriber is one Subscribe call: its filter and its bounded queue of
// encoded events (CloudEvent messages).
type subscriber struct {
	filter Filter
	queue  chan []byte
	gone   chan struct{} // closed when the call has ended
}

// Publish delivers e to every current subscriber whose filter matches it,
// encoding it once. It blocks while a matching subscriber's queue is full
// (see WithSubscriberQueue) and returns ctx's error if ctx ends first, in
// which case some subscribers may have received e. It returns an
// *protoformat.EncodeError for an event that cannot be encoded. Delivery
// to subscribers is at most once: an event queued for a subscriber whose
// call ends is lost.
func (s *Server) Publish(ctx context.Context, e *event.Event) error {
	s.mu.Lock()
	targets := make([]*subscriber, 0, len(s.subs))
	for sub := range s.subs {
		if sub.filter.Match(e) {
			targets = append(targets, sub)
		}
	}
	s.mu.Unlock()
	if len(targets) == 0 {
		return nil
	}
	b, err := protoformat.Marshal(e)
	if err != nil {
		return err
	}
	for _, sub := range targets {
		select {
		case sub.queue <- b:
		case <-sub.gone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *Server) addSubscriber(f Filter) *subscriber {
	sub := &subscriber{filter: f, queue: make(chan []byte, s.cfg.subscriberQueue), gone: make(chan struct{})}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

func (s *Server) removeSubscriber(sub *subscriber) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
	close(sub.gone) // unblocks a Publish waiting on the full queue
}

// maxSubscribeBatch bounds how many queued events one SubscribeResponse
// carries.
const maxSubscribeBatch = 100

// subscribe serves EventService.Subscribe: events in batches.
func (s *Server) subscribe(_ any, ss grpc.ServerStream) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	var req subscribeRequest
	if err := s.recvRequest(ss, &req); err != nil {
		return err
	}
	sub := s.addSubscriber(Filter{Type: req.typ, Source: req.source, SubjectPrefix: req.subjectPrefix})
	defer s.removeSubscriber(sub)
	var out frame
	var buf []byte
	return s.pump(ss.Context(), sub, func(b []byte) error {
		buf = protowire.AppendTag(buf, 1, protowire.BytesType)
		buf = protowire.AppendBytes(buf, b)
		return nil
	}, func() error {
		out.set(buf)
		err := ss.SendMsg(&out)
		buf = buf[:0]
		return err
	})
}

// subscribeCloudEvents serves CloudEventService.Subscribe: one CloudEvent
// per message.
func (s *Server) subscribeCloudEvents(_ any, ss grpc.ServerStream) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	var req subscriptionRequest
	if err := s.recvRequest(ss, &req); err != nil {
		return err
	}
	sub := s.addSubscriber(Filter{Source: req.source, ClusterName: req.clusterName, TypePrefix: req.dataType})
	defer s.removeSubscriber(sub)
	var out frame
	return s.pump(ss.Context(), sub, func(b []byte) error {
		out.set(b)
		return ss.SendMsg(&out)
	}, func() error { return nil })
}

// recvRequest receives the one request of a Subscribe call into req
// within the stream idle timeout. A request that does not parse is
// reported to the refuse hook and ends the call with INVALID_ARGUMENT.
func (s *Server) recvRequest(ss grpc.ServerStream, req interface{ parse([]byte) error }) error {
	var in frame
	defer in.release()
	if err := recvFirst(ss, &in, s.cfg.streamIdle); err != nil {
		return err
	}
	if err := req.parse(in.bytes()); err != nil {
		s.refused(ss.Context(), err)
		return statusOf(err).Err()
	}
	return nil
}

// pump moves queued events to a subscriber until its call or the server
// ends: add is called for each event, flush after each run of queued
// events. Draining ends the call with OK.
func (s *Server) pump(ctx context.Context, sub *subscriber, add func([]byte) error, flush func() error) error {
	for {
		var b []byte
		select {
		case b = <-sub.queue:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return ctx.Err()
		case <-s.draining:
			return nil
		}
		if err := add(b); err != nil {
			return err
		}
	more:
		for n := 1; n < maxSubscribeBatch; n++ {
			select {
			case b = <-sub.queue:
				if err := add(b); err != nil {
					return err
				}
			default:
				break more
			}
		}
		if err := flush(); err != nil {
			return err
		}
	}
}

// Subscribers returns the number of Subscribe calls currently open.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

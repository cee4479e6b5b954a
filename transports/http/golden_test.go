package http_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

var update = flag.Bool("update", false, "rewrite the golden wire images in testdata")

// captureOne accepts one connection on a loopback listener, reads one
// request's raw bytes, answers 204 and returns the bytes.
func captureOne(t *testing.T) (url string, wire <-chan []byte) {
	t.Helper()
	ln := listen(t)
	out := make(chan []byte, 1)
	go func() {
		defer close(out)
		defer func() { _ = ln.Close() }()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		var raw bytes.Buffer
		r := bufio.NewReader(io.TeeReader(conn, &raw))
		n := 0
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Content-Length") {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if line == "\r\n" {
				break
			}
		}
		if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
			return
		}
		_, _ = conn.Write([]byte("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
		out <- raw.Bytes()
	}()
	return "http://" + ln.Addr().String() + "/sink", out
}

// TestGoldenWire pins the exact request each mode puts on the wire
// (HTTP-BINARY-*, HTTP-HEADER-*, HTTP-STRUCTURED-*, HTTP-BATCH-*).
// Refresh with go test -run TestGoldenWire -update.
func TestGoldenWire(t *testing.T) {
	second := sample()
	second.SetID("B234")
	second.SetSubject("100%")
	second.Delete(event.AttrDataContentType)
	second.ClearData()
	tests := []struct {
		file  string
		mode  binding.Mode
		batch []event.Event
	}{
		{file: "binary.http", mode: binding.ModeBinary},
		{file: "structured.http", mode: binding.ModeStructured},
		{file: "batch.http", mode: binding.ModeBatch, batch: []event.Event{*sample(), *second}},
		{file: "binary-nodata.http", mode: binding.ModeBinary, batch: []event.Event{*second}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			url, wire := captureOne(t)
			s := newSender(t, url, cehttp.WithMode(tt.mode), cehttp.WithRetry(1, 0))
			var err error
			switch {
			case tt.mode == binding.ModeBatch:
				_, err = s.SendBatch(context.Background(), tt.batch)
			case tt.batch != nil:
				_, err = s.Send(context.Background(), &tt.batch[0])
			default:
				_, err = s.Send(context.Background(), sample())
			}
			if err != nil {
				t.Fatal(err)
			}
			got := <-wire
			// The port is chosen by the kernel; pin it.
			host := strings.TrimPrefix(strings.TrimSuffix(url, "/sink"), "http://")
			got = bytes.Replace(got, []byte(host), []byte("127.0.0.1:PORT"), 1)
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("wire image differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

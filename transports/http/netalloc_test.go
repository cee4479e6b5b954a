package http

import (
	"io"
	"net/http"
	"strings"
)

type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }

type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

func newNetHTTPRequest() (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body50))
	if err != nil {
		return nil, err
	}
	for k, v := range map[string]string{
		"Ce-Specversion": "1.0", "Ce-Id": "7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d",
		"Ce-Source": "https://example.com/orders", "Ce-Type": "com.example.order.created",
		"Ce-Time": "2026-11-26T10:00:00.123Z", "Ce-Subject": "orders/12345", "Content-Type": "application/json",
	} {
		req.Header[k] = []string{v}
	}
	req.ContentLength = int64(len(body50))
	return req, nil
}

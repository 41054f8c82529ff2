package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// deepHandler recurses like a request through the handler chain: depth
// frames of about 512 bytes each, each holding live data.
type deepHandler struct{ depth int }

func (h deepHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(descend(h.depth, [64]int64{}))
}

//go:noinline
func descend(n int, frame [64]int64) int {
	if n == 0 {
		return http.StatusOK + int(frame[0])
	}
	frame[n%64]++
	return descend(n-1, frame) - int(frame[n%64]) + 1
}

func TestWithStackReserveServes(t *testing.T) {
	rec := httptest.NewRecorder()
	withStackReserve(deepHandler{depth: 40}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
}

// BenchmarkStackReserve serves each request on a fresh goroutine, as HTTP/2
// and the timeout filter do, with and without the reservation.
func BenchmarkStackReserve(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"plain", deepHandler{depth: 40}},
		{"reserved", withStackReserve(deepHandler{depth: 40})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			done := make(chan struct{})
			for b.Loop() {
				go func() {
					tc.h.ServeHTTP(httptest.NewRecorder(), req)
					done <- struct{}{}
				}()
				<-done
			}
		})
	}
}

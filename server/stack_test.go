package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"unsafe"
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

// stackMoved tells whether the goroutine's stack was moved (grown) while a
// call depth frames deep ran: the address of a local changes when it is.
//
//go:noinline
func stackMoved(depth int) bool {
	var marker byte
	before := uintptr(unsafe.Pointer(&marker))
	descend(depth, [64]int64{})
	return uintptr(unsafe.Pointer(&marker)) != before
}

// TestWithStackReserve: behind withStackReserve, a handler about 13 KiB deep
// runs on a fresh goroutine without its stack growing; without it, it grows.
func TestWithStackReserve(t *testing.T) {
	const depth = 24 // frames of ~530 bytes
	moved := func(wrap func(http.Handler) http.Handler) bool {
		var got bool
		h := wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = stackMoved(depth)
			w.WriteHeader(http.StatusOK)
		}))
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { // a fresh goroutine, as HTTP/2 gives each request
			defer close(done)
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		}()
		<-done
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d, want 200", rec.Code)
		}
		return got
	}
	if !moved(func(h http.Handler) http.Handler { return h }) {
		t.Fatal("without the reservation the stack did not grow: the test cannot tell growth apart")
	}
	if moved(withStackReserve) {
		t.Error("the stack grew behind withStackReserve")
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

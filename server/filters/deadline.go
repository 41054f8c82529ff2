package filters

import (
	"context"
	"net/http"
	"time"
)

// The generic server's timeout filter answers 504 when a request's deadline
// passes, unless the handler has begun its answer: then it can only reset
// the stream. With etcd away, the storage gives up at that same deadline and
// the handler begins its error answer a moment before the filter's timer
// fires, often enough (1 in 4 LISTs with ?timeout=3s) to reset the client's
// stream. Handing the handler a deadline a little earlier lets it finish its
// answer (a 504, see the registry's statusStorage) before the filter's.

// deadlineMargin is how much earlier: a tenth of the time left, between
// minDeadlineMargin and maxDeadlineMargin.
const (
	minDeadlineMargin = 50 * time.Millisecond
	maxDeadlineMargin = time.Second
)

func withEarlierDeadline(r *http.Request) (*http.Request, context.CancelFunc) {
	deadline, ok := r.Context().Deadline()
	if !ok {
		return r, func() {}
	}
	margin := time.Until(deadline) / 10
	margin = min(max(margin, minDeadlineMargin), maxDeadlineMargin)
	ctx, cancel := context.WithDeadline(r.Context(), deadline.Add(-margin))
	return r.WithContext(ctx), cancel
}

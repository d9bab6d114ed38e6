package problem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/netid/netid/internal/store"
)

func TestFor(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		status   int
		internal bool
	}{
		{"problem", New(http.StatusTeapot, "teapot", "short and stout"), http.StatusTeapot, false},
		{"wrapped problem", fmt.Errorf("x: %w", New(http.StatusBadRequest, "bad", "d")), http.StatusBadRequest, false},
		{"body too large", &http.MaxBytesError{Limit: 10}, http.StatusRequestEntityTooLarge, false},
		{"not found", fmt.Errorf("x: %w", store.ErrNotFound), http.StatusNotFound, false},
		{"conflict", store.ErrConflict, http.StatusConflict, false},
		{"unavailable", store.ErrUnavailable, http.StatusServiceUnavailable, true},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), http.StatusServiceUnavailable, true},
		{"client went away", fmt.Errorf("query: %w", context.Canceled), StatusClientClosed, false},
		{"anything else", errors.New("secret detail"), http.StatusInternalServerError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, internal := For(tt.err)
			if p.Status != tt.status || internal != tt.internal {
				t.Errorf("For(%v) = %d, internal %v; want %d, %v", tt.err, p.Status, internal, tt.status, tt.internal)
			}
			if internal && p.Detail == tt.err.Error() {
				t.Errorf("an internal error's detail reached the client: %q", p.Detail)
			}
		})
	}
}

func TestRequestContext(t *testing.T) {
	ctx := WithRequest(context.Background(), "REQ1", "192.0.2.1")
	if RequestIDFrom(ctx) != "REQ1" || ClientAddrFrom(ctx) != "192.0.2.1" {
		t.Errorf("got %q, %q", RequestIDFrom(ctx), ClientAddrFrom(ctx))
	}
	if RequestIDFrom(context.Background()) != "" {
		t.Error("a bare context carries a request id")
	}
}

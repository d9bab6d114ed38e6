package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts protect the server from slow clients and bound shutdown.
type Timeouts struct {
	// ReadHeader bounds the time to read request headers (slowloris).
	ReadHeader time.Duration
	// Read bounds the time to read a whole request, body included.
	Read time.Duration
	// Write bounds the time from the end of the request headers to the end
	// of the response.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration
	// Shutdown is the grace period in-flight requests get after SIGTERM.
	Shutdown time.Duration
}

// DefaultTimeouts returns the timeouts netid uses unless configured.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		ReadHeader: 5 * time.Second,
		Read:       15 * time.Second,
		Write:      30 * time.Second,
		Idle:       120 * time.Second,
		Shutdown:   20 * time.Second,
	}
}

// ErrShutdownTimeout is returned by Run when in-flight requests did not
// finish within the grace period.
var ErrShutdownTimeout = errors.New("httpapi: in-flight requests did not finish before the shutdown timeout")

// Run serves h on ln until ctx is done, then stops accepting connections and
// waits up to t.Shutdown for in-flight requests to finish.
func Run(ctx context.Context, ln net.Listener, h http.Handler, t Timeouts, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down: no new connections, waiting for in-flight requests", "grace", t.Shutdown.String())
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			return ErrShutdownTimeout
		}
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("shut down cleanly")
	return nil
}

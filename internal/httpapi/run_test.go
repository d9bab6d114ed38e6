package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// A client that opens a connection and never finishes its headers
// (slowloris) is cut off after the read-header timeout instead of holding
// the connection forever.
func TestRunCutsOffSlowClients(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	to := DefaultTimeouts()
	to.ReadHeader = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), to, slog.New(slog.DiscardHandler))
	}()
	defer func() {
		cancel()
		<-done
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// The deadline only bounds the test if the server never closes; the
	// assertion is that the server closes, not how fast.
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept a half-sent request open (read %q)", b)
	}
}

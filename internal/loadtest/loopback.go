package loadtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// ErrNotLoopback refuses a target that is not on this machine's loopback.
var ErrNotLoopback = errors.New("loadtest: the server must be on loopback (127.0.0.0/8, ::1 or localhost)")

// CheckLoopback parses server, an http or https URL, and refuses it unless
// its host is a loopback address or "localhost". Names are not resolved:
// a name that resolves to loopback today may not tomorrow.
func CheckLoopback(server string) (*url.URL, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("loadtest: server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("loadtest: server URL %q: want http or https", server)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("loadtest: server URL %q: no user, query or fragment", server)
	}
	if !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, u.Host)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// isLoopbackHost reports whether host (no port) is a loopback address or
// localhost.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// sourceAddrs hands out distinct loopback source addresses,
// 127.1.0.1 onwards, when the server listens on IPv4 loopback: each
// virtual client (or each password login) comes from its own address, as
// residents do, so that the per-address throttles count per client.
type sourceAddrs struct {
	spread bool
	next   atomic.Uint32
}

// newSourceAddrs spreads clients when server's host is an IPv4 loopback
// address (a literal one: "localhost" may resolve to ::1 first).
func newSourceAddrs(server *url.URL) *sourceAddrs {
	a, err := netip.ParseAddr(server.Hostname())
	return &sourceAddrs{spread: err == nil && a.Unmap().Is4() && a.IsLoopback()}
}

// addr returns the next source address, or nil for the system's choice.
// 127.1.0.1 to 127.255.255.254 cover 16 million clients before reuse.
func (s *sourceAddrs) addr() *net.TCPAddr {
	if !s.spread {
		return nil
	}
	n := s.next.Add(1) - 1
	n %= 254 * 256 * 255
	return &net.TCPAddr{IP: net.IPv4(127, byte(1+n/(254*256)), byte(n/254%256), byte(1+n%254))}
}

// RequestTimeout bounds every request of a flow.
const RequestTimeout = 30 * time.Second

// newHTTPClient returns a client that keeps up to conns connections to the
// server, dials from local (nil: any address), follows no redirect (the
// flows check each step's answer) and, for https on loopback, accepts the
// server's certificate only when insecure is set.
func newHTTPClient(local *net.TCPAddr, conns int, insecure bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if local != nil {
		d.LocalAddr = local
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil || !isLoopbackHost(host) {
				// A redirect or a discovered endpoint pointing elsewhere is
				// never followed off this machine.
				return nil, fmt.Errorf("%w: refusing to connect to %s", ErrNotLoopback, addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback only, operator's choice (--insecure)
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

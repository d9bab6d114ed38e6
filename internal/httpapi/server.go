package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config holds the HTTP limits an operator may tune.
type Config struct {
	// MaxBodyBytes caps request bodies.
	MaxBodyBytes int64
	// ReadyTimeout bounds each readiness check.
	ReadyTimeout time.Duration
}

// DefaultConfig returns the limits netid uses unless configured otherwise.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 1 << 20, ReadyTimeout: 2 * time.Second}
}

// ReadyCheck is one dependency /readyz asks: the store, the key store, ...
// Check returns nil when the dependency can serve requests.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Server routes requests through netid's middleware chain.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	checks  []ReadyCheck
	metrics *metrics
	reg     *prometheus.Registry
	now     func() time.Time
}

// Option customises a Server.
type Option func(*Server)

// WithClock sets the clock used for latency measurement.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithReadyCheck adds a dependency to /readyz.
func WithReadyCheck(c ReadyCheck) Option { return func(s *Server) { s.checks = append(s.checks, c) } }

// New returns a Server with the operational routes registered. log must not
// be nil; wrap its handler with LogHandler so that lines carry request ids.
func New(cfg Config, log *slog.Logger, opts ...Option) *Server {
	s := &Server{
		cfg: cfg,
		log: log,
		mux: http.NewServeMux(),
		reg: prometheus.NewRegistry(),
		now: time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = newMetrics(s.reg)

	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}))

	var h http.Handler = http.HandlerFunc(s.route)
	h = s.limitBody(h)
	h = secureHeaders(h)
	h = s.recoverPanics(h)
	h = s.observe(h)
	h = withRequestID(h)
	s.handler = h
	return s
}

// Registry is where other packages register their Prometheus collectors.
func (s *Server) Registry() prometheus.Registerer { return s.reg }

// Handle registers a route; pattern follows net/http.ServeMux
// ("POST /v1/enrolments").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// route dispatches to the mux, and renders what the mux cannot route as a
// problem instead of its plain-text 404 and 405 pages.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// The mux's own handler tells 404 from 405 (and sets Allow); run it
	// into a recorder and keep only its verdict.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	switch rec.Code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.Header().Get("Allow"))
		WriteProblem(w, r, NewProblem(http.StatusMethodNotAllowed, "method-not-allowed",
			fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, rec.Header().Get("Allow"))))
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		// Path cleaning redirects (e.g. "//healthz" to "/healthz") are
		// harmless and expected by clients.
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
	default:
		WriteProblem(w, r, NewProblem(http.StatusNotFound, "not-found", "no route for "+r.URL.Path))
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type readyResult struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz runs every check; the node is ready only if all pass. The reason of
// each failure is returned so that the operator sees it without a log dive;
// it names the dependency, not secrets.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	res := readyResult{Status: "ready", Checks: map[string]string{}}
	var failed []string
	for _, c := range s.checks {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
		err := c.Check(ctx)
		cancel()
		if err != nil {
			res.Checks[c.Name] = err.Error()
			failed = append(failed, fmt.Sprintf("%s: %v", c.Name, err))
			continue
		}
		res.Checks[c.Name] = "ok"
	}
	if len(failed) > 0 {
		s.log.WarnContext(r.Context(), "not ready", "reasons", failed)
		WriteProblem(w, r, NewProblem(http.StatusServiceUnavailable, "not-ready",
			"not ready: "+strings.Join(failed, "; ")))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

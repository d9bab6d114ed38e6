package admin

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// statsReader is what the collector needs: *Service.
type statsReader interface {
	Stats(ctx context.Context, first, last time.Time) (Stats, error)
}

// Collector exports the statistics as Prometheus gauges, read from the
// store at scrape time and reused for a short time, so that frequent
// scrapes (or several Prometheis) cost one set of counting queries per
// interval. The day gauges count the current UTC day.
//
// A failed read does not fail the scrape (the process and HTTP metrics
// stay visible): the last figures read are exported again, if any, and
// netid_stats_up is 0.
type Collector struct {
	src     statsReader
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger

	mu     sync.Mutex
	last   *Stats
	readAt time.Time
	up     bool

	residents, activated, open, started, window, completed, auths, upDesc, readDesc *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// CollectorOption configures a Collector.
type CollectorOption func(*Collector)

// WithCollectorClock makes the collector read the time from now.
func WithCollectorClock(now func() time.Time) CollectorOption {
	return func(c *Collector) { c.now = now }
}

// WithCollectorLogger sets where failed reads are logged.
func WithCollectorLogger(l *slog.Logger) CollectorOption {
	return func(c *Collector) { c.log = l }
}

// DefaultStatsCacheTTL is how long the collector reuses figures.
const DefaultStatsCacheTTL = 30 * time.Second

// NewCollector returns a collector of s's statistics that reuses them for
// ttl (DefaultStatsCacheTTL when 0). Register it with the registry that
// /metrics serves.
func NewCollector(s *Service, ttl time.Duration, opts ...CollectorOption) *Collector {
	return newCollector(s, ttl, opts...)
}

func newCollector(src statsReader, ttl time.Duration, opts ...CollectorOption) *Collector {
	if ttl <= 0 {
		ttl = DefaultStatsCacheTTL
	}
	c := &Collector{src: src, ttl: ttl, timeout: 10 * time.Second, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(c)
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("netid_"+name, help, labels, nil)
	}
	c.residents = d("residents", "Enrolled residents, by account status.", "status")
	c.activated = d("residents_activated", "Residents holding a valid internet certificate (not revoked, not expired).")
	c.open = d("enrolments_open", "Enrolments in progress: neither completed nor expired.")
	c.started = d("enrolments_started", "Enrolments started within the last netid_enrolments_started_window_seconds (the enrolment lifetime), whatever their state.")
	c.window = d("enrolments_started_window_seconds", "The window netid_enrolments_started counts: the enrolment lifetime, after which enrolments are deleted.")
	c.completed = d("enrolments_completed_today", "Enrolments completed (internet numbers assigned) since 00:00 UTC today.")
	c.auths = d("authentications_today", "Logins (authorization-code token responses) since 00:00 UTC today, by relying party and assurance level.", "client_id", "level")
	c.upDesc = d("stats_up", "1 if the last read of the statistics from the store succeeded, else 0 (the figures exported are then the last ones read).")
	c.readDesc = d("stats_read_timestamp_seconds", "When the exported statistics were read from the store (Unix time).")
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.residents, c.activated, c.open, c.started, c.window, c.completed, c.auths, c.upDesc, c.readDesc} {
		ch <- d
	}
}

// read returns the figures to export, reading them again when the cached
// ones are older than the TTL. Concurrent scrapes wait for one read.
func (c *Collector) read() (*Stats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.last != nil && c.up && now.Sub(c.readAt) < c.ttl {
		return c.last, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	today := now.UTC().Truncate(day)
	st, err := c.src.Stats(ctx, today, today)
	if err != nil {
		c.log.Warn("reading statistics for /metrics failed", "err", err)
		c.up = false
		return c.last, false
	}
	c.last, c.readAt, c.up = &st, now, true
	return c.last, true
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st, up := c.read()
	upValue := 0.0
	if up {
		upValue = 1
	}
	ch <- prometheus.MustNewConstMetric(c.upDesc, prometheus.GaugeValue, upValue)
	if st == nil {
		return
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	g(c.readDesc, float64(st.Time.UnixMilli())/1000)
	for status, n := range st.Residents.ByStatus {
		g(c.residents, float64(n), status)
	}
	g(c.activated, float64(st.Residents.Activated))
	g(c.open, float64(st.Enrolments.Open))
	g(c.started, float64(st.Enrolments.Started))
	g(c.window, st.Time.Sub(st.Enrolments.StartedSince).Seconds())
	if len(st.Days) > 0 {
		today := st.Days[len(st.Days)-1]
		g(c.completed, float64(today.EnrolmentsCompleted))
		for _, a := range today.Authentications {
			g(c.auths, float64(a.Count), a.ClientID, a.Level)
		}
	}
}

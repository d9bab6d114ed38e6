package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Bounds of a run: a load test is bounded in rate, count and time.
const (
	MaxCount       = 1_000_000
	MaxDuration    = 30 * time.Minute
	MaxConcurrency = 512
	MaxRate        = 100_000
)

// RunConfig bounds a run.
type RunConfig struct {
	// Rate is the number of flows started per second (0: as fast as the
	// workers go, a closed loop).
	Rate float64
	// Count is the number of flows to run (at most MaxCount).
	Count int
	// Duration ends the run early: no flow starts after it, flows in
	// flight finish (at most MaxDuration).
	Duration time.Duration
	// Concurrency is the number of flows in flight at most (workers).
	Concurrency int
}

func (c RunConfig) check() error {
	var errs []error
	if c.Rate < 0 || c.Rate > MaxRate || math.IsNaN(c.Rate) {
		errs = append(errs, fmt.Errorf("rate %v/s, want 0 to %d", c.Rate, MaxRate))
	}
	if c.Count < 1 || c.Count > MaxCount {
		errs = append(errs, fmt.Errorf("count %d, want 1 to %d", c.Count, MaxCount))
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %v, want up to %v", c.Duration, MaxDuration))
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d, want 1 to %d", c.Concurrency, MaxConcurrency))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	return nil
}

// Flow is one kind of complete flow. A flow is prepared once (Setup, for
// each worker: sessions, wallets), then Run again and again.
type Flow interface {
	// Name is the flow's name: enrol, login, sso, verify.
	Name() string
	// Worker prepares worker i of n and returns what runs its flows.
	Worker(ctx context.Context, i, n int) (func(ctx context.Context, seq int) error, error)
}

// Result is the outcome of a run.
type Result struct {
	Flow        string         `json:"flow"`
	Server      string         `json:"server"`
	Concurrency int            `json:"concurrency"`
	OfferedRate float64        `json:"offered_rate,omitempty"`
	Started     int            `json:"started"`
	Succeeded   int            `json:"succeeded"`
	Failed      int            `json:"failed"`
	Seconds     float64        `json:"seconds"`
	Throughput  float64        `json:"throughput"` // successful flows per second
	Latency     Latency        `json:"latency_ms"`
	Errors      map[string]int `json:"errors,omitempty"`
	// Stopped says why the run ended: "count", "duration" or "interrupted".
	Stopped string `json:"stopped"`
}

// Latency summarises the durations of the successful flows, in
// milliseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// StepError is a flow's failure at one step, with the class of error that
// groups failures in the report.
type StepError struct {
	Step string
	// Kind is the class: "HTTP 503", "timeout", "connection refused",
	// "unexpected answer"...
	Kind   string
	Detail string
}

func (e *StepError) Error() string {
	if e.Detail == "" {
		return e.Step + ": " + e.Kind
	}
	return e.Step + ": " + e.Kind + ": " + e.Detail
}

// stepErr wraps err, a transport error, as the failure of step.
func stepErr(step string, err error) *StepError {
	var se *StepError
	if errors.As(err, &se) {
		return se
	}
	return &StepError{Step: step, Kind: errorKind(err), Detail: err.Error()}
}

// errorKind classes a transport error.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, os.ErrDeadlineExceeded):
		return "no local address"
	case errors.Is(err, ErrNotLoopback):
		return "not loopback"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "transport"
	}
	return "error"
}

// errorKey is how a failure is counted: step and class, without details
// that differ from flow to flow.
func errorKey(err error) string {
	var se *StepError
	if errors.As(err, &se) {
		return se.Step + ": " + se.Kind
	}
	return errorKind(err)
}

// Run runs flow f against server with the bounds of cfg and returns the
// result. It stops starting flows at cfg.Count, after cfg.Duration, or
// when ctx ends (flows in flight are then cancelled). Setup failures are
// returned as errors; flow failures are counted in the result.
func Run(ctx context.Context, server string, f Flow, cfg RunConfig) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	// Workers are prepared a few at a time: a preparation may log
	// residents in (argon2id on the server), which the bound keeps from
	// overloading it before the run starts.
	workers := make([]func(context.Context, int) error, cfg.Concurrency)
	prep, pctx := newGroup(ctx)
	slots := make(chan struct{}, 4)
	for i := range workers {
		prep.Go(func() error {
			select {
			case slots <- struct{}{}:
			case <-pctx.Done():
				return pctx.Err()
			}
			defer func() { <-slots }()
			w, err := f.Worker(pctx, i, cfg.Concurrency)
			if err != nil {
				return fmt.Errorf("loadtest: preparing %s worker %d: %w", f.Name(), i, err)
			}
			workers[i] = w
			return nil
		})
	}
	if err := prep.Wait(); err != nil {
		return nil, err
	}

	var (
		next    atomic.Int64 // sequence number of the next flow
		stopped atomic.Value
		mu      sync.Mutex
		lats    []time.Duration
		errs    = map[string]int{}
		failed  int
		wg      sync.WaitGroup
	)
	stopped.Store("count")
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	for _, run := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lats = append(lats, mine...)
				mu.Unlock()
			}()
			for {
				seq := int(next.Add(1) - 1)
				if seq >= cfg.Count {
					return
				}
				if interval > 0 {
					// Flow seq is due at start + seq × interval: an open
					// schedule, so a slow server gets fewer flows than
					// offered and the report shows it.
					if wait := time.Until(start.Add(time.Duration(seq) * interval)); wait > 0 {
						t := time.NewTimer(wait)
						select {
						case <-t.C:
						case <-runCtx.Done():
							t.Stop()
							return
						}
					}
				}
				if runCtx.Err() != nil {
					return
				}
				if !time.Now().Before(deadline) {
					stopped.Store("duration")
					return
				}
				t0 := time.Now()
				err := run(runCtx, seq)
				d := time.Since(t0)
				if err == nil {
					mine = append(mine, d)
					continue
				}
				if runCtx.Err() != nil {
					return // interrupted: not the server's failure
				}
				mu.Lock()
				failed++
				errs[errorKey(err)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		stopped.Store("interrupted")
	}
	res := &Result{
		Flow: f.Name(), Server: server, Concurrency: cfg.Concurrency, OfferedRate: cfg.Rate,
		Succeeded: len(lats), Failed: failed, Seconds: elapsed.Seconds(), Stopped: stopped.Load().(string),
		Latency: summarise(lats),
	}
	res.Started = res.Succeeded + res.Failed
	if elapsed > 0 {
		res.Throughput = float64(res.Succeeded) / elapsed.Seconds()
	}
	if len(errs) > 0 {
		res.Errors = errs
	}
	return res, nil
}

// summarise computes the latency summary: nearest-rank percentiles.
func summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(ds)))) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{Mean: ms(sum / time.Duration(len(ds))), P50: ms(rank(50)), P95: ms(rank(95)), P99: ms(rank(99)), Max: ms(ds[len(ds)-1])}
}

// WriteText prints r for a person.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "flow %s against %s: %d started, %d succeeded, %d failed in %.2fs (stopped by %s)\n",
		r.Flow, r.Server, r.Started, r.Succeeded, r.Failed, r.Seconds, r.Stopped)
	offered := "as fast as possible"
	if r.OfferedRate > 0 {
		offered = fmt.Sprintf("offered %.0f/s", r.OfferedRate)
	}
	fmt.Fprintf(&b, "throughput %.1f flows/s (%s, concurrency %d)\n", r.Throughput, offered, r.Concurrency)
	l := r.Latency
	fmt.Fprintf(&b, "latency ms: mean %.2f  p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n", l.Mean, l.P50, l.P95, l.P99, l.Max)
	if len(r.Errors) > 0 {
		b.WriteString("errors:\n")
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %6d  %s\n", r.Errors[k], k)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints r as one JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

package password

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func newDefault(b *testing.B, slots int, opts ...Option) *Hasher {
	b.Helper()
	h, err := NewHasher(DefaultParams(), slots, opts...)
	if err != nil {
		b.Fatalf("NewHasher() error = %v", err)
	}
	return h
}

// BenchmarkHashDefault is the latency of one hash with DefaultParams (two
// lanes, so up to two cores).
func BenchmarkHashDefault(b *testing.B) {
	h := newDefault(b, 1)
	ctx := context.Background()
	cpu0, ok := processCPUTime()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, ok)
}

// BenchmarkHashDefaultNoGC is BenchmarkHashDefault without the collection
// after each hash, to show what WithGCAfterHash costs.
func BenchmarkHashDefaultNoGC(b *testing.B) {
	h := newDefault(b, 1, WithGCAfterHash(false))
	ctx := context.Background()
	cpu0, ok := processCPUTime()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, ok)
}

// BenchmarkHashDefaultParallel is the throughput with one slot per core.
// hashes/s/core is measured in wall time and drops when other processes
// share the machine; cpu-ms/op is the core time one hash costs, and
// 1000/cpu-ms the hashes a dedicated core would compute per second.
func BenchmarkHashDefaultParallel(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	h := newDefault(b, procs, WithMaxWait(time.Hour))
	ctx := context.Background()
	start := time.Now()
	cpu0, ok := processCPUTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds()/float64(procs), "hashes/s/core")
	reportCPU(b, cpu0, ok)
}

// reportCPU reports the process's CPU time per operation since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration, ok bool) {
	if cpu1, ok1 := processCPUTime(); ok && ok1 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkVerifyDefault is the latency of a successful login's check.
func BenchmarkVerifyDefault(b *testing.B) {
	h := newDefault(b, 1)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	cpu0, ok := processCPUTime()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", encoded); !ok || err != nil {
			b.Fatalf("Verify() = %v, %v", ok, err)
		}
	}
	reportCPU(b, cpu0, ok)
}

// BenchmarkBurst1000 launches 1,000 simultaneous Hash calls with
// DefaultParams and 4 slots, with and without the collection after each
// hash, and reports the peak heap. With a queue of 1,000 and no wait
// limit every call completes: at roughly 20 to 60 hashes a second on a
// small machine, one iteration takes tens of seconds.
func BenchmarkBurst1000(b *testing.B) {
	for _, gc := range []bool{true, false} {
		b.Run(fmt.Sprintf("gc=%v", gc), func(b *testing.B) {
			h := newDefault(b, 4, WithGCAfterHash(gc), WithMaxQueue(1000), WithMaxWait(time.Hour))
			var heap, sys float64
			for b.Loop() {
				runtime.GC()
				s := startHeapSampler()
				ok, busy := burst(b, h, 1000)
				h, o := s.Stop()
				heap, sys = max(heap, h), max(sys, o)
				if ok != 1000 || busy != 0 {
					b.Fatalf("%d hashed, %d busy, want 1000, 0", ok, busy)
				}
			}
			b.ReportMetric(heap, "peak-heap-MiB")
			b.ReportMetric(sys, "peak-sys-MiB")
		})
	}
}

func BenchmarkPolicyCheck(b *testing.B) {
	p := DefaultPolicy()
	commonWords()
	for b.Loop() {
		if err := p.Check("correct horse battery staple", residentContext...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildCommonWords is the one-time cost of the blocklist, paid
// by the first Policy.Check.
func BenchmarkBuildCommonWords(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(buildCommonWords()) == 0 {
			b.Fatal("empty blocklist")
		}
	}
}

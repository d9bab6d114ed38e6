package translog_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// TestCheckpointServedOnce checks that every node serves the first
// checkpoint signed for a size, and that times never go backwards.
func TestCheckpointServedOnce(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, suite.Intl)
		if _, err := e.log.LatestCheckpoint(e.ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestCheckpoint() of a new log = %v, want store.ErrNotFound", err)
		}
		e.appendN(t, residents, 0, 4)
		first, err := e.log.Checkpoint(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Hour)
		other := e.newLog(t, e.keys)
		for _, l := range []*translog.Log{e.log, other} {
			again, err := l.Checkpoint(e.ctx)
			if err != nil || !bytes.Equal(again.Note, first.Note) {
				t.Errorf("Checkpoint() of the same size = %q, %v; want the stored %q", again.Note, err, first.Note)
			}
			latest, err := l.LatestCheckpoint(e.ctx)
			if err != nil || !bytes.Equal(latest.Note, first.Note) || latest.Size != 4 {
				t.Errorf("LatestCheckpoint() = %+v, %v; want the checkpoint of 4", latest.Checkpoint, err)
			}
		}
		// A node whose clock is behind signs no earlier time.
		e.appendN(t, residents, 10, 1)
		e.clock.Add(-2 * time.Hour)
		next, err := other.Checkpoint(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if next.Time.Before(first.Time) {
			t.Errorf("checkpoint time %v is before the previous %v", next.Time, first.Time)
		}
	})
}

// TestCheckpointKeyRotation checks checkpoints across a rotation of the
// log-signing key: each verifies with the key that signed it, the new one
// not with the old key alone, and a note from an unknown key not at all.
func TestCheckpointKeyRotation(t *testing.T) {
	for _, name := range suite.Names() {
		t.Run(string(name), func(t *testing.T) {
			e := newEnv(t, "sqlite", name)
			oldAuditor := e.auditor(t)
			e.appendN(t, residents, 0, 2)
			before, err := e.log.Checkpoint(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.keys.Rotate(e.ctx, keystore.LogSigning); err != nil {
				t.Fatal(err)
			}
			e.appendN(t, residents, 10, 2)
			after, err := e.log.Checkpoint(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			both := e.auditor(t)
			vkeys, err := e.log.VerifierKeys()
			if err != nil || len(vkeys) != 2 {
				t.Fatalf("VerifierKeys() = %d keys, %v; want 2 (active and retiring)", len(vkeys), err)
			}
			for _, sc := range []translog.SignedCheckpoint{before, after} {
				if _, err := both.VerifyCheckpoint(sc.Note); err != nil {
					t.Errorf("VerifyCheckpoint(size %d) with both keys = %v, want nil", sc.Size, err)
				}
			}
			if _, err := oldAuditor.VerifyCheckpoint(before.Note); err != nil {
				t.Errorf("VerifyCheckpoint(before) with the old key = %v, want nil", err)
			}
			if _, err := oldAuditor.VerifyCheckpoint(after.Note); !errors.Is(err, translog.ErrBadSignature) {
				t.Errorf("VerifyCheckpoint(after) with the old key only = %v, want ErrBadSignature", err)
			}
			// The checkpoint note opens with x/mod's own parser and our
			// verifier, as a witness would open it.
			v, err := translog.ParseVerifierKey(vkeys[len(vkeys)-1])
			if err != nil {
				t.Fatal(err)
			}
			n, err := note.Open(after.Note, note.VerifierList(v))
			if err != nil || len(n.Sigs) != 1 {
				t.Errorf("note.Open(after) = %+v, %v; want one verified signature", n, err)
			}
		})
	}
}

func TestPublisher(t *testing.T) {
	e := newEnv(t, "sqlite", suite.Intl)
	p, err := translog.NewPublisher(e.log, 10*time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, want bool) {
		t.Helper()
		cp, ok, err := p.PublishIfDue(e.ctx)
		if err != nil || ok != want {
			t.Fatalf("%s: PublishIfDue() = %v, %v; want %v, nil", name, ok, err, want)
		}
		if ok {
			latest, err := e.log.LatestCheckpoint(e.ctx)
			if err != nil || latest.Size != cp.Size {
				t.Fatalf("%s: LatestCheckpoint() = %d, %v; want the published %d", name, latest.Size, err, cp.Size)
			}
		}
	}
	step("empty log", false)
	e.appendN(t, residents, 0, 1)
	step("first entry", true)
	e.appendN(t, residents, 1, 1)
	step("grew, too soon", false)
	e.clock.Add(10 * time.Minute)
	step("grew, interval passed", true)
	e.clock.Add(time.Hour)
	step("did not grow", false)

	if _, err := translog.NewPublisher(e.log, 0, slog.Default()); !errors.Is(err, translog.ErrConfig) {
		t.Errorf("NewPublisher(interval 0) = %v, want ErrConfig", err)
	}
}

// TestPublisherRun checks that Run publishes and stops with its context.
func TestPublisherRun(t *testing.T) {
	e := newEnv(t, "sqlite", suite.Intl)
	e.appendN(t, residents, 0, 3)
	p, err := translog.NewPublisher(e.log, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	// Run publishes on its first pass; wait for it, then stop it.
	for {
		if latest, err := e.log.LatestCheckpoint(e.ctx); err == nil {
			if latest.Size != 3 {
				t.Errorf("published size = %d, want 3", latest.Size)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

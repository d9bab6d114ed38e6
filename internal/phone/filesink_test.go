package phone

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	s, err := NewFileSink(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.now = func() time.Time { return time.Date(2025, 7, 15, 8, 0, 0, 123e6, time.FixedZone("CST", 8*3600)) }
	if err := s.Send(context.Background(), testMessage(t)); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode = %v, want 0600", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("line %q: %v", data, err)
	}
	m := testMessage(t)
	want := map[string]string{
		"time": "2025-07-15T00:00:00.123Z", "id": m.ID, "to": "+8613800138000", "text": m.Text,
		"code": "654321", "purpose": "enrol", "binding": "enr-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("line (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(string(data), "}\n") || strings.Count(string(data), "\n") != 1 {
		t.Errorf("file %q is not one newline-terminated line", data)
	}
}

// TestFileSinkConcurrent sends from many goroutines through two sinks on
// the same file and checks that every line is whole and parses.
func TestFileSinkConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	sinks := make([]*FileSink, 2)
	for i := range sinks {
		s, err := NewFileSink(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sinks[i] = s
	}
	const workers, each = 8, 50
	long := strings.Repeat("长", 2000) // lines of several KiB
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m := testMessage(t)
				m.ID = fmt.Sprintf("%d-%d", w, i)
				m.Text = long
				if err := sinks[w%2].Send(context.Background(), m); err != nil {
					t.Errorf("Send() = %v", err)
				}
			}
		})
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l sinkLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d does not parse: %v", len(seen)+1, err)
		}
		if l.Text != long || seen[l.ID] {
			t.Fatalf("line %q is damaged or repeated", l.ID)
		}
		seen[l.ID] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != workers*each {
		t.Errorf("%d lines, want %d", len(seen), workers*each)
	}
}

func TestFileSinkRefusals(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.jsonl")
	if err := os.WriteFile(open, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	if _, err := NewFileSink(open); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("NewFileSink(0644 file) = %v, want a refusal naming chmod 600", err)
	}
	if _, err := NewFileSink(""); err == nil {
		t.Errorf("NewFileSink(\"\") = nil error")
	}
	if _, err := NewFileSink(filepath.Join(dir, "missing", "sms.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NewFileSink(missing dir) = %v, want ErrNotExist", err)
	}

	s, err := NewFileSink(filepath.Join(dir, "ok.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, testMessage(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("Send(cancelled) = %v, want context.Canceled", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), testMessage(t)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Send() after Close = %v, want fs.ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

// TestFileSinkWithVerifier runs the whole flow through the sink: a
// developer reads the code from the file and verifies it.
func TestFileSinkWithVerifier(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	sink, err := NewFileSink(path)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	v, err := New(newMemStore(), sink, WithKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Send(ctx, "enrol", "enr-9", mustNumber(t, "+86 139 0013 9000")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var l sinkLine
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	if l.To != "+8613900139000" || l.Binding != "enr-9" || !strings.Contains(l.Text, l.Code) {
		t.Errorf("line = %+v, want the number, binding and a text with the code", l)
	}
	if err := v.Verify(ctx, "enrol", "enr-9", l.Code); err != nil {
		t.Errorf("Verify(code from the sink) = %v, want nil", err)
	}
}

package sqlstore

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []string // names in order
		wantErr string
	}{
		{name: "sorted by version, not by name", fsys: fstest.MapFS{
			"0010_ten.sql": file("x"), "0002_two.sql": file("x"), "0001_init.sql": file("x"),
			"README.md": file("ignored"), "sub/0003_nested.sql": file("ignored"),
		}, want: []string{"0001_init", "0002_two", "0010_ten"}},
		{name: "five digits", fsys: fstest.MapFS{"10000_big.sql": file("x"), "0001_a.sql": file("x")},
			want: []string{"0001_a", "10000_big"}},
		{name: "no number", fsys: fstest.MapFS{"init.sql": file("x")}, wantErr: "want NNNN_name.sql"},
		{name: "short number", fsys: fstest.MapFS{"001_init.sql": file("x")}, wantErr: "want NNNN_name.sql"},
		{name: "upper case", fsys: fstest.MapFS{"0001_Init.sql": file("x")}, wantErr: "want NNNN_name.sql"},
		{name: "version zero", fsys: fstest.MapFS{"0000_zero.sql": file("x")}, wantErr: "positive"},
		{name: "same version twice", fsys: fstest.MapFS{"0001_a.sql": file("x"), "00001_b.sql": file("x")}, wantErr: "same version 1"},
		{name: "empty file", fsys: fstest.MapFS{"0001_a.sql": file(" \n\t")}, wantErr: "empty"},
		{name: "nothing", fsys: fstest.MapFS{"README": file("x")}, wantErr: "no migrations"},
	}
	for _, tt := range tests {
		ms, err := loadMigrations(tt.fsys)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: loadMigrations() error = %v, want one containing %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: loadMigrations() error = %v", tt.name, err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.name)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: loadMigrations() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	p := retryPolicy{attempts: 100, base: 2 * time.Millisecond, max: 250 * time.Millisecond}
	for attempt := 1; attempt <= 100; attempt++ {
		step := p.max
		if attempt <= 8 { // 2ms << 7 = 256ms > max
			step = min(p.base<<(attempt-1), p.max)
		}
		for range 20 {
			if d := p.delay(attempt); d < step/2 || d > step {
				t.Fatalf("delay(%d) = %v, want within [%v, %v]", attempt, d, step/2, step)
			}
		}
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{ClassOther: "other", ClassConflict: "conflict", ClassRetry: "retry", ClassUnavailable: "unavailable", Class(9): "Class(?)"} {
		if got := c.String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", int(c), got, want)
		}
	}
}

package translog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testRoot = bytes.Repeat([]byte{0x5a}, HashSize)

const testRootB64 = "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo="

func TestCheckpointText(t *testing.T) {
	cp := Checkpoint{Origin: "id.example.cn/translog", Size: 1234, Root: testRoot, Time: time.Unix(1752573600, 0).UTC()}
	got, err := cp.Text()
	if err != nil {
		t.Fatal(err)
	}
	want := "id.example.cn/translog\n1234\n" + testRootB64 + "\ntime 1752573600\n"
	if got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	back, err := ParseCheckpoint(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cp, back); diff != "" {
		t.Errorf("ParseCheckpoint(Text()) mismatch (-want +got):\n%s", diff)
	}

	for _, bad := range []Checkpoint{
		{Origin: "", Size: 1, Root: testRoot},
		{Origin: "a b", Size: 1, Root: testRoot},
		{Origin: "a+b", Size: 1, Root: testRoot},
		{Origin: "a", Size: 1 << 63, Root: testRoot},
		{Origin: "a", Size: 1, Root: testRoot[:31]},
		{Origin: "a", Size: 1, Root: testRoot, Time: time.Unix(1, 5)},
		{Origin: "a", Size: 1, Root: testRoot, Time: time.Unix(-1, 0)},
	} {
		if _, err := bad.Text(); !errors.Is(err, ErrMalformed) {
			t.Errorf("Text(%+v) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	good := "log.example/x\n7\n" + testRootB64 + "\ntime 0\n"
	if _, err := ParseCheckpoint(good); err != nil {
		t.Fatalf("ParseCheckpoint(%q) = %v, want nil", good, err)
	}
	tests := []struct{ name, text string }{
		{"empty", ""},
		{"no final newline", strings.TrimSuffix(good, "\n")},
		{"three lines", "log.example/x\n7\n" + testRootB64 + "\n"},
		{"five lines", good + "x\n"},
		{"empty origin", "\n7\n" + testRootB64 + "\ntime 0\n"},
		{"origin with a space", "log example\n7\n" + testRootB64 + "\ntime 0\n"},
		{"size with a leading zero", "log.example/x\n07\n" + testRootB64 + "\ntime 0\n"},
		{"negative size", "log.example/x\n-7\n" + testRootB64 + "\ntime 0\n"},
		{"size with a plus", "log.example/x\n+7\n" + testRootB64 + "\ntime 0\n"},
		{"size 2^63", "log.example/x\n9223372036854775808\n" + testRootB64 + "\ntime 0\n"},
		{"root too short", "log.example/x\n7\nWlpa\ntime 0\n"},
		{"root not base64", "log.example/x\n7\n" + strings.Repeat("!", 44) + "\ntime 0\n"},
		{"root without padding", "log.example/x\n7\n" + strings.TrimSuffix(testRootB64, "=") + "\ntime 0\n"},
		{"root with non-zero padding bits", "log.example/x\n7\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlp=\ntime 0\n"},
		{"no time line", "log.example/x\n7\n" + testRootB64 + "\nwhen 0\n"},
		{"time with a leading zero", "log.example/x\n7\n" + testRootB64 + "\ntime 01\n"},
		{"time in RFC 3339", "log.example/x\n7\n" + testRootB64 + "\ntime 2025-07-15T10:00:00Z\n"},
		{"CRLF", "log.example/x\r\n7\r\n" + testRootB64 + "\r\ntime 0\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if cp, err := ParseCheckpoint(tt.text); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseCheckpoint(%q) = %+v, %v; want ErrMalformed", tt.text, cp, err)
			}
		})
	}
}

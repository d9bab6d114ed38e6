package translog

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testLogID is a valid log id: 32 bytes 0x00, 0x01, ... 0x1f.
var testLogID = func() LogID {
	b := make([]byte, HashSize)
	for i := range b {
		b[i] = byte(i)
	}
	return LogID(base64.RawURLEncoding.EncodeToString(b))
}()

func TestLeafRoundTrip(t *testing.T) {
	prev := bytes.Repeat([]byte{0xab}, HashSize)
	for i, k := range kinds {
		l := Leaf{LogID: testLogID, Seq: uint64(i + 1), Entry: sample(k, i)}
		if i > 0 {
			l.Prev = prev
		}
		t.Run(string(k), func(t *testing.T) {
			b, err := l.Encode()
			if err != nil {
				t.Fatalf("Encode() error = %v", err)
			}
			got, err := DecodeLeaf(b)
			if err != nil {
				t.Fatalf("DecodeLeaf() error = %v", err)
			}
			if diff := cmp.Diff(l, got); diff != "" {
				t.Errorf("DecodeLeaf(Encode()) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLeafEncodingGolden spells out the version-1 layout byte by byte, so
// that a change of the format cannot pass unnoticed.
func TestLeafEncodingGolden(t *testing.T) {
	e := sample(KindLawfulAccess, 0)
	l := Leaf{LogID: testLogID, Seq: 2, Prev: bytes.Repeat([]byte{0xee}, HashSize), Entry: e}
	var want []byte
	str := func(s string) { want = append(append(want, byte(len(s))), s...) }
	want = append(want, 1)
	for i := range HashSize {
		want = append(want, byte(i))
	}
	want = binary.BigEndian.AppendUint64(want, 2)
	want = append(append(want, 32), bytes.Repeat([]byte{0xee}, 32)...)
	want = append(want, 7) // lawful-access
	want = binary.BigEndian.AppendUint64(want, uint64(e.Time.UnixMicro()))
	str("lawful-access-0000")
	str("")
	want = append(want, 2)
	str("document_number")
	str("name")
	str("")
	str("")
	str("case-0")
	str("PSB-110000")
	str("CPL-2018/art.54(2)")
	want = binary.BigEndian.AppendUint64(append(want, 1), uint64(e.NoticeDelayedUntil.UnixMicro()))

	got, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Encode() =\n%x\nwant\n%x", got, want)
	}
}

func TestDecodeLeafRejects(t *testing.T) {
	good, err := Leaf{LogID: testLogID, Seq: 1, Entry: sample(KindAccountEvent, 3)}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	second, err := Leaf{LogID: testLogID, Seq: 2, Prev: make([]byte, HashSize), Entry: sample(KindCertificateIssued, 3)}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Offsets in good: version 0, log id 1..32, seq 33..40, prev length 41,
	// kind 42, time 43..50, id length 51.
	mod := func(b []byte, f func([]byte) []byte) []byte { return f(bytes.Clone(b)) }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"version 2", mod(good, func(b []byte) []byte { b[0] = 2; return b }), ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"trailing byte", append(bytes.Clone(good), 0), ErrMalformed},
		{"sequence 0", mod(good, func(b []byte) []byte { b[40] = 0; return b }), ErrMalformed},
		{"first entry with a previous hash", mod(second, func(b []byte) []byte { b[40] = 1; return b }), ErrMalformed},
		{"later entry without a previous hash", mod(good, func(b []byte) []byte { b[40] = 2; return b }), ErrMalformed},
		{"kind code 0", mod(good, func(b []byte) []byte { b[42] = 0; return b }), ErrMalformed},
		{"kind code 8", mod(good, func(b []byte) []byte { b[42] = 8; return b }), ErrMalformed},
		{"account event as a disclosure", mod(good, func(b []byte) []byte { b[42] = 1; return b }), ErrInvalidEntry},
		{"time before 1970", mod(good, func(b []byte) []byte { b[43] = 0xff; return b }), ErrInvalidEntry},
		{"notice flag 2", mod(good, func(b []byte) []byte { b[len(b)-1] = 2; return b }), ErrMalformed},
		{"id with a space", mod(good, func(b []byte) []byte { b[52] = ' '; return b }), ErrInvalidEntry},
		{"string length beyond the end", mod(good, func(b []byte) []byte { b[51] = 0xff; return b }), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeLeaf(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("DecodeLeaf() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLeafValidate(t *testing.T) {
	e := sample(KindDisclosure, 1)
	tests := []struct {
		name string
		l    Leaf
	}{
		{"bad log id", Leaf{LogID: "not-a-log-id", Seq: 1, Entry: e}},
		{"log id of 31 bytes", Leaf{LogID: LogID(base64.RawURLEncoding.EncodeToString(make([]byte, 31))), Seq: 1, Entry: e}},
		{"padded log id", Leaf{LogID: testLogID + "=", Seq: 1, Entry: e}},
		{"sequence 0", Leaf{LogID: testLogID, Entry: e}},
		{"short previous hash", Leaf{LogID: testLogID, Seq: 2, Prev: make([]byte, 31), Entry: e}},
		{"invalid entry", Leaf{LogID: testLogID, Seq: 1, Entry: Entry{Kind: KindDisclosure}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.l.Encode(); err == nil {
				t.Error("Encode() = nil error, want one")
			}
		})
	}
}

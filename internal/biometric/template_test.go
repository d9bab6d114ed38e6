package biometric

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTemplateRoundTrip(t *testing.T) {
	tests := []Template{
		{Extractor: "x", Vector: []float32{1}},
		{Extractor: "vendor-face/4.2.1", Vector: []float32{0.5, -0.25, 1e-30, -3.4e38}},
		{Extractor: strings.Repeat("n", MaxExtractorName), Vector: make([]float32, MaxTemplateDim)},
	}
	tests[2].Vector[MaxTemplateDim-1] = 1
	for _, want := range tests {
		b, err := want.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(%v): %v", want, err)
		}
		var got Template
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(%v): %v", want, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip of %v (-want +got):\n%s", want, diff)
		}
	}
}

func TestTemplateEncoding(t *testing.T) {
	tpl := Template{Extractor: "ab", Vector: []float32{1, -2}}
	got, err := tpl.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{'N', 'I', 'D', 'T', 1, 2, 'a', 'b', 0, 2, 0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
}

func TestTemplateRefuses(t *testing.T) {
	valid, _ := (&Template{Extractor: "ab", Vector: []float32{1, 2}}).MarshalBinary()
	withDim := func(d uint16) []byte {
		b := append([]byte("NIDT\x01\x02ab"), 0, 0)
		binary.BigEndian.PutUint16(b[8:], d)
		return append(b, make([]byte, 4*int(d))...)
	}
	nan := append([]byte(nil), valid...)
	binary.BigEndian.PutUint32(nan[10:], math.Float32bits(float32(math.NaN())))
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"bad magic", append([]byte("XIDT"), valid[4:]...)},
		{"version 2", append([]byte("NIDT\x02"), valid[5:]...)},
		{"empty name", []byte("NIDT\x01\x00\x00\x01\x3f\x80\x00\x00")},
		{"name with space", []byte("NIDT\x01\x02a \x00\x01\x3f\x80\x00\x00")},
		{"name too long", append(append([]byte("NIDT\x01\x41"), strings.Repeat("a", 65)...), 0, 1, 0x3f, 0x80, 0, 0)},
		{"truncated header", valid[:7]},
		{"dimension 0", withDim(0)},
		{"dimension over the limit", withDim(MaxTemplateDim + 1)},
		{"all zero", withDim(3)},
		{"truncated values", valid[:len(valid)-1]},
		{"trailing byte", append(append([]byte(nil), valid...), 0)},
		{"NaN value", nan},
		{"larger than any template", make([]byte, MaxTemplateSize+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Template{Extractor: "unchanged"}
			err := got.UnmarshalBinary(tt.in)
			if !errors.Is(err, ErrBadTemplate) {
				t.Errorf("got %v, want %v", err, ErrBadTemplate)
			}
			if got.Extractor != "unchanged" {
				t.Errorf("template changed on error: got %v", got)
			}
		})
	}
}

func TestTemplateValidate(t *testing.T) {
	tests := []struct {
		name string
		t    *Template
	}{
		{"nil", nil},
		{"no extractor", &Template{Vector: []float32{1}}},
		{"no vector", &Template{Extractor: "x"}},
		{"too long", &Template{Extractor: "x", Vector: append(make([]float32, MaxTemplateDim), 1)}},
		{"infinite", &Template{Extractor: "x", Vector: []float32{float32(math.Inf(1))}}},
		{"zero", &Template{Extractor: "x", Vector: []float32{0, 0}}},
	}
	for _, tt := range tests {
		if err := tt.t.Validate(); !errors.Is(err, ErrBadTemplate) {
			t.Errorf("%s: got %v, want %v", tt.name, err, ErrBadTemplate)
		}
		if _, err := tt.t.MarshalBinary(); !errors.Is(err, ErrBadTemplate) {
			t.Errorf("%s: MarshalBinary: got %v, want %v", tt.name, err, ErrBadTemplate)
		}
	}
}

func TestCosine(t *testing.T) {
	tpl := func(name string, v ...float32) *Template { return &Template{Extractor: name, Vector: v} }
	tests := []struct {
		name    string
		a, b    *Template
		want    float64
		wantErr error
	}{
		{"identical", tpl("x", 1, 2, 3), tpl("x", 1, 2, 3), 1, nil},
		{"scaled", tpl("x", 1, 2, 3), tpl("x", 10, 20, 30), 1, nil},
		{"opposite", tpl("x", 1, -1), tpl("x", -1, 1), -1, nil},
		{"orthogonal", tpl("x", 1, 0), tpl("x", 0, 5), 0, nil},
		{"other extractor", tpl("x", 1, 0), tpl("y", 1, 0), 0, ErrIncompatibleTemplates},
		{"other dimension", tpl("x", 1, 0), tpl("x", 1, 0, 0), 0, ErrIncompatibleTemplates},
		{"invalid", tpl("x", 0, 0), tpl("x", 1, 0), 0, ErrBadTemplate},
	}
	for _, tt := range tests {
		got, err := Cosine(tt.a, tt.b)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: got error %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNoBiometricBytesInOutput checks that printing or logging a template,
// a capture or a reference shows only a summary.
func TestNoBiometricBytesInOutput(t *testing.T) {
	tpl := Template{Extractor: "x", Vector: []float32{0.123456, 0.654321}}
	img := []byte{0xFF, 0xD8, 0xFF, 0xAB, 0xCD, 0xEF}
	var logged bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{ReplaceAttr: noTime}))
	log.Info("x", "t", tpl, "tp", &tpl, "c", Capture{Image: img}, "r", Reference{Template: &tpl})
	outputs := []string{
		fmt.Sprintf("%v %+v %#v %s", tpl, tpl, tpl, &tpl),
		fmt.Sprintf("%v %+v %#v %s %x", Capture{Image: img}, Capture{Image: img}, Capture{Image: img}, Capture{Image: img}, Capture{Image: img}),
		fmt.Sprintf("%v %+v %#v", Reference{Image: img}, Reference{Template: &tpl}, Reference{Image: img}),
		logged.String(),
	}
	for _, out := range outputs {
		for _, leak := range []string{"0.123", "0.654", "171", "abcdef", "ab cd", "[255"} {
			if strings.Contains(out, leak) {
				t.Errorf("output %q contains %q", out, leak)
			}
		}
	}
}

func FuzzUnmarshalTemplate(f *testing.F) {
	for _, tpl := range []Template{
		{Extractor: "x", Vector: []float32{1}},
		{Extractor: AppearanceName, Vector: []float32{0.5, -0.5, 0.25}},
	} {
		b, _ := tpl.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte("NIDT\x01\x01x\xff\xff"))
	f.Add([]byte("NIDT\x01\x01x\x00\x01\x7f\xc0\x00\x00"))
	f.Add([]byte("NIDT\x01\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tpl Template
		if err := tpl.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrBadTemplate) {
				t.Fatalf("error %v does not wrap ErrBadTemplate", err)
			}
			return
		}
		// What decodes is valid and re-encodes to the same bytes: the
		// encoding is canonical.
		if err := tpl.Validate(); err != nil {
			t.Fatalf("decoded template invalid: %v", err)
		}
		again, err := tpl.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs:\n got % x\nwant % x", again, data)
		}
	})
}

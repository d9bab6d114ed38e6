package emrtd

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadTLV(t *testing.T) {
	long := bytes.Repeat([]byte{0xAB}, 300)
	tests := []struct {
		name        string
		in          []byte
		wantTag     uint32
		wantValue   []byte
		wantRest    []byte
		constructed bool
		wantErr     bool
	}{
		{name: "short form", in: []byte{0x5F, 0x1F, 0x02, 'A', 'B', 0xFF}, wantTag: 0x5F1F, wantValue: []byte("AB"), wantRest: []byte{0xFF}},
		{name: "constructed", in: []byte{0x61, 0x00}, wantTag: 0x61, wantValue: []byte{}, constructed: true},
		{name: "long form, two bytes", in: append([]byte{0x04, 0x82, 0x01, 0x2C}, long...), wantTag: 0x04, wantValue: long},
		{name: "long form, non-minimal (BER)", in: []byte{0x04, 0x81, 0x01, 0x07}, wantTag: 0x04, wantValue: []byte{7}},
		{name: "three-byte tag", in: []byte{0x5F, 0x81, 0x01, 0x00}, wantTag: 0x5F8101, wantValue: []byte{}},
		{name: "four-byte tag", in: []byte{0x5F, 0x81, 0x81, 0x01, 0x00}, wantErr: true},
		{name: "indefinite length", in: []byte{0x61, 0x80, 0x00, 0x00}, wantErr: true},
		{name: "five length bytes", in: []byte{0x04, 0x85, 0, 0, 0, 0, 1, 0}, wantErr: true},
		{name: "length past the end", in: []byte{0x04, 0x05, 1, 2}, wantErr: true},
		{name: "huge length", in: []byte{0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}, wantErr: true},
		{name: "truncated tag", in: []byte{0x5F}, wantErr: true},
		{name: "missing length", in: []byte{0x61}, wantErr: true},
		{name: "padding byte", in: []byte{0x00, 0x00}, wantErr: true},
		{name: "empty", in: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := ReadTLV(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("ReadTLV() error = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadTLV() = %v", err)
			}
			if got.Tag != tt.wantTag || got.Constructed != tt.constructed || !bytes.Equal(got.Value, tt.wantValue) || !bytes.Equal(rest, tt.wantRest) {
				t.Errorf("ReadTLV() = tag %X constructed %v value %X rest %X, want %X %v %X %X",
					got.Tag, got.Constructed, got.Value, rest, tt.wantTag, tt.constructed, tt.wantValue, tt.wantRest)
			}
		})
	}
}

func TestParseTLVDepth(t *testing.T) {
	nested := []byte{0x04, 0x00}
	for i := 0; i < MaxTLVDepth+1; i++ {
		nested = tlvBytes(0x30, nested)
	}
	if _, err := ParseTLV(nested); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseTLV(%d levels) = %v, want ErrMalformed", MaxTLVDepth+2, err)
	}
	shallow := tlvBytes(0x30, tlvBytes(0x30, []byte{0x04, 0x01, 0x07}))
	got, err := ParseTLV(shallow)
	if err != nil {
		t.Fatalf("ParseTLV() = %v", err)
	}
	if inner := got.Children[0].Children[0]; inner.Tag != 0x04 || !bytes.Equal(inner.Value, []byte{7}) {
		t.Errorf("ParseTLV() innermost = %+v, want 04 07", inner)
	}
	if _, err := ParseTLV(append(shallow, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseTLV() with trailing data = %v, want ErrMalformed", err)
	}
}

func TestParseDG1(t *testing.T) {
	td3 := mrzTD3(t, "340101")
	td1 := "I<UTOD231458907<<<<<<<<<<<<<<<" + "7408122F1204159UTO<<<<<<<<<<<6" + "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
	tests := []struct {
		name      string
		in        []byte
		wantLines []string
		wantErr   bool
	}{
		{name: "TD3", in: buildDG1(td3), wantLines: strings.Split(td3, "\n")},
		{name: "TD1", in: buildDG1(td1), wantLines: []string{td1[:30], td1[30:60], td1[60:]}},
		{name: "TD2", in: buildDG1(strings.Repeat("A", 72)), wantLines: []string{strings.Repeat("A", 36), strings.Repeat("A", 36)}},
		{name: "wrong length", in: buildDG1(strings.Repeat("A", 80)), wantErr: true},
		{name: "lower case", in: buildDG1(strings.ToLower(td1)), wantErr: true},
		{name: "wrong tag", in: tlvBytes(0x75, tlvBytes(0x5F1F, []byte(td1))), wantErr: true},
		{name: "no MRZ element", in: tlvBytes(TagDG1, tlvBytes(0x5F20, []byte(td1))), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDG1(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("ParseDG1() error = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDG1() = %v", err)
			}
			if diff := cmp.Diff(tt.wantLines, got.Lines); diff != "" {
				t.Errorf("Lines mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDG2(t *testing.T) {
	jp2 := append([]byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}, make([]byte, 50)...)
	record := buildFacialRecord(testJPEG, 0, 480, 640)
	tests := []struct {
		name    string
		in      []byte
		want    FaceImage
		wantErr string
	}{
		{name: "JPEG", in: buildDG2(record), want: FaceImage{Format: ImageJPEG, Width: 480, Height: 640, Data: testJPEG, Size: len(testJPEG)}},
		{name: "JPEG 2000", in: buildDG2(buildFacialRecord(jp2, 1, 300, 400)), want: FaceImage{Format: ImageJPEG2000, Width: 300, Height: 400, Data: jp2, Size: len(jp2)}},
		{name: "declared JPEG 2000, data JPEG", in: buildDG2(buildFacialRecord(testJPEG, 1, 1, 1)), wantErr: "declared JPEG 2000"},
		{name: "unknown image type", in: buildDG2(buildFacialRecord(testJPEG, 7, 1, 1)), wantErr: "image data type 7"},
		{name: "bad format identifier", in: buildDG2(append([]byte("FAB\x00"), record[4:]...)), wantErr: "format identifier"},
		{name: "record length beyond the block", in: buildDG2(append(append(append([]byte(nil), record[:8]...), 0x7F, 0, 0, 0), record[12:]...)), wantErr: "record length"},
		{name: "truncated image", in: buildDG2(record[:len(record)-10]), wantErr: "record length"},
		{name: "39794-5 encoding", in: tlvBytes(TagDG2, tlvBytes(0x7F61, tlvBytes(0x7F60, append(tlvBytes(0xA1, nil), tlvBytes(0x7F2E, nil)...)))), wantErr: "39794-5"},
		{name: "no template", in: tlvBytes(TagDG2, tlvBytes(0x7F61, tlvBytes(0x02, []byte{1}))), wantErr: "7F60"},
		{name: "count mismatch", in: tlvBytes(TagDG2, tlvBytes(0x7F61, append(tlvBytes(0x02, []byte{2}),
			tlvBytes(0x7F60, append(tlvBytes(0xA1, nil), tlvBytes(0x5F2E, record)...))...))), wantErr: "instance count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDG2(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseDG2() error = %v, want ErrMalformed mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDG2() = %v", err)
			}
			if diff := cmp.Diff([]FaceImage{tt.want}, got.Faces); diff != "" {
				t.Errorf("Faces mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCOM(t *testing.T) {
	got, err := ParseCOM(buildCOM(1, 2, 11, 12, 14, 15))
	if err != nil {
		t.Fatalf("ParseCOM() = %v", err)
	}
	want := &COM{LDSVersion: "01.07", UnicodeVersion: "04.00.00", DataGroups: []int{1, 2, 11, 12, 14, 15}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseCOM() mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range [][]byte{
		tlvBytes(TagCOM, tlvBytes(0x5C, []byte{0x77})),                     // EF.SOD is not a data group
		tlvBytes(TagCOM, tlvBytes(0x5F01, []byte("01x7"))),                 // no tag list, bad version
		tlvBytes(TagDG1, tlvBytes(0x5C, []byte{0x61})),                     // wrong tag
		append(tlvBytes(TagCOM, tlvBytes(0x5C, []byte{0x61})), 0x00, 0x00), // trailing bytes
	} {
		if _, err := ParseCOM(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCOM(%X) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestDataGroupTags(t *testing.T) {
	for n := 1; n <= 16; n++ {
		if got := DataGroupForTag(DataGroupTag(n)); got != n {
			t.Errorf("DataGroupForTag(DataGroupTag(%d)) = %d", n, got)
		}
	}
	if DataGroupTag(0) != 0 || DataGroupTag(17) != 0 || DataGroupForTag(0x77) != 0 {
		t.Errorf("out-of-range data groups should map to 0")
	}
}

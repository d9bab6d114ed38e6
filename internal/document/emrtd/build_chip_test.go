package emrtd

// Test chips: MRZ, DG1, DG2 (an ISO/IEC 19794-5 facial record), EF.COM and
// a chip dump with its security object.

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/netid/netid/internal/document"
)

// testChip is a chip dump with its PKI.
type testChip struct {
	pki  *testPKI
	dump ChipDump
	mrz  string
}

// mrzTD3 returns a valid TD3 MRZ (two lines joined by "\n") for the
// specimen of ICAO 9303 part 4, with the given expiry (YYMMDD).
func mrzTD3(t testing.TB, expiry string) string {
	t.Helper()
	cd := func(s string) string {
		c, err := document.MRZCheckDigit(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(c)
	}
	line1 := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
	number, birth, personal := "L898902C3", "740812", "ZE184226B<<<<<"
	line2 := number + cd(number) + "UTO" + birth + cd(birth) + "F" + expiry + cd(expiry) + personal + cd(personal)
	composite := line2[0:10] + line2[13:20] + line2[21:43]
	line2 += cd(composite)
	if len(line1) != 44 || len(line2) != 44 {
		t.Fatalf("bad test MRZ lengths %d, %d", len(line1), len(line2))
	}
	return line1 + "\n" + line2
}

func buildDG1(mrz string) []byte {
	return tlvBytes(TagDG1, tlvBytes(0x5F1F, []byte(normaliseMRZ(mrz))))
}

// testJPEG is the start of a JPEG file: enough for the format sniffing.
var testJPEG = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{0x42}, 300)...)

// buildFacialRecord returns an ISO/IEC 19794-5 facial record around img.
func buildFacialRecord(img []byte, imageType byte, width, height uint16) []byte {
	var face []byte
	dataLen := facialInfoLen + imageInfoLen + len(img)
	face = binary.BigEndian.AppendUint32(face, uint32(dataLen))
	face = append(face, 0, 0)         // feature points
	face = append(face, 2, 0, 0)      // gender, eye, hair
	face = append(face, 0, 0, 0)      // feature mask
	face = append(face, 0, 0)         // expression
	face = append(face, 0, 0, 0)      // pose angle
	face = append(face, 0, 0, 0)      // pose uncertainty
	face = append(face, 1, imageType) // face image type, image data type
	face = binary.BigEndian.AppendUint16(face, width)
	face = binary.BigEndian.AppendUint16(face, height)
	face = append(face, 1, 2, 0, 0, 0, 0) // colour space, source, device, quality
	face = append(face, img...)
	rec := []byte("FAC\x00010\x00")
	rec = binary.BigEndian.AppendUint32(rec, uint32(facialHeaderLen+len(face)))
	rec = binary.BigEndian.AppendUint16(rec, 1)
	return append(rec, face...)
}

func buildDG2(record []byte) []byte {
	header := tlvBytes(0xA1, append(append(tlvBytes(0x80, []byte{1, 1}), tlvBytes(0x81, []byte{2})...),
		append(tlvBytes(0x87, []byte{1, 1}), tlvBytes(0x88, []byte{0, 8})...)...))
	bit := tlvBytes(0x7F60, append(header, tlvBytes(0x5F2E, record)...))
	group := tlvBytes(0x7F61, append(tlvBytes(0x02, []byte{1}), bit...))
	return tlvBytes(TagDG2, group)
}

func buildCOM(dgs ...int) []byte {
	var tags []byte
	for _, n := range dgs {
		tags = append(tags, byte(DataGroupTag(n)))
	}
	body := append(append(tlvBytes(0x5F01, []byte("0107")), tlvBytes(0x5F36, []byte("040000"))...), tlvBytes(0x5C, tags)...)
	return tlvBytes(TagCOM, body)
}

// chipSpec says how to build a chip.
type chipSpec struct {
	pki    pkiSpec
	sod    sodSpec
	expiry string // YYMMDD, default 340101
	// noSigningTime leaves out the signingTime attribute (default: 2024-06-01).
	noSigningTime bool
	// dg2 replaces the default DG2 (a JPEG facial record) before signing.
	dg2 []byte
	// tamper changes the files after the SOD was built.
	tamper func(files map[string][]byte)
}

func newTestChip(t testing.TB, spec chipSpec) *testChip {
	t.Helper()
	if spec.pki.country == "" {
		spec.pki = defaultPKISpec()
	}
	if spec.expiry == "" {
		spec.expiry = "340101"
	}
	p := newTestPKI(t, spec.pki)
	mrz := mrzTD3(t, spec.expiry)
	files := map[string][]byte{
		"COM": buildCOM(1, 2),
		"DG1": buildDG1(mrz),
		"DG2": buildDG2(buildFacialRecord(testJPEG, 0, 480, 640)),
	}
	if spec.dg2 != nil {
		files["DG2"] = spec.dg2
	}
	sod := spec.sod
	if sod.signingTime.IsZero() && !spec.noSigningTime {
		sod.signingTime = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	}
	sod.dataGroups = map[int][]byte{1: files["DG1"], 2: files["DG2"]}
	files["SOD"] = buildSecurityObject(t, p, sod)
	if spec.tamper != nil {
		spec.tamper(files)
	}
	return &testChip{pki: p, dump: ChipDump{Files: files}, mrz: mrz}
}

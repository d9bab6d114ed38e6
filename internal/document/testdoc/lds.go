package testdoc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of portraits
	"strings"
)

// Tags of the LDS1 elementary files and their data objects (ICAO 9303
// part 10, section 4.6 and 4.7).
const (
	tagCOM          = 0x60
	tagDG1          = 0x61
	tagDG2          = 0x75
	tagSOD          = 0x77
	tagLDSVersion   = 0x5F01
	tagUnicode      = 0x5F36
	tagTagList      = 0x5C
	tagMRZ          = 0x5F1F
	tagBioGroup     = 0x7F61 // biometric information group template
	tagBioInstances = 0x02   // number of instances
	tagBioInfo      = 0x7F60 // biometric information template
	tagBioHeader    = 0xA1   // biometric header template (CBEFF)
	tagBioData      = 0x5F2E // biometric data block
)

// tlv encodes a BER-TLV data object with a one- or two-byte tag and a
// definite length in its shortest form, as ICAO 9303 part 10 requires.
func tlv(tag int, value ...[]byte) []byte {
	var out []byte
	if tag > 0xFF {
		out = append(out, byte(tag>>8))
	}
	out = append(out, byte(tag))
	n := 0
	for _, v := range value {
		n += len(v)
	}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n <= 0xFF:
		out = append(out, 0x81, byte(n))
	case n <= 0xFFFF:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, v := range value {
		out = append(out, v...)
	}
	return out
}

// efCOM encodes EF.COM: LDS version 1.7, Unicode version 4.0.0 and the tags
// of the data groups present.
func efCOM(tags ...byte) []byte {
	return tlv(tagCOM,
		tlv(tagLDSVersion, []byte("0107")),
		tlv(tagUnicode, []byte("040000")),
		tlv(tagTagList, tags))
}

// dg1 encodes DG1: the MRZ lines concatenated without separators.
func dg1(lines []string) []byte {
	return tlv(tagDG1, tlv(tagMRZ, []byte(strings.Join(lines, ""))))
}

// ISO/IEC 19794-5:2005 facial record constants.
const (
	genderUnspecified = 0x00
	genderMale        = 0x01
	genderFemale      = 0x02
	faceFullFrontal   = 0x01
	imageDataJPEG     = 0x00
	colourSpaceRGB24  = 0x01
	sourceStaticPhoto = 0x02 // static photograph, unknown source
)

// facialRecord encodes an ISO/IEC 19794-5:2005 facial record holding one
// JPEG image without feature points: the 14-byte general header ("FAC\0",
// version "010\0", record length, number of images), then the facial
// information block (20 bytes), the image information block (12 bytes) and
// the image data. Multi-byte integers are big-endian.
func facialRecord(jpg []byte, sex string) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(jpg))
	if err != nil {
		return nil, fmt.Errorf("portrait: %w", err)
	}
	if format != "jpeg" {
		return nil, fmt.Errorf("portrait: %s image, want JPEG", format)
	}
	if cfg.Width > 0xFFFF || cfg.Height > 0xFFFF {
		return nil, fmt.Errorf("portrait: %dx%d is too large", cfg.Width, cfg.Height)
	}
	gender := byte(genderUnspecified)
	switch sex {
	case "M":
		gender = genderMale
	case "F":
		gender = genderFemale
	}
	const headerLen, infoLen, imageInfoLen = 14, 20, 12
	faceLen := infoLen + imageInfoLen + len(jpg)
	var b bytes.Buffer
	b.WriteString("FAC\x00")
	b.WriteString("010\x00")
	_ = binary.Write(&b, binary.BigEndian, uint32(headerLen+faceLen))
	_ = binary.Write(&b, binary.BigEndian, uint16(1))
	// Facial information block.
	_ = binary.Write(&b, binary.BigEndian, uint32(faceLen))
	_ = binary.Write(&b, binary.BigEndian, uint16(0)) // feature points
	b.WriteByte(gender)
	b.WriteByte(0)                    // eye colour unspecified
	b.WriteByte(0)                    // hair colour unspecified
	b.Write([]byte{0, 0, 0})          // feature mask: none specified
	b.Write([]byte{0, 0})             // expression unspecified
	b.Write([]byte{0, 0, 0, 0, 0, 0}) // pose angles and their uncertainty unspecified
	// Image information block.
	b.WriteByte(faceFullFrontal)
	b.WriteByte(imageDataJPEG)
	_ = binary.Write(&b, binary.BigEndian, uint16(cfg.Width))
	_ = binary.Write(&b, binary.BigEndian, uint16(cfg.Height))
	b.WriteByte(colourSpaceRGB24)
	b.WriteByte(sourceStaticPhoto)
	b.Write([]byte{0, 0}) // device type unspecified
	b.Write([]byte{0, 0}) // quality unspecified
	b.Write(jpg)
	return b.Bytes(), nil
}

// dg2 encodes DG2 with one facial image: the biometric information group
// template holding the instance count and one biometric information
// template, whose CBEFF biometric header template (ICAO 9303 part 10,
// 4.7.2.1) names the ICAO header version 1.1, biometric type "facial
// features", format owner ISO/IEC JTC 1 SC 37 (0101) and format type face
// image (0008).
func dg2(jpg []byte, sex string) ([]byte, error) {
	record, err := facialRecord(jpg, sex)
	if err != nil {
		return nil, err
	}
	header := tlv(tagBioHeader,
		tlv(0x80, []byte{0x01, 0x01}), // ICAO header version
		tlv(0x81, []byte{0x02}),       // biometric type: facial features
		tlv(0x87, []byte{0x01, 0x01}), // format owner
		tlv(0x88, []byte{0x00, 0x08}), // format type
	)
	return tlv(tagDG2,
		tlv(tagBioGroup,
			tlv(tagBioInstances, []byte{1}),
			tlv(tagBioInfo, header, tlv(tagBioData, record)))), nil
}

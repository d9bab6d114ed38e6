package emrtd

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// ImageFormat is the encoding of a facial image.
type ImageFormat string

// The image encodings of ISO/IEC 19794-5 (image data type 0 and 1).
const (
	ImageJPEG     ImageFormat = "JPEG"
	ImageJPEG2000 ImageFormat = "JPEG 2000"
)

// FaceImage is one facial image of DG2.
type FaceImage struct {
	Format ImageFormat `json:"format"`
	Width  int         `json:"width"`
	Height int         `json:"height"`
	// Data is the encoded image (a JPEG or JPEG 2000 file).
	Data []byte `json:"-"`
	// Size is len(Data).
	Size int `json:"size"`
}

// DG2 is data group 2 (ICAO 9303 part 10 section 4.7.2): the encoded face.
type DG2 struct {
	Faces []FaceImage
}

// ParseDG2 decodes DG2:
//
//	75 {                         DG2
//	  7F61 {                     biometric information group template
//	    02 count
//	    7F60 {                   biometric information template, one per face
//	      A1 { 80 81 … 87 88 }   biometric header template
//	      5F2E                   biometric data block: ISO/IEC 19794-5 facial record
//	    } …
//	  }
//	}
//
// Each biometric data block holds an ISO/IEC 19794-5:2005 facial record,
// parsed as far as needed to return the image format, dimensions and
// bytes. Blocks in the ISO/IEC 39794-5 encoding (7F2E) are refused with
// ErrMalformed saying so.
func ParseDG2(b []byte) (*DG2, error) {
	t, err := ParseTLV(b)
	if err != nil {
		return nil, fmt.Errorf("DG2: %w", err)
	}
	if t.Tag != TagDG2 {
		return nil, malformed("DG2: tag %X, want 75", t.Tag)
	}
	group, ok := t.Child(0x7F61)
	if !ok {
		return nil, malformed("DG2: no biometric information group template (7F61)")
	}
	templates := group.All(0x7F60)
	if len(templates) == 0 {
		return nil, malformed("DG2: no biometric information template (7F60)")
	}
	if count, ok := group.Child(0x02); ok {
		if len(count.Value) != 1 || int(count.Value[0]) != len(templates) {
			return nil, malformed("DG2: instance count %v does not match %d templates", count.Value, len(templates))
		}
	}
	d := &DG2{}
	for i, bit := range templates {
		if _, ok := bit.Child(0xA1); !ok {
			return nil, malformed("DG2: template %d has no biometric header template (A1)", i+1)
		}
		bdb, ok := bit.Child(0x5F2E)
		if !ok {
			if _, ok := bit.Child(0x7F2E); ok {
				return nil, malformed("DG2: template %d uses the ISO/IEC 39794-5 encoding (7F2E), which is not supported", i+1)
			}
			return nil, malformed("DG2: template %d has no biometric data block (5F2E)", i+1)
		}
		faces, err := parseFacialRecord(bdb.Value)
		if err != nil {
			return nil, fmt.Errorf("DG2: template %d: %w", i+1, err)
		}
		d.Faces = append(d.Faces, faces...)
	}
	return d, nil
}

// Sizes of the fixed parts of an ISO/IEC 19794-5:2005 facial record.
const (
	facialHeaderLen  = 14 // "FAC\0", "010\0", record length (4), image count (2)
	facialInfoLen    = 20 // facial information block
	featurePointLen  = 8
	imageInfoLen     = 12
	maxFacialRecords = 16
)

// parseFacialRecord decodes an ISO/IEC 19794-5:2005 facial record: the
// general header (section 5.4), then per image the facial information block
// (5.5), feature points (5.6), image information (5.7) and image data
// (5.8).
func parseFacialRecord(b []byte) ([]FaceImage, error) {
	if len(b) < facialHeaderLen {
		return nil, malformed("facial record of %d bytes", len(b))
	}
	if !bytes.Equal(b[:4], []byte("FAC\x00")) {
		return nil, malformed("facial record format identifier %q, want \"FAC\\x00\"", b[:4])
	}
	if !bytes.Equal(b[4:8], []byte("010\x00")) {
		return nil, malformed("facial record version %q, want \"010\\x00\"", b[4:8])
	}
	recordLen := binary.BigEndian.Uint32(b[8:12])
	if uint64(recordLen) > uint64(len(b)) || recordLen < facialHeaderLen {
		return nil, malformed("facial record length %d for a block of %d bytes", recordLen, len(b))
	}
	count := int(binary.BigEndian.Uint16(b[12:14]))
	if count == 0 || count > maxFacialRecords {
		return nil, malformed("facial record holds %d images", count)
	}
	b = b[facialHeaderLen:recordLen]
	var faces []FaceImage
	for i := 0; i < count; i++ {
		if len(b) < facialInfoLen {
			return nil, malformed("facial image %d: truncated information block", i+1)
		}
		dataLen := binary.BigEndian.Uint32(b[0:4])
		points := int(binary.BigEndian.Uint16(b[4:6]))
		fixed := facialInfoLen + points*featurePointLen + imageInfoLen
		if uint64(dataLen) > uint64(len(b)) || int(dataLen) <= fixed {
			return nil, malformed("facial image %d: data length %d (fixed part %d, %d bytes left)", i+1, dataLen, fixed, len(b))
		}
		info := b[facialInfoLen+points*featurePointLen : fixed]
		img := FaceImage{
			Width:  int(binary.BigEndian.Uint16(info[2:4])),
			Height: int(binary.BigEndian.Uint16(info[4:6])),
			Data:   b[fixed:dataLen],
		}
		img.Size = len(img.Data)
		switch info[1] {
		case 0:
			img.Format = ImageJPEG
		case 1:
			img.Format = ImageJPEG2000
		default:
			return nil, malformed("facial image %d: image data type %d (want 0, JPEG, or 1, JPEG 2000)", i+1, info[1])
		}
		if sniffed := sniffImage(img.Data); sniffed != img.Format {
			return nil, malformed("facial image %d: declared %s but the data is %s", i+1, img.Format, describeFormat(sniffed))
		}
		faces = append(faces, img)
		b = b[dataLen:]
	}
	return faces, nil
}

// sniffImage recognises JPEG (SOI marker) and JPEG 2000 (JP2 signature box
// or a raw codestream's SOC and SIZ markers).
func sniffImage(b []byte) ImageFormat {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return ImageJPEG
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}),
		bytes.HasPrefix(b, []byte{0xFF, 0x4F, 0xFF, 0x51}):
		return ImageJPEG2000
	}
	return ""
}

func describeFormat(f ImageFormat) string {
	if f == "" {
		return "neither JPEG nor JPEG 2000"
	}
	return string(f)
}

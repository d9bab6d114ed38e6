package testdoc

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document"
)

func adultSpec() DocumentSpec {
	return DocumentSpec{
		Person: Person{
			PrimaryIdentifier: "Ceshi", SecondaryIdentifier: "Daren",
			BirthDate: document.Date{Year: 1990, Month: time.May, Day: 17}, Sex: "F",
		},
		DocumentNumber: "TEST00001",
		Expiry:         document.Date{Year: 2034, Month: time.May, Day: 16},
	}
}

// TestChipStructure reads every file of a valid chip back with
// encoding/asn1 and a BER-TLV reader, in every suite, and checks the SOD
// signature with the standard libraries' verifiers.
func TestChipStructure(t *testing.T) {
	portrait, err := Portrait(7)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		issuer     string
		ski        bool
		wantHash   asn1.ObjectIdentifier
		wantSigAlg asn1.ObjectIdentifier
	}{
		{"intl", false, oidSHA256, oidECDSASHA256},
		{"intl", true, oidSHA256, oidECDSASHA256},
		{"sm", false, oidSM3, oidSM2WithSM3},
		{"sm", true, oidSM3, oidSM2WithSM3},
		{"intl-rsapss", false, oidSHA256, oidRSASSAPSS},
	} {
		name := tc.issuer
		if tc.ski {
			name += "/ski"
		}
		t.Run(name, func(t *testing.T) {
			iss := issuerFor(t, tc.issuer)
			opts := []ChipOption{}
			if tc.ski {
				opts = append(opts, WithSignerKeyID())
			}
			doc, err := iss.Issue(adultSpec(), portrait, opts...)
			if err != nil {
				t.Fatal(err)
			}
			files := doc.Chip.Files
			if got, want := len(files), 4; got != want {
				t.Fatalf("got %d files, want %d", got, want)
			}
			checkCOM(t, files["COM"])
			checkDG1(t, files["DG1"], doc.PrintedMRZ)
			checkDG2(t, files["DG2"], portrait, "F")

			p := parseSOD(t, files["SOD"])
			checkSignedData(t, p, tc.wantHash, tc.wantSigAlg)
			for _, h := range p.lso.Hashes {
				file := files[map[int]string{1: "DG1", 2: "DG2"}[h.Number]]
				if got, want := h.Value, p.digest(t, file); !bytes.Equal(got, want) {
					t.Errorf("DG%d hash: got %x, want %x", h.Number, got, want)
				}
			}
			checkSignedAttrs(t, p, doc.SigningTime)
			if err := p.verifySignature(); err != nil {
				t.Errorf("signature: %v", err)
			}
			checkSID(t, p, tc.ski)
			if !bytes.Equal(p.cert.Raw, iss.SignerCertificate()) {
				t.Error("the SOD does not carry the document signer certificate")
			}
			checkChain(t, iss, p.cert.Raw, doc.SigningTime)
		})
	}
}

func checkCOM(t *testing.T, com []byte) {
	t.Helper()
	c := tlvChildren(t, mustTLV(t, com, tagCOM))
	want := map[int][]byte{tagLDSVersion: []byte("0107"), tagUnicode: []byte("040000"), tagTagList: {0x61, 0x75}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("EF.COM (-want +got):\n%s", diff)
	}
}

func checkDG1(t *testing.T, dg []byte, printed string) {
	t.Helper()
	mrz := mustTLV(t, mustTLV(t, dg, tagDG1), tagMRZ)
	if got, want := string(mrz), strings.ReplaceAll(printed, "\n", ""); got != want {
		t.Errorf("DG1 MRZ: got %q, want %q", got, want)
	}
}

func checkDG2(t *testing.T, dg, portrait []byte, sex string) {
	t.Helper()
	group := tlvChildren(t, mustTLV(t, mustTLV(t, dg, tagDG2), tagBioGroup))
	if got := group[tagBioInstances]; !bytes.Equal(got, []byte{1}) {
		t.Errorf("instances: got %x, want 01", got)
	}
	info := tlvChildren(t, group[tagBioInfo])
	header := tlvChildren(t, info[tagBioHeader])
	if got := header[0x87]; !bytes.Equal(got, []byte{1, 1}) {
		t.Errorf("format owner: got %x, want 0101", got)
	}
	if got := header[0x88]; !bytes.Equal(got, []byte{0, 8}) {
		t.Errorf("format type: got %x, want 0008", got)
	}
	rec := info[tagBioData]
	if len(rec) < 46 {
		t.Fatalf("facial record: %d bytes", len(rec))
	}
	if got := string(rec[0:8]); got != "FAC\x00010\x00" {
		t.Errorf("facial record header: got %q", got)
	}
	if got, want := binary.BigEndian.Uint32(rec[8:12]), uint32(len(rec)); got != want {
		t.Errorf("record length: got %d, want %d", got, want)
	}
	if got := binary.BigEndian.Uint16(rec[12:14]); got != 1 {
		t.Errorf("number of images: got %d, want 1", got)
	}
	if got, want := binary.BigEndian.Uint32(rec[14:18]), uint32(len(rec)-14); got != want {
		t.Errorf("facial record data length: got %d, want %d", got, want)
	}
	if got, want := rec[20], map[string]byte{"M": 1, "F": 2}[sex]; got != want {
		t.Errorf("gender: got %d, want %d", got, want)
	}
	img := rec[34:46]
	if img[1] != imageDataJPEG {
		t.Errorf("image data type: got %d, want JPEG (0)", img[1])
	}
	if w, h := binary.BigEndian.Uint16(img[2:4]), binary.BigEndian.Uint16(img[4:6]); w != PortraitWidth || h != PortraitHeight {
		t.Errorf("image size: got %dx%d, want %dx%d", w, h, PortraitWidth, PortraitHeight)
	}
	if !bytes.Equal(rec[46:], portrait) {
		t.Error("image data is not the portrait")
	}
	if _, err := jpeg.Decode(bytes.NewReader(rec[46:])); err != nil {
		t.Errorf("image data: %v", err)
	}
}

func checkSignedData(t *testing.T, p parsedSOD, wantHash, wantSigAlg asn1.ObjectIdentifier) {
	t.Helper()
	if p.sd.Version != 3 {
		t.Errorf("SignedData version: got %d, want 3", p.sd.Version)
	}
	if !p.sd.EncapContentInfo.EContentType.Equal(oidLDSSecurityObj) {
		t.Errorf("eContentType: got %v, want %v", p.sd.EncapContentInfo.EContentType, oidLDSSecurityObj)
	}
	if len(p.sd.DigestAlgorithms) != 1 || !p.sd.DigestAlgorithms[0].Algorithm.Equal(wantHash) {
		t.Errorf("digestAlgorithms: got %v, want [%v]", p.sd.DigestAlgorithms, wantHash)
	}
	if p.lso.Version != 0 || !p.lso.HashAlgorithm.Algorithm.Equal(wantHash) {
		t.Errorf("LDSSecurityObject: got version %d hash %v, want 0 and %v", p.lso.Version, p.lso.HashAlgorithm.Algorithm, wantHash)
	}
	var numbers []int
	for _, h := range p.lso.Hashes {
		numbers = append(numbers, h.Number)
	}
	if diff := cmp.Diff([]int{1, 2}, numbers); diff != "" {
		t.Errorf("data group numbers (-want +got):\n%s", diff)
	}
	if !p.si.DigestAlgorithm.Algorithm.Equal(wantHash) || !p.si.SignatureAlgorithm.Algorithm.Equal(wantSigAlg) {
		t.Errorf("SignerInfo algorithms: got %v and %v, want %v and %v",
			p.si.DigestAlgorithm.Algorithm, p.si.SignatureAlgorithm.Algorithm, wantHash, wantSigAlg)
	}
}

// checkSignedAttrs checks the attribute values and their DER SET OF order:
// for a 32-byte digest the encodings are 30 18 (contentType), 30 1C
// (signingTime) and 30 2F (messageDigest), so that is the order.
func checkSignedAttrs(t *testing.T, p parsedSOD, signingTime time.Time) {
	t.Helper()
	var types []string
	for i, a := range p.attrs {
		if len(a.Values) != 1 {
			t.Fatalf("attribute %v: %d values, want 1", a.Type, len(a.Values))
		}
		v := a.Values[0].FullBytes
		switch {
		case a.Type.Equal(oidAttrContentType):
			types = append(types, "contentType")
			var oid asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(v, &oid); err != nil || !oid.Equal(oidLDSSecurityObj) {
				t.Errorf("contentType: got %v (%v), want %v", oid, err, oidLDSSecurityObj)
			}
		case a.Type.Equal(oidAttrMsgDigest):
			types = append(types, "messageDigest")
			var md []byte
			if _, err := asn1.Unmarshal(v, &md); err != nil || !bytes.Equal(md, p.digest(t, p.eContent)) {
				t.Errorf("messageDigest: got %x (%v), want the hash of the eContent", md, err)
			}
		case a.Type.Equal(oidAttrSigningTime):
			types = append(types, "signingTime")
			if v[0] != asn1.TagUTCTime {
				t.Errorf("signingTime: tag %d, want UTCTime", v[0])
			}
			var st time.Time
			if _, err := asn1.Unmarshal(v, &st); err != nil || !st.Equal(signingTime) {
				t.Errorf("signingTime: got %v (%v), want %v", st, err, signingTime)
			}
		default:
			t.Errorf("unexpected attribute %v", a.Type)
		}
		if i > 0 && !derSetLess(p.attrElems[i-1], p.attrElems[i]) {
			t.Errorf("attributes %d and %d are not in DER SET OF order", i-1, i)
		}
	}
	if diff := cmp.Diff([]string{"contentType", "signingTime", "messageDigest"}, types); diff != "" {
		t.Errorf("attribute order (-want +got):\n%s", diff)
	}
}

func checkSID(t *testing.T, p parsedSOD, ski bool) {
	t.Helper()
	if ski {
		if p.si.Version != 3 || p.si.SID.Class != asn1.ClassContextSpecific || p.si.SID.Tag != 0 || !bytes.Equal(p.si.SID.Bytes, p.cert.SubjectKeyId) {
			t.Errorf("sid: got version %d, [%d] %x, want version 3 and [0] %x", p.si.Version, p.si.SID.Tag, p.si.SID.Bytes, p.cert.SubjectKeyId)
		}
		return
	}
	var ias issuerAndSerial
	if _, err := asn1.Unmarshal(p.si.SID.FullBytes, &ias); err != nil {
		t.Fatalf("issuerAndSerialNumber: %v", err)
	}
	var serial asn1.RawValue
	if p.si.Version != 1 || !bytes.Equal(ias.Issuer.FullBytes, p.cert.RawIssuer) {
		t.Errorf("sid: got version %d, issuer %x, want version 1 and the DS issuer", p.si.Version, ias.Issuer.FullBytes)
	}
	want, _ := asn1.Marshal(p.cert.SerialNumber)
	serial = ias.Serial
	if !bytes.Equal(serial.FullBytes, want) {
		t.Errorf("sid serial: got %x, want %x", serial.FullBytes, want)
	}
}

// checkChain verifies the document signer certificate against the CSCA with
// crypto/x509 (intl) or smx509 (sm), at the signing time.
func checkChain(t *testing.T, iss *Issuer, dsDER []byte, at time.Time) {
	t.Helper()
	if iss.Suite() == SuiteSM {
		roots := smx509.NewCertPool()
		ca, err := smx509.ParseCertificate(iss.CSCACertificate())
		if err != nil {
			t.Fatal(err)
		}
		roots.AddCert(ca)
		ds, err := smx509.ParseCertificate(dsDER)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ds.Verify(smx509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("DS chain: %v", err)
		}
		return
	}
	roots := x509.NewCertPool()
	ca, err := x509.ParseCertificate(iss.CSCACertificate())
	if err != nil {
		t.Fatal(err)
	}
	roots.AddCert(ca)
	ds, err := x509.ParseCertificate(dsDER)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("DS chain: %v", err)
	}
}

func TestTLVLengths(t *testing.T) {
	for _, n := range []int{0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000} {
		b := tlv(0x5F2E, make([]byte, n))
		tag, v, rest, err := readTLV(b)
		if err != nil || tag != 0x5F2E || len(v) != n || len(rest) != 0 {
			t.Errorf("tlv of %d bytes: got tag %#x, %d bytes, %d trailing, %v", n, tag, len(v), len(rest), err)
		}
		// The shortest length form: 1 byte below 128, then 81, 82, 83.
		wantHeader := 3 + map[bool]int{true: 0, false: 1}[n < 0x80]
		switch {
		case n > 0xFFFF:
			wantHeader = 6
		case n > 0xFF:
			wantHeader = 5
		}
		if got := len(b) - n; got != wantHeader {
			t.Errorf("tlv of %d bytes: header of %d bytes, want %d", n, got, wantHeader)
		}
	}
}

func TestDERSetOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []byte
		want bool
	}{
		{"shorter length byte first", []byte{0x30, 0x18, 0x06}, []byte{0x30, 0x2F, 0x06}, true},
		{"longer content later", []byte{0x30, 0x2F}, []byte{0x30, 0x18}, false},
		{"prefix padded with zeros equals", []byte{0x04, 0x01}, []byte{0x04, 0x01, 0x00}, false},
		{"prefix before a non-zero continuation", []byte{0x04, 0x01}, []byte{0x04, 0x01, 0x01}, true},
		{"equal", []byte{1, 2, 3}, []byte{1, 2, 3}, false},
	} {
		if got := derSetLess(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: derSetLess(%x, %x) = %v, want %v", tc.name, tc.a, tc.b, got, tc.want)
		}
	}
	elems := [][]byte{{0x30, 0x2F}, {0x30, 0x1C}, {0x30, 0x18}}
	sortDERSet(elems)
	if diff := cmp.Diff([][]byte{{0x30, 0x18}, {0x30, 0x1C}, {0x30, 0x2F}}, elems); diff != "" {
		t.Errorf("sortDERSet (-want +got):\n%s", diff)
	}
}

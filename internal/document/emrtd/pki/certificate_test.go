package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseCertificateAgreesWithStdlib parses every certificate of both
// real master lists and, for those crypto/x509 also accepts, compares the
// fields both parsers produce.
func TestParseCertificateAgreesWithStdlib(t *testing.T) {
	var both, ours int
	for _, list := range []string{"DE_ML_2026-05-28-08-28-45.ml", "NL_ML_2026-07-22.ml"} {
		for i, der := range masterListEntries(t, list) {
			c, err := ParseCertificate(der)
			if err != nil {
				t.Errorf("%s entry %d: ParseCertificate() = %v", list, i, err)
				continue
			}
			if c.PublicKey == nil {
				t.Errorf("%s entry %d (%s): no public key: %v", list, i, c.Subject, c.PublicKeyErr)
			}
			ours++
			std, err := x509.ParseCertificate(der)
			if err != nil {
				continue // explicit parameters, brainpool, ...: only ours
			}
			both++
			type view struct {
				Serial, Subject, Issuer      string
				RawSubject, RawIssuer        []byte
				NotBefore, NotAfter          time.Time
				SKI, AKI                     []byte
				IsCA, BasicConstraintsValid  bool
				KeyUsage                     x509.KeyUsage
				RawSubjectPublicKeyInfo, TBS []byte
			}
			got := view{c.SerialNumber.String(), c.Subject.PKIX().String(), c.Issuer.PKIX().String(), c.Subject.Raw, c.Issuer.Raw,
				c.NotBefore, c.NotAfter, c.SubjectKeyID, c.AuthorityKeyID, c.IsCA, c.BasicConstraintsValid, c.KeyUsage,
				c.RawSubjectPublicKeyInfo, c.RawTBSCertificate}
			want := view{std.SerialNumber.String(), std.Subject.String(), std.Issuer.String(), std.RawSubject, std.RawIssuer,
				std.NotBefore, std.NotAfter, std.SubjectKeyId, std.AuthorityKeyId, std.IsCA, std.BasicConstraintsValid, std.KeyUsage,
				std.RawSubjectPublicKeyInfo, std.RawTBSCertificate}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s entry %d: fields differ from crypto/x509 (-x509 +ours):\n%s", list, i, diff)
			}
		}
	}
	t.Logf("%d certificates parsed, %d also by crypto/x509", ours, both)
	if both == 0 || both == ours {
		t.Errorf("crypto/x509 parsed %d of %d: want some, but not all (explicit parameters)", both, ours)
	}
}

func selfSigned(t *testing.T, key any, pub any, mutate func(*x509.Certificate)) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1000),
		Subject:               pkix.Name{Country: []string{"UT"}, CommonName: "test CA"},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		BasicConstraintsValid: true, IsCA: true,
		KeyUsage:     x509.KeyUsageCertSign,
		SubjectKeyId: []byte{1, 2, 3},
	}
	if mutate != nil {
		mutate(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCheckSignatureFrom(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		der     []byte
		wantAlg string
	}{
		{"ECDSA P-384", selfSigned(t, ecKey, ecKey.Public(), nil), "ECDSA with SHA-384"},
		{"RSA PKCS#1 v1.5", selfSigned(t, rsaKey, rsaKey.Public(), nil), "RSA PKCS#1 v1.5 with SHA-256"},
		{"RSASSA-PSS", selfSigned(t, rsaKey, rsaKey.Public(), func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA384WithRSAPSS }),
			"RSASSA-PSS with SHA-384 (MGF1 SHA-384, salt 48)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCertificate(tt.der)
			if err != nil {
				t.Fatalf("ParseCertificate() = %v", err)
			}
			alg, err := c.CheckSignatureFrom(c)
			if err != nil {
				t.Fatalf("CheckSignatureFrom() = %v", err)
			}
			if alg.String() != tt.wantAlg {
				t.Errorf("algorithm = %q, want %q", alg, tt.wantAlg)
			}
			bad := append([]byte(nil), tt.der...)
			at := bytes.Index(bad, c.Signature) + len(c.Signature)/2
			bad[at] ^= 0x20
			cb, err := ParseCertificate(bad)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cb.CheckSignatureFrom(c); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("CheckSignatureFrom() of a changed signature = %v, want ErrSignatureInvalid", err)
			}
		})
	}
}

func TestParseCertificateRejects(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := selfSigned(t, key, key.Public(), nil)
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"trailing data", append(append([]byte(nil), good...), 0)},
		{"truncated", good[:len(good)-1]},
		{"too large", append([]byte{0x30, 0x83, 0x01, 0x00, 0x00}, make([]byte, 0x10000)...)},
		{"not a sequence", []byte{0x04, 0x01, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseCertificate(tt.der); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseCertificate() = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestParseNameLenient(t *testing.T) {
	atv := func(tag int, value []byte) []byte {
		v := asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: value}
		b, err := asn1.Marshal(struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}{asn1.ObjectIdentifier{2, 5, 4, 3}, v})
		if err != nil {
			t.Fatal(err)
		}
		set, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: b})
		seq, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: set})
		return seq
	}
	tests := []struct {
		name string
		der  []byte
		want string
	}{
		{"PrintableString with @ and _", atv(asn1.TagPrintableString, []byte("csca_de@bsi")), "csca_de@bsi"},
		{"T61String (Latin-1)", atv(asn1.TagT61String, []byte{'M', 0xFC, 'n', 'c', 'h', 'e', 'n'}), "München"},
		{"BMPString", atv(asn1.TagBMPString, []byte{0, 'Z', 0x00, 0xFC, 0, 'r'}), "Zür"},
		{"UTF8String", atv(asn1.TagUTF8String, []byte("Ελλάδα")), "Ελλάδα"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseName(tt.der)
			if err != nil {
				t.Fatalf("ParseName() = %v", err)
			}
			if got := n.Attributes[0].Value; got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := ParseName(atv(asn1.TagUTF8String, []byte{0xFF})); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseName(invalid UTF-8) = %v, want ErrMalformed", err)
	}
	a, _ := ParseName(atv(asn1.TagPrintableString, []byte("CSCA  Utopia")))
	b, _ := ParseName(atv(asn1.TagUTF8String, []byte("csca utopia")))
	if !a.Equal(b) || a.Key() != b.Key() {
		t.Errorf("names differing in case, spacing and string type are not Equal")
	}
	c, _ := ParseName(atv(asn1.TagUTF8String, []byte("csca utopia 2")))
	if a.Equal(c) {
		t.Errorf("different names are Equal")
	}
}

func TestParseCRL(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuerDER := selfSigned(t, key, key.Public(), func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageCRLSign })
	issuerStd, err := x509.ParseCertificate(issuerDER)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(3), ThisUpdate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NextUpdate: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(77), RevocationTime: time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)}},
	}, issuerStd, key)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRL(der)
	if err != nil {
		t.Fatalf("ParseCRL() = %v", err)
	}
	issuer, err := ParseCertificate(issuerDER)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("CheckSignatureFrom() = %v", err)
	}
	if !crl.IsRevoked(big.NewInt(77)) || crl.IsRevoked(big.NewInt(78)) {
		t.Errorf("IsRevoked(77), IsRevoked(78) = %v, %v; want true, false", crl.IsRevoked(big.NewInt(77)), crl.IsRevoked(big.NewInt(78)))
	}
	if !bytes.Equal(crl.AuthorityKeyID, []byte{1, 2, 3}) || !crl.Issuer.Equal(issuer.Subject) {
		t.Errorf("CRL issuer %s / key id %X, want %s / 010203", crl.Issuer, crl.AuthorityKeyID, issuer.Subject)
	}
	bad := append([]byte(nil), der...)
	bad[bytes.Index(bad, crl.Signature)+5] ^= 1
	if badCRL, err := ParseCRL(bad); err == nil {
		if err := badCRL.CheckSignatureFrom(issuer); !errors.Is(err, ErrSignatureInvalid) {
			t.Errorf("CheckSignatureFrom() of a changed CRL = %v, want ErrSignatureInvalid", err)
		}
	}
	if _, err := ParseCRL(der[:len(der)-2]); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseCRL(truncated) = %v, want ErrMalformed", err)
	}
}

func TestParsePublicKeyUnsupported(t *testing.T) {
	spki := func(alg pkix.AlgorithmIdentifier, key []byte) []byte {
		b, err := asn1.Marshal(struct {
			Alg pkix.AlgorithmIdentifier
			Key asn1.BitString
		}{alg, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	oid := func(o asn1.ObjectIdentifier) asn1.RawValue {
		b, _ := asn1.Marshal(o)
		return asn1.RawValue{FullBytes: b}
	}
	tests := []struct {
		name    string
		der     []byte
		wantErr error
	}{
		{"DSA", spki(pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}}, []byte{1}), ErrUnsupportedAlgorithm},
		{"unknown curve", spki(pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey, Parameters: oid(asn1.ObjectIdentifier{1, 3, 132, 0, 10})}, []byte{4, 1, 2}), ErrUnsupportedAlgorithm},
		{"implicitlyCA", spki(pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey, Parameters: asn1.NullRawValue}, []byte{4}), ErrUnsupportedAlgorithm},
		{"point off the curve", spki(pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey, Parameters: oid(asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7})}, append([]byte{4}, make([]byte, 64)...)), ErrMalformed},
		{"RSA with an even exponent", spki(pkix.AlgorithmIdentifier{Algorithm: OIDRSAEncryption, Parameters: asn1.NullRawValue},
			mustMarshalRSA(t, new(big.Int).Lsh(big.NewInt(1), 2047), 65536)), ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePublicKey(tt.der); !errors.Is(err, tt.wantErr) {
				t.Errorf("ParsePublicKey() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func mustMarshalRSA(t *testing.T, n *big.Int, e int) []byte {
	t.Helper()
	b, err := asn1.Marshal(struct {
		N *big.Int
		E int
	}{n, e})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDescribeKeys(t *testing.T) {
	var got []string
	for _, der := range masterListEntries(t, "NL_ML_2026-07-22.ml") {
		c, err := ParseCertificate(der)
		if err != nil || c.PublicKey == nil {
			continue
		}
		got = append(got, c.PublicKey.Describe())
	}
	joined := strings.Join(got, ",")
	for _, want := range []string{"RSA-", "(explicit parameters)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("key descriptions %q lack %q", joined, want)
		}
	}
}

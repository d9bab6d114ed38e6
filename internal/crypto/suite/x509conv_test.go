package suite

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"net/url"
	"testing"

	"github.com/emmansun/gmsm/smx509"
	"github.com/google/go-cmp/cmp"
)

// richTemplate sets every field that CreateCertificate encodes, so that a
// field forgotten by the conversion functions shows up as a difference.
func richTemplate(t *testing.T) *x509.Certificate {
	t.Helper()
	oid := func(arcs ...uint64) x509.OID {
		o, err := x509.OIDFromInts(arcs)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	_, permitted, _ := net.ParseCIDR("10.0.0.0/8")
	_, excluded, _ := net.ParseCIDR("10.1.0.0/16")
	u, _ := url.Parse("https://netid.example/resident/AB12CD34EF")
	var allUsages []x509.ExtKeyUsage
	for u := x509.ExtKeyUsageAny; u <= x509.ExtKeyUsageMicrosoftKernelCodeSigning; u++ {
		allUsages = append(allUsages, u)
	}
	return &x509.Certificate{
		SerialNumber: big.NewInt(0x1234567890),
		Subject: pkix.Name{
			Country: []string{"CN"}, Organization: []string{"netid"}, OrganizationalUnit: []string{"CA"},
			Locality: []string{"Beijing"}, Province: []string{"Beijing"}, CommonName: "netid test CA",
			SerialNumber: "42",
		},
		NotBefore:             certEpoch,
		NotAfter:              certEpoch.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           allUsages,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{{1, 2, 156, 112233, 1}},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            2,
		SubjectKeyId:          []byte{1, 2, 3, 4, 5, 6, 7, 8},
		OCSPServer:            []string{"http://ocsp.netid.example"},
		IssuingCertificateURL: []string{"http://ca.netid.example/ca.cer"},
		DNSNames:              []string{"ca.netid.example"},
		EmailAddresses:        []string{"ca@netid.example"},
		IPAddresses:           []net.IP{net.ParseIP("192.0.2.1").To4(), net.ParseIP("2001:db8::1")},
		URIs:                  []*url.URL{u},

		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{"netid.example"},
		ExcludedDNSDomains:          []string{"bad.netid.example"},
		PermittedIPRanges:           []*net.IPNet{permitted},
		ExcludedIPRanges:            []*net.IPNet{excluded},
		PermittedEmailAddresses:     []string{"netid.example"},
		ExcludedEmailAddresses:      []string{"bad@netid.example"},
		PermittedURIDomains:         []string{".netid.example"},
		ExcludedURIDomains:          []string{"bad.netid.example"},

		CRLDistributionPoints: []string{"http://crl.netid.example/ca.crl"},
		Policies:              []x509.OID{oid(1, 2, 156, 1, 1), oid(2, 5, 29, 32, 0), oid(1, 3, 1<<40)},
		PolicyMappings: []x509.PolicyMapping{
			{IssuerDomainPolicy: oid(1, 2, 156, 1, 1), SubjectDomainPolicy: oid(1, 2, 156, 1, 2)},
		},
		InhibitAnyPolicy:      1,
		InhibitPolicyMapping:  2,
		RequireExplicitPolicy: 3,
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{1, 2, 156, 112233, 2}, Value: []byte{0x04, 0x02, 0xca, 0xfe}},
		},
	}
}

// cmpCert compares certificates field by field; big.Int has no Equal method
// and unexported fields.
var cmpCert = cmp.Comparer(func(a, b *big.Int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Cmp(b) == 0
})

// TestFromSMX509Fidelity parses one certificate with crypto/x509 and with
// smx509 plus fromSMX509: every field must agree.
func TestFromSMX509Fidelity(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := richTemplate(t)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	want, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := smx509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fromSMX509(sc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpCert); diff != "" {
		t.Errorf("fromSMX509 differs from crypto/x509 parsing (-want +got):\n%s", diff)
	}
}

// TestToSMX509Fidelity encodes one template with crypto/x509 and with
// toSMX509 plus smx509: the to-be-signed parts must be byte for byte equal.
func TestToSMX509Fidelity(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := richTemplate(t)
	derX, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := toSMX509(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	derSM, err := smx509.CreateCertificate(rand.Reader, st, st, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cx, err := x509.ParseCertificate(derX)
	if err != nil {
		t.Fatal(err)
	}
	csm, err := x509.ParseCertificate(derSM)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cx.RawTBSCertificate, csm.RawTBSCertificate) {
		cx.Raw, cx.RawTBSCertificate, cx.Signature = nil, nil, nil
		csm.Raw, csm.RawTBSCertificate, csm.Signature = nil, nil, nil
		t.Errorf("TBSCertificate differs between crypto/x509 and toSMX509+smx509 (-x509 +smx509):\n%s", cmp.Diff(cx, csm, cmpCert))
	}
}

package emrtd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// realCoverage is what each real security object exercises: the SOD's
// signature, the document signer's key, the CSCA's signature on the
// document signer certificate and the CSCA's key. TestRealSecurityObjects
// checks that verification reports exactly this.
var realCoverage = map[string]struct {
	country, content, sodAlg, dsKey, certAlg, cscaKey string
}{
	"AT.sod":          {"AT", "LDSSecurityObject", "ECDSA with SHA-256", "EC brainpoolP256r1 (explicit parameters)", "ECDSA with SHA-384", "EC brainpoolP384r1 (explicit parameters)"},
	"DE.cardsecurity": {"DE", "SecurityInfos", "ECDSA with SHA-384", "EC brainpoolP384r1 (explicit parameters)", "ECDSA with SHA-512", "EC brainpoolP512r1 (explicit parameters)"},
	"DE.sod":          {"DE", "LDSSecurityObject", "ECDSA with SHA-384", "EC brainpoolP384r1 (explicit parameters)", "ECDSA with SHA-512", "EC brainpoolP512r1 (explicit parameters)"},
	"FI.cardsecurity": {"FI", "SecurityInfos", "ECDSA with SHA-512", "EC brainpoolP512r1 (explicit parameters)", "ECDSA with SHA-512", "EC brainpoolP512r1 (explicit parameters)"},
	"FI.sod":          {"FI", "LDSSecurityObject", "ECDSA with SHA-512", "EC brainpoolP512r1 (explicit parameters)", "ECDSA with SHA-512", "EC brainpoolP512r1 (explicit parameters)"},
	"FR.sod":          {"FR", "LDSSecurityObject", "RSA PKCS#1 v1.5 with SHA-256", "RSA-2048", "RSA PKCS#1 v1.5 with SHA-256", "RSA-4096"},
	"UK.sod":          {"GB", "LDSSecurityObject", "ECDSA with SHA-256", "EC P-256 (explicit parameters)", "ECDSA with SHA-256", "EC P-384 (explicit parameters)"},
	// The US signer writes rsaEncryption as the signature algorithm, with
	// the hash taken from the digest algorithm.
	"US.sod": {"US", "LDSSecurityObject", "RSA PKCS#1 v1.5 with SHA-256", "RSA-2048", "RSA PKCS#1 v1.5 with SHA-256", "RSA-4096"},
}

func TestRealSecurityObjects(t *testing.T) {
	trust := realTrust(t)
	files := realSecurityObjects(t)
	if got, want := len(files), len(realCoverage); got != want {
		t.Fatalf("%d security objects in the shared test data, want %d", got, want)
	}
	t.Logf("%-16s %-3s %-30s %-42s %-30s %s", "file", "cc", "SOD signature", "document signer key", "certificate signature", "CSCA key")
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			r, err := VerifySOD(readShared(t, "sod/"+name), trust, VerifyOptions{Now: trustTime})
			if err != nil {
				t.Fatalf("VerifySOD() = %v, want nil", err)
			}
			want := realCoverage[name]
			got := struct{ country, content, sodAlg, dsKey, certAlg, cscaKey string }{
				r.Country, r.ContentType, r.SignatureAlgorithm, r.DocumentSigner.Key, r.CertificateSignatureAlgorithm, r.CSCA.Key,
			}
			if got != want {
				t.Errorf("VerifySOD() report = %+v, want %+v", got, want)
			}
			if r.ContentType == "LDSSecurityObject" && len(r.DataGroupHashes) < 2 {
				t.Errorf("report lists %d data group hashes, want at least DG1 and DG2", len(r.DataGroupHashes))
			}
			if !r.SigningTime.IsZero() && !r.VerifiedAt.Equal(r.SigningTime) {
				t.Errorf("VerifiedAt = %v, want the signing time %v", r.VerifiedAt, r.SigningTime)
			}
			t.Logf("%-16s %-3s %-30s %-42s %-30s %s", name, r.Country, r.SignatureAlgorithm, r.DocumentSigner.Key, r.CertificateSignatureAlgorithm, r.CSCA.Key)
		})
	}
}

// TestRealAlgorithmCoverage makes sure the real data exercises what real
// documents use: brainpool curves, explicit parameters, NIST curves, RSA
// PKCS#1 v1.5 and (through the CSCA certificates of the master lists,
// whose signatures are all checked here) RSASSA-PSS.
func TestRealAlgorithmCoverage(t *testing.T) {
	seen := map[string]int{}
	for _, c := range realCoverage {
		for _, s := range []string{c.sodAlg, c.dsKey, c.certAlg, c.cscaKey} {
			seen[s]++
		}
	}
	trust := realTrust(t)
	// Every master-list certificate whose issuer is in the store must
	// verify under that issuer's key; count the algorithms.
	bySubject := map[string][]*pki.Certificate{}
	for _, a := range trust.Anchors() {
		k := a.Certificate.Subject.Key()
		bySubject[k] = append(bySubject[k], a.Certificate)
	}
	verified, failed := map[string]int{}, 0
	for _, a := range trust.Anchors() {
		c := a.Certificate
		var ok bool
		for _, issuer := range bySubject[c.Issuer.Key()] {
			if len(c.AuthorityKeyID) > 0 && len(issuer.SubjectKeyID) > 0 && !bytes.Equal(c.AuthorityKeyID, issuer.SubjectKeyID) {
				continue
			}
			if alg, err := c.CheckSignatureFrom(issuer); err == nil {
				verified[alg.String()]++
				seen[alg.String()]++
				if issuer.PublicKey.Explicit {
					seen["explicit parameters (master lists)"]++
				}
				ok = true
				break
			}
		}
		if !ok {
			failed++
		}
	}
	for alg, n := range verified {
		t.Logf("master-list certificate signatures verified: %4d × %s", n, alg)
	}
	t.Logf("master-list certificates whose issuer is not in the store: %d of %d", failed, len(trust.Anchors()))
	if failed > len(trust.Anchors())/20 {
		t.Errorf("%d of %d trusted certificates do not verify under any trusted issuer, want under 5%%", failed, len(trust.Anchors()))
	}
	mustSee := func(substr string) {
		for k := range seen {
			if strings.Contains(k, substr) {
				return
			}
		}
		t.Errorf("no real object exercises %q", substr)
	}
	for _, s := range []string{
		"RSASSA-PSS with SHA-256", "RSASSA-PSS with SHA-384", "RSASSA-PSS with SHA-512",
		"RSA PKCS#1 v1.5", "ECDSA with SHA-256", "ECDSA with SHA-384", "ECDSA with SHA-512",
		"brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1", "P-256", "P-384",
		"(explicit parameters)",
	} {
		mustSee(s)
	}
}

// flipBits calls f with a copy of b in which one bit of b[from:to] is
// flipped, for every bit (or, in -short mode, one bit per byte).
func flipBits(t *testing.T, b []byte, from, to int, f func(mutated []byte, byteIndex, bit int)) {
	t.Helper()
	m := append([]byte(nil), b...)
	for i := from; i < to; i++ {
		for bit := 0; bit < 8; bit++ {
			if testing.Short() && bit != i%8 {
				continue
			}
			m[i] ^= 1 << bit
			f(m, i, bit)
			m[i] ^= 1 << bit
		}
	}
}

func indexOnce(t *testing.T, haystack, needle []byte, what string) int {
	t.Helper()
	i := bytes.Index(haystack, needle)
	if i < 0 || len(needle) == 0 {
		t.Fatalf("%s not found in the file", what)
	}
	if bytes.Contains(haystack[i+1:], needle) {
		t.Fatalf("%s occurs twice in the file", what)
	}
	return i
}

// TestRealBitFlips changes every bit of the SOD's signature, of the signed
// message digest and of each data-group hash, and checks that each change
// is refused with its own error.
func TestRealBitFlips(t *testing.T) {
	trust := realTrust(t)
	for _, name := range realSecurityObjects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := readShared(t, "sod/"+name)
			sod, err := ParseSOD(file)
			if err != nil {
				t.Fatal(err)
			}
			opts := VerifyOptions{Now: trustTime}
			mustFail := func(what string, want error) func([]byte, int, int) {
				return func(m []byte, i, bit int) {
					if _, err := VerifySOD(m, trust, opts); err == nil || want != nil && !errors.Is(err, want) {
						t.Errorf("%s: bit %d of byte %d flipped: VerifySOD() = %v, want %v", what, bit, i, err, want)
					}
				}
			}
			signer := sod.SignedData.Signer
			at := indexOnce(t, file, signer.Signature, "SOD signature")
			flipBits(t, file, at, at+len(signer.Signature), mustFail("SOD signature", ErrSignatureInvalid))

			at = indexOnce(t, file, signer.MessageDigest, "messageDigest")
			flipBits(t, file, at, at+len(signer.MessageDigest), mustFail("messageDigest", ErrDigestMismatch))

			if sod.LDS != nil {
				for _, n := range sod.LDS.DataGroups() {
					h := sod.LDS.Hashes[n]
					at := indexOnce(t, file, h, fmt.Sprintf("DG%d hash", n))
					flipBits(t, file, at, at+len(h), mustFail(fmt.Sprintf("DG%d hash", n), ErrDigestMismatch))
				}
			}

		})
	}
}

// TestRealSignerCertificateBitFlips changes every bit of the signature of
// each distinct document signer certificate (DE and FI share theirs
// between EF.SOD and EF.CardSecurity): the chain check must refuse it with
// ErrSignatureInvalid. It calls the chain check directly, as the SOD's own
// signature is unaffected; a few changes also go through VerifySOD.
func TestRealSignerCertificateBitFlips(t *testing.T) {
	trust := realTrust(t)
	seen := map[[32]byte]bool{}
	for _, name := range realSecurityObjects(t) {
		file := readShared(t, "sod/"+name)
		sod, err := ParseSOD(file)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := sod.SignedData.SignerCertificate()
		if err != nil {
			t.Fatal(err)
		}
		if seen[ds.Fingerprint()] {
			continue
		}
		seen[ds.Fingerprint()] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			at := indexOnce(t, ds.Raw, ds.Signature, "certificate signature")
			flipBits(t, ds.Raw, at, at+len(ds.Signature), func(m []byte, i, bit int) {
				c, err := pki.ParseCertificate(m)
				if err != nil {
					return // a structural change: refused anyway
				}
				if _, err := trust.verifyDocumentSigner(c, trustTime); !errors.Is(err, ErrSignatureInvalid) {
					t.Errorf("certificate signature: bit %d of byte %d flipped: chain = %v, want ErrSignatureInvalid", bit, i, err)
				}
			})
			dsAt := indexOnce(t, file, ds.Raw, "document signer certificate")
			for _, off := range []int{at, at + len(ds.Signature)/2, at + len(ds.Signature) - 1} {
				m := append([]byte(nil), file...)
				m[dsAt+off] ^= 0x01
				if _, err := VerifySOD(m, trust, VerifyOptions{Now: trustTime}); !errors.Is(err, ErrSignatureInvalid) {
					t.Errorf("certificate signature byte %d changed: VerifySOD() = %v, want ErrSignatureInvalid", off, err)
				}
			}
		})
	}
}

// TestRealSignedRegions changes one bit in every byte of the signed
// attributes and of the signed content: each must be refused.
func TestRealSignedRegions(t *testing.T) {
	trust := realTrust(t)
	for _, name := range realSecurityObjects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := readShared(t, "sod/"+name)
			sod, err := ParseSOD(file)
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, region []byte, stride int) {
				at := indexOnce(t, file, region, what)
				m := append([]byte(nil), file...)
				for i := at; i < at+len(region); i += stride {
					m[i] ^= 1 << (i % 8)
					if _, err := VerifySOD(m, trust, VerifyOptions{Now: trustTime}); err == nil {
						t.Errorf("%s: byte %d changed: VerifySOD() = nil, want an error", what, i)
					}
					m[i] ^= 1 << (i % 8)
				}
			}
			// Changing the signed attributes costs a signature
			// verification each: sample every third byte after the tag.
			check("signed attributes", sod.SignedData.Signer.SignedAttributes[1:], 3)
			check("signed content", sod.SignedData.Content, 1)
		})
	}
}

func TestRealUnknownCSCA(t *testing.T) {
	onlyNL := NewTrustStore()
	root, err := pki.ParseCertificate(readShared(t, "trust/NL_ROOT_CA.cer"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onlyNL.AddCSCA(root, "NL_ROOT_CA.cer", true); err != nil {
		t.Fatal(err)
	}
	for _, name := range realSecurityObjects(t) {
		for _, store := range []*TrustStore{NewTrustStore(), onlyNL, nil} {
			if _, err := VerifySOD(readShared(t, "sod/"+name), store, VerifyOptions{Now: trustTime}); !errors.Is(err, ErrUnknownCSCA) {
				t.Errorf("%s: VerifySOD() without its CSCA = %v, want ErrUnknownCSCA", name, err)
			}
		}
	}
}

// TestRealSignerValidity verifies the real objects outside their
// document signer's validity: refused with ErrSignerExpired.
func TestRealSignerValidity(t *testing.T) {
	trust := realTrust(t)
	for _, name := range realSecurityObjects(t) {
		file := readShared(t, "sod/"+name)
		sod, err := ParseSOD(file)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := sod.SignedData.SignerCertificate()
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{ds.NotBefore.Add(-time.Second), ds.NotAfter.Add(time.Second)} {
			if _, err := VerifySOD(file, trust, VerifyOptions{At: at, Now: trustTime}); !errors.Is(err, ErrSignerExpired) {
				t.Errorf("%s at %v: VerifySOD() = %v, want ErrSignerExpired", name, at, err)
			}
		}
		if _, err := VerifySOD(file, trust, VerifyOptions{At: ds.NotAfter, Now: trustTime}); err != nil {
			t.Errorf("%s at the signer's last second: VerifySOD() = %v, want nil", name, err)
		}
	}
}

func TestRealTrustReport(t *testing.T) {
	r := realTrust(t).Report()
	var kinds []string
	for _, s := range r.Sources {
		kinds = append(kinds, s.File+":"+s.Kind)
	}
	want := []string{
		"DE_ROOT_CA_CSCA07.cer:certificate", "NL_ROOT_CA.cer:certificate",
		"DE_ML_2026-05-28-08-28-45.ml:master list", "NL_ML_2026-07-22.ml:master list",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("Report().Sources mismatch (-want +got):\n%s", diff)
	}
	total := 0
	for _, n := range r.ByCountry {
		total += n
	}
	if total != r.CSCAs || r.CSCAs < 500 {
		t.Errorf("Report(): %d CSCAs, %d by country; want equal and at least 500", r.CSCAs, total)
	}
	for _, cc := range []string{"AT", "DE", "FI", "FR", "GB", "US", "NL"} {
		if r.ByCountry[cc] == 0 {
			t.Errorf("Report().ByCountry[%s] = 0, want CSCAs", cc)
		}
	}
	for _, s := range r.Sources[2:] {
		if s.Added+s.Duplicates < 400 || s.Signer == "" || s.SignedBy == "" || s.SignedAt.IsZero() {
			t.Errorf("master list source %+v: want at least 400 certificates, a signer and a signing time", s)
		}
	}
}

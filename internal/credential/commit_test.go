package credential_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

// TestCommitmentFormula pins the commitment to its documented formula,
// Hash(salt || uint16 big-endian len(name) || name || value), computed
// here independently, so that a verifier written from the documentation
// agrees with the CA.
func TestCommitmentFormula(t *testing.T) {
	salt := bytes.Repeat([]byte{0xa5}, credential.SaltSize)
	reader := bytes.NewReader(salt)
	preimage := append(append(append(append([]byte{}, salt...), 0x00, 0x09), "birthdate"...), "1990-05-17"...)
	want := map[suite.Name][]byte{}
	sum := sha256.Sum256(preimage)
	want[suite.Intl] = sum[:]
	want[suite.SM] = mustSuite(t, suite.SM).Hash(preimage)
	for n, digest := range want {
		reader.Reset(salt)
		cs, os, err := credential.Commit(mustSuite(t, n), reader, []credential.Attribute{{Name: "birthdate", Value: "1990-05-17"}})
		if err != nil {
			t.Fatal(err)
		}
		wantC := []credential.Commitment{{Attribute: "birthdate", Algorithm: mustSuite(t, n).Algorithms().Hash, Digest: digest}}
		if diff := cmp.Diff(wantC, cs); diff != "" {
			t.Errorf("%s: Commit() mismatch (-want +got):\n%s", n, diff)
		}
		wantO := []credential.Opening{{Attribute: "birthdate", Value: "1990-05-17", Salt: salt}}
		if diff := cmp.Diff(wantO, os); diff != "" {
			t.Errorf("%s: Commit() openings mismatch (-want +got):\n%s", n, diff)
		}
	}
	// The length prefix separates name and value: moving a character
	// across the boundary changes the digest.
	s := mustSuite(t, suite.Intl)
	reader.Reset(salt)
	a, _, _ := credential.Commit(s, reader, []credential.Attribute{{Name: "ab", Value: "c"}})
	reader.Reset(salt)
	b, _, _ := credential.Commit(s, reader, []credential.Attribute{{Name: "a", Value: "bc"}})
	if bytes.Equal(a[0].Digest, b[0].Digest) {
		t.Error(`commitments to ("ab", "c") and ("a", "bc") are equal, want them to differ`)
	}
}

func TestCommitRefusals(t *testing.T) {
	s := mustSuite(t, suite.Intl)
	many := make([]credential.Attribute, credential.MaxCommitments+1)
	for i := range many {
		many[i] = credential.Attribute{Name: fmt.Sprintf("a%d", i)}
	}
	tests := []struct {
		name  string
		attrs []credential.Attribute
	}{
		{"upper case", []credential.Attribute{{Name: "Birthdate"}}},
		{"empty name", []credential.Attribute{{Name: ""}}},
		{"leading digit", []credential.Attribute{{Name: "1st"}}},
		{"dash", []credential.Attribute{{Name: "family-name"}}},
		{"too long", []credential.Attribute{{Name: strings.Repeat("a", 65)}}},
		{"twice", []credential.Attribute{{Name: "sex", Value: "F"}, {Name: "sex", Value: "M"}}},
		{"too many", many},
	}
	for _, tt := range tests {
		if _, _, err := credential.Commit(s, nil, tt.attrs); !errors.Is(err, credential.ErrCommitment) {
			t.Errorf("%s: Commit() error = %v, want ErrCommitment", tt.name, err)
		}
	}
	cs, os, err := credential.Commit(s, nil, []credential.Attribute{{Name: strings.Repeat("a", 64)}, {Name: "b"}})
	if err != nil || len(cs) != 2 || len(os) != 2 || cs[1].Attribute != "b" {
		t.Errorf("Commit(longest name, empty values) = %v, %v, %v; want two, sorted", cs, os, err)
	}

	c, o := cs[1], os[1]
	bad := []struct {
		name string
		c    credential.Commitment
		o    credential.Opening
		want error
	}{
		{"other attribute", c, credential.Opening{Attribute: "c", Value: o.Value, Salt: o.Salt}, credential.ErrDisclosure},
		{"short salt", c, credential.Opening{Attribute: "b", Value: o.Value, Salt: o.Salt[:31]}, credential.ErrDisclosure},
		{"unknown algorithm", credential.Commitment{Attribute: "b", Algorithm: "md5", Digest: c.Digest}, o, credential.ErrCommitment},
		{"other algorithm", credential.Commitment{Attribute: "b", Algorithm: "sm3", Digest: c.Digest}, o, credential.ErrDisclosure},
	}
	for _, tt := range bad {
		if err := tt.c.Verify(tt.o); !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify() = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestParseCommitmentsExtension(t *testing.T) {
	valid := []byte{0x30, 0x32, 0x30, 0x30, 0x0c, 0x01, 'a', 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20}
	valid = append(valid, make([]byte, 32)...)
	ext := func(critical bool, v []byte) pkix.Extension {
		return pkix.Extension{Id: credential.OIDCommitments, Critical: critical, Value: v}
	}
	tests := []struct {
		name string
		exts []pkix.Extension
		want []credential.Commitment
		err  bool
	}{
		{"absent", nil, nil, false},
		{"one sha-256", []pkix.Extension{ext(false, valid)}, []credential.Commitment{{Attribute: "a", Algorithm: "sha-256", Digest: make([]byte, 32)}}, false},
		{"critical", []pkix.Extension{ext(true, valid)}, nil, true},
		{"twice", []pkix.Extension{ext(false, valid), ext(false, valid)}, nil, true},
		{"empty sequence", []pkix.Extension{ext(false, []byte{0x30, 0x00})}, nil, true},
		{"empty value", []pkix.Extension{ext(false, nil)}, nil, true},
		{"trailing byte", []pkix.Extension{ext(false, append(append([]byte{}, valid...), 0))}, nil, true},
	}
	for _, tt := range tests {
		got, err := credential.ParseCommitments(&x509.Certificate{Extensions: tt.exts})
		if (err != nil) != tt.err || (err != nil && !errors.Is(err, credential.ErrCommitment)) {
			t.Errorf("%s: ParseCommitments() error = %v, want error %v (ErrCommitment)", tt.name, err, tt.err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ParseCommitments() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

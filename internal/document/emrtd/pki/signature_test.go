package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"math/big"
	"testing"
)

func pssParamsDER(t *testing.T, hash, mgfHash asn1.ObjectIdentifier, salt int) asn1.RawValue {
	t.Helper()
	mgfParams, err := asn1.Marshal(pkix.AlgorithmIdentifier{Algorithm: mgfHash})
	if err != nil {
		t.Fatal(err)
	}
	b, err := asn1.Marshal(struct {
		Hash pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
		MGF  pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
		Salt int                      `asn1:"explicit,tag:2"`
	}{pkix.AlgorithmIdentifier{Algorithm: hash}, pkix.AlgorithmIdentifier{Algorithm: OIDMGF1, Parameters: asn1.RawValue{FullBytes: mgfParams}}, salt})
	if err != nil {
		t.Fatal(err)
	}
	return asn1.RawValue{FullBytes: b}
}

func TestResolveSignatureAlgorithm(t *testing.T) {
	emptySeq := asn1.RawValue{FullBytes: []byte{0x30, 0x00}}
	tests := []struct {
		name    string
		alg     pkix.AlgorithmIdentifier
		digest  *Digest
		want    string
		wantErr error
	}{
		{"sha256WithRSAEncryption", pkix.AlgorithmIdentifier{Algorithm: OIDSHA256WithRSA, Parameters: asn1.NullRawValue}, nil, "RSA PKCS#1 v1.5 with SHA-256", nil},
		{"rsaEncryption with digest", pkix.AlgorithmIdentifier{Algorithm: OIDRSAEncryption}, SHA512, "RSA PKCS#1 v1.5 with SHA-512", nil},
		{"rsaEncryption without digest", pkix.AlgorithmIdentifier{Algorithm: OIDRSAEncryption}, nil, "", ErrUnsupportedAlgorithm},
		{"PSS defaults (RFC 4055)", pkix.AlgorithmIdentifier{Algorithm: OIDRSASSAPSS, Parameters: emptySeq}, nil, "RSASSA-PSS with SHA-1 (MGF1 SHA-1, salt 20)", nil},
		{"PSS SHA-256", pkix.AlgorithmIdentifier{Algorithm: OIDRSASSAPSS, Parameters: pssParamsDER(t, OIDSHA256, OIDSHA256, 32)}, nil, "RSASSA-PSS with SHA-256 (MGF1 SHA-256, salt 32)", nil},
		{"PSS with SM3", pkix.AlgorithmIdentifier{Algorithm: OIDRSASSAPSS, Parameters: pssParamsDER(t, OIDSM3, OIDSM3, 32)}, nil, "", ErrUnsupportedAlgorithm},
		{"PSS garbage parameters", pkix.AlgorithmIdentifier{Algorithm: OIDRSASSAPSS, Parameters: asn1.RawValue{FullBytes: []byte{0x30, 0x01, 0x00}}}, nil, "", ErrMalformed},
		{"ecdsa-with-SHA384", pkix.AlgorithmIdentifier{Algorithm: OIDECDSAWithSHA384}, nil, "ECDSA with SHA-384", nil},
		{"ecdsa-with-SHA384 with parameters", pkix.AlgorithmIdentifier{Algorithm: OIDECDSAWithSHA384, Parameters: emptySeq}, nil, "", ErrMalformed},
		{"id-ecPublicKey with digest", pkix.AlgorithmIdentifier{Algorithm: OIDECPublicKey}, SHA224, "ECDSA with SHA-224", nil},
		{"ecdsa-plain-SHA256", pkix.AlgorithmIdentifier{Algorithm: OIDECDSAPlainSHA256}, nil, "ECDSA (plain r‖s) with SHA-256", nil},
		{"SM2 with SM3", pkix.AlgorithmIdentifier{Algorithm: OIDSM2WithSM3}, nil, "SM2 with SM3", nil},
		{"DSA", pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 3}}, nil, "", ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveSignatureAlgorithm(tt.alg, tt.digest)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("ResolveSignatureAlgorithm() error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveSignatureAlgorithm() = %v", err)
			}
			if got.String() != tt.want {
				t.Errorf("ResolveSignatureAlgorithm() = %q, want %q", got, tt.want)
			}
		})
	}
}

// signPSS is EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with any MGF1 hash
// and salt, then RSASP1 with the private exponent: signatures crypto/rsa
// cannot produce.
func signPSS(t *testing.T, k *rsa.PrivateKey, hash, mgfHash *Digest, mHash []byte, saltLen int) []byte {
	t.Helper()
	emBits := k.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	h := hash.Sum(append(append(make([]byte, 8), mHash...), salt...))
	db := make([]byte, emLen-len(h)-1)
	db[len(db)-saltLen-1] = 1
	copy(db[len(db)-saltLen:], salt)
	var mask []byte
	for c := uint32(0); len(mask) < len(db); c++ {
		m := mgfHash.New()
		m.Write(h)
		m.Write(binary.BigEndian.AppendUint32(nil, c))
		mask = m.Sum(mask)
	}
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= 0xff >> uint(8*emLen-emBits)
	em := append(append(db, h...), 0xbc)
	s := new(big.Int).Exp(new(big.Int).SetBytes(em), k.D, k.N)
	return s.FillBytes(make([]byte, (k.N.BitLen()+7)/8))
}

func TestVerifyPSS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub := &PublicKey{Algorithm: KeyRSA, RSA: &key.PublicKey}
	msg := []byte("signed attributes")
	tests := []struct {
		name      string
		hash, mgf *Digest
		salt      int
		stdlib    bool // sign with crypto/rsa
	}{
		{"SHA-256, salt 32 (crypto/rsa)", SHA256, SHA256, 32, true},
		{"SHA-512, salt 64 (crypto/rsa)", SHA512, SHA512, 64, true},
		{"SHA-256, salt 32 (manual)", SHA256, SHA256, 32, false},
		{"SHA-256 with MGF1 SHA-1", SHA256, SHA1, 20, false},
		{"SHA-384, no salt", SHA384, SHA384, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mHash := tt.hash.Sum(msg)
			var sig []byte
			if tt.stdlib {
				sig, err = rsa.SignPSS(rand.Reader, key, tt.hash.Hash, mHash, &rsa.PSSOptions{SaltLength: tt.salt})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				sig = signPSS(t, key, tt.hash, tt.mgf, mHash, tt.salt)
			}
			params := &PSSParameters{Hash: tt.hash, MGF1Hash: tt.mgf, SaltLength: tt.salt}
			// The generic EMSA-PSS code must accept it whichever path
			// VerifySignature takes.
			if err := verifyPSS(&key.PublicKey, params, mHash, sig); err != nil {
				t.Errorf("verifyPSS() = %v, want nil", err)
			}
			alg := SignatureAlgorithm{Scheme: SchemeRSAPSS, Digest: tt.hash, PSS: params}
			if err := VerifySignature(pub, alg, msg, sig); err != nil {
				t.Errorf("VerifySignature() = %v, want nil", err)
			}
			wrongSalt := *params
			wrongSalt.SaltLength++
			if err := VerifySignature(pub, SignatureAlgorithm{Scheme: SchemeRSAPSS, Digest: tt.hash, PSS: &wrongSalt}, msg, sig); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("VerifySignature() with another salt length = %v, want ErrSignatureInvalid", err)
			}
			for _, i := range []int{0, len(sig) / 2, len(sig) - 1} {
				bad := append([]byte(nil), sig...)
				bad[i] ^= 0x08
				if err := VerifySignature(pub, alg, msg, bad); !errors.Is(err, ErrSignatureInvalid) {
					t.Errorf("VerifySignature() with byte %d changed = %v, want ErrSignatureInvalid", i, err)
				}
			}
		})
	}
}

func TestVerifySignatureKeyMismatch(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub := &PublicKey{Algorithm: KeyRSA, RSA: &key.PublicKey}
	for _, alg := range []SignatureAlgorithm{
		{Scheme: SchemeECDSA, Digest: SHA256},
		{Scheme: SchemeSM2, Digest: SM3},
	} {
		if err := VerifySignature(pub, alg, []byte("x"), []byte{0x30, 0}); !errors.Is(err, ErrSignatureInvalid) {
			t.Errorf("VerifySignature(%s with an RSA key) = %v, want ErrSignatureInvalid", alg, err)
		}
	}
	// A signature missing its leading zero byte is padded, not refused.
	// PKCS#1 v1.5 is deterministic: vary the message until the signature
	// starts with a zero byte (1 in 256).
	for i := 0; i < 10000; i++ {
		msg := binary.BigEndian.AppendUint32([]byte("m"), uint32(i))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, SHA256.Sum(msg))
		if err != nil {
			t.Fatal(err)
		}
		if sig[0] != 0 {
			continue
		}
		if err := VerifySignature(pub, SignatureAlgorithm{Scheme: SchemeRSAPKCS1v15, Digest: SHA256}, msg, sig[1:]); err != nil {
			t.Errorf("VerifySignature() of a signature without its leading zero = %v, want nil", err)
		}
		return
	}
	t.Fatal("no signature with a leading zero byte in 10000 messages")
}

func TestDigests(t *testing.T) {
	for _, d := range []*Digest{SHA1, SHA224, SHA256, SHA384, SHA512, SM3} {
		got, err := DigestByOID(d.OID)
		if err != nil || got != d {
			t.Errorf("DigestByOID(%v) = %v, %v; want %s", d.OID, got, err, d)
		}
		if n := len(d.Sum([]byte("abc"))); n != d.Size {
			t.Errorf("%s: digest of %d bytes, want %d", d, n, d.Size)
		}
	}
	if _, err := DigestFromAlgorithm(pkix.AlgorithmIdentifier{Algorithm: OIDSHA256, Parameters: asn1.RawValue{FullBytes: []byte{0x02, 0x01, 0x01}}}); !errors.Is(err, ErrMalformed) {
		t.Errorf("DigestFromAlgorithm(SHA-256 with INTEGER parameters) = %v, want ErrMalformed", err)
	}
}

package biometric

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

var livenessNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func newP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEd25519(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSigner(t testing.TB, kid string, key crypto.Signer) *LivenessSigner {
	t.Helper()
	s, err := NewLivenessSigner(kid, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func attest(t testing.TB, s *LivenessSigner, st LivenessStatement) LivenessAttestation {
	t.Helper()
	att, err := s.Attest(st)
	if err != nil {
		t.Fatal(err)
	}
	return att
}

// rawAttestation signs arbitrary claims and headers, for attestations the
// LivenessSigner would never produce.
func rawAttestation(t testing.TB, alg jose.SignatureAlgorithm, key any, headers map[jose.HeaderKey]any, claims any) LivenessAttestation {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range headers {
		opts.WithHeader(k, v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	c, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return LivenessAttestation(c)
}

func TestVerifyLiveness(t *testing.T) {
	ecKey, edKey, rogue := newP256(t), newEd25519(t), newP256(t)
	ec, ed := newSigner(t, "phone-tee-1", ecKey), newSigner(t, "engine-2", edKey)
	v, err := NewLivenessVerifier([]TrustedKey{ec.TrustedKey(), ed.TrustedKey(), {ID: "strict", Key: rogue.Public(), MinThreshold: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	capture := Capture{Image: captureOf(t, 9, 0)}
	other := Capture{Image: captureOf(t, 9, 1)}
	const challenge = "Zm9vYmFyYmF6cXV4cXV1eHF1dXpxdXV6cXV1eg"
	ok := LivenessStatement{Challenge: challenge, Capture: capture, Score: 0.97, Threshold: 0.9, IssuedAt: livenessNow.Add(-10 * time.Second)}
	with := func(f func(*LivenessStatement)) LivenessStatement { st := ok; f(&st); return st }
	digest, _ := CaptureDigest(capture)
	claims := map[string]any{
		"nonce": challenge, "capture_sha256": base64.RawURLEncoding.EncodeToString(digest[:]),
		"iat": livenessNow.Unix() - 10, "exp": livenessNow.Unix() + 60, "score": 0.9, "threshold": 0.8,
	}
	without := func(k string) map[string]any {
		c := map[string]any{}
		for kk, vv := range claims {
			if kk != k {
				c[kk] = vv
			}
		}
		return c
	}
	header := func(kid, typ string) map[jose.HeaderKey]any {
		return map[jose.HeaderKey]any{"kid": kid, jose.HeaderType: typ}
	}
	valid := attest(t, ec, ok)
	parts := strings.Split(string(valid), ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"nonce":"x"}`)) + "." + parts[2]

	tests := []struct {
		name      string
		att       LivenessAttestation
		capture   Capture
		challenge string
		now       time.Time
		want      error
	}{
		{"ES256 valid", valid, capture, challenge, livenessNow, nil},
		{"EdDSA valid", attest(t, ed, ok), capture, challenge, livenessNow, nil},
		{"embedding capture", attest(t, ec, with(func(s *LivenessStatement) {
			s.Capture = Capture{Embedding: &Template{Extractor: "x", Vector: []float32{1, 2}}}
		})), Capture{Embedding: &Template{Extractor: "x", Vector: []float32{1, 2}}}, challenge, livenessNow, nil},
		{"score equal to threshold", attest(t, ec, with(func(s *LivenessStatement) { s.Score = 0.9 })), capture, challenge, livenessNow, nil},
		{"within clock skew before iat", valid, capture, challenge, ok.IssuedAt.Add(-20 * time.Second), nil},

		{"missing", "", capture, challenge, livenessNow, ErrLivenessMissing},
		{"not a JWS", "hello", capture, challenge, livenessNow, ErrLivenessSignature},
		{"oversized", LivenessAttestation(strings.Repeat("a", MaxAttestationSize+1)), capture, challenge, livenessNow, ErrLivenessSignature},
		{"tampered payload", LivenessAttestation(tampered), capture, challenge, livenessNow, ErrLivenessSignature},
		{"untrusted key, known kid", rawAttestation(t, jose.ES256, newP256(t), header("phone-tee-1", LivenessType), claims), capture, challenge, livenessNow, ErrLivenessSignature},
		{"unknown kid", rawAttestation(t, jose.ES256, ecKey, header("nobody", LivenessType), claims), capture, challenge, livenessNow, ErrLivenessSignature},
		{"no kid", rawAttestation(t, jose.ES256, ecKey, map[jose.HeaderKey]any{jose.HeaderType: LivenessType}, claims), capture, challenge, livenessNow, ErrLivenessSignature},
		{"wrong typ", rawAttestation(t, jose.ES256, ecKey, header("phone-tee-1", "JWT"), claims), capture, challenge, livenessNow, ErrLivenessSignature},
		{"no typ", rawAttestation(t, jose.ES256, ecKey, map[jose.HeaderKey]any{"kid": "phone-tee-1"}, claims), capture, challenge, livenessNow, ErrLivenessSignature},
		{"algorithm not allowed", rawAttestation(t, jose.HS256, make([]byte, 32), header("phone-tee-1", LivenessType), claims), capture, challenge, livenessNow, ErrLivenessSignature},
		{"EdDSA under an ES256 kid", rawAttestation(t, jose.EdDSA, edKey, header("phone-tee-1", LivenessType), claims), capture, challenge, livenessNow, ErrLivenessSignature},

		{"claims not JSON object", rawAttestation(t, jose.ES256, ecKey, header("phone-tee-1", LivenessType), "live"), capture, challenge, livenessNow, ErrLivenessMalformed},
		{"no nonce", rawAttestation(t, jose.ES256, ecKey, header("phone-tee-1", LivenessType), without("nonce")), capture, challenge, livenessNow, ErrLivenessMalformed},
		{"no score", rawAttestation(t, jose.ES256, ecKey, header("phone-tee-1", LivenessType), without("score")), capture, challenge, livenessNow, ErrLivenessMalformed},
		{"no threshold", rawAttestation(t, jose.ES256, ecKey, header("phone-tee-1", LivenessType), without("threshold")), capture, challenge, livenessNow, ErrLivenessMalformed},
		{"no exp", rawAttestation(t, jose.ES256, ecKey, header("phone-tee-1", LivenessType), without("exp")), capture, challenge, livenessNow, ErrLivenessMalformed},
		{"digest not SHA-256", attestClaims(t, ecKey, claims, "capture_sha256", "c2hvcnQ"), capture, challenge, livenessNow, ErrLivenessMalformed},
		{"exp before iat", attest(t, ec, with(func(s *LivenessStatement) { s.Lifetime = -time.Minute })), capture, challenge, livenessNow, ErrLivenessMalformed},

		{"other challenge (replay)", valid, capture, "another-enrolment", livenessNow, ErrLivenessChallenge},
		{"no challenge issued", valid, capture, "", livenessNow, ErrLivenessChallenge},
		{"other image", valid, other, challenge, livenessNow, ErrLivenessCaptureMismatch},
		{"other embedding", attest(t, ec, with(func(s *LivenessStatement) {
			s.Capture = Capture{Embedding: &Template{Extractor: "x", Vector: []float32{1, 2}}}
		})), Capture{Embedding: &Template{Extractor: "x", Vector: []float32{1, 3}}}, challenge, livenessNow, ErrLivenessCaptureMismatch},
		{"unusable capture", valid, Capture{}, challenge, livenessNow, ErrBadSample},

		{"expired", valid, capture, challenge, ok.IssuedAt.Add(2*time.Minute + DefaultClockSkew), ErrLivenessExpired},
		{"issued in the future", valid, capture, challenge, ok.IssuedAt.Add(-time.Minute), ErrLivenessExpired},
		{"lifetime too long", attest(t, ec, with(func(s *LivenessStatement) { s.Lifetime = time.Hour })), capture, challenge, livenessNow, ErrLivenessExpired},

		{"score below threshold", attest(t, ec, with(func(s *LivenessStatement) { s.Score = 0.2 })), capture, challenge, livenessNow, ErrNotLive},
		{"threshold above the key's floor", rawAttestation(t, jose.ES256, rogue, header("strict", LivenessType), claims), capture, challenge, livenessNow, nil},
		{"threshold below the key's floor", attestClaims(t, rogue, claims, "threshold", 0.1, "kid", "strict"), capture, challenge, livenessNow, ErrNotLive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.VerifyLiveness(tt.att, tt.capture, tt.challenge, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// attestClaims signs claims with one claim replaced, under kid "phone-tee-1"
// unless a "kid" pair follows.
func attestClaims(t testing.TB, key *ecdsa.PrivateKey, claims map[string]any, kv ...any) LivenessAttestation {
	t.Helper()
	c := map[string]any{}
	for k, v := range claims {
		c[k] = v
	}
	kid := "phone-tee-1"
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "kid" {
			kid = kv[i+1].(string)
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return rawAttestation(t, jose.ES256, key, map[jose.HeaderKey]any{"kid": kid, jose.HeaderType: LivenessType}, c)
}

func TestNewLivenessVerifierReportsEveryProblem(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := newP256(t).Public()
	_, err = NewLivenessVerifier([]TrustedKey{
		{ID: "", Key: good},
		{ID: "rsa", Key: rsaKey.Public()},
		{ID: "p384", Key: p384.Public()},
		{ID: "short-ed", Key: ed25519.PublicKey{1, 2}},
		{ID: "dup", Key: good},
		{ID: "dup", Key: good},
	}, WithMaxAttestationLifetime(0), WithClockSkew(-time.Second))
	if err == nil {
		t.Fatal("got nil, want an error")
	}
	for _, want := range []string{"empty key id", `"rsa"`, `"p384"`, `"short-ed"`, "duplicate", "lifetime", "skew"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := NewLivenessVerifier(nil); err == nil {
		t.Error("no keys: got nil, want an error")
	}
}

func TestLivenessSignerRefuses(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewLivenessSigner("k", rsaKey); err == nil {
		t.Error("RSA key: got nil, want an error")
	}
	if _, err := NewLivenessSigner("", newP256(t)); err == nil {
		t.Error("empty key id: got nil, want an error")
	}
	s := newSigner(t, "k", newP256(t))
	if _, err := s.Attest(LivenessStatement{Capture: Capture{}}); !errors.Is(err, ErrBadSample) {
		t.Errorf("no capture: got %v, want %v", err, ErrBadSample)
	}
}

func TestNewChallenge(t *testing.T) {
	a, err := NewChallenge(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewChallenge(nil)
	if len(a) != 43 || a == b {
		t.Errorf("got %q and %q, want two different 43-character challenges", a, b)
	}
	if _, err := NewChallenge(strings.NewReader("short")); err == nil {
		t.Error("short random source: got nil, want an error")
	}
}

func FuzzVerifyLiveness(f *testing.F) {
	key := newP256(f)
	s := newSigner(f, "k", key)
	v, err := NewLivenessVerifier([]TrustedKey{s.TrustedKey()})
	if err != nil {
		f.Fatal(err)
	}
	capture := Capture{Image: []byte{0xFF, 0xD8, 0xFF, 1, 2, 3}}
	valid := attest(f, s, LivenessStatement{Challenge: "c", Capture: capture, Score: 1, Threshold: 0.5, IssuedAt: livenessNow})
	f.Add(string(valid))
	parts := strings.Split(string(valid), ".")
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + ".." + parts[2])
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJuZXRpZC1saXZlbmVzcytqd3QifQ.bnVsbA.AAAA")
	f.Add("...")
	f.Add("")
	f.Fuzz(func(t *testing.T, att string) {
		err := v.VerifyLiveness(LivenessAttestation(att), capture, "c", livenessNow)
		if err == nil {
			// Only a genuine signature by our key can pass: the fuzzer cannot
			// forge one, so any success must be the seed itself, up to the
			// unused low bits of base64 that decoders ignore.
			if !sameJWS(att, string(valid)) {
				t.Fatalf("accepted a forged attestation %q", att)
			}
			return
		}
		for _, known := range []error{ErrLivenessMissing, ErrLivenessSignature, ErrLivenessMalformed, ErrLivenessChallenge,
			ErrLivenessCaptureMismatch, ErrLivenessExpired, ErrNotLive} {
			if errors.Is(err, known) {
				return
			}
		}
		t.Fatalf("error %v is none of the liveness errors", err)
	})
}

// sameJWS reports whether two compact JWS decode to the same three parts.
func sameJWS(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	if len(pa) != 3 || len(pb) != 3 {
		return false
	}
	for i := range pa {
		da, errA := base64.RawURLEncoding.DecodeString(pa[i])
		db, errB := base64.RawURLEncoding.DecodeString(pb[i])
		if errA != nil || errB != nil || string(da) != string(db) {
			return false
		}
	}
	return true
}

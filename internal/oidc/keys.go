package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/netid/netid/internal/crypto/keystore"
)

// Keys is what the provider needs of the key store: the token-signing key
// (always ES256), its public keys for JWKS, and MACs for cookies and
// pairwise subjects. *keystore.Store implements it.
type Keys interface {
	ActiveSigner(p keystore.Purpose) (keystore.Meta, crypto.Signer, error)
	PublicKeys(p keystore.Purpose) ([]keystore.PublicKey, error)
	ActiveMAC(ctx context.Context, p keystore.Purpose, msg []byte) (id string, mac []byte, err error)
	VerifyMAC(ctx context.Context, p keystore.Purpose, msg, mac []byte) (keystore.Meta, error)
	MAC(ctx context.Context, id string, msg []byte) ([]byte, error)
}

var _ Keys = (*keystore.Store)(nil)

// es256Signer signs compact JWS with ES256 (RFC 7515 section 7.1, RFC
// 7518 section 3.4) through a crypto.Signer of a P-256 key, so that the key
// store's signer (a file key today, an HSM tomorrow) signs JWTs without
// ever handing out the private key.
//
// It writes the compact form itself instead of going through go-jose's
// Signer, which per token marshals the protected header twice and the
// payload's base64 twice, re-parses the ASN.1 signature into big.Ints and
// allocates about 130 times: a quarter of the cost of an ID token on top
// of the ECDSA signature (docs/decisions.md, "ID tokens signed without
// go-jose"). The protected header never changes for a key, so it is
// encoded once; what remains per token is one base64 of the payload, one
// SHA-256, the signature, and one base64 of R || S. go-jose still parses
// and verifies every token (verifyJWT, the tests).
type es256Signer struct {
	kid    string
	signer crypto.Signer
	// prefix is base64url(protected header) and the dot: the start of
	// every signing input.
	prefix string
}

// es256Header is the protected header of every token: the members go-jose
// wrote, in the same (sorted) order.
type es256Header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

func newES256Signer(kid string, s crypto.Signer) (*es256Signer, error) {
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("oidc: token-signing key %s is not ECDSA P-256", kid)
	}
	h, err := json.Marshal(es256Header{Alg: string(jose.ES256), Kid: kid, Typ: "JWT"})
	if err != nil {
		return nil, fmt.Errorf("oidc: header for %s: %w", kid, err)
	}
	return &es256Signer{kid: kid, signer: s, prefix: base64.RawURLEncoding.EncodeToString(h) + "."}, nil
}

// es256SigLen is the length of an ES256 signature: R and S, 32 bytes each.
const es256SigLen = 64

// sign returns the compact JWS of payload: header.payload.signature, each
// part base64url without padding.
func (e *es256Signer) sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(e.prefix)+enc.EncodedLen(len(payload))+1+enc.EncodedLen(es256SigLen))
	buf = append(buf, e.prefix...)
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	// A nil random source asks crypto/ecdsa for a deterministic signature
	// (RFC 6979, approved in FIPS 186-5 section 6.3.2) instead of its
	// default hedged one: the nonce is derived by HMAC-SHA-256 (in hardware
	// on current x86 and arm64) instead of an HMAC-SHA-512 DRBG, which was
	// a fifth of the signature's cost (24.5 µs against 30 µs on the
	// standard machine). Determinism costs
	// nothing here: every payload is unique (iat, nonce, at_hash of a
	// random access token), and the fault attacks that hedging resists
	// need one message signed twice. docs/decisions.md, "Deterministic
	// ECDSA for ID tokens".
	der, err := e.signer.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("oidc: sign with %s: %w", e.kid, err)
	}
	var sig [es256SigLen]byte
	if !rawECDSASignature(der, sig[:]) {
		return "", fmt.Errorf("oidc: sign with %s: malformed ECDSA signature", e.kid)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig[:])
	return string(buf), nil
}

// rawECDSASignature converts an ASN.1 ECDSA signature (what crypto.Signer
// returns) into the fixed-size R || S that JWS wants, each integer
// left-padded to half of out. It reports false for anything but one
// SEQUENCE of two positive INTEGERs that fit.
func rawECDSASignature(der, out []byte) bool {
	var r, s []byte
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return false
	}
	half := len(out) / 2
	for i, v := range [][]byte{r, s} {
		// ReadASN1Integer into []byte gives the big-endian magnitude of a
		// non-negative INTEGER, with the sign octet stripped.
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) == 0 || len(v) > half {
			return false
		}
		copy(out[i*half+half-len(v):(i+1)*half], v)
	}
	return true
}

// tokenSigner signs JWTs with the active token-signing key. It keeps the
// es256Signer of the active key: its header is encoded once per key, and
// the active key changes only at a rotation.
type tokenSigner struct {
	keys Keys
	mu   sync.Mutex
	es   *es256Signer
}

// sign signs payload (JSON claims) as a compact JWS of type JWT.
func (t *tokenSigner) sign(payload []byte) (string, error) {
	meta, s, err := t.keys.ActiveSigner(keystore.TokenSigning)
	if err != nil {
		return "", fmt.Errorf("oidc: token-signing key: %w", err)
	}
	es, err := t.signerFor(meta.ID, s)
	if err != nil {
		return "", err
	}
	return es.sign(payload)
}

// signerFor returns the cached signer of key kid, building it on the first
// use of a newly active key.
func (t *tokenSigner) signerFor(kid string, s crypto.Signer) (*es256Signer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.es != nil && t.es.kid == kid {
		return t.es, nil
	}
	es, err := newES256Signer(kid, s)
	if err != nil {
		return nil, err
	}
	t.es = es
	return es, nil
}

// jwks returns the public token-signing keys, the active one and those
// retiring: a token signed before a rotation verifies until its key is
// retired, which the operator does only after the longest token lifetime.
func jwks(keys Keys) (*jose.JSONWebKeySet, error) {
	pubs, err := keys.PublicKeys(keystore.TokenSigning)
	if err != nil {
		return nil, fmt.Errorf("oidc: public keys: %w", err)
	}
	set := &jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(pubs))}
	for _, k := range pubs {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key, KeyID: k.ID, Algorithm: string(jose.ES256), Use: "sig"})
	}
	return set, nil
}

// verifyJWT checks a compact JWS signed by one of the provider's
// token-signing keys (active or retiring) and returns its payload. Expiry
// and audience are the caller's business.
func verifyJWT(keys Keys, token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("oidc: parse token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("oidc: token must have exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	pubs, err := keys.PublicKeys(keystore.TokenSigning)
	if err != nil {
		return nil, fmt.Errorf("oidc: public keys: %w", err)
	}
	for _, k := range pubs {
		if k.ID == kid {
			return jws.Verify(k.Key)
		}
	}
	return nil, fmt.Errorf("oidc: token signed by unknown key %q", kid)
}

// pairwiseDomain separates pairwise subjects from every other MAC under the
// blind-index key.
const pairwiseDomain = "netid/pairwise-subject/v1\x00"

// pairwise computes pairwise subjects under the pinned key.
type pairwise struct {
	keys  Keys
	store Store
	mu    sync.Mutex
	keyID string
}

// key returns the pinned pairwise key id. The first call of the first node
// pins the active blind-index key in the store; every node reads the same
// id from then on. That key must never be retired: rotating the
// blind-index purpose is harmless (a retiring key still computes MACs), but
// retiring the pinned key would change every subject of every resident at
// every RP.
func (p *pairwise) key(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keyID != "" {
		return p.keyID, nil
	}
	active, _, err := p.keys.ActiveMAC(ctx, keystore.BlindIndex, []byte(pairwiseDomain))
	if err != nil {
		return "", fmt.Errorf("oidc: blind-index key: %w", err)
	}
	pinned, err := p.store.PinPairwiseKey(ctx, active)
	if err != nil {
		return "", fmt.Errorf("oidc: pin pairwise key: %w", err)
	}
	p.keyID = pinned
	return pinned, nil
}

// subject returns the pairwise subject of internet number number in
// sector: base64url(MAC(pairwise key, domain ‖ sector ‖ 0 ‖ number)), 43
// characters. The zero byte keeps (sector, number) pairs from colliding;
// sectors are host names and cannot contain one.
func (p *pairwise) subject(ctx context.Context, sector, number string) (string, error) {
	id, err := p.key(ctx)
	if err != nil {
		return "", err
	}
	msg := make([]byte, 0, len(pairwiseDomain)+len(sector)+1+len(number))
	msg = append(append(append(append(msg, pairwiseDomain...), sector...), 0), number...)
	mac, err := p.keys.MAC(ctx, id, msg)
	if err != nil {
		if errors.Is(err, keystore.ErrRetired) || errors.Is(err, keystore.ErrNotFound) {
			return "", fmt.Errorf("oidc: the pinned pairwise key %s is gone (%w): every subject would change; restore it", id, err)
		}
		return "", fmt.Errorf("oidc: pairwise subject: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(mac), nil
}

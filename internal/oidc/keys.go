package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"sync"

	jose "github.com/go-jose/go-jose/v4"

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

// es256Signer adapts a crypto.Signer of a P-256 key to go-jose's
// OpaqueSigner, so that the key store's signer (a file key today, an HSM
// tomorrow) signs JWTs without ever handing out the private key.
type es256Signer struct {
	kid    string
	signer crypto.Signer
	pub    *ecdsa.PublicKey
}

func newES256Signer(kid string, s crypto.Signer) (*es256Signer, error) {
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("oidc: token-signing key %s is not ECDSA P-256", kid)
	}
	return &es256Signer{kid: kid, signer: s, pub: pub}, nil
}

// Public implements jose.OpaqueSigner; its key id becomes the JWS "kid".
func (e *es256Signer) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: e.pub, KeyID: e.kid, Algorithm: string(jose.ES256), Use: "sig"}
}

// Algs implements jose.OpaqueSigner.
func (e *es256Signer) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.ES256} }

// SignPayload implements jose.OpaqueSigner: ECDSA over SHA-256 of the
// signing input, returned as the fixed-size R || S that JWS wants (RFC
// 7518 section 3.4) rather than the ASN.1 that crypto.Signer returns.
func (e *es256Signer) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.ES256 {
		return nil, fmt.Errorf("oidc: algorithm %s: %w", alg, jose.ErrUnsupportedAlgorithm)
	}
	digest := sha256.Sum256(payload)
	der, err := e.signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("oidc: sign with %s: %w", e.kid, err)
	}
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) > 0 || sig.R == nil || sig.S == nil {
		return nil, fmt.Errorf("oidc: sign with %s: malformed ECDSA signature", e.kid)
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// tokenSigner signs JWTs with the active token-signing key. It keeps one
// jose.Signer per key id: building one costs more than the signature's
// JSON, and the active key changes only at a rotation.
type tokenSigner struct {
	keys Keys
	mu   sync.Mutex
	kid  string
	js   jose.Signer
}

// sign signs payload (JSON claims) as a compact JWS of type JWT.
func (t *tokenSigner) sign(payload []byte) (string, error) {
	meta, s, err := t.keys.ActiveSigner(keystore.TokenSigning)
	if err != nil {
		return "", fmt.Errorf("oidc: token-signing key: %w", err)
	}
	js, err := t.signerFor(meta.ID, s)
	if err != nil {
		return "", err
	}
	jws, err := js.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oidc: sign token: %w", err)
	}
	return jws.CompactSerialize()
}

// signerFor returns the cached jose.Signer of key kid, building it on the
// first use of a newly active key.
func (t *tokenSigner) signerFor(kid string, s crypto.Signer) (jose.Signer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.js != nil && t.kid == kid {
		return t.js, nil
	}
	op, err := newES256Signer(kid, s)
	if err != nil {
		return nil, err
	}
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: op}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("oidc: signer for %s: %w", kid, err)
	}
	t.kid, t.js = kid, js
	return js, nil
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

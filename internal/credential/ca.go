package credential

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

// CAKeys is what the CA needs of the key store: the active CA key for new
// certificates, any active or retiring CA key by id (a CRL or an OCSP
// response for certificates an older key issued must come from that key),
// and the list of those keys. *keystore.Store implements it.
type CAKeys interface {
	ActiveSigner(p keystore.Purpose) (keystore.Meta, crypto.Signer, error)
	Signer(id string) (crypto.Signer, error)
	PublicKeys(p keystore.Purpose) ([]keystore.PublicKey, error)
}

var _ CAKeys = (*keystore.Store)(nil)

// CA is netid's issuing certification authority: it issues, renews and
// revokes internet certificates, signs CRLs and OCSP responses, and
// publishes its CA certificates. It is safe for concurrent use; several
// nodes may run one each over the same store and key store.
type CA struct {
	suite suite.Suite
	keys  CAKeys
	st    CertStore
	cfg   Config
	now   func() time.Time
	rand  io.Reader
	// events hears of issuance and revocation (nil: nobody).
	events Events

	mu      sync.Mutex
	entries map[string]*caEntry // CA certificates by key id, as stored

	crlMu       sync.Mutex
	crls        map[string]*CRL // last CRL signed by this node, by key id
	revocations uint64          // local revocations so far; a CRL older than the last is stale
}

// NewCA returns a CA of suite s (the key store's suite) over keys and st,
// configured by cfg (see Config.Validate). It touches neither store:
// CA certificates are made on first use.
func NewCA(s suite.Suite, keys CAKeys, st CertStore, cfg Config, opts ...Option) (*CA, error) {
	if s == nil || keys == nil || st == nil {
		return nil, errors.New("credential: NewCA needs a suite, a key store and a certificate store")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ca := &CA{
		suite: s, keys: keys, st: st, cfg: cfg.withDefaults(),
		now: time.Now, rand: rand.Reader,
		entries: make(map[string]*caEntry), crls: make(map[string]*CRL),
	}
	for _, o := range opts {
		o(ca)
	}
	return ca, nil
}

// caEntry is one CA certificate, checked against its key, with what OCSP
// needs to recognise it in a CertID.
type caEntry struct {
	keyID string
	cert  *x509.Certificate
	pem   []byte
	// certIDs holds, per hash accepted in OCSP CertIDs, the hashes of the
	// CA's name and key (RFC 6960 section 4.1.1).
	certIDs []certIDMatch
}

type certIDMatch struct {
	alg               hashAlg
	nameHash, keyHash []byte
}

// caSubject is the subject of the CA certificate of key id.
func caSubject(keyID string) pkix.Name {
	return pkix.Name{CommonName: "netid Internet Certificate CA " + keyID}
}

// caSerial derives the CA certificate's serial from the key id, so that the
// certificate content depends only on the key: 16 octets of the suite hash,
// the top bits set to 01 so that it is positive and always 16 octets long.
func (ca *CA) caSerial(keyID string) *big.Int {
	sum := ca.suite.Hash([]byte("netid CA certificate serial\x00" + keyID))[:16]
	sum[0] &= 0x7f
	sum[0] |= 0x40 // never zero, always 16 octets
	return new(big.Int).SetBytes(sum)
}

// makeCACertificate signs the self-signed certificate of CA key pk. Its
// content is a function of the key and the configuration only (serial from
// the key id, validity from the key's creation); the signature, being
// randomised, is not, which is why the first certificate made is stored and
// every node publishes that one.
func (ca *CA) makeCACertificate(pk keystore.PublicKey) ([]byte, error) {
	signer, err := ca.keys.Signer(pk.ID)
	if err != nil {
		return nil, fmt.Errorf("credential: CA key %s: %w", pk.ID, err)
	}
	notBefore := pk.Created.UTC().Truncate(time.Second).Add(-ca.cfg.Backdate)
	tmpl := &x509.Certificate{
		SerialNumber:          ca.caSerial(pk.ID),
		Subject:               caSubject(pk.ID),
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(ca.cfg.CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // internet certificates only, no sub-CA
		SubjectKeyId:          []byte(pk.ID),
	}
	der, err := ca.suite.CreateCertificate(ca.rand, tmpl, tmpl, pk.Key, signer)
	if err != nil {
		return nil, fmt.Errorf("credential: CA certificate for %s: %w", pk.ID, err)
	}
	return der, nil
}

// loadCAEntry parses a stored CA certificate and checks that it is the
// self-signed CA certificate of pk: a certificate in the database that
// named another key would otherwise be published as a trust anchor.
func (ca *CA) loadCAEntry(pk keystore.PublicKey, der []byte) (*caEntry, error) {
	cert, err := ca.suite.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCAMismatch, pk.ID, err)
	}
	want, err := ca.suite.MarshalPublicKey(pk.Key)
	if err != nil {
		return nil, fmt.Errorf("credential: CA key %s: %w", pk.ID, err)
	}
	switch {
	case !bytes.Equal(cert.RawSubjectPublicKeyInfo, want):
		return nil, fmt.Errorf("%w: %s: certificate holds another public key", ErrCAMismatch, pk.ID)
	case !bytes.Equal(cert.SubjectKeyId, []byte(pk.ID)):
		return nil, fmt.Errorf("%w: %s: subject key identifier %q", ErrCAMismatch, pk.ID, cert.SubjectKeyId)
	case !cert.IsCA || cert.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) != x509.KeyUsageCertSign|x509.KeyUsageCRLSign:
		return nil, fmt.Errorf("%w: %s: not a CA certificate for certificates and CRLs", ErrCAMismatch, pk.ID)
	}
	if _, err := ca.suite.VerifyChain(cert, suite.VerifyOptions{
		Roots: []*x509.Certificate{cert}, At: cert.NotBefore, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, fmt.Errorf("%w: %s: self-signature: %w", ErrCAMismatch, pk.ID, err)
	}
	keyBits, err := subjectPublicKeyBits(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCAMismatch, pk.ID, err)
	}
	e := &caEntry{
		keyID: pk.ID,
		cert:  cert,
		pem:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}
	for _, h := range certIDHashes {
		e.certIDs = append(e.certIDs, certIDMatch{alg: h, nameHash: h.sum(cert.RawSubject), keyHash: h.sum(keyBits)})
	}
	return e, nil
}

// subjectPublicKeyBits returns the contents of the subjectPublicKey BIT
// STRING of a SubjectPublicKeyInfo: what an OCSP CertID's issuerKeyHash
// hashes.
func subjectPublicKeyBits(spki []byte) ([]byte, error) {
	in := cryptobyte.String(spki)
	var seq cryptobyte.String
	var bits []byte
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.SkipASN1(cbasn1.SEQUENCE) || !seq.ReadASN1BitStringAsBytes(&bits) {
		return nil, errors.New("malformed subject public key info")
	}
	return bits, nil
}

// entry returns the CA certificate of key pk: from memory, else from the
// store, else newly made and stored. When another node stores one first,
// that one wins and is used here too.
//
// A certificate made inside a caller's transaction that then rolls back is
// kept in memory without being stored; it is as valid as the one another
// node will store (same name, key and identifiers), so certificates chain
// to either, but the published bytes may differ until a restart. Calling
// CACertificates once at start-up, outside any transaction, avoids it.
func (ca *CA) entry(ctx context.Context, pk keystore.PublicKey) (*caEntry, error) {
	ca.mu.Lock()
	e := ca.entries[pk.ID]
	ca.mu.Unlock()
	if e != nil {
		return e, nil
	}
	der, err := ca.st.CACertificate(ctx, pk.ID)
	if errors.Is(err, store.ErrNotFound) {
		if der, err = ca.makeCACertificate(pk); err != nil {
			return nil, err
		}
		err = ca.st.PutCACertificate(ctx, pk.ID, der, ca.now().UTC().Truncate(time.Microsecond))
		if errors.Is(err, store.ErrConflict) {
			der, err = ca.st.CACertificate(ctx, pk.ID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("credential: CA certificate %s: %w", pk.ID, err)
	}
	if e, err = ca.loadCAEntry(pk, der); err != nil {
		return nil, err
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if prev := ca.entries[pk.ID]; prev != nil {
		return prev, nil
	}
	ca.entries[pk.ID] = e
	return e, nil
}

// publicKeys lists the active and retiring CA keys, oldest first.
func (ca *CA) publicKeys() ([]keystore.PublicKey, error) {
	pks, err := ca.keys.PublicKeys(keystore.CA)
	if err != nil {
		return nil, fmt.Errorf("credential: CA keys: %w", err)
	}
	return pks, nil
}

// entryByID returns the CA certificate of the active or retiring key id.
func (ca *CA) entryByID(ctx context.Context, keyID string) (*caEntry, error) {
	pks, err := ca.publicKeys()
	if err != nil {
		return nil, err
	}
	for _, pk := range pks {
		if pk.ID == keyID {
			return ca.entry(ctx, pk)
		}
	}
	return nil, fmt.Errorf("%w: %q is not an active or retiring CA key", ErrUnknownCA, keyID)
}

// active returns the active CA key's certificate and signer.
func (ca *CA) active(ctx context.Context) (*caEntry, crypto.Signer, error) {
	meta, signer, err := ca.keys.ActiveSigner(keystore.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("credential: active CA key: %w", err)
	}
	e, err := ca.entry(ctx, keystore.PublicKey{Meta: meta, Key: signer.Public()})
	if err != nil {
		return nil, nil, err
	}
	return e, signer, nil
}

// CACertificates returns the CA certificates of every active and retiring
// CA key, oldest first: the trust anchors of internet certificates. A
// retiring key's certificate stays published, so that certificates it
// issued keep verifying until they expire; a retired key's is dropped.
func (ca *CA) CACertificates(ctx context.Context) ([]*x509.Certificate, error) {
	pks, err := ca.publicKeys()
	if err != nil {
		return nil, err
	}
	out := make([]*x509.Certificate, 0, len(pks))
	for _, pk := range pks {
		e, err := ca.entry(ctx, pk)
		if err != nil {
			return nil, err
		}
		out = append(out, e.cert)
	}
	return out, nil
}

// CACertificatesPEM returns CACertificates as concatenated PEM
// "CERTIFICATE" blocks: the body of GET /ca.pem
// (application/x-pem-file).
func (ca *CA) CACertificatesPEM(ctx context.Context) ([]byte, error) {
	pks, err := ca.publicKeys()
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, pk := range pks {
		e, err := ca.entry(ctx, pk)
		if err != nil {
			return nil, err
		}
		out = append(out, e.pem...)
	}
	return out, nil
}

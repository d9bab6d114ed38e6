package testdoc

import (
	"crypto"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// IssuerFormat is the "format" member of issuer.json in a saved Issuer.
const IssuerFormat = "netid-testdoc-issuer/1"

// issuerFile is issuer.json: what the PEM files beside it do not say.
type issuerFile struct {
	Format  string `json:"format"`
	Suite   string `json:"suite"`
	Country string `json:"country"`
	RSAPSS  bool   `json:"rsa_pss,omitempty"`
}

// partyFiles names the files of each party in a saved Issuer.
var partyFiles = []struct {
	name string
	get  func(*Issuer) **party
}{
	{"csca", func(i *Issuer) **party { return &i.csca }},
	{"ds", func(i *Issuer) **party { return &i.ds }},
	{"ds-expired", func(i *Issuer) **party { return &i.expired }},
	{"ds-revoked", func(i *Issuer) **party { return &i.revoked }},
}

// Save writes the issuer to dir (created with mode 0700 if missing):
// issuer.json, and for each of csca, ds, ds-expired and ds-revoked a
// certificate NAME.pem and a PKCS#8 private key NAME.key (mode 0600).
// Saving lets a demo keep the CSCA that operators configured across
// restarts.
func (iss *Issuer) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("testdoc: save issuer: %w", err)
	}
	meta, err := json.MarshalIndent(issuerFile{Format: IssuerFormat, Suite: iss.suite, Country: iss.country, RSAPSS: iss.rsaPSS}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "issuer.json"), append(meta, '\n'), 0o644); err != nil {
		return fmt.Errorf("testdoc: save issuer: %w", err)
	}
	for _, pf := range partyFiles {
		p := *pf.get(iss)
		keyDER, err := smx509.MarshalPKCS8PrivateKey(p.key)
		if err != nil {
			return fmt.Errorf("testdoc: save issuer: %s key: %w", pf.name, err)
		}
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.der})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
		if err := os.WriteFile(filepath.Join(dir, pf.name+".pem"), certPEM, 0o644); err != nil {
			return fmt.Errorf("testdoc: save issuer: %w", err)
		}
		if err := writeSecret(filepath.Join(dir, pf.name+".key"), keyPEM); err != nil {
			return fmt.Errorf("testdoc: save issuer: %w", err)
		}
	}
	return nil
}

// writeSecret writes a private key readable by its owner only, also when
// the file already existed with wider permissions.
func writeSecret(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// LoadIssuer reads an issuer saved by Save. Options other than WithClock are
// ignored: the suite and algorithm are those saved.
func LoadIssuer(dir string, opts ...Option) (*Issuer, error) {
	cfg := issuerConfig{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "issuer.json"))
	if err != nil {
		return nil, fmt.Errorf("testdoc: load issuer: %w", err)
	}
	var meta issuerFile
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("testdoc: load issuer: issuer.json: %w", err)
	}
	if meta.Format != IssuerFormat {
		return nil, fmt.Errorf("testdoc: load issuer: format %q is not %q", meta.Format, IssuerFormat)
	}
	cfg.rsaPSS = meta.RSAPSS
	iss, err := newIssuerShell(meta.Suite, meta.Country, cfg)
	if err != nil {
		return nil, fmt.Errorf("testdoc: load issuer: %w", err)
	}
	for _, pf := range partyFiles {
		p, err := loadParty(dir, pf.name)
		if err != nil {
			return nil, fmt.Errorf("testdoc: load issuer: %w", err)
		}
		*pf.get(iss) = p
	}
	return iss, nil
}

// LoadOrNewIssuer loads the issuer saved in dir, or, when dir holds none,
// creates one with NewIssuer and saves it there. A saved issuer of another
// suite or country is an error rather than silently replaced: operators may
// have configured its CSCA.
func LoadOrNewIssuer(dir, suite, country string, opts ...Option) (*Issuer, error) {
	iss, err := LoadIssuer(dir, opts...)
	switch {
	case err == nil:
		want, _, cerr := countryCodes(country)
		if cerr != nil {
			return nil, cerr
		}
		if iss.suite != suite || iss.country != want {
			return nil, fmt.Errorf("testdoc: %s holds a %s issuer for %s, not %s for %s", dir, iss.suite, iss.country, suite, want)
		}
		return iss, nil
	case errors.Is(err, fs.ErrNotExist):
		iss, err = NewIssuer(suite, country, opts...)
		if err != nil {
			return nil, err
		}
		return iss, iss.Save(dir)
	default:
		return nil, err
	}
}

func loadParty(dir, name string) (*party, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, name+".pem"))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return nil, err
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s.pem: no CERTIFICATE block", name)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s.key: no PRIVATE KEY block", name)
	}
	info, err := parseCertInfo(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s.pem: %w", name, err)
	}
	k, err := smx509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s.key: %w", name, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s.key: %T cannot sign", name, k)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := key.Public().(equaler); !ok || !pub.Equal(info.publicKey) {
		return nil, fmt.Errorf("%s.key does not match the public key of %s.pem", name, name)
	}
	return &party{der: cb.Bytes, cert: info, key: key}, nil
}

// TrustFileName is the base name (without extension) of the files
// WriteTrust writes: the CSCA certificate as BASE.pem and its CRL as
// BASE.crl.
func (iss *Issuer) TrustFileName() string {
	return strings.ToLower(fmt.Sprintf("netid-test-csca-%s-%s", iss.country, iss.suite))
}

// WriteTrust writes into dir (created if missing) what a verifier needs to
// trust this issuer's documents, in the layout the emrtd verifier loads:
// the CSCA certificate as PEM (BASE.pem) and a freshly signed DER CRL
// (BASE.crl, valid 90 days) revoking the revoked signer, where BASE is
// TrustFileName. Nothing synthetic is trusted until an operator points the
// verifier at such a directory.
func (iss *Issuer) WriteTrust(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("testdoc: write trust: %w", err)
	}
	crl, err := iss.createCRL(iss.now())
	if err != nil {
		return fmt.Errorf("testdoc: write trust: CRL: %w", err)
	}
	base := filepath.Join(dir, iss.TrustFileName())
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: iss.csca.der})
	if err := os.WriteFile(base+".pem", certPEM, 0o644); err != nil {
		return fmt.Errorf("testdoc: write trust: %w", err)
	}
	if err := os.WriteFile(base+".crl", crl, 0o644); err != nil {
		return fmt.Errorf("testdoc: write trust: %w", err)
	}
	return nil
}

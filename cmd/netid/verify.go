package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

// offlineNote is printed with every offline verification: what the
// verifier learnt that the online API would not have told it.
const offlineNote = "offline verification reveals the internet number (the certificate's subject); " +
	"the verification API (POST /v1/presentations/verify) gives a pairwise subject instead"

// verifyResult is what netid verify prints.
type verifyResult struct {
	Valid  bool   `json:"valid"`
	Error  string `json:"error,omitempty"`
	Serial string `json:"internet_certificate_serial,omitempty"`
	// InternetNumber is the certificate's subject: see offlineNote.
	InternetNumber    string            `json:"internet_number,omitempty"`
	NotAfter          *time.Time        `json:"certificate_not_after,omitempty"`
	ClientID          string            `json:"client_id,omitempty"`
	IssuedAt          *time.Time        `json:"issued_at,omitempty"`
	ExpiresAt         *time.Time        `json:"expires_at,omitempty"`
	Disclosed         map[string]string `json:"disclosed,omitempty"`
	RevocationChecked bool              `json:"revocation_checked"`
	Note              string            `json:"note"`
}

func newVerifyCommand(stdout io.Writer) *ffcli.Command {
	var presentation, certFile, caFile, crlFile, clientID, challenge string
	fs := flag.NewFlagSet("netid verify", flag.ContinueOnError)
	fs.StringVar(&presentation, "presentation", "", "a presentation (\"NETID1:...\", from netid wallet present) to verify")
	fs.StringVar(&certFile, "cert", "", "a PEM internet certificate `file` to verify, instead of a presentation")
	fs.StringVar(&caFile, "ca", "", "the netid CA certificates, PEM `file` (GET /ca.pem) (required)")
	fs.StringVar(&crlFile, "crl", "", "the CRL, DER or PEM `file` (GET /crl); without it revocation is not checked")
	fs.StringVar(&clientID, "client-id", "", "your client id: the presentation's audience (with --presentation)")
	fs.StringVar(&challenge, "challenge", "", "the challenge you gave the wallet (with --presentation)")
	return newCommand(&ffcli.Command{
		Name:       "verify",
		ShortUsage: "netid verify --presentation TEXT --ca ca.pem [--crl crl.der] --client-id ID --challenge C | --cert cert.pem --ca ca.pem [--crl crl.der]",
		ShortHelp:  "verify a presentation or an internet certificate offline, as a platform",
		LongHelp: `Verify offline, as a platform (relying party) does without asking netid: a
presentation made by netid wallet present (its certificate chains to the CA,
is valid and not revoked, the device key signed it, for your client id and
your challenge, within its two minutes, and every disclosed value opens the
certificate's commitment), or a bare internet certificate with --cert.
Prints JSON; exits 1 when invalid.

Fetch the CA certificates (GET /ca.pem) and the CRL (GET /crl) beforehand,
and the CRL again before it expires; the service never learns what you
verify. Offline verification reveals the internet number, the certificate's
subject. The verification API (POST /v1/presentations/verify) returns a
pairwise subject instead.

  netid verify --presentation "$P" --ca ca.pem --crl crl.der --client-id rp-... --challenge "$C"`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			switch {
			case len(args) > 0:
				return exitError{code: exitUsage, msg: fmt.Sprintf("verify takes no arguments, got %q", args)}
			case caFile == "":
				return exitError{code: exitUsage, msg: "verify needs --ca"}
			case (presentation == "") == (certFile == ""):
				return exitError{code: exitUsage, msg: "verify needs one of --presentation and --cert"}
			case presentation != "" && (clientID == "" || challenge == ""):
				return exitError{code: exitUsage, msg: "verify --presentation needs --client-id and --challenge"}
			}
			s, roots, err := readCAFile(caFile)
			if err != nil {
				return exitError{code: exitUsage, msg: fmt.Sprintf("--ca %s: %v", caFile, err)}
			}
			now := time.Now()
			var crl *credential.RevocationList
			if crlFile != "" {
				if crl, err = readCRLFile(s, crlFile, roots, now); err != nil {
					return exitError{code: exitUsage, msg: fmt.Sprintf("--crl %s: %v", crlFile, err)}
				}
			}
			var res verifyResult
			if presentation != "" {
				res, err = verifyPresentationOffline(s, presentation, roots, credential.PresentationExpectation{
					ClientID: clientID, Challenge: []byte(challenge), Now: now}, crl)
			} else {
				res, err = verifyCertificateOffline(s, certFile, roots, now, crl)
			}
			res.RevocationChecked, res.Note = crl != nil, offlineNote
			if err != nil {
				res.Valid, res.Error = false, err.Error()
			}
			if perr := printJSON(stdout, res); perr != nil {
				return perr
			}
			if err != nil {
				return exitError{code: exitRefused}
			}
			return nil
		},
	})
}

func verifyPresentationOffline(s suite.Suite, text string, roots []*x509.Certificate, want credential.PresentationExpectation, crl *credential.RevocationList) (verifyResult, error) {
	p, err := credential.VerifyPresentation(s, text, roots, want, crl)
	if err != nil {
		return verifyResult{}, err
	}
	res := certResult(p.Certificate)
	res.ClientID, res.IssuedAt, res.ExpiresAt = p.ClientID, &p.IssuedAt, &p.ExpiresAt
	if len(p.Disclosed) > 0 {
		res.Disclosed = make(map[string]string, len(p.Disclosed))
		for _, o := range p.Disclosed {
			res.Disclosed[o.Attribute] = o.Value
		}
	}
	return res, nil
}

func verifyCertificateOffline(s suite.Suite, file string, roots []*x509.Certificate, now time.Time, crl *credential.RevocationList) (verifyResult, error) {
	ders, err := readPEMFile(file, "CERTIFICATE")
	if err != nil {
		return verifyResult{}, err
	}
	if len(ders) != 1 {
		return verifyResult{}, fmt.Errorf("%s holds %d certificates, want 1", file, len(ders))
	}
	cert, err := s.ParseCertificate(ders[0])
	if err != nil {
		return verifyResult{}, fmt.Errorf("%w: %w", credential.ErrCertificateInvalid, err)
	}
	vc, err := credential.VerifyCertificate(s, cert, roots, now)
	if err != nil {
		return verifyResult{}, err
	}
	if crl != nil {
		if crl.CAKeyID != vc.CAKeyID {
			return verifyResult{}, fmt.Errorf("%w: the CRL is another CA's", credential.ErrCRL)
		}
		if e, revoked := crl.Lookup(vc.Serial); revoked {
			return verifyResult{}, &credential.RevokedError{Entry: e}
		}
	}
	return certResult(vc), nil
}

func certResult(vc *credential.VerifiedCertificate) verifyResult {
	return verifyResult{
		Valid: true, Serial: credential.FormatSerial(vc.Serial),
		InternetNumber: string(vc.InternetNumber), NotAfter: &vc.NotAfter,
	}
}

// readCAFile reads GET /ca.pem and tells its suite: intl for P-256 CA
// keys, sm for SM2 (the device key would not tell: the sm suite certifies
// P-256 device keys too).
func readCAFile(file string) (suite.Suite, []*x509.Certificate, error) {
	ders, err := readPEMFile(file, "CERTIFICATE")
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	for _, n := range suite.Names() {
		s, err := suite.New(n)
		if err != nil {
			return nil, nil, err
		}
		var roots []*x509.Certificate
		for _, der := range ders {
			c, err := s.ParseCertificate(der)
			if err == nil {
				_, err = s.MarshalPublicKey(c.PublicKey)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", n, err))
				break
			}
			roots = append(roots, c)
		}
		if len(roots) == len(ders) {
			return s, roots, nil
		}
	}
	return nil, nil, fmt.Errorf("not netid CA certificates of either suite: %w", errors.Join(errs...))
}

// readCRLFile reads a CRL, DER or PEM, and verifies it with the CA
// certificate that signed it.
func readCRLFile(s suite.Suite, file string, roots []*x509.Certificate, now time.Time) (*credential.RevocationList, error) {
	der, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if b, _ := pem.Decode(der); b != nil && b.Type == "X509 CRL" {
		der = b.Bytes
	}
	var errs []error
	for _, root := range roots {
		l, err := credential.VerifyCRL(s, der, root, now)
		if err == nil {
			return l, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// readPEMFile returns the DER of the blocks of type typ in file; any other
// block, or none, is an error.
func readPEMFile(file, typ string) ([][]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var ders [][]byte
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if b.Type != typ {
			return nil, fmt.Errorf("PEM block %q, want %q", b.Type, typ)
		}
		ders = append(ders, b.Bytes)
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("no PEM %s", typ)
	}
	return ders, nil
}

package emrtd

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// maxTrustFileSize bounds every file LoadTrustDir reads.
const maxTrustFileSize = MaxMasterListSize

// LoadTrustDir builds a trust store from the files of dir (not its
// subdirectories), in three passes:
//
//  1. every *.cer, *.crt, *.der and *.pem file is a trusted root CSCA
//     certificate (DER or PEM; a PEM file may hold several certificates
//     and CRLs);
//  2. every *.ml file is a CSCA master list: its CMS signature must verify
//     and its signer must chain to a root from pass 1 and be valid at now;
//     its certificates are then trusted. Entries that cannot be parsed are
//     skipped and listed in the report, not fatal: real lists contain
//     oddities;
//  3. every *.crl file (and CRL in a PEM file) must be signed by a trusted
//     CSCA; its revoked serial numbers then apply to that CSCA's document
//     signers.
//
// A file that cannot be read, parsed or verified is fatal: the directory
// is operator-curated trust data, and silently ignoring a broken master
// list would hide that the store is not what the operator meant. Other
// files are ignored and listed as skipped in the report (Report).
func LoadTrustDir(dir string, now time.Time) (*TrustStore, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("trust directory: %w", err)
	}
	var certFiles, mlFiles, crlFiles []string
	s := NewTrustStore()
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		switch strings.ToLower(filepath.Ext(name)) {
		case ".cer", ".crt", ".der", ".pem":
			certFiles = append(certFiles, name)
		case ".ml":
			mlFiles = append(mlFiles, name)
		case ".crl":
			crlFiles = append(crlFiles, name)
		default:
			s.report.Skipped = append(s.report.Skipped, SkippedItem{Source: name, Reason: "not a trust file (want .cer, .crt, .der, .pem, .ml or .crl)"})
		}
	}
	for _, l := range [][]string{certFiles, mlFiles, crlFiles} {
		sort.Strings(l)
	}
	read := func(name string) ([]byte, error) {
		b, err := readBounded(filepath.Join(dir, name), maxTrustFileSize)
		if err != nil {
			return nil, fmt.Errorf("trust file %s: %w", name, err)
		}
		return b, nil
	}
	var crlDERs []crlFile
	for _, name := range certFiles {
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		certs, crls, err := decodeCertificateFile(b)
		if err != nil {
			return nil, fmt.Errorf("trust file %s: %w", name, err)
		}
		rep := SourceReport{File: name, Kind: "certificate"}
		for _, der := range certs {
			c, err := pki.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("trust file %s: %w", name, err)
			}
			added, err := s.AddCSCA(c, name, true)
			if err != nil {
				return nil, fmt.Errorf("trust file %s: %w", name, err)
			}
			if added {
				rep.Added++
			} else {
				rep.Duplicates++
			}
		}
		for _, der := range crls {
			crlDERs = append(crlDERs, crlFile{name, der})
		}
		s.report.Sources = append(s.report.Sources, rep)
	}
	for _, name := range mlFiles {
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		ml, err := ParseMasterList(b)
		if err != nil {
			return nil, fmt.Errorf("trust file %s: %w", name, err)
		}
		if err := s.AddMasterList(ml, name, now); err != nil {
			return nil, err
		}
	}
	for _, name := range crlFiles {
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
			_, crls, err := decodeCertificateFile(b)
			if err != nil {
				return nil, fmt.Errorf("trust file %s: %w", name, err)
			}
			for _, der := range crls {
				crlDERs = append(crlDERs, crlFile{name, der})
			}
			continue
		}
		crlDERs = append(crlDERs, crlFile{name, b})
	}
	for _, c := range crlDERs {
		crl, err := pki.ParseCRL(c.der)
		if err != nil {
			return nil, fmt.Errorf("trust file %s: %w", c.source, err)
		}
		if err := s.AddCRL(crl, c.source); err != nil {
			return nil, err
		}
	}
	return s, nil
}

type crlFile struct {
	source string
	der    []byte
}

// decodeCertificateFile returns the DER certificates and CRLs of a
// certificate file: DER (one certificate) or PEM (any number of
// CERTIFICATE and X509 CRL blocks).
func decodeCertificateFile(b []byte) (certs, crls [][]byte, err error) {
	trimmed := bytes.TrimSpace(b)
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		return [][]byte{b}, nil, nil
	}
	rest := trimmed
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE":
			certs = append(certs, block.Bytes)
		case "X509 CRL":
			crls = append(crls, block.Bytes)
		default:
			return nil, nil, malformed("PEM block %q is neither a certificate nor a CRL", block.Type)
		}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, nil, malformed("data after the last PEM block")
	}
	if len(certs) == 0 && len(crls) == 0 {
		return nil, nil, malformed("no PEM block")
	}
	return certs, crls, nil
}

// readBounded reads a regular file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("file exceeds the limit of %d bytes", limit)
	}
	return b, nil
}

package demo

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/document/testdoc"
)

// Demo is the demo environment kept in a directory.
type Demo struct {
	dir      string
	manifest *testdoc.Manifest
	liveness *biometric.LivenessSigner
	smsSink  string
	now      func() time.Time
}

// Paths inside the demo directory.
const (
	issuerDir    = "issuer"
	setDir       = "documents"
	livenessFile = "liveness-detector.key"
	// SMSFile is the development SMS sink the demo turns on.
	SMSFile = "sms.jsonl"
)

// Open loads the demo environment in dir, creating it on first use: a test
// issuer in the given suite, a document set, and a development liveness
// detector key. The set is written once and reused, so that documents a
// wallet downloaded stay valid across restarts.
func Open(dir, suite string, now func() time.Time) (*Demo, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d := &Demo{dir: dir, smsSink: filepath.Join(dir, SMSFile), now: now}
	set := filepath.Join(dir, setDir)
	b, err := os.ReadFile(filepath.Join(set, "manifest.json"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		iss, err := testdoc.LoadOrNewIssuer(filepath.Join(dir, issuerDir), suite, "CN")
		if err != nil {
			return nil, fmt.Errorf("demo: test issuer: %w", err)
		}
		if d.manifest, err = testdoc.WriteSet(set, testdoc.SetConfig{Issuer: iss, Now: now}); err != nil {
			return nil, fmt.Errorf("demo: documents: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("demo: %w", err)
	default:
		var m testdoc.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("demo: manifest: %w", err)
		}
		if m.Suite != suite {
			return nil, fmt.Errorf("demo: the documents in %s are of suite %s, not %s: remove the directory to regenerate", set, m.Suite, suite)
		}
		d.manifest = &m
	}
	key, err := loadOrCreateKey(filepath.Join(dir, livenessFile))
	if err != nil {
		return nil, err
	}
	if d.liveness, err = biometric.NewLivenessSigner("netid-demo-detector", key); err != nil {
		return nil, fmt.Errorf("demo: liveness detector: %w", err)
	}
	return d, nil
}

// TrustDir is the trust directory holding the demo's test CSCA.
func (d *Demo) TrustDir() string { return filepath.Join(d.dir, setDir, d.manifest.TrustDir) }

// AuthorityRecords is the simulated authority's records file.
func (d *Demo) AuthorityRecords() string {
	return filepath.Join(d.dir, setDir, d.manifest.AuthorityRecords)
}

// SMSSink is the file the development SMS sink appends to.
func (d *Demo) SMSSink() string { return d.smsSink }

// SetSMSSink makes /demo/sms read another sink file (when the operator gave
// --sms-sink).
func (d *Demo) SetSMSSink(path string) { d.smsSink = path }

// LivenessKey is the development detector's key, which the demo trusts.
func (d *Demo) LivenessKey() biometric.TrustedKey { return d.liveness.TrustedKey() }

// Manifest describes the demo documents.
func (d *Demo) Manifest() *testdoc.Manifest { return d.manifest }

func loadOrCreateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("demo: %s is not PEM", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", path, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("demo: %s: not a signing key", path)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("demo: %w", err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return k, nil
}

// FaceCapture draws a "live capture" of synthetic person seed: the portrait
// seen again through a phone camera, slightly shifted, brighter and noisy,
// within the variation the built-in matcher was measured on.
func FaceCapture(seed uint64, r *mrand.Rand) ([]byte, error) {
	src := testdoc.PortraitImage(seed)
	b := src.Bounds()
	dst := image.NewRGBA(b)
	dx, dy := r.IntN(5)-2, r.IntN(5)-2
	gain := 0.95 + r.Float64()*0.1
	offset := r.Float64()*10 - 5
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			sx, sy := clamp(x+dx, b.Min.X, b.Max.X-1), clamp(y+dy, b.Min.Y, b.Max.Y-1)
			c := src.RGBAAt(sx, sy)
			px := func(v uint8) uint8 {
				f := float64(v)*gain + offset + r.NormFloat64()*3
				return uint8(math.Max(0, math.Min(255, math.Round(f))))
			}
			dst.SetRGBA(x, y, color.RGBA{px(c.R), px(c.G), px(c.B), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// SentCode is the latest code the development sink sent to a binding or a
// number.
type SentCode struct {
	Code   string    `json:"code"`
	SentAt time.Time `json:"sent_at"`
}

// LatestCode reads the sink and returns the newest code whose enrolment
// (binding) or recipient matches; ok is false when there is none.
func LatestCode(sink io.Reader, enrolment, to string) (SentCode, bool, error) {
	var (
		found SentCode
		ok    bool
	)
	sc := bufio.NewScanner(sink)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		var line struct {
			Time    time.Time `json:"time"`
			To      string    `json:"to"`
			Code    string    `json:"code"`
			Binding string    `json:"binding"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			continue // a line cut by a crash: skip it
		}
		if (enrolment != "" && line.Binding == enrolment) || (to != "" && line.To == to) {
			found, ok = SentCode{Code: line.Code, SentAt: line.Time}, true
		}
	}
	return found, ok, sc.Err()
}

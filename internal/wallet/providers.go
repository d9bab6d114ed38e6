package wallet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// The providers of what Enrol cannot make itself. On a phone they are the
// SMS inbox, the camera and the liveness detector; from the command line,
// flags and files; in the demo, the demo server (DemoSource); in tests,
// functions of the test. A provider that has nothing to give returns an
// *InputNeededError: Enrol then saves where it stands and stops, and a
// later run continues with the input.

// CodeFunc returns the one-time code sent to number (E.164 when the
// wallet could parse the number, as typed otherwise).
type CodeFunc func(ctx context.Context, number string) (string, error)

// FaceFunc returns a capture of the resident's face: JPEG, PNG or JPEG
// 2000.
type FaceFunc func(ctx context.Context) ([]byte, error)

// LivenessFunc returns a liveness attestation (a compact JWS) of image for
// challenge.
type LivenessFunc func(ctx context.Context, challenge string, image []byte) (string, error)

// maxFaceFile bounds a face image read from a file.
const maxFaceFile = 8 << 20

// maxSmallFile bounds a code, password or attestation file.
const maxSmallFile = 64 << 10

// StaticCode returns a CodeFunc giving code, or asking for one when code
// is empty.
func StaticCode(code string) CodeFunc {
	return func(context.Context, string) (string, error) {
		if code = strings.TrimSpace(code); code == "" {
			return "", &InputNeededError{Input: InputCode}
		}
		return code, nil
	}
}

// CodeFromFile returns a CodeFunc reading the code from path when it is
// needed, so that a script may write the file once the SMS arrived. A
// missing or empty file asks for the code.
func CodeFromFile(path string) CodeFunc {
	return func(context.Context, string) (string, error) {
		b, err := ReadSmallFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return "", &InputNeededError{Input: InputCode, Reason: fmt.Sprintf("%s does not exist", path)}
		}
		if err != nil {
			return "", err
		}
		code := strings.TrimSpace(string(b))
		if code == "" {
			return "", &InputNeededError{Input: InputCode, Reason: fmt.Sprintf("%s is empty", path)}
		}
		return code, nil
	}
}

// FaceFromFile returns a FaceFunc reading the image in path.
func FaceFromFile(path string) FaceFunc {
	return func(context.Context) ([]byte, error) {
		if path == "" {
			return nil, &InputNeededError{Input: InputFace}
		}
		return readBounded(path, maxFaceFile)
	}
}

// LivenessFromFile returns a LivenessFunc reading a compact JWS
// attestation from path. Since the attestation must name the server's
// challenge and the capture's digest, one made for another challenge or
// image is not sent (the server would refuse it); the wallet asks for a
// new one instead, naming the challenge. An empty path asks for one.
//
// The attestation's signature is the server's to check; the wallet only
// reads its claims to catch a mismatch early.
func LivenessFromFile(path string) LivenessFunc {
	return func(_ context.Context, challenge string, image []byte) (string, error) {
		if path == "" {
			return "", &InputNeededError{Input: InputLiveness, Challenge: challenge}
		}
		b, err := ReadSmallFile(path)
		if err != nil {
			return "", err
		}
		att := strings.TrimSpace(string(b))
		claims, err := parseAttestationClaims(att)
		if err != nil {
			return "", fmt.Errorf("the liveness attestation in %s: %w", path, err)
		}
		if claims.Nonce != challenge {
			return "", &InputNeededError{Input: InputLiveness, Challenge: challenge,
				Reason: fmt.Sprintf("the attestation in %s is for another challenge", path)}
		}
		sum := sha256.Sum256(image)
		if claims.CaptureSHA256 != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return "", &InputNeededError{Input: InputLiveness, Challenge: challenge,
				Reason: fmt.Sprintf("the attestation in %s is for another image than the face given", path)}
		}
		return att, nil
	}
}

// attestationClaims are the members of a liveness attestation the wallet
// looks at (biometric.LivenessClaims).
type attestationClaims struct {
	Nonce         string `json:"nonce"`
	CaptureSHA256 string `json:"capture_sha256"`
}

// maxAttestation bounds an attestation; real ones are under a kilobyte.
const maxAttestation = 16 << 10

// parseAttestationClaims reads the payload of a compact JWS (RFC 7515
// section 7.1: three base64url parts) without verifying it.
func parseAttestationClaims(att string) (attestationClaims, error) {
	if len(att) > maxAttestation {
		return attestationClaims{}, fmt.Errorf("longer than %d bytes", maxAttestation)
	}
	parts := strings.Split(att, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return attestationClaims{}, errors.New("not a compact JWS (three base64url parts separated by dots)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return attestationClaims{}, fmt.Errorf("payload is not base64url: %w", err)
	}
	var c attestationClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return attestationClaims{}, fmt.Errorf("payload is not a JSON object: %w", err)
	}
	if c.Nonce == "" {
		return attestationClaims{}, errors.New("no nonce (challenge) claim")
	}
	return c, nil
}

// ReadSmallFile reads a file of at most 64 KiB: a code, a password, an
// attestation.
func ReadSmallFile(path string) ([]byte, error) { return readBounded(path, maxSmallFile) }

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// ReadPasswordFile reads a password from a file: its first line, without
// the line ending. An empty password is refused.
func ReadPasswordFile(path string) (string, error) {
	b, err := ReadSmallFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	pw := strings.TrimSuffix(string(line), "\r")
	if pw == "" {
		return "", fmt.Errorf("the password file %s is empty", path)
	}
	return pw, nil
}

package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// jws builds an unsigned compact JWS-shaped string with claims as
// payload: the wallet reads claims only, the server checks signatures.
func jws(t *testing.T, claims any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256"}`)) + "." + enc(b) + "." + enc([]byte("signature"))
}

func TestLivenessFromFile(t *testing.T) {
	img := []byte("\xff\xd8\xff an image")
	sum := sha256.Sum256(img)
	digest := base64.RawURLEncoding.EncodeToString(sum[:])
	tests := []struct {
		name      string
		content   string // "" means no file
		wantInput bool
		wantErr   bool
	}{
		{name: "for this challenge and image", content: jws(t, map[string]any{"nonce": "ch-1", "capture_sha256": digest})},
		{name: "for another challenge", content: jws(t, map[string]any{"nonce": "ch-0", "capture_sha256": digest}), wantInput: true},
		{name: "for another image", content: jws(t, map[string]any{"nonce": "ch-1", "capture_sha256": "AAAA"}), wantInput: true},
		{name: "no nonce", content: jws(t, map[string]any{"capture_sha256": digest}), wantErr: true},
		{name: "not a JWS", content: "hello", wantErr: true},
		{name: "payload not base64", content: "a.%%%.c", wantErr: true},
		{name: "no file", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "att")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LivenessFromFile(path)(context.Background(), "ch-1", img)
			var need *InputNeededError
			isNeed := errors.As(err, &need)
			switch {
			case tt.wantInput:
				if !isNeed || need.Challenge != "ch-1" || need.Input != InputLiveness || need.Reason == "" {
					t.Errorf("error = %v, want InputNeededError for ch-1 with a reason", err)
				}
			case tt.wantErr:
				if err == nil || isNeed {
					t.Errorf("error = %v, want a plain error", err)
				}
			default:
				if err != nil || got != tt.content {
					t.Errorf("got %q, %v; want the attestation", got, err)
				}
			}
		})
	}
	_, err := LivenessFromFile("")(context.Background(), "ch-1", img)
	var need *InputNeededError
	if !errors.As(err, &need) || need.Challenge != "ch-1" {
		t.Errorf("LivenessFromFile(\"\") error = %v, want InputNeededError naming the challenge", err)
	}
}

func TestCodeAndPasswordFiles(t *testing.T) {
	dir := t.TempDir()
	codePath, pwPath, emptyPath := filepath.Join(dir, "code"), filepath.Join(dir, "pw"), filepath.Join(dir, "empty")
	for path, content := range map[string]string{codePath: " 123456\n", pwPath: "correct horse battery staple 42\r\nsecond line", emptyPath: "\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if got, err := CodeFromFile(codePath)(ctx, "+8613800138000"); got != "123456" || err != nil {
		t.Errorf("CodeFromFile() = %q, %v; want 123456", got, err)
	}
	for _, f := range []CodeFunc{CodeFromFile(emptyPath), CodeFromFile(filepath.Join(dir, "missing")), StaticCode(" ")} {
		if _, err := f(ctx, "+8613800138000"); !errors.Is(err, ErrInputNeeded) {
			t.Errorf("code from nothing: error = %v, want ErrInputNeeded", err)
		}
	}
	if got, err := ReadPasswordFile(pwPath); got != "correct horse battery staple 42" || err != nil {
		t.Errorf("ReadPasswordFile() = %q, %v; want the first line", got, err)
	}
	if _, err := ReadPasswordFile(emptyPath); err == nil {
		t.Errorf("ReadPasswordFile(empty) error = nil, want a refusal")
	}
}

func TestInputNeededMessages(t *testing.T) {
	for _, in := range []Input{InputEvidence, InputPassword, InputPhone, InputCode, InputFace, InputLiveness, "other"} {
		e := &InputNeededError{Input: in, Challenge: "ch", SentTo: "+86 138****8000"}
		if e.Error() == "" || !errors.Is(e, ErrInputNeeded) {
			t.Errorf("InputNeededError{%s}: message %q, Is(ErrInputNeeded) %t", in, e.Error(), errors.Is(e, ErrInputNeeded))
		}
	}
}

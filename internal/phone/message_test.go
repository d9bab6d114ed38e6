package phone

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestMessageText(t *testing.T) {
	tests := []struct {
		locale  Locale
		service string
		ttl     time.Duration
		want    string
	}{
		{LocaleZhCN, "netid", 10 * time.Minute, "【netid】您的验证码是 123456，10 分钟内有效。请勿告诉他人。"},
		{LocaleEN, "netid", 10 * time.Minute, "netid: your code is 123456. It expires in 10 minutes. Never share it."},
		{LocaleEN, "netid", time.Minute, "netid: your code is 123456. It expires in 1 minute. Never share it."},
		{LocaleEN, "netid", 90 * time.Second, "netid: your code is 123456. It expires in 2 minutes. Never share it."},
		{LocaleZhCN, "网号", 5 * time.Minute, "【网号】您的验证码是 123456，5 分钟内有效。请勿告诉他人。"},
	}
	for _, tt := range tests {
		got, err := MessageText(tt.locale, tt.service, "123456", tt.ttl)
		if err != nil {
			t.Fatalf("MessageText(%s) error = %v", tt.locale, err)
		}
		if got != tt.want {
			t.Errorf("MessageText(%s, %s, %v) = %q, want %q", tt.locale, tt.service, tt.ttl, got, tt.want)
		}
	}
	if _, err := MessageText("de", "netid", "123456", time.Minute); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("MessageText(de) = %v, want ErrInvalidRequest", err)
	}
}

func TestParseLocale(t *testing.T) {
	tests := []struct {
		in   string
		want Locale
		ok   bool
	}{
		{"zh-CN", LocaleZhCN, true},
		{"zh", LocaleZhCN, true},
		{"zh-Hans-CN", LocaleZhCN, true},
		{"ZH_cn", LocaleZhCN, true},
		{"zh-TW", LocaleZhCN, true},
		{"en", LocaleEN, true},
		{" en-GB ", LocaleEN, true},
		{"fr-FR", "", false},
		{"", "", false},
		{"english", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseLocale(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseLocale(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMessageLogValue(t *testing.T) {
	m := Message{ID: "id1", To: mustNumber(t, "13800138000"), Text: "code 654321", Code: "654321", Purpose: "enrol"}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("sending", "msg", m)
	out := b.String()
	for _, secret := range []string{"654321", "13800138000", "0013"} {
		if strings.Contains(out, secret) {
			t.Errorf("logged message %s contains %q", out, secret)
		}
	}
	if !strings.Contains(out, "138****8000") || !strings.Contains(out, "enrol") {
		t.Errorf("logged message %s lacks the redacted number or the purpose", out)
	}
}

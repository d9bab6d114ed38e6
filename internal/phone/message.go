package phone

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Message is one SMS handed to a Sender.
type Message struct {
	// ID identifies this message: the same ID on a retry of the same send,
	// a fresh ID for every Send. HTTP gateways pass it as the
	// Idempotency-Key, so a retried request does not send the SMS twice.
	ID string
	// To is the recipient.
	To Number
	// Text is the full SMS text. It contains the code: gateways must not
	// log it.
	Text string
	// Purpose and BindingID say what the code is for (for sinks and
	// gateway statistics; BindingID is an opaque enrolment id).
	Purpose   string
	BindingID string
	// Code is the code alone, for development sinks (FileSink), which write
	// it down so that tests and developers can read it. Real gateways must
	// ignore it and must never log it.
	Code string
}

// LogValue implements slog.LogValuer: the number redacted, the text and the
// code left out.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", m.ID),
		slog.String("to", m.To.Redacted()),
		slog.String("purpose", m.Purpose),
	)
}

// Sender delivers one SMS. Send returns nil once the gateway has accepted
// the message (delivery itself is not confirmed). Implementations must be
// safe for concurrent use and must not log Message.Text or Message.Code.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Locale selects the language of the SMS text.
type Locale string

const (
	// LocaleZhCN is Simplified Chinese, the default.
	LocaleZhCN Locale = "zh-CN"
	// LocaleEN is English.
	LocaleEN Locale = "en"
)

// ParseLocale maps a language tag (BCP 47, as in Accept-Language, or with
// '_' as in POSIX locales) to a Locale: any "zh" tag to LocaleZhCN, any
// "en" tag to LocaleEN. Other languages return false: the caller falls
// back to its default.
func ParseLocale(tag string) (Locale, bool) {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	primary, _, _ = strings.Cut(primary, "_")
	switch strings.ToLower(primary) {
	case "zh":
		return LocaleZhCN, true
	case "en":
		return LocaleEN, true
	}
	return "", false
}

func (l Locale) valid() bool { return l == LocaleZhCN || l == LocaleEN }

// MessageText returns the SMS text carrying code in locale, signed with
// service (the operator's SMS signature, "netid" by default), stating the
// lifetime ttl in whole minutes, rounded up. The Chinese text puts the
// signature in 【】 first, as mainland carriers require of every
// application-to-person SMS.
func MessageText(locale Locale, service, code string, ttl time.Duration) (string, error) {
	minutes := int64((ttl + time.Minute - 1) / time.Minute)
	switch locale {
	case LocaleZhCN:
		return fmt.Sprintf("【%s】您的验证码是 %s，%d 分钟内有效。请勿告诉他人。", service, code, minutes), nil
	case LocaleEN:
		unit := "minutes"
		if minutes == 1 {
			unit = "minute"
		}
		return fmt.Sprintf("%s: your code is %s. It expires in %d %s. Never share it.", service, code, minutes, unit), nil
	}
	return "", fmt.Errorf("%w: unsupported locale %q (want %q or %q)", ErrInvalidRequest, locale, LocaleZhCN, LocaleEN)
}

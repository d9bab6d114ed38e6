package phone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// FileSink is a development Sender: instead of sending an SMS it appends
// one JSON line per message to a file, with the code in clear, so that a
// developer or an end-to-end test can read the code. The command line
// enables it only when --sms-sink (NETID_SMS_SINK) names a file; it must
// never be configured in production, since the file holds live codes and
// phone numbers.
//
// Each line is one JSON object:
//
//	{"time":"2025-07-15T08:00:00.123Z","id":"…","to":"+8613800138000",
//	 "text":"…","code":"123456","purpose":"enrol","binding":"…"}
//
// The file is created with mode 0600 and opened with O_APPEND; each line is
// written with one write call under a mutex, so concurrent Sends in one
// process never interleave, and lines from several processes appending to
// the same local file stay whole in practice (POSIX makes each O_APPEND
// write land at the end of the file).
type FileSink struct {
	mu   sync.Mutex
	f    *os.File
	path string
	now  func() time.Time
}

// sinkLine is one line of a FileSink file.
type sinkLine struct {
	Time    time.Time `json:"time"`
	ID      string    `json:"id"`
	To      string    `json:"to"`
	Text    string    `json:"text"`
	Code    string    `json:"code"`
	Purpose string    `json:"purpose"`
	Binding string    `json:"binding"`
}

// NewFileSink opens (or creates, mode 0600) the file at path for appending.
// It refuses a file that group or others may read or write, since it will
// hold live codes. Close it when done.
func NewFileSink(path string) (*FileSink, error) {
	if path == "" {
		return nil, errors.New("phone: SMS sink: empty path")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("phone: SMS sink: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("phone: SMS sink: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("phone: SMS sink %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		f.Close()
		return nil, fmt.Errorf("phone: SMS sink %s: mode %v lets group or others access the codes; chmod 600 it", path, fs.FileMode(perm))
	}
	return &FileSink{f: f, path: path, now: time.Now}, nil
}

// Path returns the file the sink writes to.
func (s *FileSink) Path() string { return s.path }

// Send implements Sender by appending m as one JSON line.
func (s *FileSink) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line, err := json.Marshal(sinkLine{
		Time:    s.now().UTC(),
		ID:      m.ID,
		To:      m.To.E164(),
		Text:    m.Text,
		Code:    m.Code,
		Purpose: m.Purpose,
		Binding: m.BindingID,
	})
	if err != nil {
		return fmt.Errorf("phone: SMS sink: encode: %w", err)
	}
	line = append(line, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("phone: SMS sink %s: %w", s.path, fs.ErrClosed)
	}
	// One write call per line: with O_APPEND the whole line lands at the
	// end of the file at once. A short write is reported, not retried,
	// since retrying would split the line.
	if _, err := s.f.Write(line); err != nil {
		return fmt.Errorf("phone: SMS sink %s: %w", s.path, err)
	}
	return nil
}

// Close closes the file. Later Sends fail.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

package loadtest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress draws a progress bar of done out of total on a terminal (one
// line redrawn with \r, at most ten times a second), or, when w is not a
// terminal (a log file, CI), prints a line at every tenth of the way.
type Progress struct {
	w     io.Writer
	total int
	label string
	tty   bool
	start time.Time
	now   func() time.Time

	mu        sync.Mutex
	last      time.Time
	lastTenth int
	done      int
}

// NewProgress returns a progress bar of total units named label on w.
func NewProgress(w io.Writer, total int, label string) *Progress {
	p := &Progress{w: w, total: max(total, 1), label: label, tty: isTerminal(w), now: time.Now}
	p.start = p.now()
	return p
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Set records that done units are finished.
func (p *Progress) Set(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	now := p.now()
	if p.tty {
		if now.Sub(p.last) < 100*time.Millisecond && done < p.total {
			return
		}
		p.last = now
		fmt.Fprintf(p.w, "\r%s", p.line(now))
		return
	}
	if tenth := done * 10 / p.total; tenth > p.lastTenth {
		p.lastTenth = tenth
		fmt.Fprintln(p.w, p.line(now))
	}
}

// Finish ends the bar's line.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\n", p.line(p.now()))
	}
}

// line renders the bar: [#####.....] 52% 520,000/1,000,000 21,300/s ETA 22s.
func (p *Progress) line(now time.Time) string {
	const width = 30
	filled := min(width, p.done*width/p.total)
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	eta := "?"
	if rate > 0 && p.done < p.total {
		eta = time.Duration(float64(p.total-p.done) / rate * float64(time.Second)).Round(time.Second).String()
	} else if p.done >= p.total {
		eta = "0s"
	}
	return fmt.Sprintf("%s [%s%s] %3d%% %s/%s %s/s ETA %s ", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		p.done*100/p.total, Thousands(int64(p.done)), Thousands(int64(p.total)), Thousands(int64(rate)), eta)
}

// Thousands formats n with commas between groups of three digits.
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

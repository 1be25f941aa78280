package train

// Progress output. On a terminal one line per epoch is redrawn in place
// (carriage return) with a bar, the batch count, the running loss and
// accuracy, images per second and the estimated time left in the epoch; at
// the end of the epoch the line is completed with the validation result.
// Anywhere else (a file, a pipe, a CI log) nothing is redrawn: a plain line
// is written every tenth of an epoch and one per epoch, so logs stay
// readable.

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// IsTerminal reports whether f is a character device (a terminal), without
// any dependency beyond os.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Progress writes training progress to w.
type Progress struct {
	w        io.Writer
	terminal bool
	label    string // model name, prefixed to every line
	lastDraw time.Time
	lastTick int // tenth of the epoch last logged (plain mode)
}

// NewProgress returns a progress writer; terminal selects the redrawn bar.
func NewProgress(w io.Writer, terminal bool, label string) *Progress {
	return &Progress{w: w, terminal: terminal, label: label}
}

// StepInfo is the state of training after one batch.
type StepInfo struct {
	Epoch, Epochs    int // 1-based epoch
	Batch, Batches   int // batches done in this epoch, and its total
	Loss, Accuracy   float64
	ImagesPerSecond  float64
	Elapsed          time.Duration // since the epoch started
	ResumedFromBatch int           // batches of this epoch done before a resume (not timed)
}

// redrawEvery limits terminal redraws.
const redrawEvery = 100 * time.Millisecond

// Step reports one batch.
func (p *Progress) Step(s StepInfo) {
	if p == nil {
		return
	}
	if p.terminal {
		if s.Batch < s.Batches && time.Since(p.lastDraw) < redrawEvery {
			return
		}
		p.lastDraw = time.Now()
		const width = 24
		filled := width * s.Batch / max(s.Batches, 1)
		bar := strings.Repeat("█", filled) + strings.Repeat("·", width-filled)
		fmt.Fprintf(p.w, "\r%s epoch %d/%d %s %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %s\x1b[K",
			p.label, s.Epoch, s.Epochs, bar, s.Batch, s.Batches, s.Loss, 100*s.Accuracy, s.ImagesPerSecond, eta(s))
		return
	}
	tick := 10 * s.Batch / max(s.Batches, 1)
	if s.Batch == 1 {
		p.lastTick = tick
	}
	if tick > p.lastTick && s.Batch < s.Batches {
		p.lastTick = tick
		fmt.Fprintf(p.w, "%s epoch %d/%d batch %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %s\n",
			p.label, s.Epoch, s.Epochs, s.Batch, s.Batches, s.Loss, 100*s.Accuracy, s.ImagesPerSecond, eta(s))
	}
}

// eta estimates the rest of the epoch from the pace of the batches timed so
// far.
func eta(s StepInfo) string {
	timed := s.Batch - s.ResumedFromBatch
	if timed <= 0 {
		return "?"
	}
	left := time.Duration(float64(s.Elapsed) / float64(timed) * float64(s.Batches-s.Batch))
	return left.Round(time.Second).String()
}

// Epoch reports a finished epoch.
func (p *Progress) Epoch(r EpochRecord, epochs int) {
	if p == nil {
		return
	}
	val := ""
	if r.Val != nil {
		val = fmt.Sprintf(" | val loss %.4f acc %.2f%%", r.Val.Loss, 100*r.Val.Accuracy)
	}
	prefix := ""
	if p.terminal {
		prefix = "\r\x1b[K"
	}
	fmt.Fprintf(p.w, "%s%s epoch %d/%d train loss %.4f acc %.2f%%%s | lr %.3g | %.1fs, %.0f img/s\n",
		prefix, p.label, r.Epoch, epochs, r.TrainLoss, 100*r.TrainAccuracy, val, r.LR, r.Seconds, r.ImagesPerSecond)
}

// Printf writes a message on its own line (clearing a bar in progress).
func (p *Progress) Printf(format string, args ...any) {
	if p == nil {
		return
	}
	if p.terminal {
		io.WriteString(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, "%s %s\n", p.label, fmt.Sprintf(format, args...))
}

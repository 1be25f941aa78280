package train

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
)

func TestHistoryCSV(t *testing.T) {
	h := []EpochRecord{
		{Epoch: 1, LR: 0.1, TrainLoss: 2, TrainAccuracy: 0.5, Seconds: 3, ImagesPerSecond: 100, Trainable: 7},
		{Epoch: 2, LR: 0.05, TrainLoss: 1, TrainAccuracy: 0.75, Val: &EvalSummary{Loss: 1.5, Accuracy: 0.625}, Seconds: 2, ImagesPerSecond: 150, Trainable: 7},
	}
	want := "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds,images_per_second,trainable_params\n" +
		"1,0.1,2,0.5,,,3,100,7\n" +
		"2,0.05,1,0.75,1.5,0.625,2,150,7\n"
	if got := string(HistoryCSV(h)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMedianDuration(t *testing.T) {
	calls := 0
	sleeps := []time.Duration{0, 0, 30, 1, 2, 3, 40} // two warm-up calls, then five measured
	d := MedianDuration(2, 5, func() {
		time.Sleep(sleeps[calls] * time.Millisecond)
		calls++
	})
	if calls != 7 {
		t.Fatalf("%d calls, want 7", calls)
	}
	// Each call lasts at least its sleep, so three of the five measured
	// calls last at least 3 ms; how much longer depends on the machine's load.
	if d < 3*time.Millisecond {
		t.Errorf("median %v, want at least 3ms (the middle of 1, 2, 3, 30, 40 ms)", d)
	}
}

func TestMedian(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	for _, c := range []struct {
		d    []time.Duration
		want time.Duration
	}{
		{ms(7), 7 * time.Millisecond},
		{ms(30, 1, 2, 3, 40), 3 * time.Millisecond},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond},
	} {
		if got := median(c.d); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.d, got, c.want)
		}
	}
}

// TestEMAFollowsTimmsRule checks the average against the formula, with the
// warm-up of the decay, and that Swap exchanges and restores.
func TestEMAFollowsTimmsRule(t *testing.T) {
	lin := layers.NewLinear(rand.New(rand.NewPCG(1, 1)), 1, 1, false)
	w := lin.Weight.Data()
	w[0] = 1
	e := NewEMA(lin, 0.5)
	want := float32(1)
	for i, v := range []float32{3, 5, 7} {
		w[0] = v
		e.Update()
		d := min(0.5, float64(1+i)/float64(10+i))
		want = float32(d)*want + float32(1-d)*v
		if got := e.shadow[0][0]; math.Abs(float64(got-want)) > 1e-6 {
			t.Fatalf("update %d: average %v, want %v", i+1, got, want)
		}
	}
	e.Swap()
	if w[0] != want || e.shadow[0][0] != 7 {
		t.Errorf("after Swap the model holds %v (want the average %v), the EMA %v (want 7)", w[0], want, e.shadow[0][0])
	}
	e.Swap()
	if w[0] != 7 {
		t.Errorf("Swap twice: model holds %v, want 7", w[0])
	}
}

// TestEMAKeepsFrozenValues checks that values the model never changes (a
// frozen pretrained backbone) keep their exact bits in the average.
func TestEMAKeepsFrozenValues(t *testing.T) {
	lin := layers.NewLinear(rand.New(rand.NewPCG(1, 2)), 64, 16, true)
	before := layers.StateDict(lin)
	e := NewEMA(lin, 0.999)
	for range 50 {
		e.Update()
	}
	e.Swap()
	for i, nt := range layers.StateDict(lin) {
		if !bytes.Equal(nt.Data, before[i].Data) {
			t.Errorf("the average of the unchanged %s differs from it", nt.Name)
		}
	}
}

// TestProgressOutput checks both forms: a redrawn bar on a terminal, and
// plain lines about every tenth of an epoch elsewhere.
func TestProgressOutput(t *testing.T) {
	var term, plain strings.Builder
	pt, pp := NewProgress(&term, true, "m"), NewProgress(&plain, false, "m")
	for b := 1; b <= 40; b++ {
		s := StepInfo{Epoch: 1, Epochs: 2, Batch: b, Batches: 40, Loss: 1, Accuracy: 0.5, ImagesPerSecond: 100, Elapsed: time.Duration(b) * time.Second}
		pt.Step(s)
		pp.Step(s)
	}
	r := EpochRecord{Epoch: 1, LR: 0.1, TrainLoss: 1, TrainAccuracy: 0.5, Val: &EvalSummary{Loss: 2, Accuracy: 0.25}, Seconds: 40, ImagesPerSecond: 100}
	pt.Epoch(r, 2)
	pp.Epoch(r, 2)
	if !strings.Contains(term.String(), "\r") || !strings.Contains(term.String(), "█") || !strings.Contains(term.String(), "40/40") {
		t.Errorf("terminal output lacks a redrawn bar: %q", term.String())
	}
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	if strings.Contains(plain.String(), "\r") || len(lines) < 9 || len(lines) > 11 ||
		!strings.Contains(lines[len(lines)-1], "val loss 2.0000 acc 25.00%") || !strings.Contains(lines[0], "ETA") {
		t.Errorf("plain output, %d lines:\n%s", len(lines), plain.String())
	}
}

// renamedSource gives a source other class names.
type renamedSource struct {
	dataset.Source
	classes []string
}

func (s renamedSource) Classes() []string { return s.classes }

// TestMisclassifiedFilesOfLongClassNames checks that mistakes between two
// classes whose names are long (a folder name may have 255 bytes) are
// saved: their file name is cut to what a file system takes, at a character
// boundary, while results.json keeps the whole names.
func TestMisclassifiedFilesOfLongClassNames(t *testing.T) {
	classes := make([]string, 10)
	for i := range classes {
		classes[i] = string(rune('a'+i)) + strings.Repeat("é", 99) // 199 bytes, the cut inside an é
	}
	tr := &Trainer{Data: Data{Test: renamedSource{mnistSubset(t, false, 1), classes}}, Dir: t.TempDir()}
	saved, err := tr.saveMisclassified([]mistake{{index: 0, label: 0, pred: 1, confidence: 0.9}, {index: 1, label: 1, pred: 0, confidence: 0.8}})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range saved {
		if m.Label != classes[i] || m.Predicted != classes[1-i] {
			t.Errorf("mistake %d: label %q, predicted %q: want the whole class names", i, m.Label, m.Predicted)
		}
		name := path.Base(m.File)
		if !utf8.ValidString(name) || len(name) > 255 {
			t.Errorf("mistake %d saved as %q (%d bytes)", i, name, len(name))
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(tr.Dir), filepath.FromSlash(m.File))); err != nil {
			t.Error(err)
		}
	}
}

package train

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gocnn/gocnn/dataset"
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
	if d < 3*time.Millisecond || d >= 30*time.Millisecond {
		t.Errorf("median %v, want about 3ms (the middle of 1, 2, 3, 30, 40 ms)", d)
	}
}

// grayDigit is a 4×3 gray image with distinct pixel values.
func grayDigit() *dataset.Image {
	m := dataset.NewImage(3, 4, 1)
	for i := range m.Pix {
		m.Pix[i] = uint8(i + 1)
	}
	return m
}

func TestPadAndRandomCrop(t *testing.T) {
	m := grayDigit()
	p := Pad(1).Apply(dataset.Value{Image: m}, nil).Image
	if p.W != 5 || p.H != 6 || p.Pix[0] != 0 || p.Pix[1*5+1] != 1 || p.Pix[4*5+3] != 12 || p.Pix[5*5+4] != 0 {
		t.Fatalf("Pad(1): %v %v", p, p.Pix)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[int]bool{}
	for range 200 {
		c := RandomCrop(3, 1).Apply(dataset.Value{Image: m}, rng).Image
		if c.W != 3 || c.H != 3 {
			t.Fatalf("crop of size %d×%d", c.W, c.H)
		}
		// Locate the crop by the value of pixel 1 (value 1 sits at (1, 1) of the padded image).
		pos := strings.IndexByte(string(c.Pix), 1)
		seen[pos] = true
	}
	// The padded image is 5×6, so top ∈ 0…3 and left ∈ 0…2; pixel 1 (at
	// (1, 1) after padding) lands at 4 places (top, left ≤ 1) and is cut
	// away otherwise.
	if len(seen) != 5 {
		t.Errorf("saw pixel 1 at %d distinct places (including absent), want 5", len(seen))
	}
	if RandomCrop(3, 1).String() != "RandomCrop(3, padding=1)" || Pad(2).String() != "Pad(2)" {
		t.Errorf("names %s, %s", RandomCrop(3, 1), Pad(2))
	}
}

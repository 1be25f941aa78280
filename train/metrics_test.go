package train

import (
	"math"
	"slices"
	"testing"
)

// oneHot returns a logits row that predicts class pred among classes.
func oneHot(classes, pred int) []float32 {
	row := make([]float32, classes)
	row[pred] = 1
	return row
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestMetricsByHand checks every metric against values worked out by hand
// for a 4-class problem where "bird" is never predicted (precision 0 by the
// zero_division=0 convention) and "fish" neither occurs nor is predicted
// (reported with zeros, left out of the averages).
//
//	true \ predicted  cat dog bird fish
//	cat                2   1   0    0
//	dog                1   1   0    0
//	bird               0   2   0    0
//	fish               0   0   0    0
func TestMetricsByHand(t *testing.T) {
	names := []string{"cat", "dog", "bird", "fish"}
	pairs := [][2]int{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 0}, {2, 1}, {2, 1}}
	e := NewEvaluator(4)
	for i, p := range pairs {
		e.Add(oneHot(4, p[1]), []int{p[0]}, float64(i))
	}
	m := e.Metrics(names)
	wantConfusion := [][]int{{2, 1, 0, 0}, {1, 1, 0, 0}, {0, 2, 0, 0}, {0, 0, 0, 0}}
	for i := range wantConfusion {
		if !slices.Equal(m.Confusion[i], wantConfusion[i]) {
			t.Fatalf("confusion row %d = %v, want %v", i, m.Confusion[i], wantConfusion[i])
		}
	}
	want := []ClassReport{
		{"cat", 2.0 / 3, 2.0 / 3, 2.0 / 3, 3},
		{"dog", 1.0 / 4, 1.0 / 2, 1.0 / 3, 2},
		{"bird", 0, 0, 0, 2},
		{"fish", 0, 0, 0, 0},
	}
	for i, w := range want {
		g := m.PerClass[i]
		if g.Class != w.Class || g.Support != w.Support || !near(g.Precision, w.Precision) || !near(g.Recall, w.Recall) || !near(g.F1, w.F1) {
			t.Errorf("class %d: got %+v, want %+v", i, g, w)
		}
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"accuracy", m.Accuracy, 3.0 / 7},
		{"top-4 accuracy", m.TopKAccuracy, 1}, // k = 4 classes: every label ranks among them
		{"loss", m.Loss, 21.0 / 7},
		{"macro precision", m.Macro.Precision, (2.0/3 + 1.0/4 + 0) / 3},
		{"macro recall", m.Macro.Recall, (2.0/3 + 1.0/2 + 0) / 3},
		{"macro F1", m.Macro.F1, (2.0/3 + 1.0/3 + 0) / 3},
		{"weighted precision", m.Weighted.Precision, (3*2.0/3 + 2*1.0/4) / 7},
		{"weighted recall", m.Weighted.Recall, 3.0 / 7},
		{"weighted F1", m.Weighted.F1, (3*2.0/3 + 2*1.0/3) / 7},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if m.TopK != 4 || m.Samples != 7 {
		t.Errorf("top-k %d, samples %d; want 4 and 7", m.TopK, m.Samples)
	}
}

// TestPerfectAndEmpty checks the edges: all correct gives ones everywhere,
// and an empty evaluator gives zeros without dividing by zero.
func TestPerfectAndEmpty(t *testing.T) {
	e := NewEvaluator(3)
	for c := range 3 {
		e.Add(oneHot(3, c), []int{c}, 0)
	}
	m := e.Metrics(nil)
	for _, v := range []float64{m.Accuracy, m.TopKAccuracy, m.Macro.Precision, m.Macro.Recall, m.Macro.F1, m.Weighted.F1} {
		if v != 1 {
			t.Fatalf("perfect predictions: got a metric of %v in %+v", v, m)
		}
	}
	if m.PerClass[2].Class != "2" {
		t.Errorf("unnamed class reported as %q, want its index", m.PerClass[2].Class)
	}
	empty := NewEvaluator(3).Metrics(nil)
	if empty.Samples != 0 || empty.Accuracy != 0 || math.IsNaN(empty.Macro.F1) || len(empty.Confusion) != 3 || len(empty.PerClass) != 3 {
		t.Errorf("empty evaluation: %+v", empty)
	}
}

// TestTopKRanksTiesLikeArgmax checks top-5 over 7 classes, including ties,
// which rank the lower class index first so that top-1 agrees with argmax.
func TestTopKRanksTiesLikeArgmax(t *testing.T) {
	cases := []struct {
		row   []float32
		label int
		hit   bool
	}{
		{[]float32{0, 1, 1, 1, 1, 1, 0.5}, 6, false},  // five classes score higher
		{[]float32{0, 1, 1, 1, 1, 0.5, 0.7}, 6, true}, // four do
		{[]float32{1, 1, 1, 1, 1, 1, 1}, 4, true},     // ties: indices 0–3 rank first
		{[]float32{1, 1, 1, 1, 1, 1, 1}, 5, false},    // indices 0–4 rank first
	}
	for i, c := range cases {
		e := NewEvaluator(7)
		e.Add(c.row, []int{c.label}, 0)
		m := e.Metrics(nil)
		if m.TopK != 5 {
			t.Fatalf("k = %d for 7 classes, want 5", m.TopK)
		}
		if got := m.TopKAccuracy == 1; got != c.hit {
			t.Errorf("case %d: top-5 hit = %v, want %v", i, got, c.hit)
		}
	}
	e := NewEvaluator(3)
	e.Add([]float32{2, 2, 1}, []int{1}, 0)
	if m := e.Metrics(nil); m.Accuracy != 0 || m.TopKAccuracy != 1 {
		t.Errorf("tied maximum: accuracy %v (argmax is class 0), top-3 %v", m.Accuracy, m.TopKAccuracy)
	}
}

// TestTopKRanksNaNFirst checks that top-k ranks NaN above every number, as
// Argmax does: a model whose logits are all NaN hits only the labels among
// the first k indices, not every label.
func TestTopKRanksNaNFirst(t *testing.T) {
	nan := float32(math.NaN())
	allNaN := []float32{nan, nan, nan, nan, nan, nan, nan}
	cases := []struct {
		row   []float32
		label int
		hit   bool
	}{
		{allNaN, 4, true},  // ties among NaN: indices 0–3 rank first
		{allNaN, 5, false}, // indices 0–4 do
		{[]float32{nan, nan, nan, nan, nan, 9, 1}, 5, false}, // five NaN outrank 9
		{[]float32{nan, nan, nan, nan, 0, 9, 1}, 5, true},
		{[]float32{0, 0, 0, 0, 0, 0, nan}, 6, true}, // NaN outranks every number
	}
	for i, c := range cases {
		e := NewEvaluator(7)
		e.Add(c.row, []int{c.label}, math.NaN())
		m := e.Metrics(nil)
		if got := m.TopKAccuracy == 1; got != c.hit {
			t.Errorf("case %d: top-5 hit = %v, want %v", i, got, c.hit)
		}
		if !math.IsNaN(m.Loss) {
			t.Errorf("case %d: loss %v, want NaN", i, m.Loss)
		}
	}
	// Top-1 of an all-NaN row is argmax's class 0.
	e := NewEvaluator(2)
	e.Add([]float32{nan, nan, nan, nan}, []int{0, 1}, 0)
	if m := e.Metrics(nil); m.Accuracy != 0.5 || m.TopKAccuracy != 1 {
		t.Errorf("two classes, all NaN: accuracy %v, top-2 %v; want 0.5 and 1", m.Accuracy, m.TopKAccuracy)
	}
}

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		row  []float32
		want int
	}{
		{[]float32{1, 3, 3, 2}, 1},
		{[]float32{-5}, 0},
		{[]float32{1, nan, 9}, 1},
		{[]float32{nan, 9}, 0},
	}
	for _, c := range cases {
		if got := Argmax(c.row); got != c.want {
			t.Errorf("Argmax(%v) = %d, want %d", c.row, got, c.want)
		}
	}
}

func TestEvaluatorRejectsBadInput(t *testing.T) {
	e := NewEvaluator(3)
	for name, f := range map[string]func(){
		"short logits": func() { e.Add([]float32{1, 2}, []int{0}, 0) },
		"label 3":      func() { e.Add([]float32{1, 2, 3}, []int{3}, 0) },
		"no classes":   func() { NewEvaluator(0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

package report

// Tests of loading, the HTML file (self-contained; built from results.json
// alone when the pictures are missing, saying why), the visuals format, the
// picture functions and the PNG charts. The page's behaviour in a browser
// is tested in browser_test.go.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gocnn/gocnn/train"
)

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ResultsFile)) {
		t.Errorf("no results.json: %v", err)
	}
	p := filepath.Join(dir, ResultsFile)
	writeFile(t, p, []byte(`{"version": 1, "models": [`))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not a results file") {
		t.Errorf("damaged results.json: %v", err)
	}
	writeFile(t, p, []byte(`{"version": 99, "models": []}`))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("results.json of another version: %v", err)
	}
}

// pageJSON extracts and decodes the data document of a dashboard.
func pageJSON(t *testing.T, html string) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script id="run-data" type="application/json">(.*?)</script>`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("the dashboard has no run-data script")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(m[1]), &doc); err != nil {
		t.Fatalf("the dashboard's data is not JSON: %v", err)
	}
	return doc
}

// TestSelfContained checks that the dashboard loads nothing from outside:
// every src and href is a data: URI or a fragment, the style sheet imports
// nothing, the script fetches nothing, and the only URL in the file is the
// SVG namespace (a name, never fetched).
func TestSelfContained(t *testing.T) {
	dir := t.TempDir()
	writeFixtureRun(t, dir, true)
	written, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if written[0] != filepath.Join(dir, HTMLFile) {
		t.Fatalf("first file written %s, want the dashboard", written[0])
	}
	b, err := os.ReadFile(written[0])
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	attrs := regexp.MustCompile(`(?i)\b(src|href|xlink:href|action|poster)\s*=\s*["']?([^"'\s>]*)`).FindAllStringSubmatch(html, -1)
	if len(attrs) == 0 {
		t.Fatal("no src or href attribute found: the test would prove nothing")
	}
	for _, a := range attrs {
		if v := a[2]; !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:") {
			t.Errorf("%s=%q refers outside the file", a[1], v)
		}
	}
	for _, bad := range []string{"@import", "url(", "<link", "<iframe", "fetch(", "XMLHttpRequest", "import(", "<script src"} {
		if strings.Contains(html, bad) {
			t.Errorf("the dashboard contains %q", bad)
		}
	}
	for _, u := range regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*`).FindAllString(html, -1) {
		if u != "http://www.w3.org/2000/svg" {
			t.Errorf("the dashboard names the URL %s", u)
		}
	}
	doc := pageJSON(t, html)
	models := doc["models"].([]any)
	if len(models) != 3 {
		t.Fatalf("%d models in the page data", len(models))
	}
	for _, m := range models {
		mm := m.(map[string]any)
		v, ok := mm["visuals"].(map[string]any)
		if !ok || len(v["layers"].([]any)) != len(fixtureLayers) {
			t.Errorf("%s: visuals missing from the page", mm["model"])
		}
		for _, mis := range mm["misclassified"].([]any) {
			if img, _ := mis.(map[string]any)["image"].(string); img == "" {
				t.Errorf("%s: a misclassified image is missing from the page", mm["model"])
			}
		}
	}
}

// TestWithoutPictures builds the dashboard from results.json alone: no
// visuals, no misclassified images. It must build and say why the pictures
// are absent.
func TestWithoutPictures(t *testing.T) {
	dir := t.TempDir()
	writeFixtureRun(t, dir, false)
	for _, m := range fixtureModels {
		if err := os.RemoveAll(filepath.Join(dir, m.name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pageJSON(t, string(b))["models"].([]any) {
		mm := m.(map[string]any)
		if mm["visuals"] != nil {
			t.Errorf("%s: visuals without a visuals file", mm["model"])
		}
		note, _ := mm["visuals_note"].(string)
		if want := mm["model"].(string) + "/visuals.json does not exist"; !strings.Contains(note, want) {
			t.Errorf("%s: visuals note %q does not say %q", mm["model"], note, want)
		}
		for _, mis := range mm["misclassified"].([]any) {
			x := mis.(map[string]any)
			if note, _ := x["image_note"].(string); x["image"] != nil || !strings.Contains(note, x["file"].(string)) || !strings.Contains(note, "no such file") {
				t.Errorf("%s: missing image %v noted as %q", mm["model"], x["file"], note)
			}
		}
	}
}

func TestVisualsFile(t *testing.T) {
	dir := t.TempDir()
	v := fixtureVisuals(rand.New(rand.NewPCG(1, 2)), "resnet18")
	p := filepath.Join(dir, VisualsFile)
	if err := WriteVisuals(p, v); err != nil {
		t.Fatal(err)
	}
	got, err := ReadVisuals(p)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(v)
	b2, _ := json.Marshal(got)
	if !bytes.Equal(b1, b2) {
		t.Error("visuals changed on the way through their file")
	}
	v.Layers[1].Grids = v.Layers[1].Grids[:2]
	if err := WriteVisuals(p, v); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadVisuals(p); err == nil || !strings.Contains(err.Error(), "layer layer1 has 2 grids for 4 samples") {
		t.Errorf("visuals with missing grids: %v", err)
	}
	writeFile(t, p, []byte("[1, 2]"))
	if _, err := ReadVisuals(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("a file that is not visuals: %v", err)
	}
}

func decode(t *testing.T, b []byte) *image.NRGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := image.NewNRGBA(img.Bounds())
	draw.Draw(n, n.Bounds(), img, img.Bounds().Min, draw.Src)
	return n
}

func TestInputImage(t *testing.T) {
	// Channel 0 spans [-1, 1], channel 1 [10, 20], channel 2 is flat.
	x := []float32{-1, 0, 1, 1, 10, 15, 20, 20, 3, 3, 3, 3}
	img := InputImage(x, 3, 2, 2)
	var r, g, b []uint8
	for i := range 4 {
		r, g, b = append(r, img.Pix[4*i]), append(g, img.Pix[4*i+1]), append(b, img.Pix[4*i+2])
		if img.Pix[4*i+3] != 255 {
			t.Errorf("pixel %d is not opaque", i)
		}
	}
	if want := []uint8{0, 128, 255, 255}; !slices.Equal(r, want) {
		t.Errorf("red %v, want %v", r, want)
	}
	if want := []uint8{0, 128, 255, 255}; !slices.Equal(g, want) {
		t.Errorf("green %v, want %v", g, want)
	}
	if want := []uint8{0, 0, 0, 0}; !slices.Equal(b, want) {
		t.Errorf("blue %v, want %v (a flat channel is black)", b, want)
	}
	gray := InputImage([]float32{0, 2}, 1, 1, 2)
	if !slices.Equal(gray.Pix, []uint8{0, 0, 0, 255, 255, 255, 255, 255}) {
		t.Errorf("gray input gives %v", gray.Pix)
	}
}

func TestFeatureGrids(t *testing.T) {
	// Two images, six 2×3 channels; channel c holds c+1 (image 0) or
	// -(c+1) (image 1) in its first pixel, channel 4 is all large.
	const n, c, h, w = 2, 6, 2, 3
	x := make([]float32, n*c*h*w)
	for img := range n {
		for ch := range c {
			sign := float32(1 - 2*img)
			x[(img*c+ch)*h*w] = sign * float32(ch+1)
		}
		for i := range h * w {
			x[(img*c+4)*h*w+i] = 100
		}
	}
	grids, channels, cols := FeatureGrids(x, n, c, h, w, 3)
	if want := []int{3, 4, 5}; !slices.Equal(channels, want) {
		t.Errorf("channels %v, want the three strongest %v", channels, want)
	}
	if cols != 3 || len(grids) != 2 {
		t.Fatalf("%d columns, %d grids", cols, len(grids))
	}
	g := decode(t, grids[0])
	if b := g.Bounds(); b.Dx() != 3*w+2 || b.Dy() != h {
		t.Fatalf("grid %v, want %d×%d", b, 3*w+2, h)
	}
	at := func(x, y int) [3]uint8 { o := g.PixOffset(x, y); return [3]uint8{g.Pix[o], g.Pix[o+1], g.Pix[o+2]} }
	hi, lo := viridis(255), viridis(0)
	if got := at(0, 0); got != [3]uint8{hi.R, hi.G, hi.B} {
		t.Errorf("the maximum of channel 3 is %v, want viridis' top %v", got, hi)
	}
	if got := at(1, 0); got != [3]uint8{lo.R, lo.G, lo.B} {
		t.Errorf("the minimum of channel 3 is %v, want viridis' bottom %v", got, lo)
	}
	if got := at(w, 0); got != [3]uint8{255, 255, 255} {
		t.Errorf("the gap between tiles is %v, want white", got)
	}
	if got := at(w+1, 1); got != [3]uint8{lo.R, lo.G, lo.B} {
		t.Errorf("the flat channel 4 is %v, want viridis' bottom", got)
	}

	// Large maps are averaged down to at most 56 pixels a side.
	big := make([]float32, 1*1*112*112)
	grids, _, _ = FeatureGrids(big, 1, 1, 112, 112, 4)
	if b := decode(t, grids[0]).Bounds(); b.Dx() != 56 || b.Dy() != 56 {
		t.Errorf("a 112×112 map becomes %v, want 56×56", b)
	}
}

func TestCAMOverlay(t *testing.T) {
	img := InputImage(make([]float32, 3*8*8), 3, 8, 8) // black
	cam := []float32{1, 0, 0, 0}                       // hot top-left of a 2×2 map
	overlay, heat := CAMOverlay(img, cam, 2, 2)
	if b := overlay.Bounds(); b.Dx() != 8 || b.Dy() != 8 {
		t.Fatalf("overlay %v, want the image's 8×8", b)
	}
	if b := heat.Bounds(); b.Dx() != 2 || b.Dy() != 2 {
		t.Fatalf("heatmap %v, want 2×2", b)
	}
	top, bottom := turbo(255), turbo(0)
	// Over black, the overlay is the colour times its opacity: 0.65 at the
	// hot corner, 0.15 where the map is 0.
	o := overlay.PixOffset(0, 0)
	if want := uint8(0.65*float64(top.R) + 0.5); overlay.Pix[o] != want {
		t.Errorf("hot corner red %d, want %d", overlay.Pix[o], want)
	}
	o = overlay.PixOffset(7, 7)
	if want := uint8(0.15*float64(bottom.B) + 0.5); overlay.Pix[o+2] != want {
		t.Errorf("cold corner blue %d, want %d", overlay.Pix[o+2], want)
	}
	if heat.Pix[0] != top.R || heat.Pix[4] != bottom.R {
		t.Errorf("heatmap pixels %v", heat.Pix[:8])
	}
}

func TestCharts(t *testing.T) {
	dir := t.TempDir()
	res := writeFixtureRun(t, dir, false)
	// A model that failed before testing has no confusion matrix and no
	// point in the scatter plots.
	failed := res.Models[0]
	failed.Model, failed.Status, failed.Test = "efficientnet_b0", "failed", nil
	res.Models = append(res.Models, failed)
	if err := train.WriteResults(filepath.Join(dir, ResultsFile), res); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	written, err := WriteCharts(r, filepath.Join(dir, ChartsDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range written {
		names = append(names, filepath.Base(p))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 {
			t.Errorf("%s is only %v", p, b)
		}
	}
	want := []string{"curves.png", "confusion-resnet18.png", "confusion-mobilenet_v3_small.png", "confusion-vgg16_bn.png",
		"accuracy-vs-flops.png", "accuracy-vs-inference.png"}
	if !slices.Equal(names, want) {
		t.Errorf("charts %v, want %v", names, want)
	}
}

// confusionResult is a model's result on a test set of n classes, three
// images each, with the given class names.
func confusionResult(n int, names []string) *train.ModelResult {
	ev := train.NewEvaluator(n)
	for s := range 3 * n {
		logits := make([]float32, n)
		logits[(s+s/(2*n))%n] = 1 // right for the first two images of each class
		ev.Add(logits, []int{s % n}, 0)
	}
	test := ev.Metrics(names)
	return &train.ModelResult{Model: "resnet18", Test: &test}
}

// TestConfusionChartOfManyOrLongClassNames checks that the confusion
// matrix stays a chart: names of hundreds of characters leave room for the
// matrix (inside the picture, most of its width), and a hundred classes and
// more keep the picture to confusionMaxSide centimetres (a thousand classes
// would otherwise ask for 60,000 pixels a side).
func TestConfusionChartOfManyOrLongClassNames(t *testing.T) {
	long := []string{strings.Repeat("a very long class name ", 15), "<script>alert('x')</script> & more " + strings.Repeat("é", 80), "short"}
	b, err := ConfusionPNG(confusionResult(3, long))
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	// The matrix's cells are the palette's lightest and darkest blues.
	x0, x1, y1 := img.Rect.Dx(), -1, -1
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			c := img.NRGBAAt(x, y)
			if c == (color.NRGBA{247, 251, 255, 255}) || c == (color.NRGBA{8, 48, 107, 255}) {
				x0, x1, y1 = min(x0, x), max(x1, x), max(y1, y)
			}
		}
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if x1 < 0 || x0 == 0 || y1 == h-1 || x1-x0 < 2*w/5 {
		t.Errorf("long names: the matrix spans x %d–%d (to y %d) of %d×%d", x0, x1, y1, w, h)
	}
	for _, n := range []int{60, 120} {
		b, err := ConfusionPNG(confusionResult(n, nil))
		if err != nil {
			t.Fatal(err)
		}
		side := int(math.Ceil(confusionMaxSide / 2.54 * chartDPI))
		if r := decode(t, b).Rect; r.Dx() > side || r.Dy() > side {
			t.Errorf("%d classes: a chart of %v, want at most %d pixels a side", n, r, side)
		}
	}
}

// historyRun is a one-model result whose history has the given training
// losses (one epoch each) and, when val is not nil, validation losses.
func historyRun(trainLoss []float64, val []float64) []train.ModelResult {
	m := train.ModelResult{Model: "mobilenet_v3_small"}
	for i, loss := range trainLoss {
		r := train.EpochRecord{Epoch: i + 1, LR: 1e6, TrainLoss: loss, TrainAccuracy: 0.1}
		if val != nil {
			r.Val = &train.EvalSummary{Loss: val[i], Accuracy: 0.1}
		}
		m.History = append(m.History, r)
	}
	return []train.ModelResult{m}
}

// TestCurvesOfDivergedRuns checks that the curves are drawn, not a panic
// or an error, for histories that gonum/plot cannot lay out by itself: one
// epoch with a loss of 1e16 or more (gonum's ±1 padding is lost in
// rounding there), losses that are NaN or infinite, values too close to
// tell apart, and the widest range float64 has.
func TestCurvesOfDivergedRuns(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name       string
		train, val []float64
	}{
		{"1e15", []float64{1e15}, nil},
		{"1e16", []float64{1e16}, nil},
		{"1e30", []float64{1e30}, []float64{1e30}},
		{"NaN", []float64{nan}, nil},
		{"+Inf", []float64{inf}, nil},
		{"-Inf", []float64{math.Inf(-1)}, nil},
		{"NaN training, finite validation", []float64{nan}, []float64{2}},
		{"finite training, NaN validation", []float64{2}, []float64{nan}},
		{"NaN between finite", []float64{3, nan, 1}, []float64{inf, 2, nan}},
		{"indistinguishable", []float64{1e16, 1e16 + 2}, nil},
		{"widest", []float64{0, math.MaxFloat64}, nil},
		{"largest", []float64{math.MaxFloat64}, nil},
		{"smallest", []float64{5e-324}, nil},
		{"small", []float64{1e-290}, nil},
	} {
		var b []byte
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			b, err = CurvesPNG(historyRun(c.train, c.val))
		}()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: not a PNG: %v", c.name, err)
		}
	}
}

func TestAxisRange(t *testing.T) {
	for _, c := range []struct{ lo, hi, wantLo, wantHi float64 }{
		{0.5, 0.5, 0.45, 0.55},
		{0.0075, 0.0075, 0.00675, 0.00825},
		{0, 0, -1, 1},
		{5e-324, 5e-324, 5e-324 - 1, 5e-324 + 1},
		{1e16, 1e16, 0.9e16, 1.1e16},
		{-1e30, -1e30, -1.1e30, -0.9e30},
		{1e16, 1e16 + 2, 1e16 - 1e15, 1e16 + 2 + 1e15},
		{math.MaxFloat64, math.MaxFloat64, math.MaxFloat64 - math.MaxFloat64/10, math.MaxFloat64},
		// A range gonum can divide is kept, and so is one without data.
		{0.1, 2.3, 0.1, 2.3},
		{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)},
	} {
		lo, hi := axisRange(c.lo, c.hi)
		if lo != c.wantLo || hi != c.wantHi {
			t.Errorf("axisRange(%g, %g) = %g, %g; want %g, %g", c.lo, c.hi, lo, hi, c.wantLo, c.wantHi)
		}
	}
}

// TestNonFiniteResults checks a run whose evaluation gave NaN (a model
// with damaged weights): results.json holds null, Load reads NaN back, and
// the dashboard and the charts are written, the NaN left out of them.
func TestNonFiniteResults(t *testing.T) {
	dir := t.TempDir()
	res := writeFixtureRun(t, dir, false)
	bad := &res.Models[0]
	bad.Test.Loss = math.NaN()
	bad.Misclassified[0].Confidence = math.NaN()
	bad.History[1].Val.Loss = math.Inf(1)
	res.Models[1].Test.Accuracy = math.NaN() // no point in the scatter plots
	if err := train.WriteResults(filepath.Join(dir, ResultsFile), res); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Models[0].Result
	if !math.IsNaN(m.Test.Loss) || !math.IsNaN(r.Models[0].Mistakes[0].Confidence) || !math.IsNaN(m.History[1].Val.Loss) {
		t.Errorf("loaded test loss %v, confidence %v, validation loss %v; want NaN", m.Test.Loss,
			r.Models[0].Mistakes[0].Confidence, m.History[1].Val.Loss)
	}
	if m.Test.Accuracy != res.Models[0].Test.Accuracy {
		t.Errorf("test accuracy %v, want %v", m.Test.Accuracy, res.Models[0].Test.Accuracy)
	}
	written, err := r.Write()
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 7 { // report.html, curves, three confusion matrices, two scatter plots
		t.Errorf("wrote %q", written)
	}
	b, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	doc := pageJSON(t, string(b))
	model := doc["models"].([]any)[0].(map[string]any)
	if loss, ok := model["test"].(map[string]any)["loss"]; !ok || loss != nil {
		t.Errorf("the dashboard's test loss is %v, want null", loss)
	}
}

// TestWriteKeepsDashboardWhenAChartFails checks that report.html is
// written before the charts, so a chart that cannot be written does not
// cost the dashboard.
func TestWriteKeepsDashboardWhenAChartFails(t *testing.T) {
	dir := t.TempDir()
	writeFixtureRun(t, dir, false)
	writeFile(t, filepath.Join(dir, ChartsDir), []byte("a file where the charts folder goes"))
	written, err := Generate(dir)
	if err == nil || !strings.Contains(err.Error(), "charts") {
		t.Errorf("error %v, want one about the charts folder", err)
	}
	if len(written) != 1 || written[0] != filepath.Join(dir, HTMLFile) {
		t.Errorf("wrote %q, want the dashboard", written)
	}
	if _, err := os.Stat(filepath.Join(dir, HTMLFile)); err != nil {
		t.Error(err)
	}
}

func TestDistinctTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (distinctTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	// gonum writes 1e16 and 1.1e16 alike; distinctTicks tells them apart.
	if got := labels(0.9e16, 1.1e16); len(got) < 2 || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("labels %q repeat", got)
	}
	// Labels that differ are gonum's own.
	if got, want := labels(0, 1), []string{"0.0", "0.5", "1.0"}; !slices.Equal(got, want) {
		t.Errorf("labels of [0, 1]: %q, want %q", got, want)
	}
}

// TestEncodeTurnsPanicsIntoErrors checks that a chart gonum/plot cannot
// lay out (an empty range its tick finder refuses) is an error naming the
// chart, not a panic.
func TestEncodeTurnsPanicsIntoErrors(t *testing.T) {
	p := plot.New()
	p.Title.Text = "Loss"
	p.Y.Min, p.Y.Max = 1e16, 1e16 // gonum's ±1 padding is lost in rounding
	_, err := encode([]*plot.Plot{p}, 10*vg.Centimeter, 10*vg.Centimeter)
	if err == nil || !strings.Contains(err.Error(), `drawing the chart "Loss": gonum/plot failed: illegal range`) {
		t.Errorf("error %v", err)
	}
}

package report

// PNG charts for READMEs and papers, drawn with gonum/plot into the run
// directory's charts/ folder beside report.html:
//
//	curves.png                     loss, accuracy and learning rate per epoch, every
//	                               model overlaid (training solid, validation dashed)
//	confusion-<model>.png          the test confusion matrix, each row normalised by
//	                               its true class, with the counts written in the cells
//	accuracy-vs-flops.png          test accuracy against FLOPs per image (log scale)
//	accuracy-vs-inference.png      test accuracy against batch-1 inference time
//
// A model without test results gets no confusion matrix and no point in
// the scatter plots; a scatter plot with no point is not written. A value
// that is not finite (a NaN or infinite loss; null in results.json) is left
// out of its chart, and a curve of a single value, or of values too close
// to tell apart, gets an axis padded around it, so that a diverged run is
// drawn like any other.

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gocnn/gocnn/train"
)

// ChartsDir is the folder of the PNG charts in the run directory.
const ChartsDir = "charts"

// chartDPI is the resolution of the PNG charts.
const chartDPI = 144

// modelColors are the charts' model colours, the same as the dashboard's.
var modelColors = []color.NRGBA{
	{0x2f, 0x6f, 0xdf, 255}, {0xe8, 0x71, 0x0a, 255}, {0x1e, 0x9e, 0x5a, 255}, {0xc5, 0x22, 0x1f, 255},
	{0x8e, 0x44, 0xad, 255}, {0x00, 0x83, 0x8f, 255}, {0xb8, 0x86, 0x0b, 255}, {0xd8, 0x1b, 0x60, 255},
	{0x5d, 0x6d, 0x7e, 255}, {0x6d, 0x4c, 0x41, 255},
}

func modelColor(i int) color.Color { return modelColors[i%len(modelColors)] }

// WriteCharts draws the charts of r into dir (created if needed) and
// returns the paths written.
func WriteCharts(r *Run, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the charts folder: %w", err)
	}
	var written []string
	save := func(name string, b []byte) error {
		p := filepath.Join(dir, name)
		if err := writeReadable(p, b); err != nil {
			return fmt.Errorf("writing chart %s: %w", p, err)
		}
		written = append(written, p)
		return nil
	}
	curves, err := CurvesPNG(r.Results.Models)
	if err != nil {
		return written, err
	}
	if err := save("curves.png", curves); err != nil {
		return written, err
	}
	for _, m := range r.Results.Models {
		if m.Test == nil {
			continue
		}
		b, err := ConfusionPNG(&m)
		if err != nil {
			return written, err
		}
		if err := save("confusion-"+fileSafe(m.Model)+".png", b); err != nil {
			return written, err
		}
	}
	for _, axis := range []scatterAxis{flopsAxis, inferenceAxis} {
		b, err := ScatterPNG(r.Results.Models, axis)
		if err != nil {
			return written, err
		}
		if b == nil {
			continue
		}
		if err := save("accuracy-vs-"+axis.file+".png", b); err != nil {
			return written, err
		}
	}
	return written, nil
}

// fileSafe replaces the characters of s that do not belong in a file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

// encode renders plots laid out in one row into a PNG of w × h. A panic
// inside gonum/plot (which panics on data it cannot lay out) becomes an
// error naming the chart, so that it cannot take the dashboard with it.
func encode(plots []*plot.Plot, w, h vg.Length) (b []byte, err error) {
	drawing := plots[0] // the plot being laid out or drawn, for the error
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("drawing the chart %q: gonum/plot failed: %v", drawing.Title.Text, r)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	if len(plots) == 1 {
		plots[0].Draw(dc)
	} else {
		tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
			PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
		canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
		for i, p := range plots {
			drawing = p
			p.Draw(canvases[0][i])
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding a chart: %w", err)
	}
	return buf.Bytes(), nil
}

// CurvesPNG draws the loss, the accuracy and the learning rate per epoch
// of every model side by side.
func CurvesPNG(models []train.ModelResult) ([]byte, error) {
	type metric struct {
		title  string
		train  func(train.EpochRecord) float64
		val    func(train.EvalSummary) float64
		yLabel string
	}
	metrics := []metric{
		{"Loss", func(r train.EpochRecord) float64 { return r.TrainLoss }, func(v train.EvalSummary) float64 { return v.Loss }, "cross-entropy"},
		{"Accuracy", func(r train.EpochRecord) float64 { return 100 * r.TrainAccuracy }, func(v train.EvalSummary) float64 { return 100 * v.Accuracy }, "%"},
		{"Learning rate (head)", func(r train.EpochRecord) float64 { return r.LR }, nil, "learning rate"},
	}
	var plots []*plot.Plot
	for k, mt := range metrics {
		p := plot.New()
		p.Title.Text = mt.title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = mt.yLabel
		p.Add(plotter.NewGrid())
		p.X.Tick.Marker = integerTicks{}
		for i, m := range models {
			if len(m.History) == 0 {
				continue
			}
			var tr, va plotter.XYs
			for _, r := range m.History {
				if y := mt.train(r); finite(y) {
					tr = append(tr, plotter.XY{X: float64(r.Epoch), Y: y})
				}
				if r.Val != nil && mt.val != nil {
					if y := mt.val(*r.Val); finite(y) {
						va = append(va, plotter.XY{X: float64(r.Epoch), Y: y})
					}
				}
			}
			if len(tr) == 0 && len(va) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(tr)
			if err != nil {
				return nil, fmt.Errorf("curves of %s: %w", m.Model, err)
			}
			l.Color, pts.Color, l.Width = modelColor(i), modelColor(i), vg.Points(1.5)
			pts.Radius = vg.Points(2)
			p.Add(l, pts)
			if k == 0 {
				p.Legend.Add(m.Model, l)
			}
			if len(va) > 0 {
				lv, err := plotter.NewLine(va)
				if err != nil {
					return nil, fmt.Errorf("curves of %s: %w", m.Model, err)
				}
				lv.Color, lv.Width, lv.Dashes = modelColor(i), vg.Points(1.5), []vg.Length{vg.Points(4), vg.Points(3)}
				p.Add(lv)
			}
		}
		if k == 0 {
			p.Legend.Top = true
		}
		p.Y.Min, p.Y.Max = axisRange(p.Y.Min, p.Y.Max)
		p.Y.Tick.Marker = distinctTicks{}
		plots = append(plots, p)
	}
	return encode(plots, 33*vg.Centimeter, 10*vg.Centimeter)
}

// finite reports whether v is a number a chart can place.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// axisRange returns the range of a linear axis showing the values from lo
// to hi. gonum/plot widens an empty range by 1 on each side, which does
// nothing at 1e16 and above (float64s are 2 or more apart there), and its
// tick finder panics on an empty range; so a range that is empty, or too
// narrow to tell its ends apart at their magnitude, is widened here by a
// tenth of that magnitude on each side (by 1 around zero; on one side only
// next to the largest float64). A range without data (lo > hi) is left for
// gonum/plot.
func axisRange(lo, hi float64) (float64, float64) {
	if lo > hi {
		return lo, hi
	}
	magnitude := math.Max(math.Abs(lo), math.Abs(hi))
	if hi-lo > 1e-9*magnitude {
		return lo, hi
	}
	pad := magnitude / 10
	if pad < minPad {
		pad = 1
	}
	wideLo, wideHi := lo-pad, hi+pad
	if math.IsInf(wideLo, -1) {
		wideLo = lo
	}
	if math.IsInf(wideHi, 1) {
		wideHi = hi
	}
	return wideLo, wideHi
}

// minPad is the smallest padding axisRange widens a range by; values
// closer to zero are drawn on an axis from -1 to 1.
const minPad = 1e-300

// distinctTicks is gonum/plot's default tick marker, except that when two
// labels read the same (gonum writes both 1e16 and 1.1e16 as "1e+16") every
// label is written with four significant digits.
type distinctTicks struct{}

func (distinctTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	seen := map[string]bool{}
	for _, t := range ticks {
		if t.Label == "" { // a minor tick
			continue
		}
		if seen[t.Label] {
			for i := range ticks {
				if ticks[i].Label != "" {
					ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 4, 64)
				}
			}
			break
		}
		seen[t.Label] = true
	}
	return ticks
}

// integerTicks marks the whole numbers of an axis (epochs), at most about
// ten of them.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := math.Max(1, math.Ceil((hi-lo)/10))
	var ticks []plot.Tick
	for v := math.Ceil(lo); v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprint(v)})
	}
	return ticks
}

// confusionGrid is a confusion matrix normalised by rows, as a heat map
// grid with the first true class at the top.
type confusionGrid struct{ share [][]float64 }

func (g confusionGrid) Dims() (c, r int)   { return len(g.share), len(g.share) }
func (g confusionGrid) Z(c, r int) float64 { return g.share[len(g.share)-1-r][c] }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

// ConfusionPNG draws m's test confusion matrix: colour is the share of the
// true class (row), the number in a cell the count.
func ConfusionPNG(m *train.ModelResult) ([]byte, error) {
	cm := m.Test.Confusion
	n := len(cm)
	if n == 0 {
		return nil, fmt.Errorf("confusion matrix of %s: no classes", m.Model)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprint(i)
		if i < len(m.Test.PerClass) {
			names[i] = m.Test.PerClass[i].Class
		}
	}
	g := confusionGrid{share: make([][]float64, n)}
	for t, row := range cm {
		sum := 0
		for _, v := range row {
			sum += v
		}
		g.share[t] = make([]float64, n)
		for p, v := range row {
			if sum > 0 {
				g.share[t][p] = float64(v) / float64(sum)
			}
		}
	}
	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return nil, err
	}
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = 0, 1
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: test confusion matrix (accuracy %.2f%%)", m.Model, 100*m.Test.Accuracy)
	p.X.Label.Text = "predicted class"
	p.Y.Label.Text = "true class"
	p.Add(h)
	// Every class gets a tick, but only every step-th is named when there
	// are too many names to read.
	step := (n + confusionMaxNames - 1) / confusionMaxNames
	xt, yt := make([]plot.Tick, n), make([]plot.Tick, n)
	var widest vg.Length
	for i, name := range names {
		if i%step != 0 {
			name = ""
		}
		name = shortName(name)
		xt[i] = plot.Tick{Value: float64(i), Label: name}
		yt[i] = plot.Tick{Value: float64(n - 1 - i), Label: name}
		widest = max(widest, p.X.Tick.Label.Width(name))
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	side := vg.Length(min(math.Max(12, 1.1*float64(n)+6), confusionMaxSide)) * vg.Centimeter
	// Upright names side by side when they fit their columns (the width
	// left beside the true classes' names, shared by the classes).
	if n > 12 || widest > (side-widest)/vg.Length(n) {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	if n <= 20 {
		labels := plotter.XYLabels{}
		var styles []text.Style
		for t, row := range cm {
			for pr, v := range row {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(pr), Y: float64(n - 1 - t)})
				labels.Labels = append(labels.Labels, fmt.Sprint(v))
				st := text.Style{Color: color.Black, Font: p.X.Tick.Label.Font, Handler: p.X.Tick.Label.Handler,
					XAlign: draw.XCenter, YAlign: draw.YCenter}
				if g.share[t][pr] > 0.55 {
					st.Color = color.White
				}
				styles = append(styles, st)
			}
		}
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, err
		}
		l.TextStyle = styles
		p.Add(l)
	}
	// Many classes make cells of a few pixels: drawn as one image rather
	// than one rectangle each.
	h.Rasterized = n > confusionMaxNames
	return encode([]*plot.Plot{p}, side, side)
}

// The confusion matrix chart grows with the number of classes up to
// confusionMaxSide centimetres a side (2268 pixels; from 31 classes on),
// and names at most confusionMaxNames classes on each axis (every k-th
// class beyond that), each in at most maxNameRunes characters, so that a
// thousand classes, or names of a hundred characters, still make a chart
// that fits in memory and leaves room for the matrix.
const (
	confusionMaxSide  = 40
	confusionMaxNames = 100
	maxNameRunes      = 24
)

// shortName returns a class name as a chart labels it: cut to maxNameRunes
// characters, the last of them an ellipsis, when it is longer.
func shortName(name string) string {
	r := []rune(name)
	if len(r) <= maxNameRunes {
		return name
	}
	return string(r[:maxNameRunes-1]) + "…"
}

// scatterAxis is a cost figure the scatter plots put on the x axis.
type scatterAxis struct {
	file, label string
	get         func(*train.ModelResult) float64
}

var (
	flopsAxis     = scatterAxis{"flops", "FLOPs per image (log scale)", func(m *train.ModelResult) float64 { return float64(m.Efficiency.FLOPs) }}
	inferenceAxis = scatterAxis{"inference", "inference time, ms per image at batch 1 (log scale)", func(m *train.ModelResult) float64 {
		return m.Efficiency.InferenceBatch1.MsPerImage
	}}
)

// ScatterPNG draws test accuracy against a cost figure, one labelled point
// per model with a finite test accuracy and a positive, finite figure; nil
// if there is none.
func ScatterPNG(models []train.ModelResult, axis scatterAxis) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Test accuracy against " + strings.TrimSuffix(axis.label, " (log scale)")
	p.X.Label.Text = axis.label
	p.Y.Label.Text = "test accuracy (%)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	labels := plotter.XYLabels{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, m := range models {
		x := axis.get(&models[i])
		if m.Test == nil || !(x > 0) || !finite(x) || !finite(m.Test.Accuracy) {
			continue
		}
		xy := plotter.XY{X: x, Y: 100 * m.Test.Accuracy}
		s, err := plotter.NewScatter(plotter.XYs{xy})
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = modelColor(i), vg.Points(5), draw.CircleGlyph{}
		p.Add(s)
		labels.XYs = append(labels.XYs, xy)
		labels.Labels = append(labels.Labels, m.Model)
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if len(labels.XYs) == 0 {
		return nil, nil
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	l.Offset = vg.Point{X: vg.Points(8), Y: vg.Points(-4)}
	p.Add(l)
	// Room on the log axis for the points and their labels.
	p.X.Min, p.X.Max = lo/2, hi*4
	p.Y.Min, p.Y.Max = math.Max(0, p.Y.Min-2), math.Min(100, p.Y.Max+2)
	return encode([]*plot.Plot{p}, 18*vg.Centimeter, 12*vg.Centimeter)
}

package report

// Visuals: the pictures of what a trained model computes (feature maps and
// Grad-CAM heatmaps on a few test images), stored in the run directory as
// one JSON file per model, <model>/visuals.json, with every picture an
// embedded PNG (base64 in JSON). They are computed where a model exists
// (internal/vis, called by cmd/train at the end of training or by
// cmd/report from a model's saved weights); this package only writes,
// reads and renders them. The format is documented in docs/REPORT.md.
//
// This file also holds the functions that turn numbers into those
// pictures, so that every producer draws them alike:
//
//   - InputImage: a model input (C, H, W), normalised or not, back to an
//     8-bit picture by stretching each channel to [0, 255];
//   - FeatureGrids: a layer's activations for a batch (N, C, H, W) as one
//     grid of channel maps per image, coloured with viridis;
//   - CAMOverlay: a Grad-CAM map upsampled bilinearly to the input size
//     and blended over the image with the turbo colour map.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"sort"

	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/train"
)

// VisualsFile is the name of the visuals file inside a model's directory.
const VisualsFile = "visuals.json"

// VisualsVersion is the format version of visuals.json.
const VisualsVersion = 1

// Visuals is the content of one model's visuals.json.
type Visuals struct {
	Version int    `json:"version"`
	Model   string `json:"model"`
	// Weights is the weights file the pictures were computed from,
	// relative to the run directory.
	Weights string `json:"weights"`
	// Input is (C, H, W) of one model input.
	Input   []int    `json:"input"`
	Samples []Sample `json:"samples"`
	// Layers are the layers whose activations are shown, in forward order.
	Layers  []LayerMaps `json:"layers"`
	GradCAM *GradCAM    `json:"grad_cam,omitempty"`
}

// Sample is one test image the pictures were computed on.
type Sample struct {
	Index      int     `json:"index"` // item in the test source
	Name       string  `json:"name"`
	Label      string  `json:"label"`
	Predicted  string  `json:"predicted"`
	Confidence float64 `json:"confidence"` // softmax probability of the predicted class
	// Image is the input as the model sees it (after the evaluation
	// transform), stretched to 8 bits by InputImage.
	Image []byte `json:"image"`
}

// LayerMaps are the activation maps of one layer.
type LayerMaps struct {
	Name  string `json:"name"`  // dotted module name ("layer2", "features.6")
	Stage string `json:"stage"` // the zoo stage it ends ("stage2")
	// Position is "early", "middle" or "late" in the network.
	Position string `json:"position"`
	Shape    []int  `json:"shape"` // (C, H, W) of the activation of one image
	// Channels are the channels shown, in grid order (row-major).
	Channels []int `json:"channels"`
	Cols     int   `json:"cols"`
	// Grids holds one PNG per sample: the shown channels as tiles.
	Grids [][]byte `json:"grids"`
}

// GradCAM holds the Grad-CAM heatmaps of the predicted class.
type GradCAM struct {
	Layer string `json:"layer"`
	Shape []int  `json:"shape"` // (C, H, W) of the layer's activation
	// Overlays holds one PNG per sample: the heatmap over the input.
	Overlays [][]byte `json:"overlays"`
	// Heatmaps holds one PNG per sample: the heatmap alone, at the
	// layer's resolution.
	Heatmaps [][]byte `json:"heatmaps"`
}

// WriteVisuals writes v to path as JSON, atomically.
func WriteVisuals(path string, v *Visuals) error {
	v.Version = VisualsVersion
	b, err := train.MarshalNullable(v) // a NaN confidence is null
	if err != nil {
		return fmt.Errorf("encoding visuals for %s: %w", path, err)
	}
	if err := safetensors.WriteAtomic(path, b); err != nil {
		return fmt.Errorf("writing visuals %s: %w", path, err)
	}
	return nil
}

// ReadVisuals reads and checks a visuals file.
func ReadVisuals(path string) (*Visuals, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v Visuals
	if err := train.UnmarshalNullable(b, &v); err != nil {
		return nil, fmt.Errorf("%s: not a visuals file: %w", path, err)
	}
	if v.Version != VisualsVersion {
		return nil, fmt.Errorf("%s: visuals format version %d, this program reads version %d", path, v.Version, VisualsVersion)
	}
	n := len(v.Samples)
	for _, l := range v.Layers {
		if len(l.Grids) != n {
			return nil, fmt.Errorf("%s: layer %s has %d grids for %d samples", path, l.Name, len(l.Grids), n)
		}
	}
	if g := v.GradCAM; g != nil && (len(g.Overlays) != n || len(g.Heatmaps) != n) {
		return nil, fmt.Errorf("%s: Grad-CAM has %d overlays and %d heatmaps for %d samples", path, len(g.Overlays), len(g.Heatmaps), n)
	}
	return &v, nil
}

// EncodePNG encodes an image as PNG bytes.
func EncodePNG(m image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		// png.Encode fails only for images with a zero or huge size, which
		// the functions of this file never make.
		panic(fmt.Sprintf("report.EncodePNG: %v", err))
	}
	return b.Bytes()
}

// InputImage turns one model input x (C, H, W planar, C = 1 or 3) into an
// opaque 8-bit image, stretching each channel's range to [0, 255]: for a
// normalised input ((v - mean)/std per channel) that undoes the
// normalisation up to the channel's own range. A constant channel becomes
// black.
func InputImage(x []float32, c, h, w int) *image.NRGBA {
	if (c != 1 && c != 3) || len(x) != c*h*w {
		panic(fmt.Sprintf("report.InputImage: %d values for shape (%d, %d, %d) (1 or 3 channels)", len(x), c, h, w))
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for ch := range 3 {
		plane := x[min(ch, c-1)*h*w : (min(ch, c-1)+1)*h*w]
		lo, hi := minMax(plane)
		for i, v := range plane {
			out.Pix[4*i+ch] = stretch(v, lo, hi)
		}
	}
	for i := range h * w {
		out.Pix[4*i+3] = 255
	}
	return out
}

// minMax returns the smallest and largest finite values of xs (0, 0 if
// none is finite).
func minMax(xs []float32) (lo, hi float32) {
	first := true
	for _, v := range xs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			continue
		}
		if first || v < lo {
			lo = v
		}
		if first || v > hi {
			hi = v
		}
		first = false
	}
	return lo, hi
}

// stretch maps v from [lo, hi] to [0, 255], rounding; a flat range maps to 0.
func stretch(v, lo, hi float32) uint8 {
	if !(hi > lo) || math.IsNaN(float64(v)) {
		return 0
	}
	t := (float64(v) - float64(lo)) / (float64(hi) - float64(lo))
	return uint8(math.Round(255 * min(max(t, 0), 1)))
}

// Grid layout of FeatureGrids.
const (
	gridGap     = 1   // pixels between tiles
	gridGapGray = 255 // gap colour: white, as the page
	maxTileSide = 56  // larger maps are averaged down to at most this side
	gridColsMax = 8   // tiles per row at most
	gridColsMin = 4   // tiles per row at least, when there are that many
)

// FeatureGrids renders the activations x of a batch (N, C, H, W) as one PNG
// per image: up to maxChannels channel maps as tiles, gridCols per row,
// separated by a white gap. The channels shown are those with the largest
// mean absolute activation over the whole batch, in channel order, so every
// image's grid shows the same channels; each tile is stretched to its own
// range and coloured with viridis (dark blue low, yellow high). Maps wider
// or taller than 56 pixels are averaged down to at most 56 first. It
// returns the grids, the channels shown and the number of columns.
func FeatureGrids(x []float32, n, c, h, w, maxChannels int) (grids [][]byte, channels []int, cols int) {
	if n < 1 || c < 1 || h < 1 || w < 1 || len(x) != n*c*h*w || maxChannels < 1 {
		panic(fmt.Sprintf("report.FeatureGrids: %d values for shape (%d, %d, %d, %d), %d channels", len(x), n, c, h, w, maxChannels))
	}
	channels = strongestChannels(x, n, c, h*w, maxChannels)
	cols = gridColumns(len(channels))
	rows := (len(channels) + cols - 1) / cols
	f := max((h+maxTileSide-1)/maxTileSide, (w+maxTileSide-1)/maxTileSide)
	th, tw := (h+f-1)/f, (w+f-1)/f
	width, height := cols*tw+(cols-1)*gridGap, rows*th+(rows-1)*gridGap
	tile := make([]float32, th*tw)
	for img := range n {
		out := image.NewNRGBA(image.Rect(0, 0, width, height))
		for i := range out.Pix {
			out.Pix[i] = gridGapGray
		}
		for k, ch := range channels {
			plane := x[(img*c+ch)*h*w : (img*c+ch+1)*h*w]
			downsample(plane, h, w, f, tile)
			lo, hi := minMax(tile)
			x0, y0 := (k%cols)*(tw+gridGap), (k/cols)*(th+gridGap)
			for y := range th {
				for xx := range tw {
					col := viridis(stretch(tile[y*tw+xx], lo, hi))
					o := out.PixOffset(x0+xx, y0+y)
					out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = col.R, col.G, col.B, 255
				}
			}
		}
		grids = append(grids, EncodePNG(out))
	}
	return grids, channels, cols
}

// gridColumns chooses the tiles per row for k tiles: 8 at most, and a
// layout close to twice as wide as tall.
func gridColumns(k int) int {
	cols := int(math.Ceil(math.Sqrt(2 * float64(k))))
	return min(max(cols, min(k, gridColsMin)), gridColsMax, k)
}

// strongestChannels returns the k channels (fewer if c < k) with the
// largest mean absolute value over the batch, in increasing channel order;
// ties go to the lower channel.
func strongestChannels(x []float32, n, c, hw, k int) []int {
	score := make([]float64, c)
	for img := range n {
		for ch := range c {
			for _, v := range x[(img*c+ch)*hw : (img*c+ch+1)*hw] {
				score[ch] += math.Abs(float64(v))
			}
		}
	}
	order := make([]int, c)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	chosen := order[:min(k, c)]
	sort.Ints(chosen)
	return chosen
}

// downsample averages f×f blocks of plane (h, w) into out (⌈h/f⌉, ⌈w/f⌉);
// blocks at the right and bottom edges average the pixels they have.
func downsample(plane []float32, h, w, f int, out []float32) {
	oh, ow := (h+f-1)/f, (w+f-1)/f
	for oy := range oh {
		for ox := range ow {
			var sum float64
			count := 0
			for y := oy * f; y < min((oy+1)*f, h); y++ {
				for x := ox * f; x < min((ox+1)*f, w); x++ {
					sum += float64(plane[y*w+x])
					count++
				}
			}
			out[oy*ow+ox] = float32(sum / float64(count))
		}
	}
}

// CAMOverlay upsamples a Grad-CAM map cam (h, w), with values in [0, 1],
// bilinearly (align_corners=False, as torch.nn.functional.interpolate) to
// the size of img, and blends it over img: the turbo colour of the map at
// an opacity that grows with the map's value (0.15 to 0.65), so cold
// regions keep the image visible. It also returns the map alone at its own
// resolution.
func CAMOverlay(img *image.NRGBA, cam []float32, h, w int) (overlay, heat *image.NRGBA) {
	if len(cam) != h*w || h < 1 || w < 1 {
		panic(fmt.Sprintf("report.CAMOverlay: %d values for a %d×%d map", len(cam), h, w))
	}
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	overlay = image.NewNRGBA(image.Rect(0, 0, W, H))
	for y := range H {
		for x := range W {
			v := bilinear(cam, h, w, (float64(y)+0.5)*float64(h)/float64(H)-0.5, (float64(x)+0.5)*float64(w)/float64(W)-0.5)
			col := turbo(stretch(float32(v), 0, 1))
			alpha := 0.15 + 0.5*min(max(v, 0), 1)
			src := img.PixOffset(b.Min.X+x, b.Min.Y+y)
			o := overlay.PixOffset(x, y)
			for k, cv := range [3]uint8{col.R, col.G, col.B} {
				overlay.Pix[o+k] = uint8(math.Round((1-alpha)*float64(img.Pix[src+k]) + alpha*float64(cv)))
			}
			overlay.Pix[o+3] = 255
		}
	}
	heat = image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, v := range cam {
		col := turbo(stretch(v, 0, 1))
		heat.Pix[4*i], heat.Pix[4*i+1], heat.Pix[4*i+2], heat.Pix[4*i+3] = col.R, col.G, col.B, 255
	}
	return overlay, heat
}

// bilinear samples m (h, w) at the fractional position (y, x), clamping at
// the edges.
func bilinear(m []float32, h, w int, y, x float64) float64 {
	y = min(max(y, 0), float64(h-1))
	x = min(max(x, 0), float64(w-1))
	y0, x0 := int(y), int(x)
	y1, x1 := min(y0+1, h-1), min(x0+1, w-1)
	dy, dx := y-float64(y0), x-float64(x0)
	top := (1-dx)*float64(m[y0*w+x0]) + dx*float64(m[y0*w+x1])
	bottom := (1-dx)*float64(m[y1*w+x0]) + dx*float64(m[y1*w+x1])
	return (1-dy)*top + dy*bottom
}

// viridisStops and turboStops sample matplotlib's viridis and Google's
// turbo colour maps at 9 evenly spaced points; colours between them are
// interpolated linearly.
var (
	viridisStops = [9][3]uint8{
		{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
		{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
	}
	turboStops = [9][3]uint8{
		{48, 18, 59}, {67, 105, 226}, {39, 175, 246}, {26, 228, 182}, {114, 254, 94},
		{200, 239, 52}, {250, 186, 57}, {233, 94, 14}, {122, 4, 3},
	}
)

func viridis(v uint8) color.NRGBA { return colorMap(&viridisStops, v) }
func turbo(v uint8) color.NRGBA   { return colorMap(&turboStops, v) }

// colorMap interpolates the stops at v/255.
func colorMap(stops *[9][3]uint8, v uint8) color.NRGBA {
	t := float64(v) / 255 * 8
	i := min(int(t), 7)
	f := t - float64(i)
	var c [3]uint8
	for k := range c {
		c[k] = uint8(math.Round((1-f)*float64(stops[i][k]) + f*float64(stops[i+1][k])))
	}
	return color.NRGBA{c[0], c[1], c[2], 255}
}

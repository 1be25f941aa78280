package vis

// Probe images: the few test images the visuals are computed on, stored in
// each model's directory as probes.safetensors so that cmd/report can
// compute the visuals again from the saved weights without the dataset:
//
//	tensor "input"        float32 (N, C, H, W): the images after the model's
//	                      evaluation transform, exactly what the model is fed
//	metadata "gocnn.probes"  JSON {"indices", "names", "labels", "classes"}:
//	                      each image's item number and name in the test source,
//	                      its label, and the class names in label order
//
// SelectProbes takes the first image of each class in source order until
// it has n images of n different classes; with fewer classes it fills up
// with the next images in order. An image that cannot be read is passed
// over (the loader has warned about it), and the next of its class takes
// its place. The choice depends on the source alone, so every model of a
// run sees the same images.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/report"
	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

// ProbesFile is the name of the probe images' file in a model's directory.
const ProbesFile = "probes.safetensors"

// probesKey is the metadata key of the probe images' description.
const probesKey = "gocnn.probes"

// Probes are the test images the visuals are computed on.
type Probes struct {
	Indices []int    `json:"indices"` // items in the test source
	Names   []string `json:"names"`
	Labels  []int    `json:"labels"`
	Classes []string `json:"classes"`
	// Input holds the transformed images, (N, C, H, W).
	Input *autograd.Tensor `json:"-"`
}

// SelectProbes picks n images of src (see the file comment) and applies
// the evaluation transform tf to them.
func SelectProbes(src dataset.Source, tf dataset.Transform, n int) (*Probes, error) {
	if n < 1 || src.Len() == 0 {
		return nil, fmt.Errorf("choosing %d probe images from %d test images", n, src.Len())
	}
	p := &Probes{Classes: src.Classes()}
	var (
		data    []float32
		c, h, w int
		tried   = make([]bool, src.Len())
		lastErr error // of the last unreadable image
	)
	// take adds item i if it can be read, and reports whether it did.
	take := func(i int) (bool, error) {
		tried[i] = true
		img, err := src.Image(i)
		if err != nil {
			lastErr = fmt.Errorf("probe image %s: %w", src.Name(i), err)
			return false, nil
		}
		f := tf.Apply(dataset.Value{Image: img}, nil).Float
		if f == nil {
			return false, fmt.Errorf("the evaluation transform %s does not end in a tensor", tf)
		}
		if len(p.Indices) == 0 {
			c, h, w = f.C, f.H, f.W
		} else if f.C != c || f.H != h || f.W != w {
			return false, fmt.Errorf("probe image %s is %d×%d×%d after %s, the first one %d×%d×%d", src.Name(i), f.C, f.H, f.W, tf, c, h, w)
		}
		data = append(data, f.Data...)
		p.Indices = append(p.Indices, i)
		p.Names = append(p.Names, src.Name(i))
		p.Labels = append(p.Labels, src.Label(i))
		return true, nil
	}
	covered := map[int]bool{}
	for i := 0; i < src.Len() && len(p.Indices) < n; i++ {
		if l := src.Label(i); !covered[l] {
			ok, err := take(i)
			if err != nil {
				return nil, err
			}
			covered[l] = ok
		}
	}
	for i := 0; i < src.Len() && len(p.Indices) < n; i++ {
		if !tried[i] {
			if _, err := take(i); err != nil {
				return nil, err
			}
		}
	}
	if len(p.Indices) == 0 {
		return nil, fmt.Errorf("no readable probe image among %d test images (the last error: %w)", src.Len(), lastErr)
	}
	p.Input = autograd.New(data, len(p.Indices), c, h, w)
	return p, nil
}

// Save writes the probe images to path.
func (p *Probes) Save(path string) error {
	meta, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("saving probe images %s: %w", path, err)
	}
	t := safetensors.F32("input", p.Input.Shape(), p.Input.Data())
	if err := safetensors.WriteFile(path, []safetensors.Tensor{t}, map[string]string{probesKey: string(meta)}); err != nil {
		return fmt.Errorf("saving probe images %s: %w", path, err)
	}
	return nil
}

// LoadProbes reads probe images saved by Save and checks them.
func LoadProbes(path string) (*Probes, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Probes
	meta, ok := f.Metadata[probesKey]
	if !ok {
		return nil, fmt.Errorf("%s: no %q metadata: not a probe images file", path, probesKey)
	}
	if err := json.Unmarshal([]byte(meta), &p); err != nil {
		return nil, fmt.Errorf("%s: damaged %q metadata: %w", path, probesKey, err)
	}
	data, shape, err := f.Float32("input")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(shape) != 4 || shape[0] != len(p.Indices) || len(p.Names) != shape[0] || len(p.Labels) != shape[0] {
		return nil, fmt.Errorf("%s: input %v for %d indices, %d names and %d labels", path, shape, len(p.Indices), len(p.Names), len(p.Labels))
	}
	for _, l := range p.Labels {
		if l < 0 || l >= len(p.Classes) {
			return nil, fmt.Errorf("%s: label %d outside the %d classes", path, l, len(p.Classes))
		}
	}
	p.Input = autograd.New(data, shape...)
	return &p, nil
}

// first returns the first n probe images of p (p itself when it has no
// more than n).
func (p *Probes) first(n int) *Probes {
	if n >= len(p.Indices) {
		return p
	}
	return &Probes{Indices: p.Indices[:n], Names: p.Names[:n], Labels: p.Labels[:n], Classes: p.Classes,
		Input: autograd.Narrow(p.Input, 0, n)}
}

// Write is what a trainer calls at the end of training a model: it picks
// probe images from the test source src (evaluation transform tf), saves
// them as probes.safetensors in the model's directory modelDir, computes
// the visuals of m and writes them there as visuals.json. weights names
// the weights m holds, relative to the run directory (as
// ModelResult.Files.BestWeights).
func Write(modelDir, weights string, m *zoo.Model, src dataset.Source, tf dataset.Transform, o Options) error {
	p, err := SelectProbes(src, tf, o.withDefaults().Samples)
	if err != nil {
		return err
	}
	if err := p.Save(filepath.Join(modelDir, ProbesFile)); err != nil {
		return err
	}
	v, err := Compute(m, p, weights, o)
	if err != nil {
		return err
	}
	return report.WriteVisuals(filepath.Join(modelDir, report.VisualsFile), v)
}

// Recompute makes a model's visuals again from the files of the run
// directory runDir: the best weights (ModelResult.Files.BestWeights) and
// the first o.Samples probe images in the model's directory (all of them
// when fewer are stored). It writes visuals.json and returns the visuals;
// the error says which file is missing or wrong.
func Recompute(runDir string, res *train.ModelResult, o Options) (*report.Visuals, error) {
	if res.Files.BestWeights == "" {
		return nil, fmt.Errorf("%s: results.json names no weights file", res.Model)
	}
	weights := filepath.Join(runDir, filepath.FromSlash(res.Files.BestWeights))
	if _, err := os.Stat(weights); err != nil {
		return nil, fmt.Errorf("%s: the weights are missing: %w", res.Model, err)
	}
	modelDir := filepath.Join(runDir, filepath.FromSlash(report.ModelDir(res)))
	probes := filepath.Join(modelDir, ProbesFile)
	if _, err := os.Stat(probes); err != nil {
		return nil, fmt.Errorf("%s: no stored test images to compute them on: %w", res.Model, err)
	}
	p, err := LoadProbes(probes)
	if err != nil {
		return nil, err
	}
	p = p.first(o.withDefaults().Samples)
	m, _, err := zoo.Load(weights, res.Model, zoo.Options{})
	if err != nil {
		return nil, err
	}
	v, err := Compute(m, p, res.Files.BestWeights, o)
	if err != nil {
		return nil, err
	}
	if err := report.WriteVisuals(filepath.Join(modelDir, report.VisualsFile), v); err != nil {
		return nil, err
	}
	return v, nil
}

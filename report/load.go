package report

// Loading a run directory: results.json (train.Results, written by
// cmd/train), each model's visuals.json (feature maps and Grad-CAM, see
// visuals.go) and the PNG files of its misclassified test images. Only
// results.json is required; whatever else is missing is noted, with the
// reason, and the dashboard says so where the pictures would be. A number
// that was not finite is null in results.json and NaN once loaded
// (train.Results decodes it so); the charts leave it out.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/gocnn/gocnn/train"
)

// ResultsFile is the name of the results file in a run directory.
const ResultsFile = "results.json"

// Run is a loaded run directory.
type Run struct {
	Dir     string
	Results *train.Results
	Models  []Model
}

// Model is one model's result with the pictures found for it.
type Model struct {
	Result *train.ModelResult
	// Dir is the model's directory, relative to the run directory.
	Dir string
	// Visuals are the model's feature maps and Grad-CAM heatmaps; when nil,
	// VisualsNote says why.
	Visuals     *Visuals
	VisualsNote string
	// Mistakes are the misclassified test images with their PNG files
	// (nil Image: the file could not be read, ImageNote says why).
	Mistakes []Mistake
}

// Mistake is a misclassified test image and its picture.
type Mistake struct {
	train.Misclassified
	Image     []byte
	ImageNote string
}

// Load reads the run in dir. Only results.json must exist; the error names
// it when it is missing or damaged.
func Load(dir string) (*Run, error) {
	p := filepath.Join(dir, ResultsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading the run's results: %w", err)
	}
	var res train.Results
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: not a results file: %w", p, err)
	}
	if res.Version != train.ResultsVersion {
		return nil, fmt.Errorf("%s: results format version %d, this program reads version %d", p, res.Version, train.ResultsVersion)
	}
	r := &Run{Dir: dir, Results: &res}
	for i := range res.Models {
		m := Model{Result: &res.Models[i], Dir: ModelDir(&res.Models[i])}
		m.Visuals, m.VisualsNote = loadVisuals(dir, m.Dir)
		for _, mis := range m.Result.Misclassified {
			m.Mistakes = append(m.Mistakes, loadMistake(dir, mis))
		}
		r.Models = append(r.Models, m)
	}
	return r, nil
}

// ModelDir returns the directory of a model's files relative to the run
// directory: the one its files are in, or else its name (cmd/train's
// layout).
func ModelDir(m *train.ModelResult) string {
	for _, f := range []string{m.Files.BestWeights, m.Files.Checkpoint, m.Files.HistoryCSV} {
		if f != "" {
			return path.Dir(f)
		}
	}
	return m.Model
}

// VisualsPath returns where a model's visuals file lies in the run
// directory dir.
func VisualsPath(dir string, m *train.ModelResult) string {
	return filepath.Join(dir, filepath.FromSlash(ModelDir(m)), VisualsFile)
}

// loadVisuals reads a model's visuals file, or says why there is none.
func loadVisuals(dir, modelDir string) (*Visuals, string) {
	p := filepath.Join(dir, filepath.FromSlash(modelDir), VisualsFile)
	v, err := ReadVisuals(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Sprintf("%s/%s does not exist: the feature maps are computed at the end of training, or by `report -in DIR` from the model's saved weights", modelDir, VisualsFile)
	case err != nil:
		return nil, err.Error()
	}
	return v, ""
}

// loadMistake reads the picture of a misclassified image.
func loadMistake(dir string, mis train.Misclassified) Mistake {
	m := Mistake{Misclassified: mis}
	if mis.File == "" {
		m.ImageNote = "no image file was saved"
		return m
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(mis.File)))
	if err != nil {
		m.ImageNote = fmt.Sprintf("%s: %v", mis.File, errors.Unwrap(err))
		return m
	}
	m.Image = b
	return m
}

// Generate loads the run in dir and writes its dashboard, report.html, and
// the PNG charts beside it; it returns the paths written.
func Generate(dir string) ([]string, error) {
	r, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return r.Write()
}

// Write writes the dashboard and then the charts of r into its directory
// and returns the paths written, also when a chart fails: the dashboard
// does not need the charts.
func (r *Run) Write() ([]string, error) {
	html := filepath.Join(r.Dir, HTMLFile)
	if err := r.WriteHTMLFile(html); err != nil {
		return nil, err
	}
	charts, err := WriteCharts(r, filepath.Join(r.Dir, ChartsDir))
	return append([]string{html}, charts...), err
}

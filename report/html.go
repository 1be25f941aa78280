package report

// The dashboard: one self-contained HTML file. The page is a template
// (assets/page.html) with the style sheet (assets/style.css) and the
// script (assets/app.js) written inline, and the run's data as one JSON
// document in a <script type="application/json"> element: the models'
// results as in results.json, plus their pictures (misclassified images,
// feature maps, Grad-CAM) as base64 PNG. The script draws every table and
// chart from that JSON when the page opens (SVG, no library), so the file
// needs no network and no other file.

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/train"
)

// HTMLFile is the dashboard's file name in the run directory.
const HTMLFile = "report.html"

//go:embed assets/page.html assets/style.css assets/app.js
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/page.html"))

// pageData is what the template receives.
type pageData struct {
	Title  string
	CSS    template.CSS
	Script template.JS
	Data   template.JS
}

// pageModel is one model as the script reads it: the fields of
// results.json's model object, with the misclassified images' pictures and
// the visuals added.
type pageModel struct {
	*train.ModelResult
	Misclassified []pageMistake `json:"misclassified"`
	Visuals       *Visuals      `json:"visuals"`
	VisualsNote   string        `json:"visuals_note,omitempty"`
}

type pageMistake struct {
	train.Misclassified
	Image     []byte `json:"image"`
	ImageNote string `json:"image_note,omitempty"`
}

// pageRun is the JSON document the script reads.
type pageRun struct {
	Title     string        `json:"title"`
	Generated time.Time     `json:"generated"`
	Run       train.RunInfo `json:"run"`
	Models    []pageModel   `json:"models"`
}

// WriteHTML writes the dashboard of r to w.
func (r *Run) WriteHTML(w io.Writer) error {
	doc := pageRun{Title: "Run " + filepath.Base(filepath.Clean(r.Dir)), Generated: time.Now().UTC(), Run: r.Results.Run,
		Models: []pageModel{}}
	for _, m := range r.Models {
		pm := pageModel{ModelResult: m.Result, Visuals: m.Visuals, VisualsNote: m.VisualsNote, Misclassified: []pageMistake{}}
		for _, mis := range m.Mistakes {
			pm.Misclassified = append(pm.Misclassified, pageMistake{Misclassified: mis.Misclassified, Image: mis.Image, ImageNote: mis.ImageNote})
		}
		doc.Models = append(doc.Models, pm)
	}
	// MarshalNullable is json.Marshal, which escapes <, > and & (and
	// U+2028/9), so the document cannot close its script element; numbers
	// that are not finite are null, as in results.json.
	data, err := train.MarshalNullable(doc)
	if err != nil {
		return fmt.Errorf("encoding the dashboard's data: %w", err)
	}
	css, err := assets.ReadFile("assets/style.css")
	if err != nil {
		return err
	}
	script, err := assets.ReadFile("assets/app.js")
	if err != nil {
		return err
	}
	return page.Execute(w, pageData{Title: doc.Title, CSS: template.CSS(css), Script: template.JS(script), Data: template.JS(data)})
}

// WriteHTMLFile writes the dashboard to path, atomically.
func (r *Run) WriteHTMLFile(path string) error {
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		return err
	}
	if err := writeReadable(path, b.Bytes()); err != nil {
		return fmt.Errorf("writing the dashboard %s: %w", path, err)
	}
	return nil
}

// writeReadable writes b to path atomically and makes the file readable by
// everyone, as a web page or a picture is meant to be.
func writeReadable(path string, b []byte) error {
	if err := safetensors.WriteAtomic(path, b); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

// Command report rebuilds the dashboard of a training run: report.html (one
// self-contained file: open it in a browser, no network needed) and the PNG
// charts in charts/, from the run directory that cmd/train wrote.
//
//	report -in runs/20250314-092653
//
// It reads results.json and, for the pictures, each model's visuals.json.
// A model without visuals (a run made before they existed, or -recompute)
// gets them computed here from its best weights and the test images stored
// beside them (probes.safetensors); when those files are missing the
// dashboard says so in place of the pictures, and everything else is
// built from results.json alone. Numbers that were not finite (null in
// results.json: the NaN loss of a model with damaged weights) are named
// in a warning on standard error; the charts leave them out.
//
// Exit codes: 0 success; 2 bad flags or a run directory without a readable
// results.json; 1 any other failure.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/gocnn/gocnn/internal/vis"
	"github.com/gocnn/gocnn/report"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the parsed flags.
type options struct {
	in, out   string
	recompute bool
	vis       vis.Options
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.in, "in", "", "run directory (with results.json), as cmd/train's -out")
	fs.StringVar(&o.out, "out", "", "dashboard file (default DIR/report.html); the charts go to DIR/charts")
	fs.BoolVar(&o.recompute, "recompute", false, "compute every model's feature maps and Grad-CAM again from its saved weights")
	fs.IntVar(&o.vis.Samples, "samples", 6, "test images for new feature maps (at most those stored with the weights)")
	fs.IntVar(&o.vis.Layers, "layers", 4, "layers per model for new feature maps")
	fs.IntVar(&o.vis.Channels, "channels", 32, "channel maps shown per layer")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: report -in DIR [-out FILE] [-recompute] [-samples 6] [-layers 4] [-channels 32]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.in == "":
		return nil, errors.New("-in DIR is required: the run directory cmd/train wrote")
	case o.vis.Samples < 1 || o.vis.Layers < 1 || o.vis.Channels < 1:
		return nil, errors.New("-samples, -layers and -channels must be at least 1")
	}
	return o, nil
}

// run is the program; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return exitUsage
	}
	r, err := report.Load(o.in)
	if err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return exitUsage
	}
	warnNonFinite(r, stderr)
	if err := protect(func() error { return build(r, o, stdout) }); err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// build computes the missing visuals and writes the dashboard and charts.
func build(r *report.Run, o *options, stdout io.Writer) error {
	for i := range r.Models {
		m := &r.Models[i]
		_, statErr := os.Stat(report.VisualsPath(r.Dir, m.Result))
		if m.Visuals != nil && !o.recompute {
			continue
		}
		v, err := vis.Recompute(r.Dir, m.Result, o.vis)
		switch {
		case err == nil:
			m.Visuals, m.VisualsNote = v, ""
			fmt.Fprintf(stdout, "%s: feature maps and Grad-CAM computed from %s\n", m.Result.Model, v.Weights)
		case m.Visuals != nil:
			fmt.Fprintf(stdout, "%s: kept the stored feature maps; computing them again failed: %v\n", m.Result.Model, err)
		case errors.Is(statErr, fs.ErrNotExist):
			m.VisualsNote = fmt.Sprintf("none were stored with the run, and they could not be computed here: %v", err)
			fmt.Fprintf(stdout, "%s: no feature maps: %v\n", m.Result.Model, err)
		default:
			m.VisualsNote += fmt.Sprintf("; computing them again failed: %v", err)
			fmt.Fprintf(stdout, "%s: no feature maps: %s\n", m.Result.Model, m.VisualsNote)
		}
	}
	html := o.out
	if html == "" {
		html = filepath.Join(r.Dir, report.HTMLFile)
	}
	// The dashboard first: it does not need the charts.
	if err := r.WriteHTMLFile(html); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dashboard: %s\n", html)
	charts, err := report.WriteCharts(r, filepath.Join(r.Dir, report.ChartsDir))
	for _, c := range charts {
		fmt.Fprintf(stdout, "chart: %s\n", c)
	}
	return err
}

// maxNamed is how many numbers that are not finite a warning names per
// model before it counts the rest.
const maxNamed = 5

// warnNonFinite names, per model, the numbers of results.json that were
// not finite.
func warnNonFinite(r *report.Run, stderr io.Writer) {
	for _, m := range r.Models {
		paths := m.Result.NonFinite()
		if len(paths) == 0 {
			continue
		}
		named := strings.Join(paths[:min(len(paths), maxNamed)], ", ")
		if len(paths) > maxNamed {
			named += fmt.Sprintf(" and %d more", len(paths)-maxNamed)
		}
		fmt.Fprintf(stderr, "report: warning: %s: not finite (null in %s, left out of the charts): %s\n",
			m.Result.Model, report.ResultsFile, named)
	}
}

// protect runs fn and turns a panic (a programmer error inside an op) into
// an error with the stack.
func protect(fn func() error) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			err = fmt.Errorf("internal error: %v\n%s", rec, debug.Stack())
		}
	}()
	return fn()
}

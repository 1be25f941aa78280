package main

// The two comparison tables printed at the end of a run, sorted by test
// accuracy (best first):
//
//	Model | Precision | Recall | F1 | Accuracy | Top-k
//	Model | Training time (min) | Training CPU (min) | Inference (ms/img) | FLOPs (G) | Params (M) | Size (MB)
//
// Precision, recall and F1 are macro averages (the weighted ones are in
// results.json); k is 5, or the number of classes when there are fewer
// (the models of one run share the test set, so one k); FLOPs are 2 × MACs
// of one forward pass of one image.

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/train"
)

// printTables writes the tables for the models that have test results.
func printTables(w io.Writer, models []train.ModelResult) {
	var done []train.ModelResult
	for _, m := range models {
		if m.Test != nil {
			done = append(done, m)
		}
	}
	if len(done) == 0 {
		return
	}
	slices.SortStableFunc(done, func(a, b train.ModelResult) int {
		switch {
		case a.Test.Accuracy > b.Test.Accuracy:
			return -1
		case a.Test.Accuracy < b.Test.Accuracy:
			return 1
		}
		return 0
	})
	topK := done[0].Test.TopK
	quality := [][]string{{"Model", "Precision", "Recall", "F1", "Accuracy", fmt.Sprintf("Top-%d", topK)}}
	cost := [][]string{{"Model", "Training time (min)", "Training CPU (min)", "Inference (ms/img)", "FLOPs (G)", "Params (M)", "Size (MB)"}}
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }
	for _, m := range done {
		t, e := m.Test, m.Efficiency
		quality = append(quality, []string{m.Model, pct(t.Macro.Precision), pct(t.Macro.Recall), pct(t.Macro.F1), pct(t.Accuracy), pct(t.TopKAccuracy)})
		cost = append(cost, []string{m.Model, fmt.Sprintf("%.2f", e.TrainSeconds/60), fmt.Sprintf("%.2f", e.TrainCPUSeconds/60), fmt.Sprintf("%.3f", e.InferenceBatch1.MsPerImage),
			fmt.Sprintf("%.4f", float64(e.FLOPs)/1e9), fmt.Sprintf("%.3f", float64(e.Params)/1e6), fmt.Sprintf("%.2f", e.SizeMB)})
	}
	fmt.Fprintln(w)
	writeTable(w, quality)
	fmt.Fprintf(w, "Precision, recall and F1 are macro averages over the classes (weighted averages in results.json); top-%d accuracy.\n\n", topK)
	writeTable(w, cost)
	fmt.Fprintln(w, "FLOPs = 2 × MACs of one forward pass of one image; inference at batch 1, median of 15 runs after warm-up.")
	fmt.Fprintln(w, "Training CPU is the process's CPU time while training: about twice the wall time on two free cores, more than that when the machine is shared.")
}

// writeTable writes rows as a Markdown table with aligned columns; the
// first row is the header.
func writeTable(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	line := func(cells []string) {
		parts := make([]string, len(cells))
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i == 0 {
				parts[i] = c + pad
			} else {
				parts[i] = pad + c
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(parts, " | "))
	}
	line(rows[0])
	seps := make([]string, len(widths))
	for i, n := range widths {
		seps[i] = strings.Repeat("-", n)
		if i > 0 {
			seps[i] = seps[i][:n-1] + ":"
		}
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
	for _, r := range rows[1:] {
		line(r)
	}
}

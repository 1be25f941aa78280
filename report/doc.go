// Package report renders a training run as a dashboard: one self-contained
// HTML file (report.html, inline style, script, data and pictures; it works
// offline) and PNG charts beside it (charts/), from the files of a run
// directory:
//
//	results.json              train.Results: every model's configuration, test
//	                          metrics, history, efficiency figures and summary
//	<model>/visuals.json      feature maps and Grad-CAM heatmaps (Visuals), optional
//	<model>/misclassified/    PNG files of the most confident mistakes, optional
//
// The package never runs a model: pictures that need one are computed where
// a model exists (internal/vis, called by cmd/train at the end of training
// and by cmd/report from saved weights) and stored as Visuals; this package
// defines that format, reads it and draws it. When a file is missing the
// dashboard says which one and why, in the place of the pictures.
//
// The dashboard's sections: an overview (best model per metric, the dataset,
// the run), sortable quality and efficiency tables, the selected model's
// confusion matrix and per-class report, training curves, accuracy against
// cost, feature maps, Grad-CAM, misclassified images, each model's
// architecture as a block diagram with skip connections, and the
// configuration side by side. docs/REPORT.md describes them and the files.
package report

package main

import (
	"strings"
	"testing"

	"github.com/gocnn/gocnn/train"
)

// TestTablesNameTheirK checks that the quality table's last column is
// headed with the k the metrics used (5, or fewer with fewer classes), and
// that models sort best first.
func TestTablesNameTheirK(t *testing.T) {
	models := []train.ModelResult{
		{Model: "worse", Test: &train.Metrics{Accuracy: 0.5, TopK: 3, TopKAccuracy: 1}},
		{Model: "better", Test: &train.Metrics{Accuracy: 0.75, TopK: 3, TopKAccuracy: 1}},
	}
	var b strings.Builder
	printTables(&b, models)
	out := b.String()
	if !strings.Contains(out, " Top-3 |") || strings.Contains(out, "Top-5") {
		t.Errorf("quality table does not name k = 3:\n%s", out)
	}
	if strings.Index(out, "| better") > strings.Index(out, "| worse") {
		t.Errorf("models not sorted by accuracy:\n%s", out)
	}
}

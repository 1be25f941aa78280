package train

// The per-epoch history of a run: one EpochRecord per completed epoch, kept
// in the checkpoint (so a resumed run has the whole history), stored in
// results.json and written as history.csv with one row per epoch.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/gocnn/gocnn/safetensors"
)

// EpochRecord summarises one epoch of training.
type EpochRecord struct {
	Epoch         int     `json:"epoch"` // 1-based
	LR            float64 `json:"lr"`    // the head group's (last group's) learning rate at the epoch's last step
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	// Val is the validation result after the epoch; nil without a validation split.
	Val             *EvalSummary `json:"val,omitempty"`
	Seconds         float64      `json:"seconds"` // wall time of the epoch, evaluation included
	ImagesPerSecond float64      `json:"images_per_second"`
	Trainable       int          `json:"trainable_params"` // parameters trained in this epoch (progressive unfreezing changes it)
}

// EvalSummary is the loss and accuracy of one evaluation.
type EvalSummary struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
}

// historyHeader names history.csv's columns.
var historyHeader = []string{"epoch", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
	"seconds", "images_per_second", "trainable_params"}

// HistoryCSV renders the history as CSV with a header row; the validation
// columns are empty when there was no validation split.
func HistoryCSV(history []EpochRecord) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(historyHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, r := range history {
		valLoss, valAcc := "", ""
		if r.Val != nil {
			valLoss, valAcc = f(r.Val.Loss), f(r.Val.Accuracy)
		}
		w.Write([]string{strconv.Itoa(r.Epoch), f(r.LR), f(r.TrainLoss), f(r.TrainAccuracy), valLoss, valAcc,
			f(r.Seconds), f(r.ImagesPerSecond), strconv.Itoa(r.Trainable)})
	}
	w.Flush()
	return b.Bytes()
}

// WriteHistoryCSV writes HistoryCSV(history) to path atomically.
func WriteHistoryCSV(path string, history []EpochRecord) error {
	if err := safetensors.WriteAtomic(path, HistoryCSV(history)); err != nil {
		return fmt.Errorf("writing history %s: %w", path, err)
	}
	return nil
}

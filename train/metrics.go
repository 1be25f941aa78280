package train

// Classification metrics, computed the way scikit-learn computes them.
//
// An Evaluator accumulates, batch by batch, a confusion matrix
// (Confusion[t][p] counts the samples of true class t predicted as p, the
// prediction being the first largest logit, as torch.argmax picks it), the
// number of top-k hits and the summed loss. Metrics then derives:
//
//   - accuracy: the trace of the confusion matrix over the number of samples;
//   - top-k accuracy with k = min(5, classes): a sample is a hit when its
//     label ranks among the k largest logits, ties broken towards the lower
//     class index and NaN ranked above every number (the order argmax
//     uses, so top-1 equals accuracy);
//   - per class c: precision = C[c][c] / Σ_t C[t][c] (of everything predicted
//     c, how much was c), recall = C[c][c] / Σ_p C[c][p] (of everything that
//     was c, how much was found), F1 = 2PR/(P+R), support = Σ_p C[c][p];
//   - macro averages: the unweighted mean of the per-class values;
//     weighted averages: their mean weighted by support.
//
// Zero divisions follow scikit-learn's zero_division=0: a class that is
// never predicted has precision 0, a class with no samples has recall 0, and
// F1 is 0 when precision and recall are both 0. As in scikit-learn's
// classification_report without an explicit label list, the averages run
// over the classes that occur in the labels or in the predictions; a class
// absent from both is reported with zeros and left out of the averages.

import (
	"fmt"
	"math"
)

// Evaluator accumulates predictions batch by batch.
type Evaluator struct {
	classes   int
	k         int
	confusion [][]int
	topKHits  int
	lossSum   float64
	samples   int
}

// NewEvaluator returns an empty evaluator for the given number of classes,
// counting top-k hits with k = min(5, classes).
func NewEvaluator(classes int) *Evaluator {
	if classes < 1 {
		panic(fmt.Sprintf("train.NewEvaluator: %d classes", classes))
	}
	c := make([][]int, classes)
	for i := range c {
		c[i] = make([]int, classes)
	}
	return &Evaluator{classes: classes, k: min(5, classes), confusion: c}
}

// Add records one batch: logits holds len(labels) rows of classes values,
// and lossSum is the batch's summed (not averaged) loss.
func (e *Evaluator) Add(logits []float32, labels []int, lossSum float64) {
	if len(logits) != len(labels)*e.classes {
		panic(fmt.Sprintf("train.Evaluator.Add: %d logits for %d labels of %d classes", len(logits), len(labels), e.classes))
	}
	for i, label := range labels {
		if label < 0 || label >= e.classes {
			panic(fmt.Sprintf("train.Evaluator.Add: label %d outside [0, %d)", label, e.classes))
		}
		row := logits[i*e.classes : (i+1)*e.classes]
		e.confusion[label][Argmax(row)]++
		if rank(row, label) < e.k {
			e.topKHits++
		}
	}
	e.lossSum += lossSum
	e.samples += len(labels)
}

// Argmax returns the index of the first largest value (NaN counts as
// largest, as in torch.argmax).
func Argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if math.IsNaN(float64(row[best])) {
			break
		}
		if v > row[best] || math.IsNaN(float64(v)) {
			best = j
		}
	}
	return best
}

// rank returns how many classes come before label when the row is sorted by
// decreasing logit, NaN first (as Argmax and torch.topk order it), ties
// going to the lower index. Without the NaN rule, a model whose logits are
// all NaN would rank every label first and score 100% top-k accuracy.
func rank(row []float32, label int) int {
	v, r := row[label], 0
	vNaN := math.IsNaN(float64(v))
	for j, u := range row {
		uNaN := math.IsNaN(float64(u))
		tied := u == v || (uNaN && vNaN)
		if (uNaN && !vNaN) || (!vNaN && u > v) || (tied && j < label) {
			r++
		}
	}
	return r
}

// Samples returns the number of samples added so far.
func (e *Evaluator) Samples() int { return e.samples }

// Metrics are the results of one evaluation.
type Metrics struct {
	Samples      int     `json:"samples"`
	Loss         float64 `json:"loss"` // mean loss per sample
	Accuracy     float64 `json:"accuracy"`
	TopK         int     `json:"top_k"` // k of TopKAccuracy: min(5, classes)
	TopKAccuracy float64 `json:"top_k_accuracy"`
	// Macro averages each class equally, Weighted by its support.
	Macro    Averages `json:"macro"`
	Weighted Averages `json:"weighted"`
	// PerClass has one entry per class, in label order.
	PerClass []ClassReport `json:"per_class"`
	// Confusion[t][p] counts samples of true class t predicted as p.
	Confusion [][]int `json:"confusion"`
}

// Averages are precision, recall and F1 averaged over classes.
type Averages struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// ClassReport is one class's line of a classification report.
type ClassReport struct {
	Class     string  `json:"class"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Metrics computes the metrics of everything added so far; names labels the
// classes in the report (indices are used when names is shorter).
func (e *Evaluator) Metrics(names []string) Metrics {
	m := Metrics{Samples: e.samples, TopK: e.k, Confusion: make([][]int, e.classes)}
	if e.samples == 0 {
		for t := range m.Confusion {
			m.Confusion[t] = make([]int, e.classes)
		}
		m.PerClass = classReports(nil, names, e.classes)
		return m
	}
	n := float64(e.samples)
	m.Loss = e.lossSum / n
	m.TopKAccuracy = float64(e.topKHits) / n
	predicted := make([]int, e.classes)
	correct := 0
	for t, row := range e.confusion {
		m.Confusion[t] = append([]int(nil), row...)
		correct += row[t]
		for p, count := range row {
			predicted[p] += count
		}
	}
	m.Accuracy = float64(correct) / n
	m.PerClass = classReports(e.confusion, names, e.classes)
	present := 0
	for c, r := range m.PerClass {
		if r.Support == 0 && predicted[c] == 0 {
			continue
		}
		present++
		m.Macro.Precision += r.Precision
		m.Macro.Recall += r.Recall
		m.Macro.F1 += r.F1
		w := float64(r.Support) / n
		m.Weighted.Precision += w * r.Precision
		m.Weighted.Recall += w * r.Recall
		m.Weighted.F1 += w * r.F1
	}
	m.Macro.Precision /= float64(present)
	m.Macro.Recall /= float64(present)
	m.Macro.F1 /= float64(present)
	return m
}

// classReports computes each class's precision, recall, F1 and support from
// a confusion matrix (nil: no samples).
func classReports(confusion [][]int, names []string, classes int) []ClassReport {
	out := make([]ClassReport, classes)
	for c := range out {
		out[c].Class = fmt.Sprint(c)
		if c < len(names) {
			out[c].Class = names[c]
		}
		if confusion == nil {
			continue
		}
		tp, predicted, support := confusion[c][c], 0, 0
		for t := range confusion {
			predicted += confusion[t][c]
			support += confusion[c][t]
		}
		r := &out[c]
		r.Support = support
		r.Precision = ratio(tp, predicted)
		r.Recall = ratio(tp, support)
		if r.Precision+r.Recall > 0 {
			r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
		}
	}
	return out
}

// ratio is a/b, or 0 when b is 0 (scikit-learn's zero_division=0).
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

package train_test

import (
	"fmt"

	"github.com/gocnn/gocnn/train"
)

// An Evaluator turns logits into the metrics of a classification report.
// Class 2 is never predicted here: its precision counts as 0 (scikit-learn's
// convention), which pulls the macro average down, while the weighted average
// weighs each class by its support.
func ExampleEvaluator() {
	e := train.NewEvaluator(3)
	logits := []float32{
		2, 0, 0, // true 0, predicted 0
		0, 3, 1, // true 1, predicted 1
		0, 2, 1, // true 2, predicted 1
		1, 0, 0, // true 0, predicted 0
	}
	e.Add(logits, []int{0, 1, 2, 0}, 0)
	m := e.Metrics([]string{"cat", "dog", "bird"})
	fmt.Printf("accuracy %.2f, top-%d %.2f\n", m.Accuracy, m.TopK, m.TopKAccuracy)
	fmt.Printf("macro precision %.3f, recall %.3f, F1 %.3f\n", m.Macro.Precision, m.Macro.Recall, m.Macro.F1)
	for _, c := range m.PerClass {
		fmt.Printf("%-4s precision %.2f recall %.2f support %d\n", c.Class, c.Precision, c.Recall, c.Support)
	}
	fmt.Println("confusion", m.Confusion)
	// Output:
	// accuracy 0.75, top-3 1.00
	// macro precision 0.500, recall 0.667, F1 0.556
	// cat  precision 1.00 recall 1.00 support 2
	// dog  precision 0.50 recall 1.00 support 1
	// bird precision 0.00 recall 0.00 support 1
	// confusion [[2 0 0] [0 1 0] [0 1 0]]
}

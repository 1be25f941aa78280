// Package train trains, evaluates and measures one zoo model at a time, the
// way a PyTorch training script does, and writes what a comparison needs.
//
// A Trainer holds a model, a Config (optimiser, schedule, epochs, batch,
// strategy, regularisation) and the Data (training, validation and test
// sources with their transforms). Trainer.Run runs the loop described in
// trainer.go and returns a ModelResult; Trainer.Evaluate tests weights as
// they are. Around the loop:
//
//   - strategy.go freezes and unfreezes the model's stages epoch by epoch
//     (linear probe, partial and full fine-tuning, progressive unfreezing);
//     features.go caches a frozen backbone's outputs when nothing else
//     would change them; ema.go keeps an average of the weights, and
//     bnstats.go re-estimates batch-norm statistics before the model is
//     evaluated (Config.BNRecalibrate).
//   - metrics.go computes what is reported: accuracy, top-k, per-class and
//     macro/weighted precision, recall and F1 (scikit-learn's definitions),
//     the confusion matrix; misclassified.go saves the most confident
//     mistakes; timing.go times inference (medians after warm-up runs).
//   - checkpoint.go writes the whole state in one file, atomically (the
//     weights, the optimiser's state, the EMA, the position in the run and
//     the configuration), so a run that is interrupted or killed resumes
//     and gives the same bits as one that was not; history.go and
//     results.go write history.csv and results.json (their fields are in
//     docs/RESULTS.md).
//
// Apart from asking git for the commit when the binary carries no VCS stamp
// (results.go), the package runs no programs, and it prints only progress
// (progress.go); cmd/train chooses recipes, builds the data and models, and
// compares the results.
package train

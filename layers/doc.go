// Package layers builds networks out of modules, the way torch.nn does.
//
// A Module maps an input tensor to an output tensor and owns three kinds of
// things, each registered under a name in its constructor:
//
//   - parameters, the tensors training changes (a convolution's weight and
//     bias), which require gradients unless frozen;
//   - buffers, state that is saved but not trained (BatchNorm's running_mean,
//     running_var and num_batches_tracked);
//   - child modules.
//
// Names compose with dots through the tree of modules exactly as in PyTorch,
// and a Sequential names its children "0", "1", …, so a gocnn model and its
// torchvision twin have the same keys in the same order: "features.0.weight",
// "layer1.0.bn1.running_mean", "classifier.3.bias". Everything that needs
// names (state dicts, freezing, optimiser parameter groups) reads them from
// the tree; nothing is keyed by Go field names.
//
// Modes: a module is in training mode by default and SetTraining switches a
// whole tree, like module.train() / module.eval(). Only a few modules care:
// BatchNorm2d (batch statistics and running-stat updates in training, running
// statistics in evaluation), Dropout and StochasticDepth (active only in
// training). Evaluation-mode Forward changes no state, so inference on a
// NoGrad input may run from several goroutines at once.
//
// Randomness is explicit: constructors take a *rand.Rand (math/rand/v2) and
// draw their initial weights from it with PyTorch's default distributions
// (kaiming-uniform with a = √5 for Conv2d and Linear), so the same seed builds
// the same model. A nil generator leaves the weights zero for a caller that
// draws its own initialisation (as the model zoo draws torchvision's), and
// ResetParameters draws PyTorch's default later. Dropout and StochasticDepth carry their own generator,
// seeded from that rand.Rand; Reseed resets all of them from one number so a
// resumed run draws the same masks as an uninterrupted one.
//
// State dicts are safetensors files: StateDict lists a model's parameters and
// buffers in PyTorch's state_dict order (float32, with num_batches_tracked as
// int64 as PyTorch stores it), SaveStateDict writes them atomically, and
// LoadStateDict copies a file's tensors into a model, reporting missing,
// unexpected and mis-shaped keys by name, strictly or not, optionally renaming
// or skipping the file's keys on the way in.
package layers

// Command train trains, evaluates and compares image classifiers from the
// zoo (VGG16, ResNet50, MobileNetV3, EfficientNet-B0, …) on a dataset, and
// writes everything it measures to a run directory.
//
// With no flags it compares the four reference architectures, CPU-sized
// (width multipliers, 32×32 input), on the embedded MNIST sample, and
// prints two tables: classification quality (macro precision, recall, F1,
// accuracy, top-5) and cost (training time, inference time, FLOPs,
// parameters, size). Run `train -h` for every flag.
//
// Output (-out, default runs/<timestamp>; a directory that already holds a
// run is refused, since starting afresh there would overwrite it: continue
// an interrupted run with -resume DIR instead):
//
//	results.json             every metric, the history, timings, summaries and run metadata (docs/RESULTS.md)
//	<model>/history.csv      one line per epoch
//	<model>/checkpoint.safetensors   the last checkpoint (resume with -resume DIR)
//	<model>/best.safetensors the best weights, with the architecture, options, class names and preset
//	<model>/misclassified/   the most confident mistakes on the test split, as PNG
//	<model>/probes.safetensors, <model>/visuals.json   feature maps and Grad-CAM for the dashboard
//	report.html, charts/     the dashboard and its PNG charts (docs/REPORT.md)
//	.lock                    held while the run writes, so a second process cannot use the directory
//
// A model that fails (its loss diverged, say) is recorded as failed in
// results.json and the others still train.
//
// Exit codes: 0 success; 2 bad flags or inputs (one message on standard
// error); 130 interrupted by Ctrl-C (after saving a checkpoint: resume with
// -resume DIR); 1 any other failure, a failed model included.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/gocnn/gocnn/train"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, the shell's convention
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the program at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a mistake in the flags or inputs: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef makes a usageError.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run is the program: it parses args, trains, and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err == nil && opts.cpuProfile != "" {
		var stopProfile func() error
		if stopProfile, err = startCPUProfile(opts.cpuProfile); err == nil {
			defer func() {
				if err := stopProfile(); err != nil {
					fmt.Fprintf(stderr, "train: %v\n", err)
				}
			}()
		}
	}
	if err == nil {
		err = protect(func() error { return execute(ctx, opts, stdout, stderr) })
	}
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "train: %v\n", err)
		return exitUsage
	case errors.Is(err, train.ErrInterrupted):
		fmt.Fprintf(stderr, "train: interrupted; the checkpoint is saved, continue with: train -resume %s\n", opts.out)
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "train: %v\n", err)
		return exitFailure
	}
}

// protect runs fn and turns a panic (a programmer error inside an op, say)
// into an error with the stack, so the program ends with a message and
// exit code 1 rather than a crash dump.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

// startCPUProfile starts writing a CPU profile of the process to path; the
// returned function stops it and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, usagef("-cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile %s: %v", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("-cpuprofile %s: %v", path, err)
		}
		return nil
	}, nil
}

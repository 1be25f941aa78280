// Command summary describes zoo models without running them: a table of
// layers (name, type, output shape, parameters, MACs, activation memory)
// followed by the totals (parameters, trainable parameters, MACs, FLOPs,
// weight and activation memory), or the same as JSON.
//
//	summary -model resnet50 -input 224
//	summary -model mobilenet_v3_large,efficientnet_b0 -width 0.5 -classes 37
//	summary -model all -json > summaries.json
//
// Exit codes: 0 success; 2 bad flags (one message on standard error);
// 1 any other failure.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/gocnn/gocnn/zoo"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// usageError is a mistake in the flags: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("model", "", "model names, comma-separated, or all ("+strings.Join(zoo.Names(), ", ")+")")
	input := fs.Int("input", 224, "side of the square input image")
	classes := fs.Int("classes", 1000, "number of classes")
	width := fs.Float64("width", 1, "width multiplier")
	head := fs.String("head", "own", "classifier head: own, linear, mlp[:HIDDEN] or custom:H1,H2,…")
	asJSON := fs.Bool("json", false, "print JSON (one object per model, in an array when there are several)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: summary -model NAME[,NAME…] [-input 224] [-classes 1000] [-width 1] [-head own] [-json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	err := protect(func() error { return summarize(fs, *models, *input, *classes, *width, *head, *asJSON, stdout) })
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "summary: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "summary: %v\n", err)
	return exitFailure
}

func summarize(fs *flag.FlagSet, models string, input, classes int, width float64, head string, asJSON bool, stdout io.Writer) error {
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if models == "" {
		return usageError{fmt.Errorf("-model is required (one or more of %s, or all)", strings.Join(zoo.Names(), ", "))}
	}
	// zoo.Options reads 0 as its default (224, 1000, 1); given here, 0 is a
	// mistake, not a request for the default.
	switch {
	case input == 0:
		return usageError{errors.New("-input 0: the input image needs a side of at least 1 pixel")}
	case classes == 0:
		return usageError{errors.New("-classes 0: the model needs at least 1 class")}
	case width == 0:
		return usageError{errors.New("-width 0: the width multiplier must be positive")}
	}
	names, err := zoo.ParseNames(models)
	if err != nil {
		return usageError{err}
	}
	spec, err := zoo.ParseHead(head)
	if err != nil {
		return usageError{err}
	}
	var summaries []*zoo.Summary
	for _, name := range names {
		m, err := zoo.New(name, zoo.Options{Classes: classes, WidthMult: width, InputSize: input, Head: spec})
		if err != nil {
			return usageError{err}
		}
		s, err := zoo.Summarize(m, input)
		if err != nil {
			return usageError{err}
		}
		summaries = append(summaries, s)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		if len(summaries) == 1 {
			return enc.Encode(summaries[0])
		}
		return enc.Encode(summaries)
	}
	for i, s := range summaries {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := s.WriteTable(stdout); err != nil {
			return err
		}
	}
	return nil
}

// protect turns a panic into an error with the stack, so the program ends
// with a message and exit code 1 rather than a crash dump.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

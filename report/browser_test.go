package report

// The dashboard in a real browser: headless Chromium, driven over the
// DevTools protocol by chromedp, opens the dashboard of the fixture run and
//
//  1. clicks the Accuracy header of the quality table and checks that the
//     rows are sorted by test accuracy, best first, then reversed by a
//     second click;
//  2. clicks a model's row and checks that the confusion matrix and the
//     per-class report now show that model (title, number of cells, the
//     count in a cell after switching to counts, the highlighted row);
//  3. chooses another layer in the feature-map view and checks that the
//     grid shown and its caption are that layer's;
//  4. checks that the console received no error and no uncaught exception
//     (after checking that an error logged on purpose is seen);
//  5. opens the dashboard of a run with results.json alone and checks that
//     the feature-map section says why there are no pictures;
//  6. opens the dashboard of a model of 1000 classes and checks that its
//     confusion matrix is one picture, whose tooltip names the cell under
//     the pointer.
//
// It saves screenshots of the page (overview, confusion matrix, feature
// maps) into a temporary folder, or into $GOCNN_SCREENSHOTS when set (the
// screenshots in docs/screenshots come from there). With $GOCNN_REPORT_RUN
// set to a run directory, the first dashboard is that run's instead of the
// fixture's (its report.html is rewritten).
//
// The test needs Chromium: it looks for $GOCNN_CHROMIUM, then chromium,
// chromium-browser and google-chrome on the PATH, and skips with a message
// when none is found.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gocnn/gocnn/train"
)

// findChromium returns the browser to run, or "".
func findChromium() string {
	if p := os.Getenv("GOCNN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// consoleLog collects the console messages of a tab.
type consoleLog struct {
	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

func (c *consoleLog) collect(ctx context.Context) {
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.messages = append(c.messages, m)
			c.mu.Unlock()
		}
	}()
}

// errors returns the errors and uncaught exceptions seen, but for those
// whose text contains skip.
func (c *consoleLog) errors(skip string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.messages {
		if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.Contains(m.Text, skip) {
			out = append(out, m.String())
		}
	}
	return out
}

func (c *consoleLog) has(text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.messages, func(m chromedp.ConsoleMessage) bool { return strings.Contains(m.Text, text) })
}

func TestDashboardInBrowser(t *testing.T) {
	browser := findChromium()
	if browser == "" {
		t.Skip("no Chromium found: install it (Debian: apt-get install -y chromium; .ci/run does) " +
			"or set GOCNN_CHROMIUM to a Chrome or Chromium binary to run the dashboard's browser test")
	}
	shots := os.Getenv("GOCNN_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("GOCNN_REPORT_RUN")
	if dir == "" {
		dir = t.TempDir()
		writeFixtureRun(t, dir, true)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write(); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTime()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	var log consoleLog
	log.collect(ctx)

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluating %s: %v", js, err)
		}
		return v
	}
	shot := func(name string, sel string) {
		t.Helper()
		var b []byte
		var err error
		if sel == "" {
			b, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		} else {
			b, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	do("opening the dashboard", chromedp.Navigate("file://"+filepath.Join(dir, HTMLFile)),
		chromedp.WaitVisible(chromedp.CSS("#quality-table tbody tr")))
	do("logging an error on purpose", chromedp.Evaluate[chromedp.Void](`console.error("gocnn-console-probe")`))
	for i := 0; !log.has("gocnn-console-probe"); i++ {
		if i == 100 {
			t.Fatal("an error logged on purpose did not reach the test: it could not see the page's errors")
		}
		time.Sleep(20 * time.Millisecond)
	}
	shot("dashboard-overview.png", "")

	// 1. Sorting by accuracy.
	rowModels := func() []string {
		return strings.Fields(eval(`[...document.querySelectorAll('#quality-table tbody tr')].map(r => r.dataset.model).join(' ')`))
	}
	var byAccuracy []string
	for _, m := range r.Models {
		if m.Result.Test != nil {
			byAccuracy = append(byAccuracy, m.Result.Model)
		}
	}
	accuracy := func(name string) float64 {
		for _, m := range r.Models {
			if m.Result.Model == name && m.Result.Test != nil {
				return m.Result.Test.Accuracy
			}
		}
		return -1
	}
	slices.SortStableFunc(byAccuracy, func(a, b string) int {
		switch {
		case accuracy(a) > accuracy(b):
			return -1
		case accuracy(a) < accuracy(b):
			return 1
		}
		return 0
	})
	if len(byAccuracy) < 2 {
		t.Fatalf("the run has %d tested models; sorting needs two", len(byAccuracy))
	}
	do("clicking the Accuracy header", chromedp.Click(chromedp.CSS(`#quality-table th[data-key="accuracy"]`)))
	if got := rowModels(); !slices.Equal(got[:len(byAccuracy)], byAccuracy) {
		t.Errorf("after sorting by accuracy the rows are %v, want %v", got, byAccuracy)
	}
	if got := eval(`document.querySelector('#quality-table th.sorted').textContent`); !strings.Contains(got, "Accuracy") || !strings.Contains(got, "▼") {
		t.Errorf("sorted header reads %q, want Accuracy with ▼", got)
	}
	do("clicking the Accuracy header again", chromedp.Click(chromedp.CSS(`#quality-table th[data-key="accuracy"]`)))
	got := rowModels()
	reversed := slices.Clone(byAccuracy)
	slices.Reverse(reversed)
	if !slices.Equal(got[len(got)-len(reversed):], reversed) {
		t.Errorf("after the second click the rows are %v, want %v at the end", got, reversed)
	}

	// 2. Selecting a model shows its confusion matrix.
	selected := eval(`document.querySelector('#detail-model').textContent`)
	pick := byAccuracy[0]
	if pick == selected {
		pick = byAccuracy[1]
	}
	var chosen *Model
	for i := range r.Models {
		if r.Models[i].Result.Model == pick {
			chosen = &r.Models[i]
		}
	}
	do("clicking a model's row", chromedp.Click(chromedp.CSS(`#quality-table tr[data-model="`+pick+`"]`)))
	if got := eval(`document.querySelector('#detail-model').textContent`); got != pick {
		t.Errorf("after clicking %s's row the confusion matrix is %s's", pick, got)
	}
	n := len(chosen.Result.Test.Confusion)
	if got := eval(`String(document.querySelectorAll('#cm rect.cell').length)`); got != fmt.Sprint(n*n) {
		t.Errorf("the confusion matrix has %s cells, want %d", got, n*n)
	}
	if got := eval(`String(document.querySelectorAll('#per-class-table tbody:first-of-type tr').length)`); got != fmt.Sprint(n) {
		t.Errorf("the per-class report has %s rows, want %d", got, n)
	}
	if got := eval(`[...document.querySelectorAll('tr.selected')].map(r => r.dataset.model).join(' ')`); got != pick+" "+pick {
		t.Errorf("highlighted rows %q, want %s in both tables", got, pick)
	}
	do("showing counts", chromedp.Click(chromedp.CSS(`#cm-mode button[data-value="raw"]`)))
	if got, want := eval(`document.querySelector('#cm text[data-cell="0,0"]').textContent`),
		fmt.Sprint(chosen.Result.Test.Confusion[0][0]); got != want {
		t.Errorf("cell (0, 0) shows %q in counts mode, want %s", got, want)
	}
	do("scrolling to the confusion matrix", chromedp.ScrollIntoView(chromedp.CSS("#detail")))
	shot("dashboard-confusion.png", "#detail")

	// 3. Choosing a layer in the feature-map view.
	if chosen.Visuals != nil && len(chosen.Visuals.Layers) > 1 {
		do("choosing the model's feature maps", chromedp.Evaluate[chromedp.Void](
			`(() => { const s = document.querySelector('#fm-model'); s.value = '`+pick+`'; s.dispatchEvent(new Event('change')); })()`))
		before := eval(`document.querySelector('#fm-grid').getAttribute('src')`)
		if got := eval(`document.querySelector('#fm-grid').dataset.layer`); got != chosen.Visuals.Layers[0].Name {
			t.Errorf("the feature maps shown first are %s's, want %s's", got, chosen.Visuals.Layers[0].Name)
		}
		do("choosing the second layer", chromedp.Evaluate[chromedp.Void](
			`(() => { const s = document.querySelector('#fm-layer'); s.value = '1'; s.dispatchEvent(new Event('change')); })()`))
		want := chosen.Visuals.Layers[1]
		if got := eval(`document.querySelector('#fm-grid').dataset.layer`); got != want.Name {
			t.Errorf("after choosing the second layer the grid is %s's, want %s's", got, want.Name)
		}
		if eval(`document.querySelector('#fm-grid').getAttribute('src')`) == before {
			t.Error("the grid picture did not change with the layer")
		}
		if got := eval(`document.querySelector('#fm-caption').textContent`); !strings.HasPrefix(got, want.Name+" ("+want.Stage) {
			t.Errorf("caption %q does not name %s", got, want.Name)
		}
		do("scrolling to the feature maps", chromedp.ScrollIntoView(chromedp.CSS("#featuremaps")))
		shot("dashboard-featuremaps.png", "#featuremaps")
	} else if os.Getenv("GOCNN_REPORT_RUN") == "" {
		t.Fatalf("the fixture's %s has no feature maps of two layers", pick)
	}

	// 5. A run with results.json alone says why the pictures are missing.
	bare := t.TempDir()
	writeFixtureRun(t, bare, false)
	if _, err := Generate(bare); err != nil {
		t.Fatal(err)
	}
	do("opening a dashboard without pictures", chromedp.Navigate("file://"+filepath.Join(bare, HTMLFile)),
		chromedp.WaitVisible(chromedp.CSS("#fm-body")))
	if got := eval(`document.querySelector('#fm-body').textContent`); !strings.Contains(got, "visuals.json does not exist") {
		t.Errorf("without visuals the feature-map section says %q", got)
	}

	// 6. A thousand classes: the confusion matrix is one picture, and
	// hovering it names the cell under the pointer.
	many := t.TempDir()
	m := confusionResult(1000, nil)
	m.Status = "ok"
	if err := train.WriteResults(filepath.Join(many, ResultsFile), &train.Results{Models: []train.ModelResult{*m}}); err != nil {
		t.Fatal(err)
	}
	big, err := Load(many)
	if err != nil {
		t.Fatal(err)
	}
	if err := big.WriteHTMLFile(filepath.Join(many, HTMLFile)); err != nil {
		t.Fatal(err)
	}
	do("opening a dashboard of 1000 classes", chromedp.Navigate("file://"+filepath.Join(many, HTMLFile)),
		chromedp.WaitVisible(chromedp.CSS("#per-class-table")))
	if got := eval(`String(document.querySelectorAll('#cm *').length) + ' ' + document.querySelector('#cm-picture')?.dataset.classes`); got != "3 1000" {
		t.Errorf("a confusion matrix of 1000 classes: %q elements and a picture of classes, want 3 and 1000", got)
	}
	// Cells of four pixels, so that the pointer's whole pixels fall in the
	// cell aimed at.
	do("hovering cell (500, 501)", chromedp.Evaluate[chromedp.Void](`(() => {
		const c = document.querySelector('#cm-picture');
		c.style.width = '4000px';
		const r = c.getBoundingClientRect();
		c.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + c.clientLeft + c.clientWidth * 501.5 / 1000,
			clientY: r.top + c.clientTop + c.clientHeight * 500.5 / 1000 }));
	})()`))
	if got := eval(`document.querySelector('#tooltip').textContent`); !strings.HasPrefix(got, "true 500 → predicted 5011 image") {
		t.Errorf("hovering cell (500, 501) shows %q", got)
	}

	// 4. No script errors on any page.
	if errs := log.errors("gocnn-console-probe"); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("screenshots in %s", shots)
}

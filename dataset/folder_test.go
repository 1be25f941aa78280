package dataset

// ImageFolder must list the same files in the same order as torchvision's
// ImageFolder: the order decides item indices and so the seeded splits.
// The expected lists below were printed by torchvision 0.14's
// make_dataset (with gocnn's extensions) on the same trees.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// listFolder opens root as an ImageFolder and returns its classes and its
// items as "label path" lines, paths relative to root with '/'.
func listFolder(t *testing.T, root string) (classes, items []string) {
	t.Helper()
	src, err := OpenImageFolder(root, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range src.Len() {
		rel, err := filepath.Rel(root, src.Name(i))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, src.Classes()[src.Label(i)]+" "+filepath.ToSlash(rel))
	}
	return src.Classes(), items
}

// symlink makes link point at target, or skips the test where the system
// or the user may not make symbolic links.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symbolic links unsupported here: %v", err)
	}
}

// A class folder's own files come first, then its sub-folders in the order
// of their paths as strings ('-' and '.' sort before '/', so b-x/ and b.d/
// come between b/ and b/sub/), names compared as Python compares them.
func TestImageFolderOrder(t *testing.T) {
	root := t.TempDir()
	want := []string{
		"Z Z/1.jpg",
		"c c/B.jpg", "c c/a.jpg", "c c/c.jpg", "c c/ä.jpg", "c c/中.jpg",
		"c c/Z/u.jpg", "c c/b/A.png", "c c/b/x.jpg", "c c/b-x/y.jpg", "c c/b.d/w.png",
		"c c/b/sub/z.jpg", "c c/b0/v.jpg", "c c/dir.jpg/in.jpg", "c c/é/q.JPEG",
		"cat cat/2.jpg",
	}
	for _, w := range want {
		_, rel, _ := strings.Cut(w, " ")
		writeFile(t, filepath.Join(root, filepath.FromSlash(rel)), nil)
	}
	writeFile(t, filepath.Join(root, "c", "notes.txt"), nil) // not an image: ignored
	writeFile(t, filepath.Join(root, "loose.jpg"), nil)      // not in a class folder: ignored
	// A name that is not UTF-8: Python reads the byte 0x80 as U+DC80, after
	// 中 (U+4E2D), though its byte sorts before 中's 0xE4.
	if err := os.WriteFile(filepath.Join(root, "c", "\x80.jpg"), nil, 0o644); err == nil {
		i := slices.Index(want, "c c/中.jpg") + 1
		want = slices.Insert(want, i, "c c/\x80.jpg")
	} else {
		t.Logf("no file name that is not UTF-8 here (%v); its place is checked by TestPythonCompare", err)
	}
	classes, items := listFolder(t, root)
	if got := strings.Join(classes, ","); got != "Z,c,cat" {
		t.Errorf("classes %s, want Z,c,cat", got)
	}
	if !slices.Equal(items, want) {
		t.Errorf("items:\n%s\nwant (torchvision's order):\n%s", strings.Join(items, "\n"), strings.Join(want, "\n"))
	}
}

func TestPythonCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"a", "a", 0},
		{"B", "a", -1},
		{"a", "a/b", -1},
		{"b-x", "b/sub", -1},
		{"b/sub", "b0", -1},
		{"ä", "中", -1},
		{"\x80", "中", 1},       // U+DC80 after U+4E2D, though 0x80 < 0xE4
		{"\x80", "\uE000", -1}, // U+DC80 before U+E000
		{"\uFFFD", "\xff", 1},  // a real U+FFFD is not an escaped byte
		{"\xed\xa0\x80", "\uE000", -1},
	} {
		if got := pythonCompare(c.a, c.b); got != c.want {
			t.Errorf("pythonCompare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := pythonCompare(c.b, c.a); got != -c.want {
			t.Errorf("pythonCompare(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

// Symbolic links are followed as torchvision follows them: a link to a
// folder is a class (in root) or a folder to walk (in a class), a link to a
// file is a file, and a link that leads nowhere is a file too (listed, and
// then unreadable, as in torchvision).
func TestImageFolderSymlinks(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "r")
	for _, f := range []string{"outside/fish/1.jpg", "outside/fish/deep/2.jpg", "outside/extra/3.jpg", "outside/pic.png", "r/cat/a.jpg", "r/dog/b.jpg"} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(f)), nil)
	}
	symlink(t, filepath.Join("..", "outside", "fish"), filepath.Join(root, "fish"))
	symlink(t, filepath.Join("..", "..", "outside", "extra"), filepath.Join(root, "cat", "more"))
	symlink(t, filepath.Join("..", "..", "outside", "pic.png"), filepath.Join(root, "cat", "linked.png"))
	symlink(t, "nowhere.jpg", filepath.Join(root, "cat", "broken.jpg"))
	symlink(t, "cat", filepath.Join(root, "kitten"))    // the same folder twice: two classes, as in torchvision
	symlink(t, "nowhere", filepath.Join(root, "ghost")) // leads nowhere: not a class
	classes, items := listFolder(t, root)
	if got := strings.Join(classes, ","); got != "cat,dog,fish,kitten" {
		t.Errorf("classes %s, want cat,dog,fish,kitten", got)
	}
	want := []string{
		"cat cat/a.jpg", "cat cat/broken.jpg", "cat cat/linked.png", "cat cat/more/3.jpg",
		"dog dog/b.jpg",
		"fish fish/1.jpg", "fish fish/deep/2.jpg",
		"kitten kitten/a.jpg", "kitten kitten/broken.jpg", "kitten kitten/linked.png", "kitten kitten/more/3.jpg",
	}
	if !slices.Equal(items, want) {
		t.Errorf("items:\n%s\nwant (torchvision's):\n%s", strings.Join(items, "\n"), strings.Join(want, "\n"))
	}
}

// A link back to a folder that holds it is an error naming the link and
// the folder, not a walk that never ends: one such link alone would end in
// the system's refusal of a path with too many links (where torchvision
// stops, having listed the files dozens of times), but two in one folder
// double the walk at every level.
func TestImageFolderSymlinkLoop(t *testing.T) {
	for _, c := range []struct {
		name   string
		links  [][2]string // link, target
		folder string      // the folder that the first link's walk meets again
	}{
		{"to its class", [][2]string{{"c/sub/loop", ".."}}, "c"},
		{"to itself", [][2]string{{"c/self", "."}}, "c"},
		// The root is not walked as part of the class; the loop shows one level down.
		{"to the root", [][2]string{{"c/sub/up", "../.."}}, "c"},
		{"two in one folder", [][2]string{{"c/sub/l1", ".."}, {"c/sub/l2", ".."}}, "c"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, filepath.Join(root, "c", "a.jpg"), nil)
			writeFile(t, filepath.Join(root, "c", "sub", "b.jpg"), nil)
			for _, l := range c.links {
				symlink(t, filepath.FromSlash(l[1]), filepath.Join(root, filepath.FromSlash(l[0])))
			}
			link, folder := filepath.Join(root, filepath.FromSlash(c.links[0][0])), filepath.Join(root, c.folder)
			done := make(chan error, 1)
			go func() {
				_, err := OpenImageFolder(root, DecodeOptions{})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.HasPrefix(err.Error(), link) ||
					!strings.HasSuffix(err.Error(), ": a symbolic link loop: this folder is "+folder+", which holds it") {
					t.Errorf("got %v, want a symbolic link loop error naming %s and %s", err, link, folder)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("OpenImageFolder still walking a symbolic link loop after 10 s")
			}
		})
	}
}

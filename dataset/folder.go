package dataset

// ImageFolder and Oxford-IIIT Pets: image files on disk.

import (
	"bufio"
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// imageExtensions are the file name endings ImageFolder picks up:
// torchvision's IMG_EXTENSIONS plus .gif (compared without case). The
// content, not the extension, decides how a file is decoded.
var imageExtensions = []string{".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif"}

// HasImageExtension reports whether ImageFolder would pick up a file of
// this name.
func HasImageExtension(name string) bool {
	return slices.Contains(imageExtensions, strings.ToLower(filepath.Ext(name)))
}

// OpenImageFolder lists root/<class>/**/<file> exactly as torchvision's
// ImageFolder does, so that item i is the same file in both and a seeded
// split of one matches a split of the other:
//
//   - the classes are the folders in root, symbolic links to folders
//     included (os.scandir's is_dir follows links), in sorted order;
//   - a class's files are found in every folder under it, following
//     symbolic links (os.walk(followlinks=True)); torchvision sorts the
//     folders by their path as a string, then each folder's files by name,
//     so a class folder's own files come before those of its sub-folders
//     and c/b-x/y.jpg comes before c/b/sub/z.jpg ('-' < '/');
//   - names are ordered as Python orders strings (pythonCompare);
//   - only files with an image extension are taken (others are ignored,
//     as torchvision does); a symbolic link that leads nowhere counts as a
//     file, as in os.walk, and fails when it is decoded.
//
// A class folder without images is an error, as in torchvision. So is a
// symbolic link that leads back to a folder it lies in: torchvision follows
// such a loop until the system refuses a path with too many links, listing
// the same files dozens of times.
func OpenImageFolder(root string, opt DecodeOptions) (Source, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	src := &files{opt: opt}
	for _, e := range entries {
		if isDir(filepath.Join(root, e.Name()), e) {
			src.classes = append(src.classes, e.Name())
		}
	}
	if len(src.classes) == 0 {
		return nil, fmt.Errorf("%s: no class folders", root)
	}
	slices.SortFunc(src.classes, pythonCompare)
	for label, class := range src.classes {
		paths, err := classFiles(filepath.Join(root, class))
		if err != nil {
			return nil, err
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("%s: class folder %q holds no image files (extensions %v)", root, class, imageExtensions)
		}
		for _, p := range paths {
			src.paths = append(src.paths, p)
			src.labels = append(src.labels, label)
		}
	}
	return src, nil
}

// classFiles returns the image files in dir and every folder under it in
// torchvision's order: the folders sorted by path, each one's files by
// name (for root, _, fnames in sorted(os.walk(dir, followlinks=True)):
// for fname in sorted(fnames)).
func classFiles(dir string) ([]string, error) {
	type folder struct {
		path  string
		files []string
	}
	type ancestor struct {
		path string
		info os.FileInfo
	}
	var (
		folders []folder
		walking []ancestor // the folders being listed, from dir down to the current one
	)
	var visit func(path string) error
	visit = func(path string) error {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		for _, w := range walking {
			if os.SameFile(w.info, info) {
				return fmt.Errorf("%s: a symbolic link loop: this folder is %s, which holds it", path, w.path)
			}
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		f := folder{path: path}
		var subs []string
		for _, e := range entries {
			p := filepath.Join(path, e.Name())
			switch {
			case isDir(p, e):
				subs = append(subs, p)
			case HasImageExtension(e.Name()):
				f.files = append(f.files, p)
			}
		}
		folders = append(folders, f)
		walking = append(walking, ancestor{path, info})
		for _, s := range subs {
			if err := visit(s); err != nil {
				return err
			}
		}
		walking = walking[:len(walking)-1]
		return nil
	}
	if err := visit(dir); err != nil {
		return nil, err
	}
	slices.SortFunc(folders, func(a, b folder) int { return pythonCompare(a.path, b.path) })
	var paths []string
	for _, f := range folders {
		slices.SortFunc(f.files, pythonCompare)
		paths = append(paths, f.files...)
	}
	return paths, nil
}

// isDir reports whether the directory entry e at path is a folder or a
// symbolic link to one, as Python's DirEntry.is_dir() does (a link that
// cannot be followed is not a folder).
func isDir(path string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// pythonCompare orders two file names or paths as Python's sorted() does:
// by code point, with each byte that is not part of valid UTF-8 read as
// the lone surrogate U+DC80–U+DCFF that Python's file-system decoding
// (surrogateescape) makes of it. Go's byte order agrees on valid UTF-8 but
// puts such a byte (say 0x80) before a character such as 中 (0xE4 …),
// which Python puts after it.
func pythonCompare(a, b string) int {
	for a != "" && b != "" {
		ra, na := pythonRune(a)
		rb, nb := pythonRune(b)
		if ra != rb {
			return cmp.Compare(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// pythonRune decodes the first code point of s as Python's surrogateescape
// does, returning it and its length in bytes.
func pythonRune(s string) (rune, int) {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n == 1 {
		return 0xDC00 + rune(s[0]), 1
	}
	return r, n
}

// PetsOptions configures OpenPets.
type PetsOptions struct {
	Split   string // "trainval" (3,680 images) or "test" (3,669); "" means trainval
	Species bool   // classify cat vs dog instead of the 37 breeds
	Strict  bool   // a listed image that is missing is an error instead of a warning
	Warn    WarnFunc
	Decode  DecodeOptions
}

// OpenPets opens the Oxford-IIIT Pet dataset in its official layout:
// root/images/<name>.jpg and root/annotations/{trainval,test}.txt, whose
// lines read "<name> CLASS-ID SPECIES BREED-ID" (CLASS-ID 1–37, SPECIES 1 =
// cat, 2 = dog; lines starting with # are comments). Breed names come from
// the image names as torchvision makes them ("american_bulldog_12" →
// "American Bulldog"), ordered by CLASS-ID. A malformed annotation line is
// an error naming the file and line; a listed image that does not exist is
// skipped with a warning (an error with Strict).
func OpenPets(root string, opt PetsOptions) (Source, error) {
	split := opt.Split
	if split == "" {
		split = "trainval"
	}
	if split != "trainval" && split != "test" {
		return nil, fmt.Errorf("pets: split %q is not trainval or test", split)
	}
	warn := opt.Warn
	if warn == nil {
		warn = StderrWarn
	}
	list := filepath.Join(root, "annotations", split+".txt")
	f, err := os.Open(list)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src := &files{opt: opt.Decode}
	breeds := make([]string, 37)
	missing := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 4 {
			return nil, fmt.Errorf("%s:%d: want 4 fields (Image CLASS-ID SPECIES BREED-ID), got %q", list, line, text)
		}
		var nums [3]int
		for i, s := range fields[1:] {
			if nums[i], err = strconv.Atoi(s); err != nil {
				return nil, fmt.Errorf("%s:%d: %q is not a number", list, line, s)
			}
		}
		class, species := nums[0], nums[1]
		if class < 1 || class > 37 || species < 1 || species > 2 {
			return nil, fmt.Errorf("%s:%d: CLASS-ID %d or SPECIES %d out of range (1–37, 1–2)", list, line, class, species)
		}
		name := fields[0]
		if cut := strings.LastIndexByte(name, '_'); cut > 0 && breeds[class-1] == "" {
			breeds[class-1] = titleWords(name[:cut])
		}
		path := filepath.Join(root, "images", name+".jpg")
		if _, err := os.Stat(path); err != nil {
			if opt.Strict {
				return nil, fmt.Errorf("%s:%d: %w", list, line, err)
			}
			warn(fmt.Sprintf("%s: listed in %s but missing; skipped", path, list))
			missing++
			continue
		}
		label := class - 1
		if opt.Species {
			label = species - 1
		}
		src.paths = append(src.paths, path)
		src.labels = append(src.labels, label)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", list, err)
	}
	if missing > 0 {
		warn(fmt.Sprintf("%s: %d listed images missing", list, missing))
	}
	if len(src.paths) == 0 {
		return nil, fmt.Errorf("%s: lists no images that exist", list)
	}
	if opt.Species {
		src.classes = []string{"Cat", "Dog"}
	} else {
		for i, b := range breeds {
			if b == "" {
				breeds[i] = fmt.Sprintf("class %d", i+1) // a class this split never lists
			}
		}
		src.classes = breeds
	}
	return src, nil
}

// titleWords turns "american_bulldog" into "American Bulldog" (Python's
// str.title on each underscore-separated part).
func titleWords(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		}
	}
	return strings.Join(parts, " ")
}

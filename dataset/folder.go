package dataset

// ImageFolder and Oxford-IIIT Pets: image files on disk.

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// imageExtensions are the file name endings ImageFolder picks up:
// torchvision's IMG_EXTENSIONS plus .gif (compared without case). The
// content, not the extension, decides how a file is decoded.
var imageExtensions = []string{".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif"}

func hasImageExtension(name string) bool {
	return slices.Contains(imageExtensions, strings.ToLower(filepath.Ext(name)))
}

// OpenImageFolder lists root/<class>/**/<file> like torchvision's
// ImageFolder: classes are the sub-folders of root in sorted order, files
// are found recursively in sorted order, and only files with an image
// extension are taken (others are ignored, as torchvision does). A class
// folder without images is an error, as in torchvision.
func OpenImageFolder(root string, opt DecodeOptions) (Source, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	src := &files{opt: opt}
	for _, e := range entries {
		if e.IsDir() {
			src.classes = append(src.classes, e.Name())
		}
	}
	if len(src.classes) == 0 {
		return nil, fmt.Errorf("%s: no class folders", root)
	}
	for label, class := range src.classes {
		before := len(src.paths)
		err := filepath.WalkDir(filepath.Join(root, class), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && hasImageExtension(p) {
				src.paths = append(src.paths, p)
				src.labels = append(src.labels, label)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(src.paths) == before {
			return nil, fmt.Errorf("%s: class folder %q holds no image files (extensions %v)", root, class, imageExtensions)
		}
	}
	return src, nil
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

package zoo

import "testing"

// BenchmarkNew times building a full-size model (1000 classes, 224×224):
// allocating every tensor, drawing torchvision's initialisation and the
// summary New checks the model with. VGG-16 has 138 M parameters, so run
// few iterations:
//
//	go test ./zoo -run '^$' -bench New -benchtime 3x
func BenchmarkNew(b *testing.B) {
	for _, arch := range []string{"vgg16", "resnet50"} {
		b.Run(arch, func(b *testing.B) {
			for b.Loop() {
				if _, err := New(arch, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

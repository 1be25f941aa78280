package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gocnn/gocnn/kernels"
)

func TestZZTinyDW(t *testing.T) {
	defer kernels.SetThreads(kernels.SetThreads(1))
	shapes := []convShape{
		{"dw5x5s1_c336_2", 336, 2, 336, 5, 1, 2, 336},
		{"dw5x5s1_c576_1", 576, 1, 576, 5, 1, 2, 576},
		{"dw5x5s1_c120_4", 120, 4, 120, 5, 1, 2, 120},
		{"dw3x3s1_c240_2", 240, 2, 240, 3, 1, 1, 240},
		{"dw3x3s1_c576_1", 576, 1, 576, 3, 1, 1, 576},
		{"dw5x5s2_c336_2", 336, 2, 336, 5, 2, 2, 336},
		{"dw3x3s1_c16_16", 16, 16, 16, 3, 1, 1, 16},
		{"dw3x3s1_c72_8", 72, 8, 72, 3, 1, 1, 72},
	}
	for _, s := range shapes {
		p := s.params(64)
		c := newConvBuffers(rand.New(rand.NewPCG(1, 2)), p)
		for _, pass := range convPasses {
			line := fmt.Sprintf("%-16s %-10s", s.name, pass.name)
			for _, path := range kernels.Paths() {
				old, _ := kernels.UsePath(path)
				pass.run(p, c)
				t0 := time.Now()
				const reps = 50
				for r := 0; r < reps; r++ {
					pass.run(p, c)
				}
				el := time.Since(t0) / reps
				kernels.UsePath(old)
				line += fmt.Sprintf(" %s %7.1fµs (%5.1f ns/plane)", path, float64(el.Nanoseconds())/1e3, float64(el.Nanoseconds())/float64(p.N*p.C))
			}
			fmt.Println(line)
		}
	}
}

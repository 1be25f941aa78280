package train

// Cached backbone features for a frozen backbone.
//
// When the backbone is frozen (a linear probe, or the first epochs of
// progressive unfreezing) and the training transform draws no random
// numbers, every epoch would feed the backbone the same images and get the
// same features. The cache runs the backbone once over the training set (in
// evaluation mode, as a frozen backbone runs), keeps each image's pooled and
// flattened feature vector — the input of the head's first layer — and then
// trains the head alone on batches of cached vectors. The batches hold the
// same images in the same order as the loader's would (the loader's order
// for the epoch, the same grouping, unreadable images left out the same
// way), so only the head's arithmetic runs per step.
//
// Layout: data holds one row of dim float32 values per training item, in
// source order; present marks the items that could be read.

import (
	"errors"
	"fmt"
	"io"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/zoo"
)

type featureCache struct {
	pool, headModule layers.Module
	dim              int
	data             []float32
	labels           []int
	present          []bool
}

// newFeatureCache computes the features of every item of loader (which must
// not shuffle) with m's backbone and pooling.
func newFeatureCache(m *zoo.Model, loader *dataset.Loader) (*featureCache, error) {
	fc := &featureCache{}
	for _, c := range layers.Children(m) {
		switch c.Name {
		case "avgpool":
			fc.pool = c.Module
		case m.HeadName():
			fc.headModule = c.Module
		}
	}
	if fc.pool == nil || fc.headModule == nil {
		return nil, fmt.Errorf("%s: no avgpool or %s module to cache features for", m.Arch, m.HeadName())
	}
	n := loader.Source().Len()
	fc.labels = make([]int, n)
	fc.present = make([]bool, n)
	layers.SetTraining(m, false)
	defer layers.SetTraining(m, true)
	ep := loader.Epoch(0)
	defer ep.Close()
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("caching features: %w", err)
		}
		feat := m.ForwardBackbone(autograd.NoGrad(b.Images))
		f := autograd.Flatten(fc.pool.Forward(feat))
		if fc.data == nil {
			fc.dim = f.Dim(1)
			fc.data = make([]float32, n*fc.dim)
		}
		for i, idx := range b.Indices {
			copy(fc.data[idx*fc.dim:(idx+1)*fc.dim], f.Data()[i*fc.dim:(i+1)*fc.dim])
			fc.labels[idx] = b.Labels[i]
			fc.present[idx] = true
		}
		autograd.ReleaseIntermediate(f) // the pooled features f views
		autograd.ReleaseIntermediate(feat)
	}
	return fc, nil
}

// batches returns an iterator over the epoch's batches of cached features
// (items in order, batchSize per batch, count batches), starting at batch
// from, in the shape of a loader's batches.
func (fc *featureCache) batches(order []int, batchSize, count, from int) func() (*dataset.Batch, error) {
	next := from
	return func() (*dataset.Batch, error) {
		for next < count {
			items := order[next*batchSize : min((next+1)*batchSize, len(order))]
			next++
			b := &dataset.Batch{}
			var rows []float32
			for _, idx := range items {
				if !fc.present[idx] {
					continue
				}
				rows = append(rows, fc.data[idx*fc.dim:(idx+1)*fc.dim]...)
				b.Labels = append(b.Labels, fc.labels[idx])
				b.Indices = append(b.Indices, idx)
			}
			if len(b.Labels) > 0 {
				b.Images = autograd.New(rows, len(b.Labels), fc.dim)
				return b, nil
			}
		}
		return nil, io.EOF
	}
}

// head applies the model's head to a batch of cached features.
func (fc *featureCache) head(x *autograd.Tensor) *autograd.Tensor { return fc.headModule.Forward(x) }

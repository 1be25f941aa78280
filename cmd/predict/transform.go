package main

import (
	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/zoo"
)

// presetTransform is a preset's torchvision evaluation pipeline: resize,
// centre crop, ToTensor, Normalize.
func presetTransform(p zoo.Preset) dataset.Transform {
	ip := dataset.Bilinear
	if p.Interpolation == "bicubic" {
		ip = dataset.Bicubic
	}
	return dataset.Preset{ResizeSize: p.ResizeSize, CropSize: p.CropSize, Interpolation: ip, Mean: p.Mean, Std: p.Std}.Eval()
}

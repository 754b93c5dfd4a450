package refusal

import (
	"errors"
	"math"
)

// TrainOptions sets how Train fits a model. The zero value means the defaults the
// embedded model was trained with.
type TrainOptions struct {
	// Epochs is the number of passes over the examples (default 40).
	Epochs int
	// Rate is the AdaGrad learning rate (default 0.3).
	Rate float64
	// L2 is the weight of the squared-norm penalty per example seen (default 1e-3).
	L2 float64
	// Seed fixes the order the examples are visited in each epoch (default 1).
	Seed uint64
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Epochs == 0 {
		o.Epochs = 40
	}
	if o.Rate == 0 {
		o.Rate = 0.3
	}
	if o.L2 == 0 {
		o.L2 = 1e-3
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// Train fits a logistic regression to examples xs (from Features) labelled ys, by
// stochastic gradient descent with AdaGrad steps and an L2 penalty, visiting the
// examples in an order drawn from a fixed generator: the same examples and options
// give the same weights on every machine.
func Train(xs [][]Feature, ys []bool, o TrainOptions) (*Model, error) {
	if len(xs) != len(ys) {
		return nil, errors.New("train: as many labels as examples are needed")
	}
	if len(xs) == 0 {
		return nil, errors.New("train: no examples")
	}
	o = o.withDefaults()
	w := make([]float64, modelSlots)
	g2 := make([]float64, modelSlots)
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	state := o.Seed
	next := func() uint64 { // splitmix64
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	for range o.Epochs {
		for i := len(order) - 1; i > 0; i-- {
			j := int(next() % uint64(i+1))
			order[i], order[j] = order[j], order[i]
		}
		for _, i := range order {
			z := 0.0
			for _, f := range xs[i] {
				z += w[f.Slot] * float64(f.Value)
			}
			y := 0.0
			if ys[i] {
				y = 1
			}
			err := sigmoid(z) - y
			for _, f := range xs[i] {
				g := err * float64(f.Value)
				if f.Slot != fBias {
					g += o.L2 * w[f.Slot]
				}
				g2[f.Slot] += g * g
				w[f.Slot] -= o.Rate * g / (math.Sqrt(g2[f.Slot]) + 1e-8)
			}
		}
	}
	m := &Model{w: make([]float32, modelSlots)}
	for i, v := range w {
		m.w[i] = float32(v)
	}
	return m, nil
}

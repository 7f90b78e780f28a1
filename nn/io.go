package nn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// File formats (little-endian, version 1):
//
//	model:   "SEGLOSS-NN-UNET\n", uint32 version, 11 int32 (dims, in, out,
//	         width, depth, norm, act, down, up, groups, deep supervision),
//	         float32 leaky slope, int64 seed, uint64 n + n float32
//	         parameters, uint64 r + r float32 running statistics, uint32
//	         CRC-32 (IEEE) of everything before it.
//	trainer: "SEGLOSS-NN-TRAIN", uint32 version, a model record (with its
//	         own CRC), uint32 name length + optimizer name, uint32 k + k
//	         float64 hyper-parameters, int64 step, uint32 s + s state
//	         vectors (uint64 n + n float32 each), uint32 CRC-32.
const (
	unetMagic    = "SEGLOSS-NN-UNET\n"
	trainerMagic = "SEGLOSS-NN-TRAIN"
	fileVersion  = 1
)

// ErrFormat is wrapped by the errors of ReadUNet and ReadTrainer for input
// that is not a valid file of this package.
var ErrFormat = errors.New("nn: not a valid model file")

// cw counts and checksums what is written.
type cw struct {
	w   *bufio.Writer
	n   int64
	crc hash.Hash32
	err error
}

func (c *cw) put(v any) {
	if c.err != nil {
		return
	}
	c.err = binary.Write(io.MultiWriter(c.w, c.crc), binary.LittleEndian, v)
	if c.err == nil {
		c.n += int64(binary.Size(v))
	}
}

func (c *cw) sum() {
	c.put(c.crc.Sum32())
}

// cr checksums what is read.
type cr struct {
	r   io.Reader
	crc hash.Hash32
	err error
}

func (c *cr) get(v any) {
	if c.err != nil {
		return
	}
	if err := binary.Read(io.TeeReader(c.r, c.crc), binary.LittleEndian, v); err != nil {
		c.err = fmt.Errorf("%w: truncated (%v)", ErrFormat, err)
	}
}

func (c *cr) check(what string) {
	if c.err != nil {
		return
	}
	want := c.crc.Sum32()
	var got uint32
	if err := binary.Read(c.r, binary.LittleEndian, &got); err != nil {
		c.err = fmt.Errorf("%w: truncated %s checksum", ErrFormat, what)
	} else if got != want {
		c.err = fmt.Errorf("%w: %s checksum mismatch (corrupt file)", ErrFormat, what)
	}
	c.crc.Write(binary.LittleEndian.AppendUint32(nil, got))
}

// WriteTo writes the model (configuration, weights and batch-norm running
// statistics) in a versioned binary format and returns the bytes written.
func (m *UNet) WriteTo(w io.Writer) (int64, error) {
	c := &cw{w: bufio.NewWriter(w), crc: crc32.NewIEEE()}
	m.write(c)
	if c.err == nil {
		c.err = c.w.Flush()
	}
	return c.n, c.err
}

func (m *UNet) write(c *cw) {
	start := c.crc
	c.crc = crc32.NewIEEE()
	cfg := m.cfg
	ds := int32(0)
	if cfg.DeepSupervision {
		ds = 1
	}
	c.put([]byte(unetMagic))
	c.put(uint32(fileVersion))
	c.put([]int32{int32(cfg.Dims), int32(cfg.InChannels), int32(cfg.OutChannels), int32(cfg.Width), int32(cfg.Depth),
		int32(cfg.Norm), int32(cfg.Act), int32(cfg.Down), int32(cfg.Up), int32(cfg.Groups), ds})
	c.put(cfg.LeakySlope)
	c.put(cfg.Seed)
	c.put(uint64(len(m.params)))
	c.put(m.params)
	c.put(uint64(len(m.running)))
	c.put(m.running)
	c.sum()
	sum := c.crc.Sum32()
	c.crc = start
	c.crc.Write(binary.LittleEndian.AppendUint32(nil, sum))
}

// ReadUNet reads a model written by UNet.WriteTo.
func ReadUNet(r io.Reader) (*UNet, error) {
	c := &cr{r: bufio.NewReader(r), crc: crc32.NewIEEE()}
	return readUNet(c)
}

func readUNet(c *cr) (*UNet, error) {
	outer := c.crc
	c.crc = crc32.NewIEEE()
	defer func() { c.crc = outer }()
	magic := make([]byte, len(unetMagic))
	c.get(magic)
	if c.err == nil && string(magic) != unetMagic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrFormat, magic)
	}
	var ver uint32
	c.get(&ver)
	if c.err == nil && ver != fileVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrFormat, ver, fileVersion)
	}
	var v [11]int32
	c.get(&v)
	var cfg Config
	cfg.Dims, cfg.InChannels, cfg.OutChannels, cfg.Width, cfg.Depth = int(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4])
	cfg.Norm, cfg.Act, cfg.Down, cfg.Up, cfg.Groups = NormKind(v[5]), ActKind(v[6]), DownKind(v[7]), UpKind(v[8]), int(v[9])
	cfg.DeepSupervision = v[10] != 0
	c.get(&cfg.LeakySlope)
	c.get(&cfg.Seed)
	if c.err != nil {
		return nil, c.err
	}
	m, err := build(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	for _, dst := range [][]float32{m.params, m.running} {
		var n uint64
		c.get(&n)
		if c.err == nil && n != uint64(len(dst)) {
			return nil, fmt.Errorf("%w: %d values where the configuration has %d", ErrFormat, n, len(dst))
		}
		c.get(dst)
	}
	c.check("model")
	if c.err != nil {
		return nil, c.err
	}
	sum := c.crc.Sum32()
	outer.Write(binary.LittleEndian.AppendUint32(nil, sum))
	for i, p := range m.params {
		if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
			return nil, fmt.Errorf("%w: parameter %d is %v", ErrFormat, i, p)
		}
	}
	return m, nil
}

// WriteTo writes a checkpoint: the model, the optimizer's name,
// hyper-parameters and state, and the step count, so that ReadTrainer
// resumes bit-identically. The schedule is not written.
func (t *Trainer) WriteTo(w io.Writer) (int64, error) {
	c := &cw{w: bufio.NewWriter(w), crc: crc32.NewIEEE()}
	c.put([]byte(trainerMagic))
	c.put(uint32(fileVersion))
	t.m.write(c)
	name := t.opt.Name()
	c.put(uint32(len(name)))
	c.put([]byte(name))
	hp := t.opt.config()
	c.put(uint32(len(hp)))
	c.put(hp)
	c.put(int64(t.step))
	st := t.opt.state(len(t.m.params))
	c.put(uint32(len(st)))
	for _, s := range st {
		c.put(uint64(len(s)))
		c.put(s)
	}
	c.sum()
	if c.err == nil {
		c.err = c.w.Flush()
	}
	return c.n, c.err
}

// ReadTrainer reads a checkpoint written by Trainer.WriteTo. The trainer
// has a constant learning rate until SetSchedule is called.
func ReadTrainer(r io.Reader) (*Trainer, error) {
	c := &cr{r: bufio.NewReader(r), crc: crc32.NewIEEE()}
	magic := make([]byte, len(trainerMagic))
	c.get(magic)
	if c.err == nil && string(magic) != trainerMagic {
		return nil, fmt.Errorf("%w: bad trainer magic %q", ErrFormat, magic)
	}
	var ver uint32
	c.get(&ver)
	if c.err == nil && ver != fileVersion {
		return nil, fmt.Errorf("%w: trainer version %d, this build reads version %d", ErrFormat, ver, fileVersion)
	}
	if c.err != nil {
		return nil, c.err
	}
	m, err := readUNet(c)
	if err != nil {
		return nil, err
	}
	var nl uint32
	c.get(&nl)
	if c.err == nil && nl > 16 {
		return nil, fmt.Errorf("%w: optimizer name of %d bytes", ErrFormat, nl)
	}
	name := make([]byte, nl)
	c.get(name)
	var nh uint32
	c.get(&nh)
	if c.err == nil && nh > 16 {
		return nil, fmt.Errorf("%w: %d optimizer hyper-parameters", ErrFormat, nh)
	}
	hp := make([]float64, nh)
	c.get(hp)
	var step int64
	c.get(&step)
	if c.err != nil {
		return nil, c.err
	}
	var opt Optimizer
	switch {
	case (string(name) == "adam" || string(name) == "adamw") && nh == 6:
		opt, err = NewAdam(AdamConfig{LR: hp[0], Beta1: hp[1], Beta2: hp[2], Eps: hp[3], WeightDecay: hp[4], Decoupled: hp[5] != 0})
	case string(name) == "sgd" && nh == 4:
		opt, err = NewSGD(SGDConfig{LR: hp[0], Momentum: hp[1], Nesterov: hp[2] != 0, WeightDecay: hp[3]})
	default:
		return nil, fmt.Errorf("%w: unknown optimizer %q with %d hyper-parameters", ErrFormat, name, nh)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if step < 0 {
		return nil, fmt.Errorf("%w: step %d", ErrFormat, step)
	}
	st := opt.state(len(m.params))
	var ns uint32
	c.get(&ns)
	if c.err == nil && int(ns) != len(st) {
		return nil, fmt.Errorf("%w: %d optimizer state vectors, %s has %d", ErrFormat, ns, name, len(st))
	}
	for _, s := range st {
		var n uint64
		c.get(&n)
		if c.err == nil && n != uint64(len(s)) {
			return nil, fmt.Errorf("%w: optimizer state of %d values for %d parameters", ErrFormat, n, len(s))
		}
		c.get(s)
	}
	c.check("trainer")
	if c.err != nil {
		return nil, c.err
	}
	t := NewTrainer(m, opt, nil)
	t.step = int(step)
	return t, nil
}

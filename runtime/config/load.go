package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Defaults of [Limits]. A real configuration file is a few kilobytes, a
// few hundred nodes and a handful of levels deep.
const (
	// DefaultMaxBytes is the largest file read: 256 KiB, some 5,000
	// lines. The YAML parser builds its whole node tree before the other
	// limits can look at it; a file of this size that is nothing but
	// one-character list items ("[a,a,a,...]") makes it hold about 33 MB
	// for a moment (measured by TestHostile), four times that at 1 MiB.
	DefaultMaxBytes = 256 << 10
	// DefaultMaxDepth is how deep mappings and lists may nest.
	DefaultMaxDepth = 32
	// DefaultMaxAliases is how many times aliases (*name) may be used.
	DefaultMaxAliases = 16
	// DefaultMaxNodes is how many values (scalars, mappings and lists;
	// mapping keys are not counted) a document may have, each use of an
	// alias counting the values it stands for.
	DefaultMaxNodes = 20000
)

// Limits bound what [Limits.Parse] and [Limits.Load] read, so that a
// hostile or broken file is refused quickly and with bounded memory: its
// size, nesting, alias use (an "alias bomb" expands a few lines into
// billions of nodes) and node count. A zero field means its default; a
// negative one is an error. The zero Limits is what [Parse] and [Load]
// use.
//
// The YAML parser reads the whole file into a node tree before any limit
// but the size applies, so MaxBytes bounds the memory of parsing (some
// 130 bytes of heap per byte of input at worst, see [DefaultMaxBytes]);
// the other limits bound the work done on that tree, aliases expanded.
type Limits struct {
	MaxBytes   int // default DefaultMaxBytes
	MaxDepth   int // default DefaultMaxDepth
	MaxAliases int // default DefaultMaxAliases
	MaxNodes   int // default DefaultMaxNodes
}

func (l Limits) orDefault() (Limits, error) {
	for _, f := range []struct {
		v    *int
		def  int
		name string
	}{
		{&l.MaxBytes, DefaultMaxBytes, "MaxBytes"},
		{&l.MaxDepth, DefaultMaxDepth, "MaxDepth"},
		{&l.MaxAliases, DefaultMaxAliases, "MaxAliases"},
		{&l.MaxNodes, DefaultMaxNodes, "MaxNodes"},
	} {
		switch {
		case *f.v < 0:
			return l, fmt.Errorf("config: Limits.%s is %d; it must be 0 (the default) or more", f.name, *f.v)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	return l, nil
}

// Parse is [Limits.Parse] with the default limits.
func Parse(data []byte, name string) (*Config, error) { return Limits{}.Parse(data, name) }

// Load is [Limits.Load] with the default limits.
func Load(path string) (*Config, error) { return Limits{}.Load(path) }

// Parse reads a configuration file's text. name is only used in errors
// (the file's name as the user knows it). Relative paths in the file are
// kept as written.
//
// Parse reads the YAML, checks it against the schema
// (schemas.FunctionSchema) before it builds anything, decodes it into a
// [Config] with every default filled in, and checks the rules the schema
// cannot state. A file it refuses gives an [*Error] listing every problem
// found at the stage that failed, each with its line, column and path;
// a file over MaxBytes or past another limit is refused without reading
// further. Other errors are the limits' own (see [Limits]) or a broken
// embedded schema, which the package tests rule out.
//
// data is only read, never retained.
func (l Limits) Parse(data []byte, name string) (*Config, error) {
	lim, err := l.orDefault()
	if err != nil {
		return nil, err
	}
	if len(data) > lim.MaxBytes {
		return nil, tooLarge(name, int64(len(data)), lim.MaxBytes)
	}
	fail := func(problems []Problem) error {
		e := &Error{File: name, Problems: problems}
		e.sort()
		return e
	}
	root, problems := readYAML(data)
	if problems != nil {
		return nil, fail(problems)
	}
	conv := &converter{lim: lim, active: map[*yaml.Node]bool{}}
	doc := conv.value(root, nil, 0)
	if conv.problems != nil {
		return nil, fail(conv.problems)
	}
	if problems, err = validate(root, doc); err != nil {
		return nil, err
	} else if problems != nil {
		return nil, fail(problems)
	}
	b := &builder{root: root}
	if !b.checkDurations() {
		return nil, fail(b.problems)
	}
	c, err := b.decode()
	if err != nil {
		return nil, err
	}
	if b.check(c); b.problems != nil {
		return nil, fail(b.problems)
	}
	return c, nil
}

// Load reads the configuration file at path, as [Limits.Parse] does, and
// then makes the relative paths in it relative to the file's directory:
// exec.dir (which defaults to that directory), file sinks and TLS files.
// Errors name the file by path; one that cannot be read gives the os
// error, wrapped.
func (l Limits) Load(path string) (*Config, error) {
	lim, err := l.orDefault()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	// Read one byte past the limit to tell a file at the limit from a
	// larger one, whatever Stat says (a pipe, a growing file).
	data, err := io.ReadAll(io.LimitReader(f, int64(lim.MaxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", path, err)
	}
	if len(data) > lim.MaxBytes {
		size := int64(-1)
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		return nil, tooLarge(path, size, lim.MaxBytes)
	}
	c, err := lim.Parse(data, path)
	if err != nil {
		return nil, err
	}
	c.resolve(filepath.Dir(path))
	return c, nil
}

// tooLarge reports a file over the size limit; size is -1 when it is not
// known (Load stopped reading a pipe at the limit).
func tooLarge(name string, size int64, limit int) error {
	msg := "the file is more than the limit of " + strconv.Itoa(limit) + " bytes"
	if size >= 0 {
		msg = "the file is " + strconv.FormatInt(size, 10) + " bytes, more than the limit of " + strconv.Itoa(limit)
	}
	return &Error{File: name, Problems: []Problem{{Message: msg, Rule: "size limit"}}}
}

// resolve makes the relative paths of c relative to dir.
func (c *Config) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	client := func(t *ClientTLS) {
		if t != nil {
			abs(&t.CA)
			abs(&t.Cert)
			abs(&t.Key)
		}
	}
	server := func(t *ServerTLS) {
		if t != nil {
			abs(&t.Cert)
			abs(&t.Key)
			abs(&t.ClientCA)
		}
	}
	sink := func(s *Sink) {
		abs(&s.File)
		if s.MQTT != nil {
			client(s.MQTT.TLS)
		}
	}
	if e := c.Function.Exec; e != nil {
		if e.Dir == "" {
			e.Dir = dir
		} else {
			abs(&e.Dir)
		}
	}
	for i := range c.Forward {
		sink(&c.Forward[i])
	}
	for i := range c.Replies {
		sink(&c.Replies[i])
	}
	if c.DeadLetter != nil {
		sink(c.DeadLetter)
	}
	if c.Telemetry != nil && c.Telemetry.OTLP != nil {
		client(c.Telemetry.OTLP.TLS)
	}
	for _, t := range c.Triggers {
		switch {
		case t.HTTP != nil:
			server(t.HTTP.TLS)
		case t.GRPC != nil:
			server(t.GRPC.TLS)
		case t.MQTT != nil:
			client(t.MQTT.TLS)
		}
	}
}

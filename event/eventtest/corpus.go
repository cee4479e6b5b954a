// Package eventtest holds fixtures for tests of the OpenEvents codecs: a
// corpus of valid and invalid events in the CloudEvents JSON format, each
// with the requirement IDs it breaks. It imports only the standard library,
// so any package's tests can use it.
package eventtest

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The corpus directory holds valid/NAME.json and invalid/NAME.json, the
// raw bytes a receiver would get (some are not UTF-8 or not JSON at all),
// and expect.json, which says for each file why it is (in)valid and what a
// decoder and the JSON Schema are expected to do with it.
//
//go:embed corpus
var corpus embed.FS

// Case is one document of the corpus.
type Case struct {
	// Name is the file's path inside the corpus, e.g.
	// "invalid/subject-empty.json"; it is the key of expect.json.
	Name string
	// Valid reports whether the document is a valid event (or batch). A
	// valid case may still be one that only a 0.3-aware decoder accepts:
	// see SchemaValid.
	Valid bool
	// Batch reports whether the document is meant as a JSON batch
	// (application/cloudevents-batch+json): its file name starts with
	// "batch-". Otherwise it is meant as one event.
	Batch bool
	// Data is the document, byte for byte. Each call of [Corpus] returns
	// fresh slices; the caller may modify them.
	Data []byte
	// IDs are the requirement IDs the document breaks, the primary one
	// first; nil for valid cases. A strict decoder reports at least the
	// primary one.
	IDs []string
	// Schema, for an invalid case, reports whether package schemas'
	// Validator rejects it: either encoding/json cannot parse the document
	// or the JSON Schema fails it. It is false where neither can tell, for
	// example duplicate members, invalid UTF-8 and unpaired surrogate
	// escapes, which encoding/json silently repairs. Always false for valid
	// cases.
	Schema bool
	// SchemaValid, for a valid case, reports whether the 1.0 JSON Schema
	// accepts it. It is false for spec version 0.3 events, which decoders
	// accept and map but the 1.0 schema refuses. Always false for invalid
	// cases.
	SchemaValid bool
	// Why says in words what the case is about.
	Why string
}

// expectation is one entry of expect.json.
type expectation struct {
	IDs         []string `json:"ids"`
	Schema      *bool    `json:"schema"`
	SchemaValid *bool    `json:"schema_valid"`
	Why         string   `json:"why"`
}

// Corpus returns every case, sorted by name. It fails if a file has no
// entry in expect.json or an entry has no file, or if an entry is
// inconsistent with its directory (an invalid case without IDs or without
// a schema verdict, a valid case with IDs).
func Corpus() ([]Case, error) {
	raw, err := corpus.ReadFile("corpus/expect.json")
	if err != nil {
		return nil, err
	}
	var expect map[string]expectation
	if err := json.Unmarshal(raw, &expect); err != nil {
		return nil, errors.New("eventtest: corpus/expect.json: " + err.Error())
	}
	var cases []Case
	seen := make(map[string]bool, len(expect))
	for _, dir := range [...]string{"invalid", "valid"} {
		entries, err := fs.ReadDir(corpus, "corpus/"+dir)
		if err != nil {
			return nil, err
		}
		for _, ent := range entries {
			name := dir + "/" + ent.Name()
			x, ok := expect[name]
			if !ok {
				return nil, errors.New("eventtest: " + name + " has no entry in expect.json")
			}
			seen[name] = true
			data, err := corpus.ReadFile("corpus/" + name)
			if err != nil {
				return nil, err
			}
			c := Case{
				Name:  name,
				Valid: dir == "valid",
				Batch: strings.HasPrefix(path.Base(name), "batch-"),
				Data:  data,
				IDs:   x.IDs,
				Why:   x.Why,
			}
			if err := c.fill(x); err != nil {
				return nil, err
			}
			cases = append(cases, c)
		}
	}
	for name := range expect {
		if !seen[name] {
			return nil, errors.New("eventtest: expect.json names " + name + ", which is not in the corpus")
		}
	}
	slices.SortFunc(cases, func(a, b Case) int { return strings.Compare(a.Name, b.Name) })
	return cases, nil
}

// fill checks the expectation against the case's directory and sets the
// schema verdicts.
func (c *Case) fill(x expectation) error {
	bad := func(msg string) error { return errors.New("eventtest: expect.json: " + c.Name + ": " + msg) }
	if x.Why == "" {
		return bad("no why")
	}
	if c.Valid {
		if len(x.IDs) > 0 || x.Schema != nil {
			return bad("a valid case has no ids and no schema verdict (use schema_valid)")
		}
		c.SchemaValid = x.SchemaValid == nil || *x.SchemaValid
		return nil
	}
	if len(x.IDs) == 0 {
		return bad("an invalid case needs ids")
	}
	if x.Schema == nil || x.SchemaValid != nil {
		return bad("an invalid case needs schema and no schema_valid")
	}
	c.Schema = *x.Schema
	return nil
}

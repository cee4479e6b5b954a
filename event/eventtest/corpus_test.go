package eventtest

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$`)

func TestCorpus(t *testing.T) {
	cases, err := Corpus()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 150 {
		t.Errorf("corpus has %d cases, want at least 150", len(cases))
	}
	var valid, batches, schemaBlind int
	for i, c := range cases {
		if i > 0 && cases[i-1].Name >= c.Name {
			t.Errorf("cases not sorted: %s before %s", cases[i-1].Name, c.Name)
		}
		if c.Valid {
			valid++
		} else if !c.Schema {
			schemaBlind++
		}
		if c.Batch {
			batches++
		}
		if !c.Valid && len(c.IDs) == 0 {
			t.Errorf("%s: invalid case without ids", c.Name)
		}
		for _, id := range c.IDs {
			if !idPattern.MatchString(id) {
				t.Errorf("%s: %q is not a requirement ID", c.Name, id)
			}
		}
		if c.Valid && !json.Valid(c.Data) {
			t.Errorf("%s: a valid case is not well-formed JSON", c.Name)
		}
		if c.Valid && !utf8.Valid(c.Data) {
			t.Errorf("%s: a valid case is not UTF-8", c.Name)
		}
		if c.Valid {
			first := bytes.TrimLeft(c.Data, " \t\r\n")
			if isArray := len(first) > 0 && first[0] == '['; isArray != c.Batch {
				t.Errorf("%s: Batch is %v but the document starts with %q", c.Name, c.Batch, first[:1])
			}
		}
		if strings.HasPrefix(c.Name, "valid/v03-") == c.SchemaValid && c.Valid {
			t.Errorf("%s: SchemaValid = %v; only the 0.3 cases are refused by the 1.0 schema", c.Name, c.SchemaValid)
		}
	}
	if valid == 0 || valid == len(cases) || batches == 0 || schemaBlind == 0 {
		t.Errorf("lopsided corpus: %d cases, %d valid, %d batches, %d invalid ones the schema cannot see",
			len(cases), valid, batches, schemaBlind)
	}
	t.Logf("%d cases: %d valid, %d invalid (%d beyond the schema), %d batches",
		len(cases), valid, len(cases)-valid, schemaBlind, batches)
}

// TestCorpusFreshData checks that callers get their own copies.
func TestCorpusFreshData(t *testing.T) {
	a, err := Corpus()
	if err != nil {
		t.Fatal(err)
	}
	a[0].Data[0] ^= 0xff
	b, err := Corpus()
	if err != nil {
		t.Fatal(err)
	}
	if a[0].Data[0] == b[0].Data[0] {
		t.Error("Corpus shares Data between calls")
	}
}

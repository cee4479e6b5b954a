package spec

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoad checks that the embedded catalog is valid, so Default never
// panics.
func TestLoad(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Len() != Default().Len() {
		t.Fatalf("Load has %d entries, Default %d", c.Len(), Default().Len())
	}
	if c.Len() < 300 {
		t.Errorf("catalog has %d entries, want at least 300", c.Len())
	}
}

// TestEntriesValid re-checks every field of every entry independently of
// Load's validation.
func TestEntriesValid(t *testing.T) {
	seen := make(map[string]bool)
	docs := Docs()
	for _, r := range Default().All() {
		if seen[r.ID] {
			t.Errorf("%s: duplicate ID", r.ID)
		}
		seen[r.ID] = true
		if !idPattern.MatchString(r.ID) {
			t.Errorf("%s: malformed ID", r.ID)
		}
		if !citePattern.MatchString(r.ID) {
			t.Errorf("%s: ID would not be found by the citation scan (%s)", r.ID, citePattern)
		}
		if !r.Level.Valid() {
			t.Errorf("%s: bad level %q", r.ID, r.Level)
		}
		if !slices.Contains(docs, r.Doc) {
			t.Errorf("%s: bad doc %q", r.ID, r.Doc)
		}
		if !r.Check.Valid() {
			t.Errorf("%s: bad check %q", r.ID, r.Check)
		}
		if (r.Check == CheckNone) != (r.How == "") {
			t.Errorf("%s: check %q with how %q", r.ID, r.Check, r.How)
		}
		for _, role := range r.Roles {
			if !role.Valid() {
				t.Errorf("%s: bad role %q", r.ID, role)
			}
		}
		if r.Text == "" || r.Section == "" || r.Version == "" {
			t.Errorf("%s: empty text, section or version", r.ID)
		}
		if r.Check != CheckNone && len(r.Roles) == 0 {
			t.Errorf("%s: testable rule without a role", r.ID)
		}
	}
}

// citedByCode lists the IDs that code of the module relies on, with the
// level each must have ("" when any level will do).
var citedByCode = map[string]Level{
	"CORE-ATTR-ID-1":              LevelRequired,
	"CORE-ATTR-ID-2":              LevelMust,
	"CORE-ATTR-ID-3":              LevelMust,
	"CORE-ATTR-SOURCE-1":          LevelRequired,
	"CORE-ATTR-SOURCE-2":          LevelMust,
	"CORE-ATTR-SOURCE-3":          LevelRecommended,
	"CORE-ATTR-SPECVERSION-1":     LevelRequired,
	"CORE-ATTR-SPECVERSION-2":     LevelMust,
	"CORE-ATTR-SPECVERSION-3":     LevelMust,
	"CORE-ATTR-TYPE-1":            LevelRequired,
	"CORE-ATTR-TYPE-2":            LevelMust,
	"CORE-ATTR-DATACONTENTTYPE-1": LevelMust,
	"CORE-ATTR-DATASCHEMA-1":      LevelMust,
	"CORE-ATTR-SUBJECT-1":         LevelMust,
	"CORE-ATTR-TIME-1":            LevelMust,
	"CORE-NAMING-1":               LevelMust,
	"CORE-NAMING-2":               LevelShouldNot,
	"CORE-TYPE-1":                 LevelMust,
	"CORE-TYPE-BOOLEAN-1":         "",
	"CORE-TYPE-INTEGER-1":         LevelMust,
	"CORE-TYPE-STRING-1":          LevelMustNot,
	"CORE-TYPE-STRING-2":          LevelMustNot,
	"CORE-TYPE-STRING-3":          LevelMustNot,
	"CORE-TYPE-BINARY-1":          "",
	"CORE-TYPE-URI-1":             "",
	"CORE-TYPE-URIREF-1":          "",
	"CORE-TYPE-TIMESTAMP-1":       "",
	"CORE-EXT-1":                  LevelMust,
	"JSON-TYPE-1":                 LevelMust,
	"JSON-TYPE-2":                 LevelMust,
	"JSON-EXT-1":                  LevelMust,
	"JSON-ENVELOPE-1":             LevelMust,
	"JSON-ENVELOPE-2":             LevelMust,
	"JSON-DATA-1":                 LevelMust,
	"JSON-DATA-2":                 LevelMust,
	"JSON-DATA-3":                 LevelMust,
	"JSON-DATA-4":                 LevelMust,
	"JSON-DATA-5":                 LevelMustNot,
	"JSON-DATA-6":                 LevelMust,
	"JSON-DATA-7":                 "",
	"JSON-DATA-8":                 LevelShould,
	"JSON-DATA-9":                 LevelShould,
	"JSON-BATCH-1":                LevelMust,
	"JSON-SYNTAX-1":               LevelMust,
	"JSON-SYNTAX-2":               LevelMust,
	"JSON-SYNTAX-3":               LevelShould,
	"V03-SPECVERSION-1":           "",
	"V03-SCHEMAURL-1":             "",
	"V03-DATACONTENTENCODING-1":   "",
	"V03-DATACONTENTENCODING-2":   "",
	"EXT-DISTTRACE-1":             LevelRequired,
	"EXT-DISTTRACE-2":             "",
	"EXT-DATAREF-1":               "",
	"EXT-EXPIRY-1":                "",
	"EXT-RECORDED-1":              "",
	"EXT-SEQUENCE-1":              "",
	"EXT-PARTITION-1":             "",
}

func TestCitedByCodeExist(t *testing.T) {
	for id, level := range citedByCode {
		r, ok := Default().Lookup(id)
		if !ok {
			t.Errorf("%s: missing", id)
			continue
		}
		if level != "" && r.Level != level {
			t.Errorf("%s: level %q, want %q", id, r.Level, level)
		}
	}
	for _, id := range []string{"EXT-EXPIRY-1", "EXT-RECORDED-1"} {
		if r, _ := Default().Lookup(id); r.Version != Version103WIP {
			t.Errorf("%s: version %q, want %q", id, r.Version, Version103WIP)
		}
	}
}

// TestCountsPerDoc guards against a document's entries being lost.
func TestCountsPerDoc(t *testing.T) {
	floor := map[string]int{
		DocCore: 85, DocJSON: 40, DocProtobuf: 15, DocHTTP: 42, DocWebhook: 48,
		DocMQTT: 15, DocExtTrace: 7, DocExtPartition: 2, DocExtSequence: 9,
		DocExtDataref: 12, DocExtExpiry: 8, DocExtRecorded: 6, DocV03: 50,
		DocSubscriptions: 20,
	}
	total := 0
	for _, doc := range Docs() {
		n := len(Default().ByDoc(doc))
		total += n
		if n < floor[doc] {
			t.Errorf("doc %s has %d entries, want at least %d", doc, n, floor[doc])
		}
	}
	if total != Default().Len() {
		t.Errorf("ByDoc over all docs gives %d entries, Len %d", total, Default().Len())
	}
	if got := Default().ByDoc("nope"); got != nil {
		t.Errorf("ByDoc(unknown) = %d entries, want nil", len(got))
	}
}

func TestAllSortedAndCopied(t *testing.T) {
	c := Default()
	all := c.All()
	if len(all) != c.Len() {
		t.Fatalf("All has %d entries, Len %d", len(all), c.Len())
	}
	if !slices.IsSortedFunc(all, compareReq) {
		t.Error("All is not sorted by doc, then ID")
	}
	for i, r := range all {
		if got, ok := c.Lookup(r.ID); !ok || got.ID != r.ID {
			t.Fatalf("Lookup(%s) failed", r.ID)
		}
		if len(r.Roles) > 0 {
			all[i].Roles[0] = "tampered"
			got, _ := c.Lookup(r.ID)
			if got.Roles[0] == "tampered" {
				t.Fatal("All shares Roles with the catalog")
			}
			got.Roles[0] = "tampered"
			if again, _ := c.Lookup(r.ID); again.Roles[0] == "tampered" {
				t.Fatal("Lookup shares Roles with the catalog")
			}
			break
		}
	}
	if _, ok := c.Lookup("CORE-NOPE-1"); ok {
		t.Error("Lookup found an unknown ID")
	}
}

func TestCompareID(t *testing.T) {
	ids := []string{"CORE-ATTR-ID-10", "CORE-ATTR-ID-2", "CORE-ATTR-ID-1", "CORE-ATTR-IDX-1"}
	slices.SortFunc(ids, compareID)
	want := []string{"CORE-ATTR-ID-1", "CORE-ATTR-ID-2", "CORE-ATTR-ID-10", "CORE-ATTR-IDX-1"}
	if !slices.Equal(ids, want) {
		t.Errorf("sorted %v, want %v", ids, want)
	}
}

func TestLevelHelpers(t *testing.T) {
	for _, tc := range []struct {
		l                        Level
		valid, must, should, may bool
	}{
		{LevelMust, true, true, false, false},
		{LevelMustNot, true, true, false, false},
		{LevelRequired, true, true, false, false},
		{"SHALL", false, true, false, false},
		{"SHALL NOT", false, true, false, false},
		{LevelShould, true, false, true, false},
		{LevelShouldNot, true, false, true, false},
		{LevelRecommended, true, false, true, false},
		{LevelMay, true, false, false, true},
		{LevelOptional, true, false, false, true},
		{"must", false, false, false, false},
	} {
		if tc.l.Valid() != tc.valid || tc.l.IsMust() != tc.must || tc.l.Normative() != tc.must ||
			tc.l.IsShould() != tc.should || tc.l.IsMay() != tc.may {
			t.Errorf("%q: helpers disagree with %+v", tc.l, tc)
		}
	}
	if !RoleProducer.Valid() || Role("sender").Valid() {
		t.Error("Role.Valid is wrong")
	}
	if !CheckInspect.Valid() || Check("manual").Valid() {
		t.Error("Check.Valid is wrong")
	}
	r := Requirement{Roles: []Role{RoleConsumer}}
	if !r.HasRole(RoleConsumer) || r.HasRole(RoleProducer) {
		t.Error("HasRole is wrong")
	}
}

// TestLoadRejectsBadData feeds Load broken catalogs and checks that each
// problem is reported.
func TestLoadRejectsBadData(t *testing.T) {
	const good = `{"id":"CORE-X-1","level":"MUST","doc":"core","version":"1.0.2",` +
		`"section":"https://example.com/a#b","text":"t","roles":["producer"],"check":"wire","how":"h","note":""}`
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"valid", map[string]string{"core.json": "[" + good + "]"}, nil},
		{"no files", map[string]string{}, []string{"no catalog files"}},
		{"not JSON", map[string]string{"core.json": "{"}, []string{"core.json"}},
		{"not array", map[string]string{"core.json": "null"}, []string{"not a JSON array"}},
		{"trailing", map[string]string{"core.json": "[" + good + "] []"}, []string{"after the JSON array"}},
		{"unknown field", map[string]string{"core.json": `[{"id":"CORE-X-1","extra":1}]`}, []string{"unknown field"}},
		{"duplicate", map[string]string{
			"core.json": "[" + good + "," + good + "]",
		}, []string{"duplicate ID"}},
		{"bad fields", map[string]string{"core.json": `[{"id":"core-x","level":"SHALL","doc":"kore",` +
			`"version":"2","section":"http://x","text":"a\nb","roles":["sender","producer","producer"],` +
			`"check":"none","how":"h","note":" n"}]`},
			[]string{"does not match", "written as MUST", "unknown doc", "version", "section", "text spans",
				"unknown role", "listed twice", "how must be empty", "note has leading"}},
		{"missing fields", map[string]string{"core.json": `[{"id":"CORE-X-1","level":"MAY","doc":"core",` +
			`"version":"1.0.2","section":"https://e.com/#a","check":"inspect"}]`},
			[]string{"text is empty", "roles is missing", "how is empty"}},
		{"wrong file and prefix", map[string]string{"json.json": `[{"id":"JSON-X-1","level":"MAY","doc":"core",` +
			`"version":"1.0.2","section":"https://e.com/#a","text":"t","roles":[],"check":"none","how":""}]`},
			[]string{"belongs in core.json", `must start with "CORE-"`}},
		{"v03 version", map[string]string{"v03.json": `[{"id":"V03-X-1","level":"MAY","doc":"v03",` +
			`"version":"1.0.2","section":"https://e.com/#a","text":"t","roles":[],"check":"none","how":""}]`},
			[]string{`needs version "0.3"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tc.files {
				fsys["catalog/"+name] = &fstest.MapFile{Data: []byte(data)}
			}
			c, err := load(fsys)
			if tc.want == nil {
				if err != nil || c.Len() != 1 {
					t.Fatalf("load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("load accepted a broken catalog")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// fixtureMarker, on a line of its own in a Go file, says that the file's
// requirement IDs are those of a test catalog it builds (a fixture), not
// of the real one, so the citation scan leaves the file alone.
const fixtureMarker = "//spec:fixture-ids"

// citePattern finds requirement IDs cited in Go source.
var citePattern = regexp.MustCompile(`\b(CORE|JSON|PROTO|HTTP|WEBHOOK|MQTT|EXT|V03|SUBS|GRPC)(-[A-Z0-9]+)+-[0-9]+\b`)

// TestCitedIDsExist scans every Go file of the module outside spec/ and
// proto/gen/ (and outside testdata directories) and fails for any cited
// requirement ID that the catalog lacks, so code never cites a rule that
// does not exist.
func TestCitedIDsExist(t *testing.T) {
	missing, files, cites, err := uncitedIDs(moduleRoot(t), Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanned %d Go files, %d citations", files, cites)
	if len(missing) > 0 {
		t.Errorf("code cites %d requirement IDs missing from the catalog:\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}

// TestCitationScan checks the scanner itself on a fake module.
func TestCitationScan(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":           "module example.com/m\n",
		"a.go":             "package a // CORE-ATTR-ID-1, HTTP-HEADER-VALUE-17 and CORE-NOPE-9\n",
		"b/b.go":           "package b\n\n// see EXT-NOPE-2.\nvar _ = \"JSON-DATA-5\"\n",
		"b/notes.txt":      "CORE-NOPE-5\n",
		"b/testdata/x.go":  "package x // CORE-NOPE-8\n",
		"spec/y.go":        "package spec // CORE-NOPE-7\n",
		"proto/gen/z.go":   "package gen // CORE-NOPE-6\n",
		".hidden/h.go":     "package h // CORE-NOPE-4\n",
		"proto/other/o.go": "package other // PROTO-NOPE-3\n",
	}
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	missing, nfiles, cites, err := uncitedIDs(root, Default())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.go:1: CORE-NOPE-9", "b/b.go:3: EXT-NOPE-2", "proto/other/o.go:1: PROTO-NOPE-3"}
	if !slices.Equal(missing, want) || nfiles != 3 || cites != 6 {
		t.Errorf("got missing=%q files=%d cites=%d, want %q files=3 cites=6", missing, nfiles, cites, want)
	}
}

// uncitedIDs walks the module at root and returns, as "path:line: ID"
// sorted, every requirement ID cited in a Go file that c lacks. It skips
// spec/, proto/gen/, testdata, vendor and hidden directories.
func uncitedIDs(root string, c *Catalog) (missing []string, files, cites int, err error) {
	skip := map[string]bool{
		filepath.Join(root, "spec"):         true,
		filepath.Join(root, "proto", "gen"): true,
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (skip[p] || name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || !d.Type().IsRegular() {
			return nil
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if bytes.Contains(data, []byte(fixtureMarker)) {
			return nil // its IDs belong to a test catalog of its own
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, id := range citePattern.FindAllString(line, -1) {
				cites++
				if _, ok := c.Lookup(id); !ok {
					missing = append(missing, filepath.ToSlash(rel)+":"+strconv.Itoa(i+1)+": "+id)
				}
			}
		}
		return nil
	})
	slices.Sort(missing)
	return missing, files, cites, err
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// TestProfiles: a main-only rule is not in 1.0.2, a rule removed on main
// is not in main, and sections point into the text of the profile.
func TestProfiles(t *testing.T) {
	cat := Default()
	for _, tc := range []struct {
		id                      string
		in102, inMain           bool
		section102, sectionMain string
	}{
		{"CORE-ATTR-ID-1", true, true, "/blob/ce@v1.0.2/", "/blob/main/"},
		{"CORE-NAMING-6", false, true, "", "/blob/main/"},
		{"HTTP-BATCH-7", true, false, "/blob/ce@v1.0.2/", ""},
		{"EXT-SEQUENCE-5", true, false, "/blob/ce@v1.0.2/", ""},
		{"CORE-OPTIONAL-4", true, false, "/blob/ce@v1.0.2/", ""},
		{"CORE-OPTIONAL-2", false, true, "", "/blob/main/"},
	} {
		r, ok := cat.Lookup(tc.id)
		if !ok {
			t.Fatalf("%s is not in the catalog", tc.id)
		}
		if r.In(Profile102) != tc.in102 || r.In(ProfileMain) != tc.inMain {
			t.Errorf("%s: In(1.0.2)=%v In(main)=%v, want %v %v", tc.id, r.In(Profile102), r.In(ProfileMain), tc.in102, tc.inMain)
		}
		for _, p := range []struct{ profile, want string }{{Profile102, tc.section102}, {ProfileMain, tc.sectionMain}} {
			got := r.SectionIn(p.profile)
			if (p.want == "") != (got == "") || !strings.Contains(got, p.want) {
				t.Errorf("%s: SectionIn(%s) = %q, want it to contain %q", tc.id, p.profile, got, p.want)
			}
		}
	}
	if r, _ := cat.Lookup("CORE-ATTR-ID-1"); r.In("1.0") {
		t.Error("an unknown profile holds rules")
	}
}

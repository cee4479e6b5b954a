package config_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/openevents/openevents/runtime/config"
)

func ExampleParse() {
	c, err := config.Parse([]byte(`
function:
  builtin: echo
triggers:
  - http: {addr: "127.0.0.1:8080"}
  - cron: {schedule: "0 * * * *", type: com.example.hourly}
timeout: 5s
`), "function.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Function.Kind(), c.Function.Name, c.Timeout, c.Concurrency)
	for _, t := range c.Triggers {
		fmt.Println(t.Kind())
	}
	fmt.Println(c.Triggers[1].Cron.Source, c.Admin)
	// Output:
	// builtin echo 5s 64
	// http
	// cron
	// /cron 127.0.0.1:8080
}

func ExampleError() {
	_, err := config.Parse([]byte(`
function:
  builtin: echo
  exec: {command: [./fn]}
triggers:
  - http:
      addr: "8080"
  - cron: {schedule: "*/5 * * * FUNDAY"}
`), "function.yaml")
	fmt.Println(err)
	// Output:
	// function.yaml:3:3: function: needs exactly one of builtin, exec, http, grpc; it has builtin and exec (oneOf)
	// function.yaml:7:13: triggers[0].http.addr: "8080" does not match the address pattern host:port (pattern)
}

// TestDocExample parses the file shown in the package documentation.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for line := range strings.Lines(string(doc)) {
		if text, ok := strings.CutPrefix(line, "//\t"); ok && !strings.HasPrefix(text, "function.yaml:") {
			lines = append(lines, text)
		}
	}
	if len(lines) < 20 {
		t.Fatalf("found %d lines of example in doc.go", len(lines))
	}
	c, err := config.Parse([]byte(strings.Join(lines, "")), "doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if c.Function.Name != "orders" || len(c.Triggers) != 4 || c.Triggers[2].MQTT.ShareGroup != "workers" {
		t.Fatalf("parsed %+v", c)
	}
}

package schemas

import (
	"bytes"
	_ "embed"
)

// FunctionSchemaURL is the $id of function.schema.json.
const FunctionSchemaURL = "https://github.com/openevents/openevents/schemas/function.schema.json"

//go:embed function.schema.json
var functionSchema []byte

// FunctionSchema returns the text of function.schema.json, the schema of
// the function runtime's configuration file (`ce run -f function.yaml`,
// package runtime/config, which applies it to the YAML before anything
// else). The caller owns the returned slice.
func FunctionSchema() []byte { return bytes.Clone(functionSchema) }

package schemas

import (
	"bytes"
	_ "embed"
)

// ConformanceReportSchemaURL is the $id of conformance-report.schema.json.
const ConformanceReportSchemaURL = "https://github.com/openevents/openevents/schemas/conformance-report.schema.json"

//go:embed conformance-report.schema.json
var conformanceReportSchema []byte

// ConformanceReportSchema returns the text of
// conformance-report.schema.json, the schema of the conformance suite's
// JSON report (package conformance, Result). The caller owns the returned
// slice.
func ConformanceReportSchema() []byte { return bytes.Clone(conformanceReportSchema) }

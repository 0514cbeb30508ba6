package asl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"productgov/infra/s3local"
)

// awsVectorFile is one file of testdata/aws: executions recorded on AWS
// Step Functions (see testdata/aws/README.md for where they come from).
type awsVectorFile struct {
	Source map[string]string `json:"source"`
	// Definitions are shared by the vectors, by name.
	Definitions map[string]json.RawMessage `json:"definitions"`
	Vectors     []awsVector                `json:"vectors"`
}

// awsVector is one recorded execution: its input and how it ended.
type awsVector struct {
	Name       string          `json:"name"`
	Recorded   string          `json:"recorded"`
	Definition string          `json:"definition"`
	Input      string          `json:"input"`
	Status     string          `json:"status"`
	Output     json.RawMessage `json:"output"`
	Error      string          `json:"error"`
	Cause      string          `json:"cause"`
	// Unordered marks outputs whose member order the engine does not
	// reproduce; they are compared without regard to order.
	Unordered bool `json:"unordered"`
	// Objects are what the recorded test put in its S3 bucket, by key; the
	// vector then runs with a fresh bucket on the local S3 server, whose name
	// replaces "bucket-name" in the input.
	Objects map[string]string `json:"objects"`
}

// TestAWSVectors runs every execution recorded on AWS under testdata/aws
// and compares the outcome. Outputs are compared as text after compacting,
// so member order and the way numbers are written count too.
func TestAWSVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "aws", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no AWS vectors: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var vf awsVectorFile
		if err := json.Unmarshal(raw, &vf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if vf.Source["snapshot"] == "" || len(vf.Vectors) == 0 {
			t.Fatalf("%s: no source or no vectors", file)
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			for _, v := range vf.Vectors {
				t.Run(v.Name, func(t *testing.T) {
					definition, ok := vf.Definitions[v.Definition]
					if !ok {
						t.Fatalf("no definition %q", v.Definition)
					}
					input, opts := v.Input, []Option(nil)
					if len(v.Objects) > 0 {
						client, bucket := s3local.NewTestBucket(t)
						for key, body := range v.Objects {
							putObject(t, client, bucket, key, body)
						}
						input, opts = strings.ReplaceAll(input, "bucket-name", bucket), []Option{WithS3(client)}
					}
					got := runGoldenDefinition(t, definition, input, opts...)
					if got.Status != v.Status || got.Error != v.Error {
						t.Fatalf("status %s %s (%s), AWS recorded %s %s (%s) on %s", got.Status, got.Error, got.Cause, v.Status, v.Error, v.Cause, v.Recorded)
					}
					if v.Status != StatusSucceeded {
						return
					}
					want, err := decodeJSON(v.Output)
					if err != nil {
						t.Fatalf("recorded output: %v", err)
					}
					if v.Unordered {
						output, err := decodeJSON([]byte(got.rawOutput))
						if err != nil || !jsonEqual(want, output) {
							t.Errorf("input %s\n got %s\nwant %s (in any member order)", v.Input, got.rawOutput, mustEncodeJSON(want))
						}
						return
					}
					if got.rawOutput != mustEncodeJSON(want) {
						t.Errorf("input %s\n got %s\nwant %s", v.Input, got.rawOutput, mustEncodeJSON(want))
					}
				})
			}
		})
	}
}

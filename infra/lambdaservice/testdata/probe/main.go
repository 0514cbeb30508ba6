// Command probe is a function whose answers the Lambda service test chooses:
// it succeeds, fails with a named error, fails plainly, panics, exits, or
// outlives its timeout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"productgov/shared/system"
)

type named struct{}

func (named) Error() string     { return "the store was busy" }
func (named) ErrorName() string { return "Task.Transient" }

func main() {
	lambda.Start(func(ctx context.Context, ev json.RawMessage) (json.RawMessage, error) {
		var in struct{ Do string }
		_ = json.Unmarshal(ev, &in)
		switch in.Do {
		case "named":
			return nil, system.LambdaError(named{})
		case "plain":
			return nil, errors.New("plain failure")
		case "panic":
			panic("boom")
		case "exit":
			os.Exit(3)
		case "sleep":
			time.Sleep(5 * time.Second)
		case "fail-if-marked":
			if _, err := os.Stat(os.Getenv("PROBE_MARK")); err == nil {
				return nil, errors.New("marked")
			}
		}
		return ev, nil
	})
}

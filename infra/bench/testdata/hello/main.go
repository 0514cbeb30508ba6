// Command hello is the smallest aws-lambda-go function: the bench's yardstick
// for the cold start of the project's bootstraps.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) { return ev, nil })
}

package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	smithy "github.com/aws/smithy-go"
)

// LambdaInvoker is the part of the AWS Lambda API the engine calls to run a
// Task whose resource is a Lambda function: *lambda.Client pointed at a local
// Lambda endpoint implements it, so tasks run the deployed function code
// through the same invoke contract Step Functions uses.
type LambdaInvoker interface {
	Invoke(ctx context.Context, params *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// WithLambdaInvoker makes every Lambda task (a function ARN as Resource, or
// arn:aws:states:::lambda:invoke) call the function through invoker instead
// of a registered Handler, as Step Functions does.
func WithLambdaInvoker(invoker LambdaInvoker) Option {
	return func(e *Engine) { e.invoker = invoker }
}

// invokerHandler calls function through the Lambda Invoke API and reports a
// function error under the errorType the runtime wrote, with the error
// payload as the cause, as Step Functions does; an API error becomes
// Lambda.<ErrorCode>, and a call that never reached Lambda
// Lambda.SdkClientException.
func invokerHandler(invoker LambdaInvoker, function string) Handler {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		out, err := invoker.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: input})
		if err != nil {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			var apiErr smithy.APIError
			if errors.As(err, &apiErr) {
				return nil, &StatesError{Name: "Lambda." + apiErr.ErrorCode(), Cause: apiErr.ErrorMessage()}
			}
			return nil, &StatesError{Name: "Lambda.SdkClientException", Cause: err.Error()}
		}
		if out.FunctionError != nil {
			return nil, functionError(out.Payload)
		}
		return out.Payload, nil
	}
}

// functionError names a function error from its payload: the runtime's
// {"errorType": ..., "errorMessage": ...}, or Lambda.Unknown when the payload
// says nothing usable.
func functionError(payload []byte) *StatesError {
	var report struct {
		ErrorType string `json:"errorType"`
	}
	cause := strings.TrimSpace(string(payload))
	if json.Unmarshal(payload, &report) != nil || report.ErrorType == "" {
		return &StatesError{Name: ErrorLambdaUnknown, Cause: lambdaErrorCause(cause, ErrorLambdaUnknown)}
	}
	return &StatesError{Name: report.ErrorType, Cause: cause}
}

// Package awslocal serves, on one loopback address, the AWS APIs the
// functions call besides DynamoDB, on their own wire protocols, so the built
// bootstraps reach them through the real SDK with nothing but endpoint
// settings changed (AWS_ENDPOINT_URL_SFN, _SESV2, _SSM, _LAMBDA):
//
//   - Step Functions (AWS JSON 1.0) on the local ASL engine;
//   - SES v2 SendEmail (REST JSON) into the outbox a person reads;
//   - SSM GetParameter (AWS JSON 1.1) for the link-signing key;
//   - Lambda Invoke (REST JSON), by a handler the caller provides.
//
// Requests are not signed-checked: every caller is on this machine.
package awslocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	smithy "github.com/aws/smithy-go"
)

// maxBody bounds a request body read by the JSON protocols (Step Functions
// and SSM take at most 256 KiB of input; a little envelope on top).
const maxBody = 1 << 20

// Server routes a request to the service it is for.
type Server struct {
	// StepFunctions serves AWSStepFunctions.* targets.
	StepFunctions *StepFunctions
	// Parameters serves AmazonSSM.GetParameter.
	Parameters *Parameters
	// Mail serves SES v2 SendEmail.
	Mail *Mail
	// Lambda serves /2015-03-31/functions/… (Invoke).
	Lambda http.Handler
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "AWSStepFunctions.") && s.StepFunctions != nil:
		s.StepFunctions.serve(w, r, strings.TrimPrefix(target, "AWSStepFunctions."))
	case strings.HasPrefix(target, "AmazonSSM.") && s.Parameters != nil:
		s.Parameters.serve(w, r, strings.TrimPrefix(target, "AmazonSSM."))
	case strings.HasPrefix(r.URL.Path, "/v2/email/") && s.Mail != nil:
		s.Mail.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") && s.Lambda != nil:
		s.Lambda.ServeHTTP(w, r)
	default:
		writeError(w, "1.0", http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("no local service for %s %s (target %q)", r.Method, r.URL.Path, target))
	}
}

// readJSON decodes a JSON request body into v.
func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxBody {
		return errors.New("request body too large")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	return json.Unmarshal(body, v)
}

// writeJSON answers 200 with v in the given AWS JSON protocol version.
func writeJSON(w http.ResponseWriter, version string, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers an AWS JSON protocol error: the SDK reads the code from
// __type (and X-Amzn-ErrorType) and the text from message.
func writeError(w http.ResponseWriter, version string, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

// writeAPIError answers err: an API error under its own code as a client
// fault, anything else as an internal failure.
func writeAPIError(w http.ResponseWriter, version string, err error) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		status := http.StatusBadRequest
		if apiErr.ErrorFault() == smithy.FaultServer {
			status = http.StatusInternalServerError
		}
		writeError(w, version, status, apiErr.ErrorCode(), apiErr.ErrorMessage())
		return
	}
	writeError(w, version, http.StatusInternalServerError, "InternalFailure", err.Error())
}

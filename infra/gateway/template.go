package gateway

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"productgov/infra/samyaml"
)

// Route is one HttpApi event of the API function: METHOD and path as API
// Gateway matches them, and the authorizer guarding it ("" for none).
type Route struct {
	Method     string
	Path       string
	Authorizer string
}

// Key is the route key API Gateway passes in the event ("GET /healthz").
func (r Route) Key() string { return r.Method + " " + r.Path }

// Authorizer is a JWT authorizer of the HTTP API.
type Authorizer struct {
	Name string
	// Header or Query names where the token comes from
	// ($request.header.X or $request.querystring.X).
	Header, Query string
	Issuer        string
	Audience      []string
}

// API is the HTTP API as template.yaml declares it.
type API struct {
	// Function is the logical id of the function the routes invoke.
	Function    string
	Routes      []Route
	Authorizers map[string]Authorizer
}

// FromTemplate reads the AWS::Serverless::HttpApi and the HttpApi events of
// the function serving it; params gives the values of the template's
// parameters (the issuer and audience are !Ref to parameters).
func FromTemplate(template []byte, params map[string]string) (API, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return API{}, fmt.Errorf("gateway: template: %w", err)
	}
	resources := samyaml.Get(samyaml.Get(&doc, "Resources"), "")
	api := API{Authorizers: map[string]Authorizer{}}
	var defaultAuth, apiID string
	ref := func(n *yaml.Node) ([]string, error) {
		if n == nil {
			return nil, nil
		}
		if n.Tag == "!Ref" {
			v, ok := params[n.Value]
			if !ok {
				return nil, fmt.Errorf("gateway: template refers to parameter %s, which has no local value", n.Value)
			}
			return strings.Split(v, ","), nil
		}
		if n.Kind == yaml.SequenceNode {
			var out []string
			for _, c := range n.Content {
				out = append(out, c.Value)
			}
			return out, nil
		}
		return []string{n.Value}, nil
	}
	for i := 0; resources != nil && i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if samyaml.Scalar(samyaml.Get(res, "Type")) != "AWS::Serverless::HttpApi" {
			continue
		}
		apiID = id
		auth := samyaml.Get(samyaml.Get(res, "Properties"), "Auth")
		defaultAuth = samyaml.Scalar(samyaml.Get(auth, "DefaultAuthorizer"))
		auths := samyaml.Get(auth, "Authorizers")
		for j := 0; auths != nil && j+1 < len(auths.Content); j += 2 {
			name, a := auths.Content[j].Value, auths.Content[j+1]
			az := Authorizer{Name: name}
			source := samyaml.Scalar(samyaml.Get(a, "IdentitySource"))
			switch {
			case strings.HasPrefix(source, "$request.header."):
				az.Header = strings.TrimPrefix(source, "$request.header.")
			case strings.HasPrefix(source, "$request.querystring."):
				az.Query = strings.TrimPrefix(source, "$request.querystring.")
			default:
				return API{}, fmt.Errorf("gateway: authorizer %s: identity source %q is neither a header nor a query parameter", name, source)
			}
			jc := samyaml.Get(a, "JwtConfiguration")
			iss, err := ref(samyaml.Get(jc, "issuer"))
			if err != nil {
				return API{}, err
			}
			if len(iss) == 1 {
				az.Issuer = iss[0]
			}
			if az.Audience, err = ref(samyaml.Get(jc, "audience")); err != nil {
				return API{}, err
			}
			api.Authorizers[name] = az
		}
	}
	if apiID == "" {
		return API{}, fmt.Errorf("gateway: template has no AWS::Serverless::HttpApi")
	}
	for i := 0; resources != nil && i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if samyaml.Scalar(samyaml.Get(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		events := samyaml.Get(samyaml.Get(res, "Properties"), "Events")
		for j := 0; events != nil && j+1 < len(events.Content); j += 2 {
			ev := events.Content[j+1]
			if samyaml.Scalar(samyaml.Get(ev, "Type")) != "HttpApi" {
				continue
			}
			props := samyaml.Get(ev, "Properties")
			if apiRef := samyaml.Get(props, "ApiId"); apiRef == nil || apiRef.Value != apiID {
				continue
			}
			if api.Function != "" && api.Function != id {
				return API{}, fmt.Errorf("gateway: routes go to %s and %s; the local front serves one function", api.Function, id)
			}
			api.Function = id
			r := Route{Method: strings.ToUpper(samyaml.Scalar(samyaml.Get(props, "Method"))), Path: samyaml.Scalar(samyaml.Get(props, "Path")), Authorizer: defaultAuth}
			if a := samyaml.Scalar(samyaml.Get(samyaml.Get(props, "Auth"), "Authorizer")); a != "" {
				r.Authorizer = a
			}
			if r.Authorizer == "NONE" {
				r.Authorizer = ""
			}
			if _, ok := api.Authorizers[r.Authorizer]; r.Authorizer != "" && !ok {
				return API{}, fmt.Errorf("gateway: route %s names unknown authorizer %s", r.Key(), r.Authorizer)
			}
			api.Routes = append(api.Routes, r)
		}
	}
	if len(api.Routes) == 0 {
		return API{}, fmt.Errorf("gateway: no function serves the HTTP API %s", apiID)
	}
	sort.SliceStable(api.Routes, func(i, j int) bool { return api.Routes[i].Key() < api.Routes[j].Key() })
	return api, nil
}

package api_test

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"productgov/shared/api"
)

// openAPIPath is the contract document, relative to this package's directory
// (go test runs in it).
const openAPIPath = "../../openapi.yaml"

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true,
}

// pathItemFields are the other keys a path item may hold.
var pathItemFields = map[string]bool{"summary": true, "description": true, "servers": true, "parameters": true}

// oaDoc is openapi.yaml as a YAML node tree, so failures can name lines.
type oaDoc struct {
	root *yaml.Node // the top-level mapping
}

// oaOp is one documented operation.
type oaOp struct {
	method, path string // "GET", "/products/{id}"
	op, item     *yaml.Node
}

func (o oaOp) String() string { return o.method + " " + o.path }

func loadOpenAPI(t *testing.T) *oaDoc {
	t.Helper()
	b, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatalf("read %s: %v", openAPIPath, err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("openapi.yaml must hold one YAML mapping")
	}
	// Decoding into plain values catches duplicate keys, which the node tree keeps.
	var plain map[string]any
	if err := yaml.Unmarshal(b, &plain); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return &oaDoc{root: n.Content[0]}
}

// get returns the value of key in a mapping node, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// pairs lists a mapping's keys and values in document order.
func pairs(n *yaml.Node) (keys []*yaml.Node, vals []*yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i])
		vals = append(vals, n.Content[i+1])
	}
	return keys, vals
}

// pointer resolves a local JSON pointer such as "#/components/schemas/Product".
func (d *oaDoc) pointer(ref string) (*yaml.Node, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	n := d.root
	for _, tok := range strings.Split(ref[2:], "/") {
		tok, err := url.PathUnescape(tok)
		if err != nil {
			return nil, false
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			n = get(n, tok)
		case yaml.SequenceNode:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(n.Content) {
				return nil, false
			}
			n = n.Content[i]
		default:
			return nil, false
		}
		if n == nil {
			return nil, false
		}
	}
	return n, true
}

// deref follows $ref (repeatedly) from a node such as a parameter or response.
func (d *oaDoc) deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 16 && n != nil; i++ {
		ref := get(n, "$ref")
		if ref == nil {
			return n
		}
		n, _ = d.pointer(ref.Value)
	}
	return n
}

// operations lists every documented operation; structural mistakes fail t.
func (d *oaDoc) operations(t *testing.T) []oaOp {
	t.Helper()
	paths := get(d.root, "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		t.Fatalf("openapi.yaml has no paths mapping")
	}
	var ops []oaOp
	keys, vals := pairs(paths)
	for i, k := range keys {
		path, item := k.Value, vals[i]
		if !strings.HasPrefix(path, "/") {
			t.Errorf("openapi.yaml:%d: path %q must start with /", k.Line, path)
		}
		if item.Kind != yaml.MappingNode {
			t.Errorf("openapi.yaml:%d: path %s must be a mapping of operations", k.Line, path)
			continue
		}
		mkeys, mvals := pairs(item)
		for j, mk := range mkeys {
			switch {
			case openAPIMethods[mk.Value]:
				ops = append(ops, oaOp{method: strings.ToUpper(mk.Value), path: path, op: mvals[j], item: item})
			case pathItemFields[mk.Value]:
			case mk.Value == "$ref":
				t.Errorf("openapi.yaml:%d: path %s uses $ref for its path item; write the operations inline so the router check can see them", mk.Line, path)
			default:
				t.Errorf("openapi.yaml:%d: path %s has key %q, which is neither an HTTP method nor a path-item field", mk.Line, path, mk.Value)
			}
		}
	}
	return ops
}

var (
	wildcardRE = regexp.MustCompile(`\{([^{}]*)\}`)
	anyNameRE  = regexp.MustCompile(`\{[^{}]*\}`)
)

// routerPath turns a Go ServeMux pattern path into OpenAPI's template form:
// {name} stays {name}, {name...} becomes {name}, and the end anchor {$} goes.
func routerPath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	return wildcardRE.ReplaceAllStringFunc(p, func(w string) string {
		return "{" + strings.TrimSuffix(w[1:len(w)-1], "...") + "}"
	})
}

// shape blanks wildcard names, to hint at paths that differ only in them.
func shape(path string) string { return anyNameRE.ReplaceAllString(path, "{}") }

func opLine(o oaOp) int { return o.op.Line }

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	d := loadOpenAPI(t)
	ops := d.operations(t)
	routes := api.Routes()
	if len(routes) == 0 {
		t.Fatal("api.Routes() is empty")
	}

	documented := map[string]oaOp{}
	byShape := map[string][]oaOp{}
	for _, o := range ops {
		documented[o.String()] = o
		byShape[o.method+" "+shape(o.path)] = append(byShape[o.method+" "+shape(o.path)], o)
	}
	served := map[string]api.Route{}
	for _, r := range routes {
		key := strings.ToUpper(r.Method) + " " + routerPath(r.Pattern)
		served[key] = r
	}

	var keys []string
	for k := range served {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		r := served[key]
		o, ok := documented[key]
		if !ok {
			msg := fmt.Sprintf("router serves %s %s but openapi.yaml does not document it", r.Method, r.Pattern)
			method, path, _ := strings.Cut(key, " ")
			for _, near := range byShape[method+" "+shape(path)] {
				msg += fmt.Sprintf(" (openapi.yaml:%d documents %s: path parameter names must match the router's)", opLine(near), near)
			}
			t.Error(msg)
			continue
		}
		sec := get(o.op, "security")
		empty := sec != nil && sec.Kind == yaml.SequenceNode && len(sec.Content) == 0
		switch {
		case r.Public && !empty:
			t.Errorf("openapi.yaml:%d: %s is public in the router (no bearer token) but its operation lacks `security: []`", opLine(o), key)
		case !r.Public && empty:
			t.Errorf("openapi.yaml:%d: %s needs a bearer token in the router but its operation declares `security: []` (public)", opLine(o), key)
		case !r.Public && sec != nil && sec.Kind != yaml.SequenceNode:
			t.Errorf("openapi.yaml:%d: %s: security must be a list", sec.Line, key)
		}
		if !r.Public {
			if resp := get(o.op, "responses"); get(resp, "401") == nil {
				t.Errorf("openapi.yaml:%d: %s needs a bearer token, so it can answer 401, but documents no 401 response", opLine(o), key)
			}
		}
	}

	for _, o := range ops {
		key := o.String()
		if _, ok := served[key]; ok {
			continue
		}
		// Go's ServeMux answers HEAD wherever it serves GET.
		if o.method == "HEAD" {
			if _, ok := served["GET "+o.path]; ok {
				continue
			}
		}
		t.Errorf("openapi.yaml:%d documents %s but the router does not serve it (api.Routes() has no such route)", opLine(o), key)
	}
}

func TestOpenAPISecurity(t *testing.T) {
	d := loadOpenAPI(t)
	if v := get(d.root, "openapi"); v == nil || !strings.HasPrefix(v.Value, "3.0.") {
		t.Errorf("openapi.yaml must declare `openapi: 3.0.x`")
	}
	scheme := get(get(get(d.root, "components"), "securitySchemes"), "bearerAuth")
	if scheme == nil {
		t.Fatal("openapi.yaml has no components.securitySchemes.bearerAuth")
	}
	if get(scheme, "type") == nil || get(scheme, "type").Value != "http" ||
		get(scheme, "scheme") == nil || get(scheme, "scheme").Value != "bearer" {
		t.Errorf("openapi.yaml:%d: bearerAuth must be `type: http` with `scheme: bearer`", scheme.Line)
	}
	global := get(d.root, "security")
	found := false
	if global != nil && global.Kind == yaml.SequenceNode {
		for _, req := range global.Content {
			if get(req, "bearerAuth") != nil {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("openapi.yaml must require bearerAuth globally (top-level `security: [{bearerAuth: []}]`); public routes opt out with `security: []`")
	}
}

func TestOpenAPIOperations(t *testing.T) {
	d := loadOpenAPI(t)
	opIDs := map[string]oaOp{}
	for _, o := range d.operations(t) {
		responses := get(o.op, "responses")
		if responses == nil || responses.Kind != yaml.MappingNode {
			t.Errorf("openapi.yaml:%d: %s has no responses", opLine(o), o)
			continue
		}
		ok2xx, has500 := false, false
		codes, _ := pairs(responses)
		for _, c := range codes {
			if len(c.Value) == 3 && (c.Value[0] == '2' || c.Value == "303") {
				ok2xx = true // a 303 to a download is the success of a download route
			}
			if c.Value == "500" || c.Value == "5XX" || c.Value == "default" {
				has500 = true
			}
		}
		if !ok2xx {
			t.Errorf("openapi.yaml:%d: %s documents no 2xx (or 303) response", opLine(o), o)
		}
		if !has500 {
			t.Errorf("openapi.yaml:%d: %s documents no 500 response (every route can answer internal errors)", opLine(o), o)
		}

		if id := get(o.op, "operationId"); id != nil {
			if prev, dup := opIDs[id.Value]; dup {
				t.Errorf("openapi.yaml:%d: %s reuses operationId %q of %s", id.Line, o, id.Value, prev)
			}
			opIDs[id.Value] = o
		}

		// Path parameters: every {name} in the template is declared in: path,
		// required, and nothing else is declared in: path.
		declared := map[string]bool{}
		for _, list := range []*yaml.Node{get(o.item, "parameters"), get(o.op, "parameters")} {
			if list == nil {
				continue
			}
			for _, p := range list.Content {
				p = d.deref(p)
				in, name := get(p, "in"), get(p, "name")
				if in == nil || name == nil || in.Value != "path" {
					continue
				}
				declared[name.Value] = true
				if !strings.Contains(o.path, "{"+name.Value+"}") {
					t.Errorf("openapi.yaml:%d: %s declares path parameter %q that its path does not have", name.Line, o, name.Value)
				}
				if req := get(p, "required"); req == nil || req.Value != "true" {
					t.Errorf("openapi.yaml:%d: %s: path parameter %q must be `required: true`", name.Line, o, name.Value)
				}
			}
		}
		for _, m := range wildcardRE.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				t.Errorf("openapi.yaml:%d: %s does not declare its path parameter %q (in: path)", opLine(o), o, m[1])
			}
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	d := loadOpenAPI(t)
	refs := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" {
					refs++
					switch {
					case v.Kind != yaml.ScalarNode:
						t.Errorf("openapi.yaml:%d: $ref must be a string", v.Line)
					case !strings.HasPrefix(v.Value, "#/"):
						t.Errorf("openapi.yaml:%d: $ref %q is not local (#/...); openapi.yaml must stand alone", v.Line, v.Value)
					default:
						if _, ok := d.pointer(v.Value); !ok {
							t.Errorf("openapi.yaml:%d: $ref %q points at nothing", v.Line, v.Value)
						}
					}
					continue
				}
				walk(v)
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(d.root)
	if refs == 0 {
		t.Error("openapi.yaml has no $ref at all; expected shared components")
	}
}

// TestOpenAPIRouterPath keeps the pattern conversion honest.
func TestOpenAPIRouterPath(t *testing.T) {
	for in, want := range map[string]string{
		"/products/{id}":                 "/products/{id}",
		"/products/{id}/revenue/{month}": "/products/{id}/revenue/{month}",
		"/files/{path...}":               "/files/{path}",
		"/approvals/{$}":                 "/approvals/",
		"/healthz":                       "/healthz",
	} {
		if got := routerPath(in); got != want {
			t.Errorf("routerPath(%q) = %q, want %q", in, got, want)
		}
	}
}

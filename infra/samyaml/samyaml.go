// Package samyaml reads template.yaml as YAML nodes, so CloudFormation's
// short tags (!Ref, !GetAtt, !Sub) stay visible to the local stack's readers
// (functions, state machines, the HTTP API) instead of failing a decode.
package samyaml

import "gopkg.in/yaml.v3"

// Get returns a mapping's value for key, or nil; a document node stands for
// its root, and key "" returns the node itself.
func Get(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if key == "" {
		return n
	}
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Scalar is a node's text, or "" for none.
func Scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

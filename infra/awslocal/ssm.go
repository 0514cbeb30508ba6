package awslocal

import (
	"net/http"
	"sync"
	"time"
)

// Parameters serves SSM GetParameter (AWS JSON 1.1) from values held here,
// as SecureStrings, like the parameter the template names by
// LinkSigningKeyParameter.
type Parameters struct {
	mu     sync.Mutex
	values map[string]string
}

// NewParameters returns parameters with the given names and values.
func NewParameters(values map[string]string) *Parameters {
	p := &Parameters{values: map[string]string{}}
	for k, v := range values {
		p.values[k] = v
	}
	return p
}

func (p *Parameters) serve(w http.ResponseWriter, r *http.Request, op string) {
	if op != "GetParameter" {
		writeError(w, "1.1", http.StatusBadRequest, "UnknownOperationException", "the local SSM does not serve "+op)
		return
	}
	var in struct {
		Name           string `json:"Name"`
		WithDecryption bool   `json:"WithDecryption"`
	}
	if err := readJSON(r, &in); err != nil {
		writeError(w, "1.1", http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	p.mu.Lock()
	v, ok := p.values[in.Name]
	p.mu.Unlock()
	if !ok {
		writeError(w, "1.1", http.StatusBadRequest, "ParameterNotFound", "parameter "+in.Name+" not found")
		return
	}
	if !in.WithDecryption {
		v = "****"
	}
	writeJSON(w, "1.1", map[string]any{"Parameter": map[string]any{
		"Name": in.Name, "Type": "SecureString", "Value": v, "Version": 1,
		"LastModifiedDate": float64(time.Now().Unix()), "DataType": "text",
	}})
}
